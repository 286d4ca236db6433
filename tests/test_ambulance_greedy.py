"""Tests for models.ambulance.greedy: the greedy start plan, a plan's objective values and the a-priori bounds."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from ambulance_fixtures import CAPACITY_PER_AMBULANCE, lexicographic_district

from models.ambulance.data import DistrictModelData
from models.ambulance.greedy import greedy_fleet, greedy_plan, objective_values, phase_bounds


def test_greedy_fleet_thins_where_homes_need_least_and_fills_where_they_need_most() -> None:
    """A has 2 ambulances and no home; B has 2 and a home needing 2 (load 1.5 ambulances' time)."""
    stations = pd.DataFrame({"global_station": [0, 1], "before": [2, 2], "max_after": [4, 4]})
    homes = pd.DataFrame({"global_home": [0], "transfers_milli": [1000], "nearest_cost": [0], "cheapest_arc": [0]})
    arcs = pd.DataFrame({"global_arc": [0], "home_pos": [0], "station_pos": [1], "load": [1080000], "cost": [0]})
    shrinking = DistrictModelData("D", stations, 2, homes, arcs, CAPACITY_PER_AMBULANCE)
    assert greedy_fleet(shrinking).tolist() == [0, 2]
    stations_b_short = stations.assign(before=[2, 0])
    growing = DistrictModelData("D", stations_b_short, 4, homes, arcs, CAPACITY_PER_AMBULANCE)
    assert greedy_fleet(growing).tolist() == [2, 2]


def test_greedy_plan_keeps_todays_fleet_and_sends_the_largest_home_first() -> None:
    """H1 (2000) takes A, its nearest (720000 - 600000 = 120000 left); H2's 300000 no longer fits at A: B."""
    plan = greedy_plan(lexicographic_district())
    assert plan["handshake"].tolist() == [1, 0, 0, 1]
    assert plan["covered"].tolist() == [1, 1]
    assert plan["after"].tolist() == [1, 1] and plan["moved_in"].tolist() == [0, 0]


def test_objective_values_of_the_greedy_plan() -> None:
    """Covered 2000 + 1000; no move; 60000 (H1 at A) + 60000 (H2 at B)."""
    data = lexicographic_district()
    assert objective_values(data, greedy_plan(data)) == (3000, 0, 120000)
    nobody = {"handshake": np.zeros(4, dtype=np.int64), "covered": np.zeros(2, dtype=np.int64)}
    nobody |= {"after": np.ones(2, dtype=np.int64), "moved_in": np.zeros(2, dtype=np.int64)}
    assert objective_values(data, nobody) == (0, 0, 100000)  # both uncovered, at their nearest station's trip


def test_phase_bounds_every_home_at_its_cheapest_arc_or_its_nearest_station() -> None:
    """All covered: 3000; today's 2 ambulances fit the caps: no move forced; cheapest arcs 60000 + 40000."""
    data = lexicographic_district()
    assert phase_bounds(data, 3000) == (3000, 0, 100000)
    nearer = replace(data, homes=data.homes.assign(nearest_cost=[50000, 30000]))
    assert phase_bounds(nearer, 3000) == (3000, 0, 100000)  # every home covered: its cheapest covering arc
    assert phase_bounds(nearer, 2000) == (3000, 0, 80000)  # not every home: its nearest station's trip
    growing = replace(data, stationed=4)
    assert phase_bounds(growing, 3000)[1] == 2  # two more ambulances than today: two moves at least
