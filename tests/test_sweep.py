"""Scenario sweeps: generators, the per-scenario task, Dask vs in-process determinism, counts, summary, files.

The determinism test runs six scenarios of the sample city (severe level, with sampled site closures, station
outages and stock cuts) through a local Dask cluster of two worker processes and in-process, and requires
identical rows. The tiny dataset of ``conftest`` serves the failure tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from models.base import Status
from planner.dataset.io import dataset_from_frames, read_dataset
from planner.dataset.schema import Dataset
from planner.rules.rules import Rules, load_preset
from planner.sweep import engine as sw

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
    with sw.dask_client(workers=2) as dask:
        yield dask


# --- distributions ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "kind", "params"),
    [
        ("uniform(0.1, 0.3)", "uniform", (0.1, 0.3)),
        (" triangular( 0.1 ,0.15, 0.4 ) ", "triangular", (0.1, 0.15, 0.4)),
        ("beta(2, 5)", "beta", (2.0, 5.0, 0.0, 1.0)),
        ("beta(2, 5, 0.05, 0.3)", "beta", (2.0, 5.0, 0.05, 0.3)),
        ({"dist": "uniform", "low": 0.5, "high": 1}, "uniform", (0.5, 1.0)),
        ({"dist": "beta", "a": 2, "b": 3}, "beta", (2.0, 3.0, 0.0, 1.0)),
        ({"triangular": [0, 1, 2]}, "triangular", (0.0, 1.0, 2.0)),
        (0.25, "fixed", (0.25,)),
    ],
)
def test_parse_distribution_forms(spec: object, kind: str, params: tuple[float, ...]) -> None:
    dist = sw.parse_distribution(spec)
    assert (dist.kind, dist.params) == (kind, params)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("normal(0, 1)", "unknown distribution"),
        ("uniform(0.3, 0.1)", "low <= high"),
        ("triangular(0.1, 0.5, 0.3)", "low <= mode <= high"),
        ("beta(0, 5)", "a > 0"),
        ("uniform(0.1)", "expected 2 numbers"),
        ("uniform(a, b)", "expected numbers"),
        (True, "expected a number"),
        ("0.3", "expected uniform"),
    ],
)
def test_bad_distributions_name_the_problem(spec: object, message: str) -> None:
    with pytest.raises(sw.SweepError, match=message):
        sw.parse_distribution(spec)


@settings(max_examples=40, deadline=None)
@given(
    low=st.floats(-10, 10),
    width=st.floats(0, 10),
    mode_at=st.floats(0, 1),
    a=st.floats(0.1, 10),
    b=st.floats(0.1, 10),
    seed=st.integers(0, 2**32 - 1),
)
def test_draws_stay_in_the_support(low: float, width: float, mode_at: float, a: float, b: float, seed: int) -> None:
    high = low + width
    for dist in (
        sw.Distribution("uniform", (low, high)),
        sw.Distribution("triangular", (low, low + mode_at * width, high)),
        sw.Distribution("beta", (a, b, low, high)),
    ):
        values = dist.sample(np.random.default_rng(seed), 50)
        assert values.shape == (50,)
        assert np.all(values >= low) and np.all(values <= high)


@pytest.mark.parametrize(
    ("dist", "mean"),
    [
        (sw.Distribution("uniform", (1.0, 3.0)), 2.0),
        (sw.Distribution("triangular", (0.0, 0.0, 3.0)), 1.0),
        (sw.Distribution("beta", (2.0, 6.0, 1.0, 5.0)), 1.0 + 4.0 * 2.0 / 8.0),
        (sw.Distribution("fixed", (0.4,)), 0.4),
    ],
)
def test_draws_have_the_distribution_mean(dist: sw.Distribution, mean: float) -> None:
    values = dist.sample(np.random.default_rng(5), 20_000)
    assert values.mean() == pytest.approx(mean, abs=0.03)
    assert dist.support[0] <= values.min() and values.max() <= dist.support[1]


# --- generators ---------------------------------------------------------------------------------------------------


def test_grid_is_the_cartesian_product_first_knob_slowest() -> None:
    sweep = sw.grid_sweep(
        {"attack_rate": [0.1, 0.2], "stock_factor": [1.0, 0.5, 0.0], "closed_sites": [[], "ST1, ST2"]},
        base={"level": "severe"},
    )
    assert len(sweep) == 12
    assert sweep.base == {"level": "severe"} and sweep.generator == "grid"
    assert [s.index for s in sweep.scenarios] == list(range(12))
    assert sweep.scenarios[0].knobs == {"attack_rate": 0.1, "stock_factor": 1.0}
    assert sweep.scenarios[0].closed_sites == ()
    assert sweep.scenarios[1].closed_sites == ("ST1", "ST2")
    assert sweep.scenarios[2].knobs == {"attack_rate": 0.1, "stock_factor": 0.5}
    assert sweep.scenarios[11].knobs == {"attack_rate": 0.2, "stock_factor": 0.0}


def test_grid_rejects_unknown_knobs_and_empty_lists(tiny: Dataset) -> None:
    with pytest.raises(sw.SweepError) as caught:
        sw.grid_sweep({"attack": [0.1], "demand.D9": [1.0], "rule.nope": [1], "stock_factor": []}, dataset=tiny)
    problems = " | ".join(caught.value.problems)
    assert "attack: not a sweep knob" in problems
    assert "demand.D9: no district 'D9'" in problems
    assert "rule.nope: not a rule" in problems
    assert "stock_factor: expected a non-empty list" in problems


def test_monte_carlo_is_seeded_and_each_knob_has_its_own_stream(tiny: Dataset) -> None:
    knobs = {"attack_rate": "uniform(0.1, 0.5)", "stock_factor": "triangular(0.2, 0.5, 1.0)"}
    first = sw.monte_carlo_sweep(tiny, knobs, 30, 7, site_closure=0.3, station_outage=0.3)
    again = sw.monte_carlo_sweep(tiny, knobs, 30, 7, site_closure=0.3, station_outage=0.3)
    other = sw.monte_carlo_sweep(tiny, knobs, 30, 8, site_closure=0.3, station_outage=0.3)
    more = sw.monte_carlo_sweep(tiny, {**knobs, "severe_share": "beta(2, 5, 0, 0.3)"}, 30, 7)
    assert first == again
    assert first != other
    assert [s.knobs["attack_rate"] for s in more.scenarios] == [s.knobs["attack_rate"] for s in first.scenarios]
    closed = [site for s in first.scenarios for site in s.closed_sites]
    outages = [station for s in first.scenarios for station in s.station_outages]
    assert set(closed) == {"ST1", "ST2"} and set(outages) == {"A1", "A2"}
    assert all(0.1 <= s.knobs["attack_rate"] <= 0.5 for s in first.scenarios)


def test_monte_carlo_whole_knobs_are_rounded_and_ranges_checked(tiny: Dataset) -> None:
    sweep = sw.monte_carlo_sweep(tiny, {"horizon_days": "uniform(7, 28)", "rule.persons_per_room": 1}, 5, 1)
    assert all(isinstance(s.knobs["horizon_days"], int) for s in sweep.scenarios)
    assert all(s.knobs["rule.persons_per_room"] == 1 for s in sweep.scenarios)
    with pytest.raises(sw.SweepError, match=r"attack_rate: uniform\(0.5, 1.5\) reaches outside \[0, 1\]"):
        sw.monte_carlo_sweep(tiny, {"attack_rate": "uniform(0.5, 1.5)"}, 5, 1)
    with pytest.raises(sw.SweepError, match="level: not a sweep knob"):
        sw.monte_carlo_sweep(tiny, {"level": 1.0}, 5, 1)
    with pytest.raises(sw.SweepError, match=r"rule\.barrier_free_for_disabled: not a number"):
        sw.monte_carlo_sweep(tiny, {"rule.barrier_free_for_disabled": 1.0}, 5, 1)


def test_failures_at_probability_one_hit_every_candidate_and_skip_closed_sites(tiny: Dataset) -> None:
    sweep = sw.monte_carlo_sweep(tiny, {}, 3, 0, site_closure=1.0, station_outage=1.0, base={"closed_sites": ["ST2"]})
    assert all(s.closed_sites == ("ST1",) for s in sweep.scenarios)
    assert all(s.station_outages == ("A1", "A2") for s in sweep.scenarios)
    some = sw.monte_carlo_sweep(tiny, {}, 3, 0, station_outage=sw.Failure(1.0, ("A2",)))
    assert all(s.station_outages == ("A2",) and s.closed_sites == () for s in some.scenarios)
    with pytest.raises(sw.SweepError, match="unknown ids A9"):
        sw.monte_carlo_sweep(tiny, {}, 3, 0, station_outage={"probability": 0.5, "ids": ["A9"]})
    with pytest.raises(sw.SweepError, match=r"site_closure: expected a probability in \[0, 1\], got 1.5"):
        sw.monte_carlo_sweep(tiny, {}, 3, 0, site_closure=1.5)
    with pytest.raises(sw.SweepError, match="station_outage: expected a probability or"):
        sw.monte_carlo_sweep(tiny, {}, 3, 0, station_outage={"ids": ["A1"]})


def test_sweep_files(tmp_path: Path, tiny: Dataset) -> None:
    grid_file = tmp_path / "grid.yaml"
    grid_file.write_text(
        yaml.safe_dump({"base": {"attack_rate": 0.3}, "grid": {"stock_factor": [0.5, 1.0], "level": ["severe"]}})
    )
    grid = sw.load_grid(grid_file, {"level": "prevalent"}, tiny)
    assert grid.base == {"level": "prevalent", "attack_rate": 0.3}
    assert [s.knobs for s in grid.scenarios] == [
        {"stock_factor": 0.5, "level": "severe"},
        {"stock_factor": 1.0, "level": "severe"},
    ]
    mc_file = tmp_path / "mc.yaml"
    mc_file.write_text("attack_rate: uniform(0.1, 0.2)\nsite_closure: 1.0\nbase: {horizon_days: 7}\n")
    monte = sw.load_monte_carlo(mc_file, tiny, 4, 3, {"level": "severe"})
    assert monte.base == {"level": "severe", "horizon_days": 7} and len(monte) == 4
    assert all(s.closed_sites == ("ST1", "ST2") for s in monte.scenarios)
    (tmp_path / "bad.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(sw.SweepError, match="expected a mapping"):
        sw.load_grid(tmp_path / "bad.yaml")
    with pytest.raises(sw.SweepError, match="no such file"):
        sw.load_grid(tmp_path / "missing.yaml")


def test_default_distributions_center_on_the_level() -> None:
    from planner.rules.scenario import make_scenario

    dists = sw.default_distributions(make_scenario(level="severe"))
    assert dists["attack_rate"] == sw.Distribution("triangular", (0.175, 0.35, 0.7))
    assert dists["stock_factor"] == sw.Distribution("uniform", (0.6, 1.0))


# --- one scenario -------------------------------------------------------------------------------------------------


def test_build_scenario_routes_every_kind_of_knob() -> None:
    base = {"level": "severe", "closed_sites": ["ST9"], "demand_multipliers": {"D1": 2.0}}
    spec = sw.SweepScenario(
        0,
        {"attack_rate": 0.4, "demand.D2": 1.5, "rule.transfer_minutes_max": 90, "level": "normal"},
        closed_sites=("ST1",),
    )
    scenario = sw.build_scenario(base, spec)
    assert scenario.level == "normal" and scenario.attack_rate == 0.4
    assert scenario.staff_absence == 0.02  # the normal level's default: the base did not set it
    assert scenario.demand_multipliers == {"D1": 2.0, "D2": 1.5}
    assert scenario.rule_overrides == {"transfer_minutes_max": 90}
    assert scenario.closed_sites == ("ST9", "ST1")


def test_station_outage_patches_a_copy(tiny: Dataset) -> None:
    patched = sw.with_station_outages(tiny, ["A1"])
    stations = patched.stations.set_index("station_id")
    assert stations.loc["A1", "ambulances"] == 0 and stations.loc["A1", "max_ambulances"] == 0
    assert stations.loc["A2", "ambulances"] == 2
    assert tiny.stations.set_index("station_id").loc["A1", "ambulances"] == 3
    assert patched.sha256 == "" and sw.with_station_outages(tiny, []) is tiny
    with pytest.raises(ValueError, match="unknown stations A9"):
        sw.with_station_outages(tiny, ["A9"])


def test_flatten_kpis_keeps_scalars_and_flattens_dicts_with_fixed_keys() -> None:
    flat = sw.flatten_kpis(
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
    assert flat["lowest_fill_rate_tcm"] == 0.25 and flat["lowest_fill_rate_cough"] == 1.0
    assert flat["nursing_unmet_backfill"] == 3.0 and flat["nursing_unmet_transfer_1to1"] == 0.0
    assert flat["drug_shortfall_antiviral"] == 0.0 and flat["drug_shortfall_tcm"] == 5.0
    assert not any(k.startswith(("reserve_ratio", "status", "seconds", "note")) for k in flat)


def test_plan_status_reads_the_stage_statuses() -> None:
    import dataclasses

    from plan_fixture import make_plan_fixture

    plan = make_plan_fixture()
    assert sw.plan_status(plan) == ("ok", "")
    stopped = plan.with_result("observation", dataclasses.replace(plan.stage("observation"), status=Status.FEASIBLE))
    assert sw.plan_status(stopped) == ("time_limit", "stopped at the time limit: observation")
    broken = plan.with_result(
        "drugs", dataclasses.replace(plan.stage("drugs"), status=Status.ERROR, message="solver crashed")
    )
    assert sw.plan_status(broken) == ("error", "drugs: error solver crashed")


def test_failed_scenarios_are_rows_and_the_rest_complete(tiny: Dataset, rules: Rules) -> None:
    sweep = sw.grid_sweep(
        {"attack_rate": [0.2, 1.5], "station_outages": [[], ["A9"]]}, base={"level": "severe"}, dataset=tiny
    )
    result = sw.run_serial(tiny, rules, sweep, time_limit_s=5)
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
    """Forced: the observation model now proves optimality even at a 1 ms limit, so the test stops one stage
    the way a solver at its limit reports it (status ``feasible``) for the scenario with attack rate 0.3."""
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
    sweep = sw.grid_sweep({"attack_rate": [0.2, 0.3, 0.4]}, base={"level": "severe"})
    result = sw.run_serial(tiny, rules, sweep, time_limit_s=0.001)
    rows = result.scenarios
    assert limits == [0.001, 0.001, 0.001]
    assert rows["status"].tolist() == ["ok", "time_limit", "ok"]
    assert rows.loc[1, "message"] == "stopped at the time limit: observation"
    assert rows["observation_persons"].notna().all()  # a feasible plan: its KPIs are kept
    assert result.solved == 3 and 1 in set(result.bindings["scenario"])


# --- Dask against in-process --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def city_sweep(city: Dataset) -> sw.Sweep:
    return sw.monte_carlo_sweep(
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
        base={"level": "severe"},
    )


@pytest.fixture(scope="module")
def serial_result(city: Dataset, rules: Rules, city_sweep: sw.Sweep) -> sw.SweepResult:
    return sw.run_serial(city, rules, city_sweep, time_limit_s=DETERMINISM_TIME_LIMIT_S)


@pytest.mark.slow
def test_dask_gives_the_same_rows_as_in_process(
    client: object, city: Dataset, rules: Rules, city_sweep: sw.Sweep, serial_result: sw.SweepResult
) -> None:
    seen: list[int] = []
    on_dask = sw.run_dask(
        client,
        city,
        rules,
        city_sweep,
        time_limit_s=DETERMINISM_TIME_LIMIT_S,
        progress=lambda done, _total, _outcome: seen.append(done),
    )
    assert seen == list(range(1, len(city_sweep) + 1))
    assert set(serial_result.scenarios["status"]) == {"ok"}
    pd.testing.assert_frame_equal(sw.comparable(on_dask.scenarios), sw.comparable(serial_result.scenarios))
    pd.testing.assert_frame_equal(on_dask.bindings, serial_result.bindings)
    pd.testing.assert_frame_equal(on_dask.marginal, serial_result.marginal)
    pd.testing.assert_frame_equal(on_dask.entities, serial_result.entities)
    assert on_dask.scenarios["worker"].nunique() >= 1
    assert set(on_dask.scenarios["worker"]).isdisjoint(serial_result.scenarios["worker"])


def test_the_sweep_stresses_the_city(serial_result: sw.SweepResult) -> None:
    """The sampled closures, outages and stock cuts make something bind (else the counts test proves little)."""
    rows = serial_result.scenarios
    assert (rows["closed_site_count"] > 0).any() and (rows["station_outage_count"] > 0).any()
    assert set(serial_result.entities["condition"]) >= {"empty", "used_up"}


def test_entity_counts_add_up(serial_result: sw.SweepResult) -> None:
    rows = serial_result.scenarios
    entities = serial_result.entities
    for condition, (kind, column) in sw.CONDITIONS.items():
        counted = entities[entities["condition"] == condition]
        assert set(counted["kind"]) <= {kind}
        assert int(counted["scenarios"].sum()) == int(rows[column].sum()), condition
    per_scenario = serial_result.bindings.groupby("scenario")["condition"].value_counts().unstack(fill_value=0)
    for condition, (_kind, column) in sw.CONDITIONS.items():
        expected = rows.set_index("scenario")[column].astype(int)
        counted = per_scenario.get(condition, pd.Series(0, index=per_scenario.index))
        assert counted.reindex(expected.index, fill_value=0).tolist() == expected.tolist(), condition
    assert np.allclose(entities["share"], entities["scenarios"] / serial_result.solved)


def test_failures_on_dask_are_rows_too(client: object, tiny: Dataset, rules: Rules) -> None:
    sweep = sw.grid_sweep({"attack_rate": [0.2, -1.0, 0.3]}, base={"level": "severe"})
    result = sw.run_dask(client, tiny, rules, sweep, time_limit_s=5)
    assert list(result.scenarios["status"]) == ["ok", "error", "ok"]
    assert "attack_rate" in result.scenarios.loc[1, "message"]


# --- summary ------------------------------------------------------------------------------------------------------


def _hand_result() -> sw.SweepResult:
    """Five scenarios by hand: four solved (one stopped at its limit), one failed."""
    sweep = sw.Sweep(tuple(sw.SweepScenario(i, {"attack_rate": 0.1 * (i + 1)}) for i in range(5)))
    binds = [
        [("care_home", "H1", "", "uncovered"), ("depot", "W1", "tcm", "empty")],
        [("care_home", "H1", "", "uncovered")],
        [],
        [("care_home", "H1", "", "uncovered"), ("site", "=S1", "", "full")],
    ]
    marginal = [
        [("drugs", "W1:tcm", "pack", 2.0)],
        [("drugs", "W1:tcm", "pack", 4.0)],
        [],
        [("nursing", "P1", "nurse", 1.0)],
    ]
    outcomes = []
    for i in range(4):
        bindings = pd.DataFrame(binds[i], columns=["kind", "entity_id", "drug", "condition"])
        values = pd.DataFrame(marginal[i], columns=["stage", "resource_id", "resource_kind", "value"])
        kpis = {"uncovered_homes": float(len(binds[i]) > 0 and i != 2), "covered_share": [0.5, 0.75, 1.0, 0.25][i]}
        status = "time_limit" if i == 3 else "ok"
        outcomes.append(sw.ScenarioOutcome(i, status, "", 1.0, "w", kpis, bindings, values))
    outcomes.append(sw.ScenarioOutcome(4, "error", "=boom()", 0.5, "w"))
    return sw.assemble(sweep, reversed(outcomes))


def test_assemble_orders_rows_and_counts_entities() -> None:
    result = _hand_result()
    assert result.scenarios["scenario"].tolist() == [0, 1, 2, 3, 4]
    assert result.knob_columns[:1] == ("attack_rate",)
    assert result.kpi_columns == ("uncovered_homes", "covered_share")
    assert result.solved == 4
    assert result.status_counts() == {"ok": 3, "time_limit": 1, "error": 1}
    top = result.entities.iloc[0]
    assert (top["kind"], top["entity_id"], top["condition"], top["scenarios"], top["share"]) == (
        "care_home",
        "H1",
        "uncovered",
        3,
        0.75,
    )
    assert len(result.entities) == 3


def test_kpi_percentiles_by_hand() -> None:
    summary = sw.summarize(_hand_result())
    table = summary.kpis.set_index("kpi")
    # covered_share (higher is better) over 0.5, 0.75, 1.0, 0.25: P50 0.625; P90 = 10th percentile = 0.325;
    # P95 = 5th percentile = 0.2875; worst 0.25.
    share = table.loc["covered_share"]
    assert share["better"] == "higher"
    assert share[["p50", "p90", "p95", "worst", "best"]].tolist() == pytest.approx([0.625, 0.325, 0.2875, 0.25, 1.0])
    # uncovered_homes (lower is better) over 1, 1, 0, 1: P50 1, P90 1, worst 1, best 0.
    homes = table.loc["uncovered_homes"]
    assert homes[["p50", "p90", "p95", "worst", "best", "mean"]].tolist() == pytest.approx([1, 1, 1, 1, 0, 0.75])
    assert int(homes["scenarios"]) == 4


def test_marginal_values_aggregated_by_hand() -> None:
    marginal = sw.summarize(_hand_result()).marginal_values
    assert marginal[["resource_id", "mean_value", "share_positive", "max_value", "scenarios"]].values.tolist() == [
        ["W1:tcm", 1.5, 0.5, 4.0, 2],
        ["P1", 0.25, 0.25, 1.0, 1],
    ]


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".xlsx"])
def test_save_and_read_back(tmp_path: Path, suffix: str) -> None:
    result = _hand_result()
    written = sw.save_sweep(result, tmp_path / f"out{suffix}")
    tables = sw.read_sweep(tmp_path / f"out{suffix}")
    assert set(tables) == set(sw.RESULT_TABLES)
    assert len(written) == (1 if suffix == ".xlsx" else len(sw.RESULT_TABLES))
    scenarios = tables["scenarios"]
    assert scenarios["scenario"].tolist() == [0, 1, 2, 3, 4]
    assert scenarios["status"].tolist() == ["ok", "ok", "ok", "time_limit", "error"]
    assert scenarios["covered_share"].iloc[:4].tolist() == pytest.approx([0.5, 0.75, 1.0, 0.25])
    message = scenarios["message"].iloc[4]
    assert message == ("'=boom()" if suffix == ".csv" else "=boom()")
    assert tables["entities"]["scenarios"].tolist() == [3, 1, 1]
    if suffix == ".csv":
        assert tables["stress_points"]["entity_id"].tolist()[1:] == ["W1", "'=S1"]


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(sw.SweepError, match=r"expected a \.parquet, \.csv or \.xlsx"):
        sw.save_sweep(_hand_result(), tmp_path / "out.json")
