"""G1-G7 derived by sympy.diff and proved at symbolic and explicit sizes;
seeded wrong variants refuted."""

import pytest
import sympy as sp

from softproof.derivations import model as M
from softproof.derivations.identities import (
    IDENTITIES,
    MUTANTS,
    identity,
    parse_level,
    prove_identity,
    prove_relation,
    prove_statement,
)
from softproof.derivations.statement import Relation, Statement

A, x, b = M.A, M.x, M.b


@pytest.mark.parametrize("key", list(IDENTITIES))
def test_identity_proved_for_symbolic_sizes(key):
    result = prove_relation(identity(key), "symbolic")
    assert result.status == "proved", result.summary()
    assert "proved for symbolic n, d" in result.summary()


@pytest.mark.parametrize("key", list(IDENTITIES))
def test_identity_proved_at_small_explicit_size(key):
    result = prove_relation(identity(key), ("explicit", 3, 2))
    assert result.proved, result.summary()
    assert result.summary().startswith("proved at n=3, d=2")


@pytest.mark.parametrize("n,d", [(1, 1), (2, 3), (5, 2), (8, 4)])
def test_gradient_proved_at_explicit_sizes(n, d):
    assert prove_relation(identity("G5"), ("explicit", n, d)).proved


@pytest.mark.slow
def test_gradient_proved_at_16_by_8():
    assert prove_relation(identity("G5"), ("explicit", 16, 8)).proved


@pytest.mark.slow
@pytest.mark.parametrize("key", ["G6", "G6'"])
def test_hessian_proved_at_6_by_3(key):
    assert prove_relation(identity(key), ("explicit", 6, 3)).proved


@pytest.mark.parametrize("key", list(MUTANTS))
@pytest.mark.parametrize("level", ["symbolic", ("explicit", 3, 2)])
def test_mutants_are_refuted(key, level):
    result = prove_relation(identity(key), level)
    assert result.status == "refuted", result.summary()
    assert "lhs - rhs" in result.residual and result.witness["point"]
    assert result.summary().startswith("refuted at n=")


def test_user_written_identities():
    f = M.F(A, x)
    # G3 as a user would write it in a statement file
    rel = Relation(M.Grad(1 / M.Alpha(A, x), x), "==", -A.T * f / M.Alpha(A, x))
    st = Statement("g3-user", "G3", rel, kind="identity")
    assert prove_statement(st, "symbolic").proved
    assert prove_statement(st, ("explicit", 2, 2)).proved
    # a false user identity: grad alpha = A^T f
    wrong = Relation(M.Grad(M.Alpha(A, x), x), "==", A.T * f)
    assert prove_relation(wrong, "symbolic").status == "refuted"
    # scalar identity with the scalar t
    shift = Relation(
        M.Alpha(A, x) * sp.exp(M.t), "==", M.Dot(M.exp_ew(A * x + M.t * M.ones(M.n)), M.ones(M.n))
    )
    assert prove_relation(shift, "symbolic").proved
    assert prove_relation(shift, ("explicit", 3, 1)).proved


def test_unknown_is_reported_with_numerical_evidence_only():
    """<x, y> / <y, x> = 1 is beyond the normal form (a sum over a dummy against the
    inverse of the same sum); the explicit level proves it."""
    rel = Relation(M.Dot(x, M.y) / M.Dot(M.y, x), "==", sp.S.One)
    result = prove_relation(rel, "symbolic")
    assert result.status == "unknown"
    assert "numerical evidence only" in result.summary()
    assert prove_relation(rel, ("explicit", 3, 2)).proved


def test_unknown_when_the_prover_cannot_decide():
    rel = Relation(M.Norm("op", A), "==", M.Norm("op", A.T))
    result = prove_relation(rel, "symbolic")
    assert result.status == "unknown" and "not proved" in result.summary()


def test_bad_levels_and_relations():
    with pytest.raises(ValueError):
        parse_level(("explicit", 0, 2))
    with pytest.raises(ValueError):
        parse_level("every size")
    with pytest.raises(ValueError, match="only identities"):
        prove_relation(Relation(M.Dot(x, x), "<=", M.R), "symbolic")
    with pytest.raises(ValueError, match="same shape"):
        prove_identity(x, b, "symbolic")


