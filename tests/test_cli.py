"""The command line as a whole: version, and nothing written where the user did not ask."""

from __future__ import annotations

import importlib.metadata
import os
import stat
import subprocess
import sys
from pathlib import Path

import softproof
from softproof.cli import main
from softproof.derivations.derivation import write_atomic


def test_version_has_one_source(capsys):
    assert softproof.__version__ == importlib.metadata.version("softproof")
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert capsys.readouterr().out.strip() == f"softproof {softproof.__version__}"


def test_written_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "out.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_search_writes_only_its_witness_into_the_working_directory(tmp_path):
    """Hypothesis's files go to the cache directory, not ./.hypothesis."""
    cache = tmp_path / "cache"
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "softproof", "search", "S1", "--budget", "3", "--quiet"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in Path(work).iterdir()) == []


def test_help_has_no_rest_markup():
    from softproof.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name, command in sub.choices.items():
        text = command.format_help()
        assert "``" not in text and ":func:" not in text and ":class:" not in text, name


# --------------------------------------------------------------------------
# prove --toml: an entry and its chain as a statement file, re-proved by check
# --------------------------------------------------------------------------
def test_prove_toml_writes_a_file_that_check_reproves(tmp_path, capsys):
    out = tmp_path / "s1.toml"
    assert main(["prove", "S1", "--toml", str(out)]) == 0
    text = out.read_text()
    assert 'id = "s1"' in text and "proof = [" in text and "[[lemma]]" in text
    capsys.readouterr()
    assert main(["check", str(out), "--budget", "1", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "proved by the file's proof, 5 steps, for every n, d" in printed


def test_prove_toml_of_a_sharp_chain(tmp_path, capsys):
    out = tmp_path / "p1.toml"
    assert main(["prove", "P1", "--sharp", "--toml", str(out)]) == 0
    capsys.readouterr()
    assert main(["check", str(out), "--budget", "1", "--quiet"]) == 0
    assert "proved by the file's proof, 9 steps" in capsys.readouterr().out


def test_a_tampered_exported_proof_is_undecided_with_its_step(tmp_path, capsys):
    out = tmp_path / "s1.toml"
    assert main(["prove", "S1", "--toml", str(out)]) == 0
    text = out.read_text()
    bad = text.replace('by = "submultiplicative"', 'by = "triangle"', 1)
    assert bad != text
    out.write_text(bad)
    capsys.readouterr()
    assert main(["check", str(out), "--budget", "1", "--quiet"]) == 3
    printed = capsys.readouterr().out
    assert "proof rejected at step 3 (triangle)" in printed


def test_prove_toml_bad_path_writes_nothing(tmp_path, capsys):
    assert main(["prove", "S1", "--toml", str(tmp_path)]) == 2
    assert main(["prove", "S1", "--toml", str(tmp_path / "no" / "s1.toml")]) == 2
    assert main(["prove", "NOPE", "--toml", str(tmp_path / "x.toml")]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert "error" in capsys.readouterr().err


def test_check_a_hand_written_proof_with_a_wrong_step_exits_3(tmp_path, capsys):
    from test_proofs import S1_HAND

    good = tmp_path / "s1-hand.toml"
    good.write_text(S1_HAND)
    assert main(["check", str(good), "--budget", "1", "--quiet"]) == 0
    assert "proved by the file's proof, 6 steps" in capsys.readouterr().out
    bad = tmp_path / "s1-wrong.toml"
    bad.write_text(S1_HAND.replace('{ le = "R / 2 * norm2', '{ le = "R / 4 * norm2'))
    assert main(["check", str(bad), "--budget", "1", "--quiet"]) == 3
    out = capsys.readouterr().out
    assert "proof rejected at step 6 (hypothesis)" in out
    assert "searched:" in out


def test_check_a_bad_proof_table_exits_2_with_file_and_line(tmp_path, capsys):
    from test_proofs import S1_HAND

    bad = tmp_path / "bad.toml"
    text = S1_HAND.replace('by = "sup_constant"', 'by = "sup_constnt"')
    bad.write_text(text)
    line = text[: text.index("sup_constnt")].count("\n") + 1
    assert main(["check", str(bad), "--budget", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:{line}:" in err and "unknown rule 'sup_constnt'" in err
