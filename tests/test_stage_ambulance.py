"""The ambulance stage on the tiny dataset: inputs, KPIs, the 2-hour rule and sentences, by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from tiny_plan import tiny_dataset, tiny_plan

from models.base import StageResult, Status
from planner.dataset.limits import PlanTooLargeError
from planner.dataset.names import Namer
from planner.pipeline import plan_context
from planner.rules.rules import load_rules
from planner.rules.scenario import Scenario
from planner.stages import ambulance


def test_inputs_keep_stations_of_the_home_district_and_the_fleet_after_the_factor() -> None:
    context = plan_context(tiny_dataset(), load_rules(), Scenario(plan="snapshot", fleet_factor=0.5))
    inputs = ambulance.build_inputs(context)
    pairs = set(zip(inputs.arcs["station_id"], inputs.arcs["home_id"], strict=True))
    assert pairs == {("A1", "H001"), ("A1", "H002"), ("A2", "H003")}
    assert (inputs.arcs["round_trip_minutes"] > inputs.arcs["trip_minutes"]).all()
    # D1 has 3 ambulances, D2 has 2: r(1.5) = 2, r(1.0) = 1
    assert inputs.fleet.set_index("district_id")["ambulances_after"].to_dict() == {"D1": 2, "D2": 1}


def test_every_home_gets_one_handshake_and_is_covered() -> None:
    handshakes = tiny_plan().stage("ambulance").table("handshakes")
    assert sorted(handshakes["home_id"]) == ["H001", "H002", "H003"]
    assert handshakes["covered"].all()
    assert (handshakes["trip_minutes"] <= 120).all()


def test_kpis() -> None:
    kpis = ambulance.kpis(tiny_plan().stage("ambulance"))
    assert kpis["daily_transfers"] == round(4 / 14, 3)  # 1 + 2 + 1 transfers over 14 days
    assert kpis["covered_share"] == 1.0 and kpis["uncovered_homes"] == 0


def test_transfer_within_two_hours_per_home() -> None:
    checklist = tiny_plan().compliance
    rows = checklist[checklist["rule_id"] == "transfer_2h"]
    assert set(rows["scope_id"]) == {"H001", "H002", "H003"}
    assert (rows["required"] == 120).all() and (rows["planned"] <= 120).all() and rows["met"].all()


@pytest.mark.parametrize(
    ("reason", "en"),
    [
        ("station_workload", "Pine Home is not covered: the stations in reach (Station 1) are at full workload"),
        (
            "no_station_in_reach",
            "Pine Home is not covered: no station reaches it and its hospital within 120 min"
            " (nearest Station 1, 40 min)",
        ),
    ],
)
def test_homes_not_covered_are_explained(reason: str, en: str) -> None:
    namer = Namer({"H1": "Pine Home", "A1": "Station 1"}, {"H1": "松柏养老院", "A1": "1号站"})
    handshakes = pd.DataFrame(
        {
            "home_id": ["H1"],
            "station_id": ["A1"],
            "trip_minutes": [40.0],
            "covered": [False],
            "reason": [reason],
            "binding_stations": ["A1"],
        }
    )
    result = StageResult("ambulance", Status.OPTIMAL, 0, 0, 0, 0, {"handshakes": handshakes})
    rows = ambulance.explanations(result, plan_context(tiny_dataset(), load_rules(), Scenario(plan="snapshot")), namer)
    assert rows[0]["en"] == en
    if reason == "station_workload":
        assert rows[0]["zh"] == "松柏养老院未覆盖：可达的急救站（1号站）运力已满"


def test_a_home_no_ambulance_covers_plans_no_trip_within_the_limit() -> None:
    # H1's nearest station is 40 min away but at full workload, H2's beyond the limit, H3 is covered in 30 min:
    # only H3's row plans a trip; the others read "no transfer in time" (infinite), so met is planned <= required
    handshakes = pd.DataFrame(
        {
            "home_id": ["H1", "H2", "H3"],
            "station_id": ["A1", "A1", "A2"],
            "trip_minutes": [40.0, 130.0, 30.0],
            "covered": [False, False, True],
            "reason": ["station_workload", "no_station_in_reach", ""],
        }
    )
    result = StageResult("ambulance", Status.OPTIMAL, 0, 0, 0, 0, {"handshakes": handshakes})
    context = plan_context(tiny_dataset(), load_rules(), Scenario(plan="snapshot"))
    (rows,) = ambulance.compliance(result, context)
    assert rows["planned"].tolist() == [float("inf"), float("inf"), 30.0]
    assert rows["met"].tolist() == [False, False, True]
    assert (rows["met"] == (rows["planned"] <= rows["required"])).all()


def test_more_station_home_pairs_than_a_plan_lists_are_refused_before_the_merge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # every station of a district paired with every care home of it: 100,000 of each in one district is 1e10 rows
    import planner.dataset.limits

    context = plan_context(tiny_dataset(), load_rules(), Scenario(plan="snapshot"))
    pairs = len(ambulance.ambulance_arcs(context))
    monkeypatch.setattr(planner.dataset.limits, "PAIRS_MAX", 0)
    with pytest.raises(PlanTooLargeError, match=r"stations -> care homes of their district: .* pairs, above the 0"):
        ambulance.ambulance_arcs(context)
    assert pairs > 0
