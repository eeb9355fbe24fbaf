"""Work spread over the cores of one machine or over a Dask cluster.

:func:`executor` yields a :class:`concurrent.futures.Executor`: in-process and
synchronous for ``jobs=1``, worker processes for ``jobs=N`` (default: the cores this
process may run on), or the executor of a :class:`dask.distributed.Client` for
``scheduler="tcp://HOST:PORT"``.  The report's entries and certification runs, and
the independent restarts of a search (:func:`check_restarts`), are tasks on it.

Restarts (``search``/``check``): restart 0 runs with the seed itself (one restart is
exactly the single-process check), restart ``i`` with :func:`derived_seed`.  The
verdict is merged by restart *index*, never by which finished first: the confirmed
violation of the lowest-numbered restart that has one wins (the restarts after it
are cancelled, the ones before it are waited for), and the worst ratio is the
maximum over the restarts up to that one (all of them without a violation).  So a
run whose restarts are each *deterministic* gives the same result with any number
of workers.  A restart is deterministic when nothing in it depends on the clock:
the symbolic prover's verdict, a violation confirmed in the first screening batch,
or a statement with no free variable (one point); searches cut by their time
budget are not.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, wait
from typing import Any

import numpy as np

__all__ = [
    "ExecutorError",
    "InlineExecutor",
    "MAX_JOBS",
    "MAX_RESTARTS",
    "SCHEDULER_TIMEOUT",
    "available_cores",
    "check_jobs",
    "executor",
    "workers_of",
    "derived_seed",
    "check_restarts",
    "run_task",
    "submit",
    "add_options",
    "check_restart_count",
    "from_args",
    "validate_options",
]

#: largest ``--jobs`` accepted
MAX_JOBS = 1024
#: largest ``--restarts`` accepted
MAX_RESTARTS = 10_000
#: seconds allowed to reach a scheduler and see a worker there
SCHEDULER_TIMEOUT = 10.0
_ADDRESS = re.compile(r"(tcp|tls)://(\[[0-9A-Fa-f:]+\]|[A-Za-z0-9_.-]+):(\d{1,5})\Z")


class ExecutorError(ValueError):
    """Bad ``--jobs`` / ``--scheduler``, or a scheduler that cannot be used."""


#: environment variable: the default number of workers (else the cores available)
JOBS_VARIABLE = "SOFTPROOF_JOBS"


def available_cores() -> int:
    """The default number of workers: ``$SOFTPROOF_JOBS`` when it is a positive
    integer, else the cores this process may run on (its affinity mask), at least 1."""
    value = os.environ.get(JOBS_VARIABLE, "").strip()
    if value.isdigit() and int(value) >= 1:
        return min(int(value), MAX_JOBS)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def check_jobs(jobs: Any) -> int | None:
    """``jobs`` as given (``None``: the default), checked: an integer in 1..MAX_JOBS."""
    if jobs is None:
        return None
    if isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= MAX_JOBS:
        raise ExecutorError(f"--jobs must be an integer between 1 and {MAX_JOBS}, got {jobs}")
    return jobs


# --------------------------------------------------------------------------
# Executors
# --------------------------------------------------------------------------
class InlineExecutor(Executor):
    """Runs each task at once, in this process (``--jobs 1``): the returned future is
    already done, with the task's value or exception."""

    workers = 1

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            fut.set_exception(exc)
        return fut


class _WorkerPool(ProcessPoolExecutor):
    """Worker processes (forked where the platform allows it, so the parent's loaded
    modules are shared); tasks left running when the pool is closed are killed."""

    def __init__(self, workers: int) -> None:
        ctx = None
        if "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin":
            ctx = multiprocessing.get_context("fork")
        super().__init__(max_workers=workers, mp_context=ctx, initializer=_init_worker)
        self.workers = workers
        self.abandoned = False

    def close(self) -> None:
        if self.abandoned:  # restarts no longer wanted: do not wait for their budgets
            for proc in list(getattr(self, "_processes", {}).values()):
                with contextlib.suppress(Exception):
                    proc.kill()
        self.shutdown(wait=True, cancel_futures=True)


_LIMITS: list[Any] = []


def _init_worker() -> None:
    """Set up a worker process: one BLAS/OpenMP thread (the workers are the
    parallelism; several BLAS threads each would oversubscribe the cores), and
    allow it to start the prover's forked deadline workers (``deadline.py``) even
    where the worker process itself is daemonic (Dask's nanny starts them so)."""
    if _LIMITS:
        return
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    from threadpoolctl import threadpool_limits

    _LIMITS.append(threadpool_limits(limits=1))
    proc = multiprocessing.current_process()
    if proc.daemon:
        # multiprocessing refuses children of a daemonic process; the deadline
        # workers are killed by run_with_deadline itself, so none is left behind
        proc._config["daemon"] = False  # type: ignore[attr-defined]


