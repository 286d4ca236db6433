"""What every stage model returns, and how every solver is configured.

A stage never raises on an infeasible or unfinished model: it returns a
:class:`StageResult` whose ``status`` says what the solver proved, with the
objective, bound and gap of the last lexicographic phase, the objective of every
phase in ``phases``, the wall seconds, and its output tables by name.
"""

from __future__ import annotations

import math
import sys
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Generic, Protocol, TypeVar

import pandas as pd

DEFAULT_TIME_LIMIT_S = 10.0
"""Default wall-clock limit per stage, seconds."""
DEFAULT_SEED = 20230107
"""Fixed solver seed: the same input gives the same plan."""
DEFAULT_WORKERS = 2
"""CP-SAT workers; more than the machine's 2 cores made facility location slower (NOTES)."""
STAGE_LANES = 2
"""Stages of a plan solved at once (``planner.stages.schedule``): the machine's 2 cores (a sweep's workers already
take one core each: ``lanes=1``). Here, beside the other solver defaults, so that the command line's options can
name it without importing the stages (0.4 s at start-up)."""


class Status(StrEnum):
    """What the solver proved about a stage."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    ERROR = "error"

    @classmethod
    def worst(cls, statuses: list[Status]) -> Status:
        """The least proven of several statuses (optimal < feasible < infeasible < error)."""
        order = [cls.OPTIMAL, cls.FEASIBLE, cls.INFEASIBLE, cls.ERROR]
        return max(statuses, key=order.index, default=cls.OPTIMAL)


@dataclass(frozen=True)
class SolveOptions:
    """Limits shared by every stage; ``stage_time_limits`` (stage name, seconds) replace ``time_limit_s`` for the
    stages they name (:meth:`for_stage`)."""

    time_limit_s: float = DEFAULT_TIME_LIMIT_S
    seed: int = DEFAULT_SEED
    workers: int = DEFAULT_WORKERS
    stage_time_limits: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        if not self.time_limit_s > 0:
            raise ValueError(f"Expected time_limit_s > 0, got {self.time_limit_s}.")
        if self.workers < 1:
            raise ValueError(f"Expected workers >= 1, got {self.workers}.")
        for stage, seconds in self.stage_time_limits:
            if not seconds > 0:
                raise ValueError(f"Expected the time limit of stage {stage} > 0, got {seconds}.")

    def for_stage(self, stage: str) -> SolveOptions:
        """The options of ``stage``: its own time limit where one is given, else ``time_limit_s``."""
        limits = dict(self.stage_time_limits)
        return replace(self, time_limit_s=limits.get(stage, self.time_limit_s), stage_time_limits=())


@dataclass(frozen=True)
class Phase:
    """One level of a lexicographic objective, as solved."""

    name: str
    sense: str
    """``min`` or ``max``."""
    objective: float
    bound: float
    status: Status

    @property
    def gap(self) -> float:
        return relative_gap(self.objective, self.bound)


@dataclass(frozen=True)
class StageResult:
    """The outcome of one stage.

    ``objective``/``bound``/``gap`` are those of the last phase solved;
    ``phases`` holds every lexicographic level; ``tables`` the stage's output
    tables by name (see each model's docstring); ``stats`` sizes and timings
    (``variables``, ``arcs``, ``build_seconds``, ``solve_seconds``, ...).
    """

    stage: str
    status: Status
    objective: float
    bound: float
    gap: float
    seconds: float
    tables: Mapping[str, pd.DataFrame]
    phases: tuple[Phase, ...] = ()
    stats: Mapping[str, Any] = field(default_factory=dict)
    message: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "tables", MappingProxyType(dict(self.tables)))
        object.__setattr__(self, "stats", MappingProxyType(dict(self.stats)))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle through plain dicts (a read-only mapping proxy cannot be pickled): Dask and caches need it."""
        return (
            type(self),
            (
                self.stage,
                self.status,
                self.objective,
                self.bound,
                self.gap,
                self.seconds,
                dict(self.tables),
                self.phases,
                dict(self.stats),
                self.message,
            ),
        )

    @property
    def solved(self) -> bool:
        """True when the stage produced a usable plan (optimal or feasible)."""
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)

    def table(self, name: str) -> pd.DataFrame:
        """The output table ``name``."""
        return self.tables[name]

    @classmethod
    def from_phases(
        cls,
        stage: str,
        phases: list[Phase],
        tables: Mapping[str, pd.DataFrame],
        seconds: float,
        stats: Mapping[str, Any] | None = None,
        message: str = "",
    ) -> StageResult:
        """A result whose status is the least proven phase and whose figures are the last phase's."""
        last = phases[-1] if phases else Phase("empty", "min", 0.0, 0.0, Status.OPTIMAL)
        return cls(
            stage=stage,
            status=Status.worst([p.status for p in phases]),
            objective=last.objective,
            bound=last.bound,
            gap=last.gap,
            seconds=seconds,
            tables=tables,
            phases=tuple(phases),
            stats=stats or {},
            message=message,
        )

    @classmethod
    def failed(cls, stage: str, message: str, seconds: float, tables: Mapping[str, pd.DataFrame]) -> StageResult:
        """A stage that could not be solved (internal error): status ``error``, the message kept."""
        nan = math.nan
        return cls(stage, Status.ERROR, nan, nan, nan, seconds, tables, message=message)


