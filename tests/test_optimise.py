"""The adversarial optimiser (softproof.numeric.optimise)."""

from __future__ import annotations

import numpy as np
import pytest

from softproof.derivations.catalogue import get
from softproof.derivations.statement_files import parse_statement_text
from softproof.numeric.confirm import confirm
from softproof.numeric.optimise import Objective, optimise, score
from softproof.numeric.sampling import Sampler


def s1_balls(constant: str = "1") -> object:
    """S1 on the R = 4 balls at n = 7, d = 4 (the statement-file example)."""
    return parse_statement_text(
        f"""
id = "s1-balls"
sizes = {{ n = 7, d = 4 }}
parameters = {{ R = 4 }}
hypotheses = ["opnorm(A) <= R", "norm2(x) <= R", "norm2(y) <= R"]
claim = "norm2(f(x) - f(y)) <= {constant}*opnorm(A)/2*norm2(x - y)"
""",
        "s1.toml",
    )


def test_finds_the_s1_099_mutant_at_n7_with_a_confirmed_witness():
    st = s1_balls("0.99")
    res = optimise(st, budget_seconds=8.0, rng=0)
    assert res.violation is not None and res.violation.confirmed
    assert confirm(st, {k: res.violation.instance[k] for k in ("A", "x", "y")}).confirmed


def test_worst_ratio_of_true_s1_is_close_to_one_and_never_above():
    res = optimise(s1_balls(), budget_seconds=3.0, rng=1, confirm=None)
    assert res.violation is None
    assert 0.999 < res.best.score <= 1.0
    inst = res.best.instance
    assert np.linalg.norm(inst["A"], 2) <= 4 and np.linalg.norm(inst["y"]) <= 4
    # the floor keeps y - x away from float64 cancellation
    assert np.linalg.norm(inst["x"] - inst["y"]) > 1e-9


def test_offset_floor_in_the_bounds():
    st = s1_balls()
    sam = Sampler(st)
    obj = Objective(sam, floor=1e-6)
    z0 = sam.sample_latent(1, np.random.default_rng(0))[0]
    b = obj.bounds(z0)
    y = next(el for el in sam.elements if el.var == "y")
    i, _ = sam.slices(y)
    assert y.kind == "offset" and abs(b[i][0] - 4e-6) < 1e-12


def test_score_is_above_one_exactly_on_screen_violations():
    st = get("S1-m099")
    sam = Sampler(st)
    env = sam.sample(4000, np.random.default_rng(2))
    res = sam.screen(env)
    sc = score(st, res)
    assert np.array_equal(sc > 1, res.violation)
    assert res.violation.any() and not res.violation.all()


def test_e5_quarter_mutant_is_found_by_the_optimiser():
    res = optimise(get("E5-m-quarter"), budget_seconds=5.0, rng=0)
    assert res.violation is not None and res.violation.confirmed


def test_gradient_stencils_in_small_batches_match_one_batch(monkeypatch):
    sam = Sampler(get("S1"))
    z = sam.sample_latent(1, np.random.default_rng(3))[0]
    obj = Objective(sam)
    bounds = obj.bounds(z)
    v1, g1, _, _ = obj.value_and_grad(z, bounds)
    monkeypatch.setattr(Sampler, "rows_per_batch", lambda self, cap=2048: 4)
    v2, g2, res, _ = obj.value_and_grad(z, bounds)
    assert v1 == v2
    np.testing.assert_array_equal(g1, g2)
    assert len(res.margin) == 4  # evaluated a batch at a time


def test_objective_stops_between_batches_after_its_deadline(monkeypatch):
    from softproof.numeric.optimise import _Late

    sam = Sampler(get("S1"))
    z = sam.sample_latent(1, np.random.default_rng(3))[0]
    obj = Objective(sam, deadline=0.0)
    monkeypatch.setattr(Sampler, "rows_per_batch", lambda self, cap=2048: 4)
    with pytest.raises(_Late):
        obj.value_and_grad(z, obj.bounds(z))
    res = optimise(get("S1"), budget_seconds=0.5, rng=0, confirm=None)
    assert res.seconds < 30  # a generous upper limit, not a timing test
