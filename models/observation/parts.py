"""Independent parts of the observation model, solved apart and at once: the same optimum, sooner.

Components
----------
Join each group to the sites of its arcs and each site to its street (constraint (4) counts a street's sites
together). No constraint spans two components of that graph, and every level of the lexicographic objective is a
sum over them, so the model's optimum is each component's optimum, level by level: a plan at the optimum of (i)
has each component at its own optimum of (i) (one below it would need another above its own maximum flow), then
likewise (ii), and (iii) is a sum. The bounds of the components add up to a bound on the model.

Parts
-----
Each component with at least :data:`PART_MIN_SHARE` of the arcs is a part; the other components together are one
more part. Only where two or more components are that large is the model split; elsewhere it is solved whole, as
before (the samples' city and province are one component each, but for a few hundred arcs). Each part gets its unmet
optimum (two maximum flows) and phase (iii) (``models.observation.facility``), ``workers`` at once, the largest
first and then the others smallest first (:func:`starting_order`), by a runner the caller gives: threads here (HiGHS
releases the GIL), fresh child processes in the pipeline (``planner.fresh``), where the drug stage's OR-Tools flows
hold the GIL for seconds at a time beside this stage and starved the parts' threads. National, ``epiplan solve``
with its files: the whole model 92 % above the bound (50.7-51.6 s, 1.84-1.86 GB summed over the processes); parts in
threads 61 % (53.4 s); in forked children 4.3-4.4 % (49.1-50.3 s, 2.06-2.16 GB: each large part's child came to
hold 0.45-0.57 GB, a third of it pages the parent rewrote beside it); in fresh children (workers of the zygote
``epiplan solve`` forks at its start) 4.29-4.31 % at 1.71-1.79 GB, 46.8-48.2 s.

Time. A part may use ``workers x`` its share of the arcs of the time left (at most all of it), from when it
starts, and never past the stage's deadline. A part its time stopped short of a proof runs again where its share
of the time the others left is at least 1.5 times what it had (:func:`second_round`): at 30 s the national
sample's small components (severe) had 6.3 s, and the stage ended after 14 s; run again, they are proven (the
stage's gap 0.55 -> 0.36 %). National sample (prevalent, snapshot): two components of 393k and 331k of the model's
group-site arcs, and 6,442 small ones (85k arcs). Solved whole, the column generation's LP over all 808k arcs needs
16 s and the stage ends at 10 s with the held flow's plan, 92 % above its bound. Each large component alone has its
LP within 5-10 s (2.6-2.9 % at 10 s, 1.3-1.6 % at 30 s); the parts together reach 3.4 % at 10 s alone on the
machine (``bench/results/parts-2026-12-06.md``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from models.base import Status
from models.observation.facility import Plan, proven, solve_phases
from models.observation.instance import Instance, IntArray

PART_MIN_SHARE = 0.1
"""Share of the arcs from which a component is a part of its own (the others are solved together)."""
STOPPED_SHARE = 0.9
"""A part that used at least this share of its time was stopped by it (and may run again)."""
SECOND_ROUND_GAIN = 1.5
"""A part runs again only with at least this many times the seconds it had."""

T = TypeVar("T")
Runner = Callable[[Sequence[Callable[[], Any]], int], list[Any]]
"""Runs the calls, at most ``workers`` at once, and returns their values in order (:func:`in_threads`; the
pipeline passes one that runs each in a fresh child process, ``planner.fresh.in_fresh_children``)."""


def in_threads(calls: Sequence[Callable[[], T]], workers: int) -> list[T]:
    """The calls in a pool of ``workers`` threads; their values in order."""
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(calls))), thread_name_prefix="part") as pool:
        return list(pool.map(lambda call: call(), calls))


@dataclass(frozen=True)
class Part:
    """Positions of a part's groups, sites and arcs in the whole instance."""

    groups: IntArray
    sites: IntArray
    arcs: IntArray


@dataclass(frozen=True)
class Solved:
    """A part's unmet optimum ``(U_D*, U*)`` and phase (iii) plan, in the part's own positions."""

    unmet_disabled: int
    unmet_total: int
    plan: Plan
    seconds: float
    past_deadline: float
    """Seconds the part ended after the deadline it was given (0 when within it)."""
    given: float
    """Seconds the part was given."""


