"""Shared inputs of the front-end tests: the tiny dataset of ``conftest`` and its plans, each built once."""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd
from conftest import tiny_frames

from planner.dataset.io import dataset_from_frames
from planner.dataset.schema import Dataset
from planner.report.plan import Plan
from planner.rules.rules import load_rules
from planner.rules.scenario import make_scenario
from planner.ui.places import places


@cache
def tiny_dataset() -> Dataset:
    """The tiny dataset (2 districts, 3 care homes, 2 sites), validated once."""
    return dataset_from_frames(tiny_frames(), "tiny")


STREET_RULES: tuple[tuple[str, Any], ...] = (("sites_per_street_min", 1), ("barrier_free_for_all", False))
"""The street isolation point carried over (003 三(二)10), barrier-free rooms for the disabled only."""


@cache
def tiny_plan(
    level: str = "severe", closed_sites: tuple[str, ...] = (), overrides: tuple[tuple[str, Any], ...] = ()
) -> Plan:
    """A real snapshot plan of the tiny dataset (solved once per level, closed sites and rule overrides)."""
    from planner.pipeline import make_plan

    scenario = make_scenario(level=level, plan="snapshot", closed_sites=closed_sites)  # hand-checked figures
    return make_plan(tiny_dataset(), load_rules(overrides=dict(overrides)), scenario, time_limit_s=5.0)


@cache
def tiny_places(language: str = "en") -> pd.DataFrame:
    """:func:`planner.ui.places.places` of the tiny dataset."""
    return places(tiny_dataset(), language)
