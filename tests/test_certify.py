"""Branch-and-bound certification in Arb (softproof.numeric.certify, softproof.numeric.boxes)."""

from __future__ import annotations

import json
import math
import time
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from softproof.derivations.catalogue import get
from softproof.derivations.statement_files import parse_statement_text
from softproof.numeric.boxes import DomainError, Evaluator, Problem, interval_ball
from softproof.numeric.certify import TooManyVariables, certify, coverage_boxes

WIDE_E1 = """
id = "exp-lipschitz-wide"
title = "|e^t - 1| <= 2|t| on |t| <= 6/5"
source = "ours"
hypotheses = ["abs(t) <= 6/5"]
claim = "abs(exp(t) - 1) <= 2*abs(t)"
"""


def test_e1_certified_with_its_domain_from_the_hypothesis():
    res = certify(get("E1"), budget_seconds=20)
    assert res.status == "certified"
    assert res.domain.names == ("t",)
    assert res.domain.bounds == ((Fraction(-1, 100), Fraction(1, 100)),)
    assert "abs(t) <= 0.01" in res.domain.describe()
    assert res.certificate is not None
    json.dumps(res.certificate)  # plain JSON, exact rationals as text
    assert res.rules == {"mean-value": 1}


def test_tight_at_zero_needs_more_than_interval_evaluation():
    """|e^t - 1| <= 2|t| is an equality at t = 0: the direct margin cannot be
    decided on a box around 0, so the certificate must use another rule."""
    res = certify(get("E1"), budget_seconds=20)
    leaf = res.leaves[0]["decision"]
    assert leaf["kind"] == "claim" and leaf["reduction"] != "direct"


def test_wide_statement_needs_several_boxes():
    stmt = parse_statement_text(WIDE_E1)
    res = certify(stmt, budget_seconds=30)
    assert res.status == "certified"
    assert res.boxes > 1
    assert res.domain.bounds == ((Fraction(-6, 5), Fraction(6, 5)),)


def test_p3_certified_from_its_hypotheses():
    res = certify(get("P3"), sizes={"n": 2, "d": 2}, budget_seconds=30)
    assert res.status == "certified"
    assert set(res.domain.bounds) == {(Fraction(-4), Fraction(4))}
    assert "alpha(x) >= beta" in res.domain.constraints
    assert res.domain.parameters["beta"] == "exp(-16)"


def test_e5_certified_at_n2_on_a_given_box():
    res = certify(
        get("E5"), sizes={"n": 2, "d": 1}, domain={"A": (-1, 1), "x": (-1, 1)}, budget_seconds=60
    )
    assert res.status == "certified"
    assert "shift" in next(iter(res.rules))


def test_s1_certified_at_n2_d1():
    res = certify(get("S1"), sizes={"n": 2, "d": 1}, default_radius=4, budget_seconds=60)
    assert res.status == "certified"
    assert res.domain.origins[0] == "default radius"


@pytest.mark.slow
def test_s1_certified_at_n2_d2():
    res = certify(get("S1"), sizes={"n": 2, "d": 2}, default_radius=4, budget_seconds=120)
    assert res.status == "certified"


@pytest.mark.slow
def test_e5_certified_at_n3():
    res = certify(get("E5"), sizes={"n": 3, "d": 1}, default_radius=1, budget_seconds=120)
    assert res.status == "certified"


@pytest.mark.parametrize(
    ("sid", "sizes", "radius", "budget"),
    [
        ("E1-m-wide", {"n": 1, "d": 1}, None, 20),
        ("E5-m-quarter", {"n": 2, "d": 1}, 1, 10),
        ("P3-m-beta1", {"n": 2, "d": 2}, None, 6),
        ("S1-m099", {"n": 2, "d": 2}, 4, 6),
        ("S1-m0999", {"n": 2, "d": 1}, 4, 6),
    ],
)
def test_mutants_are_never_certified(sid, sizes, radius, budget):
    res = certify(get(sid), sizes=sizes, default_radius=radius, budget_seconds=budget)
    assert res.status in ("violated", "undecided")
    assert res.certificate is None
    if res.status == "violated":
        assert res.confirmation.confirmed


