"""Solving the stages of a plan, two at a time where one does not read the other's result.

A stage reads only the results of the stages it names in :attr:`~planner.stages.base.Stage.reads` (the nursing
stage reads where the observation stage placed disabled persons; the others read none), and it is given a
context that holds those results and no others, so a result read without being named fails the same way at
every run instead of depending on which stage finished first. Every stage is pure, so the plan does not depend
on the order: ``lanes=1`` solves the stages one after the other in the registry's order, in the calling thread.

With two lanes each stage is started as soon as a lane is free and the results it reads are in, in the
registry's order. OR-Tools' flows hold the GIL (:attr:`Stage.holds_gil`), so two flow stages in threads would
share one core while both their time limits ran (measured: the national nursing stage, beside the drug stage,
stopped unproven at its 10 s limit where alone it is proven in 5.7 s). So one flow stage solves in this process
at a time; a second one solves in a forked child with its own interpreter (``planner.forked``: its result and
inputs come back pickled), and waits where the platform cannot fork or the system has no memory for a second
copy of the process (``planner.memory.room_for_a_copy``). HiGHS releases the GIL, so the observation stage runs
in a thread; a flow stage beside it solves in a forked child too (here where the platform cannot fork), since its
Python would take the GIL from the observation stage's pricing and rounding between HiGHS runs. The flow stages
that would take such children one after the other solve in the first one's child instead, with their report work,
unless a lane that frees takes one back before the child starts it (:func:`with_followers`, :func:`taken_back`):
each fork stalls this process and makes the pages HiGHS writes copy on write (the city's snapshot 0.40 -> 0.35 s,
its day-by-day plan 2.09 -> 2.04 s). The report work a
stage starts as it is solved (:attr:`Stage.ahead`: the observation stage's room probes, OR-Tools' maximum flows; the
drug stage's pack probes), or as soon as the results it reads are in and a lane is free
(:attr:`Stage.early`: the nursing stage's daily timeline rows, a min-cost flow a day, which read where the
observation stage placed persons, beside the nursing stage itself), runs in a forked child and takes a lane until
it ends. Measured on the 2-core machine, alternately
(``bench/results/lanes-2026-12-06.md``, ``bench/results/forks-2026-12-06.md``): the national sample's ``epiplan
solve`` with its outputs 66.5 s with one lane, 59.7 s with threads, 50-54 s with the children; the province's
``epiplan bench`` 5.8-6.2 -> 4.4-4.6 s. With the flow stages in children beside the observation stage
(``bench/results/apart-2026-12-06.md``, alternately with threads beside it): the city's ``epiplan bench`` 0.41-0.45
-> 0.35-0.37 s, the province's 4.03-4.33 -> 3.65-3.74 s, the national ``epiplan solve`` 45.3-46.0 -> 42.4-43.5 s.

Each stage keeps its own time limit, measured on the wall clock from its own start. Progress is reported from
the calling thread as each stage starts (the app draws it; Streamlit elements must not be drawn from another
thread). Ctrl-C and SIGTERM stop the running HiGHS and CP-SAT solves (``planner.signals``); after them, an error in a
stage, or the app's rerun, the stage solving in the other thread unwinds as the calling thread does
(:meth:`SolvingThreads.abandon`), a child solving a stage or doing report work is killed, and stages not yet
started never start.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from functools import cache, partial
from typing import Any, TypeVar

from models.base import STAGE_LANES, Done, SolveOptions, StageResult, stop_searches
from planner.forked import FORKING, Forked, can_fork, serial_blas
from planner.memory import release_free_memory, room_for_a_child_in_budget
from planner.stages.base import PlanContext, Stage

ProgressCallback = Callable[[str, int, int], None]
"""Called as ``progress(stage_name, index, total)`` before each stage runs (``index``: the stages started before
it), from the calling thread."""

SolvedCallback = Callable[[str, float], None]
"""Called as ``solved(stage_name, seconds)`` from the calling thread as each stage's result comes in: the wall
seconds its inputs took to build and solve (the benchmark's stage times: with two lanes the starts alone do not
give them)."""

T = TypeVar("T")
Solved = tuple[StageResult, Any]
"""A stage's result and the inputs its model was solved on."""


