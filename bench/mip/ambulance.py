"""The ambulance stage as one MIP over every district, three phases (:mod:`bench.mip`).

Formulation (sets and data as in :mod:`models.ambulance`; all variables integer unless said)
--------------------------------------------------------------------------------------------
One MIP over every district. ``h[a]`` binary handshake on usable arcs (trip within the limit, load within
the station's most ambulances), ``c[h]`` binary covered, ``after[s] in [0, max_after_s]``,
``moved[s] >= 0``. (1) ``sum_s h = c_h``; (2) ``sum_h load_a h_a <= capacity_per_ambulance after_s``;
(3) ``sum_{s in d} after_s = stationed_d``; (5) ``moved_s >= after_s - before_s``. Daily transfers are
counted in thousandths, loads rounded up (the stage model's integer data). Phases: max covered
thousandths; min moves; min transfer-minutes (uncovered homes at their nearest station).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pulp

from bench.inputs import station_caps
from bench.mip.lp import (
    MipOptions,
    PhaseRunner,
    binary_variables,
    grouped,
    integer_variables,
    linear,
    stage_result,
    values,
    variable,
)
from models.base import StageResult

TRANSFER_SCALE = 1000
MINUTES_PER_DAY = 24 * 60
LIMIT_TOLERANCE = 1e-9


def ambulance_data(
    homes: pd.DataFrame, stations: pd.DataFrame, arcs: pd.DataFrame, fleet: pd.DataFrame, limit: float, duty: float
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    """Homes (with ``weight``), stations (``before``, ``max_after``, ``stationed`` of the district), arcs, capacity.

    Arcs keep one per pair (the shortest) within the home's district, with ``load`` and ``cost`` in thousandths
    and ``usable`` (within the limit and the load fits the station's most ambulances).
    """
    per_ambulance = math.floor(TRANSFER_SCALE * MINUTES_PER_DAY * duty + 1e-6)
    station_table = stations.reset_index(drop=True).copy()
    station_table["before"] = pd.to_numeric(station_table["ambulances"]).fillna(0).astype(np.int64)
    caps = station_caps(station_table)
    today = station_table.groupby("district_id")["before"].sum()
    given = fleet.drop_duplicates("district_id").set_index("district_id")["ambulances_after"]
    fleet_after = station_table["district_id"].map(given).fillna(station_table["district_id"].map(today))
    station_table["max_after"] = np.minimum(caps, fleet_after.to_numpy(dtype=float)).astype(np.int64)
    holdable = station_table.groupby("district_id")["max_after"].transform("sum")
    station_table["stationed"] = np.minimum(fleet_after, holdable).astype(np.int64)

    home_table = homes.reset_index(drop=True).copy()
    home_table["daily_transfers"] = pd.to_numeric(home_table["daily_transfers"]).fillna(0.0).astype(float)
    home_pos = pd.Series(np.arange(len(home_table)), index=home_table["home_id"])
    station_pos = pd.Series(np.arange(len(station_table)), index=station_table["station_id"])
    arc_table = arcs.assign(home=arcs["home_id"].map(home_pos), station=arcs["station_id"].map(station_pos))
    arc_table = arc_table.dropna(subset=["home", "station", "trip_minutes"])
    arc_table = arc_table.astype({"home": np.int64, "station": np.int64})
    same = (
        station_table["district_id"].to_numpy()[arc_table["station"]]
        == home_table["district_id"].to_numpy()[arc_table["home"]]
    )
    arc_table = arc_table[same].sort_values(["home", "trip_minutes", "station_id"], kind="stable")
    arc_table = arc_table.drop_duplicates(["home", "station"]).reset_index(drop=True)
    transfers = home_table["daily_transfers"].to_numpy()[arc_table["home"]]
    arc_table["load"] = np.ceil(TRANSFER_SCALE * transfers * arc_table["round_trip_minutes"].to_numpy(float) - 1e-6)
    arc_table["cost"] = np.rint(TRANSFER_SCALE * transfers * arc_table["trip_minutes"].to_numpy(float))
    arc_table["in_limit"] = arc_table["trip_minutes"].to_numpy(float) <= limit + LIMIT_TOLERANCE
    most = per_ambulance * station_table["max_after"].to_numpy()[arc_table["station"]]
    arc_table["usable"] = arc_table["in_limit"] & (arc_table["load"] <= most)
    home_table["weight"] = np.maximum(1, np.rint(TRANSFER_SCALE * home_table["daily_transfers"].to_numpy()))
    has_usable = np.bincount(arc_table["home"][arc_table["usable"]], minlength=len(home_table)) > 0
    home_table["in_model"] = (home_table["daily_transfers"].to_numpy() > 0) & has_usable
    return home_table, station_table, arc_table, per_ambulance


def mip_ambulance(
    homes: pd.DataFrame,
    stations: pd.DataFrame,
    arcs: pd.DataFrame,
    fleet: pd.DataFrame,
    *,
    transfer_minutes_max: float,
    duty_share: float,
    options: MipOptions = MipOptions(),  # noqa: B008 - frozen dataclass, safe as a default
) -> StageResult:
    """The ambulance stage as one MIP over every district (module docstring), three phases."""
    start = time.perf_counter()
    home_table, station_table, arc_table, per_ambulance = ambulance_data(
        homes, stations, arcs, fleet, transfer_minutes_max, duty_share
    )
    model_homes = np.flatnonzero(home_table["in_model"].to_numpy())
    model_arcs = arc_table[arc_table["usable"] & home_table["in_model"].to_numpy()[arc_table["home"]]]
    nearest = arc_table.drop_duplicates("home").set_index("home")["cost"]
    problem = pulp.LpProblem("ambulance", pulp.LpMaximize)
    handshake = binary_variables("h", len(model_arcs))
    covered = {int(h): variable(f"c_{h}", cat=pulp.LpBinary) for h in model_homes}
    after = integer_variables("after", station_table["max_after"].to_numpy())
    moved = integer_variables("moved", station_table["max_after"].to_numpy())
    arc_home, arc_station = model_arcs["home"].to_numpy(), model_arcs["station"].to_numpy()
    loads = model_arcs["load"].to_numpy()
    for h, positions in enumerate(grouped(arc_home, len(home_table))):  # (1)
        if h in covered:
            problem += linear([handshake[a] for a in positions]) == covered[h]
    for s, positions in enumerate(grouped(arc_station, len(station_table))):  # (2)
        if len(positions):
            problem += linear([handshake[a] for a in positions], loads[positions]) <= per_ambulance * after[s]
    stationed = station_table["stationed"].to_numpy(dtype=np.int64)
    before = station_table["before"].to_numpy(dtype=np.int64)
    for members in station_table.groupby("district_id").indices.values():  # (3)
        problem += linear([after[s] for s in members]) == int(stationed[members[0]])
    for s in range(len(station_table)):  # (5)
        problem += moved[s] >= after[s] - int(before[s])
    constraints = len(covered) + len(station_table) * 2 + station_table["district_id"].nunique()
    build_seconds = time.perf_counter() - start

    weights = home_table["weight"].to_numpy()
    covered_list = [covered[int(h)] for h in model_homes]
    covered_total = linear(covered_list, weights[model_homes])
    moves = linear(moved)
    minutes = linear(
        handshake + covered_list,
        np.concatenate([model_arcs["cost"].to_numpy(), -nearest.reindex(model_homes).to_numpy(dtype=float)]),
    )
    runner = PhaseRunner(problem, options, [])
    best = runner.solve("covered_daily_transfers", "max", covered_total)
    if best is not None:
        problem += covered_total >= round(best)
        best = runner.solve("ambulance_moves", "min", moves)
        if best is not None:
            problem += moves <= round(best)
            runner.solve("transfer_minutes", "min", minutes)
    tables = None
    if runner.solved:
        chosen = model_arcs.index.to_numpy()[values(handshake) > 0]
        tables = ambulance_tables(home_table, station_table, arc_table, chosen, values(after), duty_share)
    variables = len(handshake) + len(covered) + 2 * len(station_table)
    return stage_result(
        "ambulance", runner, tables, time.perf_counter() - start, build_seconds, variables, constraints, len(arc_table)
    )


def ambulance_tables(
    home_table: pd.DataFrame,
    station_table: pd.DataFrame,
    arc_table: pd.DataFrame,
    chosen_arcs: np.ndarray,
    after: np.ndarray,
    duty_share: float,
) -> dict[str, pd.DataFrame]:
    """Handshakes: covered homes at their chosen station; zero-load homes at their nearest in-limit station
    (one with ambulances first) and covered; every other home at its nearest station, not covered."""
    count = len(home_table)
    chosen = np.full(count, -1, dtype=np.int64)
    chosen[arc_table["home"].to_numpy()[chosen_arcs]] = chosen_arcs
    covered = chosen >= 0
    staffed = after[arc_table["station"].to_numpy()] > 0
    in_limit = arc_table["in_limit"].to_numpy()
    zero_load = home_table["daily_transfers"].to_numpy() <= 0
    for mask in (in_limit & staffed, in_limit):
        rows = np.flatnonzero(mask)
        first = pd.Series(rows).groupby(arc_table["home"].to_numpy()[rows]).first()
        pick = zero_load & ~covered & np.isin(np.arange(count), first.index.to_numpy())
        chosen[np.flatnonzero(pick)] = first.reindex(np.flatnonzero(pick)).to_numpy()
        covered |= pick
    nearest = arc_table.reset_index().drop_duplicates("home").set_index("home")["index"]
    fallback = ~covered & np.isin(np.arange(count), nearest.index.to_numpy())
    chosen[fallback] = nearest.reindex(np.flatnonzero(fallback)).to_numpy()
    has_arc = chosen >= 0
    picked = arc_table.iloc[chosen[has_arc]]
    handshakes = home_table[["home_id", "district_id", "hospital_id", "daily_transfers"]].copy()
    handshakes["station_id"] = pd.Series(picked["station_id"].to_numpy(), index=np.flatnonzero(has_arc))
    handshakes["trip_minutes"] = pd.Series(picked["trip_minutes"].to_numpy(float), index=np.flatnonzero(has_arc))
    handshakes["round_trip_minutes"] = pd.Series(
        picked["round_trip_minutes"].to_numpy(float), index=np.flatnonzero(has_arc)
    )
    handshakes["covered"] = covered
    covered_arcs = arc_table.iloc[chosen[covered]]
    workload = np.bincount(
        covered_arcs["station"].to_numpy(),
        weights=home_table["daily_transfers"].to_numpy()[covered_arcs["home"].to_numpy()]
        * covered_arcs["round_trip_minutes"].to_numpy(float),
        minlength=len(station_table),
    )
    stations_out = station_table[["station_id", "district_id", "before"]].assign(
        after=after,
        moved_in=np.maximum(after - station_table["before"].to_numpy(), 0),
        workload_minutes=workload,
        capacity_minutes=after * MINUTES_PER_DAY * duty_share,
    )
    return {"stations": stations_out, "handshakes": handshakes}