def test_violations_are_confirmed_witnesses():
    res = certify(get("E1-m-wide"), budget_seconds=20)
    assert res.status == "violated"
    t = res.witness["t"]
    assert abs(math.exp(t) - 1) > 2 * abs(t) and abs(t) <= 2
    res = certify(get("E5-m-quarter"), sizes={"n": 2, "d": 1}, default_radius=1, budget_seconds=10)
    assert res.status == "violated"


def test_undecided_reports_open_boxes_and_coverage():
    res = certify(get("S1-m099"), sizes={"n": 2, "d": 1}, default_radius=4, budget_seconds=3)
    assert res.status == "undecided"
    assert res.open_boxes and 0.0 <= res.coverage < 1.0
    boxes = coverage_boxes(res)
    assert {b["decision"] for b in boxes} >= {"undecided"}
    assert set(boxes[0]["bounds"]) == set(res.domain.names)


def test_budget_is_respected_on_a_hard_instance():
    """E5 at n=9 needs seconds of symbolic derivation (Gershgorin's 81 entries and
    their rational algebra; n = 6 now certifies within 2 s on an idle machine): the
    run must still stop near its budget, undecided, with boxes left."""
    t0 = time.monotonic()
    res = certify(get("E5"), sizes={"n": 9, "d": 1}, default_radius=2, budget_seconds=2)
    elapsed = time.monotonic() - t0
    assert elapsed < 15, f"budget 2 s, returned after {elapsed:.1f} s"
    assert res.status == "undecided"
    assert res.open_boxes and 0.0 <= res.coverage < 1.0


def test_coverage_boxes_of_a_certified_run():
    res = certify(parse_statement_text(WIDE_E1), budget_seconds=30)
    boxes = coverage_boxes(res)
    assert len(boxes) == len(res.leaves) and all(b["decision"] == "claim" for b in boxes)
    lo = min(b["bounds"]["t"][0] for b in boxes)
    hi = max(b["bounds"]["t"][1] for b in boxes)
    assert (lo, hi) == (-1.2, 1.2)


def test_unbounded_domain_is_refused():
    with pytest.raises(DomainError, match="no bound for"):
        certify(get("S1"), sizes={"n": 2, "d": 1}, budget_seconds=1)
    with pytest.raises(DomainError, match="not a variable"):
        certify(get("E1"), domain={"q": (0, 1)}, budget_seconds=1)


def test_too_many_variables():
    with pytest.raises(TooManyVariables):
        certify(get("S1"), sizes={"n": 8, "d": 8}, default_radius=1, budget_seconds=1)


def test_identities_are_not_certified_here():
    with pytest.raises(DomainError, match="inequalities"):
        Problem(get("G7-sum"), 2, 1)


# ---- the interval evaluator encloses the true values ------------------------
_T = sp.Symbol("t", real=True)
_S = sp.Symbol("s", real=True)
EXPRS = [
    sp.exp(_T) / (sp.exp(_T) + sp.exp(_S)),
    (_T - _S) ** 2 - _T * _S,
    sp.Abs(sp.exp(_T) - 1) - 2 * sp.Abs(_T),
    1 / (1 + _T**2) + sp.sqrt(_S**2 + 1),
    sp.log(1 + sp.exp(_T)) * _S**3,
]


@given(
    k=st.integers(0, len(EXPRS) - 1),
    a=st.fractions(-5, 5, max_denominator=64),
    w=st.fractions(0, 4, max_denominator=64),
    b=st.fractions(-5, 5, max_denominator=64),
    u=st.floats(0, 1),
    v=st.floats(0, 1),
)
def test_interval_evaluation_encloses_point_values(k, a, w, b, u, v):
    e = EXPRS[k]
    env = {_T: interval_ball(a, a + w), _S: interval_ball(b, b + 1)}
    enc = Evaluator(None, env)(e)
    t = float(a + w * Fraction(u))
    s = float(b + Fraction(v))
    val = float(e.subs({_T: t, _S: s}).evalf(30))
    assert float(enc.lo) - 1e-9 <= val <= float(enc.hi) + 1e-9


