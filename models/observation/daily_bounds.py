"""Bounds on the day-by-day observation model that need no LP (``models.observation.daily``).

They state a gap where the priced LP does not finish (the province), and prove the unmet phases where a plan meets
them (the city). All are valid for the full model.

- **Unmet persons.** A person of a group with no arc to a site with places is unmet whatever the plan. Any other
  person present on day ``t`` is unmet unless placed on ``t``, so at least ``present_t - F_t`` of them are unmet
  (``F_t`` the maximum flow of that day's persons into every usable site): the stranded persons plus the worst day's
  excess, for the disabled alone and for everyone. National, prevalent, 14 days: 3,650 persons (552 disabled) have no
  site in reach, and the bounds rise from (482, 3,386) to (555, 4,849) against the plan's (561, 6,645): the unmet
  phase's gap 14.1 % -> 1.1 %.
- **Cost** (phase (iii) with at most ``U`` unmet): one min-cost flow. On the peak day ``t*`` (most persons present)
  a candidate that holds ``k`` of that day's persons is open, which costs at least ``k / cap_s`` of its opening, so a
  person present on ``t*`` placed at ``s`` costs at least ``m_gs + f_s / cap_s`` (``f_s = 0`` at the sites open in
  every plan), within each site's places on that day; every other person costs at least their group's cheapest
  arc. At most ``U`` persons bypass, at no cost. The flow's cost (rounded down to :data:`COST_UNITS_PER_MINUTE`) is a
  bound on every plan: the plan's own placement is one such flow. It is at least (up to its rounding) the minutes
  and the openings bounded apart (each person at their cheapest arc, plus the peak day's persons into the places at
  their opening per place, travel free): national, prevalent, 14 days, with the plan's 6,645 unmet, 8.26 -> 12.72
  million minutes (the plan 23.7 million) in 2.0 s instead of 2.8 s; province, severe, 14 days: 5.53 -> 5.95
  million.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from models.flow import FlowError, min_cost_flow
from models.observation.daily import Cohorts
from models.observation.flows import placed_per_day
from models.observation.instance import Instance, IntArray

FloatArray = npt.NDArray[np.float64]

COST_UNITS_PER_MINUTE = 1000
"""Integer units of a minute in the cost bound's flow (rounded down: at most a thousandth of a minute a person)."""


