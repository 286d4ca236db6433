"""The HiGHS baseline's solver: a PuLP problem handed to HiGHS through ``scipy.optimize.milp``.

The HiGHS baseline solves the very formulations of the CBC baseline (:mod:`bench.mip`, the same PuLP models
and the same phases); only the solver differs. The PuLP problem is read into a sparse matrix (rows: constraints
``lower <= A x <= upper``; columns: variables with their bounds and integrality) and solved by the HiGHS inside
SciPy, which runs in this process without the ``libhighs.so`` clash between ``highspy`` and OR-Tools (NOTES).
SciPy's ``milp`` has no threads option: HiGHS's branch and bound runs on one thread.

Status: HiGHS's ``optimal`` is ``optimal``; stopped at the time limit with a solution, ``feasible`` with HiGHS's
dual bound (so the phase reports a real gap, unlike CBC through PuLP); ``infeasible``; anything else ``error``.
A later phase stopped without a solution of its own keeps the earlier phase's plan, which satisfies it (the
earlier optimum is held as a constraint): the phase runner reports it ``feasible`` with that plan's value.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pulp
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

from models.base import Status


@dataclass(frozen=True)
class HighsAnswer:
    """One HiGHS solve: status, objective and bound in the problem's own sense (NaN when not found); ``stopped``
    when HiGHS stopped at its time limit."""

    status: Status
    objective: float
    bound: float
    stopped: bool = False


def matrices(problem: Any) -> tuple[list[Any], np.ndarray, Bounds, LinearConstraint | None, np.ndarray]:
    """The problem as arrays: variables, the cost vector (minimising), bounds, the constraints, integrality."""
    variables = problem.variables()
    column = {v.name: j for j, v in enumerate(variables)}
    sign = -1.0 if problem.sense == pulp.LpMaximize else 1.0
    cost = np.zeros(len(variables))
    for v, coefficient in problem.objective.items():
        cost[column[v.name]] = sign * float(coefficient)
    low = np.array([-math.inf if v.lowBound is None else float(v.lowBound) for v in variables])
    up = np.array([math.inf if v.upBound is None else float(v.upBound) for v in variables])
    integrality = np.array([1 if v.cat == pulp.LpInteger else 0 for v in variables], dtype=np.uint8)
    rows: list[int] = []
    cols: list[int] = []
    data: list[float] = []
    lower: list[float] = []
    upper: list[float] = []
    with warnings.catch_warnings():  # PuLP 3.3: the constraints dict changes in PuLP 4 (a list then)
        warnings.simplefilter("ignore", DeprecationWarning)
        rows_of = list(problem.constraints.values())
    for i, constraint in enumerate(rows_of):
        for v, coefficient in constraint.items():
            rows.append(i)
            cols.append(column[v.name])
            data.append(float(coefficient))
        right = -float(constraint.constant)
        lower.append(-math.inf if constraint.sense == pulp.LpConstraintLE else right)
        upper.append(math.inf if constraint.sense == pulp.LpConstraintGE else right)
    constraints = None
    if lower:
        shape = (len(lower), len(variables))
        matrix = csr_array((np.array(data), (np.array(rows), np.array(cols))), shape=shape)
        constraints = LinearConstraint(matrix, np.array(lower), np.array(upper))
    return variables, cost, Bounds(low, up), constraints, integrality


def solve_highs(problem: Any, time_limit_s: float) -> HighsAnswer:
    """Solve ``problem`` (a PuLP problem) with HiGHS; the variables' ``varValue`` hold its solution when found.

    Parameters
    ----------
    problem
        A ``pulp.LpProblem`` with its objective set.
    time_limit_s
        HiGHS's time limit, seconds.

    Returns
    -------
    HighsAnswer
        The status (module docstring), the objective (with the objective's constant) and HiGHS's bound.
    """
    variables, cost, bounds, constraints, integrality = matrices(problem)
    sign = -1.0 if problem.sense == pulp.LpMaximize else 1.0
    constant = float(problem.objective.constant)
    result = milp(
        cost,
        integrality=integrality,
        bounds=bounds,
        constraints=constraints,
        options={"time_limit": float(time_limit_s), "disp": False},
    )
    if result.status == 2:
        return HighsAnswer(Status.INFEASIBLE, math.nan, math.nan)
    dual = getattr(result, "mip_dual_bound", None)
    bound = sign * float(dual) + constant if dual is not None and math.isfinite(dual) else math.nan
    stopped = result.status == 1
    if result.x is None:
        return HighsAnswer(Status.ERROR, math.nan, bound, stopped)
    for v, x in zip(variables, result.x, strict=True):
        v.varValue = float(x)
    objective = sign * float(result.fun) + constant
    if result.status == 0:
        return HighsAnswer(Status.OPTIMAL, objective, objective)
    return HighsAnswer(Status.FEASIBLE, objective, bound, stopped)
