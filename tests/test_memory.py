"""One malloc arena for the process (the stages solved side by side reuse each other's freed memory)."""

from __future__ import annotations

import os
import platform
import threading
from pathlib import Path

import numpy as np
import pytest

import planner.memory
from planner.memory import (
    PROCESSES_MEMORY_BUDGET,
    available_bytes,
    child_pids,
    children_peak_bytes,
    one_malloc_arena,
    peak_private_bytes,
    private_bytes,
    release_free_memory,
    resident_bytes,
    room_for_a_child_in_budget,
    room_for_a_copy,
)


def test_the_environment_rules_when_it_sets_the_arenas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert one_malloc_arena() is False


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's arenas are glibc's")
def test_glibc_takes_one_arena(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert one_malloc_arena() is True


def test_other_systems_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.setattr("sys.platform", "darwin")
    assert one_malloc_arena() is False


def _resident_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_free_heap_memory_goes_back_to_the_system() -> None:
    """Small blocks freed below a live one stay with malloc until they are released (before a fork)."""
    blocks = [bytes(4000) for _ in range(60_000)]  # about 240 MB of blocks malloc keeps on its heap
    kept = [blocks[index] for index in range(0, len(blocks), 100)]  # a live block every so often
    del blocks
    before = _resident_mb()
    assert release_free_memory() is True
    assert _resident_mb() < before - 100
    assert kept


def test_releasing_memory_on_other_systems_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "darwin")
    assert release_free_memory() is False


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="Linux's /proc")
def test_the_resident_memory_grows_with_what_the_process_holds() -> None:
    before = resident_bytes()
    held = bytearray(64 * 1024**2)
    held[::4096] = b"x" * len(held[::4096])  # touch every page
    after = resident_bytes()
    assert before is not None and after is not None and after - before >= 60 * 1024**2


def test_the_resident_memory_is_unknown_without_proc(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(*_args: object, **_kwargs: object) -> None:
        raise FileNotFoundError("/proc/self/statm")

    monkeypatch.setattr("builtins.open", missing)
    assert resident_bytes() is None


@pytest.mark.skipif(not Path("/proc/meminfo").exists(), reason="Linux's /proc")
def test_a_copy_of_the_process_fits_where_the_system_has_that_much_available(monkeypatch: pytest.MonkeyPatch) -> None:
    available = available_bytes()
    assert available is not None and available > 0
    monkeypatch.setattr(planner.memory, "resident_bytes", lambda: 1024**3)
    monkeypatch.setattr(planner.memory, "available_bytes", lambda: 2 * 1024**3)
    assert room_for_a_copy()
    monkeypatch.setattr(planner.memory, "available_bytes", lambda: 512 * 1024**2)
    assert not room_for_a_copy(), "a child touching every page would need another GB"
    monkeypatch.setattr(planner.memory, "available_bytes", lambda: None)
    assert not room_for_a_copy(), "unknown counts as no room"


def test_private_bytes_leave_out_what_a_child_shares_with_its_parent() -> None:
    held = np.ones(200 * 1024**2 // 8)  # 200 MB touched here, shared with the child after the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child waits to be measured
        os.close(write)
        os.read(read, 1)
        os._exit(0)
    os.close(read)
    try:
        resident, private = resident_bytes(pid), private_bytes(pid)
        assert resident is not None and private is not None
        assert resident > 150 * 1024**2 > private  # its resident memory counts the shared pages, its own do not
    finally:
        os.write(write, b"x")
        os.waitpid(pid, 0)
    assert private_bytes(pid) is None  # gone
    del held


def test_a_child_fits_the_budget_with_its_share_of_the_process_and_the_children_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gb = 10**9
    monkeypatch.setattr(planner.memory, "children_peak_bytes", lambda: 0)
    monkeypatch.setattr(planner.memory, "resident_bytes", lambda: gb)
    assert 2 * gb == PROCESSES_MEMORY_BUDGET and room_for_a_child_in_budget()  # 1 + 0.5 GB
    monkeypatch.setattr(planner.memory, "children_peak_bytes", lambda: int(0.6 * gb))
    assert not room_for_a_child_in_budget(), "1 + 0.5 + 0.6 GB"
    assert room_for_a_child_in_budget(share=0.3), "1 + 0.3 + 0.6 GB"
    monkeypatch.setattr(planner.memory, "children_peak_bytes", lambda: 0)
    monkeypatch.setattr(planner.memory, "resident_bytes", lambda: int(1.4 * gb))
    assert not room_for_a_child_in_budget(), "1.4 + 0.7 GB"
    monkeypatch.setattr(planner.memory, "resident_bytes", lambda: None)
    assert not room_for_a_child_in_budget(), "unknown counts as no room"


@pytest.mark.skipif(platform.system() != "Linux", reason="reads /proc")
def test_the_children_count_at_their_peak() -> None:
    before = children_peak_bytes()
    ready_read, ready_write = os.pipe()
    done_read, done_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child held 100 MB of its own, gave it back, and waits to be measured
        held = np.ones(100 * 1024**2 // 8)
        del held
        release_free_memory()
        os.write(ready_write, b"x")
        os.read(done_read, 1)
        os._exit(0)
    try:
        os.read(ready_read, 1)
        now, peak = private_bytes(pid), peak_private_bytes(pid)
        assert now is not None and peak is not None
        assert now < 50 * 1024**2 and peak >= 95 * 1024**2  # it holds little now, 100 MB at its peak
        assert children_peak_bytes() - before >= 95 * 1024**2
    finally:
        os.write(done_write, b"x")
        os.waitpid(pid, 0)
        for fd in (ready_read, ready_write, done_read, done_write):
            os.close(fd)
    assert children_peak_bytes() < before + 95 * 1024**2  # gone
    assert peak_private_bytes(pid) is None


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="Linux's /proc only")
def test_a_child_forked_by_another_thread_is_a_child_of_the_process() -> None:
    """Linux lists a child under the thread that forked it, while that thread lives (the stage lanes fork from pool
    threads that wait for their child)."""
    done_read, done_write = os.pipe()
    forked: list[int] = []
    seen, checked = threading.Event(), threading.Event()

    def fork_and_wait() -> None:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child waits to be seen
            os.read(done_read, 1)
            os._exit(0)
        forked.append(pid)
        seen.set()
        checked.wait(30)

    thread = threading.Thread(target=fork_and_wait)
    thread.start()
    try:
        assert seen.wait(30)
        main_thread_only = Path(f"/proc/self/task/{os.getpid()}/children").read_text().split()
        assert str(forked[0]) not in main_thread_only
        assert forked[0] in child_pids()
        assert forked[0] in child_pids(os.getpid())
    finally:
        checked.set()
        thread.join()
        os.write(done_write, b"x")
        if forked:
            os.waitpid(forked[0], 0)
        os.close(done_read)
        os.close(done_write)
    assert forked[0] not in child_pids()
    assert child_pids(2**22 + 1) == []
