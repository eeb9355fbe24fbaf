"""Vector-level derivatives checked against entrywise sympy.diff."""

import pytest
import sympy as sp

from softproof.derivations import calculus
from softproof.derivations import model as M
from softproof.derivations.calculus import differentiate
from softproof.derivations.identities import prove_identity

A, x, b = M.A, M.x, M.b
L, f, u, alpha = M.Loss(A, x, b), M.F(A, x), M.U(A, x), M.Alpha(A, x)

CASES = [
    M.Grad(L, x),
    M.Hess(L, x),
    M.Grad(1 / alpha, x),
    M.Grad(sp.log(alpha), x),
    M.Jac(M.Softmax(A * x), x),
    M.Jac(M.hadamard(f, u), x),
    M.Jac(M.exp_ew(A * x), x),
    M.Grad(M.Norm("2", f - b) ** 2, x),
    M.Grad(M.Dot(f, A * x), x),
    M.Jac(M.Diag(f) * b, x),
    M.Jac(M.outer(f, f) * b, x),
    M.Hess(M.Dot(x, x) * alpha, x),
    M.Jac(M.Entrywise("cosh", A * x), x),
    M.Jac(M.Entrywise("sinh", A * x), x),
    M.Jac(M.Entrywise("tanh", A * x), x),
    M.Grad(M.Dot(M.Entrywise("cosh", A * x), b), x),
]


def _no_derivative_nodes(e):
    return not any(isinstance(a, (M.Grad, M.Jac, M.Hess)) for a in sp.preorder_traversal(e))


@pytest.mark.parametrize("expr", CASES, ids=str)
def test_differentiate_matches_entrywise_diff(expr):
    rewritten = differentiate(expr)
    assert _no_derivative_nodes(rewritten)
    assert rewritten.shape == expr.shape
    assert prove_identity(rewritten, expr, ("explicit", 3, 2)).proved
    assert prove_identity(rewritten, expr, "symbolic").proved


def test_gradient_stays_with_vectors():
    g = differentiate(M.Grad(L, x))
    assert not any(isinstance(a, M.Diag) for a in sp.preorder_traversal(g))
    assert not any(isinstance(a, sp.Transpose) and a.arg != A for a in sp.preorder_traversal(g))


def test_a_wrong_softmax_rule_is_caught(monkeypatch):
    """Dropping the -f f^T term of G4 must give a refuted identity."""
    monkeypatch.setattr(calculus, "_softmax_jacobian", lambda s: M.Diag(s))
    wrong = differentiate(M.Grad(L, x))
    assert prove_identity(wrong, M.Grad(L, x), ("explicit", 3, 2)).status == "refuted"
    assert prove_identity(wrong, M.Grad(L, x), "symbolic").status == "refuted"


def test_a_wrong_hadamard_rule_is_caught(monkeypatch):
    def half_rule(w, v):
        a, c = w.args
        return M.Diag(c) * calculus.jacobian(a, v)

    monkeypatch.setitem(calculus.VECTOR_RULES, sp.HadamardProduct, half_rule)
    wrong = differentiate(M.Jac(M.hadamard(f, u), x))
    assert prove_identity(wrong, M.Jac(M.hadamard(f, u), x), ("explicit", 2, 2)).status == "refuted"


def test_a_wrong_cosh_rule_is_caught(monkeypatch):
    """J(cosh a) = diag(cosh a) J(a) (sinh replaced by cosh) must be refuted."""
    rule = calculus.VECTOR_RULES[M.Entrywise]

    def wrong_rule(w, v):
        if w.fn == "cosh":
            return M.Diag(w) * calculus.jacobian(w.arg, v)
        return rule(w, v)

    monkeypatch.setitem(calculus.VECTOR_RULES, M.Entrywise, wrong_rule)
    expr = M.Jac(M.Entrywise("cosh", A * x), x)
    assert prove_identity(differentiate(expr), expr, "symbolic").status == "refuted"


def test_unsupported_derivatives_raise():
    with pytest.raises(NotImplementedError):
        differentiate(M.Grad(M.Norm("1", f), x))


def test_vector_level_derivatives_evaluate_at_n_200():
    """The rewritten gradient and Hessian evaluate numerically at n = 200 and agree
    with the closed forms of G5 and G6 computed directly in numpy."""
    np = pytest.importorskip("numpy")
    float64 = pytest.importorskip("softproof.numeric.float64")
    rng = np.random.default_rng(0)
    n, d = 200, 10
    a, v = rng.normal(size=(n, d)) / 4, rng.normal(size=d)
    w = rng.random(n)
    env = {"A": a[None], "x": v[None], "b": w[None]}
    grad = float64.compile_expr(M.Grad(L, x))(env).reshape(d)
    hess = float64.compile_expr(M.Hess(L, x))(env).reshape(d, d)
    z = a @ v
    s = np.exp(z - z.max())
    s /= s.sum()
    c = s - w
    J = np.diag(s) - np.outer(s, s)
    B = J @ J + np.diag(c * s) - (c @ s) * np.diag(s)
    B += -np.outer(c * s, s) - np.outer(s, c * s) + 2 * (c @ s) * np.outer(s, s)
    assert np.allclose(grad, a.T @ J @ c, rtol=1e-10, atol=1e-14)
    assert np.allclose(hess, a.T @ B @ a, rtol=1e-10, atol=1e-14)
