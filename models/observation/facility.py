"""Phase (iii), facility location proper: a plan, a bound on the full model, and the proof when they meet.

Two routes (package docstring, "Phase (iii)"), chosen by the share of arcs that end at a free candidate:

* ``columns`` (transport-heavy models such as the samples, where few arcs need a linking row): the strong LP by
  column generation (``columns``), its bound ``L(λ_LP)`` over every arc, the plan of its rounded ``open_site``;
* ``lagrangian`` (facility-heavy models such as the OR-Library instances): subgradient ascent of ``L`` with the
  Lagrangian heuristic, then local search.

Both then fix by penalties what no better plan can change and hand the rest to HiGHS's MIP with the incumbent, one
independent piece at a time (``reduced``). The bound is always on the full model: ``L`` over every arc, or
``min(UB_fix, B_MIP)`` after fixing. ``optimal`` means ``UB - bound <= OPTIMALITY_TOLERANCE * max(1, |UB|)``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models.base import Status
from models.observation.columns import cheapest_arcs, column_generation, fixed_sites_plan
from models.observation.flows import Transport, solve_unmet_optimum, transport
from models.observation.instance import BoolArray, Instance, IntArray
from models.observation.lagrangian import Point, ascend, evaluate, starting_multipliers
from models.observation.location import Core, build_core, highs_module
from models.observation.reduced import component_labels, reduced_core, solve_pieces
from models.observation.search import Incumbent, held_plan, local_search, meet_streets, repair, streets_met

OPTIMALITY_TOLERANCE = 1e-9
"""``optimal`` when the plan's cost exceeds the proven bound by at most this share (of at least 1 minute)."""
COLUMNS_LINKING_SHARE = 0.5
"""The column-generation route when at most this share of the arcs end at a free candidate."""
COLUMN_START_ARCS = 8
"""Each group's cheapest arcs in the first LP of the column generation (``cost_arcs_per_group`` overrides)."""
LAGRANGIAN_SHARE = 0.3
LOCAL_SEARCH_SHARE = 0.3
COLUMNS_SHARE = 0.9
PLAN_RESERVE = 5.0
"""Time kept after the column generation for the rounded plan (an LP re-solve), and after the MIP for the flow of
its sites, in held maximum flows (measured)."""
FLOW_ESTIMATE = 30.0
"""A min-cost flow over every arc takes up to this many held maximum flows (15-35 measured on the samples)."""
MULTI_START_PATIENCE = 3
"""Local search stops taking new starts after this many in a row that found nothing better."""
"""Shares of the time left that the Lagrangian ascent, the local search and the column generation may use."""


@dataclass(frozen=True)
class Plan:
    """Phase (iii) on the instance: persons per allowed arc, open sites, unmet per group, cost and bound (minutes)."""

    assign: IntArray
    open_sites: BoolArray
    unmet: IntArray
    objective: float
    bound: float
    status: Status
    stats: dict[str, Any] = field(default_factory=dict)


def proven(objective: float, bound: float) -> bool:
    return objective - bound <= OPTIMALITY_TOLERANCE * max(1.0, abs(objective))


@dataclass
class Search:
    """State shared by the steps: the core, the incumbent, the best bound and the point it came from."""

    core: Core
    incumbent: Incumbent
    deadline: float
    highs: Any
    held_seconds: float = 0.0
    bound: float = -np.inf
    point: Point | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def closed(self) -> bool:
        return proven(self.incumbent.cost, self.bound)

    def take_bound(self, point: Point) -> None:
        if point.value > self.bound:
            self.bound, self.point = point.value, point

    def offer(self, open_sites: BoolArray, plan: Transport | None, source: str) -> None:
        if plan is not None:
            self.incumbent.offer(self.core, open_sites, plan, source)


def linking_share(core: Core) -> float:
    return float(core.free[core.arc_site].mean()) if core.arcs else 0.0


