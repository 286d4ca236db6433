"""bench.mip.highs: a PuLP problem solved by SciPy's HiGHS, and the phase runner with the HiGHS solver."""

from __future__ import annotations

import math

import numpy as np
import pulp
import pytest

from bench.mip.highs import matrices, solve_highs
from bench.mip.lp import MipOptions, PhaseRunner, integer_variables, linear, values, variable
from models.base import Status

HIGHS = MipOptions(time_limit_s=20.0, threads=1, solver="highs")


def test_matrices_read_bounds_rows_and_integrality() -> None:
    # max 3x + 2y (x integer in [0, 4], y continuous >= 0); x + y <= 5; x - y >= -1; y == 2.5 is not a row.
    problem = pulp.LpProblem("toy", pulp.LpMaximize)
    (x,) = integer_variables("x", [4])
    y = variable("y", 0)
    problem += linear([x, y], [3.0, 2.0])
    problem += linear([x, y]) <= 5
    problem += linear([x, y], [1.0, -1.0]) >= -1
    variables, cost, bounds, constraints, integrality = matrices(problem)
    assert [v.name for v in variables] == ["x_0", "y"]
    assert cost.tolist() == [-3.0, -2.0]  # maximising: negated for milp
    assert bounds.lb.tolist() == [0.0, 0.0] and bounds.ub.tolist() == [4.0, math.inf]
    assert integrality.tolist() == [1, 0]
    assert constraints is not None
    assert constraints.A.toarray().tolist() == [[1.0, 1.0], [1.0, -1.0]]
    assert constraints.lb.tolist() == [-math.inf, -1.0] and constraints.ub.tolist() == [5.0, math.inf]


def test_solve_highs_finds_the_hand_solved_optimum() -> None:
    # max 3x + 2y, x + y <= 5, x - y >= -1, x <= 4 integer: x = 4, y = 1, objective 14 (+ constant 1).
    problem = pulp.LpProblem("toy", pulp.LpMaximize)
    (x,) = integer_variables("x", [4])
    y = variable("y", 0)
    problem += linear([x, y], [3.0, 2.0]) + 1
    problem += linear([x, y]) <= 5
    problem += linear([x, y], [1.0, -1.0]) >= -1
    answer = solve_highs(problem, 10.0)
    assert (answer.status, answer.objective, answer.bound) == (Status.OPTIMAL, 15.0, 15.0)
    assert (x.varValue, y.varValue) == pytest.approx((4.0, 1.0))


def test_solve_highs_reports_infeasible_without_values() -> None:
    problem = pulp.LpProblem("infeasible", pulp.LpMinimize)
    (x,) = integer_variables("w", [1])
    problem += linear([x])
    problem += linear([x]) >= 2
    answer = solve_highs(problem, 10.0)
    assert answer.status == Status.INFEASIBLE and math.isnan(answer.objective) and x.varValue is None


def test_phase_runner_with_highs_holds_each_optimum_for_the_next_phase() -> None:
    # The CBC test of bench.mip.lp, solved by HiGHS: max x + y = 4, then min x = 1 with y = 3.
    problem = pulp.LpProblem("toy", pulp.LpMaximize)
    x, y = integer_variables("v", [3, 3])
    problem += linear([x, y]) <= 4
    runner = PhaseRunner(problem, HIGHS, [])
    total = linear([x, y])
    assert runner.solve("total", "max", total) == pytest.approx(4.0)
    problem += total >= 4
    assert runner.solve("x", "min", linear([x])) == pytest.approx(1.0)
    assert values([x, y]).tolist() == [1, 3]
    assert [(p.name, p.status) for p in runner.phases] == [("total", Status.OPTIMAL), ("x", Status.OPTIMAL)]
    assert runner.solved and runner.solve_seconds > 0


def test_an_unknown_solver_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown MIP solver"):
        MipOptions(solver="gurobi")


def test_values_round_highs_floats() -> None:
    a, b = integer_variables("r", [2, 2])
    a.varValue, b.varValue = 0.9999999, 2.0000001
    assert np.array_equal(values([a, b]), [1, 2])


def test_a_later_phase_stopped_without_a_plan_keeps_the_earlier_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # Phase 1 by HiGHS: max x + y = 4 at (x, y) = (3, 1) or (1, 3); phase 2 "stops" with no plan and bound 0.
    import bench.mip.highs as highs

    problem = pulp.LpProblem("toy", pulp.LpMaximize)
    x, y = integer_variables("s", [3, 3])
    problem += linear([x, y]) <= 4
    runner = PhaseRunner(problem, HIGHS, [])
    assert runner.solve("total", "max", linear([x, y])) == pytest.approx(4.0)
    kept = values([x, y]).tolist()
    stopped = highs.HighsAnswer(Status.ERROR, math.nan, 0.0, stopped=True)
    monkeypatch.setattr(highs, "solve_highs", lambda _problem, _limit: stopped)
    assert runner.solve("x", "min", linear([x])) == pytest.approx(kept[0])
    last = runner.phases[-1]
    assert (last.status, last.objective, last.bound) == (Status.FEASIBLE, pytest.approx(kept[0]), 0.0)
    assert values([x, y]).tolist() == kept
