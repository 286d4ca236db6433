"""The observation stage on the tiny dataset: inputs, placements, KPIs, site rules and sentences, by hand."""

from __future__ import annotations

import pandas as pd
from tiny_plan import STREET_RULES, tiny_dataset, tiny_dataset_forecast, tiny_plan

from models.base import StageResult, Status
from planner.dataset.names import Namer
from planner.pipeline import plan_context
from planner.rules.rules import load_rules
from planner.rules.scenario import Scenario
from planner.stages import observation


def _rows(rule_id: str, overrides: tuple[tuple[str, object], ...] = ()) -> dict[str, tuple[float, float, bool]]:
    checklist = tiny_plan(overrides=overrides).compliance
    rows = checklist[checklist["rule_id"] == rule_id]
    return {r.scope_id: (r.required, r.planned, bool(r.met)) for r in rows.itertuples()}


def test_inputs_mark_closed_sites_and_keep_every_arc_within_the_limit() -> None:
    context = plan_context(tiny_dataset(), load_rules(), Scenario(plan="snapshot", closed_sites=("ST2",)))
    inputs = observation.build_inputs(context)
    assert inputs.sites.set_index("site_id")["status"].to_dict() == {"ST1": "open", "ST2": "closed"}
    assert set(inputs.arcs["site_id"]) == {"ST1"}  # no arc to a closed site
    assert set(inputs.arcs["home_id"]) == {"H001", "H003"}  # H002 has a partition: no group to place
    assert (inputs.arcs["minutes"] <= context.rules.transfer_minutes_max).all()
    assert inputs.persons_per_room == 1 and inputs.barrier_free_for_disabled


def test_2023_places_every_care_home_person_in_a_barrier_free_site() -> None:
    """004 (十二): barrier-free points for all persons of homes without partition; ST2 is not barrier-free."""
    assignments = tiny_plan().stage("observation").table("assignments")
    placed = {(r.home_id, r.group, r.site_id): r.persons for r in assignments.itertuples()}
    assert placed == {
        ("H001", "disabled", "ST1"): 1,
        ("H001", "other", "ST1"): 7,
        ("H003", "disabled", "ST1"): 1,
        ("H003", "other", "ST1"): 12,
    }
    closed = tiny_plan(closed_sites=("ST1",))
    assert closed.stage("observation").table("unmet")["persons"].sum() == 21


def test_observation_opens_the_candidate_of_a_street_and_keeps_disabled_at_barrier_free_sites() -> None:
    assignments = tiny_plan(overrides=STREET_RULES).stage("observation").table("assignments")
    placed = {(r.home_id, r.group, r.site_id): r.persons for r in assignments.itertuples()}
    assert placed == {
        ("H001", "disabled", "ST1"): 1,
        ("H001", "other", "ST1"): 7,
        ("H003", "disabled", "ST1"): 1,  # ST2 is nearer but not barrier-free
        ("H003", "other", "ST2"): 12,  # ST2 must open: the only usable site of street S3
    }
    sites = tiny_plan(overrides=STREET_RULES).stage("observation").table("sites").set_index("site_id")
    assert bool(sites.loc["ST2", "opened"]) and bool(sites.loc["ST2", "open"])


def test_closing_the_only_barrier_free_site_leaves_the_disabled_unplaced_with_the_reason() -> None:
    plan = tiny_plan(closed_sites=("ST1",), overrides=STREET_RULES)
    unmet = plan.stage("observation").table("unmet")
    assert sorted(zip(unmet["home_id"], unmet["group"], unmet["persons"], strict=True)) == [
        ("H001", "disabled", 1),
        ("H003", "disabled", 1),
    ]
    assert set(unmet["reason"]) == {"no_barrier_free_room_in_reach"}
    assert plan.kpis["unmet_observation_disabled"] == 2 and plan.kpis["unmet_observation_other"] == 0


def test_kpis() -> None:
    kpis = observation.kpis(tiny_plan(overrides=STREET_RULES).stage("observation"))
    assert kpis["observation_persons"] == 21 and kpis["observation_placed"] == 21
    assert kpis["unmet_observation_disabled"] == 0 and kpis["sites_opened"] == 1


def test_a_street_without_any_site_is_named() -> None:
    """S2 has no site in the data: its own row says so instead of failing the street rule."""
    assert _rows("site_per_street", STREET_RULES) == {"S1": (1, 1, True), "S3": (1, 1, True)}
    assert _rows("no_site_in_street", STREET_RULES) == {"S2": (1, 0, False)}
    assert _rows("site_per_street") == {} and _rows("no_site_in_street") == {}, "2023 carries no street point over"


