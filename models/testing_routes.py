"""Phase 2 of the testing stage: NAT samples from streets to labs, a min-cost flow over every street -> lab pair.

Pure: arrays and plain tables in, tables out.

Sets: streets ``s`` with ``a_s`` tubes a day, labs ``l`` with capacity ``K_l`` tubes a day; **every** pair
``(s, l)`` is an arc with cost ``c_sl = round(10 * km_sl)`` (tube-km x10) and no capacity.

Variables: ``f_sl`` tubes a day on the pair; ``u_s`` tubes of street ``s`` no lab takes.

Constraints: (4) ``sum_l f_sl + u_s = a_s``; (5) ``sum_s f_sl <= K_l``.

Objective, lexicographic: (i) minimise ``sum u_s`` (tubes unrouted), (ii) tube-km ``sum c_sl f_sl``; one
min-cost flow with the unrouted arc at :data:`SHORTFALL_COST`, above any path's cost, is exactly that order.

Method: the network starts with each street's :data:`START_LABS` nearest labs (found a block of streets at a
time, so memory stays bounded), is solved exactly (OR-Tools ``SimpleMinCostFlow``), and node potentials ``p``
of its optimum are derived (``models.pricing.residual_potentials``). A left-out pair has reduced cost
``c_sl - p_s + p_l``; every pair with a negative one enters and the flow is solved again, until none is left.
Then the potentials certify the restricted optimum as optimal for the network of every pair (LP duality), so
the phase is ``optimal`` for the full model; the integral data give an integral optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.flow import min_cost_flow
from models.geo import km
from models.pricing import residual_potentials

START_LABS = 8
"""Nearest labs each street starts with (a start, not a restriction: every other pair is priced)."""
SHORTFALL_COST = 10**9
"""Cost of a tube no lab takes: above the cost of any street -> lab path (half the Earth's circumference x10)."""
BLOCK_PAIRS = 4_000_000
"""Pairs whose distances are held at once while the start arcs are found and pairs are priced."""
PRICING_ROUNDS = 100
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Routes:
    """The optimum: tubes a day per arc (street, lab, tubes, cost), tubes unrouted, and the pricing's rounds."""

    street: IntArray
    lab: IntArray
    tubes: IntArray
    cost: IntArray
    unrouted: int
    rounds: int
    arcs: int
    proven: bool

    @property
    def tube_km_x10(self) -> int:
        return int((self.tubes * self.cost).sum())


def _costs(streets: pd.DataFrame, labs: pd.DataFrame, rows: slice) -> npt.NDArray[np.int64]:
    """``round(10 * km)`` from the streets of ``rows`` to every lab."""
    distance = km(
        streets["lat"].to_numpy(float)[rows, None],
        streets["lon"].to_numpy(float)[rows, None],
        labs["lat"].to_numpy(float)[None, :],
        labs["lon"].to_numpy(float)[None, :],
    )
    return np.asarray(np.round(10 * distance), dtype=np.int64)


def _blocks(streets: int, labs: int) -> list[slice]:
    step = max(1, BLOCK_PAIRS // max(labs, 1))
    return [slice(first, min(first + step, streets)) for first in range(0, streets, step)]


def _start_arcs(streets: pd.DataFrame, labs: pd.DataFrame) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Each street's :data:`START_LABS` nearest labs: (street, lab, cost), and each street's largest start cost."""
    count = min(START_LABS, len(labs))
    parts = []
    for rows in _blocks(len(streets), len(labs)):
        cost = _costs(streets, labs, rows)
        if count < len(labs):
            nearest = np.argpartition(cost, count - 1, axis=1)[:, :count]
        else:
            nearest = np.tile(np.arange(len(labs)), (cost.shape[0], 1))
        street = np.repeat(np.arange(rows.start, rows.stop), count)
        lab = nearest.ravel()
        parts.append((street, lab, cost[street - rows.start, lab]))
    street, lab, cost = (np.concatenate([part[i] for part in parts]).astype(np.int64) for i in range(3))
    reach = np.zeros(len(streets), np.int64)
    np.maximum.at(reach, street, cost)
    return street, lab, cost, reach


def _negative_pairs(
    streets: pd.DataFrame, labs: pd.DataFrame, potential: IntArray, inside: set[int], reach: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Every left-out pair with ``c_sl - p_s + p_l < 0``: (street, lab, cost).

    A pair is negative only if ``c_sl < p_s - p_l <= p_s - min_l p_l``; when that is at most ``reach_s`` (the
    cost of the street's furthest start lab), every lab that near is a start arc, so the street has no negative
    left-out pair and is skipped.
    """
    street_count, lab_count = len(streets), len(labs)
    lab_potential = potential[street_count : street_count + lab_count]
    priced = np.flatnonzero(potential[:street_count] - lab_potential.min(initial=0) > reach)
    found = []
    for rows in _blocks(len(priced), lab_count):
        chosen = priced[rows]
        cost = _costs(streets.iloc[chosen], labs, slice(None))
        reduced = cost - potential[chosen][:, None] + lab_potential[None, :]
        position, lab = np.nonzero(reduced < 0)
        street = chosen[position]
        keys = street * lab_count + lab
        fresh = np.array([key not in inside for key in keys.tolist()], bool)
        if fresh.any():
            found.append((street[fresh], lab[fresh], cost[position[fresh], lab[fresh]]))
    if not found:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    street, lab, cost = (np.concatenate([part[i] for part in found]).astype(np.int64) for i in range(3))
    return street, lab, cost


def route_tubes(streets: pd.DataFrame, labs: pd.DataFrame, supply: IntArray) -> Routes:
    """The lexicographic optimum over every street -> lab pair (module docstring).

    Parameters
    ----------
    streets
        lat, lon per street (rows in the order of ``supply``).
    labs
        lat, lon, nat_tests_per_day per lab.
    supply
        Tubes a day per street.
    """
    street_count, lab_count = len(streets), len(labs)
    capacity = labs["nat_tests_per_day"].to_numpy(np.int64)
    street, lab, cost, reach = _start_arcs(streets, labs)
    inside = set((street * lab_count + lab).tolist())
    sink, total = street_count + lab_count, int(supply.sum())
    rounds, proven = 0, False
    while True:
        rounds += 1
        tails = np.concatenate([street, street_count + np.arange(lab_count), np.arange(street_count)])
        heads = np.concatenate([street_count + lab, np.full(lab_count, sink), np.full(street_count, sink)])
        caps = np.concatenate([np.full(len(street), total), capacity, supply])
        costs = np.concatenate([cost, np.zeros(lab_count, np.int64), np.full(street_count, SHORTFALL_COST)])
        supplies = np.concatenate([supply, np.zeros(lab_count, np.int64), [-total]])
        flows = min_cost_flow(tails, heads, caps, costs, supplies).flows
        if rounds >= PRICING_ROUNDS:
            break
        potential = residual_potentials(sink + 1, tails, heads, caps, costs, flows)
        more_street, more_lab, more_cost = _negative_pairs(streets, labs, potential, inside, reach)
        if not len(more_street):
            proven = True
            break
        street = np.concatenate([street, more_street])
        lab = np.concatenate([lab, more_lab])
        cost = np.concatenate([cost, more_cost])
        inside.update((more_street * lab_count + more_lab).tolist())
    arc_flow = flows[: len(street)]
    unrouted = int(flows[len(street) + lab_count :].sum())
    return Routes(street, lab, arc_flow, cost, unrouted, rounds, len(street), proven)


__all__ = ["BLOCK_PAIRS", "SHORTFALL_COST", "START_LABS", "Routes", "route_tubes"]
