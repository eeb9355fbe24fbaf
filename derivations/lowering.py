"""Lowering model expressions to entrywise SymPy.

Two targets:

* :func:`lower_explicit` - at explicit sizes ``n, d``: every matrix symbol
  becomes a :class:`sympy.Matrix` of plain real symbols (``A_{1,2}``,
  ``x_{3}``, ...) and the expression becomes a ``Matrix`` or a scalar.
* :func:`lower_entry` / :func:`lower_indexed` - at symbolic size: the generic
  entry ``(i, k)`` of the expression as a scalar built from
  :class:`sympy.IndexedBase` objects and :class:`sympy.Sum` over fresh dummy
  indices ranging over ``0 .. n-1`` (or ``d-1``).

Derivative nodes (``Grad``, ``Jac``, ``Hess``) are lowered by ``sympy.diff``
on the lowered operand, so every derivative here is *derived*, never typed in.

Index convention: internal indices are 0-based; the column index of
``Col(M, i)`` is 1-based as in the paper (``A_{*,1}`` is the first column).
"""

from __future__ import annotations

from functools import reduce

import sympy as sp
from sympy import (
    HadamardPower,
    HadamardProduct,
    Identity,
    MatAdd,
    MatMul,
    MatPow,
    MatrixSymbol,
    OneMatrix,
    Transpose,
    ZeroMatrix,
)

from . import model
from .model import Col, Diag, Dot, Entrywise, Grad, Hess, Jac, Norm, Softmax

__all__ = [
    "LoweringError",
    "explicit_symbols",
    "lower_explicit",
    "lower_entry",
    "lower_indexed",
    "index_symbols",
    "indexed_base",
]

_ENTRYWISE = {
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "abs": sp.Abs,
    "cosh": sp.cosh,
    "sinh": sp.sinh,
    "tanh": sp.tanh,
}


class LoweringError(ValueError):
    """The expression contains something that has no entrywise meaning here."""


# --------------------------------------------------------------------------
# Explicit sizes
# --------------------------------------------------------------------------
def explicit_symbols(sym: MatrixSymbol, n_value: int, d_value: int) -> sp.Matrix:
    """The matrix of plain real symbols standing for ``sym`` at sizes ``n, d``.

    Names are 1-based: ``A_{i,j}`` for a matrix, ``x_{j}`` for a vector.
    """
    rows, cols = (int(model.at_size(s, n_value, d_value)) for s in sym.shape)
    name = sym.name
    if cols == 1:
        return sp.Matrix(
            rows, 1, [sp.Symbol(f"{name}_{{{r + 1}}}", real=True) for r in range(rows)]
        )
    return sp.Matrix(
        rows,
        cols,
        [
            sp.Symbol(f"{name}_{{{r + 1},{c + 1}}}", real=True)
            for r in range(rows)
            for c in range(cols)
        ],
    )


def lower_explicit(e: sp.Basic, n_value: int, d_value: int) -> sp.Matrix | sp.Expr:
    """Lower ``e`` at sizes ``n, d`` to a ``sympy.Matrix`` (vector/matrix ``e``) or a
    scalar SymPy expression in the symbols of :func:`explicit_symbols`.

    Entries are built with plain ``Add``/``Mul`` (no ``Matrix`` arithmetic, which
    would convert to polynomial domains and expand denominators).
    """
    out = _Explicit(n_value, d_value).lower(e)
    return sp.Matrix(out.rows) if isinstance(out, _Mat) else out


class _Mat:
    """A minimal dense matrix of SymPy expressions (rows of lists)."""

    def __init__(self, rows: list[list[sp.Expr]]) -> None:
        self.rows = rows

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.rows[0])

    @classmethod
    def build(cls, r: int, c: int, fn) -> _Mat:
        return cls([[fn(p, q) for q in range(c)] for p in range(r)])

    def map(self, fn) -> _Mat:
        return _Mat([[fn(v) for v in row] for row in self.rows])

    def entries(self) -> list[sp.Expr]:
        return [v for row in self.rows for v in row]

    def zip(self, other: _Mat, fn) -> _Mat:
        if self.shape != other.shape:
            raise LoweringError(f"shapes {self.shape} and {other.shape} differ")
        return _Mat(
            [
                [fn(p, q) for p, q in zip(r1, r2, strict=True)]
                for r1, r2 in zip(self.rows, other.rows, strict=True)
            ]
        )

    @property
    def T(self) -> _Mat:
        r, c = self.shape
        return _Mat.build(c, r, lambda p, q: self.rows[q][p])

    def matmul(self, other: _Mat) -> _Mat:
        r, k = self.shape
        k2, c = other.shape
        if k != k2:
            raise LoweringError(f"cannot multiply shapes {self.shape} and {other.shape}")
        return _Mat.build(
            r, c, lambda p, q: sp.Add(*[self.rows[p][m] * other.rows[m][q] for m in range(k)])
        )