def site_roles(instance: Instance) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Sites open in every plan (with places), and the candidates a plan may open or not (its free sites)."""
    sites = instance.sites
    must = sites["must_open"].to_numpy(bool) & (instance.capacity > 0)
    free = (sites["free_candidate"].to_numpy(bool) | sites["choice_street"].to_numpy(bool)) & ~must
    return must, free


def opening_per_place(instance: Instance) -> npt.NDArray[np.float64]:
    """A free candidate's opening shared by its places (``f_s / cap_s``), 0 at every other site: what the flows
    that place persons without deciding the sites charge a person there (the rolling placement, the LP's start)."""
    _, free = site_roles(instance)
    opening = instance.sites["opening_cost"].to_numpy(float)
    return np.where(free, opening / np.maximum(instance.capacity, 1), 0.0)


def weighted_unmet(unmet: tuple[int, int] | None, weight: float) -> float:
    """``W * unmet disabled + unmet`` of ``unmet`` (disabled, all), the unmet phases' objective; -inf for none (the
    bounds of :func:`unmet_lower_bounds` when a flow failed: no bound)."""
    return -np.inf if unmet is None else float(weight * unmet[0] + unmet[1])


def unmet_lower_bounds(instance: Instance, cohorts: Cohorts) -> tuple[int, int] | None:
    """Unmet disabled and unmet persons every plan leaves at least, without an LP (module docstring): the persons of
    groups with no arc to a site with places, on every day of their stay, and on the worst day ``t`` the others present
    beyond ``F_t`` (the maximum flow of that day's persons into every usable site); for the disabled alone and for
    everyone. None when a flow fails."""
    present = _present_per_day(instance, cohorts)
    with_room = np.bincount(
        instance.arc_group[instance.capacity[instance.arc_site] > 0], minlength=len(instance.groups)
    ).astype(bool)
    stranded_persons = np.bincount(cohorts.group, weights=cohorts.persons, minlength=len(instance.groups))
    stranded_persons[with_room] = 0
    bounds = []
    for groups in (instance.disabled, np.ones(len(instance.groups), bool)):
        if not groups.any():
            bounds.append(0)
            continue
        try:
            placed = placed_per_day(instance, groups, present)
        except FlowError:
            return None
        beyond = (present[groups & with_room].sum(axis=0) - placed).max(initial=0)
        bounds.append(int(stranded_persons[groups].sum()) + int(max(0, beyond)))
    return bounds[0], bounds[1]


def _present_per_day(instance: Instance, cohorts: Cohorts) -> npt.NDArray[np.int64]:
    """Persons of each group present on each day."""
    return cohorts.present(np.arange(len(cohorts.group)), cohorts.group, cohorts.persons, len(instance.groups))


def cost_lower_bound(instance: Instance, cohorts: Cohorts, unmet_allowed: int) -> float:
    """A bound on phase (iii) with at most ``unmet_allowed`` unmet persons: one min-cost flow of every person, the
    peak day's at their arcs' minutes and opening per place, the others at their cheapest arc (module docstring).
    Where the peak day's persons do not fit with ``unmet_allowed`` unmet, no plan does: then each person at their
    cheapest arc."""
    present = _present_per_day(instance, cohorts)
    if not present.size:
        return 0.0
    day = int(np.argmax(present.sum(axis=0)))
    peak_persons = present[:, day]
    others = ~((cohorts.arrival <= day) & (day < cohorts.end))
    other_persons = np.bincount(
        cohorts.group[others], weights=cohorts.persons[others], minlength=len(instance.groups)
    ).astype(np.int64)
    network = _cost_bound_network(instance, peak_persons, other_persons, unmet_allowed)
    try:
        solved = min_cost_flow(*network)
    except FlowError:
        return _minutes_lower_bound(instance, cohorts, unmet_allowed)
    return float(solved.cost) / COST_UNITS_PER_MINUTE


def _cost_bound_network(
    instance: Instance, peak_persons: IntArray, other_persons: IntArray, unmet_allowed: int
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    """Tails, heads, capacities, costs and supplies of :func:`cost_lower_bound`'s flow.

    Nodes: each group's peak-day persons (supply), each group's other persons (supply), the sites, a bypass, the
    sink. Arcs: peak group -> site (``m_gs + f_s / cap_s``), site -> sink (its places if usable), peak group ->
    bypass, other group -> sink (its cheapest arc, where it has one), other group -> bypass, bypass -> sink (``U``).
    """
    groups, sites = len(instance.groups), len(instance.sites)
    site_base, bypass, sink = 2 * groups, 2 * groups + sites, 2 * groups + sites + 1
    must, free = site_roles(instance)
    minutes = instance.arcs["minutes"].to_numpy(float)
    cheapest = _cheapest_minutes(instance)
    reach = np.flatnonzero(np.isfinite(cheapest))
    group_nodes, other_nodes = np.arange(groups, dtype=np.int64), groups + np.arange(groups, dtype=np.int64)
    total = int(peak_persons.sum() + other_persons.sum())
    families = [  # (tails, heads, capacities, costs)
        (
            instance.arc_group,
            site_base + instance.arc_site,
            peak_persons[instance.arc_group],
            _units(minutes + opening_per_place(instance)[instance.arc_site]),
        ),
        (site_base + np.arange(sites), np.full(sites, sink), np.where(must | free, instance.capacity, 0), 0),
        (group_nodes, np.full(groups, bypass), peak_persons, 0),
        (groups + reach, np.full(reach.size, sink), other_persons[reach], _units(cheapest[reach])),
        (other_nodes, np.full(groups, bypass), other_persons, 0),
        (np.array([bypass]), np.array([sink]), np.array([min(int(unmet_allowed), total)]), 0),
    ]
    tails, heads, capacities, costs = (
        np.concatenate([np.broadcast_to(np.asarray(family[part], np.int64), family[0].shape) for family in families])
        for part in range(4)
    )
    supplies = np.zeros(sink + 1, np.int64)
    supplies[:groups], supplies[groups : 2 * groups], supplies[sink] = peak_persons, other_persons, -total
    return tails, heads, capacities, costs, supplies


def _units(minutes: FloatArray) -> IntArray:
    """Minutes in the bound's integer cost units, rounded down (the bound stays a bound)."""
    return np.floor(minutes * COST_UNITS_PER_MINUTE).astype(np.int64)


def _cheapest_minutes(instance: Instance) -> FloatArray:
    """Each group's cheapest arc's minutes (inf for a group without an arc)."""
    cheapest = np.full(len(instance.groups), np.inf)
    np.minimum.at(cheapest, instance.arc_group, instance.arcs["minutes"].to_numpy(float))
    return cheapest


def _minutes_lower_bound(instance: Instance, cohorts: Cohorts, unmet_allowed: int) -> float:
    minutes = _cheapest_minutes(instance)[cohorts.group]
    order = np.argsort(minutes, kind="stable")
    persons = cohorts.persons[order]
    to_place = int(persons.sum()) - int(unmet_allowed)
    taken = np.minimum(persons, np.maximum(to_place - (np.cumsum(persons) - persons), 0))
    chosen = taken > 0
    if not np.isfinite(minutes[order][chosen]).all():
        return 0.0
    return float(np.dot(taken[chosen], minutes[order][chosen]))
