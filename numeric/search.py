"""Searching a statement for violations, and the combined ``check`` driver.

:func:`hypothesis_search` runs Hypothesis on the statement as written:
instances from :func:`softproof.strategies.instance_latents` (the hypothesis
set, read from the hypotheses), ``hypothesis.target`` on ``lhs / rhs`` (in
ball arithmetic for inequalities, so it does not climb towards float64
cancellation), a failure only for a *confirmed* violation (float64 candidates
are re-checked rigorously inside the test, so shrinking never walks into a
float64 artefact), and the worst ratio reached with its witness (the
tightness of a true bound).

Worst cases are tracked by :class:`_Tracker`: every case that would enter the
list of the worst ones is re-evaluated in Arb ball arithmetic
(:func:`rigorous_ratio`) and ranked by that value; float64 values the balls
contradict are counted as artefacts.

:func:`check` spends a time budget on three searches in turn: random screening
of :mod:`softproof.numeric.sampling` batches, the adversarial optimiser
(:mod:`softproof.numeric.optimise`) started from the best screened points, then the
Hypothesis search.  Identities are first given to the symbolic prover.  The
verdict is ``'violated'`` (a confirmed witness), ``'proved'`` (identities the
prover proves), or ``'searched'`` (so many instances, this worst ratio):
never more than was shown.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import target as hyp_target
from hypothesis.errors import FailedHealthCheck, Unsatisfiable
from hypothesis.reporting import with_reporter

from softproof.derivations.statement import Statement

from .float64 import IDENTITY_RTOL
from .optimise import Candidate, confirm_instance, optimise, score, witness_instance
from .sampling import SamplingError, instance_at, sampler_for

__all__ = [
    "SearchResult",
    "CheckResult",
    "witness_instance",
    "rigorous_ratio",
    "hypothesis_search",
    "screen_search",
    "check",
    "Progress",
]

Confirm = Callable[[Statement, Mapping[str, Any]], Any]


@dataclass
class SearchResult:
    """Outcome of one search.

    ``verdict`` is ``'violated'`` only with a rigorous ``confirmation`` of
    ``witness``; else ``'searched'``.  ``worst_ratio`` is the highest ratio
    ``lhs / rhs`` reached on the hypothesis set, evaluated in ball arithmetic
    (``worst_by`` says so; identities: the float64 relative disagreement over
    ``IDENTITY_RTOL``), ``worst_witness`` where.  ``instances`` counts evaluated
    points of the hypothesis set.  ``rejected`` counts float64 violations the
    rigorous check refused.
    """

    statement_id: str
    verdict: str
    instances: int
    worst_ratio: float
    worst_witness: dict[str, Any] | None
    confirmation: Any
    seconds: float
    method: str
    witness: dict[str, Any] | None = None
    rejected: int = 0
    #: the highest float64 score seen (may be a float64 artefact)
    worst_float64: float = float("nan")
    #: how ``worst_ratio`` was evaluated: 'ball arithmetic' or 'float64'
    worst_by: str = "float64"
    #: top float64 cases whose ball-arithmetic ratio disagreed (artefacts)
    artefacts: int = 0
    #: sampled points of the set where float64 overflowed (not counted in ``instances``)
    nonfinite: int = 0
    #: float64 candidates left unconfirmed because the budget ran out
    unconfirmed: int = 0
    #: why no instance was evaluated (the sampler's message), if none was
    empty: str = ""


@dataclass
class CheckResult(SearchResult):
    """Outcome of :func:`check`: also the proof (identities) and each phase's share."""

    proof: str = ""
    phases: dict[str, dict[str, Any]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    identity: bool = False
    #: the symbolic verdict (:class:`softproof.derivations.verdict.Verdict`), when asked
    prover: Any = None

    def summary(self) -> str:
        """One line saying exactly what was shown."""
        if self.verdict == "proved":
            if self.instances:
                return f"{self.proof}; also {self._searched()}"
            return self.proof
        if self.verdict == "violated" and self.method.startswith("symbolic prover"):
            return (
                f"VIOLATED: the symbolic prover's exact refuting point, confirmed rigorously; "
                f"{self.confirmation.reason}; {self.proof}"
            )
        if self.verdict == "violated":
            text = (
                f"VIOLATED: confirmed counterexample after {self.instances} instances "
                f"({self.method}); {self.confirmation.reason}"
            )
            return text + (f"; {self.proof}" if self.proof else "")
        if self.verdict == "undecided":
            why = [self.proof] if self.proof else []
            if self.empty or self.unconfirmed or not self.instances:
                why.append(undecided_reason(self))
            if self.instances:
                why.append(self._searched())
            return "UNDECIDED: " + "; ".join(why)
        extra = f"; {self.proof}" if self.proof else ""
        return self._searched() + extra

    def _searched(self) -> str:
        what = (
            f"max relative difference {self.worst_ratio * IDENTITY_RTOL:.3e} "
            f"(tolerance {IDENTITY_RTOL:g})"
            if self.identity
            else f"worst ratio {self.worst_ratio:.9g} ({self.worst_by})"
        )
        few = f" (only {self.instances})" if self.instances < FEW_INSTANCES else ""
        over = f"; {self.nonfinite} sampled points overflowed in float64" if self.nonfinite else ""
        return (
            f"searched: {self.instances} instances{few}, {what}, no violation found "
            f"(n={self.sizes.get('n')}, d={self.sizes.get('d')}; not a proof){over}"
        )


#: a search that evaluated fewer instances says so
FEW_INSTANCES = 100


def undecided_reason(res: SearchResult) -> str:
    """Why a search is undecided: no instance of the set, or candidates unconfirmed."""
    if res.unconfirmed:
        return (
            f"{res.unconfirmed} float64 candidate violation(s) could not be confirmed "
            f"rigorously within the budget ({res.instances} instances searched)"
        )
    text = res.empty or "no instance satisfying the hypotheses was found"
    if res.nonfinite:
        text += f"; {res.nonfinite} sampled points overflowed in float64 and were not evaluated"
    return text


def mark_undecided(out: SearchResult, tr: _Tracker | None = None) -> None:
    """A search with no evaluated instance, or with float64 candidates it could not
    confirm in time, is undecided (never 'searched' with nothing shown)."""
    if tr is not None:
        out.nonfinite, out.unconfirmed = tr.nonfinite, tr.unconfirmed
    if out.verdict != "searched":
        return
    if out.instances == 0 or out.unconfirmed:
        out.verdict = "undecided"
        if not out.empty and out.instances == 0:
            out.empty = "no instance satisfying the hypotheses was found" + (
                " with finite float64 values" if out.nonfinite else ""
            )


class Progress:
    """A one-line progress indicator on stderr (for runs longer than a few seconds)."""

    def __init__(self, label: str, budget: float, enabled: bool | None = None) -> None:
        self.label, self.budget = label, budget
        self.enabled = (sys.stderr.isatty() and budget >= 3) if enabled is None else enabled
        self.t0 = time.perf_counter()
        self.last = 0.0

    def update(self, phase: str, evals: int, worst: float, force: bool = False) -> None:
        now = time.perf_counter()
        if not self.enabled or (now - self.last < 0.5 and not force):
            return
        self.last = now
        print(
            f"\r[{self.label}] {phase:<10} {evals:>9} instances  worst {worst:.9g}  "
            f"{now - self.t0:5.1f}/{self.budget:g} s",
            end="",
            file=sys.stderr,
            flush=True,
        )

    def done(self) -> None:
        if self.enabled:
            print(file=sys.stderr, flush=True)


class _OutOfTime(BaseException):
    """Stops a Hypothesis run at once (a BaseException is not shrunk)."""


#: seconds past the budget allowed for one last confirmation (see ``_Tracker.last_chance``)
CONFIRM_GRACE = 3.0


class _Tracker:
    """Worst case and confirmations shared by the searches of one check."""

    def __init__(self, statement: Statement, confirm: Confirm | None) -> None:
        self.statement = statement
        self.confirm = confirm
        self.worst = -np.inf
        self.worst_instance: dict[str, Any] | None = None
        self.rejected = 0
        self.violation: Candidate | None = None
        self._seen: dict[bytes, Any] = {}
        self.top: list[tuple[float, dict[str, Any], bool]] = []
        self.artefacts = 0
        #: no new rigorous work (ratios, confirmations) is started after this
        self.deadline = np.inf
        self.nonfinite = 0
        self.unconfirmed = 0
        #: seconds of the slowest ball-arithmetic ratio so far (to skip one that cannot finish)
        self.arb_seconds = 0.0
        #: the best-scoring candidate skipped for lack of time (score, instance)
        self.skipped: tuple[float, dict[str, Any]] | None = None

    def last_chance(self, grace: float = CONFIRM_GRACE) -> None:
        """After the budget: confirm the best candidate that was skipped for lack of
        time, if one confirmation fits in ``grace`` seconds (so a search that saw a
        violation in float64 does not end undecided for want of a few seconds)."""
        if self.violation is not None or self.skipped is None or self.confirm is None:
            return
        if self.arb_seconds > grace:
            return
        sc, instance = self.skipped
        self.skipped = None
        self.deadline = time.perf_counter() + grace
        if self.try_confirm(instance, sc).confirmation is not None:
            self.unconfirmed -= 1

    def expect(self, seconds: float) -> None:
        """Take ``seconds`` as the (estimated) cost of one rigorous evaluation."""
        self.arb_seconds = max(self.arb_seconds, seconds)

    def time_for(self, seconds: float) -> bool:
        """True while a unit of rigorous work of about ``seconds`` ends before the deadline."""
        return time.perf_counter() + seconds <= self.deadline

    def ratio(self, instance: Mapping[str, Any]) -> float | None:
        """:func:`rigorous_ratio`, timed (``None`` when no time is left for it)."""
        if not self.time_for(self.arb_seconds):
            return None
        t = time.perf_counter()
        r = rigorous_ratio(self.statement, instance)
        self.arb_seconds = max(self.arb_seconds, time.perf_counter() - t)
        return r

    #: worst cases kept, keyed by their ball-arithmetic ratio
    TOP = 8
    #: rows of one batch considered for the worst-case list
    PER_BATCH = 8

    def observe(self, env: Mapping[str, Any], scores: np.ndarray) -> None:
        """Track the float64 maximum, and the worst cases re-evaluated in Arb ball
        arithmetic (float64 cases the balls contradict are counted as artefacts)."""
        if not len(scores):
            return
        i = int(np.argmax(scores))
        if scores[i] > self.worst:
            self.worst = float(scores[i])
            self.worst_instance = instance_at(env, i)
        for j in np.argsort(-scores)[: self.PER_BATCH]:
            sc = float(scores[j])
            if not np.isfinite(sc):
                break
            if len(self.top) >= self.TOP and sc <= self.top[-1][0] * (1 - 1e-6):
                break
            inst = instance_at(env, int(j))
            r = self.ratio(inst)
            if r is not None and abs(r - sc) > 1e-6 * max(1.0, abs(r)):
                self.artefacts += 1
            self.top.append((sc if r is None else r, inst, r is not None))
            self.top.sort(key=lambda p: -p[0])
            del self.top[self.TOP :]

    def rigorous_worst(self) -> tuple[float, dict[str, Any] | None, bool, int]:
        """``(ratio, instance, by_balls, artefacts)``: the worst case (by ball
        arithmetic where it could be evaluated, else float64) and how many float64
        cases the balls contradicted."""
        if not self.top:
            return -np.inf, None, False, self.artefacts
        # a case the balls evaluated outranks any float64-only case: a float64 ratio
        # the balls could not re-check (cancellation in f(x) - f(y)) is never the worst
        balls = [p for p in self.top if p[2]]
        r, inst, by_balls = balls[0] if balls else self.top[0]
        return r, inst, by_balls, self.artefacts

    def try_confirm(self, instance: Mapping[str, Any], sc: float) -> Candidate:
        """Confirm one candidate (cached per exact instance)."""
        wit = witness_instance(self.statement, instance)
        key = b"".join(np.asarray(wit[k], dtype=float).tobytes() for k in sorted(wit))
        cand = Candidate(dict(instance), sc)
        if key in self._seen:
            cand.confirmation = self._seen[key]
        elif self.confirm is None:
            return cand
        elif not self.time_for(self.arb_seconds):
            self.unconfirmed += 1
            if self.skipped is None or sc > self.skipped[0]:
                self.skipped = (sc, dict(instance))
            return cand
        else:
            try:
                cand.confirmation = self.confirm(self.statement, wit)
            except ValueError:
                cand.confirmation = None
            self._seen[key] = cand.confirmation
            if not cand.confirmed:
                self.rejected += 1
        if cand.confirmed and self.violation is None:
            self.violation = cand
        return cand


def rigorous_ratio(statement: Statement, instance: Mapping[str, Any]) -> float | None:
    """``lhs / rhs`` of an inequality at ``instance`` in Arb ball arithmetic
    (midpoint of the ball; ``None`` for identities, ``rhs <= 0`` or failure)."""
    if statement.claim.op == "==":
        return None
    from flint import ctx

    from .balls import evaluate_arb
    from .confirm import complete_instance

    try:
        inst = complete_instance(statement, witness_instance(statement, instance))
        with ctx.workprec(128):
            lhs = evaluate_arb(statement.claim.lhs, inst, 128)
            rhs = evaluate_arb(statement.claim.rhs, inst, 128)
            if not rhs > 0:
                return None
            ratio = float((lhs / rhs).mid())
            return ratio if math.isfinite(ratio) else None  # 0**ball is nan in Arb
    except (ValueError, ArithmeticError, TypeError):
        return None


def _result(statement: Statement, tr: _Tracker, n: int, t0: float, method: str) -> SearchResult:
    v = tr.violation
    out = SearchResult(
        statement_id=statement.id,
        verdict="violated" if v is not None else "searched",
        instances=n,
        worst_ratio=tr.worst,
        worst_witness=tr.worst_instance,
        confirmation=None if v is None else v.confirmation,
        seconds=0.0,
        method=method,
        witness=None if v is None else witness_instance(statement, v.instance),
        rejected=tr.rejected,
    )
    _set_worst(out, tr)
    out.seconds = time.perf_counter() - t0
    return out


def _set_worst(out: SearchResult, tr: _Tracker) -> None:
    """Fill the worst case, re-evaluated in ball arithmetic for inequalities."""
    out.worst_float64 = tr.worst
    out.worst_ratio, out.worst_witness = tr.worst, tr.worst_instance
    if tr.statement.claim.op == "==":
        return
    r, inst, by_balls, artefacts = tr.rigorous_worst()
    out.artefacts = artefacts
    if inst is not None:
        out.worst_ratio, out.worst_witness = r, inst
        out.worst_by = "ball arithmetic" if by_balls else "float64"


# --------------------------------------------------------------------------
# Random screening
# --------------------------------------------------------------------------
#: a costly row (large n, d): the screen starts with batches this small and doubles
#: them while a batch takes less than an eighth of the time left, so one batch never
#: overruns the budget by much
FIRST_COSTLY_BATCH = 32
#: rows whose spectral norms cost more than this (n * d * min(n, d)) are costly (at
#: n = 50, d = 20 a first batch of 2,048 rows took over a second, against a screening
#: share of 0.3 s)
COSTLY_ROW = 10_000


def _cheap_rows(sampler: Any) -> bool:
    n, d = sampler.sizes["n"], sampler.sizes["d"]
    return n * d * min(n, d) <= COSTLY_ROW


def _next_batch(batch: int, cap: int, took: float, deadline: float) -> int:
    """The next screening batch: doubled (up to ``cap``) while a batch takes under an
    eighth of the time left, halved when it took over a quarter."""
    left = deadline - time.perf_counter()
    if took * 8 < left:
        return min(cap, 2 * batch)
    if took * 4 > left:
        return max(1, batch // 2)
    return batch


def screen_search(
    statement: Statement,
    budget_seconds: float = 2.0,
    rng: np.random.Generator | int | None = 0,
    sizes: Mapping[str, int] | None = None,
    batch: int = 2048,
    confirm: Confirm | None = confirm_instance,
    _tracker: _Tracker | None = None,
    _progress: Progress | None = None,
    keep: int = 16,
) -> tuple[SearchResult, np.ndarray]:
    """Screen random batches of the hypothesis set; confirm the best candidates.

    Returns the result and the latents of the ``keep`` best-scoring rows (starts
    for the optimiser).
    """
    t0 = time.perf_counter()
    deadline = t0 + budget_seconds
    rng = np.random.default_rng(rng)
    tr = _tracker or _Tracker(statement, confirm)
    if _tracker is None:
        tr.deadline = deadline
    sampler = sampler_for(statement, sizes)
    tr.expect(sampler.rigorous_seconds)
    cap = sampler.rows_per_batch(batch)
    batch = cap if _cheap_rows(sampler) else min(cap, FIRST_COSTLY_BATCH)
    n = 0
    best_Z = np.zeros((0, sampler.K))
    best_s = np.zeros(0)
    while True:
        started = time.perf_counter()
        try:
            Z = sampler.sample_latent(batch, rng, deadline=deadline)
        except SamplingError:
            if n or tr.nonfinite:
                break  # found points before; none more in time
            raise
        env = sampler.decode(Z)
        res = sampler.screen(env)
        sc = score(statement, res)
        fin = np.isfinite(sc)
        n += int(fin.sum())
        tr.nonfinite += int((~fin).sum())
        tr.observe(env, sc)
        allZ, alls = np.concatenate([best_Z, Z]), np.concatenate([best_s, sc])
        top = np.argsort(-alls)[:keep]
        best_Z, best_s = allZ[top], alls[top]
        for i in np.flatnonzero(res.violation)[np.argsort(-sc[res.violation])][:3]:
            if tr.try_confirm(instance_at(env, int(i)), float(sc[i])).confirmed:
                break
        if _progress:
            _progress.update("screen", n, tr.worst)
        if tr.violation is not None or time.perf_counter() - t0 >= budget_seconds:
            break
        if sampler.K == 0:  # no variable, no ranged parameter: one point is all
            break
        batch = _next_batch(batch, cap, time.perf_counter() - started, deadline)
    out = _result(statement, tr, n, t0, "random screening")
    mark_undecided(out, tr)
    return out, best_Z[np.isfinite(best_s)]


# --------------------------------------------------------------------------
# Hypothesis
# --------------------------------------------------------------------------
def hypothesis_search(
    statement: Statement,
    budget_seconds: float = 10.0,
    max_examples: int = 20_000,
    rng_seed: int = 0,
    sizes: Mapping[str, int] | None = None,
    confirm: Confirm | None = confirm_instance,
    shrink_seconds: float = 2.0,
    _tracker: _Tracker | None = None,
    _progress: Progress | None = None,
) -> SearchResult:
    """Hypothesis property search with ``target(ratio)`` (the ratio in ball
    arithmetic for inequalities, the float64 score for identities); stops at the first
    confirmed violation, which Hypothesis then shrinks for at most
    ``shrink_seconds`` (every shrink step is re-confirmed, so the reported
    witness, the last confirmed one, is always a confirmed violation)."""
    from softproof.strategies import instance_latents

    t0 = time.perf_counter()
    deadline = t0 + budget_seconds
    tr = _tracker or _Tracker(statement, confirm)
    if _tracker is None:
        tr.deadline = deadline
    sampler = sampler_for(statement, sizes)
    tr.expect(sampler.rigorous_seconds)
    empty = sampler.infeasible()
    if empty is not None:
        raise empty
    count = [0]
    last: list[Candidate] = []
    inequality = statement.claim.op != "=="

    @seed(rng_seed)
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=False,
        print_blob=False,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
    )
    @given(instance_latents(statement, sizes))
    def prop(z: np.ndarray) -> None:
        now = time.perf_counter()
        if now > deadline or (last and now > last[0].score_time + shrink_seconds):
            raise _OutOfTime
        env = sampler.decode(z[None, :])
        res = sampler.screen(env)
        sc = score(statement, res)
        if np.isfinite(sc[0]):
            count[0] += 1
        else:
            tr.nonfinite += 1
        tr.observe(env, sc)
        if np.isfinite(sc[0]):
            # target the ball-arithmetic ratio, so Hypothesis does not climb
            # towards float64 cancellation artefacts
            r = tr.ratio(instance_at(env, 0)) if inequality else None
            value = float(sc[0] if r is None or not math.isfinite(r) else r)
            hyp_target(min(value, 1e300), label="score")
        if _progress:
            _progress.update("hypothesis", count[0], tr.worst)
        if bool(res.violation[0]):
            cand = tr.try_confirm(instance_at(env, 0), float(sc[0]))
            if cand.confirmed:
                cand.score_time = last[0].score_time if last else time.perf_counter()
                last.append(cand)
                raise AssertionError("confirmed violation")

    try:
        with with_reporter(lambda _msg: None):
            prop()
    except (_OutOfTime, AssertionError):
        pass
    except (Unsatisfiable, FailedHealthCheck):
        pass  # no example of the set: reported as an empty search
    if last:  # the final (shrunk) confirmed example
        tr.violation = last[-1]
    out = _result(statement, tr, count[0], t0, "Hypothesis with target()")
    mark_undecided(out, tr)
    return out


# --------------------------------------------------------------------------
# The combined driver
# --------------------------------------------------------------------------
#: Seconds the prover may run beyond half the budget (small budgets, loaded machines).
PROVE_GRACE = 2.0


def _try_prove(
    statement: Statement,
    sizes: Mapping[str, int],
    seconds: float = 10.0,
    chain_result: Any = None,
) -> Any:
    """The strongest symbolic verdict (:func:`softproof.derivations.verdict.strongest_verdict`):
    a machine-checked chain, else the identity prover (symbolic ``n, d`` first,
    then the explicit sizes) within ``seconds``."""
    from softproof.derivations.verdict import strongest_verdict

    return strongest_verdict(statement, sizes, seconds, chain_result)


def _confirm_refutation(
    statement: Statement, verdict: Any, confirm: Confirm | None
) -> tuple[Any, str]:
    """Rigorous confirmation of the prover's exact refuting point: ``(confirmation
    or None, why not confirmed)``."""
    if verdict.witness is None:
        return None, "the refuting point is not an instance of the statement"
    if confirm is None:
        return None, "no rigorous confirmation was run"
    try:
        conf = confirm(statement, verdict.witness)
    except (ValueError, KeyError, ArithmeticError) as exc:
        return None, f"the rigorous confirmation failed: {exc}"
    if getattr(conf, "confirmed", False):
        return conf, ""
    return None, f"the rigorous confirmation did not confirm it: {conf.reason}"


def check(
    statement: Statement,
    budget_seconds: float = 20.0,
    rng_seed: int = 0,
    sizes: Mapping[str, int] | None = None,
    progress: bool | None = None,
    confirm: Confirm | None = confirm_instance,
    prove: bool = True,
    shares: tuple[float, float, float] = (0.1, 0.7, 0.2),
    screen_cap: float = 0.3,
    prove_seconds: float | None = None,
    chain_result: Any = None,
    optimiser: str = "auto",
) -> CheckResult:
    """Check ``statement`` within ``budget_seconds``: the strongest symbolic
    verdict (chain, identity prover), then random screening, adversarial
    optimiser, Hypothesis; stop at the first confirmed violation.

    An identity proved by the prover is not searched; a statement proved by a
    chain is still searched (for the worst ratio).  An exact refutation by the
    prover is confirmed rigorously: a violation when confirmed, else the verdict
    is ``undecided`` unless the search confirms a violation.  The prover gets
    ``prove_seconds`` (default: half the budget plus ``PROVE_GRACE`` seconds, so a
    check ends within its budget plus that grace) and is killed at that deadline.
    ``shares`` split the rest between the three searches (the screening share
    is capped at ``screen_cap`` seconds); ``optimiser`` is the optimiser's method
    (:func:`softproof.numeric.optimise.optimise`)."""
    t0 = time.perf_counter()
    sampler = sampler_for(statement, sizes)
    sz = dict(sampler.sizes)
    identity = statement.claim.op == "=="
    out = CheckResult(
        statement.id, "searched", 0, -np.inf, None, None, 0.0, "", sizes=sz, identity=identity
    )
    proved_by_chain = False
    unconfirmed = ""
    if prove:
        seconds = prove_seconds
        if seconds is None:  # half the budget, plus a grace of PROVE_GRACE seconds
            seconds = 0.5 * budget_seconds + PROVE_GRACE
        verdict = _try_prove(statement, sz, seconds, chain_result)
        out.proof = verdict.text
        out.prover = verdict
        if verdict.proved and verdict.by != "chain":
            out.verdict, out.method = "proved", "symbolic prover"
            out.seconds = time.perf_counter() - t0
            return out
        proved_by_chain = verdict.proved
        if verdict.status == "refuted":
            conf, unconfirmed = _confirm_refutation(statement, verdict, confirm)
            if conf is not None:
                out.verdict, out.method = "violated", "symbolic prover (exact refutation)"
                out.confirmation = conf
                out.witness = witness_instance(statement, verdict.witness)
                out.seconds = time.perf_counter() - t0
                return out
            out.proof += f"; {unconfirmed}"
    if getattr(statement, "helper", False):  # a pack's helper lemma: proved, never searched
        out.verdict = "proved" if proved_by_chain else "undecided"
        if not proved_by_chain:
            out.empty = "a helper lemma (helper = true) is decided by its proof only, not searched"
        out.method = "machine-checked chain" if proved_by_chain else ""
        out.seconds = time.perf_counter() - t0
        return out
    prog = Progress(statement.id, budget_seconds, progress)
    tr = _Tracker(statement, confirm)
    tr.deadline = t0 + budget_seconds
    rng = np.random.default_rng(rng_seed)
    total = 0
    method = ""
    try:
        res, starts = screen_search(
            statement,
            min(shares[0] * budget_seconds, screen_cap),
            rng,
            sz,
            confirm=confirm,
            _tracker=tr,
            _progress=prog,
        )
        out.phases["screen"] = {"instances": res.instances, "seconds": res.seconds}
        total += res.instances
        method = res.method
        if (
            sampler.K == 0  # one point only (constants): decide it in Arb, not in float64
            and tr.violation is None
            and confirm is not None
            and tr.worst_instance is not None
        ):
            tr.try_confirm(tr.worst_instance, tr.worst)
        left = budget_seconds - (time.perf_counter() - t0)
        if tr.violation is None and left > 0 and sampler.K > 0:
            opt_budget = left * shares[1] / (shares[1] + shares[2])
            ores = optimise(
                statement,
                opt_budget,
                rng,
                sz,
                starts=starts,
                stop_at_violation=True,
                method=optimiser,
                confirm=None
                if confirm is None
                else (lambda _st, inst: tr.try_confirm(inst, np.nan).confirmation),
            )
            if ores.best is not None:
                tr.observe(_env_of(ores.best.instance), np.array([ores.best.score]))
            out.phases["optimise"] = {
                "instances": ores.evaluations,
                "seconds": ores.seconds,
                "starts": ores.starts,
                "method": ores.method,
            }
            total += ores.evaluations
            method = ores.method
            prog.update("optimise", total, tr.worst, force=True)
        left = budget_seconds - (time.perf_counter() - t0)
        if tr.violation is None and left > 0 and sampler.K > 0:
            hres = hypothesis_search(
                statement,
                left,
                rng_seed=rng_seed,
                sizes=sz,
                confirm=confirm,
                _tracker=tr,
                _progress=prog,
            )
            out.phases["hypothesis"] = {"instances": hres.instances, "seconds": hres.seconds}
            total += hres.instances
            method = hres.method
    except SamplingError as exc:
        out.empty = str(exc)
    finally:
        prog.done()
    tr.last_chance()
    v = tr.violation
    out.verdict = "violated" if v is not None else "searched"
    if v is None and proved_by_chain:
        out.verdict = "proved"
    elif v is None and unconfirmed:
        out.verdict = "undecided"
    elif v is not None and proved_by_chain:
        out.proof += "; the search's confirmed violation contradicts the chain"
    out.instances = total
    _set_worst(out, tr)
    out.confirmation = None if v is None else v.confirmation
    out.witness = None if v is None else witness_instance(statement, v.instance)
    out.rejected = tr.rejected
    searched = f"random screening, {_optimiser_name(out)}, Hypothesis"
    out.method = method if v is not None else searched
    mark_undecided(out, tr)
    out.seconds = time.perf_counter() - t0
    return out


def _optimiser_name(out: CheckResult) -> str:
    """The optimiser as the summary names it (the method its phase ran)."""
    return str(out.phases.get("optimise", {}).get("method", "L-BFGS-B"))


def _env_of(instance: Mapping[str, Any]) -> dict[str, Any]:
    return {k: np.asarray(v, dtype=float)[None, ...] for k, v in instance.items()}
