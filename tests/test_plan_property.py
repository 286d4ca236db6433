"""Property: whatever validates, plans. Datasets, scenarios and rules drawn anywhere within their documented
limits (extremes often) give a plan, never a crash, a negative or an overflowed figure; its JSON validates.

The datasets are tiny (1-3 rows a table) so that a hundred plans take seconds; the limits themselves are what
is drawn at, since overflow comes from the values, not the row counts.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
from dataset_strategies import tiny_datasets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.dataset.io import dataset_from_frames
from planner.outputs.plan_json import to_json_bytes
from planner.outputs.schema import plan_json_schema, validate_plan_json
from planner.outputs.tables import plan_tables
from planner.pipeline import make_plan
from planner.rules.limits import FACTOR_MAX, MULTIPLIER_MAX
from planner.rules.rules import RULE_FIELDS, load_rules
from planner.rules.scenario import DAILY_HORIZON_MAX, make_scenario

OVERFLOW = 2.0**53
"""No figure of a plan of data within the limits comes near this (int64 wrap-around gives -9.2e18)."""
NO_TRIP = {("compliance", "planned")}
"""Where a non-finite figure means "none" (a home with no trip: planned minutes inf, exported as null)."""


def _number(schema: dict[str, Any]) -> st.SearchStrategy[float]:
    """Numbers the JSON schema of a rule allows (its limits), the ends drawn often."""
    low = float(schema.get("minimum", schema.get("exclusiveMinimum", 0.0)))
    high = float(schema.get("maximum", 1e6))
    if schema.get("type") == "integer":
        return st.sampled_from([int(low), int(high)]) | st.integers(math.ceil(low), int(high))
    exclusive = "exclusiveMinimum" in schema
    values = st.floats(low, high, exclude_min=exclusive, allow_nan=False)
    return st.sampled_from([high] if exclusive else [low, high]) | values


@st.composite
def rule_overrides(draw: st.DrawFn) -> dict[str, Any]:
    """Some numeric rules set anywhere within their limits (per level too)."""
    properties = plan_json_schema()["properties"]["rules"]["properties"]
    overrides: dict[str, Any] = {}
    for field in draw(st.sets(st.sampled_from(RULE_FIELDS), max_size=8)):
        schema = properties[field]
        if schema.get("type") in ("number", "integer"):
            overrides[field] = draw(_number(schema))
        elif schema.get("type") == "object" and "properties" in schema:
            subs = schema["properties"]
            if all(sub.get("type") in ("number", "integer") for sub in subs.values()):
                overrides[field] = {key: draw(_number(sub)) for key, sub in subs.items()}
            else:  # a choice per key (care_home_management: open or closed per level)
                overrides[field] = {key: draw(st.sampled_from(sub["enum"])) for key, sub in subs.items()}
    preset = load_rules()
    minimum = overrides.get("sampling_points_per_street_min", preset.sampling_points_per_street_min)
    maximum = overrides.get("sampling_points_per_street_max", preset.sampling_points_per_street_max)
    if minimum > maximum:
        overrides["sampling_points_per_street_min"], overrides["sampling_points_per_street_max"] = maximum, minimum
    return overrides


@st.composite
def scenarios(draw: st.DrawFn, frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Every knob within its limits; closed sites and multipliers for the dataset's ids and one it lacks."""
    share = st.sampled_from([0.0, 1.0]) | st.floats(0, 1)
    sites = [*frames["sites"]["site_id"].astype(str), "NOT-A-SITE"]
    districts = [*frames["districts"]["district_id"].astype(str), "NOT-A-DISTRICT"]
    plan = draw(st.sampled_from(["daily", "snapshot"]))
    longest = DAILY_HORIZON_MAX if plan == "daily" else 365
    horizon = draw(st.sampled_from([1, longest]) | st.integers(1, longest))
    peak = draw(st.none() | st.integers(0, horizon))
    return {
        "level": draw(st.sampled_from(["normal", "prevalent", "severe"])),
        "plan": plan,
        "horizon_days": horizon,
        "peak_day": peak,
        "wave_days": None if peak is None else draw(st.none() | st.integers(peak + 1, peak + 400)),
        "attack_rate": draw(share),
        "severe_share": draw(share),
        "staff_absence": draw(share),
        "rotation_share": draw(share),
        "stock_factor": draw(st.sampled_from([0.0, FACTOR_MAX]) | st.floats(0, FACTOR_MAX)),
        "fleet_factor": draw(st.sampled_from([0.0, FACTOR_MAX]) | st.floats(0, FACTOR_MAX)),
        "closed_sites": draw(st.lists(st.sampled_from(sites), max_size=3, unique=True)),
        "demand_multipliers": draw(
            st.dictionaries(st.sampled_from(districts), st.floats(0, MULTIPLIER_MAX), max_size=3)
        ),
    }


def _figures(plan: Any) -> list[str]:
    """Every negative, overflowed or unexpectedly non-finite number in the plan's tables."""
    found = []
    for name, table in plan_tables(plan).items():
        for column in table.columns:
            if not pd.api.types.is_numeric_dtype(table[column]) or pd.api.types.is_bool_dtype(table[column]):
                continue
            if column in ("lat", "lon"):  # coordinates are signed
                continue
            values = table[column].to_numpy(dtype=float, na_value=np.nan)
            finite = values[np.isfinite(values)]
            if (finite < 0).any() or (np.abs(finite) >= OVERFLOW).any():
                found.append(f"{name}.{column}: {finite[(finite < 0) | (np.abs(finite) >= OVERFLOW)][:3]}")
            if np.isinf(values).any() and (name, column) not in NO_TRIP:
                found.append(f"{name}.{column}: infinite")
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_anything_within_the_limits_plans_without_a_crash_or_an_impossible_figure(data: st.DataObject) -> None:
    frames = data.draw(tiny_datasets(), label="dataset")
    knobs = data.draw(scenarios(frames), label="scenario")
    overrides = data.draw(rule_overrides(), label="rules")
    dataset = dataset_from_frames(frames, name="drawn")
    rules = load_rules(overrides=overrides)
    plan = make_plan(dataset, rules, make_scenario(**knobs), time_limit_s=1.0)
    assert _figures(plan) == []
    occupancy = plan.stage("observation").table("occupancy")
    assert (occupancy["persons"] <= occupancy["capacity"]).all()  # no site over capacity on any day
    assert plan.timeline.empty == (knobs["plan"] == "snapshot")
    assert all(value >= 0 for value in plan.needs.drugs["need"]) and all(plan.needs.nursing["required"] >= 0)
    document = json.loads(to_json_bytes(plan))
    assert validate_plan_json(document) == []
    ignored = {w.message.split("'")[1] for w in plan.warnings if w.file == "scenario"}
    assert ("NOT-A-SITE" in knobs["closed_sites"]) == ("NOT-A-SITE" in ignored)
