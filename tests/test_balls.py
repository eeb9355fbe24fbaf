"""Arb enclosures (softproof.numeric.balls): they contain the high-precision values."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from flint import arb, arb_mat, ctx
from hypothesis import given
from hypothesis import strategies as st

from softproof.derivations import model as m
from softproof.derivations.model import A, R, b, t, x, y
from softproof.derivations.statement import Relation
from softproof.numeric.balls import evaluate_arb, relation_arb, spectral_norm_arb
from softproof.numeric.float64 import compile_expr
from softproof.numeric.mp import evaluate_mp

EXPRS = [
    m.F(A, x),
    m.U(A, x),
    m.Alpha(A, x),
    m.Loss(A, x, b),
    m.GradL(A, x, b),
    m.BMat(A, x, b),
    m.HessL(A, x, b),
    m.Norm("op", A),
    m.Norm("inf", A * (x - y)),
    m.Norm("1", m.F(A, x) - b),
    sp.log(m.Alpha(A, x)) + sp.sqrt(m.Norm("fro", A)) + sp.Max(R, 1) * sp.pi,
]


def random_instance(seed: int, nn: int = 5, dd: int = 3) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "A": rng.normal(size=(nn, dd)),
        "x": rng.normal(size=dd),
        "y": rng.normal(size=dd),
        "b": rng.normal(size=nn),
        "R": 4.0,
    }


def entries(v) -> list:
    if isinstance(v, arb_mat):
        return v.entries()
    if isinstance(v, mpmath.matrix):
        return [v[i, j] for i in range(v.rows) for j in range(v.cols)]
    return [v]


@given(seed=st.integers(0, 2**32 - 1), nn=st.integers(1, 6), dd=st.integers(1, 4))
def test_enclosures_contain_mpmath_values(seed, nn, dd):
    inst = random_instance(seed, nn, dd)
    for expr in EXPRS:
        ball = evaluate_arb(expr, inst, prec=128)
        ref = evaluate_mp(expr, inst, dps=60)
        bs, rs = entries(ball), entries(ref)
        assert len(bs) == len(rs)
        for bb, rr in zip(bs, rs, strict=True):
            assert bb.rad() < 1e-25 * (1 + abs(float(bb))), (expr, bb)
            # the 60-digit value lies within the ball up to mpmath's own rounding
            with mpmath.workdps(70):
                mid = mpmath.mpf(bb.mid().str(70, radius=False))
                assert abs(mid - rr) <= mpmath.mpf(bb.rad().str(20, radius=False)) * (
                    1 + mpmath.mpf(10) ** -10
                ) + mpmath.mpf(10) ** -55 * (1 + abs(rr)), (expr, bb, rr)


def test_agrees_with_float64():
    inst = random_instance(1, 8, 4)
    env = {k: (np.asarray(v)[None] if np.ndim(v) else v) for k, v in inst.items()}
    for expr in EXPRS:
        ref = np.ravel(compile_expr(expr)(env)[0])
        got = np.array([float(e) for e in entries(evaluate_arb(expr, inst))])
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14, err_msg=str(expr))


def test_box_inputs_enclose_every_point():
    """A box (arb_mat with radii) gives an enclosure of all its points."""
    rng = np.random.default_rng(2)
    a0, x0 = rng.normal(size=(4, 3)), rng.normal(size=3)
    rad = 1e-3
    box = {
        "A": arb_mat(4, 3, [arb(v, rad) for v in a0.ravel()]),
        "x": arb_mat(3, 1, [arb(v, rad) for v in x0]),
    }
    for expr in (m.F(A, x), m.Norm("op", A), m.Alpha(A, x)):
        ball = entries(evaluate_arb(expr, box))
        for _ in range(20):
            pt = {
                "A": a0 + rng.uniform(-rad, rad, a0.shape),
                "x": x0 + rng.uniform(-rad, rad, x0.shape),
            }
            val = entries(evaluate_arb(expr, pt))
            for bb, vv in zip(ball, val, strict=True):
                assert bb.contains(vv), (expr, bb, vv)


def test_exact_inputs():
    inst = {"t": Fraction(1, 3), "R": "0.1"}
    got = evaluate_arb(3 * t + 10 * R, inst)
    assert got.contains(2) and got.rad() < 1e-30
    assert evaluate_arb(t, {"t": 0.1}).is_exact()  # a double is converted exactly
    assert evaluate_arb(t, {"t": 0.1}) == arb(0.1)
    # a SymPy Float in an expression means its decimal value: 0.01 is 1/100
    assert (evaluate_arb(sp.Float("0.01") * 100 + t * 0, {"t": 0.0}) - 1).contains(0)
    assert (
        relation_arb(Relation(t * 100, "<=", sp.Float("0.01") * 100), {"t": Fraction(1, 100)})
        is None
    )
    with pytest.raises(ValueError, match="nan"):
        evaluate_arb(m.Norm("2", x), {"x": np.array([1.0, np.nan])})


def test_relation_decisions():
    inst = {"t": 0.5}
    assert relation_arb(Relation(t, "<=", 1), inst) is True
    assert relation_arb(Relation(t, "<=", sp.Rational(1, 4)), inst) is False
    assert relation_arb(Relation(t, "<", sp.Rational(1, 2)), inst) is False
    assert relation_arb(Relation(t, "<=", sp.Rational(1, 2)), inst) is True
    wide = {"t": arb(0.5, 0.1)}
    assert relation_arb(Relation(t, "<=", sp.Rational(1, 2)), wide) is None
    # identities: exact zero difference is True, a rigorous difference False
    f = m.F(A, x)
    inst = random_instance(3)
    assert (
        relation_arb(
            Relation(m.Dot(f, m.ones(m.n)), "==", sp.Integer(1) + 0 * t), inst | {"t": 0.0}
        )
        is None
    )
    assert (
        relation_arb(
            Relation(m.Dot(f, m.ones(m.n)), "==", sp.Integer(2) + 0 * t), inst | {"t": 0.0}
        )
        is False
    )
    assert relation_arb(Relation(A.T * b, "==", A.T * b), inst) is True


@pytest.mark.parametrize("shape", [(7, 4), (4, 7), (30, 10), (2, 2), (5, 1)])
def test_spectral_norm_enclosure(shape):
    rng = np.random.default_rng(sum(shape))
    a = rng.normal(size=shape)
    with ctx.workprec(200), mpmath.workdps(80):
        ball = spectral_norm_arb(arb_mat(a.tolist()))
        ref = max(mpmath.svd_r(mpmath.matrix(a.tolist()), compute_uv=False))
        assert ball.rad() < 1e-50
        mid = mpmath.mpf(ball.mid().str(80, radius=False))
        rad = mpmath.mpf(ball.rad().str(20, radius=False))
        assert abs(mid - ref) <= rad * (1 + mpmath.mpf(10) ** -10) + mpmath.mpf(10) ** -70


def test_spectral_norm_rank_one_and_wide_balls():
    v = np.array([1.0, -1.0]) / np.sqrt(2)
    w = np.array([0.6, 0.8, 0.0])
    ball = spectral_norm_arb(arb_mat((10 * np.outer(v, w)).tolist()))
    assert abs(float(ball) - 10) < 1e-12
    # a wide ball: the enclosure still contains the norms of sampled points
    rng = np.random.default_rng(4)
    a0 = rng.normal(size=(4, 3))
    box = arb_mat(4, 3, [arb(e, 0.3) for e in a0.ravel()])
    ball = spectral_norm_arb(box)
    for _ in range(50):
        pt = a0 + rng.uniform(-0.3, 0.3, a0.shape)
        assert ball.contains(arb(float(np.linalg.norm(pt, 2))))
