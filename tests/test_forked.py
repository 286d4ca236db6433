"""A call run in a forked child: its value comes back, and whatever happens to the child the caller still gets
the value and no child is left behind. The tests fail after a minute instead of hanging."""

from __future__ import annotations

import gc
import os
import signal
import time
from pathlib import Path

import pandas as pd
import pytest

import planner.forked
from planner.forked import Forked

pytestmark = pytest.mark.timeout(60)


def _gone(pid: int) -> bool:
    """Whether process ``pid`` no longer exists (killed and reaped: not even a zombie is left)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _sleeping_child(tmp_path: Path) -> tuple[Forked[int], int]:
    """A child that notes its pid in a file and sleeps for a minute; the caller's call returns its own pid."""
    parent = os.getpid()
    noted = tmp_path / "child.pid"

    def call() -> int:
        if os.getpid() != parent:
            noted.write_text(str(os.getpid()))
            time.sleep(60)
        return os.getpid()

    child = Forked.start(call)
    while not noted.exists() or not noted.read_text():
        time.sleep(0.01)
    return child, int(noted.read_text())


def test_the_call_runs_in_a_child_and_its_value_comes_back() -> None:
    child = Forked.start(lambda: (os.getpid(), pd.DataFrame({"district_id": ["D1", "D2"], "rooms": [3, 0]})))
    assert child.forked
    pid, frame = child.result()
    assert pid != os.getpid(), "computed in the child"
    assert frame.equals(pd.DataFrame({"district_id": ["D1", "D2"], "rooms": [3, 0]}))
    assert not child.forked and _gone(pid)


def test_a_child_that_raises_leaves_the_call_to_the_caller() -> None:
    parent = os.getpid()

    def call() -> int:
        if os.getpid() != parent:
            raise RuntimeError("only in the child")
        return os.getpid()

    assert Forked.start(call).result() == parent


def test_a_child_killed_on_its_way_leaves_the_call_to_the_caller() -> None:
    parent = os.getpid()

    def call() -> int:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return os.getpid()

    assert Forked.start(call).result() == parent


def test_cancel_kills_and_reaps_the_child(tmp_path: Path) -> None:
    child, pid = _sleeping_child(tmp_path)
    child.cancel()
    assert _gone(pid) and not child.forked
    assert child.result() == os.getpid(), "after a cancel the caller computes the value"


def test_a_dropped_handle_kills_and_reaps_its_child(tmp_path: Path) -> None:
    child, pid = _sleeping_child(tmp_path)
    del child
    gc.collect()
    assert _gone(pid)


def test_an_interrupt_while_waiting_kills_the_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    child, pid = _sleeping_child(tmp_path)
    real_waitpid = os.waitpid
    calls: list[int] = []

    def interrupted_once(waited: int, options: int) -> tuple[int, int]:
        calls.append(waited)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return real_waitpid(waited, options)

    monkeypatch.setattr(planner.forked.os, "waitpid", interrupted_once)
    with pytest.raises(KeyboardInterrupt):
        child.result()
    monkeypatch.undo()
    assert _gone(pid) and not child.forked


def test_without_fork_the_call_runs_in_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(planner.forked.os, "fork")
    child = Forked.start(os.getpid)
    assert not child.forked and child.result() == os.getpid()


def test_a_failed_fork_leaves_the_call_to_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_memory() -> int:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(planner.forked.os, "fork", no_memory)
    child = Forked.start(os.getpid)
    assert not child.forked and child.result() == os.getpid()
