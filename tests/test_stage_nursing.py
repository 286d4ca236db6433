"""The nursing stage on the tiny dataset: the needs it adds, KPIs, the reserve and 1:1 rules, by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from tiny_plan import tiny_dataset, tiny_plan

from models.base import SolveOptions
from planner.pipeline import plan_context
from planner.rules.rules import load_rules
from planner.rules.scenario import Scenario
from planner.stages import nursing
from planner.stages.base import PlanContext
from planner.stages.registry import stage


def _rows(rule_id: str) -> dict[str, tuple[float, float, bool]]:
    checklist = tiny_plan().compliance
    rows = checklist[checklist["rule_id"] == rule_id]
    return {r.scope_id: (r.required, r.planned, bool(r.met)) for r in rows.itertuples()}


def test_site_one_to_one_needs_come_from_the_disabled_persons_the_observation_stage_placed() -> None:
    plan = tiny_plan()
    context = plan_context(tiny_dataset(), plan.rules, plan.scenario).with_result(
        "observation", plan.stage("observation")
    )
    needs = nursing.nursing_needs(context)
    one_to_one = needs[needs["need"] == "transfer_1to1"].set_index("destination_id")["required"].to_dict()
    # H002 has a partition: its 4 mild disabled cases (r(13 x 0.3)) move to its own isolation area, 1:1 (000 §4)
    assert one_to_one == {"HP1": 1, "H002": 4, "ST1": 2}
    assigned = plan.stage("nursing").table("needs").set_index("need_id")["assigned"].to_dict()
    assert assigned == {
        "transfer_1to1:HP1": 1,
        "transfer_1to1:H002": 4,
        "transfer_1to1:ST1": 2,
        "backfill:H001": 1,
        "backfill:H002": 3,
        "backfill:H003": 2,
    }


def test_arcs_reach_every_pool_of_the_need_district() -> None:
    plan = tiny_plan()
    context = plan_context(tiny_dataset(), plan.rules, plan.scenario).with_result(
        "observation", plan.stage("observation")
    )
    inputs = nursing.build_inputs(context)
    arcs = set(zip(inputs.arcs["pool_id"], inputs.arcs["need_id"], strict=True))
    assert {("P1", "backfill:H001"), ("P2", "backfill:H003")} <= arcs
    assert inputs.crossing_penalty_minutes == plan.rules.district_crossing_penalty_minutes


def test_seed_arcs_take_the_district_s_pools_and_as_many_nearest_as_asked() -> None:
    """One pool a district (P1 in D1, P2 in D2): with the nearest pool of any district only, each need keeps its own
    district's pool (its nearest too); by default (20 nearest) every pool reaches every need."""
    plan = tiny_plan()
    context = plan_context(tiny_dataset(), plan.rules, plan.scenario).with_result(
        "observation", plan.stage("observation")
    )
    needs = nursing.nursing_needs(context)
    nearest = nursing.nursing_arcs(context, needs, nearest_pools=1)
    own_pool = needs["district_id"].map({"D1": "P1", "D2": "P2"})
    assert sorted(zip(nearest["pool_id"], nearest["need_id"], strict=True)) == sorted(
        zip(own_pool, needs["need_id"], strict=True)
    )
    every = nursing.nursing_arcs(context, needs)
    assert len(every) == 2 * len(needs)


def test_the_timeline_s_day_models_start_from_fewer_nearest_pools_than_the_stage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The day models of the timeline are not priced: their seed decides only which pools send whom, and a smaller
    one halves their time at the national scale; what each day needs stays that of the need rows."""
    context = plan_context(tiny_dataset(), load_rules(), Scenario(level="severe"))
    assert context.needs.daily is not None
    observed, _inputs = stage("observation").solved(context, SolveOptions(5))
    context = context.with_result("observation", observed)
    asked: list[int | None] = []
    seeded = nursing.nursing_arcs

    def noted(context: PlanContext, needs: pd.DataFrame, nearest_pools: int | None = None) -> pd.DataFrame:
        asked.append(nearest_pools)
        return seeded(context, needs, nearest_pools)

    monkeypatch.setattr(nursing, "nursing_arcs", noted)
    rows = nursing.daily_rows(context, observed)
    assert asked == [nursing.TIMELINE_POOLS_PER_NEED] < [context.limits.pools_per_need]
    backfill = context.needs.daily.nursing.query("need == 'backfill'")
    assert rows.query("resource == 'nurses_backfill'")["needed"].sum() == backfill["required"].sum() > 0


def test_kpis() -> None:
    kpis = nursing.kpis(tiny_plan().stage("nursing"))
    assert (kpis["one_to_one_required"], kpis["one_to_one_assigned"], kpis["one_to_one_coverage"]) == (7, 7, 1.0)
    assert kpis["nurses_assigned"] == 13
    assert kpis["nursing_unmet_by_tier"] == {"backfill": 0, "transfer_1to1": 0}


def test_district_nursing_reserve_is_ten_percent_of_residents_rounded_up() -> None:
    # D1: 40 + 100 residents -> 14 required, 15 held; D2: 60 -> 6 required, 8 held
    assert _rows("nursing_reserve") == {"D1": (14, 15, True), "D2": (6, 8, True)}


def test_one_to_one_per_receiving_institution() -> None:
    assert _rows("one_to_one_nursing") == {"HP1": (1, 1, True), "H002": (4, 4, True), "ST1": (2, 2, True)}


def test_nurses_on_duty_a_day_are_the_week_s_work_days_share_rounded_down() -> None:
    pools = pd.DataFrame({"pool_id": ["P1", "P2", "P3"], "district_id": ["D"] * 3, "nurses": [7, 13, 0]})
    assert nursing.nurses_on_duty(pools, 6)["nurses"].tolist() == [6, 11, 0]
    assert nursing.nurses_on_duty(pools, 7)["nurses"].tolist() == [7, 13, 0]


def test_a_daily_plan_asks_the_nurses_on_duty_a_day_and_the_snapshot_every_nurse() -> None:
    plan = tiny_plan()
    snapshot = plan_context(tiny_dataset(), plan.rules, plan.scenario).with_result(
        "observation", plan.stage("observation")
    )
    assert nursing.build_inputs(snapshot).pools["nurses"].tolist() == tiny_dataset().pools["nurses"].tolist()
    daily_scenario = Scenario(level="prevalent", plan="daily", horizon_days=10)
    daily_context = plan_context(tiny_dataset(), plan.rules, daily_scenario)
    daily = daily_context.with_result("observation", *stage("observation").solved(daily_context, SolveOptions(5)))
    on_duty = [int(n * plan.rules.nurse_work_days_per_week // 7) for n in tiny_dataset().pools["nurses"]]
    assert nursing.build_inputs(daily).pools["nurses"].tolist() == on_duty
