"""Stage 2 — 120 fleet re-allocation and the care-home handshake (DESIGN §5.2).

Every care home gets exactly one handshake 120 station of its own district. A home is *covered* when its
station -> home -> its hospital trip is within ``transfer_minutes_max`` and the station has time for it; ambulances
may move between the stations of one district. The model decomposes by district (homes, stations and fleet of one
district only) and is solved with CP-SAT, one district at a time.

Sets (per district d)
---------------------
H        care homes of d with a positive daily transfer load and at least one usable covering arc (the model homes)
S        120 stations of d
A        covering arcs (h, s): trip_minutes[h, s] <= transfer_minutes_max and the load fits s's most ambulances

Data
----
transfers_milli[h]     = max(1, rint(1000 * daily_transfers[h]))  (CP-SAT needs integers: daily transfers are counted
                         in thousandths; every figure is reported back in transfers per day)
load[h, s]             = ceil(1000 * daily_transfers[h] * round_trip_minutes[h, s])  (rounded up, so the true workload
                         never exceeds the capacity), round trip = station -> home -> hospital -> station
capacity_per_ambulance = floor(1000 * 24 * 60 * duty_share)
before[s]              ambulances at s today;  fleet[d] = ambulances_after of d (``r(fleet_factor * today)``)
max_after[s]           = min(max_ambulances[s], fleet[d])  (no cap: fleet[d])
stationed[d]           = min(fleet[d], sum_s max_after[s])  (the caps may not hold the whole fleet: the rest is
                         reported as ``unstationed``, a named shortfall that keeps the model feasible)
cost[h, s]             = rint(1000 * daily_transfers[h] * trip_minutes[h, s]); nearest_cost[h] that of h's nearest
                         station (uncovered homes keep their nearest station, their trips count as constants)

Variables
---------
handshake[h, s] in {0, 1}              for (h, s) in A: s covers h
covered[h] in {0, 1}                   h has a covering station
ambulances_after[s] in [0, max_after]  integer
moved_in[s] >= 0                       integer, ambulances brought to s

Constraints
-----------
(1) one covering station:  sum_s handshake[h, s] = covered[h]                                    for h in H
(2) station workload:      sum_h load[h, s] * handshake[h, s] <= capacity_per_ambulance * ambulances_after[s]
(3) district fleet:        sum_s ambulances_after[s] = stationed[d]
(4) station cap:           ambulances_after[s] <= max_ambulances[s]                              where capped
(5) moves:                 moved_in[s] >= ambulances_after[s] - before[s]

Lexicographic objective (exact: each phase's optimum is fixed as a constraint of the next; each phase is hinted
with the previous solution)
--------------------------------------------------------------------------------------------------------------------
(i)   maximise covered daily transfers      sum_h transfers_milli[h] * covered[h]
(ii)  minimise ambulance moves              sum_s moved_in[s]
(iii) minimise transfer-minutes             sum_A cost[h, s] * handshake[h, s]
                                            + sum_h nearest_cost[h] * (1 - covered[h])

Solution strategy
-----------------
Each district starts from a greedy plan (fewest-moves fleet leaning to where the homes are, then homes by
decreasing load to their nearest station with room). Each phase first compares the current plan with an a-priori
bound (every home covered; the moves a growing fleet forces, ``max(0, stationed - sum_s min(before, max_after))``;
every home at its cheapest covering arc, or at its nearest station's trip when not every home can be covered):
when they meet, the phase is proven optimal without a solver call (an uncongested district never builds its
model). Otherwise CP-SAT solves the phase, hinted with the current plan. The stage's time limit is split over the
districts by size (unused time passes on) and within a district over its remaining phases; past the limit a
district keeps its current plan (``feasible``, bound = the a-priori one). Phase status = worst over districts;
objectives are the plan's exact figures in original units, bounds the sum of the districts' (scaled back).

Homes outside the model are constants: a home without a positive load but with an in-limit station is covered by
its nearest in-limit station (one with ambulances after the plan when there is one) at no workload; a home with no
in-limit arc gets its nearest station and reason ``no_station_in_reach``; a home whose in-limit stations could not
hold its load even with their most ambulances is uncovered with reason ``station_workload``.

Output tables
-------------
``stations``   station_id, district_id, before, after, max_ambulances, moved_in, workload_minutes,
               capacity_minutes (= after * 24 * 60 * duty_share), covered_homes
``handshakes`` home_id, district_id, station_id, hospital_id, trip_minutes, round_trip_minutes, daily_transfers,
               covered, reason ("" | "no_station_in_reach" | "station_workload"), binding_stations (comma-separated
               in-limit stations whose free time is shorter than the home's round trips; "" otherwise)
``districts``  district_id, fleet_before, fleet_after, unstationed, moves, covered_daily_transfers,
               daily_transfers, status
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.base import Phase, SolveOptions, StageResult, Status, cp_sat_solver, cp_sat_status, stopwatch

STAGE = "ambulance"
MINUTES_PER_DAY = 24 * 60
TRANSFER_SCALE = 1000
"""Daily transfers are counted in thousandths inside CP-SAT (integer coefficients)."""
LIMIT_TOLERANCE = 1e-9
"""Minutes: a trip equal to the limit up to float noise is within it."""
MIN_PHASE_SECONDS = 0.05
"""Shortest CP-SAT call worth making (below it presolve alone does not finish on a district)."""

PHASES: tuple[tuple[str, str], ...] = (
    ("covered_daily_transfers", "max"),
    ("ambulance_moves", "min"),
    ("transfer_minutes", "min"),
)

HOME_COLUMNS = ("home_id", "district_id", "hospital_id", "daily_transfers")
STATION_COLUMNS = ("station_id", "district_id", "ambulances")
ARC_COLUMNS = ("station_id", "home_id", "trip_minutes", "round_trip_minutes")
FLEET_COLUMNS = ("district_id", "ambulances_after")

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


# --------------------------------------------------------------------------------------------------------------------
# Per-district model data and solution
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DistrictModelData:
    """One district's model, positional indices throughout.

    ``stations``: global_station, before, max_after; ``homes``: global_home, transfers_milli, nearest_cost,
    cheapest_arc; ``arcs``: global_arc, home_pos, station_pos, load, cost (all int64; ``global_*`` are rows of the
    stage tables; a home's arcs are contiguous and sorted by trip, so ``cheapest_arc`` is its first).
    """

    district_id: Any
    stations: pd.DataFrame
    stationed: int
    homes: pd.DataFrame
    arcs: pd.DataFrame
    capacity_per_ambulance: int


@dataclass(frozen=True)
class PhaseOutcome:
    """What one phase's solve proved for one district, in scaled (integer) units."""

    status: Status
    objective: float
    bound: float
    solved: bool = False
    """True when CP-SAT was called (False: proven by the a-priori bound, or past the deadline)."""


@dataclass(frozen=True)
class DistrictSolution:
    """Ambulances per station, the covering arc per model home (-1 = uncovered), what each phase proved, and the
    final plan's three (scaled) objectives, and how many CP-SAT calls it took."""

    after: np.ndarray
    arc_chosen: np.ndarray
    phases: tuple[PhaseOutcome, ...]
    final: tuple[int, int, int]
    solver_calls: int = 0


# --------------------------------------------------------------------------------------------------------------------
# Constraint families
# --------------------------------------------------------------------------------------------------------------------


def positions_by_group(keys: np.ndarray, groups: int) -> list[np.ndarray]:
    """Row positions of ``keys`` for each group ``0..groups-1`` (vectorised split)."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(groups + 1))
    return [order[bounds[g] : bounds[g + 1]] for g in range(groups)]


def add_one_covering_station(model: Any, handshake: pd.Series, covered: pd.Series, arcs: pd.DataFrame) -> None:
    """(1) ``sum_s handshake[h, s] = covered[h]``: a home has at most one covering station."""
    from ortools.sat.python import cp_model

    handshake_vars = handshake.to_numpy()
    covered_vars = covered.to_numpy()
    for home_pos, arc_pos in enumerate(positions_by_group(arcs["home_pos"].to_numpy(), len(covered_vars))):
        model.add(cp_model.LinearExpr.sum(list(handshake_vars[arc_pos])) == covered_vars[home_pos])


def add_station_workload(
    model: Any, handshake: pd.Series, ambulances_after: pd.Series, arcs: pd.DataFrame, capacity_per_ambulance: int
) -> None:
    """(2) ``sum_h load[h, s] * handshake[h, s] <= capacity_per_ambulance * ambulances_after[s]``."""
    from ortools.sat.python import cp_model

    handshake_vars = handshake.to_numpy()
    after_vars = ambulances_after.to_numpy()
    loads = arcs["load"].to_numpy()
    for station_pos, arc_pos in enumerate(positions_by_group(arcs["station_pos"].to_numpy(), len(after_vars))):
        if len(arc_pos):
            workload = cp_model.LinearExpr.weighted_sum(list(handshake_vars[arc_pos]), loads[arc_pos].tolist())
            model.add(workload <= capacity_per_ambulance * after_vars[station_pos])


def add_district_fleet(model: Any, ambulances_after: pd.Series, stationed: int) -> None:
    """(3) ``sum_s ambulances_after[s] = stationed[d]``."""
    from ortools.sat.python import cp_model

    model.add(cp_model.LinearExpr.sum(list(ambulances_after)) == stationed)


def add_station_caps(model: Any, ambulances_after: pd.Series, max_after: np.ndarray) -> None:
    """(4) ``ambulances_after[s] <= max_ambulances[s]`` (with the fleet as the cap where there is none)."""
    for after_var, cap in zip(ambulances_after, max_after.tolist(), strict=True):
        model.add(after_var <= cap)


def add_moves(model: Any, moved_in: pd.Series, ambulances_after: pd.Series, before: np.ndarray) -> None:
    """(5) ``moved_in[s] >= ambulances_after[s] - before[s]`` (and ``moved_in >= 0`` by its domain)."""
    for moved_var, after_var, today in zip(moved_in, ambulances_after, before.tolist(), strict=True):
        model.add(moved_var >= after_var - today)


# --------------------------------------------------------------------------------------------------------------------
# One district
# --------------------------------------------------------------------------------------------------------------------


def greedy_fleet(data: DistrictModelData) -> np.ndarray:
    """A fleet with the fewest moves, leaning to where homes need it.

    Keeps today's ambulances (within the caps); a growing fleet fills the stations whose nearest homes lack the most
    ambulances (every added ambulance is a move, whatever the station); a shrinking fleet thins the stations with
    the most ambulances beyond their nearest homes' need (removing is not a move).
    """
    stations, homes, arcs = data.stations, data.homes, data.arcs
    before, max_after = stations["before"].to_numpy(), stations["max_after"].to_numpy()
    after = np.minimum(before, max_after)
    cheapest = arcs.iloc[homes["cheapest_arc"].to_numpy()]
    demand = np.bincount(cheapest["station_pos"].to_numpy(), cheapest["load"].to_numpy(), minlength=len(stations))
    needed = np.ceil(demand / max(data.capacity_per_ambulance, 1))
    for _ in range(max(0, data.stationed - int(after.sum()))):
        shortage = np.where(after < max_after, needed - after, -np.inf)
        after[int(np.argmax(shortage))] += 1
    for _ in range(max(0, int(after.sum()) - data.stationed)):
        surplus = np.where(after > 0, after - needed, -np.inf)
        after[int(np.argmax(surplus))] -= 1
    return after.astype(np.int64)


def greedy_plan(data: DistrictModelData) -> dict[str, np.ndarray]:
    """A feasible start: :func:`greedy_fleet`, then homes by decreasing load to their nearest station with room.

    In an uncongested district this plan is already lexicographically optimal (:func:`phase_bounds` proves it).
    """
    stations, homes, arcs = data.stations, data.homes, data.arcs
    before = stations["before"].to_numpy()
    after = greedy_fleet(data)
    free = data.capacity_per_ambulance * after
    handshake = np.zeros(len(arcs), dtype=np.int64)
    covered = np.zeros(len(homes), dtype=np.int64)
    loads, arc_station = arcs["load"].to_numpy(), arcs["station_pos"].to_numpy()
    arcs_of_home = positions_by_group(arcs["home_pos"].to_numpy(), len(homes))  # each sorted by trip
    for home_pos in np.argsort(-homes["transfers_milli"].to_numpy(), kind="stable"):
        candidates = arcs_of_home[home_pos]
        fits = candidates[loads[candidates] <= free[arc_station[candidates]]]
        if len(fits):
            handshake[fits[0]] = covered[home_pos] = 1
            free[arc_station[fits[0]]] -= loads[fits[0]]
    return {"handshake": handshake, "covered": covered, "after": after, "moved_in": np.maximum(after - before, 0)}


def phase_bounds(data: DistrictModelData, covered_milli: int) -> tuple[int, int, int]:
    """Bounds every plan obeys: all homes covered; the moves the fleet change forces; each home at its cheapest arc.

    The transfer-minutes bound takes the home's cheapest covering arc when every home must be covered
    (``covered_milli`` is the total), else its nearest station's trip.
    """
    homes, stations = data.homes, data.stations
    all_covered = int(homes["transfers_milli"].sum())
    kept = int(np.minimum(stations["before"].to_numpy(), stations["max_after"].to_numpy()).sum())
    fewest_moves = max(0, data.stationed - kept)
    every_home = covered_milli >= all_covered
    cheapest = data.arcs["cost"].to_numpy()[homes["cheapest_arc"].to_numpy()] if every_home else homes["nearest_cost"]
    return all_covered, fewest_moves, int(np.sum(cheapest))


@dataclass(frozen=True)
class DistrictModel:
    """One district's CP-SAT model: its variables by family and its three phase objectives."""

    model: Any
    variables: dict[str, pd.Series]
    objectives: tuple[Any, Any, Any]


def build_district_model(data: DistrictModelData) -> DistrictModel:
    """Variables, constraints (1)-(5) and the three lexicographic objectives of one district."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    stations, homes, arcs = data.stations, data.homes, data.arcs
    handshake = model.new_bool_var_series("handshake", arcs.index)
    covered = model.new_bool_var_series("covered", homes.index)
    ambulances_after = model.new_int_var_series("ambulances_after", stations.index, 0, max(data.stationed, 0))
    moved_in = model.new_int_var_series("moved_in", stations.index, 0, max(data.stationed, 0))

    add_one_covering_station(model, handshake, covered, arcs)
    add_station_workload(model, handshake, ambulances_after, arcs, data.capacity_per_ambulance)
    add_district_fleet(model, ambulances_after, data.stationed)
    add_station_caps(model, ambulances_after, stations["max_after"].to_numpy())
    add_moves(model, moved_in, ambulances_after, stations["before"].to_numpy())

    objectives = (
        cp_model.LinearExpr.weighted_sum(list(covered), homes["transfers_milli"].tolist()),
        cp_model.LinearExpr.sum(list(moved_in)),
        cp_model.LinearExpr.weighted_sum(list(handshake), arcs["cost"].tolist())
        - cp_model.LinearExpr.weighted_sum(list(covered), homes["nearest_cost"].tolist())
        + int(homes["nearest_cost"].sum()),
    )
    variables = {"handshake": handshake, "covered": covered, "after": ambulances_after, "moved_in": moved_in}
    return DistrictModel(model, variables, objectives)


def solve_district(
    data: DistrictModelData, options: SolveOptions, district_deadline: float, stage_deadline: float
) -> DistrictSolution:
    """Solve the three lexicographic phases of one district in sequence, from the greedy plan.

    A phase whose current plan already meets its a-priori bound (:func:`phase_bounds`) is proven optimal without a
    solver call, so an uncongested district never builds its model. Otherwise the model is built once, each phase
    is hinted with the previous plan and its achieved value fixed as a constraint of the next. Past the stage's
    deadline the current plan is kept (``feasible``).
    """
    values = greedy_plan(data)
    district: DistrictModel | None = None
    achieved: list[int] = []
    outcomes: list[PhaseOutcome] = []
    for phase_index, (_, sense) in enumerate(PHASES):
        start_value = objective_values(data, values)[phase_index]
        bound = phase_bounds(data, objective_values(data, values)[0])[phase_index]
        now = time.perf_counter()
        if start_value == bound:
            outcomes.append(PhaseOutcome(Status.OPTIMAL, float(start_value), float(bound)))
        elif now >= stage_deadline:
            outcomes.append(PhaseOutcome(Status.FEASIBLE, float(start_value), float(bound)))
        else:
            if district is None:
                district = build_district_model(data)
                for fixed_index, fixed_value in enumerate(achieved):
                    fix_phase(district, fixed_index, fixed_value)
            share = (district_deadline - now) / (len(PHASES) - phase_index)
            seconds = min(max(MIN_PHASE_SECONDS, share), stage_deadline - now)
            outcome, solved = solve_phase(district, phase_index, values, options, seconds)
            if solved is not None:
                # an unfinished phase may leave slack in moved_in: count only the ambulances really brought in
                values = {**solved, "moved_in": np.maximum(solved["after"] - data.stations["before"].to_numpy(), 0)}
            outcome = clamp_bound(outcome, sense, float(start_value), float(bound))
            outcomes.append(outcome)
        achieved.append(objective_values(data, values)[phase_index])
        if district is not None:
            fix_phase(district, phase_index, achieved[-1])

    arc_chosen = np.full(len(data.homes), -1, dtype=np.int64)
    chosen_arcs = np.flatnonzero(values["handshake"])
    arc_chosen[data.arcs["home_pos"].to_numpy()[chosen_arcs]] = chosen_arcs
    solver_calls = sum(outcome.solved for outcome in outcomes)
    return DistrictSolution(values["after"], arc_chosen, tuple(outcomes), objective_values(data, values), solver_calls)


def fix_phase(district: DistrictModel, phase_index: int, value: int) -> None:
    """Keep a solved phase's value in the later phases (exact lexicographic order)."""
    objective = district.objectives[phase_index]
    if PHASES[phase_index][1] == "max":
        district.model.add(objective >= value)
    else:
        district.model.add(objective <= value)


def solve_phase(
    district: DistrictModel, phase_index: int, values: dict[str, np.ndarray], options: SolveOptions, seconds: float
) -> tuple[PhaseOutcome, dict[str, np.ndarray] | None]:
    """One CP-SAT solve of phase ``phase_index`` hinted with ``values``; the new plan when the solver found one."""
    from ortools.sat.python import cp_model

    model, objective = district.model, district.objectives[phase_index]
    set_hints(model, district.variables, values)
    if PHASES[phase_index][1] == "max":
        model.maximize(objective)
    else:
        model.minimize(objective)
    solver = cp_sat_solver(options, seconds)
    code = solver.solve(model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        status = Status.FEASIBLE if code == cp_model.UNKNOWN else cp_sat_status(code)
        return PhaseOutcome(status, math.nan, math.nan, solved=True), None
    solved = {name: solver.values(var).to_numpy().astype(np.int64) for name, var in district.variables.items()}
    value = float(solver.objective_value)
    bound = value if code == cp_model.OPTIMAL else float(solver.best_objective_bound)
    return PhaseOutcome(cp_sat_status(code), value, bound, solved=True), solved


def set_hints(model: Any, variables: dict[str, pd.Series], values: dict[str, np.ndarray]) -> None:
    """Hint every variable with the current plan (written to the proto in one go)."""
    model.clear_hints()
    hint = model.proto.solution_hint
    for name, series in variables.items():
        hint.vars.extend([var.index for var in series])
        hint.values.extend(values[name].tolist())


def objective_values(data: DistrictModelData, values: dict[str, np.ndarray]) -> tuple[int, int, int]:
    """The three phase objectives (scaled) of a plan given by variable values."""
    homes, arcs = data.homes, data.arcs
    covered_milli = int(homes["transfers_milli"].to_numpy() @ values["covered"])
    moves = int(values["moved_in"].sum())
    nearest_cost = homes["nearest_cost"].to_numpy()
    transfer_minutes = int(arcs["cost"].to_numpy() @ values["handshake"] + nearest_cost @ (1 - values["covered"]))
    return covered_milli, moves, transfer_minutes


def clamp_bound(outcome: PhaseOutcome, sense: str, kept: float, a_priori: float) -> PhaseOutcome:
    """Keep the previous plan's objective when the solver found none; tighten the bound by the a-priori one.

    The bound never lies on the wrong side of the objective.
    """
    objective = kept if math.isnan(outcome.objective) else outcome.objective
    if outcome.status == Status.OPTIMAL:
        return PhaseOutcome(outcome.status, objective, objective, outcome.solved)
    solver_bound = outcome.bound
    if sense == "max":
        bound = max(objective, a_priori if not math.isfinite(solver_bound) else min(solver_bound, a_priori))
    else:
        bound = min(objective, a_priori if not math.isfinite(solver_bound) else max(solver_bound, a_priori))
    return PhaseOutcome(outcome.status, objective, bound, outcome.solved)


# --------------------------------------------------------------------------------------------------------------------
# Input preparation (vectorised over every district at once)
# --------------------------------------------------------------------------------------------------------------------


def require_columns(table: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    """Raise ``ValueError`` naming the missing columns of an input table (a programming error, not infeasibility)."""
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise ValueError(f"solve_ambulance: table {name!r} lacks column(s) {missing}.")


def prepare_stations(stations: pd.DataFrame, fleet: pd.DataFrame) -> pd.DataFrame:
    """Stations with ``before``, ``cap`` (float, inf = none), ``fleet_after`` of their district and ``max_after``."""
    table = stations.reset_index(drop=True).copy()
    table["before"] = pd.to_numeric(table["ambulances"]).fillna(0).astype(np.int64)
    caps = table["max_ambulances"] if "max_ambulances" in table.columns else pd.Series(np.nan, index=table.index)
    caps = pd.to_numeric(caps).astype("Float64")
    table["max_ambulances"] = caps.round().astype("Int64")
    table["cap"] = caps.fillna(np.inf).astype(float)
    fleet_by_district = district_fleet(table, fleet)
    table["fleet_after"] = table["district_id"].map(fleet_by_district).astype(np.int64)
    table["max_after"] = np.minimum(table["cap"], table["fleet_after"]).astype(np.int64)
    return table


def district_fleet(stations: pd.DataFrame, fleet: pd.DataFrame) -> pd.Series:
    """Fleet after the plan per district; a district missing from ``fleet`` keeps today's total."""
    today = stations.groupby("district_id", sort=False)["before"].sum()
    given = fleet.drop_duplicates("district_id").set_index("district_id")["ambulances_after"]
    given = pd.to_numeric(given).fillna(0).round().astype(np.int64)
    return pd.concat([given, today[~today.index.isin(given.index)]])


def prepare_arcs(
    homes: pd.DataFrame, stations: pd.DataFrame, arcs: pd.DataFrame, limit: float, capacity_per_ambulance: int
) -> pd.DataFrame:
    """Arcs within a home's own district (one per pair, the shortest), with scaled load and cost.

    Columns added: home_pos, station_pos, district_id, daily_transfers, in_limit, load, cost, usable (in the limit
    and the load fits the most ambulances the station can get).
    """
    table = arcs[list(ARC_COLUMNS)].copy()
    home_pos = pd.Series(np.arange(len(homes)), index=homes["home_id"])
    station_pos = pd.Series(np.arange(len(stations)), index=stations["station_id"])
    table["home_pos"] = table["home_id"].map(home_pos)
    table["station_pos"] = table["station_id"].map(station_pos)
    table = table.dropna(subset=["home_pos", "station_pos", "trip_minutes", "round_trip_minutes"])
    table = table.astype({"home_pos": np.int64, "station_pos": np.int64})
    table["district_id"] = homes["district_id"].to_numpy()[table["home_pos"].to_numpy()]
    same_district = stations["district_id"].to_numpy()[table["station_pos"].to_numpy()] == table["district_id"]
    table = table[same_district.to_numpy()]
    table = table.sort_values(["home_pos", "trip_minutes", "station_id"], kind="stable")
    table = table.drop_duplicates(["home_pos", "station_pos"]).reset_index(drop=True)

    transfers = homes["daily_transfers"].to_numpy()[table["home_pos"].to_numpy()]
    round_trip = table["round_trip_minutes"].to_numpy(dtype=float)
    table["daily_transfers"] = transfers
    table["in_limit"] = table["trip_minutes"].to_numpy(dtype=float) <= limit + LIMIT_TOLERANCE
    table["load"] = np.ceil(TRANSFER_SCALE * transfers * round_trip - 1e-6).astype(np.int64)
    table["cost"] = np.rint(TRANSFER_SCALE * transfers * table["trip_minutes"].to_numpy(dtype=float)).astype(np.int64)
    most_time = capacity_per_ambulance * stations["max_after"].to_numpy()[table["station_pos"].to_numpy()]
    table["usable"] = table["in_limit"] & (table["load"] <= most_time)
    return table


def first_arc_per_home(arcs: pd.DataFrame, mask: pd.Series | np.ndarray, homes: int) -> np.ndarray:
    """Per home, the row of its nearest arc among ``mask`` (arcs are sorted by home, trip, station); -1 if none."""
    rows = np.flatnonzero(np.asarray(mask))
    first = np.full(homes, -1, dtype=np.int64)
    home_pos = arcs["home_pos"].to_numpy()[rows]
    # Reverse assignment: the first row of each home wins.
    first[home_pos[::-1]] = rows[::-1]
    return first


def district_model_data(
    district_id: Any,
    station_rows: np.ndarray,
    home_rows: np.ndarray,
    arc_rows: np.ndarray,
    stations: pd.DataFrame,
    columns: dict[str, np.ndarray],
    capacity_per_ambulance: int,
) -> DistrictModelData:
    """Slice one district's model out of the prepared tables (sorted global rows -> local positions).

    ``columns`` holds the prepared arrays: arc home_pos, station_pos, load, cost; home transfers, nearest_cost.
    """
    arc_home = np.searchsorted(home_rows, columns["home_pos"][arc_rows])
    model_arcs = pd.DataFrame(
        {
            "global_arc": arc_rows,
            "home_pos": arc_home,
            "station_pos": np.searchsorted(station_rows, columns["station_pos"][arc_rows]),
            "load": columns["load"][arc_rows],
            "cost": columns["cost"][arc_rows],
        }
    )
    model_homes = pd.DataFrame(
        {
            "global_home": home_rows,
            "transfers_milli": np.maximum(1, np.rint(TRANSFER_SCALE * columns["transfers"][home_rows])).astype(
                np.int64
            ),
            "nearest_cost": columns["nearest_cost"][home_rows],
            "cheapest_arc": np.searchsorted(arc_home, np.arange(len(home_rows))),  # arcs of a home sorted by trip
        }
    )
    model_stations = pd.DataFrame(
        {
            "global_station": station_rows,
            "before": stations["before"].to_numpy()[station_rows],
            "max_after": stations["max_after"].to_numpy()[station_rows],
        }
    )
    fleet_after = int(stations["fleet_after"].to_numpy()[station_rows[0]]) if len(station_rows) else 0
    stationed = min(fleet_after, int(model_stations["max_after"].sum()))
    return DistrictModelData(district_id, model_stations, stationed, model_homes, model_arcs, capacity_per_ambulance)


# --------------------------------------------------------------------------------------------------------------------
# The stage
# --------------------------------------------------------------------------------------------------------------------


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
        Stage ``ambulance``, tables ``stations``, ``handshakes``, ``districts`` (module docstring); one phase per
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
        after[data.stations["global_station"].to_numpy()] = solution.after
        covered = solution.arc_chosen >= 0
        home_rows = data.homes["global_home"].to_numpy()[covered]
        chosen_arc[home_rows] = data.arcs["global_arc"].to_numpy()[solution.arc_chosen[covered]]
    return after, chosen_arc


def district_order(homes: pd.DataFrame, stations: pd.DataFrame, fleet: pd.DataFrame) -> list[Any]:
    """Every district with a station, a home or a fleet row, in order of first appearance."""
    ids = pd.concat([stations["district_id"], homes["district_id"], fleet["district_id"]], ignore_index=True)
    return ids.drop_duplicates().tolist()


def build_districts(
    districts: list[Any],
    homes: pd.DataFrame,
    stations: pd.DataFrame,
    arcs: pd.DataFrame,
    model_home: np.ndarray,
    nearest_arc: np.ndarray,
    capacity_per_ambulance: int,
) -> list[DistrictModelData]:
    """The district models that have at least one station (others have nothing to decide)."""
    arc_home = arcs["home_pos"].to_numpy()
    model_arc_rows = np.flatnonzero(arcs["usable"].to_numpy() & model_home[arc_home])
    model_home_rows = np.flatnonzero(model_home)
    station_groups = stations.groupby("district_id", sort=False).indices
    home_groups = homes.iloc[model_home_rows].groupby("district_id", sort=False).indices
    arc_groups = arcs.iloc[model_arc_rows].groupby("district_id", sort=False).indices
    columns = {
        "home_pos": arc_home,
        "station_pos": arcs["station_pos"].to_numpy(),
        "load": arcs["load"].to_numpy(),
        "cost": arcs["cost"].to_numpy(),
        "transfers": homes["daily_transfers"].to_numpy(),
        "nearest_cost": np.where(nearest_arc >= 0, arcs["cost"].to_numpy()[np.maximum(nearest_arc, 0)], 0),
    }
    none = np.array([], dtype=np.int64)
    return [
        district_model_data(
            district_id,
            np.asarray(station_groups[district_id]),
            model_home_rows[home_groups.get(district_id, none)],
            model_arc_rows[arc_groups.get(district_id, none)],
            stations,
            columns,
            capacity_per_ambulance,
        )
        for district_id in districts
        if district_id in station_groups
    ]


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
