"""Batched float64 evaluation of model expressions and the float64 screen.

An *environment* maps ``'A'``, ``'At'`` (``(B, n, d)``), ``'x'``, ``'y'``
(``(B, d)``), ``'b'`` (``(B, n)``), ``'t'`` (``(B,)``) and parameter names
(``'R'``, ``'beta'``, ...: a float or ``(B,)``) to arrays.  Evaluators are
generated from the model's SymPy trees (:mod:`softproof.numeric.exprplan`), never
written per lemma.  Softmax and ``alpha`` are evaluated max-shifted (D2, D3),
so nothing overflows while ``alpha`` itself is representable.

A screen is only a float64 indication: a violation it reports is a candidate
until :mod:`softproof.numeric.confirm` confirms it rigorously.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from softproof.derivations.statement import Relation, Statement

from .exprplan import Plan, execute, execute_all, lower, lower_many, resolve_dim

__all__ = [
    "IDENTITY_RTOL",
    "compile_expr",
    "compile_many",
    "Evaluator",
    "MultiEvaluator",
    "ScreenResult",
    "Screen",
    "screen",
    "batch_size",
    "sizes_of",
    "spectral_norm",
    "norm2_rows",
    "GRAM_MAX",
]

#: An identity ``lhs == rhs`` passes the screen when
#: ``max|lhs - rhs| / max(1, max|lhs|, max|rhs|) <= IDENTITY_RTOL``
#: (relative for large entries, absolute below 1).
IDENTITY_RTOL = 1e-8

_MATRIX_VARS = ("A", "At")
_VECTOR_VARS = ("x", "y", "b")


#: ``min(n, d)`` up to which the spectral norm is read from the eigenvalues of the
#: ``k x k`` Gram matrix; above it, power iteration on ``M^T M``
GRAM_MAX = 256
#: power iteration: at most this many steps, stopping once the estimate moves by
#: less than ``POWER_RTOL`` (relative) in a step
POWER_ITERS = 120
POWER_RTOL = 1e-14
#: vectors of one Krylov basis (Lanczos restart length)
KRYLOV_DIM = 30


#: entrywise functions by name (:data:`softproof.derivations.model.Entrywise.FUNCTIONS`)
_ENTRYWISE = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "cosh": np.cosh,
    "sinh": np.sinh,
    "tanh": np.tanh,
}


def spectral_norm(
    M: np.ndarray, vector: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Screening value of ``||M||_2`` for each matrix of a batch ``(B, n, d)``.

    No batched SVD: for ``min(n, d) <= GRAM_MAX`` the top eigenvalue of the
    (smaller) Gram matrix, else power iteration on ``M^T M`` (a lower bound that
    converges to the norm).  Rows are pre-scaled by ``max|M|``, so huge or tiny
    entries neither overflow nor underflow; non-finite rows give nan.  With
    ``vector=True`` also returns a unit top right singular vector ``(B, d)``.
    Rigorous values come from Arb elsewhere.
    """
    M = np.asarray(M, dtype=float)
    B, n, d = M.shape
    sigma = np.full(B, np.nan)
    vec = np.zeros((B, d))
    if d:
        vec[:, 0] = 1.0
    if B == 0 or n == 0 or d == 0:
        sigma[:] = 0.0
        return (sigma, vec) if vector else sigma
    with np.errstate(all="ignore"):
        scale = np.abs(M).max(axis=(1, 2))
    ok = np.isfinite(scale)
    zero = ok & (scale == 0)
    sigma[zero] = 0.0
    rows = np.flatnonzero(ok & ~zero)
    if len(rows):
        Ms = M[rows] / scale[rows, None, None]
        s, v = (_gram_norm if min(n, d) <= GRAM_MAX else _power_norm)(Ms)
        sigma[rows] = s * scale[rows]
        vec[rows] = v
    return (sigma, vec) if vector else sigma


