"""bench.report: why epiplan comes out behind the hand method, the issue's targets and the KPI table."""

from __future__ import annotations

import math

import numpy as np
from bench_fixtures import kpis

from bench.inputs import STAGES
from bench.kpis import KPI_SENSE, versus
from bench.report import comparison, json_safe, kpi_table, targets, why_worse
from models.base import Status


def test_why_worse_explains_the_lexicographic_trade_offs() -> None:
    ours = kpis(unmet_observation_disabled=0, unmet_observation_other=7, unmet_observation_persons=7, sites_opened=3)
    hand = kpis(unmet_observation_disabled=5, unmet_observation_other=4, unmet_observation_persons=9, sites_opened=2)
    ours.update(drug_shortfall=10, minutes_per_nurse=2.0)
    hand.update(drug_shortfall=8, minutes_per_nurse=1.0)
    rows = versus(ours, hand)
    worse = sorted(name for name, row in rows.items() if row["better"] == "other")
    assert worse == ["drug_shortfall", "minutes_per_nurse", "sites_opened", "unmet_observation_other"]
    notes = {"packs_shipped_beyond_pipeline_arcs": 4, "drug_shortfall_within_pipeline_arcs": 12}
    reasons = why_worse(worse, rows, notes)
    assert "disabled" in reasons["unmet_observation_other"] and "-5" in reasons["unmet_observation_other"]
    assert "more persons placed" in reasons["sites_opened"]
    assert "12" in reasons["drug_shortfall"]
    assert "minutes_per_nurse" not in reasons  # no known reason: left for the reader
    ours.update(one_to_one_coverage=0.944)
    hand.update(one_to_one_coverage=0.531)
    covered = why_worse(["minutes_per_nurse"], versus(ours, hand), notes)
    assert "1:1 needs first" in covered["minutes_per_nurse"] and "+41.3%" in covered["minutes_per_nurse"]


def test_comparison_against_the_mip_and_the_hand_method() -> None:
    # epiplan 2 s against the MIP's 10 s: 5x, a lower bound as CBC stopped at its limit on drugs. The hand method
    # opens one site less: epiplan is worse there, for no reason the benchmark knows (nobody more placed).
    ours = {"wall_seconds": {"min": 2.0}, "stages": {n: {"model_seconds": 1.0} for n in STAGES}, "kpis": kpis()}
    ours["stages"]["drugs"]["model_seconds"] = 0.0
    mip_stages = {n: {"status": "optimal", "model_seconds": 5.0} for n in STAGES if n != "testing"}  # no MIP of it
    mip_stages["drugs"]["status"] = "feasible"
    result = {
        "epiplan": ours,
        "mip": {"wall_seconds": {"min": 10.0}, "stages": mip_stages, "kpis": kpis()},
        "hand": {"kpis": kpis(sites_opened=-1.0), "notes": {}},
    }
    found = comparison(result)
    assert (found["time_ratio_epiplan_over_mip"], found["speedup_over_mip"]) == (0.2, 5.0)
    assert found["mip_stages_not_optimal"] == ["drugs"] and found["speedup_is_lower_bound"]
    assert found["stage_speedup_over_mip"] == {"observation": 5.0, "ambulance": 5.0, "nursing": 5.0, "drugs": None}
    assert found["equal_figures_to_mip"]["all_equal"]
    assert {row["better"] for row in found["versus_mip"].values()} == {"equal"}
    assert found["worse_than_hand"] == ["sites_opened"] and found["why_worse_than_hand"] == {}
    assert "versus_mip" not in comparison({"epiplan": ours, "mip": {"skipped": True, "reason": "not run"}})


