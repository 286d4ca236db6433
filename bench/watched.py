"""A baseline's stages in child processes, watched: a stage stopped at a memory cap or a wall limit, the others kept.

The HiGHS baseline solves PuLP's models in-process (``scipy.optimize.milp``). At the province its branch and bound
grew past the 24 GB of the machine in 12 minutes and the kernel's out-of-memory killer ended the whole benchmark,
epiplan's results with it (``bench/results/highs-baseline.md``). Run here, the baseline is a forked child that
sends each stage's result as it finishes; this process samples the memory the child holds alone and kills it when
it passes :attr:`Watch.memory_bytes`. The stage it was solving is then an ``error`` result that says why, and a new
child solves the stages after it (a stage that reads the stopped one fails as it would on any stage without a
plan), so the comparison still has every stage the baseline can solve. Past :attr:`Watch.wall_seconds`, counted
from the first child's start, the child is killed and no other starts. The comparison reads a stopped stage as
unfinished, so the baseline's wall time is a lower bound on a finished solve.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from bench.inputs import STAGES, BenchInstance, MethodResult, StageRun
from models.base import StageResult
from planner.forked import serial_blas
from planner.memory import private_bytes

GIB = 1024**3
After = Callable[[MethodResult], Any]
"""A further measurement made in the child once every stage is in, given the method's result."""


@dataclass(frozen=True)
class Watch:
    """The limits a watched baseline runs within."""

    memory_bytes: int = 8 * GIB
    """Memory a child holds alone (its private pages: not those it still shares with this process, which a fork
    leaves it) at which it is killed (the machine has 24 GB; 8 leaves room for the rest)."""
    wall_seconds: float = 3600.0
    """Seconds after which the child is killed and no other starts, whatever the stages' own time limits say."""
    poll_seconds: float = 0.2
    """How often the child's memory is sampled."""

    def __post_init__(self) -> None:
        if self.memory_bytes <= 0:
            raise ValueError(f"Expected a memory cap > 0 bytes, got {self.memory_bytes}.")
        if not self.wall_seconds > 0:
            raise ValueError(f"Expected a wall limit > 0 s, got {self.wall_seconds}.")


@dataclass
class Watched:
    """What a watched run gives: the method's result (every stage; those stopped or never run ``error`` with the
    reason), the ``after`` call's value (None when it did not finish), why each stopped stage was stopped, the
    children's peak resident memory in MB as each reports it (with the pages still shared with this process), and
    the peak of what a child held alone (sampled; the memory cap applies to it)."""

    result: MethodResult
    after: Any = None
    stopped: dict[str, str] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    peak_private_mb: float = 0.0


@dataclass
class _Progress:
    """What the children have sent so far."""

    stages: dict[str, StageResult] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    running: tuple[str, float] | None = None
    after: Any = None
    done: bool = False
    peak_mb: float = 0.0
    peak_private_mb: float = 0.0


def run_watched(
    method: str, instance: BenchInstance, runs: Mapping[str, StageRun], watch: Watch, after: After | None = None
) -> Watched:
    """Run ``runs`` in pipeline order (as :func:`bench.inputs.run_method` would) in forked children under
    ``watch``; ``after``, given the method's result once every stage is in, runs in the child too and its value
    comes back.

    Never raises for what a child does: a stage whose child raised, died or was killed is ``error`` with the
    reason, and the next child goes on from the stage after it."""
    names = [name for name in STAGES if name in runs]
    progress, stopped = _Progress(), {}
    start = time.perf_counter()
    while not progress.done:
        left = [name for name in names if name not in progress.stages]
        reason = _one_child(method, instance, runs, left, after, progress, watch, start)
        if reason is None:
            continue
        if progress.running is None:  # stopped in ``after``, or before a stage began: nothing more to run
            left = [name for name in names if name not in progress.stages]
            stopped[left[0] if left else "after"] = reason
            break
        name, began = progress.running
        progress.stages[name] = StageResult.failed(name, f"not finished: {reason}", time.perf_counter() - began, {})
        progress.seconds[name], progress.running, stopped[name] = time.perf_counter() - began, None, reason
        if time.perf_counter() - start > watch.wall_seconds:
            break
    for name in (n for n in names if n not in progress.stages):
        progress.stages[name] = StageResult.failed(name, f"not run: {list(stopped.values())[-1]}", 0.0, {})
    result = MethodResult(method, progress.stages, time.perf_counter() - start, progress.seconds)
    return Watched(result, progress.after, stopped, progress.peak_mb, progress.peak_private_mb)


