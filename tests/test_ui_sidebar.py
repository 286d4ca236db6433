"""The sidebar's pure helpers: rules table <-> overrides, demand multipliers, the scenario of the widgets."""

from __future__ import annotations

import math
from typing import Any

from ui_fixtures import tiny_dataset

from planner.rules.rules import PRESETS, load_rules
from planner.ui import state
from planner.ui.sidebar import (
    Inputs,
    build_scenario,
    current_edits,
    demand_edits,
    demand_frame,
    effective_multipliers,
    preset_title,
    rule_edits,
    rules_frame,
    value_text,
)


def test_value_text() -> None:
    assert value_text(0.1) == "0.1"
    assert value_text(90) == "90"
    assert value_text(True) == "true"
    assert value_text(("cough", "tcm")) == '["cough", "tcm"]'
    assert value_text({"normal": 2.0}) == '{"normal": 2.0}'


def test_rules_frame_shows_every_rule_with_its_source_in_either_language() -> None:
    rules = load_rules()
    english, chinese = rules_frame(rules, "en"), rules_frame(rules, "zh")
    assert list(english.columns) == ["field", "label", "value", "unit", "rule_kind", "source"]
    assert english.set_index("field").loc["persons_per_room", "rule_kind"] == "assumption (set your own)"
    assert chinese.set_index("field").loc["nursing_reserve_per_resident", "rule_kind"] == "原文规定"
    assert len(english) == len(rules.table())
    row = english.set_index("field").loc["nursing_reserve_per_resident"]
    assert row["value"] == "0.1"
    assert row["source"].startswith("000 §4 reserve — Beijing work plan for COVID-19 prevention and control in old-age")
    assert chinese.set_index("field").loc["nursing_reserve_per_resident", "label"].startswith("护理应急支援队伍")


def test_rule_edits_parse_the_typed_text() -> None:
    shown = rules_frame(load_rules(), "en")
    position = {field: i for i, field in enumerate(shown["field"])}
    editor = {
        "edited_rows": {
            position["nursing_reserve_per_resident"]: {"value": "0.12"},
            position["care_home_drugs"]: {"value": '["cough"]'},
            position["barrier_free_for_disabled"]: {"value": "false"},
        }
    }
    assert rule_edits(shown, editor) == {
        "nursing_reserve_per_resident": 0.12,
        "care_home_drugs": ["cough"],
        "barrier_free_for_disabled": False,
    }
    assert load_rules(overrides=rule_edits(shown, editor)).nursing_reserve_per_resident == 0.12
    assert rule_edits(shown, None) == {}


def test_demand_multipliers() -> None:
    shown = demand_frame(tiny_dataset(), {"D2": 2.0}, "zh")
    assert shown.to_dict("list") == {
        "district_id": ["D1", "D2"],
        "name": ["东城区", "西城区"],
        "multiplier": [1.0, 2.0],
    }
    edited = demand_edits(shown, {"edited_rows": {0: {"multiplier": 1.5}, 1: {"multiplier": 1.0}}})
    assert edited == {"D1": 1.5, "D2": 1.0}
    assert effective_multipliers({"D2": 2.0}, edited) == {"D1": 1.5}
    # a cell that is not a number was read as 1.0, planned without a word; it stays for the scenario to refuse
    kept = effective_multipliers({}, {"D1": float("nan")})
    assert list(kept) == ["D1"] and math.isnan(kept["D1"])
    # editor states no browser sends crashed the app: text in a cell, a row key that is no number, a row not a dict
    odd = demand_edits(shown, {"edited_rows": {0: {"multiplier": "many"}, "x": {"multiplier": 2.0}, 1: [3]}})
    assert list(odd) == ["D1"] and math.isnan(odd["D1"])


def _session() -> dict[str, Any]:
    session: dict[str, Any] = {}
    state.init_session(session)
    return session


def test_build_scenario_from_the_widgets() -> None:
    session = _session()
    session[state.LEVEL] = "severe"
    state.reset_knobs_to_level(session)
    session[state.KNOB_KEYS["stock_factor"]] = 70.0
    scenario, problems = build_scenario(session, {"persons_per_room": 2}, {"D1": 1.5})
    assert problems == [] and scenario is not None
    assert scenario.level == "severe" and scenario.knob("attack_rate") == 0.35
    assert scenario.stock_factor == 0.7
    assert scenario.rule_overrides == {"persons_per_room": 2}
    assert scenario.demand_multipliers == {"D1": 1.5}


def test_build_scenario_reports_bad_knobs() -> None:
    session = _session()
    session[state.HORIZON] = 0
    scenario, problems = build_scenario(session, {}, {})
    assert scenario is None and any("horizon_days" in p for p in problems)


def test_current_edits_layers_the_editor_on_the_stored_edits() -> None:
    session = _session()
    session[state.STORED_EDITS] = {"sites": {"ST1": {"rooms": 5}}, "pools": {"P1": {"nurses": 15}}}
    session[state.editor_key("whatif_sites", session)] = {"edited_rows": {1: {"status": "closed"}}}
    edits, problems = current_edits(session, tiny_dataset())
    assert problems == []
    assert edits == {"sites": {"ST1": {"rooms": 5}, "ST2": {"status": "closed"}}}, "P1 has 15 nurses already"


def test_current_edits_reports_bad_cells() -> None:
    session = _session()
    session[state.editor_key("whatif_pools", session)] = {"edited_rows": {0: {"nurses": -4}}}
    edits, problems = current_edits(session, tiny_dataset())
    assert edits == {} and len(problems) == 1


def test_inputs_as_a_kept_scenario() -> None:
    scenario, _ = build_scenario(_session(), {}, {})
    dataset = tiny_dataset()
    inputs = Inputs("en", dataset, [], "tiny", dataset, "beijing-2023", load_rules(), scenario, [], {}, 3.0)
    assert inputs.ready
    spec = inputs.spec("mine")
    assert (spec.name, spec.dataset_sha256, spec.time_limit_s) == ("mine", dataset.sha256, 3.0)
    assert not Inputs("en", None, [], "bad").ready


def test_preset_titles() -> None:
    for preset in PRESETS:
        assert preset_title(preset, "en") != preset
        assert any("\u4e00" <= ch <= "\u9fff" for ch in preset_title(preset, "zh"))
