"""The lemma report (softproof.report and `softproof report`)."""

from __future__ import annotations

import json
from pathlib import Path

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
    assert verdicts["S1"]["instances"] > 0 and 0.5 < verdicts["S1"]["worst_ratio"] <= 1.0
    # each row shows the claim in the paper's notation
    assert "\\|f(x) - f(y)\\|_2" in verdicts["S1"]["claim"]
    assert "$" in (out / "report.md").read_text()
    runs = {(c["id"], c["sizes"]["n"], c["sizes"]["d"]): c for c in doc["certifications"]}
    assert runs[("E1", 1, 1)]["outcome"] == "certified"
    assert runs[("S1-m099", 2, 1)]["outcome"] != "certified"
    md = (out / "report.md").read_text()
    for heading in ("## Entries", "## Certification runs", "## Constants"):
        assert heading in md
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
