"""Batched float64 evaluators and the screen (softproof.numeric.float64) against numpy."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from softproof.derivations import model as m
from softproof.derivations.model import A, At, R, b, d, n, t, x, y
from softproof.derivations.statement import Relation, Statement
from softproof.numeric.float64 import IDENTITY_RTOL, Screen, compile_expr, screen


# --------------------------------------------------------------------------
# hand-written numpy references (catalogue D1-D5, G5, G6)
# --------------------------------------------------------------------------
def np_f(a, v):
    z = np.einsum("bij,bj->bi", a, v)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def np_alpha(a, v):
    return np.exp(np.einsum("bij,bj->bi", a, v)).sum(axis=1)


def np_loss(a, v, w):
    c = np_f(a, v) - w
    return 0.5 * (c * c).sum(axis=1)


def np_grad(a, v, w):
    f = np_f(a, v)
    c = f - w
    return np.stack(
        [a[k].T @ ((np.diag(f[k]) - np.outer(f[k], f[k])) @ c[k]) for k in range(len(a))]
    )


def np_bmat(a, v, w):
    out = []
    for fk, ck in zip(np_f(a, v), np_f(a, v) - w, strict=True):
        J = np.diag(fk) - np.outer(fk, fk)
        cf, s = ck * fk, ck @ fk
        out.append(
            J @ J
            + np.diag(cf)
            - s * np.diag(fk)
            - np.outer(cf, fk)
            - np.outer(fk, cf)
            + 2 * s * np.outer(fk, fk)
        )
    return np.array(out)


def np_hess(a, v, w):
    return np.einsum("bki,bkl,blj->bij", a, np_bmat(a, v, w), a)


def random_env(seed: int, B: int = 6, nn: int = 7, dd: int = 4, scale: float = 1.0):
    rng = np.random.default_rng(seed)
    return {
        "A": scale * rng.normal(size=(B, nn, dd)),
        "At": scale * rng.normal(size=(B, nn, dd)),
        "x": rng.normal(size=(B, dd)),
        "y": rng.normal(size=(B, dd)),
        "b": rng.normal(size=(B, nn)),
        "t": rng.normal(size=B),
        "R": 4.0,
    }


@given(seed=st.integers(0, 2**32 - 1), nn=st.integers(1, 9), dd=st.integers(1, 5))
def test_model_functions_match_numpy(seed, nn, dd):
    env = random_env(seed, nn=nn, dd=dd)
    a, v, w = env["A"], env["x"], env["b"]
    cases = [
        (m.F(A, x), np_f(a, v)),
        (m.U(A, x), np.exp(np.einsum("bij,bj->bi", a, v))),
        (m.Alpha(A, x), np_alpha(a, v)),
        (m.C(A, x, b), np_f(a, v) - w),
        (m.Loss(A, x, b), np_loss(a, v, w)),
        (m.GradL(A, x, b), np_grad(a, v, w)),
        (m.BMat(A, x, b), np_bmat(a, v, w)),
        (m.HessL(A, x, b), np_hess(a, v, w)),
    ]
    for expr, ref in cases:
        got = compile_expr(expr)(env)
        assert got.shape == ref.shape, expr
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12, err_msg=str(expr))


def test_explicit_matrix_forms_and_primitives():
    env = random_env(3)
    a, v, w = env["A"], env["x"], env["b"]
    f, c = m.F(A, x), m.C(A, x, b)
    J = m.Diag(f) - m.outer(f, f)
    np.testing.assert_allclose(compile_expr(A.T * J * c)(env), np_grad(a, v, w), rtol=1e-12)
    np.testing.assert_allclose(compile_expr(J * J)(env), compile_expr(J**2)(env), rtol=1e-12)
    fr = np_f(a, v)
    np.testing.assert_allclose(compile_expr(m.Softmax(A * x))(env), fr, rtol=1e-12)
    np.testing.assert_allclose(compile_expr(m.Col(A, 2))(env), a[:, :, 1])
    np.testing.assert_allclose(
        compile_expr(m.Entrywise("sqrt", m.Entrywise("abs", b)))(env), np.sqrt(np.abs(w))
    )
    np.testing.assert_allclose(compile_expr(sp.Identity(n) * b + sp.ZeroMatrix(n, 1))(env), w)
    np.testing.assert_allclose(compile_expr(m.ones(n))(env), np.ones_like(w))
    # scalars: sizes, constants, Max/Min/Abs/exp/log/sqrt, parameters
    e = sp.Max(R, n) + sp.Min(t, 0) + sp.Abs(t) + sp.sqrt(d) * sp.pi + sp.E + sp.log(sp.exp(t))
    ref = np.maximum(4.0, 7) + np.minimum(env["t"], 0) + np.abs(env["t"]) + 2 * np.pi + np.e
    np.testing.assert_allclose(compile_expr(e)(env), ref + env["t"], rtol=1e-12)
    # log(alpha) is a log-sum-exp
    np.testing.assert_allclose(
        compile_expr(sp.log(m.Alpha(A, x)))(env), np.log(np_alpha(a, v)), rtol=1e-12
    )


def test_norms():
    env = random_env(5)
    a, v = env["A"], env["x"]
    cases = [
        (m.Norm("1", x), np.abs(v).sum(1)),
        (m.Norm("2", x), np.linalg.norm(v, axis=1)),
        (m.Norm("inf", x), np.abs(v).max(1)),
        (m.Norm("op", A), np.linalg.norm(a, 2, axis=(1, 2))),
        (m.Norm("fro", A), np.linalg.norm(a, "fro", axis=(1, 2))),
        (m.Norm("op", x), np.linalg.norm(v, axis=1)),
    ]
    for expr, ref in cases:
        np.testing.assert_allclose(compile_expr(expr)(env), ref, rtol=1e-12, err_msg=str(expr))


def test_stable_at_large_scale():
    """R = 10, n = 1000: entries of Ax far beyond exp's range stay finite."""
    rng = np.random.default_rng(0)
    B, nn, dd = 4, 1000, 5
    a = rng.normal(size=(B, nn, dd))
    a *= 10.0 / np.linalg.norm(a, 2, axis=(1, 2))[:, None, None]
    v = rng.normal(size=(B, dd))
    v *= 10.0 / np.linalg.norm(v, axis=1)[:, None]
    env = {"A": 100 * a, "x": v, "b": rng.dirichlet(np.ones(nn), size=B)}  # |Ax| up to 10^4
    with np.errstate(all="raise"):
        z = np.einsum("bij,bj->bi", env["A"], v)
    assert np.abs(z).max() > 800  # exp(z) would overflow
    f = compile_expr(m.F(A, x))(env)
    assert np.all(np.isfinite(f)) and np.allclose(f.sum(axis=1), 1.0)
    np.testing.assert_allclose(f, np_f(env["A"], v), rtol=1e-12, atol=1e-300)
    for expr in (m.GradL(A, x, b), m.Loss(A, x, b), sp.log(m.Alpha(A, x))):
        assert np.all(np.isfinite(compile_expr(expr)(env))), expr
    lse = compile_expr(sp.log(m.Alpha(A, x)))(env)
    np.testing.assert_allclose(lse, z.max(axis=1) + np.log(np.exp(z - z.max(1)[:, None]).sum(1)))
    # and the plain definition exp(Ax)/alpha overflows, as expected of a naive form
    naive = compile_expr(m.U(A, x) / m.Alpha(A, x))(env)
    assert not np.all(np.isfinite(naive))


