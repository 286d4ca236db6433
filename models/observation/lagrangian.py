"""The Lagrangian relaxation of (1) in phase (iii): a lower bound for any multipliers, computed exactly over all arcs.

With multipliers ``λ_g`` on the balance rows (1), the strong formulation splits (package docstring, "Bound"):

* each site ``s`` is a continuous knapsack over its arcs' reduced costs ``minutes_gs - λ_g`` (capacity ``cap_s``,
  item bounds ``min(p_g, cap_s)``): value ``knap_s <= 0``; with its opening cost ``v_s = opening_s + knap_s``;
* the ``open_site`` choice is ``min Σ v_s y_s`` over the free sites subject to (4) and the cover inequality (7):
  both the street-only and the cover-only problem relax it, so the larger of the two minima is a bound;
* the unmet persons maximise ``Σ λ_g u_g`` under (6): a greedy on a laminar (polymatroid) budget is exact.

``L(λ) = Σ λ_g p_g + Σ_{must} knap_s + min_y Σ v_s y_s - max_u Σ λ_g u_g + fixed cost <= optimum`` for every ``λ``.
Penalties: forcing a site's ``open_site`` away from the relaxation's choice raises the y-part by ``Δ_s`` (computed
by re-solving it); an arc not in its site's knapsack carries a person only at ``rc - critical_s`` more, plus
``Δ_s`` when the site is closed in the relaxation. ``L + penalty > UB`` proves the move useless (fixing).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from models.observation.instance import BoolArray
from models.observation.location import Core, FloatArray

STALL_ITERATIONS = 20
"""Subgradient iterations without a better bound before the step factor halves."""
SMALLEST_STEP = 1e-5
"""The subgradient stops when its step factor falls below this."""


@dataclass(frozen=True)
class Point:
    """The relaxation at ``λ``: bound, subgradient, the sites it opens and the data of its penalties."""

    value: float
    lam: FloatArray
    subgradient: FloatArray
    open_sites: BoolArray
    site_value: FloatArray
    critical: FloatArray
    reduced: FloatArray
    taken: BoolArray
    y_value: float


def knapsacks(core: Core, reduced: FloatArray) -> tuple[FloatArray, FloatArray, BoolArray, FloatArray]:
    """Each site's continuous knapsack of its negative reduced costs, cheapest first up to ``cap_s``.

    Returns the value per site, the persons taken per arc, which arcs are taken, and the critical reduced cost per
    site (that of the last arc taken when the site is full, else 0: the price of one more room there).
    """
    negative = np.flatnonzero(reduced < 0)
    site = core.arc_site[negative]
    order = np.lexsort((reduced[negative], site))
    negative, site = negative[order], site[order]
    upper = core.arc_upper[negative]
    cumulative = np.cumsum(upper)
    first = np.searchsorted(site, np.arange(core.sites))
    before = cumulative - upper - np.concatenate([[0.0], cumulative])[first][site]
    capacity = core.capacity[site].astype(float)
    take = np.clip(capacity - before, 0.0, upper)
    value = np.bincount(site, weights=reduced[negative] * take, minlength=core.sites).astype(float)
    taken_arcs = np.zeros(core.arcs, bool)
    taken_arcs[negative[take > 0]] = True
    take_per_arc = np.zeros(core.arcs)
    take_per_arc[negative] = take
    critical = np.zeros(core.sites)
    full = (before + take >= capacity) & (take > 0)
    last = np.full(core.sites, -1, np.int64)
    positive = np.flatnonzero(take > 0)
    last[site[positive]] = positive
    has = last >= 0
    critical[has] = np.where(full[last[has]], reduced[negative][last[has]], 0.0)
    return value, take_per_arc, taken_arcs, critical


def street_selection(core: Core, site_value: FloatArray) -> tuple[BoolArray, float]:
    """``min Σ v_s y_s`` s.t. (4): free sites with ``v_s < 0``, then each choice street's cheapest up to its deficit."""
    chosen = core.must | (core.free & (site_value < 0))
    if len(core.deficit):
        members = np.flatnonzero((core.street >= 0) & core.free)
        order = members[np.lexsort((site_value[members], core.street[members]))]
        street = core.street[order]
        rank = np.arange(len(order)) - np.searchsorted(street, street)
        chosen[order[rank < core.deficit[street]]] = True
    return chosen, float(site_value[chosen].sum())


def cover_selection(core: Core, site_value: FloatArray) -> tuple[BoolArray, float] | None:
    """``min Σ v_s y_s`` s.t. (7) with ``y`` relaxed to [0, 1] (greedy by ``v_s / cap_s``); None when (7) is slack.

    With equal capacities the greedy takes whole sites (the integer minimum). The returned ``y`` rounds the
    fractional site up (it is only used for the subgradient and the heuristics).
    """
    need = float(core.cover_need)
    if need <= 0:
        return None
    free = np.flatnonzero(core.free)
    chosen = core.must | (core.free & (site_value < 0))
    value = float(site_value[chosen].sum())
    missing = need - float(core.capacity[chosen & core.free].sum())
    if missing <= 0:
        return chosen, value
    rest = free[~chosen[free]]
    capacity = core.capacity[rest].astype(float)
    order = np.argsort(site_value[rest] / np.maximum(capacity, 1e-12), kind="stable")
    rest, capacity = rest[order], capacity[order]
    cumulative = np.cumsum(capacity)
    last = min(int(np.searchsorted(cumulative, missing)), len(rest) - 1)
    if len(rest) == 0:
        return chosen, value
    fraction = (missing - (cumulative[last] - capacity[last])) / max(capacity[last], 1e-12)
    if np.all(core.capacity[free] == core.capacity[free][0]):
        fraction = 1.0
    value += float(site_value[rest[:last]].sum()) + min(1.0, fraction) * float(site_value[rest[last]])
    chosen[rest[: last + 1]] = True
    return chosen, value


