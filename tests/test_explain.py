"""Explanations name the binding resource in English and Chinese."""

from __future__ import annotations

from tiny_plan import tiny_plan

from planner.report.explain import Namer


def test_disabled_without_barrier_free_room_is_explained_in_both_languages() -> None:
    explanations = tiny_plan(closed_sites=("ST1",)).explanations
    row = explanations[explanations["entity_id"] == "H001"].iloc[0]
    assert row["en"] == "1 disabled/dementia elderly of Sunshine Home: no barrier-free room within 120 min"
    assert row["zh"] == "阳光养老院：1名失能失智老人在120分钟内无无障碍房间"


def test_drug_shortfall_says_what_share_the_stock_covers() -> None:
    explanations = tiny_plan().explanations
    row = explanations[explanations["entity_id"] == "antipyretic"].iloc[0]
    assert row["en"] == "Antipyretic stock covers 3 % of need (18,523 packs short)"
    assert row["zh"] == "解热药库存仅满足需求的3%（缺18,523份）"


def test_marginal_values_point_at_depots_whose_stock_is_short() -> None:
    values = tiny_plan().marginal_values
    assert set(values["resource_id"]) >= {"W1:antipyretic", "W1:cough"}
    assert (values["value"] > 0).all()
    assert values["value"].is_monotonic_decreasing


def test_long_lists_of_binding_sites_are_cut_to_three() -> None:
    namer = Namer({"a": "A", "b": "B", "c": "C", "d": "D"}, {"a": "甲", "b": "乙", "c": "丙", "d": "丁"})
    assert namer.joined("a,b,c,d", "en") == "A, B, C and 1 more"
    assert namer.joined("a,b,c,d", "zh") == "甲、乙、丙等4处"
    assert namer.joined("a,b", "en") == "A, B"


def test_full_sites_and_busy_stations_are_named() -> None:
    import pandas as pd

    from models.base import StageResult, Status
    from planner.report.explain import ambulance_shortfalls, observation_shortfalls

    namer = Namer(
        {"H1": "Pine Home", "S1": "Hotel", "S2": "School", "A1": "Station 1"},
        {"H1": "松柏养老院", "S1": "酒店", "S2": "学校", "A1": "1号站"},
    )
    unmet = pd.DataFrame(
        {"home_id": ["H1"], "group": ["other"], "persons": [7], "reason": ["rooms_used_up"], "binding_sites": ["S1,S2"]}
    )
    observation = StageResult("observation", Status.OPTIMAL, 0, 0, 0, 0, {"unmet": unmet})
    rows = observation_shortfalls(observation, namer, 120)
    assert rows[0]["en"] == "7 other persons of Pine Home: every room within 120 min is taken (Hotel, School)"
    assert rows[0]["zh"] == "松柏养老院：7名其他人员无房可住，120分钟内观察点已满（酒店、学校）"
    handshakes = pd.DataFrame(
        {
            "home_id": ["H1"],
            "station_id": ["A1"],
            "trip_minutes": [40.0],
            "covered": [False],
            "reason": ["station_workload"],
            "binding_stations": ["A1"],
        }
    )
    ambulance = StageResult("ambulance", Status.OPTIMAL, 0, 0, 0, 0, {"handshakes": handshakes})
    rows = ambulance_shortfalls(ambulance, namer, 120)
    assert rows[0]["en"] == "Pine Home is not covered: the stations in reach (Station 1) are at full workload"
    assert rows[0]["zh"] == "松柏养老院未覆盖：可达的急救站（1号站）运力已满"
