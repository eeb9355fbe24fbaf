"""Each inference rule accepts a valid instance and rejects a wrong one."""

import pytest
import sympy as sp

from softproof.derivations import model as m
from softproof.derivations import rules as rl
from softproof.derivations.model import A, Diag, Dot, F, Norm, R, n, ones, outer, x, y
from softproof.derivations.rules import Sup, SupUnit
from softproof.derivations.statement import Relation

s = sp.MatrixSymbol("s", n, 1)
sig = sp.Symbol("sigma", real=True)
half = sp.Rational(1, 2)
f = F(A, x)


def test_gershgorin_row_sum_for_every_n():
    ok = rl.gershgorin_probability(
        Norm("op", Diag(s) - outer(s, s)), Sup(2 * sig * (1 - sig), sig, 0, 1)
    )
    assert ok.ok and ok.level == "symbolic"
    assert Relation(Dot(s, ones(n)), "==", 1) in ok.assumes
    wrong = rl.gershgorin_probability(
        Norm("op", Diag(s) - outer(s, s)), Sup(sig * (1 - sig), sig, 0, 1)
    )
    assert not wrong.ok and "row sum" in wrong.detail


def test_gershgorin_rejects_a_non_symmetric_matrix():
    t = sp.MatrixSymbol("t", n, 1)
    res = rl.gershgorin_probability(Norm("op", Diag(s) - outer(s, t)), Sup(2 * sig, sig, 0, 1))
    assert not res.ok


def test_sos_certificate_e5_and_its_quarter_mutant():
    lhs = Sup(2 * sig * (1 - sig), sig, 0, 1)
    cert = 2 * (sig - half) ** 2
    assert rl.sup_certificate(lhs, half, cert).ok
    assert not rl.sup_certificate(lhs, sp.Rational(1, 4), cert).ok
    # a certificate with a negative coefficient is not a certificate
    assert not rl.sup_certificate(
        lhs, sp.Rational(1, 4), 2 * sig**2 - 2 * sig + sp.Rational(1, 4)
    ).ok


def test_nonneg_certificate_with_constraints():
    # s(1 - s) >= 0 on [0, 1]: the product of the two constraints
    assert rl.nonneg_certificate(sig - sig**2, sig * (1 - sig), (sig, 1 - sig)).ok
    assert not rl.nonneg_certificate(sig - sig**2, sig * (1 - sig), ()).ok


def test_triangle_inequality():
    u, v = m.U(A, x), m.U(A, y)
    assert rl.triangle(Norm("2", u + v), Norm("2", u) + Norm("2", v)).ok
    assert not rl.triangle(Norm("2", u + v), Norm("2", u) + Norm("2", 2 * v)).ok
    assert not rl.triangle(Norm("2", u + v), Norm("2", u) + Norm("inf", v)).ok


def test_submultiplicativity_and_e2():
    assert rl.submultiplicative(Norm("2", A * x), Norm("op", A) * Norm("2", x)).ok
    assert rl.submultiplicative(Norm("inf", A * x), Norm("op", A) * Norm("2", x)).ok
    assert not rl.submultiplicative(Norm("2", A * x), Norm("fro", A) * Norm("inf", x)).ok
    assert not rl.submultiplicative(Norm("2", A * x), Norm("op", A) * Norm("2", y)).ok


def test_cauchy_schwarz():
    u = m.U(A, x)
    assert rl.cauchy_schwarz(sp.Abs(Dot(u, ones(n))), Norm("2", u) * Norm("2", ones(n))).ok
    assert not rl.cauchy_schwarz(sp.Abs(Dot(u, ones(n))), Norm("2", u)).ok


def test_homogeneity():
    g = m.GradL(A, x, m.b)
    assert rl.homogeneity(Norm("2", -m.eta * g), m.eta * Norm("2", g)).ok
    assert rl.homogeneity(Norm("2", x - y), Norm("2", y - x)).ok
    assert not rl.homogeneity(Norm("2", -m.eta * g), 2 * m.eta * Norm("2", g)).ok


