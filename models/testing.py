"""Testing as a planned resource: sampling points per street, NAT samples to labs, the full round.

Pure: plain tables in, :class:`~models.base.StageResult` out.

Sets and data
-------------
- streets ``s`` (population ``P_s``, district ``d(s)``); candidate points ``j in J_s`` of street ``s`` with
  ``desks_j``; demand points ``i in I_s`` (the street's centre, clinics and care homes) with weights ``w_i``
  (residents, summing to ``P_s``); ``dist_ij`` straight-line km;
- ``kmin, kmax``: the rule's points per street; a point's daily capacity is
  ``c_j = desks_j * tests_per_desk_hour * sampling_hours_per_day``;
- labs ``l`` with daily NAT capacity ``K_l``; ``T`` the rule's days for the full round; ``q`` persons per tube.

Phase 1: sampling points (a p-median per street)
------------------------------------------------
Variables ``y_j in {0, 1}`` (point opened), ``x_ij in {0, 1}`` (demand point i walks to j).

1. ``sum_j x_ij = 1`` for every demand point i;
2. ``x_ij <= y_j``;
3. ``sum_j y_j = p_s`` with ``p_s = min(kmax, |J_s|)``.

Objective, lexicographic: (i) minimise ``sum_i w_i * min_{j open} dist_ij`` (population-weighted walking
distance); (ii) maximise ``sum_j desks_j * y_j``. More open points never lengthen a walk, so ``p_s`` takes
the largest allowed count; a street with fewer than ``kmin`` candidates opens all of them and is reported
short (reason ``too_few_candidates``). Method: every street is independent and solved exactly by
``models.testing_median`` on integer person-metres: its ``C(|J_s|, p_s)`` subsets are enumerated (vectorised)
when there are at most :data:`ENUMERATION_LIMIT` of them; a larger street is a MIP in HiGHS within the stage's
time limit, ``optimal`` only when HiGHS proves it, else ``feasible`` with HiGHS's bound (the phase's bound is
the sum of the streets' bounds). Each street row also carries its daily need in the full round
``ceil(P_s / T)`` against its points' capacity, and the difference (``short_per_day``).

Phase 2: NAT samples to labs (a min-cost flow)
----------------------------------------------
Supply ``a_s = ceil(P_s / (T * q))`` tubes a day at each street (the full round's daily load); arcs street ->
**every** lab with cost ``round(10 * km)`` and unbounded capacity; lab -> sink with capacity ``K_l``; street ->
sink shortfall arc at ``models.testing_routes.SHORTFALL_COST``. Constraints:

4. flow conservation at every street and lab; 5. lab load ``<= K_l``.

Objective, lexicographic: minimise tubes unrouted, then tube-km. Solved exactly by pricing
(``models.testing_routes``: each street's nearest labs first, every left-out pair priced with the optimum's node
potentials until none has a negative reduced cost), so it is optimal over every pair.

Phase 3: the full round (closed form)
-------------------------------------
Sampling days of a district = ``sum_s P_s / sum_{j open} c_j``; lab days of the city =
``(sum_s P_s / q) / sum_l K_l``; days needed = the larger over districts and labs. When above ``T`` the
binding resource is named and its extra daily capacity (``P / T - capacity``) where it binds.

Phase 4: sampling teams to care homes (a min-cost flow, ``models.testing_teams``)
---------------------------------------------------------------------------------
Each district's teams (``teams_d * tests_per_team_day`` samples a day) -> the NAT samples a day of the homes
sampled on site; lexicographic: unsampled tests, then tests sampled by backup districts, then test-km. Exact.

Output tables: ``points``, ``streets``, ``labs``, ``round`` (one row), ``districts`` (sampling capacity
against the round's daily need), ``flows`` (street -> lab tubes per day), ``teams``, ``team_homes`` and
``team_districts`` (phase 4).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.base import Phase, SolveOptions, StageResult, Status
from models.flow import flat_ranges
from models.geo import km
from models.testing_median import ENUMERATION_LIMIT, METRES_PER_KM, best_subset
from models.testing_routes import Routes, route_tubes
from models.testing_teams import TeamParams, assign_teams

NAME = "testing"
NO_CAPACITY_DAYS = 9999.0
"""Days reported when a resource has no capacity at all (finite, so the plan's JSON stays plain)."""


@dataclass(frozen=True)
class TestingParams:
    """The rules the model needs (numbers from the preset)."""

    __test__ = False  # not a pytest class despite its name

    points_min: int
    points_max: int
    tests_per_desk_hour: float
    hours_per_day: float
    round_days: float
    persons_per_tube: int
    tests_per_team_day: int = 400
    backup_districts: int = 0


def _ranges(keys: np.ndarray, streets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort order of ``keys`` and, per street, the start and stop of its rows in that order."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    return order, np.searchsorted(ordered, streets, "left"), np.searchsorted(ordered, streets, "right")


@dataclass(frozen=True)
class PointsSummary:
    """Phase 1 over every street: person-km walked (exact to the person-metre), its bound, what was proven."""

    person_km: float
    bound_km: float
    proven: bool
    streets_enumerated: int
    streets_mip: int
    streets_mip_proven: int


DISTANCE_CHUNK_PAIRS = 1_000_000
"""Walker x candidate pairs whose km are computed at once (:func:`walk_distances`; about 50 MB of temporaries)."""


def walk_distances(
    walkers: tuple[np.ndarray, np.ndarray],
    candidates: tuple[np.ndarray, np.ndarray],
    walker_points: tuple[np.ndarray, np.ndarray],
    candidate_points: tuple[np.ndarray, np.ndarray],
) -> Iterator[np.ndarray]:
    """Each street's walker x candidate km (``walkers`` / ``candidates``: each street's first row and row count in
    the ``*_points`` (lat, lon) arrays), street by street; computed for a chunk of streets at once (one haversine over
    at most about :data:`DISTANCE_CHUNK_PAIRS` pairs: a call per street costs more than its arithmetic)."""
    (w_first, w_count), (c_first, c_count) = walkers, candidates
    pairs = w_count * c_count
    ends = np.cumsum(pairs)
    street = 0
    while street < len(pairs):
        stop = max(street + 1, int(np.searchsorted(ends, ends[street] - pairs[street] + DISTANCE_CHUNK_PAIRS, "right")))
        chunk = np.arange(street, stop)
        sizes = pairs[chunk]
        of_pair = np.repeat(chunk, sizes)
        within = flat_ranges(np.zeros(len(sizes), np.int64), sizes)  # each pair's position in its street's block
        walker = w_first[of_pair] + within // np.maximum(c_count[of_pair], 1)
        candidate = c_first[of_pair] + within % np.maximum(c_count[of_pair], 1)
        flat = km(
            walker_points[0][walker],
            walker_points[1][walker],
            candidate_points[0][candidate],
            candidate_points[1][candidate],
        )
        offset = 0
        for position in chunk.tolist():
            yield flat[offset : offset + sizes[position - street]].reshape(w_count[position], c_count[position])
            offset += int(sizes[position - street])
        street = stop


def choose_points(
    streets: pd.DataFrame,
    candidates: pd.DataFrame,
    demand: pd.DataFrame,
    params: TestingParams,
    deadline: float | None = None,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, PointsSummary]:
    """Phase 1: the open points and one row per street, and the phase's summary.

    ``deadline`` (``time.perf_counter()`` seconds) limits the MIPs of streets too large to enumerate.
    """
    capacity_per_desk = params.tests_per_desk_hour * params.hours_per_day
    street_ids = streets["street_id"].astype(str).to_numpy()
    c_order, c_lo, c_hi = _ranges(candidates["street_id"].astype(str).to_numpy(), street_ids)
    d_order, d_lo, d_hi = _ranges(demand["street_id"].astype(str).to_numpy(), street_ids)
    c_lat, c_lon = candidates["lat"].to_numpy(float)[c_order], candidates["lon"].to_numpy(float)[c_order]
    c_desks = candidates["desks"].to_numpy(np.int64)[c_order]
    d_lat, d_lon = demand["lat"].to_numpy(float)[d_order], demand["lon"].to_numpy(float)[d_order]
    d_w = demand["weight"].to_numpy(float)[d_order]
    s_pop = streets["population"].to_numpy(np.int64)
    s_lat, s_lon = streets["lat"].to_numpy(float), streets["lon"].to_numpy(float)
    picked_rows: list[np.ndarray] = []
    picked_pop: list[np.ndarray] = []
    counts = np.zeros(len(streets), dtype=np.int64)
    cost = bound = 0
    methods: dict[str, int] = {"enumeration": 0, "mip": 0, "mip_proven": 0}
    # a street without demand rows walks from its own point, with its population
    has_demand = d_hi > d_lo
    walker = np.where(has_demand, d_lo, len(d_lat) + np.arange(len(streets)))
    walkers = np.where(has_demand, d_hi - d_lo, 1)
    walker_rows = flat_ranges(walker, walkers)
    w_lat, w_lon = np.concatenate([d_lat, s_lat])[walker_rows], np.concatenate([d_lon, s_lon])[walker_rows]
    w_weight = np.concatenate([d_w, s_pop.astype(float)])[walker_rows]
    w_lo = np.cumsum(walkers) - walkers
    distances = walk_distances((w_lo, walkers), (c_lo, c_hi - c_lo), (w_lat, w_lon), (c_lat, c_lon))
    for s, dist in enumerate(distances):
        lo, hi = c_lo[s], c_hi[s]
        p = min(params.points_max, hi - lo)
        weights = w_weight[w_lo[s] : w_lo[s] + walkers[s]]
        choice = best_subset(dist, weights, c_desks[lo:hi], p, deadline, seed)
        chosen = choice.columns
        cost, bound = cost + choice.cost, bound + choice.bound
        methods[choice.method] = methods.get(choice.method, 0) + 1
        methods["mip_proven"] += int(choice.method == "mip" and choice.proven)
        counts[s] = len(chosen)
        if len(chosen):
            near = dist[:, chosen]
            share = np.bincount(near.argmin(axis=1), weights, len(chosen))
            scale = s_pop[s] / weights.sum() if weights.sum() > 0 else 0.0
            picked_rows.append(lo + chosen)
            picked_pop.append(np.round(share * scale).astype(np.int64))
    rows = np.concatenate(picked_rows) if picked_rows else np.zeros(0, dtype=np.int64)
    points = pd.DataFrame(
        {
            "point_id": candidates["candidate_id"].to_numpy()[c_order][rows],
            "street_id": candidates["street_id"].to_numpy()[c_order][rows],
            "lat": c_lat[rows],
            "lon": c_lon[rows],
            "desks": c_desks[rows],
            "tests_per_day": np.round(c_desks[rows] * capacity_per_desk).astype(np.int64),
            "population": np.concatenate(picked_pop) if picked_pop else np.zeros(0, dtype=np.int64),
        }
    )
    tests = np.bincount(
        np.repeat(np.arange(len(streets)), counts), points["tests_per_day"].to_numpy(float), len(streets)
    )
    met = counts >= params.points_min
    need = np.ceil(s_pop / params.round_days).astype(np.int64)
    street_rows = pd.DataFrame(
        {
            "street_id": streets["street_id"].to_numpy(),
            "district_id": streets["district_id"].to_numpy(),
            "population": s_pop,
            "points": counts,
            "required_min": params.points_min,
            "required_max": params.points_max,
            "met": met,
            "reason": np.where(met, "", "too_few_candidates"),
            "tests_per_day": tests.astype(np.int64),
            "need_per_day": need,
            "short_per_day": np.maximum(need - tests.astype(np.int64), 0),
        }
    )
    summary = PointsSummary(
        person_km=cost / METRES_PER_KM,
        bound_km=bound / METRES_PER_KM,
        proven=cost == bound and methods["mip"] == methods["mip_proven"],
        streets_enumerated=methods["enumeration"],
        streets_mip=methods["mip"],
        streets_mip_proven=methods["mip_proven"],
    )
    return points, street_rows, summary


def route_samples(
    streets: pd.DataFrame, labs: pd.DataFrame, params: TestingParams, deadline: float | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, Routes | None, int]:
    """Phase 2: tubes a day from streets to labs over every pair (``models.testing_routes``): lab loads, flows,
    the optimum (None without labs; not proven when ``deadline`` stopped the pricing) and the tubes a day to route."""
    per_day = np.ceil(streets["population"].to_numpy(dtype=float) / (params.round_days * params.persons_per_tube))
    supply = per_day.astype(np.int64)
    capacity = labs["nat_tests_per_day"].to_numpy(dtype=np.int64)
    if len(labs) == 0:
        loads = labs.assign(load_per_day=0, capacity_per_day=capacity)
        return loads, pd.DataFrame(columns=["street_id", "lab_id", "tubes_per_day"]), None, int(supply.sum())
    routes = route_tubes(streets, labs, supply, deadline)
    load = np.bincount(routes.lab, routes.tubes, len(labs)).astype(np.int64)
    loads = pd.DataFrame(
        {
            "lab_id": labs["lab_id"].to_numpy(),
            "district_id": labs["district_id"].to_numpy(),
            "load_per_day": load,
            "capacity_per_day": capacity,
        }
    )
    used = routes.tubes > 0
    routed = pd.DataFrame(
        {
            "street_id": streets["street_id"].to_numpy()[routes.street[used]],
            "lab_id": labs["lab_id"].to_numpy()[routes.lab[used]],
            "tubes_per_day": routes.tubes[used],
        }
    )
    return loads, routed, routes, int(supply.sum())


def full_round(streets: pd.DataFrame, labs: pd.DataFrame, params: TestingParams) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Phase 3: days to sample (per district) and to test (city); the binding resource and what more it needs."""
    districts = streets.groupby("district_id", sort=True)[["population", "tests_per_day"]].sum().reset_index()
    pop = districts["population"].to_numpy(dtype=float)
    cap = districts["tests_per_day"].to_numpy(dtype=float)
    days = np.where(cap > 0, pop / np.where(cap > 0, cap, 1.0), np.inf)
    districts["need_per_day"] = np.ceil(pop / params.round_days).astype(np.int64)
    districts["sampling_days"] = np.minimum(days, NO_CAPACITY_DAYS).round(3)
    districts["extra_tests_per_day"] = np.maximum(districts["need_per_day"] - cap, 0).astype(np.int64)
    tubes = float(pop.sum()) / params.persons_per_tube
    lab_cap = float(labs["nat_tests_per_day"].sum())
    lab_days = tubes / lab_cap if lab_cap > 0 else math.inf
    sampling_days = float(days.max()) if len(days) else 0.0
    needed = min(max(sampling_days, lab_days), NO_CAPACITY_DAYS)
    met = needed <= params.round_days + 1e-9
    if met:
        binding, where, extra = "", "", 0
    elif lab_days >= sampling_days:
        binding, where, extra = "labs", "city", math.ceil(tubes / params.round_days - lab_cap)
    else:
        worst = int(np.argmax(days))
        binding = "sampling_points"
        where = str(districts["district_id"].iloc[worst])
        extra = int(districts["extra_tests_per_day"].iloc[worst])
    round_row = pd.DataFrame(
        {
            "days_needed": [round(needed, 3)],
            "days_required": [params.round_days],
            "met": [met],
            "binding": [binding],
            "binding_where": [where],
            "extra_per_day": [extra],
            "sampling_days": [round(min(sampling_days, NO_CAPACITY_DAYS), 3)],
            "lab_days": [round(min(lab_days, NO_CAPACITY_DAYS), 3)],
        }
    )
    return round_row, districts


def team_phase(
    districts: pd.DataFrame | None, homes: pd.DataFrame | None, params: TestingParams
) -> tuple[dict[str, pd.DataFrame], list[Phase], int]:
    """Phase 4 (``models.testing_teams``): the tables, phases and arc count; empty inputs give empty tables."""
    empty_districts = pd.DataFrame({"district_id": [], "lat": [], "lon": [], "teams": []})
    empty_homes = pd.DataFrame({"home_id": [], "district_id": [], "lat": [], "lon": [], "tests_per_day": []})
    team_params = TeamParams(params.tests_per_team_day, params.backup_districts)
    outcome = assign_teams(
        empty_districts if districts is None else districts, empty_homes if homes is None else homes, team_params
    )
    return outcome.tables, outcome.phases, outcome.arcs


def solve_testing(
    streets: pd.DataFrame,
    candidates: pd.DataFrame,
    demand: pd.DataFrame,
    labs: pd.DataFrame,
    params: TestingParams,
    options: SolveOptions | None = None,
    districts: pd.DataFrame | None = None,
    homes: pd.DataFrame | None = None,
) -> StageResult:
    """Solve the four phases (see the module docstring); never raises on shortfall.

    Parameters
    ----------
    streets
        street_id, district_id, population, lat, lon.
    candidates
        candidate_id, street_id, lat, lon, desks.
    demand
        street_id, lat, lon, weight (residents represented by the point).
    labs
        lab_id, district_id, lat, lon, nat_tests_per_day.
    params
        The rules' numbers.
    options
        Limits: the MIPs of streets with more than :data:`ENUMERATION_LIMIT` subsets share ``time_limit_s``.
    districts
        district_id, lat, lon (the teams' base), teams; none: no sampling teams.
    homes
        home_id, district_id, lat, lon, tests_per_day (NAT samples a day taken on site); none: no such homes.
    """
    options = options or SolveOptions()
    start = time.perf_counter()
    deadline = start + options.time_limit_s
    points, street_rows, summary = choose_points(streets, candidates, demand, params, deadline, options.seed)
    loads, flows, routes, tubes = route_samples(streets, labs, params, deadline)
    unrouted = routes.unrouted if routes is not None else tubes
    tube_km = routes.tube_km_x10 if routes is not None else 0
    route_status = Status.OPTIMAL if routes is None or routes.proven else Status.FEASIBLE
    route_bound = float(tube_km) if route_status is Status.OPTIMAL else 0.0
    round_row, district_rows = full_round(street_rows, labs, params)
    team_tables, team_phases, team_arcs = team_phase(districts, homes, params)
    walk_status = Status.OPTIMAL if summary.proven else Status.FEASIBLE
    phases = [
        Phase("walking_person_km", "min", summary.person_km, summary.bound_km, walk_status),
        Phase(
            "tubes_unrouted",
            "min",
            float(unrouted),
            float(unrouted) if routes is None or routes.proven else 0.0,
            route_status,
        ),
        Phase("tube_km_x10", "min", float(tube_km), route_bound, route_status),
        *team_phases,
    ]
    tables = {
        "points": points,
        "streets": street_rows,
        "labs": loads,
        "round": round_row,
        "districts": district_rows,
        "flows": flows,
        **team_tables,
    }
    seconds = time.perf_counter() - start
    arcs = routes.arcs + len(labs) + len(streets) if routes is not None else 0
    unsampled = int(team_tables["team_homes"]["unsampled"].sum())
    stats = {
        "streets": len(streets),
        "candidates": len(candidates),
        "labs": len(labs),
        "unrouted_per_day": unrouted,
        "route_pricing_rounds": routes.rounds if routes is not None else 0,
        "street_lab_pairs": len(streets) * len(labs),
        "streets_enumerated": summary.streets_enumerated,
        "streets_mip": summary.streets_mip,
        "streets_mip_proven": summary.streets_mip_proven,
        "walking_bound_km": summary.bound_km,
        "care_homes_on_site": len(team_tables["team_homes"]),
        "care_home_tests_unsampled_per_day": unsampled,
        "team_arcs": team_arcs,
        "variables": len(candidates) + arcs + team_arcs,  # y per candidate, one flow per arc
        "arcs": arcs + team_arcs,
        "build_seconds": 0.0,  # nothing to build apart from the inputs: the phases enumerate and solve directly
        "solve_seconds": seconds,
    }
    return StageResult.from_phases(NAME, phases, tables, seconds, stats)


__all__ = [
    "ENUMERATION_LIMIT",
    "NAME",
    "PointsSummary",
    "TestingParams",
    "best_subset",
    "choose_points",
    "full_round",
    "km",
    "route_samples",
    "solve_testing",
    "team_phase",
]
