"""Calls in fresh child processes: each value comes back in order, at most ``workers`` run at once, a child shares
nothing with the caller, and whatever happens to a child the caller still gets the value (or its error) and no
child is left behind. The tests fail after a minute instead of hanging."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from functools import partial
from pathlib import Path

import pytest
from test_forked import gone

import planner.fresh
from planner.fresh import Fresh, in_fresh_children

pytestmark = pytest.mark.timeout(60)

NOTED_IN_THIS_PROCESS: list[str] = []
"""Written by the tests in the calling process; a fresh child imports this module anew and sees it empty."""


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
    assert all(gone(pid) for pid in pids)


def test_a_child_shares_nothing_with_the_caller() -> None:
    """Not a fork of this process: the module is imported anew in the child, without what this process wrote."""
    NOTED_IN_THIS_PROCESS.append("written here")
    try:
        [(pid, noted)] = in_fresh_children([what_this_process_noted], workers=1)
    finally:
        NOTED_IN_THIS_PROCESS.clear()
    assert pid != os.getpid() and noted == []


def test_without_an_interpreter_to_start_the_calls_run_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(planner.fresh.sys, "executable", "")
    assert in_fresh_children([os.getpid, os.getpid], workers=2) == [os.getpid()] * 2


def test_a_script_without_a_main_guard_runs_once(tmp_path: Path) -> None:
    """The children do not import the caller's ``__main__`` again (``multiprocessing``'s spawn and fork server
    would: this script would then run once more in each child)."""
    script = tmp_path / "unguarded.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import os, sys
            sys.path.insert(0, {str(Path(planner.fresh.__file__).parents[1])!r})
            from planner.fresh import in_fresh_children
            print("ran", flush=True)
            pids = in_fresh_children([os.getpid, os.getpid], workers=2)
            print("children", int(os.getpid() not in pids), flush=True)
            """
        )
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=50, check=True)
    assert out.stdout.split() == ["ran", "children", "1"]


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
    assert not child.started and gone(pid)


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
    while not all(gone(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert all(gone(pid) for pid in pids)
    time.sleep(0.3)
    assert [(tmp_path / f"c{k}").read_text() for k in range(2)] == [str(pid) for pid in pids], "not run here"


ZYGOTE_SCRIPT = """
import json, os, sys, time
from functools import partial
sys.path[:0] = [{repo!r}, {tests!r}]
import planner.fresh as fresh
from test_fresh import failing, noting
from pathlib import Path
assert fresh.start_zygote() and fresh.start_zygote(), "one zygote, started once"
zygote = fresh._ZYGOTE[0].pid
parents = fresh.in_fresh_children([os.getppid] * 3, workers=2)
values = fresh.in_fresh_children([partial(noting, Path({folder!r}), f"c{{k}}", 0.3) for k in range(4)], workers=2)
try:
    fresh.in_fresh_children([partial(failing, "no plan")], workers=1)
    raised = ""
except ValueError as error:
    raised = str(error)
child = fresh.Fresh.start(partial(noting, Path({folder!r}), "k", 60), lambda: "computed here")
while not (Path({folder!r}) / "k").exists() or not (Path({folder!r}) / "k").read_text():
    time.sleep(0.01)
child.cancel()
cancelled = child.result()
killed = int((Path({folder!r}) / "k").read_text())
pid = os.fork()
if pid == 0:  # a forked child of the zygote's owner: not its zygote's, so a new interpreter
    os._exit(0 if fresh._zygote() is None and fresh.in_fresh_children([os.getppid], 1) == [os.getpid()] else 1)
forked_child_ok = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
print(json.dumps(dict(zygote=zygote, parents=parents, values=values, raised=raised, forked=forked_child_ok,
                      cancelled=cancelled, killed=killed,
                      leftovers=os.listdir(fresh._ZYGOTE[0].folder), folder=fresh._ZYGOTE[0].folder)))
"""


def test_the_zygote_forks_a_worker_per_call_and_ends_with_its_parent(tmp_path: Path) -> None:
    """In a process that starts the zygote (the command line does, at its start): each call runs in a worker the
    zygote forks, at most ``workers`` at once, values in order, a call that raises raises here, nothing is left in
    its folder, and the zygote and its folder are gone once the process ends."""
    script = tmp_path / "zygote.py"
    repo, tests = Path(planner.fresh.__file__).parents[1], Path(__file__).parent
    script.write_text(ZYGOTE_SCRIPT.format(repo=str(repo), tests=str(tests), folder=str(tmp_path)))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=50, check=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["parents"] == [found["zygote"]] * 3, "each worker is the zygote's child"
    pids = [pid for pid, _, _ in found["values"]]
    assert pids == [int((tmp_path / f"c{k}").read_text()) for k in range(4)] and len(set(pids)) == 4
    for _, start, _ in found["values"]:
        assert sum(1 for _, s, e in found["values"] if s <= start < e) <= 2
    assert found["raised"] == "no plan" and found["forked"] and found["leftovers"] == []
    assert found["cancelled"] == "computed here" and _ended(found["killed"]), "a cancelled worker is killed"
    deadline = time.monotonic() + 10
    while not (_ended(found["zygote"]) and not Path(found["folder"]).exists()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _ended(found["zygote"]) and not Path(found["folder"]).exists()


def _ended(pid: int) -> bool:
    """Whether process ``pid`` has ended: gone, or a zombie its new parent has not reaped yet."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return gone(pid)
    return state in ("Z", "X")


KILLED_PARENT_SCRIPT = """
import os, signal, sys, time
from functools import partial
sys.path[:0] = [{repo!r}, {tests!r}]
import planner.fresh as fresh
from test_fresh import noting
from pathlib import Path
fresh.start_zygote()
print(fresh._ZYGOTE[0].pid, fresh._ZYGOTE[0].folder, flush=True)
child = fresh.Fresh.start(partial(noting, Path({folder!r}), "w", 60), lambda: None)
while not (Path({folder!r}) / "w").exists() or not (Path({folder!r}) / "w").read_text():
    time.sleep(0.01)
os.kill(os.getpid(), signal.SIGKILL)  # no exit handler runs
"""


def test_a_killed_parent_leaves_no_zygote_worker_or_folder(tmp_path: Path) -> None:
    """SIGKILL on the process (no exit handler runs): its zygote sees its requests end, kills the worker still
    running, removes its folder and exits."""
    script = tmp_path / "killed.py"
    repo, tests = Path(planner.fresh.__file__).parents[1], Path(__file__).parent
    script.write_text(KILLED_PARENT_SCRIPT.format(repo=str(repo), tests=str(tests), folder=str(tmp_path)))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=50)
    assert out.returncode == -9
    zygote, folder = out.stdout.split()
    worker = int((tmp_path / "w").read_text())
    deadline = time.monotonic() + 10
    while not all(_ended(pid) for pid in (int(zygote), worker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _ended(int(zygote)) and _ended(worker)
    while Path(folder).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(folder).exists()


def test_without_a_temporary_folder_there_is_no_zygote_and_nothing_breaks(tmp_path: Path) -> None:
    """No temporary folder can be made (a full or read-only disk): the command line's start does not fail, and
    the calls take new interpreters."""
    script = tmp_path / "no_tmp.py"
    repo = Path(planner.fresh.__file__).parents[1]
    script.write_text(
        f"import os, sys, tempfile; sys.path.insert(0, {str(repo)!r}); import planner.fresh as fresh\n"
        "def refused(*args, **kwargs):\n"
        "    raise OSError(28, 'No space left on device')\n"
        "tempfile.mkdtemp = refused\n"
        "started = fresh.start_zygote()\n"
        "print(started, fresh.in_fresh_children([os.getppid], 1) == [os.getpid()])\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=50, check=True)
    assert out.stdout.split() == ["False", "True"]
