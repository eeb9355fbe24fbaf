"""Search for violations (softproof.numeric.search): every seeded mutant is caught with a
rigorously confirmed witness, true entries are never flagged, artefacts are rejected."""

from __future__ import annotations

import math

import numpy as np
import pytest

from softproof.derivations.catalogue import all_entries, get
from softproof.numeric.confirm import confirm
from softproof.numeric.float64 import Screen
from softproof.numeric.optimise import confirm_instance
from softproof.numeric.search import check, hypothesis_search, screen_search

#: every seeded mutant of the catalogue (the spec's list is checked in test_catalogue)
MUTANTS = [s.id for s in all_entries() if s.expected is False]
#: every true inequality of the catalogue
TRUE_ENTRIES = [s.id for s in all_entries() if s.expected and s.claim.op != "=="]
#: every true identity or definition of the catalogue
IDENTITIES = [s.id for s in all_entries() if s.expected and s.claim.op == "=="]


@pytest.mark.parametrize("sid", MUTANTS)
def test_every_mutant_is_caught_with_a_confirmed_witness(sid):
    st = get(sid)
    assert st.expected is False
    res = check(st, budget_seconds=10.0, rng_seed=0, progress=False, prove=False)
    assert res.verdict == "violated", res.summary()
    assert res.confirmation.confirmed
    # independent re-confirmation of the exact witness
    again = confirm(st, res.witness)
    assert again.confirmed, again.reason
    # the same witness does not violate the true statement it was seeded from
    parent = get(st.mutant_of)
    if set(parent.variables) == set(st.variables):
        assert not confirm(parent, res.witness).confirmed


@pytest.mark.parametrize("sid", TRUE_ENTRIES)
def test_true_entries_are_never_flagged(sid):
    res = check(get(sid), budget_seconds=1.0, rng_seed=1, progress=False)
    assert res.verdict != "violated", res.summary()
    assert res.instances > 0


@pytest.mark.parametrize("sid", IDENTITIES)
def test_true_identities_are_proved(sid):
    # the prover's time is generous (a loaded machine); the search budget stays small
    res = check(get(sid), budget_seconds=1.0, rng_seed=1, progress=False, prove_seconds=30)
    assert res.verdict == "proved", res.summary()


def test_tightness_of_e1_is_the_sharp_constant():
    # |e^t - 1| / (2|t|) on |t| <= 0.01 peaks at t = 0.01: (e^0.01 - 1) / 0.02
    res = check(get("E1"), budget_seconds=1.0, rng_seed=0, progress=False)
    sharp = math.expm1(0.01) / 0.02
    assert res.worst_by == "ball arithmetic"
    assert sharp - 1e-9 < res.worst_ratio <= sharp + 1e-12
    assert "searched:" in res.summary() and "not a proof" in res.summary()


def test_tightness_of_s1_approaches_one():
    res = check(get("S1"), budget_seconds=3.0, rng_seed=0, progress=False)
    assert res.verdict == "proved" and res.prover.by == "chain"  # and still searched
    assert 0.999 < res.worst_ratio <= 1.0


def _ulp_candidate(st):
    """y a few ulps from x: the float64 ratio of S1 is garbage there."""
    rng = np.random.default_rng(0)
    scr = Screen(st)
    for _ in range(2000):
        A = rng.standard_normal((2, 2)) * 3
        x = rng.standard_normal(2)
        y = x.copy()
        y[0] = np.nextafter(x[0], np.inf)
        env = {"A": A[None], "x": x[None], "y": y[None]}
        res = scr(env)
        if res.violation[0]:
            return {"A": A, "x": x, "y": y}, float(res.ratio[0])
    raise AssertionError("no float64 artefact found")


def test_ulp_artefact_is_rejected():
    st = get("S1")
    inst, ratio = _ulp_candidate(st)
    assert ratio > 1  # the screen is fooled ...
    conf = confirm_instance(st, inst)
    assert not conf.confirmed  # ... the rigorous check is not
    assert "holds" in conf.reason


def test_screen_search_reports_rejections_not_violations():
    # random screening of E1 on |t| <= 0.01 never finds a confirmed violation
    res, starts = screen_search(get("E1"), budget_seconds=0.3, rng=0)
    assert res.verdict == "searched" and len(starts) > 0


def test_hypothesis_search_alone_finds_e1_wide_and_shrinks():
    res = hypothesis_search(get("E1-m-wide"), budget_seconds=10.0, rng_seed=0)
    assert res.verdict == "violated" and res.confirmation.confirmed
    t = res.witness["t"]
    assert 1.2564 < abs(t) <= 2.0


def test_hypothesis_search_on_a_true_statement_tracks_the_worst_case():
    res = hypothesis_search(get("S2"), budget_seconds=2.0, rng_seed=0)
    assert res.verdict == "searched" and res.instances > 10
    assert 0 < res.worst_ratio <= 1.0 and res.worst_witness is not None


