"""Proof chains: every chain checks against its catalogue entry, and a chain
with one wrong step (or a wrong claim) fails."""

import dataclasses
import shutil
import subprocess

import pytest
import sympy as sp

from softproof.derivations import catalogue
from softproof.derivations import chains as ch
from softproof.derivations import model as m
from softproof.derivations.chains import Chain, Hyp, Step
from softproof.derivations.model import A, Alpha, Norm, R, beta, x
from softproof.derivations.statement import Relation

SYMBOLIC = [
    "E1", "E2", "E3", "E3-upper", "E3-beta", "E4", "E4-l2", "E5", "P1", "P2", "P3", "P4",
    "Q1", "Q2", "Q3", "Q4", "T1", "T2", "T3", "S1", "S2", "S2-b",
]  # fmt: skip


@pytest.fixture(scope="module")
def results():
    return ch.proved_entries()


@pytest.mark.parametrize("sid", SYMBOLIC)
def test_chain_proves_its_entry_for_every_n(results, sid):
    res = results[sid]
    assert res.ok, res.problems
    assert res.level == "symbolic"
    stmt = catalogue.get(sid)
    assert ch.implies(res.conclusion, stmt.claim)


def test_s3_chains_prove_their_entries_for_every_n(results):
    for sid in ("S3", "S3-bmat"):
        assert results[sid].ok, results[sid].problems
        assert results[sid].level == "symbolic"


def test_every_used_hypothesis_is_the_statements(results):
    for sid, res in results.items():
        stmt = catalogue.get(sid)
        for h in res.assumes:
            assert any(ch.implies(g, h) for g in stmt.hypotheses) or ch._from_parameters(h, stmt), (
                sid,
                h,
            )


def test_e5_with_a_quarter_fails():
    base = ch.e5_general()
    sigma = sp.Symbol("sigma", real=True)  # declared "scalar" in E5-general.toml
    assert base.steps[0].expr.has(sigma)
    wrong = dataclasses.replace(
        base,
        steps=(
            base.steps[0],
            Step(
                sp.Rational(1, 4),
                ch._by("sup_certificate", certificate=2 * (sigma - sp.Rational(1, 2)) ** 2),
            ),
        ),
    )
    res = wrong.check()
    assert not res.ok and "SOS" in res.problems[0]
    # the proved E5 does not prove the mutant statement
    assert not ch.chain("E5").check(statement=catalogue.get("E5-m-quarter")).ok


def test_p3_with_beta_to_the_minus_one_fails():
    good = ch.chain("P3")
    last = good.steps[-1]
    # the last step claims beta^{-1} in place of beta^{-2}
    wrong = dataclasses.replace(last, expr=last.expr * beta)
    assert wrong.expr != last.expr
    res = dataclasses.replace(good, steps=good.steps[:-1] + (wrong,)).check()
    assert not res.ok and res.problems[0].startswith(f"step {len(good.steps)} ")
    assert not ch.chain("P3").check(statement=catalogue.get("P3-m-beta1")).ok


def test_t3_with_a_dropped_factor_fails():
    good = ch.chain("T3")
    # E5 with 1/4 in place of 1/2: the E5 step and every later one say 1/4
    k = next(i for i, st in enumerate(good.steps) if st.why.describe() == "lemma E5-general")
    quarter = tuple(
        dataclasses.replace(st, expr=st.expr.xreplace({sp.Rational(1, 2): sp.Rational(1, 4)}))
        for st in good.steps[k:]
    )
    assert quarter[0].expr != good.steps[k].expr
    res = dataclasses.replace(good, steps=good.steps[:k] + quarter).check()
    assert not res.ok and res.problems[0].startswith(f"step {k + 1} ")
    # drop the 1 from 1 + ||b||: the last step no longer follows
    last = good.steps[-1]
    dropped = dataclasses.replace(
        last, expr=last.expr.xreplace({sp.S.One + Norm("2", m.b): Norm("2", m.b)})
    )
    assert dropped.expr != last.expr
    bad = dataclasses.replace(good, steps=good.steps[:-1] + (dropped,))
    assert not bad.check().ok


def test_mutant_statements_are_not_proved():
    for sid, mutant in (("S1", "S1-m099"), ("P1", "P1-m099"), ("E1", "E1-m-wide")):
        assert not ch.chain(sid).check(statement=catalogue.get(mutant)).ok


