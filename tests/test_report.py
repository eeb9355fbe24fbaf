"""The lemma report (softproof.report and `softproof report`)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from softproof.cli import main
from softproof.derivations.catalogue import all_entries

ROOT = Path(__file__).resolve().parents[1]


def test_report_on_a_few_entries(tmp_path, capsys):
    out = tmp_path / "rep"
    code = main(
        [
            "report",
            "--out",
            str(out),
            "--only",
            "G5",
            "S1",
            "S1-m099",
            "E1",
            "--budget",
            "0.5",
            "--certify-budget",
            "5",
            "--no-plots",
            "--no-progress",
        ]
    )
    assert code == 0, capsys.readouterr()
    doc = json.loads((out / "report.json").read_text())
    verdicts = {e["id"]: e for e in doc["entries"]}
    # identities: symbolic proof; S1 and E1: machine-checked chains; the mutant: a witness
    assert verdicts["G5"]["verdict"] == "proved" and "symbolic n, d" in verdicts["G5"]["evidence"]
    assert verdicts["S1"]["verdict"] == "proved" and verdicts["S1"]["chain_file"]
    assert verdicts["S1-m099"]["verdict"] == "violated"
    witness = out / verdicts["S1-m099"]["witness_file"]
    assert json.loads(witness.read_text())["statement"] == "S1-m099"
    assert all(e["as_expected"] for e in doc["entries"])
    # a searched entry states its instances and worst ratio
    # (a short search on a loaded machine reaches less: the bound is what matters)
    assert verdicts["S1"]["instances"] > 0 and 0 < verdicts["S1"]["worst_ratio"] <= 1.0
    # each row shows the claim in the paper's notation
    assert "\\|f(x) - f(y)\\|_2" in verdicts["S1"]["claim"]
    assert "$" in (out / "report.md").read_text()
    runs = {(c["id"], c["sizes"]["n"], c["sizes"]["d"]): c for c in doc["certifications"]}
    assert runs[("E1", 1, 1)]["outcome"] == "certified"
    assert runs[("S1-m099", 2, 1)]["outcome"] != "certified"
    md = (out / "report.md").read_text()
    for heading in ("## Entries", "## Certification runs", "## Constants"):
        assert heading in md
    # the default pack is the catalogue, with its own sections and title
    assert doc["pack"] == {
        "name": "2304.13276",
        "title": "The lemma catalogue of softmax regression",
        "paper": "arXiv:2304.13276",
        "description": doc["pack"]["description"],
        "default": True,
    }
    assert md.startswith("# softproof lemma report\n") and "pack" not in doc["settings"]
    assert (out / "derivation.tex").read_text().startswith("\\documentclass")
    assert (out / "chains" / "S1.tex").exists()
    # every "proved" verdict links a LaTeX document a reader can open
    for e in doc["entries"]:
        if e["verdict"] == "proved":
            assert e["chain_file"] and (out / e["chain_file"]).read_text().startswith(
                "\\documentclass"
            ), e["id"]


def test_unknown_id_is_bad_input_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["report", "--out", str(out), "--only", "P9"]) == 2
    assert "P9" in capsys.readouterr().err
    assert not out.exists()


def test_paper_notes_map_every_catalogue_entry():
    notes = (ROOT / "paper_notes.md").read_text()
    missing = [s.id for s in all_entries() if f"| {s.id} |" not in notes]
    assert not missing, f"paper_notes.md does not map {missing}"


# --------------------------------------------------------------------------
# The output folder: never delete what the toolkit did not write
# --------------------------------------------------------------------------
def _fake_build(calls):
    """A cheap stand-in for the report's expensive build (one witness file)."""
    from softproof import report as report_mod

    def build(entries, work, *rest):
        calls.append(work)
        (work / "witnesses").mkdir()
        (work / "witnesses" / f"run{len(calls)}.json").write_text("{}\n")
        return report_mod.Report(settings={"run": len(calls)})

    return build


def _report(out, *extra) -> int:
    return main(
        ["report", "--out", str(out), "--only", "G5", "--no-plots", "--no-progress", *extra]
    )


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_report_out_dot_does_not_empty_the_working_directory(tmp_path, monkeypatch, capsys):
    from softproof import report as report_mod

    calls: list = []
    monkeypatch.setattr(report_mod, "_build", _fake_build(calls))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep.txt").write_text("mine")
    assert _report(".") == 2
    assert "--out ." in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "mine" and not calls
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_report_refuses_a_non_empty_folder_that_is_not_a_report(tmp_path, monkeypatch, capsys):
    from softproof import report as report_mod

    calls: list = []
    monkeypatch.setattr(report_mod, "_build", _fake_build(calls))
    out = tmp_path / "data"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    assert _report(out) == 2
    assert "not an earlier report" in capsys.readouterr().err
    assert (out / "thesis.tex").read_text() == "years of work" and not calls
    # a file where the folder should be is refused too
    (tmp_path / "file").write_text("x")
    assert _report(tmp_path / "file") == 2
    assert (tmp_path / "file").read_text() == "x"
    assert _leftovers(tmp_path) == []


