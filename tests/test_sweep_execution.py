"""Running a sweep: the per-scenario task, failures as rows, Dask against in-process.

The determinism test runs six scenarios of the sample city (severe level, with sampled site closures, station
outages and stock cuts) through a local Dask cluster of two worker processes and in-process, and requires
identical rows. The tiny dataset of ``conftest`` serves the failure tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.base import Status
from planner.dataset.io import dataset_from_frames, read_dataset
from planner.dataset.schema import Dataset
from planner.rules.rules import Rules, load_preset
from planner.sweep.execution import (
    build_scenario,
    dask_client,
    flatten_kpis,
    plan_status,
    run_dask,
    run_serial,
    with_station_outages,
)
from planner.sweep.results import SweepResult, comparable
from planner.sweep.sampling import grid_sweep, monte_carlo_sweep
from planner.sweep.vocabulary import CONDITIONS, Sweep, SweepScenario

SAMPLE_CITY = Path(__file__).resolve().parents[1] / "data" / "sample"
DETERMINISM_TIME_LIMIT_S = 60.0
"""Ample per stage: a stage stopped by a wall-clock limit may differ between runs (CPU contention on a cluster)."""


# --- fixtures -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_preset("beijing-2023")


@pytest.fixture(scope="module")
def tiny() -> Dataset:
    from conftest import tiny_frames

    return dataset_from_frames(tiny_frames(), "tiny")


@pytest.fixture(scope="module")
def city() -> Dataset:
    return read_dataset(SAMPLE_CITY)


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    """A local Dask cluster of two worker processes, shared by this module's Dask tests."""
    with dask_client(workers=2) as dask:
        yield dask


# --- one scenario -------------------------------------------------------------------------------------------------


def test_build_scenario_routes_every_kind_of_knob() -> None:
    base = {"level": "severe", "closed_sites": ["ST9"], "demand_multipliers": {"D1": 2.0}}
    spec = SweepScenario(
        0,
        {"attack_rate": 0.4, "demand.D2": 1.5, "rule.transfer_minutes_max": 90, "level": "normal"},
        closed_sites=("ST1",),
    )
    scenario = build_scenario(base, spec)
    assert scenario.level == "normal" and scenario.attack_rate == 0.4
    assert scenario.staff_absence == 0.02  # the normal level's default: the base did not set it
    assert scenario.demand_multipliers == {"D1": 2.0, "D2": 1.5}
    assert scenario.rule_overrides == {"transfer_minutes_max": 90}
    assert scenario.closed_sites == ("ST9", "ST1")


def test_station_outage_patches_a_copy(tiny: Dataset) -> None:
    patched = with_station_outages(tiny, ["A1"])
    stations = patched.stations.set_index("station_id")
    assert stations.loc["A1", "ambulances"] == 0 and stations.loc["A1", "max_ambulances"] == 0
    assert stations.loc["A2", "ambulances"] == 2
    assert tiny.stations.set_index("station_id").loc["A1", "ambulances"] == 3
    assert patched.sha256 == "" and with_station_outages(tiny, []) is tiny
    with pytest.raises(ValueError, match="unknown stations A9"):
        with_station_outages(tiny, ["A9"])


def test_flatten_kpis_keeps_scalars_and_flattens_dicts_with_fixed_keys() -> None:
    flat = flatten_kpis(
        {
            "covered_share": 0.5,
            "uncovered_homes": 2,
            "lowest_fill_rate": {"tcm": 0.25},
            "nursing_unmet_by_tier": {"backfill": 3},
            "drug_shortfall": {"tcm": 5},
            "reserve_ratio": {"D1": 0.1},
            "status": {"observation": "optimal"},
            "seconds": {"observation": 1.0},
            "note": "text",
        }
    )
    assert flat["covered_share"] == 0.5 and flat["uncovered_homes"] == 2.0
    assert flat["lowest_fill_rate_tcm"] == 0.25
    assert math.isnan(flat["lowest_fill_rate_cough"]), "no care home or clinic needs it: no fill rate, not 100 %"
    assert flat["nursing_unmet_backfill"] == 3.0 and flat["nursing_unmet_transfer_1to1"] == 0.0
    assert flat["drug_shortfall_antiviral"] == 0.0 and flat["drug_shortfall_tcm"] == 5.0
    assert not any(k.startswith(("reserve_ratio", "status", "seconds", "note")) for k in flat)


def test_plan_status_reads_the_stage_statuses() -> None:
    import dataclasses

    from plan_fixture import make_plan_fixture

    plan = make_plan_fixture()
    assert plan_status(plan) == ("ok", "")
    stopped = plan.with_result("observation", dataclasses.replace(plan.stage("observation"), status=Status.FEASIBLE))
    assert plan_status(stopped) == ("time_limit", "stopped at the time limit: observation")
    broken = plan.with_result(
        "drugs", dataclasses.replace(plan.stage("drugs"), status=Status.ERROR, message="solver crashed")
    )
    assert plan_status(broken) == ("error", "drugs: error solver crashed")


def test_failed_scenarios_are_rows_and_the_rest_complete(tiny: Dataset, rules: Rules) -> None:
    sweep = grid_sweep(
        {"attack_rate": [0.2, 1.5], "station_outages": [[], ["A9"]]}, base={"level": "severe"}, dataset=tiny
    )
    result = run_serial(tiny, rules, sweep, time_limit_s=5)
    rows = result.scenarios.set_index("scenario")
    assert list(rows["status"]) == ["ok", "error", "error", "error"]
    assert rows.loc[1, "message"] == "ValueError: station_outages: unknown stations A9"
    assert rows.loc[2, "message"] == "ScenarioError: attack_rate: expected a share in [0, 1], got 1.5"
    assert rows.loc[0, "observation_persons"] > 0 and rows.loc[1:, "observation_persons"].isna().all()
    assert result.status_counts() == {"ok": 1, "time_limit": 0, "error": 3} and result.solved == 1
    assert set(result.bindings["scenario"]) <= {0} and set(result.marginal["scenario"]) <= {0}


