"""``softproof list``: one line per statement, --long, --json, patterns, files, bad input."""

from __future__ import annotations

import json
from pathlib import Path

from softproof.cli import main
from softproof.derivations.catalogue import CATALOGUE

STATEMENTS = Path(__file__).parent / "statements"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["list", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_lists_every_entry_once(capsys):
    code, out, _ = run(capsys)
    lines = out.splitlines()
    assert code == 0 and len(lines) == len(CATALOGUE)
    assert [line.split()[0] for line in lines] == list(CATALOGUE)
    by_id = {line.split()[0]: line.split() for line in lines}
    assert by_id["S1"][1:3] == ["inequality", "true"]
    assert by_id["S1-m099"][1:3] == ["inequality", "mutant"]
    assert by_id["D3"][1:3] == ["definition", "true"]
    assert by_id["G5"][1:3] == ["identity", "true"]


def test_patterns_select(capsys):
    code, out, _ = run(capsys, "P*", "G6'")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == [
        "P1",
        "P2",
        "P3",
        "P4",
        "P1-m099",
        "P3-m-beta1",
        "G6p",
    ]


def test_long_shows_hypotheses_and_claim(capsys):
    code, out, _ = run(capsys, "--long", "P3-m-beta1")
    assert code == 0
    assert "assume  alpha(x) >= beta" in out
    assert "claim   abs(1/alpha(x) - 1/alpha(y)) <= beta**(-1)*abs(alpha(x) - alpha(y))" in out
    assert "mutant of P3" in out and "beta = exp(-R**2)" in out


def test_json(capsys):
    code, out, _ = run(capsys, "--json")
    data = json.loads(out)
    assert code == 0 and [d["id"] for d in data] == list(CATALOGUE)
    p4 = next(d for d in data if d["id"] == "P4")
    assert p4["parameters"] == {"R": 4, "beta": "exp(-R**2)"}
    assert p4["expected"] is True and p4["kind"] == "inequality"
    assert p4["claim"].startswith("norm2(f(x) - f(y)) <= 4*beta**(-2)")
    assert len(p4["hypotheses"]) == 7
    t3 = next(d for d in data if d["id"] == "T3")
    assert t3["parameters"] == {"eta": [0.001, 1]}


def test_statement_file(capsys):
    code, out, _ = run(capsys, "--json", str(STATEMENTS / "lipschitz-f-sharp.toml"))
    (d,) = json.loads(out)
    assert code == 0 and d["id"] == "lipschitz-f-sharp" and d["expected"] is True


def test_unknown_id_is_bad_input(capsys):
    code, out, err = run(capsys, "S9")
    assert code == 2 and out == ""
    assert "no catalogue entry 'S9'" in err and "did you mean" in err


def test_bad_file_is_bad_input(capsys):
    bad = STATEMENTS / "bad" / "unknown-name.toml"
    code, out, err = run(capsys, str(bad))
    assert code == 2 and out == ""
    assert f"{bad}:5:26: unknown name 'foo'" in err


def test_statement_path_without_toml_suffix_is_loaded_or_refused(capsys, tmp_path):
    # a directory or a FIFO is named as a path, not looked up as a catalogue id
    code, _, err = run(capsys, str(tmp_path))
    assert code == 2 and "is a directory" in err
    import os

    os.mkfifo(tmp_path / "fifo")
    code, _, err = run(capsys, str(tmp_path / "fifo"))
    assert code == 2 and "not a regular file" in err


def test_column_index_out_of_range_is_bad_input(capsys, tmp_path):
    path = tmp_path / "col.toml"
    path.write_text('id = "c"\nsizes = { n = 5, d = 4 }\nclaim = "norm2(col(A, 99)) <= 1"\n')
    code, out, err = run(capsys, str(path))
    assert code == 2 and out == "" and "col.toml:3:16: col(A, 99)" in err
