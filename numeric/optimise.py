"""Adversarial optimisation: maximise a claim's ``lhs / rhs`` over its hypothesis set.

The hypothesis set is parametrised smoothly by the latents of
:class:`softproof.numeric.sampling.Sampler` (``A = R' s G / ||G||`` spectrally, balls by
a radial map, ``y = x + delta`` with ``delta`` a free offset, ...); what the
parametrisation does not cover is a quadratic penalty on the float64 screen's
hypothesis margins, and every end point is repaired onto the set and
re-screened.  Multistart L-BFGS-B (:func:`scipy.optimize.minimize`) runs from
the best screened samples; the gradient is a batched central difference, one
float64 screen call per step.

The *score* of a row (:func:`score`) is ``lhs / rhs`` for an inequality with
``rhs > 0`` (otherwise 0 where the claim holds, ``1 + |margin|`` where not)
and ``max|lhs - rhs| / scale / IDENTITY_RTOL`` for an identity, so
``score > 1`` always means a candidate violation.  The offset
``delta = y - x`` keeps a floor ``||delta|| >= floor * scale`` (``scale``: the
base's radius, else its norm) so float64 cancellation in ``f(x) - f(y)``
cannot fake a ratio; every candidate is confirmed rigorously
(:func:`confirm_instance`) before it counts.  BLAS runs single-threaded
meanwhile (:func:`single_threaded_blas`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from softproof.derivations.statement import Statement

from .float64 import IDENTITY_RTOL, ScreenResult
from .sampling import Sampler, SamplingError, instance_at, sampler_for

__all__ = [
    "score",
    "Candidate",
    "OptimiseResult",
    "confirm_instance",
    "witness_instance",
    "single_threaded_blas",
    "Objective",
    "optimise",
]


def score(statement: Statement, res: ScreenResult) -> np.ndarray:
    """Per row: ``> 1`` exactly where the float64 screen sees the claim fail.

    Inequality: ``lhs / rhs`` if ``rhs > 0``, else 0 where it holds and
    ``1 + |margin|`` where it fails; identity:
    the relative disagreement over :data:`IDENTITY_RTOL`.  Rows outside the
    hypothesis set or not finite score ``-inf``.
    """
    s = _raw_score(statement, res)
    return np.where(res.hyp_ok & res.finite & np.isfinite(s), s, -np.inf)


def _raw_score(statement: Statement, res: ScreenResult) -> np.ndarray:
    if statement.claim.op == "==":
        return (IDENTITY_RTOL - res.margin) / IDENTITY_RTOL
    fallback = np.where(res.holds, 0.0, 1.0 + np.abs(res.margin))
    return np.where(np.isfinite(res.ratio) & (res.rhs > 0), res.ratio, fallback)


@dataclass
class Candidate:
    """A screened point and, once checked, its rigorous confirmation."""

    instance: dict[str, Any]
    score: float
    confirmation: Any = None
    latent: np.ndarray | None = None
    score_time: float = 0.0

    @property
    def confirmed(self) -> bool:
        return bool(getattr(self.confirmation, "confirmed", False))


def witness_instance(statement: Statement, instance: Mapping[str, Any]) -> dict[str, Any]:
    """The instance as a witness: variables and ranged parameters only (fixed and
    derived parameters keep the statement's own exact values)."""
    keep = set(statement.variables) | set(statement.ranged_parameters)
    return {k: v for k, v in instance.items() if k in keep}


def confirm_instance(statement: Statement, instance: Mapping[str, Any]) -> Any:
    """Rigorous re-check (Arb balls and mpmath) of one instance; see :mod:`.confirm`."""
    from .confirm import confirm

    return confirm(statement, witness_instance(statement, instance))


@dataclass
class OptimiseResult:
    """Outcome of :func:`optimise`.

    ``best`` is the worst case reached (the highest score of a point that
    passes the screen's hypotheses); ``violation`` a confirmed violation, if
    any; ``rejected`` candidates the rigorous check did not confirm;
    ``evaluations`` counts the evaluated points (gradient stencils included)
    that satisfy every hypothesis with finite values.
    """

    best: Candidate | None
    violation: Candidate | None
    evaluations: int
    starts: int
    seconds: float
    rejected: list[Candidate] = field(default_factory=list)
    method: str = "multistart L-BFGS-B"


class _Found(Exception):
    """Raised inside the optimiser's callback to stop at a screened violation."""


class _Late(Exception):
    """Raised between two batches of an objective evaluation once the deadline passed."""


class Objective:
    """``-score + penalty`` on latents, value and gradient from one batched screen call.

    ``floor`` bounds the offset magnitudes below (relative to the base's radius
    or norm), so the optimiser never reaches float64-cancellation territory.
    """

    PENALTY = 1e3

    def __init__(self, sampler: Sampler, floor: float = 1e-6, deadline: float = np.inf) -> None:
        self.sampler = sampler
        self.statement = sampler.statement
        self.floor = floor
        self.evaluations = 0
        #: :meth:`values` raises :class:`_Late` between batches after this time
        self.deadline = deadline

    def bounds(self, z0: np.ndarray) -> list[tuple[float | None, float | None]]:
        """Latent bounds with the offset floors computed at ``z0``."""
        b = list(self.sampler.bounds())
        env = self.sampler.decode(z0[None, :])
        for el in self.sampler.elements:
            if el.kind != "offset":
                continue
            i, _ = self.sampler.slices(el)
            r = el.rad(env, 1)
            base = np.asarray(env[el.base])
            ref = float(np.sqrt((base**2).sum())) if r is None else float(r[0])
            if not np.isfinite(ref) or ref <= 0:
                ref = 1.0
            b[i] = (self.floor * ref, b[i][1])
        return b

    def values(self, Z: np.ndarray) -> tuple[np.ndarray, ScreenResult, dict[str, Any]]:
        """Objective values (to minimise) of the rows of ``Z``, evaluated in batches
        of :meth:`Sampler.rows_per_batch` rows; the screen result and env returned
        are those of the batch holding row 0."""
        R = self.sampler.rows_per_batch()
        if len(Z) <= R:
            return self._values(Z)
        out = np.empty(len(Z))
        first: tuple[ScreenResult, dict[str, Any]] | None = None
        for i in range(0, len(Z), R):
            if i and time.perf_counter() > self.deadline:
                raise _Late
            v, res, env = self._values(Z[i : i + R])
            out[i : i + R] = v
            if first is None:
                first = (res, env)
        return out, first[0], first[1]

    def _values(self, Z: np.ndarray) -> tuple[np.ndarray, ScreenResult, dict[str, Any]]:
        env = self.sampler.decode(Z)
        res = self.sampler.screen(env)
        self.evaluations += int(np.count_nonzero(res.hyp_ok & res.finite))
        s = _raw_score(self.statement, res)
        m = np.nan_to_num(res.hyp_margins, nan=-1e6, posinf=1e6, neginf=-1e6)
        pen = self.PENALTY * (np.minimum(m, 0.0) ** 2).sum(axis=1)
        ok = np.isfinite(s) & res.finite
        val = np.where(ok, -s + pen, 1e6)
        return val, res, env

    def value_and_grad(
        self, z: np.ndarray, bounds: list[tuple[float | None, float | None]]
    ) -> tuple[float, np.ndarray, ScreenResult, dict[str, Any]]:
        """Value and central-difference gradient at ``z``; the ``2K + 1`` stencil
        rows are built a batch at a time (never all at once), and :class:`_Late`
        is raised between batches after the deadline."""
        K = len(z)
        lo = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
        hi = np.array([np.inf if b[1] is None else b[1] for b in bounds])
        h = 1e-6 * np.maximum(np.abs(z), 1e-3)
        zp = np.minimum(z + h, hi)
        zm = np.maximum(z - h, lo)
        R = self.sampler.rows_per_batch()
        vals = np.empty(2 * K + 1)
        first: tuple[ScreenResult, dict[str, Any]] | None = None
        for start in range(0, 2 * K + 1, R):
            if start and time.perf_counter() > self.deadline:
                raise _Late
            rows = np.arange(start, min(start + R, 2 * K + 1))
            Z = np.repeat(z[None, :], len(rows), axis=0)
            plus = (rows >= 1) & (rows <= K)
            minus = rows > K
            Z[np.flatnonzero(plus), rows[plus] - 1] = zp[rows[plus] - 1]
            Z[np.flatnonzero(minus), rows[minus] - K - 1] = zm[rows[minus] - K - 1]
            v, res, env = self._values(Z)
            vals[rows] = v
            if first is None:
                first = (res, env)
        step = zp - zm
        grad = np.where(
            step > 0, (vals[1 : K + 1] - vals[K + 1 :]) / np.where(step > 0, step, 1), 0
        )
        grad = np.where(np.isfinite(grad), grad, 0.0)
        return float(vals[0]), grad, first[0], first[1]


def single_threaded_blas() -> AbstractContextManager[Any]:
    """Run BLAS single-threaded (:func:`threadpoolctl.threadpool_limits`): L-BFGS-B's
    small dense steps are ~10x slower with BLAS threads spinning on a busy machine.
    Restores the thread counts on exit."""
    return threadpool_limits(limits=1, user_api="blas")


def optimise(
    statement: Statement,
    budget_seconds: float = 5.0,
    rng: np.random.Generator | int | None = 0,
    sizes: Mapping[str, int] | None = None,
    starts: np.ndarray | None = None,
    pool: int = 2048,
    floor: float = 1e-6,
    maxiter: int = 300,
    confirm: Callable[[Statement, Mapping[str, Any]], Any] | None = confirm_instance,
    stop_at_violation: bool = True,
) -> OptimiseResult:
    """Multistart L-BFGS-B on the claim's score over the hypothesis set.

    ``starts``: latents to start from (else the best of ``pool`` screened
    samples, then random ones, until the budget runs out).  A local run stops
    early when the screen sees a violation; the point is repaired, re-screened
    and confirmed with ``confirm`` (``None``: no confirmation, for tests of
    the optimiser itself).  Returns the worst case and any confirmed violation.
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(rng)
    sampler = sampler_for(statement, sizes)
    deadline = t0 + budget_seconds
    obj = Objective(sampler, floor=floor, deadline=deadline)
    queue: list[np.ndarray] = []
    if starts is not None:
        queue.extend(np.atleast_2d(starts))
    if pool and not queue:
        Z = sampler.sample_latent(pool, rng, deadline=deadline)
        try:
            vals, _, _ = obj.values(Z)
        except _Late:
            vals = np.zeros(len(Z))
        queue.extend(Z[np.argsort(vals)[:16]])
    if sampler.K == 0:  # nothing to optimise: one point is the whole set
        deadline = t0
    with single_threaded_blas():
        return _multistart(
            statement, sampler, obj, queue, rng, t0, deadline, maxiter, confirm, stop_at_violation
        )


def _multistart(
    statement, sampler, obj, queue, rng, t0, deadline, maxiter, confirm, stop_at_violation
) -> OptimiseResult:
    best: Candidate | None = None
    violation: Candidate | None = None
    rejected: list[Candidate] = []
    n_starts = 0

    def consider(z: np.ndarray) -> Candidate | None:
        nonlocal best
        Zr, ok = sampler.repair(z[None, :])
        if not ok[0]:
            return None
        env = sampler.decode(Zr)
        res = sampler.screen(env)
        sc = float(score(statement, res)[0])
        if not np.isfinite(sc):
            return None  # overflowed in float64: neither a case nor an evaluation
        obj.evaluations += 1
        cand = Candidate(instance_at(env, 0), sc, latent=Zr[0])
        if best is None or sc > best.score:
            best = cand
        return cand if bool(res.violation[0]) else None

    while time.perf_counter() < deadline:
        if queue:
            z0 = queue.pop(0)
        else:
            try:
                z0 = sampler.sample_latent(1, rng, deadline=deadline)[0]
            except SamplingError:
                break
            if best is not None and best.latent is not None and rng.uniform() < 0.5:
                z0 = _perturb(best.latent, rng)
        n_starts += 1
        bounds = obj.bounds(z0)
        z0 = _clip(z0, bounds)
        zend, last, hit = _local_run(obj, z0, bounds, deadline, maxiter, stop_at_violation)
        if not hit and time.perf_counter() > deadline and best is not None:
            break  # out of time: start no repair or re-screen
        cand = consider(zend)
        if cand is None and last is not None and not hit:
            consider(last)
        if cand is not None:
            if confirm is None:
                violation = cand
                break
            cand.confirmation = confirm(statement, cand.instance)
            if cand.confirmed:
                violation = cand
                if stop_at_violation:
                    break
            else:
                rejected.append(cand)
    return OptimiseResult(
        best=best,
        violation=violation,
        evaluations=obj.evaluations,
        starts=n_starts,
        seconds=time.perf_counter() - t0,
        rejected=rejected,
    )


def _local_run(
    obj: Objective,
    z0: np.ndarray,
    bounds: list[tuple[float | None, float | None]],
    deadline: float,
    maxiter: int,
    stop_at_violation: bool,
) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """One L-BFGS-B run: ``(end point, last accepted point, stopped at a violation)``."""
    state: dict[str, Any] = {}

    def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
        try:
            v, g, res, _ = obj.value_and_grad(z, bounds)
        except _Late:
            state["late"] = z.copy()
            raise _Found from None
        if stop_at_violation and bool(res.violation[0]):
            state["hit"] = z.copy()
            raise _Found
        if time.perf_counter() > deadline:
            state["late"] = z.copy()
            raise _Found
        state["last"] = z.copy()
        return v, g

    try:
        out = minimize(
            fun,
            z0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": maxiter, "gtol": 1e-14, "ftol": 1e-15, "maxcor": 30},
        )
        zend = out.x
    except _Found:
        zend = state.get("hit", state.get("late"))
    return zend, state.get("last"), "hit" in state


def _clip(z: np.ndarray, bounds: list[tuple[float | None, float | None]]) -> np.ndarray:
    lo = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
    hi = np.array([np.inf if b[1] is None else b[1] for b in bounds])
    return np.clip(z, lo, hi)


def _perturb(z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A start near ``z``: multiplicative noise on every latent."""
    return z * (1.0 + 0.05 * rng.standard_normal(z.shape))
