"""``softproof check`` / ``softproof search``: exit codes 0/1/2, witnesses, replay."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from softproof.cli import main


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def test_true_statement_exits_0_and_says_searched(capsys, tmp_path):
    assert main(["check", "E1", "--budget", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "searched:" in out and "worst ratio" in out and "not a proof" in out
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_violation_exits_1_prints_and_saves_the_witness(capsys, tmp_path):
    assert main(["check", "S1-m099", "--budget", "10", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "VIOLATED" in out and "witness:" in out and "A = " in out
    path = tmp_path / "witness-S1-m099.json"
    doc = json.loads(path.read_text())
    assert doc["statement"] == "S1-m099" and doc["confirmation"]["confirmed"] is True
    # replaying the saved witness re-confirms it
    assert main(["check", "--replay", str(path)]) == 1
    assert "violation confirmed" in capsys.readouterr().out
    # the same witness does not violate the true S1
    assert main(["check", "S1", "--replay", str(path)]) == 0
    assert "holds rigorously" in capsys.readouterr().out


def test_witness_out(tmp_path):
    target = tmp_path / "w.json"
    assert main(["check", "E1-m-wide", "--budget", "5", "--witness-out", str(target)]) == 1
    assert target.exists() and not (tmp_path / "witness-E1-m-wide.json").exists()


def test_unknown_id_exits_2_with_suggestions(capsys, tmp_path):
    assert main(["check", "S9"]) == 2
    err = capsys.readouterr().err
    assert "S9" in err and "did you mean" in err
    assert list(tmp_path.iterdir()) == []


def test_malformed_file_names_file_and_line(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "bad"\nhypotheses = ["norm2(x) <= 1"]\nclaim = "norm2(x) <= "\n')
    assert main(["check", str(bad), "--budget", "1"]) == 2
    err = capsys.readouterr().err
    assert "bad.toml:3" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_hostile_file_exits_2_and_creates_nothing(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.toml"
    evil.write_text(f"id = \"evil\"\nclaim = \"__import__('os').system('touch {marker}')\"\n")
    proc = subprocess.run(
        [sys.executable, "-m", "softproof", "check", str(evil), "--budget", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "evil.toml:2" in proc.stderr
    assert not marker.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.toml"]


def test_bad_options_exit_2(capsys):
    assert main(["check", "E1", "--budget", "-1"]) == 2
    assert main(["check", "E1", "--n", "0"]) == 2
    assert main(["check", "--replay", "missing.json"]) == 2


def test_statement_file_is_checked(capsys, tmp_path):
    f = tmp_path / "lip.toml"
    f.write_text(
        'id = "lipschitz-f-sharp"\nsizes = { n = 3, d = 2 }\nparameters = { R = 4 }\n'
        'hypotheses = ["opnorm(A) <= R", "norm2(x) <= R", "norm2(y) <= R"]\n'
        'claim = "norm2(f(x) - f(y)) <= (R/2) * norm2(x - y)"\n'
    )
    assert main(["check", str(f), "--budget", "1", "--quiet"]) == 0
    assert "n=3, d=2" in capsys.readouterr().out


def test_search_command_prints_worst_ratio(capsys):
    assert main(["search", "E1", "--budget", "1", "--method", "screen"]) == 0
    out = capsys.readouterr().out
    assert "worst ratio" in out and "worst witness" in out and "t = " in out
    assert main(["search", "E1-m-wide", "--budget", "5", "--method", "hypothesis"]) == 1


def test_identity_is_proved_symbolically(capsys):
    assert main(["check", "G5", "--budget", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "proved for symbolic n, d" in out and "searched" not in out


def test_false_identity_is_refuted_with_a_confirmed_witness(capsys, tmp_path):
    assert main(["check", "G5-m-sign", "--budget", "10", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "VIOLATED" in out and "refuted" in out
    assert (tmp_path / "witness-G5-m-sign.json").exists()


def test_progress_line_goes_to_stderr(capsys):
    from numeric.search import Progress

    p = Progress("S1", 10.0, enabled=True)
    p.update("screen", 2048, 0.75, force=True)
    p.done()
    err = capsys.readouterr().err
    assert "[S1]" in err and "2048" in err and "0.75" in err


def test_statements_without_variables(tmp_path):
    true, false = tmp_path / "true.toml", tmp_path / "false.toml"
    true.write_text('id = "const-true"\nclaim = "exp(-R**2) <= 1"\nparameters = { R = [0, 3] }\n')
    false.write_text('id = "const-false"\nclaim = "2 <= 1"\n')
    assert main(["check", str(true), "--budget", "1", "--quiet"]) == 0
    assert main(["check", str(false), "--budget", "1", "--quiet"]) == 1


def test_search_command_optimise_method(capsys):
    assert main(["search", "S1-m099", "--budget", "10", "--method", "optimise"]) == 1
    assert "VIOLATED" in capsys.readouterr().out


def test_negative_seed_is_bad_input(capsys):
    from softproof.cli import main

    assert main(["check", "S1", "--seed", "-5"]) == 2
    assert "--seed" in capsys.readouterr().err


def test_an_internal_error_is_not_reported_as_a_violation(monkeypatch, capsys):
    """A crash must exit 4, never 1 (which means 'violation confirmed')."""
    import numeric.search
    from softproof.cli import main

    def boom(*a, **k):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(numeric.search, "check", boom)
    assert main(["check", "S1", "--budget", "1"]) == 4
    assert "internal error" in capsys.readouterr().err