def _gram_norm(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top singular value and right vector from the eigenpairs of the Gram matrix."""
    n, d = M.shape[1:]
    Mt = np.ascontiguousarray(np.swapaxes(M, 1, 2))  # BLAS needs contiguous stacks
    G = Mt @ M if d <= n else M @ Mt
    w, V = np.linalg.eigh(G)
    top = V[:, :, -1]
    if d > n:  # left vector u: v = M^T u / ||M^T u||
        top = np.einsum("bij,bi->bj", M, top)
    v = _unit_rows(top)
    Mv = np.einsum("bij,bj->bi", M, v)
    return np.sqrt((Mv * Mv).sum(axis=1)), v


def _unit_rows(v: np.ndarray) -> np.ndarray:
    nv = np.sqrt((v * v).sum(axis=1))
    out = v / np.where(nv > 0, nv, 1.0)[:, None]
    out[~(nv > 0), 0] = 1.0
    return out


def _power_norm(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Restarted Lanczos on ``M^T M`` (batched, full reorthogonalisation): Krylov
    bases of ``KRYLOV_DIM`` vectors from a fixed pseudo-random start, the estimate
    the top Rayleigh-Ritz value (never above the norm: a lower bound converging
    to it), each restart from the top Ritz vector; stops once the estimate moves
    by less than ``POWER_RTOL`` (relative) or after ``POWER_ITERS`` products with
    ``M^T M``.  Matrix-vector products only (BLAS), no SVD."""
    B, n, d = M.shape
    m = min(KRYLOV_DIM, d)
    rng = np.random.default_rng(12345)
    v = _unit_rows(np.broadcast_to(rng.standard_normal(d), (B, d)).copy())
    est = np.zeros(B)
    for _ in range(max(1, POWER_ITERS // m)):
        Q = np.zeros((B, m, d))  # rows: an orthonormal Krylov basis
        Q[:, 0] = v
        for j in range(1, m):
            w = (M @ Q[:, j - 1, :, None])[:, :, 0]
            w = (w[:, None, :] @ M)[:, 0, :]  # M^T M q
            Q[:, j] = _orthogonalise(w, Q[:, :j], rng)
        MQ = M @ np.swapaxes(Q, 1, 2)  # (B, n, m)
        MQt = np.ascontiguousarray(np.swapaxes(MQ, 1, 2))
        ritz, V = np.linalg.eigh(MQt @ MQ)
        new = np.sqrt(np.maximum(ritz[:, -1], 0.0))
        v = _unit_rows((V[:, None, :, -1] @ Q)[:, 0, :])
        done = np.abs(new - est) <= POWER_RTOL * new
        est = np.maximum(est, new)
        if done.all():
            break
    return est, v


def _orthogonalise(w: np.ndarray, Q: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``w`` (B, d) made orthogonal to the orthonormal rows of ``Q`` (B, j, d), twice
    for stability, and normalised; an exhausted direction (rank-deficient ``M``)
    is replaced by a random one."""
    for attempt in range(3):
        nw0 = np.sqrt((w * w).sum(axis=1))
        for _ in range(2):
            c = Q @ w[:, :, None]  # (B, j, 1)
            w = w - (np.swapaxes(c, 1, 2) @ Q)[:, 0, :]
        nw = np.sqrt((w * w).sum(axis=1))
        weak = ~(nw > 1e-10 * np.maximum(nw0, 1e-300))
        if not weak.any() or attempt == 2:
            break
        w = w.copy()
        w[weak] = rng.standard_normal((int(weak.sum()), w.shape[1]))
    return _unit_rows(w)


def norm2_rows(v: np.ndarray) -> np.ndarray:
    """Euclidean (Frobenius) norm of each row of a batch, without overflow or
    underflow: rows whose plain sum of squares is not a normal number are
    recomputed pre-scaled by ``max|v|``."""
    axes = tuple(range(1, v.ndim))
    with np.errstate(all="ignore"):
        out = np.sqrt((v * v).sum(axis=axes))
        bad = ~(out >= 1e-150) | (out == np.inf)
        if bad.any():
            w = v[bad]
            m = np.abs(w).max(axis=axes) if w.size else np.zeros(len(w))
            ms = np.where((m > 0) & np.isfinite(m), m, 1.0).reshape((-1,) + (1,) * len(axes))
            out[bad] = np.where(m > 0, m, 0.0) * np.sqrt(((w / ms) ** 2).sum(axis=axes))
    return out


def sizes_of(env: Mapping[str, Any], batched: bool = True) -> dict[str, int]:
    """``n`` and ``d`` read from the shapes of ``A``/``At``/``b``/``x``/``y``."""
    off = 1 if batched else 0
    out: dict[str, int] = {}
    for name in _MATRIX_VARS:
        if name in env:
            shp = np.shape(env[name])
            out.setdefault("n", shp[off])
            out.setdefault("d", shp[off + 1])
    if "b" in env:
        out.setdefault("n", np.shape(env["b"])[off])
    for name in ("x", "y"):
        if name in env:
            out.setdefault("d", np.shape(env[name])[off])
    return out


def batch_size(env: Mapping[str, Any]) -> int:
    """The leading batch length ``B`` of an environment (1 if nothing is batched)."""
    for name in (*_MATRIX_VARS, *_VECTOR_VARS, "t"):
        if name in env:
            return int(np.shape(env[name])[0])
    for v in env.values():
        if np.ndim(v) >= 1:
            return int(np.shape(v)[0])
    return 1


def _bs(s: Any) -> Any:
    """A batched scalar broadcast against ``(B, r, c)``."""
    s = np.asarray(s, dtype=float)
    return s[..., None, None] if s.ndim == 1 else s


class _Run:
    """Executes a plan on one batched environment."""

    def __init__(self, env: Mapping[str, Any]) -> None:
        self.env = env
        self.B = batch_size(env)
        self.sizes = sizes_of(env)

    # leaves
    def var(self, data):
        name, column = data
        if name not in self.env:
            raise KeyError(f"no value for the variable {name}")
        v = np.asarray(self.env[name], dtype=float)
        if column:
            if v.ndim != 2:
                raise ValueError(f"{name} must have shape (B, k), got {v.shape}")
            return v[:, :, None]
        if v.ndim != 3:
            raise ValueError(f"{name} must have shape (B, n, d), got {v.shape}")
        return v

    def param(self, name):
        if name not in self.env:
            raise KeyError(f"no value for the parameter {name}")
        return np.asarray(self.env[name], dtype=float)

    def size(self, name):
        if name not in self.sizes:
            raise KeyError(f"size {name} is unknown: give A, b, x or y")
        return float(self.sizes[name])

    def const(self, v):
        return float(v)

    def _shape(self, data):
        return tuple(resolve_dim(k, self.sizes) for k in data)

    def ones(self, data):
        return np.ones((self.B, *self._shape(data)))

    def zeros(self, data):
        return np.zeros((self.B, *self._shape(data)))

    def identity(self, data):
        r, c = self._shape(data)
        return np.broadcast_to(np.eye(r, c), (self.B, r, c))

    # scalars
    def add(self, *a):
        out = a[0]
        for v in a[1:]:
            out = out + v
        return out

    def mul(self, *a):
        out = a[0]
        for v in a[1:]:
            out = out * v
        return out

    def powc(self, base, ex):
        if ex == -1:
            return 1.0 / base
        if ex == sp.Rational(1, 2):
            return np.sqrt(base)
        if ex.is_Integer:
            return base ** int(ex)
        return np.power(base, float(ex))

    exp = staticmethod(np.exp)
    cosh = staticmethod(np.cosh)  # overflows to inf as exp does
    sinh = staticmethod(np.sinh)
    tanh = staticmethod(np.tanh)  # saturates at +-1, never inf/inf
    log = staticmethod(np.log)
    abs = staticmethod(np.abs)

    def max(self, *a):
        return np.maximum.reduce(np.broadcast_arrays(*a))

    def min(self, *a):
        return np.minimum.reduce(np.broadcast_arrays(*a))

    def dot(self, v, w):
        return np.einsum("bij,bij->b", v, w)

    def norm(self, v, kind):
        if kind == "2" or kind == "fro" or (kind == "op" and v.shape[-1] == 1):
            return norm2_rows(v)
        if kind == "1":
            return np.abs(v).sum(axis=(1, 2))
        if kind == "inf":
            return np.abs(v).max(axis=(1, 2))
        if kind == "op":
            return spectral_norm(v)
        raise ValueError(f"unknown norm {kind}")

    def sumexp(self, z):
        """``alpha = <exp(z), 1>`` as ``exp(m) sum exp(z - m)`` (D2)."""
        m = z.max(axis=(1, 2))
        return np.exp(m) * np.exp(z - m[:, None, None]).sum(axis=(1, 2))

    def logsumexp(self, z):
        m = z.max(axis=(1, 2))
        return m + np.log(np.exp(z - m[:, None, None]).sum(axis=(1, 2)))

    # matrices
    def matadd(self, *a):
        out = a[0]
        for v in a[1:]:
            out = out + v
        return out

    def scale(self, s, m):
        return _bs(s) * m

    def matmul(self, a, b):
        return np.matmul(a, b)

    def diagmul(self, v, m):
        return v * m

    def hadamard(self, *a):
        out = a[0]
        for v in a[1:]:
            out = out * v
        return out

    def hadpow(self, m, ex):
        return self.powc(m, ex)

    def transpose(self, m):
        return np.swapaxes(m, 1, 2)

    def entrywise(self, m, fn):
        return _ENTRYWISE[fn](m)

    def softmax(self, z):
        """Max-shifted softmax (D3): ``exp(z - max z) / sum exp(z - max z)``."""
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def diag(self, v):
        k = v.shape[1]
        out = np.zeros((v.shape[0], k, k))
        idx = np.arange(k)
        out[:, idx, idx] = v[:, :, 0]
        return out

    def col(self, m, i):
        """Column ``i`` (1-based, as ``A_{*,i}`` in the catalogue)."""
        return m[:, :, i - 1 : i]

    def colsym(self, m, i):
        return self.col(m, int(np.ravel(i)[0]))


class Evaluator:
    """A compiled batched float64 evaluator of one expression.

    Calling it on an environment returns ``(B,)`` for a scalar, ``(B, k)`` for
    a column vector and ``(B, k, l)`` for a matrix.
    """

    def __init__(self, expr: sp.Basic) -> None:
        self.expr = expr
        self.plan = lower(expr)

    def __call__(self, env: Mapping[str, Any]) -> np.ndarray:
        run = _Run(env)
        with np.errstate(all="ignore"):
            val = execute(self.plan, run)
        return _shape_output(self.plan, val, run.B)


def _shape_output(plan: Plan, val: Any, B: int) -> np.ndarray:
    if plan.is_scalar:
        return np.broadcast_to(np.asarray(val, dtype=float), (B,)).copy()
    val = np.broadcast_to(val, (B, *np.shape(val)[-2:]))
    if plan.is_column:
        return np.ascontiguousarray(val[:, :, 0])
    return np.ascontiguousarray(val)


class MultiEvaluator:
    """Several expressions compiled together: shared subexpressions are
    evaluated once per call; returns one array per expression."""

    def __init__(self, exprs: list[sp.Basic]) -> None:
        self.exprs = list(exprs)
        self.plans = lower_many(self.exprs)

    def __call__(self, env: Mapping[str, Any]) -> list[np.ndarray]:
        if not self.plans:
            return []
        run = _Run(env)
        with np.errstate(all="ignore"):
            vals = execute_all(self.plans[0].ops, run)
        return [_shape_output(p, vals[p.out], run.B) for p in self.plans]


def compile_expr(expr: sp.Basic) -> Callable[[Mapping[str, Any]], np.ndarray]:
    """A batched float64 evaluator of a model expression (see :class:`Evaluator`)."""
    return Evaluator(expr)


def compile_many(exprs: list[sp.Basic]) -> Callable[[Mapping[str, Any]], list[np.ndarray]]:
    """One batched evaluator for several expressions (see :class:`MultiEvaluator`)."""
    return MultiEvaluator(exprs)


# --------------------------------------------------------------------------
# Screening a statement
# --------------------------------------------------------------------------
@dataclass
class ScreenResult:
    """Float64 screen of a statement on a batch of ``B`` instances.

    ``hyp_margins[:, j]`` is ``rhs - lhs`` of hypothesis ``j`` (for an
    identity hypothesis, the identity margin below); ``hyp_ok`` says all
    hypotheses hold (strict ``<`` needs a positive margin) and are finite.
    For the claim: ``margin = rhs - lhs`` for inequalities; for ``==`` it is
    ``IDENTITY_RTOL - max|lhs - rhs| / max(1, max|lhs|, max|rhs|)``, so
    ``margin < 0`` means disagreement beyond the tolerance.  ``ratio`` is
    ``lhs / rhs`` (nan for identities or ``rhs <= 0``).  ``holds`` says the
    claim holds (True where something is not finite: never a violation);
    ``finite`` says every quantity of the row is finite.
    """

    hyp_margins: np.ndarray
    hyp_ok: np.ndarray
    lhs: np.ndarray
    rhs: np.ndarray
    margin: np.ndarray
    ratio: np.ndarray
    holds: np.ndarray
    finite: np.ndarray

    @property
    def violation(self) -> np.ndarray:
        """Rows where all hypotheses hold, everything is finite and the claim fails."""
        return self.finite & self.hyp_ok & ~self.holds


def _margin(rel: Relation, lhs: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(margin, finite) of one relation on a batch."""
    if rel.op == "==":
        B = lhs.shape[0]
        lf, rf = lhs.reshape(B, -1), rhs.reshape(B, -1)
        finite = np.isfinite(lf).all(axis=1) & np.isfinite(rf).all(axis=1)
        scale = np.maximum(1.0, np.maximum(np.abs(lf).max(axis=1), np.abs(rf).max(axis=1)))
        return IDENTITY_RTOL - np.abs(lf - rf).max(axis=1) / scale, finite
    return rhs - lhs, np.isfinite(lhs) & np.isfinite(rhs)


def _ok(op: str, margin: np.ndarray) -> np.ndarray:
    return margin > 0 if op == "<" else margin >= 0


def statement_env(statement: Statement, env: Mapping[str, Any]) -> dict[str, Any]:
    """``env`` completed with the statement's fixed parameters and its derived
    parameters (e.g. ``beta = exp(-R**2)``, evaluated on the batch) it does not set."""
    out = dict(env)
    for name, value in statement.parameters.items():
        if name not in out and (
            isinstance(value, int | float) or getattr(value, "is_Number", False)
        ):
            out[name] = float(value)
    for name, expr in statement.derived_in_order(set(out)):
        out[name] = _cached_evaluator(expr)(out)
    return out


@functools.lru_cache(maxsize=256)
def _cached_evaluator(expr: sp.Basic) -> Evaluator:
    return Evaluator(expr)


class Screen:
    """A statement compiled once for repeated float64 screening; the sides of
    all hypotheses and of the claim share one plan (``f(x)`` is computed once)."""

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        rels = [*statement.hypotheses, statement.claim]
        self.relations = rels
        self.evaluator = MultiEvaluator([side for r in rels for side in (r.lhs, r.rhs)])

    def __call__(self, env: Mapping[str, Any]) -> ScreenResult:
        env = statement_env(self.statement, env)
        B = batch_size(env)
        sides = self.evaluator(env)
        H = len(self.relations) - 1
        margins = np.empty((B, H))
        hyp_ok = np.ones(B, dtype=bool)
        finite = np.ones(B, dtype=bool)
        with np.errstate(all="ignore"):
            for j, rel in enumerate(self.relations[:H]):
                m, fin = _margin(rel, sides[2 * j], sides[2 * j + 1])
                margins[:, j] = m
                finite &= fin
                hyp_ok &= fin & _ok(rel.op, m)
            rel = self.relations[H]
            lhs, rhs = sides[2 * H], sides[2 * H + 1]
            margin, fin = _margin(rel, lhs, rhs)
            finite &= fin
            if rel.op == "==":
                ratio = np.full(B, np.nan)
            else:
                ratio = np.where(rhs > 0, lhs / np.where(rhs > 0, rhs, 1.0), np.nan)
            holds = _ok(rel.op, margin) | ~finite
        return ScreenResult(margins, hyp_ok, lhs, rhs, margin, ratio, holds, finite)

    def elements_per_row(self, env: Mapping[str, Any]) -> list[tuple[int, ...]]:
        """Shapes (batch axis dropped) of every intermediate array the screen keeps
        while evaluating ``env`` (used to size batches; ``env`` is a small probe)."""
        env = statement_env(self.statement, env)
        plans = self.evaluator.plans
        if not plans:
            return []
        run = _Run(env)
        with np.errstate(all="ignore"):
            vals = execute_all(plans[0].ops, run)
        return [tuple(np.shape(v)[1:]) if np.ndim(v) >= 1 else () for v in vals]


def screen(statement: Statement, env: Mapping[str, Any]) -> ScreenResult:
    """Screen ``statement`` on a batched environment (compiles each call;
    use :class:`Screen` to compile once)."""
    return Screen(statement)(env)