def split(instance: Instance) -> list[Part]:
    """The parts of ``instance`` (module docstring), the largest first; one part (the whole) where fewer than two
    components hold :data:`PART_MIN_SHARE` of the arcs each."""
    groups, sites = len(instance.groups), len(instance.sites)
    label = _components(instance)
    arc_label = label[instance.arc_group] if len(instance.arcs) else np.zeros(0, np.int64)
    arcs_per = np.bincount(arc_label, minlength=label.max() + 1 if len(label) else 0)
    large = np.flatnonzero(arcs_per >= PART_MIN_SHARE * max(len(instance.arcs), 1))
    if len(large) < 2 or not len(instance.arcs):
        return [Part(np.arange(groups), np.arange(sites), np.arange(len(instance.arcs)))]
    large = large[np.argsort(-arcs_per[large], kind="stable")]
    part_of = np.full(len(arcs_per), len(large), np.int64)  # the small components: the last part
    part_of[large] = np.arange(len(large))
    group_part, site_part, arc_part = part_of[label[:groups]], part_of[label[groups:]], part_of[arc_label]
    parts = [
        Part(np.flatnonzero(group_part == p), np.flatnonzero(site_part == p), np.flatnonzero(arc_part == p))
        for p in range(len(large) + 1)
    ]
    return [part for part in parts if len(part.groups) or len(part.sites)]


def _components(instance: Instance) -> IntArray:
    """The component of each group (first) and each site (after them)."""
    groups, sites = len(instance.groups), len(instance.sites)
    street = pd.factorize(instance.sites["street_id"])[0].astype(np.int64)
    streets = int(street.max()) + 1 if len(street) else 0
    nodes = groups + sites + streets
    tail = np.concatenate([instance.arc_group, groups + np.arange(sites)])
    head = np.concatenate([groups + instance.arc_site, groups + sites + street])
    graph = coo_matrix((np.ones(len(tail), np.int8), (tail, head)), shape=(nodes, nodes))
    _, label = connected_components(graph, directed=False)
    return np.asarray(label[: groups + sites], dtype=np.int64)


def part_instance(instance: Instance, part: Part) -> Instance:
    """The instance of ``part`` alone: its groups, sites, arcs (renumbered) and streets."""
    group_new = np.full(len(instance.groups), -1, np.int64)
    group_new[part.groups] = np.arange(len(part.groups))
    site_new = np.full(len(instance.sites), -1, np.int64)
    site_new[part.sites] = np.arange(len(part.sites))
    arcs = instance.arcs.iloc[part.arcs].reset_index(drop=True)
    arcs["group"] = group_new[arcs["group"].to_numpy(np.int64)]
    arcs["site"] = site_new[arcs["site"].to_numpy(np.int64)]
    sites = instance.sites.iloc[part.sites].reset_index(drop=True)
    streets = instance.streets[instance.streets.index.isin(sites["street_id"])]
    groups = instance.groups.iloc[part.groups].reset_index(drop=True)
    return Instance(groups, sites, arcs, streets, instance.persons_per_room)


def solve_parts(
    instance: Instance,
    parts: list[Part],
    deadline: float,
    *,
    workers: int,
    minutes_per_yuan: float,
    start_arcs: int | None,
    run: Runner = in_threads,
) -> tuple[int, int, Plan] | str:
    """Each part's phases (``models.observation.facility.solve_phases``), ``workers`` at once by ``run`` (module
    docstring: Time), merged into the whole model's ``(U_D*, U*, plan)``; or why a part has no plan. The calls
    ``run`` gets are picklable (:func:`solve_part` with the part's own instance), so it may run them in other
    processes. Parts their time stopped run again with the time the others left (:func:`second_round`)."""
    span, total = max(deadline - time.perf_counter(), 0.0), max(len(instance.arcs), 1)
    ends_at = time.time() + span  # the wall clock: the same in every process
    solve = partial(_solved_in_order, instance, parts, ends_at, minutes_per_yuan, start_arcs, run, workers)
    solved = solve({index: span * min(1.0, workers * len(parts[index].arcs) / total) for index in range(len(parts))})
    failed = [one for one in solved.values() if isinstance(one, str)]
    if failed:
        return failed[0]
    first = {index: one for index, one in solved.items() if not isinstance(one, str)}
    return merged(instance, parts, second_round(parts, first, ends_at, workers, solve))


def _solved_in_order(
    instance: Instance,
    parts: list[Part],
    ends_at: float,
    minutes_per_yuan: float,
    start_arcs: int | None,
    run: Runner,
    workers: int,
    seconds: dict[int, float],
) -> dict[int, Solved | str]:
    """The parts ``seconds`` names, each with its seconds, in :func:`starting_order`, by ``run``."""
    order = [index for index in starting_order(parts) if index in seconds]
    calls = [
        partial(
            solve_part,
            part_instance(instance, parts[index]),
            seconds[index],
            ends_at,
            minutes_per_yuan=minutes_per_yuan,
            start_arcs=start_arcs,
        )
        for index in order
    ]
    return dict(zip(order, run(calls, workers), strict=True))


