"""The forked-worker deadline of softproof.derivations.deadline."""

import time

import pytest

from softproof.derivations.deadline import run_with_deadline


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def _fail() -> None:
    raise KeyError("inside the worker")


def test_result_comes_back():
    out = run_with_deadline(_sleep, 0.0, seconds=10)
    assert out.done and out.value == "woke"


def test_worker_is_killed_at_the_deadline():
    t0 = time.perf_counter()
    out = run_with_deadline(_sleep, 60.0, seconds=0.5)
    assert out.status == "deadline" and not out.done
    assert time.perf_counter() - t0 < 3


def test_no_time_left_means_no_run():
    assert run_with_deadline(_sleep, 0.0, seconds=0).status == "deadline"


def test_an_exception_is_reported_not_swallowed():
    out = run_with_deadline(_fail, seconds=10)
    assert out.status == "error" and isinstance(out.error, KeyError)


def test_an_unpicklable_result_is_an_error():
    out = run_with_deadline(lambda: lambda: 1, seconds=10)
    assert out.status == "error" and "could not be sent back" in str(out.error)


@pytest.mark.parametrize("seconds", [float("nan"), -1.0])
def test_bad_deadlines_do_not_run(seconds):
    assert run_with_deadline(_sleep, 0.0, seconds=seconds).status == "deadline"