# --------------------------------------------------------------------------
# Soundness regressions: assumptions, domains, exact refutations, deadlines
# --------------------------------------------------------------------------
from softproof.derivations.grammar import parse_relation  # noqa: E402
from softproof.derivations.identities import prove_with_deadline  # noqa: E402

EXPLICIT = ("explicit", 7, 4)


def _rel(text: str) -> Relation:
    return parse_relation(text)


@pytest.mark.parametrize(
    "text",
    [
        "abs(t + 10)/(t + 10) == 1",
        "abs(alpha(x) - 1)/(alpha(x) - 1) == 1",
        "max(t, 0) == t",
        "min(t, 0) == 0",
        "abs(t - 3) == t - 3",
        "sqrt((t - 2)**2) == t - 2",
    ],
)
@pytest.mark.parametrize("level", ["symbolic", EXPLICIT])
def test_denominator_assumption_never_proves_a_false_identity(text, level):
    """The denominator t + 10 was replaced by a positive symbol, so Abs(t + 10)
    simplified and a false identity was "proved at n=7, d=4"."""
    result = prove_relation(_rel(text), level)
    assert result.status != "proved", result.summary()


@pytest.mark.parametrize("text", ["abs(t + 10)/(t + 10) == 1", "max(t, 0) == t"])
def test_nonsmooth_false_identity_is_refuted_at_a_separating_double_point(text):
    result = prove_relation(_rel(text), EXPLICIT)
    assert result.status == "refuted", result.summary()
    t = sp.Rational(result.witness["point"]["t"])
    assert sp.Rational(float(t)) == t  # a double: the point is a witness instance
    rel = _rel(text)
    lhs, rhs = (sp.sympify(M.unfold_all(s)).xreplace({M.t: t}) for s in (rel.lhs, rel.rhs))
    assert sp.simplify(lhs - rhs) != 0


def test_true_nonsmooth_identities_on_proved_signs_are_still_proved():
    """exp(z) > 0 and a sum of exponentials > 0 are proved, so these hold."""
    for text in ("abs(alpha(x))/alpha(x) == 1", "abs(exp(t)) == exp(t)", "max(t, t) == t"):
        assert prove_relation(_rel(text), EXPLICIT).proved, text
    assert prove_relation(_rel("abs(alpha(x))/alpha(x) == 1"), "symbolic").proved


def test_a_vanishing_denominator_is_stated_as_a_condition():
    result = prove_relation(_rel("(t**2 - 1)/(t - 1) == t + 1"), EXPLICIT)
    assert result.proved
    assert result.conditions and "where both sides are defined" in result.summary()
    assert "t - 1 != 0" in result.summary()
    # a proof over a positive denominator needs no condition
    plain = prove_relation(_rel("u(x)/alpha(x) == f(x)"), EXPLICIT)
    assert plain.proved and not plain.conditions and "where" not in plain.summary()


def test_no_refutation_where_the_sides_are_not_real():
    """Both sides are complex for t < 100 at every sampled point: the difference 1
    there is no counterexample (the old prover refuted it)."""
    result = prove_relation(_rel("sqrt(t - 100) + 1 == sqrt(t - 100)"), EXPLICIT)
    assert result.status != "refuted", result.summary()


def test_constants_only_identities():
    for text in ("exp(1)**2 == exp(2)", "sqrt(2)**2 == 2", "exp(0) == 1"):
        for level in ("symbolic", EXPLICIT):
            assert prove_relation(_rel(text), level).status != "refuted", text
    assert prove_relation(_rel("exp(1)**2 == exp(2)"), "symbolic").proved
    near = prove_relation(_rel("2.7182818284590451 == exp(1)"), EXPLICIT)
    assert near.status == "refuted", near.summary()


def test_prover_keeps_its_deadline():
    """(t+1)**40 vs (t+2)**40 at symbolic size expands for tens of seconds."""
    import time

    t0 = time.perf_counter()
    result = prove_with_deadline(
        *(lambda r: (r.lhs, r.rhs))(_rel("(t+1)**40 == (t+2)**40")), "symbolic", 1.0
    )
    assert time.perf_counter() - t0 < 5
    assert result.status == "unknown" and result.method == "deadline"
    done = prove_with_deadline(M.Dot(x, x), M.Dot(x, x), "symbolic", 30.0)
    assert done.proved


