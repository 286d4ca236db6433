"""Bounds on the day-by-day observation model that need no LP (``models.observation.daily``).

They state a gap where the priced LP does not finish (the province), and prove the unmet phases where a plan meets
them (the city). All are valid for the full model.

- **Unmet persons.** A person present on day ``t`` is unmet unless placed on ``t``, so at least ``present_t - F_t``
  persons are unmet (``F_t`` the maximum flow of that day's persons into every usable site): for every day, and for
  the disabled alone.
- **Cost** (phase (iii) with at most ``U`` unmet): the minutes and the openings bounded apart. Minutes: at least
  ``P - U`` persons are placed, each at no less than their group's cheapest arc. Openings: on the peak day at least
  ``present_t - U`` of that day's persons are placed, each at a site in reach; a candidate that holds ``k`` of them
  is open, which costs at least ``k / cap_s`` of its opening. So the opening term is at least the min-cost flow of
  the peak day's persons (all but ``U``, which may bypass) into the usable sites, a place at candidate ``s``
  costing ``f_s / cap_s`` (rounded down), the sites open in every plan nothing.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from models.flow import FlowError, min_cost_flow
from models.observation.daily import Cohorts
from models.observation.flows import placed_per_day
from models.observation.instance import Instance

OPENING_UNITS_PER_MINUTE = 1000
"""Integer units of a minute of opening cost per place in the opening bound's flow (rounded down)."""


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
    """Unmet disabled and unmet persons every plan leaves at least, without an LP: a person present on day ``t``
    is unmet unless placed on ``t``, so at least ``present_t - F_t`` persons are unmet (``F_t`` the maximum flow of
    that day's persons into every usable site), for every day and for the disabled alone. None when a flow fails."""
    present = _present_per_day(instance, cohorts)
    bounds = []
    for groups in (instance.disabled, np.ones(len(instance.groups), bool)):
        if not groups.any():
            bounds.append(0)
            continue
        try:
            placed = placed_per_day(instance, groups, present)
        except FlowError:
            return None
        bounds.append(int(max(0, (present[groups].sum(axis=0) - placed).max(initial=0))))
    return bounds[0], bounds[1]


def _present_per_day(instance: Instance, cohorts: Cohorts) -> npt.NDArray[np.int64]:
    """Persons of each group present on each day."""
    return cohorts.present(np.arange(len(cohorts.group)), cohorts.group, cohorts.persons, len(instance.groups))


def cost_lower_bound(instance: Instance, cohorts: Cohorts, unmet_allowed: int) -> float:
    """A bound on phase (iii) with at most ``unmet_allowed`` unmet persons: minutes and openings (module
    docstring)."""
    return _minutes_lower_bound(instance, cohorts, unmet_allowed) + _opening_lower_bound(
        instance, cohorts, unmet_allowed
    )


def _opening_lower_bound(instance: Instance, cohorts: Cohorts, unmet_allowed: int) -> float:
    """The opening term's bound (module docstring): one min-cost flow of the peak day's persons."""
    present = _present_per_day(instance, cohorts)
    if not present.size:
        return 0.0
    day = int(np.argmax(present.sum(axis=0)))
    must, free = site_roles(instance)
    persons = present[:, day]
    groups, sites = len(instance.groups), len(instance.sites)
    source, bypass, sink = groups + sites, groups + sites + 1, groups + sites + 2
    place_units = np.zeros(sites, np.int64)  # opening per place, rounded down: the bound stays a bound
    with_places = free & (instance.capacity > 0)
    opening = instance.sites["opening_cost"].to_numpy(float)
    place_units[with_places] = np.floor(
        opening[with_places] / instance.capacity[with_places] * OPENING_UNITS_PER_MINUTE
    ).astype(np.int64)
    usable = must | free
    tails = np.concatenate([np.full(groups, source), instance.arc_group, groups + np.arange(sites), [source, bypass]])
    heads = np.concatenate([np.arange(groups), groups + instance.arc_site, np.full(sites, sink), [bypass, sink]])
    unmet = min(int(unmet_allowed), int(persons.sum()))
    capacities = np.concatenate(
        [persons, persons[instance.arc_group], np.where(usable, instance.capacity, 0), [unmet, unmet]]
    )
    costs = np.concatenate([np.zeros(groups + len(instance.arc_group), np.int64), place_units, [0, 0]])
    supplies = np.zeros(sink + 1, np.int64)
    supplies[source], supplies[sink] = int(persons.sum()), -int(persons.sum())
    try:
        solved = min_cost_flow(tails, heads, capacities, costs, supplies)
    except FlowError:  # the peak day's persons do not fit with ``unmet_allowed`` unmet: no plan holds it
        return 0.0
    return float(solved.cost) / OPENING_UNITS_PER_MINUTE


def _minutes_lower_bound(instance: Instance, cohorts: Cohorts, unmet_allowed: int) -> float:
    cheapest = np.full(len(instance.groups), np.inf)
    np.minimum.at(cheapest, instance.arc_group, instance.arcs["minutes"].to_numpy(float))
    minutes = cheapest[cohorts.group]
    order = np.argsort(minutes, kind="stable")
    persons = cohorts.persons[order]
    to_place = int(persons.sum()) - int(unmet_allowed)
    taken = np.minimum(persons, np.maximum(to_place - (np.cumsum(persons) - persons), 0))
    chosen = taken > 0
    if not np.isfinite(minutes[order][chosen]).all():
        return 0.0
    return float(np.dot(taken[chosen], minutes[order][chosen]))
