"""bench.run: the promised JSON keys of one benchmark run on the tiny dataset, and why the MIP is skipped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import tiny_frames

from bench.inputs import build_instance
from bench.run import MIP_SCALES, WALL_PHASES, WALL_SLACK_S, BenchOptions, mip_skip, run_bench
from planner.dataset.io import dataset_from_frames
from planner.rules.rules import DEFAULT_PRESET, load_preset
from planner.rules.scenario import make_scenario


@pytest.fixture(scope="module")
def tiny_result() -> dict[str, Any]:
    """One benchmark run of the tiny dataset with both baselines (the only full run in the test suite)."""
    return run_bench(BenchOptions(scale="city", repeat=2), frames=tiny_frames())


def test_bench_json_has_the_promised_keys(tiny_result: dict[str, Any]) -> None:
    result = tiny_result
    json.dumps(result, allow_nan=False)  # plain JSON: no NaN, no numpy scalars
    assert result["schema"] == "epiplan.bench/1"
    assert {"instance", "machine", "versions", "epiplan", "hand", "mip", "comparison", "memory", "targets"} <= set(
        result
    )
    assert result["instance"]["homes"] == 3 and result["instance"]["level"] == "severe"
    assert {"cores", "platform", "load_average_before", "load_average_after"} <= set(result["machine"])
    assert {"python", "ortools", "pandas", "numpy", "pulp"} <= set(result["versions"])
    epiplan = result["epiplan"]
    assert len(epiplan["wall_seconds"]["runs"]) == 2
    assert set(epiplan["stages"]) == {"observation", "ambulance", "nursing", "drugs", "testing"}
    for stage in epiplan["stages"].values():
        assert {"status", "gap", "build_seconds", "solve_seconds", "variables", "arcs", "wall_seconds"} <= set(stage)
        assert stage["build_seconds"] is not None and stage["solve_seconds"] is not None
    assert epiplan["peak_rss_mb"] > 0 and result["memory"]["peak_rss_mb"] >= epiplan["peak_rss_mb"]
    kpis = epiplan["kpis"]
    for name in (
        "unmet_observation_disabled",
        "unmet_observation_other",
        "covered_share",
        "one_to_one_coverage",
        "lowest_fill_rate",
        "travel_minutes_total",
    ):
        assert name in kpis and name in result["hand"]["kpis"] and name in result["mip"]["kpis"]
    assert set(result["hand"]["notes"]) == {"drug_shortfall_within_pipeline_arcs", "packs_shipped_beyond_pipeline_arcs"}
    assert result["instance"]["drug_shortfall_lower_bound"] <= kpis["drug_shortfall"]
    comparison = result["comparison"]
    assert comparison["time_ratio_epiplan_over_mip"] > 0 and comparison["speedup_over_mip"] > 0
    assert comparison["equal_figures_to_mip"]["all_equal"]
    assert comparison["equal_figures_to_mip"]["one_to_one_coverage_same_needs"]
    assert result["mip"]["nursing_on_epiplans_needs"]["status"] == "optimal"
    # HiGHS on the same MIPs: every stage proven, the same figures, side by side with CBC
    assert result["highs"]["solver"] == "highs" and "cbc_peak_rss_mb" not in result["highs"]
    assert result["highs"]["child"]["stopped"] == {} and result["highs"]["child"]["peak_rss_mb"] > 0
    assert all(stage["status"] == "optimal" for stage in result["highs"]["stages"].values())
    assert result["highs"]["nursing_on_epiplans_needs"]["status"] == "optimal"
    assert comparison["equal_figures_to_highs"]["all_equal"] and comparison["speedup_over_highs"] > 0
    assert set(comparison["speedups"]) == {"mip", "highs"}
    assert comparison["equal_figures"] == {"mip": True, "highs": True}
    assert {"speedup_over_highs", "equal_figures_to_highs"} <= set(result["targets"])
    assert set(comparison["versus_hand"]) >= {"unmet_observation_disabled", "lowest_fill_rate"}
    assert {"wall_seconds", "every_stage_optimal", "speedup_over_mip", "never_worse_than_hand"} <= set(
        result["targets"]
    )


def test_hand_figures_are_never_better_than_epiplans_on_the_lexicographic_levels(tiny_result: dict[str, Any]) -> None:
    rows = tiny_result["comparison"]["versus_hand"]
    for name in ("unmet_observation_disabled", "unmet_observation_other", "covered_share", "one_to_one_coverage"):
        assert rows[name]["better"] in ("epiplan", "equal")
    assert rows["lowest_fill_rate"]["better"] in ("epiplan", "equal")
    ours = tiny_result["epiplan"]["kpis"]["lowest_fill_rate_by_drug"]
    hand = tiny_result["hand"]["kpis"]["lowest_fill_rate_by_drug"]
    assert all(ours[drug] >= hand[drug] for drug in ours)
    assert ours["cough"] > hand["cough"] == 0.0  # by hand, the pro-rata floor of a scarce drug is 0 packs


def test_mip_is_skipped_with_a_reason_and_the_model_sizes() -> None:
    dataset = dataset_from_frames(tiny_frames(), name="tiny")
    instance = build_instance(dataset, load_preset(DEFAULT_PRESET), make_scenario(level="severe"))
    skipped = mip_skip(instance)
    assert skipped["skipped"] is True and "not run" in skipped["reason"]
    assert skipped["model_sizes"]["drug_integer_variables"] > 0


def test_the_highs_baseline_runs_at_the_province_in_a_watched_child() -> None:
    """In-process, HiGHS on PuLP's province model passed 24 GB and the out-of-memory killer ended the whole
    benchmark; in a watched child it is stopped at its memory cap instead, so it runs at the province too."""
    assert "province" in MIP_SCALES["mip"] and "province" in MIP_SCALES["highs"]
    watch = BenchOptions(mip_time_limit_s=60.0, mip_memory_gb=2.0).watch()
    assert watch.memory_bytes == 2 * 1024**3
    assert watch.wall_seconds == WALL_PHASES * 60.0 + WALL_SLACK_S
    with pytest.raises(ValueError, match="memory cap"):
        BenchOptions(mip_memory_gb=0.0)
