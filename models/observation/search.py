"""Plans for phase (iii): an incumbent that only improves, repairs of an open set, and local search by transports.

Every plan is the min-cost flow (``flows.transport``) of an open set, so its cost is exact for that set (to the
flow's rounding slack). Open sets come from the held maximum flow, from the Lagrangian relaxation (sites it opens,
the street minimum and room for the unmet optimum added cheapest first), from the LP and from the MIP; local search
then closes, opens and swaps free candidates while that lowers the cost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from models.observation.flows import Transport, held_assignment, transport
from models.observation.instance import BoolArray, IntArray
from models.observation.location import Core, FloatArray

SWAP_CANDIDATES = 30
"""Closed candidates (cheapest Lagrangian value first) tried in the open and swap moves."""


@dataclass
class Incumbent:
    """The best plan so far: open sites, persons per arc, unmet per group, exact cost and the flow's slack."""

    open_sites: BoolArray
    assign: IntArray
    unmet: IntArray
    cost: float
    slack: float = 0.0
    found_by: str = ""

    def offer(self, core: Core, open_sites: BoolArray, plan: Transport, source: str) -> bool:
        """Keep the plan when it is cheaper; True when kept."""
        cost = core.plan_cost(open_sites, plan.assign)
        if cost < self.cost - 1e-12 * max(1.0, abs(self.cost)):
            self.open_sites, self.assign, self.unmet = open_sites.copy(), plan.assign, plan.unmet
            self.cost, self.slack, self.found_by = cost, plan.slack, source
            return True
        return False


def streets_met(core: Core, open_sites: BoolArray) -> bool:
    """Whether (4) holds for the choice streets."""
    if not len(core.deficit):
        return True
    street = core.street[open_sites & core.free & (core.street >= 0)]
    return bool(np.all(np.bincount(street, minlength=len(core.deficit)) >= core.deficit))


def meet_streets(core: Core, open_sites: BoolArray, site_value: FloatArray) -> BoolArray:
    """``open_sites`` with each choice street's cheapest closed candidates added up to its deficit."""
    open_sites = open_sites | core.must
    for street in np.flatnonzero(core.deficit > 0).tolist():
        members = np.flatnonzero((core.street == street) & core.free)
        missing = int(core.deficit[street]) - int(open_sites[members].sum())
        if missing > 0:
            closed = members[~open_sites[members]]
            open_sites[closed[np.argsort(site_value[closed], kind="stable")[:missing]]] = True
    return open_sites


def held_plan(core: Core) -> tuple[BoolArray, Transport] | None:
    """The held maximum flow with the sites it uses opened (and (4) met): a plan that needs no costs at all."""
    assign = held_assignment(core)
    if assign is None:
        return None
    used = np.bincount(core.arc_site, weights=assign, minlength=core.sites) > 0
    open_sites = meet_streets(core, used, core.opening)
    unmet = core.persons - np.bincount(core.arc_group, weights=assign, minlength=core.groups).astype(np.int64)
    return open_sites, Transport(assign, unmet, 0.0)


def repair(
    core: Core, open_sites: BoolArray, site_value: FloatArray, arcs: IntArray | None = None
) -> tuple[BoolArray, Transport] | None:
    """Open more free candidates (cheapest ``site_value`` first, doubling batches) until the transport holds the
    unmet optimum; then close the free candidates it leaves empty where (4) allows. None if nothing helps."""
    open_sites = meet_streets(core, open_sites, site_value)
    closed = np.flatnonzero(core.free & ~open_sites)
    closed = closed[np.argsort(site_value[closed], kind="stable")]
    position, batch = 0, 1
    while True:
        plan = transport(core, open_sites, arcs)
        if plan is not None:
            break
        if position >= len(closed):
            return None
        open_sites[closed[position : position + batch]] = True
        position, batch = position + batch, 2 * batch
    used = np.bincount(core.arc_site, weights=plan.assign, minlength=core.sites) > 0
    trimmed = meet_streets(core, core.must | (open_sites & used), site_value)
    return trimmed, plan


def local_search(
    core: Core,
    incumbent: Incumbent,
    site_value: FloatArray,
    deadline: float,
    candidates: int | None = None,
    flow_seconds: float = 0.0,
) -> int:
    """First-improvement local search on the free candidates: close one, open one, swap one for another.

    Closing tries the least used sites per opening cost first; opening and swapping the closed candidates with
    the cheapest Lagrangian value. Each move is priced by a transport over the arcs of its open sites. Returns the
    number of transports. ``flow_seconds`` estimates a transport's time until one is measured.
    """
    evaluations, spent = 0, 0.0

    def better(open_sites: BoolArray) -> bool:
        nonlocal evaluations, spent
        if not streets_met(core, open_sites):
            return False
        evaluations += 1
        started = time.perf_counter()
        plan = transport(core, open_sites)
        spent += time.perf_counter() - started
        return plan is not None and incumbent.offer(core, open_sites, plan, "local search")

    def time_for_one() -> bool:  # a flow is not interruptible: start one only if the average one still fits
        return time.perf_counter() + (spent / evaluations if evaluations else flow_seconds) < deadline

    improved = True
    while improved and time_for_one():
        improved = False
        current = incumbent.open_sites
        opened = np.flatnonzero(current & core.free)
        closed = np.flatnonzero(core.free & ~current)
        closed = closed[np.argsort(site_value[closed], kind="stable")][: candidates or SWAP_CANDIDATES]
        load = np.bincount(core.arc_site, weights=incumbent.assign, minlength=core.sites)
        opened = opened[np.argsort(load[opened] / np.maximum(core.opening[opened], 1e-9), kind="stable")]
        moves = [(int(s), -1) for s in opened] + [(-1, int(t)) for t in closed]
        moves += [(int(s), int(t)) for s in opened for t in closed]
        for leave, enter in moves:
            if not time_for_one():
                break
            trial = current.copy()
            if leave >= 0:
                trial[leave] = False
            if enter >= 0:
                trial[enter] = True
            if better(trial):
                improved = True
                break
    return evaluations