def test_softmax_simplex_for_every_n():
    assert rl.softmax_simplex(Dot(f, ones(n)), 1).ok
    assert rl.softmax_simplex(Norm("1", f), 1).ok
    # u(x) is not a probability vector
    assert not rl.softmax_simplex(Norm("1", m.U(A, x)), 1).ok
    assert not rl.softmax_simplex(Dot(f, ones(n)), 2).ok


def test_mean_value_rule_derives_the_jacobian():
    z = sp.MatrixSymbol("z", m.d, 1)
    good = Sup(Norm("op", m.Jac(F(A, z), z)), z, x, y) * Norm("2", x - y)
    args = dict(g=F(A, x), var=x, p=x, q=y)
    assert rl.mean_value(Norm("2", F(A, x) - F(A, y)), good, **args).ok
    typed_in = Sup(Norm("op", A), z, x, y) * Norm("2", x - y)
    assert not rl.mean_value(Norm("2", F(A, x) - F(A, y)), typed_in, **args).ok
    assert not rl.mean_value(Norm("2", F(A, x) - F(A, y)), good / 2, **args).ok


def test_identity_proved_and_refuted():
    assert rl.identity(Norm("2", ones(n)), sp.sqrt(n)).ok
    assert not rl.identity(Norm("2", ones(n)), n).ok
    z = sp.MatrixSymbol("z", m.d, 1)
    fz = F(A, z)
    g4 = rl.identity(m.Jac(fz, z), (Diag(fz) - outer(fz, fz)) * A)
    assert g4.ok and g4.level == "symbolic"
    assert not rl.identity(m.Jac(fz, z), (Diag(fz) + outer(fz, fz)) * A).ok


def test_constant_comparison_for_all_r():
    small = 4 * n ** sp.Rational(3, 2) * R * sp.exp(4 * R**2)
    big = n ** sp.Rational(3, 2) * sp.exp(10 * R**2)
    res = rl.constant_comparison(small, big, {R: 4})
    assert res.ok and Relation(4, "<=", R) in res.assumes
    # fails at R = 4 when the exponent is too small
    assert not rl.constant_comparison(small, n**1.5 * sp.exp(4 * R**2), {R: 4}).ok
    # e^{1/100} <= 2 exactly; e^{1} <= 2 is false
    assert rl.constant_comparison(sp.exp(sp.Rational(1, 100)), 2).ok
    assert not rl.constant_comparison(sp.E, 2).ok
    # h(R) = log(R) - R/5 + 1 is >= 0 at R = 4 but decreasing later: not proved
    assert not rl.constant_comparison(sp.exp(R / 5), sp.E * R, {R: 4}).ok


def test_polarity_of_contexts():
    h = rl.HOLE
    a = m.Alpha(A, x)
    assert rl.polarity(2 * h * Norm("2", x), h, R, Norm("op", A)) == 1
    assert rl.polarity(sp.exp(-h * R), h, R, Norm("op", A)) == -1
    assert rl.polarity(sp.Abs(a) / h, h, a, m.beta) == -1
    assert rl.polarity(sp.Abs(h - 1), h, R, Norm("op", A)) is None


def test_entrywise_e1_lemma():
    t = m.t
    claim = Relation(sp.Abs(sp.exp(t) - 1), "<=", 2 * sp.Abs(t))
    hyp = Relation(sp.Abs(t), "<=", sp.Rational(1, 100))
    v = A * (y - x)
    w = ones(n) - m.exp_ew(v)
    res = rl.entrywise_lemma(Norm("inf", w), 2 * Norm("inf", v), claim, hyp)
    assert res.ok and res.assumes == (Relation(Norm("inf", v), "<=", sp.Rational(1, 100)),)
    assert not rl.entrywise_lemma(Norm("inf", w), Norm("inf", v), claim, hyp).ok
    w2 = ones(n) - m.exp_ew(2 * v)
    assert not rl.entrywise_lemma(Norm("inf", w2), 2 * Norm("inf", v), claim, hyp).ok


