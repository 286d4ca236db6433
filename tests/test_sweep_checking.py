"""``planner.sweep.checking``: a grid value no scenario can take is named before the sweep runs; a value refused
only beside another value is left to its failed rows."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.dataset.io import dataset_from_frames
from planner.dataset.schema import Dataset
from planner.rules.rules import Rules, load_preset
from planner.sweep.checking import refused_values, scenario_problems
from planner.sweep.sampling import grid_sweep


@pytest.fixture(scope="module")
def tiny() -> Dataset:
    from conftest import tiny_frames

    return dataset_from_frames(tiny_frames(), "tiny")


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_preset("beijing-2023")


def test_a_good_grid_has_nothing_refused(tiny: Dataset, rules: Rules) -> None:
    sweep = grid_sweep({"attack_rate": [0.1, 0.3], "rule.persons_per_room": [1, 2]})
    assert refused_values(sweep, rules, tiny) == []
    assert all(scenario_problems(sweep, spec, rules, tiny) == [] for spec in sweep.scenarios)


def test_values_no_scenario_takes_are_named_with_their_own_reason_in_the_grid_order(
    tiny: Dataset, rules: Rules
) -> None:
    sweep = grid_sweep({"rule.persons_per_room": [2, 0], "attack_rate": [1.5, 0.2], "stock_factor": [11.0, 1.0]})
    assert refused_values(sweep, rules, tiny) == [
        "rule.persons_per_room: 0: persons_per_room: expected a whole number >= 1, got 0",
        "attack_rate: 1.5: attack_rate: expected a share in [0, 1], got 1.5",
        "stock_factor: 11.0: stock_factor: Input should be less than or equal to 10",
    ]


def test_a_value_refused_only_beside_another_is_left_to_its_rows(tiny: Dataset, rules: Rules) -> None:
    # 8 points at least is refused beside 5 at most, accepted beside 10: neither value is refused
    sweep = grid_sweep({"rule.sampling_points_per_street_min": [3, 8], "rule.sampling_points_per_street_max": [5, 10]})
    assert refused_values(sweep, rules, tiny) == []
    failing = [spec.knobs for spec in sweep.scenarios if scenario_problems(sweep, spec, rules, tiny)]
    assert failing == [{"rule.sampling_points_per_street_min": 8, "rule.sampling_points_per_street_max": 5}]


def test_a_horizon_that_leaves_out_forecast_days_is_named(tiny: Dataset, rules: Rules) -> None:
    forecast = pd.DataFrame({"day": [5], "new_infections": [2], "district_id": ["D1"], "home_id": [""]})
    dataset = Dataset(**{**tiny.tables(), "forecast": forecast}, name="tiny")
    sweep = grid_sweep({"horizon_days": [3, 14]})
    assert refused_values(sweep, rules, dataset) == [
        "horizon_days: 3: forecast row 2, day: 5 is outside the horizon (days 0-2)"
    ]