def test_wrong_direction_hypothesis_fails():
    # replacing alpha(x) by beta in an increasing position is not allowed
    start = 2 * Alpha(A, x)
    bad = Chain("bad", None, start, (Step(2 * beta, Hyp(Relation(beta, "<=", Alpha(A, x)))),))
    assert not bad.check().ok
    good = Chain(
        "good", None, 2 * beta, (Step(2 * Alpha(A, x), Hyp(Relation(beta, "<=", Alpha(A, x)))),)
    )
    assert good.check().ok


def test_hypothesis_not_in_statement_is_reported():
    c = Chain(
        "c",
        "E2",
        Norm("inf", A * x),
        (
            Step(
                R * Norm("2", x),
                ch._by("submultiplicative", Norm("inf", A * x), Norm("op", A) * Norm("2", x)),
            ),
        ),
    )
    assert not c.check().ok  # the step itself does not match
    c2 = Chain(
        "c2",
        "E2",
        Norm("inf", A * x),
        (
            Step(Norm("op", A) * Norm("2", x), ch._by("submultiplicative")),
            Step(R * Norm("2", x), Hyp(Relation(Norm("op", A), "<=", R))),
        ),
    )
    res = c2.check()
    assert not res.ok and any("not a hypothesis" in p or "claims" in p for p in res.problems)


def test_latex_export_names_rules_and_levels():
    tex = ch.chain("S1").to_latex()
    assert r"\begin{align*}" in tex and r"\sup_{z" in tex
    assert "mean value inequality" in tex and "symbolic n, d" in tex
    assert "SOS certificates on the simplex" in ch.chain(
        "S3-bmat"
    ).to_latex() or "lemma S3-sharp" in (ch.chain("S3-bmat").to_latex())


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_latex_document_compiles(tmp_path):
    doc = ch.to_document([ch.chain("E5"), ch.chain("P3"), ch.chain("S1")])
    (tmp_path / "chains.tex").write_text(doc)
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "chains.tex"],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "chains.pdf").exists()


def _prove_cli(argv):
    import argparse

    from softproof.commands import prove

    parser = argparse.ArgumentParser()
    prove.add_parser(parser.add_subparsers())
    args = parser.parse_args(["prove", *argv])
    return args.run(args)


def test_prove_command(tmp_path, capsys):
    from softproof.cli import BadInput

    assert _prove_cli(["T1", "--sharp", "--latex", str(tmp_path / "t1.tex")]) == 0
    out = capsys.readouterr().out
    assert "proved (chain T1-sharp" in out and "R*||-x + y||_2/2" in out
    # the paper's notation, as `check` prints claims; no SymPy node or code names
    assert "Norm(" not in out and "prove_identity" not in out
    assert _prove_cli(["P2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("P2: abs(alpha(x) - alpha(y)) <= sqrt(n)*norm2(u(x) - u(y))")
    assert "|<u(x) - u(y), 1_n>|" in out and "Abs(" not in out
    assert "identity prover" in out and "prove_identity" not in out
    assert (tmp_path / "t1.tex").read_text().startswith(r"\documentclass")
    with pytest.raises(BadInput, match="no proof chain"):
        _prove_cli(["P9"])
    with pytest.raises(BadInput, match="does not exist"):
        _prove_cli(["E5", "--latex", str(tmp_path / "missing" / "x.tex")])


def test_chain_lines_keep_the_term_order_of_the_line_before():
    """P4: SymPy's canonical order would swap the two terms after the triangle
    inequality and again after homogeneity; the exported chain keeps them."""
    lines = [
        line.split("&", 1)[1].strip()
        for line in ch.to_latex(ch.chain("P4")).splitlines()
        if "&" in line and "scriptstyle" not in line
    ]
    firsts = [line.split(" + ")[0] for line in lines[2:8]]
    assert firsts[0] == r"\|\frac{1}{\alpha(x)} \left(u(x) - u(y)\right)\|_2"
    assert (
        firsts[1:]
        == [r"\frac{\|u(x) - u(y)\|_2}{\alpha(x)}"] * 2
        + [r"\frac{2 R \sqrt{n} e^{R^{2}} \|x - y\|_2}{\alpha(x)}"] * 3
    )