# --------------------------------------------------------------------------
# Empty hypothesis sets, overflow and deadlines
# --------------------------------------------------------------------------
from softproof.cli import main  # noqa: E402
from softproof.derivations.statement_files import parse_statement_text  # noqa: E402
from softproof.numeric.search import _Tracker, mark_undecided  # noqa: E402

EMPTY_SETS = {
    "overflowing-literal": ('["1e400 <= t"]', "not a finite float64 number"),
    "contradictory": ('["t <= 0", "t >= 1"]', "infeasible: they ask for t >= 1 and t <= 0"),
    "never-hit": ('["norm2(x) <= 1", "norm2(x) >= 2"]', "no instance satisfying the hypotheses"),
}


def _file(tmp_path, sid: str, hyps: str, claim: str = "t <= t + 1") -> str:
    path = tmp_path / f"{sid}.toml"
    path.write_text(f'id = "{sid}"\nhypotheses = {hyps}\nclaim = "{claim}"\n')
    return str(path)


@pytest.mark.parametrize("case", sorted(EMPTY_SETS))
@pytest.mark.parametrize("command", ["check", "search"])
def test_empty_hypothesis_set_is_undecided_exit_3(capsys, tmp_path, case, command):
    hyps, message = EMPTY_SETS[case]
    claim = "norm2(x) <= 5" if case == "never-hit" else "t <= t + 1"
    path = _file(tmp_path, case, hyps, claim)
    rc = main([command, path, "--budget", "1", "--quiet"])
    out = capsys.readouterr().out
    assert rc == 3, out
    assert "UNDECIDED" in out and message in out, out
    assert "searched: 0 instances" not in out


def test_check_result_of_an_empty_search_is_undecided():
    st = parse_statement_text(
        'id = "contra"\nhypotheses = ["t <= 0", "t >= 1"]\nclaim = "t <= 5"\n', "c.toml"
    )
    res = check(st, budget_seconds=1.0, progress=False)
    assert res.verdict == "undecided" and res.instances == 0
    assert "infeasible" in res.empty and res.summary().startswith("UNDECIDED")


def test_overflowing_rows_are_not_counted_as_searched():
    st = parse_statement_text(
        'id = "expo"\nhypotheses = ["t >= 0", "t <= 1"]\nclaim = "exp(1000*t) >= 1"\n', "e.toml"
    )
    res, _ = screen_search(st, budget_seconds=0.3)
    assert res.verdict == "searched"
    assert res.nonfinite > 0 and res.instances > 0
    # every counted instance has t <= ~0.709 (exp(1000 t) finite)
    assert res.worst_witness is None or res.worst_witness["t"] < 0.71


def test_huge_parameters_give_no_false_violation():
    text = """
id = "huge-r"
sizes = { n = 5, d = 3 }
parameters = { R = 1e300 }
hypotheses = ["opnorm(A) <= R", "norm2(x) <= R", "norm2(y) <= R"]
claim = "norm2(f(x) - f(y)) <= (R/2) * norm2(x - y)"
"""
    res = check(parse_statement_text(text, "h.toml"), budget_seconds=3.0, progress=False)
    assert res.verdict in ("searched", "undecided"), res.summary()
    assert res.nonfinite > 0


def test_all_rows_overflowing_is_undecided():
    st = parse_statement_text(
        'id = "all-over"\nhypotheses = ["t >= 800", "t <= 900"]\nclaim = "exp(t) >= 1"\n', "o.toml"
    )
    res = check(st, budget_seconds=1.0, progress=False)
    assert res.verdict == "undecided" and res.instances == 0 and res.nonfinite > 0
    assert "overflowed" in res.summary()


def test_no_rigorous_work_starts_after_the_deadline(monkeypatch):
    import softproof.numeric.search as search_mod

    def forbidden(*_a, **_k):
        raise AssertionError("rigorous work started after the deadline")

    st = get("S1-m099")
    tr = _Tracker(st, forbidden)
    tr.deadline = 0.0  # long past
    monkeypatch.setattr(search_mod, "rigorous_ratio", forbidden)
    env = {"A": np.ones((2, 2, 2)), "x": np.ones((2, 2)), "y": np.zeros((2, 2))}
    tr.observe(env, np.array([0.5, 2.0]))  # tracks the float64 maximum only
    assert tr.worst == 2.0 and tr.top[0][2] is False
    cand = tr.try_confirm({"A": np.ones((2, 2)), "x": np.ones(2), "y": np.zeros(2)}, 2.0)
    assert not cand.confirmed and tr.unconfirmed == 1


