"""Search for violations (numeric.search): every seeded mutant is caught with a
rigorously confirmed witness, true entries are never flagged, artefacts are rejected."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derivations.catalogue import all_entries, get
from numeric.confirm import confirm
from numeric.float64 import Screen
from numeric.optimise import confirm_instance
from numeric.search import check, hypothesis_search, screen_search

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
    res = check(get(sid), budget_seconds=1.0, rng_seed=1, progress=False)
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