def test_site_rules() -> None:
    assert _rows("one_person_per_room", STREET_RULES) == {"ST1": (30, 9, True), "ST2": (20, 12, True)}
    assert _rows("barrier_free", STREET_RULES) == {"ST1": (1, 1, True)}
    assert _rows("site_stock_days", STREET_RULES) == {"ST1": (30, 0, False), "ST2": (30, 0, False)}
    assert _rows("one_person_per_room") == {"ST1": (30, 21, True)}


def test_disabled_without_barrier_free_room_is_explained_in_both_languages() -> None:
    explanations = tiny_plan(closed_sites=("ST1",)).explanations
    row = explanations[explanations["entity_id"] == "H001"].iloc[0]
    assert row["en"] == "1 disabled/dementia elderly of Sunshine Home: no barrier-free observation site within 120 min"
    assert row["zh"] == "阳光养老院：1名失能失智老人在120分钟内无无障碍集中健康观察点"


def test_full_sites_are_named() -> None:
    namer = Namer({"H1": "Pine Home", "S1": "Hotel", "S2": "School"}, {"H1": "松柏养老院", "S1": "酒店", "S2": "学校"})
    unmet = pd.DataFrame(
        {"home_id": ["H1"], "group": ["other"], "persons": [7], "reason": ["rooms_used_up"], "binding_sites": ["S1,S2"]}
    )
    result = StageResult("observation", Status.OPTIMAL, 0, 0, 0, 0, {"unmet": unmet})
    context = plan_context(tiny_dataset(), load_rules(), Scenario(plan="snapshot"))
    rows = observation.explanations(result, context, namer)
    assert rows[0]["en"] == "7 other persons of Pine Home: every room within 120 min is taken (Hotel, School)"
    assert rows[0]["zh"] == "松柏养老院：7名其他人员无房可住，120分钟内观察点已满（酒店、学校）"


def test_room_sentences_say_what_a_districts_rooms_place() -> None:
    short = {"disabled": 38, "other": 12}
    both = {"disabled": 38, "other": 5, "rooms": 43, "barrier_free_rooms": 38}
    en, zh = observation.room_sentences(both, short, ("Fengtai", "丰台区"))
    assert en == (
        "43 more rooms in Fengtai, 38 of them barrier-free, place 38 disabled/dementia elderly and 5 others left "
        "without a room"
    )
    assert zh == "丰台区增加43间房（其中无障碍房间38间）可安置未安置的失能失智老人38名、其他人员5名"
    disabled = {"disabled": 38, "other": 0, "rooms": 38, "barrier_free_rooms": 38}
    en, zh = observation.room_sentences(disabled, short, ("Fengtai", "丰台区"))
    assert en == "38 more barrier-free rooms in Fengtai place all 38 disabled/dementia elderly left without a room"
    assert zh == "丰台区增加38间无障碍房间可安置全部38名未安置的失能失智老人"
    others = {"disabled": 0, "other": 12, "rooms": 12, "barrier_free_rooms": 0}
    en, _zh = observation.room_sentences(others, {"disabled": 0, "other": 12}, ("Fengtai", "丰台区"), others=2)
    assert en == "12 more rooms in Fengtai (or in any of 2 other districts) place all 12 persons left without a room"


def test_the_contact_room_rule_holds_only_where_the_plan_has_contacts_to_place() -> None:
    """Containment, two persons a room but one close contact a room: the snapshot has contacts, so every room takes
    one person; a daily plan whose forecast gives the homes no infections has no contact to place, so its rooms take
    two (an independent check of the plan's capacities reads the stays it has)."""
    rules = load_rules("containment-2021", {"persons_per_room": 2})
    dataset = tiny_dataset_forecast([("0", "D1", "", "0"), ("0", "D2", "", "0")])
    snapshot = plan_context(dataset, rules, Scenario(level="severe", plan="snapshot", horizon_days=5))
    assert (snapshot.needs.observation["cause"] == "contact").any()
    assert observation.room_occupancy(snapshot) == 1
    daily = plan_context(dataset, rules, Scenario(level="severe", plan="daily", horizon_days=5))
    assert not (daily.needs.daily.cohorts["cause"] == "contact").any()
    assert observation.room_occupancy(daily) == 2