def test_report_replaces_an_earlier_report_by_renames(tmp_path, monkeypatch):
    from softproof import report as report_mod

    calls: list = []
    monkeypatch.setattr(report_mod, "_build", _fake_build(calls))
    out = tmp_path / "rep"
    assert _report(out) == 0
    assert (out / report_mod.REPORT_MARKER).read_text().startswith("softproof-report/")
    assert (out / "witnesses" / "run1.json").exists() and (out / "report.json").exists()
    assert calls[0].parent == tmp_path and calls[0] != out  # built beside, then renamed
    assert _report(out) == 0
    assert (out / "witnesses" / "run2.json").exists()
    assert not (out / "witnesses" / "run1.json").exists()
    assert _leftovers(tmp_path) == []
    # an earlier report with a file the toolkit did not write is not replaced
    (out / "my-notes.txt").write_text("keep")
    assert _report(out) == 2
    assert (out / "my-notes.txt").read_text() == "keep" and len(calls) == 2
    # a folder that only pretends to be a report (a marker but foreign content)
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / report_mod.REPORT_MARKER).write_text("softproof-report/1\n")
    (fake / "witnesses").mkdir()
    (fake / "witnesses" / "sub").mkdir()
    assert _report(fake) == 2 and (fake / "witnesses" / "sub").is_dir()


def test_report_failure_keeps_the_earlier_report(tmp_path, monkeypatch):
    from softproof import report as report_mod

    calls: list = []
    monkeypatch.setattr(report_mod, "_build", _fake_build(calls))
    out = tmp_path / "rep"
    assert _report(out) == 0

    def broken(entries, work, *rest):
        (work / "report.md").write_text("half")
        raise RuntimeError("boom")

    monkeypatch.setattr(report_mod, "_build", broken)
    assert _report(out) == 4
    assert (out / "witnesses" / "run1.json").exists()
    assert "half" not in (out / "report.md").read_text()
    assert _leftovers(tmp_path) == []


def test_report_symlinked_out_is_bad_input(tmp_path, monkeypatch):
    from softproof import report as report_mod

    monkeypatch.setattr(report_mod, "_build", _fake_build([]))
    target = tmp_path / "real"
    target.mkdir()
    (target / "x").write_text("x")
    (tmp_path / "link").symlink_to(target)
    assert _report(tmp_path / "link") == 2
    assert (target / "x").exists()


def test_report_bad_budgets_are_bad_input(tmp_path):
    for opt in (["--budget", "nan"], ["--budget", "inf"], ["--certify-budget", "-1"]):
        assert _report(tmp_path / "r", *opt) == 2
    assert not (tmp_path / "r").exists()


def test_report_certification_needs_the_independent_checker(monkeypatch):
    """A branch and bound that closes every box is 'certified' in the report only when
    the independent checker accepts its certificate."""
    import softproof.numeric.certificate as cert
    from softproof.report import _certify

    assert _certify("E1", {"n": 1, "d": 1}, None, 10.0).outcome == "certified"
    monkeypatch.setattr(cert, "check_certificate", lambda *a, **k: False)
    run = _certify("E1", {"n": 1, "d": 1}, None, 10.0)
    assert run.outcome == "undecided" and "rejected" in run.detail


def test_report_keeps_a_file_edited_or_added_inside_an_earlier_report(tmp_path, monkeypatch):
    """Only files the report wrote, unchanged, are replaced: the marker lists them."""
    from softproof import report as report_mod

    calls: list = []
    monkeypatch.setattr(report_mod, "_build", _fake_build(calls))
    out = tmp_path / "rep"
    assert _report(out) == 0
    (out / "witnesses" / "my-proof-notes.tex").write_text("mine")
    assert _report(out) == 2
    assert (out / "witnesses" / "my-proof-notes.tex").read_text() == "mine"
    (out / "witnesses" / "my-proof-notes.tex").unlink()
    (out / "report.md").write_text("edited by hand")
    assert _report(out) == 2
    assert (out / "report.md").read_text() == "edited by hand"


def test_report_through_a_linked_parent_does_not_remove_the_working_folder(tmp_path, monkeypatch):
    """``--out LINK/rep`` where the working folder is inside ``rep``: refused."""
    from softproof import report as report_mod

    monkeypatch.setattr(report_mod, "_build", _fake_build([]))
    real = tmp_path / "real"
    real.mkdir()
    assert _report(real / "rep") == 0
    inside = real / "rep" / "witnesses"
    (tmp_path / "link").symlink_to(real)
    monkeypatch.chdir(inside)
    assert _report(tmp_path / "link" / "rep") == 2
    assert inside.is_dir()


