"""bench.mip.lp: the PuLP building blocks the stage MIPs share."""

from __future__ import annotations

import pandas as pd
import pulp

from bench.mip.lp import MipOptions, PhaseRunner, integer_variables, linear, stage_result, values, variable
from models.base import Status

OPTIONS = MipOptions(time_limit_s=20.0, threads=1)


def test_linear_sums_pairs_as_coefficient_times_variable() -> None:
    # The PuLP pitfall (NOTES): lpSum of (var, coef) pairs would add the coefficients instead.
    x, y = variable("x"), variable("y")
    x.varValue, y.varValue = 2.0, 5.0
    assert pulp.value(linear([x, y], [3.0, 4.0])) == 26.0
    assert pulp.value(linear([x, y])) == 7.0


def test_phase_runner_holds_each_optimum_for_the_next_phase() -> None:
    # max x + y with x, y in [0, 3], x + y <= 4; then min x with the sum held at 4: x = 1, y = 3.
    problem = pulp.LpProblem("toy", pulp.LpMaximize)
    x, y = integer_variables("v", [3, 3])
    problem += linear([x, y]) <= 4
    runner = PhaseRunner(problem, OPTIONS, [])
    total = linear([x, y])
    assert runner.solve("total", "max", total) == 4.0
    problem += total >= 4
    assert runner.solve("x", "min", linear([x])) == 1.0
    assert values([x, y]).tolist() == [1, 3]
    assert [(p.name, p.sense, p.objective, p.status) for p in runner.phases] == [
        ("total", "max", 4.0, Status.OPTIMAL),
        ("x", "min", 1.0, Status.OPTIMAL),
    ]
    result = stage_result("toy", runner, {"t": pd.DataFrame()}, 0.5, 0.1, 2, 1, 0)
    assert result.status == Status.OPTIMAL and result.objective == 1.0
    assert result.stats["variables"] == 2 and result.stats["solve_seconds"] == runner.solve_seconds


def test_a_phase_without_a_plan_leaves_the_stage_without_a_solution() -> None:
    problem = pulp.LpProblem("infeasible", pulp.LpMaximize)
    (x,) = integer_variables("w", [1])
    problem += linear([x]) >= 2
    runner = PhaseRunner(problem, OPTIONS, [])
    assert runner.solve("first", "max", linear([x])) is None
    assert [(p.name, p.status) for p in runner.phases] == [("first", Status.INFEASIBLE)]
    result = stage_result("toy", runner, None, 0.5, 0.1, 1, 1, 0)
    assert (result.status, result.message, result.tables) == (Status.ERROR, "no solution", {})
