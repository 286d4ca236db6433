"""The ambulance stage: every district solved in turn, the plan back in the stage's rows, the output tables.

:func:`solve_ambulance` prepares the inputs (:mod:`models.ambulance.data`), splits the time limit over the
districts (:func:`solve_districts`, each by :func:`models.ambulance.district.solve_district`), places the homes
outside the model, and reports the ``stations``, ``handshakes`` and ``districts`` tables and one phase per
lexicographic level (:mod:`models.ambulance`).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd

from models.ambulance.data import (
    ARC_COLUMNS,
    FLEET_COLUMNS,
    HOME_COLUMNS,
    MINUTES_PER_DAY,
    STATION_COLUMNS,
    TRANSFER_SCALE,
    DistrictModelData,
    build_districts,
    district_fleet,
    district_order,
    first_arc_per_home,
    prepare_arcs,
    prepare_stations,
    require_columns,
)
from models.ambulance.district import PHASES, DistrictSolution, solve_district
from models.base import Phase, SolveOptions, StageResult, Status, stopwatch

STAGE = "ambulance"

STATIONS_OUT = [
    "station_id",
    "district_id",
    "before",
    "after",
    "max_ambulances",
    "moved_in",
    "workload_minutes",
    "capacity_minutes",
    "covered_homes",
]
HANDSHAKES_OUT = [
    "home_id",
    "district_id",
    "station_id",
    "hospital_id",
    "trip_minutes",
    "round_trip_minutes",
    "daily_transfers",
    "covered",
    "reason",
    "binding_stations",
]
DISTRICTS_OUT = [
    "district_id",
    "fleet_before",
    "fleet_after",
    "unstationed",
    "moves",
    "covered_daily_transfers",
    "daily_transfers",
    "status",
]


def solve_ambulance(
    homes: pd.DataFrame,
    stations: pd.DataFrame,
    arcs: pd.DataFrame,
    fleet: pd.DataFrame,
    *,
    transfer_minutes_max: float,
    duty_share: float,
    options: SolveOptions = SolveOptions(),  # noqa: B008 - frozen dataclass, safe as a default
) -> StageResult:
    """Re-allocate each district's 120 fleet and give every care home its handshake station.

    Parameters
    ----------
    homes
        home_id, district_id, hospital_id, daily_transfers (float >= 0).
    stations
        station_id, district_id, ambulances (today), max_ambulances (nullable; NaN = no cap).
    arcs
        station_id, home_id, trip_minutes (station -> home -> home's hospital), round_trip_minutes
        (station -> home -> hospital -> station); arcs to stations of another district are ignored.
    fleet
        district_id, ambulances_after (the district's fleet after the plan); a district not listed keeps today's.
    transfer_minutes_max
        Longest trip from station via home to hospital that counts as covered, minutes (rules).
    duty_share
        Share of an ambulance's 24 h available for care-home transfers (rules).
    options
        Time limit (for the whole stage, split over districts), seed, workers.

    Returns
    -------
    StageResult
        Stage ``ambulance``, tables ``stations``, ``handshakes``, ``districts`` (:mod:`models.ambulance`); one phase per
        lexicographic level, objective summed over districts in original units, status the worst over districts.
    """
    with stopwatch() as clock:
        require_columns(homes, HOME_COLUMNS, "homes")
        require_columns(stations, STATION_COLUMNS, "stations")
        require_columns(arcs, ARC_COLUMNS, "arcs")
        require_columns(fleet, FLEET_COLUMNS, "fleet")
        capacity_per_ambulance = math.floor(TRANSFER_SCALE * MINUTES_PER_DAY * duty_share + 1e-6)
        deadline = time.perf_counter() + options.time_limit_s

        with stopwatch() as build_clock:
            home_table = homes.reset_index(drop=True).copy()
            home_table["daily_transfers"] = pd.to_numeric(home_table["daily_transfers"]).fillna(0.0).astype(float)
            station_table = prepare_stations(stations, fleet)
            arc_table = prepare_arcs(home_table, station_table, arcs, transfer_minutes_max, capacity_per_ambulance)
            nearest_arc = first_arc_per_home(arc_table, np.ones(len(arc_table), dtype=bool), len(home_table))
            in_limit_arc = first_arc_per_home(arc_table, arc_table["in_limit"], len(home_table))
            usable_arc = first_arc_per_home(arc_table, arc_table["usable"], len(home_table))
            positive = home_table["daily_transfers"].to_numpy() > 0
            model_home = positive & (usable_arc >= 0)
            districts = district_order(home_table, station_table, fleet)
            district_data = build_districts(
                districts, home_table, station_table, arc_table, model_home, nearest_arc, capacity_per_ambulance
            )

        solutions = solve_districts(district_data, options, deadline)
        after, chosen_arc = plan_in_stage_rows(district_data, solutions, len(station_table), len(home_table))
        station_table["after"] = after
        chosen_arc = np.where(positive, chosen_arc, in_limit_arc)  # zero-load homes: their nearest in-limit station,
        chosen_arc = refine_zero_load_handshakes(chosen_arc, positive, arc_table, after)  # one with ambulances if any

        tables = output_tables(
            home_table,
            station_table,
            arc_table,
            chosen_arc,
            nearest_arc,
            in_limit_arc,
            duty_share,
            capacity_per_ambulance,
        )
        phases = stage_phases(solutions, tables)
        fleet_after = district_fleet(station_table, fleet)
        tables["districts"] = district_table(tables, fleet_after, districts, district_data, solutions)

    stats = {
        "districts": len(district_data),
        "model_homes": int(model_home.sum()),
        "arcs": len(arc_table),
        "variables": int(sum(len(d.arcs) + len(d.homes) + 2 * len(d.stations) for d in district_data)),
        "solver_calls": int(sum(solution.solver_calls for solution in solutions)),
        "build_seconds": build_clock["seconds"],
        "solve_seconds": clock["seconds"] - build_clock["seconds"],
        "transfer_scale": TRANSFER_SCALE,
    }
    unstationed = int(tables["districts"]["unstationed"].sum())
    message = (
        f"{unstationed} ambulance(s) have no station to stand at (station caps full, or no station in the district)."
        if unstationed
        else ""
    )
    return StageResult.from_phases(STAGE, phases, tables, clock["seconds"], stats, message)


def plan_in_stage_rows(
    district_data: list[DistrictModelData], solutions: list[DistrictSolution], stations: int, homes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Ambulances after the plan per station row, and the covering arc row per home row (-1 = none)."""
    after = np.zeros(stations, dtype=np.int64)
    chosen_arc = np.full(homes, -1, dtype=np.int64)
    for data, solution in zip(district_data, solutions, strict=True):
        after[data.stations["global_station"]] = solution.after
        covered = solution.arc_chosen >= 0
        home_rows = data.homes["global_home"][covered]
        chosen_arc[home_rows] = data.arcs["global_arc"][solution.arc_chosen[covered]]
    return after, chosen_arc


def solve_districts(
    district_data: list[DistrictModelData], options: SolveOptions, deadline: float
) -> list[DistrictSolution]:
    """Solve district by district; each gets a share of the remaining time by its size (unused time passes on)."""
    weights = [1 + len(d.arcs) + len(d.stations) for d in district_data]
    remaining_weight = float(sum(weights))
    solutions = []
    for data, weight in zip(district_data, weights, strict=True):
        remaining = max(0.0, deadline - time.perf_counter())
        district_deadline = time.perf_counter() + remaining * weight / remaining_weight
        solutions.append(solve_district(data, options, district_deadline, deadline))
        remaining_weight -= weight
    return solutions


def refine_zero_load_handshakes(
    chosen_arc: np.ndarray, positive: np.ndarray, arcs: pd.DataFrame, after: np.ndarray
) -> np.ndarray:
    """A zero-load home takes its nearest in-limit station that has ambulances after the plan, when there is one."""
    staffed = arcs["in_limit"].to_numpy() & (after[arcs["station_pos"].to_numpy()] > 0)
    staffed_arc = first_arc_per_home(arcs, staffed, len(chosen_arc))
    refined = chosen_arc.copy()
    zero_load = ~positive & (staffed_arc >= 0)
    refined[zero_load] = staffed_arc[zero_load]
    return refined


# --------------------------------------------------------------------------------------------------------------------
# Output tables and phases
# --------------------------------------------------------------------------------------------------------------------


def output_tables(
    homes: pd.DataFrame,
    stations: pd.DataFrame,
    arcs: pd.DataFrame,
    chosen_arc: np.ndarray,
    nearest_arc: np.ndarray,
    in_limit_arc: np.ndarray,
    duty_share: float,
    capacity_per_ambulance: int,
) -> dict[str, pd.DataFrame]:
    """The ``stations`` and ``handshakes`` tables from the chosen arcs (-1 = uncovered, nearest station)."""
    covered = chosen_arc >= 0
    handshake_arc = np.where(covered, chosen_arc, nearest_arc)
    has_arc = handshake_arc >= 0
    picked = arcs.iloc[handshake_arc[has_arc]]

    workload = np.zeros(len(stations))
    covered_rows = arcs.iloc[chosen_arc[covered]]
    np.add.at(
        workload,
        covered_rows["station_pos"].to_numpy(),
        covered_rows["daily_transfers"].to_numpy() * covered_rows["round_trip_minutes"].to_numpy(dtype=float),
    )
    covered_homes = np.bincount(covered_rows["station_pos"].to_numpy(), minlength=len(stations))
    station_out = stations.assign(
        moved_in=np.maximum(stations["after"] - stations["before"], 0),
        workload_minutes=workload,
        capacity_minutes=stations["after"].to_numpy() * MINUTES_PER_DAY * duty_share,
        covered_homes=covered_homes,
    )

    handshakes = homes[["home_id", "district_id", "hospital_id", "daily_transfers"]].copy()
    picked = picked[["station_id", "trip_minutes", "round_trip_minutes"]].set_axis(np.flatnonzero(has_arc))
    handshakes = handshakes.join(picked.reindex(handshakes.index))
    handshakes["covered"] = covered
    reason = np.where(covered, "", np.where(in_limit_arc >= 0, "station_workload", "no_station_in_reach"))
    handshakes["reason"] = reason
    handshakes["binding_stations"] = binding_stations(
        homes, station_out, arcs, reason == "station_workload", capacity_per_ambulance
    )
    return {"stations": station_out[STATIONS_OUT].copy(), "handshakes": handshakes[HANDSHAKES_OUT].copy()}


def binding_stations(
    homes: pd.DataFrame, stations: pd.DataFrame, arcs: pd.DataFrame, short: np.ndarray, capacity_per_ambulance: int
) -> np.ndarray:
    """Per home short of workload: its in-limit stations whose free time is below the home's load there."""
    result = np.full(len(homes), "", dtype=object)
    if not short.any():
        return result
    free_scaled = np.floor(
        capacity_per_ambulance * stations["after"].to_numpy()
        - TRANSFER_SCALE * stations["workload_minutes"].to_numpy()
        + 1e-6
    )
    candidates = arcs[arcs["in_limit"].to_numpy() & short[arcs["home_pos"].to_numpy()]]
    binding = candidates[candidates["load"].to_numpy() > free_scaled[candidates["station_pos"].to_numpy()]]
    joined = binding.groupby("home_pos")["station_id"].agg(lambda ids: ",".join(map(str, ids)))
    result[joined.index.to_numpy()] = joined.to_numpy()
    return result


def stage_phases(solutions: list[DistrictSolution], tables: dict[str, pd.DataFrame]) -> list[Phase]:
    """One phase per lexicographic level: the plan's exact objectives, bounds summed over districts.

    A district whose phase is proven optimal adds nothing between objective and bound; otherwise the distance from
    its final plan to the solver's bound (scaled back to transfers per day), never on the wrong side.
    """
    handshakes = tables["handshakes"]
    covered = handshakes["daily_transfers"].where(handshakes["covered"], 0.0)
    exact = {
        "covered_daily_transfers": float(covered.sum()),
        "ambulance_moves": float(tables["stations"]["moved_in"].sum()),
        "transfer_minutes": float((handshakes["daily_transfers"] * handshakes["trip_minutes"]).fillna(0.0).sum()),
    }
    phases = []
    for phase_index, (name, sense) in enumerate(PHASES):
        scale = 1.0 if name == "ambulance_moves" else float(TRANSFER_SCALE)
        bound = exact[name]
        for solution in solutions:
            outcome = solution.phases[phase_index]
            if outcome.status != Status.OPTIMAL:
                distance = (outcome.bound - solution.final[phase_index]) / scale
                bound += max(distance, 0.0) if sense == "max" else min(distance, 0.0)
        status = Status.worst([solution.phases[phase_index].status for solution in solutions])
        phases.append(Phase(name, sense, exact[name], bound, status))
    return phases


def district_table(
    tables: dict[str, pd.DataFrame],
    fleet_after: pd.Series,
    districts: list[Any],
    district_data: list[DistrictModelData],
    solutions: list[DistrictSolution],
) -> pd.DataFrame:
    """Per district: fleet before and after, unstationed ambulances, moves, covered and total daily transfers."""
    handshakes = tables["handshakes"]
    station_sums = tables["stations"].groupby("district_id", sort=False)[["before", "after", "moved_in"]].sum()
    transfers = handshakes.groupby("district_id", sort=False)["daily_transfers"].sum()
    covered = handshakes["daily_transfers"].where(handshakes["covered"], 0.0).groupby(handshakes["district_id"]).sum()
    status = {
        data.district_id: Status.worst([p.status for p in solution.phases]).value
        for data, solution in zip(district_data, solutions, strict=True)
    }
    table = pd.DataFrame({"district_id": districts})
    ids = table["district_id"]
    table["fleet_before"] = ids.map(station_sums["before"]).fillna(0).astype(np.int64)
    table["fleet_after"] = ids.map(fleet_after).fillna(0).astype(np.int64)
    stationed = ids.map(station_sums["after"]).fillna(0).astype(np.int64)
    table["unstationed"] = (table["fleet_after"] - stationed).clip(lower=0)
    table["moves"] = ids.map(station_sums["moved_in"]).fillna(0).astype(np.int64)
    table["covered_daily_transfers"] = ids.map(covered).fillna(0.0).astype(float)
    table["daily_transfers"] = ids.map(transfers).fillna(0.0).astype(float)
    table["status"] = ids.map(status).fillna(Status.OPTIMAL.value)
    return table[DISTRICTS_OUT]
