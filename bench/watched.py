"""A baseline's stages in a child process, watched: stopped at a memory cap or a wall limit, its finished stages kept.

The HiGHS baseline solves PuLP's models in-process (``scipy.optimize.milp``). At the province its branch and bound
grew past the 24 GB of the machine in 12 minutes and the kernel's out-of-memory killer ended the whole benchmark,
epiplan's results with it (``bench/results/highs-baseline.md``). Run here, the baseline is a forked child that
sends each stage's result as it finishes; this process samples the child's resident memory and kills it when it
passes :attr:`Watch.memory_bytes` or runs past :attr:`Watch.wall_seconds`. The stage that was running, and those
after it, are then ``error`` results that say why, so the comparison reads the baseline as stopped (its wall time
a lower bound on a finished solve) and the benchmark writes its result whatever the baseline does.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from bench.inputs import STAGES, BenchInstance, MethodResult, StageRun, run_method
from models.base import StageResult
from planner.forked import serial_blas
from planner.memory import resident_bytes

GIB = 1024**3


@dataclass(frozen=True)
class Watch:
    """The limits a watched baseline runs within."""

    memory_bytes: int = 8 * GIB
    """Resident memory of the child at which it is killed (the machine has 24 GB; 8 leaves room for the rest)."""
    wall_seconds: float = 3600.0
    """Seconds after which the child is killed, whatever its stages' own time limits say."""
    poll_seconds: float = 0.2
    """How often the child's memory is sampled."""

    def __post_init__(self) -> None:
        if self.memory_bytes <= 0:
            raise ValueError(f"Expected a memory cap > 0 bytes, got {self.memory_bytes}.")
        if not self.wall_seconds > 0:
            raise ValueError(f"Expected a wall limit > 0 s, got {self.wall_seconds}.")


@dataclass
class Watched:
    """What a watched run gives: the method's result (every stage, the unfinished ones ``error``), the extra
    ``after`` call's value (None when it did not finish), why the child was stopped (None when it finished), and
    the child's peak resident memory in MB (sampled, and as the child reports it)."""

    result: MethodResult
    after: Any = None
    stopped: str | None = None
    peak_rss_mb: float = 0.0
    messages: list[str] = field(default_factory=list)


def run_watched(
    method: str,
    instance: BenchInstance,
    runs: Mapping[str, StageRun],
    watch: Watch,
    after: Callable[[MethodResult], Any] | None = None,
) -> Watched:
    """Run ``runs`` (as :func:`bench.inputs.run_method` would) in a forked child under ``watch``; ``after``, given
    the finished method's result, runs in the child too and its value comes back (a further measurement).

    Never raises for what the child does: a child that raised, died, or was killed leaves ``error`` stages."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    serial_blas()  # a BLAS call in another thread would wait forever for workers the fork stops (planner.forked)
    child = context.Process(target=_child, args=(send, method, instance, runs, after), daemon=True)
    start = time.perf_counter()
    child.start()
    send.close()
    watched = _watch(method, tuple(runs), child, receive, watch, start)
    receive.close()
    return watched


def _child(  # pragma: no cover - runs in the child
    send: Connection,
    method: str,
    instance: BenchInstance,
    runs: Mapping[str, StageRun],
    after: Callable[[MethodResult], Any] | None,
) -> None:
    """The method's stages, each announced before it starts and sent when it ends, then ``after``'s value."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides

    def announced(name: str, run: StageRun) -> StageRun:
        def wrapped(bench_instance: BenchInstance, earlier: Mapping[str, StageResult]) -> StageResult:
            send.send(("start", name))
            clock = time.perf_counter()
            result = run(bench_instance, earlier)
            send.send(("stage", name, result, time.perf_counter() - clock, _own_peak_mb()))
            return result

        return wrapped

    try:
        result = run_method(method, instance, {name: announced(name, run) for name, run in runs.items()})
        send.send(("after", after(result) if after is not None else None))
        send.send(("done", _own_peak_mb()))
    except BaseException as error:  # the parent reports it; the child only ends
        send.send(("raised", f"{type(error).__name__}: {error}"))
    finally:
        send.close()


def _own_peak_mb() -> float:  # pragma: no cover - runs in the child
    """The child's own peak resident memory so far, MB (what sampling between messages can miss)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _watch(method: str, names: tuple[str, ...], child: Any, receive: Connection, watch: Watch, start: float) -> Watched:
    """Read the child's messages, sampling its memory after each and at least every ``watch.poll_seconds``, until
    it ends or is killed."""
    stages: dict[str, StageResult] = {}
    seconds: dict[str, float] = {}
    running: tuple[str, float] | None = None
    watched = Watched(MethodResult(method, {}, 0.0))
    done = False
    while not done and watched.stopped is None:
        if receive.poll(watch.poll_seconds):
            try:
                message = receive.recv()
            except (EOFError, OSError):
                watched.stopped = _ended(child)
                break
            kind = message[0]
            if kind == "start":
                running = (message[1], time.perf_counter())
            elif kind == "stage":
                stages[message[1]], seconds[message[1]], running = message[2], message[3], None
                watched.peak_rss_mb = max(watched.peak_rss_mb, message[4])
            elif kind == "after":
                watched.after = message[1]
            elif kind == "raised":
                watched.stopped = f"the baseline raised {message[1]}"
            else:
                watched.peak_rss_mb, done = max(watched.peak_rss_mb, message[1]), True
        if done or watched.stopped is not None:
            break
        resident = resident_bytes(child.pid) or 0
        watched.peak_rss_mb = max(watched.peak_rss_mb, resident / 1024**2)
        watched.stopped = _past_a_limit(resident, time.perf_counter() - start, watch)
    _end(child)
    total = time.perf_counter() - start
    if running is not None:
        seconds[running[0]] = time.perf_counter() - running[1]
    for name in (n for n in STAGES if n in names and n not in stages):
        reason = watched.stopped or "not run"
        stages[name] = StageResult.failed(name, f"not finished: {reason}", seconds.get(name, 0.0), {})
    watched.result = MethodResult(method, stages, total, seconds)
    return watched


def _past_a_limit(resident: int, elapsed: float, watch: Watch) -> str | None:
    """Why the child must stop now (its memory, its time), or None."""
    if resident > watch.memory_bytes:
        return (
            f"stopped at the memory cap: the child held {resident / GIB:.1f} GB resident, over the "
            f"{watch.memory_bytes / GIB:.1f} GB it may use, after {elapsed:.0f} s"
        )
    if elapsed > watch.wall_seconds:
        return f"stopped at the wall limit of {watch.wall_seconds:.0f} s"
    return None


def _ended(child: Any) -> str:
    """Why a child closed its pipe without saying it was done."""
    child.join(5.0)
    code = child.exitcode
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        return f"the child was ended by signal {name} (the kernel's out-of-memory killer sends SIGKILL)"
    return f"the child ended with exit status {code}"


def _end(child: Any) -> None:
    """Kill the child if it still runs, and reap it."""
    if child.is_alive():
        os.kill(child.pid, signal.SIGKILL)
    child.join()
