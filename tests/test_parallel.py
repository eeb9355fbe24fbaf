"""softproof.parallel: executors, bad options, restarts merged by index, a Dask cluster.

The restarts are checked to be merged by restart index (never by which finished
first), so a run whose restarts are deterministic is the same with any number of
workers; the merge never says "violated" without a restart's confirmed violation.
"""

from __future__ import annotations

import dataclasses
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from softproof import parallel
from softproof.derivations.catalogue import get
from softproof.numeric.search import CheckResult
from softproof.parallel import (
    ExecutorError,
    InlineExecutor,
    check_restarts,
    derived_seed,
    executor,
    workers_of,
)


# --------------------------------------------------------------------------
# Executors and their options
# --------------------------------------------------------------------------
def test_jobs_1_is_in_process_and_jobs_2_are_worker_processes():
    import os

    with executor(1) as ex:
        assert isinstance(ex, InlineExecutor) and workers_of(ex) == 1
        assert ex.submit(os.getpid).result() == os.getpid()
    with executor(2) as ex:
        assert workers_of(ex) == 2
        pids = {parallel.submit(ex, _slow_pid).result() for _ in range(1)}
        assert os.getpid() not in pids


def _slow_pid() -> int:
    import os

    return os.getpid()


def test_default_jobs_are_the_cores_available(monkeypatch):
    monkeypatch.setattr(parallel, "available_cores", lambda: 1)
    with executor() as ex:
        assert isinstance(ex, InlineExecutor)
    monkeypatch.setattr(parallel, "available_cores", lambda: 3)
    with executor() as ex:
        assert workers_of(ex) == 3


def test_inline_executor_keeps_the_task_exception():
    fut = InlineExecutor().submit(int, "not a number")
    with pytest.raises(ValueError):
        fut.result()


def _worker_state() -> tuple[list[int], str]:
    """BLAS threads in a worker, and the prover's forked deadline worker run there."""
    from threadpoolctl import threadpool_info

    from softproof.derivations.deadline import run_with_deadline

    threads = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
    return threads, run_with_deadline(sum, [1, 2], seconds=30).status


def test_workers_use_one_blas_thread_and_may_fork_deadline_workers():
    with executor(2) as ex:
        threads, status = parallel.submit(ex, _worker_state).result()
    assert all(t == 1 for t in threads)
    assert status == "done"


@pytest.mark.parametrize("jobs", [0, -1, 1025, True, 2.0, "2"])
def test_bad_jobs_are_refused(jobs):
    with pytest.raises(ExecutorError, match="--jobs must be an integer"):
        with executor(jobs):
            pass


def test_jobs_and_scheduler_together_are_refused():
    with pytest.raises(ExecutorError, match="not both"):
        with executor(2, "tcp://127.0.0.1:8786"):
            pass


@pytest.mark.parametrize(
    "address", ["foo", "127.0.0.1:8786", "http://127.0.0.1:8786", "tcp://host", "tcp://h:99999"]
)
def test_malformed_scheduler_addresses_are_refused(address):
    with pytest.raises(ExecutorError, match="--scheduler"):
        with executor(None, address):
            pass


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_is_refused_within_the_timeout():
    t0 = time.perf_counter()
    with pytest.raises(ExecutorError, match="no Dask scheduler answered within 1 s"):
        with executor(None, f"tcp://127.0.0.1:{_closed_port()}", timeout=1.0):
            pass
    assert time.perf_counter() - t0 < 15


def test_missing_dask_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails
    with pytest.raises(ExecutorError, match=r"softproof\[cluster\]"):
        with executor(None, "tcp://127.0.0.1:8786"):
            pass


# --------------------------------------------------------------------------
# Seeds and the merge of restarts
# --------------------------------------------------------------------------
def test_derived_seeds():
    assert derived_seed(7, 0) == 7
    seeds = [derived_seed(7, i) for i in range(1, 50)]
    assert len(set(seeds)) == len(seeds) and 7 not in seeds
    assert seeds == [derived_seed(7, i) for i in range(1, 50)]
    assert all(0 <= s < 2**63 for s in seeds)
    assert derived_seed(8, 1) != derived_seed(7, 1)


def _result(verdict="searched", instances=10, worst=0.5, **kw) -> CheckResult:
    res = CheckResult("S1", verdict, instances, worst, {"x": 1.0}, None, 0.1, "random screening")
    res.worst_by = "ball arithmetic"
    for k, v in kw.items():
        setattr(res, k, v)
    return res


