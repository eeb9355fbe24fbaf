"""Every constant on a rigorous path is enclosed by Arb itself (``softproof.numeric``:
boxes, balls, exprplan, confirm, certify).

The near-miss constants differ from ``e``, ``sqrt(2)``, ``exp(1/3)``, ``e^2`` in the
17th digit: a 53-bit ``mpmath.e`` or a decimal read as its nearest double turns
each false claim into a "certified" one (or a true one into a "violated" one).
Regression tests are named after the defect they pin down.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from flint import arb, arb_mat, ctx

from softproof.cli import main
from softproof.derivations import model as m
from softproof.derivations.model import t
from softproof.derivations.statement import Relation, Statement
from softproof.derivations.statement_files import parse_statement_text
from softproof.numeric import boxes
from softproof.numeric.balls import evaluate_arb
from softproof.numeric.certificate import check_certificate
from softproof.numeric.certify import certify
from softproof.numeric.confirm import confirm
from softproof.numeric.mp import evaluate_mp

#: 2.7182818284590451 < e < 2.7182818284590453; the 53-bit e is below both
E_BELOW, E_ABOVE = "2.7182818284590451", "2.7182818284590453"


def _exact(v: arb) -> Fraction:
    man, exp = v.mid().man_exp()
    return Fraction(int(man)) * Fraction(2) ** int(exp)


def _encloses(iv: boxes.Iv, value: mpmath.mpf) -> bool:
    """``lo <= value <= hi`` with ``value`` an mpmath number far more precise than ``iv``."""
    lo, hi = _exact(iv.lo), _exact(iv.hi)
    value = mpmath.mpf(value)
    v = Fraction(int(value.man)) * Fraction(2) ** int(value.exp)
    return lo <= v <= hi


def scalar_file(claim: str, parameters: str = "", sid: str = "near-miss") -> str:
    """A statement file in the scalar ``t`` with ``|t| <= 1``."""
    params = f"parameters = {{ {parameters} }}\n" if parameters else ""
    return (
        f'id = "{sid}"\nsizes = {{ n = 1, d = 1 }}\n{params}'
        f'hypotheses = ["abs(t) <= 1"]\nclaim = "{claim}"\n'
    )


def scalar(claim: str, parameters: str = "") -> Statement:
    return parse_statement_text(scalar_file(claim, parameters))


def vector_pair(claim: str) -> Statement:
    """A statement in ``x, y`` of length 1 with ``||x||, ||y|| <= 1``."""
    return parse_statement_text(
        'id = "near-miss-xy"\nsizes = { n = 1, d = 1 }\n'
        'hypotheses = ["norm2(x) <= 1", "norm2(y) <= 1"]\n'
        f'claim = "{claim}"\n'
    )


def near_e(c: str) -> str:
    return f"norm2(exp(1) * t * ones(1)) <= {c} * abs(t)"


def assert_not_certified(res) -> None:
    assert res.status in ("violated", "undecided"), res.summary()
    if res.status == "violated":
        assert res.confirmation.confirmed


def assert_certified(st: Statement, res) -> None:
    assert res.status == "certified", res.summary()
    assert check_certificate(st, res.certificate)


# --------------------------------------------------------------------------
# The reproducer and its near misses, end to end
# --------------------------------------------------------------------------
def test_mpmath_e_in_compiled_code_certified_a_false_claim(tmp_path, capsys):
    path = tmp_path / "near-e.toml"
    path.write_text(scalar_file(near_e(E_BELOW), sid="near-e"))
    code = main(["certify", str(path), "--budget", "10", "--quiet"])
    out = capsys.readouterr().out
    assert code == 1, out  # violated, with a confirmed witness
    assert "certified" not in out and "violated" in out


def test_near_miss_above_e_still_certifies(tmp_path, capsys):
    path = tmp_path / "near-e-true.toml"
    path.write_text(scalar_file(near_e(E_ABOVE), sid="near-e-true"))
    assert main(["certify", str(path), "--budget", "10", "--quiet"]) == 0
    assert "certificate verified" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("claim", "true"),
    [
        ("norm2(sqrt(2) * t * ones(1)) <= 1.4142135623730950 * abs(t)", False),
        ("norm2(sqrt(2) * t * ones(1)) <= 1.4142135623730951 * abs(t)", True),
        # pi-free forms: exp of a rational; 1.3956124250860896 > exp(1/3) > its double
        ("norm2(exp(1/3) * t * ones(1)) <= 1.3956124250860896 * abs(t)", True),
        ("norm2(exp(1/3) * t * ones(1)) <= 1.3956124250860895 * abs(t)", False),
        ("norm2(exp(1)**2 * t * ones(1)) <= 7.3890560989306503 * abs(t)", True),
        ("norm2(exp(1)**2 * t * ones(1)) <= 7.3890560989306500 * abs(t)", False),
        ("norm2(log(2) * t * ones(1)) <= 0.69314718055994531 * abs(t)", True),
        ("norm2(log(2) * t * ones(1)) <= 0.69314718055994530 * abs(t)", False),
    ],
)
def test_near_miss_constants_certify_only_when_true(claim, true):
    st = scalar(claim)
    res = certify(st, budget_seconds=10)
    if true:
        assert_certified(st, res)
    else:
        assert_not_certified(res)


def test_decimal_whose_double_is_above_sqrt2_is_its_decimal_value():
    """1.41421356237309504 is below sqrt(2); its nearest double is above it."""
    c = "1.41421356237309504"
    with mpmath.workdps(40):
        assert mpmath.mpf(c) < mpmath.sqrt(2) < mpmath.mpf(float(c))
    res = certify(scalar(f"norm2(sqrt(2) * t * ones(1)) <= {c} * abs(t)"), budget_seconds=10)
    assert res.status == "violated" and res.confirmation.confirmed


@pytest.mark.parametrize(
    ("claim", "status"),
    [
        # 3602879701896397 / 2**55 is the double nearest to 0.1, above 1/10
        ("abs(t) * 3602879701896397 / 36028797018963968 <= 0.1 * abs(t)", "violated"),
        ("0.1 * abs(t) <= abs(t) * 3602879701896397 / 36028797018963968", "certified"),
    ],
)
def test_decimal_literal_means_its_exact_decimal(claim, status):
    res = certify(scalar(claim), budget_seconds=10)
    assert res.status == status, res.summary()


@pytest.mark.parametrize(("c", "true"), [(E_BELOW, False), (E_ABOVE, True)])
def test_expression_parameter_exp_1_was_a_53_bit_e(c, true):
    st = scalar(f"norm2(K * t * ones(1)) <= {c} * abs(t)", parameters='K = "exp(1)"')
    res = certify(st, budget_seconds=10)
    if true:
        assert_certified(st, res)
    else:
        assert_not_certified(res)


# --------------------------------------------------------------------------
# The mean-value path: J = e exp(xi), sup over |xi| <= 1 is e^2
# --------------------------------------------------------------------------
E2_CLAIM = "norm2(exp(1) * (exp(x) - exp(y))) <= {} * norm2(x - y)"


def test_mean_value_jacobian_with_e_near_miss_true_certifies():
    st = vector_pair(E2_CLAIM.format("7.3890560989306503"))
    res = certify(st, budget_seconds=10)
    assert_certified(st, res)
    assert res.rules == {"mean-value": 1}


def test_mean_value_jacobian_with_53_bit_e_certified_a_false_claim():
    """e^2 > 7.3890560989306500 > 53-bit-e * e: false near x = y = 1 (where the secant
    slope tends to e^2), in a region too small for box centres: undecided."""
    res = certify(vector_pair(E2_CLAIM.format("7.3890560989306500")), budget_seconds=3)
    assert_not_certified(res)


@pytest.mark.parametrize(
    ("c", "confirmed"), [("7.3890560989306500", True), ("7.3890560989306503", False)]
)
def test_confirm_near_miss_witness_only_when_really_violated(c, confirmed):
    """At x = 1, y = 1 - 2^-60 the secant slope is e^2 (1 - 2^-61 ...), above the
    lower constant and below the upper one."""
    st = vector_pair(E2_CLAIM.format(c))
    with ctx.workprec(128):
        y = arb(1) - arb(2) ** -60  # exact
    conf = confirm(st, {"x": arb_mat([[1]]), "y": arb_mat([[y]])})
    assert conf.confirmed is confirmed, conf.reason
    if not confirmed:
        assert conf.claim is True


@pytest.mark.parametrize(
    ("claim", "confirmed"),
    [
        (near_e(E_BELOW), True),
        (near_e(E_ABOVE), False),
        ("norm2(sqrt(2) * t * ones(1)) <= 1.4142135623730950 * abs(t)", True),
        ("norm2(sqrt(2) * t * ones(1)) <= 1.4142135623730951 * abs(t)", False),
        ("abs(t) * 3602879701896397 / 36028797018963968 <= 0.1 * abs(t)", True),
    ],
)
def test_confirm_at_t_1_with_near_miss_constants(claim, confirmed):
    conf = confirm(scalar(claim), {"t": 1.0})
    assert conf.confirmed is confirmed, conf.reason


@pytest.mark.parametrize(("c", "confirmed"), [(E_BELOW, True), (E_ABOVE, False)])
def test_confirm_with_an_expression_parameter(c, confirmed):
    st = scalar(f"norm2(K * t * ones(1)) <= {c} * abs(t)", parameters='K = "exp(1)"')
    assert confirm(st, {"t": 1.0}).confirmed is confirmed


# --------------------------------------------------------------------------
# pi (no name in the file language: statements built in Python)
# --------------------------------------------------------------------------
PI_BELOW, PI_ABOVE = "3.1415926535897932", "3.1415926535897933"  # 53-bit pi < PI_BELOW < pi


def pi_statement(c: str) -> Statement:
    return Statement(
        id="near-pi",
        title="pi |t| <= c |t|",
        claim=Relation(
            m.Norm("2", sp.pi * t * sp.OneMatrix(1, 1)), "<=", sp.Rational(c) * sp.Abs(t)
        ),
        hypotheses=(Relation(sp.Abs(t), "<=", sp.Integer(1)),),
        sizes={"n": 1, "d": 1},
    )


def test_mpmath_pi_in_compiled_code_certified_a_false_claim():
    assert_not_certified(certify(pi_statement(PI_BELOW), budget_seconds=10))


def test_near_miss_above_pi_certifies():
    st = pi_statement(PI_ABOVE)
    assert_certified(st, certify(st, budget_seconds=10))


# --------------------------------------------------------------------------
# The box tests on hand-made reductions (the derivative enclosures)
# --------------------------------------------------------------------------
Z = sp.Symbol("z", real=True)
C_BELOW, C_ABOVE = sp.Rational(E_BELOW), sp.Rational(E_ABOVE)
UNIT = [boxes.InnerInterval(Fraction(-1), Fraction(1))]


def reduction(margin: sp.Expr) -> boxes.Reduction:
    return boxes.Reduction(name="test", steps=(), stages=(), margins=(margin,), inner=(Z,))


def passes(test: str, margin: sp.Expr) -> bool:
    with ctx.workprec(128):
        ok, _ = boxes.run_test(test, None, reduction(margin), 0, {}, UNIT)
    return ok


@pytest.mark.parametrize(
    ("test", "false_margin", "true_margin"),
    [
        # (c - E)(z + 1): >= 0 on [-1, 1] iff c >= E
        ("interval", (C_BELOW - sp.E) * (Z + 1), (C_ABOVE - sp.E) * (Z + 1)),
        # the gradient c - E fixes z at the wrong end when its sign is wrong
        ("monotone", (C_BELOW - sp.E) * (Z + 1), (C_ABOVE - sp.E) * (Z + 1)),
        # centre value (rigorous) plus gradient (compiled) times the half width
        (
            "centred",
            sp.Rational(1, 10**18) + (C_BELOW - sp.E) * Z,
            2 * (C_ABOVE - sp.E) + (C_ABOVE - sp.E) * Z,
        ),
        # the Hessian 2 (c - E) is positive semidefinite iff c >= E
        ("second-order", (C_BELOW - sp.E) * Z**2, (C_ABOVE - sp.E) * Z**2),
    ],
)
def test_box_tests_with_a_53_bit_e_passed_false_margins(test, false_margin, true_margin):
    assert not passes(test, false_margin)
    assert passes(test, true_margin)


@pytest.mark.parametrize(
    "const",
    [
        sp.E,
        sp.pi,
        sp.sqrt(2),
        sp.exp(sp.Rational(1, 3)),
        sp.log(2),
        sp.E**2,
        sp.Rational(1, 3),
        sp.Float("0.1", 30),
        sp.Integer(2) ** sp.Rational(1, 3),
        sp.pi**sp.E,
        sp.EulerGamma,
        sp.Catalan,
        sp.GoldenRatio,
        10**40 + sp.Rational(1, 7),
    ],
)
def test_compiled_constants_are_arb_enclosures(const):
    fn = boxes._compile_iv([Z], [const * Z, const + 0 * Z])
    assert fn is not None
    with mpmath.workdps(80):
        value = mpmath.mpf(sp.N(const, 80))
        if isinstance(const, sp.Float):
            value = mpmath.mpf(1) / 10  # the decimal it prints, not its binary value
        with ctx.workprec(128):
            prod, alone = fn(arb(1))
            assert _encloses(prod, value) and _encloses(alone, value)
            assert float(prod.hi - prod.lo) < 1e-30 * max(1.0, abs(float(value)))
            ev = boxes.Evaluator(None, {Z: arb(1)})(const * Z)
            assert _encloses(ev, value)


def test_compiled_constants_follow_the_working_precision():
    fn = boxes._compile_iv([Z], [sp.E * Z])
    with ctx.workprec(400):
        (v,) = fn(arb(1))
    assert float(v.hi - v.lo) < 1e-110


def test_constant_without_an_enclosure_is_not_compiled_or_guessed():
    assert boxes._compile_iv([Z], [sp.I * Z]) is None
    assert boxes._compile_iv([Z], [sp.zoo + Z]) is None
    with pytest.raises(NotImplementedError):
        boxes.Evaluator(None, {Z: arb(1)})(sp.oo * Z)
    with pytest.raises(NotImplementedError):
        boxes.constant_arb(sp.Float("inf"))


@pytest.mark.parametrize("v", [0.5, mpmath.mpf("0.5"), sp.Float(0.5), True])
def test_iv_of_refuses_floats(v):
    with pytest.raises(TypeError):
        boxes.Iv.of(v)


def test_iv_of_exact_numbers():
    for v in (Fraction(1, 3), sp.Rational(1, 3)):
        with mpmath.workdps(60):
            assert _encloses(boxes.Iv.of(v), mpmath.mpf(1) / 3)
    assert boxes.Iv.of(7).lo == 7 == boxes.Iv.of(7).hi
    with pytest.raises(TypeError):
        boxes.Iv(arb(1), arb(2)) ** 0.5


# --------------------------------------------------------------------------
# Kinks, roots and logarithms of balls reaching 0, division by a ball with 0
# --------------------------------------------------------------------------
X = sp.Symbol("X", real=True)
STRADDLE = boxes.Iv(arb(-1), arb(2))


def both(expr: sp.Expr, iv: boxes.Iv = STRADDLE) -> list[boxes.Iv]:
    """The enclosure from the tree walk and from compiled code."""
    walked = boxes.Evaluator(None, {X: iv})(expr)
    fn = boxes._compile_iv([X], [expr])
    assert fn is not None
    return [walked, fn(iv)[0]]


@pytest.mark.parametrize(
    ("expr", "lo", "hi"),
    [
        (sp.Abs(X), 0, 2),
        (sp.Max(X, 0), 0, 2),
        (sp.Min(X, 0), -1, 0),
        (sp.Max(X, 1 - X), sp.Rational(1, 2), 2),
        (sp.Abs(X - sp.Rational(1, 3)), 0, sp.Rational(5, 3)),
        (sp.sign(X), -1, 1),
    ],
)
def test_kinks_enclose_the_whole_range(expr, lo, hi):
    for v in both(expr):
        assert _exact(v.lo) <= Fraction(int(sp.Rational(lo).p), int(sp.Rational(lo).q))
        assert _exact(v.hi) >= Fraction(int(sp.Rational(hi).p), int(sp.Rational(hi).q))


@pytest.mark.parametrize(
    "expr",
    [sp.sqrt(X), sp.log(X), 1 / X, X ** sp.Rational(1, 3), X ** sp.Rational(-1, 2), 2**X / X, X**X],
)
def test_roots_logs_and_division_reaching_zero_are_not_finite(expr):
    for v in both(expr):
        assert not v.is_finite()
    inst = {"t": arb_mat([[arb("0 +/- 1")]])[0, 0]}
    ball = evaluate_arb(expr.xreplace({X: t}), inst)
    assert not ball.is_finite()


def test_root_and_log_of_a_ball_touching_zero():
    zero_two = boxes.Iv(arb(0), arb(4))
    sq, _ = both(sp.sqrt(X), zero_two)
    assert sq.lo == 0 and sq.hi == 2
    for v in both(sp.log(X), zero_two):
        assert not v.is_finite()


def test_mpmath_constants_at_the_working_precision():
    """The cross-check evaluates E at the digits asked for, not at 53 bits."""
    v = evaluate_mp(sp.E * t, {"t": 1.0}, dps=60)
    with mpmath.workdps(70):
        assert abs(v - mpmath.e) < mpmath.mpf(10) ** -55


@pytest.mark.parametrize(
    ("expr", "lo", "hi"),
    [(sp.Abs(t), 0, 2), (sp.Max(t, 0), 0, 2), (sp.Min(t, 0), -1, 0), (sp.Abs(t) - t, 0, 2)],
)
def test_ball_kinks_enclose_the_whole_range(expr, lo, hi):
    """The plan evaluator (softproof.numeric.balls) on a ball straddling the kink."""
    ball = evaluate_arb(expr, {"t": arb("0.5 +/- 1.5")})
    assert ball.lower() <= lo and ball.upper() >= hi


def test_confirm_took_a_rounded_expression_parameter_from_the_instance():
    """K = exp(1) makes the claim true; an instance with K = float(e) (below
    2.71828182845904515 < e) was confirmed as a violation of the statement."""
    st = scalar("2.71828182845904515 * abs(t) <= norm2(K * t * ones(1))", parameters='K = "exp(1)"')
    assert not confirm(st, {"t": 1.0}).confirmed
    with pytest.raises(ValueError, match="fixes K = E"):
        confirm(st, {"t": 1.0, "K": float(mpmath.e)})
    # the caller may certify another value on purpose (certify's overrides)
    assert confirm(st, {"t": 1.0}, parameters={"K": sp.Rational(27, 10)}).confirmed


def test_confirm_accepts_a_fixed_parameter_repeated_exactly():
    st = scalar("abs(t) <= R", parameters="R = 0.5")
    assert confirm(st, {"t": 1.0, "R": 0.5}).confirmed
    with pytest.raises(ValueError, match="fixes R = 1/2"):
        confirm(st, {"t": 1.0, "R": 0.25})


RANGED = 'id = "ranged"\nsizes = {{ n = 1, d = 1 }}\nparameters = {{ R = [{lo}, {hi}] }}\n' + (
    'hypotheses = ["abs(t) <= 1/4"]\nclaim = "abs(t) <= R"\n'
)


def test_confirm_took_a_ranged_parameter_outside_its_range():
    """The claim holds for every R in [1/2, 1]; R = 0.1 is no counterexample."""
    st = parse_statement_text(RANGED.format(lo=0.5, hi=1))
    conf = confirm(st, {"t": 0.25, "R": 0.1})
    assert not conf.confirmed and conf.outside_range and not conf.undecided
    assert "not in its range" in conf.reason


def test_confirm_reads_a_range_end_as_its_decimal():
    """float(0.7) is below 7/10 and float(0.9) above 9/10: neither is in [0.7, 0.9]."""
    st = parse_statement_text(RANGED.format(lo=0.7, hi=0.9).replace("abs(t) <= R", "R <= abs(t)"))
    assert confirm(st, {"t": 0.25, "R": 0.8}).confirmed
    assert confirm(st, {"t": 0.25, "R": 0.7}).outside_range
    assert confirm(st, {"t": 0.25, "R": 0.9}).outside_range
    assert confirm(st, {"t": 0.25, "R": 7 / 10 + 2**-52}).confirmed


@pytest.mark.parametrize(
    "const", [sp.E, sp.pi, sp.EulerGamma, sp.Catalan, sp.GoldenRatio, sp.sqrt(2), sp.exp(-4)]
)
def test_plan_constants_are_arb_enclosures_at_the_working_precision(const):
    """softproof.numeric.balls (and the mpmath cross-check) enclose plan constants themselves."""
    ball = evaluate_arb(const * t, {"t": 1.0}, prec=300)
    with mpmath.workdps(120):
        value = mpmath.mpf(sp.N(const, 120))
        assert _encloses(boxes.Iv.of(ball), value)
        assert float(ball.rad()) < 1e-85
        assert abs(evaluate_mp(const * t, {"t": 1.0}, dps=90) - value) < mpmath.mpf(10) ** -85


def test_plan_decimal_float_is_its_decimal():
    ball = evaluate_arb(sp.Float("0.1", 20) * t, {"t": 1}, prec=200)
    with mpmath.workdps(80), ctx.workprec(200):
        assert _encloses(boxes.Iv.of(ball), mpmath.mpf(1) / 10)
        assert not _encloses(boxes.Iv.of(ball), mpmath.mpf(0.1))  # not the double


@pytest.mark.parametrize("number", [sp.oo, -sp.oo, sp.zoo, sp.nan, sp.I])
def test_plan_number_without_an_enclosure_raises(number):
    with pytest.raises(NotImplementedError):
        evaluate_arb(number * t + 1, {"t": 1.0})