def _times(p, q):
    """Product of two lowered operands (scalar or :class:`_Mat`)."""
    if isinstance(p, _Mat) and isinstance(q, _Mat):
        return p.matmul(q)
    if isinstance(p, _Mat):
        return p.map(lambda v: v * q)
    if isinstance(q, _Mat):
        return q.map(lambda v: p * v)
    return p * q


class _Explicit:
    def __init__(self, n_value: int, d_value: int) -> None:
        if n_value < 1 or d_value < 1:
            raise LoweringError(f"sizes must be positive, got n={n_value}, d={d_value}")
        self.n, self.d = n_value, d_value
        self.cache: dict[sp.Basic, sp.Basic] = {}

    def size(self, s: sp.Expr) -> int:
        v = model.at_size(sp.sympify(s), self.n, self.d)
        if not v.is_Integer:
            raise LoweringError(f"size {s} is not a number at n={self.n}, d={self.d}")
        return int(v)

    def lower(self, e: sp.Basic):
        if e in self.cache:
            return self.cache[e]
        out = self._lower(e)
        self.cache[e] = out
        return out

    def square(self, e) -> int:
        return self.size(e.shape[0])

    def _lower(self, e: sp.Basic):
        L = self.lower
        if isinstance(e, model._Named):
            return L(e.definition)
        if isinstance(e, MatrixSymbol):
            return _Mat(explicit_symbols(e, self.n, self.d).tolist())
        if isinstance(e, (OneMatrix, ZeroMatrix, Identity)):
            r, c = self.size(e.shape[0]), self.size(e.shape[1])
            if isinstance(e, OneMatrix):
                return _Mat.build(r, c, lambda p, q: sp.S.One)
            if isinstance(e, ZeroMatrix):
                return _Mat.build(r, c, lambda p, q: sp.S.Zero)
            return _Mat.build(r, c, lambda p, q: sp.S.One if p == q else sp.S.Zero)
        if isinstance(e, MatAdd):
            parts = [L(a) for a in e.args]
            return reduce(lambda p, q: p.zip(q, lambda s, t: s + t), parts)
        if isinstance(e, MatMul):
            return reduce(_times, [L(a) for a in e.args])
        if isinstance(e, HadamardProduct):
            return reduce(lambda p, q: p.zip(q, lambda s, t: s * t), [L(a) for a in e.args])
        if isinstance(e, HadamardPower):
            k = L(e.exp)
            return L(e.base).map(lambda v: v**k)
        if isinstance(e, Transpose):
            return L(e.arg).T
        if isinstance(e, MatPow):
            return self._power(e)
        if isinstance(e, Entrywise):
            return L(e.arg).map(_ENTRYWISE[e.fn])
        if isinstance(e, Softmax):
            ex = L(e.args[0]).map(sp.exp)
            total = sp.Add(*ex.entries())
            return ex.map(lambda v: v / total)
        if isinstance(e, Diag):
            v = L(e.args[0]).entries()
            return _Mat.build(len(v), len(v), lambda p, q: v[p] if p == q else sp.S.Zero)
        if isinstance(e, Col):
            m, i = L(e.args[0]), e.args[1]
            if not sp.sympify(i).is_Integer:
                raise LoweringError(f"column index {i} must be a number at explicit size")
            if not 1 <= int(i) <= m.shape[1]:
                raise LoweringError(f"column {i} out of range 1..{m.shape[1]}")
            return _Mat([[row[int(i) - 1]] for row in m.rows])
        if isinstance(e, Dot):
            v, w = L(e.args[0]).entries(), L(e.args[1]).entries()
            return sp.Add(*[p * q for p, q in zip(v, w, strict=True)])
        if isinstance(e, Norm):
            return self._norm(e.kind, L(e.arg).entries())
        if isinstance(e, Grad):
            s, v = L(e.args[0]), L(e.args[1]).entries()
            return _Mat([[sp.diff(s, vj)] for vj in v])
        if isinstance(e, Jac):
            w, v = L(e.args[0]).entries(), L(e.args[1]).entries()
            return _Mat.build(len(w), len(v), lambda p, q: sp.diff(w[p], v[q]))
        if isinstance(e, Hess):
            s, v = L(e.args[0]), L(e.args[1]).entries()
            g = [sp.diff(s, vj) for vj in v]
            return _Mat.build(len(v), len(v), lambda p, q: sp.diff(g[p], v[q]))
        if isinstance(e, sp.MatrixExpr):
            raise LoweringError(f"cannot lower the matrix node {type(e).__name__}")
        if e in (model.n, model.d):
            return sp.Integer(self.n if e == model.n else self.d)
        if not e.args:
            return e
        return e.func(*[L(a) for a in e.args])

    def _power(self, e: MatPow) -> _Mat:
        k = sp.sympify(e.exp)
        if not k.is_Integer:
            raise LoweringError(f"matrix power with exponent {k}")
        if isinstance(e.base, Diag):
            v = self.lower(e.base.args[0]).entries()
            return _Mat.build(len(v), len(v), lambda p, q: v[p] ** k if p == q else sp.S.Zero)
        if k < 1:
            raise LoweringError("negative matrix powers are lowered for diagonal matrices only")
        m = self.lower(e.base)
        return reduce(lambda p, q: p.matmul(q), [m] * int(k))

    @staticmethod
    def _norm(kind: str, m: list[sp.Expr]) -> sp.Expr:
        if kind in ("2", "fro"):
            return sp.sqrt(sp.Add(*[v**2 for v in m]))
        if kind == "1":
            return sp.Add(*[sp.Abs(v) for v in m])
        if kind == "inf":
            return sp.Max(*[sp.Abs(v) for v in m])
        raise LoweringError("the spectral norm has no entrywise closed form")