def test_strict_claim_false_at_the_tight_point_is_not_certified():
    """``|e^t - 1| < 2|t|`` fails at t = 0: the mean-value rule (which only gives
    ``<=``) must not apply, and the witness t = 0 is found."""
    stmt = parse_statement_text(
        'id = "e1-strict"\ntitle = "strict"\nsource = "ours"\n'
        'hypotheses = ["abs(t) <= 0.01"]\nclaim = "abs(exp(t) - 1) < 2*abs(t)"\n'
    )
    res = certify(stmt, budget_seconds=10)
    assert res.status == "violated" and res.witness == {"t": 0.0}


def test_witness_of_an_overridden_parameter_was_confirmed_with_the_file_value():
    """The witness carries the certified value of an overridden parameter: confirm
    once re-checked it with the statement's own ``R = 1`` (holds) and never agreed."""
    st = parse_statement_text(
        'id = "override"\nsizes = { n = 1, d = 1 }\nparameters = { R = 1 }\n'
        'hypotheses = ["abs(t) <= 2"]\nclaim = "abs(t) <= R"\n'
    )
    res = certify(st, parameters={"R": Fraction(1, 2)}, budget_seconds=5)
    assert res.status == "violated" and res.confirmation.confirmed
    assert res.witness["R"] == "1/2"
    assert certify(st, parameters={"R": 2}, budget_seconds=5).status == "certified"


def test_violated_summary_prints_the_witness_without_python_reprs():
    res = certify(get("E1-m-wide"), budget_seconds=10)
    text = res.summary()
    assert res.status == "violated" and "t = " in text and "{" not in text and "'" not in text


# --------------------------------------------------------------------------
# past n = 3: Gershgorin's row sums in the softmax entries (E5, S1)
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sid,n,d,radius",
    [("E5", 3, 1, 1), ("E5", 4, 1, 1), ("E5", 5, 1, 1), ("S1", 3, 1, 4), ("S1", 3, 2, 4)],
)
def test_e5_and_s1_certified_past_n2_and_rechecked(sid, n, d, radius):
    from softproof.numeric.certificate import check_certificate

    stmt = get(sid)
    res = certify(stmt, sizes={"n": n, "d": d}, default_radius=radius, budget_seconds=120)
    assert res.status == "certified", res.summary()
    assert res.seconds < 120
    assert any(k.endswith("+gershgorin+entry") for k in res.rules), res.rules
    assert check_certificate(stmt, json.loads(json.dumps(res.certificate)))


@pytest.mark.parametrize(
    "sid,n,d,radius,budget",
    [("E5-m-quarter", 4, 1, 1, 30), ("E5-m-quarter", 5, 1, 1, 30), ("S1-m099", 3, 1, 4, 8)],
)
def test_mutants_are_never_certified_past_n2(sid, n, d, radius, budget):
    res = certify(get(sid), sizes={"n": n, "d": d}, default_radius=radius, budget_seconds=budget)
    assert res.status != "certified"
    assert res.certificate is None
    if sid.startswith("E5"):  # 1/3 > 1/4 at A = 0: a rigorous witness
        assert res.status == "violated"


def _problem(sid, n, d, radius):
    from flint import ctx

    with ctx.workprec(128):
        return Problem(get(sid), n, d, default_radius=radius)


