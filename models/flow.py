"""Shared network-flow helpers for the transportation stages (nursing, drugs).

Both stages are bipartite *supplier -> demand* networks (pools -> needs,
depots -> institutions) solved exactly with OR-Tools' integer flow solvers:

* :class:`MaxFlow` wraps ``SimpleMaxFlow`` built once from numpy arrays; arc
  capacities can be changed between solves (a tier switched on, new lower
  bounds), and the source side of a minimum cut is read back as a mask.
* :func:`min_cost_flow` builds and solves a balanced ``SimpleMinCostFlow`` from
  numpy arrays and returns the flow on every arc and the total cost.
* :func:`suppliers_reaching_unmet` answers the marginal-value question on the
  residual network of a maximum flow: can one more unit at a supplier reach a
  demand that is still short? It is a breadth-first search over residual arcs.
* :func:`cost_units` turns real minutes into the integer unit costs the solver
  needs.

Every function takes plain numpy arrays: node and arc indices are ``int32``,
capacities, supplies and costs ``int64`` (what the vectorised OR-Tools calls
require). Nothing here knows about nurses or drugs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from ortools.graph.python import max_flow
from ortools.graph.python import min_cost_flow as mcf
from scipy import sparse
from scipy.sparse import csgraph

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

COST_UNITS_PER_MINUTE = 100
"""Solver cost resolution: one unit is 1/100 minute, so costs are exact to 0.01 minute."""

MAX_COST_UNITS = 2**40
"""Largest unit cost accepted on one arc (about 2e8 minutes); keeps cost * nodes inside int64."""


class FlowError(RuntimeError):
    """An OR-Tools flow solver returned something other than an optimal flow (a bug, never data)."""


def as_nodes(values: npt.ArrayLike) -> npt.NDArray[np.int32]:
    """Node or arc indices as the contiguous ``int32`` array OR-Tools expects."""
    return np.ascontiguousarray(values, dtype=np.int32)


def as_int64(values: npt.ArrayLike) -> IntArray:
    """Capacities, supplies or costs as the contiguous ``int64`` array OR-Tools expects."""
    return np.ascontiguousarray(values, dtype=np.int64)


def positions(ids: pd.Series | pd.Index, universe: pd.Index) -> IntArray:
    """Position of every id in ``universe`` (``-1`` for an unknown id)."""
    return np.asarray(universe.get_indexer(pd.Index(ids)), dtype=np.int64)


def flat_ranges(starts: npt.ArrayLike, counts: npt.ArrayLike) -> IntArray:
    """``concatenate([arange(start, start + count) for start, count in zip(starts, counts)])``, vectorised (the
    positions of runs given by their first position and length)."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    before = np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(np.asarray(starts, dtype=np.int64), counts) + (np.arange(total, dtype=np.int64) - before)