def test_ratios_keep_the_digits_that_show_slack():
    from softproof.report import _fmt_ratio

    assert _fmt_ratio(0.999999929) == "0.999999929"
    assert _fmt_ratio(0.99999999999) != "1" and _fmt_ratio(1.0) == "1"
    assert _fmt_ratio(0.5) == "0.5" and _fmt_ratio(None) == ""


# --------------------------------------------------------------------------
# The PDF report for people
# --------------------------------------------------------------------------
_HAS_PDFLATEX = shutil.which("pdflatex") is not None
_needs_pdflatex = pytest.mark.skipif(not _HAS_PDFLATEX, reason="pdflatex is not on PATH")

#: G6's claim as the printer writes it: one \left( ... \right) group, unbreakable
_G6 = (
    r"\nabla^2 L(x) = A^\top \left(2 \left(\langle c(x), f(x) \rangle\right) f(x) f(x)^\top"
    r" + \operatorname{diag}(c(x) \circ f(x)) + \left(\operatorname{diag}(f(x)) - f(x)"
    r" f(x)^\top\right)^{2} - \langle c(x), f(x) \rangle \operatorname{diag}(f(x)) - f(x)"
    r" \left(c(x) \circ f(x)\right)^\top - \left(c(x) \circ f(x)\right) f(x)^\top\right) A"
)


def _compile(folder: Path, body: str) -> str:
    from softproof import report_tex

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.tex").write_text(
        "\\documentclass{article}\\usepackage{amsmath,array}\\begin{document}\n"
        + body
        + "\n\\end{document}\n"
    )
    ok, message, log = report_tex.compile_pdf(folder)
    assert ok, message
    return log


@_needs_pdflatex
def test_the_overfull_box_check_catches_a_formula_off_the_page(tmp_path):
    from softproof import report_tex

    cell = "\\begin{tabular}{p{5.85cm}}$\\displaystyle %s$\\end{tabular}"
    # as the claim was printed before: a box far too wide, which the check reports
    bad = _compile(tmp_path / "bad", cell % _G6)
    assert report_tex.overfull_boxes(bad)
    # with the delimiters made plain the same claim breaks inside its parentheses
    good = _compile(tmp_path / "good", cell % report_tex.breakable(_G6))
    assert report_tex.overfull_boxes(good) == []
    # an align* row too wide for the page is cut into rows at top-level + and -
    row = "\\begin{align*}\n" + _G6.replace(" = ", " &= ", 1) + " \\\\\n\\end{align*}"
    assert report_tex.overfull_boxes(_compile(tmp_path / "row", row))
    wrapped = report_tex.wrap_align(row)
    assert wrapped.count("\\\\") > 2
    assert report_tex.overfull_boxes(_compile(tmp_path / "wrapped", wrapped)) == []


def test_overfull_boxes_reads_the_width_from_the_log():
    from softproof import report_tex

    log = (
        "Overfull \\hbox (0.4pt too wide) in paragraph at lines 3--3\n"
        "Overfull \\hbox (13.47572pt too wide) in paragraph at lines 33--33\n"
        "Overfull \\vbox (50.0pt too high) has occurred\n"
    )
    assert report_tex.overfull_boxes(log) == [
        "Overfull \\hbox (13.47572pt too wide) in paragraph at lines 33--33"
    ]


@_needs_pdflatex
def test_pdf_report_names_every_entry_and_fits_the_page(tmp_path, capsys):
    from softproof import report_tex

    out = tmp_path / "rep"
    ids = ["G5", "G6", "S1", "S1-m099", "E1", "P4", "G6-m-factor1"]
    args = ["report", "--out", str(out), "--only", *ids, "--budget", "0.3"]
    code = main([*args, "--certify-budget", "3", "--no-plots", "--no-progress"])
    assert code in (0, 1), capsys.readouterr()
    tex = (out / "report.tex").read_text()
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    for i in ids:
        assert f"{{\\footnotesize {i}}}" in tex, i  # its row in the table of entries
    assert "\\section{Certification runs}" in tex and "\\section{Constants" in tex
    assert "\\section{Derivation of the gradient and the Hessian}" in tex
    assert "\\textbf{VIOLATED}" in tex and "\\textbf{proved}" in tex
    assert "\\textbf{Violated}" not in tex and "\\textbf{violated}" not in tex
    assert not re.search(r"\b1 boxes\b|\b1 instances\b", tex)
    assert "\t" not in tex  # a tab where a backslash was meant (\text)
    # md and json as before; no LaTeX auxiliary file in the report
    assert (out / "report.md").exists() and json.loads((out / "report.json").read_text())
    assert not list(out.glob("report.aux")) and not (out / "report-pdf.log").exists()
    ok, message, log = report_tex.compile_pdf(out)
    assert ok, message
    assert report_tex.overfull_boxes(log) == []