def test_gershgorin_margins_are_row_sums_and_signs():
    """E5 at n = 3: P = diag(s) - s s^T is symmetric, so 3 row sums and 9 signs; the
    row sums become 2 t^2 - 2 t + 1/2 = (2t - 1)^2 / 2 in one softmax entry t."""
    from softproof.numeric import boxes

    p = _problem("E5", 3, 1, 1)
    red = next(r for r in p.reductions if r.name.endswith("+gershgorin+entry"))
    assert len(red.margins) == 3 + 9
    ts = [s for s in red.inner if s.name.startswith("t")]
    assert len(ts) == 3
    for g, alts in zip(red.margins[:3], red.alternates[:3], strict=True):
        (t,) = g.free_symbols
        assert sp.expand(g - (2 * t**2 - 2 * t + sp.Rational(1, 2))) == 0
        assert alts and sp.expand(alts[0] - g) == 0
    # the sign margins are proved (not assumed): a wrong sign is a failing margin
    base = next(r for r in p.reductions if r.name == "direct-norm+atoms+shift")
    ((ph, P),) = base.norms.items()
    flipped = boxes.Reduction(
        name="flipped",
        steps=(),
        stages=base.stages,
        margins=(-P[0, 1],),
        inner=base.inner,
    )
    env = p.env(p.domain.bounds)
    full, ranges = boxes.stage_ranges(p, base, env)
    assert boxes.run_test("interval", p, flipped, 0, full, ranges)[0] is True  # -P01 >= 0
    wrong = boxes.Reduction(
        name="wrong", steps=(), stages=base.stages, margins=(P[0, 1],), inner=base.inner
    )
    assert not any(boxes.run_test(t, p, wrong, 0, full, ranges)[0] for t in boxes.TESTS)


def test_gershgorin_of_a_nonsymmetric_matrix_adds_the_columns():
    from softproof.numeric import boxes

    a, b = sp.symbols("a b", real=True)
    ph = sp.Symbol("opnormQ", nonnegative=True)
    P = sp.Matrix([[a, 2 * a], [0, b]])
    red = boxes.Reduction(
        name="q", steps=(), stages=(), margins=(1 - ph,), inner=(a, b), norms={ph: P}
    )
    g = boxes._gershgorin(_problem("E5", 2, 1, 1), red)
    # two rows, two columns, three nonzero entries' signs
    assert len(g.margins) == 2 + 2 + 3
    assert g.margins[2] == 1 - a  # column 1: |a| + |0|, with a's sign guessed +


def test_entry_leaves_a_margin_of_two_entries_alone():
    """s1 s2 is no function of one softmax entry: it stays in the reduced variables."""
    from softproof.numeric import boxes

    p = _problem("E5", 3, 1, 1)
    red = next(r for r in p.reductions if r.name.endswith("+gershgorin+entry"))
    off = red.margins[4]
    assert not (off.free_symbols & {s for s in red.inner if s.name.startswith("t")})
    assert off.free_symbols <= set(red.inner)
    assert boxes._entry(p, boxes.Reduction("none", (), (), (sp.Integer(1),), red.inner[:2])) is None


def test_an_executor_gives_the_same_certificate():
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    stmt = parse_statement_text(WIDE_E1)
    alone = certify(stmt, budget_seconds=60)
    assert alone.status == "certified" and alone.boxes > 1
    with ThreadPoolExecutor(2) as ex:
        threads = certify(stmt, budget_seconds=60, executor=ex, batch_size=3)
    with ProcessPoolExecutor(2) as ex:
        procs = certify(stmt, budget_seconds=60, executor=ex)
    for other in (threads, procs):
        assert other.status == "certified"
        assert other.certificate == alone.certificate
        assert other.boxes == alone.boxes and other.rules == alone.rules


def test_an_executor_of_one_worker_or_one_box_decides_here():
    """One-worker executors and lone boxes never ship work: nothing is submitted."""
    from concurrent.futures import Executor

    class Refusing(Executor):
        def __init__(self, workers):
            self.workers = workers

        def submit(self, fn, /, *args, **kwargs):
            raise AssertionError("no box should be submitted")

    stmt = parse_statement_text(WIDE_E1)
    alone = certify(stmt, budget_seconds=60)
    assert certify(stmt, budget_seconds=60, executor=Refusing(1)).certificate == alone.certificate
    one_box = certify(get("E5"), sizes={"n": 3, "d": 1}, default_radius=1, executor=Refusing(2))
    assert one_box.status == "certified" and one_box.boxes == 1
    with pytest.raises(AssertionError, match="no box should be submitted"):
        certify(stmt, budget_seconds=60, executor=Refusing(2))


