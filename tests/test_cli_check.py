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
    from softproof.numeric.search import Progress

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
    import softproof.numeric.search
    from softproof.cli import main

    def boom(*a, **k):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(softproof.numeric.search, "check", boom)
    assert main(["check", "S1", "--budget", "1"]) == 4
    assert "internal error" in capsys.readouterr().err


# --------------------------------------------------------------------------
# One verdict per statement; prover refutations are violations; deadlines
# --------------------------------------------------------------------------
def _statement(tmp_path, name: str, claim: str, extra: str = "") -> str:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'id = "{name}"\nsizes = {{ n = 7, d = 4 }}\n{extra}\nclaim = "{claim}"\n')
    return str(path)


@pytest.mark.parametrize(
    "claim",
    [
        "abs(t + 10)/(t + 10) == 1",
        "max(t, 0) == t",
        "abs(alpha(x) - 1)/(alpha(x) - 1) == 1",
    ],
)
def test_false_nonsmooth_identity_is_never_proved(capsys, tmp_path, claim):
    """abs(t + 10)/(t + 10) == 1 was 'proved at n=7, d=4' (exit 0)."""
    code = main(["check", _statement(tmp_path, "nonsmooth", claim), "--budget", "3", "--quiet"])
    out = capsys.readouterr().out
    assert not out.splitlines()[1].startswith("proved")
    assert code == 1 and "VIOLATED" in out