def test_g6_prime_is_proved_for_symbolic_sizes_as_catalogued():
    """The catalogue's G6' (B_G6 == B_G6') was only proved at n=7, d=4."""
    from softproof.derivations.catalogue import get

    st = get("G6p")
    assert prove_identity(st.claim.lhs, st.claim.rhs, "symbolic").proved


# --------------------------------------------------------------------------
# Property: "proved" agrees with ball arithmetic, "refuted" separates the sides
# --------------------------------------------------------------------------
import numpy as np  # noqa: E402
from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SMALL = ("explicit", 2, 1)

#: (template, variants): ``{u}``, ``{v}`` are affine forms; each variant is a
#: claimed equal right side, true on some domain and false on another.
_FORMS = [
    ("abs({u})", ["{u}", "-({u})", "abs(-({u}))", "sqrt(({u})**2)"]),
    ("max({u}, {v})", ["{u}", "max({v}, {u})", "-min(-({u}), -({v}))", "{v}"]),
    ("min({u}, {v})", ["{v}", "min({v}, {u})", "-max(-({u}), -({v}))"]),
    ("sqrt(({u})**2)", ["{u}", "abs({u})"]),
    ("log(exp({u}))", ["{u}", "{u} + 1"]),
    ("exp(log({u}))", ["{u}"]),
    ("sqrt({u})**2", ["{u}"]),
    ("abs({u})/({u})", ["1", "-1"]),
    ("exp({u}) * exp({v})", ["exp({u} + {v})", "exp({u}) + exp({v})"]),
]


@st.composite
def _affine(draw) -> str:
    a, c, k = (draw(st.integers(-3, 3)) for _ in range(3))
    atom = draw(st.sampled_from(["alpha(x)", "dot(x, x)", "t"]))
    return f"{a}*t + {c}*{atom} + {k}"


@st.composite
def _claims(draw) -> str:
    template, variants = draw(st.sampled_from(_FORMS))
    u, v = draw(_affine()), draw(_affine())
    rhs = draw(st.sampled_from(variants))
    return template.format(u=u, v=v) + " == " + rhs.format(u=u, v=v)


def _instance(point: dict[str, str] | None, rng: np.random.Generator) -> dict:
    """A (2, 1) instance of doubles: the refuting point where given, else random."""
    vals = {"A_{1}": None, "A_{2}": None, "x_{1}": None, "t": None}
    for k in vals:
        if point and k in point:
            vals[k] = float(sp.Rational(point[k]))
        else:
            vals[k] = float(rng.integers(-64, 65)) / 8
    return {
        "A": np.array([[vals["A_{1}"]], [vals["A_{2}"]]]),
        "x": np.array([vals["x_{1}"]]),
        "t": vals["t"],
    }


def _balls(rel: Relation, inst: dict):
    from softproof.numeric.balls import evaluate_arb

    return evaluate_arb(rel.lhs, inst, 256), evaluate_arb(rel.rhs, inst, 256)


@settings(max_examples=60, deadline=None)
@given(_claims(), st.integers(0, 2**32 - 1))
# the defect that "proved" these: a denominator replaced by a positive symbol
@example("abs(1*t + 0*t + 1)/(1*t + 0*t + 1) == 1", 0)
@example("abs(1*t + 1*alpha(x) + -2)/(1*t + 1*alpha(x) + -2) == 1", 1)
@example("max(1*t + 0*t + 0, 0*t + 0*t + 0) == 1*t + 0*t + 0", 2)
@example("abs(1*t + 0*t + 1)/(1*t + 0*t + 1) == -1", 3)
def test_prover_verdicts_agree_with_ball_arithmetic(text, seed):
    rel = parse_relation(text)
    rng = np.random.default_rng(seed)
    for level in ("symbolic", SMALL):
        result = prove_relation(rel, level)
        if result.status == "proved":
            for _ in range(8):
                left, right = _balls(rel, _instance(None, rng))
                if left.is_finite() and right.is_finite():
                    assert left.overlaps(right), (text, result.summary())
        elif result.status == "refuted" and result.witness.get("n") == 2:
            if result.witness.get("d") != 1:
                continue
            left, right = _balls(rel, _instance(result.witness["point"], rng))
            assert left.is_finite() and right.is_finite(), (text, result.summary())
            assert not left.overlaps(right), (text, result.summary())