def test_simplex_rules_of_s3():
    one = ones(n)
    h1 = 2 * f - Dot(f, f) * one
    assert rl.simplex_entry_bound(Norm("inf", h1), sp.S.One).ok
    assert not rl.simplex_entry_bound(Norm("inf", 3 * f - Dot(f, f) * one), sp.S.One).ok
    osc = Norm("inf", m.b - Dot(m.b, f) * one)
    assert rl.simplex_oscillation(osc, sp.sqrt(2) * Norm("2", m.b)).ok
    assert not rl.simplex_oscillation(osc, Norm("2", m.b)).ok
    v = sp.MatrixSymbol("v", n, 1)
    J = Diag(f) - outer(f, f)
    w = v - Dot(f, v) * one
    quad = Dot(f, m.hadamard(w, w))
    assert rl.simplex_identity(quad, Dot(v, J * v), f).ok
    assert not rl.simplex_identity(quad, Dot(v, Diag(f) * v), f).ok


def test_nonneg_combination_and_quadratic_forms():
    nb = Norm("2", m.b)
    assert rl.nonneg_combination(half + nb / sp.sqrt(2), sp.Rational(7, 4) + 3 * nb / 2).ok
    assert not rl.nonneg_combination(half + nb, sp.Rational(7, 4) + nb / 2).ok
    v = sp.MatrixSymbol("v", n, 1)
    J = Diag(f) - outer(f, f)
    assert rl.quadratic_form_bound(Dot(v, J * v), Norm("op", J) * Norm("2", v) ** 2).ok
    assert not rl.quadratic_form_bound(Dot(v, J * v), Norm("op", J) * Norm("2", v)).ok
    assert rl.quadratic_form_norm(Norm("op", J), SupUnit(sp.Abs(Dot(v, J * v)), v)).ok
    assert not rl.quadratic_form_norm(
        Norm("op", J * A * A.T), SupUnit(sp.Abs(Dot(v, J * A * A.T * v)), v)
    ).ok


def test_symbolic_simplex_checks_reject_other_forms():
    one = ones(n)
    assert rl._entry_bound_symbolic(2 * f - Dot(f, f) * one, f)
    assert not rl._entry_bound_symbolic(3 * f - Dot(f, f) * one, f)
    assert not rl._entry_bound_symbolic(2 * f - Dot(f, m.b) * one, f)
    assert rl._oscillation_symbolic(m.b - Dot(m.b, f) * one, f)
    assert not rl._oscillation_symbolic(m.b - Dot(m.b, m.b) * one, f)


def test_simplex_identity_explicit_fallback(monkeypatch):
    """Without the symbolic prover the identity is checked at n = 1..6."""
    monkeypatch.setattr(rl, "_get_identities", lambda: None)
    v = sp.MatrixSymbol("v", n, 1)
    J = Diag(f) - outer(f, f)
    w = v - Dot(f, v) * ones(n)
    res = rl.simplex_identity(Dot(f, m.hadamard(w, w)), Dot(v, J * v), f)
    assert res.ok and res.level == "explicit n in 1..6"
    assert not rl.simplex_identity(Dot(f, m.hadamard(w, w)), Dot(v, Diag(f) * v), f).ok


def test_mean_value_needs_a_smooth_map():
    z = sp.MatrixSymbol("z", m.d, 1)
    g = m.Entrywise("abs", x)
    rhs = Sup(Norm("op", m.Jac(g.xreplace({x: z}), z)), z, x, y) * Norm("2", x - y)
    assert not rl.mean_value(Norm("2", g - g.xreplace({x: y})), rhs, g=g, var=x, p=x, q=y).ok


def test_sup_certificate_rejects_a_reversed_interval():
    """On an empty 'interval' [1, 0] every certificate would hold vacuously."""
    s = sp.Symbol("s", real=True)
    assert not rl.sup_certificate(Sup(s, s, 1, 0), sp.S.Zero, -s).ok


