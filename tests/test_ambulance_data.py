"""Tests for models.ambulance.data: the stage's inputs prepared once and sliced into each district's model data.

Duty share 0.5: one ambulance-day is 720 minutes, 720000 in thousandths; a home's scaled load at a station is
``ceil(1000 * daily_transfers * round_trip_minutes)`` and its cost ``rint(1000 * daily_transfers * trip_minutes)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.ambulance.data import (
    build_districts,
    district_fleet,
    district_order,
    first_arc_per_home,
    prepare_arcs,
    prepare_stations,
    require_columns,
)

CAPACITY_PER_AMBULANCE = 720000
LIMIT = 120.0


def inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """District D: homes H1 (2/day), H2 (0.5/day), H3 (1/day, no arc), station A (1 ambulance, fleet 1).
    District E: station X (2 ambulances, no cap, no fleet row: keeps today's) and no home."""
    homes = pd.DataFrame(
        {
            "home_id": ["H1", "H2", "H3"],
            "district_id": ["D", "D", "D"],
            "hospital_id": ["P", "P", "P"],
            "daily_transfers": [2.0, 0.5, 1.0],
        }
    )
    stations = pd.DataFrame(
        {"station_id": ["A", "X"], "district_id": ["D", "E"], "ambulances": [1, 2], "max_ambulances": [np.nan, np.nan]}
    )
    arcs = pd.DataFrame(
        [
            ("A", "H1", 60.0, 300.0),  # the same pair again below, shorter: the shorter one is kept
            ("A", "H1", 50.0, 280.0),
            ("X", "H1", 10.0, 50.0),  # a station of another district: ignored
            ("A", "H2", 130.0, 200.0),  # beyond the limit
            ("A", "H9", 10.0, 20.0),  # an unknown home: ignored
        ],
        columns=["station_id", "home_id", "trip_minutes", "round_trip_minutes"],
    )
    fleet = pd.DataFrame({"district_id": ["D"], "ambulances_after": [1]})
    return homes, stations, arcs, fleet


def test_require_columns_names_the_missing_ones() -> None:
    with pytest.raises(ValueError, match=r"'arcs' lacks column\(s\) \['trip_minutes'\]"):
        require_columns(pd.DataFrame({"station_id": []}), ("station_id", "trip_minutes"), "arcs")


def test_district_fleet_keeps_todays_total_where_the_fleet_is_not_given() -> None:
    stations = pd.DataFrame({"district_id": ["D", "D", "E"], "before": [1, 2, 3]})
    fleet = pd.DataFrame({"district_id": ["D", "D"], "ambulances_after": [5.4, 9.0]})  # the first row counts
    assert district_fleet(stations, fleet).to_dict() == {"D": 5, "E": 3}


def test_prepare_stations_caps_the_fleet_by_the_station_cap() -> None:
    stations = pd.DataFrame(
        {"station_id": ["A", "B"], "district_id": ["D", "D"], "ambulances": [2, 1], "max_ambulances": [np.nan, 1.0]}
    )
    table = prepare_stations(stations, pd.DataFrame({"district_id": ["D"], "ambulances_after": [4]}))
    assert table["before"].tolist() == [2, 1]
    assert table["cap"].tolist() == [np.inf, 1.0]
    assert table["fleet_after"].tolist() == [4, 4]
    assert table["max_after"].tolist() == [4, 1]
    assert table["max_ambulances"].isna().tolist() == [True, False]


def test_prepare_arcs_keeps_the_shortest_arc_per_pair_within_the_home_district() -> None:
    homes, stations, arcs, fleet = inputs()
    table = prepare_arcs(homes, prepare_stations(stations, fleet), arcs, LIMIT, CAPACITY_PER_AMBULANCE)
    assert table[["station_id", "home_id", "trip_minutes"]].values.tolist() == [["A", "H1", 50.0], ["A", "H2", 130.0]]
    assert table["load"].tolist() == [560000, 100000]  # 1000 * 2 * 280, 1000 * 0.5 * 200
    assert table["cost"].tolist() == [100000, 65000]  # 1000 * 2 * 50, 1000 * 0.5 * 130
    assert table["in_limit"].tolist() == [True, False]
    assert table["usable"].tolist() == [True, False]  # 560000 <= 720000 * 1 ambulance at most
    assert first_arc_per_home(table, table["in_limit"], len(homes)).tolist() == [0, -1, -1]
    assert first_arc_per_home(table, np.ones(len(table), dtype=bool), len(homes)).tolist() == [0, 1, -1]


def test_build_districts_slices_each_district_with_a_station_into_local_positions() -> None:
    """D's model has H1 only (H2 beyond the limit, H3 without an arc); E has a station and no home."""
    homes, stations, arcs, fleet = inputs()
    station_table = prepare_stations(stations, fleet)
    arc_table = prepare_arcs(homes, station_table, arcs, LIMIT, CAPACITY_PER_AMBULANCE)
    nearest_arc = first_arc_per_home(arc_table, np.ones(len(arc_table), dtype=bool), len(homes))
    model_home = np.array([True, False, False])
    districts = district_order(homes, station_table, fleet)
    assert districts == ["D", "E"]
    d, e = build_districts(districts, homes, station_table, arc_table, model_home, nearest_arc, CAPACITY_PER_AMBULANCE)
    assert (d.district_id, d.stationed, d.capacity_per_ambulance) == ("D", 1, CAPACITY_PER_AMBULANCE)
    assert d.stations.to_dict("list") == {"global_station": [0], "before": [1], "max_after": [1]}
    assert d.homes.to_dict("list") == {
        "global_home": [0],
        "transfers_milli": [2000],
        "nearest_cost": [100000],
        "cheapest_arc": [0],
    }
    assert d.arcs.to_dict("list") == {
        "global_arc": [0],
        "home_pos": [0],
        "station_pos": [0],
        "load": [560000],
        "cost": [100000],
    }
    assert (e.district_id, e.stationed, len(e.homes), len(e.arcs)) == ("E", 2, 0, 0)