def unique_ints(*arrays: npt.ArrayLike) -> IntArray:
    """The sorted distinct values of integer arrays together: ``np.unique(np.concatenate(arrays))`` (and
    ``np.union1d`` of two), by a sort. numpy 2.4 finds the distinct values of an integer array in a hash table:
    1.8 s for 2 million values against 0.02 s by a sort (0.02 s for the same values as floats); a national daily
    observation model spent 3.6 s in three such unions. Arrays of other kinds go to ``np.unique``."""
    values = np.concatenate([np.ravel(np.asarray(array)) for array in arrays]) if arrays else np.zeros(0, np.int64)
    if values.dtype.kind not in "iu":
        return np.unique(values)
    ordered = np.sort(values)
    first = np.ones(ordered.size, dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def grouped(keys: IntArray, count: int, within: npt.ArrayLike | None = None) -> tuple[IntArray, IntArray]:
    """The entries grouped by key ``0 .. count - 1``: row pointers (``count + 1``) and the entries' positions in key
    order (within a key by ``within`` where given, then in input order); key ``k``'s entries are
    ``positions[pointers[k] : pointers[k + 1]]``."""
    order = np.argsort(keys, kind="stable") if within is None else np.lexsort((np.asarray(within), keys))
    return np.searchsorted(keys[order], np.arange(count + 1)), order


def members(keys: IntArray, count: int) -> list[IntArray]:
    """Positions of each key ``0..count-1`` in ``keys``, each in input order."""
    if count == 0:
        return []
    order = np.argsort(keys, kind="stable")
    return np.split(order, np.cumsum(np.bincount(keys, minlength=count))[:-1])


def cost_units(minutes: npt.ArrayLike) -> IntArray:
    """Minutes as integer solver costs (:data:`COST_UNITS_PER_MINUTE` per minute, rounded).

    Raises
    ------
    ValueError
        If a cost is negative, not finite, or above :data:`MAX_COST_UNITS`.
    """
    scaled = np.asarray(minutes, dtype=np.float64) * COST_UNITS_PER_MINUTE
    if scaled.size and (not np.all(np.isfinite(scaled)) or scaled.min() < 0 or scaled.max() > MAX_COST_UNITS):
        raise ValueError("Expected finite, non-negative minutes below 2e8 on every arc.")
    return np.rint(scaled).astype(np.int64)


class MaxFlow:
    """A maximum-flow network built once; capacities may change between solves.

    Parameters
    ----------
    tails, heads
        Arc end points (node indices ``0 .. num_nodes-1``).
    capacities
        Initial arc capacities (non-negative).
    """

    def __init__(self, tails: npt.ArrayLike, heads: npt.ArrayLike, capacities: npt.ArrayLike) -> None:
        self._solver = max_flow.SimpleMaxFlow()
        added = self._solver.add_arcs_with_capacity(as_nodes(tails), as_nodes(heads), as_int64(capacities))
        self._arcs = as_nodes(added)
        self._max_flow = max_flow

    @property
    def num_arcs(self) -> int:
        return int(self._arcs.size)

    def set_capacities(self, arcs: npt.ArrayLike, capacities: npt.ArrayLike) -> None:
        """Set the capacity of the arcs ``arcs`` (indices in the order they were added)."""
        self._solver.set_arcs_capacity(as_nodes(arcs), as_int64(capacities))

    def solve(self, source: int, sink: int) -> int:
        """The maximum flow value from ``source`` to ``sink``.

        Raises
        ------
        FlowError
            If the solver does not report an optimal flow.
        """
        status = self._solver.solve(int(source), int(sink))
        if status != self._max_flow.SimpleMaxFlow.OPTIMAL:
            raise FlowError(f"SimpleMaxFlow returned {status}.")
        return int(self._solver.optimal_flow())

    def flows(self) -> IntArray:
        """Flow on every arc of the last solve, in the order the arcs were added."""
        return np.asarray(self._solver.flows(self._arcs), dtype=np.int64)

    def source_side(self, num_nodes: int) -> BoolArray:
        """Mask of the nodes on the source side of a minimum cut of the last solve."""
        side = np.zeros(num_nodes, dtype=bool)
        side[np.asarray(self._solver.get_source_side_min_cut(), dtype=np.int64)] = True
        return side


class Network:
    """An arc list under construction: nodes ``0 .. num_nodes-1``, arcs added family by family.

    Each ``add_arcs`` call returns the indices of the arcs it added, so a model
    can name its arc families (``assign_arcs``, ``unused_arcs``, ...) and read
    their flows back after a solve.
    """

    def __init__(self, num_nodes: int) -> None:
        self.num_nodes = int(num_nodes)
        self.supplies: IntArray = np.zeros(self.num_nodes, dtype=np.int64)
        self._tails: list[IntArray] = []
        self._heads: list[IntArray] = []
        self._capacities: list[IntArray] = []
        self._costs: list[IntArray] = []
        self.num_arcs = 0

    def add_arcs(
        self, tails: npt.ArrayLike, heads: npt.ArrayLike, capacities: npt.ArrayLike, unit_costs: npt.ArrayLike = 0
    ) -> IntArray:
        """Append arcs (scalars broadcast) and return their indices."""
        tail_array, head_array, capacity_array, cost_array = np.broadcast_arrays(
            np.asarray(tails, dtype=np.int64),
            np.asarray(heads, dtype=np.int64),
            np.asarray(capacities, dtype=np.int64),
            np.asarray(unit_costs, dtype=np.int64),
        )
        self._tails.append(tail_array.ravel())
        self._heads.append(head_array.ravel())
        self._capacities.append(capacity_array.ravel())
        self._costs.append(cost_array.ravel())
        added = np.arange(self.num_arcs, self.num_arcs + tail_array.size, dtype=np.int64)
        self.num_arcs += int(tail_array.size)
        return added

    def add_supplies(self, nodes: npt.ArrayLike, supplies: npt.ArrayLike) -> None:
        """Add supply (> 0) or demand (< 0) at ``nodes``."""
        np.add.at(self.supplies, np.asarray(nodes, dtype=np.int64), np.asarray(supplies, dtype=np.int64))

    def arrays(self) -> tuple[IntArray, IntArray, IntArray, IntArray]:
        """Tails, heads, capacities and unit costs of every arc, in the order added."""

        def joined(parts: list[IntArray]) -> IntArray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

        return joined(self._tails), joined(self._heads), joined(self._capacities), joined(self._costs)

    def max_flow(self) -> MaxFlow:
        """The network as a :class:`MaxFlow` (costs and supplies ignored)."""
        tails, heads, capacities, _ = self.arrays()
        return MaxFlow(tails, heads, capacities)

    def min_cost_flow(self) -> MinCostFlowSolution:
        """Solve the network as a balanced min-cost flow with its supplies."""
        tails, heads, capacities, costs = self.arrays()
        return min_cost_flow(tails, heads, capacities, costs, self.supplies)


@dataclass(frozen=True)
class MinCostFlowSolution:
    """An optimal integer flow: ``flows`` per arc (input order) and the total ``cost`` in solver units."""

    flows: IntArray
    cost: int


def min_cost_flow(
    tails: npt.ArrayLike,
    heads: npt.ArrayLike,
    capacities: npt.ArrayLike,
    unit_costs: npt.ArrayLike,
    supplies: npt.ArrayLike,
    *,
    turned: bool = False,
) -> MinCostFlowSolution:
    """Solve a balanced min-cost flow exactly.

    With ``turned`` OR-Tools solves the network turned around: every arc reversed and every supply negated. A flow
    is feasible for one exactly when it is for the other, arc by arc, at the same cost: the same problem, which
    OR-Tools' cost-scaling push-relabel solves faster or slower depending on the network (measured, minimum of 2-3
    runs): the transport stages' networks, many suppliers into a few class and spare nodes, faster (the province's
    18 nursing and drug networks 2.50 -> 2.20 s; the national drug classes' first solves 5.2 -> 3.3 s and 8.8 ->
    6.6 s); the testing routes slower (province 70 -> 91 ms, national 2.95 -> 3.56 s), as are the daily
    observation's window flows (0.82 -> 1.12 s). Among several optimal flows it may return another one.

    Parameters
    ----------
    tails, heads, capacities, unit_costs
        One entry per arc.
    supplies
        Supply (> 0) or demand (< 0) of every node ``0 .. len(supplies)-1``; must sum to 0.

    Raises
    ------
    FlowError
        If the supplies are unbalanced or the solver does not report an optimal flow
        (the callers build networks that are always feasible).
    """
    supply_array = as_int64(supplies)
    if int(supply_array.sum()) != 0:
        raise FlowError(f"Unbalanced supplies (sum {int(supply_array.sum())}).")
    solver = mcf.SimpleMinCostFlow()
    if turned:
        tails, heads, supply_array = heads, tails, -supply_array
    arcs = solver.add_arcs_with_capacity_and_unit_cost(
        as_nodes(tails), as_nodes(heads), as_int64(capacities), as_int64(unit_costs)
    )
    solver.set_nodes_supplies(as_nodes(np.arange(supply_array.size)), supply_array)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise FlowError(f"SimpleMinCostFlow returned {status}.")
    flows = np.asarray(solver.flows(as_nodes(arcs)), dtype=np.int64)
    return MinCostFlowSolution(flows=flows, cost=int(solver.optimal_cost()))


def suppliers_reaching_unmet(
    arc_supplier: IntArray,
    arc_demand: IntArray,
    arc_flow: IntArray,
    unmet: BoolArray,
    num_suppliers: int,
) -> BoolArray:
    """Suppliers from which the residual network reaches a demand that is still short.

    The network is *source -> supplier -> demand -> sink* with uncapacitated
    supplier -> demand arcs (a capacity at least the demand's size changes no
    maximum flow). In the residual network of a maximum flow, one more unit of
    supply at supplier ``s`` raises the maximum flow by one exactly when there is
    a path from ``s`` to an unmet demand: forward along any arc ``s -> d``,
    backward along an arc ``s' -> d`` that carries flow. A reverse
    breadth-first search from the unmet demands answers it for every supplier.

    Parameters
    ----------
    arc_supplier, arc_demand, arc_flow
        One entry per supplier -> demand arc (indices into suppliers and demands).
    unmet
        Per demand: true when its inflow is below its size.
    num_suppliers
        Number of suppliers.

    Returns
    -------
    numpy.ndarray
        Boolean mask over suppliers.
    """
    num_demands = int(unmet.size)
    root = num_suppliers + num_demands
    unmet_demands = np.flatnonzero(unmet)
    if unmet_demands.size == 0 or num_suppliers == 0:
        return np.zeros(num_suppliers, dtype=bool)
    carrying = arc_flow > 0
    # Reverse residual search: root -> unmet demand; demand -> every supplier with an arc into it
    # (reversed forward arc); supplier -> every demand it sends flow to (reversed backward arc).
    tails = np.concatenate(
        [np.full(unmet_demands.size, root), num_suppliers + arc_demand, arc_supplier[carrying]]
    ).astype(np.int64)
    heads = np.concatenate([num_suppliers + unmet_demands, arc_supplier, num_suppliers + arc_demand[carrying]]).astype(
        np.int64
    )
    graph = sparse.csr_matrix((np.ones(tails.size), (tails, heads)), shape=(root + 1, root + 1))
    reached_nodes = csgraph.breadth_first_order(graph, root, directed=True, return_predecessors=False)
    reached = np.zeros(root + 1, dtype=bool)
    reached[reached_nodes] = True
    return reached[:num_suppliers]


def dedupe_arcs(supplier: IntArray, demand: IntArray, minutes: FloatArray) -> IntArray:
    """Indices of the arcs to keep: known end points (index >= 0), the fastest of each supplier-demand pair."""
    known = np.flatnonzero((supplier >= 0) & (demand >= 0) & np.isfinite(minutes))
    pair = supplier[known] * (int(demand.max(initial=0)) + 1) + demand[known]
    order = np.argsort(pair)
    repeated = pair[order][1:] == pair[order][:-1]
    if not repeated.any():
        return known
    in_repeated_pair = np.zeros(order.size, dtype=bool)
    in_repeated_pair[1:] |= repeated
    in_repeated_pair[:-1] |= repeated
    candidates = order[in_repeated_pair]
    candidates = candidates[np.lexsort((minutes[known][candidates], pair[candidates]))]  # by pair, fastest first
    fastest = np.ones(candidates.size, dtype=bool)
    fastest[1:] = pair[candidates][1:] != pair[candidates][:-1]
    keep = np.concatenate([order[~in_repeated_pair], candidates[fastest]])
    return np.sort(known[keep]).astype(np.int64)
