"""``softproof derive``: levels, LaTeX output, exit codes."""

import os

import pytest

from softproof.cli import main


def test_help_explains_levels(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["derive", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--symbolic" in out and "for symbolic n, d" in out and "exit codes" in out


def test_gradient_symbolic(capsys):
    assert main(["derive", "gradient", "--symbolic"]) == 0
    out = capsys.readouterr().out
    assert "proved for symbolic n, d" in out
    assert "RESULT: every step proved for symbolic n, d" in out
    assert "at n=" not in out


def test_gradient_explicit_only(capsys):
    assert main(["derive", "gradient", "--n", "4", "--d", "2"]) == 0
    out = capsys.readouterr().out
    assert "proved at n=4, d=2" in out and "symbolic" not in out.split("RESULT")[1]


def test_default_is_symbolic_and_small_explicit(capsys, tmp_path):
    target = tmp_path / "hessian.tex"
    assert main(["derive", "hessian", "--latex", str(target)]) == 0
    out = capsys.readouterr().out
    assert "proved for symbolic n, d" in out and "proved at n=3, d=2" in out
    assert target.read_text().startswith("\\documentclass")


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--n", "0", "--d", "2"], "at least 1"),
        (["--n", "3"], "both --n and --d"),
        (["--n", "40", "--d", "2"], "too large"),
        (["--latex", "/nonexistent-dir/out.tex"], "does not exist"),
    ],
)
def test_bad_input_exits_2(capsys, argv, message):
    assert main(["derive", "gradient", *argv]) == 2
    assert message in capsys.readouterr().err


def test_unwritable_file_exits_2_and_writes_nothing(capsys, tmp_path):
    if os.geteuid() == 0:
        target = tmp_path  # a directory cannot be written as a file, even by root
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "out.tex"
    assert main(["derive", "gradient", "--latex", str(target)]) == 2
    assert "--latex" in capsys.readouterr().err
    assert not any(p.suffix == ".tmp" for p in tmp_path.rglob("*"))


def test_budget_stops_the_proofs_at_the_deadline(capsys):
    """The explicit Hessian at n=6, d=3 takes tens of seconds; --budget stops it."""
    import time

    t0 = time.perf_counter()
    assert main(["derive", "hessian", "--n", "6", "--d", "3", "--budget", "2"]) == 3
    assert time.perf_counter() - t0 < 2 + 5
    out = capsys.readouterr().out
    assert "deadline" in out and "RESULT: some steps were not proved" in out
    assert main(["derive", "gradient", "--budget", "0"]) == 2
