"""softproof.derivations.verdict: the strongest symbolic verdict of a statement."""

import numpy as np

from softproof.derivations.catalogue import get
from softproof.derivations.statement_files import load_statement
from softproof.derivations.verdict import strongest_verdict, witness_of

SIZES = {"n": 7, "d": 4}


def _file(tmp_path, claim: str, extra: str = "", name: str = "s") -> object:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'id = "{name}"\nsizes = {{ n = 7, d = 4 }}\n{extra}\nclaim = "{claim}"\n')
    return load_statement(str(path))


def test_chain_then_identity_then_unknown():
    assert strongest_verdict(get("S1"), SIZES, 10).by == "chain"
    g6p = strongest_verdict(get("G6p"), SIZES, 30)
    assert g6p.proved and g6p.by == "identity" and g6p.level == "symbolic"
    assert strongest_verdict(get("S3-bmat-c"), SIZES, 10).status == "unknown"


def test_refutation_carries_an_exact_witness(tmp_path):
    v = strongest_verdict(_file(tmp_path, "(1 + 1e-12) * u(x) == u(x)"), SIZES, 10)
    assert v.status == "refuted" and v.witness is not None
    assert set(v.witness) == {"A", "x"} and v.witness["A"].ndim == 2


def test_a_refutation_ignoring_hypotheses_is_no_counterexample(tmp_path):
    st = _file(tmp_path, "t == 0", 'hypotheses = ["abs(t) <= 0"]')
    v = strongest_verdict(st, SIZES, 10)
    assert v.status == "unknown" and "ignores the hypotheses" in v.text


def test_ranged_parameters_are_refuted_inside_their_range(tmp_path):
    st = _file(tmp_path, "R * t == 4 * t", "parameters = { R = [3, 5] }")
    v = strongest_verdict(st, SIZES, 10)
    assert v.status == "refuted"
    assert 3 <= v.witness["R"] <= 5 and v.witness["R"] != 4


def test_witness_of_refuses_points_that_are_not_doubles(tmp_path):
    st = _file(tmp_path, "t == 0")
    assert witness_of(st, {"n": 1, "d": 1, "point": {"t": "1/3"}}) is None
    inst = witness_of(st, {"n": 1, "d": 1, "point": {"t": "3/8"}})
    assert inst == {"t": 0.375}
    m = _file(tmp_path, "dot(x, x) == 0", name="m")
    got = witness_of(m, {"n": 2, "d": 1, "point": {"x_{1}": "2"}})
    assert np.array_equal(got["x"], [2.0])


def test_a_refutation_at_other_sizes_is_no_counterexample_at_the_sizes_in_use(tmp_path):
    """norm1(f(x)) * 2 == n holds at n = 2 only: checked at n = 2 it is proved there (with
    the note that it is no identity for every n), checked at n = 3 it is refuted there."""
    st = _file(tmp_path, "norm1(f(x)) * 2 == n")
    at2 = strongest_verdict(st, {"n": 2, "d": 2}, 20)
    assert at2.proved and at2.level == "at n=2, d=2"
    assert "no identity for every n, d" in at2.text
    at3 = strongest_verdict(st, {"n": 3, "d": 2}, 20)
    assert at3.status == "refuted" and at3.witness["A"].shape == (3, 2)


def test_a_proof_checked_only_at_other_sizes_proves_nothing_at_the_sizes_in_use():
    from softproof.derivations.statement_files import parse_statement_text

    text = (
        'id = "p27"\nsizes = { d = 3 }\n'
        'claim = "(d - 1) * (d - 2) * (10**-40 - (norm_inf(x) - 1/3)**2) <= 0"\n'
        'proof = [\n  { start = "(d - 1) * (d - 2) * (10**-40 - (norm_inf(x) - 1/3)**2)" },\n'
        '  { eq = "0", by = "identity" },\n]\n'
    )
    st = parse_statement_text(text)
    v = strongest_verdict(st, {"n": 7, "d": 3}, 10.0)
    assert not v.proved and "not at n=7, d=3" in v.text


def test_a_constant_claim_is_decided_in_ball_arithmetic():
    from softproof.derivations.statement_files import parse_statement_text
    from softproof.numeric.search import check

    st = parse_statement_text('id = "k"\nclaim = "1 <= cosh(1)**2 - sinh(1)**2 - 10**-20"\n')
    res = check(st, budget_seconds=2, progress=False)
    assert res.verdict == "violated"
