"""Derived Lipschitz bounds (issue 9, item 4): constants, checked chains, slack <= 1."""

from functools import cache

import pytest
import sympy as sp

from softproof.derivations import bounds, model
from softproof.derivations.chains import Chain, Step, _by
from softproof.derivations.model import A, Alpha, F, GradL, Norm, R, Softmax, U, b, n, x, y
from softproof.derivations.rules import Sup
from softproof.derivations.statement import Relation
from softproof.numeric import search

tau = sp.Symbol("tau", positive=True)
H = (Relation(Norm("op", A), "<=", R), Relation(Norm("2", x), "<=", R))

TARGETS = {
    "u": (U(A, x), R * sp.exp(R**2)),  # P1's sharp constant
    "f": (F(A, x), R / 2),  # S1
    "softmax": (Softmax(A * x), R / 2),
    "softmax_tau": (Softmax(A * x / tau), R / (2 * tau)),
    "alpha": (Alpha(A, x), sp.sqrt(n) * R * sp.exp(R**2)),
    "grad_L": (GradL(A, x, b), R**2 * (sp.Rational(1, 2) + Norm("2", b) / sp.sqrt(2))),  # S3
}


@cache
def derived(name: str) -> bounds.BoundResult:
    expr, _ = TARGETS[name]
    return bounds.derive_bound(
        expr, x, H, sizes={"n": 3, "d": 2}, parameters={"R": (0.5, 1.5), "tau": (0.5, 2.0)}
    )


@pytest.mark.parametrize("name", list(TARGETS))
def test_derives_the_constant_from_the_definitions_alone(name):
    res = derived(name)
    assert res.ok, res.reason
    assert sp.simplify(res.constant - TARGETS[name][1]) == 0
    # the checker, not the builder, says so: for every n, d
    again = res.chain.check(against_statement=False)
    assert again.ok and again.level == "symbolic"
    assert again.conclusion.lhs == res.chain.start
    assert sp.simplify(again.conclusion.rhs - res.constant * Norm("2", x - y)) == 0
    assert res.chain.steps[0].why.rule == "mean_value"


def test_the_assumptions_are_the_hypotheses_mirrored():
    res = derived("u")
    assert set(res.statement.hypotheses) == {
        Relation(Norm("op", A), "<=", R),
        Relation(Norm("2", x), "<=", R),
        Relation(Norm("2", y), "<=", R),
    }
    # the softmax bound needs no bound on x at all
    assert derived("f").statement.hypotheses == (Relation(Norm("op", A), "<=", R),)


def test_the_s3_route_for_the_gradient_of_the_loss():
    res = derived("grad_L")
    assert res.route.startswith("S3")
    assert any("S3-sharp" in s.why.describe() for s in res.chain.steps)


@pytest.mark.parametrize("name", ["u", "f", "alpha", "grad_L"])
def test_a_tampered_chain_with_the_constant_halved_fails(name):
    res = derived(name)
    bad = bounds.tampered(res.chain)
    out = bad.check(against_statement=False)
    assert not out.ok
    assert f"step {len(bad.steps)}" in out.problems[0]


def test_a_tampered_inner_step_fails_at_that_step():
    res = derived("f")
    steps = list(res.chain.steps)
    k = next(i for i, s in enumerate(steps) if "E5" in s.why.describe())
    steps[k] = Step(steps[k].expr.xreplace({sp.Rational(1, 2): sp.Rational(1, 4)}), steps[k].why)
    out = Chain("tampered", None, res.chain.start, tuple(steps)).check(against_statement=False)
    assert not out.ok and out.problems[0].startswith(f"step {k + 1}")


@pytest.mark.parametrize("name", ["u", "softmax_tau", "alpha"])
def test_the_search_never_exceeds_the_derived_constant(name):
    stmt = derived(name).statement
    res = search.check(stmt, 3.0, 0, {"n": 3, "d": 2}, prove=False, progress=False)
    assert res.verdict != "violated"
    assert res.instances > 0 and 0 < res.worst_ratio <= 1


def test_the_search_catches_a_constant_too_small():
    stmt = derived("u").statement
    half = Relation(stmt.claim.lhs, "<=", stmt.claim.rhs / 4)
    wrong = type(stmt)(**{**stmt.__dict__, "id": "too-small", "claim": half, "expected": False})
    res = search.check(wrong, 3.0, 0, {"n": 3, "d": 2}, prove=False, progress=False)
    assert res.verdict == "violated"


def test_cannot_without_a_bound_on_the_point():
    res = bounds.derive_bound(U(A, x), x, (Relation(Norm("op", A), "<=", R),))
    assert not res.ok and "still depends on the point z" in res.reason


def test_cannot_on_a_set_not_known_to_be_convex():
    annulus = (*H, Relation(sp.S.One, "<=", Norm("2", x)))
    res = bounds.derive_bound(U(A, x), x, annulus)
    assert not res.ok and "not known to be convex" in res.reason


