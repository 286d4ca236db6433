"""bench.tree_memory: the memory a command's whole process tree holds, children forked by any thread included."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.tree_memory import TreeSampler, descendants, main, proportional_bytes, watch
from planner.memory import child_pids

pytestmark = pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="Linux's /proc only")

HELD = 200_000_000
"""Bytes the grandchild writes and holds."""

FORKS_FROM_A_THREAD = f"""
import os, sys, threading, time
ready = sys.argv[1]
def fork_and_wait():
    pid = os.fork()
    if pid == 0:
        held = b"x" * {HELD}
        with open(ready, "w") as note:
            note.write(str(os.getpid()))
        time.sleep(3.0)
        os._exit(0)
    os.waitpid(pid, 0)
thread = threading.Thread(target=fork_and_wait)
thread.start()
thread.join()
"""


def _command(tmp_path: Path) -> list[str]:
    script = tmp_path / "forks.py"
    script.write_text(FORKS_FROM_A_THREAD)
    return [sys.executable, str(script), str(tmp_path / "ready")]


def _wait_for(path: Path, seconds: float = 30.0) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.02)
    raise AssertionError(f"{path} was not written")


def test_a_child_forked_by_a_thread_is_found_where_the_main_threads_list_misses_it(tmp_path: Path) -> None:
    process = subprocess.Popen(_command(tmp_path))
    try:
        grandchild = int(_wait_for(tmp_path / "ready"))
        main_thread_only = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        assert str(grandchild) not in main_thread_only
        assert grandchild in child_pids(process.pid)
        assert descendants(process.pid) == [process.pid, grandchild]
        assert proportional_bytes(grandchild) >= HELD * 0.9
    finally:
        process.wait()
    assert child_pids(process.pid) == []
    assert proportional_bytes(process.pid) == 0


def test_the_peak_counts_what_the_grandchild_holds(tmp_path: Path) -> None:
    run = watch(_command(tmp_path), interval=0.05)
    assert run.exit_code == 0
    assert run.peak_bytes >= HELD * 0.9
    assert len(run.peak_by_process) == 2
    assert max(run.peak_by_process.values()) >= HELD * 0.9
    assert run.samples > 10


def test_the_command_line_prints_one_json_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--interval", "0.05", "--", *_command(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["exit_code"] == 0
    assert report["peak_gb"] >= HELD * 0.9 / 1e9
    assert report["peak_bytes"] == sum(report["peak_by_process"].values())


def test_a_failing_command_and_a_bad_interval(tmp_path: Path) -> None:
    assert main(["--", sys.executable, "-c", "raise SystemExit(3)"]) == 1
    with pytest.raises(ValueError, match="Expected a sampling interval > 0 s"):
        watch([sys.executable, "-c", "pass"], interval=0.0)


def test_the_sampler_counts_a_child_forked_by_a_thread_of_this_process(tmp_path: Path) -> None:
    with TreeSampler(interval=0.02) as sampler:
        process = subprocess.Popen(_command(tmp_path))  # its grandchild holds HELD for 3 s
        _wait_for(tmp_path / "ready")
        time.sleep(0.2)
        process.wait()
    assert sampler.run.peak_bytes >= HELD * 0.9
    assert len(sampler.run.peak_by_process) >= 3  # this process, the command, its grandchild
    assert sampler.run.samples > 10
    with pytest.raises(ValueError, match="Expected a sampling interval > 0 s"):
        TreeSampler(interval=-1.0)
