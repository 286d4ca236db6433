"""Phase (iii) end to end: both routes against brute force, exact costs, the exchange rate, the time limit."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from observation_brute import brute_force, core_of
from test_observation import arcs_frame, groups_frame, instances, sites_frame

from models.base import SolveOptions, Status
from models.observation import solve_observation
from models.observation.facility import OPTIMALITY_TOLERANCE, solve_core

TOLERANCE = 1e-6


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from(["columns", "lagrangian"]), st.sampled_from([1e-4, 0.05, 10.0]), st.integers(0, 3))
def test_never_optimal_above_the_brute_force_optimum_and_the_bound_never_above_it(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int, int, bool], route: str, seconds: float, decimals: int
) -> None:
    groups, sites, arcs, per_room, street_min, barrier_free = case
    arcs = arcs.assign(minutes=arcs["minutes"] * np.pi * 10.0**-decimals)  # minutes with many decimals
    sites = sites.assign(opening_cost=sites["opening_cost"] * np.e)
    core = core_of(groups, sites, arcs, per_room, street_min, barrier_free)
    optimum = brute_force(core)
    search = solve_core(core, time.perf_counter() + seconds, start_arcs=1, route=route)
    assert search is not None
    cost, bound = search.incumbent.cost, search.bound
    assert bound <= optimum + TOLERANCE
    assert cost >= optimum - TOLERANCE
    assert bound <= cost
    if search.closed():
        assert cost <= optimum + OPTIMALITY_TOLERANCE * max(1.0, abs(optimum)) + TOLERANCE
    if seconds >= 10.0:
        assert search.closed()
    # the incumbent is a plan: its persons per arc and unmet add up, rooms are never exceeded
    placed = np.bincount(core.arc_group, weights=search.incumbent.assign, minlength=core.groups)
    assert np.array_equal(placed + search.incumbent.unmet, core.persons)
    load = np.bincount(core.arc_site, weights=search.incumbent.assign, minlength=core.sites)
    assert np.all(load <= np.where(search.incumbent.open_sites, core.capacity, 0))


def test_exact_costs_with_many_decimals_are_reported_to_the_last_digit() -> None:
    # 3 persons of H1 and 2 of H2; candidates S1 (3 rooms) and S2 (2 rooms); open both (0.123456789 each):
    # 3 * 1.000000001 + 2 * 2.718281828 + 2 * 0.123456789 = 8.683477237, against S1 alone (infeasible: 3 rooms).
    groups = groups_frame([("H1", "T", "other", 3), ("H2", "T", "other", 2)])
    sites = sites_frame(
        [("S1", "T", 3, True, "candidate", 0.123456789), ("S2", "T", 2, True, "candidate", 0.123456789)]
    )
    arcs = arcs_frame([("H1", "S1", 1.000000001), ("H2", "S2", 2.718281828), ("H2", "S1", 2.718281829)])
    result = solve_observation(
        groups, sites, arcs, persons_per_room=1, sites_per_street_min=0, barrier_free_for_disabled=True
    )
    assert result.status == Status.OPTIMAL
    assert result.objective == pytest.approx(3 * 1.000000001 + 2 * 2.718281828 + 2 * 0.123456789, rel=1e-15)
    assert result.bound == pytest.approx(result.objective, rel=1e-12)


def test_a_cost_difference_below_the_old_tenth_of_a_minute_is_seen() -> None:
    # Two open sites 0.04 minutes apart for 1000 persons: 40 minutes in all, which rounding to 0.1 min hid.
    groups = groups_frame([("H1", "T", "other", 1000)])
    sites = sites_frame([("S1", "T", 1000, True, "open", 0.0), ("S2", "T", 1000, True, "open", 0.0)])
    arcs = arcs_frame([("H1", "S1", 10.01), ("H1", "S2", 10.05)])
    result = solve_observation(
        groups, sites, arcs, persons_per_room=1, sites_per_street_min=0, barrier_free_for_disabled=True
    )
    assert result.objective == pytest.approx(10010.0, rel=1e-12)
    assert result.table("assignments")["site_id"].tolist() == ["S1"]


def test_minutes_per_yuan_weighs_the_opening_cost() -> None:
    # 6 persons; S1: 50 yuan + 6 * 10 min, S2: 40 yuan + 6 * 12 min. At 1 min/yuan S1 (110 < 112); at 0.1 min/yuan
    # S2 (4 + 72 = 76 < 5 + 60 = 65? no: 65 < 76, S1); at 2 min/yuan S2 (80 + 72 = 152 < 100 + 60 = 160).
    groups = groups_frame([("H1", "T1", "other", 6)])
    sites = sites_frame([("S1", "T1", 10, True, "candidate", 50.0), ("S2", "T1", 6, True, "candidate", 40.0)])
    arcs = arcs_frame([("H1", "S1", 10.0), ("H1", "S2", 12.0)])
    for rate, objective, chosen in ((1.0, 110.0, "S1"), (0.1, 65.0, "S1"), (2.0, 152.0, "S2")):
        result = solve_observation(
            groups,
            sites,
            arcs,
            persons_per_room=1,
            sites_per_street_min=1,
            barrier_free_for_disabled=True,
            minutes_per_yuan=rate,
        )
        assert result.status == Status.OPTIMAL
        assert result.objective == pytest.approx(objective, rel=1e-12)
        assert result.table("assignments")["site_id"].tolist() == [chosen]
        assert result.stats["opening_minutes"] == pytest.approx(result.stats["opening_cost"] * rate)


def test_the_time_limit_is_honoured_on_a_hard_instance() -> None:
    # 60 candidates, 300 groups, tight rooms: not provable in 0.5 s; the stage returns a plan and its bound in time.
    rng = np.random.default_rng(3)
    n_sites, n_groups = 60, 300
    groups = groups_frame([(f"H{g}", "T", "other", int(rng.integers(5, 40))) for g in range(n_groups)])
    total = int(groups["persons"].sum())
    rooms = rng.integers(total // 20, total // 10, n_sites)
    sites = sites_frame(
        [(f"S{i}", "T", int(rooms[i]), True, "candidate", float(rng.uniform(2e3, 6e3))) for i in range(n_sites)]
    )
    sx, sy, gx, gy = rng.uniform(0, 100, (4, max(n_sites, n_groups)))
    arcs = arcs_frame(
        [
            (f"H{g}", f"S{i}", float(np.hypot(sx[i] - gx[g], sy[i] - gy[g])))
            for g in range(n_groups)
            for i in range(n_sites)
        ]
    )
    start = time.perf_counter()
    result = solve_observation(
        groups,
        sites,
        arcs,
        persons_per_room=1,
        sites_per_street_min=0,
        barrier_free_for_disabled=True,
        options=SolveOptions(time_limit_s=0.5),
    )
    assert time.perf_counter() - start < 2.0
    assert result.solved and result.bound <= result.objective
    assert result.table("unmet").empty