def solve_stages(
    context: PlanContext,
    stages: Sequence[Stage[Any]],
    options: SolveOptions,
    *,
    lanes: int = STAGE_LANES,
    progress: ProgressCallback | None = None,
    solved: SolvedCallback | None = None,
) -> PlanContext:
    """``context`` with the result of every stage (in the order of ``stages``) and the inputs it was solved on.

    Raises
    ------
    ValueError
        If ``lanes`` is below 1, or a stage reads a stage that is not listed before it.
    """
    if lanes < 1:
        raise ValueError(f"Expected lanes >= 1, got {lanes}.")
    check_order(stages)
    ahead: dict[str, Forked[Any] | Done[Any]] = {}
    if lanes == 1:
        results = _one_after_another(context, stages, options, progress, solved)
    else:
        results = _side_by_side(context, stages, options, lanes, progress, solved, ahead)
    for stage in stages:
        context = context.with_result(stage.name, *results[stage.name])
    return replace(context, ahead={**context.ahead, **ahead})


def check_order(stages: Sequence[Stage[Any]]) -> None:
    """Every stage reads only stages listed before it (so one lane solves them in their order)."""
    before: set[str] = set()
    for stage in stages:
        unknown = [name for name in stage.reads if name not in before]
        if unknown:
            raise ValueError(f"stage {stage.name!r} reads {', '.join(map(repr, unknown))}, not listed before it")
        before.add(stage.name)


def context_for(context: PlanContext, stage: Stage[Any], solved: Mapping[str, Solved]) -> PlanContext:
    """``context`` holding the results (and inputs) of the stages ``stage`` reads, and no others."""
    reading = replace(context, results={}, inputs={})
    for name in stage.reads:
        reading = reading.with_result(name, *solved[name])
    return reading


def timed(
    stage: Stage[Any], context: PlanContext, options: SolveOptions, threads: SolvingThreads | None = None
) -> tuple[Solved, float]:
    """The stage solved on ``context`` in this process, and the wall seconds it took; the solving thread is noted
    in ``threads`` while it solves (a lane in a child: :func:`_started`)."""
    with threads.solving(stage.name) if threads is not None else contextlib.nullcontext():
        start = time.perf_counter()
        result = stage.solved(context, options)
        return result, time.perf_counter() - start


class Abandoned(BaseException):
    """Raised in a stage solving in another thread when the plan it solves for is given up
    (:meth:`SolvingThreads.abandon`)."""


class SolvingThreads:
    """The threads solving a stage now, by stage name. A thread is noted and forgotten under a lock, so it is
    abandoned only while it solves (an exception raised in a pool's idle thread would end it with a traceback)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: dict[str, int] = {}
        self._children: set[Forked[Any]] = set()

    @contextlib.contextmanager
    def solving(self, stage: str) -> Iterator[None]:
        with self._lock:
            self._threads[stage] = threading.get_ident()
        try:
            yield
        finally:
            with self._lock:
                del self._threads[stage]

    def in_child(self, call: Callable[[], T]) -> T:
        """``call()`` solved in a forked child, noted while it runs so that :meth:`abandon` kills it.

        The fork is made under the lock :meth:`abandon` raises under, so no :class:`Abandoned` lands in this thread
        while it forks: ``logging`` takes its module lock before a fork and gives it back in a Python handler after
        it, and an exception raised in that handler kept the lock held (a full suite hung on it for good, in the
        app's rerun of a plan), as it would leave a child started with nobody to wait for it."""
        with self._lock:
            child = Forked.start(call)
            self._children.add(child)
        try:
            return child.result()
        finally:
            with self._lock:
                self._children.discard(child)

    def abandon(self, stop_solvers: bool) -> None:
        """Raise :class:`Abandoned` in each solving thread as soon as it runs Python again; with
        ``stop_solvers`` stop the running searches too.

        An exception in the calling thread (Ctrl-C, an error in a stage, the app's rerun or stop raised in a
        progress callback) would leave a stage in another thread solving on to its own time limit (the next HiGHS
        run sets its limit again). The exception is raised in that thread first, so it unwinds right after the
        native solve it is in, as it would have in the calling thread. After a signal the searches are stopped as
        well (``models.base.stop_searches``: every search of the process, which the signal stops anyway); a flow
        holds the GIL and ends first.
        """
        with self._lock:
            for ident in self._threads.values():
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(Abandoned))
            children = list(self._children)
        for child in children:  # its thread, waiting for it, unwinds once it is killed
            child.cancel()
        if stop_solvers:
            stop_searches()


def start_ahead(stage: Stage[Any], solved: Solved, context: PlanContext) -> Forked[Any] | None:
    """The stage's report work (:attr:`Stage.ahead`, or :attr:`Stage.early` not started yet; given the context the
    stage was solved on) started in a forked child, or None when it has none, the system has no room for the
    child, or the child would take the processes past their memory budget (``planner.memory``: the national daily
    plan's pack probes, 0.3 GB beside the nursing rows' child of 0.8 GB): the reports then do it after the stages,
    in this process."""
    if stage.ahead is None:
        return start_early(stage, context)
    if not can_fork():
        return None
    call = stage.ahead(solved[0], context, solved[1])
    return Forked.start(call) if call is not None and room_for_a_child_in_budget() else None


