"""The general-purpose baseline: each stage written the straightforward way as one MIP, solved by PuLP + CBC.

One MIP per stage over every pair the pipeline allows (the same arcs as the optimiser, :mod:`bench.inputs`),
the lexicographic objective solved in phases — each phase's optimum is added as a constraint of the next —
with a time limit per phase. This is what an OR engineer writes first with a modelling layer and a free
MIP solver; it is the yardstick for the stage models' exploitation of structure (flows, decomposition).
CBC's status is read from ``prob.sol_status`` (``LpStatus`` says "Optimal" when CBC stopped at its time
limit, NOTES); a phase stopped with a solution is ``feasible`` (its bound is not reported by PuLP, so it
is NaN), without one the stage keeps the previous phase's solution or, in the first phase, fails.

Formulations (sets and data as in the stage models' docstrings; all variables integer unless said)
------------------------------------------------------------------------------------------------------
observation
    ``x[g, s] >= 0`` persons of group ``g`` at site ``s`` on allowed arcs (usable sites with a room; disabled
    groups only to barrier-free sites when the rule says so), ``y[s]`` binary open (fixed 1 for open sites),
    ``u[g] >= 0`` unmet. (1) ``sum_s x + u = persons_g``; (2) ``sum_g x <= cap_s y_s`` and
    ``x[g, s] <= min(persons_g, cap_s) y_s``; (4) ``sum_{s in street} y_s >= min(sites_per_street_min,
    usable sites of the street)``. Phases: min unmet disabled; min unmet; min opening cost of candidates +
    person-minutes.
ambulance
    One MIP over every district. ``h[a]`` binary handshake on usable arcs (trip within the limit, load within
    the station's most ambulances), ``c[h]`` binary covered, ``after[s] in [0, max_after_s]``,
    ``moved[s] >= 0``. (1) ``sum_s h = c_h``; (2) ``sum_h load_a h_a <= capacity_per_ambulance after_s``;
    (3) ``sum_{s in d} after_s = stationed_d``; (5) ``moved_s >= after_s - before_s``. Daily transfers are
    counted in thousandths, loads rounded up (the stage model's integer data). Phases: max covered
    thousandths; min moves; min transfer-minutes (uncovered homes at their nearest station).
nursing
    ``n[p, k] >= 0`` nurses of pool ``p`` at need ``k``. (1) ``sum_k n <= nurses_p``; (3)
    ``sum_p n <= required_k``. Phases: max nurses at tier 1, 2, 3 in turn; min ``sum (minutes +
    crossing penalty) n``.
drugs
    One MIP over every drug class. ``q[d, i] >= 0`` packs, ``t_g in [0, 1]`` continuous per class.
    (1) ``sum_i q <= stock_d``; (3) ``sum_d q <= need_i``; (4) ``sum_d q >= need_i t_g`` for priority
    institutions in reach of a stocked depot. Phases: max ``sum_g t_g`` (the classes are independent, so
    this maximises each); max packs allocated (= min total shortfall) with ``t_g`` held; min pack-minutes
    with the packs held.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pulp

from bench.inputs import (
    PRIORITY_KINDS,
    STAGES,
    BenchInstance,
    MethodResult,
    fill_table,
    nursing_inputs,
    prepare_sites,
    station_caps,
)
from models.base import Phase, StageResult, Status

DEFAULT_TIME_LIMIT_S = 300.0
"""CBC's time limit per phase, seconds."""
DEFAULT_THREADS = 2
"""CBC threads (the machine's 2 cores, as CP-SAT gets)."""
TRANSFER_SCALE = 1000
MINUTES_PER_DAY = 24 * 60
LIMIT_TOLERANCE = 1e-9
FILL_TOLERANCE = 1e-7
"""A fill rate held from phase (i) is relaxed by this much (CBC's float optimum of a rational)."""
NURSING_TIERS: tuple[str, ...] = ("transfer_1to1", "backfill", "self_care")


