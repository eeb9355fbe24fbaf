"""Run a computation with a hard deadline, in a forked worker process.

SymPy work (expansion, cancellation) cannot be interrupted from inside, so
:func:`run_with_deadline` runs it in a child process (``fork`` context, so
nothing has to be pickled on the way in) and kills the child when the deadline
passes.  The result comes back through a pipe (it must be picklable).
"""

from __future__ import annotations

import multiprocessing as mp
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Outcome", "run_with_deadline"]


@dataclass(frozen=True)
class Outcome:
    """``status`` is ``done`` (``value`` set), ``deadline`` (killed) or ``error``
    (``error`` is the exception raised by the computation, or its text)."""

    status: str
    value: Any = None
    error: BaseException | str | None = None
    seconds: float = 0.0

    @property
    def done(self) -> bool:
        return self.status == "done"


def _child(conn: Any, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    try:
        out: tuple[str, Any] = ("done", fn(*args, **kwargs))
    except BaseException as exc:  # reported to the parent, never swallowed
        out = ("error", exc)
    try:
        conn.send(out)
    except Exception:  # an unpicklable value or exception: send its text
        kind, value = out
        text = value if kind == "done" else traceback.format_exception_only(value)[-1]
        conn.send(("error", f"the worker's result could not be sent back: {text!s:.500}"))
    finally:
        conn.close()


def run_with_deadline(fn: Callable[..., Any], *args: Any, seconds: float, **kwargs: Any) -> Outcome:
    """``fn(*args, **kwargs)`` in a forked worker, killed after ``seconds``.

    ``seconds <= 0`` returns the ``deadline`` outcome at once.
    """
    t0 = time.perf_counter()
    if not seconds > 0:
        return Outcome("deadline", seconds=0.0)
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args, kwargs), daemon=True)
    proc.start()
    send.close()
    try:
        if recv.poll(seconds):
            try:
                kind, value = recv.recv()
            except EOFError:
                return Outcome("error", error="the worker died", seconds=time.perf_counter() - t0)
            took = time.perf_counter() - t0
            if kind == "done":
                return Outcome("done", value=value, seconds=took)
            return Outcome("error", error=value, seconds=took)
        return Outcome("deadline", seconds=time.perf_counter() - t0)
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join(1.0)
