"""Phases (i)-(ii) as maximum flows, and the min-cost flows that hold the unmet optimum (warm start and bound).

See the package docstring for the proofs: two ``SimpleMaxFlow`` solves give the unmet optima exactly; the
spread-cost flow is a relaxation of phase (iii) and slope-scaling flows are feasible hints.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from models.observation.instance import BOUND_SCALE, SLOPE_ROUNDS, BoolArray, Instance, IntArray


def max_placed(instance: Instance, groups: BoolArray) -> int | None:
    """Most persons of the ``groups`` that every non-closed site, open, can take (a maximum flow); None on failure."""
    from ortools.graph.python import max_flow

    group_count, site_count = len(instance.groups), len(instance.sites)
    source, sink = group_count + site_count, group_count + site_count + 1
    persons = instance.persons
    on_arc = groups[instance.arc_group]
    tails = np.concatenate(
        [np.full(int(groups.sum()), source), instance.arc_group[on_arc], group_count + np.arange(site_count)]
    )
    heads = np.concatenate([np.flatnonzero(groups), group_count + instance.arc_site[on_arc], np.full(site_count, sink)])
    capacities = np.concatenate([persons[groups], persons[instance.arc_group[on_arc]], instance.capacity])
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(tails.astype(np.int32), heads.astype(np.int32), capacities.astype(np.int64))
    if flow.solve(source, sink) != flow.OPTIMAL:
        return None
    return int(flow.optimal_flow())


def solve_unmet_optimum(instance: Instance) -> tuple[int, int] | None:
    """Phases (i)-(ii): ``U_D* = p(D) - maxflow(D)`` and ``U* = p(G) - maxflow(G)`` (module docstring)."""
    persons, disabled = instance.persons, instance.disabled
    placed_disabled = max_placed(instance, disabled) if disabled.any() else 0
    placed_all = max_placed(instance, np.ones(len(persons), bool)) if persons.size else 0
    if placed_disabled is None or placed_all is None:
        return None
    return int(persons[disabled].sum()) - placed_disabled, int(persons.sum()) - placed_all


@dataclass(frozen=True)
class FlowSolution:
    """Persons per allowed arc and unmet persons per group."""

    assign: IntArray
    unmet: IntArray


def solve_held_unmet_flow(
    instance: Instance, unmet_disabled: int, unmet_total: int, arc_cost: IntArray
) -> FlowSolution | None:
    """Least ``Σ arc_cost * persons`` with every non-closed site open and unmet persons held at the optimum (6)."""
    from ortools.graph.python import min_cost_flow

    persons, capacity = instance.persons, instance.capacity
    group_count, site_count, arc_count = len(persons), len(capacity), len(instance.arcs)
    sink = group_count + site_count
    unmet_disabled_node, unmet_other_node = sink + 1, sink + 2
    unmet_heads = np.where(instance.disabled, unmet_disabled_node, unmet_other_node).astype(np.int64)
    tails = np.concatenate(
        [instance.arc_group, group_count + np.arange(site_count), np.arange(group_count), [sink + 1, sink + 2]]
    )
    heads = np.concatenate([group_count + instance.arc_site, np.full(site_count, sink), unmet_heads, [sink, sink]])
    capacities = np.concatenate(
        [persons[instance.arc_group], capacity, persons, [unmet_disabled, unmet_total - unmet_disabled]]
    )
    costs = np.concatenate([arc_cost, np.zeros(site_count + group_count + 2, np.int64)])
    supplies = np.concatenate([persons, np.zeros(site_count, np.int64), [-int(persons.sum()), 0, 0]])
    flow = min_cost_flow.SimpleMinCostFlow()
    arc_ids = flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacities.astype(np.int64), costs.astype(np.int64)
    )
    flow.set_nodes_supplies(np.arange(sink + 3, dtype=np.int32), supplies.astype(np.int64))
    if flow.solve() != flow.OPTIMAL:
        return None
    flows = np.asarray(flow.flows(arc_ids), dtype=np.int64)
    return FlowSolution(flows[:arc_count], flows[arc_count + site_count : arc_count + site_count + group_count])


def spread_scale(instance: Instance) -> int:
    """``BOUND_SCALE``, lowered if needed so that a flow's total cost stays within int64."""
    largest = int(instance.arc_cost.max(initial=0)) + int(instance.opening_cost.max(initial=0))
    budget = (2**62) // max(1, int(instance.persons.sum()) * max(1, largest))
    return int(max(1, min(BOUND_SCALE, budget)))


def per_person_arc_cost(instance: Instance, per_person_opening: IntArray, scale: int) -> IntArray:
    """``scale * minutes_gs + per_person_opening[s]`` (``per_person_opening`` already scaled, 0 off free candidates)."""
    return instance.arc_cost * scale + per_person_opening[instance.arc_site]


def spread_opening(instance: Instance, scale: int) -> IntArray:
    """``floor(scale * cost_s / cap_s)`` for free candidates: the opening cost spread over a full site."""
    free = instance.sites["free_candidate"].to_numpy(bool)
    return np.where(free, (instance.opening_cost * scale) // np.maximum(instance.capacity, 1), 0)


@dataclass(frozen=True)
class WarmStart:
    """Held-unmet flows: the spread-cost flow (bound, exact where nothing is to decide) and slope-scaling flows."""

    flows: list[FlowSolution]
    spread_cost: IntArray
    scale: int

    @property
    def spread(self) -> FlowSolution:
        return self.flows[0]


def solve_warm_start(
    instance: Instance, unmet_disabled: int, unmet_total: int, heuristic_deadline: float
) -> WarmStart | None:
    """The spread-cost flow, then slope-scaling flows until they repeat or the heuristic time is spent.

    Slope scaling (dynamic slope scaling for fixed-charge flows): each round charges a free candidate its opening
    cost divided by the persons the previous round sent there, so lightly used candidates look dear and the next
    flow empties them. Every round is a feasible hint; the bound comes from the first round only.
    """
    scale = spread_scale(instance)
    slope = spread_opening(instance, scale)
    spread_cost = per_person_arc_cost(instance, slope, scale)
    first = solve_held_unmet_flow(instance, unmet_disabled, unmet_total, spread_cost)
    if first is None:
        return None
    flows = [first]
    free = instance.sites["free_candidate"].to_numpy(bool)
    started = time.perf_counter()
    while free.any() and len(flows) <= SLOPE_ROUNDS:
        round_seconds = (time.perf_counter() - started) / len(flows)
        if time.perf_counter() + round_seconds > heuristic_deadline:
            break
        placed = np.bincount(instance.arc_site, weights=flows[-1].assign, minlength=len(free)).astype(np.int64)
        slope = np.where(free & (placed > 0), (instance.opening_cost * scale) // np.maximum(placed, 1), slope)
        following = solve_held_unmet_flow(
            instance, unmet_disabled, unmet_total, per_person_arc_cost(instance, slope, scale)
        )
        if following is None or np.array_equal(following.assign, flows[-1].assign):
            break
        flows.append(following)
    return WarmStart(flows, spread_cost, scale)
