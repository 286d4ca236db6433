"""The left-out pairs' part of the Lagrangian bound, from one scan whose time is known before it starts.

A transportation phase whose pricing pass its deadline stopped (or never started) has a plan and the potentials of
its restricted solve, but not the negative left-out pairs a bound needs (:mod:`models.pricing`): it is bounded by
each unit at its nearest partner's cost (:mod:`models.nearest_bound`), which ignores those potentials. This module
bounds it with them, without collecting any pair: every left-out pair is scanned in dense blocks
(:func:`models.pricing.dense_candidates`, about :data:`SECONDS_PER_PAIR` a pair, so the scan's time is known from the
pair count alone) and only each demand's and each supplier's least reduced cost is kept.

Bound. For potentials ``p`` and any feasible flow ``x`` over every pair (module docstring of :mod:`models.pricing`),
``c x >= cost(restricted) + sum_{a left out} min(0, c_p(a)) x_a``. The left-out pairs into demand ``d`` carry at most
``inflow(d)`` together and each has ``c_p(a) >= least(d)``, so their part is at least
``inflow(d) * min(0, least(d))``; summed over the demands this bounds the whole sum. By supplier, each block of the
scan holds every pair of its suppliers, so their knapsacks are exact (:func:`models.pricing.capped_by_group`: each
supplier's most negative pairs filled first, each up to ``min(supply, inflow)``, until its supply): the same term as
:meth:`models.pricing.NegativePairs.capped_terms` by supplier. The larger of the two sides is the term returned, in
integer units and in exact minutes (as :class:`models.pricing.Priced` has them). By demand it equals the knapsack
where each demand's least pair can take its whole inflow (a national drug class: almost every demand), and is below
it elsewhere.
"""

from __future__ import annotations

import math

import numpy as np

from models.pricing import (
    PRICING_CHUNK_PAIRS,
    CompleteArcs,
    CostScale,
    FloatArray,
    IntArray,
    capped_by_group,
    dense_candidates,
    is_member,
    summed_below,
)

SECONDS_PER_PAIR = 1e-8
"""Seconds the scan takes per pair, about: a dense block 6 ns, and the exact checks of the pairs that may be negative
(national drug classes after one solve: 10 million pairs in 0.08 s, 45 million in 0.36 s, the antigen kits' 75
million, 4.5 million of them checked, in 1.29 s)."""


def scan_seconds(capacity: tuple[IntArray, IntArray]) -> float:
    """The time :func:`least_reduced_terms` takes for these suppliers' supplies and demands' inflows, about."""
    supply, inflow = capacity
    return float(np.count_nonzero(supply > 0)) * float(np.count_nonzero(inflow > 0)) * SECONDS_PER_PAIR


def least_reduced_terms(
    arcs: CompleteArcs,
    scale: CostScale,
    *,
    potential: IntArray,
    capacity: tuple[IntArray, IntArray],
    restricted: tuple[IntArray, int],
    useless_at: tuple[float, float] = (-math.inf, -math.inf),
) -> tuple[float, float]:
    """The left-out pairs' bound term (module docstring) in integer units and in exact minutes, both non-positive.

    ``potential``: the restricted network's node potentials, the suppliers' first, then the demands' (the node
    layout of :mod:`models.transport`; more nodes after them are ignored). The rest as for
    :func:`models.pricing.price`: capacity (supply, inflow), restricted (sorted keys ``s * stride + d`` of the
    restricted arcs, ``stride``). The sums are taken in floats less a margin far above their rounding error, so
    neither exceeds the true term.

    ``useless_at``: (units, minutes) terms at or below which the caller has a better bound. Each block of the scan
    only lowers both sides of both terms (a supplier's knapsack is its block's alone; a demand's least reduced cost
    only falls), so once both terms are at or below these the scan stops and returns ``(-inf, -inf)``: no bound,
    proven useless (the national antigen kits' potentials bound 0 against 1.35e10 by the nearest partners, after a
    3 s scan).
    """
    supply, inflow = capacity
    supplier_potential = potential[: supply.size]
    demand_potential = potential[supply.size : supply.size + inflow.size]
    potentials = (supplier_potential, demand_potential)
    restricted_keys, stride = restricted
    suppliers, demands = np.flatnonzero(supply > 0), np.flatnonzero(inflow > 0)
    by_supplier = [0.0, 0.0]  # units, minutes: each block holds its suppliers' every pair, so their knapsacks
    least_by_demand = (np.zeros(inflow.size), np.zeros(inflow.size))
    per_chunk = max(1, PRICING_CHUNK_PAIRS // max(1, demands.size))
    for start in range(0, suppliers.size if demands.size else 0, per_chunk):
        pair_supplier, pair_demand = dense_candidates(
            arcs, scale, potentials, suppliers[start : start + per_chunk], demands
        )
        left_out = ~is_member(pair_supplier * stride + pair_demand, restricted_keys)
        pair_supplier, pair_demand = pair_supplier[left_out], pair_demand[left_out]
        minutes = arcs.cost_minutes(pair_supplier, pair_demand)
        units = scale.units(minutes) - supplier_potential[pair_supplier] + demand_potential[pair_demand]
        difference = supplier_potential[pair_supplier] - demand_potential[pair_demand]
        exact = minutes - difference / scale.units_per_minute
        pair_capacity = np.minimum(supply[pair_supplier], inflow[pair_demand])
        for side, reduced in enumerate((np.minimum(units, 0).astype(np.float64), np.minimum(exact, 0.0))):
            by_supplier[side] += capped_by_group(pair_supplier, reduced, pair_capacity, supply)
            np.minimum.at(least_by_demand[side], pair_demand, reduced)
        terms = _terms(by_supplier, least_by_demand, inflow)
        if terms[0] <= useless_at[0] and terms[1] <= useless_at[1]:
            return -math.inf, -math.inf
    return _terms(by_supplier, least_by_demand, inflow)


def _terms(
    by_supplier: list[float], least_by_demand: tuple[FloatArray, FloatArray], inflow: IntArray
) -> tuple[float, float]:
    """The better side of each term (units, minutes) from what the scan has seen."""
    by_demand = [summed_below(least * inflow.astype(np.float64)) for least in least_by_demand]
    return max(by_supplier[0], by_demand[0]), max(by_supplier[1], by_demand[1])