def second_round(
    parts: list[Part],
    first: dict[int, Solved],
    ends_at: float,
    workers: int,
    solve: Callable[[dict[int, float]], dict[int, Solved | str]],
) -> list[Solved]:
    """The parts not proven that used at least :data:`STOPPED_SHARE` of their time run again, each with its share
    of the time left (as in the first round, among them), where that is more than they had; each part keeps the
    better plan and the better bound of its two runs (both hold for the part). National sample (severe), 30 s:
    the part of the small components had 6.3 s, the largest parts ended after 8-10 s, and the stage after 14 s."""
    left = ends_at - time.time()
    stopped = [
        index
        for index, one in first.items()
        if one.plan.status != Status.OPTIMAL and one.seconds >= STOPPED_SHARE * one.given
    ]
    arcs = max(sum(len(parts[index].arcs) for index in stopped), 1)
    seconds = {index: left * min(1.0, workers * len(parts[index].arcs) / arcs) for index in stopped}
    seconds = {index: given for index, given in seconds.items() if given >= SECOND_ROUND_GAIN * first[index].given}
    again = solve(seconds) if seconds and left > 0 else {}
    return [better(first[index], again.get(index)) for index in range(len(parts))]


def better(first: Solved, second: Solved | str | None) -> Solved:
    """``first`` with the cheaper plan and the higher bound of the two runs of a part (the same unmet optimum)."""
    if second is None or isinstance(second, str):
        return first
    plan = second.plan if second.plan.objective < first.plan.objective else first.plan
    bound = min(max(first.plan.bound, second.plan.bound), plan.objective)
    status = Status.OPTIMAL if proven(plan.objective, bound) else Status.FEASIBLE
    return replace(
        first,
        plan=replace(plan, bound=bound, status=status),
        seconds=first.seconds + second.seconds,
        past_deadline=second.past_deadline,
        given=first.given + second.given,
    )


def solve_part(
    instance: Instance, seconds: float, ends_at: float, *, minutes_per_yuan: float, start_arcs: int | None
) -> Solved | str:
    """A part's phases with ``seconds`` from now, never past ``ends_at`` (wall clock, ``time.time()``)."""
    started = time.perf_counter()
    allowed = min(seconds, max(0.0, ends_at - time.time()))
    found = solve_phases(instance, started + allowed, minutes_per_yuan=minutes_per_yuan, start_arcs=start_arcs)
    if isinstance(found, str):
        return f"a part: {found}"
    ended = time.perf_counter()
    return Solved(*found, ended - started, max(0.0, ended - started - allowed), allowed)


def starting_order(parts: list[Part]) -> list[int]:
    """The order the parts start in: the largest, then the others smallest first. The largest then has a worker
    to itself; the small parts, whose share of the time is small, finish first on the other and leave the rest of
    the time to the next largest. Largest first left the small parts together (national: 85k arcs) to start after
    the deadline, with the held flow's plan: 12.2 million against 6.6 million."""
    by_size = sorted(range(len(parts)), key=lambda index: len(parts[index].arcs))
    return by_size[-1:] + by_size[:-1]


def merged(instance: Instance, parts: list[Part], solved: list[Solved]) -> tuple[int, int, Plan]:
    """The parts' optima and plans as the whole model's: sums, and each part's plan at its positions."""
    assign = np.zeros(len(instance.arcs), np.int64)
    open_sites = np.zeros(len(instance.sites), bool)
    unmet = np.zeros(len(instance.groups), np.int64)
    for part, one in zip(parts, solved, strict=True):
        assign[part.arcs], open_sites[part.sites], unmet[part.groups] = (
            one.plan.assign,
            one.plan.open_sites,
            one.plan.unmet,
        )
    plans = [one.plan for one in solved]
    proven = all(plan.status == Status.OPTIMAL for plan in plans)
    stats = {
        "route": "parts",
        "found_by": "parts",
        "phase_arcs": int(sum(plan.stats.get("phase_arcs", 0) for plan in plans)),
        "free_sites": int(sum(plan.stats.get("free_sites", 0) for plan in plans)),
        "parts": [
            {
                "arcs": len(part.arcs),
                "groups": len(part.groups),
                "sites": len(part.sites),
                "status": one.plan.status.value,
                "objective": one.plan.objective,
                "bound": one.plan.bound,
                "seconds": round(one.seconds, 3),
                "past_deadline_seconds": round(one.past_deadline, 3),
                "route": one.plan.stats.get("route"),
                "found_by": one.plan.stats.get("found_by"),
            }
            for part, one in zip(parts, solved, strict=True)
        ],
    }
    plan = Plan(
        assign,
        open_sites,
        unmet,
        float(sum(plan.objective for plan in plans)),
        float(sum(plan.bound for plan in plans)),
        Status.OPTIMAL if proven else Status.FEASIBLE,
        stats,
    )
    return sum(one.unmet_disabled for one in solved), sum(one.unmet_total for one in solved), plan
