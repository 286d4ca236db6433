"""A call run in a forked child: its value comes back, and whatever happens to the child the caller still gets
the value and no child is left behind. The tests fail after a minute instead of hanging."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import planner.forked
from planner.forked import Forked

pytestmark = pytest.mark.timeout(60)


def gone(pid: int) -> bool:
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
    assert not child.forked and gone(pid)


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
    assert gone(pid) and not child.forked
    assert child.result() == os.getpid(), "after a cancel the caller computes the value"


def test_a_dropped_handle_kills_and_reaps_its_child(tmp_path: Path) -> None:
    child, pid = _sleeping_child(tmp_path)
    del child
    gc.collect()
    assert gone(pid)


def test_an_interrupt_while_waiting_kills_the_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    child, pid = _sleeping_child(tmp_path)

    def interrupted(*_args: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(planner.forked.os, "waitid", interrupted)
    with pytest.raises(KeyboardInterrupt):
        child.result()
    assert gone(pid) and not child.forked


def test_a_cancel_from_another_thread_while_waiting_leaves_the_call_to_the_waiter(tmp_path: Path) -> None:
    """A plan given up cancels the child a stage's thread waits for: the child is killed and reaped once, and
    the waiting thread computes the value itself (where the plan's abandonment then stops it)."""
    child, pid = _sleeping_child(tmp_path)
    got: list[int] = []
    waiter = threading.Thread(target=lambda: got.append(child.result()))
    waiter.start()
    time.sleep(0.1)
    child.cancel()
    waiter.join(10)
    assert got == [os.getpid()] and gone(pid)


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


BLAS_BESIDE_FORKS = """
import threading
import numpy as np
from threadpoolctl import threadpool_limits
from planner.forked import Forked
threadpool_limits(2, "blas")  # as numpy starts on a machine with two cores
a, b = np.random.rand(2_000_000), np.random.rand(2_000_000)
stop, products = threading.Event(), [0]
def multiply():
    while not stop.is_set():
        np.dot(a, b)
        products[0] += 1
Forked.start(lambda: 1).result()  # BLAS to one thread before another thread computes, as the scheduler does
worker = threading.Thread(target=multiply, daemon=True)
worker.start()
for _ in range(50):
    Forked.start(lambda: 1).result()
stop.set()
worker.join(10)
print("hung" if worker.is_alive() else f"done {products[0]}")
"""


def test_forking_beside_a_thread_in_blas_does_not_hang_it() -> None:
    """OpenBLAS's fork handler stops its workers: a dot product another thread was in waited for them forever
    (without ``serial_blas`` in ``Forked.start`` this script prints ``hung``: its thread never finished one product).

    The first fork comes before the thread starts: a product already running on two threads when the limit is set
    can still be in flight at that fork (CI hung once so), which is why the scheduler limits BLAS before it starts
    its lanes (``planner.stages.schedule``)."""
    ran = subprocess.run(
        [sys.executable, "-c", BLAS_BESIDE_FORKS], capture_output=True, text=True, timeout=50, check=True
    )
    assert ran.stdout.startswith("done ") and int(ran.stdout.split()[1]) > 0


HIGHS_BESIDE_FORKS = """
import os, threading, time
import numpy as np, highspy
from planner.forked import Forked

def knapsacks(columns, seconds, threads=None):
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("time_limit", seconds)
    if threads:
        solver.setOptionValue("threads", threads)
    rows, weights = 30, np.random.default_rng(columns).integers(1, 50, (30, columns)).astype(float)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = columns, rows
    lp.col_cost_ = -np.random.default_rng(columns + 1).integers(1, 100, columns).astype(float)
    lp.col_lower_, lp.col_upper_ = np.zeros(columns), np.ones(columns)
    lp.row_lower_, lp.row_upper_ = np.full(rows, -np.inf), weights.sum(axis=1) / 3
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, rows * columns + 1, rows).astype(np.int32)
    lp.a_matrix_.index_ = np.tile(np.arange(rows), columns).astype(np.int32)
    lp.a_matrix_.value_ = weights.T.ravel()
    lp.integrality_ = [highspy.HighsVarType.kInteger] * columns
    solver.passModel(lp)
    solver.run()
    return os.getpid(), solver.modelStatusToString(solver.getModelStatus())

knapsacks(60, 1.0, threads=2)  # HiGHS's scheduler starts its workers, as on a machine with four cores
busy = threading.Thread(target=knapsacks, args=(300, 4.0, 2))
busy.start()
time.sleep(1.0)
child = Forked.start(lambda: knapsacks(80, 3.0))
watchdog = threading.Timer(20.0, child.cancel)  # a hung child is killed; the call then runs here
watchdog.start()
pid, status = child.result()
watchdog.cancel()
busy.join()
print("child" if pid != os.getpid() else "parent", status)
"""


def test_a_highs_run_in_a_child_forked_beside_a_highs_run_ends() -> None:
    """HiGHS's task scheduler is global to a process and a fork copies none of its workers: a child forked while
    another thread ran HiGHS, after HiGHS had started workers, waited in its first MIP for them forever (the testing
    stage's MIP on a large street, in a child beside the observation stage). The child now starts the scheduler
    afresh (``models.base.after_fork``); without it the child hangs until the script's watchdog kills it after 20 s
    and the call runs in the parent."""
    ran = subprocess.run(
        [sys.executable, "-c", HIGHS_BESIDE_FORKS], capture_output=True, text=True, timeout=50, check=True
    )
    assert ran.stdout.split() == ["child", "Optimal"], ran.stdout


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the child's state in Linux's /proc")
def test_ctrl_c_to_the_process_group_leaves_the_child_to_its_parent(tmp_path: Path) -> None:
    """The terminal sends SIGINT to every process of the group: the child goes on, and the parent, which decides
    whether the plan is given up, gets its value (or kills it)."""
    child, pid = _sleeping_child(tmp_path)
    os.kill(pid, signal.SIGINT)
    time.sleep(0.2)
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    assert state == "S", "still asleep, not ended (Z)"
    child.cancel()
    assert gone(pid)