@dataclass(frozen=True)
class MipOptions:
    """CBC settings: time limit per phase and threads."""

    time_limit_s: float = DEFAULT_TIME_LIMIT_S
    threads: int = DEFAULT_THREADS


# --------------------------------------------------------------------------- PuLP helpers


def linear(variables: Sequence[Any], coefficients: Sequence[float] | np.ndarray | None = None) -> Any:
    """``sum coefficient * variable`` as one ``LpAffineExpression`` (never ``lpSum`` of pairs, NOTES)."""
    if coefficients is None:
        return pulp.LpAffineExpression([(v, 1.0) for v in variables])
    return pulp.LpAffineExpression([(v, float(c)) for v, c in zip(variables, coefficients, strict=True)])


@contextmanager
def pulp_deprecations_silenced() -> Iterator[None]:
    """PuLP 3.3 warns that ``LpVariable(...)`` and ``PULP_CBC_CMD`` change in PuLP 4; both are right for 2.8-3.x."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def variable(name: str, low: float | None = None, up: float | None = None, cat: str = pulp.LpContinuous) -> Any:
    with pulp_deprecations_silenced():
        return pulp.LpVariable(name, low, up, cat=cat)


def integer_variables(prefix: str, upper: Sequence[float] | np.ndarray) -> list[Any]:
    """Integer variables ``prefix_i`` in ``[0, upper_i]``."""
    with pulp_deprecations_silenced():
        return [pulp.LpVariable(f"{prefix}_{i}", 0, float(u), cat=pulp.LpInteger) for i, u in enumerate(upper)]


def binary_variables(prefix: str, count: int) -> list[Any]:
    with pulp_deprecations_silenced():
        return [pulp.LpVariable(f"{prefix}_{i}", cat=pulp.LpBinary) for i in range(count)]


def grouped(keys: np.ndarray, count: int) -> list[np.ndarray]:
    """Positions of ``keys`` (ints ``0..count-1``) per key."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(count + 1))
    return [order[bounds[k] : bounds[k + 1]] for k in range(count)]


def values(variables: Sequence[Any]) -> np.ndarray:
    """Solution values rounded to integers (0 where CBC left a variable unset)."""
    return np.rint(np.array([v.varValue or 0.0 for v in variables], dtype=float)).astype(np.int64)


@dataclass
class PhaseRunner:
    """Solves a problem phase by phase, keeping the statuses and times; stops at the first phase without a plan."""

    problem: Any
    options: MipOptions
    phases: list[Phase]
    solve_seconds: float = 0.0
    solved: bool = False

    def solve(self, name: str, sense: str, objective: Any) -> float | None:
        """Optimise ``objective``; its value, or None when CBC found no solution (the earlier plan stands)."""
        self.problem.sense = pulp.LpMaximize if sense == "max" else pulp.LpMinimize
        self.problem.setObjective(objective)
        with pulp_deprecations_silenced():
            solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=self.options.time_limit_s, threads=self.options.threads)
        start = time.perf_counter()
        self.problem.solve(solver)
        self.solve_seconds += time.perf_counter() - start
        status = {
            pulp.LpSolutionOptimal: Status.OPTIMAL,
            pulp.LpSolutionIntegerFeasible: Status.FEASIBLE,
            pulp.LpSolutionInfeasible: Status.INFEASIBLE,
        }.get(self.problem.sol_status, Status.ERROR)
        if status not in (Status.OPTIMAL, Status.FEASIBLE):
            self.phases.append(Phase(name, sense, math.nan, math.nan, status))
            return None
        value = float(pulp.value(objective) or 0.0)
        bound = value if status == Status.OPTIMAL else math.nan
        self.phases.append(Phase(name, sense, value, bound, status))
        self.solved = True
        return value