def test_a_stage_stopped_at_its_time_limit_gives_a_time_limit_row(
    tiny: Dataset, rules: Rules, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forced: the snapshot observation model proves optimality even at a 1 ms limit (the daily one may not: its
    LPs take longer), so the test stops one stage the way a solver at its limit reports it (status ``feasible``)
    for the scenario with attack rate 0.3."""
    import dataclasses

    import planner.pipeline

    solve = planner.pipeline.make_plan
    limits: list[float] = []

    def stopped_at_the_limit(dataset: Dataset, rules: Rules, scenario: object, **kwargs: float) -> object:
        limits.append(kwargs["time_limit_s"])
        plan = solve(dataset, rules, scenario, **kwargs)  # type: ignore[arg-type]
        if getattr(scenario, "attack_rate", None) != 0.3:
            return plan
        stopped = dataclasses.replace(plan.stage("observation"), status=Status.FEASIBLE)
        return plan.with_result("observation", stopped)

    monkeypatch.setattr(planner.pipeline, "make_plan", stopped_at_the_limit)
    sweep = grid_sweep({"attack_rate": [0.2, 0.3, 0.4]}, base={"level": "severe", "plan": "snapshot"})
    result = run_serial(tiny, rules, sweep, time_limit_s=0.001)
    rows = result.scenarios
    assert limits == [0.001, 0.001, 0.001]
    assert rows["status"].tolist() == ["ok", "time_limit", "ok"]
    assert rows.loc[1, "message"] == "stopped at the time limit: observation"
    assert rows["observation_persons"].notna().all()  # a feasible plan: its KPIs are kept
    assert result.solved == 3 and 1 in set(result.bindings["scenario"])


# --- Dask against in-process --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def city_sweep(city: Dataset) -> Sweep:
    return monte_carlo_sweep(
        city,
        {
            "attack_rate": "triangular(0.1, 0.35, 0.7)",
            "stock_factor": "uniform(0.2, 1.0)",
            "fleet_factor": "uniform(0.3, 1.0)",
        },
        6,
        11,
        site_closure=0.1,
        station_outage=0.05,
        base={"level": "severe", "plan": "snapshot"},  # a determinism test: every stage proven within its limit
    )


@pytest.fixture(scope="module")
def serial_result(city: Dataset, rules: Rules, city_sweep: Sweep) -> SweepResult:
    return run_serial(city, rules, city_sweep, time_limit_s=DETERMINISM_TIME_LIMIT_S)


@pytest.mark.slow
def test_dask_gives_the_same_rows_as_in_process(
    client: object, city: Dataset, rules: Rules, city_sweep: Sweep, serial_result: SweepResult
) -> None:
    seen: list[int] = []
    on_dask = run_dask(
        client,
        city,
        rules,
        city_sweep,
        time_limit_s=DETERMINISM_TIME_LIMIT_S,
        progress=lambda done, _total, _outcome: seen.append(done),
    )
    assert seen == list(range(1, len(city_sweep) + 1))
    assert set(serial_result.scenarios["status"]) == {"ok"}
    pd.testing.assert_frame_equal(comparable(on_dask.scenarios), comparable(serial_result.scenarios))
    pd.testing.assert_frame_equal(on_dask.bindings, serial_result.bindings)
    pd.testing.assert_frame_equal(on_dask.marginal, serial_result.marginal)
    pd.testing.assert_frame_equal(on_dask.entities, serial_result.entities)
    assert on_dask.scenarios["worker"].nunique() >= 1
    assert set(on_dask.scenarios["worker"]).isdisjoint(serial_result.scenarios["worker"])


def test_the_sweep_stresses_the_city(serial_result: SweepResult) -> None:
    """The sampled closures, outages and stock cuts make something bind (else the counts test proves little)."""
    rows = serial_result.scenarios
    assert (rows["closed_site_count"] > 0).any() and (rows["station_outage_count"] > 0).any()
    assert set(serial_result.entities["condition"]) >= {"empty", "used_up"}


def test_entity_counts_add_up(serial_result: SweepResult) -> None:
    rows = serial_result.scenarios
    entities = serial_result.entities
    for condition, (kind, column) in CONDITIONS.items():
        counted = entities[entities["condition"] == condition]
        assert set(counted["kind"]) <= {kind}
        assert int(counted["scenarios"].sum()) == int(rows[column].sum()), condition
    per_scenario = serial_result.bindings.groupby("scenario")["condition"].value_counts().unstack(fill_value=0)
    for condition, (_kind, column) in CONDITIONS.items():
        expected = rows.set_index("scenario")[column].astype(int)
        counted = per_scenario.get(condition, pd.Series(0, index=per_scenario.index))
        assert counted.reindex(expected.index, fill_value=0).tolist() == expected.tolist(), condition
    assert np.allclose(entities["share"], entities["scenarios"] / serial_result.solved)


def test_failures_on_dask_are_rows_too(client: object, tiny: Dataset, rules: Rules) -> None:
    sweep = grid_sweep({"attack_rate": [0.2, -1.0, 0.3]}, base={"level": "severe"})
    result = run_dask(client, tiny, rules, sweep, time_limit_s=5)
    assert list(result.scenarios["status"]) == ["ok", "error", "ok"]
    assert "attack_rate" in result.scenarios.loc[1, "message"]
