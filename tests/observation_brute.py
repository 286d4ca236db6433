"""Brute force for tiny phase (iii) cores: every open set of the free candidates, each priced by an LP.

With the open sites fixed, phase (iii) is a transportation problem (a network matrix: its LP optimum is integral),
so enumerating the open sets and solving each LP gives the exact optimum, independently of the stage's methods.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from models.observation.flows import solve_unmet_optimum
from models.observation.instance import prepare
from models.observation.location import Core, build_core


def core_of(
    groups: pd.DataFrame,
    sites: pd.DataFrame,
    arcs: pd.DataFrame,
    persons_per_room: int = 1,
    sites_per_street_min: int = 0,
    barrier_free_for_disabled: bool = True,
    minutes_per_yuan: float = 1.0,
) -> Core:
    instance = prepare(groups, sites, arcs, persons_per_room, sites_per_street_min, barrier_free_for_disabled)
    optimum = solve_unmet_optimum(instance)
    assert optimum is not None
    return build_core(instance, *optimum, minutes_per_yuan)


def transport_cost(core: Core, open_sites: np.ndarray, force_arc: int | None = None) -> float:
    """Least cost of (1)-(3), (6) with ``open_sites`` (and one person at least on ``force_arc``); inf if none."""
    arcs = np.flatnonzero(open_sites[core.arc_site])
    n_arcs, n_groups = len(arcs), core.groups
    size = n_arcs + n_groups
    opening = core.fixed_cost + float(core.opening[open_sites & core.free].sum())
    if size == 0:
        return np.inf if force_arc is not None else opening
    rows = [core.arc_group[arcs], np.arange(n_groups)]
    cols = [np.arange(n_arcs), n_arcs + np.arange(n_groups)]
    balance = coo_matrix((np.ones(size), (np.concatenate(rows), np.concatenate(cols))), shape=(n_groups, size))
    cap_rows = core.arc_site[arcs]
    capacity = coo_matrix((np.ones(n_arcs), (cap_rows, np.arange(n_arcs))), shape=(core.sites, size))
    disabled = np.flatnonzero(core.disabled)
    unmet = coo_matrix(
        (
            np.ones(len(disabled) + n_groups),
            (
                np.concatenate([np.zeros(len(disabled), int), np.ones(n_groups, int)]),
                np.concatenate([n_arcs + disabled, n_arcs + np.arange(n_groups)]),
            ),
        ),
        shape=(2, size),
    )
    lower = np.zeros(size)
    if force_arc is not None:
        where = np.flatnonzero(arcs == force_arc)
        if not len(where):
            return np.inf
        lower[where[0]] = 1.0
    upper = np.concatenate([core.arc_upper[arcs], core.persons.astype(float)])
    found = linprog(
        np.concatenate([core.minutes[arcs], np.zeros(n_groups)]),
        A_ub=np.vstack([capacity.toarray(), unmet.toarray()]),
        b_ub=np.concatenate([np.where(open_sites, core.capacity, 0), [core.unmet_disabled, core.unmet_total]]),
        A_eq=balance.toarray(),
        b_eq=core.persons.astype(float),
        bounds=list(zip(lower, upper, strict=True)),
        method="highs",
    )
    if found.status != 0:
        return np.inf
    return float(found.fun) + opening


def open_sets(core: Core) -> list[np.ndarray]:
    """Every open set of the free candidates that meets the choice streets' deficits."""
    free = np.flatnonzero(core.free)
    found = []
    for chosen in itertools.product([False, True], repeat=len(free)):
        open_sites = core.must.copy()
        open_sites[free] = chosen
        street = core.street[open_sites & core.free & (core.street >= 0)]
        if np.all(np.bincount(street, minlength=len(core.deficit)) >= core.deficit):
            found.append(open_sites)
    return found


def brute_force(core: Core) -> float:
    """The exact optimum of phase (iii)."""
    return min((transport_cost(core, open_sites) for open_sites in open_sets(core)), default=np.inf)