def relative_gap(objective: float, bound: float) -> float:
    """``|objective - bound| / max(1, |objective|)``; 0 when both are equal."""
    if math.isnan(objective) or math.isnan(bound):
        return math.nan
    return abs(objective - bound) / max(1.0, abs(objective))


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """``with stopwatch() as t: ...`` then ``t["seconds"]`` holds the wall time."""
    timing = {"seconds": 0.0}
    start = time.perf_counter()
    try:
        yield timing
    finally:
        timing["seconds"] = time.perf_counter() - start


def cp_sat_status(code: int) -> Status:
    """Map a CP-SAT status code to :class:`Status`."""
    from ortools.sat.python import cp_model

    statuses: dict[Any, Status] = {
        cp_model.OPTIMAL: Status.OPTIMAL,
        cp_model.FEASIBLE: Status.FEASIBLE,
        cp_model.INFEASIBLE: Status.INFEASIBLE,
    }
    return statuses.get(code, Status.ERROR)


_SOLVERS: weakref.WeakSet[Any] = weakref.WeakSet()
"""Every CP-SAT solver made by :func:`cp_sat_solver` and still alive (so a signal can stop its search)."""


def cp_sat_solver(options: SolveOptions, time_limit_s: float | None = None) -> Any:
    """A CP-SAT solver with the time limit, seed and workers of ``options``.

    Adds the ``max_lp`` subsolver: with 2 workers CP-SAT otherwise never runs its
    strong LP and stalls on covering and facility models (NOTES). CP-SAT's own SIGINT
    handler is off (``catch_sigint_signal``): it would end a search early and report the
    plan as if it had finished, and leave no Python handler behind; the caller handles
    signals and stops running searches with :func:`stop_searches`.
    """
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = float(time_limit_s if time_limit_s is not None else options.time_limit_s)
    params.random_seed = options.seed
    params.num_workers = options.workers
    params.extra_subsolvers.append("max_lp")
    params.catch_sigint_signal = False
    _SOLVERS.add(solver)
    return solver


_HIGHS: weakref.WeakSet[Any] = weakref.WeakSet()
"""Every HiGHS solver made by :func:`highs_solver` and still alive (so a signal can stop its run)."""


def highs_solver(highs: Any, owner: object | None = None) -> Any:
    """A quiet HiGHS solver of the module ``highs`` (highspy) that :func:`stop_searches` can stop in the middle of a
    run (a province's daily LP ran 5 s past a SIGTERM before). ``owner``: the object (a model) whose end releases
    it (:func:`release_highs`); without one the caller releases it. The owner must not be reachable from the solver
    (a callback of the owner's own keeps it alive with the solver)."""
    solver = highs.Highs()
    solver.setOptionValue("output_flag", False)
    _HIGHS.add(solver)
    if owner is not None:
        weakref.finalize(owner, release_highs, solver)
    return solver


def release_highs(solver: Any) -> None:
    """Let a solver of :func:`highs_solver` be freed as soon as nothing else refers to it.

    highspy's ``Highs`` refers to itself (its callback table holds it, and HiGHS holds it as the callbacks' data),
    so it waits for Python's cycle collector, which the memory HiGHS holds does not prompt: the sample city's daily
    plan kept 33 MB a plan that way (eight plans in one process: 267 -> 498 MB). Its callbacks are dropped here and
    the table's references to it cut; call it when the solver is done with (a model's finalizer)."""
    solver.disableCallbacks()
    for callback in solver.callbacks:
        callback.highs = None


def after_fork() -> None:
    """Make this process, a forked child, start HiGHS's task scheduler afresh at its next run.

    The scheduler is global to a process and its worker threads are not copied by a fork: a child forked after the
    parent's HiGHS had started workers (``threads`` 2 and more: the default on 4 cores and more) and a run in
    another thread had begun waited in its first MIP for workers that do not exist, forever (reproduced on this
    machine with ``threads=2``: ``tests/test_forked.py``). Nothing to reset where this process never imported
    ``highspy``."""
    highs = sys.modules.get("highspy")
    if highs is not None:
        highs.Highs.resetGlobalScheduler(False)


T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Pending(Protocol[T_co]):
    """A value being computed, perhaps in another process: :meth:`result` waits for it."""

    def result(self) -> T_co: ...


Beside = Callable[[Callable[[], Any]], Pending[Any]]
"""Starts a call beside the caller's own work (a forked child: ``planner.forked.beside``) and returns its pending
value; :func:`at_once` computes it there and then."""


@dataclass(frozen=True)
class Done(Generic[T]):
    """A value computed already."""

    value: T

    def result(self) -> T:
        return self.value


def at_once(call: Callable[[], T]) -> Done[T]:
    """``call()`` computed here and now (a :data:`Beside` without a second process)."""
    return Done(call())


def stop_searches() -> None:
    """Stop every running CP-SAT search and HiGHS run now (thread-safe; a solver not solving ignores it).

    A HiGHS run reads its time limit as it goes and releases the GIL, so a limit of 0 set from the signal thread
    ends it within a few iterations; each model sets its own limit again before its next run. (highspy's user
    interrupt does the same through a Python callback every simplex iteration: 8 % slower city daily plans.)"""
    for solver in list(_SOLVERS):
        solver.stop_search()
    for highs in list(_HIGHS):
        highs.setOptionValue("time_limit", 0.0)