def _one_child(
    method: str,
    instance: BenchInstance,
    runs: Mapping[str, StageRun],
    left: Sequence[str],
    after: After | None,
    progress: _Progress,
    watch: Watch,
    start: float,
) -> str | None:
    """One child solving the stages ``left`` (given the results in ``progress``), then ``after``; why it was
    stopped, or None when it sent everything."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    serial_blas()  # a BLAS call in another thread would wait forever for workers the fork stops (planner.forked)
    arguments = (send, method, instance, runs, left, dict(progress.stages), after)
    child = context.Process(target=_child, args=arguments, daemon=True)
    child.start()
    send.close()
    try:
        return _watch(child, receive, watch, start, progress)
    finally:
        _end(child)
        receive.close()


def _child(  # pragma: no cover - runs in the child
    send: Connection,
    method: str,
    instance: BenchInstance,
    runs: Mapping[str, StageRun],
    left: Sequence[str],
    stages: dict[str, StageResult],
    after: After | None,
) -> None:
    """The stages ``left``, each announced before it starts and sent when it ends, then ``after``'s value."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    try:
        start = time.perf_counter()
        for name in left:
            send.send(("start", name))
            clock = time.perf_counter()
            stages[name] = runs[name](instance, stages)
            send.send(("stage", name, stages[name], time.perf_counter() - clock, _own_peak_mb()))
        value = after(MethodResult(method, stages, time.perf_counter() - start)) if after is not None else None
        send.send(("after", value, _own_peak_mb()))
    except BaseException as error:  # the parent reports it; the child only ends
        send.send(("raised", f"{type(error).__name__}: {error}"))
    finally:
        send.close()


def _own_peak_mb() -> float:  # pragma: no cover - runs in the child
    """The child's own peak resident memory so far, MB (what sampling between messages can miss)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _watch(child: Any, receive: Connection, watch: Watch, start: float, progress: _Progress) -> str | None:
    """Read the child's messages into ``progress``, sampling its memory after each and at least every
    ``watch.poll_seconds``, until it has sent everything (None) or must stop (why)."""
    while True:
        if receive.poll(watch.poll_seconds):
            try:
                message = receive.recv()
            except (EOFError, OSError):
                return _ended(child)
            raised = _read(message, progress)
            if raised is not None:
                return raised
            if progress.done:
                return None
        private = private_bytes(child.pid) or 0
        progress.peak_private_mb = max(progress.peak_private_mb, private / 1024**2)
        reason = _past_a_limit(private, time.perf_counter() - start, watch)
        if reason is not None:
            return reason


def _read(message: tuple[Any, ...], progress: _Progress) -> str | None:
    """One message into ``progress``; the child's error, if it sent one."""
    kind = message[0]
    if kind == "start":
        progress.running = (message[1], time.perf_counter())
    elif kind == "stage":
        progress.stages[message[1]], progress.seconds[message[1]], progress.running = message[2], message[3], None
        progress.peak_mb = max(progress.peak_mb, message[4])
    elif kind == "after":
        progress.after, progress.done = message[1], True
        progress.peak_mb = max(progress.peak_mb, message[2])
    else:
        return f"the baseline raised {message[1]}"
    return None


def _past_a_limit(private: int, elapsed: float, watch: Watch) -> str | None:
    """Why the child must stop now (its memory, the time), or None."""
    if private > watch.memory_bytes:
        return (
            f"stopped at the memory cap: the child held {private / GIB:.1f} GB of its own, over the "
            f"{watch.memory_bytes / GIB:.1f} GB it may use, {elapsed:.0f} s into the baseline"
        )
    if elapsed > watch.wall_seconds:
        return f"stopped at the wall limit of {watch.wall_seconds:.0f} s"
    return None


def _ended(child: Any) -> str:
    """Why a child closed its pipe without sending everything."""
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
