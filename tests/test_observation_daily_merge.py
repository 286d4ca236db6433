"""Cohorts merged where the daily capacity rows cannot tell them apart (``models.observation.daily_merge``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.observation.daily import Cohorts, PhaseOutcome
from models.observation.daily_merge import merge_cohorts, spread


def _cohorts(rows: list[tuple[int, int, int, int]], horizon: int) -> Cohorts:
    group, arrival, stay, persons = (np.array(column, np.int64) for column in zip(*rows, strict=True))
    return Cohorts(group=group, arrival=arrival, stay=stay, persons=persons, horizon=horizon)


def _plan(cohort: list[int], arc: list[int], placed: list[int], unmet: list[int]) -> PhaseOutcome:
    return PhaseOutcome(
        columns=np.arange(len(cohort)),
        cohort=np.array(cohort, np.int64),
        arc=np.array(arc, np.int64),
        placed=np.array(placed, np.int64),
        unmet=np.array(unmet, np.int64),
        open_sites=np.ones(2, bool),
        objective=7.0,
        bound=7.0,
        proven=True,
        stats={},
    )


def test_cohorts_present_on_the_same_last_days_merge() -> None:
    """Horizon 5: stays ending after days 1 and 4 (the last days). Days 0-1 and 1 of group 0 are one cohort (both
    present on last day 1 only), days 3-4 and 4 another (last day 4), group 1's day 3-4 stays apart."""
    cohorts = _cohorts([(0, 0, 2, 1), (0, 1, 1, 2), (0, 3, 5, 3), (0, 4, 5, 4), (1, 3, 5, 5)], horizon=5)
    merged = merge_cohorts(cohorts)
    assert merged.last_days.tolist() == [1, 4]
    assert merged.cohorts.horizon == 2
    assert merged.merged_of.tolist() == [0, 0, 1, 1, 2]
    assert merged.cohorts.group.tolist() == [0, 0, 1]
    assert merged.cohorts.arrival.tolist() == [0, 1, 1]
    assert merged.cohorts.end.tolist() == [1, 2, 2]
    assert merged.cohorts.persons.tolist() == [3, 7, 5]


def test_stays_that_all_run_to_the_horizon_merge_per_group() -> None:
    """Every stay runs past the last day: one capacity day, one cohort per group (the snapshot's shape)."""
    cohorts = _cohorts([(0, day, 14, 1) for day in range(14)] + [(1, 3, 20, 2)], horizon=14)
    merged = merge_cohorts(cohorts)
    assert merged.last_days.tolist() == [13]
    assert merged.cohorts.persons.tolist() == [14, 2]


def test_a_merged_plan_spreads_over_its_members_earliest_placed_first() -> None:
    """Merged cohort 0 (persons 1 and 2, arriving days 0 and 1): 2 at arc 5, 1 unmet: the day-0 person and one of
    day 1 placed, the other of day 1 unmet. Merged cohort 1 (3 and 4 persons): its 4 at arc 7, then 3 at arc 6,
    laid over them in that order."""
    cohorts = _cohorts([(0, 0, 2, 1), (0, 1, 1, 2), (0, 3, 5, 3), (0, 4, 5, 4), (1, 3, 5, 5)], horizon=5)
    merged = merge_cohorts(cohorts)
    plan = spread(_plan([0, 1, 1], [5, 7, 6], [2, 4, 3], [1, 0, 5]), merged, cohorts)
    found = sorted(zip(plan.cohort.tolist(), plan.arc.tolist(), plan.placed.tolist(), strict=True))
    assert found == sorted([(0, 5, 1), (1, 5, 1), (2, 7, 3), (3, 7, 1), (3, 6, 3)])
    assert plan.unmet.tolist() == [0, 1, 0, 0, 5]
    assert (plan.objective, plan.bound, plan.proven) == (7.0, 7.0, True)


def test_a_plan_that_loses_persons_is_refused() -> None:
    cohorts = _cohorts([(0, 0, 2, 3)], horizon=2)
    merged = merge_cohorts(cohorts)
    with pytest.raises(ValueError, match="every person"):
        spread(_plan([0], [1], [2], [0]), merged, cohorts)


@st.composite
def merged_plans(draw: st.DrawFn) -> tuple[Cohorts, PhaseOutcome]:
    horizon = draw(st.integers(1, 8))
    rows = [
        (draw(st.integers(0, 1)), draw(st.integers(0, horizon - 1)), draw(st.integers(1, 9)), draw(st.integers(1, 4)))
        for _ in range(draw(st.integers(1, 12)))
    ]
    cohorts = _cohorts(rows, horizon)
    merged = merge_cohorts(cohorts)
    cohort, arc, placed, unmet = [], [], [], []
    for index, persons in enumerate(merged.cohorts.persons.tolist()):
        at_first = draw(st.integers(0, persons))
        at_second = draw(st.integers(0, persons - at_first))
        for site, amount in ((0, at_first), (1, at_second)):
            if amount:
                cohort.append(index)
                arc.append(site)
                placed.append(amount)
        unmet.append(persons - at_first - at_second)
    return cohorts, _plan(cohort, arc, placed, unmet)


def _occupancy(cohorts: Cohorts, cohort: np.ndarray, arc: np.ndarray, placed: np.ndarray) -> np.ndarray:
    load = np.zeros((2, cohorts.horizon), np.int64)
    for c, site, amount in zip(cohort, arc, placed, strict=True):
        load[site, cohorts.arrival[c] : cohorts.end[c]] += amount
    return load


@settings(max_examples=200, deadline=None)
@given(merged_plans())
def test_a_spread_plan_is_never_fuller_on_any_day_than_the_merged_plan_on_its_last_days(case) -> None:  # type: ignore[no-untyped-def]
    """Each person placed or unmet exactly once; per site the spread plan's occupancy on every day is at most the
    merged plan's on the next last day (0 after the last), and equal on the last days (so capacity held there holds
    every day)."""
    cohorts, merged_plan = case
    merged = merge_cohorts(cohorts)
    plan = spread(merged_plan, merged, cohorts)
    per_cohort = np.bincount(plan.cohort, weights=plan.placed, minlength=len(cohorts.group)) + plan.unmet
    assert per_cohort.tolist() == cohorts.persons.tolist()
    assert (plan.placed > 0).all() and (plan.unmet >= 0).all()
    merged_load = _occupancy(merged.cohorts, merged_plan.cohort, merged_plan.arc, merged_plan.placed)
    load = _occupancy(cohorts, plan.cohort, plan.arc, plan.placed)
    next_last = np.searchsorted(merged.last_days, np.arange(cohorts.horizon))  # past the last one: nobody there
    assert (load <= np.pad(merged_load, ((0, 0), (0, 1)))[:, next_last]).all()
    assert (load[:, merged.last_days] == merged_load).all()
