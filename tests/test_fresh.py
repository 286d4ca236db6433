"""Calls in fresh child processes: each value comes back in order, at most ``workers`` run at once, a child shares
nothing with the caller, and whatever happens to a child the caller still gets the value (or its error) and no
child is left behind. The tests fail after a minute instead of hanging."""

from __future__ import annotations

import ctypes
import os
import threading
import time
from functools import partial
from pathlib import Path

import pytest

import planner.fresh
from planner.fresh import Fresh, in_fresh_children, modules_of

pytestmark = pytest.mark.timeout(60)

NOTED_IN_THIS_PROCESS: list[str] = []
"""Written by the tests in the calling process; a fresh child imports this module anew and sees it empty."""


def _gone(pid: int) -> bool:
    """Whether process ``pid`` no longer exists (not even as a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def noting(directory: Path, name: str, seconds: float) -> tuple[int, float, float]:
    """Note this process's pid in ``directory / name``; its pid, start and end after ``seconds``."""
    start = time.monotonic()
    (directory / name).write_text(str(os.getpid()))
    time.sleep(seconds)
    return os.getpid(), start, time.monotonic()


def what_this_process_noted() -> tuple[int, list[str]]:
    return os.getpid(), list(NOTED_IN_THIS_PROCESS)


def failing(message: str) -> int:
    raise ValueError(message)


def test_each_call_runs_in_a_child_at_most_workers_at_once(tmp_path: Path) -> None:
    calls = [partial(noting, tmp_path, f"c{k}", 0.3) for k in range(4)]
    values = in_fresh_children(calls, workers=2)
    pids = [pid for pid, _, _ in values]
    assert os.getpid() not in pids and len(set(pids)) == 4
    assert pids == [int((tmp_path / f"c{k}").read_text()) for k in range(4)], "values in the calls' order"
    for _, start, _ in values:  # at any start, at most two calls are running
        assert sum(1 for _, s, e in values if s <= start < e) <= 2
    assert all(_gone(pid) for pid in pids)


def test_a_child_shares_nothing_with_the_caller() -> None:
    """Not a fork of this process: the module is imported anew in the child, without what this process wrote."""
    NOTED_IN_THIS_PROCESS.append("written here")
    try:
        [(pid, noted)] = in_fresh_children([what_this_process_noted], workers=1)
    finally:
        NOTED_IN_THIS_PROCESS.clear()
    assert pid != os.getpid() and noted == []


def test_without_a_fork_server_the_calls_run_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(planner.fresh, "server_context", lambda: None)
    assert in_fresh_children([os.getpid, os.getpid], workers=2) == [os.getpid()] * 2


def test_a_call_that_cannot_be_pickled_runs_here() -> None:
    parent = os.getpid()
    assert in_fresh_children([lambda: os.getpid() == parent], workers=1) == [True]


def test_a_failing_call_raises_its_error_here() -> None:
    """The child sends that it failed; the call then runs here and its error reaches the caller."""
    with pytest.raises(ValueError, match="no plan"):
        in_fresh_children([partial(failing, "no plan"), os.getpid], workers=2)


def test_a_killed_child_leaves_the_value_to_this_process(tmp_path: Path) -> None:
    parent = os.getpid()
    child = Fresh.start(partial(noting, tmp_path, "c", 60), lambda: (parent, 0.0, 0.0))
    assert child.started
    while not (tmp_path / "c").exists() or not (tmp_path / "c").read_text():
        time.sleep(0.01)
    pid = int((tmp_path / "c").read_text())
    child.cancel()
    assert child.result() == (parent, 0.0, 0.0)
    assert not child.started and _gone(pid)


def test_given_up_kills_every_child_and_runs_nothing_here(tmp_path: Path) -> None:
    """An exception reaches the waiting thread (the scheduler abandons the plan): the children are killed and no
    call is then computed in this process."""
    calls = [partial(noting, tmp_path, f"c{k}", 60) for k in range(2)]
    outcome: list[BaseException] = []

    def waiting() -> None:
        try:
            in_fresh_children(calls, workers=2)
        except BaseException as error:  # the exception raised into this thread
            outcome.append(error)

    thread = threading.Thread(target=waiting)
    thread.start()
    while not all((tmp_path / f"c{k}").exists() and (tmp_path / f"c{k}").read_text() for k in range(2)):
        time.sleep(0.01)
    pids = [int((tmp_path / f"c{k}").read_text()) for k in range(2)]
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident or 0), ctypes.py_object(KeyboardInterrupt))
    thread.join(10)
    assert not thread.is_alive() and len(outcome) == 1 and isinstance(outcome[0], KeyboardInterrupt)
    deadline = time.monotonic() + 10
    while not all(_gone(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert all(_gone(pid) for pid in pids)
    time.sleep(0.3)
    assert [(tmp_path / f"c{k}").read_text() for k in range(2)] == [str(pid) for pid in pids], "not run here"


def test_the_server_imports_the_modules_of_the_calls() -> None:
    assert modules_of([partial(noting, Path("."), "c", 0), os.getpid, what_this_process_noted]) == sorted(
        {__name__, "posix"}
    )
