"""Lowering of model expressions (``softproof.derivations.model``) to an evaluation plan.

A plan is a list of :class:`Op` in topological order; every backend (float64
batches, Arb balls, mpmath) executes the same plan, so no evaluator is ever
written per lemma.  Lowering walks the SymPy tree once; structurally equal
subtrees (``f(x)`` occurs many times) become one op.

Rewrites made while lowering (all exact identities):

- ``F(A, x)`` and ``Softmax(v)`` become a max-shifted softmax of ``Ax`` (D3);
  ``Alpha(A, x)`` a shifted sum of exponentials (D2) and ``log(Alpha)`` a
  log-sum-exp; other named functions are unfolded through ``.definition``.
- Matrix products are applied right to left onto their rightmost factor, with
  sums distributed (``(diag(f) - f f^T) c = f o c - f (f^T c)``), ``Diag(v) M``
  as a row scaling and integer powers as repeated application, so no ``n x n``
  matrix is formed when the product ends in a vector or a thin matrix.
- Derivative nodes (``Grad``, ``Jac``, ``Hess``) are first replaced through
  ``softproof.derivations.calculus.differentiate``.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from sympy import MatrixExpr

from softproof.derivations import model

__all__ = ["Op", "Plan", "lower", "lower_many", "is_column"]


@dataclass(frozen=True)
class Op:
    """One evaluation step: ``kind`` applied to earlier results ``args``.

    ``data`` holds static information (a name, a constant, a norm kind, a
    shape as SymPy expressions in ``n`` and ``d``).
    """

    kind: str
    args: tuple[int, ...] = ()
    data: Any = None


@dataclass(frozen=True)
class Plan:
    """Ops in topological order; ``out`` is the index of the result.

    ``shape`` is the SymPy shape of the result (``None`` for a scalar).
    """

    ops: tuple[Op, ...]
    out: int
    shape: tuple[sp.Expr, sp.Expr] | None

    @property
    def is_scalar(self) -> bool:
        return self.shape is None

    @property
    def is_column(self) -> bool:
        return self.shape is not None and self.shape[1] == 1


def is_column(e: sp.Basic) -> bool:
    """True for a column vector expression (shape ``(k, 1)``)."""
    return isinstance(e, MatrixExpr) and bool(sp.Eq(e.shape[1], 1) is sp.true)


_DERIVATIVES = (model.Grad, model.Jac, model.Hess)


def _has_derivative(e: sp.Basic) -> bool:
    return any(isinstance(node, _DERIVATIVES) for node in sp.preorder_traversal(e))


def _exact_number(v: sp.Basic) -> sp.Basic:
    """An exact plan constant: a SymPy Float becomes the rational number its decimal
    text denotes (``0.01`` means 1/100, not the nearest double); a rational or a
    number symbol (``E``, ``pi``) stays as it is, for each backend to enclose; an
    infinity, ``nan`` or a complex number has no evaluation."""
    if isinstance(v, sp.Float):
        if not v.is_finite:
            raise NotImplementedError(f"no numeric evaluation for the number {v}")
        return sp.Rational(str(v))
    if isinstance(v, sp.Rational | sp.NumberSymbol):
        return v
    raise NotImplementedError(f"no numeric evaluation for the number {v}")


class _Lowerer:
    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.memo: dict[Any, int] = {}

    def emit(self, kind: str, args: tuple[int, ...] = (), data: Any = None) -> int:
        key = (kind, args, data)
        if key in self.memo:
            return self.memo[key]
        self.ops.append(Op(kind, args, data))
        idx = len(self.ops) - 1
        self.memo[key] = idx
        return idx

    # -- scalars and matrices -------------------------------------------------
    def lower(self, e: sp.Basic) -> int:
        key = ("expr", e)
        if key in self.memo:
            return self.memo[key]
        idx = self._lower(e)
        self.memo[key] = idx
        return idx

    def _lower(self, e: sp.Basic) -> int:  # noqa: C901 - one dispatch table
        if isinstance(e, MatrixExpr):
            return self._lower_matrix(e)
        if isinstance(e, model.Alpha):
            return self.emit("sumexp", (self.lower(sp.MatMul(*e.args)),))
        if isinstance(e, model.ModelScalar):
            return self.lower(e.definition)
        if isinstance(e, model.Dot):
            return self.emit("dot", (self.lower(e.args[0]), self.lower(e.args[1])))
        if isinstance(e, model.Norm):
            return self.emit("norm", (self.lower(e.arg),), e.kind)
        if isinstance(e, sp.Symbol):
            if e.name in ("n", "d"):
                return self.emit("size", (), e.name)
            return self.emit("param", (), e.name)
        if isinstance(e, sp.Number | sp.NumberSymbol):
            return self.emit("const", (), _exact_number(e))
        if isinstance(e, sp.Add):
            return self.emit("add", tuple(self.lower(a) for a in e.args))
        if isinstance(e, sp.Mul):
            return self.emit("mul", tuple(self.lower(a) for a in e.args))
        if isinstance(e, sp.Pow):
            base, ex = e.args
            if ex.is_Number:
                return self.emit("powc", (self.lower(base),), _exact_number(ex))
            return self.emit("exp", (self.emit("mul", (self.lower(ex), self._log(base))),))
        if isinstance(e, sp.exp):
            return self.emit("exp", (self.lower(e.args[0]),))
        if isinstance(e, sp.cosh | sp.sinh | sp.tanh):
            return self.emit(type(e).__name__, (self.lower(e.args[0]),))
        if isinstance(e, sp.log):
            if len(e.args) != 1:
                raise NotImplementedError(f"log with a base is not supported: {e}")
            return self._log(e.args[0])
        if isinstance(e, sp.Abs):
            return self.emit("abs", (self.lower(e.args[0]),))
        if isinstance(e, sp.Max):
            return self.emit("max", tuple(self.lower(a) for a in e.args))
        if isinstance(e, sp.Min):
            return self.emit("min", tuple(self.lower(a) for a in e.args))
        raise NotImplementedError(f"no numeric evaluation for {type(e).__name__}: {e}")

    def _log(self, base: sp.Basic) -> int:
        if isinstance(base, model.Alpha):
            return self.emit("logsumexp", (self.lower(sp.MatMul(*base.args)),))
        return self.emit("log", (self.lower(base),))

    def _lower_matrix(self, e: MatrixExpr) -> int:  # noqa: C901
        if isinstance(e, model.F):
            return self.emit("softmax", (self.lower(sp.MatMul(*e.args)),))
        if isinstance(e, model.Softmax):
            return self.emit("softmax", (self.lower(e.args[0]),))
        if isinstance(e, model.U):
            return self.emit("entrywise", (self.lower(sp.MatMul(*e.args)),), "exp")
        if isinstance(e, model.ModelVector):
            return self.lower(e.definition)
        if isinstance(e, sp.MatrixSymbol):
            return self.emit("var", (), (e.name, is_column(e)))
        if isinstance(e, sp.MatAdd):
            return self.emit("matadd", tuple(self.lower(a) for a in e.args))
        if isinstance(e, sp.MatMul):
            return self._product(e)
        if isinstance(e, sp.MatPow):
            return self._product(e)
        if isinstance(e, sp.HadamardPower):
            base, ex = e.args
            if not ex.is_Number:
                raise NotImplementedError(f"only numeric entrywise powers: {e}")
            return self.emit("hadpow", (self.lower(base),), _exact_number(ex))
        if isinstance(e, sp.HadamardProduct):
            return self.emit("hadamard", tuple(self.lower(a) for a in e.args))
        if isinstance(e, sp.Transpose):
            return self.emit("transpose", (self.lower(e.arg),))
        if isinstance(e, sp.OneMatrix):
            return self.emit("ones", (), tuple(e.shape))
        if isinstance(e, sp.ZeroMatrix):
            return self.emit("zeros", (), tuple(e.shape))
        if isinstance(e, sp.Identity):
            return self.emit("identity", (), tuple(e.shape))
        if isinstance(e, model.Entrywise):
            return self.emit("entrywise", (self.lower(e.arg),), e.fn)
        if isinstance(e, model.Diag):
            return self.emit("diag", (self.lower(e.args[0]),))
        if isinstance(e, model.Col):
            i = e.args[1]
            if i.is_Integer:
                return self.emit("col", (self.lower(e.args[0]),), int(i))
            return self.emit("colsym", (self.lower(e.args[0]), self.lower(i)))
        raise NotImplementedError(f"no numeric evaluation for {type(e).__name__}: {e}")

    # -- products ----------------------------------------------------------------
    def _product(self, e: MatrixExpr) -> int:
        """Lower a product by applying its factors right to left onto the
        rightmost factor."""
        scalars, mats = _split_product(e)
        acc = self.lower(mats[-1])
        for m in reversed(mats[:-1]):
            acc = self.apply_left(m, acc)
        return self._scale(scalars, acc)

    def _scale(self, scalars: list[sp.Basic], acc: int) -> int:
        if not scalars:
            return acc
        coeff = self.lower(sp.Mul(*scalars)) if len(scalars) > 1 else self.lower(scalars[0])
        return self.emit("scale", (coeff, acc))

    def apply_left(self, m: sp.Basic, acc: int) -> int:
        """Index of ``m @ value(acc)``."""
        key = ("apply", m, acc)
        if key in self.memo:
            return self.memo[key]
        idx = self._apply_left(m, acc)
        self.memo[key] = idx
        return idx

    def _apply_left(self, m: sp.Basic, acc: int) -> int:
        if isinstance(m, model.Diag):
            return self.emit("diagmul", (self.lower(m.args[0]), acc))
        if isinstance(m, sp.Identity):
            return acc
        if isinstance(m, sp.MatMul | sp.MatPow):
            scalars, mats = _split_product(m)
            for f in reversed(mats):
                acc = self.apply_left(f, acc)
            return self._scale(scalars, acc)
        if isinstance(m, sp.MatAdd):
            return self.emit("matadd", tuple(self.apply_left(a, acc) for a in m.args))
        if isinstance(m, sp.Transpose) and isinstance(m.arg, model.Diag):
            return self.apply_left(m.arg, acc)
        if isinstance(m, model.ModelVector) and not isinstance(m, model.F | model.U):
            return self.apply_left(m.definition, acc)
        return self.emit("matmul", (self.lower(m), acc))


def _split_product(e: MatrixExpr) -> tuple[list[sp.Basic], list[MatrixExpr]]:
    """Scalar coefficients and matrix factors of a MatMul or MatPow."""
    if isinstance(e, sp.MatPow):
        base, k = e.args
        if not (k.is_Integer and int(k) >= 1):
            raise NotImplementedError(f"only positive integer matrix powers: {e}")
        return [], [base] * int(k)
    scalars = [a for a in e.args if not isinstance(a, MatrixExpr)]
    mats: list[MatrixExpr] = []
    for a in e.args:
        if isinstance(a, sp.MatPow):
            mats.extend(_split_product(a)[1])
        elif isinstance(a, MatrixExpr):
            mats.append(a)
    return scalars, mats


def lower(expr: sp.Basic) -> Plan:
    """Lower a model expression (scalar or matrix) to a :class:`Plan`."""
    expr = sp.sympify(expr)
    if _has_derivative(expr):
        from softproof.derivations.calculus import differentiate

        expr = differentiate(expr)
    low = _Lowerer()
    out = low.lower(expr)
    shape = tuple(expr.shape) if isinstance(expr, MatrixExpr) else None
    return Plan(tuple(low.ops), out, shape)


def lower_many(exprs: list[sp.Basic]) -> list[Plan]:
    """Lower several expressions into plans sharing one op list, so common
    subexpressions (``f(x)`` in a claim and its hypotheses) are computed once
    when the plans are executed together (see :func:`execute_all`)."""
    exprs = [sp.sympify(e) for e in exprs]
    if any(_has_derivative(e) for e in exprs):
        from softproof.derivations.calculus import differentiate

        exprs = [differentiate(e) if _has_derivative(e) else e for e in exprs]
    low = _Lowerer()
    outs = [low.lower(e) for e in exprs]
    ops = tuple(low.ops)
    return [
        Plan(ops, out, tuple(e.shape) if isinstance(e, MatrixExpr) else None)
        for out, e in zip(outs, exprs, strict=True)
    ]


# --------------------------------------------------------------------------
# Executing plans (every backend)
# --------------------------------------------------------------------------
#: ops whose ``data`` is their only input
_LEAVES = ("var", "param", "size", "const", "ones", "zeros", "identity")

_PLANS: dict[Any, Plan] = {}


def cached_plan(expr: sp.Basic) -> Plan:
    """:func:`lower` of ``expr``, cached by expression (not cached if unhashable)."""
    try:
        return _PLANS[expr]
    except KeyError:
        _PLANS[expr] = plan = lower(expr)
        return plan
    except TypeError:
        return lower(expr)


def execute_all(ops: tuple, run: Any) -> list[Any]:
    """Values of every op, executed in order with the backend object ``run``."""
    vals: list[Any] = [None] * len(ops)
    for i, op in enumerate(ops):
        fn = getattr(run, op.kind)
        if op.kind in _LEAVES:
            vals[i] = fn(op.data)
        elif op.data is None:
            vals[i] = fn(*(vals[j] for j in op.args))
        else:
            vals[i] = fn(*(vals[j] for j in op.args), op.data)
    return vals


def execute(plan: Plan, run: Any) -> Any:
    """Execute ``plan`` with the backend object ``run``."""
    return execute_all(plan.ops, run)[plan.out]


# --------------------------------------------------------------------------
# Shared by the backends that run a plan on one instance (Arb, mpmath)
# --------------------------------------------------------------------------
def resolve_dim(dim: sp.Basic, sizes: Mapping[str, int]) -> int:
    """A symbolic dimension (in ``n``, ``d``) as an integer."""
    if dim.is_Integer:
        return int(dim)
    missing = {s.name for s in dim.free_symbols} - set(sizes)
    if missing:
        raise KeyError(f"size {', '.join(sorted(missing))} is unknown: give A, b, x or y")
    return int(dim.subs({model.n: sizes.get("n", 0), model.d: sizes.get("d", 0)}))


class InstanceRun:
    """Variable, parameter and size lookups of a backend that runs a plan on one
    instance; ``n`` and ``d`` are read off the shapes of ``A``/``At``, ``b``,
    ``x``/``y``.  Subclasses give :meth:`dims` of a matrix value and
    :meth:`number` (an integer as a backend number)."""

    def __init__(self, inst: Mapping[str, Any]) -> None:
        self.inst = inst
        self.sizes: dict[str, int] = {}
        for name in ("A", "At"):
            if name in inst:
                rows, cols = self.dims(inst[name])
                self.sizes.setdefault("n", rows)
                self.sizes.setdefault("d", cols)
        for name, size in (("b", "n"), ("x", "d"), ("y", "d")):
            if name in inst:
                self.sizes.setdefault(size, self.dims(inst[name])[0])

    @staticmethod
    def dims(value: Any) -> tuple[int, int]:  # pragma: no cover - overridden
        raise NotImplementedError

    @staticmethod
    def number(k: int) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    #: the backend's own matrix types (kept or converted as matrices)
    matrix_types: tuple[type, ...] = ()

    @staticmethod
    def to_matrix(value: Any, column: bool) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @staticmethod
    def to_scalar(value: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @classmethod
    def convert(cls, instance: Mapping[str, Any]) -> dict[str, Any]:
        """Convert an instance once into backend values: ``A``/``At`` as matrices,
        ``x``/``y``/``b`` as columns, other arrays by their shape, numbers as
        scalars; a derived parameter (a SymPy expression such as ``exp(-R**2)``)
        is evaluated in the backend after the values it uses."""
        out: dict[str, Any] = {}
        deferred: list[tuple[str, sp.Expr]] = []
        for name, v in instance.items():
            if isinstance(v, sp.Expr) and not v.is_Number:
                deferred.append((name, v))
            elif name in ("A", "At"):
                out[name] = cls.to_matrix(v, column=False)
            elif name in ("x", "y", "b"):
                out[name] = cls.to_matrix(v, column=True)
            elif isinstance(v, cls.matrix_types):
                out[name] = cls.to_matrix(v, column=False)  # kept or converted as is
            elif np.ndim(v) >= 1 and not isinstance(v, str):
                out[name] = cls.to_matrix(v, column=np.ndim(v) == 1)
            else:
                out[name] = cls.to_scalar(v)
        for name, expr in deferred:
            out[name] = execute(cached_plan(expr), cls(out))
        return out

    def var(self, data):
        name, _column = data
        if name not in self.inst:
            raise KeyError(f"no value for the variable {name}")
        return self.inst[name]

    def param(self, name):
        if name not in self.inst:
            raise KeyError(f"no value for the parameter {name}")
        return self.inst[name]

    def size(self, name):
        if name not in self.sizes:
            raise KeyError(f"size {name} is unknown: give A, b, x or y")
        return self.number(self.sizes[name])

    def _shape(self, data):
        return tuple(resolve_dim(k, self.sizes) for k in data)

    # operations both backends' matrix types (arb_mat, mpmath.matrix) provide
    def matadd(self, *a):
        return functools.reduce(operator.add, a)

    def scale(self, s, m):
        return m * s

    def matmul(self, a, b):
        return a * b