def select_sites(core: Core, site_value: FloatArray) -> tuple[BoolArray, float]:
    """The y-part: the larger of the street-only and the cover-only minimum (both relax it)."""
    street = street_selection(core, site_value)
    cover = cover_selection(core, site_value)
    if cover is not None and cover[1] > street[1]:
        return cover
    return street


def unmet_value(core: Core, lam: FloatArray) -> tuple[float, FloatArray]:
    """``max Σ λ_g u_g`` s.t. ``0 <= u <= p``, ``Σ_D u <= U_D*``, ``Σ u <= U*``: greedy by ``λ`` (laminar budgets)."""
    unmet = np.zeros(core.groups)
    if core.unmet_total <= 0:
        return 0.0, unmet
    positive = np.flatnonzero(lam > 0)
    order = positive[np.argsort(-lam[positive], kind="stable")]
    persons = core.persons[order].astype(float)
    disabled = core.disabled[order]
    disabled_persons = np.where(disabled, persons, 0.0)
    before = np.cumsum(disabled_persons) - disabled_persons
    allowed = np.where(disabled, np.clip(core.unmet_disabled - before, 0.0, persons), persons)
    take = np.clip(core.unmet_total - (np.cumsum(allowed) - allowed), 0.0, allowed)
    unmet[order] = take
    return float(np.dot(lam[order], take)), unmet


def evaluate(core: Core, lam: FloatArray) -> Point:
    """``L(λ)`` over every arc of the core, with its subgradient ``p - Σ_s x - u``."""
    reduced = core.minutes - lam[core.arc_group]
    knap, take, taken, critical = knapsacks(core, reduced)
    site_value = np.where(core.free, core.opening + knap, knap)
    open_sites, y_value = select_sites(core, site_value)
    unmet_gain, unmet = unmet_value(core, lam)
    persons = core.persons.astype(float)
    value = float(np.dot(lam, persons)) + y_value - unmet_gain + core.fixed_cost
    placed = np.bincount(core.arc_group, weights=take * open_sites[core.arc_site], minlength=core.groups)
    return Point(value, lam, persons - placed - unmet, open_sites, site_value, critical, reduced, taken, y_value)


def starting_multipliers(core: Core) -> FloatArray:
    """Each group's cheapest arc (0 for a group without arcs)."""
    cheapest = np.full(core.groups, np.inf)
    np.minimum.at(cheapest, core.arc_group, core.minutes)
    return np.where(np.isfinite(cheapest), cheapest, 0.0)


def ascend(
    core: Core,
    lam: FloatArray,
    upper: Callable[[], float],
    deadline: float,
    visit: Callable[[Point], None] | None = None,
    every: int = 25,
) -> tuple[Point, int]:
    """Subgradient ascent (Polyak steps towards the best plan's cost ``upper()``); the best point and iterations.

    ``visit`` sees the relaxation every ``every`` iterations (the Lagrangian heuristic).
    """
    best = evaluate(core, lam)
    point, factor, stall, iterations = best, 2.0, 0, 1
    while time.perf_counter() < deadline and factor >= SMALLEST_STEP:
        if visit is not None and iterations % every == 1:
            visit(point)
        target = upper()
        if target - best.value <= 1e-9 * max(1.0, abs(target)):
            break
        if not np.isfinite(target):
            target = point.value + 0.05 * abs(point.value) + 1.0
        norm = float(np.dot(point.subgradient, point.subgradient))
        if norm <= 1e-12:
            break
        point = evaluate(core, point.lam + factor * (target - point.value) / norm * point.subgradient)
        iterations += 1
        if point.value > best.value + 1e-12 * max(1.0, abs(best.value)):
            best, stall = point, 0
        else:
            stall += 1
            if stall >= STALL_ITERATIONS:
                factor, stall = factor / 2, 0
    return best, iterations


def site_penalties(core: Core, point: Point) -> FloatArray:
    """``Δ_s``: how much the y-part of ``L`` rises when free site ``s`` is flipped from the relaxation's choice."""
    penalty = np.zeros(core.sites)
    for site in np.flatnonzero(core.free).tolist():
        flipped = forced_y_value(core, point.site_value, site, not bool(point.open_sites[site]))
        penalty[site] = max(0.0, flipped - point.y_value)
    return penalty


def forced_y_value(core: Core, site_value: FloatArray, site: int, open_: bool) -> float:
    """The y-part with free site ``site`` forced open (it counts for its street and the cover) or closed."""
    free = core.free.copy()
    free[site] = False
    must, deficit = core.must, core.deficit
    if open_:
        must = must.copy()
        must[site] = True
        if core.street[site] >= 0:
            deficit = deficit.copy()
            deficit[core.street[site]] = max(0, int(deficit[core.street[site]]) - 1)
    return select_sites(replace(core, free=free, must=must, deficit=deficit), site_value)[1]


def arc_penalties(core: Core, point: Point, site_penalty: FloatArray) -> FloatArray:
    """Least rise of ``L`` when an arc carries one person: ``rc - critical_s`` off the knapsack (0 on it), plus
    ``Δ_s`` when its site is closed in the relaxation."""
    off = np.maximum(point.reduced - point.critical[core.arc_site], 0.0)
    penalty = np.where(point.taken, 0.0, off)
    return penalty + np.where(point.open_sites[core.arc_site], 0.0, site_penalty[core.arc_site])