def test_gradient_at_paper_size():
    env = random_env(7, B=30, nn=200, dd=20)
    np.testing.assert_allclose(
        compile_expr(m.GradL(A, x, b))(env),
        np_grad(env["A"], env["x"], env["b"]),
        rtol=1e-10,
        atol=1e-13,
    )


HALF = sp.Rational(1, 2)


def s1(c=HALF) -> Statement:
    return Statement(
        id="S1",
        title="softmax is ||A||/2-Lipschitz",
        claim=Relation(
            m.Norm("2", m.F(A, x) - m.F(A, y)), "<=", c * m.Norm("op", A) * m.Norm("2", x - y)
        ),
        hypotheses=(Relation(m.Norm("op", A), "<=", R), Relation(m.Norm("2", x), "<", R)),
        parameters={"R": 4.0},
    )


def test_screen_fields():
    env = random_env(11, B=50)
    del env["R"]  # the statement's fixed parameter is used
    res = screen(s1(), env)
    a, v, w = env["A"], env["x"], env["y"]
    lhs = np.linalg.norm(np_f(a, v) - np_f(a, w), axis=1)
    rhs = 0.5 * np.linalg.norm(a, 2, axis=(1, 2)) * np.linalg.norm(v - w, axis=1)
    np.testing.assert_allclose(res.lhs, lhs, rtol=1e-12)
    np.testing.assert_allclose(res.rhs, rhs, rtol=1e-12)
    np.testing.assert_allclose(res.margin, rhs - lhs, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(res.ratio, lhs / rhs, rtol=1e-12)
    assert res.hyp_margins.shape == (50, 2)
    np.testing.assert_allclose(res.hyp_margins[:, 0], 4.0 - np.linalg.norm(a, 2, axis=(1, 2)))
    assert np.array_equal(
        res.hyp_ok,
        (np.linalg.norm(a, 2, axis=(1, 2)) <= 4) & (np.linalg.norm(v, axis=1) < 4),
    )
    assert res.holds.all() and res.finite.all() and not res.violation.any()
    # a much smaller constant is violated somewhere
    assert screen(s1(sp.Rational(1, 100)), env | {"R": 4.0}).violation.any()


def test_screen_strict_and_parameter_arrays():
    st_ = Statement(id="p", title="", claim=Relation(t, "<", R), parameters={"R": (0.0, 5.0)})
    env = {"t": np.array([1.0, 2.0, 3.0]), "R": np.array([2.0, 2.0, 4.0])}
    res = Screen(st_)(env)
    assert res.holds.tolist() == [True, False, True]
    assert res.ratio.tolist() == [0.5, 1.0, 0.75]


def test_screen_identities_and_mutants():
    env = random_env(13, B=40)
    f, c = m.F(A, x), m.C(A, x, b)
    true_g5 = Statement(
        id="G5",
        title="",
        kind="identity",
        claim=Relation(m.GradL(A, x, b), "==", A.T * (m.Diag(f) - m.outer(f, f)) * c),
    )
    flipped = Statement(
        id="G5-flip",
        title="",
        kind="identity",
        claim=Relation(m.GradL(A, x, b), "==", A.T * (m.hadamard(f, c) + m.Dot(c, f) * f)),
    )
    bad_b = m.BMat(A, x, b).definition - m.Dot(c, f) * m.outer(f, f)  # factor 2 -> 1 (G6)
    g6_mut = Statement(
        id="G6-1",
        title="",
        kind="identity",
        claim=Relation(m.HessL(A, x, b), "==", A.T * bad_b * A),
    )
    ok = screen(true_g5, env)
    assert ok.holds.all() and np.all(ok.margin > 0) and np.isnan(ok.ratio).all()
    assert np.all(ok.margin <= IDENTITY_RTOL)
    assert (~screen(flipped, env).holds).all()
    assert (~screen(g6_mut, env).holds).any()


def test_nonfinite_is_not_a_violation():
    st_ = Statement(id="nan", title="", claim=Relation(sp.log(t), "<=", 1))
    env = {"t": np.array([-1.0, 0.5, 10.0])}
    res = screen(st_, env)
    assert res.finite.tolist() == [False, True, True]
    assert res.holds.tolist() == [True, True, False]
    assert res.violation.tolist() == [False, False, True]


def test_unknown_parameter_is_reported():
    with pytest.raises(KeyError, match="beta"):
        compile_expr(m.beta * m.Norm("2", x))({"x": np.ones((2, 3))})


def test_shifted_document():
    env = random_env(17)
    got = compile_expr(m.F(At, x) - m.F(A, x))(env)
    np.testing.assert_allclose(got, np_f(env["At"], env["x"]) - np_f(env["A"], env["x"]))


def test_derivative_nodes_are_differentiated_first():
    calculus = pytest.importorskip("softproof.derivations.calculus")
    assert callable(calculus.differentiate)
    env = random_env(19)
    got = compile_expr(m.Grad(m.Loss(A, x, b), x))(env)
    np.testing.assert_allclose(got, np_grad(env["A"], env["x"], env["b"]), rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------
# Spectral norm without a batched SVD
# --------------------------------------------------------------------------
from softproof.numeric.float64 import GRAM_MAX, norm2_rows, spectral_norm  # noqa: E402

#: screening tolerance of the spectral norm (relative)
SPECTRAL_RTOL = 1e-10


def _with_spectrum(rng, n: int, d: int, s: np.ndarray) -> np.ndarray:
    k = min(n, d)
    U, _ = np.linalg.qr(rng.standard_normal((n, k)))
    V, _ = np.linalg.qr(rng.standard_normal((d, k)))
    return (U * s) @ V.T


@pytest.mark.parametrize("shape", [(7, 4), (4, 7), (300, 4), (90, 80), (300, 270), (260, 400)])
def test_spectral_norm_agrees_with_numpy_on_random_matrices(shape):
    n, d = shape
    rng = np.random.default_rng(n * 1000 + d)
    M = rng.standard_normal((6, n, d)) * rng.uniform(0.1, 10, size=(6, 1, 1))
    got, v = spectral_norm(M, vector=True)
    want = np.linalg.norm(M, 2, axis=(1, 2))
    np.testing.assert_allclose(got, want, rtol=SPECTRAL_RTOL)
    # the vector is a unit top right singular vector: ||M v|| = ||M||
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(
        np.linalg.norm(np.einsum("bij,bj->bi", M, v), axis=1), want, rtol=SPECTRAL_RTOL
    )


@pytest.mark.parametrize("shape", [(9, 5), (300, 280)])  # Gram path and Lanczos
def test_spectral_norm_rank_deficient_and_repeated_singular_values(shape):
    n, d = shape
    k = min(n, d)
    rng = np.random.default_rng(3)
    rank1 = np.outer(rng.standard_normal(n), rng.standard_normal(d))
    s_rep = np.ones(k)
    s_rep[k // 2 :] = 0.5  # top singular value repeated k/2 times
    s_def = np.zeros(k)
    s_def[:2] = [3.0, 3.0 * (1 - 1e-3)]  # rank 2, nearly equal values
    M = np.stack([rank1, _with_spectrum(rng, n, d, s_rep), _with_spectrum(rng, n, d, s_def)])
    np.testing.assert_allclose(
        spectral_norm(M), np.linalg.norm(M, 2, axis=(1, 2)), rtol=SPECTRAL_RTOL
    )
    assert (min(n, d) <= GRAM_MAX) == (shape == (9, 5))


def test_spectral_norm_extreme_entries_zero_and_nonfinite_rows():
    rng = np.random.default_rng(5)
    G = rng.standard_normal((5, 6, 3))
    M = np.stack([1e300 * G[0], 1e-300 * G[1], np.zeros((6, 3)), G[3], G[4]])
    M[3, 0, 0] = np.inf
    M[4, 1, 1] = np.nan
    got = spectral_norm(M)
    np.testing.assert_allclose(got[0], 1e300 * np.linalg.norm(G[0], 2), rtol=SPECTRAL_RTOL)
    np.testing.assert_allclose(got[1], 1e-300 * np.linalg.norm(G[1], 2), rtol=SPECTRAL_RTOL)
    assert got[2] == 0.0
    assert np.isnan(got[3]) and np.isnan(got[4])


def test_norm2_rows_neither_overflows_nor_underflows():
    v = np.array([[3e300, 4e300], [3e-300, 4e-300], [3.0, 4.0], [np.inf, 1.0], [0.0, 0.0]])
    got = norm2_rows(v[:, :, None])
    np.testing.assert_allclose(got[:3], [5e300, 5e-300, 5.0], rtol=1e-15)
    assert got[3] == np.inf and got[4] == 0.0


def _forbid_batched_svd(monkeypatch):
    """np.linalg.svd and norm(ord=2) raise on a batch of matrices (3-D input)."""
    svd, norm = np.linalg.svd, np.linalg.norm

    def no_svd(a, *args, **kw):
        if np.ndim(a) >= 3:
            raise AssertionError("batched SVD called")
        return svd(a, *args, **kw)

    def no_norm(a, ord=None, axis=None, **kw):
        if np.ndim(a) >= 3 and ord in (2, -2, "nuc"):
            raise AssertionError("batched norm(ord=2) called")
        return norm(a, ord, axis, **kw)

    monkeypatch.setattr(np.linalg, "svd", no_svd)
    monkeypatch.setattr(np.linalg, "norm", no_norm)


@pytest.mark.parametrize("sizes", [(7, 4), (300, 270)])
def test_screen_opnorm_calls_no_batched_svd(monkeypatch, sizes):
    n_, d_ = sizes
    rng = np.random.default_rng(0)
    Am = rng.standard_normal((4, n_, d_))
    want = np.linalg.norm(Am, 2, axis=(1, 2))
    _forbid_batched_svd(monkeypatch)
    with pytest.raises(AssertionError):  # the guard itself works
        np.linalg.norm(Am, 2, axis=(1, 2))
    got = compile_expr(m.Norm("op", A))({"A": Am})
    np.testing.assert_allclose(got, want, rtol=SPECTRAL_RTOL)