def stage_result(
    stage: str,
    runner: PhaseRunner,
    tables: dict[str, pd.DataFrame] | None,
    seconds: float,
    build_seconds: float,
    variables: int,
    constraints: int,
    arcs: int,
) -> StageResult:
    stats = {
        "variables": variables,
        "constraints": constraints,
        "arcs": arcs,
        "build_seconds": build_seconds,
        "solve_seconds": runner.solve_seconds,
    }
    if tables is None or not runner.solved:
        nan = math.nan
        return StageResult(stage, Status.ERROR, nan, nan, nan, seconds, {}, tuple(runner.phases), stats, "no solution")
    return StageResult.from_phases(stage, runner.phases, tables, seconds, stats)


# --------------------------------------------------------------------------- observation


def observation_arcs(
    groups: pd.DataFrame, site_table: pd.DataFrame, arcs: pd.DataFrame, barrier_free_for_disabled: bool
) -> pd.DataFrame:
    """Allowed arcs (group, site, minutes): usable sites with a room, barrier-free only for disabled groups."""
    site_pos = pd.Series(np.arange(len(site_table)), index=site_table["site_id"])
    frame = arcs[["home_id", "site_id", "minutes"]].assign(site=arcs["site_id"].map(site_pos))
    frame = frame.dropna(subset=["site", "minutes"]).astype({"site": np.int64})
    with_room = (site_table["usable"] & (site_table["capacity"] > 0)).to_numpy()
    frame = frame[with_room[frame["site"].to_numpy()]]
    group_rows = pd.DataFrame({"home_id": groups["home_id"].to_numpy(), "group": np.arange(len(groups))})
    frame = frame.merge(group_rows, on="home_id").sort_values(["group", "site", "minutes"])
    frame = frame.drop_duplicates(["group", "site"])
    if barrier_free_for_disabled:
        disabled = (groups["group"].to_numpy() == "disabled")[frame["group"].to_numpy()]
        frame = frame[~disabled | site_table["barrier_free"].to_numpy()[frame["site"].to_numpy()]]
    return frame[["group", "site", "minutes"]].reset_index(drop=True)


def mip_observation(
    groups: pd.DataFrame,
    sites: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    persons_per_room: int,
    sites_per_street_min: int,
    barrier_free_for_disabled: bool,
    options: MipOptions = MipOptions(),
) -> StageResult:
    """The observation stage as one facility-location MIP (module docstring), three phases."""
    start = time.perf_counter()
    group_table = groups.reset_index(drop=True)
    persons = group_table["persons"].to_numpy(dtype=np.int64)
    disabled = (group_table["group"] == "disabled").to_numpy()
    site_table = prepare_sites(sites, persons_per_room)
    capacity = site_table["capacity"].to_numpy(dtype=np.int64)
    allowed = observation_arcs(group_table, site_table, arcs, barrier_free_for_disabled)
    arc_group, arc_site = allowed["group"].to_numpy(), allowed["site"].to_numpy()
    usable = np.flatnonzero(site_table["usable"].to_numpy())

    problem = pulp.LpProblem("observation", pulp.LpMinimize)
    assign = integer_variables("x", np.minimum(persons[arc_group], capacity[arc_site]))
    unmet = integer_variables("u", persons)
    already_open = (site_table["status"] == "open").to_numpy()
    open_site: dict[int, Any] = {  # (5) open sites stay open: lower bound 1
        int(s): variable(f"y_{s}", int(already_open[s]), 1, cat=pulp.LpInteger) for s in usable
    }
    constraints = 0
    for g, arcs_of_group in enumerate(grouped(arc_group, len(group_table))):  # (1) balance
        problem += linear([assign[a] for a in arcs_of_group] + [unmet[g]]) == int(persons[g])
        constraints += 1
    for s, arcs_of_site in enumerate(grouped(arc_site, len(site_table))):  # (2) capacity
        if len(arcs_of_site):
            problem += linear([assign[a] for a in arcs_of_site]) <= int(capacity[s]) * open_site[s]
            constraints += 1
    for a in range(len(allowed)):  # (2) valid inequality per arc
        problem += assign[a] <= int(min(persons[arc_group[a]], capacity[arc_site[a]])) * open_site[int(arc_site[a])]
    constraints += len(allowed)
    usable_streets = site_table.iloc[usable].groupby("street_id").indices
    for positions in usable_streets.values():  # (4) street minimum
        required = min(sites_per_street_min, len(positions))
        if required > 0:
            problem += linear([open_site[int(usable[p])] for p in positions]) >= required
            constraints += 1
    build_seconds = time.perf_counter() - start

    runner = PhaseRunner(problem, options, [])
    unmet_disabled = linear([unmet[g] for g in np.flatnonzero(disabled)])
    unmet_all = linear(unmet)
    candidates = [s for s in usable.tolist() if site_table["status"].iat[s] != "open"]
    cost = linear(
        [open_site[s] for s in candidates] + assign,
        np.concatenate([site_table["opening_cost"].to_numpy()[candidates], allowed["minutes"].to_numpy(dtype=float)]),
    )
    tables = None
    best = runner.solve("unmet_disabled", "min", unmet_disabled)
    if best is not None:
        problem += unmet_disabled <= round(best)
        best = runner.solve("unmet_persons", "min", unmet_all)
        if best is not None:
            problem += unmet_all <= round(best)
            runner.solve("cost", "min", cost)
    if runner.solved:
        opened = np.zeros(len(site_table), dtype=bool)
        opened[usable] = values([open_site[int(s)] for s in usable]) > 0
        tables = observation_tables(group_table, site_table, allowed, values(assign), values(unmet), opened)
    variables = len(assign) + len(unmet) + len(open_site)
    return stage_result(
        "observation", runner, tables, time.perf_counter() - start, build_seconds, variables, constraints, len(allowed)
    )