def start_early(stage: Stage[Any], context: PlanContext) -> Forked[Any] | None:
    """The stage's report work that reads only what the stage reads (:attr:`Stage.early`, given ``context`` holding
    those results) started in a forked child, or None as :func:`start_ahead`."""
    if stage.early is None or not can_fork():
        return None
    call = stage.early(context)  # the budget is asked only for work to do: it hands the free heap back first
    return Forked.start(call) if call is not None and room_for_a_child_in_budget() else None


def early_startable(
    stages: Sequence[Stage[Any]], solved: Mapping[str, Any], started: Mapping[str, Any], running: int, lanes: int
) -> list[Stage[Any]]:
    """The stages not yet solved whose early report work (:attr:`Stage.early`) to start now, in their order: its
    reads are solved, it has not started, and a lane is free for each (a stage waiting for a lane goes first,
    :func:`startable`)."""
    ready = [
        stage
        for stage in stages
        if stage.early is not None
        and stage.name not in solved
        and stage.name not in started
        and all(name in solved for name in stage.reads)
    ]
    return ready[: max(lanes - running, 0)]


@dataclass(frozen=True)
class Lane:
    """What takes a lane: a stage solving, in this process or in a forked child (``in_child``), or the report
    work forked as it was solved (``ahead``, :attr:`Stage.ahead`): the child takes a core as a stage does."""

    stage: Stage[Any]
    in_child: bool = False
    ahead: bool = False
    followers: tuple[Stage[Any], ...] = ()
    """Stages solved in the same child after ``stage``, one after the other (:func:`with_followers`)."""

    @property
    def holds_gil_here(self) -> bool:
        """Whether it holds this process's GIL while it runs."""
        return self.stage.holds_gil and not (self.in_child or self.ahead)

    @property
    def releases_gil_here(self) -> bool:
        """Whether it solves in this process releasing the GIL most of its time (HiGHS)."""
        return not (self.stage.holds_gil or self.in_child or self.ahead)


def startable(
    waiting: Sequence[Stage[Any]],
    solved: Mapping[str, Any],
    running: Sequence[Lane],
    lanes: int,
    forking: bool = FORKING,
) -> list[Lane]:
    """The waiting stages to start now, in their order, each in the lane it takes.

    Those whose reads are solved, as many as lanes are free. At most one stage that holds the GIL solves in this
    process at a time (two would share a core while both their limits run); another one solves in a forked
    child with its own interpreter, or waits when this platform cannot fork (``forking``). Beside a stage that
    releases the GIL (HiGHS) in this process, a stage that holds it solves in a child as well, or here when this
    platform cannot fork: here its Python work would take the GIL from the other's between its solver runs (city,
    prevalent, 14 days: the observation stage 1.72-1.74 s beside the flow stages here, 1.67-1.68 s beside them in
    children)."""
    chosen: list[Lane] = []
    holding = any(lane.holds_gil_here for lane in running)
    releasing = any(lane.releases_gil_here for lane in running)
    for stage in waiting:
        if len(running) + len(chosen) >= lanes:
            break
        if not all(name in solved for name in stage.reads):
            continue
        apart = stage.holds_gil and (holding or releasing)
        if apart and not forking:
            if holding:
                continue
            apart = False
        lane = Lane(stage, in_child=apart)
        chosen.append(lane)
        holding = holding or lane.holds_gil_here
        releasing = releasing or lane.releases_gil_here
    return chosen


def with_followers(starting: Sequence[Lane], waiting: Sequence[Stage[Any]], solved: Mapping[str, Any]) -> list[Lane]:
    """``starting`` with the first lane that solves in a child given the waiting stages that would each take a child
    of their own later: they hold the GIL, read only results in, have no lane now, and no waiting stage reads them
    or the lane's stage (a reader would wait for the whole child). They solve after it in its child, one after the
    other, as they would in its lane, unless a lane that frees takes one back first (:func:`taken_back`), and the
    child does their report work (:attr:`Stage.ahead`) too: one fork instead of one per stage and per report (each
    fork stops this process's threads and makes the pages HiGHS writes copy on write; sample city, prevalent, 14
    days: 2.09 -> 2.04 s, the observation stage 1.77 -> 1.72 s, medians of 8 plans)."""
    lanes = list(starting)
    first = next((k for k, lane in enumerate(lanes) if lane.in_child), None)
    if first is None or not Claims.shareable():
        return lanes
    taken = {lane.stage.name for lane in lanes}
    read = {name for stage in waiting if stage.name not in taken for name in stage.reads}
    if lanes[first].stage.name in read:  # its reader would wait for the followers too
        return lanes
    followers = tuple(
        stage
        for stage in waiting
        if stage.name not in taken
        and stage.holds_gil
        and stage.name not in read
        and all(name in solved for name in stage.reads)
    )
    lanes[first] = replace(lanes[first], followers=followers)
    return lanes


