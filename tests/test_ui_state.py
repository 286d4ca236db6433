"""Session defaults, level knobs, and kept scenarios round-tripping through YAML."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from planner.rules.scenario import ScenarioError, make_scenario
from planner.ui import state
from planner.ui.state import ScenarioSpec


def _session() -> dict[str, Any]:
    session: dict[str, Any] = {}
    state.init_session(session)
    return session


def test_init_session_sets_prevalent_defaults_and_keeps_what_is_set() -> None:
    session: dict[str, Any] = {state.LANGUAGE: "zh"}
    state.init_session(session)
    assert session[state.LANGUAGE] == "zh"
    assert session[state.LEVEL] == "prevalent"
    assert session[state.KNOB_KEYS["attack_rate"]] == 15.0, "sliders in percent"
    assert session[state.KNOB_KEYS["stock_factor"]] == 100.0
    assert session[state.TIME_LIMIT] == state.DEFAULT_TIME_LIMIT_S


def test_scenario_knobs_leave_level_defaults_out() -> None:
    session = _session()
    assert state.scenario_knobs(session) == {"level": "prevalent", "horizon_days": 14, "closed_sites": ()}
    session[state.KNOB_KEYS["attack_rate"]] = 40.0
    session[state.CLOSED_SITES] = ["ST2", "ST1"]
    knobs = state.scenario_knobs(session)
    assert knobs["attack_rate"] == 0.4
    assert knobs["closed_sites"] == ("ST1", "ST2")


def test_level_change_resets_the_knobs_to_the_new_level() -> None:
    session = _session()
    session[state.KNOB_KEYS["attack_rate"]] = 90.0
    session[state.LEVEL] = "severe"
    state.reset_knobs_to_level(session)
    assert session[state.KNOB_KEYS["attack_rate"]] == 35.0
    assert session[state.KNOB_KEYS["severe_share"]] == 12.0
    assert state.scenario_knobs(session) == {"level": "severe", "horizon_days": 14, "closed_sites": ()}


def _spec() -> ScenarioSpec:
    scenario = make_scenario(
        level="severe",
        attack_rate=0.5,
        closed_sites=("ST2",),
        demand_multipliers={"D1": 1.5},
        rule_overrides={"nursing_reserve_per_resident": 0.12},
        district_levels={"D2": "normal"},
        inbound_arrivals={"D1": 40},
    )
    return ScenarioSpec(
        name="东城 severe",
        preset="containment-2021",
        scenario=scenario,
        edits={"sites": {"ST1": {"rooms": 0}}},
        time_limit_s=5.0,
        dataset_name="tiny",
        dataset_sha256="abc",
    )


def test_spec_round_trips_through_yaml() -> None:
    spec = _spec()
    text = spec.to_yaml()
    assert "东城 severe" in text, "Chinese stays readable"
    back = state.spec_from_yaml(text)
    assert back == spec


def test_a_bare_mapping_of_knobs_is_a_scenario() -> None:
    spec = state.spec_from_yaml("level: severe\nattack_rate: 0.4\n", default_name="mine")
    assert spec.name == "mine"
    assert spec.scenario.level == "severe"
    assert spec.scenario.knob("attack_rate") == 0.4
    assert spec.edits == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("level: extreme\n", "level"),
        ("- a list\n", "expected a mapping"),
        ("level: [unclosed\n", "the scenario file: not valid YAML on line 2, column 1"),
        ("scenario: {level: severe}\npreset: nowhere\n", "preset"),
        ("scenario: {level: severe}\nedits: {sites: {ST1: {rooms: -1}}}\n", "edits"),
        ("scenario: {level: severe}\ntime_limit_s: 0\n", "time_limit_s"),
        # raised to the widget's 0.1 s without a word, and a file of another layout read as this one
        ("scenario: {level: severe}\ntime_limit_s: 0.01\n", "time_limit_s: expected seconds from 0.1 to 86,400"),
        ("schema: epiplan.scenario/99\nscenario: {level: severe}\n", "schema: expected epiplan.scenario/1"),
        ("scenario: {level: severe}\nsurprise: 1\n", "surprise"),
        ("attack_rate: 2\n", "attack_rate"),
    ],
)
def test_bad_scenario_files_say_what_is_wrong(text: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        state.spec_from_yaml(text)
    assert expected in "; ".join(caught.value.problems)


def test_load_spec_sets_the_widgets_and_starts_the_editors_afresh() -> None:
    session = _session()
    generation = session[state.GENERATION]
    spec = _spec()
    state.load_spec(session, spec)
    assert session[state.LEVEL] == "severe"
    assert session[state.PRESET] == "containment-2021"
    assert session[state.KNOB_KEYS["attack_rate"]] == 50.0
    assert session[state.CLOSED_SITES] == ["ST2"]
    assert session[state.TIME_LIMIT] == 5.0
    assert session[state.STORED_EDITS] == {"sites": {"ST1": {"rooms": 0}}}
    assert session[state.STORED_RULES] == {"nursing_reserve_per_resident": 0.12}
    assert session[state.STORED_DEMAND] == {"D1": 1.5}
    assert session[state.GENERATION] == generation + 1
    assert state.editor_key("whatif_sites", session) == f"whatif_sites_{generation + 1}"
    knobs = state.scenario_knobs(session)
    assert knobs["attack_rate"] == 0.5 and "severe_share" not in knobs
    # no widget shows them, and the plan lost them: the loaded file said D2 is at normal, 40 arrive in D1
    assert knobs["district_levels"] == {"D2": "normal"} and knobs["inbound_arrivals"] == {"D1": 40}


def test_reset_edits_forgets_everything_of_the_old_dataset() -> None:
    session = _session()
    state.load_spec(session, _spec())
    state.reset_edits(session)
    assert session[state.STORED_EDITS] == {} and session[state.CLOSED_SITES] == []
    assert "district_levels" not in state.scenario_knobs(session)


def test_keep_and_unique_names() -> None:
    session = _session()
    state.keep(session, _spec())
    state.keep(session, _spec())
    assert list(session[state.KEPT]) == ["东城 severe"]
    assert state.unique_name("东城 severe", session[state.KEPT]) == "东城 severe (2)"
    assert state.unique_name("  ", [], fallback="severe") == "severe"
    assert state.unique_name("a", ["a", "a (2)"]) == "a (3)"


def test_yaml_has_the_documented_layout() -> None:
    raw = yaml.safe_load(_spec().to_yaml())
    assert raw["schema"] == state.SCENARIO_SCHEMA
    assert set(raw) == {"schema", "name", "preset", "time_limit_s", "dataset", "scenario", "edits"}
    assert raw["scenario"]["closed_sites"] == ["ST2"]


def test_language_bound_widgets_share_one_value() -> None:
    session = _session()
    key_en = state.bind_widget(session, state.LEVEL, "en")
    assert key_en == "level__en" and session[key_en] == "prevalent"
    session[key_en] = "severe"  # the reader picks severe in English
    state.copy_from_widget(session, state.LEVEL, "en")
    key_zh = state.bind_widget(session, state.LEVEL, "zh")
    assert session[key_zh] == "severe", "the Chinese widget starts from the same value"
    state.load_spec(session, ScenarioSpec("x"))
    state.bind_widget(session, state.LEVEL, "zh")
    assert session[key_zh] == "prevalent", "a loaded scenario reaches the widget"


def test_undo_goes_back_one_what_if_change_and_reset_drops_them_all() -> None:
    session = _session()
    state.record_whatif(session)
    assert not state.can_undo(session)
    session[state.STORED_EDITS] = {"sites": {"ST1": {"rooms": 0}}}
    state.record_whatif(session)
    session[state.STORED_RULES] = {"persons_per_room": 2}
    session[state.CLOSED_SITES] = ["ST2"]
    state.record_whatif(session)
    state.record_whatif(session)  # no change, no new step
    generation = session[state.GENERATION]
    assert state.undo_whatif(session)
    assert session[state.STORED_RULES] == {} and session[state.CLOSED_SITES] == []
    assert session[state.STORED_EDITS] == {"sites": {"ST1": {"rooms": 0}}}, "the step before the last one"
    assert session[state.GENERATION] == generation + 1, "the editors start afresh"
    state.reset_whatif(session)
    assert state.whatif_state(session) == {"edits": {}, "rules": {}, "demand": {}, "closed_sites": []}
    assert state.undo_whatif(session), "a reset can be undone"
    assert session[state.STORED_EDITS] == {"sites": {"ST1": {"rooms": 0}}}
    assert state.undo_whatif(session) and not state.can_undo(session)