def observation_tables(
    groups: pd.DataFrame,
    site_table: pd.DataFrame,
    allowed: pd.DataFrame,
    assign: np.ndarray,
    unmet: np.ndarray,
    open_sites: np.ndarray,
) -> dict[str, pd.DataFrame]:
    used = assign > 0
    arc_group, arc_site = allowed["group"].to_numpy()[used], allowed["site"].to_numpy()[used]
    assignments = pd.DataFrame(
        {
            "home_id": groups["home_id"].to_numpy()[arc_group],
            "site_id": site_table["site_id"].to_numpy()[arc_site],
            "group": groups["group"].to_numpy()[arc_group],
            "persons": assign[used],
            "minutes": allowed["minutes"].to_numpy(dtype=float)[used],
        }
    )
    short = unmet > 0
    unmet_table = pd.DataFrame(
        {
            "home_id": groups["home_id"].to_numpy()[short],
            "group": groups["group"].to_numpy()[short],
            "persons": unmet[short],
        }
    )
    count = len(site_table)
    persons = np.bincount(arc_site, weights=assign[used], minlength=count).astype(np.int64)
    is_disabled = groups["group"].to_numpy()[arc_group] == "disabled"
    persons_disabled = np.bincount(arc_site, weights=np.where(is_disabled, assign[used], 0), minlength=count)
    status = site_table["status"].to_numpy()
    sites_out = pd.DataFrame(
        {
            "site_id": site_table["site_id"],
            "street_id": site_table["street_id"],
            "status": site_table["status"],
            "open": open_sites,
            "opened": open_sites & (status != "open"),
            "rooms": site_table["rooms"],
            "persons": persons,
            "persons_disabled": persons_disabled.astype(np.int64),
            "barrier_free": site_table["barrier_free"],
            "opening_cost": site_table["opening_cost"],
        }
    )
    return {"sites": sites_out, "assignments": assignments, "unmet": unmet_table}


# --------------------------------------------------------------------------- ambulance


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
    options: MipOptions = MipOptions(),
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


