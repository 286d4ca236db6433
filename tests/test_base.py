"""StageResult, statuses and solver configuration."""

import math

import pandas as pd
import pytest

from models.base import Phase, SolveOptions, StageResult, Status, cp_sat_solver, relative_gap


def test_worst_status_orders_by_proof() -> None:
    assert Status.worst([Status.OPTIMAL, Status.FEASIBLE]) is Status.FEASIBLE
    assert Status.worst([Status.INFEASIBLE, Status.ERROR, Status.OPTIMAL]) is Status.ERROR
    assert Status.worst([]) is Status.OPTIMAL


def test_relative_gap() -> None:
    assert relative_gap(10.0, 10.0) == 0.0
    assert relative_gap(200.0, 190.0) == pytest.approx(0.05)
    assert relative_gap(0.5, 0.0) == 0.5
    assert math.isnan(relative_gap(math.nan, 1.0))


def test_from_phases_reports_the_last_phase_and_the_worst_status() -> None:
    phases = [Phase("unmet", "min", 3, 3, Status.OPTIMAL), Phase("cost", "min", 110, 100, Status.FEASIBLE)]
    result = StageResult.from_phases("x", phases, {"t": pd.DataFrame({"a": [1]})}, seconds=0.5)
    assert result.status is Status.FEASIBLE
    assert (result.objective, result.bound) == (110, 100)
    assert result.gap == pytest.approx(10 / 110)
    assert result.solved and result.table("t")["a"].tolist() == [1]
    with pytest.raises(TypeError):
        result.tables["u"] = pd.DataFrame()  # type: ignore[index]


def test_failed_result_is_not_solved_and_keeps_its_message() -> None:
    result = StageResult.failed("x", "boom", 0.1, {})
    assert result.status is Status.ERROR and not result.solved and result.message == "boom"


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="Expected time_limit_s > 0"):
        SolveOptions(time_limit_s=0)
    with pytest.raises(ValueError, match="Expected workers >= 1"):
        SolveOptions(workers=0)


def test_cp_sat_solver_is_seeded_limited_and_runs_max_lp() -> None:
    solver = cp_sat_solver(SolveOptions(time_limit_s=3, seed=5, workers=2))
    params = solver.parameters
    assert (params.max_time_in_seconds, params.random_seed, params.num_workers) == (3, 5, 2)
    assert "max_lp" in list(params.extra_subsolvers)


def test_a_result_pickles_and_stays_read_only() -> None:
    import pickle

    result = StageResult("x", Status.OPTIMAL, 1.0, 1.0, 0.0, 0.2, {"t": pd.DataFrame({"a": [1, 2]})}, stats={"arcs": 3})
    copy = pickle.loads(pickle.dumps(result))
    assert copy.table("t").equals(result.table("t")) and copy.stats["arcs"] == 3 and copy.status is Status.OPTIMAL
    with pytest.raises(TypeError):
        copy.tables["u"] = pd.DataFrame()  # type: ignore[index]
