"""Tests for models.ambulance.stage (``solve_ambulance``): hand-made instances solved by hand, and random instances
checked against scipy's MIP.

In the hand-made instances ``duty_share = 0.5`` gives one ambulance 720 minutes a day for transfers, and a home's
load at a station is ``daily_transfers * round_trip_minutes``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from models.ambulance import solve_ambulance
from models.base import SolveOptions, Status

LIMIT = 120.0
DUTY = 0.5
OPTIONS = SolveOptions(time_limit_s=10.0)


def frames(
    homes: list[tuple[str, str, float]],
    stations: list[tuple[str, str, int, int | None]],
    arcs: list[tuple[str, str, float, float]],
    fleet: dict[str, int] | None = None,
) -> dict[str, pd.DataFrame]:
    """Input tables from rows: homes (id, district, daily transfers), stations (id, district, today, cap),
    arcs (station, home, trip, round trip), fleet after per district (default: today's)."""
    home_table = pd.DataFrame(homes, columns=["home_id", "district_id", "daily_transfers"])
    home_table["hospital_id"] = "hosp-" + home_table["district_id"]
    station_table = pd.DataFrame(stations, columns=["station_id", "district_id", "ambulances", "max_ambulances"])
    station_table["max_ambulances"] = station_table["max_ambulances"].astype("Int64")
    arc_table = pd.DataFrame(arcs, columns=["station_id", "home_id", "trip_minutes", "round_trip_minutes"])
    fleet_after = station_table.groupby("district_id")["ambulances"].sum().to_dict() if fleet is None else fleet
    fleet_table = pd.DataFrame({"district_id": list(fleet_after), "ambulances_after": list(fleet_after.values())})
    return {"homes": home_table, "stations": station_table, "arcs": arc_table, "fleet": fleet_table}


def solve(tables: dict[str, pd.DataFrame], limit: float = LIMIT, duty: float = DUTY) -> Any:
    return solve_ambulance(
        tables["homes"],
        tables["stations"],
        tables["arcs"],
        tables["fleet"],
        transfer_minutes_max=limit,
        duty_share=duty,
        options=OPTIONS,
    )


def handshake(result: Any, home_id: str) -> pd.Series:
    table = result.table("handshakes").set_index("home_id")
    return table.loc[home_id]


def after(result: Any) -> dict[str, int]:
    stations = result.table("stations")
    return dict(zip(stations["station_id"], stations["after"].astype(int), strict=True))


def phase_objectives(result: Any) -> list[float]:
    return [phase.objective for phase in result.phases]


# --------------------------------------------------------------------------------------------------------------------
# Hand-made instances
# --------------------------------------------------------------------------------------------------------------------


def test_home_beyond_reach_gets_nearest_station_uncovered() -> None:
    """H1's trips are 150 and 170 minutes: no station within 120 -> nearest (S1), not covered."""
    tables = frames(
        homes=[("H1", "D", 1.0), ("H2", "D", 1.0)],
        stations=[("S1", "D", 1, None), ("S2", "D", 1, None)],
        arcs=[("S1", "H1", 150, 200), ("S2", "H1", 170, 250), ("S1", "H2", 40, 100)],
    )
    result = solve(tables)
    assert result.status == Status.OPTIMAL
    far = handshake(result, "H1")
    assert (far["station_id"], far["trip_minutes"], bool(far["covered"]), far["reason"]) == (
        "S1",
        150,
        False,
        "no_station_in_reach",
    )
    near = handshake(result, "H2")
    assert (near["station_id"], bool(near["covered"]), near["reason"]) == ("S1", True, "")
    # covered 1.0; no moves; transfer-minutes 1*150 (uncovered nearest trip) + 1*40.
    assert phase_objectives(result) == [1.0, 0.0, 190.0]
    assert [p.name for p in result.phases] == ["covered_daily_transfers", "ambulance_moves", "transfer_minutes"]


def test_home_of_a_district_without_stations_has_no_station() -> None:
    """District E has a home and a fleet of 2 but no station: the home has no station, the fleet stays unstationed."""
    tables = frames(
        homes=[("H1", "D", 1.0), ("H9", "E", 0.5)],
        stations=[("S1", "D", 1, None)],
        arcs=[("S1", "H1", 40, 100)],
        fleet={"D": 1, "E": 2},
    )
    result = solve(tables)
    lonely = handshake(result, "H9")
    assert pd.isna(lonely["station_id"]) and not lonely["covered"] and lonely["reason"] == "no_station_in_reach"
    assert len(result.table("handshakes")) == 2
    districts = result.table("districts").set_index("district_id")
    assert districts.loc["E", ["fleet_after", "unstationed", "daily_transfers"]].tolist() == [2, 2, 0.5]
    assert result.message.startswith("2 ambulance(s)")
    assert phase_objectives(result) == [1.0, 0.0, 40.0]  # H9 has no trip to count


def test_zero_transfer_home_takes_nearest_in_limit_station_without_workload() -> None:
    tables = frames(
        homes=[("H0", "D", 0.0)],
        stations=[("S1", "D", 1, None), ("S2", "D", 1, None)],
        arcs=[("S1", "H0", 130, 200), ("S2", "H0", 70, 150)],
    )
    result = solve(tables)
    home = handshake(result, "H0")
    assert (home["station_id"], bool(home["covered"]), home["reason"]) == ("S2", True, "")
    assert result.table("stations")["workload_minutes"].tolist() == [0.0, 0.0]


def test_workload_forces_a_second_station() -> None:
    """A: 1 ambulance = 720 min. H1 at A 2*300 = 600, H2 at A 1*300 = 300: 900 > 720 together.
    H1 at B 2*400 = 800 > 720 (impossible); H2 at B 1*400 = 400. Without a move: H1 -> A, H2 -> B."""
    tables = frames(
        homes=[("H1", "D", 2.0), ("H2", "D", 1.0)],
        stations=[("A", "D", 1, None), ("B", "D", 1, None)],
        arcs=[("A", "H1", 60, 300), ("B", "H1", 90, 400), ("A", "H2", 60, 300), ("B", "H2", 90, 400)],
    )
    result = solve(tables)
    assert result.status == Status.OPTIMAL
    handshakes = result.table("handshakes").set_index("home_id")
    assert handshakes["station_id"].to_dict() == {"H1": "A", "H2": "B"}
    assert handshakes["covered"].tolist() == [True, True]
    stations = result.table("stations").set_index("station_id")
    assert stations["workload_minutes"].to_dict() == {"A": 600.0, "B": 400.0}
    assert stations["capacity_minutes"].to_dict() == {"A": 720.0, "B": 720.0}
    assert after(result) == {"A": 1, "B": 1}
    # covered 3; no moves (A=2, B=0 would also cover both, with one move); 2*60 + 1*90 transfer-minutes.
    assert phase_objectives(result) == [3.0, 0.0, 210.0]
    assert result.gap == 0.0


def fleet_instance(cap_b: int | None = None, fleet_after: int | None = None) -> dict[str, pd.DataFrame]:
    """A has 3 ambulances, B 1. H1 (3/day) only in reach of B, needing 3*400 = 1200 min = 2 ambulances there;
    H2 (1/day) only in reach of A, 1*300 = 300 min."""
    return frames(
        homes=[("H1", "D", 3.0), ("H2", "D", 1.0)],
        stations=[("A", "D", 3, None), ("B", "D", 1, cap_b)],
        arcs=[("B", "H1", 60, 400), ("A", "H1", 130, 500), ("A", "H2", 50, 300), ("B", "H2", 130, 500)],
        fleet=None if fleet_after is None else {"D": fleet_after},
    )


def test_moving_one_ambulance_covers_a_home() -> None:
    result = solve(fleet_instance())
    assert after(result) == {"A": 2, "B": 2}
    assert result.table("handshakes")["covered"].tolist() == [True, True]
    assert result.table("handshakes")["station_id"].tolist() == ["B", "A"]
    districts = result.table("districts").set_index("district_id")
    assert districts.loc["D", "moves"] == 1
    assert (districts.loc["D", "fleet_before"], districts.loc["D", "fleet_after"]) == (4, 4)
    assert result.table("stations").set_index("station_id")["moved_in"].to_dict() == {"A": 0, "B": 1}
    # covered 4; one move; 3*60 + 1*50.
    assert phase_objectives(result) == [4.0, 1.0, 230.0]


def test_station_cap_prevents_the_move() -> None:
    result = solve(fleet_instance(cap_b=1))
    assert after(result) == {"A": 3, "B": 1}
    home = handshake(result, "H1")
    assert (home["station_id"], bool(home["covered"]), home["reason"], home["binding_stations"]) == (
        "B",
        False,
        "station_workload",
        "B",
    )
    assert bool(handshake(result, "H2")["covered"])
    assert phase_objectives(result) == [1.0, 0.0, 3 * 60 + 50.0]


def test_fleet_factor_shrinks_the_district_fleet() -> None:
    """Fleet after = r(0.5 * 4) = 2: both at B cover H1 (3/day) rather than H2 (1/day); A empties (no move
    counted for leaving), B gains one."""
    result = solve(fleet_instance(fleet_after=2))
    assert after(result) == {"A": 0, "B": 2}
    assert bool(handshake(result, "H1")["covered"])
    h2 = handshake(result, "H2")
    assert (h2["station_id"], bool(h2["covered"]), h2["reason"], h2["binding_stations"]) == (
        "A",
        False,
        "station_workload",
        "A",
    )
    districts = result.table("districts").set_index("district_id")
    assert (districts.loc["D", "fleet_after"], districts.loc["D", "moves"]) == (2, 1)
    assert districts.loc["D", "covered_daily_transfers"] == 3.0
    assert phase_objectives(result) == [3.0, 1.0, 230.0]


def test_caps_below_fleet_leave_ambulances_unstationed() -> None:
    tables = frames(
        homes=[("H1", "D", 1.0)],
        stations=[("A", "D", 2, 1), ("B", "D", 1, 1)],
        arcs=[("A", "H1", 30, 100)],
    )
    result = solve(tables)
    assert after(result) == {"A": 1, "B": 1}
    districts = result.table("districts").set_index("district_id")
    assert districts.loc["D", "unstationed"] == 1
    assert result.message.startswith("1 ambulance(s) have no station")
    assert result.status == Status.OPTIMAL


def test_lexicographic_moves_before_minutes() -> None:
    """Both homes nearest to A, which holds one of them (900 > 720). Zero moves: {H1->A, H2->B} costs
    2*30 + 1*60 = 120, {H2->A, H1->B} 1*40 + 2*80 = 200. Moving B's ambulance to A would cost only 100
    transfer-minutes but one move: moves come first."""
    tables = frames(
        homes=[("H1", "D", 2.0), ("H2", "D", 1.0)],
        stations=[("A", "D", 1, None), ("B", "D", 1, None)],
        arcs=[("A", "H1", 30, 300), ("B", "H1", 80, 350), ("A", "H2", 40, 300), ("B", "H2", 60, 400)],
    )
    result = solve(tables)
    assert result.table("handshakes").set_index("home_id")["station_id"].to_dict() == {"H1": "A", "H2": "B"}
    assert after(result) == {"A": 1, "B": 1}
    assert phase_objectives(result) == [3.0, 0.0, 120.0]
    assert result.objective == 120.0 and result.bound == 120.0 and result.status == Status.OPTIMAL


def test_empty_inputs() -> None:
    tables = frames(homes=[], stations=[], arcs=[], fleet={})
    result = solve(tables)
    assert result.status == Status.OPTIMAL
    assert len(result.table("handshakes")) == 0 and len(result.table("stations")) == 0
    assert list(result.table("handshakes").columns)[:7] == [
        "home_id",
        "district_id",
        "station_id",
        "hospital_id",
        "trip_minutes",
        "round_trip_minutes",
        "daily_transfers",
    ]


def test_missing_column_is_named() -> None:
    tables = frames(homes=[("H1", "D", 1.0)], stations=[("A", "D", 1, None)], arcs=[("A", "H1", 30, 100)])
    with pytest.raises(ValueError, match="trip_minutes"):
        solve_ambulance(
            tables["homes"],
            tables["stations"],
            tables["arcs"].drop(columns="trip_minutes"),
            tables["fleet"],
            transfer_minutes_max=LIMIT,
            duty_share=DUTY,
        )


# --------------------------------------------------------------------------------------------------------------------
# Random instances against an independent MIP (scipy.optimize.milp, HiGHS)
# --------------------------------------------------------------------------------------------------------------------


@st.composite
def random_instance(draw: st.DrawFn) -> tuple[dict[str, pd.DataFrame], float]:
    """1-2 districts, 1-3 stations and 1-4 homes each; transfers in eighths (exact in binary and thousandths)."""
    homes, stations, arcs, fleet = [], [], [], {}
    for district in range(draw(st.integers(1, 2))):
        district_id = f"D{district}"
        station_ids = [f"{district_id}S{i}" for i in range(draw(st.integers(1, 3)))]
        for station_id in station_ids:
            cap = draw(st.one_of(st.none(), st.integers(0, 4)))
            stations.append((station_id, district_id, draw(st.integers(0, 3)), cap))
        fleet[district_id] = draw(st.integers(0, 6))
        for h in range(draw(st.integers(1, 4))):
            home_id = f"{district_id}H{h}"
            homes.append((home_id, district_id, draw(st.integers(0, 24)) / 8))
            reached = draw(st.lists(st.sampled_from(station_ids), min_size=1, max_size=len(station_ids), unique=True))
            for station_id in reached:
                trip = draw(st.integers(20, 200))
                arcs.append((station_id, home_id, float(trip), float(trip + draw(st.integers(20, 150)))))
    duty = draw(st.sampled_from([0.05, 0.1, 0.25]))
    return frames(homes, stations, arcs, fleet), duty


def reference_milp(tables: dict[str, pd.DataFrame], duty: float) -> tuple[float, int, float]:
    """Max covered daily transfers, then min moves, then min transfer-minutes (uncovered homes at their nearest
    station); a dense MIP over all districts at once, caps as bounds."""
    homes, stations, arcs = tables["homes"], tables["stations"], tables["arcs"]
    nearest_trip = arcs.groupby("home_id")["trip_minutes"].min().reindex(homes["home_id"]).to_numpy()
    fleet = tables["fleet"].set_index("district_id")["ambulances_after"]
    station_pos = {s: i for i, s in enumerate(stations["station_id"])}
    home_pos = {h: i for i, h in enumerate(homes["home_id"])}
    arcs = arcs[arcs["trip_minutes"] <= LIMIT].reset_index(drop=True)
    n_arc, n_home, n_station = len(arcs), len(homes), len(stations)
    # variables: x (arcs), covered (homes), after (stations), moved (stations)
    n = n_arc + n_home + 2 * n_station
    x0, c0, a0, m0 = 0, n_arc, n_arc + n_home, n_arc + n_home + n_station
    rows: list[np.ndarray] = []
    lower: list[float] = []
    upper: list[float] = []

    def row() -> np.ndarray:
        return np.zeros(n)

    def add(coefficients: np.ndarray, low: float, high: float) -> None:
        rows.append(coefficients)
        lower.append(low)
        upper.append(high)

    for h in range(n_home):
        r = row()
        r[c0 + h] = -1
        for i, home_id in enumerate(arcs["home_id"]):
            if home_pos[home_id] == h:
                r[x0 + i] = 1
        add(r, 0, 0)
    transfers = homes.set_index("home_id")["daily_transfers"]
    for s in range(n_station):
        r = row()
        r[a0 + s] = -24 * 60 * duty
        for i, (station_id, home_id, rt) in enumerate(
            zip(arcs["station_id"], arcs["home_id"], arcs["round_trip_minutes"], strict=True)
        ):
            if station_pos[station_id] == s:
                r[x0 + i] = transfers[home_id] * rt
        add(r, -np.inf, 0)
        r = row()
        r[m0 + s], r[a0 + s] = 1, -1
        add(r, -stations["ambulances"].iloc[s], np.inf)
    caps = stations["max_ambulances"].astype("Float64").fillna(np.inf).to_numpy(dtype=float)
    for district_id, ambulances_after in fleet.items():
        in_district = np.flatnonzero(stations["district_id"].to_numpy() == district_id)
        r = row()
        r[a0 + in_district] = 1
        stationed = min(ambulances_after, caps[in_district].sum())  # the caps may not hold the whole fleet
        add(r, stationed, stationed)
    upper_bounds = np.concatenate([np.ones(n_arc + n_home), caps, np.full(n_station, np.inf)])
    bounds = Bounds(np.zeros(n), upper_bounds)
    constraints = [LinearConstraint(np.array(rows).reshape(-1, n), lower, upper)]
    gains = np.zeros(n)
    gains[c0 : c0 + n_home] = homes["daily_transfers"].to_numpy()
    options = {"mip_rel_gap": 0.0}
    first = milp(-gains, constraints=constraints, integrality=np.ones(n), bounds=bounds, options=options)
    assert first.success
    covered = -first.fun
    moves = np.zeros(n)
    moves[m0:] = 1
    keep = LinearConstraint(gains.reshape(1, -1), covered - 1e-7, np.inf)
    second = milp(moves, constraints=[*constraints, keep], integrality=np.ones(n), bounds=bounds, options=options)
    assert second.success
    fewest = LinearConstraint(moves.reshape(1, -1), -np.inf, round(second.fun) + 1e-7)
    # transfer-minutes = sum_arcs t*trip*x + sum_homes t*nearest*(1 - covered): the constant is added back below
    minutes = np.zeros(n)
    minutes[x0 : x0 + n_arc] = transfers.reindex(arcs["home_id"]).to_numpy() * arcs["trip_minutes"].to_numpy()
    minutes[c0 : c0 + n_home] = -homes["daily_transfers"].to_numpy() * nearest_trip
    constant = float(homes["daily_transfers"].to_numpy() @ nearest_trip)
    third = milp(
        minutes, constraints=[*constraints, keep, fewest], integrality=np.ones(n), bounds=bounds, options=options
    )
    assert third.success
    return covered, round(second.fun), third.fun + constant


@settings(max_examples=30, deadline=None)
@given(random_instance())
def test_random_instances_respect_constraints_and_match_reference(
    instance: tuple[dict[str, pd.DataFrame], float],
) -> None:
    tables, duty = instance
    result = solve(tables, duty=duty)
    assert result.status == Status.OPTIMAL
    handshakes = result.table("handshakes")
    stations = result.table("stations")
    districts = result.table("districts").set_index("district_id")

    # every home exactly one handshake row; a station wherever the home has an arc
    assert sorted(handshakes["home_id"]) == sorted(tables["homes"]["home_id"])
    assert handshakes["station_id"].notna().all()
    # nothing beyond the limit counted covered; the handshake is a given arc
    covered = handshakes[handshakes["covered"]]
    assert (covered["trip_minutes"] <= LIMIT).all()
    given_arcs = set(zip(tables["arcs"]["station_id"], tables["arcs"]["home_id"], strict=True))
    assert set(zip(handshakes["station_id"], handshakes["home_id"], strict=True)) <= given_arcs
    # workloads recomputed from the handshakes, within capacity
    load = (covered["daily_transfers"] * covered["round_trip_minutes"]).groupby(covered["station_id"]).sum()
    workload = stations.set_index("station_id")["workload_minutes"]
    assert np.allclose(workload.reindex(load.index), load)
    assert (stations["workload_minutes"] <= stations["after"] * 24 * 60 * duty + 1e-9).all()
    # fleets: stationed + unstationed = fleet after; caps honoured; unstationed only when the caps are full
    stationed = stations.groupby("district_id")["after"].sum()
    fleet = tables["fleet"].set_index("district_id")["ambulances_after"]
    for district_id, ambulances_after in fleet.items():
        assert stationed.get(district_id, 0) + districts.loc[district_id, "unstationed"] == ambulances_after
    capped = stations["max_ambulances"].notna()
    assert (stations.loc[capped, "after"] <= stations.loc[capped, "max_ambulances"]).all()
    at_cap = stations["max_ambulances"].notna() & (stations["after"] == stations["max_ambulances"])
    full = at_cap.groupby(stations["district_id"]).all()
    for district_id in districts.index[districts["unstationed"] > 0]:
        assert full[district_id]
    # uncovered homes carry a reason, covered ones none
    assert ((handshakes["reason"] == "") == handshakes["covered"]).all()

    covered_reference, moves_reference, minutes_reference = reference_milp(tables, duty)
    assert result.phases[0].objective == pytest.approx(covered_reference, abs=1e-9)
    assert result.phases[1].objective == moves_reference
    assert result.phases[2].objective == pytest.approx(minutes_reference, abs=1e-6)
