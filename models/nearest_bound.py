"""A bound on a transportation phase over every pair that needs no pricing: each unit at its end's nearest cost.

Used when a pricing pass is stopped by its deadline (``models.transport``): the Lagrangian bound needs every
negative pair, the bound here only each supplier's and each demand's nearest partner. Both are values of feasible
duals of the transportation LP (a supplier's dual 0 and a demand's its nearest supplier's cost, or the other way
round), so each is at most the optimum over every pair; the phase takes the larger.

Sets and data
-------------
``S`` suppliers with ``supply_s > 0``; ``D`` demands with ``inflow_d > 0``; outlets ``(d, k)`` of capacity
``cap_dk`` into classes ``k`` that take exactly ``total_k`` units, ``F = sum_k total_k``; ``c_sd`` the cost of a pair.

Bounds
------
(1) *By supplier.* Every unit leaves some supplier ``s`` at a cost of at least ``n_s = min_{d in D} c_sd``, and
    ``s`` sends at most ``supply_s``: the optimum is at least the cheapest ``F`` units of ``(n_s, supply_s)``.
(2) *By demand.* Every unit of class ``k`` enters through an outlet of some demand ``d`` at a cost of at least
    ``m_d = min_{s in S} c_sd``: at least ``sum_k`` of the cheapest ``total_k`` units of ``(m_d, cap_dk)``.

Exactness of the nearest costs. A restricted arc ``(s, d)`` already in the phase costs ``r`` and bounds the
nearest partner's cost from above, so every pair within ``r`` (which :meth:`models.pricing.CompleteArcs.near`
returns, with others) holds the nearest. A supplier or demand with no restricted arc to the other side counts at
cost 0 (a lower bound). Demands are searched in bands of their radius, cheapest first.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from models.pricing import CompleteArcs, FloatArray, IntArray

BAND_DEMANDS = 4_096
"""Demands searched together for their nearest supplier (the band's radius is its largest)."""
SAFETY = 1e-12
"""Relative margin taken off the bound for the rounding of its float sums."""


def nearest_cost_bound(
    complete: CompleteArcs,
    capacity: tuple[IntArray, IntArray],
    outlets: tuple[IntArray, IntArray, IntArray, IntArray],
    restricted: tuple[IntArray, IntArray, FloatArray],
) -> float:
    """The larger of bounds (1) and (2) (module docstring), minus :data:`SAFETY`; 0 when nothing ships.

    ``capacity`` = (supply per supplier, inflow per demand); ``outlets`` = (demand, class, capacity of each
    outlet, total per class); ``restricted`` = (supplier, demand, cost) of the arcs the phase holds.
    """
    supply, inflow = capacity
    outlet_demand, outlet_class, outlet_capacity, class_total = outlets
    flow_total = int(class_total.sum())
    if flow_total <= 0:
        return 0.0
    by_supplier = cheapest_units(nearest_of_suppliers(complete, supply, inflow, restricted), supply, flow_total)
    nearest_demand = nearest_of_demands(complete, supply, inflow, restricted)
    by_demand = sum(
        cheapest_units(nearest_demand[outlet_demand[mine]], outlet_capacity[mine], int(class_total[k]))
        for k in range(class_total.size)
        if (mine := outlet_class == k).any()
    )
    return max(0.0, max(by_supplier, by_demand) * (1.0 - SAFETY))


def cheapest_units(unit_cost: FloatArray, units: IntArray, total: int) -> float:
    """The cost of the ``total`` cheapest units when ``units[i]`` cost ``unit_cost[i]`` each (all of them when
    fewer: a lower bound either way)."""
    order = np.argsort(unit_cost, kind="stable")
    taken = np.minimum(units[order], np.maximum(total - np.concatenate([[0], np.cumsum(units[order])[:-1]]), 0))
    return float(np.dot(unit_cost[order], taken.astype(np.float64)))


def nearest_of_suppliers(
    complete: CompleteArcs, supply: IntArray, inflow: IntArray, restricted: tuple[IntArray, IntArray, FloatArray]
) -> FloatArray:
    """``n_s``: each supplier's cost to its nearest demand with inflow (0 without a restricted arc to one)."""
    arc_supplier, arc_demand, arc_cost = restricted
    radius, searched, nearest = _search_start(arc_supplier, arc_cost, inflow[arc_demand] > 0, supply > 0)
    if searched.size:
        pair_supplier, pair_demand = complete.near(searched, radius[searched], np.flatnonzero(inflow > 0))
        np.minimum.at(nearest, pair_supplier, complete.cost_minutes(pair_supplier, pair_demand))
    return nearest


def nearest_of_demands(
    complete: CompleteArcs, supply: IntArray, inflow: IntArray, restricted: tuple[IntArray, IntArray, FloatArray]
) -> FloatArray:
    """``m_d``: each demand's cost to its nearest supplier with supply (0 without a restricted arc from one)."""
    arc_supplier, arc_demand, arc_cost = restricted
    radius, searched, nearest = _search_start(arc_demand, arc_cost, supply[arc_supplier] > 0, inflow > 0)
    suppliers = np.flatnonzero(supply > 0)
    searched = searched[np.argsort(radius[searched], kind="stable")]
    for start in range(0, searched.size, BAND_DEMANDS):
        band = searched[start : start + BAND_DEMANDS]
        widest = np.full(suppliers.size, float(radius[band].max()))
        pair_supplier, pair_demand = complete.near(suppliers, widest, band)
        np.minimum.at(nearest, pair_demand, complete.cost_minutes(pair_supplier, pair_demand))
    return nearest


def _search_start(
    end: IntArray, cost: FloatArray, usable: npt.NDArray[np.bool_], active: npt.NDArray[np.bool_]
) -> tuple[FloatArray, IntArray, FloatArray]:
    """For each end (``active``: the ends that ship or take anything): its radius, the least ``cost`` of its
    ``usable`` restricted arcs (inf without one); the active ends with a radius, to search; and their nearest
    partner's cost so far, the radius (0 for an end not searched: a lower bound)."""
    radius = np.full(active.size, np.inf)
    np.minimum.at(radius, end[usable], cost[usable])
    searched = np.flatnonzero(np.isfinite(radius) & active)
    nearest = np.zeros(active.size)
    nearest[searched] = radius[searched]
    return radius, searched, nearest


__all__ = ["cheapest_units", "nearest_cost_bound", "nearest_of_demands", "nearest_of_suppliers"]
