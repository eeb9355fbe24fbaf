"""The softmax-regression model (catalogue D1-D6) as structured SymPy expressions.

Every object of the toolkit is built from the nodes defined here.  Vector and
matrix valued nodes are :class:`sympy.MatrixExpr` subclasses (so shapes are
checked, also for symbolic ``n`` and ``d``); scalar valued nodes are
:class:`sympy.Expr` subclasses, so they mix freely with SymPy arithmetic
(``R/2 * Norm(...)``).

Named model functions (``u``, ``alpha``, ``f``, ``c``, ``L``, ``B``,
``grad_L``, ``hess_L``) are *opaque* nodes: they print as in the paper
(``f(x)``) and are unfolded one level at a time with :func:`unfold` (their
``definition``).  Nothing here evaluates or simplifies; the printers, the
evaluators and the provers in other modules walk these trees.

Conventions: vectors are columns of shape ``(k, 1)``; ``A`` is ``n x d``.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp
from sympy import Expr, MatrixExpr, MatrixSymbol, OneMatrix
from sympy.core.symbol import Str

__all__ = [
    "n",
    "d",
    "A",
    "At",
    "x",
    "y",
    "b",
    "t",
    "R",
    "beta",
    "eta",
    "Entrywise",
    "Softmax",
    "Diag",
    "Col",
    "Dot",
    "Norm",
    "Grad",
    "Jac",
    "Hess",
    "ModelVector",
    "ModelScalar",
    "U",
    "Alpha",
    "F",
    "C",
    "Loss",
    "GradL",
    "BMat",
    "HessL",
    "MODEL_FUNCTIONS",
    "DefinedVector",
    "DefinedScalar",
    "defined",
    "HYPERBOLIC",
    "ones",
    "outer",
    "hadamard",
    "exp_ew",
    "unfold",
    "unfold_all",
    "at_size",
    "is_matrix",
]

# --------------------------------------------------------------------------
# Symbols (catalogue "Notation")
# --------------------------------------------------------------------------
n, d = sp.symbols("n d", integer=True, positive=True)
A = MatrixSymbol("A", n, d)
At = MatrixSymbol("At", n, d)  # the shifted document, printed \tilde A
x = MatrixSymbol("x", d, 1)
y = MatrixSymbol("y", d, 1)
b = MatrixSymbol("b", n, 1)
t = sp.Symbol("t", real=True)
R = sp.Symbol("R", positive=True)
beta = sp.Symbol("beta", positive=True)
eta = sp.Symbol("eta", positive=True)


def is_matrix(e: sp.Basic) -> bool:
    """True for vector/matrix valued expressions, False for scalars."""
    return isinstance(e, MatrixExpr)


def _need_matrix(e: sp.Basic, what: str) -> None:
    if not is_matrix(e):
        raise TypeError(f"{what} needs a vector or matrix, got the scalar {e}")


def _need_vector(e: sp.Basic, what: str) -> None:
    _need_matrix(e, what)
    if e.shape[1] != 1:
        raise TypeError(f"{what} needs a column vector, got shape {e.shape}")


# --------------------------------------------------------------------------
# Primitive vector / matrix nodes
# --------------------------------------------------------------------------
class _MatNode(MatrixExpr):
    """Base of our matrix-valued nodes: no automatic simplification."""

    def __new__(cls, *args):
        args = tuple(sp.sympify(a) if not isinstance(a, str) else Str(a) for a in args)
        obj = sp.Basic.__new__(cls, *args)
        obj._check()
        return obj

    def _check(self) -> None:  # pragma: no cover - overridden
        pass

    def doit(self, **hints):
        return self

    def _eval_transpose(self):
        return None


class Entrywise(_MatNode):
    """``fn`` applied entrywise to a vector or matrix (D1 uses ``exp``)."""

    FUNCTIONS = ("exp", "log", "sqrt", "abs", "cosh", "sinh", "tanh")

    def _check(self) -> None:
        if str(self.args[0]) not in self.FUNCTIONS:
            raise ValueError(f"unknown entrywise function {self.args[0]}")
        _need_matrix(self.args[1], f"entrywise {self.args[0]}")

    @property
    def fn(self) -> str:
        return str(self.args[0])

    @property
    def arg(self) -> MatrixExpr:
        return self.args[1]

    @property
    def shape(self):
        return self.args[1].shape


class Softmax(_MatNode):
    """``softmax(v) = exp(v) / <exp(v), 1>`` (the right side of D3)."""

    def _check(self) -> None:
        _need_vector(self.args[0], "softmax")

    @property
    def shape(self):
        return self.args[0].shape


class Diag(_MatNode):
    """``diag(v)``: the square matrix with ``v`` on its diagonal."""

    def _check(self) -> None:
        _need_vector(self.args[0], "diag")

    @property
    def shape(self):
        k = self.args[0].shape[0]
        return (k, k)


class Col(_MatNode):
    """``A_{*,i}``: column ``i`` of a matrix (``i`` a SymPy integer or symbol)."""

    def _check(self) -> None:
        _need_matrix(self.args[0], "col")

    @property
    def shape(self):
        return (self.args[0].shape[0], 1)


# --------------------------------------------------------------------------
# Primitive scalar nodes
# --------------------------------------------------------------------------
class _ScalarNode(Expr):
    is_commutative = True
    is_real = True

    def __new__(cls, *args):
        args = tuple(sp.sympify(a) if not isinstance(a, str) else Str(a) for a in args)
        obj = Expr.__new__(cls, *args)
        obj._check()
        return obj

    def _check(self) -> None:
        pass

    def doit(self, **hints):
        return self


class Dot(_ScalarNode):
    """``<v, w>`` for two column vectors of the same length."""

    def _check(self) -> None:
        v, w = self.args
        _need_vector(v, "dot")
        _need_vector(w, "dot")
        if sp.simplify(v.shape[0] - w.shape[0]) != 0:
            raise TypeError(f"dot of vectors of lengths {v.shape[0]} and {w.shape[0]}")


class Norm(_ScalarNode):
    """A norm: ``'1'``, ``'2'``, ``'inf'`` of a vector, ``'op'`` (spectral) or
    ``'fro'`` of a matrix."""

    KINDS = ("1", "2", "inf", "op", "fro")
    is_nonnegative = True

    def _check(self) -> None:
        kind, v = self.args
        if str(kind) not in self.KINDS:
            raise ValueError(f"unknown norm {kind}")
        _need_matrix(v, f"norm {kind}")
        if str(kind) in ("1", "2", "inf") and v.shape[1] != 1:
            raise TypeError(f"the vector norm {kind} got a matrix of shape {v.shape}")

    @property
    def kind(self) -> str:
        return str(self.args[0])

    @property
    def arg(self) -> MatrixExpr:
        return self.args[1]


# --------------------------------------------------------------------------
# Named model functions: opaque nodes with a one-level definition
# --------------------------------------------------------------------------
class _Named:
    """Mixin: ``definition`` unfolds one level; ``name`` is the grammar name."""

    name: str = ""
    catalogue_id: str = ""
    arity: tuple[str, ...] = ("A", "x")

    @property
    def document(self) -> MatrixExpr:
        return self.args[0]

    @property
    def definition(self) -> sp.Basic:  # pragma: no cover - overridden
        raise NotImplementedError


class ModelVector(_Named, _MatNode):
    def _check(self) -> None:
        for a in self.args:
            _need_matrix(a, self.name)


class ModelScalar(_Named, _ScalarNode):
    def _check(self) -> None:
        for a in self.args:
            _need_matrix(a, self.name)


class U(ModelVector):
    """D1: ``u(x) = exp(Ax)`` entrywise."""

    name, catalogue_id = "u", "D1"

    @property
    def shape(self):
        return (self.args[0].shape[0], 1)

    @property
    def definition(self):
        a, v = self.args
        return Entrywise("exp", a * v)


class Alpha(ModelScalar):
    """D2: ``alpha(x) = <u(x), 1_n>``."""

    name, catalogue_id = "alpha", "D2"
    is_positive = True

    @property
    def definition(self):
        a, v = self.args
        return Dot(U(a, v), ones(a.shape[0]))


class F(ModelVector):
    """D3: ``f(x) = alpha(x)^{-1} u(x)``, the softmax of ``Ax``."""

    name, catalogue_id = "f", "D3"

    @property
    def shape(self):
        return (self.args[0].shape[0], 1)

    @property
    def definition(self):
        a, v = self.args
        return U(a, v) / Alpha(a, v)


class C(ModelVector):
    """D4: ``c(x) = f(x) - b``."""

    name, catalogue_id, arity = "c", "D4", ("A", "x", "b")

    @property
    def shape(self):
        return (self.args[0].shape[0], 1)

    @property
    def definition(self):
        a, v, w = self.args
        return F(a, v) - w


class Loss(ModelScalar):
    """D5: ``L(x) = 1/2 ||c(x)||_2^2``."""

    name, catalogue_id, arity = "L", "D5", ("A", "x", "b")
    is_nonnegative = True

    @property
    def definition(self):
        a, v, w = self.args
        cc = C(a, v, w)
        return Dot(cc, cc) / 2


class GradL(ModelVector):
    """The gradient of L in its closed form (G5, proved in ``identities``):
    ``A^T (f o c - <f, c> f)``, i.e. ``A^T (diag(f) - f f^T) c`` without the
    ``n x n`` matrix."""

    name, catalogue_id, arity = "grad_L", "G5", ("A", "x", "b")

    @property
    def shape(self):
        return (self.args[0].shape[1], 1)

    @property
    def definition(self):
        a, v, w = self.args
        ff, cc = F(a, v), C(a, v, w)
        return a.T * (hadamard(ff, cc) - Dot(cc, ff) * ff)


class BMat(ModelVector):
    """G6: ``B(x)`` with ``hess L = A^T B A``."""

    name, catalogue_id, arity = "B", "G6", ("A", "x", "b")

    @property
    def shape(self):
        k = self.args[0].shape[0]
        return (k, k)

    @property
    def definition(self):
        a, v, w = self.args
        ff, cc = F(a, v), C(a, v, w)
        cf = hadamard(cc, ff)
        J = Diag(ff) - outer(ff, ff)
        return (
            J * J
            + Diag(cf)
            - Dot(cc, ff) * Diag(ff)
            - outer(cf, ff)
            - outer(ff, cf)
            + 2 * Dot(cc, ff) * outer(ff, ff)
        )


class HessL(ModelVector):
    """G6: ``hess L(x) = A^T B(x) A``."""

    name, catalogue_id, arity = "hess_L", "G6", ("A", "x", "b")

    @property
    def shape(self):
        k = self.args[0].shape[1]
        return (k, k)

    @property
    def definition(self):
        a, v, w = self.args
        return a.T * BMat(a, v, w) * a


# --------------------------------------------------------------------------
# Derivative nodes (taken symbolically by ``calculus.differentiate``)
# --------------------------------------------------------------------------
class Grad(_MatNode):
    """``grad(s, v)``: gradient of the scalar ``s`` in the vector variable ``v``."""

    def _check(self) -> None:
        s, v = self.args
        if is_matrix(s):
            raise TypeError(f"grad needs a scalar, got shape {s.shape}")
        if not isinstance(v, MatrixSymbol) or v.shape[1] != 1:
            raise TypeError(f"grad is taken in a vector variable, not {v}")

    @property
    def shape(self):
        return self.args[1].shape


class Jac(_MatNode):
    """``jac(w, v)``: Jacobian ``dw/dv`` of the vector ``w`` (rows: entries of ``w``)."""

    def _check(self) -> None:
        w, v = self.args
        _need_vector(w, "jac")
        if not isinstance(v, MatrixSymbol) or v.shape[1] != 1:
            raise TypeError(f"jac is taken in a vector variable, not {v}")

    @property
    def shape(self):
        return (self.args[0].shape[0], self.args[1].shape[0])


class Hess(_MatNode):
    """``hess(s, v)``: Hessian of the scalar ``s`` in the vector variable ``v``."""

    def _check(self) -> None:
        s, v = self.args
        if is_matrix(s):
            raise TypeError(f"hess needs a scalar, got shape {s.shape}")
        if not isinstance(v, MatrixSymbol) or v.shape[1] != 1:
            raise TypeError(f"hess is taken in a vector variable, not {v}")

    @property
    def shape(self):
        k = self.args[1].shape[0]
        return (k, k)


# --------------------------------------------------------------------------
# Objects a statement file defines (``[definitions]``)
# --------------------------------------------------------------------------
class _Defined(_Named):
    """Mixin of a file's own definition: args ``(Str(name), body, *call_args)``.

    ``body`` is the definition already instantiated at the call's arguments, so two
    files defining ``u`` differently give different nodes, ``free_symbols`` and
    ``xreplace`` see the variables inside, and the node pickles as any SymPy tree.
    """

    catalogue_id = "file"

    @property
    def name(self) -> str:  # type: ignore[override]
        return str(self.args[0])

    @property
    def definition(self) -> sp.Basic:
        return self.args[1]

    @property
    def call_args(self) -> tuple[sp.Basic, ...]:
        return tuple(self.args[2:])

    @property
    def document(self) -> sp.Basic:
        return self.call_args[0] if self.call_args else self.args[1]

    def _check(self) -> None:
        if not isinstance(self.args[0], Str):
            raise TypeError("a defined object needs its name first")


class DefinedVector(_Defined, ModelVector):
    """A vector or matrix valued definition of a statement file, printed ``name(args)``."""

    def _check(self) -> None:
        _Defined._check(self)
        _need_matrix(self.args[1], self.name)

    @property
    def shape(self):
        # computed once: SymPy asks a product's shape through its factors' rows and
        # cols, so an uncached chain of definitions costs 2**depth
        try:
            return self.__dict__["_shape"]
        except KeyError:
            self.__dict__["_shape"] = shape = self.args[1].shape
            return shape


class DefinedScalar(_Defined, ModelScalar):
    """A scalar valued definition of a statement file, printed ``name(args)``.

    Unlike the built-in scalars it is not assumed real (``sqrt(t)`` is not, for
    ``t < 0``); its sign is its body's as far as SymPy can tell."""

    is_real = None

    def _check(self) -> None:
        _Defined._check(self)
        if is_matrix(self.args[1]):
            raise TypeError(f"{self.name} is not a scalar")

    def _eval_is_positive(self):
        return self.args[1].is_positive

    def _eval_is_nonnegative(self):
        return self.args[1].is_nonnegative

    def _eval_is_negative(self):
        return self.args[1].is_negative