def _fake_restarts(monkeypatch, by_seed, delay=None):
    """``_restart`` replaced by a table seed -> result (and optional sleep per seed)."""

    def fake(statement, budget, seed, sizes, prove, kwargs):
        if delay:
            time.sleep(delay.get(seed, 0.0))
        return dataclasses.replace(by_seed[seed])

    monkeypatch.setattr(parallel, "_restart", fake)
    monkeypatch.setattr(parallel, "_init_worker", lambda: None)


def test_merge_takes_the_max_ratio_and_sums_counts(monkeypatch):
    st = get("S1")
    seeds = [derived_seed(0, i) for i in range(3)]
    table = {
        seeds[0]: _result(worst=0.7, instances=5, rejected=1),
        seeds[1]: _result(worst=0.9, instances=6, worst_witness={"x": 2.0}),
        seeds[2]: _result(worst=0.8, instances=7),
    }
    _fake_restarts(monkeypatch, table)
    res = check_restarts(st, 1.0, 0, None, InlineExecutor(), restarts=3)
    assert res.verdict == "searched" and res.witness is None
    assert res.worst_ratio == 0.9 and res.worst_witness == {"x": 2.0}
    assert res.instances == 18 and res.rejected == 1
    assert res.phases["restarts"]["seeds"] == seeds


def test_merge_never_invents_a_violation(monkeypatch):
    """A float64 candidate left unconfirmed by one restart makes the run undecided;
    nothing is 'violated' without a restart's confirmed violation."""
    st = get("S1")
    seeds = [derived_seed(0, i) for i in range(2)]
    table = {seeds[0]: _result(), seeds[1]: _result(verdict="undecided", unconfirmed=2)}
    _fake_restarts(monkeypatch, table)
    res = check_restarts(st, 1.0, 0, None, InlineExecutor(), restarts=2)
    assert res.verdict == "undecided" and res.unconfirmed == 2
    assert res.witness is None and res.confirmation is None


def test_lowest_restart_with_a_violation_wins_whatever_finishes_first(monkeypatch):
    st = get("S1")
    seeds = [derived_seed(0, i) for i in range(3)]
    table = {
        seeds[0]: _result(verdict="violated", witness={"w": 0}, confirmation="c0", worst=1.2),
        seeds[1]: _result(verdict="violated", witness={"w": 1}, confirmation="c1", worst=1.5),
        seeds[2]: _result(worst=0.3),
    }
    # restart 1 finishes first; restart 0 decides
    _fake_restarts(monkeypatch, table, delay={seeds[0]: 0.5})
    with ThreadPoolExecutor(3) as ex:
        res = check_restarts(st, 1.0, 0, None, ex, restarts=3)
    assert res.verdict == "violated" and res.witness == {"w": 0} and res.confirmation == "c0"
    with ThreadPoolExecutor(3) as ex:  # restart 0 without a violation: restart 1 wins
        table[seeds[0]] = _result(worst=0.4)
        res = check_restarts(st, 1.0, 0, None, ex, restarts=3)
    assert res.verdict == "violated" and res.witness == {"w": 1}
    assert "restart 2 of 3" in res.method
    # the worst ratio is over restarts 0..winner only (restart 2 is not part of it)
    assert res.worst_ratio == 1.5 and res.phases["restarts"]["used"] == 2


def test_chain_proof_and_unconfirmed_refutation_survive_the_merge(monkeypatch):
    from softproof.derivations.verdict import Verdict

    st = get("S1")
    seeds = [derived_seed(0, i) for i in range(2)]
    chain = Verdict("proved", "proved by a chain", by="chain")
    first = _result(verdict="proved", prover=chain)
    _fake_restarts(monkeypatch, {seeds[0]: first, seeds[1]: _result(unconfirmed=1)})
    res = check_restarts(st, 1.0, 0, None, InlineExecutor(), restarts=2)
    assert res.verdict == "proved"
    refuted = Verdict("refuted", "refuted; not confirmed", by="identity")
    _fake_restarts(
        monkeypatch,
        {seeds[0]: _result(verdict="undecided", prover=refuted), seeds[1]: _result()},
    )
    res = check_restarts(st, 1.0, 0, None, InlineExecutor(), restarts=2)
    assert res.verdict == "undecided"


def test_bad_restart_counts_are_refused():
    with pytest.raises(ExecutorError, match="--restarts"):
        check_restarts(get("S1"), 1.0, 0, None, InlineExecutor(), restarts=0)


