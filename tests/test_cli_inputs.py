"""Bad input is exit 2 with a clear message, under every command (``commands/_common``).

Witnesses cannot override a statement's parameters, output paths never lose
data, and malformed or extreme options, files and expressions are refused
before any work.  Every command runs in a subprocess with the worktree's code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 240


def run(args: list[str], cwd: Path, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """``python -m softproof ARGS`` in ``cwd`` with this worktree's code."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "softproof", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def bad(proc: subprocess.CompletedProcess, *words: str) -> None:
    """Exit 2 with a one-line message containing ``words``, no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


def witness(path: Path, sid: str, instance: dict, sizes: dict | None = None) -> Path:
    """A witness file written by hand: every double as its exact decimal string."""
    from decimal import Decimal

    def enc(v):
        a = np.asarray(v, dtype=float)
        return str(Decimal(float(a))) if a.ndim == 0 else [enc(r) for r in a]

    doc = {
        "format": "softproof-witness/1",
        "statement": sid,
        "instance": {k: enc(v) for k, v in instance.items()},
    }
    if sizes is not None:
        doc["sizes"] = sizes
    path.write_text(json.dumps(doc))
    return path


def point(n: int = 3, d: int = 2, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "A": rng.uniform(-1, 1, (n, d)),
        "x": rng.uniform(-1, 1, d),
        "y": rng.uniform(-1, 1, d),
        "b": rng.uniform(-1, 1, n),
    }


# --------------------------------------------------------------------------
# 1. Witness replay: a witness is a point of the statement's domain, nothing more
# --------------------------------------------------------------------------
def test_witness_cannot_move_a_ranged_parameter_out_of_its_range(tmp_path):
    p = point()
    inst = {"A": p["A"], "x": p["x"], "b": p["b"]}
    w = witness(tmp_path / "w.json", "T3", {**inst, "eta": -1.0})
    bad(run(["check", "--replay", str(w)], tmp_path), "eta", "outside its range")
    w = witness(tmp_path / "w2.json", "T3", {**inst, "eta": 2.0})
    bad(run(["check", "--replay", str(w)], tmp_path), "eta", "outside its range")
    # inside the range the witness is replayed (and T3 holds there)
    w = witness(tmp_path / "w3.json", "T3", {**inst, "eta": 0.5})
    assert run(["check", "--replay", str(w)], tmp_path).returncode == 0


def test_witness_cannot_set_a_derived_or_change_a_fixed_parameter(tmp_path):
    p = point()
    inst = {"A": p["A"], "x": p["x"], "y": p["y"]}
    w = witness(tmp_path / "w.json", "P3", {**inst, "beta": -100.0})
    bad(run(["check", "--replay", str(w)], tmp_path), "beta", "cannot set")
    w = witness(tmp_path / "w2.json", "P3", {**inst, "R": 0.5})
    bad(run(["check", "--replay", str(w)], tmp_path), "parameter R is fixed")
    # repeating the statement's own value is harmless
    w = witness(tmp_path / "w3.json", "P3", {**inst, "R": 4.0})
    assert run(["check", "--replay", str(w)], tmp_path).returncode in (0, 3)


def test_witness_cannot_change_a_fixed_parameter_of_a_statement_file(tmp_path):
    (tmp_path / "k.toml").write_text(
        'id = "fixed-k"\nparameters = { k = 1 }\n'
        'claim = "norm2(f(x) - f(y)) <= k * opnorm(A) * norm2(x - y)"\n'
    )
    p = point()
    inst = {"A": p["A"], "x": p["x"], "y": p["y"]}
    w = witness(tmp_path / "w.json", "fixed-k", {**inst, "k": 1e-3})
    bad(run(["check", "k.toml", "--replay", str(w)], tmp_path), "parameter k is fixed")
    w = witness(tmp_path / "w2.json", "fixed-k", inst)
    assert run(["check", "k.toml", "--replay", str(w)], tmp_path).returncode == 0


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda d: d["instance"].update(z="1"), ("no variable or parameter named 'z'",)),
        (lambda d: d["instance"].pop("y"), ("no value for y",)),
        (lambda d: d["instance"]["x"].__setitem__(0, "nan"), ("entry x", "finite")),
        (lambda d: d["instance"]["x"].__setitem__(0, "Infinity"), ("entry x",)),
        (lambda d: d["instance"]["x"].__setitem__(0, "0x1p3"), ("entry x",)),
        (lambda d: d["instance"]["x"].__setitem__(0, "abc"), ("entry x",)),
        (lambda d: d["instance"]["x"].__setitem__(0, 1.5), ("entry x",)),
        (lambda d: d["instance"].update(x=[d["instance"]["x"]]), ("x must be a vector",)),
        (lambda d: d["instance"].update(A=[["1", "2"], ["3"]]), ("ragged",)),
        (lambda d: d["instance"].update(A=[[["1"]]]), ("nested",)),
        (lambda d: d.update(extra=1), ("unknown field 'extra'",)),
    ],
)
def test_malformed_witness_is_bad_input_naming_the_field(tmp_path, edit, words):
    p = point()
    w = witness(tmp_path / "w.json", "S1-m099", {"A": p["A"], "x": p["x"], "y": p["y"]})
    doc = json.loads(w.read_text())
    edit(doc)
    w.write_text(json.dumps(doc))
    bad(run(["check", "--replay", str(w)], tmp_path), *words)


def test_witness_json_is_strict_and_read_from_regular_files_only(tmp_path):
    p = point()
    w = witness(tmp_path / "w.json", "S1-m099", {"A": p["A"], "x": p["x"], "y": p["y"]})
    text = w.read_text()
    (tmp_path / "const.json").write_text(text.replace('"instance"', '"title": NaN, "instance"'))
    bad(run(["check", "--replay", "const.json"], tmp_path), "const.json")
    (tmp_path / "dup.json").write_text(text[:-1] + ', "statement": "S1"}')
    bad(run(["check", "--replay", "dup.json"], tmp_path), "twice")
    (tmp_path / "dir.json").mkdir()
    bad(run(["check", "--replay", "dir.json"], tmp_path), "dir.json", "directory")
    os.mkfifo(tmp_path / "fifo.json")
    bad(run(["check", "--replay", "fifo.json"], tmp_path, timeout=60), "fifo.json", "regular")
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    bad(run(["check", "--replay", "zero.json"], tmp_path, timeout=60), "zero.json", "regular")
    with open(tmp_path / "huge.json", "wb") as fh:
        fh.truncate(64 << 20)
    bad(run(["check", "--replay", "huge.json"], tmp_path, timeout=60), "huge.json", "larger")


def test_witness_sizes_must_fit_the_statements_column_indices(tmp_path):
    (tmp_path / "c.toml").write_text(
        'id = "col-three"\nsizes = { n = 3, d = 4 }\nclaim = "norm2(col(A, 3)) <= opnorm(A) + 1"\n'
    )
    p = point(n=3, d=2)
    w = witness(tmp_path / "w.json", "col-three", {"A": p["A"]})
    bad(run(["check", "c.toml", "--replay", str(w)], tmp_path), "col(A, 3)", "out of range")


def test_a_genuine_witness_still_replays_as_violated(tmp_path):
    proc = run(["check", "S1-m099", "--budget", "20", "--quiet"], tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    proc = run(["check", "--replay", "witness-S1-m099.json"], tmp_path)
    assert proc.returncode == 1 and "violation confirmed" in proc.stdout


# --------------------------------------------------------------------------
# 2. Output paths: no data loss, a directory where a file is expected is exit 2
# --------------------------------------------------------------------------
def test_report_out_dot_keeps_the_working_directory(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    args = ["report", "--out", ".", "--only", "G5", "--no-plots", "--no-progress"]
    bad(run([*args, "--budget", "0.2", "--certify-budget", "1"], tmp_path), "--out .")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


@pytest.mark.parametrize(
    "args",
    [
        ["prove", "S1", "--latex", "out"],
        ["derive", "gradient", "--n", "2", "--d", "1", "--latex", "out"],
        ["certify", "E1", "--n", "1", "--d", "1", "--budget", "5", "--out", "out"],
        ["check", "E1", "--budget", "0.5", "--witness-out", "out"],
        ["search", "E1", "--budget", "0.5", "--witness-out", "out"],
    ],
)
def test_a_directory_given_for_an_output_file_is_bad_input(tmp_path, args):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("keep")
    bad(run(args, tmp_path), "out", "directory")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["mine.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_output_file_in_a_missing_directory_is_bad_input_before_any_work(tmp_path):
    bad(run(["prove", "S1", "--latex", "nope/s1.tex"], tmp_path), "nope")
    bad(run(["certify", "E1", "--out", "nope/c.json"], tmp_path), "nope")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------
# 3. Bad input never reaches an internal error (exit 4)
# --------------------------------------------------------------------------
def test_deeply_nested_toml_is_bad_input_with_a_position(tmp_path):
    (tmp_path / "deep.toml").write_text('id = "deep"\nclaim = ' + "[" * 1000 + "]" * 1000 + "\n")
    bad(run(["check", "deep.toml"], tmp_path), "deep.toml:2:", "nested")


@pytest.mark.parametrize(
    "claim",
    [
        "norm2(grad(dot(x, grad(dot(grad(L(x), x), x), x)), x)) <= 1",
        "opnorm(hess(dot(grad(L(x), x), x), x)) <= 1",
        "opnorm(jac(grad(dot(grad(L(x), x), x), x), x)) <= 1",
    ],
)
def test_third_order_derivative_is_bad_input(tmp_path, claim):
    (tmp_path / "g3.toml").write_text(f'id = "g3"\nclaim = "{claim}"\n')
    bad(run(["check", "g3.toml", "--budget", "1", "--quiet"], tmp_path), "g3.toml:2:", "order 3")


COL = 'id = "col-oob"\nsizes = { n = 5, d = 4 }\nclaim = "norm2(col(A, 99)) <= opnorm(A) + 1"\n'


@pytest.mark.parametrize(
    "args",
    [
        ["check", "col.toml", "--budget", "1", "--quiet"],
        ["search", "col.toml", "--budget", "1", "--quiet"],
        ["certify", "col.toml", "--budget", "5", "--radius", "1", "--quiet"],
        ["list", "col.toml"],
        ["list", "--long", "col.toml"],
    ],
)
def test_column_index_out_of_range_is_bad_input_under_every_command(tmp_path, args):
    (tmp_path / "col.toml").write_text(COL)
    bad(run(args, tmp_path), "col.toml:3:", "col(A, 99)", "out of range")


def test_column_index_is_checked_against_the_sizes_given_on_the_command_line(tmp_path):
    (tmp_path / "c5.toml").write_text(
        'id = "col-five"\nsizes = { n = 3, d = 6 }\nclaim = "norm2(col(A, 5)) <= opnorm(A) + 1"\n'
    )
    for cmd in (["check", "--budget", "1"], ["search", "--budget", "1"], ["certify"]):
        bad(run([cmd[0], "c5.toml", "--d", "4", *cmd[1:], "--quiet"], tmp_path), "col(A, 5)")


@pytest.mark.parametrize(
    "args, words",
    [
        (["certify", "E1", "--box", "t=-1e-100000:1e-100000"], ("--box", "exponent")),
        (["certify", "E1", "--box", "t=-1e999999999:1"], ("--box", "exponent")),
        (["certify", "E1", "--box", "t=nan:1"], ("--box", "nan")),
        (["certify", "E1", "--box", "t=-inf:inf"], ("--box",)),
        (["certify", "E1", "--box", "t=1_0:20"], ("--box",)),
        (["certify", "E1", "--box", "t=-1:1", "--box", "t=0:1"], ("twice",)),
        (["certify", "E1", "--box", "t=-1e7:1e7"], ("--box", "larger")),
        (["certify", "E1", "--radius", "nan"], ("--radius",)),
        (["certify", "E1", "--radius", "inf"], ("--radius",)),
        (["certify", "E1", "--radius", "1e-100000"], ("--radius",)),
        (["certify", "E1", "--radius", "-1"], ("--radius", "positive")),
        (["certify", "E1", "--budget", "nan"], ("--budget",)),
        (["certify", "E1", "--budget", "-1"], ("--budget",)),
        (["certify", "E1", "--n", "-3"], ("--n",)),
        (["certify", "E1", "--d", "100000000000000000000"], ("--d",)),
        (["check", "E1", "--budget", "nan"], ("--budget",)),
        (["check", "E1", "--budget", "inf"], ("--budget",)),
        (["check", "E1", "--budget", "1e400"], ("--budget",)),
        (["check", "E1", "--seed", "-1"], ("--seed",)),
        (["check", "E1", "--seed", str(10**30)], ("--seed",)),
        (["check", "E1", "--n", "10000", "--d", "10000"], ("too large",)),
        (["search", "E1", "--budget", "inf"], ("--budget",)),
        (["search", "E1", "--n", "0"], ("--n",)),
        (["search", "E1", "--seed", "-5"], ("--seed",)),
        (["report", "--budget", "nan", "--out", "r"], ("--budget",)),
        (["report", "--certify-budget", "inf", "--out", "r"], ("--certify-budget",)),
        (["report", "--seed", "-1", "--out", "r"], ("--seed",)),
    ],
)
def test_malformed_or_extreme_options_are_bad_input(tmp_path, args, words):
    bad(run(args, tmp_path, timeout=120), *words)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["check", "search", "certify", "list"])
def test_statement_path_that_is_not_a_readable_regular_file(tmp_path, command):
    os.mkfifo(tmp_path / "fifo.toml")
    (tmp_path / "zero.toml").symlink_to("/dev/zero")
    (tmp_path / "dir.toml").mkdir()
    (tmp_path / "bin.toml").write_bytes(b'id = "x"\nclaim = "\xff"\n')
    with open(tmp_path / "huge.toml", "wb") as fh:
        fh.truncate(8 << 20)
    cases = {
        "fifo.toml": "regular file",
        "zero.toml": "regular file",
        "dir.toml": "directory",
        "missing.toml": "cannot read",
        "bin.toml": "bin.toml:2:10: not UTF-8",
        "huge.toml": "larger than",
    }
    for name, words in cases.items():
        bad(run([command, name], tmp_path, timeout=60), name, words)


@pytest.mark.parametrize("params", ["{ R = 1" + "0" * 400 + " }", '{ R = "exp(exp(exp(100)))" }'])
def test_overflowing_parameter_is_bad_input(tmp_path, params):
    (tmp_path / "p.toml").write_text(f'id = "p"\nparameters = {params}\nclaim = "norm2(x) <= R"\n')
    for cmd in (["list"], ["check", "--budget", "1", "--quiet"]):
        bad(run([cmd[0], "p.toml", *cmd[1:]], tmp_path, timeout=60), "p.toml:2:", "parameter R")


def test_witness_statement_id_is_never_read_as_a_path(tmp_path):
    (tmp_path / "claim.toml").write_text(
        'id = "claim"\nclaim = "norm2(f(x) - f(y)) <= 0.001 * norm2(x - y)"\n'
    )
    p = point()
    w = witness(tmp_path / "w.json", "claim.toml", {"A": p["A"], "x": p["x"], "y": p["y"]})
    bad(run(["check", "--replay", str(w)], tmp_path), "not a catalogue id")
    w = witness(tmp_path / "w2.json", str(tmp_path / "claim.toml"), {"x": p["x"]})
    bad(run(["check", "--replay", str(w)], tmp_path), "not a catalogue id")


def test_certify_box_cannot_move_a_ranged_parameter_out_of_its_range(tmp_path):
    base = ["certify", "T3", "--n", "1", "--d", "1", "--radius", "1", "--budget", "10", "--quiet"]
    bad(run([*base, "--box", "eta=-1:-0.5"], tmp_path), "--box eta", "not inside the range")
    bad(run([*base, "--box", "eta=0.001:2"], tmp_path), "--box eta", "not inside the range")
    # a sub-range is fine (and T3 holds there)
    assert run([*base, "--box", "eta=0.5:1"], tmp_path).returncode == 0
