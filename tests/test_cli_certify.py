"""``softproof certify``: exit codes 0 certified, 1 violated, 2 bad input, 3 undecided."""

from __future__ import annotations

import json
import re

import pytest

from softproof.cli import main
from softproof.derivations.catalogue import get
from softproof.numeric.certificate import check_certificate


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


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1.41421356237309504", 1), ("1.41421356237309505", 0)],  # sqrt 2 = 1.414213562373095048...
)
def test_parameter_decimal_near_sqrt2_is_read_as_written(value, expected, tmp_path, capsys):
    """A parameter literal with more digits than a double keeps: the certificate is for
    the decimal as written, never for its rounded double (which lies above sqrt 2)."""
    f = tmp_path / "k.toml"
    f.write_text(
        'id = "k"\nsizes = { n = 1, d = 1 }\n'
        f"parameters = {{ K = {value} }}\n"
        'hypotheses = ["abs(t) <= 1"]\n'
        'claim = "norm2(sqrt(2) * t * ones(1)) <= K * abs(t)"\n'
    )
    assert main(["certify", str(f), "--budget", "20", "--quiet"]) == expected
    out = capsys.readouterr().out
    assert ("certified on" in out) == (expected == 0)


def test_rejected_certificate_is_undecided_not_certified(monkeypatch, capsys):
    import softproof.numeric.certificate as cert

    monkeypatch.setattr(cert, "check_certificate", lambda *a, **k: False)
    assert main(["certify", "E1", "--quiet"]) == 3
    out = capsys.readouterr().out
    assert "REJECTED" in out and "certified on" not in out


def test_certificate_from_a_fifo_is_refused(tmp_path, capsys):
    import os

    fifo = tmp_path / "cert.json"
    os.mkfifo(fifo)
    assert main(["certify", "E1", "--check", str(fifo)]) == 2
    assert "not a regular file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--jobs", "0"], "--jobs must be an integer"),
        (["--scheduler", "nowhere:1"], "expected the address of a Dask scheduler"),
    ],
)
def test_certify_bad_parallel_options_exit_2(tmp_path, capsys, extra, message):
    from softproof.cli import main

    out = tmp_path / "cert.json"
    assert main(["certify", "E1", "--out", str(out), *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_certify_with_jobs_2_certifies_as_with_jobs_1(capsys):
    from softproof.cli import main

    outs = []
    for jobs in ("1", "2"):
        assert main(["certify", "E1", "--budget", "10", "--jobs", jobs]) == 0
        outs.append(re.sub(r"\d+\.\d+ s", "T s", capsys.readouterr().out))
    assert outs[0] == outs[1] and "certified on" in outs[0]


def test_no_check_never_prints_certified(tmp_path, capsys):
    """Without the independent checker the result is 'unchecked' (exit 3), the
    certificate is kept for a later --check, and that --check certifies it."""
    cert = tmp_path / "c.json"
    code = main(["certify", "E1", "--budget", "20", "--no-check", "--quiet", "--out", str(cert)])
    out = capsys.readouterr().out
    assert code == 3 and "UNCHECKED" in out and "certified on" not in out
    assert main(["certify", "E1", "--check", str(cert), "--quiet"]) == 0