def run_task(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` in a worker, after :func:`_init_worker` (Dask workers
    run no initializer of ours; this one is idempotent)."""
    _init_worker()
    return fn(*args, **kwargs)


def submit(ex: Executor, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
    """``ex.submit(fn, ...)``; in a worker through :func:`run_task` (the in-process
    executor runs ``fn`` as it is, without the workers' thread limits)."""
    if isinstance(ex, InlineExecutor):
        return ex.submit(fn, *args, **kwargs)
    return ex.submit(run_task, fn, *args, **kwargs)


def workers_of(ex: Executor) -> int:
    """How many tasks ``ex`` runs at once (for the default number of restarts)."""
    return int(getattr(ex, "workers", 1) or 1)


@contextlib.contextmanager
def executor(
    jobs: int | None = None,
    scheduler: str | None = None,
    timeout: float | None = None,
) -> Iterator[Executor]:
    """An executor for ``--jobs`` / ``--scheduler`` (:class:`ExecutorError` when the
    options are bad or the scheduler cannot be used; nothing has run then).

    ``scheduler`` (``tcp://HOST:PORT``) takes precedence over the cores: the tasks go
    to the cluster's workers (reached within ``timeout`` seconds, default
    :data:`SCHEDULER_TIMEOUT`); giving ``jobs`` too is refused.  ``jobs=None`` is the
    cores available, ``1`` the in-process :class:`InlineExecutor`.
    """
    jobs = check_jobs(jobs)
    if scheduler is not None:
        if jobs is not None:
            raise ExecutorError(
                "give --jobs or --scheduler, not both (the cluster's workers run the tasks)"
            )
        with _dask_executor(scheduler, SCHEDULER_TIMEOUT if timeout is None else timeout) as ex:
            yield ex
        return
    n = available_cores() if jobs is None else jobs
    if n == 1:
        yield InlineExecutor()
        return
    pool = _WorkerPool(n)
    try:
        yield pool
    except BaseException:  # interrupted, terminated or failed: kill, do not wait
        pool.abandoned = True
        raise
    finally:
        pool.close()


@contextlib.contextmanager
def _dask_executor(address: str, timeout: float) -> Iterator[Executor]:
    """The executor of a client of the Dask scheduler at ``address``, once one worker
    is connected and the workers run this version of softproof."""
    if not isinstance(address, str) or not _ADDRESS.match(address.strip()):
        raise ExecutorError(
            f"--scheduler {address!r}: expected the address of a Dask scheduler, "
            "tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786)"
        )
    address = address.strip()
    if int(address.rsplit(":", 1)[1]) > 65535:
        raise ExecutorError(f"--scheduler {address}: port beyond 65535")
    try:
        from distributed import Client
    except ImportError:
        raise ExecutorError(
            "--scheduler needs dask.distributed, which is not installed: "
            "pip install 'softproof[cluster]'"
        ) from None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ExecutorError(
            f"--scheduler {address}: no Dask scheduler answered within {timeout:g} s ({exc})"
        ) from None
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError):
            raise ExecutorError(
                f"--scheduler {address}: no worker connected to the scheduler within "
                f"{timeout:g} s (start one with 'dask worker {address}')"
            ) from None
        _check_worker_versions(client, address)
        ex = client.get_executor(pure=False)
        ex.workers = max(1, sum(client.nthreads().values()))  # type: ignore[attr-defined]
        ex.scheduler_address = address  # type: ignore[attr-defined]
        yield ex
    finally:
        with contextlib.suppress(Exception):
            client.close()


def _check_worker_versions(client: Any, address: str) -> None:
    """Every worker must run the same softproof version (else its verdicts could be
    another program's)."""
    from importlib.metadata import version

    from softproof._version import __version__

    try:
        found = client.run(version, "softproof")
    except Exception as exc:
        raise ExecutorError(
            f"--scheduler {address}: a worker cannot load softproof "
            f"({type(exc).__name__}: {exc}); install it on every worker"
        ) from None
    other = {w: v for w, v in found.items() if v != __version__}
    if other:
        w, v = next(iter(other.items()))
        raise ExecutorError(
            f"--scheduler {address}: worker {w} runs softproof {v}, this is {__version__}"
        )


# --------------------------------------------------------------------------
# Restarts of a search (check, search --method all)
# --------------------------------------------------------------------------
def derived_seed(seed: int, index: int) -> int:
    """The seed of restart ``index``: ``seed`` itself for restart 0, else a 63-bit
    seed drawn from ``numpy``'s ``SeedSequence(seed, spawn_key=(index,))``."""
    if index == 0:
        return int(seed)
    state = np.random.SeedSequence(int(seed), spawn_key=(int(index),)).generate_state(
        1, dtype=np.uint64
    )
    return int(state[0]) >> 1


def _restart(
    statement: Any,
    budget: float,
    seed: int,
    sizes: Mapping[str, int] | None,
    prove: bool,
    kwargs: Mapping[str, Any],
) -> Any:
    """One restart: :func:`softproof.numeric.search.check` without progress output."""
    from softproof.numeric.search import check

    return check(statement, budget, seed, sizes, progress=False, prove=prove, **kwargs)


def check_restarts(
    statement: Any,
    budget_seconds: float,
    rng_seed: int,
    sizes: Mapping[str, int] | None,
    ex: Executor,
    restarts: int | None = None,
    prove: bool = True,
    log: Callable[[str], None] | None = None,
    progress: bool | None = None,
    **kwargs: Any,
) -> Any:
    """:func:`softproof.numeric.search.check` as ``restarts`` independent restarts on
    ``ex`` (default: one per worker), merged by restart index (module docstring).

    Restart 0 also runs the symbolic prover (when ``prove``); an identity it proves,
    or a refutation it confirms, is the result at once.  Each restart gets the whole
    ``budget_seconds``.  ``log`` gets one line per finished restart.  One restart is
    the single-process check itself (with its ``progress`` line).
    """
    from softproof.numeric.search import check

    k = workers_of(ex) if restarts is None else restarts
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_RESTARTS:
        raise ExecutorError(f"--restarts must be an integer between 1 and {MAX_RESTARTS}")
    if k == 1 and isinstance(ex, InlineExecutor):
        return check(
            statement, budget_seconds, rng_seed, sizes, progress=progress, prove=prove, **kwargs
        )
    t0 = time.perf_counter()
    seeds = [derived_seed(rng_seed, i) for i in range(k)]
    futures: list[Future] = []
    results: dict[int, Any] = {}
    winner: int | None = None
    for i, s in enumerate(seeds):
        futures.append(
            submit(ex, _restart, statement, budget_seconds, s, sizes, prove and i == 0, kwargs)
        )
        if isinstance(ex, InlineExecutor):  # in turn: stop at the first decisive one
            winner = _collect(statement, futures, results, {i}, log, k, t0)
            if winner is not None:
                break
    pending = set(range(len(futures))) - set(results)
    while True:
        if winner is not None:
            # restarts after the winner are not wanted; those before it still decide
            for j in pending:
                if j > winner:
                    _abandon(ex, futures[j])
            pending = {j for j in pending if j < winner}
        if not pending:
            break
        done, _ = wait([futures[j] for j in pending], return_when="FIRST_COMPLETED")
        finished = {j for j in pending if futures[j] in done}
        pending -= finished
        found = _collect(statement, futures, results, finished, log, k, t0)
        if found is not None and (winner is None or found < winner):
            winner = found
    used = [results[i] for i in range(k if winner is None else winner + 1)]
    return _merge(statement, used, seeds, k, winner, time.perf_counter() - t0)


def _abandon(ex: Executor, fut: Future) -> None:
    if not fut.cancel() and isinstance(ex, _WorkerPool):
        ex.abandoned = True


def _decisive(index: int, res: Any) -> bool:
    """A restart whose result ends the run: a confirmed violation, or (restart 0)
    an identity proved by the prover."""
    if res.verdict == "violated":
        return True
    return index == 0 and res.verdict == "proved" and res.method == "symbolic prover"


def _collect(
    statement: Any,
    futures: Sequence[Future],
    results: dict[int, Any],
    indices: set[int],
    log: Callable[[str], None] | None,
    k: int,
    t0: float,
) -> int | None:
    """Store the results of the finished restarts ``indices`` (a task's exception is
    raised here); the lowest decisive index among them, if any."""
    best = None
    for i in sorted(indices):
        res = futures[i].result()
        results[i] = res
        if log is not None:
            log(
                f"[{statement.id}] restart {i + 1}/{k}: {res.verdict}, {res.instances} "
                f"instances ({time.perf_counter() - t0:.1f} s)"
            )
        if best is None and _decisive(i, res):
            best = i
    return best


def _ratio_key(r: Any) -> float:
    v = float(r.worst_ratio) if r.worst_ratio is not None else -math.inf
    return -math.inf if math.isnan(v) else v


def _merge(
    statement: Any,
    used: list[Any],
    seeds: list[int],
    k: int,
    winner: int | None,
    seconds: float,
) -> Any:
    """One :class:`~softproof.numeric.search.CheckResult` from the restarts ``used``
    (restarts ``0..winner``, or all of them), in the way :func:`check` decides."""
    from softproof.numeric.search import mark_undecided

    first = used[0]
    if winner == 0:
        return dataclasses.replace(first, seconds=seconds)
    out = dataclasses.replace(first, phases=dict(first.phases))
    verdict = first.prover
    proved_by_chain = bool(verdict is not None and verdict.proved and verdict.by == "chain")
    refuted = bool(verdict is not None and verdict.status == "refuted")
    worst = max(used, key=_ratio_key)
    out.worst_ratio, out.worst_witness, out.worst_by = (
        worst.worst_ratio,
        worst.worst_witness,
        worst.worst_by,
    )
    floats = [r.worst_float64 for r in used if not math.isnan(r.worst_float64)]
    out.worst_float64 = max(floats) if floats else math.nan
    for name in ("instances", "rejected", "nonfinite", "unconfirmed", "artefacts"):
        setattr(out, name, sum(getattr(r, name) for r in used))
    out.empty = first.empty if out.instances == 0 else ""
    out.phases["restarts"] = {
        "restarts": k,
        "used": len(used),
        "seeds": seeds[: len(used)],
        "verdicts": [r.verdict for r in used],
        "instances": [r.instances for r in used],
    }
    if winner is not None:
        win = used[winner]
        out.verdict = "violated"
        out.witness, out.confirmation = win.witness, win.confirmation
        out.method = f"{win.method}, restart {winner + 1} of {k} (seed {seeds[winner]})"
        if proved_by_chain:
            out.proof += "; the search's confirmed violation contradicts the chain"
    else:
        out.witness = out.confirmation = None
        out.method = f"random screening, L-BFGS-B, Hypothesis ({k} restarts)"
        if proved_by_chain:
            out.verdict = "proved"
        elif refuted:
            out.verdict = "undecided"
        else:
            out.verdict = "searched"
        mark_undecided(out)
    out.seconds = seconds
    return out


# --------------------------------------------------------------------------
# Command-line options
# --------------------------------------------------------------------------
def add_options(p: Any, restarts: bool = False) -> None:
    """``--jobs N`` and ``--scheduler ADDR`` (and ``--restarts K`` for searches)."""
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help=f"worker processes (default: the cores available, here {available_cores()}; "
        "1: in this process)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="tcp://HOST:PORT",
        help="run the tasks on the workers of this Dask scheduler (needs softproof[cluster])",
    )
    if restarts:
        p.add_argument(
            "--restarts",
            type=int,
            default=None,
            metavar="K",
            help="independent restarts of the search, each with the whole budget and its "
            "own seed derived from --seed (default: one per worker)",
        )


def check_restart_count(restarts: Any) -> int | None:
    """``--restarts`` as given, checked (``None``: one per worker)."""
    if restarts is None:
        return None
    if isinstance(restarts, bool) or not isinstance(restarts, int):
        raise ExecutorError(f"--restarts must be an integer, got {restarts!r}")
    if not 1 <= restarts <= MAX_RESTARTS:
        raise ExecutorError(
            f"--restarts must be an integer between 1 and {MAX_RESTARTS}, got {restarts}"
        )
    return restarts


def validate_options(args: Any) -> None:
    """Check ``--jobs`` and ``--restarts`` without starting anything (``BadInput``)."""
    from softproof.cli import BadInput

    try:
        check_jobs(getattr(args, "jobs", None))
        check_restart_count(getattr(args, "restarts", None))
    except ExecutorError as exc:
        raise BadInput(str(exc)) from None


@contextlib.contextmanager
def from_args(args: Any) -> Iterator[Executor]:
    """:func:`executor` for the parsed ``--jobs`` / ``--scheduler``; a bad option or an
    unusable scheduler is :class:`~softproof.cli.BadInput` (exit 2)."""
    from softproof.cli import BadInput

    try:
        check_restart_count(getattr(args, "restarts", None))
        cm = executor(getattr(args, "jobs", None), getattr(args, "scheduler", None))
        ex = cm.__enter__()
    except ExecutorError as exc:
        raise BadInput(str(exc)) from None
    try:
        yield ex
    except BaseException:
        if not cm.__exit__(*sys.exc_info()):
            raise
    else:
        cm.__exit__(None, None, None)