def defined(name: str, body: sp.Basic, call_args: tuple[sp.Basic, ...] = ()) -> sp.Basic:
    """The node of the file's definition ``name`` with ``body`` (instantiated at
    ``call_args``): a :class:`DefinedVector` or a :class:`DefinedScalar`."""
    cls = DefinedVector if is_matrix(body) else DefinedScalar
    return cls(Str(name), body, *call_args)


#: entrywise functions without a closed form in ``exp`` at the vector level
HYPERBOLIC = ("cosh", "sinh", "tanh")


MODEL_FUNCTIONS: dict[str, type] = {
    cls.name: cls for cls in (U, Alpha, F, C, Loss, GradL, BMat, HessL)
}


# --------------------------------------------------------------------------
# Constructors used by the catalogue and the grammar
# --------------------------------------------------------------------------
def ones(k) -> MatrixExpr:
    """``1_k`` as a column vector."""
    return OneMatrix(k, 1)


def outer(v: MatrixExpr, w: MatrixExpr) -> MatrixExpr:
    """``v w^T``."""
    _need_vector(v, "outer")
    _need_vector(w, "outer")
    return v * w.T


def hadamard(v: MatrixExpr, w: MatrixExpr) -> MatrixExpr:
    """Entrywise product ``v o w``."""
    if v.shape != w.shape:
        raise TypeError(f"entrywise product of shapes {v.shape} and {w.shape}")
    return sp.HadamardProduct(v, w)


def exp_ew(v: MatrixExpr) -> MatrixExpr:
    """Entrywise ``exp``."""
    return Entrywise("exp", v)


# --------------------------------------------------------------------------
# Unfolding named functions
# --------------------------------------------------------------------------
def unfold(e: sp.Basic, keep: Callable[[sp.Basic], bool] = lambda _: False) -> sp.Basic:
    """Replace every named model function in ``e`` by its definition, one level.

    Nodes for which ``keep(node)`` is true stay opaque.
    """
    reps = {
        node: node.definition
        for node in sp.preorder_traversal(e)
        if isinstance(node, _Named) and not keep(node)
    }
    return e.xreplace(reps) if reps else e


def unfold_all(e: sp.Basic, keep: Callable[[sp.Basic], bool] = lambda _: False) -> sp.Basic:
    """Unfold named model functions until none is left (except kept ones)."""
    while True:
        new = unfold(e, keep)
        if new == e:
            return e
        e = new


def at_size(e: sp.Basic, n_value: int, d_value: int) -> sp.Basic:
    """The same expression with the symbolic sizes replaced by numbers."""
    return e.subs({n: n_value, d: d_value})
