"""The plan's KPIs: every stage's figures, the reserve, the checklist counts, status and seconds."""

from __future__ import annotations

from tiny_plan import tiny_plan

from planner.stages.registry import STAGE_NAMES


def test_every_stage_reports_its_figures_in_pipeline_order() -> None:
    kpis = tiny_plan().kpis
    keys = list(kpis)
    assert keys.index("observation_persons") < keys.index("daily_transfers") < keys.index("nurses_assigned")
    assert keys.index("nurses_assigned") < keys.index("drug_shortfall") < keys.index("reserve_ratio")


def test_reserve_ratio_per_district() -> None:
    kpis = tiny_plan().kpis
    assert kpis["reserve_ratio"] == {"D1": round(15 / 140, 4), "D2": round(8 / 60, 4)}
    assert kpis["districts_short_of_reserve"] == 0 and kpis["care_home_residents"] == 200


def test_status_and_seconds_per_stage() -> None:
    kpis = tiny_plan().kpis
    assert list(kpis["status"]) == list(kpis["seconds"]) == list(STAGE_NAMES)
    assert kpis["seconds_total"] >= max(kpis["seconds"].values())
    assert kpis["compliance_checks"] == len(tiny_plan().compliance)