@pytest.mark.parametrize(
    "expr, var, what",
    [
        (U(A, x), A, "not a vector variable"),
        (U(A, x), model.b, "bounds are derived in x or y"),
        (U(A, y), x, "does not depend on x"),
        (U(A, x) - U(A, y), x, "second point"),
    ],
)
def test_bad_input(expr, var, what):
    with pytest.raises(bounds.BoundInputError, match=what):
        bounds.derive_bound(expr, var, H)


def test_a_false_candidate_step_is_never_kept():
    # E5 does not apply to u = exp(Az) (not a probability vector): the checker refuses it
    z = sp.MatrixSymbol("z", model.d, 1)
    u = U(A, z)
    jm = model.Diag(u) - model.outer(u, u)
    prev = Sup(Norm("op", jm), z, x, y) * Norm("2", x - y)
    from softproof.derivations.chains import _e5_at

    assert bounds._try(prev, Norm("op", jm), sp.Rational(1, 2), _e5_at(u)) is None
    # a false instance of a rule (||M|| = 2 ||M||) is refused too
    hyp = _by("homogeneity", Norm("op", jm), 2 * Norm("op", jm))
    assert bounds._try(prev, Norm("op", jm), 2 * Norm("op", jm), hyp) is None


def test_bench_keys_of_bound():
    from softproof.bench import MEASURES, TARGETS, bench_bound, met

    figures, base, detail = bench_bound()
    assert "bound" in MEASURES
    for key in ("u", "softmax", "softmax_tau", "alpha", "cosh_f"):
        assert detail[key]["derived"] is True
        assert f"bound_{key}_s" in TARGETS and met(f"bound_{key}_s", figures[f"bound_{key}_s"])
    assert base["hand_written_chain_check_s"] > 0


def test_a_normalised_exp_written_out_is_a_softmax():
    res = bounds.derive_bound(U(A, x) / Alpha(A, x), x, H)
    assert res.ok and sp.simplify(res.constant - R / 2) == 0
    assert "G4" in res.route
    assert any("E5" in s.why.describe() for s in res.chain.steps)
    # the same written with a normaliser off by 2 is not a probability vector: no E5
    res2 = bounds.derive_bound(U(A, x) / (2 * Alpha(A, x)), x, H)
    assert not any("E5" in s.why.describe() for s in (res2.chain.steps if res2.chain else ()))


def test_a_ball_in_another_norm_is_used_through_a_norm_comparison():
    hyps = (Relation(Norm("op", A), "<=", R), Relation(Norm("inf", x), "<=", R))
    res = bounds.derive_bound(U(A, x), x, hyps)
    assert res.ok and sp.simplify(res.constant - R * sp.exp(sp.sqrt(model.d) * R**2)) == 0
    assert Relation(Norm("inf", y), "<=", R) in res.statement.hypotheses


def test_cannot_when_the_second_point_has_a_non_ball_hypothesis():
    res = bounds.derive_bound(U(A, x), x, (*H, Relation(Norm("2", y - x), "<=", R)))
    assert not res.ok and "not known to be convex" in res.reason


OWN = """id = "own"
sizes = {{ n = 4, d = 3 }}
parameters = {{ R = [0.5, 1.5] }}
hypotheses = ["opnorm(A) <= {r}", "norm2(x) <= {r}"]
claim = "norm2(f(x)) <= 1"

[definitions]
u     = {{ of = ["v"], is = "{fn}(A @ v)" }}
alpha = {{ of = ["v"], is = "dot(u(v), ones(n))" }}
f     = {{ of = ["v"], is = "u(v) / alpha(v)" }}
"""


def _own(fn: str, r: str):
    from softproof.commands.bound import parse_of
    from softproof.derivations.statement_files import parse_statement_text

    st = parse_statement_text(OWN.format(fn=fn, r=r), "<own>")
    return st, bounds.derive_bound(parse_of(st, "f(x)"), x, st.hypotheses, sizes=st.sizes)


def test_the_cosh_normalised_f_from_its_definitions():
    st, res = _own("cosh", "1")
    assert res.ok, res.reason
    k = (1 + sp.cosh(1)) * sp.sinh(1) / n
    assert sp.simplify(res.constant - k) == 0
    assert float(k.subs(n, 1)) <= 20 * 0.17  # largest at n = 1
    assert not bounds.tampered(res.chain).check(against_statement=False).ok
    out = search.check(res.statement, 1.5, 0, {"n": 4, "d": 3}, prove=False, progress=False)
    assert out.verdict != "violated" and 0 < out.worst_ratio <= 1


def test_an_own_exp_normalised_f_is_a_softmax():
    st, res = _own("exp", "R")
    assert res.ok and sp.simplify(res.constant - R / 2) == 0 and "G4" in res.route


def test_an_own_sinh_normalised_f_is_not_bounded():
    # <sinh(Av), 1> may vanish: f is not known to be C^1, no constant is claimed
    _, res = _own("sinh", "1")
    assert not res.ok and "C^1" in res.reason
