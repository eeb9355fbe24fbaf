"""The Sum/KroneckerDelta normaliser used for proofs at symbolic n, d."""

import sympy as sp

from softproof.derivations import model
from softproof.derivations.normalise import is_zero, normal_terms, normalise

n, d = sp.symbols("n d", integer=True, positive=True)
i, j, k, l = sp.symbols("i j k l", integer=True)
A, x, b = sp.IndexedBase("A"), sp.IndexedBase("x"), sp.IndexedBase("b")


def S(body, var, top=n):
    return sp.Sum(body, (var, 0, top - 1))


def test_dummy_names_do_not_matter():
    assert is_zero(S(b[j] ** 2, j) - S(b[l] ** 2, l))
    assert is_zero(S(S(A[j, k] * x[k], k, d) * b[j], j) - S(S(A[l, j] * x[j], j, d) * b[l], l))


def test_kronecker_delta_collapses_against_a_sum():
    """Only against an index known to lie in the summed range."""
    e = S(sp.KroneckerDelta(i, j) * b[j], j) - b[i]
    assert is_zero(e, {i: n})
    assert not is_zero(e)  # i's range unknown: sum_j delta(i, j) b_j may be 0
    assert not is_zero(e, {i: d})


def test_unused_dummy_gives_its_range():
    assert is_zero(S(b[i], j) - n * b[i])
    assert is_zero(S(S(1, j), k, d) - n * d)


def test_alpha_cancels_against_its_inverse():
    u = lambda r: sp.exp(S(A[r, k] * x[k], k, d))  # noqa: E731
    alpha = S(u(l), l)
    assert is_zero(S(u(j) / alpha, j) - 1)  # G7b
    assert is_zero(alpha / alpha**2 - 1 / alpha)


def test_exp_of_a_sum_splits():
    t = sp.Symbol("t")
    assert is_zero(sp.exp(b[i] + t) - sp.exp(b[i]) * sp.exp(t))
    assert is_zero(sp.exp(2 * b[i]) - sp.exp(b[i]) ** 2)


def test_non_zero_expressions_stay_non_zero():
    assert not is_zero(S(b[j], j) - b[i])
    assert not is_zero(S(b[j] ** 2, j) - S(b[j], j) ** 2)
    assert len(normal_terms(2 * b[i] - b[i])) == 1
    assert normalise(b[i] - b[i]) == 0


def test_fractional_powers_are_not_split_unsoundly():
    assert not is_zero(sp.sqrt(b[i] ** 2) - b[i])  # sqrt(b^2) = |b|
    assert not is_zero(sp.sqrt(b[i] * b[k]) - sp.sqrt(b[i]) * sp.sqrt(b[k]))
    assert is_zero(sp.sqrt(4 * b[i]) - 2 * sp.sqrt(b[i]))
    assert is_zero(sp.sqrt(sp.exp(b[i])) ** 2 - sp.exp(b[i]))


def test_delta_over_ranges_of_different_lengths_is_not_collapsed():
    """sum_{j<n} sum_{k<d} delta(j, k) = min(n, d): neither n nor d for all sizes."""
    j, k = sp.symbols("j k", integer=True)
    e = sp.Sum(sp.Sum(sp.KroneckerDelta(j, k), (j, 0, model.n - 1)), (k, 0, model.d - 1))
    assert not is_zero(e - model.d)
    assert not is_zero(e - model.n)


def test_delta_between_free_indices_rewrites_the_other_factors():
    """delta(i, k) g(i) = delta(i, k) g(k): G6' was left with the two terms
    exp(U_k) exp(U_i) delta(i, k) and exp(2 U_i) delta(i, k) uncollected."""
    u = lambda r: sp.exp(S(A[r, j] * x[j], j, d))  # noqa: E731
    e = sp.KroneckerDelta(i, k) * (u(i) * u(k) - u(i) ** 2)
    assert is_zero(e, {i: n, k: n})
    assert is_zero(sp.KroneckerDelta(i, k) * (b[i] - b[k]))
    # only under the delta: without it, or with another index, nothing cancels
    assert not is_zero(u(i) * u(k) - u(i) ** 2, {i: n, k: n})
    assert not is_zero(sp.KroneckerDelta(i, l) * (b[i] - b[k]))
    assert not is_zero(sp.KroneckerDelta(i, k) * b[i] - b[k])


def test_numeric_constants_are_coefficients():
    assert is_zero(sp.exp(1) ** 2 * b[i] - sp.exp(2) * b[i])
    assert is_zero(sp.E * b[i] - sp.exp(1) * b[i])
    assert not is_zero(sp.E * b[i] - sp.Rational("2.7182818284590451") * b[i])


def test_a_rational_content_of_a_denominator_is_factored_out():
    """(g B)^-1 = g^-1 B^-1: (e^z + e^-z)/2 and e^z + e^-z give one atom."""
    t = sp.Symbol("t", real=True)
    ez = sp.exp(S(A[j, 0] * x[0], j))
    assert is_zero(1 / (ez / 2 + 1 / (2 * ez)) - 2 / (ez + 1 / ez))
    assert not is_zero(1 / (ez / 2 + 1 / (2 * ez)) - 1 / (ez + 1 / ez))
    assert is_zero(
        (2 + 2 * sp.exp(t)) ** sp.Rational(-1, 2)
        - (1 + sp.exp(t)) ** sp.Rational(-1, 2) / sp.sqrt(2)
    )
