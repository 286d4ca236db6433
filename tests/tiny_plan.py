"""The tiny conftest dataset as a Dataset, and plans of it, shared by the pipeline-level tests.

Hand-worked needs at ``prevalent`` (attack 0.15, severe 0.10, absence 0.10, rotation 0.25):
H001 (40 residents, 10 disabled, 12 staff, no partition): infected 6, transfers 1, observation 1 disabled + 7 other;
H002 (100, 30, 30, partition): infected 15, transfers 2 (1 disabled -> 1:1 at its hospital HP1), no observation;
H003 (60, 6, 20, no partition): infected 9, transfers 1, observation 1 disabled + 12 other.
Sites: ST1 open, barrier-free, 30 rooms (street S1); ST2 candidate, not barrier-free, 20 rooms (street S3).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd
from conftest import tiny_frames

from planner.dataset.io import dataset_from_frames
from planner.dataset.schema import Dataset
from planner.pipeline import make_plan
from planner.report.plan import Plan
from planner.rules.rules import load_rules
from planner.rules.scenario import Scenario


@cache
def tiny_dataset() -> Dataset:
    return dataset_from_frames(tiny_frames(), name="tiny")


def tiny_dataset_forecast(rows: list[tuple[str, str, str, str]]) -> Dataset:
    """The tiny dataset with a forecast: ``(day, district_id, home_id, new_infections)`` rows, as text."""
    frames = tiny_frames()
    frames["forecast"] = pd.DataFrame(rows, columns=["day", "district_id", "home_id", "new_infections"])
    return dataset_from_frames(frames, name="tiny")


STREET_RULES: tuple[tuple[str, Any], ...] = (("sites_per_street_min", 1), ("barrier_free_for_all", False))
"""Overrides that bring back the street isolation point (003 三(二)10) and barrier-free rooms for the disabled
only: the tiny plan under them opens ST2 for street S3, as the stage tests of the street rule need."""


@cache
def tiny_plan(
    level: str = "prevalent", closed_sites: tuple[str, ...] = (), overrides: tuple[tuple[str, Any], ...] = ()
) -> Plan:
    # the figures worked out by hand in the tests are the snapshot's (every need at once)
    scenario = Scenario(level=level, plan="snapshot", closed_sites=closed_sites)  # type: ignore[arg-type]
    rules = load_rules(overrides=dict(overrides)) if overrides else load_rules()
    return make_plan(tiny_dataset(), rules, scenario, time_limit_s=5)
