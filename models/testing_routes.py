"""Phase 2 of the testing stage: NAT samples from streets to labs, a min-cost flow over every street -> lab pair.

Pure: arrays and plain tables in, tables out.

Sets: streets ``s`` with ``a_s`` tubes a day, labs ``l`` with capacity ``K_l`` tubes a day; **every** pair
``(s, l)`` is an arc with cost ``c_sl = round(10 * km_sl)`` (tube-km x10) and no capacity.

Variables: ``f_sl`` tubes a day on the pair; ``u_s`` tubes of street ``s`` no lab takes.

Constraints: (4) ``sum_l f_sl + u_s = a_s``; (5) ``sum_s f_sl <= K_l``.

Objective, lexicographic: (i) minimise ``sum u_s`` (tubes unrouted), (ii) tube-km ``sum c_sl f_sl``; one
min-cost flow with the unrouted arc at :data:`SHORTFALL_COST`, above any path's cost, is exactly that order.

Method: the network starts with each street's :data:`START_LABS` nearest labs (a k-d tree on the unit sphere,
so no street x lab matrix is ever held), is solved exactly (OR-Tools ``SimpleMinCostFlow``; a pair's capacity
``min(a_s, K_l)``, which no feasible flow exceeds and which makes the solver faster), and node potentials ``p`` of
its optimum are derived (``models.pricing.residual_potentials``, on the pairs uncapacitated: the same optimum). A
left-out pair has reduced cost
``c_sl - p_s + p_l``; pairs with a negative one enter (at most :data:`ENTERING_PER_STREET` per street a round,
found by :data:`POTENTIAL_BANDS` k-d tree queries) and the flow is solved again, until none is left. Then the
potentials certify the restricted optimum as optimal for the network of every pair (LP duality), so the phase is
``optimal`` for the full model; the integral data give an integral optimum.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.flow import min_cost_flow
from models.geo import EARTH_KM, km
from models.pricing import IntArray, is_member, most_negative_per_group, residual_potentials

START_LABS = 40
"""Nearest labs each street starts with (a start, not a restriction: every other pair is priced). National sample
(38,000 streets, 2,800 labs short of 10 % of the tubes), route_tubes: 8 -> 8.9-9.8 s (4 min-cost flows), 16 ->
7.2-7.8 s, 24 -> 5.3-5.7 s (2 each), 32 -> 7.3-8.1 s, 40 -> 4.5-4.7 s (one flow, no pair left negative), 48 -> 5.7 s,
64 -> 7.1 s; province 0.10, 0.08 and 0.11 s at 8, 24 and 40."""
SHORTFALL_COST = 10**9
"""Cost of a tube no lab takes: above the cost of any street -> lab path (half the Earth's circumference x10)."""
PRICING_ROUNDS = 100
POTENTIAL_BANDS = 16
"""Bands of lab potentials a pricing pass asks the k-d tree about (a tighter radius per band)."""
ENTERING_PER_STREET = 4
"""Most negative left-out pairs a street gains per round (pricing ends only when none is negative)."""


@dataclass(frozen=True)
class Routes:
    """The optimum: tubes a day per arc (street, lab, tubes, cost), tubes unrouted, and the pricing's rounds."""

    street: IntArray
    lab: IntArray
    tubes: IntArray
    cost: IntArray
    unrouted: int
    rounds: int
    proven: bool

    @property
    def arcs(self) -> int:
        """Street -> lab arcs in the final network."""
        return len(self.street)

    @property
    def tube_km_x10(self) -> int:
        return int((self.tubes * self.cost).sum())


def _unit_vectors(frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Points on the unit sphere: the chord between two is monotone in their great-circle distance."""
    lat, lon = np.radians(frame["lat"].to_numpy(float)), np.radians(frame["lon"].to_numpy(float))
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def _pair_costs(streets: pd.DataFrame, labs: pd.DataFrame, street: IntArray, lab: IntArray) -> IntArray:
    """``round(10 * km)`` of the pairs ``(street[k], lab[k])``."""
    distance = km(
        streets["lat"].to_numpy(float)[street],
        streets["lon"].to_numpy(float)[street],
        labs["lat"].to_numpy(float)[lab],
        labs["lon"].to_numpy(float)[lab],
    )
    return np.asarray(np.round(10 * distance), dtype=np.int64)


def _start_arcs(streets: pd.DataFrame, labs: pd.DataFrame, tree: Any) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Each street's :data:`START_LABS` nearest labs (a k-d tree on the unit sphere): (street, lab, cost), and each
    street's largest start cost."""
    count = min(START_LABS, len(labs))
    _, nearest = tree.query(_unit_vectors(streets), k=count)
    lab = np.asarray(nearest, np.int64).reshape(len(streets), count).ravel()
    street = np.repeat(np.arange(len(streets), dtype=np.int64), count)
    cost = _pair_costs(streets, labs, street, lab)
    reach = np.zeros(len(streets), np.int64)
    np.maximum.at(reach, street, cost)
    return street, lab, cost, reach


def _negative_pairs(
    streets: pd.DataFrame, labs: pd.DataFrame, potential: IntArray, inside: IntArray, reach: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """The left-out pairs with ``c_sl - p_s + p_l < 0``, at most :data:`ENTERING_PER_STREET` per street (the most
    negative): (street, lab, cost); empty when none is left.

    The labs are cut into :data:`POTENTIAL_BANDS` bands of ``p_l``. A pair of a band is negative only if
    ``c_sl < R_sb = p_s - min_band p_l``. When ``R_sb`` is at most ``reach_s`` (the cost of the street's furthest
    start lab) every lab that near is a start arc, so the street skips the band; the others ask the band's k-d tree
    for its labs within ``10 km < R_sb + 0.5`` (``round(10 km) < R_sb``) and check those exactly. ``inside``: the
    sorted keys ``street * labs + lab`` of the pairs in the network.
    """
    from scipy.spatial import cKDTree

    street_count, lab_count = len(streets), len(labs)
    lab_potential = potential[street_count : street_count + lab_count]
    street_potential = potential[:street_count]
    points = _unit_vectors(streets)
    order = np.argsort(lab_potential, kind="stable")
    parts: list[tuple[IntArray, IntArray]] = []
    for band in np.array_split(order, min(POTENTIAL_BANDS, lab_count)):
        radius = street_potential - lab_potential[band].min()
        priced = np.flatnonzero(radius > reach)
        if not len(priced):
            continue
        half_angle = (radius[priced] + 0.5) / 10.0 / (2 * EARTH_KM)
        whole = half_angle >= np.pi / 2  # every lab of the band is that near
        parts.append((np.repeat(priced[whole], len(band)), np.tile(band, int(whole.sum()))))
        if (~whole).any():
            found = cKDTree(_unit_vectors(labs.iloc[band])).query_ball_point(
                points[priced[~whole]], 2 * np.sin(half_angle[~whole]) + 1e-12
            )
            counts = np.array([len(near) for near in found], np.int64)
            if counts.sum():
                near = np.concatenate([np.asarray(labs_near, np.int64) for labs_near in found])
                parts.append((np.repeat(priced[~whole], counts), band[near]))
    street = np.concatenate([part[0] for part in parts]) if parts else np.zeros(0, np.int64)
    lab = np.concatenate([part[1] for part in parts]) if parts else np.zeros(0, np.int64)
    cost = _pair_costs(streets, labs, street, lab)
    reduced = cost - street_potential[street] + lab_potential[lab]
    negative = (reduced < 0) & ~is_member(street * lab_count + lab, inside)
    chosen = most_negative_per_group(street, reduced, negative, ENTERING_PER_STREET)
    return street[chosen], lab[chosen], cost[chosen]


def route_tubes(streets: pd.DataFrame, labs: pd.DataFrame, supply: IntArray, deadline: float | None = None) -> Routes:
    """The lexicographic optimum over every street -> lab pair (module docstring).

    Parameters
    ----------
    streets
        lat, lon per street (rows in the order of ``supply``).
    labs
        lat, lon, nat_tests_per_day per lab.
    supply
        Tubes a day per street.
    deadline
        ``time.perf_counter()`` after which no pricing round starts: the last flow is the plan, not proven (50,000
        labs at one spot ran past 5 minutes of rounds at a 2 s limit).
    """
    street_count, lab_count = len(streets), len(labs)
    capacity = labs["nat_tests_per_day"].to_numpy(np.int64)
    from scipy.spatial import cKDTree

    tree = cKDTree(_unit_vectors(labs))
    street, lab, cost, reach = _start_arcs(streets, labs, tree)
    sink, total = street_count + lab_count, int(supply.sum())
    rounds, proven = 0, False
    while True:
        rounds += 1
        tails = np.concatenate([street, street_count + np.arange(lab_count), np.arange(street_count)])
        heads = np.concatenate([street_count + lab, np.full(lab_count, sink), np.full(street_count, sink)])
        tight = np.concatenate([np.minimum(supply[street], capacity[lab]), capacity, supply])
        costs = np.concatenate([cost, np.zeros(lab_count, np.int64), np.full(street_count, SHORTFALL_COST)])
        supplies = np.concatenate([supply, np.zeros(lab_count, np.int64), [-total]])
        flows = min_cost_flow(tails, heads, tight, costs, supplies).flows
        if rounds >= PRICING_ROUNDS or (deadline is not None and time.perf_counter() >= deadline):
            break
        # no feasible flow puts more than min(a_s, K_l) on a pair, so the same flow is optimal with the pairs
        # uncapacitated; that residual network keeps every pair's forward arc, and its potentials certify both
        loose = np.concatenate([np.full(len(street), total), capacity, supply])
        potential = residual_potentials(sink + 1, tails, heads, loose, costs, flows)
        inside = np.sort(street * lab_count + lab)
        more_street, more_lab, more_cost = _negative_pairs(streets, labs, potential, inside, reach)
        if not len(more_street):
            proven = True
            break
        street = np.concatenate([street, more_street])
        lab = np.concatenate([lab, more_lab])
        cost = np.concatenate([cost, more_cost])
    arc_flow = flows[: len(street)]
    unrouted = int(flows[len(street) + lab_count :].sum())
    return Routes(street, lab, arc_flow, cost, unrouted, rounds, proven)


__all__ = ["SHORTFALL_COST", "START_LABS", "Routes", "route_tubes"]
