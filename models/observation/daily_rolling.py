"""A plan of the day-by-day observation model without its LP: stay windows in turn, one min-cost flow each.

For models whose priced LP does not finish in the time limit (the province), the phases need a plan that does not
wait for it. **Rolling placement**: the cohorts a start plan does not cover (the caller places the disabled first,
exactly, in their own model), the disabled then the others, each by stay windows ``[a, e)`` from the latest
arrival back (shorter stays first). For each window, one min-cost flow places that window's cohorts: cohort ``c``
-> site ``s`` on its arcs (cost: minutes, capacity ``n_c``), site -> sink with capacity ``room_s = min_{a <= t < e}
(cap_s - load_st)`` (the places free on every day of the stay, given what is placed), cohort -> sink for its unmet
persons at a cost above any arc's. So each window places as many of its persons as the room left allows, at the
least minutes (plus, at a candidate no one is at yet, its opening cost per place), and a placed cohort stays at
its site for its whole stay. Every site the caller allows is open (the
unmet phases hold every usable site open).

The plan is feasible (each window fits the room left on every day of its stay), not optimal: a window does not
leave room for the windows after it. Province, 14 days, severe, the disabled placed first (none unmet): 25,479
unmet persons against a bound of 24,540 and 53,614 from the greedy repair alone (without the opening per place
25,523; windows from the first arrival forward 27,437). City: 2,643 against the optimum 2,568.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from models.flow import members, min_cost_flow
from models.observation.daily import Cohorts
from models.observation.instance import BoolArray, Instance, IntArray

FloatArray = npt.NDArray[np.float64]

COST_UNITS_PER_MINUTE = 100
"""Integer cost units of one minute in the flows (a heuristic: the resolution only orders the arcs)."""


@dataclass(frozen=True)
class RollingPlan:
    """Persons per (cohort, arc), unmet persons per cohort, and the cohorts the plan covers (the others: 0)."""

    cohort: IntArray
    arc: IntArray
    persons: IntArray
    unmet: IntArray
    covered: BoolArray


def rolling_plan(
    instance: Instance,
    cohorts: Cohorts,
    usable: BoolArray,
    start: RollingPlan | None = None,
    deadline: float = math.inf,
    opening_per_place: FloatArray | None = None,
) -> RollingPlan:
    """The rolling placement of the ``cohorts`` that ``start`` does not cover, at the ``usable`` sites, around the
    persons ``start`` places (module docstring); ``start`` and the cohorts placed here together. Windows not
    reached by ``deadline`` (``time.perf_counter()``) stay unmet: still a plan. ``opening_per_place``: minutes
    added to a person's arc to a site no one is at yet (a candidate's opening shared by its places), so that
    sites in use fill first."""
    arcs_of = members(instance.arc_group, len(instance.groups))
    arc_units = np.rint(instance.arcs["minutes"].to_numpy(float) * COST_UNITS_PER_MINUTE).astype(np.int64)
    place_units = np.zeros(len(instance.sites), np.int64)
    if opening_per_place is not None:
        place_units = np.rint(opening_per_place * COST_UNITS_PER_MINUTE).astype(np.int64)
    unmet_units = int(arc_units.max(initial=0)) + int(place_units.max(initial=0)) + 1
    capacity = np.where(usable, instance.capacity, 0).astype(np.int64)
    load = np.zeros((len(capacity), cohorts.horizon), np.int64)
    covered = np.zeros(len(cohorts.group), bool)
    unmet = cohorts.persons.copy()
    parts: list[tuple[IntArray, IntArray, IntArray]] = []
    if start is not None:
        load = cohorts.present(start.cohort, instance.arc_site[start.arc], start.persons, len(capacity))
        covered, unmet = start.covered.copy(), np.where(start.covered, start.unmet, unmet)
        parts.append((start.cohort, start.arc, start.persons))
    windows, window_of = np.unique(np.stack([cohorts.arrival, -cohorts.end]), axis=1, return_inverse=True)
    window_of = window_of.ravel()
    disabled = instance.disabled[cohorts.group]
    for group_disabled in (True, False):
        for window in reversed(range(windows.shape[1])):  # the latest arrivals first, shorter stays first
            chosen = np.flatnonzero((window_of == window) & (disabled == group_disabled) & ~covered)
            if not len(chosen) or time.perf_counter() >= deadline:
                continue
            first, end = int(windows[0, window]), int(-windows[1, window])
            room = np.maximum(capacity - load[:, first:end].max(axis=1, initial=0), 0)
            closed = load.max(axis=1, initial=0) == 0  # a candidate no one is at yet costs its opening per place
            window_units = arc_units + np.where(closed, place_units, 0)[instance.arc_site]
            cohort, arc, persons, short = _window_flow(
                cohorts, chosen, arcs_of, instance.arc_site, room, window_units, unmet_units
            )
            placed_per_site = np.bincount(instance.arc_site[arc], weights=persons, minlength=len(capacity))
            load[:, first:end] += placed_per_site.astype(np.int64)[:, None]
            unmet[chosen] = short
            parts.append((cohort, arc, persons))
    if not parts:
        empty = np.zeros(0, np.int64)
        return RollingPlan(empty, empty, empty, unmet, np.ones(len(unmet), bool))
    cohort, arc, persons = (np.concatenate(column) for column in zip(*parts, strict=True))
    return RollingPlan(cohort, arc, persons, unmet, np.ones(len(unmet), bool))


def _window_flow(
    cohorts: Cohorts,
    chosen: IntArray,
    arcs_of: list[IntArray],
    arc_site: IntArray,
    room: IntArray,
    arc_units: IntArray,
    unmet_units: int,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """One window's min-cost flow: (cohort, arc, persons) placed and each chosen cohort's unmet persons."""
    groups = cohorts.group[chosen]
    counts = np.fromiter((len(arcs_of[g]) for g in groups), np.int64, len(groups))
    arc = np.concatenate([arcs_of[g] for g in groups]) if len(groups) else np.zeros(0, np.int64)
    local = np.repeat(np.arange(len(chosen)), counts)
    keep = room[arc_site[arc]] > 0
    arc, local = arc[keep], local[keep]
    count, sites = len(chosen), len(room)
    sink = count + sites
    persons = cohorts.persons[chosen]
    tails = np.concatenate([local, count + np.arange(sites), np.arange(count)])
    heads = np.concatenate([count + arc_site[arc], np.full(sites, sink), np.full(count, sink)])
    capacities = np.concatenate([persons[local], room, persons])
    costs = np.concatenate([arc_units[arc], np.zeros(sites, np.int64), np.full(count, unmet_units, np.int64)])
    supplies = np.concatenate([persons, np.zeros(sites, np.int64), [-int(persons.sum())]])
    flows = min_cost_flow(tails, heads, capacities, costs, supplies).flows
    placed = flows[: len(arc)]
    used = placed > 0
    return chosen[local[used]], arc[used], placed[used], flows[len(arc) + sites :]
