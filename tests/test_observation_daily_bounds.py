"""Bounds on the day-by-day observation model that need no LP (``models.observation.daily_bounds``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from daily_brute_force import Case, brute_force, instance_and_cohorts, instances
from hypothesis import given, settings
from observation_tables import site_table

from models.observation.daily import Cohorts
from models.observation.daily_bounds import cost_lower_bound, unmet_lower_bounds, weighted_unmet
from models.observation.instance import prepare


def test_bounds_without_the_lp_count_each_days_overflow_and_the_cheapest_arcs() -> None:
    """One place; one person on days 0-2 (3 minutes away), one on days 1-3 (5 minutes): on days 1 and 2 both are
    there, so at least one is unmet; placing the other costs at least 3 minutes (both placed: 8)."""
    groups = pd.DataFrame(
        {"home_id": ["H0", "H1"], "street_id": ["S", "S"], "group": ["other", "disabled"], "persons": [1, 1]}
    )
    sites = site_table([1])
    arcs = pd.DataFrame({"home_id": ["H0", "H1"], "site_id": ["X0", "X0"], "minutes": [3.0, 5.0]})
    instance = prepare(groups, sites, arcs, 1, 0, True)
    one = np.ones(2, np.int64)
    cohorts = Cohorts(group=np.array([0, 1]), arrival=np.array([0, 1]), stay=3 * one, persons=one, horizon=4)
    assert (
        weighted_unmet(unmet_lower_bounds(instance, cohorts), weight=3.0) == 1.0
    )  # no disabled person must be unmet; one person
    assert cost_lower_bound(instance, cohorts, unmet_allowed=1) == 3.0
    assert cost_lower_bound(instance, cohorts, unmet_allowed=0) == 8.0


def test_the_peak_days_persons_beyond_the_open_places_pay_for_candidate_places() -> None:
    """Three persons of H0 on days 0-1 (1 minute to each site); X0 is open with one place, candidate X1 (two places)
    opens at 10 and candidate X2 (four places) at 40. With none unmet two must be at a candidate: two places of
    X1, 10 (10 per place at X2 costs more); with one unmet, one place of X1: 5. Minutes: 3 and 2."""
    groups = pd.DataFrame({"home_id": ["H0"], "street_id": ["S"], "group": ["other"], "persons": [3]})
    sites = site_table([1, 2, 4], ["open", "candidate", "candidate"], [0.0, 10.0, 40.0])
    arcs = pd.DataFrame({"home_id": ["H0"] * 3, "site_id": ["X0", "X1", "X2"], "minutes": [1.0, 1.0, 1.0]})
    instance = prepare(groups, sites, arcs, 1, 0, True)
    cohorts = Cohorts(
        group=np.zeros(1, np.int64), arrival=np.zeros(1, np.int64), stay=np.array([2]), persons=np.array([3]), horizon=2
    )
    assert unmet_lower_bounds(instance, cohorts) == (0, 0)
    assert cost_lower_bound(instance, cohorts, unmet_allowed=0) == 3.0 + 10.0
    assert cost_lower_bound(instance, cohorts, unmet_allowed=1) == 2.0 + 5.0
    assert cost_lower_bound(instance, cohorts, unmet_allowed=3) == 0.0


def test_persons_with_no_site_in_reach_are_unmet_on_every_day_of_their_stay() -> None:
    """H0's two persons (days 0-1) reach only X1, which has no place; H1's one person (days 2-3) reaches X0. No day
    has more persons present than places, yet H0's two are unmet whatever the plan: the bound is 2, not 0."""
    groups = pd.DataFrame(
        {"home_id": ["H0", "H1"], "street_id": ["S", "S"], "group": ["disabled", "other"], "persons": [2, 1]}
    )
    arcs = pd.DataFrame({"home_id": ["H0", "H1"], "site_id": ["X1", "X0"], "minutes": [1.0, 1.0]})
    instance = prepare(groups, site_table([1, 0]), arcs, 1, 0, True)
    cohorts = Cohorts(
        group=np.array([0, 1]), arrival=np.array([0, 2]), stay=np.array([2, 2]), persons=np.array([2, 1]), horizon=4
    )
    assert unmet_lower_bounds(instance, cohorts) == (2, 2)


def test_a_person_pays_the_minutes_and_the_opening_per_place_of_one_site_together() -> None:
    """One person: open X0 is 10 minutes away, candidate X1 (one place, opening 4) 1 minute. Apart, the minutes (1)
    and the opening (0: X0 has room) bound 1; together each site costs 10 or 1 + 4: 5, the optimum."""
    groups = pd.DataFrame({"home_id": ["H0"], "street_id": ["S"], "group": ["other"], "persons": [1]})
    sites = site_table([1, 1], ["open", "candidate"], [0.0, 4.0])
    arcs = pd.DataFrame({"home_id": ["H0", "H0"], "site_id": ["X0", "X1"], "minutes": [10.0, 1.0]})
    instance = prepare(groups, sites, arcs, 1, 0, True)
    cohorts = Cohorts(
        group=np.zeros(1, np.int64),
        arrival=np.zeros(1, np.int64),
        stay=np.ones(1, np.int64),
        persons=np.ones(1, np.int64),
        horizon=1,
    )
    assert cost_lower_bound(instance, cohorts, unmet_allowed=0) == 5.0


@settings(max_examples=80, deadline=None)
@given(instances())
def test_no_bound_without_the_lp_passes_the_brute_force_optimum(case: Case) -> None:
    """On every tiny instance the unmet bounds are at most the fewest unmet disabled and unmet persons, and the cost
    bound with the optimum's unmet persons allowed at most the optimum's cost."""
    unmet_disabled, unmet, cost = brute_force(*case)
    instance, cohorts = instance_and_cohorts(case)
    bounds = unmet_lower_bounds(instance, cohorts)
    assert bounds is not None and bounds[0] <= unmet_disabled and bounds[1] <= unmet
    assert cost_lower_bound(instance, cohorts, unmet_allowed=unmet) <= cost + 1e-9
