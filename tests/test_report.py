"""The lemma report (softproof.report and `softproof report`)."""

from __future__ import annotations

import json
from pathlib import Path

from derivations.catalogue import all_entries
from softproof.cli import main

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
