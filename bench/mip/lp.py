"""The PuLP building blocks every stage MIP shares: CBC's options, variables and linear expressions, the phase
runner that solves a lexicographic objective phase by phase, and the stage result it reports.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pulp

from models.base import Phase, StageResult, Status

DEFAULT_TIME_LIMIT_S = 300.0
"""CBC's time limit per phase, seconds."""
DEFAULT_THREADS = 2
"""CBC threads (the machine's 2 cores, as CP-SAT gets)."""
SOLVERS: tuple[str, ...] = ("cbc", "highs")
"""The solvers a baseline MIP can be given."""


@dataclass(frozen=True)
class MipOptions:
    """The baseline's solver and its settings: time limit per phase and threads (CBC only)."""

    time_limit_s: float = DEFAULT_TIME_LIMIT_S
    threads: int = DEFAULT_THREADS
    solver: str = "cbc"
    """``cbc`` (PuLP's CBC, a child process) or ``highs`` (SciPy's HiGHS on the same model, :mod:`bench.mip.highs`)."""

    def __post_init__(self) -> None:
        if self.solver not in SOLVERS:
            raise ValueError(f"Unknown MIP solver {self.solver!r}; expected one of {', '.join(SOLVERS)}.")


# --------------------------------------------------------------------------- PuLP helpers


def linear(variables: Sequence[Any], coefficients: Sequence[float] | np.ndarray | None = None) -> Any:
    """``sum coefficient * variable`` as one ``LpAffineExpression`` (never ``lpSum`` of pairs, NOTES)."""
    if coefficients is None:
        return pulp.LpAffineExpression([(v, 1.0) for v in variables])
    return pulp.LpAffineExpression([(v, float(c)) for v, c in zip(variables, coefficients, strict=True)])


@contextmanager
def pulp_deprecations_silenced() -> Iterator[None]:
    """PuLP 3.3 warns that ``LpVariable(...)`` and ``PULP_CBC_CMD`` change in PuLP 4; both are right for 2.8-3.x."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def variable(name: str, low: float | None = None, up: float | None = None, cat: str = pulp.LpContinuous) -> Any:
    """One PuLP variable (continuous unless ``cat`` says otherwise) in ``[low, up]``."""
    with pulp_deprecations_silenced():
        return pulp.LpVariable(name, low, up, cat=cat)


def integer_variables(prefix: str, upper: Sequence[float] | np.ndarray) -> list[Any]:
    """Integer variables ``prefix_i`` in ``[0, upper_i]``."""
    with pulp_deprecations_silenced():
        return [pulp.LpVariable(f"{prefix}_{i}", 0, float(u), cat=pulp.LpInteger) for i, u in enumerate(upper)]


def binary_variables(prefix: str, count: int) -> list[Any]:
    """Binary variables ``prefix_i``, ``count`` of them."""
    with pulp_deprecations_silenced():
        return [pulp.LpVariable(f"{prefix}_{i}", cat=pulp.LpBinary) for i in range(count)]


def grouped(keys: np.ndarray, count: int) -> list[np.ndarray]:
    """Positions of ``keys`` (ints ``0..count-1``) per key."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(count + 1))
    return [order[bounds[k] : bounds[k + 1]] for k in range(count)]


def values(variables: Sequence[Any]) -> np.ndarray:
    """Solution values rounded to integers (0 where CBC left a variable unset)."""
    return np.rint(np.array([v.varValue or 0.0 for v in variables], dtype=float)).astype(np.int64)


# --------------------------------------------------------------------------- phases


@dataclass
class PhaseRunner:
    """Solves a problem phase by phase, keeping the statuses and times; stops at the first phase without a plan."""

    problem: Any
    options: MipOptions
    phases: list[Phase]
    solve_seconds: float = 0.0
    solved: bool = False

    def solve(self, name: str, sense: str, objective: Any) -> float | None:
        """Optimise ``objective``; its value, or None when the solver found no solution (the earlier plan stands)."""
        self.problem.sense = pulp.LpMaximize if sense == "max" else pulp.LpMinimize
        self.problem.setObjective(objective)
        if self.options.solver == "highs":
            return self._solve_highs(name, sense)
        with pulp_deprecations_silenced():
            solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=self.options.time_limit_s, threads=self.options.threads)
        start = time.perf_counter()
        self.problem.solve(solver)
        self.solve_seconds += time.perf_counter() - start
        status = {
            pulp.LpSolutionOptimal: Status.OPTIMAL,
            pulp.LpSolutionIntegerFeasible: Status.FEASIBLE,
            pulp.LpSolutionInfeasible: Status.INFEASIBLE,
        }.get(self.problem.sol_status, Status.ERROR)
        if status not in (Status.OPTIMAL, Status.FEASIBLE):
            self.phases.append(Phase(name, sense, math.nan, math.nan, status))
            return None
        value = float(pulp.value(objective) or 0.0)
        bound = value if status == Status.OPTIMAL else math.nan
        self.phases.append(Phase(name, sense, value, bound, status))
        self.solved = True
        return value

    def _solve_highs(self, name: str, sense: str) -> float | None:
        """This phase by HiGHS (:func:`bench.mip.highs.solve_highs`), with HiGHS's bound when it stops early."""
        from bench.mip.highs import solve_highs

        start = time.perf_counter()
        answer = solve_highs(self.problem, self.options.time_limit_s)
        self.solve_seconds += time.perf_counter() - start
        if answer.status == Status.ERROR and answer.stopped and self.solved:
            # stopped without a plan of its own: the earlier phase's plan satisfies this one (bench.mip.highs)
            kept = float(pulp.value(self.problem.objective) or 0.0)
            self.phases.append(Phase(name, sense, kept, answer.bound, Status.FEASIBLE))
            return kept
        self.phases.append(Phase(name, sense, answer.objective, answer.bound, answer.status))
        if answer.status not in (Status.OPTIMAL, Status.FEASIBLE):
            return None
        self.solved = True
        return answer.objective


def stage_result(
    stage: str,
    runner: PhaseRunner,
    tables: dict[str, pd.DataFrame] | None,
    seconds: float,
    build_seconds: float,
    variables: int,
    constraints: int,
    arcs: int,
) -> StageResult:
    """A MIP stage's result from ``runner``: its phases and tables, or ``error`` when no phase found a plan."""
    stats = {
        "variables": variables,
        "constraints": constraints,
        "arcs": arcs,
        "build_seconds": build_seconds,
        "solve_seconds": runner.solve_seconds,
    }
    if tables is None or not runner.solved:
        nan = math.nan
        return StageResult(stage, Status.ERROR, nan, nan, nan, seconds, {}, tuple(runner.phases), stats, "no solution")
    return StageResult.from_phases(stage, runner.phases, tables, seconds, stats)
