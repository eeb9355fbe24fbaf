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


# --------------------------------------------------------------------------
# Exact-gradient search, projection, the directional form of secant ratios
# --------------------------------------------------------------------------
def test_secant_form_is_detected_from_the_claims_shape():
    from softproof.derivations import model
    from softproof.numeric.optimise import secant_form

    form = secant_form(get("S1-m099"))
    assert form is not None
    assert form.claim.lhs == model.Norm(
        "2", model.Jac(model.F(model.A, model.x), model.x) * model.y
    )
    assert form.claim.rhs == get("S1-m099").claim.rhs.xreplace(
        {model.Norm("2", model.x - model.y): model.Norm("2", model.y)}
    )
    form = secant_form(s1_balls("0.99"))  # hypotheses taken at y = x
    assert all(model.y not in h.free_symbols for h in form.hypotheses)
    for sid in ("E5", "S2", "S3-bmat", "G5"):  # not a secant ratio
        assert secant_form(get(sid)) is None
    other = parse_statement_text(  # y also outside the secant norm: not proportional
        'id = "t"\nclaim = "norm2(f(x) - f(y)) <= norm2(x - y) + norm2(y)"\n', "t.toml"
    )
    assert secant_form(other) is None


def test_gradient_search_confirms_s1_099_at_n50_d20_on_the_exact_witness():
    from softproof.numeric.optimise import GRADIENT_METHOD, gradient_search

    st = get("S1-m099")
    res = gradient_search(st, budget_seconds=20.0, rng=0, sizes={"n": 50, "d": 20})
    assert res.violation is not None and res.violation.confirmed
    assert res.method == GRADIENT_METHOD
    wit = {k: res.violation.instance[k] for k in ("A", "x", "y")}
    assert wit["A"].shape == (50, 20) and np.linalg.norm(wit["x"] - wit["y"]) > 0
    assert confirm(st, wit).confirmed


def test_gradient_search_on_true_s1_reports_no_violation_and_a_real_worst_case():
    from softproof.numeric.optimise import gradient_search
    from softproof.numeric.search import rigorous_ratio

    st = get("S1")
    res = gradient_search(st, budget_seconds=4.0, rng=0, sizes={"n": 50, "d": 20}, confirm=None)
    assert res.violation is None and res.best is not None
    r = rigorous_ratio(st, res.best.instance)
    assert r is not None and 0.9 < r <= 1.0  # climbs towards the sharp constant, never above


def test_rejected_candidates_never_count_as_violations():
    """A candidate the rigorous check refuses is kept as rejected, never reported."""
    from types import SimpleNamespace

    from softproof.numeric.optimise import gradient_search

    calls = []

    def refuse(_st, inst):
        calls.append(inst)
        return SimpleNamespace(confirmed=False)

    res = gradient_search(get("S1-m099"), 3.0, rng=0, sizes={"n": 7, "d": 4}, confirm=refuse)
    assert res.violation is None and calls and len(res.rejected) == len(calls)


def test_projection_onto_spectral_l2_and_coupled_offset_sets():
    from softproof.numeric.sampling import INSET

    st = s1_balls()
    sam = Sampler(st)
    rng = np.random.default_rng(0)
    env = sam.decode(sam.sample_latent(4, rng))
    env["A"] = 10 * rng.standard_normal((4, 7, 4))
    env["x"] = 10 * rng.standard_normal((4, 4))
    env["y"] = env["x"] + rng.standard_normal((4, 4))
    env["A"][0] *= 1e-3  # already inside: unchanged
    out = sam.project(env)
    np.testing.assert_array_equal(out["A"][0], env["A"][0])
    for i in range(1, 4):
        s_in = np.linalg.svd(env["A"][i], compute_uv=False)
        s_out = np.linalg.svd(out["A"][i], compute_uv=False)
        np.testing.assert_allclose(s_out, np.minimum(s_in, 4 * INSET), rtol=1e-12)
    assert (np.linalg.norm(out["x"], axis=1) <= 4).all()
    assert (np.linalg.norm(out["y"], axis=1) <= 4).all()
    assert sam.ok(out).all()
    # a coupled offset: norm_inf(A (x - y)) < 1/100 (P1's hypotheses) made to hold
    p1 = Sampler(get("P1-m099"))
    env = p1.decode(p1.sample_latent(3, rng))
    env["y"] = env["x"] + 0.5 * rng.standard_normal(env["x"].shape)
    out = p1.project(env)
    gap = np.abs(np.einsum("bij,bj->bi", out["A"], out["x"] - out["y"])).max(axis=1)
    assert (gap < 1e-2).all()
    assert not (
        np.abs(np.einsum("bij,bj->bi", env["A"], env["x"] - env["y"])).max(axis=1) < 1e-2
    ).all()


def test_secant_witnesses_are_real_instances_of_the_statement():
    from softproof.numeric.optimise import SECANT_STEPS, secant_form, secant_witnesses

    st = get("S1")
    form = secant_form(st)
    sam, fsam = Sampler(st, {"n": 5, "d": 3}), Sampler(form, {"n": 5, "d": 3})
    env = fsam.decode(fsam.sample_latent(2, np.random.default_rng(1)))
    wenv, res = secant_witnesses(st, sam, env, 1)
    assert len(res.margin) == 2 * len(SECANT_STEPS)
    gaps = np.linalg.norm(wenv["y"] - wenv["x"], axis=1)
    assert (gaps > 0).all() and np.allclose(wenv["x"], env["x"][1])
    assert not res.violation.any()  # S1 is true


def test_optimise_method_switch():
    res = optimise(get("S1-m099"), budget_seconds=5.0, rng=0, method="lbfgs-fd")
    assert res.method == "multistart L-BFGS-B"
    with pytest.raises(ValueError, match="unknown optimiser method"):
        optimise(get("S1"), budget_seconds=1.0, method="newton")
    # identities have no gradient search: 'auto' falls back to L-BFGS-B
    res = optimise(get("G5-m-sign"), budget_seconds=1.0, rng=0, confirm=None)
    assert res.method == "multistart L-BFGS-B"


def test_encode_inverts_decode_on_the_recognised_sets():
    for st in (s1_balls(), get("P1-m099"), get("S1"), get("E1-m-wide")):
        sam = Sampler(st)
        env = sam.decode(sam.sample_latent(5, np.random.default_rng(0)))
        back = sam.decode(sam.encode(env))
        for v in st.variables:
            np.testing.assert_allclose(back[v], env[v], rtol=1e-12, atol=1e-12)


def test_auto_polishes_small_problems_with_lbfgs_after_the_gradient_search(monkeypatch):
    import softproof.numeric.optimise as opt

    calls = []
    real = opt.gradient_search

    def spy(*a, **k):
        calls.append(a[1])
        return real(*a, **k)

    monkeypatch.setattr(opt, "gradient_search", spy)
    res = opt.optimise(s1_balls(), budget_seconds=2.0, rng=0, confirm=None, stop_at_violation=False)
    assert calls == [pytest.approx(2.0 * opt.GRADIENT_SHARE)]
    assert res.method.endswith("multistart L-BFGS-B") and res.violation is None
    assert 0.99 < res.best.score <= 1.0
