"""Scenario: level defaults from data, overrides, and readable errors."""

from pathlib import Path

import pytest

from planner.rules.rules import load_preset
from planner.rules.scenario import Scenario, ScenarioError, level_defaults, load_scenario, make_scenario


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("normal", (0.02, 0.10, 0.02, 0.0)),
        ("prevalent", (0.15, 0.10, 0.10, 0.25)),
        ("severe", (0.35, 0.12, 0.20, 0.25)),
    ],
)
def test_level_defaults_match_the_design_table(level: str, expected: tuple[float, ...]) -> None:
    scenario = make_scenario(level=level)
    knobs = ("attack_rate", "severe_share", "staff_absence", "rotation_share")
    assert tuple(scenario.knob(k) for k in knobs) == expected


def test_an_overridden_knob_keeps_the_other_defaults() -> None:
    scenario = Scenario(level="severe", attack_rate=0.5)
    assert scenario.attack_rate == 0.5
    assert scenario.severe_share == 0.12


def test_bad_knobs_are_all_reported() -> None:
    with pytest.raises(ScenarioError) as err:
        make_scenario(level="apocalyptic", attack_rate=1.5)
    text = " | ".join(err.value.problems)
    assert "level:" in text and "attack_rate: expected a share in [0, 1], got 1.5" in text


def test_negative_demand_multiplier_is_refused() -> None:
    with pytest.raises(ScenarioError, match="demand_multipliers: expected multipliers between 0 and 10"):
        make_scenario(demand_multipliers={"D01": -1.0})


def test_rule_overrides_apply_to_rules() -> None:
    scenario = Scenario(rule_overrides={"transfer_minutes_max": 60})
    assert scenario.apply_to(load_preset()).transfer_minutes_max == 60


def test_scenario_from_yaml_and_to_dict(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("level: severe\nstock_factor: 0.7\nclosed_sites: [S001]\n", encoding="utf-8")
    scenario = load_scenario(path)
    data = scenario.to_dict()
    assert data["stock_factor"] == 0.7 and data["closed_sites"] == ["S001"] and data["attack_rate"] == 0.35
    assert Scenario(**data) == scenario


def test_levels_file_has_every_level() -> None:
    assert set(level_defaults()) == {"normal", "prevalent", "severe"}