# --------------------------------------------------------------------------
# Real searches: deterministic restarts give the same result with 1 or 2 workers
# --------------------------------------------------------------------------
def _same(a: CheckResult, b: CheckResult) -> None:
    assert a.verdict == b.verdict and a.method == b.method and a.instances == b.instances
    assert a.worst_ratio == b.worst_ratio
    for k in a.witness or {}:
        assert np.array_equal(a.witness[k], b.witness[k])
    assert (a.witness is None) == (b.witness is None)


@pytest.mark.parametrize("sid", ["S1-m099", "G5"])
def test_jobs_2_equals_jobs_1_on_deterministic_restarts(sid):
    """S1-m099: each restart confirms a violation in its first screening batch;
    G5: the prover proves the identity (no clock in either)."""
    st = get(sid)
    with executor(1) as ex:
        one = check_restarts(st, 5.0, 3, None, ex, restarts=2)
    with executor(2) as ex:
        two = check_restarts(st, 5.0, 3, None, ex, restarts=2)
    _same(one, two)
    assert one.verdict == ("violated" if sid == "S1-m099" else "proved")


def test_restarts_on_a_true_statement_never_report_a_violation():
    with executor(2) as ex:
        res = check_restarts(get("S1"), 1.0, 0, {"n": 3, "d": 2}, ex, restarts=2)
    assert res.verdict == "proved" or res.verdict == "searched"
    assert res.witness is None and res.worst_ratio <= 1.0
    assert res.phases["restarts"]["used"] == 2


# --------------------------------------------------------------------------
# A Dask cluster (two worker processes)
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cl:
        yield cl.scheduler_address


def test_cluster_runs_restarts_like_the_local_run(cluster):
    st = get("S1-m099")
    with executor(None, cluster) as ex:
        assert workers_of(ex) == 2
        remote = check_restarts(st, 5.0, 3, None, ex, restarts=2)
    with executor(1) as ex:
        local = check_restarts(st, 5.0, 3, None, ex, restarts=2)
    _same(remote, local)


def test_cluster_workers_run_the_prover_with_its_deadline_workers(cluster):
    """Dask's worker processes are daemonic; the prover's forked deadline worker
    still runs there."""
    with executor(None, cluster) as ex:
        threads, status = parallel.submit(ex, _worker_state).result()
    assert status == "done" and all(t == 1 for t in threads)


def _sleepy_restart(statement, budget, seed, sizes, prove, kwargs):
    """Restart 0 confirms at once; any other restart would take 60 s."""
    if seed == 0:
        return _result(verdict="violated", witness={"w": 0}, confirmation="c")
    time.sleep(60)
    return _result()


def test_restarts_after_the_winner_are_not_waited_for(monkeypatch):
    monkeypatch.setattr(parallel, "_restart", _sleepy_restart)
    t0 = time.perf_counter()
    with executor(2) as ex:
        res = check_restarts(get("S1"), 1.0, 0, None, ex, restarts=2)
    assert res.verdict == "violated" and res.witness == {"w": 0}
    assert time.perf_counter() - t0 < 30


def test_sigterm_ends_the_workers_with_the_command(tmp_path):
    """SIGTERM to ``check --jobs 2`` ends it (exit 143) and kills its worker processes
    at once, instead of leaving them to run out their budgets as orphans."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    statement = Path(__file__).parent / "statements" / "lipschitz-f-sharp.toml"
    cmd = [sys.executable, "-m", "softproof", "check", str(statement), "--budget", "60"]
    proc = subprocess.Popen(
        [*cmd, "--jobs", "2", "--restarts", "2", "--quiet"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    def children() -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    deadline = time.monotonic() + 40
    while len(children()) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    kids = children()
    assert len(kids) >= 2, "the workers did not start"
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=15) == 128 + signal.SIGTERM
    time.sleep(0.5)
    alive = [k for k in kids if os.path.exists(f"/proc/{k}") and "Z" not in _state(k)]
    assert not alive, f"workers left running: {alive}"


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_softproof_jobs_sets_the_default_number_of_workers(monkeypatch):
    monkeypatch.setenv("SOFTPROOF_JOBS", "3")
    assert parallel.available_cores() == 3
    for bad in ("0", "-2", "two", ""):
        monkeypatch.setenv("SOFTPROOF_JOBS", bad)
        assert parallel.available_cores() >= 1  # ignored: the cores available
