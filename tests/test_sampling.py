"""Sampling the hypothesis sets as written (softproof.numeric.sampling)."""

from __future__ import annotations

import numpy as np
import pytest

from softproof.derivations.catalogue import get
from softproof.derivations.statement_files import parse_statement_text
from softproof.numeric.balls import relation_arb
from softproof.numeric.sampling import INSET, Sampler, SamplingError, instance_at, sample

S1_BALLS = """
id = "s1-balls"
parameters = { R = 4 }
hypotheses = ["opnorm(A) <= R", "norm2(x) <= R", "norm2(y) <= R"]
claim = "norm2(f(x) - f(y)) <= (R/2) * norm2(x - y)"
"""


def _stmt(text: str):
    return parse_statement_text(text, "test.toml")


def _alpha(A: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.exp(np.einsum("bij,bj->bi", A, x)).sum(axis=1)


def test_balls_hold_in_numpy_and_reach_boundary_and_extremes():
    env = sample(_stmt(S1_BALLS), 3000, np.random.default_rng(1))
    A, x, y = env["A"], env["x"], env["y"]
    opn = np.linalg.norm(A, 2, axis=(1, 2))
    assert opn.shape == (3000,)
    assert np.all(opn <= 4) and np.all(np.linalg.norm(x, axis=1) <= 4)
    assert np.all(np.linalg.norm(y, axis=1) <= 4)
    assert np.mean(opn > 4 * (1 - 1e-9)) > 0.2  # boundary-heavy
    assert np.mean(opn < 0.1) > 0.01  # and tiny documents
    rel = np.linalg.norm(x - y, axis=1) / np.linalg.norm(x, axis=1)
    assert rel.min() < 1e-6 and rel.max() > 0.5  # x - y from 1e-8 to order 1


def test_chain_hypotheses_p1_hold_in_numpy():
    st = get("P1")
    env = sample(st, 1000, np.random.default_rng(2))
    A, x, y = env["A"], env["x"], env["y"]
    beta = np.exp(-16.0)
    assert np.all(np.abs(np.einsum("bij,bj->bi", A, x - y)).max(axis=1) < 0.01)
    assert np.all(np.linalg.norm(A, 2, axis=(1, 2)) <= 4)
    assert np.all(np.linalg.norm(x, axis=1) <= 4) and np.all(np.linalg.norm(y, axis=1) <= 4)
    assert np.all(_alpha(A, x) >= beta) and np.all(_alpha(A, y) >= beta)
    gap = np.abs(np.einsum("bij,bj->bi", A, x - y)).max(axis=1)
    assert gap.max() > 0.009  # the closeness condition is approached


def test_document_pair_q1_holds_in_numpy():
    env = sample(get("Q1"), 500, np.random.default_rng(3))
    A, At, x = env["A"], env["At"], env["x"]
    assert np.all(np.abs(np.einsum("bij,bj->bi", A - At, x)).max(axis=1) < 0.01)
    assert np.all(np.linalg.norm(At, 2, axis=(1, 2)) <= 4)
    assert np.linalg.norm(A - At, axis=(1, 2)).min() < 1e-6


def test_interval_e1():
    env = sample(get("E1"), 2000, np.random.default_rng(4))
    t = env["t"]
    assert np.all(np.abs(t) <= 0.01) and t.max() > 0.0099 and t.min() < -0.0099
    assert np.min(np.abs(t)) < 1e-5


def test_centred_target_and_parameter_expressions():
    text = """
id = "centred"
parameters = { R = [1, 3], beta = "exp(-R**2)" }
hypotheses = ["opnorm(A) <= R", "norm2(x) <= R", "norm2(c(x)) <= 0.01", "alpha(x) >= beta"]
claim = "L(x) <= 0.00005"
"""
    env = sample(_stmt(text), 1000, np.random.default_rng(5))
    A, x, b, R = env["A"], env["x"], env["b"], env["R"]
    z = np.einsum("bij,bj->bi", A, x)
    f = np.exp(z - z.max(axis=1, keepdims=True))
    f /= f.sum(axis=1, keepdims=True)
    assert np.all(np.linalg.norm(f - b, axis=1) <= 0.01)
    assert np.all((R >= 1) & (R <= 3)) and R.min() == 1 and R.max() == 3
    assert np.allclose(env["beta"], np.exp(-(R**2)))
    assert np.all(np.linalg.norm(A, 2, axis=(1, 2)) <= R)


def test_coupled_lower_bound_is_repaired_not_just_rejected():
    # alpha(x) >= 6.9 at n = 7 forces A x close to 0: random draws mostly fail,
    # the repair pulls x towards 0 until the hypothesis holds
    text = """
id = "tight-alpha"
hypotheses = ["opnorm(A) <= 4", "norm2(x) <= 4", "alpha(x) >= 6.9"]
claim = "norm2(f(x)) <= 1"
"""
    env = sample(_stmt(text), 500, np.random.default_rng(6))
    assert len(env["x"]) == 500
    al = _alpha(env["A"], env["x"])
    assert np.all(al >= 6.9) and al.min() < 6.9 + 1e-6  # some rows end on the boundary


def test_contradictory_hypotheses_raise():
    text = """
id = "empty"
hypotheses = ["norm2(x) <= 1", "norm2(x) >= 2"]
claim = "norm2(x) <= 5"
"""
    with pytest.raises(SamplingError):
        sample(_stmt(text), 10, np.random.default_rng(7))


def test_boundary_samples_pass_the_rigorous_check():
    st = get("P1")
    sam = Sampler(st)
    env = sam.sample(400, np.random.default_rng(8))
    opn = np.linalg.norm(env["A"], 2, axis=(1, 2))
    rows = np.argsort(-opn)[:3]  # the closest to the boundary
    assert opn[rows].min() > 4 * INSET * (1 - 1e-12)
    for i in rows:
        inst = {k: v for k, v in instance_at(env, int(i)).items() if k in ("A", "x", "y")}
        inst["R"] = 4
        inst["beta"] = float(np.exp(-16.0))
        for h in st.hypotheses:
            assert relation_arb(h, inst) is True, h


def test_sizes_override():
    env = sample(get("S1"), 10, np.random.default_rng(9), sizes={"n": 3, "d": 5})
    assert env["A"].shape == (10, 3, 5) and env["x"].shape == (10, 5)


# --------------------------------------------------------------------------
# Memory-bounded batches, size limit, no batched SVD, empty sets
# --------------------------------------------------------------------------
from softproof.numeric.sampling import BATCH_BYTES, SizeLimitError  # noqa: E402


def _batch_bytes(sam: Sampler, Z: np.ndarray) -> int:
    env = sam.decode(Z)
    return Z.nbytes + sum(np.asarray(v).nbytes for v in env.values())


def test_batch_size_at_n1000_d1000_keeps_the_batch_arrays_under_the_limit():
    text = """
id = "wide"
sizes = { n = 1000, d = 1000 }
parameters = { R = 4 }
hypotheses = ["norm2(x) <= R"]
claim = "norm2(f(x)) <= 1"
"""
    sam = Sampler(_stmt(text))
    rows = sam.rows_per_batch()
    assert 1 <= rows < 2048
    assert rows * sam.row_bytes <= BATCH_BYTES
    Z = sam.draw(rows, np.random.default_rng(0))
    assert _batch_bytes(sam, Z) <= BATCH_BYTES
    # a request for many rows is cut to what fits
    assert len(sam.sample_latent(2048, np.random.default_rng(1))) <= rows


def test_the_estimate_covers_the_measured_batch_at_moderate_sizes():
    sam = Sampler(get("S1"), {"n": 300, "d": 20})
    Z = sam.draw(8, np.random.default_rng(0))
    assert _batch_bytes(sam, Z) <= 8 * sam.row_bytes


def test_sizes_above_the_memory_limit_raise_size_limit_error():
    with pytest.raises(SizeLimitError, match=r"n=10000, d=10000 is too large"):
        Sampler(get("S1"), {"n": 10000, "d": 10000})
    Sampler(get("S1"), {"n": 10000, "d": 20})  # accepted


def test_sizes_whose_rigorous_evaluation_cannot_fit_are_refused():
    # S1 takes opnorm(A): one Arb evaluation at 1000 x 1000 takes minutes
    with pytest.raises(SizeLimitError, match=r"rigorous \(Arb\) evaluation"):
        Sampler(get("S1"), {"n": 1000, "d": 1000})
    assert Sampler(get("S1"), {"n": 1000, "d": 20}).rigorous_seconds < 1


def test_sampling_at_large_sizes_calls_no_batched_svd(monkeypatch):
    from tests.test_float64 import _forbid_batched_svd

    text = """
id = "balls-large"
sizes = { n = 120, d = 90 }
parameters = { R = 4 }
hypotheses = ["opnorm(A) <= R", "norm2(x) <= R"]
claim = "norm2(f(x)) <= 1"
"""
    _forbid_batched_svd(monkeypatch)
    sam = Sampler(_stmt(text))
    env = sam.sample(20, np.random.default_rng(2))
    monkeypatch.undo()
    opn = np.linalg.norm(env["A"], 2, axis=(1, 2))
    assert np.all(opn <= 4 * (1 + 1e-10))
    assert opn.max() > 4 * (1 - 1e-9)  # the boundary is reached


def test_repair_in_chunks_matches_one_batch(monkeypatch):
    text = """
id = "repair"
parameters = { R = 4, beta = 1e-3 }
hypotheses = ["opnorm(A) <= R", "norm2(x) <= R", "alpha(x) >= beta"]
claim = "norm2(f(x)) <= 1"
"""
    sam = Sampler(_stmt(text))
    Z = sam.draw(64, np.random.default_rng(4))
    Z1, ok1 = sam.repair(Z)
    monkeypatch.setattr(Sampler, "rows_per_batch", lambda self, cap=2048: 5)
    Z2, ok2 = sam.repair(Z)
    np.testing.assert_array_equal(ok1, ok2)
    np.testing.assert_array_equal(Z1, Z2)


@pytest.mark.parametrize(
    ("hyps", "reason"),
    [
        ('["t <= 0", "t >= 1"]', "infeasible"),
        ('["1e400 <= t"]', "unrepresentable"),
        ('["t <= -1e400"]', "unrepresentable"),
        ('["R >= 5"]', "infeasible"),
    ],
)
def test_empty_hypothesis_sets_are_decided_cheaply(hyps, reason):
    text = f"""
id = "empty-t"
parameters = {{ R = 4 }}
hypotheses = {hyps}
claim = "t <= t + R"
"""
    sam = Sampler(_stmt(text))
    bad = sam.infeasible()
    assert bad is not None and bad.reason == reason
    with pytest.raises(SamplingError) as exc:
        sam.sample_latent(10, np.random.default_rng(0))
    assert exc.value.reason == reason


def test_feasible_sets_are_not_called_infeasible():
    for hyps in ('["t <= 1", "t >= 1"]', '["t >= 0", "t <= 1e300"]', '["R >= 4"]'):
        text = f"""
id = "fine"
parameters = {{ R = 4 }}
hypotheses = {hyps}
claim = "t <= t + R"
"""
        sam = Sampler(_stmt(text))
        assert sam.infeasible() is None, hyps


def test_ranged_parameter_samples_stay_inside_the_written_range():
    """A range end is the decimal written (0.3 is 3/10): the sampler's double ends lie
    inside it, so no sampled parameter is outside the claim's range."""
    from fractions import Fraction

    import sympy as sp

    from softproof.numeric.sampling import _double_at_least, _double_at_most

    for lo in (0.1, 0.3, 0.7, sp.Rational("1.41421356237309504"), sp.Rational(1, 3)):
        exact = Fraction(repr(lo)) if isinstance(lo, float) else Fraction(int(lo.p), int(lo.q))
        a, b = _double_at_least(lo), _double_at_most(lo)
        assert Fraction(a) >= exact and Fraction(b) <= exact
        assert a - b <= 2 * abs(a) * 2**-52
