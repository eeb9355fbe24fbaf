"""Adversarial optimisation: maximise a claim's ``lhs / rhs`` over its hypothesis set.

Two optimisers; :func:`optimise` picks one (``method='auto'``):

* :func:`gradient_search` (inequalities whose plan has a VJP for every op): a
  batched projected Adam in the variables themselves, on ``log lhs - log rhs``
  with exact gradients from reverse mode over the evaluation plan
  (:mod:`softproof.numeric.reverse`); after each step every variable is projected
  onto the set its hypotheses describe (:meth:`Sampler.project`: spectral-norm
  balls by clipping singular values, l2 balls radially, ``norm_inf(A (x - y)) < r``
  by scaling the offset), other hypotheses carry a penalty.  A secant-ratio claim
  ``norm(g(x) - g(y)) <= c norm(x - y)`` is optimised in its directional-derivative
  form ``norm(J_g(x) h) / (c norm(h))`` (:func:`secant_form`, the limit ``y -> x``),
  and each candidate becomes a real instance ``y = x + eps h``
  (:func:`secant_witnesses`).  Restarts replace the chains whose ratio grew least
  by perturbed copies of the best ones and by fresh samples (catalogue: S1, its
  mutants ``S1-m099``, ``S1-m0999``; P1, S3).
* multistart L-BFGS-B on the latents of
  :class:`softproof.numeric.sampling.Sampler` (identities, and plans without VJPs).

For L-BFGS-B the hypothesis set is parametrised smoothly by the sampler's
latents (``A = R' s G / ||G||`` spectrally, balls by
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
cannot fake a ratio; every candidate of either optimiser is an instance of the
statement itself, confirmed rigorously (:func:`confirm_instance`) before it
counts.  BLAS runs single-threaded meanwhile (:func:`single_threaded_blas`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import sympy as sp
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from softproof.derivations.statement import Statement

from .float64 import IDENTITY_RTOL, ScreenResult, norm2_rows
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
    "gradient_search",
    "gradient_ready",
    "GradientObjective",
    "secant_form",
    "secant_witnesses",
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
    method: str = "auto",
) -> OptimiseResult:
    """The adversarial optimiser: maximise the claim's score over the hypothesis set.

    ``method``: ``'gradient'`` (:func:`gradient_search`: exact gradients over the
    plan, projection, the directional form of secant ratios), ``'lbfgs-fd'``
    (multistart L-BFGS-B on the sampler's latents with central-difference
    gradients), or ``'auto'``: the gradient search for inequalities whose plan
    every op of has a VJP, else L-BFGS-B.

    ``starts``: latents to start from (else the best of ``pool`` screened
    samples, then random ones, until the budget runs out).  A local run stops
    early when the screen sees a violation; the point is repaired, re-screened
    and confirmed with ``confirm`` (``None``: no confirmation, for tests of
    the optimiser itself).  Returns the worst case and any confirmed violation.
    """
    if method not in ("auto", "gradient", "lbfgs-fd"):
        raise ValueError(f"unknown optimiser method {method!r}")
    if method != "lbfgs-fd" and gradient_ready(statement, sizes):
        return _gradient_then_polish(
            statement,
            budget_seconds,
            np.random.default_rng(rng),
            sizes,
            starts,
            pool,
            floor,
            maxiter,
            confirm,
            stop_at_violation,
            polish=method == "auto",
        )
    if method == "gradient":
        raise ValueError(f"{statement.id}: no gradient search for this claim")
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


#: latents up to which central differences are cheap enough for a final L-BFGS-B polish
POLISH_MAX_LATENTS = 160
#: share of the budget the gradient search gets before that polish
GRADIENT_SHARE = 0.3


def _gradient_then_polish(
    statement, budget, rng, sizes, starts, pool, floor, maxiter, confirm, stop, polish
) -> OptimiseResult:
    """:func:`gradient_search`; with ``polish`` and few latents, it gets
    :data:`GRADIENT_SHARE` of the budget and multistart L-BFGS-B (central
    differences on the sampler's latents: cheap at this size, and precise near a
    sharp constant) the rest, started from the gradient search's worst case."""
    t0 = time.perf_counter()
    sampler = sampler_for(statement, sizes)
    small = polish and sampler.K <= POLISH_MAX_LATENTS
    share = GRADIENT_SHARE * budget if small else budget
    common = dict(floor=floor, confirm=confirm, stop_at_violation=stop)
    gres = gradient_search(statement, share, rng, sizes, starts=starts, **common)
    left = budget - (time.perf_counter() - t0)
    if not small or left <= 0 or (gres.violation is not None and stop):
        return gres
    seeds = [] if starts is None else list(np.atleast_2d(starts))
    if gres.best is not None:
        inst = gres.best.instance
        env = {k: np.asarray(v, dtype=float)[None, ...] for k, v in inst.items()}
        seeds.insert(0, sampler.encode(env)[0])
    fres = optimise(
        statement,
        left,
        rng,
        sizes,
        starts=np.array(seeds) if seeds else None,
        pool=pool,
        maxiter=maxiter,
        method="lbfgs-fd",
        **common,
    )
    best = gres.best
    if fres.best is not None and (best is None or fres.best.score > best.score):
        best = fres.best
    found = fres.violation if fres.violation is not None else gres.violation
    return OptimiseResult(
        best=best,
        violation=found,
        evaluations=gres.evaluations + fres.evaluations,
        starts=gres.starts + fres.starts,
        seconds=time.perf_counter() - t0,
        rejected=gres.rejected + fres.rejected,
        method=fres.method if fres.violation is not None else f"{GRADIENT_METHOD}, {fres.method}",
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


# --------------------------------------------------------------------------
# The limit y -> x of a secant ratio: the directional-derivative form
# --------------------------------------------------------------------------
_FORMS: dict[int, tuple[Statement, Statement | None]] = {}


def _difference_at_pair(e: sp.Basic) -> sp.Basic | None:
    """``g(x)`` when ``e`` is ``g(x) - g(y)`` (either order, ``g`` free of ``y``)."""
    from softproof.derivations import model

    x, y = model.x, model.y
    if not isinstance(e, sp.Add | sp.MatAdd) or len(e.args) != 2:
        return None
    for a, b in (e.args, e.args[::-1]):
        if y in a.free_symbols or x not in a.free_symbols:
            continue
        if _is_zero((a.xreplace({x: y}) + b).doit()):
            return a
    return None


def _is_zero(e: sp.Basic) -> bool:
    return isinstance(e, sp.ZeroMatrix) or e == 0


def secant_form(statement: Statement) -> Statement | None:
    """The directional-derivative form of a secant-ratio claim, or ``None``.

    Recognised shape: ``norm(g(x) - g(y)) <= c * norm(x - y)`` (or ``abs`` of a
    scalar ``g``, and ``<``), with ``c`` free of ``y`` and ``y`` occurring
    nowhere else in the claim.  As ``y = x + eps h`` tends to ``x`` the ratio tends
    to ``norm(J_g(x) h) / (c norm(h))``, so the form claims ``norm(J_g(x) y) <= c
    norm(y)`` with ``y`` standing for the direction ``h`` (Jacobians from
    :mod:`softproof.derivations.calculus` when the plan is lowered) and the
    hypotheses at ``y = x``.  A violation of the form is never reported as such:
    it only proposes ``y = x + eps h`` for the statement itself (see
    :func:`secant_witnesses`).
    """
    key = id(statement)
    hit = _FORMS.get(key)
    if hit is not None and hit[0] is statement:
        return hit[1]
    form = _secant_form(statement)
    _FORMS[key] = (statement, form)
    return form


def _secant_form(statement: Statement) -> Statement | None:
    from softproof.derivations import model
    from softproof.derivations.statement import Relation

    claim = statement.claim
    x, y = model.x, model.y
    if claim.op not in ("<=", "<") or "x" not in statement.variables:
        return None
    if "y" not in statement.variables:
        return None
    lhs, rhs = claim.lhs, claim.rhs
    if isinstance(lhs, model.Norm) and lhs.kind in ("1", "2", "inf"):
        g = _difference_at_pair(lhs.arg)
        if g is None or not model.is_matrix(g):
            return None
        new_lhs = model.Norm(lhs.kind, model.Jac(g, x) * y)
    elif isinstance(lhs, sp.Abs):
        g = _difference_at_pair(lhs.args[0])
        if g is None or model.is_matrix(g):
            return None
        new_lhs = sp.Abs(model.Dot(model.Grad(g, x), y))
    else:
        return None
    secants = [
        node
        for node in sp.preorder_traversal(rhs)
        if isinstance(node, model.Norm)
        and node.kind in ("1", "2", "inf")
        and node.arg in (x - y, y - x)
    ]
    if len(secants) != 1:
        return None
    sec = secants[0]
    c = rhs.xreplace({sec: sp.Integer(1)})
    if y in c.free_symbols or sp.simplify(rhs - c * sec) != 0:
        return None  # rhs must be proportional to the one norm of x - y
    new_rhs = c * model.Norm(sec.kind, y)
    hyps = tuple(
        Relation(h.lhs.xreplace({y: x}), h.op, h.rhs.xreplace({y: x})) for h in statement.hypotheses
    )
    try:
        return replace(
            statement,
            id=f"{statement.id}/secant-limit",
            claim=Relation(new_lhs, claim.op, new_rhs),
            hypotheses=hyps,
        )
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------
# Exact-gradient search in the variables, with projection
# --------------------------------------------------------------------------
class GradientObjective:
    """The claim's log-ratio ``log lhs - log rhs`` (or ``lhs - rhs`` where a side is
    not positive) minus a quadratic penalty on failing hypothesis margins, with its
    exact gradient in every variable (:class:`softproof.numeric.reverse.GradEvaluator`
    over the statement's own plan).  Inequality claims only."""

    PENALTY = 1e3
    #: a side below this is treated as not positive (no log)
    TINY = 1e-300

    def __init__(self, statement: Statement) -> None:
        from .reverse import GradEvaluator

        if statement.claim.op == "==":
            raise NotImplementedError("identities are not optimised by gradients")
        self.statement = statement
        rels = [*statement.hypotheses, statement.claim]
        self.relations = rels
        self.ge = GradEvaluator([side for r in rels for side in (r.lhs, r.rhs)], statement)
        self.names = list(statement.variables)

    def __call__(
        self, env: Mapping[str, Any]
    ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """``(objective, gradients, ratio, hypotheses hold)`` per row."""
        from .float64 import _margin, _ok

        H = len(self.relations) - 1
        info: dict[str, Any] = {}

        def weights(outs: list[np.ndarray]) -> list[np.ndarray | None]:
            B = len(outs[0]) if outs else 1
            ws: list[np.ndarray | None] = []
            pen = np.zeros(B)
            ok = np.ones(B, dtype=bool)
            with np.errstate(all="ignore"):
                for j, rel in enumerate(self.relations[:H]):
                    lhs, rhs = outs[2 * j], outs[2 * j + 1]
                    m, fin = _margin(rel, lhs, rhs)
                    ok &= fin & _ok(rel.op, m)
                    if rel.op == "==":
                        ws += [None, None]
                        continue
                    short = np.where(np.isfinite(m), np.minimum(m, 0.0), 0.0)
                    pen += self.PENALTY * short**2
                    w = -2.0 * self.PENALTY * short  # d(-pen)/d lhs = 2 PEN short
                    ws += [w, -w]
                lhs, rhs = outs[2 * H], outs[2 * H + 1]
                pos = (lhs > self.TINY) & (rhs > self.TINY)
                val = np.where(
                    pos,
                    np.log(np.where(pos, lhs, 1.0)) - np.log(np.where(pos, rhs, 1.0)),
                    lhs - rhs,
                )
                wl = np.where(pos, 1.0 / np.where(pos, lhs, 1.0), 1.0)
                wr = np.where(pos, -1.0 / np.where(pos, rhs, 1.0), -1.0)
                ratio = np.where(rhs > 0, lhs / np.where(rhs > 0, rhs, 1.0), np.nan)
                fin = np.isfinite(lhs) & np.isfinite(rhs)
            info.update(val=val - pen, ratio=ratio, ok=ok & fin)
            return [*ws, wl, wr]

        _, grads = self.ge.value_and_grad(env, weights, self.names)
        return info["val"], grads, info["ratio"], info["ok"]


def _unit_rows(v: np.ndarray) -> np.ndarray:
    flat = np.asarray(v, dtype=float).reshape(len(v), -1)
    nv = norm2_rows(flat) if flat.shape[1] else np.zeros(len(flat))
    bad = ~(nv > 0) | ~np.isfinite(nv)
    with np.errstate(all="ignore"):
        out = flat / np.where(bad, 1.0, nv)[:, None]
    if bad.any():
        out[bad] = 0.0
        out[bad, 0] = 1.0
    return out.reshape(v.shape)


#: relative sizes of the secant step tried for a directional-form candidate
SECANT_STEPS = tuple(10.0**-k for k in range(1, 8))


def secant_witnesses(
    statement: Statement, sampler: Sampler, env: Mapping[str, Any], i: int
) -> tuple[dict[str, Any], Any]:
    """Instances ``y = x + s eps h`` of ``statement`` from row ``i`` of a
    directional-form env (``y`` holding the direction ``h``), for every ``eps`` of
    :data:`SECANT_STEPS` (relative to ``max(||x||, 1)``) and sign ``s``; returns
    the batched env (projected onto the recognised hypothesis sets, so a ``y``
    that left a ball ``x`` lies on the edge of is moved back in) and its float64
    screen."""
    x = np.asarray(env["x"][i], dtype=float)
    h = _unit_rows(np.asarray(env["y"][i : i + 1], dtype=float))[0]
    ref = max(float(np.linalg.norm(x)), 1.0)
    steps = np.array([s * e * ref for e in SECANT_STEPS for s in (1.0, -1.0)])
    B = len(steps)
    out: dict[str, Any] = {}
    for k, v in env.items():
        a = np.asarray(v)
        out[k] = np.repeat(a[i : i + 1], B, axis=0) if a.ndim >= 1 else v
    out["y"] = x[None, :] + steps[:, None] * h[None, :]
    # back onto the recognised sets (y = x + eps h leaves a ball x lies on the edge of)
    out = sampler.project(out)
    return out, sampler.screen(out)


@dataclass
class _Chains:
    """The state of the batched projected Adam: variables, moments, step sizes."""

    env: dict[str, Any]
    m: dict[str, np.ndarray]
    v: dict[str, np.ndarray]
    lr: dict[str, np.ndarray]
    t: np.ndarray
    best: np.ndarray
    gain: np.ndarray


def gradient_search(
    statement: Statement,
    budget_seconds: float = 5.0,
    rng: np.random.Generator | int | None = 0,
    sizes: Mapping[str, int] | None = None,
    starts: np.ndarray | None = None,
    chains: int | None = None,
    floor: float = 1e-6,
    confirm: Callable[[Statement, Mapping[str, Any]], Any] | None = confirm_instance,
    stop_at_violation: bool = True,
    round_steps: int = 25,
    lr: float = 0.03,
    deadline: float | None = None,
) -> OptimiseResult:
    """Batched projected Adam on the claim's log-ratio with exact gradients.

    The variables themselves are optimised (no latent map): after every step
    each is projected onto its recognised hypothesis set
    (:meth:`Sampler.project`); other hypotheses carry a penalty.  A secant-ratio
    claim (:func:`secant_form`) is optimised in its directional-derivative form
    and every candidate becomes a real instance ``y = x + eps h``
    (:func:`secant_witnesses`).  Every ``round_steps`` steps the chains whose
    ratio grew least are replaced, half by perturbed copies of the best chains
    (with halved step sizes), half by fresh samples, so the budget goes where the
    ratio grows.  Every reported violation is a screened instance of
    ``statement`` confirmed with ``confirm`` (``None``: not confirmed, for tests
    of the optimiser itself).
    """
    t0 = time.perf_counter()
    end = t0 + budget_seconds if deadline is None else deadline
    rng = np.random.default_rng(rng)
    base = sampler_for(statement, sizes)
    form = secant_form(statement)
    target = form if form is not None else statement
    fsam = sampler_for(target, base.sizes) if form is not None else base
    objective = GradientObjective(target)
    names = objective.names
    P = chains or _default_chains(base)
    best: Candidate | None = None
    violation: Candidate | None = None
    rejected: list[Candidate] = []
    evaluations = 0
    tried: dict[int, float] = {}
    seen: set[bytes] = set()
    n_starts = 0

    def fresh(k: int, latents: np.ndarray | None = None) -> dict[str, Any]:
        nonlocal n_starts
        Z = latents[:k] if latents is not None else base.sample_latent(k, rng, deadline=end)
        if len(Z) < k:  # too few given starts: fill with fresh samples
            try:
                more = base.sample_latent(k - len(Z), rng, deadline=end)
                Z = np.concatenate([Z, more]) if len(Z) else more
            except SamplingError:
                if not len(Z):
                    raise
        if len(Z) < k:
            Z = Z[np.resize(np.arange(len(Z)), k)]
        n_starts += k
        env = base.decode(Z[:k])
        if form is not None:
            env["y"] = _unit_rows(np.asarray(env["y"]) - np.asarray(env["x"]))
        return _project(fsam, env, form is not None, floor)

    def consider(env: dict[str, Any], res: ScreenResult, i: int) -> Candidate | None:
        """Track row ``i`` of an env of ``statement``; a screened violation is returned."""
        nonlocal best, evaluations
        sc = float(score(statement, res)[i])
        if not np.isfinite(sc):
            return None
        evaluations += 1
        cand = Candidate(instance_at(env, i), sc)
        if best is None or sc > best.score:
            best = cand
        return cand if bool(res.violation[i]) else None

    def real_row(env: dict[str, Any], i: int) -> tuple[dict[str, Any], ScreenResult, int] | None:
        """Row ``i`` as an instance of ``statement`` (the best secant step for a form)."""
        if form is None:
            one = {k: (np.asarray(v)[i : i + 1] if np.ndim(v) >= 1 else v) for k, v in env.items()}
            return one, base.screen(one), 0
        wenv, res = secant_witnesses(statement, base, env, i)
        sc = score(statement, res)
        if not np.isfinite(sc).any():
            return None
        viol = np.flatnonzero(res.violation)
        j = int(viol[0]) if len(viol) else int(np.argmax(sc))  # largest violating step
        return wenv, res, j

    def try_row(env: dict[str, Any], i: int, chain_score: float) -> bool:
        """Screen (and confirm) chain ``i``; True once a violation is confirmed."""
        nonlocal violation
        got = real_row(env, i)
        if got is None:
            return False
        wenv, res, j = got
        cand = consider(wenv, res, j)
        if cand is None:
            return False
        if confirm is None:
            violation = cand
            return True
        wit = witness_instance(statement, cand.instance)
        key = b"".join(np.asarray(wit[k], dtype=float).tobytes() for k in sorted(wit))
        if key in seen or chain_score < tried.get(i, -np.inf):
            return False  # this instance, or a better one of this chain, was refused
        seen.add(key)
        tried[i] = chain_score
        cand.confirmation = confirm(statement, wit)
        if cand.confirmed:
            violation = cand
            return True
        rejected.append(cand)
        return False

    try:
        env = fresh(P, None if starts is None else np.atleast_2d(starts))
    except SamplingError:
        return OptimiseResult(None, None, 0, 0, time.perf_counter() - t0, method=GRADIENT_METHOD)
    st = _new_chains(env, names, P, lr, rng)
    step = 0
    with single_threaded_blas():
        while time.perf_counter() < end:
            val, grads, ratio, ok = objective(st.env)
            good = np.isfinite(val)
            evaluations += int(np.count_nonzero(good & ok))
            sc = np.where(good & ok, ratio, -np.inf)
            st.gain = np.maximum(st.gain, sc - st.best)
            st.best = np.maximum(st.best, sc)
            # candidates: screened violations of the form (or of the statement)
            for i in np.flatnonzero(sc > 1.0)[np.argsort(-sc[sc > 1.0])][:2]:
                if try_row(st.env, int(i), float(sc[i])) and stop_at_violation:
                    return _done(best, violation, evaluations, n_starts, t0, rejected)
            step += 1
            if step % round_steps == 0:
                i = int(np.argmax(np.where(np.isfinite(st.best), st.best, -np.inf)))
                if form is not None and np.isfinite(st.best[i]):
                    try_row(st.env, i, float(sc[i]))  # the best chain as a real instance
                if violation is not None and stop_at_violation:
                    break
                try:
                    _restart(st, fsam, fresh, rng, names, lr, form is not None, floor)
                    tried.clear()  # chains were replaced
                except SamplingError:
                    pass
                continue
            _adam_step(st, grads, good, names)
            st.env = _project(fsam, st.env, form is not None, floor)
            fin = [np.isfinite(st.env[k]).reshape(P, -1).all(axis=1) for k in names]
            bad = ~np.all(fin, axis=0)
            if bad.any():
                _reset(st, np.flatnonzero(bad), fresh(int(bad.sum())), names, lr, rng)
        if violation is None:
            i = int(np.argmax(np.where(np.isfinite(st.best), st.best, -np.inf)))
            try_row(st.env, i, np.inf)
    return _done(best, violation, evaluations, n_starts, t0, rejected)


GRADIENT_METHOD = "projected Adam with exact gradients"

_READY: dict[tuple[int, tuple], tuple[Statement, bool]] = {}


def gradient_ready(statement: Statement, sizes: Mapping[str, int] | None = None) -> bool:
    """True when :func:`gradient_search` applies: an inequality claim with a
    variable, whose plan (that of its directional form, for a secant ratio) has a
    VJP for every op and gives a finite gradient on a sampled point."""
    from .reverse import VJPS

    if statement.claim.op == "==" or not statement.variables:
        return False
    try:
        sam = sampler_for(statement, sizes)
    except (SamplingError, ValueError):
        return False
    key = (id(statement), tuple(sorted(sam.sizes.items())))
    hit = _READY.get(key)
    if hit is not None and hit[0] is statement:
        return hit[1]
    ok = False
    try:
        form = secant_form(statement)
        obj = GradientObjective(form if form is not None else statement)
        kinds = {op.kind for op in obj.ge.ops}
        leaves = {"var", "param", "size", "const", "ones", "zeros", "identity"}
        if kinds <= set(VJPS) | leaves and sam.K > 0:
            Z = sam.sample_latent(1, np.random.default_rng(0))
            env = sam.decode(Z)
            if form is not None:
                env["y"] = _unit_rows(np.asarray(env["y"]) - np.asarray(env["x"]))
            _, grads, _, _ = obj(env)
            ok = all(np.isfinite(g).all() for g in grads.values())
    except (NotImplementedError, KeyError, ValueError, TypeError, SamplingError):
        ok = False
    _READY[key] = (statement, ok)
    return ok


def _done(best, violation, evaluations, n_starts, t0, rejected) -> OptimiseResult:
    return OptimiseResult(
        best=best,
        violation=violation,
        evaluations=evaluations,
        starts=n_starts,
        seconds=time.perf_counter() - t0,
        rejected=rejected,
        method=GRADIENT_METHOD,
    )


def _default_chains(sampler: Sampler) -> int:
    """Chains of one batch: 64 for small rows (a step costs little more than its
    Python overhead), else 32, fewer for large rows (about 2e5 matrix entries)."""
    n, d = sampler.sizes["n"], sampler.sizes["d"]
    if n * d <= 200:
        return 64
    return int(max(4, min(32, 200_000 // max(n * d, 1))))


def _project(sampler: Sampler, env: dict[str, Any], directional: bool, floor: float):
    out = sampler.project(env, floor=floor, skip=("y",) if directional else ())
    if directional:
        out["y"] = _unit_rows(np.asarray(out["y"], dtype=float))
    return out


def _scales(v: np.ndarray) -> np.ndarray:
    """Per row: the root-mean-square entry (the step-size unit), at least 1e-3."""
    a = np.asarray(v, dtype=float).reshape(len(v), -1)
    rms = np.sqrt((a * a).mean(axis=1)) if a.shape[1] else np.ones(len(a))
    return np.maximum(np.where(np.isfinite(rms), rms, 1.0), 1e-3)


#: a chain's step size is ``lr`` times ``10**u``, ``u`` uniform in this range (restarts
#: keep the sizes that make the ratio grow)
LR_SPREAD = (-0.5, 1.0)


def _new_chains(
    env: dict[str, Any], names: list[str], P: int, lr: float, rng: np.random.Generator
) -> _Chains:
    m = {k: np.zeros_like(np.asarray(env[k], dtype=float)) for k in names}
    v = {k: np.zeros_like(np.asarray(env[k], dtype=float)) for k in names}
    u = rng.uniform(*LR_SPREAD, size=P)
    rates = {k: lr * _scales(env[k]) * 10.0**u for k in names}
    return _Chains(env, m, v, rates, np.zeros(P), np.full(P, -np.inf), np.zeros(P))


def _adam_step(st: _Chains, grads: dict[str, np.ndarray], good: np.ndarray, names) -> None:
    """One ascent step per chain (rows with a non-finite objective do not move)."""
    b1, b2 = 0.9, 0.999
    st.t = st.t + good
    for k in names:
        g = np.nan_to_num(np.asarray(grads[k], dtype=float), nan=0.0, posinf=0.0, neginf=0.0)
        shape = (-1,) + (1,) * (g.ndim - 1)
        gm = good.reshape(shape)
        st.m[k] = np.where(gm, b1 * st.m[k] + (1 - b1) * g, st.m[k])
        st.v[k] = np.where(gm, b2 * st.v[k] + (1 - b2) * g * g, st.v[k])
        tt = np.maximum(st.t, 1).reshape(shape)
        mh = st.m[k] / (1 - b1**tt)
        vh = st.v[k] / (1 - b2**tt)
        stepk = st.lr[k].reshape(shape) * mh / (np.sqrt(vh) + 1e-300)
        stepk = np.where(np.isfinite(stepk), stepk, 0.0)
        st.env[k] = np.asarray(st.env[k], dtype=float) + np.where(gm, stepk, 0.0)


def _reset(st: _Chains, rows: np.ndarray, env: dict[str, Any], names, lr: float, rng) -> None:
    """Chains ``rows`` restarted at the rows of ``env`` (moments cleared)."""
    for k, val in env.items():
        a = np.asarray(val)
        if a.ndim >= 1 and k in st.env and np.ndim(st.env[k]) >= 1:
            cur = np.array(st.env[k], dtype=float, copy=True)
            cur[rows] = a[: len(rows)]
            st.env[k] = cur
    u = 10.0 ** rng.uniform(*LR_SPREAD, size=len(rows))
    for k in names:
        st.m[k][rows] = 0.0
        st.v[k][rows] = 0.0
        st.lr[k][rows] = lr * _scales(np.asarray(st.env[k])[rows]) * u
    st.t[rows] = 0
    st.best[rows] = -np.inf
    st.gain[rows] = 0.0


def _restart(st, sampler, fresh, rng, names, lr, directional, floor) -> None:
    """Replace the half of the chains whose ratio grew least this round: half by
    perturbed copies of the best chains (halved step sizes), half by fresh starts."""
    P = len(st.t)
    if P < 4:
        st.gain[:] = 0.0
        return
    rank = np.lexsort((st.best, st.gain))  # least gain first, then lowest ratio
    order = np.argsort(-np.where(np.isfinite(st.best), st.best, -np.inf))
    drop = [int(i) for i in rank[: P // 2] if i not in order[: max(1, P // 4)]]
    if not drop:
        st.gain[:] = 0.0
        return
    half = len(drop) // 2
    clones, news = drop[:half], drop[half:]
    if clones:
        src = order[: len(clones)] if len(clones) <= len(order) else order
        src = np.resize(src, len(clones))
        for k in names:
            a = np.array(st.env[k], dtype=float, copy=True)
            noise = rng.standard_normal(a[src].shape) * 0.01
            a[clones] = a[src] * (1.0 + noise)
            st.env[k] = a
            st.m[k][clones] = 0.0
            st.v[k][clones] = 0.0
            st.lr[k][clones] = 0.5 * st.lr[k][src]
        for k, val in st.env.items():
            if k not in names and np.ndim(val) >= 1 and len(np.asarray(val)) == P:
                a = np.array(val, copy=True)
                a[clones] = a[src]
                st.env[k] = a
        st.t[clones] = 0
        st.best[clones] = st.best[src]
        st.env = _project(sampler, st.env, directional, floor)
    if news:
        _reset(st, np.array(news), fresh(len(news)), names, lr, rng)
    st.gain[:] = 0.0
