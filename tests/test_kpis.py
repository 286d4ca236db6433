"""The plan's KPIs: every stage's figures, the reserve, the checklist counts, status and seconds."""

from __future__ import annotations

from tiny_plan import tiny_dataset_forecast, tiny_plan

from planner.pipeline import make_plan
from planner.rules.rules import load_rules
from planner.rules.scenario import make_scenario
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


def test_a_daily_plan_counts_its_persons_to_observe_by_cause_from_the_cohorts_it_places() -> None:
    """With an uploaded forecast the daily cohorts, not the snapshot's needs, are what the stage places: the persons
    by cause add up to the persons needing observation (a forecast of many cases in one district)."""
    plan = make_plan(
        tiny_dataset_forecast([("0", "D1", "", "40"), ("1", "D2", "", "25")]),
        load_rules(),
        make_scenario(level="severe", plan="daily", horizon_days=5),
        time_limit_s=5,
    )
    by_cause = plan.kpis["observation_by_cause"]
    assert sum(by_cause.values()) == plan.kpis["observation_persons"] > 0
    cohorts = plan.needs.daily.cohorts
    assert by_cause == {str(c): int(n) for c, n in cohorts.groupby("cause")["persons"].sum().items()}


def test_close_contacts_isolated_are_those_the_plan_places() -> None:
    """Containment: the snapshot isolates the homes' close contacts; a daily plan whose forecast gives the homes no
    infections has none to isolate, one with cases in every home has its cohorts' contacts."""

    def plan_with(cases: str, plan: str) -> tuple[int, int]:
        made = make_plan(
            tiny_dataset_forecast([("0", "", home, cases) for home in ("H001", "H002", "H003")]),
            load_rules("containment-2021"),
            make_scenario(level="severe", plan=plan, horizon_days=5),
            time_limit_s=5,
        )
        observed = made.needs.observed()
        placed = int(observed.loc[observed["cause"] == "contact", "persons"].sum())
        return made.kpis["close_contacts_isolated"], placed

    snapshot, snapshot_contacts = plan_with("0", "snapshot")
    assert snapshot == snapshot_contacts > 0
    assert plan_with("0", "daily") == (0, 0)
    many, placed = plan_with("10", "daily")
    assert many == placed > 0
