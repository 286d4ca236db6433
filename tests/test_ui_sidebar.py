"""The sidebar's pure helpers: rules table <-> overrides, demand multipliers, the scenario of the widgets."""

from __future__ import annotations

from typing import Any

from ui_fixtures import tiny_dataset

from planner.rules.rules import PRESETS, load_rules
from planner.ui import state
from planner.ui.sidebar import (
    Inputs,
    build_scenario,
    current_edits,
    preset_title,
)


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
