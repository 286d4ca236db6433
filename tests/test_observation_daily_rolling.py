"""Rolling placement, the day-by-day observation plan that needs no LP (``models.observation.daily_rolling``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from observation_tables import site_table

from models.observation.daily import Cohorts
from models.observation.daily_rolling import RollingPlan, rolling_plan
from models.observation.instance import Instance, prepare


def _instance(minutes: list[list[float | None]], rooms: list[int], disabled: list[bool]) -> Instance:
    """Homes ``H<i>`` (one group each, disabled or not) and open sites ``X<s>``; ``None``: no arc."""
    groups = pd.DataFrame(
        {
            "home_id": [f"H{h}" for h in range(len(minutes))],
            "street_id": ["S"] * len(minutes),
            "group": ["disabled" if flag else "other" for flag in disabled],
            "persons": [1] * len(minutes),
        }
    )
    sites = site_table(rooms)
    arcs = pd.DataFrame(
        [(f"H{h}", f"X{s}", m) for h, row in enumerate(minutes) for s, m in enumerate(row) if m is not None],
        columns=["home_id", "site_id", "minutes"],
    )
    return prepare(groups, sites, arcs, 1, 0, True)


def _cohorts(rows: list[tuple[int, int, int, int]], horizon: int) -> Cohorts:
    group, arrival, stay, persons = (np.array(column, np.int64) for column in zip(*rows, strict=True))
    return Cohorts(group=group, arrival=arrival, stay=stay, persons=persons, horizon=horizon)


def test_each_window_takes_the_cheapest_room_left_on_every_day_of_its_stay() -> None:
    """Sites X0 (1 place, 1 minute) and X1 (2 places, 5 minutes). Two persons on days 0-2, two on days 1-3; the later
    window goes first: X0 and one place of X1. Of the earlier two, one gets X1's last place, one is unmet (X0 is
    taken on days 1-2)."""
    instance = _instance([[1.0, 5.0]], [1, 2], [False])
    plan = rolling_plan(instance, _cohorts([(0, 0, 3, 2), (0, 1, 3, 2)], horizon=4), np.ones(2, bool))
    placed = sorted(zip(plan.cohort.tolist(), plan.arc.tolist(), plan.persons.tolist(), strict=True))
    assert placed == [(0, 1, 1), (1, 0, 1), (1, 1, 1)]
    assert plan.unmet.tolist() == [1, 0]


def test_a_start_plan_is_kept_and_its_persons_hold_their_places() -> None:
    """The start places cohort 0 (days 0-2) at X0, the only place; cohort 1 (days 2-3) finds no room on day 2."""
    instance = _instance([[1.0]], [1], [False])
    cohorts = _cohorts([(0, 0, 3, 1), (0, 2, 2, 1)], horizon=4)
    start = RollingPlan(np.array([0]), np.array([0]), np.array([1]), np.array([0, 0]), np.array([True, False]))
    plan = rolling_plan(instance, cohorts, np.ones(1, bool), start)
    assert plan.cohort.tolist() == [0] and plan.unmet.tolist() == [0, 1] and plan.covered.all()


def test_the_disabled_are_placed_before_anyone_else() -> None:
    """One place. An other person arrives on day 0, a disabled one on day 1, both for three days: the disabled
    person gets the place although the other came first."""
    instance = _instance([[1.0], [1.0]], [1], [False, True])
    plan = rolling_plan(instance, _cohorts([(0, 0, 3, 1), (1, 1, 3, 1)], horizon=4), np.ones(1, bool))
    assert plan.cohort.tolist() == [1] and plan.unmet.tolist() == [1, 0]


def test_sites_not_usable_hold_nobody() -> None:
    instance = _instance([[1.0, 2.0]], [3, 3], [False])
    plan = rolling_plan(instance, _cohorts([(0, 0, 2, 2)], horizon=2), np.array([False, True]))
    assert plan.arc.tolist() == [1] and plan.persons.tolist() == [2]


@st.composite
def cases(draw: st.DrawFn) -> tuple[Instance, Cohorts, np.ndarray]:
    homes, sites = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    minutes = [[draw(st.one_of(st.none(), st.floats(0, 60))) for _ in range(sites)] for _ in range(homes)]
    rooms = [draw(st.integers(0, 4)) for _ in range(sites)]
    instance = _instance(minutes, rooms, [draw(st.booleans()) for _ in range(homes)])
    horizon = draw(st.integers(1, 6))
    rows = [
        (
            draw(st.integers(0, homes - 1)),
            draw(st.integers(0, horizon - 1)),
            draw(st.integers(1, 4)),
            draw(st.integers(1, 5)),
        )
        for _ in range(draw(st.integers(1, 8)))
    ]
    usable = np.array([draw(st.booleans()) for _ in range(sites)])
    return instance, _cohorts(rows, horizon), usable


@settings(max_examples=150, deadline=None)
@given(cases())
def test_no_site_over_its_places_on_any_day_and_every_person_placed_or_unmet(case) -> None:  # type: ignore[no-untyped-def]
    instance, cohorts, usable = case
    plan = rolling_plan(instance, cohorts, usable)
    per_cohort = np.bincount(plan.cohort, weights=plan.persons, minlength=len(cohorts.group)) + plan.unmet
    assert per_cohort.tolist() == cohorts.persons.tolist()
    assert (plan.persons > 0).all() and (plan.unmet >= 0).all()
    assert (instance.arc_group[plan.arc] == cohorts.group[plan.cohort]).all()
    load = np.zeros((len(usable), cohorts.horizon), np.int64)
    for cohort, arc, persons in zip(plan.cohort, plan.arc, plan.persons, strict=True):
        load[instance.arc_site[arc], cohorts.arrival[cohort] : cohorts.end[cohort]] += persons
    assert (load <= (instance.capacity * usable)[:, None]).all()
