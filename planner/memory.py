"""Keeping the process's memory small: one malloc arena for the whole process, so that two stages solved side by
side reuse each other's freed memory, and free memory handed back to the system before a fork.

glibc gives each thread that allocates its own arena (up to eight per core); memory one stage frees in its
arena is not reused by the stage in the other thread, nor returned to the system while the arena holds a live
block above it. Measured on the national sample (``epiplan solve ... --snapshot --out plan.xlsx --out
plan.json``, 10 s limit, two lanes): peak RSS 2.19-2.30 GB with an arena per thread, 1.74 GB with one, in the
same time (60.4 against 59.7 s). ``MALLOC_ARENA_MAX`` in the environment is left to rule.

After solving, much of the heap is free but kept by malloc (national: 1.41 GB resident after ``make_plan``,
0.75 GB after ``malloc_trim``, which took 18 ms). A forked child (``planner.forked``) shares the parent's
resident pages, so every page given back before the fork is one the two processes do not hold between them.
``make_plan`` hands the heap back between its reports too (national daily: 2.05 -> 1.14 GB after it).

A child that is a choice (report work beside the stages, a file written beside another) starts only within one
budget for the process and its children (:func:`room_for_a_child_in_budget`), the running children counted at their
peak. The budget does not govern the stages' own lanes: the national daily plan holds up to 1.94 GB (every process
counted, ``bench.tree_memory``) while the observation stage here and the drug stage in a lane's child solve side by
side (2.05-2.12 GB before HiGHS stopped holding an observation model no LP would run on; the nursing timeline's child
beside that lane's child solving the testing stage took 2.09-2.13 GB before the timeline's day models started from
fewer arcs, ``planner.stages.nursing.TIMELINE_POOLS_PER_NEED``; ``bench/results/national-memory-2026-12-07.md``)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys

PROCESSES_MEMORY_BUDGET = 2 * 10**9
"""Bytes a plan's process and its children may hold between them when a child is a choice, not a need (report work
started beside the stages, a file written beside another): the national target of issue 11, 2 GB (of 10^9 bytes, as
the benchmark counts them). Without the child the work is done in this process, later or one file after the other."""
CHILD_COPY_SHARE = 0.5
"""The share of the parent's resident memory a forked child comes to hold of its own: the pages it touches (reading a
table's text cells writes their reference counts) and the pages the parent rewrites meanwhile are copied. Measured on
the national sample: 0.49 GB for a parent of 0.93 GB (the details zip and the JSON), 0.31-0.37 GB for one of 0.85 GB
(the drug stage's pack probes)."""
M_ARENA_MAX = -8
"""``mallopt``'s parameter for the most arenas (glibc's ``malloc.h``)."""


def _libc() -> ctypes.CDLL | None:
    """The C library, on Linux (None elsewhere, or when it cannot be found)."""
    return _loaded_libc() if sys.platform.startswith("linux") else None


@functools.cache
def _loaded_libc() -> ctypes.CDLL | None:
    """The C library, found once: ``find_library`` runs ``ldconfig -p`` in a subprocess (1.7 ms), and every fork
    releases memory first."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name is not None else None
    except OSError:
        return None


def resident_bytes(pid: int | None = None) -> int | None:
    """The resident memory in bytes of this process, or of process ``pid`` (Linux's ``/proc/<pid>/statm``); None
    where it cannot be read (no such process)."""
    try:
        with open(f"/proc/{'self' if pid is None else pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def rollup_bytes(pid: int, prefix: str) -> int | None:
    """The fields of ``/proc/<pid>/smaps_rollup`` whose names start with ``prefix`` (``"Private_"``, ``"Pss:"``),
    summed, in bytes; None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            return sum(int(line.split(":", 1)[1].split()[0]) for line in rollup if line.startswith(prefix)) * 1024
    except (OSError, ValueError, IndexError):
        return None


def private_bytes(pid: int) -> int | None:
    """Memory process ``pid`` holds alone, in bytes: its private pages (``Private_Clean + Private_Dirty`` of
    ``/proc/<pid>/smaps_rollup``), without the pages a forked child still shares with its parent, which its
    resident memory counts too; None where it cannot be read."""
    return rollup_bytes(pid, "Private_")


def available_bytes() -> int | None:
    """Memory the system can give without swapping (Linux's ``MemAvailable``); None where it cannot be read."""
    try:
        with open("/proc/meminfo") as meminfo:
            line = next(line for line in meminfo if line.startswith("MemAvailable:"))
        return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def room_for_a_copy() -> bool:
    """Whether the system could hold a second copy of this process: a forked child that touches every page it
    shares with its parent copies them all (and the kernel's out-of-memory killer would end the larger process,
    the parent). Unknown counts as no room."""
    resident, available = resident_bytes(), available_bytes()
    return resident is not None and available is not None and available >= resident


def peak_private_bytes(pid: int) -> int | None:
    """The most memory process ``pid`` has held alone, estimated: its resident high-water mark (``VmHWM`` of
    ``/proc/<pid>/status``) less the pages it shares now (resident less :func:`private_bytes`). A child whose memory
    rises and falls (the nursing rows' child: 0.45-0.78 GB of its own, a model a day) counts at its peak, not at the
    moment it is asked. None where it cannot be read."""
    private, resident = private_bytes(pid), resident_bytes(pid)
    if private is None or resident is None:
        return private
    try:
        with open(f"/proc/{pid}/status") as status:
            peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
    except (OSError, ValueError, IndexError, StopIteration):
        return private
    return max(private, peak - (resident - private))


def child_pids(pid: int | None = None) -> list[int]:
    """The children of this process (or of process ``pid``), forked by any of its threads: Linux lists a child under
    the thread that forked it (``/proc/<pid>/task/<tid>/children``), and the stage lanes fork from pool threads. Empty
    where they cannot be read (no such process)."""
    process = "self" if pid is None else str(pid)
    try:
        threads = os.listdir(f"/proc/{process}/task")
    except OSError:
        return []
    found: list[int] = []
    for thread in threads:
        try:
            with open(f"/proc/{process}/task/{thread}/children") as listed:
                found.extend(int(child) for child in listed.read().split())
        except (OSError, ValueError):
            continue
    return found


def children_peak_bytes() -> int:
    """Memory the children of this process have held alone at their peak (:func:`peak_private_bytes`), summed; 0
    where it cannot be read."""
    return sum(peak_private_bytes(pid) or 0 for pid in set(child_pids()))


def room_for_a_child_in_budget(share: float = CHILD_COPY_SHARE) -> bool:
    """Whether this process, what a forked child adds (``share`` of this process's resident memory) and what its
    children have held alone at their peak (:func:`children_peak_bytes`) stay within :data:`PROCESSES_MEMORY_BUDGET`;
    the heap's free memory is handed back first (a fork does the same). Unknown resident memory counts as no
    room."""
    release_free_memory()
    resident = resident_bytes()
    if resident is None:
        return False
    return resident * (1 + share) + children_peak_bytes() <= PROCESSES_MEMORY_BUDGET


def release_free_memory() -> bool:
    """Hand the heap's free memory back to the system (glibc's ``malloc_trim``); whether any was released."""
    libc = _libc()
    try:
        return libc is not None and bool(libc.malloc_trim(0))
    except AttributeError:  # not glibc
        return False


def one_malloc_arena() -> bool:
    """Ask glibc for one arena for every thread of the process; whether it was set (not on other systems, nor
    when ``MALLOC_ARENA_MAX`` is set)."""
    libc = None if "MALLOC_ARENA_MAX" in os.environ else _libc()
    try:
        return libc is not None and bool(libc.mallopt(M_ARENA_MAX, 1))
    except AttributeError:  # not glibc (musl has no mallopt)
        return False
