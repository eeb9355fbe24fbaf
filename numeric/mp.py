"""Arbitrary-precision reference evaluation of model expressions (mpmath).

Executes the same plan as the float64 and Arb evaluators
(:mod:`softproof.numeric.exprplan`) with ``mpmath.mpf`` scalars and ``mpmath.matrix``
vectors/matrices at ``dps`` decimal digits.  Not rigorous (rounding is not
tracked): it is the independent high-precision cross-check of the Arb
confirmation.  The spectral norm is the largest singular value from
``mpmath.svd_r``.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from functools import reduce
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from flint import arb, arb_mat

from .exprplan import InstanceRun, cached_plan, execute

__all__ = ["to_mpf", "to_mp_instance", "evaluate_mp", "MpEvaluator", "mp_to_numpy"]

_mp = mpmath.mp


def to_mpf(value: Any) -> mpmath.mpf:
    """A float exactly, a Fraction or decimal string rounded at the current
    precision, an ``arb`` ball by its (exact) midpoint."""
    if isinstance(value, mpmath.mpf):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, arb):
        man, exp = value.mid().man_exp()
        return mpmath.ldexp(_mp.mpf(int(man)), int(exp))
    if isinstance(value, Fraction):
        return _mp.mpf(value.numerator) / value.denominator
    if isinstance(value, str):
        return _mp.mpf(value)
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int | np.integer):
        return _mp.mpf(int(value))
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            raise ValueError(f"not a finite number: {value}")
        return _mp.mpf(float(value))
    if isinstance(value, sp.Float):
        value = sp.Rational(str(value))
    if isinstance(value, sp.Rational):
        return _mp.mpf(int(value.p)) / int(value.q)
    raise TypeError(f"cannot convert {type(value).__name__} to mpf")


def _to_matrix(value: Any, column: bool) -> mpmath.matrix:
    if isinstance(value, mpmath.matrix):
        return value
    if isinstance(value, arb_mat):
        r, c = value.nrows(), value.ncols()
        m = _mp.matrix(r, c)
        for i, e in enumerate(value.entries()):
            m[i // c, i % c] = to_mpf(e)
        return m
    arr = np.asarray(value, dtype=object)
    if column:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ValueError(f"expected a matrix, got shape {arr.shape}")
    r, c = arr.shape
    m = _mp.matrix(r, c)
    for i in range(r):
        for j in range(c):
            m[i, j] = to_mpf(arr[i, j])
    return m


def to_mp_instance(instance: Mapping[str, Any]) -> dict[str, Any]:
    """Convert an instance once (at the current ``mp.dps``)."""
    return _MpRun.convert(instance)


def mp_to_numpy(m: mpmath.matrix) -> np.ndarray:
    """Round an mpmath matrix to float64."""
    return np.array(m.tolist(), dtype=float)


def _entries(m: mpmath.matrix) -> list:
    return [m[i, j] for i in range(m.rows) for j in range(m.cols)]


def _from(r: int, c: int, ents: list) -> mpmath.matrix:
    m = _mp.matrix(r, c)
    for k, e in enumerate(ents):
        m[k // c, k % c] = e
    return m


class _MpRun(InstanceRun):
    @staticmethod
    def dims(value: mpmath.matrix) -> tuple[int, int]:
        return value.rows, value.cols

    @staticmethod
    def number(k: int) -> mpmath.mpf:
        return _mp.mpf(k)

    matrix_types = (mpmath.matrix, arb_mat)
    to_matrix = staticmethod(_to_matrix)
    to_scalar = staticmethod(to_mpf)

    def const(self, v):
        """A plan constant at the working precision (``mp.dps`` of the call)."""
        if isinstance(v, sp.Rational):
            return _mp.mpf(int(v.p)) / int(v.q)
        if v is sp.GoldenRatio:
            return +_mp.phi
        name = {sp.pi: "pi", sp.E: "e", sp.EulerGamma: "euler", sp.Catalan: "catalan"}.get(v)
        if name is None:
            raise NotImplementedError(f"no mpf for the constant {v}")
        return +getattr(_mp, name)

    def ones(self, data):
        r, c = self._shape(data)
        return _from(r, c, [_mp.mpf(1)] * (r * c))

    def zeros(self, data):
        return _mp.matrix(*self._shape(data))

    def identity(self, data):
        r, c = self._shape(data)
        return _from(r, c, [_mp.mpf(int(i == j)) for i in range(r) for j in range(c)])

    def add(self, *a):
        return reduce(lambda p, q: p + q, a)

    def mul(self, *a):
        return reduce(lambda p, q: p * q, a)

    def powc(self, base, ex):
        if ex == sp.Rational(1, 2):
            return _mp.sqrt(base)
        if ex.is_Integer:
            return base ** int(ex)
        return base ** (_mp.mpf(int(ex.p)) / int(ex.q))

    def exp(self, a):
        return _mp.exp(a)

    def cosh(self, a):
        return _mp.cosh(a)

    def sinh(self, a):
        return _mp.sinh(a)

    def tanh(self, a):
        return _mp.tanh(a)

    def log(self, a):
        return _mp.log(a)

    def abs(self, a):
        return abs(a)

    def max(self, *a):
        return max(a)

    def min(self, *a):
        return min(a)

    def dot(self, v, w):
        return _mp.fsum(p * q for p, q in zip(_entries(v), _entries(w), strict=True))

    def norm(self, v, kind):
        ents = _entries(v)
        if kind in ("2", "fro") or (kind == "op" and 1 in (v.rows, v.cols)):
            return _mp.sqrt(_mp.fsum(e * e for e in ents))
        if kind == "1":
            return _mp.fsum(abs(e) for e in ents)
        if kind == "inf":
            return max(abs(e) for e in ents)
        if kind == "op":
            return max(_mp.svd_r(v, compute_uv=False))
        raise ValueError(f"unknown norm {kind}")

    def _shifted(self, z):
        ents = _entries(z)
        m = max(ents)
        return [_mp.exp(e - m) for e in ents], m

    def sumexp(self, z):
        ex, m = self._shifted(z)
        return _mp.exp(m) * _mp.fsum(ex)

    def logsumexp(self, z):
        ex, m = self._shifted(z)
        return m + _mp.log(_mp.fsum(ex))

    def softmax(self, z):
        ex, _ = self._shifted(z)
        s = _mp.fsum(ex)
        return _from(z.rows, 1, [e / s for e in ex])

    def diagmul(self, v, m):
        ve = _entries(v)
        return _from(
            m.rows, m.cols, [m[i, j] * ve[i] for i in range(m.rows) for j in range(m.cols)]
        )

    def hadamard(self, *a):
        ents = [_entries(m) for m in a]
        return _from(
            a[0].rows, a[0].cols, [reduce(lambda p, q: p * q, es) for es in zip(*ents, strict=True)]
        )

    def hadpow(self, m, ex):
        return _from(m.rows, m.cols, [self.powc(e, ex) for e in _entries(m)])

    def transpose(self, m):
        return m.T

    def entrywise(self, m, fn):
        f = {
            "exp": _mp.exp,
            "log": _mp.log,
            "sqrt": _mp.sqrt,
            "abs": abs,
            "cosh": _mp.cosh,
            "sinh": _mp.sinh,
            "tanh": _mp.tanh,
        }[fn]
        return _from(m.rows, m.cols, [f(e) for e in _entries(m)])

    def diag(self, v):
        return _mp.diag(_entries(v))

    def col(self, m, i):
        return _from(m.rows, 1, [m[r, i - 1] for r in range(m.rows)])

    def colsym(self, m, i):
        return self.col(m, int(i))


class MpEvaluator:
    """An expression compiled once for repeated mpmath evaluation."""

    def __init__(self, expr: sp.Basic) -> None:
        self.expr = expr
        self.plan = cached_plan(expr)

    def __call__(self, instance: Mapping[str, Any], dps: int = 50):
        with _mp.workdps(dps):
            return execute(self.plan, _MpRun(to_mp_instance(instance)))


def evaluate_mp(expr: sp.Basic, instance: Mapping[str, Any], dps: int = 50):
    """``expr`` at ``instance`` in mpmath at ``dps`` digits: an ``mpf`` for a
    scalar, an ``mpmath.matrix`` (``(k, 1)`` for a vector) otherwise."""
    return MpEvaluator(expr)(instance, dps)
