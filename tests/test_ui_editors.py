"""``planner.ui.editors``: the rules and demand editors as plain tables, and the edits read back from them."""

from __future__ import annotations

import math

from ui_fixtures import tiny_dataset

from planner.rules.rules import load_rules
from planner.ui.editors import (
    demand_edits,
    demand_frame,
    effective_multipliers,
    row_number,
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


def test_row_keys_that_are_no_row_number_are_no_row() -> None:
    assert [row_number(key) for key in (0, "3", "x", -1, "1.5", None)] == [0, 3, -1, -1, -1, -1]


def test_rule_cells_no_browser_sends_are_skipped_or_kept_as_text() -> None:
    shown = rules_frame(load_rules(), "en")
    deep = "[" * 5000
    edits = rule_edits(shown, {"edited_rows": {"x": {"value": "1"}, 0: [3], 1: {"value": deep}}})
    assert edits == {str(shown["field"].iloc[1]): deep}, "nested too deeply for YAML: the rules refuse the text"