def _tiny_report():
    from softproof import report as report_mod

    return report_mod.Report(
        entries=[
            report_mod.EntryReport(
                id="S1",
                title="t",
                kind="inequality",
                expected=True,
                verdict="proved",
                evidence="proved",
                claim="\\|f(x)\\| \\le 1",
            )
        ],
        settings={"seed": 0},
    )


def test_a_failing_pdflatex_leaves_markdown_and_json_intact(tmp_path, monkeypatch):
    from softproof import report as report_mod
    from softproof import report_tex

    monkeypatch.setattr(
        report_tex,
        "to_latex",
        lambda rep, folder: (
            "\\documentclass{article}\\begin{document}\\undefinedcommand\\end{document}\n"
        ),
    )
    said: list[str] = []
    rep = _tiny_report()
    report_mod.write_report(rep, tmp_path, log=said.append)
    assert "S1" in (tmp_path / "report.md").read_text()
    assert json.loads((tmp_path / "report.json").read_text())["entries"][0]["id"] == "S1"
    assert not (tmp_path / "report.pdf").exists()
    if _HAS_PDFLATEX:
        assert "pdflatex failed" in rep.pdf_note and "Undefined control sequence" in rep.pdf_note
        assert "Undefined control sequence" in (tmp_path / "report-pdf.log").read_text()
    assert said and "report.md and report.json are complete" in said[0]


def test_without_pdflatex_the_pdf_is_skipped_with_a_note(tmp_path, monkeypatch):
    from softproof import report as report_mod
    from softproof import report_tex

    monkeypatch.setattr(report_tex.shutil, "which", lambda name: None)
    said: list[str] = []
    rep = _tiny_report()
    report_mod.write_report(rep, tmp_path, log=said.append)
    assert (tmp_path / "report.md").exists() and (tmp_path / "report.tex").exists()
    assert not (tmp_path / "report.pdf").exists()
    assert "pdflatex is not on PATH" in rep.pdf_note and "not on PATH" in said[0]
    # a crash while writing the LaTeX loses nothing either
    monkeypatch.setattr(report_tex, "to_latex", lambda rep, folder: 1 / 0)
    report_mod.write_report(rep, tmp_path, log=said.append)
    assert "ZeroDivisionError" in rep.pdf_note and (tmp_path / "report.json").exists()


def test_plurals_verdict_words_and_ratios_in_the_latex():
    from softproof import report_tex

    assert report_tex.plural(1, "box") == "1 box" and report_tex.plural(2, "box") == "2 boxes"
    assert report_tex.plural(1, "instance") == "1 instance"
    assert report_tex.plural(4564, "instance") == "4{,}564 instances"
    assert report_tex.ratio(0.999999999996432) == "$1 - 3.57 \\times 10^{-12}$"
    assert report_tex.ratio(0.502508354) == "$0.502508$"
    assert report_tex.ratio(None) == "--"
    claim = "\\|x\\| \\le 1\\ \\text{if}\\ \\|A\\| \\le R,\\ 4 \\le R"
    cell = report_tex._claim_cell(claim)
    assert cell.count("$") == 6 and "if $\\|A\\| \\le R$" in cell


def test_certification_domains_in_the_paper_notation():
    from softproof import report_tex

    dom = "{A in [-4, 4], x in [-1/100, 1/100], R=4, beta=exp(-16), n=2, d=2}"
    assert report_tex._domain(dom) == (
        "$A \\in [-4, 4]$, $x \\in [-\\tfrac{1}{100}, \\tfrac{1}{100}]$, $R = 4$, "
        "$\\beta = e^{-16}$"
    )
    assert report_tex._domain("a & b") == "a \\& b"  # anything else: escaped text


def test_the_summary_counts_in_words():
    from softproof import report as report_mod
    from softproof import report_tex

    rep = _tiny_report()
    mutant = report_mod.EntryReport(
        id="S1-m099",
        title="t",
        kind="inequality",
        expected=False,
        verdict="violated",
        evidence="VIOLATED",
    )
    rep.entries.append(mutant)
    text = report_tex._summary(rep)
    assert "2 catalogue entries: 1 proved, 1 VIOLATED" in text
    assert "the seeded mutant is VIOLATED" in text and "each of the 1" not in text
    mutant.verdict = "undecided"
    assert "S1-m099 (a seeded mutant, undecided)" in report_tex._summary(rep)
