"""``solve_observation``: the three lexicographic phases in order, with the optional cost-phase arc restriction."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pandas as pd

from models.base import Phase, SolveOptions, StageResult, Status, stopwatch
from models.observation.facility import Plan, solve_facility_location
from models.observation.flows import solve_held_unmet_flow, solve_unmet_optimum, solve_warm_start
from models.observation.instance import (
    COST_SCALE,
    DEFAULT_OPTIONS,
    SLOPE_SHARE,
    STAGE,
    TABLES_SHARE,
    BoolArray,
    Instance,
    prepare,
)
from models.observation.tables import (
    assignments_table,
    empty_tables,
    room_marginal,
    sites_table,
    streets_table,
    unmet_table,
)


def cost_phase_arcs(instance: Instance, unmet_disabled: int, unmet_total: int, arcs_per_group: int) -> BoolArray | None:
    """Arcs kept for phase (iii): each group's ``arcs_per_group`` cheapest, plus every arc of a least-minutes flow
    that holds the unmet optimum (so that optimum stays reachable); None when the flow fails."""
    held = solve_held_unmet_flow(instance, unmet_disabled, unmet_total, instance.arc_cost)
    if held is None:
        return None
    rank = instance.arcs.groupby("group")["cost"].rank(method="first").to_numpy()
    keep: BoolArray = (rank <= arcs_per_group) | (held.assign > 0)
    return keep


def restricted(instance: Instance, keep: BoolArray) -> Instance:
    """The instance with only the arcs ``keep`` (groups, sites and streets unchanged)."""
    return replace(instance, arcs=instance.arcs[keep].reset_index(drop=True))


def widen(plan: Plan, keep: BoolArray) -> Plan:
    """A plan over the kept arcs, its persons per arc laid back onto every allowed arc."""
    assign = np.zeros(len(keep), np.int64)
    assign[np.flatnonzero(keep)] = plan.assign
    return replace(plan, assign=assign)


def solve_observation(
    groups: pd.DataFrame,
    sites: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    persons_per_room: int,
    sites_per_street_min: int,
    barrier_free_for_disabled: bool,
    options: SolveOptions = DEFAULT_OPTIONS,
    cost_arcs_per_group: int | None = None,
) -> StageResult:
    """Open observation sites and place every home's groups (module docstring: formulation and method).

    Parameters
    ----------
    groups
        home_id, street_id, group (``disabled`` / ``other``), persons: one row per home and group needing a site.
    sites
        site_id, street_id, rooms, barrier_free, status (``open`` / ``candidate`` / ``closed``), opening_cost.
    arcs
        home_id, site_id, minutes: the arcs the pipeline allows (transfer limit, k nearest).
    persons_per_room, sites_per_street_min, barrier_free_for_disabled
        The rules (DESIGN §2).
    options
        Time limit (shared by the whole stage), seed and workers.
    cost_arcs_per_group
        When given, phase (iii) keeps only each group's this many cheapest arcs plus the arcs of a least-minutes
        flow at the unmet optimum ("Arc restriction" in the module docstring); phases (i)-(ii), the reasons and
        the marginal values always use every allowed arc.

    Returns
    -------
    StageResult
        Stage ``observation`` with phases ``unmet_disabled``, ``unmet_persons``, ``cost`` (minutes) and the tables
        ``sites``, ``assignments``, ``unmet``, ``streets``, ``marginal``. Never raises on a shortage.
    """
    start = time.perf_counter()
    deadline = start + options.time_limit_s * (1.0 - TABLES_SHARE)
    with stopwatch() as build:
        instance = prepare(groups, sites, arcs, persons_per_room, sites_per_street_min, barrier_free_for_disabled)
    with stopwatch() as solve:
        optimum = solve_unmet_optimum(instance)
        if optimum is None:
            message = "the maximum flow of phases (i)-(ii) did not reach an optimum"
            return StageResult.failed(STAGE, message, time.perf_counter() - start, empty_tables())
        unmet_disabled, unmet_total = optimum
        keep = np.ones(len(instance.arcs), bool)
        if cost_arcs_per_group is not None:
            kept = cost_phase_arcs(instance, unmet_disabled, unmet_total, cost_arcs_per_group)
            keep = kept if kept is not None else keep
        cost_instance = restricted(instance, keep)
        heuristic_deadline = time.perf_counter() + SLOPE_SHARE * max(0.0, deadline - time.perf_counter())
        warm = solve_warm_start(cost_instance, unmet_disabled, unmet_total, heuristic_deadline)
        if warm is None:
            message = "the held-unmet min-cost flow did not reach an optimum"
            return StageResult.failed(STAGE, message, time.perf_counter() - start, empty_tables())
        plan = widen(solve_facility_location(cost_instance, warm, options, deadline), keep)
    tables = {
        "sites": sites_table(instance, plan.assign, plan.open_sites),
        "assignments": assignments_table(instance, plan.assign),
        "unmet": unmet_table(instance, plan.assign, plan.unmet, barrier_free_for_disabled),
        "streets": streets_table(instance, plan.open_sites, sites_per_street_min),
        "marginal": room_marginal(instance, plan.assign, plan.unmet),
    }
    phases = [
        Phase("unmet_disabled", "min", float(unmet_disabled), float(unmet_disabled), Status.OPTIMAL),
        Phase("unmet_persons", "min", float(unmet_total), float(unmet_total), Status.OPTIMAL),
        Phase("cost", "min", plan.objective / COST_SCALE, plan.bound / COST_SCALE, plan.status),
    ]
    opening = int(instance.opening_cost[plan.open_sites].sum())
    stats = {
        "variables": len(instance.arcs) + len(instance.groups) + int(instance.sites["usable"].sum()),
        "cp_sat_variables": plan.cp_sat_variables,
        "arcs": len(instance.arcs),
        "cost_phase_arcs": int(keep.sum()),
        "groups": len(instance.groups),
        "sites": len(instance.sites),
        "components": plan.components,
        "warm_start_flows": len(warm.flows),
        "cp_sat_components": plan.cp_sat_components,
        "opening_cost": opening / COST_SCALE,
        "person_minutes": (plan.objective - opening) / COST_SCALE,
        "build_seconds": build["seconds"],
        "solve_seconds": solve["seconds"],
    }
    return StageResult.from_phases(STAGE, phases, tables, time.perf_counter() - start, stats)
