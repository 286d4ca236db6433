"""Brute force for tiny day-by-day observation instances: every placement of every cohort's persons and every choice
of candidates, for the tests of the stage (``test_observation_daily_solve``) and of its bounds
(``test_observation_daily_bounds``)."""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from observation_tables import site_table

from models.observation.daily import Cohorts
from models.observation.instance import Instance, prepare

Case = tuple[list[tuple[int, bool, int, int, int]], list[int], list[bool], list[float], np.ndarray]
"""Cohorts (home, disabled, arrival day, stay days, persons), site places, candidate or open, opening costs and
``minutes[home, site]``."""

DAYS = 4


@cache
def splits(persons: int, parts: int) -> tuple[tuple[int, ...], ...]:
    """Every way to share ``persons`` among ``parts`` places (the last part is the unmet)."""
    if parts == 1:
        return ((persons,),)
    return tuple((first, *rest) for first in range(persons + 1) for rest in splits(persons - first, parts - 1))


def brute_force(
    cohorts: list[tuple[int, bool, int, int, int]],
    capacity: list[int],
    candidate: list[bool],
    opening: list[float],
    minutes: np.ndarray,
) -> tuple[int, int, float]:
    """Lexicographic optimum (unmet disabled, unmet, cost) over every plan; ``minutes[home, site]``."""
    best = (10**9, 10**9, float("inf"))
    sites = len(capacity)
    for opened in itertools.product(*[(False, True) if c else (True,) for c in candidate]):
        fixed = sum(opening[s] for s in range(sites) if candidate[s] and opened[s])
        for plan in itertools.product(*[splits(persons, sites + 1) for *_, persons in cohorts]):
            load = np.zeros((sites, DAYS), np.int64)
            unmet_disabled = unmet = 0
            cost = fixed
            for (home, disabled, arrival, stay, _), split in zip(cohorts, plan, strict=True):
                for site in range(sites):
                    load[site, arrival : min(arrival + stay, DAYS)] += split[site]
                    cost += minutes[home, site] * split[site]
                unmet += split[-1]
                unmet_disabled += split[-1] if disabled else 0
            usable = np.array([capacity[s] if opened[s] else 0 for s in range(sites)])
            if np.all(load <= usable[:, None]) and (unmet_disabled, unmet, cost) < best:
                best = (unmet_disabled, unmet, cost)
    return best


@st.composite
def instances(draw: st.DrawFn) -> Case:
    """1-4 cohorts of 1-2 persons from 1-2 homes, staying 1-3 days; 1-2 sites of 1-3 places, open or candidates."""
    homes = draw(st.integers(1, 2))
    sites = draw(st.integers(1, 2))
    cohorts = [
        (
            draw(st.integers(0, homes - 1)),
            draw(st.booleans()),
            draw(st.integers(0, DAYS - 1)),
            draw(st.integers(1, 3)),
            draw(st.integers(1, 2)),
        )
        for _ in range(draw(st.integers(1, 4)))
    ]
    capacity = [draw(st.integers(1, 3)) for _ in range(sites)]
    candidate = [draw(st.booleans()) for _ in range(sites)]
    opening = [float(draw(st.integers(0, 30))) for _ in range(sites)]
    minutes = np.array([[float(draw(st.integers(1, 20))) for _ in range(sites)] for _ in range(homes)])
    return cohorts, capacity, candidate, opening, minutes


def instance_and_cohorts(case: Case) -> tuple[Instance, Cohorts]:
    """The model's instance (one person a room, no street minimum, every home's arc to every site) and cohorts of a
    case, as the stage builds them."""
    cohorts, capacity, candidate, opening, minutes = case
    keys = list(dict.fromkeys((f"H{home}", "disabled" if disabled else "other") for home, disabled, *_ in cohorts))
    groups = pd.DataFrame(
        {
            "home_id": [home for home, _ in keys],
            "street_id": ["S"] * len(keys),
            "group": [group for _, group in keys],
            "persons": [
                sum(c[4] for c in cohorts if (f"H{c[0]}", "disabled" if c[1] else "other") == key) for key in keys
            ],
        }
    )
    homes, sites = minutes.shape
    arcs = pd.DataFrame(
        [(f"H{h}", f"X{s}", minutes[h, s]) for h in range(homes) for s in range(sites)],
        columns=["home_id", "site_id", "minutes"],
    )
    site_frame = site_table(capacity, ["candidate" if c else "open" for c in candidate], opening)
    instance = prepare(groups, site_frame, arcs, 1, 0, False)
    position = {key: index for index, key in enumerate(keys)}
    group = [position[(f"H{c[0]}", "disabled" if c[1] else "other")] for c in cohorts]
    column = np.array([c[2:] for c in cohorts], np.int64)
    return instance, Cohorts(
        group=np.array(group, np.int64), arrival=column[:, 0], stay=column[:, 1], persons=column[:, 2], horizon=DAYS
    )
