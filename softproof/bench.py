"""Speed benchmarks of the toolkit, each against a baseline measured in the same run.

* ``screen_vs_numpy``: toolkit float64 batch evaluation of ``f`` (D3), ``L``
  (D5) and ``grad L`` (G5) over 1,000 instances at ``n = 200``, ``d = 20``,
  divided by hand-written numpy (target <= 2);
* ``screen_vs_mpmath``: mpmath at 30 digits per instance divided by the
  float64 batch screen per instance, S1 with its hypotheses at ``n = 7``,
  ``d = 4`` (target >= 500);
* ``confirm_vs_mpmath``: mpmath at 30 digits divided by the Arb path at 100
  bits (about 30 digits) per instance, ``f``, ``L``, ``grad L`` at ``n = 200``,
  ``d = 20``, instance conversion included (target >= 10);
* ``mutant_<c>_s`` / ``mutant_<c>_evals``: seconds and evaluated instances of
  :func:`softproof.numeric.search.check` (the code path of ``softproof check``) to a
  rigorously confirmed violation of S1 with its constant multiplied by
  ``c`` in 0.99, 0.999, 0.99999, on ``||A||, ||x||, ||y|| <= R = 4`` at
  ``n = 7``, ``d = 4`` (targets 1 s, 5 s, stretch 60 s).  The baseline is
  random screening alone (:func:`softproof.numeric.search.screen_search`);
* ``mutant_099_n50_s``, ``mutant_099_n200_s``, ``mutant_0999_n50_s``: seconds of
  ``check`` to a confirmed violation of the catalogue mutants ``S1-m099`` /
  ``S1-m0999`` (no side conditions) at ``n = 50`` or ``200``, ``d = 20`` (targets
  10 s, 60 s, 60 s); the baseline is the same check with the optimiser on
  finite-difference gradients (:data:`LARGE_MUTANTS`);
* ``certify_s1_n2_d2_s`` / ``certify_iv_over_arb`` (``certify``):
  seconds to certify S1 at ``n = d = 2`` on ``[-4, 4]^8`` by branch and bound
  (target < 60 s) and ``mpmath.iv`` / Arb seconds per box on the same lowered
  expression (target >= 10), from :mod:`softproof.bench_certify`;
  ``certify_e5_n4_s`` (E5 at ``n = 4, d = 1`` on ``[-1, 1]^5``) and
  ``certify_s1_n3_d2_s`` (S1 at ``n = 3, d = 2`` on ``[-4, 4]^10``), each target
  <= 120 s, counted only when the independent checker accepts the certificate;
* ``report_jobs2_speedup`` (``report_jobs``): wall time of ``softproof report`` on
  built-in defaults (``--quick``: the subset :attr:`Sizes.report_ids`, no plots)
  with ``--jobs 1`` divided by the same with ``--jobs 2``, each in a fresh process
  (neither inherits the other's warm caches), one after the other in the same run
  (target >= 1.7 on 2 cores); the load average before and after is in the details.
  Each entry's search is time-boxed (it takes its budget whatever the CPU), so the
  details also give the instances each run searched.
* ``catalogue_load_ratio``: seconds to load the lemma catalogue from its
  statement files (open the pack, read and check every file through
  :func:`softproof.derivations.statement_files.load_statement`) divided by seconds
  to build the same statements from in-memory texts through the grammar (the
  former Python catalogue's path; the texts read beforehand) (target <= 1.2);
* ``cosh_gradient_prove_s`` (``cosh_gradient``): seconds to load the statement file
  of the cosh-normalised loss (own definitions) and prove its gradient identity for
  symbolic ``n, d`` (target < 2 s); the baseline is the built-in model's G5.

:func:`run_bench` measures a chosen set of them and returns one JSON-able dict
(the figures, ``targets``, ``met``, ``baselines``, ``machine``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from softproof.derivations import model as m
from softproof.derivations.model import A, R, b, x, y
from softproof.derivations.statement import Relation, Statement

__all__ = [
    "MEASURES",
    "TARGETS",
    "Sizes",
    "FULL",
    "QUICK",
    "measure_screen_vs_numpy",
    "measure_screen_vs_mpmath",
    "measure_confirm_vs_mpmath",
    "s1_statement",
    "s1_mutant",
    "bench_mutant",
    "bench_s1_mutants",
    "bench_large_mutant",
    "LARGE_MUTANTS",
    "bench_certify",
    "bench_report_jobs",
    "measure_catalogue_load",
    "machine_info",
    "met",
    "measure",
    "run_bench",
    "log_stderr",
]

Log = Callable[[str], None]

#: f (D3), L (D5), grad L (G5): the expressions of the evaluator benchmarks
FLG = [m.F(A, x), m.Loss(A, x, b), m.GradL(A, x, b)]

#: S1 mutants: key -> constant factor (text, parsed by the grammar)
CONSTANTS = {"099": "0.99", "0999": "0.999", "099999": "0.99999"}
MUTANT_SIZES = {"n": 7, "d": 4}
MUTANT_HYPOTHESES = ("opnorm(A) <= R", "norm2(x) <= R", "norm2(y) <= R")

#: measurable groups, in run order (``--only`` picks among them)
MEASURES = (
    "screen_vs_numpy",
    "screen_vs_mpmath",
    "confirm_vs_mpmath",
    "mutant_099",
    "mutant_0999",
    "mutant_099999",
    "mutant_099_n50",
    "mutant_099_n200",
    "mutant_0999_n50",
    "certify",
    "bound",
    "report_jobs",
    "catalogue_load_ratio",
    "cosh_gradient",
)

#: catalogue mutants searched at the paper's sizes: group -> (id, n, d, budget seconds)
LARGE_MUTANTS: dict[str, tuple[str, int, int, float]] = {
    "mutant_099_n50": ("S1-m099", 50, 20, 10.0),
    "mutant_099_n200": ("S1-m099", 200, 20, 60.0),
    "mutant_0999_n50": ("S1-m0999", 50, 20, 60.0),
}
#: the same-run baseline (the optimiser with finite-difference gradients) gets at most
#: this budget in a quick run (the full run gives it the target's budget)
QUICK_LARGE_BASELINE_S = 2.0

#: headline key -> target: ``max`` (value must be <=) or ``min`` (>=); ``stretch``
TARGETS: dict[str, dict[str, Any]] = {
    "screen_vs_numpy": {"max": 2.0},
    "screen_vs_mpmath": {"min": 500.0},
    "confirm_vs_mpmath": {"min": 10.0},
    "mutant_099_s": {"max": 1.0},
    "mutant_0999_s": {"max": 5.0},
    "mutant_099999_s": {"max": 60.0, "stretch": True},
    "mutant_099_n50_s": {"max": 10.0},
    "mutant_099_n200_s": {"max": 60.0},
    "mutant_0999_n50_s": {"max": 60.0},
    # as in softproof/bench_certify.py
    "certify_s1_n2_d2_s": {"max": 60.0},
    "certify_iv_over_arb": {"min": 10.0},
    "certify_e5_n4_s": {"max": 120.0},
    "certify_s1_n3_d2_s": {"max": 120.0},
    # softproof bound: derivation and check of the chain, per model
    **{f"bound_{k}_s": {"max": 10.0} for k in ("u", "softmax", "softmax_tau", "alpha", "cosh_f")},
    "report_jobs2_speedup": {"min": 1.7},
    "catalogue_load_ratio": {"max": 1.2},
    # a statement file with its own definitions (cosh), proved for symbolic n, d
    "cosh_gradient_prove_s": {"max": 2.0},
}


@dataclass(frozen=True)
class Sizes:
    """Problem sizes and budgets of one benchmark run."""

    numpy_batch: int
    numpy_n: int
    numpy_d: int
    screen_batch: int
    mp_instances: int
    confirm_instances: int
    confirm_n: int
    confirm_d: int
    repeat: int
    #: check budget (seconds) per mutant key; it stops at the first confirmed violation
    mutant_budget: Mapping[str, float]
    #: random-screening baseline budget (seconds) per mutant key
    baseline_budget: Mapping[str, float]
    #: certification budget (seconds) per run; boxes of the Arb / mpmath.iv comparison
    certify_budget: float
    certify_boxes: int
    #: also certify E5 at n = 3, d = 1 (a second, slower certification)
    certify_e5: bool
    #: the report subset timed with --jobs 1 and --jobs 2, its search and certify budgets
    report_ids: tuple[str, ...] = ()
    report_budget: float = 2.0
    report_certify_budget: float = 15.0


FULL = Sizes(
    numpy_batch=1000,
    numpy_n=200,
    numpy_d=20,
    screen_batch=10_000,
    mp_instances=20,
    confirm_instances=5,
    confirm_n=200,
    confirm_d=20,
    repeat=5,
    mutant_budget={"099": 10.0, "0999": 20.0, "099999": 90.0},
    baseline_budget={"099": 10.0, "0999": 20.0, "099999": 20.0},
    certify_budget=120.0,
    certify_boxes=200,
    certify_e5=True,
    report_ids=(),  # the report on built-in defaults: every entry, plots included
    report_budget=2.0,
    report_certify_budget=5.0,
)

#: a smoke run: smaller batches, short baselines; the mutant searches keep
#: their budgets (they stop at the first confirmed violation, usually within seconds)
QUICK = Sizes(
    numpy_batch=200,
    numpy_n=200,
    numpy_d=20,
    screen_batch=2000,
    mp_instances=4,
    confirm_instances=2,
    confirm_n=200,
    confirm_d=20,
    repeat=2,
    mutant_budget={"099": 10.0, "0999": 20.0, "099999": 60.0},
    baseline_budget={"099": 0.5, "0999": 0.5, "099999": 0.5},
    certify_budget=120.0,
    certify_boxes=50,
    certify_e5=False,
    report_ids=("G5", "S1-m099"),
    report_budget=0.5,
    report_certify_budget=2.0,
)


def _best(fn: Callable[[], object], repeat: int = 5) -> float:
    """Best wall time of ``repeat`` calls (seconds)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _env(B: int, nn: int, dd: int, seed: int = 0) -> dict[str, Any]:
    """A batch of ``B`` random instances: ``A`` scaled by ``1/sqrt(n)``, ``b`` on the simplex."""
    rng = np.random.default_rng(seed)
    return {
        "A": rng.normal(size=(B, nn, dd)) / np.sqrt(nn),
        "x": rng.normal(size=(B, dd)),
        "y": rng.normal(size=(B, dd)),
        "b": rng.dirichlet(np.ones(nn), size=B),
        "R": 4.0,
    }


