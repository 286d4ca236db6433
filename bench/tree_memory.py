"""The memory a command and every process it starts hold between them: ``python -m bench.tree_memory -- CMD ...``.

Every ``interval`` seconds the proportional set size (PSS, ``/proc/<pid>/smaps_rollup``) of the command's process and
of each of its descendants is read and summed: a page ``n`` processes share counts ``1/n`` in each of them, so the
sum counts each page once, and a forked child adds only the pages it has come to hold alone. Prints one JSON line:
the wall seconds, the exit code, the peak in bytes, when it was reached and each process's part of it.

Descendants are found through the children of **every thread** (``planner.memory.child_pids``): Linux lists a child
under the thread that forked it, and the pipeline forks from its threads (a stage lane in a child is forked by
the pool thread that waits for it, ``planner.stages.schedule``). A sampler that read the main thread's children only
missed the drug stage's child, which holds up to 1.1 GB beside the observation stage at national: it recorded the
national daily plan at 1.87-1.90 GB where this one finds 2.5 GB (``bench/results/tree-memory-2026-12-07.md``).
Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from types import TracebackType

from planner.memory import child_pids, rollup_bytes

SAMPLE_SECONDS = 0.1
"""How often the tree is read by default (a national run's memory rises by 0.1-0.2 GB within a second)."""


def descendants(pid: int) -> list[int]:
    """Process ``pid`` and every process below it, parents before their children."""
    tree, waiting = [], [pid]
    while waiting:
        process = waiting.pop()
        tree.append(process)
        waiting.extend(child_pids(process))
    return tree


def proportional_bytes(pid: int) -> int:
    """Process ``pid``'s proportional set size in bytes (0 when it is gone or has ended)."""
    return rollup_bytes(pid, "Pss:") or 0


def tree_bytes(pid: int) -> dict[int, int]:
    """Each process of the tree under ``pid`` (itself included) with its proportional set size in bytes."""
    return {process: proportional_bytes(process) for process in descendants(pid)}


@dataclass
class TreeMemory:
    """A command's run: its wall seconds and exit code, and the most memory its processes held at once."""

    command: list[str]
    wall_seconds: float = 0.0
    exit_code: int | None = None
    peak_bytes: int = 0
    peak_seconds: float = 0.0
    """When the peak was sampled, in seconds from the start."""
    peak_by_process: dict[int, int] = field(default_factory=dict)
    samples: int = 0

    def sample(self, pid: int, seconds: float) -> None:
        """Read the tree under ``pid`` once; keep it when it holds more than the peak so far."""
        parts = tree_bytes(pid)
        total = sum(parts.values())
        self.samples += 1
        if total > self.peak_bytes:
            self.peak_bytes, self.peak_seconds, self.peak_by_process = total, seconds, parts


def checked_interval(interval: float) -> float:
    """``interval`` when it is a positive number of seconds; raises ``ValueError`` otherwise."""
    if not interval > 0:
        raise ValueError(f"Expected a sampling interval > 0 s, got {interval}.")
    return interval


def watch(command: Sequence[str], interval: float = SAMPLE_SECONDS) -> TreeMemory:
    """Run ``command`` (its output discarded) and sample its process tree every ``interval`` seconds until it ends."""
    checked_interval(interval)
    run = TreeMemory(list(command))
    start = time.perf_counter()
    process = subprocess.Popen(run.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while process.poll() is None:
            run.sample(process.pid, time.perf_counter() - start)
            time.sleep(interval)
    finally:
        if process.poll() is None:
            process.kill()
        run.exit_code = process.wait()
    run.wall_seconds = time.perf_counter() - start
    return run


class TreeSampler:
    """This process's tree sampled in a thread while the ``with`` block runs (``epiplan bench`` around its plans):
    :attr:`run` holds the peak. A read of a process's PSS takes about 0.3 ms, so sampling every 0.1 s costs the
    plans nothing measurable."""

    def __init__(self, interval: float = SAMPLE_SECONDS) -> None:
        self.interval = checked_interval(interval)
        self.run = TreeMemory([sys.executable])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="tree-memory", daemon=True)
        self._start = 0.0

    def _sample(self) -> None:
        while True:
            self.run.sample(os.getpid(), time.perf_counter() - self._start)
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> TreeSampler:
        self._start = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.run.sample(os.getpid(), time.perf_counter() - self._start)
        self.run.wall_seconds = time.perf_counter() - self._start


def main(argv: list[str] | None = None) -> int:
    """Print the run of the command after ``--`` as one JSON line (bytes; GB of 10^9 bytes beside them)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interval", type=float, default=SAMPLE_SECONDS, help="seconds between samples")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, after --")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    run = watch(command, args.interval)
    report = asdict(run)
    report["peak_gb"] = round(run.peak_bytes / 1e9, 3)
    report["peak_by_process_gb"] = {str(pid): round(held / 1e9, 3) for pid, held in run.peak_by_process.items()}
    report["wall_seconds"] = round(run.wall_seconds, 1)
    report["peak_seconds"] = round(run.peak_seconds, 1)
    print(json.dumps(report))
    return 0 if run.exit_code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