def test_a_float64_ratio_the_balls_did_not_recheck_is_never_the_reported_worst():
    """A float64 ratio above 1 (cancellation in f(x) - f(y)) left unchecked by the balls
    (no time left) must not outrank a ratio the balls re-evaluated."""
    st = get("S1")
    tr = _Tracker(st, None)
    inst = {"A": np.eye(2), "x": np.ones(2), "y": np.zeros(2)}
    tr.top = [(1.7, dict(inst), False), (0.93, dict(inst), True)]
    r, _, by_balls, _ = tr.rigorous_worst()
    assert (r, by_balls) == (0.93, True)
    tr.top = [(1.7, dict(inst), False)]  # nothing re-checked: the float64 case, so labelled
    assert tr.rigorous_worst()[2] is False


def test_unconfirmed_candidates_make_a_search_undecided():
    st = get("S1")
    tr = _Tracker(st, None)
    tr.unconfirmed = 2
    res = check(st, budget_seconds=0.2, prove=False, progress=False)
    assert res.verdict == "searched"
    mark_undecided(res, tr)
    assert res.verdict == "undecided"
    assert "could not be confirmed" in res.summary()


def test_a_search_of_few_instances_says_how_many():
    st = get("S1")
    res = check(st, budget_seconds=0.2, progress=False)
    res.instances = 7
    assert "7 instances (only 7)" in res.summary()


@pytest.mark.parametrize("command", ["check", "search"])
def test_sizes_above_the_limits_exit_2(capsys, command):
    rc = main([command, "S1", "--n", "1000", "--d", "1000", "--budget", "1", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "too large" in err and err.count("\n") == 1


def test_large_sizes_stay_within_a_generous_budget_and_call_no_batched_svd(monkeypatch):
    from tests.test_float64 import _forbid_batched_svd

    _forbid_batched_svd(monkeypatch)
    res = check(
        get("S1"), budget_seconds=1.0, sizes={"n": 2000, "d": 20}, prove=False, progress=False
    )
    assert res.verdict == "searched" and res.instances > 0
    assert res.seconds < 60  # a generous upper limit, not a timing test


def test_screen_batches_grow_from_small_when_rows_are_costly():
    """At n = d = 100 a 2,048-row first batch took several seconds (batched Gram
    eigenvalues): costly rows start small and double only while there is time."""
    import time as _time

    from softproof.numeric.sampling import Sampler
    from softproof.numeric.search import FIRST_COSTLY_BATCH, _cheap_rows, _next_batch

    assert _cheap_rows(Sampler(get("S1"), {"n": 7, "d": 4}))
    assert not _cheap_rows(Sampler(get("S1"), {"n": 100, "d": 100}))
    far = _time.perf_counter() + 100.0
    assert _next_batch(FIRST_COSTLY_BATCH, 2048, 0.01, far) == 2 * FIRST_COSTLY_BATCH
    assert _next_batch(2048, 2048, 0.01, far) == 2048
    assert _next_batch(64, 2048, 60.0, far) == 32


def test_last_chance_confirms_the_best_candidate_skipped_for_lack_of_time():
    """A float64 violation seen just before the deadline gets one confirmation within
    a grace of a few seconds, so the search does not end undecided for want of time."""
    from types import SimpleNamespace

    calls: list = []

    def confirm(_st, inst):
        calls.append(inst)
        return SimpleNamespace(confirmed=True)

    st = get("S1-m099")
    tr = _Tracker(st, confirm)
    tr.deadline = 0.0  # long past
    inst = {"A": np.ones((2, 2)), "x": np.ones(2), "y": np.zeros(2)}
    assert not tr.try_confirm(inst, 2.0).confirmed and tr.unconfirmed == 1 and not calls
    tr.last_chance()
    assert tr.violation is not None and tr.unconfirmed == 0 and len(calls) == 1
    tr.arb_seconds = 1e9  # a confirmation that cannot fit in the grace is not tried
    tr2 = _Tracker(st, confirm)
    tr2.deadline, tr2.arb_seconds = 0.0, 1e9
    tr2.try_confirm(inst, 2.0)
    tr2.last_chance()
    assert tr2.violation is None and len(calls) == 1


@pytest.mark.parametrize("claim", ["abs(t)**(t + 2) <= 1", "0**t <= 1"])
def test_nan_ball_ratio_is_no_hypothesis_target(tmp_path, claim):
    """Arb gives nan for 0**ball: it must not reach hypothesis.target (exit 4)."""
    from softproof.derivations.statement_files import parse_statement_text
    from softproof.numeric.search import hypothesis_search, rigorous_ratio

    st = parse_statement_text(
        f'id = "q"\nsizes = {{ n = 1, d = 1 }}\nhypotheses = ["abs(t) <= 1"]\nclaim = "{claim}"\n'
    )
    assert rigorous_ratio(st, {"t": 0.0}) is None or np.isfinite(rigorous_ratio(st, {"t": 0.0}))
    res = hypothesis_search(st, 2.0, rng_seed=0)
    assert res.verdict != "violated"