def test_exact_refutation_is_a_confirmed_violation(capsys, tmp_path):
    """(1 + 1e-12) u(x) == u(x): refuted exactly, yet 'no violation found', exit 0."""
    path = _statement(tmp_path, "tiny", "(1 + 1e-12) * u(x) == u(x)")
    assert main(["check", path, "--budget", "3", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "VIOLATED" in out and "no violation found" not in out
    witness = tmp_path / "witness-tiny.json"
    assert json.loads(witness.read_text())["confirmation"]["confirmed"] is True
    assert main(["check", path, "--replay", str(witness)]) == 1


def test_unconfirmed_refutation_is_undecided_not_no_violation(capsys, tmp_path, monkeypatch):
    """When the rigorous confirmation refuses the prover's point, exit 3 (never 0)."""
    import softproof.numeric.confirm
    from softproof.numeric.confirm import Confirmation

    def refuse(statement, instance, *a, **k):
        return Confirmation(False, [], None, reason="simulated: below what the witness shows")

    monkeypatch.setattr(softproof.numeric.confirm, "confirm", refuse)
    path = _statement(tmp_path, "tiny", "(1 + 1e-12) * u(x) == u(x)")
    assert main(["check", path, "--budget", "2", "--quiet"]) == 3
    out = capsys.readouterr().out
    assert "UNDECIDED" in out and "refuted" in out and "simulated" in out


@pytest.mark.parametrize(
    "claim, extra",
    [
        ("R == 4", "parameters = { R = 4 }"),
        ("R * beta == 4 * exp(-16)", 'parameters = { R = 4, beta = "exp(-R**2)" }'),
        ("exp(1)**2 == exp(2)", ""),
        ("sqrt(2)**2 == 2", ""),
    ],
)
def test_parameters_and_constants_are_not_refuted(capsys, tmp_path, claim, extra):
    """R == 4 with parameters = {R = 4} was 'refuted' (R taken as a free symbol)."""
    path = _statement(tmp_path, "consts", claim, extra)
    assert main(["check", path, "--budget", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "refuted" not in out and "proved" in out


def test_decimal_near_miss_is_violated(capsys, tmp_path):
    path = _statement(tmp_path, "near", "2.7182818284590451 == exp(1)")
    assert main(["check", path, "--budget", "2", "--quiet"]) == 1
    assert "VIOLATED" in capsys.readouterr().out


def test_check_keeps_its_budget_when_the_prover_is_slow(tmp_path):
    """(t+1)**25 == (t+2)**25 with --budget 3 ran for over 120 s."""
    import time

    for claim in ("(t+1)**25 == (t+2)**25", "(t+1)**30*(t-1)**30 == (t**2-1)**30"):
        path = _statement(tmp_path, "slow", claim)
        t0 = time.perf_counter()
        code = main(["check", path, "--budget", "3", "--quiet"])
        assert time.perf_counter() - t0 < 3 + 6, claim
        assert code in (0, 1)


def test_check_and_report_agree_on_a_chain_proved_entry(capsys, tmp_path):
    """'softproof check S1' said 'searched' while the report said proved by a chain."""
    from softproof.derivations import chains
    from softproof.derivations.catalogue import get
    from softproof.report import check_entry

    assert main(["check", "S1", "--budget", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "proved by a machine-checked chain" in out and "not a proof" in out
    rep = check_entry(get("S1"), 1.0, 0, {"S1": chains.chain("S1").check()}, tmp_path, tmp_path)
    assert rep.verdict == "proved" and "machine-checked chain" in rep.evidence


def test_a_file_reusing_a_chain_id_is_not_proved_by_that_chain(capsys, tmp_path):
    """The chain proves the catalogue's S1, not any claim filed under the id S1."""
    path = _statement(
        tmp_path,
        "S1",
        "norm2(f(x) - f(y)) <= (R/4) * norm2(x - y)",
        'parameters = { R = 4 }\nhypotheses = ["opnorm(A) <= R", "norm2(x) <= R", "norm2(y) <= R"]',
    )
    main(["check", path, "--budget", "2", "--quiet"])
    assert "proved by a machine-checked chain" not in capsys.readouterr().out


# --------------------------------------------------------------------------
# --jobs, --restarts, --scheduler
# --------------------------------------------------------------------------
def test_jobs_2_equals_jobs_1_for_deterministic_restarts(capsys, tmp_path):
    """Each restart of S1-m099 confirms a violation in its first screening batch (no
    clock involved), so the output and the witness do not depend on the workers."""
    runs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"w{jobs}.json"
        code = main(
            ["check", "S1-m099", "--budget", "10", "--seed", "5", "--quiet"]
            + ["--jobs", jobs, "--restarts", "2", "--witness-out", str(out)]
        )
        assert code == 1
        runs.append((capsys.readouterr().out.replace(str(out), "W"), out.read_bytes()))
    assert runs[0] == runs[1]


def test_search_with_restarts_reports_the_worst_over_them(capsys):
    assert main(["search", "S1", "--budget", "1", "--n", "3", "--d", "2", "--jobs", "2"]) == 0
    captured = capsys.readouterr()
    assert "(2 restarts)" in captured.out and "no violation found" in captured.out
    assert captured.err.count("[S1] restart") == 2  # one line per finished restart


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--jobs", "0"], "--jobs must be an integer between 1"),
        (["--jobs", "-3"], "--jobs must be an integer between 1"),
        (["--restarts", "0"], "--restarts must be an integer between 1"),
        (["--scheduler", "localhost"], "expected the address of a Dask scheduler"),
        (["--jobs", "2", "--scheduler", "tcp://127.0.0.1:8786"], "not both"),
    ],
)
def test_bad_parallel_options_exit_2_and_write_nothing(capsys, tmp_path, extra, message):
    for command in ("check", "search"):
        assert main([command, "S1-m099", "--budget", "1", *extra]) == 2
        assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_unreachable_scheduler_exits_2(capsys, tmp_path, monkeypatch):
    import socket

    import softproof.parallel

    monkeypatch.setattr(softproof.parallel, "SCHEDULER_TIMEOUT", 1.0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["check", "S1-m099", "--scheduler", f"tcp://127.0.0.1:{port}"]) == 2
    assert "no Dask scheduler answered" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_search_methods_other_than_all_refuse_parallel_options(capsys):
    assert main(["search", "S1", "--method", "screen", "--jobs", "2"]) == 2
    assert "--method all" in capsys.readouterr().err
    assert main(["search", "S1", "--method", "screen", "--jobs", "1", "--budget", "0.5"]) == 0