# --------------------------------------------------------------------------
# Symbolic sizes: IndexedBase / Sum
# --------------------------------------------------------------------------
_BASES: dict[str, sp.IndexedBase] = {}


def indexed_base(sym: MatrixSymbol) -> sp.IndexedBase:
    """The real ``IndexedBase`` standing for the matrix symbol ``sym``."""
    if sym.name not in _BASES:
        _BASES[sym.name] = sp.IndexedBase(sym.name, real=True)
    return _BASES[sym.name]


#: The free entry indices used by :func:`lower_indexed` (row, column).
index_symbols = (sp.Symbol("_row", integer=True), sp.Symbol("_col", integer=True))


def lower_indexed(e: sp.Basic) -> sp.Expr:
    """The generic entry of ``e`` at symbolic size: ``e_i`` (index ``i``) for a
    vector, ``e_{i,k}`` for a matrix, ``e`` itself lowered for a scalar."""
    i, k = index_symbols
    if not model.is_matrix(e):
        return lower_entry(e)
    if e.shape[1] == 1:
        return lower_entry(e, i, sp.S.Zero)
    return lower_entry(e, i, k)


def lower_entry(e: sp.Basic, r: sp.Expr | None = None, c: sp.Expr | None = None) -> sp.Expr:
    """Entry ``(r, c)`` (0-based, possibly symbolic) of a matrix expression, or the
    lowered form of a scalar expression (``r = c = None``)."""
    return _Indexed().entry(e, r, c)


def _is_one(s: sp.Expr) -> bool:
    return sp.sympify(s) == 1


