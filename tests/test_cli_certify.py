"""``softproof certify``: exit codes 0 certified, 1 violated, 2 bad input, 3 undecided."""

from __future__ import annotations

import json

import pytest

from derivations.catalogue import get
from numeric.certificate import check_certificate
from softproof.cli import main


def test_certified_prints_domain_and_writes_a_checked_certificate(tmp_path, capsys):
    out = tmp_path / "e1.json"
    assert main(["certify", "E1", "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "certified on {t in [-1/100, 1/100]" in text
    assert "1 boxes" in text and "certificate verified" in text
    assert check_certificate(get("E1"), json.loads(out.read_text()))


def test_certified_on_a_given_box(capsys):
    code = main(
        [
            "certify",
            "E5",
            "--n",
            "2",
            "--d",
            "1",
            "--box",
            "A=-1:1",
            "--box",
            "x=-1/2:1/2",
            "--quiet",
        ]
    )
    assert code == 0
    assert "x in [-1/2, 1/2]" in capsys.readouterr().out


def test_violated_exits_1_with_the_witness(tmp_path, capsys):
    out = tmp_path / "never.json"
    assert main(["certify", "E1-m-wide", "--out", str(out), "--quiet"]) == 1
    text = capsys.readouterr().out
    assert "violated" in text and "t = " in text and "mpmath" in text
    assert not out.exists()


def test_undecided_exits_3_with_boxes_left(tmp_path, capsys):
    out = tmp_path / "never.json"
    code = main(
        [
            "certify",
            "S1-m099",
            "--n",
            "2",
            "--d",
            "1",
            "--radius",
            "4",
            "--budget",
            "2",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 3
    text = capsys.readouterr().out
    assert "undecided" in text and "boxes left" in text and "% of the domain decided" in text
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["certify", "NO-SUCH-ID"], "no catalogue entry"),
        (["certify", "missing/file.toml"], "file"),
        (["certify", "S1", "--n", "2", "--d", "1"], "no bound for"),
        (["certify", "S1", "--n", "9", "--d", "9", "--radius", "1"], "at most"),
        (["certify", "E1", "--box", "t=1"], "NAME=LO:HI"),
        (["certify", "E1", "--box", "t=1:0"], "empty range"),
        (["certify", "E1", "--budget", "0"], "budget"),
        (["certify", "G7-sum", "--n", "2", "--d", "1", "--radius", "1"], "inequalities"),
    ],
)
def test_bad_input_exits_2(argv, message, tmp_path, capsys):
    out = tmp_path / "never.json"
    assert main(argv + ["--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