# --------------------------------------------------------------------------- nursing


def mip_nursing(
    pools: pd.DataFrame,
    needs: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    crossing_penalty_minutes: float,
    tiers: tuple[str, ...] = NURSING_TIERS,
    options: MipOptions = MipOptions(),
) -> StageResult:
    """The nursing stage as one MIP (module docstring): one phase per tier, then the travel and crossing cost."""
    start = time.perf_counter()
    pool_table = pools.reset_index(drop=True)
    nurses = pd.to_numeric(pool_table["nurses"]).fillna(0).astype(np.int64).to_numpy()
    need_table = needs.reset_index(drop=True)
    required = pd.to_numeric(need_table["required"]).fillna(0).astype(np.int64).to_numpy()
    pool_pos = pd.Series(np.arange(len(pool_table)), index=pool_table["pool_id"])
    need_pos = pd.Series(np.arange(len(need_table)), index=need_table["need_id"])
    arc_table = arcs.assign(pool=arcs["pool_id"].map(pool_pos), need=arcs["need_id"].map(need_pos))
    arc_table = arc_table.dropna(subset=["pool", "need"]).astype({"pool": np.int64, "need": np.int64})
    arc_table = arc_table.sort_values(["pool", "need", "minutes"]).drop_duplicates(["pool", "need"])
    arc_table = arc_table[required[arc_table["need"]] > 0].reset_index(drop=True)
    arc_pool, arc_need = arc_table["pool"].to_numpy(), arc_table["need"].to_numpy()
    crosses = pool_table["district_id"].to_numpy()[arc_pool] != need_table["district_id"].to_numpy()[arc_need]

    problem = pulp.LpProblem("nursing", pulp.LpMaximize)
    send = integer_variables("n", np.minimum(nurses[arc_pool], required[arc_need]))
    for p, positions in enumerate(grouped(arc_pool, len(pool_table))):  # (1)
        if len(positions):
            problem += linear([send[a] for a in positions]) <= int(nurses[p])
    for k, positions in enumerate(grouped(arc_need, len(need_table))):  # (3)
        if len(positions):
            problem += linear([send[a] for a in positions]) <= int(required[k])
    build_seconds = time.perf_counter() - start

    runner = PhaseRunner(problem, options, [])
    tier_of_arc = need_table["need"].to_numpy()[arc_need]
    for tier in tiers:
        served = linear([send[a] for a in np.flatnonzero(tier_of_arc == tier)])
        best = runner.solve(f"{tier} assigned", "max", served)
        if best is None:
            break
        problem += served >= round(best)
    else:
        cost = arc_table["minutes"].to_numpy(float) + np.where(crosses, crossing_penalty_minutes, 0.0)
        runner.solve("cost", "min", linear(send, cost))
    tables = None
    if runner.solved:
        sent = values(send)
        assigned = np.bincount(arc_need, weights=sent, minlength=len(need_table)).astype(np.int64)
        used = sent > 0
        tables = {
            "needs": need_table[["need_id", "destination_id", "need", "district_id", "required"]].assign(
                assigned=assigned, unmet=required - assigned
            ),
            "assignments": pd.DataFrame(
                {
                    "pool_id": pool_table["pool_id"].to_numpy()[arc_pool[used]],
                    "need_id": need_table["need_id"].to_numpy()[arc_need[used]],
                    "nurses": sent[used],
                    "minutes": arc_table["minutes"].to_numpy(float)[used],
                }
            ),
        }
    constraints = len(pool_table) + len(need_table)
    return stage_result(
        "nursing", runner, tables, time.perf_counter() - start, build_seconds, len(send), constraints, len(arc_table)
    )


# --------------------------------------------------------------------------- drugs


