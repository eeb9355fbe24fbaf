"""Rigorous evaluation of model expressions in Arb ball arithmetic (python-flint).

The same plan as the float64 evaluator (:mod:`softproof.numeric.exprplan`) is executed
with ``flint.arb`` scalars and ``flint.arb_mat`` vectors/matrices, so every
result is an enclosure: for every point of the input balls, the exact value
lies in the output ball.  Inputs may be floats or float arrays (converted
exactly: a double is a dyadic rational), ``fractions.Fraction``, decimal
strings, or ``arb``/``arb_mat`` boxes.

The spectral norm of a ball matrix ``M`` (``'op'``) is enclosed by
``lambda_max(G)``, ``G = M^T M``: an upper bound from the Gershgorin discs of
``V^{-1} G V`` (``V`` approximate eigenvectors from numpy, exact as doubles,
inverse in Arb) and a lower bound from the Rayleigh quotient of an exact
vector; if that fails, ``||M||_F`` and ``sqrt(||M||_1 ||M||_inf)`` bound it
above and the largest column norm below.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from functools import reduce
from typing import Any

import numpy as np
import sympy as sp
from flint import arb, arb_mat, ctx

from softproof.derivations.statement import Relation

from .exprplan import InstanceRun, cached_plan, execute

__all__ = [
    "to_arb",
    "to_arb_instance",
    "evaluate_arb",
    "relation_arb",
    "margin_arb",
    "spectral_norm_arb",
    "ArbEvaluator",
]


# --------------------------------------------------------------------------
# Conversion of instance values
# --------------------------------------------------------------------------
def to_arb(value: Any) -> arb:
    """An exact or enclosing ball for a scalar: float/int exactly, a Fraction
    or decimal string as a ball at the current precision, an arb as itself."""
    if isinstance(value, arb):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, Fraction):
        return arb(value.numerator) / arb(value.denominator)
    if isinstance(value, str):
        return arb(value)
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int | np.integer):
        return arb(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        if not np.isfinite(v):
            raise ValueError(f"not a finite number: {v}")
        return arb(v)
    if isinstance(value, sp.Float):
        value = sp.Rational(str(value))
    if isinstance(value, sp.Rational):
        return arb(int(value.p)) / arb(int(value.q))
    raise TypeError(f"cannot convert {type(value).__name__} to a ball")


def _to_arb_mat(value: Any, column: bool) -> arb_mat:
    if isinstance(value, arb_mat):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        if not np.all(np.isfinite(value)):
            raise ValueError("an instance array contains nan or inf")
        if column:
            value = value.reshape(-1, 1)
        if value.ndim != 2:
            raise ValueError(f"expected a matrix, got shape {value.shape}")
        return arb_mat(value.tolist())
    arr = np.asarray(value, dtype=object)
    if column:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ValueError(f"expected a matrix, got shape {arr.shape}")
    r, c = arr.shape
    return arb_mat(r, c, [to_arb(v) for v in arr.ravel()])


def to_arb_instance(instance: Mapping[str, Any]) -> dict[str, Any]:
    """Convert an instance once (at the current ``ctx.prec``) for repeated use;
    a derived parameter is enclosed by evaluating it in Arb."""
    return _ArbRun.convert(instance)


# --------------------------------------------------------------------------
# Rigorous helpers
# --------------------------------------------------------------------------
def _map(m: arb_mat, fn) -> arb_mat:
    return arb_mat(m.nrows(), m.ncols(), [fn(e) for e in m.entries()])


def _hull(lo: arb, hi: arb) -> arb:
    """A ball containing every value between a point of ``lo`` and one of ``hi``."""
    return lo.union(hi)


def _sqrt_nonneg(s: arb) -> arb:
    """``sqrt`` of a ball known to enclose a nonnegative quantity."""
    return s.nonnegative_part().sqrt()


def _sumsq(m: arb_mat) -> arb:
    return _sqrt_nonneg(sum((e * e for e in m.entries()), arb(0)))


def _to_numpy(m: arb_mat) -> np.ndarray:
    return np.array([float(e) for e in m.mid().entries()]).reshape(m.nrows(), m.ncols())


def _norm_fallback(m: arb_mat) -> arb:
    """``max_j ||M e_j|| <= ||M|| <= min(||M||_F, sqrt(||M||_1 ||M||_inf))``."""
    absm = _map(m, abs)
    rows = [
        sum(absm.entries()[i * m.ncols() : (i + 1) * m.ncols()], arb(0)) for i in range(m.nrows())
    ]
    mt = absm.transpose()
    cols = [
        sum(mt.entries()[j * m.nrows() : (j + 1) * m.nrows()], arb(0)) for j in range(m.ncols())
    ]
    hi = _sqrt_nonneg(reduce(arb.max, rows) * reduce(arb.max, cols)).min(_sumsq(m))
    mtt = m.transpose()
    colnorms = [
        _sqrt_nonneg(
            sum((e * e for e in mtt.entries()[j * m.nrows() : (j + 1) * m.nrows()]), arb(0))
        )
        for j in range(m.ncols())
    ]
    return _hull(reduce(arb.max, colnorms), hi)


def _gershgorin(g: arb_mat, va: arb_mat) -> tuple[arb_mat, arb]:
    """``C = V^{-1} G V`` and a ball containing ``max_i (C_ii + sum_j |C_ij|)``,
    an upper bound of ``lambda_max(G)`` for symmetric ``G``."""
    k = g.nrows()
    cmat = va.inv() * g * va
    ent = cmat.entries()
    discs = []
    for i in range(k):
        row = ent[i * k : (i + 1) * k]
        discs.append(row[i] + sum((abs(e) for j, e in enumerate(row) if j != i), arb(0)))
    return cmat, reduce(arb.max, discs)


def _refine(cmat: arb_mat, va: arb_mat) -> arb_mat:
    """One first-order eigenvector correction ``V (I + E)``,
    ``E_ij = C_ij / (C_jj - C_ii)`` (skipped for clustered pairs); exact midpoints."""
    k = cmat.nrows()
    ent = [e.mid() for e in cmat.entries()]
    diag = [ent[i * k + i] for i in range(k)]
    scale = max(abs(float(v)) for v in diag) or 1.0
    e = []
    for i in range(k):
        for j in range(k):
            den = diag[j] - diag[i]
            e.append(ent[i * k + j] / den if i != j and abs(float(den)) > 1e-8 * scale else 0)
    return (va + va * arb_mat(k, k, e)).mid()


def spectral_norm_arb(m: arb_mat, refinements: int = 3) -> arb:
    """A rigorous enclosure of the spectral norm ``||M||`` (``'op'``).

    ``lambda_max(M^T M)`` lies between the Rayleigh quotient of an exact
    vector and the largest Gershgorin disc of ``V^{-1} M^T M V``; ``V`` starts
    from numpy's eigenvectors and is refined until the enclosure is tight at
    the working precision.
    """
    r, c = m.nrows(), m.ncols()
    if r == 1 or c == 1:
        return _sumsq(m)
    g = m.transpose() * m if c <= r else m * m.transpose()
    k = g.nrows()
    try:
        gm = _to_numpy(g)
        if not np.all(np.isfinite(gm)):
            return _norm_fallback(m)
        w, v = np.linalg.eigh((gm + gm.T) / 2)
        va = arb_mat(v.tolist())
        top = int(np.argmax(w))
        cmat, hi = _gershgorin(g, va)
        for it in range(refinements + 1):
            if it:
                va = _refine(cmat, va)
                cmat, hi = _gershgorin(g, va)
            q = arb_mat(k, 1, [va[i, top] for i in range(k)])
            lo = (q.transpose() * g * q)[0, 0] / (q.transpose() * q)[0, 0]
            if not (hi.is_finite() and lo.is_finite()):
                return _norm_fallback(m)
            if float(abs(hi - lo)) <= float(abs(hi)) * 2.0 ** (-ctx.prec + 8):
                break
    except (ZeroDivisionError, ValueError, np.linalg.LinAlgError):
        return _norm_fallback(m)
    return _sqrt_nonneg(_hull(lo, hi))


# --------------------------------------------------------------------------
# The Arb backend
# --------------------------------------------------------------------------
#: Arb enclosures (at the working precision) of the SymPy number symbols
_CONSTANTS = {
    sp.E: arb.const_e,
    sp.pi: arb.pi,
    sp.EulerGamma: arb.const_euler,
    sp.Catalan: arb.const_catalan,
    sp.GoldenRatio: lambda: (1 + arb(5).sqrt()) / 2,
}


class _ArbRun(InstanceRun):
    @staticmethod
    def dims(value: arb_mat) -> tuple[int, int]:
        return value.nrows(), value.ncols()

    number = staticmethod(arb)
    matrix_types = (arb_mat,)
    to_matrix = staticmethod(_to_arb_mat)
    to_scalar = staticmethod(to_arb)

    def const(self, v):
        """A ball for a plan constant, computed by Arb (never from a float or mpf)."""
        if isinstance(v, sp.Rational):
            return arb(int(v.p)) / arb(int(v.q))
        ball = _CONSTANTS.get(v)
        if ball is None:
            raise NotImplementedError(f"no ball for the constant {v}")
        return ball()

    def ones(self, data):
        r, c = self._shape(data)
        return arb_mat(r, c, [1] * (r * c))

    def zeros(self, data):
        return arb_mat(*self._shape(data))

    def identity(self, data):
        r, c = self._shape(data)
        return arb_mat(r, c, [1 if i == j else 0 for i in range(r) for j in range(c)])

    def add(self, *a):
        return reduce(lambda p, q: p + q, a)

    def mul(self, *a):
        return reduce(lambda p, q: p * q, a)

    def powc(self, base, ex):
        if ex == sp.Rational(1, 2):
            return base.sqrt()
        if ex.is_Integer:
            k = int(ex)
            return base**k if k >= 0 else 1 / base ** (-k)
        return base ** (arb(int(ex.p)) / arb(int(ex.q)))

    def exp(self, a):
        return a.exp()

    def cosh(self, a):
        return a.cosh()

    def sinh(self, a):
        return a.sinh()

    def tanh(self, a):
        return a.tanh()

    def log(self, a):
        return a.log()

    def abs(self, a):
        return abs(a)

    def max(self, *a):
        return reduce(arb.max, a)

    def min(self, *a):
        return reduce(arb.min, a)

    def dot(self, v, w):
        return (v.transpose() * w)[0, 0]

    def norm(self, v, kind):
        if kind in ("2", "fro"):
            return _sumsq(v)
        if kind == "1":
            return sum((abs(e) for e in v.entries()), arb(0))
        if kind == "inf":
            return reduce(arb.max, (abs(e) for e in v.entries()))
        if kind == "op":
            return spectral_norm_arb(v)
        raise ValueError(f"unknown norm {kind}")

    @staticmethod
    def _shift(z: arb_mat) -> tuple[list[arb], arb]:
        ent = z.entries()
        return ent, max(ent, key=float).mid()

    def sumexp(self, z):
        ent, m = self._shift(z)
        return m.exp() * sum(((e - m).exp() for e in ent), arb(0))

    def logsumexp(self, z):
        ent, m = self._shift(z)
        return m + sum(((e - m).exp() for e in ent), arb(0)).log()

    def softmax(self, z):
        ent, m = self._shift(z)
        ex = [(e - m).exp() for e in ent]
        s = sum(ex, arb(0))
        return arb_mat(z.nrows(), 1, [e / s for e in ex])

    def diagmul(self, v, m):
        ve = v.entries()
        c = m.ncols()
        me = m.entries()
        return arb_mat(m.nrows(), c, [me[k] * ve[k // c] for k in range(len(me))])

    def hadamard(self, *a):
        ents = [m.entries() for m in a]
        return arb_mat(
            a[0].nrows(),
            a[0].ncols(),
            [reduce(lambda p, q: p * q, es) for es in zip(*ents, strict=True)],
        )

    def hadpow(self, m, ex):
        return _map(m, lambda e: self.powc(e, ex))

    def transpose(self, m):
        return m.transpose()

    def entrywise(self, m, fn):
        f = {
            "exp": arb.exp,
            "log": arb.log,
            "sqrt": arb.sqrt,
            "abs": abs,
            "cosh": arb.cosh,
            "sinh": arb.sinh,
            "tanh": arb.tanh,
        }[fn]
        return _map(m, f)

    def diag(self, v):
        k = v.nrows()
        ve = v.entries()
        return arb_mat(k, k, [ve[i] if i == j else 0 for i in range(k) for j in range(k)])

    def col(self, m, i):
        c = m.ncols()
        return arb_mat(m.nrows(), 1, m.entries()[i - 1 :: c])

    def colsym(self, m, i):
        return self.col(m, int(i.unique_fmpz()))


class ArbEvaluator:
    """An expression compiled once for repeated ball evaluation."""

    def __init__(self, expr: sp.Basic) -> None:
        self.expr = expr
        self.plan = cached_plan(expr)

    def __call__(self, instance: Mapping[str, Any], prec: int = 128) -> arb | arb_mat:
        with ctx.workprec(prec):
            return execute(self.plan, _ArbRun(to_arb_instance(instance)))


def evaluate_arb(expr: sp.Basic, instance: Mapping[str, Any], prec: int = 128) -> arb | arb_mat:
    """A rigorous enclosure of ``expr`` at ``instance``: ``arb`` for a scalar,
    ``arb_mat`` (``(k, 1)`` for a vector) otherwise, computed at ``prec`` bits."""
    return ArbEvaluator(expr)(instance, prec)


def margin_arb(relation: Relation, instance: Mapping[str, Any], prec: int = 128) -> arb | arb_mat:
    """``rhs - lhs`` as a ball (an ``arb_mat`` of entrywise differences for ``==``)."""
    with ctx.workprec(prec):
        inst = to_arb_instance(instance)
        lhs = execute(cached_plan(relation.lhs), _ArbRun(inst))
        rhs = execute(cached_plan(relation.rhs), _ArbRun(inst))
        return rhs - lhs


def decide(op: str, margin: arb | arb_mat) -> bool | None:
    """True: the relation holds on the whole enclosure; False: it fails on the
    whole enclosure (for ``==``: some entry differs rigorously); None: undecided."""
    if op == "==":
        ents = margin.entries() if isinstance(margin, arb_mat) else [margin]
        if any(not e.contains(0) for e in ents):
            return False
        if all(e.is_exact() and e.is_zero() for e in ents):
            return True
        return None
    if op == "<=":
        return True if margin >= 0 else (False if margin < 0 else None)
    return True if margin > 0 else (False if margin <= 0 else None)


def relation_arb(relation: Relation, instance: Mapping[str, Any], prec: int = 128) -> bool | None:
    """Decide ``relation`` rigorously on ``instance`` (see :func:`decide`)."""
    return decide(relation.op, margin_arb(relation, instance, prec))
