"""``softproof report --jobs / --scheduler``: the same report whichever runs the entries.

G5 (proved by the prover) and S1-m099 (violated in the first screening batch) do not
depend on the clock: their entries, witness and proof files must be identical with
one worker process, two, or a Dask cluster; E1's verdict and certification too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from softproof.cli import main

ONLY = ["G5", "S1-m099", "E1"]


def _report(out: Path, *extra: str) -> dict:
    code = main(
        ["report", "--out", str(out), "--only", *ONLY, "--no-plots", "--no-progress"]
        + ["--budget", "1", "--certify-budget", "2", *extra]
    )
    assert code == 0
    return json.loads((out / "report.json").read_text())


def _timeless(text: str) -> str:
    return re.sub(r"\d+(\.\d+)? s\b", "T s", text)


def _assert_same_report(a: Path, b: Path) -> None:
    ra, rb = (json.loads((p / "report.json").read_text()) for p in (a, b))
    ea, eb = ({e["id"]: e for e in r["entries"]} for r in (ra, rb))
    assert [e["id"] for e in ra["entries"]] == [e["id"] for e in rb["entries"]] == ONLY
    for sid in ("G5", "S1-m099"):
        x, y = dict(ea[sid]), dict(eb[sid])
        for d in (x, y):
            d.pop("seconds")
            d["evidence"] = _timeless(d["evidence"])
        assert x == y, sid
    assert ea["E1"]["verdict"] == eb["E1"]["verdict"] == "proved"
    ca, cb = ({c["id"]: c for c in r["certifications"]} for r in (ra, rb))
    assert ca["E1"]["outcome"] == cb["E1"]["outcome"] == "certified"
    assert ca["E1"]["boxes"] == cb["E1"]["boxes"]
    assert ra["constants"] == rb["constants"]
    for rel in ("witnesses/S1-m099.json", "chains/G5.tex", "chains/E1.tex", "derivation.tex"):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


@pytest.fixture(scope="module")
def one_process(tmp_path_factory) -> Path:
    """The report with --jobs 1 (in this process), shared by the comparisons."""
    out = tmp_path_factory.mktemp("jobs1") / "report"
    _report(out, "--jobs", "1")
    return out


def test_report_jobs_2_equals_jobs_1(tmp_path, one_process):
    _report(tmp_path / "two", "--jobs", "2")
    _assert_same_report(one_process, tmp_path / "two")


def test_report_on_a_dask_cluster_equals_the_local_run(tmp_path, one_process):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        _report(tmp_path / "cluster", "--scheduler", cluster.scheduler_address)
    _assert_same_report(one_process, tmp_path / "cluster")


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--jobs", "0"], "--jobs must be an integer"),
        (["--scheduler", "tcp://nowhere"], "expected the address of a Dask scheduler"),
        (["--jobs", "2", "--scheduler", "tcp://127.0.0.1:8786"], "not both"),
    ],
)
def test_report_bad_parallel_options_exit_2_and_write_nothing(tmp_path, capsys, extra, message):
    out = tmp_path / "rep"
    assert main(["report", "--out", str(out), "--only", "G5", "--no-plots", *extra]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_progress_prints_one_line_per_finished_task(capsys):
    from softproof.report import ProgressBar

    bar = ProgressBar(3)
    bar.line(1, "G5")
    bar.line(2, "certify E1")
    err = capsys.readouterr().err
    assert err.splitlines()[0].startswith("[1/3] G5") and "[2/3] certify E1" in err