Together = list[tuple[str, Solved, float, tuple[Any, ...]]]
"""Each stage a child's lane solved: its name, result and inputs, its seconds, and its report work's value
(``(value,)``) or ``()`` where it has none or left it to the scheduler."""

REPORT_SECONDS = 0.5
"""Seconds a child's lane may have solved for before it does its stages' report work itself; past them it leaves
the work to the scheduler, which forks it: the stage's result then comes back at once (national: the drug stage's
pack probes after its 20 s). The city's three flow stages and their probes take 0.15 s in all."""


class Claims:
    """Which of a child's followers the child has started (:attr:`CHILD`) and which this process took back to
    solve elsewhere (:attr:`HERE`): flags shared with the child (memory mapped before the fork), under a lock."""

    CHILD, HERE = 1, 2

    @staticmethod
    @cache
    def shareable() -> bool:
        """Whether this system gives processes a shared lock and shared memory (POSIX semaphores and a folder for
        the memory's file; some containers have neither): else no lane takes followers."""
        try:
            Claims(1)
        except (OSError, ImportError):
            return False
        return True

    def __init__(self, count: int) -> None:
        self._flags = multiprocessing.RawArray("b", max(count, 1))
        self._lock = multiprocessing.Lock()

    def take(self, follower: int, by: int) -> bool:
        """Whether ``by`` may solve the follower: nobody took it yet, or the child did and takes it again (the
        call of a child that failed runs again in this process)."""
        with self._lock:
            held = self._flags[follower]
            if held not in (0, by) or (by == self.HERE and held):
                return False
            self._flags[follower] = by
            return True


def solved_together(
    stages: Sequence[Stage[Any]], contexts: Sequence[PlanContext], options: SolveOptions, claims: Claims | None
) -> Together:
    """The ``stages`` solved one after the other on their ``contexts`` (in a child): the first, then each follower
    this process has not taken back meanwhile (:class:`Claims`; None when there are no followers); then the report
    work of those solved, while at most :data:`REPORT_SECONDS` have passed."""
    together: Together = []
    started = time.perf_counter()
    for k, (stage, context) in enumerate(zip(stages, contexts, strict=True)):
        if k and (claims is None or not claims.take(k - 1, Claims.CHILD)):
            continue
        start = time.perf_counter()
        result = stage.solved(context, options)
        together.append((stage.name, result, time.perf_counter() - start, ()))
        release_free_memory()  # what the stage's models freed, before the next stage builds its own
    by_name = {stage.name: (stage, context) for stage, context in zip(stages, contexts, strict=True)}
    for k, (name, result, seconds, _) in enumerate(together):
        if time.perf_counter() - started > REPORT_SECONDS:
            break
        stage, context = by_name[name]
        call = stage.ahead(result[0], context, result[1]) if stage.ahead is not None else None
        together[k] = (name, result, seconds, () if call is None else (call(),))
    return together


def taken_back(
    running: Mapping[Future[Any], Lane],
    claims: Mapping[Future[Any], Claims],
    waiting: Sequence[Stage[Any]],
    solved: Mapping[str, Any],
    lanes: int,
) -> list[Stage[Any]]:
    """Followers their child has not started yet, taken back for the lanes free now beyond the waiting stages
    ready to start (national: the testing stage would wait 20 s for the drug stage in their child while the other
    lane is free; ``epiplan solve`` 46 -> 50 s)."""
    free = lanes - len(running) - sum(all(name in solved for name in stage.reads) for stage in waiting)
    taken: list[Stage[Any]] = []
    for future, lane in running.items():
        for k, follower in enumerate(lane.followers):
            if len(taken) >= free:
                return taken
            if claims[future].take(k, Claims.HERE):
                taken.append(follower)
    return taken


def _one_after_another(
    context: PlanContext,
    stages: Sequence[Stage[Any]],
    options: SolveOptions,
    progress: ProgressCallback | None,
    solved: SolvedCallback | None,
) -> dict[str, Solved]:
    results: dict[str, Solved] = {}
    for index, stage in enumerate(stages):
        if progress is not None:
            progress(stage.name, index, len(stages))
        results[stage.name], seconds = timed(stage, context_for(context, stage, results), options)
        if solved is not None:
            solved(stage.name, seconds)
    return results