def columns_route(search: Search, start_arcs: int) -> None:
    """Strong LP by column generation; bound ``L(λ_LP)``; plans from its ``open_site`` rounded (up, then at 0.5),
    each assigned by the same LP with the sites fixed (priced over all arcs), a flow when that fails."""
    core = search.core
    held = search.incumbent.assign > 0
    start = cheapest_arcs(core, start_arcs) | held
    after_columns = PLAN_RESERVE * search.held_seconds  # the rounded plan must fit after the LP
    deadline = time.perf_counter() + COLUMNS_SHARE * max(0.0, search.left() - after_columns)
    result, model = column_generation(core, search.highs, start, deadline)
    if result is None:
        search.stats["columns"] = "no LP within the time limit"
        return
    point = evaluate(core, result.lam)
    search.take_bound(point)
    search.stats.update(
        lp_value=result.value,
        lp_rounds=result.rounds,
        lp_iterations=result.iterations,
        lp_arcs=len(result.arcs),
        lp_converged=result.converged,
    )
    fractional = core.free & (result.open_value > 1e-9) & (result.open_value < 1 - 1e-9)
    search.stats["lp_fractional_sites"] = int(fractional.sum())
    for threshold in (1e-9, 0.5):  # every positive value first: the LP's own plan fits
        if search.closed() or search.left() <= 0 or (threshold == 0.5 and not fractional.any()):
            continue
        rounded = meet_streets(core, core.must | (core.free & (result.open_value > threshold)), point.site_value)
        plan = fixed_sites_plan(model, rounded, search.deadline)
        if plan is not None:
            used = np.bincount(core.arc_site, weights=plan.assign, minlength=core.sites) > 0
            search.offer(meet_streets(core, core.must | (rounded & used), point.site_value), plan, "LP rounding")
        elif threshold < 0.5:
            repaired = repair(core, rounded, point.site_value, result.arcs)
            if repaired is not None:
                search.offer(*repaired, "LP rounding, flow")
    for site in np.flatnonzero(fractional)[np.argsort(result.open_value[fractional], kind="stable")].tolist():
        if search.closed() or search.left() <= 0:  # close the LP's fractional sites one by one while it pays
            break
        trial = search.incumbent.open_sites.copy()
        trial[site] = False
        if search.incumbent.open_sites[site] and streets_met(core, trial):
            search.offer(trial, fixed_sites_plan(model, trial, search.deadline), "LP rounding, closing")


def lagrangian_route(search: Search) -> None:
    """Subgradient ascent with the Lagrangian heuristic every 25 iterations, then local search from the best plan
    and, while its time lasts, from the next best distinct plans the heuristic found (a multi-start)."""
    core = search.core
    tried: set[bytes] = set()
    pool: list[tuple[float, BoolArray, Transport]] = []

    def heuristic(point: Point) -> None:
        key = np.flatnonzero(point.open_sites & core.free).tobytes()
        if key not in tried and search.left() > FLOW_ESTIMATE * search.held_seconds:
            tried.add(key)
            repaired = repair(core, point.open_sites.copy(), point.site_value)
            if repaired is not None:
                open_sites, plan = repaired
                pool.append((core.plan_cost(open_sites, plan.assign), open_sites, plan))
                search.offer(open_sites, plan, "Lagrangian heuristic")

    deadline = time.perf_counter() + LAGRANGIAN_SHARE * search.left()
    point, iterations = ascend(core, starting_multipliers(core), lambda: search.incumbent.cost, deadline, heuristic)
    search.take_bound(point)
    search.stats["lagrangian_iterations"] = iterations
    if not search.closed():
        reduced_mip(search, only_if_all_fixed=True)  # a proof by fixing alone costs one transport
    deadline = time.perf_counter() + LOCAL_SEARCH_SHARE * search.left()
    transports, starts, idle = 0, 0, 0
    flow_seconds = FLOW_ESTIMATE * search.held_seconds * float(search.incumbent.open_sites.mean())
    seen: set[bytes] = set()
    for cost, open_sites, plan in [
        (search.incumbent.cost, search.incumbent.open_sites, None),
        *sorted(pool, key=_first),
    ]:
        key = np.flatnonzero(open_sites & core.free).tobytes()
        if key in seen or search.closed() or time.perf_counter() >= deadline or idle >= MULTI_START_PATIENCE:
            continue
        seen.add(key)
        before = search.incumbent.cost
        start = search.incumbent if plan is None else Incumbent(open_sites, plan.assign, plan.unmet, cost, plan.slack)
        transports += local_search(core, start, point.site_value, deadline, flow_seconds=flow_seconds)
        starts += 1
        if plan is not None:
            search.offer(start.open_sites, Transport(start.assign, start.unmet, start.slack), "local search")
        idle = 0 if search.incumbent.cost < before else idle + 1
    search.stats.update(local_search_transports=transports, local_search_starts=starts)


def _first(entry: tuple[float, BoolArray, Transport]) -> float:
    return entry[0]


