"""The expression language of statement files, parsed into the model's SymPy nodes.

The text is parsed with :func:`ast.parse` (``mode="eval"``) and the syntax tree
is walked against a strict whitelist of node types; nothing is ever evaluated,
executed or compiled to code.  Names resolve only to the model's variables
(``A, At, x, y, b, t``), the sizes ``n, d``, declared parameters and the
functions listed in :data:`FUNCTIONS`, and a statement file's own
:class:`Definition` objects (resolved first: a file may redefine ``u``, ``f``, ...).
A call of a definition parses its text with the parameters bound to the argument
expressions (macro style, so shapes come from the call) and wraps the result in a
named node (:func:`model.defined`) that prints as ``name(args)``.

Vector conventions: ``@`` is the matrix product, ``*`` between two vectors or
matrices of the same shape is the entrywise product, ``*`` and ``/`` between a
scalar and a vector scale it; ``+`` and ``-`` need equal shapes.

Every problem raises :class:`GrammarError` with the 1-based line and column of
the offending sub-expression within the text.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import sympy as sp
from sympy import MatrixSymbol

from . import model
from .statement import VARIABLES, Relation

__all__ = [
    "GrammarError",
    "Definition",
    "MODEL_NAMES",
    "parse_expression",
    "parse_relation",
    "parse_definition",
    "FUNCTIONS",
    "RESERVED_NAMES",
    "MAX_TEXT_LENGTH",
    "MAX_DEPTH",
    "MAX_EXPONENT",
]

MAX_TEXT_LENGTH = 10_000  #: longest accepted expression text
MAX_DEPTH = 100  #: deepest accepted syntax tree
MAX_DERIVATIVE_ORDER = 2  #: highest order of nested grad/jac/hess (hess counts 2)
MAX_EXPONENT = 1000  #: largest |k| in a numeric exponent ``**k``
MAX_RESULT_BITS = 100_000  #: largest exact number a power of numbers may produce
MAX_LITERAL_DIGITS = 400  #: longest integer literal / largest decimal exponent

SIZES: dict[str, sp.Symbol] = {"n": model.n, "d": model.d}

_COMPARISONS = {ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.Gt: ">", ast.GtE: ">="}


#: most instantiations of a file's definitions in one expression
MAX_INSTANTIATIONS = 10_000
#: largest expression tree (counted with repetitions) a use of a definition may build
MAX_TREE_NODES = 200_000


@dataclass(frozen=True)
class Definition:
    """A statement file's own object: ``name(params) = text`` (``params`` empty for a
    named constant).  ``names`` are the variables, sizes and parameters its text may
    use; ``above`` the definitions written before it (the only ones it may call)."""

    name: str
    params: tuple[str, ...]
    text: str
    names: Mapping[str, sp.Basic]
    above: Mapping[str, Definition]
    #: this and the later definitions of the file: unknown here, even where they
    #: shadow a built-in (no recursion, no forward reference)
    hidden: frozenset[str] = frozenset()

    def __hash__(self) -> int:
        return hash((self.name, self.params, self.text))


class GrammarError(ValueError):
    """A malformed expression: ``problem`` at 1-based ``line`` and ``column`` of the text."""

    def __init__(self, problem: str, line: int = 1, column: int = 1):
        self.problem, self.line, self.column = problem, line, column
        super().__init__(
            f"line {line}, column {column}: {problem}"
            if line > 1
            else f"column {column}: {problem}"
        )


# --------------------------------------------------------------------------
# Helpers on shapes
# --------------------------------------------------------------------------
def _same(a: sp.Expr, b: sp.Expr) -> bool:
    return a == b or sp.simplify(a - b) == 0


def _shape_text(e: sp.Basic) -> str:
    if not model.is_matrix(e):
        return "a scalar"
    rows, cols = e.shape
    if cols == 1:
        return f"a vector of length {rows}"
    return f"a matrix of shape ({rows}, {cols})"


def _is_vector(e: sp.Basic) -> bool:
    return model.is_matrix(e) and e.shape[1] == 1


# --------------------------------------------------------------------------
# The walker
# --------------------------------------------------------------------------
class _Walker:
    def __init__(
        self,
        source: str,
        names: Mapping[str, sp.Basic],
        definitions: Mapping[str, Definition] | None = None,
        budget: list[int] | None = None,
        memo: dict | None = None,
        hidden: frozenset[str] = frozenset(),
    ):
        self.lines = source.split("\n")
        self.names = names
        self.definitions = dict(definitions or {})
        #: instantiations left (shared with the walkers of nested definitions)
        self.budget = budget if budget is not None else [MAX_INSTANTIATIONS]
        self.memo = memo if memo is not None else {}
        self.hidden = hidden

    # ---- positions ---------------------------------------------------------
    def error(self, node: ast.AST | None, problem: str) -> GrammarError:
        if node is None or not hasattr(node, "lineno"):
            return GrammarError(problem)
        return self.error_at(node.lineno, node.col_offset, problem)

    def error_at(self, lineno: int, col_offset: int, problem: str) -> GrammarError:
        # the source is "(\n" + text + "\n)": source line k is text line k - 1
        line = max(lineno - 1, 1)
        raw = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        column = len(raw.encode("utf-8")[:col_offset].decode("utf-8", "replace")) + 1
        return GrammarError(problem, line, column)

    # ---- dispatch ----------------------------------------------------------
    def expr(self, node: ast.AST, depth: int = 0) -> sp.Basic:
        if depth > MAX_DEPTH:
            raise self.error(node, f"expression nested more than {MAX_DEPTH} levels deep")
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            raise self.error(node, f"{_describe(node)} is not allowed in an expression")
        try:
            return method(node, depth + 1)
        except GrammarError:
            raise
        except (TypeError, ValueError, AttributeError, IndexError) as exc:
            # shape errors raised by the model's nodes or SymPy
            raise self.error(node, _clean(exc)) from None

    def visit_Expression(self, node: ast.Expression, depth: int) -> sp.Basic:
        return self.expr(node.body, depth)

    def visit_Compare(self, node: ast.Compare, depth: int) -> sp.Basic:
        raise self.error(node, "a comparison is not allowed here (only one, at the top level)")

    # ---- leaves ------------------------------------------------------------
    def visit_Constant(self, node: ast.Constant, depth: int) -> sp.Basic:
        v = node.value
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self.error(node, f"{_describe(node)} is not allowed in an expression")
        if isinstance(v, int):
            if len(str(v)) > MAX_LITERAL_DIGITS:
                raise self.error(node, "integer literal too long")
            return sp.Integer(v)
        return self.exact_float(node)

    def exact_float(self, node: ast.Constant) -> sp.Rational:
        """A float literal as the exact rational of its decimal text (0.01 -> 1/100)."""
        text = self.segment(node)
        try:
            dec = Decimal(text.replace("_", ""))
        except InvalidOperation:
            dec = Decimal(repr(node.value))
        if not dec.is_finite() or abs(dec.adjusted()) > MAX_LITERAL_DIGITS:
            raise self.error(node, f"number {text} out of range")
        frac = Fraction(dec)
        return sp.Rational(frac.numerator, frac.denominator)

    def segment(self, node: ast.AST) -> str:
        if node.lineno != node.end_lineno:
            return ""
        raw = self.lines[node.lineno - 1].encode("utf-8")
        return raw[node.col_offset : node.end_col_offset].decode("utf-8", "replace")

    def visit_Name(self, node: ast.Name, depth: int) -> sp.Basic:
        name = node.id
        if name in self.names:
            return self.names[name]
        if name in self.definitions:
            defn = self.definitions[name]
            if defn.params:
                raise self.error(node, f"'{name}' is a function of this file: write {name}(...)")
            return self.instantiate(node, defn, [])
        if name in self.hidden:
            raise self.error(node, f"unknown name '{name}'")
        if name in FUNCTIONS:
            raise self.error(node, f"'{name}' is a function: write {name}(...)")
        known = list(self.names) + list(FUNCTIONS) + list(self.definitions)
        raise self.error(node, _unknown(name, "name", known))

    def visit_Attribute(self, node: ast.Attribute, depth: int) -> sp.Basic:
        if node.attr != "T":
            raise self.error(node, f"attribute '.{node.attr}' is not allowed (only '.T')")
        m = self.expr(node.value, depth)
        if not model.is_matrix(m):
            raise self.error(node, "'.T' transposes a vector or matrix, not a scalar")
        return m.T

    # ---- operators ---------------------------------------------------------
    def visit_UnaryOp(self, node: ast.UnaryOp, depth: int) -> sp.Basic:
        v = self.expr(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return -v
        if isinstance(node.op, ast.UAdd):
            return v
        raise self.error(node, f"operator {_op_name(node.op)} is not allowed")

    def visit_BinOp(self, node: ast.BinOp, depth: int) -> sp.Basic:
        op = type(node.op)
        handler = _BINOPS.get(op)
        if handler is None:
            hint = " (use ** for powers)" if op is ast.BitXor else ""
            raise self.error(node, f"operator {_op_name(node.op)} is not allowed{hint}")
        left = self.expr(node.left, depth)
        right = self.expr(node.right, depth)
        return handler(self, node, left, right)

    def add(self, node, left, right, sign: int = 1):
        lm, rm = model.is_matrix(left), model.is_matrix(right)
        word = "add" if sign > 0 else "subtract"
        if lm != rm or (lm and not all(map(_same, left.shape, right.shape))):
            raise self.error(node, f"cannot {word} {_shape_text(left)} and {_shape_text(right)}")
        return left + right if sign > 0 else left - right

    def sub(self, node, left, right):
        return self.add(node, left, right, -1)

    def mul(self, node, left, right):
        lm, rm = model.is_matrix(left), model.is_matrix(right)
        if lm and rm:
            if not all(map(_same, left.shape, right.shape)):
                raise self.error(
                    node,
                    f"entrywise product '*' of {_shape_text(left)} and {_shape_text(right)} "
                    "needs equal shapes (use @ for the matrix product)",
                )
            return model.hadamard(left, right)
        if lm and not rm:
            return right * left  # scalar coefficient first
        return left * right

    def div(self, node, left, right):
        if model.is_matrix(right):
            raise self.error(node, f"cannot divide by {_shape_text(right)}")
        if right == 0:
            raise self.error(node, "division by zero")
        if model.is_matrix(left):
            return (1 / right) * left
        return left / right

    def matmul(self, node, left, right):
        if not (model.is_matrix(left) and model.is_matrix(right)):
            raise self.error(
                node,
                f"'@' multiplies vectors/matrices, got {_shape_text(left)} @ "
                f"{_shape_text(right)} (use * to scale by a scalar)",
            )
        if not _same(left.shape[1], right.shape[0]):
            raise self.error(
                node, f"'@' of {_shape_text(left)} and {_shape_text(right)}: shapes do not align"
            )
        return left @ right

    def pow(self, node, base, exponent):
        if model.is_matrix(exponent):
            raise self.error(node, "an exponent must be a scalar")
        if exponent.is_Number:
            if abs(exponent) > MAX_EXPONENT:
                raise self.error(node, f"exponent {exponent} too large (|k| <= {MAX_EXPONENT})")
            if base.is_Rational and exponent.is_Rational:
                bits = max(abs(base.p).bit_length(), abs(base.q).bit_length())
                if bits * abs(exponent.p) > MAX_RESULT_BITS:
                    raise self.error(node, "power too large to represent exactly")
                if base == 0 and exponent.is_negative:
                    raise self.error(node, "division by zero")
        if model.is_matrix(base):
            rows, cols = base.shape
            if cols == 1:
                raise self.error(node, "a vector has no power (use v * v for the entrywise square)")
            if not _same(rows, cols):
                raise self.error(node, f"power of {_shape_text(base)}, which is not square")
            if not (exponent.is_Integer and exponent > 0):
                raise self.error(node, "a matrix power needs a positive integer exponent")
            return sp.MatPow(base, exponent)
        return base**exponent

    # ---- calls -------------------------------------------------------------
    def visit_Call(self, node: ast.Call, depth: int) -> sp.Basic:
        if not isinstance(node.func, ast.Name):
            raise self.error(node, "only the named functions of the language can be called")
        name = node.func.id
        if node.keywords:
            raise self.error(node, f"keyword arguments are not allowed in {name}(...)")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.error(node, "starred arguments are not allowed")
        if name in self.definitions:
            defn = self.definitions[name]
            args = [self.expr(a, depth) for a in node.args]
            if len(args) != len(defn.params):
                raise self.error(
                    node,
                    f"{name}() of this file takes {len(defn.params)} argument(s) "
                    f"({', '.join(defn.params) or 'none'}), got {len(args)}",
                )
            return self.instantiate(node, defn, args)
        if name in self.hidden:
            raise self.error(node, f"unknown function '{name}'")
        if name in self.names:
            raise self.error(node, f"'{name}' is not a function")
        if name not in FUNCTIONS:
            known = list(FUNCTIONS) + list(self.definitions)
            raise self.error(node, _unknown(name, "function", known))
        args = [self.expr(a, depth) for a in node.args]
        return FUNCTIONS[name](self, node, args)

    def instantiate(self, node: ast.AST, defn: Definition, args: list) -> sp.Basic:
        """``defn`` at ``args``: its text parsed with its parameters bound to the
        argument expressions (so shapes come from the call), as a named node."""
        key = (defn, tuple(args))
        if key in self.memo:
            return self.memo[key]
        self.budget[0] -= 1
        if self.budget[0] < 0:
            raise self.error(node, f"more than {MAX_INSTANTIATIONS} uses of definitions")
        names = {**defn.names, **dict(zip(defn.params, args, strict=True))}
        source = "(\n" + defn.text + "\n)"
        inner = _Walker(source, names, defn.above, self.budget, self.memo, defn.hidden)
        try:
            tree = ast.parse(source, mode="eval")
            body = inner.expr(tree)
        except SyntaxError as exc:
            raise self.error(node, f"in the definition of {defn.name}: {exc.msg}") from None
        except GrammarError as exc:
            raise self.error(node, f"in the definition of {defn.name}: {exc.problem}") from None
        out = model.defined(defn.name, body, tuple(args))
        if self.tree_size(out) > MAX_TREE_NODES:
            raise self.error(
                node,
                f"{defn.name}(...) expands to more than {MAX_TREE_NODES} nodes "
                "(definitions nested too deeply)",
            )
        self.memo[key] = out
        return out

    def tree_size(self, e: sp.Basic) -> int:
        """Nodes of ``e`` counted with repetitions (what a traversal visits), shared
        sub-trees counted once each time they occur, computed bottom-up with a memo."""
        key = ("#size", e)
        if key not in self.memo:
            self.memo[key] = 1 + sum(self.tree_size(a) for a in e.args)
        return self.memo[key]


_BINOPS: dict[type, Callable] = {
    ast.Add: _Walker.add,
    ast.Sub: _Walker.sub,
    ast.Mult: _Walker.mul,
    ast.Div: _Walker.div,
    ast.MatMult: _Walker.matmul,
    ast.Pow: _Walker.pow,
}


# --------------------------------------------------------------------------
# The functions of the language
# --------------------------------------------------------------------------
def _arity(w: _Walker, node: ast.Call, args: list, counts: tuple[int, ...]) -> None:
    if len(args) not in counts:
        want = " or ".join(str(c) for c in counts)
        raise w.error(node, f"{node.func.id}() takes {want} argument(s), got {len(args)}")


def _need(w: _Walker, node: ast.AST, e: sp.Basic, what: str, kind: str) -> None:
    ok = {
        "scalar": not model.is_matrix(e),
        "vector": _is_vector(e),
        "matrix": model.is_matrix(e),
    }[kind]
    if not ok:
        raise w.error(node, f"{what} needs a {kind}, got {_shape_text(e)}")


def _scalar_or_entrywise(name: str, scalar_fn: Callable) -> Callable:
    """``exp, log, sqrt, abs``: SymPy on scalars, :class:`model.Entrywise` on vectors."""

    def build(w: _Walker, node: ast.Call, args: list) -> sp.Basic:
        _arity(w, node, args, (1,))
        (v,) = args
        if model.is_matrix(v):
            return model.Entrywise(name, v)
        return scalar_fn(v)

    return build


def _extremum(fn: Callable) -> Callable:
    def build(w: _Walker, node: ast.Call, args: list) -> sp.Basic:
        if len(args) < 2:
            raise w.error(node, f"{node.func.id}() takes at least 2 scalar arguments")
        for a, sub in zip(args, node.args, strict=True):
            _need(w, sub, a, f"{node.func.id}()", "scalar")
        return fn(*args)

    return build


def _softmax(w, node, args):
    _arity(w, node, args, (1,))
    _need(w, node.args[0], args[0], "softmax()", "vector")
    return model.Softmax(args[0])


def _two_vectors(w, node, args) -> tuple[sp.Basic, sp.Basic]:
    _arity(w, node, args, (2,))
    for a, sub in zip(args, node.args, strict=True):
        _need(w, sub, a, f"{node.func.id}()", "vector")
    return args[0], args[1]


def _dot(w, node, args):
    v, u = _two_vectors(w, node, args)
    if not _same(v.shape[0], u.shape[0]):
        raise w.error(node, f"dot() of {_shape_text(v)} and {_shape_text(u)}")
    return model.Dot(v, u)


def _outer(w, node, args):
    v, u = _two_vectors(w, node, args)
    return model.outer(v, u)


def _diag(w, node, args):
    _arity(w, node, args, (1,))
    _need(w, node.args[0], args[0], "diag()", "vector")
    return model.Diag(args[0])


def _ones(w, node, args):
    _arity(w, node, args, (1,))
    (k,) = args
    if k not in (model.n, model.d) and not (k.is_Integer and 0 < k <= 10_000):
        raise w.error(node, "ones() takes n, d or a positive integer")
    return model.ones(k)


def _col(w, node, args):
    _arity(w, node, args, (2,))
    m, i = args
    _need(w, node.args[0], m, "col()", "matrix")
    if not (i.is_Integer and i >= 1):
        raise w.error(node.args[1], "col(M, i) takes a positive integer index i (1-based)")
    return model.Col(m, i)


def _norm(kind: str) -> Callable:
    def build(w, node, args):
        _arity(w, node, args, (1,))
        need = "vector" if kind in ("1", "2", "inf") else "matrix"
        _need(w, node.args[0], args[0], f"{node.func.id}()", need)
        return model.Norm(kind, args[0])

    return build


def _derivative(cls: type, of: str) -> Callable:
    def build(w, node, args):
        _arity(w, node, args, (2,))
        s, v = args
        _need(w, node.args[0], s, f"{node.func.id}()", of)
        if not (isinstance(v, MatrixSymbol) and v.shape[1] == 1):
            raise w.error(node.args[1], f"{node.func.id}() is taken in a vector variable (x, y, b)")
        order = derivative_order(s) + (2 if cls is model.Hess else 1)
        if order > MAX_DERIVATIVE_ORDER:
            raise w.error(
                node,
                f"{node.func.id}() makes a derivative of order {order}; derivatives of order "
                f"at most {MAX_DERIVATIVE_ORDER} are supported",
            )
        return cls(s, v)

    return build


def derivative_order(e: sp.Basic) -> int:
    """The order of the deepest nest of ``grad``/``jac`` (1) and ``hess`` (2) in ``e``."""
    memo: dict[sp.Basic, int] = {}

    def order(node: sp.Basic) -> int:
        if node not in memo:
            inner = max((order(a) for a in node.args), default=0)
            if isinstance(node, model.Grad | model.Jac):
                inner = order(node.args[0]) + 1
            elif isinstance(node, model.Hess):
                inner = order(node.args[0]) + 2
            memo[node] = inner
        return memo[node]

    return order(e)


def _model_function(cls: type) -> Callable:
    """``f(x)``, ``f(At, x)``; ``c(x)``, ``c(At, x)``, ``c(x, b2)``, ``c(At, x, b2)``."""
    takes_b = "b" in cls.arity

    def build(w: _Walker, node: ast.Call, args: list) -> sp.Basic:
        name = node.func.id
        counts = (1, 2, 3) if takes_b else (1, 2)
        _arity(w, node, args, counts)
        subs = list(node.args)
        for a, sub in zip(args, subs, strict=True):
            _need(w, sub, a, f"{name}()", "matrix")
        if len(args) == 3 or (len(args) == 2 and not _is_vector(args[0])):
            doc, doc_node, args, subs = args[0], subs[0], args[1:], subs[1:]
        else:
            doc, doc_node = model.A, node
        if _is_vector(doc):
            raise w.error(doc_node, f"the document of {name}() must be a matrix")
        v, v_node = args[0], subs[0]
        _need(w, v_node, v, f"{name}()", "vector")
        if not _same(doc.shape[1], v.shape[0]):
            raise w.error(
                v_node,
                f"{name}(): {_shape_text(v)} does not fit a document of shape "
                f"({doc.shape[0]}, {doc.shape[1]})",
            )
        if not takes_b:
            return cls(doc, v)
        target = args[1] if len(args) > 1 else model.b
        if len(args) > 1:
            _need(w, subs[1], target, f"{name}()", "vector")
            if not _same(target.shape[0], doc.shape[0]):
                raise w.error(subs[1], f"{name}(): the target must have length {doc.shape[0]}")
        return cls(doc, v, target)

    return build


def _bound_variable(w, node, z, what: str) -> None:
    if not isinstance(z, sp.Symbol | MatrixSymbol) or (model.is_matrix(z) and z.shape[1] != 1):
        raise w.error(node, f"{what} binds a declared variable (a scalar or a vector)")


def _sup(w, node, args):
    """``sup(body, z, lo, hi)``: the supremum of ``body`` over ``z`` between ``lo``
    and ``hi`` (``z`` bound; a declared variable)."""
    from .rules import Sup

    _arity(w, node, args, (4,))
    body, z, lo, hi = args
    _need(w, node.args[0], body, "sup()", "scalar")
    _bound_variable(w, node.args[1], z, "sup()")
    for end, sub in ((lo, node.args[2]), (hi, node.args[3])):
        if model.is_matrix(end) != model.is_matrix(z) or (
            model.is_matrix(z) and not all(map(_same, end.shape, z.shape))
        ):
            raise w.error(sub, f"sup(): an end of the segment must have the shape of {z}")
    return Sup(body, z, lo, hi)


def _sup_unit(w, node, args):
    """``sup_unit(body, z)``: the supremum of ``body`` over unit vectors ``z``."""
    from .rules import SupUnit

    _arity(w, node, args, (2,))
    body, z = args
    _need(w, node.args[0], body, "sup_unit()", "scalar")
    _bound_variable(w, node.args[1], z, "sup_unit()")
    if not model.is_matrix(z):
        raise w.error(node.args[1], "sup_unit() is taken over a vector variable")
    return SupUnit(body, z)


def _eye(w, node, args):
    _arity(w, node, args, (1,))
    (k,) = args
    if k not in (model.n, model.d) and not (k.is_Integer and 0 < k <= 10_000):
        raise w.error(node, "eye() takes n, d or a positive integer")
    return sp.Identity(k)


FUNCTIONS: dict[str, Callable] = {
    "softmax": _softmax,
    "exp": _scalar_or_entrywise("exp", sp.exp),
    "log": _scalar_or_entrywise("log", sp.log),
    "sqrt": _scalar_or_entrywise("sqrt", sp.sqrt),
    "abs": _scalar_or_entrywise("abs", sp.Abs),
    "cosh": _scalar_or_entrywise("cosh", sp.cosh),
    "sinh": _scalar_or_entrywise("sinh", sp.sinh),
    "tanh": _scalar_or_entrywise("tanh", sp.tanh),
    "max": _extremum(sp.Max),
    "min": _extremum(sp.Min),
    "dot": _dot,
    "outer": _outer,
    "diag": _diag,
    "ones": _ones,
    "col": _col,
    "norm1": _norm("1"),
    "norm2": _norm("2"),
    "norm_inf": _norm("inf"),
    "opnorm": _norm("op"),
    "fro": _norm("fro"),
    "grad": _derivative(model.Grad, "scalar"),
    "jac": _derivative(model.Jac, "vector"),
    "hess": _derivative(model.Hess, "scalar"),
    **{name: _model_function(cls) for name, cls in model.MODEL_FUNCTIONS.items()},
    "sup": _sup,
    "sup_unit": _sup_unit,
    "eye": _eye,
}

#: The built-in model functions a file's definition may shadow.
MODEL_NAMES: frozenset[str] = frozenset(model.MODEL_FUNCTIONS)

#: Names a parameter may not take.
RESERVED_NAMES: frozenset[str] = frozenset(VARIABLES) | frozenset(SIZES) | frozenset(FUNCTIONS)


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------
def _names(parameters: Iterable[str] | Mapping[str, sp.Basic]) -> dict[str, sp.Basic]:
    names: dict[str, sp.Basic] = {**VARIABLES, **SIZES}
    items = (
        parameters.items()
        if isinstance(parameters, Mapping)
        else ((p, sp.Symbol(p, positive=True)) for p in parameters)
    )
    for name, sym in items:
        if name in RESERVED_NAMES or not name.isidentifier() or name.startswith("_"):
            raise GrammarError(f"'{name}' cannot be a parameter name")
        names[name] = sym
    return names


def _parse(
    text: str, parameters, definitions: Mapping[str, Definition] | None = None
) -> tuple[_Walker, ast.Expression]:
    if not isinstance(text, str):
        raise GrammarError(f"an expression must be a string, got {type(text).__name__}")
    if len(text) > MAX_TEXT_LENGTH:
        raise GrammarError(f"expression longer than {MAX_TEXT_LENGTH} characters")
    if not text.strip():
        raise GrammarError("empty expression")
    source = "(\n" + text + "\n)"
    walker = _Walker(source, _names(parameters), definitions)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        lineno = exc.lineno or 2
        if lineno > len(walker.lines) - 1:  # error at the closing parenthesis: end of text
            lineno, offset = len(walker.lines) - 1, len(walker.lines[-2]) + 1
        else:
            offset = exc.offset or 1
        msg = exc.msg if exc.msg != "invalid syntax" else "invalid syntax"
        raise walker.error_at(max(lineno, 2), offset - 1, f"syntax error: {msg}") from None
    except (ValueError, MemoryError, RecursionError) as exc:
        raise GrammarError(f"cannot parse: {_clean(exc)}") from None
    return walker, tree


def parse_expression(
    text: str,
    *,
    parameters: Iterable[str] | Mapping[str, sp.Basic] = (),
    definitions: Mapping[str, Definition] | None = None,
) -> sp.Basic:
    """Parse one scalar, vector or matrix expression into model nodes.

    ``parameters`` are the extra names allowed besides the variables and sizes:
    names (each becomes ``Symbol(name, positive=True)``) or a mapping of names to
    the symbols to use.  ``definitions`` are a file's own objects (resolved before
    the built-ins, so they may shadow ``u``, ``f``, ...).
    """
    walker, tree = _parse(text, parameters, definitions)
    try:
        return walker.expr(tree)
    except RecursionError:
        raise GrammarError("expression nested too deeply") from None


def parse_definition(defn: Definition, args: tuple[sp.Basic, ...] = ()) -> sp.Basic:
    """The body of ``defn`` with its parameters bound to ``args`` (no named node
    around it); a problem raises :class:`GrammarError` at its position in the text."""
    if len(args) != len(defn.params):
        raise GrammarError(f"{defn.name} takes {len(defn.params)} argument(s), got {len(args)}")
    walker, tree = _parse(defn.text, (), defn.above)
    walker.names = {**defn.names, **dict(zip(defn.params, args, strict=True))}
    walker.hidden = defn.hidden
    try:
        return walker.expr(tree)
    except RecursionError:
        raise GrammarError("expression nested too deeply") from None


def parse_relation(
    text: str,
    *,
    parameters: Iterable[str] | Mapping[str, sp.Basic] = (),
    definitions: Mapping[str, Definition] | None = None,
) -> Relation:
    """Parse ``lhs OP rhs`` with OP in ``<=, <, ==, >=, >`` (``>=``/``>`` swap the sides)."""
    walker, tree = _parse(text, parameters, definitions)
    node = tree.body
    if not isinstance(node, ast.Compare):
        try:
            walker.expr(node)  # report a problem inside the expression first
        except RecursionError:
            raise GrammarError("expression nested too deeply") from None
        raise walker.error(node, "expected a relation 'lhs <= rhs', 'lhs < rhs' or 'lhs == rhs'")
    if len(node.ops) != 1:
        raise walker.error(node, "chained comparisons are not allowed: write two statements")
    op = _COMPARISONS.get(type(node.ops[0]))
    if op is None:
        raise walker.error(node, f"comparison {_op_name(node.ops[0])} is not allowed")
    try:
        lhs = walker.expr(node.left)
        rhs = walker.expr(node.comparators[0])
    except RecursionError:
        raise GrammarError("expression nested too deeply") from None
    if op in (">", ">="):
        lhs, rhs, op = rhs, lhs, op.replace(">", "<")
    try:
        return Relation(lhs, op, rhs)
    except (TypeError, ValueError) as exc:
        hint = ""
        if model.is_matrix(lhs) or model.is_matrix(rhs):
            if op != "==":
                hint = " (an inequality compares scalars: take a norm, or dot(v, w))"
        raise walker.error(node, _clean(exc) + hint) from None


# --------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------
def _describe(node: ast.AST) -> str:
    names = {
        ast.Subscript: "subscript [...]",
        ast.Lambda: "lambda",
        ast.JoinedStr: "f-string",
        ast.Starred: "starred expression",
        ast.IfExp: "conditional expression",
        ast.BoolOp: "'and'/'or'",
        ast.NamedExpr: "assignment ':='",
        ast.List: "list",
        ast.Tuple: "tuple",
        ast.Dict: "dict",
        ast.Set: "set",
    }
    if isinstance(node, ast.Constant):
        return f"the literal {node.value!r}"[:60]
    return names.get(type(node), type(node).__name__)


def _op_name(op: ast.AST) -> str:
    symbols = {
        ast.Mod: "%",
        ast.FloorDiv: "//",
        ast.BitXor: "^",
        ast.BitAnd: "&",
        ast.BitOr: "|",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.Not: "not",
        ast.Invert: "~",
        ast.NotEq: "!=",
        ast.Is: "is",
        ast.IsNot: "is not",
        ast.In: "in",
        ast.NotIn: "not in",
    }
    return f"'{symbols.get(type(op), type(op).__name__)}'"


def _unknown(name: str, what: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    return f"unknown {what} '{name}'{hint}"


def _clean(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:300]