class _Indexed:
    def __init__(self) -> None:
        self.counter = 0
        self.cache: dict[tuple, sp.Expr] = {}

    def dummy(self) -> sp.Symbol:
        self.counter += 1
        return sp.Dummy(f"j{self.counter}", integer=True)

    def summed(self, body_of, upper: sp.Expr) -> sp.Expr:
        """``Sum_j body_of(j)`` over ``j = 0..upper-1`` (no sum for length 1)."""
        if _is_one(upper):
            return body_of(sp.S.Zero)
        j = self.dummy()
        return sp.Sum(body_of(j), (j, 0, upper - 1))

    def entry(self, e: sp.Basic, r, c) -> sp.Expr:
        """Entry ``(r, c)``; equal sub-trees at equal indices are built once, so
        repeated sub-expressions (``alpha`` in ``f`` and ``c``) share their dummies."""
        key = (e, r, c)
        if key not in self.cache:
            self.cache[key] = self._entry(e, r, c)
        return self.cache[key]

    def _entry(self, e: sp.Basic, r, c) -> sp.Expr:
        E = self.entry
        if not model.is_matrix(e):
            return self.scalar(e)
        if isinstance(e, model._Named):
            return E(e.definition, r, c)
        if isinstance(e, MatrixSymbol):
            base = indexed_base(e)
            return base[r] if _is_one(e.shape[1]) else base[r, c]
        if isinstance(e, OneMatrix):
            return sp.S.One
        if isinstance(e, ZeroMatrix):
            return sp.S.Zero
        if isinstance(e, Identity):
            return sp.KroneckerDelta(r, c)
        if isinstance(e, MatAdd):
            return sp.Add(*[E(a, r, c) for a in e.args])
        if isinstance(e, MatMul):
            scalars = [a for a in e.args if not model.is_matrix(a)]
            mats = [a for a in e.args if model.is_matrix(a)]
            coeff = sp.Mul(*[self.scalar(s) for s in scalars])
            return coeff * self.chain(mats, r, c)
        if isinstance(e, HadamardProduct):
            return sp.Mul(*[E(a, r, c) for a in e.args])
        if isinstance(e, HadamardPower):
            return E(e.base, r, c) ** self.scalar(e.exp)
        if isinstance(e, Transpose):
            return E(e.arg, c, r)
        if isinstance(e, MatPow):
            k = sp.sympify(e.exp)
            if not (k.is_Integer):
                raise LoweringError(f"matrix power with exponent {k}")
            if isinstance(e.base, Diag):
                return sp.KroneckerDelta(r, c) * E(e.base.args[0], r, sp.S.Zero) ** k
            if k < 1:
                raise LoweringError("negative matrix powers are lowered for diagonal matrices only")
            return self.chain([e.base] * int(k), r, c)
        if isinstance(e, Entrywise):
            return _ENTRYWISE[e.fn](E(e.arg, r, c))
        if isinstance(e, Softmax):
            v = e.args[0]
            num = sp.exp(E(v, r, sp.S.Zero))
            den = self.summed(lambda j: sp.exp(E(v, j, sp.S.Zero)), v.shape[0])
            return num / den
        if isinstance(e, Diag):
            return sp.KroneckerDelta(r, c) * E(e.args[0], r, sp.S.Zero)
        if isinstance(e, Col):
            return E(e.args[0], r, sp.sympify(e.args[1]) - 1)
        if isinstance(e, Grad):
            s, v = e.args
            return sp.diff(self.scalar(s), E(v, r, sp.S.Zero))
        if isinstance(e, Jac):
            w, v = e.args
            return sp.diff(E(w, r, sp.S.Zero), E(v, c, sp.S.Zero))
        if isinstance(e, Hess):
            s, v = e.args
            return sp.diff(self.scalar(s), E(v, r, sp.S.Zero), E(v, c, sp.S.Zero))
        raise LoweringError(f"cannot lower the matrix node {type(e).__name__}")

    def chain(self, mats: list, r, c) -> sp.Expr:
        """Entry ``(r, c)`` of the product ``M_1 M_2 ... M_m``."""
        if not mats:
            return sp.KroneckerDelta(r, c)
        if len(mats) == 1:
            return self.entry(mats[0], r, c)
        head, rest = mats[0], mats[1:]
        return self.summed(lambda j: self.entry(head, r, j) * self.chain(rest, j, c), head.shape[1])

    def scalar(self, e: sp.Basic) -> sp.Expr:
        if model.is_matrix(e):
            raise LoweringError(f"expected a scalar, got shape {e.shape}")
        if isinstance(e, model._Named):
            return self.scalar(e.definition)
        if isinstance(e, Dot):
            v, w = e.args
            z = sp.S.Zero
            return self.summed(lambda j: self.entry(v, j, z) * self.entry(w, j, z), v.shape[0])
        if isinstance(e, Norm):
            v, z = e.arg, sp.S.Zero
            if e.kind in ("2", "fro"):
                rows, cols = v.shape
                return sp.sqrt(
                    self.summed(
                        lambda j: self.summed(lambda m: self.entry(v, j, m) ** 2, cols), rows
                    )
                )
            if e.kind == "1":
                return self.summed(lambda j: sp.Abs(self.entry(v, j, z)), v.shape[0])
            raise LoweringError(f"the norm {e.kind} has no Sum form")
        if not e.args:
            return e
        return e.func(*[self.scalar(a) for a in e.args])