def reduced_mip(search: Search, only_if_all_fixed: bool = False) -> None:
    """HiGHS's MIP on the reduced model (``models.observation.reduced``), piece by piece, with the incumbent; the
    full model's bound ``min(UB_fix, B_MIP)``.

    When fixing leaves no free candidate the reduced model is one transport (its flow is the proof); with
    ``only_if_all_fixed`` nothing else is tried.
    """
    core, point, incumbent = search.core, search.point, search.incumbent
    if point is None:
        return
    reduction = reduced_core(core, point, incumbent.cost, incumbent.assign)
    reduced, keep, fixed_open = reduction.core, reduction.keep, reduction.fixed_open
    upper_at_fixing = incumbent.cost
    search.stats.update(
        fixed_open=int(fixed_open.sum()),
        fixed_closed=int(reduction.fixed_closed.sum()),
        mip_arcs=int(keep.sum()),
        mip_free_sites=int(reduced.free.sum()),
    )
    if not reduced.free.any():
        open_sites = core.must | fixed_open
        plan = transport(core, open_sites)
        search.offer(open_sites, plan, "all sites fixed")
        if plan is not None:
            exact = core.plan_cost(open_sites, plan.assign) - plan.slack
            search.bound = min(search.incumbent.cost, max(search.bound, min(upper_at_fixing, exact)))
        return
    if only_if_all_fixed or search.left() <= 0:
        return
    solved = solve_pieces(
        reduced,
        component_labels(core),
        (incumbent.open_sites, incumbent.assign[keep], incumbent.unmet),
        point.lam,
        search.deadline - PLAN_RESERVE * search.held_seconds,  # time for the flow of the sites the MIPs open
        search.highs,
    )
    search.stats.update(solved.stats)
    if solved.infeasible:  # no plan cheaper than the incumbent satisfies the fixings
        search.bound = max(search.bound, upper_at_fixing)
    elif np.isfinite(solved.bound):
        search.bound = max(search.bound, min(upper_at_fixing, solved.bound))
    found = core.must | fixed_open | (reduced.free & solved.open_sites)
    if not np.array_equal(found, search.incumbent.open_sites) and search.left() > 0:
        search.offer(found, transport(core, found), "MIP")


def solve_core(core: Core, deadline: float, *, start_arcs: int | None, route: str = "auto") -> Search | None:
    """Phase (iii) on the core until ``deadline``; None when not even the held flow exists."""
    started = time.perf_counter()
    held = held_plan(core)
    if held is None:
        return None
    open_sites, plan = held
    incumbent = Incumbent(
        open_sites, plan.assign, plan.unmet, core.plan_cost(open_sites, plan.assign), 0.0, "held flow"
    )
    search = Search(core, incumbent, deadline, highs_module(), time.perf_counter() - started)
    if not core.free.any():  # a transportation problem: the flow, proven by its rounding slack or by the LP's L
        plan_all = transport(core, core.must)
        search.offer(core.must.copy(), plan_all, "transport")
        if plan_all is not None:
            search.bound = search.incumbent.cost - plan_all.slack
        search.stats["route"] = route = "transport"
        if not search.closed() and search.highs is not None and search.left() > 0:
            columns_route(search, start_arcs or COLUMN_START_ARCS)
        search.bound = min(search.bound, search.incumbent.cost)
        return search
    if route == "auto":
        route = "columns" if search.highs is not None and linking_share(core) <= COLUMNS_LINKING_SHARE else "lagrangian"
    search.stats["route"] = route
    if route == "columns":
        columns_route(search, start_arcs or COLUMN_START_ARCS)
    if route == "lagrangian" or search.point is None:
        lagrangian_route(search)
    if not search.closed() and search.highs is not None and search.left() > 0:
        reduced_mip(search)
    search.bound = min(search.bound, search.incumbent.cost)
    return search


def solve_facility_location(
    instance: Instance,
    unmet_disabled: int,
    unmet_total: int,
    deadline: float,
    *,
    minutes_per_yuan: float = 1.0,
    start_arcs: int | None = None,
    route: str = "auto",
) -> Plan | None:
    """Phase (iii) with the unmet optimum held (module docstring); None when the held flow fails."""
    core = build_core(instance, unmet_disabled, unmet_total, minutes_per_yuan)
    search = solve_core(core, deadline, start_arcs=start_arcs, route=route)
    if search is None:
        return None
    incumbent = search.incumbent
    assign = np.zeros(len(instance.arcs), np.int64)
    assign[core.arc_index] = incumbent.assign
    status = Status.OPTIMAL if search.closed() else Status.FEASIBLE
    stats = dict(search.stats, found_by=incumbent.found_by, phase_arcs=core.arcs, free_sites=int(core.free.sum()))
    return Plan(assign, incumbent.open_sites, incumbent.unmet, incumbent.cost, search.bound, status, stats)


def solve_phases(
    instance: Instance, deadline: float, *, minutes_per_yuan: float, start_arcs: int | None
) -> tuple[int, int, Plan] | str:
    """Phases (i)-(ii) by two maximum flows, then phase (iii) until ``deadline`` with their optimum held:
    ``(U_D*, U*, plan)``, or why there is no plan."""
    optimum = solve_unmet_optimum(instance)
    if optimum is None:
        return "the maximum flow of phases (i)-(ii) did not reach an optimum"
    plan = solve_facility_location(
        instance, *optimum, deadline, minutes_per_yuan=minutes_per_yuan, start_arcs=start_arcs
    )
    if plan is None:
        return "no flow holds the unmet optimum of phases (i)-(ii)"
    return (*optimum, plan)