def test_entrywise_lemma_rejects_a_map_that_mixes_entries():
    """E1 applied entrywise needs phi(v)_i to depend on v_i alone: with the mean of v
    subtracted, ||phi(v)||_inf <= 2 ||v||_inf fails at v = (0.01, -0.01)."""
    t, v = m.t, m.x
    claim = Relation(sp.Abs(sp.exp(t) - 1), "<=", 2 * sp.Abs(t))
    hyp = Relation(sp.Abs(t), "<=", sp.Rational(1, 100))
    one = m.ones(v.shape[0])
    phi = m.Entrywise("exp", v) - one + v - (m.Dot(v, one) / v.shape[0]) * one
    res = rl.entrywise_lemma(m.Norm("inf", phi), 2 * m.Norm("inf", v), claim, hyp)
    assert not res.ok


def test_mean_value_for_a_scalar_map_of_a_vector():
    z = sp.MatrixSymbol("z", m.d, 1)
    g = m.Alpha(A, x)
    lhs = sp.Abs(g - m.Alpha(A, y))
    good = Sup(Norm("2", m.Grad(m.Alpha(A, z), z)), z, x, y) * Norm("2", x - y)
    assert rl.mean_value(lhs, good, g=g, var=x, p=x, q=y).ok
    # the operator norm of the Jacobian is not the statement for a scalar map
    wrong = Sup(Norm("op", m.Jac(m.U(A, z), z)), z, x, y) * Norm("2", x - y)
    assert not rl.mean_value(lhs, wrong, g=g, var=x, p=x, q=y).ok
    # a missing distance factor is rejected
    assert not rl.mean_value(lhs, good / Norm("2", x - y), g=g, var=x, p=x, q=y).ok
    # the vector form is unchanged
    u = m.U(A, x)
    vec = Sup(Norm("op", m.Jac(m.U(A, z), z)), z, x, y) * Norm("2", x - y)
    assert rl.mean_value(Norm("2", u - m.U(A, y)), vec, g=u, var=x, p=x, q=y).ok


def test_outer_norm():
    u = m.U(A, x)
    assert rl.outer_norm(Norm("op", outer(f, u)), Norm("2", f) * Norm("2", u)).ok
    assert not rl.outer_norm(Norm("op", outer(f, u)), Norm("2", f) * Norm("inf", u)).ok
    assert not rl.outer_norm(Norm("op", outer(f, u)), Norm("2", f)).ok
    assert not rl.outer_norm(Norm("op", Diag(f)), Norm("2", f) * Norm("2", f)).ok
    assert "outer_norm" in rl.RULES and "outer_norm" in rl.EQUALITY_RULES


def test_positive_l2_sum_and_normalised_simplex():
    u, a = m.U(A, x), m.Alpha(A, x)
    assert rl.positive_l2_sum(Norm("2", u), a).ok
    assert rl.positive_l2_sum(Norm("2", u), Dot(u, ones(n))).ok
    assert not rl.positive_l2_sum(Norm("2", u), a / 2).ok
    # c = f - b has entries of either sign
    assert not rl.positive_l2_sum(Norm("2", m.C(A, x, m.b)), Dot(m.C(A, x, m.b), ones(n))).ok
    s = u / a
    assert (
        rl.normalised_simplex(Dot(s, ones(n)), 1).ok and rl.normalised_simplex(Norm("1", s), 1).ok
    )
    assert not rl.normalised_simplex(Dot(s, ones(n)), 2).ok
    assert not rl.normalised_simplex(Norm("1", u / (2 * a)), 1).ok
    assert not rl.normalised_simplex(Norm("1", m.b / Dot(m.b, ones(n))), 1).ok


def test_known_positive():
    u, a = m.U(A, x), m.Alpha(A, x)
    assert rl.known_positive(Dot(u, ones(n))) and rl.known_positive(1 / a**2)
    assert not rl.known_positive(Dot(m.b, ones(n))) and not rl.known_positive(-a)
    assert rl.positive_vector(u) and not rl.positive_vector(m.b)


def test_exp_sum_lower_unchanged():
    a = m.Alpha(A, x)
    assert rl.exp_sum_lower(n * sp.exp(-Norm("inf", A * x)), a).ok
    assert not rl.exp_sum_lower(n * sp.exp(Norm("inf", A * x)), a).ok


needs_cosh = pytest.mark.skipif(
    "cosh" not in m.Entrywise.FUNCTIONS, reason="entrywise cosh not in the model"
)


