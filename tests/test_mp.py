"""mpmath reference evaluator (softproof.numeric.mp) against numpy and across precisions."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp
from flint import arb, arb_mat
from hypothesis import given
from hypothesis import strategies as st

from softproof.derivations import model as m
from softproof.derivations.model import A, R, b, t, x, y
from softproof.numeric.float64 import compile_expr
from softproof.numeric.mp import evaluate_mp, mp_to_numpy, to_mpf

EXPRS = [
    m.F(A, x),
    m.Alpha(A, x),
    m.Loss(A, x, b),
    m.GradL(A, x, b),
    m.BMat(A, x, b),
    m.HessL(A, x, b),
    m.Norm("op", A),
    m.Norm("op", A.T),
    m.Col(A, 1) + m.Entrywise("exp", m.Col(A, 1)),
    R / 2 * m.Norm("op", A) * m.Norm("2", x - y) + sp.Max(m.Norm("inf", b), 1),
]


def as_array(v):
    if isinstance(v, mpmath.matrix):
        return mp_to_numpy(v)
    return np.array(float(v))


@given(seed=st.integers(0, 2**32 - 1), nn=st.integers(1, 6), dd=st.integers(1, 4))
def test_matches_float64(seed, nn, dd):
    rng = np.random.default_rng(seed)
    inst = {
        "A": rng.normal(size=(nn, dd)),
        "x": rng.normal(size=dd),
        "y": rng.normal(size=dd),
        "b": rng.normal(size=nn),
        "R": 4.0,
    }
    env = {k: (np.asarray(v)[None] if np.ndim(v) else v) for k, v in inst.items()}
    for expr in EXPRS:
        ref = compile_expr(expr)(env)[0]
        got = as_array(evaluate_mp(expr, inst, dps=30)).reshape(np.shape(ref))
        np.testing.assert_allclose(got, ref, rtol=1e-11, atol=1e-13, err_msg=str(expr))


def test_precision_is_honoured():
    inst = {"t": 1.0}
    lo = evaluate_mp(sp.exp(t) - sp.E, inst, dps=20)
    hi = evaluate_mp(sp.exp(t) - sp.E, inst, dps=80)
    assert abs(lo) < mpmath.mpf(10) ** -18 and abs(hi) < mpmath.mpf(10) ** -78
    with mpmath.workdps(80):
        third = evaluate_mp(t / 3, {"t": 1.0}, dps=80)
        assert abs(third * 3 - 1) < mpmath.mpf(10) ** -78


def test_large_exponents_do_not_overflow():
    inst = {"A": np.array([[1000.0], [-1000.0], [999.0]]), "x": np.array([1.0])}
    f = evaluate_mp(m.F(A, x), inst, dps=30)
    with mpmath.workdps(30):
        assert abs(f[0] + f[1] + f[2] - 1) < mpmath.mpf(10) ** -28
        assert f[0] / f[2] - mpmath.e < mpmath.mpf(10) ** -25
    assert mpmath.isfinite(evaluate_mp(m.Alpha(A, x), inst, dps=30))


def test_inputs():
    assert to_mpf(arb(0.1)) == mpmath.mpf(0.1)  # an arb midpoint exactly
    with mpmath.workdps(40):
        assert to_mpf("0.1") == mpmath.mpf("0.1")
    box = {"A": arb_mat([[1.0, 2.0], [3.0, 4.0]]), "x": np.array([1.0, 0.0])}
    np.testing.assert_allclose(mp_to_numpy(evaluate_mp(A * x, box)).ravel(), [1.0, 3.0])
    with pytest.raises(ValueError, match="finite"):
        evaluate_mp(m.Norm("2", x), {"x": np.array([np.inf, 1.0])})
