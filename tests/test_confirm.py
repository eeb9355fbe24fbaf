"""Rigorous confirmation of witnesses (softproof.numeric.confirm) and witness files
(softproof.numeric.instance)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from softproof.derivations import model as m
from softproof.derivations.model import A, R, b, t, x, y
from softproof.derivations.statement import Relation, Statement
from softproof.numeric.confirm import confirm
from softproof.numeric.float64 import Screen
from softproof.numeric.instance import load_witness, save_witness, slice_instance, stack_instances

HALF = sp.Rational(1, 2)


def s1(c=HALF, sid="S1") -> Statement:
    """S1 (times a constant): ||f(x) - f(y)||_2 <= c ||A|| ||x - y||_2."""
    return Statement(
        id=sid,
        title="f is ||A||/2-Lipschitz",
        claim=Relation(
            m.Norm("2", m.F(A, x) - m.F(A, y)), "<=", c * m.Norm("op", A) * m.Norm("2", x - y)
        ),
        hypotheses=(
            Relation(m.Norm("op", A), "<=", R),
            Relation(m.Norm("2", x), "<=", R),
            Relation(m.Norm("2", y), "<=", R),
        ),
        parameters={"R": 4.0},
        sizes={"n": 2, "d": 2},
    )


def sharp_witness(step: float = 1e-3) -> dict:
    """The catalogue's S1 extremal family: n = 2, A = R' v w^T, x perp w, y = x + step w."""
    v = np.array([1.0, -1.0]) / np.sqrt(2)
    w = np.array([1.0, 0.0])
    return {
        "A": 0.999 * 4.0 * np.outer(v, w),
        "x": np.array([0.0, 1.0]),
        "y": np.array([step, 1.0]),
    }


@pytest.mark.parametrize("c", [sp.Rational(99, 200), sp.Rational(999, 2000)])
def test_s1_mutants_are_confirmed(c):
    res = confirm(s1(c, "S1-mutant"), sharp_witness())
    assert res.confirmed, res.reason
    assert res.hypotheses == [True, True, True] and res.claim is False
    assert res.mp_margin.startswith("-") and res.claim_margin.startswith("[-")
    assert float(res.ratio.strip("[").split()[0]) > 1
    assert "confirmed" in res.reason


def test_true_s1_is_not_confirmed_on_the_sharp_witness():
    res = confirm(s1(), sharp_witness())
    assert not res.confirmed and res.claim is True
    assert "holds rigorously" in res.reason


def test_float64_artefact_is_rejected():
    """y a few ulps from x: float64 reports ratios far above 1 for the true S1;
    the rigorous confirmation shows the claim holds there."""
    rng = np.random.default_rng(1)
    B, nn, dd = 500, 7, 4
    a = rng.normal(size=(B, nn, dd))
    a *= 3.0 / np.linalg.norm(a, 2, axis=(1, 2))[:, None, None]
    xs = rng.normal(size=(B, dd))
    xs *= 3.0 / np.linalg.norm(xs, axis=1)[:, None]
    xs[:, 0] *= 1e-3
    ys = xs.copy()
    ys[:, 0] = np.nextafter(ys[:, 0], np.inf)  # one ulp
    env = {"A": a, "x": xs, "y": ys}
    res = Screen(s1())(env)
    bad = np.flatnonzero(res.violation)
    assert bad.size > 0, "the float64 screen shows no artefact on this batch"
    worst = bad[np.argmax(res.ratio[bad])]
    assert res.ratio[worst] > 2  # float64 says the true bound is exceeded
    conf = confirm(s1(), slice_instance(env, worst))
    assert not conf.confirmed
    assert conf.claim is True and conf.hypotheses == [True, True, True]


def test_failing_hypothesis_is_named():
    st_ = Statement(
        id="S1-close",
        title="",
        claim=s1(sp.Rational(99, 200)).claim,
        hypotheses=(*s1().hypotheses, Relation(m.Norm("inf", A * (x - y)), "<", sp.Float("1e-5"))),
        parameters={"R": 4.0},
    )
    res = confirm(st_, sharp_witness())
    assert not res.confirmed and res.hypotheses[3] is False
    assert res.reason.startswith("hypothesis 4 (") and "does not hold rigorously" in res.reason


def test_e1_widened_mutant():
    """E1 with |t| <= 2: |e^t - 1| <= 2|t| fails at t = 2."""
    st_ = Statement(
        id="E1-wide",
        title="",
        claim=Relation(sp.Abs(sp.exp(t) - 1), "<=", 2 * sp.Abs(t)),
        hypotheses=(Relation(sp.Abs(t), "<=", 2),),
    )
    assert confirm(st_, {"t": 2.0}).confirmed
    assert not confirm(st_, {"t": 0.5}).confirmed
    assert not confirm(st_, {"t": 2.5}).confirmed  # outside the hypothesis


def test_identities():
    rng = np.random.default_rng(5)
    inst = {"A": rng.normal(size=(5, 3)), "x": rng.normal(size=3), "b": rng.normal(size=5)}
    f, c = m.F(A, x), m.C(A, x, b)
    flipped = Statement(
        id="G5-flip",
        title="",
        kind="identity",
        claim=Relation(m.GradL(A, x, b), "==", A.T * (m.hadamard(f, c) + m.Dot(c, f) * f)),
    )
    res = confirm(flipped, inst)
    assert res.confirmed and res.claim is False and res.ratio.startswith("n/a")
    true_g5 = Statement(
        id="G5",
        title="",
        kind="identity",
        claim=Relation(m.GradL(A, x, b), "==", A.T * (m.Diag(f) - m.outer(f, f)) * c),
    )
    res = confirm(true_g5, inst, prec=64, retries=1)
    assert not res.confirmed and res.claim is None and res.prec == 128
    assert "no entry of the identity differs rigorously" in res.reason


def test_derived_parameter():
    """beta = exp(-R^2) is evaluated by each backend: P3 with beta^{-1} (a mutant)."""
    st_ = Statement(
        id="P3-mut",
        title="",
        claim=Relation(
            sp.Abs(1 / m.Alpha(A, x) - 1 / m.Alpha(A, y)),
            "<=",
            m.beta**-1 * sp.Abs(m.Alpha(A, x) - m.Alpha(A, y)),
        ),
        hypotheses=(Relation(m.beta, "<=", m.Alpha(A, x)), Relation(m.beta, "<=", m.Alpha(A, y))),
        parameters={"R": 4.0, "beta": sp.exp(-(R**2))},
    )
    # alpha = 2 e^{-10}, 2 e^{-10.1} >= e^{-16}, and 1/(alpha_x alpha_y) > e^{16}
    inst = {"A": np.array([[-10.0], [-10.0]]), "x": np.array([1.0]), "y": np.array([1.01])}
    res = confirm(st_, inst)
    assert res.confirmed, res.reason
    screened = Screen(st_)({k: v[None] for k, v in inst.items()})
    assert screened.violation.all()
    # with beta too large the hypotheses fail: beta really is exp(-16), not a stand-in
    res = confirm(st_, inst | {"A": np.array([[-20.0], [-20.0]])})
    assert res.hypotheses[0] is False


def test_bad_instances_raise():
    with pytest.raises(ValueError, match="nan"):
        confirm(s1(), sharp_witness() | {"y": np.array([np.nan, 1.0])})
    with pytest.raises(ValueError, match="d ="):
        confirm(s1(), sharp_witness() | {"y": np.array([1.0, 1.0, 1.0])})


# --------------------------------------------------------------------------
# witness files
# --------------------------------------------------------------------------
def test_witness_round_trip_is_bit_exact(tmp_path):
    rng = np.random.default_rng(9)
    inst = {
        "A": rng.normal(size=(4, 3)) * 10.0 ** rng.integers(-300, 300, size=(4, 3)),
        "x": np.array([0.1, -0.0, 5e-324]),
        "b": rng.normal(size=4),
        "t": 1 / 3,
        "R": 4.0,
    }
    st_ = s1(sp.Rational(99, 200), "S1-0.99")
    conf = confirm(st_, sharp_witness())
    path = save_witness(tmp_path / "w.json", st_, inst, conf)
    sid, back, meta = load_witness(path)
    assert sid == "S1-0.99"
    assert set(back) == set(inst)
    for k, v in inst.items():
        got = np.asarray(back[k])
        assert got.dtype == np.float64 and got.shape == np.shape(v)
        assert np.array_equal(got.view(np.int64), np.asarray(v, dtype=float).view(np.int64)), k
    assert meta["confirmation"]["confirmed"] is True and meta["sizes"] == {"n": 4, "d": 3}
    assert [p.name for p in tmp_path.iterdir()] == ["w.json"]  # no temporary left


def test_replayed_witness_confirms_again(tmp_path):
    st_ = s1(sp.Rational(99, 200), "S1-0.99")
    path = save_witness(tmp_path / "w.json", st_, sharp_witness(), confirm(st_, sharp_witness()))
    _, inst, _ = load_witness(path)
    assert confirm(st_, inst).confirmed


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"format": "other"}', "format"),
        ('{"format": "softproof-witness/1", "instance": {"t": "1"}}', "statement id"),
        ('{"format": "softproof-witness/1", "statement": "S1"}', "missing instance"),
        (
            '{"format": "softproof-witness/1", "statement": "S1", "instance": {"t": "nan"}}',
            "finite",
        ),
        (
            '{"format": "softproof-witness/1", "statement": "S1", "instance": {"t": "abc"}}',
            "decimal",
        ),
        ('{"format": "softproof-witness/1", "statement": "S1", "instance": {"t": 1.5}}', "decimal"),
        (
            '{"format": "softproof-witness/1", "statement": "S1", '
            '"instance": {"A": [["1", "2"], ["3"]]}}',
            "ragged",
        ),
        (
            '{"format": "softproof-witness/1", "statement": "S1", '
            '"instance": {"A": [["1", "2"]], "x": ["1", "2", "3"]}}',
            "d =",
        ),
        ('{"format": "softproof-witness/1", "statement": "S1", "instance": {"x": "1"}}', "vector"),
    ],
)
def test_malformed_witness_raises(tmp_path, content, match):
    p = tmp_path / "bad.json"
    p.write_text(content)
    with pytest.raises(ValueError, match=match):
        load_witness(p)


def test_missing_witness_file(tmp_path):
    with pytest.raises(ValueError, match="cannot read"):
        load_witness(tmp_path / "absent.json")


def test_save_rejects_nan_and_leaves_nothing(tmp_path):
    with pytest.raises(ValueError, match="nan"):
        save_witness(tmp_path / "w.json", s1(), {"x": np.array([np.nan])}, None)
    assert list(tmp_path.iterdir()) == []


def test_slice_and_stack():
    rng = np.random.default_rng(0)
    env = {"A": rng.normal(size=(3, 2, 2)), "t": np.arange(3.0), "R": 4.0}
    one = slice_instance(env, 1)
    assert one["t"] == 1.0 and one["R"] == 4.0 and np.array_equal(one["A"], env["A"][1])
    back = stack_instances([slice_instance(env, i) for i in range(3)])
    assert np.array_equal(back["A"], env["A"]) and back["R"].shape == (3,)


def test_witness_json_is_readable(tmp_path):
    path = save_witness(tmp_path / "w.json", s1(), {"t": 0.1}, None)
    doc = json.loads(path.read_text())
    assert doc["instance"]["t"] == "0.1000000000000000055511151231257827021181583404541015625"
    assert doc["claim"].startswith("||f(x) - f(y)||_2") and "Norm(" not in doc["claim"]


def catalogue_witnesses() -> dict:
    """Explicit witnesses (from the catalogue's sharpness notes) for seeded mutants."""
    s1w = sharp_witness()
    p1w = {"A": np.array([[4.0]]), "x": np.array([4.0]), "y": np.array([4.0 - 1e-4])}
    return {
        "S1-m099": ("S1", s1w),
        "S1-m0999": ("S1", sharp_witness(1e-4)),
        "E1-m-wide": ("E1", {"t": 2.0}),
        "P1-m099": ("P1", p1w),
    }


@pytest.mark.parametrize("mutant_id", sorted(catalogue_witnesses()))
def test_catalogue_mutants_confirmed_and_originals_not(mutant_id):
    catalogue = pytest.importorskip("softproof.derivations.catalogue")
    original_id, inst = catalogue_witnesses()[mutant_id]
    res = confirm(catalogue.get(mutant_id), inst)
    assert res.confirmed, res.reason
    original = confirm(catalogue.get(original_id), inst)
    assert not original.confirmed
    # either the original claim holds there, or the witness leaves its hypotheses
    assert original.claim is not False or False in original.hypotheses, original.reason


def test_save_refuses_inexact_values(tmp_path):
    from fractions import Fraction

    with pytest.raises(ValueError, match="doubles"):
        save_witness(tmp_path / "w.json", s1(), {"t": Fraction(1, 3)}, None)
    with pytest.raises(ValueError, match="doubles"):
        save_witness(tmp_path / "w.json", s1(), {"t": "0.1"}, None)
    assert list(tmp_path.iterdir()) == []


def test_undecided_flag():
    # a claim at equality within a wide ball: undecided
    from flint import arb

    st_ = Statement(id="u", title="", claim=Relation(t, "<=", sp.Rational(1, 2)))
    res = confirm(st_, {"t": arb(0.5, 1e-3)})
    assert res.claim is None and res.undecided and not res.confirmed
    assert not confirm(st_, {"t": 0.25}).undecided
    assert not confirm(st_, {"t": 0.75}).undecided and confirm(st_, {"t": 0.75}).confirmed


def test_mpmath_disagreement_blocks_confirmation(monkeypatch):
    """If the independent mpmath value disagrees, nothing is confirmed."""
    import softproof.numeric.confirm as cm

    st_ = s1(sp.Rational(99, 200), "S1-0.99")
    assert confirm(st_, sharp_witness()).confirmed
    monkeypatch.setattr(cm, "_mp_margin", lambda rel, inst, dps: sp.Float(1))
    res = confirm(st_, sharp_witness())
    assert not res.confirmed and "mpmath" in res.reason and "disagrees" in res.reason