def _side_by_side(
    context: PlanContext,
    stages: Sequence[Stage[Any]],
    options: SolveOptions,
    lanes: int,
    progress: ProgressCallback | None,
    solved: SolvedCallback | None,
    ahead: dict[str, Forked[Any] | Done[Any]],
) -> dict[str, Solved]:
    """Each stage in a thread of a pool of ``lanes``, started once a lane is free and its reads are solved; each
    stage's report work (:attr:`Stage.ahead`) forked into ``ahead`` as it is solved."""
    results: dict[str, Solved] = {}
    waiting = list(stages)
    running: dict[Future[Any], Lane] = {}
    claims: dict[Future[Any], Claims] = {}
    serial_blas()  # before a lane is in a BLAS call: a fork could stop its workers (planner.forked)
    threads = SolvingThreads()
    pool = ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="stage")
    try:
        while waiting or any(not lane.ahead for lane in running.values()):
            back = taken_back(running, claims, waiting, results, lanes)
            waiting = [stage for stage in stages if stage in waiting or stage in back]
            starting = startable(waiting, results, list(running.values()), lanes, can_fork())
            # the early report work forks first: a stage's thread started before would hold the GIL the fork waits on
            for stage in early_startable(stages, results, ahead, len(running) + len(starting), lanes):
                if (child := start_early(stage, context_for(context, stage, results))) is not None:
                    ahead[stage.name] = child
                    running[pool.submit(child.join)] = Lane(stage, ahead=True)
            for lane in with_followers(starting, waiting, results):
                for stage in (lane.stage, *lane.followers):
                    if progress is not None:
                        progress(stage.name, len(stages) - len(waiting), len(stages))
                    waiting.remove(stage)
                future, claims_of_lane = _started(lane, context, results, options, threads, pool)
                running[future] = lane
                if claims_of_lane is not None:
                    claims[future] = claims_of_lane
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                lane = running.pop(future)
                claims.pop(future, None)
                if lane.ahead:  # its child has ended: the lane is free
                    continue
                for stage, (results[stage.name], seconds, report) in _lane_outcome(lane, future):
                    name = stage.name
                    reading = context_for(context, stage, results)
                    if report:  # done in the child that solved it
                        ahead[name] = Done(report[0])
                    elif name not in ahead and (child := start_ahead(stage, results[name], reading)) is not None:
                        ahead[name] = child
                        running[pool.submit(child.join)] = Lane(stage, ahead=True)
                    if solved is not None:
                        solved(name, seconds)
    except BaseException as given_up:  # nothing more starts, and the other lane's stage unwinds
        interrupted = isinstance(given_up, KeyboardInterrupt)
        for started in ahead.values():
            if isinstance(started, Forked):
                started.cancel()
        threads.abandon(stop_solvers=interrupted)
        pool.shutdown(wait=interrupted, cancel_futures=True)  # the command line ends once the stages have unwound
        raise
    pool.shutdown(wait=False)  # a thread waiting for report work ends with its child (read by the reports)
    return results


def _started(
    lane: Lane,
    context: PlanContext,
    results: Mapping[str, Solved],
    options: SolveOptions,
    threads: SolvingThreads,
    pool: ThreadPoolExecutor,
) -> tuple[Future[Any], Claims | None]:
    """The lane's stage (and followers) submitted to ``pool``: in this process, or in one forked child (with the
    claims on its followers it shares, only where it has followers: a system without shared memory has none)."""
    if not lane.in_child:
        return pool.submit(timed, lane.stage, context_for(context, lane.stage, results), options, threads), None
    stages = (lane.stage, *lane.followers)
    contexts = [context_for(context, stage, results) for stage in stages]
    claims = Claims(len(lane.followers)) if lane.followers else None
    call = partial(solved_together, stages, contexts, options, claims)

    def in_child() -> Together:
        with threads.solving(lane.stage.name):
            return threads.in_child(call)

    return pool.submit(in_child), claims


def _lane_outcome(lane: Lane, future: Future[Any]) -> list[tuple[Stage[Any], tuple[Solved, float, tuple[Any, ...]]]]:
    """Each stage of a finished lane with its result, seconds and report work (:data:`Together`)."""
    if not lane.in_child:
        result, seconds = future.result()
        return [(lane.stage, (result, seconds, ()))]
    by_name = {stage.name: stage for stage in (lane.stage, *lane.followers)}
    return [(by_name[name], (result, seconds, report)) for name, result, seconds, report in future.result()]
