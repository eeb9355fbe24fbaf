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