@needs_cosh
def test_hyperbolic_rules():
    v = A * x
    ch, sh = m.Entrywise("cosh", v), m.Entrywise("sinh", v)
    assert rl.sinh_entrywise_max(Norm("inf", sh), sp.sinh(Norm("inf", v))).ok
    assert not rl.sinh_entrywise_max(Norm("inf", sh), sp.sinh(Norm("inf", v)) / 2).ok
    assert not rl.sinh_entrywise_max(Norm("inf", ch), sp.sinh(Norm("inf", v))).ok
    assert rl.cosh_entrywise_max(Norm("inf", ch), sp.cosh(Norm("inf", v))).ok
    assert not rl.cosh_entrywise_max(Norm("inf", ch), sp.exp(Norm("inf", v)) / 2).ok
    assert rl.cosh_sum_lower(n, Dot(ch, ones(n))).ok
    assert not rl.cosh_sum_lower(2 * n, Dot(ch, ones(n))).ok
    assert not rl.cosh_sum_lower(n, Dot(sh, ones(n))).ok
    assert rl.positive_vector(ch) and not rl.positive_vector(sh)
    assert rl.positive_l2_sum(Norm("2", ch), Dot(ch, ones(n))).ok
    assert not rl.positive_l2_sum(Norm("2", sh), Dot(sh, ones(n))).ok


def test_polarity_of_hyperbolic_contexts():
    h = rl.HOLE
    assert rl.polarity(sp.sinh(h), h, 1, 2) == 1 and rl.polarity(sp.tanh(-h), h, 1, 2) == -1
    assert rl.polarity(sp.cosh(h), h, 1, 2) == 1
    assert rl.polarity(sp.cosh(h), h, -2, -1) == -1
    assert rl.polarity(sp.cosh(h), h, -1, 2) is None  # not monotone across 0


# --------------------------------------------------------------------------
# Where the next expression of a chain is defined
# --------------------------------------------------------------------------
def test_a_step_may_not_need_more_than_the_previous_expression():
    t = sp.Symbol("t", real=True)
    w = (t - sp.Rational(1, 3)) ** 2 - sp.Rational(1, 10**40)
    assert rl.domain_problem(-w, sp.sqrt(w)) is not None  # defined only where w >= 0
    assert rl.domain_problem(sp.sqrt(w), sp.sqrt(w) * 2) is None  # already needed
    assert rl.domain_problem(t, sp.log(sp.exp(t) + 1)) is None  # decided positive
    assert rl.domain_problem(t, 1 / t) is not None
    assert rl.domain_problem(t**2, 1 / sp.Abs(t)) is not None
    assert rl.domain_problem(sp.log(t), 1 / t) is None  # t > 0 gives t != 0


def test_constant_signs_are_decided_rigorously_not_from_two_digits():
    tiny = sp.Rational(1, 10**20)
    near_one = sp.cosh(1) ** 2 - sp.sinh(1) ** 2 - tiny  # = 1 - 1e-20
    assert not rl.constant_comparison(sp.S.One, near_one).ok
    assert not rl.constant_comparison(sp.sinh(1) ** 2 + 1, sp.cosh(1) ** 2 - tiny).ok
    assert rl.constant_comparison(sp.S.One, sp.cosh(1) ** 2 - sp.sinh(1) ** 2 + tiny).ok
    assert rl.constant_sign(near_one - 1) == -1
    assert rl.constant_sign(sp.E - sp.Rational(2718, 1000)) == 1
    assert not rl.nonneg_combination(sp.S.One, near_one).ok


def test_sup_monotone_needs_the_body_nondecreasing_on_the_whole_interval():
    t = m.t
    z = sp.Symbol("z", real=True)
    half = sp.Rational(1, 2)
    # z ranges over [1/2, t] with |t| <= 1: cosh(z - 1/2) is not nondecreasing on [-1, 1]
    sup = Sup(sp.cosh(z - half), z, half, t)
    assert not rl.sup_monotone(sup, sp.cosh(half), bound=sp.S.One).ok
    assert rl.sup_monotone(Sup(sp.exp(z), z, t, 0), sp.exp(sp.S.One), bound=sp.S.One).ok
