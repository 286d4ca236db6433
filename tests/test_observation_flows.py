"""The observation model's maximum flows (``models.observation.flows``): unmet optima and unlimited-room gains."""

from __future__ import annotations

import dataclasses
from unittest import mock

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from observation_tables import site_table

import models.observation.flows as observation_flows
from models.observation.flows import gains_with_unlimited_rooms, max_placed, solve_unmet_optimum
from models.observation.instance import Instance, prepare


def _instance(persons: list[tuple[int, bool]], rooms: list[int], arcs: list[tuple[int, int]]) -> Instance:
    groups = pd.DataFrame(
        {
            "home_id": [f"H{i}" for i in range(len(persons))],
            "street_id": ["S"] * len(persons),
            "group": ["disabled" if disabled else "other" for _, disabled in persons],
            "persons": [count for count, _ in persons],
        }
    )
    sites = site_table(rooms)
    arc_frame = pd.DataFrame(
        {"home_id": [f"H{g}" for g, _ in arcs], "site_id": [f"X{s}" for _, s in arcs], "minutes": [1.0] * len(arcs)}
    )
    return prepare(groups, sites, arc_frame, 1, 0, False)


def test_two_homes_sharing_a_full_site_gain_from_the_site_they_reach() -> None:
    """H0 (3 persons) reaches X0 (1 place); H1 (2 persons) reaches X0 and X1 (1 place). Placed: 2 of 5. Unlimited
    rooms at X0 place everyone (+3); at X1, H1's second person (+1)."""
    instance = _instance([(3, False), (2, False)], [1, 1], [(0, 0), (1, 0), (1, 1)])
    assert solve_unmet_optimum(instance) == (0, 3)
    everyone = np.ones(2, bool)
    placed, gains = gains_with_unlimited_rooms(instance, everyone, [np.array([0]), np.array([1]), np.array([0, 1])])
    assert placed == 2
    assert gains.tolist() == [3, 1, 3]


@st.composite
def cases(draw: st.DrawFn) -> tuple[Instance, list[np.ndarray], np.ndarray]:
    homes, sites = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    persons = [(draw(st.integers(1, 6)), draw(st.booleans())) for _ in range(homes)]
    rooms = [draw(st.integers(0, 4)) for _ in range(sites)]
    pairs = [(g, s) for g in range(homes) for s in range(sites)]
    arcs = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs)))
    instance = _instance(persons, rooms, arcs)
    site_sets = [
        np.array(sorted(draw(st.sets(st.integers(0, sites - 1), min_size=1))), np.int64)
        for _ in range(draw(st.integers(1, 4)))
    ]
    groups = np.array([draw(st.booleans()) for _ in range(homes)])
    return instance, site_sets, groups


@settings(max_examples=120, deadline=None)
@given(cases(), st.sampled_from([-1.0, 1.0]))
def test_gains_equal_a_new_maximum_flow_with_the_sites_raised(
    case: tuple[Instance, list[np.ndarray], np.ndarray], subnetwork_share: float
):
    instance, site_sets, groups = case
    before = max_placed(instance, groups)
    assert before is not None
    # -1: every probe on the network of all of R; 1: every probe on the nodes that reach its sites alone
    with mock.patch.object(observation_flows, "PROBE_SUBNETWORK_SHARE", subnetwork_share):
        placed, gains = gains_with_unlimited_rooms(instance, groups, site_sets)
    assert placed == before
    for sites, gain in zip(site_sets, gains, strict=True):
        capacity = instance.sites["capacity"].to_numpy().copy()
        capacity[sites] += 1000
        raised = dataclasses.replace(instance, sites=instance.sites.assign(capacity=capacity))
        after = max_placed(raised, groups)
        assert after is not None
        assert gain == after - before