def test_comparison_reports_each_mip_baseline_side_by_side() -> None:
    # CBC 10 s and HiGHS 4 s against epiplan's 2 s: 5x and 2x; HiGHS ends with one unmet person more (not equal).
    ours = {"wall_seconds": {"min": 2.0}, "stages": {n: {"model_seconds": 1.0} for n in STAGES}, "kpis": kpis()}
    optimal = {n: {"status": "optimal", "model_seconds": 2.0} for n in STAGES}
    result = {
        "epiplan": ours,
        "mip": {"wall_seconds": {"min": 10.0}, "stages": optimal, "kpis": kpis()},
        "highs": {"wall_seconds": {"min": 4.0}, "stages": optimal, "kpis": kpis(unmet_observation_other=1.0)},
    }
    found = comparison(result)
    assert found["speedups"] == {"mip": 5.0, "highs": 2.0}
    assert found["equal_figures"] == {"mip": True, "highs": False}
    assert found["highs_stages_not_optimal"] == [] and not found["speedup_over_highs_is_lower_bound"]
    assert found["stage_speedup_over_highs"]["nursing"] == 2.0
    assert found["versus_highs"]["unmet_observation_other"]["better"] == "epiplan"
    only_highs = comparison({"epiplan": ours, "highs": result["highs"]})
    assert "speedup_over_mip" not in only_highs and only_highs["speedups"] == {"highs": 2.0}


def test_targets_of_a_city_and_a_national_run() -> None:
    city = {
        "epiplan": {"wall_seconds": {"min": 0.5}, "all_optimal": True, "worst_gap": 0.0},
        "comparison": {
            "speedup_over_mip": 20.0,
            "equal_figures_to_mip": {"all_equal": True},
            "worse_than_hand": ["minutes_per_nurse", "sites_opened"],
            "why_worse_than_hand": {"sites_opened": "more persons placed need more sites"},
        },
    }
    assert targets(city, "city") == {
        "wall_seconds": {"target": 0.5, "value": 0.5, "met": True},
        "every_stage_optimal": {"value": True, "met": True},
        "speedup_over_mip": {"target": 10.0, "value": 20.0, "met": True},
        "equal_figures_to_mip": {"value": True, "met": True},
        "never_worse_than_hand": {
            "value": ["minutes_per_nurse", "sites_opened"],
            "met": False,
            "unexplained": ["minutes_per_nurse"],
        },
    }
    national = {
        "epiplan": {"wall_seconds": {"min": 50.0}, "all_optimal": False, "worst_gap": 0.004},
        "memory": {"peak_rss_mb_after_epiplan": 2100.0},
    }
    assert targets(national, "national") == {
        "wall_seconds": {"target": 60.0, "value": 50.0, "met": True},
        "gap": {"target": 0.005, "value": 0.004, "met": True},
        "peak_rss_mb": {"target": 2048.0, "value": 2100.0, "met": False},
    }
    national["memory"] = {"peak_rss_mb_after_epiplan": 1500.0, "peak_tree_mb": 2300.0}  # the children counted
    assert targets(national, "national")["peak_rss_mb"] == {"target": 2048.0, "value": 2300.0, "met": False}


def test_json_safe_leaves_only_json_types() -> None:
    value = {"a": np.int64(3), "b": [np.float64(1.5), math.nan], "c": Status.OPTIMAL, 1: (math.inf,)}
    safe = json_safe(value)
    assert safe == {"a": 3, "b": [1.5, None], "c": "optimal", "1": [None]}
    assert type(safe["a"]) is int and type(safe["b"][0]) is float


def test_kpi_table_shows_the_difference_to_the_hand_method() -> None:
    result = {
        "epiplan": {"kpis": kpis(lowest_fill_rate=0.75)},
        "hand": {"kpis": kpis()},
        "mip": {"skipped": True, "reason": "not run"},
    }
    lines = kpi_table(result).splitlines()
    assert lines[0] == "| KPI | epiplan | by hand | epiplan - hand | PuLP/CBC | HiGHS |"
    assert "| lowest_fill_rate | 0.75 | 0.5 | +0.25 | — | — |" in lines
    assert len(lines) == 2 + len(KPI_SENSE)  # a row per compared KPI
