"""The priced LP's first columns from the peak day's relaxation (``models.observation.daily_seed``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from observation_tables import site_table

from models.observation.daily import Cohorts, DailyModel
from models.observation.daily_bounds import site_roles
from models.observation.daily_seed import peak_day_pairs
from models.observation.instance import prepare


def _model(
    minutes: list[float], rooms: list[int], status: list[str], opening: list[float], cohorts: Cohorts
) -> DailyModel:
    """One home ``H0`` (group ``other``) with an arc to each site ``X<s>``."""
    groups = pd.DataFrame(
        {"home_id": ["H0"], "street_id": ["S"], "group": ["other"], "persons": [int(cohorts.persons.sum())]}
    )
    arcs = pd.DataFrame(
        {"home_id": ["H0"] * len(minutes), "site_id": [f"X{s}" for s in range(len(minutes))], "minutes": minutes}
    )
    instance = prepare(groups, site_table(rooms, status, opening), arcs, 1, 0, True)
    must, free = site_roles(instance)
    return DailyModel(instance, cohorts, free, must.astype(float))


def _sites_of(model: DailyModel, pairs: np.ndarray) -> set[tuple[int, str]]:
    site_ids = model.instance.sites["site_id"].to_numpy()
    return {(int(model.pair_cohort[p]), str(site_ids[model.instance.arc_site[model.pair_arc[p]]])) for p in pairs}


def test_the_peak_day_spills_past_the_nearest_site_and_every_cohort_gets_those_arcs() -> None:
    """Cohort 0: 2 persons on days 0-1; cohort 1: 1 person on day 1. Day 1 (3 persons) is the peak: X0 (1 place,
    1 minute) takes one, X1 (5 places, 5 minutes) the other two; X2 (9 minutes) stays empty. Both cohorts start with
    X0 and X1, neither with X2."""
    cohorts = Cohorts(np.zeros(2, np.int64), np.array([0, 1]), np.array([2, 1]), np.array([2, 1]), 2)
    model = _model([1.0, 5.0, 9.0], [1, 5, 5], ["open"] * 3, [0.0] * 3, cohorts)
    assert _sites_of(model, peak_day_pairs(model)) == {(0, "X0"), (0, "X1"), (1, "X0"), (1, "X1")}


def test_a_candidate_is_charged_its_opening_per_place() -> None:
    """Two persons; X0 (a candidate, 2 minutes, opening 40 for 2 places: 20 a place) against X1 (open, 10 minutes):
    the relaxation places both at X1."""
    cohorts = Cohorts(np.zeros(1, np.int64), np.zeros(1, np.int64), np.ones(1, np.int64), np.array([2]), 1)
    model = _model([2.0, 10.0], [2, 2], ["candidate", "open"], [40.0, 0.0], cohorts)
    assert _sites_of(model, peak_day_pairs(model)) == {(0, "X1")}


def test_no_cohorts_no_pairs() -> None:
    cohorts = Cohorts(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), 1)
    model = _model([1.0], [1], ["open"], [0.0], cohorts)
    assert len(peak_day_pairs(model)) == 0
