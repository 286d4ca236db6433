"""StageResult, statuses and solver configuration."""

import gc
import math
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from models.base import (
    Phase,
    SolveOptions,
    StageResult,
    Status,
    cp_sat_solver,
    highs_solver,
    relative_gap,
    release_highs,
    stop_searches,
)


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
    with pytest.raises(ValueError, match="Expected the time limit of stage drugs > 0"):
        SolveOptions(stage_time_limits=(("drugs", 0.0),))
    options = SolveOptions(time_limit_s=10, seed=3, stage_time_limits=(("drugs", 30.0),))
    assert options.for_stage("drugs") == SolveOptions(time_limit_s=30, seed=3)
    assert options.for_stage("testing") == SolveOptions(time_limit_s=10, seed=3)


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


def _transportation_lp(highs: Any, size: int) -> Any:
    """A dense ``size`` x ``size`` transportation LP with random costs: seconds of dual simplex without presolve."""
    rng = np.random.default_rng(3)
    lp = highs.HighsLp()
    columns = size * size
    supply = rng.integers(1, 100, size).astype(float)
    lp.num_col_, lp.num_row_ = columns, 2 * size
    lp.col_cost_ = rng.random(columns)
    lp.col_lower_, lp.col_upper_ = np.zeros(columns), np.full(columns, np.inf)
    lp.row_lower_ = np.concatenate([np.full(size, -np.inf), np.full(size, supply.sum() / size)])
    lp.row_upper_ = np.concatenate([supply, np.full(size, np.inf)])
    supplier, demand = np.divmod(np.arange(columns), size)
    index = np.empty(2 * columns, np.int32)
    index[0::2], index[1::2] = supplier, size + demand
    lp.a_matrix_.format_ = highs.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * columns + 1, 2, dtype=np.int32)
    lp.a_matrix_.index_, lp.a_matrix_.value_ = index, np.ones(2 * columns)
    return lp


def test_stop_searches_stops_a_highs_run_under_way() -> None:
    highs = pytest.importorskip("highspy")
    solver = highs_solver(highs)
    solver.setOptionValue("presolve", "off")
    solver.passModel(_transportation_lp(highs, 500))  # about 1.5 s to the optimum on 2 cores
    stopper = threading.Timer(0.05, stop_searches)  # as the signal watcher does, from another thread
    stopper.start()
    solver.run()
    stopper.join()
    assert solver.getModelStatus() == highs.HighsModelStatus.kTimeLimit


class _Owner:
    """A model that owns a solver (as the observation models do)."""


@pytest.fixture
def no_cycle_collector() -> Iterator[None]:
    """Python's cycle collector off: what is freed is freed by its last reference."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_a_highs_solver_waits_for_the_cycle_collector_unless_released(no_cycle_collector: None) -> None:
    highs = pytest.importorskip("highspy")
    kept = highs_solver(highs)
    kept_ref = weakref.ref(kept)
    released = highs_solver(highs)
    released_ref = weakref.ref(released)
    release_highs(released)
    del kept, released
    assert kept_ref() is not None  # highspy's own cycle: the memory HiGHS holds stays until a collection
    assert released_ref() is None


def test_a_highs_solver_is_freed_with_its_owner(no_cycle_collector: None) -> None:
    highs = pytest.importorskip("highspy")
    owner = _Owner()
    solver = highs_solver(highs, owner=owner)
    solver.passModel(_transportation_lp(highs, 5))
    solver.run()
    solver_ref = weakref.ref(solver)
    del solver
    assert solver_ref() is not None  # kept until its owner ends
    del owner
    assert solver_ref() is None