def _numpy_flg(env: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hand-written numpy: softmax ``f`` (D3), loss ``L`` (D5), gradient (G5)."""
    a, v, w = env["A"], env["x"], env["b"]
    z = np.einsum("bij,bj->bi", a, v)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    f = e / e.sum(axis=1, keepdims=True)
    c = f - w
    loss = 0.5 * np.einsum("bi,bi->b", c, c)
    fc = f * c
    g = np.einsum("bij,bi->bj", a, fc - fc.sum(axis=1, keepdims=True) * f)
    return f, loss, g


def measure_screen_vs_numpy(
    B: int = 1000, nn: int = 200, dd: int = 20, seed: int = 0, repeat: int = 5
) -> dict[str, Any]:
    """(toolkit float64 ``f, L, grad L`` on a batch) / (hand-written numpy); target <= 2.

    The two are first checked to agree (relative 1e-10).  Returns ``ratio`` and
    the baseline figures (best seconds per batch)."""
    from softproof.numeric.float64 import compile_many

    env = _env(B, nn, dd, seed)
    ev = compile_many(FLG)
    for ours, ref in zip(ev(env), _numpy_flg(env), strict=True):
        np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-14)
    toolkit = _best(lambda: ev(env), repeat)
    numpy_s = _best(lambda: _numpy_flg(env), repeat)
    return {
        "ratio": toolkit / numpy_s,
        "toolkit_batch_s": toolkit,
        "numpy_batch_s": numpy_s,
        "batch": B,
        "n": nn,
        "d": dd,
    }


def s1_statement() -> Statement:
    """S1 (``||f(x) - f(y)|| <= ||A|| ||x - y|| / 2``) on ``||A||, ||x||, ||y|| <= R = 4``."""
    return Statement(
        id="S1",
        title="f is ||A||/2-Lipschitz",
        claim=Relation(
            m.Norm("2", m.F(A, x) - m.F(A, y)), "<=", m.Norm("op", A) * m.Norm("2", x - y) / 2
        ),
        hypotheses=(
            Relation(m.Norm("op", A), "<=", R),
            Relation(m.Norm("2", x), "<=", R),
            Relation(m.Norm("2", y), "<=", R),
        ),
        parameters={"R": 4.0},
    )


def _statement_sides(st: Statement) -> list[sp.Basic]:
    return [side for r in (*st.hypotheses, st.claim) for side in (r.lhs, r.rhs)]


def _mp_per_instance(
    exprs: list[sp.Basic], env: Mapping[str, Any], count: int, dps: int = 30, repeat: int = 2
) -> float:
    """Seconds per instance for mpmath at ``dps`` digits evaluating ``exprs`` (one plan)."""
    from softproof.numeric.exprplan import execute_all, lower_many
    from softproof.numeric.instance import slice_instance
    from softproof.numeric.mp import _mp, _MpRun, to_mp_instance

    plans = lower_many(exprs)
    insts = [slice_instance(env, i) for i in range(count)]

    def run() -> None:
        with _mp.workdps(dps):
            for inst in insts:
                vals = execute_all(plans[0].ops, _MpRun(to_mp_instance(inst)))
                _ = [vals[p.out] for p in plans]

    return _best(run, repeat) / count


def _arb_per_instance(
    exprs: list[sp.Basic], env: Mapping[str, Any], count: int, prec: int = 100, repeat: int = 3
) -> float:
    """Seconds per instance for Arb at ``prec`` bits evaluating ``exprs`` (one plan),
    conversion of the instance to balls included."""
    from flint import ctx

    from softproof.numeric.balls import _ArbRun, to_arb_instance
    from softproof.numeric.exprplan import execute_all, lower_many
    from softproof.numeric.instance import slice_instance

    plans = lower_many(exprs)
    insts = [slice_instance(env, i) for i in range(count)]

    def run() -> None:
        with ctx.workprec(prec):
            for inst in insts:
                vals = execute_all(plans[0].ops, _ArbRun(to_arb_instance(inst)))
                _ = [vals[p.out] for p in plans]

    return _best(run, repeat) / count


def measure_screen_vs_mpmath(
    count: int = 20, B: int = 10_000, seed: int = 1, repeat: int = 5
) -> dict[str, Any]:
    """(mpmath at 30 digits per instance) / (float64 batch screen per instance),
    S1 with its hypotheses at ``n = 7``, ``d = 4``; target >= 500."""
    from softproof.numeric.float64 import Screen

    st = s1_statement()
    env = _env(B, 7, 4, seed)
    screen = Screen(st)
    per_screen = _best(lambda: screen(env), repeat) / B
    per_mp = _mp_per_instance(_statement_sides(st), env, count)
    return {
        "ratio": per_mp / per_screen,
        "mpmath_per_instance_s": per_mp,
        "screen_per_instance_s": per_screen,
        "statement": "S1",
        "screen_batch": B,
        "mpmath_instances": count,
        "dps": 30,
        "n": 7,
        "d": 4,
    }


def measure_confirm_vs_mpmath(
    count: int = 5, nn: int = 200, dd: int = 20, seed: int = 2
) -> dict[str, Any]:
    """(mpmath at 30 digits) / (Arb at 100 bits) per instance for ``f, L, grad L``
    at ``n = 200``, ``d = 20``; target >= 10."""
    env = _env(count, nn, dd, seed)
    per_mp = _mp_per_instance(FLG, env, count)
    per_arb = _arb_per_instance(FLG, env, count)
    return {
        "ratio": per_mp / per_arb,
        "mpmath_per_instance_s": per_mp,
        "arb_per_instance_s": per_arb,
        "instances": count,
        "dps": 30,
        "prec_bits": 100,
        "n": nn,
        "d": dd,
    }


def s1_mutant(constant: str) -> Statement:
    """S1 with its constant multiplied by ``constant`` (false for ``constant < 1``),
    built through the grammar from the catalogue's S1 claim text."""
    from softproof.derivations.catalogue import get
    from softproof.derivations.grammar import parse_relation

    lhs, rhs = get("S1").claim_text.split("<=")
    claim = f"{lhs.strip()} <= {constant}*({rhs.strip()})"
    return Statement(
        id=f"S1-x{constant}",
        title=f"S1 with constant {constant}/2 (false)",
        claim=parse_relation(claim, parameters=["R"]),
        hypotheses=tuple(parse_relation(h, parameters=["R"]) for h in MUTANT_HYPOTHESES),
        sizes=dict(MUTANT_SIZES),
        parameters={"R": 4},
        expected=False,
        mutant_of="S1",
        claim_text=claim,
        hypotheses_text=MUTANT_HYPOTHESES,
    )


def _finite(v: float | None) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


def bench_mutant(
    key: str,
    seed: int = 0,
    budget: float = 10.0,
    baseline_budget: float | None = 10.0,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Seconds and evaluations of :func:`softproof.numeric.search.check` to a confirmed
    violation of the S1 mutant ``key`` (in :data:`CONSTANTS`); ``seconds`` is
    ``None`` if none was confirmed within ``budget``.  With ``baseline_budget``,
    also random screening alone and the speed-up (a lower bound if the
    baseline found nothing)."""
    from softproof.numeric.search import check, screen_search

    st = s1_mutant(CONSTANTS[key])
    t0 = time.perf_counter()
    res = check(st, budget, seed, MUTANT_SIZES, progress=progress)
    seconds = time.perf_counter() - t0
    found = res.verdict == "violated"
    out: dict[str, Any] = {
        "seconds": seconds if found else None,
        "evals": int(res.instances),
        "found": found,
        "budget_s": budget,
        "method": res.method,
        "worst_ratio": _finite(res.worst_ratio),
    }
    if baseline_budget is not None:
        t0 = time.perf_counter()
        base, _ = screen_search(st, baseline_budget, seed, MUTANT_SIZES)
        base_s = time.perf_counter() - t0
        base_found = base.verdict == "violated"
        out["baseline"] = {
            "method": "random screening",
            "budget_s": baseline_budget,
            "found": base_found,
            "seconds": base_s,
            "evals": int(base.instances),
            "worst_ratio": _finite(base.worst_ratio),
            "speedup": base_s / seconds if found else None,
            "speedup_is_lower_bound": found and not base_found,
        }
    return out


def bench_large_mutant(
    group: str, seed: int = 0, baseline_budget: float | None = None, progress: bool | None = None
) -> dict[str, Any]:
    """Seconds of :func:`softproof.numeric.search.check` (as ``softproof check ID --n N
    --d D``) to a confirmed violation of a catalogue mutant of :data:`LARGE_MUTANTS`
    (``None`` if none within the budget); with ``baseline_budget``, the same check
    with the optimiser on finite-difference gradients (``lbfgs-fd``), same run."""
    from softproof.derivations.catalogue import get
    from softproof.numeric.search import check

    sid, nn, dd, budget = LARGE_MUTANTS[group]
    st = get(sid)

    def run(optimiser: str, seconds: float) -> dict[str, Any]:
        t0 = time.perf_counter()
        res = check(st, seconds, seed, {"n": nn, "d": dd}, progress=progress, optimiser=optimiser)
        took = time.perf_counter() - t0
        found = res.verdict == "violated"
        return {
            "seconds": took if found else None,
            "elapsed": took,
            "evals": int(res.instances),
            "found": found,
            "budget_s": seconds,
            "method": res.method,
            "worst_ratio": _finite(res.worst_ratio),
        }

    out = {"id": sid, "n": nn, "d": dd, **run("auto", budget)}
    if baseline_budget is not None:
        base = run("lbfgs-fd", baseline_budget)
        base["method"] = "check with the finite-difference optimiser"
        base["seconds"] = base.pop("elapsed")
        found = out["seconds"] is not None
        base["speedup"] = base["seconds"] / out["seconds"] if found else None
        base["speedup_is_lower_bound"] = found and not base["found"]
        out["baseline"] = base
    out.pop("elapsed")
    return out


def bench_s1_mutants(
    seed: int = 0, with_baseline: bool = True, sizes: Sizes = FULL, log: Log | None = None
) -> dict[str, dict[str, Any]]:
    """:func:`bench_mutant` for every key of :data:`CONSTANTS`."""
    out = {}
    for key in CONSTANTS:
        if log:
            log(f"S1 x{CONSTANTS[key]}: searching (budget {sizes.mutant_budget[key]:g} s)")
        base = sizes.baseline_budget[key] if with_baseline else None
        out[key] = bench_mutant(key, seed, sizes.mutant_budget[key], base)
    return out


def bench_certify(
    budget: float = 120.0, boxes: int = 200, seed: int = 0, e5: bool = True
) -> dict[str, Any]:
    """Certification figures: S1 at ``n = d = 2`` on ``[-4, 4]^8`` (seconds, then
    the certificate checker), optionally E5 at ``n = 3, d = 1`` on ``[-1, 1]^4``,
    and ``mpmath.iv`` / Arb seconds per box at 128 bits."""
    from . import bench_certify as mod

    out = {"S1_n2_d2": mod.time_certify("S1", 2, 2, 4, budget=budget)}
    if e5:
        out["E5_n3_d1"] = mod.time_certify("E5", 3, 1, 1, budget=budget)
    out["E5_n4_d1"] = mod.time_certify("E5", 4, 1, 1, budget=budget)
    out["S1_n3_d2"] = mod.time_certify("S1", 3, 2, 4, budget=budget)
    out["arb_vs_iv"] = mod.arb_vs_mpmath_iv(boxes=boxes, seed=seed)
    return out


def _certify_figures(
    r: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Headline figures of :func:`bench_certify`: seconds only when certified and
    the checker accepts the certificate; the ratio only when enclosures overlap."""
    iv = r["arb_vs_iv"]

    def seconds(key: str) -> float | None:
        run = r.get(key)
        if run is None or run["status"] != "certified" or run.get("checked") is not True:
            return None
        return run["seconds"]

    figures = {
        "certify_s1_n2_d2_s": seconds("S1_n2_d2"),
        "certify_iv_over_arb": iv["iv_over_arb"] if iv["enclosures_overlap"] else None,
        "certify_e5_n4_s": seconds("E5_n4_d1"),
        "certify_s1_n3_d2_s": seconds("S1_n3_d2"),
    }
    baseline = {"method": "mpmath.iv", **iv}
    details = {k: v for k, v in r.items() if k != "arb_vs_iv"}
    return figures, baseline, details


#: softproof bound benchmarks: key -> (the map, in x); hypotheses ||A|| <= R, ||x|| <= R
BOUND_MODELS: dict[str, Callable[[], sp.Basic]] = {
    "u": lambda: m.U(A, x),
    "softmax": lambda: m.F(A, x),
    "softmax_tau": lambda: m.Softmax(A * x / sp.Symbol("tau", positive=True)),
    "alpha": lambda: m.Alpha(A, x),
}


#: the cosh-normalised f (statement-files.md, "Own definitions") on ||A||, ||x|| <= 1
COSH_F_TOML = """
id = "cosh-f"
hypotheses = ["opnorm(A) <= 1", "norm2(x) <= 1"]
claim = "norm2(f(x)) <= 1"
[definitions]
u     = { of = ["v"], is = "cosh(A @ v)" }
alpha = { of = ["v"], is = "dot(u(v), ones(n))" }
f     = { of = ["v"], is = "u(v) / alpha(v)" }
"""


def bench_bound() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Seconds of ``softproof bound`` (derivation and check of the chain, without
    the search) per model, the last one (``cosh_f``) read from a statement file with
    its own definitions; baseline: re-checking the hand-written P1-sharp and S1
    chains in the same run."""
    from softproof.derivations import bounds, sharp
    from softproof.derivations import chains as ch

    hyps = (Relation(m.Norm("op", A), "<=", R), Relation(m.Norm("2", x), "<=", R))
    figures: dict[str, Any] = {}
    detail: dict[str, Any] = {}
    for key, build in {**BOUND_MODELS, "cosh_f": None}.items():
        t0 = time.perf_counter()
        if build is None:  # a statement file's own model, read from the file
            from softproof.commands.bound import parse_of
            from softproof.derivations.statement_files import parse_statement_text

            st = parse_statement_text(COSH_F_TOML, "<cosh-f>")
            res = bounds.derive_bound(parse_of(st, "f(x)"), x, st.hypotheses)
        else:
            res = bounds.derive_bound(build(), x, hyps)
        sec = time.perf_counter() - t0
        figures[f"bound_{key}_s"] = sec if res.ok else None
        detail[key] = {
            "derived": res.ok,
            "constant": str(res.constant) if res.ok else None,
            "steps": len(res.chain.steps) if res.chain else 0,
        }
    t0 = time.perf_counter()
    for c in (sharp.p1_sharp(), ch.chain("S1")):
        ch._check_uncached(c, False, None)
    base = {"hand_written_chain_check_s": time.perf_counter() - t0}
    return figures, base, detail


def bench_report_jobs(
    ids: Iterable[str] | None, budget: float, certify_budget: float, seed: int = 0
) -> dict[str, Any]:
    """Wall seconds of ``softproof report`` with ``--jobs 1`` and with ``--jobs 2``,
    each in a fresh process (so neither inherits the other's warm caches), on the
    entries ``ids`` (their certification runs included, no plots) or, with ``ids``
    None, on built-in defaults (every entry, plots included); ``ratio`` is their
    quotient, ``None`` when the two runs disagree on a verdict."""
    import subprocess
    import tempfile
    from pathlib import Path

    runs: dict[int, dict[str, Any]] = {}
    load = [os.getloadavg()[0]] if hasattr(os, "getloadavg") else []
    ids = list(ids) if ids else []
    for jobs in (1, 2):
        with tempfile.TemporaryDirectory(prefix="softproof-bench-") as tmp:
            out = Path(tmp) / "report"
            cmd = [sys.executable, "-m", "softproof", "report", "--out", str(out)]
            cmd += ["--seed", str(seed), "--jobs", str(jobs), "--no-progress"]
            if ids:
                cmd += ["--budget", str(budget), "--certify-budget", str(certify_budget)]
                cmd += ["--no-plots", "--only", *ids]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
            seconds = time.perf_counter() - t0
            if proc.returncode != 0 or not (out / "report.json").exists():
                raise RuntimeError(f"report --jobs {jobs} failed: {proc.stderr[-500:]}")
            doc = json.loads((out / "report.json").read_text())
            entries = doc["entries"]
            runs[jobs] = {
                "seconds": seconds,
                "verdicts": {e["id"]: e["verdict"] for e in entries},
                "certifications": [
                    c.get("outcome") or c.get("status") for c in doc.get("certifications", [])
                ],
                "instances": sum(int(e.get("instances") or 0) for e in entries),
            }
        if load:
            load.append(os.getloadavg()[0])
    same = runs[1]["verdicts"] == runs[2]["verdicts"]
    return {
        "ratio": runs[1]["seconds"] / runs[2]["seconds"] if same else None,
        "jobs1_s": runs[1]["seconds"],
        "jobs2_s": runs[2]["seconds"],
        "same_verdicts": same,
        "same_certifications": runs[1]["certifications"] == runs[2]["certifications"],
        "instances_jobs1": runs[1]["instances"],
        "instances_jobs2": runs[2]["instances"],
        # below 1: the two-worker run searched less in its (time-boxed) entries, so
        # part of its wall-time gain is the CPU it could not get (a loaded machine)
        "work_ratio": runs[2]["instances"] / max(1, runs[1]["instances"]),
        "entries": sorted(runs[2]["verdicts"]) if ids else "all (built-in defaults)",
        "fresh_processes": True,
        "budget_per_entry_s": budget if ids else "default",
        "certify_budget_s": certify_budget if ids else "default",
        "load_average_1min": load,
        "verdicts": runs[2]["verdicts"],
    }


def _statements_from_texts(texts: list[dict[str, Any]]) -> list[Statement]:
    """The former Python catalogue's path: each entry's parameters, hypotheses and
    claim parsed by the grammar from texts already in memory, then the Statement."""
    from softproof.derivations.grammar import parse_expression, parse_relation
    from softproof.derivations.statement import parameter_symbol

    out = []
    for t in texts:
        params, symbols = dict(t.get("parameters", {})), {}
        for name, value in params.items():
            if isinstance(value, str):
                params[name] = value = parse_expression(value, parameters=symbols)
            elif isinstance(value, list):
                params[name] = value = tuple(value)
            symbols[name] = parameter_symbol(name, value)
        if "variables" in t:  # a helper lemma's declared variables (E5-general's s)
            from softproof.derivations.proofs import parse_variables

            symbols.update(parse_variables(t["variables"], taken=list(symbols)))
        claim = parse_relation(t["claim"], parameters=symbols)
        hyps = tuple(parse_relation(h, parameters=symbols) for h in t.get("hypotheses", ()))
        out.append(
            Statement(
                id=t["id"],
                title=t.get("title", ""),
                claim=claim,
                hypotheses=hyps,
                kind=t.get("kind", "identity" if claim.op == "==" else "inequality"),
                source=t.get("source", ""),
                sizes={"n": 7, "d": 4} | t.get("sizes", {}),
                parameters=params,
                expected=t.get("expected"),
                notes=t.get("notes", ""),
                mutant_of=t.get("mutant-of"),
                part_of=t.get("part-of"),
                helper=t.get("helper", False),
                claim_text=t["claim"],
                hypotheses_text=tuple(t.get("hypotheses", ())),
            )
        )
    return out


def measure_catalogue_load(repeat: int = 5) -> dict[str, Any]:
    """``catalogue_load_ratio``: seconds to load the catalogue pack from its files (a
    fresh :func:`softproof.derivations.packs.open_pack`, every statement parsed) over
    seconds to build the same statements from the pre-read texts, the median over
    interleaved pairs of runs
    (:func:`_statements_from_texts`); both warmed up once and checked equal, the
    loader's parse cache emptied before each load (as in a fresh process)."""
    import tomllib

    from softproof.derivations.packs import BUILTIN_DIR, DEFAULT_PACK, open_pack
    from softproof.derivations.statement_files import clear_parse_cache

    folder = BUILTIN_DIR / DEFAULT_PACK
    pack = open_pack(folder)
    texts = [tomllib.loads(pack.path(sid).read_text(encoding="utf-8")) for sid in pack.ids]
    from_files = open_pack(folder).statements()
    # the files' proofs are parsed when first checked (chains.chain), not at load
    if _statements_from_texts(texts) != [dataclasses.replace(s, proof=None) for s in from_files]:
        raise RuntimeError("the two catalogue paths give different statements")
    pairs = []
    for _ in range(max(repeat, 9)):  # interleaved pairs: both see the same machine load
        clear_parse_cache()  # a process's first load: nothing parsed yet
        t0 = time.perf_counter()
        open_pack(folder).statements()
        t1 = time.perf_counter()
        _statements_from_texts(texts)
        pairs.append((t1 - t0, time.perf_counter() - t1))
    ratios = sorted(f / t for f, t in pairs)
    return {
        "ratio": ratios[len(ratios) // 2],  # the median pair: robust to a busy machine
        "files_s": min(f for f, _ in pairs),
        "texts_s": min(t for _, t in pairs),
        "statements": len(from_files),
    }


#: the contract's example of own definitions (statement-files.md, "Own definitions")
COSH_GRADIENT_TOML = """
id = "cosh-gradient"
claim = "grad(L(x), x) == A.T @ (diag(sinh(A @ x)) - outer(sinh(A @ x), f(x))) @ c(x) / alpha(x)"
[definitions]
u     = { of = ["v"], is = "cosh(A @ v)" }
alpha = { of = ["v"], is = "dot(u(v), ones(n))" }
f     = { of = ["v"], is = "u(v) / alpha(v)" }
c     = { of = ["v"], is = "f(v) - b" }
L     = { of = ["v"], is = "dot(c(v), c(v)) / 2" }
"""


def bench_cosh_gradient() -> dict[str, Any]:
    """Seconds to load the cosh-gradient statement file and prove its claim for
    symbolic n, d (first run in this process; target < 2 s)."""
    from softproof.derivations.identities import identity, prove_identity
    from softproof.derivations.statement_files import parse_statement_text

    t0 = time.perf_counter()
    st = parse_statement_text(COSH_GRADIENT_TOML, "<cosh-gradient>")
    res = prove_identity(st.claim.lhs, st.claim.rhs, "symbolic")
    seconds = time.perf_counter() - t0
    g5 = identity("G5")
    t0 = time.perf_counter()
    ref = prove_identity(g5.lhs, g5.rhs, "symbolic")
    baseline = {"g5_prove_s": time.perf_counter() - t0, "g5_status": ref.status}
    return {
        "cosh_gradient_prove_s": seconds if res.proved else None,
        "status": res.status,
        "baseline": baseline,
    }


def machine_info() -> dict[str, Any]:
    """Cores, load, Python and library versions, BLAS libraries and their threads."""
    from importlib.metadata import PackageNotFoundError, version

    from threadpoolctl import threadpool_info

    def ver(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "machine": platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "python-flint": ver("python-flint"),
        "mpmath": ver("mpmath"),
        "scipy": ver("scipy"),
        "sympy": sp.__version__,
        "blas": [
            {k: i.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for i in threadpool_info()
            if i.get("user_api") == "blas"
        ],
    }


def met(key: str, value: float | None) -> bool:
    """Whether ``value`` meets :data:`TARGETS` ``[key]`` (``None``: not measured/found)."""
    if value is None or not math.isfinite(value):
        return False
    t = TARGETS[key]
    return ("max" not in t or value <= t["max"]) and ("min" not in t or value >= t["min"])


def log_stderr(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _announce(key: str, sizes: Sizes) -> str:
    if key in LARGE_MUTANTS:
        sid, nn, dd, budget = LARGE_MUTANTS[key]
        return f"{key}: searching {sid} at n={nn}, d={dd} (budget {budget:g} s), then the baseline"
    if key.startswith("mutant_"):
        c = key.removeprefix("mutant_")
        return (
            f"{key}: searching S1 x{CONSTANTS[c]} (budget {sizes.mutant_budget[c]:g} s), "
            f"then random screening ({sizes.baseline_budget[c]:g} s)"
        )
    if key == "certify":
        return (
            f"{key}: certifying S1 (n=d=2, n=3 d=2), E5 (n=4)"
            f"{' and E5 (n=3)' if sizes.certify_e5 else ''}"
        )
    if key == "report_jobs":
        which = ", ".join(sizes.report_ids) or "built-in defaults"
        return f"{key}: the report on {which} with --jobs 1, then 2 (fresh processes)"
    if key == "catalogue_load_ratio":
        return f"{key}: loading the catalogue from its files vs from in-memory texts"
    return f"{key}: measuring"


def measure(
    key: str, sizes: Sizes = FULL, seed: int = 0, progress: bool | None = False
) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]:
    """Measure one group of :data:`MEASURES`: (headline figures, same-run
    baseline figures, other details)."""
    if key == "screen_vs_numpy":
        r = measure_screen_vs_numpy(
            sizes.numpy_batch, sizes.numpy_n, sizes.numpy_d, seed, sizes.repeat
        )
    elif key == "screen_vs_mpmath":
        r = measure_screen_vs_mpmath(sizes.mp_instances, sizes.screen_batch, seed + 1, sizes.repeat)
    elif key == "confirm_vs_mpmath":
        r = measure_confirm_vs_mpmath(
            sizes.confirm_instances, sizes.confirm_n, sizes.confirm_d, seed + 2
        )
    elif key.startswith("mutant_") and key.removeprefix("mutant_") in CONSTANTS:
        c = key.removeprefix("mutant_")
        r = bench_mutant(
            c, seed, sizes.mutant_budget[c], sizes.baseline_budget[c], progress=progress
        )
        figures = {f"{key}_s": r.pop("seconds"), f"{key}_evals": r.pop("evals")}
        return figures, r.pop("baseline", None), r
    elif key == "bound":
        return bench_bound()
    elif key == "cosh_gradient":
        r = bench_cosh_gradient()
        return {"cosh_gradient_prove_s": r.pop("cosh_gradient_prove_s")}, r.pop("baseline"), r
    elif key in LARGE_MUTANTS:
        budget = LARGE_MUTANTS[key][3]
        base_s = min(budget, QUICK_LARGE_BASELINE_S) if sizes is QUICK else budget
        r = bench_large_mutant(key, seed, base_s, progress=progress)
        figures = {f"{key}_s": r.pop("seconds"), f"{key}_evals": r.pop("evals")}
        return figures, r.pop("baseline", None), r
    elif key == "certify":
        return _certify_figures(
            bench_certify(sizes.certify_budget, sizes.certify_boxes, seed, sizes.certify_e5)
        )
    elif key == "report_jobs":
        r = bench_report_jobs(
            sizes.report_ids, sizes.report_budget, sizes.report_certify_budget, seed
        )
        ratio, jobs1 = r.pop("ratio"), r.pop("jobs1_s")
        return {"report_jobs2_speedup": ratio}, {"method": "--jobs 1", "seconds": jobs1}, r
    elif key == "catalogue_load_ratio":
        r = measure_catalogue_load(sizes.repeat)
    else:
        raise ValueError(f"unknown benchmark {key!r}; choose from {', '.join(MEASURES)}")
    return {key: r.pop("ratio")}, r, None


def run_bench(
    only: Iterable[str] | None = None,
    quick: bool = False,
    seed: int = 0,
    log: Log | None = log_stderr,
) -> dict[str, Any]:
    """Measure the groups ``only`` (default all of :data:`MEASURES`, in that
    order) and return one JSON-able dict: the headline figures, ``targets``,
    ``met``, ``baselines`` (the same-run reference figures), ``details``,
    ``settings`` and ``machine``."""
    wanted = set(MEASURES if only is None else only)
    if wanted - set(MEASURES):
        raise ValueError(f"unknown benchmark(s): {', '.join(sorted(wanted - set(MEASURES)))}")
    chosen = [k for k in MEASURES if k in wanted]
    say = log or (lambda _msg: None)
    sizes = QUICK if quick else FULL
    t_start = time.perf_counter()
    out: dict[str, Any] = {}
    baselines: dict[str, Any] = {}
    details: dict[str, Any] = {}
    for key in chosen:
        t0 = time.perf_counter()
        say(_announce(key, sizes))
        figures, base, detail = measure(key, sizes, seed, progress=None if log else False)
        out.update(figures)
        if base is not None:
            baselines[key] = base
        if detail is not None:
            details[key] = detail
        head = next(iter(figures.values()))
        shown = "not found" if head is None else f"{head:.4g}"
        say(f"{key}: {shown} ({time.perf_counter() - t0:.1f} s)")
    measured = [k for k in TARGETS if k in out]
    out["targets"] = {k: TARGETS[k] for k in measured}
    out["met"] = {k: met(k, out[k]) for k in measured}
    out["baselines"] = baselines
    out["details"] = details
    out["settings"] = {
        "quick": quick,
        "seed": seed,
        "measures": chosen,
        "mutant_sizes": dict(MUTANT_SIZES),
        "mutant_R": 4,
        "mutant_hypotheses": list(MUTANT_HYPOTHESES),
    }
    out["machine"] = machine_info()
    out["seconds_total"] = time.perf_counter() - t_start
    return out