def drug_arcs(depots: pd.DataFrame, targets: pd.DataFrame, arcs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Depot rows (drug, depot_id, stock) and arcs (row of the depot, row of the target, minutes) per drug."""
    depot_rows = depots.groupby(["drug", "depot_id"], sort=False)["stock"].sum().reset_index()
    pairs = arcs.sort_values("minutes").drop_duplicates(["depot_id", "institution_id"])
    target_rows = pd.DataFrame(
        {"row": np.arange(len(targets)), "institution_id": targets["institution_id"], "drug": targets["drug"]}
    )
    joined = pairs.merge(target_rows, on="institution_id")
    depot_keys = pd.DataFrame(
        {"depot": np.arange(len(depot_rows)), "depot_id": depot_rows["depot_id"], "drug": depot_rows["drug"]}
    )
    joined = joined.merge(depot_keys, on=["depot_id", "drug"])
    joined = joined.rename(columns={"row": "target"})
    return depot_rows, joined[["depot", "target", "minutes", "drug"]].sort_values(["depot", "target"]).reset_index(
        drop=True
    )


def mip_drugs(
    depots: pd.DataFrame,
    targets: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    priority_kinds: tuple[str, ...] = PRIORITY_KINDS,
    options: MipOptions = MipOptions(),
) -> StageResult:
    """The drugs stage as one MIP over every class (module docstring): max-min fill, shortfall, pack-minutes."""
    start = time.perf_counter()
    target_table = targets.reset_index(drop=True)
    need = target_table["need"].to_numpy(dtype=np.int64)
    depot_rows, arc_table = drug_arcs(depots, target_table, arcs)
    stock = depot_rows["stock"].to_numpy(dtype=np.int64)
    arc_table = arc_table[(stock[arc_table["depot"]] > 0) & (need[arc_table["target"]] > 0)].reset_index(drop=True)
    arc_depot, arc_target = arc_table["depot"].to_numpy(), arc_table["target"].to_numpy()
    stocked_reach = np.bincount(arc_target, minlength=len(target_table)) > 0
    priority = target_table["kind"].isin(priority_kinds).to_numpy() & (need > 0)
    in_max_min = priority & stocked_reach

    problem = pulp.LpProblem("drugs", pulp.LpMaximize)
    packs = integer_variables("q", np.minimum(stock[arc_depot], need[arc_target]))
    for d, positions in enumerate(grouped(arc_depot, len(depot_rows))):  # (1)
        if len(positions):
            problem += linear([packs[a] for a in positions]) <= int(stock[d])
    by_target = grouped(arc_target, len(target_table))
    allocated = [linear([packs[a] for a in positions]) for positions in by_target]
    for i in np.flatnonzero(need > 0):  # (3)
        if len(by_target[i]):
            problem += allocated[i] <= int(need[i])
    fill = {
        str(drug): variable(f"t_{index}", 0, 1)
        for index, drug in enumerate(pd.unique(target_table["drug"][in_max_min]))
    }
    drugs = target_table["drug"].astype(str).to_numpy()
    for i in np.flatnonzero(in_max_min):  # (4)
        problem += allocated[i] - int(need[i]) * fill[drugs[i]] >= 0
    build_seconds = time.perf_counter() - start

    runner = PhaseRunner(problem, options, [])
    total = linear(packs)
    best = runner.solve("lowest_fill_rate", "max", linear(list(fill.values()))) if fill else 0.0
    if not fill:
        runner.phases.append(Phase("lowest_fill_rate", "max", 1.0, 1.0, Status.OPTIMAL))
    if best is not None:
        for fill_rate in fill.values():
            fill_rate.lowBound = max(0.0, float(fill_rate.varValue or 0.0) - FILL_TOLERANCE)
        best = runner.solve("allocated", "max", total)
        if best is not None:
            problem += total >= round(best)
            runner.solve("pack_minutes", "min", linear(packs, arc_table["minutes"].to_numpy(float)))
    tables = None
    if runner.solved:
        tables = drug_tables(target_table, depot_rows, arc_table, values(packs), in_max_min, stocked_reach, priority)
    variables = len(packs) + len(fill)
    constraints = len(depot_rows) + int((need > 0).sum()) + int(in_max_min.sum())
    return stage_result(
        "drugs", runner, tables, time.perf_counter() - start, build_seconds, variables, constraints, len(arc_table)
    )


def drug_tables(
    target_table: pd.DataFrame,
    depot_rows: pd.DataFrame,
    arc_table: pd.DataFrame,
    packs: np.ndarray,
    in_max_min: np.ndarray,
    stocked_reach: np.ndarray,
    priority: np.ndarray,
) -> dict[str, pd.DataFrame]:
    need = target_table["need"].to_numpy(dtype=np.int64)
    allocated = np.bincount(arc_table["target"].to_numpy(), weights=packs, minlength=len(target_table)).astype(np.int64)
    shortfall = need - allocated
    targets_out = target_table.assign(
        allocated=allocated,
        shortfall=shortfall,
        fill_rate=np.where(need > 0, allocated / np.maximum(need, 1), 1.0),
        reason=np.where(shortfall > 0, np.where(stocked_reach, "stock_short", "no_depot_in_reach"), ""),
        priority=priority,
        in_max_min=in_max_min,
    )
    used = packs > 0
    shipped = arc_table[used]
    allocations = pd.DataFrame(
        {
            "depot_id": depot_rows["depot_id"].to_numpy()[shipped["depot"].to_numpy()],
            "institution_id": target_table["institution_id"].to_numpy()[shipped["target"].to_numpy()],
            "drug": shipped["drug"].to_numpy(),
            "quantity": packs[used],
            "minutes": shipped["minutes"].to_numpy(float),
        }
    )
    allocations["pack_minutes"] = allocations["quantity"] * allocations["minutes"]
    return {"targets": targets_out, "allocations": allocations, "fill": fill_table(targets_out, allocations)}


# --------------------------------------------------------------------------- all four stages


def mip_plan(instance: BenchInstance, options: MipOptions = MipOptions()) -> MethodResult:
    """The four stages as PuLP/CBC MIPs on ``instance`` (nursing needs from the MIP's observation result)."""
    rules = instance.rules
    start = time.perf_counter()
    stages: dict[str, StageResult] = {}
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    stages["observation"] = mip_observation(
        instance.observation.groups,
        instance.observation.sites,
        instance.observation.arcs,
        persons_per_room=rules.persons_per_room,
        sites_per_street_min=rules.sites_per_street_min,
        barrier_free_for_disabled=rules.barrier_free_for_disabled,
        options=options,
    )
    seconds["observation"], clock = time.perf_counter() - clock, time.perf_counter()
    ambulance = instance.ambulance
    stages["ambulance"] = mip_ambulance(
        ambulance.homes,
        ambulance.stations,
        ambulance.arcs,
        ambulance.fleet,
        transfer_minutes_max=rules.transfer_minutes_max,
        duty_share=rules.ambulance_duty_share,
        options=options,
    )
    seconds["ambulance"], clock = time.perf_counter() - clock, time.perf_counter()
    if stages["observation"].solved:
        nursing = nursing_inputs(instance, stages["observation"])
        stages["nursing"] = mip_nursing(
            nursing.pools,
            nursing.needs,
            nursing.arcs,
            crossing_penalty_minutes=rules.district_crossing_penalty_minutes,
            options=options,
        )
    else:
        stages["nursing"] = StageResult.failed("nursing", "no observation plan to take the 1:1 needs from", 0.0, {})
    seconds["nursing"], clock = time.perf_counter() - clock, time.perf_counter()
    drugs = instance.drugs
    stages["drugs"] = mip_drugs(drugs.depots, drugs.targets, drugs.arcs, options=options)
    seconds["drugs"] = time.perf_counter() - clock
    ordered = {name: stages[name] for name in STAGES}
    return MethodResult("mip", ordered, time.perf_counter() - start, seconds)