def test_an_executor_finds_the_same_violation():
    from concurrent.futures import ThreadPoolExecutor

    alone = certify(get("E5-m-quarter"), sizes={"n": 3, "d": 1}, default_radius=1)
    with ThreadPoolExecutor(2) as ex:
        par = certify(get("E5-m-quarter"), sizes={"n": 3, "d": 1}, default_radius=1, executor=ex)
    assert alone.status == par.status == "violated"
    assert alone.witness == par.witness


def test_a_sum_with_a_nonnegative_term_keeps_the_exact_lower_end():
    """1 + exp(-300) >= 1 exactly (the rounded sum reaches below 1); the ends are
    still outward: they contain the exact sums of the endpoints."""
    from flint import arb

    from softproof.numeric.boxes import Iv

    tiny = Iv(arb(-300).exp().lower(), arb(-290).exp().upper())
    one_plus = Iv.of(1) + tiny
    assert one_plus.lo == 1 and one_plus.recip().hi == 1
    minus = Iv.of(1) + (-tiny)
    assert minus.hi == 1 and minus.lo < 1
    both = Iv(arb(-1), arb(2)) + Iv(arb(-3), arb(5))  # mixed signs: the plain sum
    assert both.lo == -4 and both.hi == 7


@pytest.mark.slow
def test_s1_certified_at_n7_d4():
    """36 scalar variables: one box, Gershgorin's rows in the 7 softmax entries."""
    from softproof.numeric.certificate import check_certificate

    res = certify(get("S1"), sizes={"n": 7, "d": 4}, default_radius=4, budget_seconds=120)
    assert res.status == "certified", res.summary()
    assert check_certificate(get("S1"), json.loads(json.dumps(res.certificate)))


# parameters named like the reduced variables and placeholders of the certifier
# (z1, u1, xi1, Y1) and of the independent checker (cz1, cu1, cxi1): each claim is false
COLLISIONS = {
    "z1-cz1": (
        "parameters = { z1 = [-1, 1], cz1 = [-1, 1] }\n"
        'claim = "opnorm(z1 * cz1 * (diag(f(x)) - outer(f(x), f(x)))) <= 1/10"\n'
    ),
    "u1": (
        'parameters = { u1 = [-10, 10] }\nhypotheses = ["opnorm(A) <= 2"]\n'
        'claim = "norm2(u1 * (f(x) - f(y))) <= norm2(x - y)"\n'
    ),
    "xi1-cxi1": (
        'parameters = { xi1 = [-1, 1], cxi1 = [-1, 1] }\nhypotheses = ["opnorm(A) <= 2"]\n'
        'claim = "norm2(xi1 * cxi1 * (f(x) - f(y))) <= (1/10) * norm2(x - y)"\n'
    ),
    "Y1": (
        'parameters = { Y1 = [1, 3] }\nhypotheses = ["opnorm(A) <= 2"]\n'
        'claim = "norm2(Y1 * (f(x) - f(y))) <= (1/2) * norm2(x - y)"\n'
    ),
}


@pytest.mark.parametrize("name", sorted(COLLISIONS))
def test_a_parameter_named_like_an_internal_symbol_is_never_certified_false(name):
    text = f'id = "collide"\nsizes = {{ n = 2, d = 1 }}\n{COLLISIONS[name]}'
    for radius in (Fraction(1, 10), 1):
        res = certify(parse_statement_text(text), default_radius=radius, budget_seconds=4)
        assert res.status in ("violated", "undecided") and res.certificate is None
