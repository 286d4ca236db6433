"""Stage 4 — depot stock to institutions' drug reserves, exact integer packs (DESIGN §5.4).

Every drug class ``g`` is an independent problem (no arc, stock or need is shared between
classes); the stage solves them one after the other and reports them together.

Sets (for one drug class)
-------------------------
``D``  depots ``d`` holding ``stock_d`` packs (already ``floor(stock_factor * stock)``).
``I``  institutions ``i`` with ``need_i = max(0, target_i - on_hand_i) > 0`` packs.
``A``  arcs ``(d, i)`` a depot may ship on (any depot may serve any institution; the pipeline
       may keep the nearest), with travel ``minutes_di``.
``Q``  priority institutions: ``kind`` in ``priority_kinds`` (care homes and clinics first —
       resources lean toward the elderly), ``need_i > 0``, and at least one arc from a depot
       with stock. A priority institution no stocked depot can reach gets nothing whatever the
       plan; it is reported (``no_depot_in_reach`` / ``stock_short``, counted in
       ``priority_unreachable``) but left out of the max-min, which would otherwise be 0 for
       every plan and void.

Variables
---------
``packs_di`` (integer >= 0)  packs shipped from depot ``d`` to institution ``i``, ``(d, i) in A``;
``allocated_i = sum_d packs_di``; ``shortfall_i = need_i - allocated_i``.

Constraints
-----------
(1) depot stock     ``sum_i packs_di <= stock_d``                    (:func:`add_depot_stock`)
(2) shipments       ``packs_di`` only on arcs of ``A``                (:func:`add_shipment_arcs`)
(3) need            ``allocated_i <= need_i``                          (:func:`add_institution_needs`)
(4) fill floor      ``allocated_i >= ceil(t* need_i)`` for ``i in Q``, ``t*`` the optimum of
                    phase (i)                                          (:func:`add_fill_floors`)

Lexicographic objective
-----------------------
(i)   maximise the lowest fill rate ``t = min_{i in Q} allocated_i / need_i``;
(ii)  minimise the total shortfall ``sum_i shortfall_i`` over all institutions (hospitals too);
(iii) minimise pack-minutes ``sum minutes_di packs_di``.

Method and proof of exactness
-----------------------------
(i) A fill rate ``t`` is *achievable* when some flow satisfies (1)-(3) and
``allocated_i >= L_i(t) = ceil(t need_i)`` on ``Q`` — equivalently when the maximum flow of
source -> depot (cap ``stock_d``) -> institution (uncapacitated) -> sink (cap ``L_i(t)``)
saturates every sink arc. ``L_i`` is non-decreasing in ``t``, so achievability is monotone, and
the optimum ``t* = max_flows min_{i in Q} allocated_i / need_i`` is the largest achievable ``t``
(a flow with minimum ``m`` has ``allocated_i >= ceil(m need_i)``; conversely ``ceil(t need_i) >=
t need_i``). The set ``{t : sum_{i in X} ceil(t need_i) <= c}`` is a closed interval ``[0, t_X]``
whose end is a breakpoint ``k / need_j`` (``ceil`` is left-continuous), so ``t*`` lies in the
finite candidate set ``{k / need_i : i in Q, 0 <= k <= need_i}`` — the integer lattice, not
``stock / need``: one pack and two homes needing one each give ``t* = 0``.
Search: start at ``t = 1``. If ``t`` is not achievable, the minimum cut (source side ``S``)
has no uncapacitated arc, so the priority institutions ``X`` on the sink side have all their
depots ``N(X)`` on the sink side and ``stock(N(X)) <= stock(D \\ S) < sum_{i in X} L_i(t)``: a
violated Hall condition that every achievable ``t'`` must satisfy,
``sum_{i in X} ceil(t' need_i) <= stock(N(X))``. Jump to the largest candidate ``t_X`` meeting
it (``t* <= t_X < t``; found by bisection over the candidates of ``X`` in
``[(c - |X|) / sum need_X, c / sum need_X]``) and repeat. ``t`` strictly decreases through a finite
set and never passes ``t*``, so the first achievable ``t`` is ``t*`` (a Newton-type descent; a few
maximum flows in practice instead of a bisection over all candidates). Rationals are kept as
integer pairs; the candidates are ordered by their correctly rounded doubles, exact while every
need is below 2**24 packs (distinct candidates differ by at least 2**-48).

(ii) The minimum total shortfall is ``sum need - F`` with ``F`` the maximum flow without floors:
from a flow meeting the floors, augmenting paths (simple source -> sink paths) never reduce
the flow on an institution -> sink arc, so they reach ``F`` keeping every floor.

(iii) One min-cost flow with supplies ``stock_d``; institution ``i`` sends ``L_i`` to a *floor*
node demanding ``sum L`` (4) and at most ``need_i - L_i`` to a *rest* node demanding
``F - sum L``; unshipped stock goes to a *spare* node demanding ``sum stock - F``. Feasible by
(ii), and its optimum is the lexicographic optimum. No weights are combined, so nothing can
overflow ``int64`` (unit costs are minutes in 1/100 minute, see :mod:`models.flow`).

Marginal value of a pack: the final flow is a maximum flow; one more pack at depot ``d``
removes one pack of shortfall exactly when the residual network has a path from ``d`` to an
institution still short (:func:`models.flow.suppliers_reaching_unmet`): 1, else 0.

Output tables
-------------
``targets``      institution_id, kind, drug, target, on_hand, need, allocated, shortfall,
                 fill_rate (1.0 where need is 0), reason (``stock_short`` when short with a
                 depot in reach, ``no_depot_in_reach`` when no arc from a depot of the class),
                 district_id, priority, in_max_min, fill_floor.
``allocations``  depot_id, institution_id, drug, quantity, minutes, pack_minutes.
``depots``       depot_id, drug, stock, shipped, marginal_value, district_id, remaining.
``fill``         drug, lowest_fill_rate (``t*``; 1.0 when no priority institution is short),
                 priority_institutions (in the max-min), shortfall, need, allocated,
                 pack_minutes, priority_unreachable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.base import Phase, SolveOptions, StageResult, Status, stopwatch
from models.flow import (
    BoolArray,
    FloatArray,
    FlowError,
    IntArray,
    MaxFlow,
    Network,
    cost_units,
    dedupe_arcs,
    positions,
    suppliers_reaching_unmet,
)

STAGE = "drugs"
DEFAULT_PRIORITY_KINDS: tuple[str, ...] = ("care_home", "clinic")
"""Institution kinds whose lowest fill rate is maximised first."""
MAX_NEED_PACKS = 2**24
"""Needs must stay below this many packs for the exact ordering of fill-rate candidates."""
MAX_STOCK_PACKS = 2**38
"""Stock per class must stay below this many packs: ``stock * need`` products then fit in ``int64``."""

TARGET_COLUMNS = [
    "institution_id",
    "kind",
    "drug",
    "target",
    "on_hand",
    "need",
    "allocated",
    "shortfall",
    "fill_rate",
    "reason",
    "district_id",
    "priority",
    "in_max_min",
    "fill_floor",
]
ALLOCATION_COLUMNS = ["depot_id", "institution_id", "drug", "quantity", "minutes", "pack_minutes"]
DEPOT_COLUMNS = ["depot_id", "drug", "stock", "shipped", "marginal_value", "district_id", "remaining"]
FILL_COLUMNS = [
    "drug",
    "lowest_fill_rate",
    "priority_institutions",
    "shortfall",
    "need",
    "allocated",
    "pack_minutes",
    "priority_unreachable",
]


@dataclass(frozen=True)
class Fraction:
    """A fill rate ``numerator / denominator`` kept exact (``0 <= value <= 1``)."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float:
        return self.numerator / self.denominator

    def floors(self, needs: IntArray) -> IntArray:
        """``ceil(value * need)`` for every need, in exact integer arithmetic."""
        return ceil_div(self.numerator * needs, self.denominator)


@dataclass(frozen=True)
class DrugInstance:
    """One drug class: depots, institutions with need > 0, and the arcs between them.

    ``arc_depot`` / ``arc_institution`` index ``depots`` / ``institutions``.
    """

    drug: str
    depots: pd.DataFrame
    institutions: pd.DataFrame
    arc_depot: IntArray
    arc_institution: IntArray
    arc_minutes: FloatArray
    arc_cost: IntArray
    priority: BoolArray
    """Institutions of a priority kind with need > 0."""
    in_max_min: BoolArray
    """Priority institutions some depot with stock can reach: the set ``Q`` of the max-min."""

    @property
    def num_depots(self) -> int:
        return len(self.depots)

    @property
    def num_institutions(self) -> int:
        return len(self.institutions)

    @property
    def stock(self) -> IntArray:
        return self.depots["stock"].to_numpy(dtype=np.int64)

    @property
    def need(self) -> IntArray:
        return self.institutions["need"].to_numpy(dtype=np.int64)


@dataclass(frozen=True)
class DrugSolution:
    """The lexicographic optimum of one drug class."""

    lowest_fill: Fraction
    fill_floor: IntArray
    arc_packs: IntArray
    max_flows: int
    seconds_max_flow: float = 0.0
    seconds_min_cost: float = 0.0


def ceil_div(numerators: IntArray, denominator: int) -> IntArray:
    """``ceil(numerators / denominator)`` in exact integer arithmetic."""
    return -((-numerators) // denominator)


def solve_drugs(
    depots: pd.DataFrame,
    targets: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    priority_kinds: tuple[str, ...] = DEFAULT_PRIORITY_KINDS,
    options: SolveOptions = SolveOptions(),  # noqa: B008 - frozen dataclass, safe default
) -> StageResult:
    """Allocate depot packs to institutions: max-min priority fill rate, then shortfall, then pack-minutes.

    Parameters
    ----------
    depots
        ``depot_id, district_id, drug, stock`` (integer packs; one row per depot and class).
    targets
        ``institution_id, kind, district_id, drug, target, on_hand, need`` (one row per
        institution and class).
    arcs
        ``depot_id, institution_id, minutes`` (valid for every class; unknown ids ignored,
        duplicate pairs keep the fastest).
    priority_kinds
        Institution kinds whose lowest fill rate is maximised first.
    options
        Accepted for a uniform stage interface; the flows are exact and need no time limit.

    Returns
    -------
    StageResult
        Status optimal; phases ``lowest_fill_rate`` (max, the lowest over classes),
        ``shortfall`` (min, packs) and ``pack_minutes`` (min), each summed or minimised over
        the classes; tables ``targets``, ``allocations``, ``depots``, ``fill``.
    """
    del options  # exact combinatorial algorithms
    with stopwatch() as clock:
        instances = build_instances(depots, targets, arcs, priority_kinds)
        try:
            solutions: list[DrugSolution] | None = [solve_drug(instance) for instance in instances]
        except FlowError as error:
            solutions = None
            failure = str(error)
        tables = solution_tables(instances, solutions) if solutions is not None else empty_tables()
    if solutions is None:
        return StageResult.failed(STAGE, failure, clock["seconds"], tables)
    fill = tables["fill"]
    lowest = float(fill["lowest_fill_rate"].min()) if len(fill) else 1.0
    shortfall = float(fill["shortfall"].sum())
    pack_minutes = float(tables["allocations"]["pack_minutes"].sum())
    phases = [
        Phase("lowest_fill_rate", "max", lowest, lowest, Status.OPTIMAL),
        Phase("shortfall", "min", shortfall, shortfall, Status.OPTIMAL),
        Phase("pack_minutes", "min", pack_minutes, pack_minutes, Status.OPTIMAL),
    ]
    stats = {
        "arcs": int(sum(instance.arc_depot.size for instance in instances)),
        "nodes": int(sum(instance.num_depots + instance.num_institutions + 3 for instance in instances)),
        "drugs": len(instances),
        "max_flows": int(sum(solution.max_flows for solution in solutions)),
        "max_flow_seconds": float(sum(solution.seconds_max_flow for solution in solutions)),
        "min_cost_seconds": float(sum(solution.seconds_min_cost for solution in solutions)),
        "seconds": clock["seconds"],
    }
    return StageResult.from_phases(STAGE, phases, tables, clock["seconds"], stats)


# --------------------------------------------------------------------------- instances


def build_instances(
    depots: pd.DataFrame, targets: pd.DataFrame, arcs: pd.DataFrame, priority_kinds: tuple[str, ...]
) -> list[DrugInstance]:
    """One :class:`DrugInstance` per drug class (classes in order of first appearance in targets, then depots).

    Raises
    ------
    ValueError
        On negative stock or need, a need of :data:`MAX_NEED_PACKS` or more, a class stock of
        :data:`MAX_STOCK_PACKS` or more, or an institution listed twice for one class.
    """
    depot_table = depots.reset_index(drop=True)
    target_table = targets.reset_index(drop=True)
    stock_values = depot_table["stock"].to_numpy(dtype=np.int64)
    need_values = target_table["need"].to_numpy(dtype=np.int64)
    if (stock_values < 0).any() or (need_values < 0).any():
        raise ValueError("Expected non-negative stock and need.")
    if need_values.size and need_values.max() >= MAX_NEED_PACKS:
        raise ValueError(f"Expected every need below {MAX_NEED_PACKS} packs.")
    if len(depot_table) and depot_table.groupby("drug")["stock"].sum().max() >= MAX_STOCK_PACKS:
        raise ValueError(f"Expected the stock of each drug class below {MAX_STOCK_PACKS} packs.")
    if target_table.duplicated(["institution_id", "drug"]).any():
        raise ValueError("Expected one targets row per institution and drug class.")
    depot_universe = pd.Index(pd.unique(depot_table["depot_id"]))
    institution_universe = pd.Index(pd.unique(target_table["institution_id"]))
    arc_depot_code = positions(arcs["depot_id"], depot_universe)
    arc_institution_code = positions(arcs["institution_id"], institution_universe)
    minutes = arcs["minutes"].to_numpy(dtype=np.float64)
    keep = dedupe_arcs(arc_depot_code, arc_institution_code, minutes)
    all_arcs = ArcTable(arc_depot_code[keep], arc_institution_code[keep], minutes[keep], cost_units(minutes[keep]))
    drugs = list(pd.unique(pd.concat([target_table["drug"], depot_table["drug"]], ignore_index=True)))
    return [
        drug_instance(
            str(drug),
            depot_table[depot_table["drug"] == drug],
            target_table[target_table["drug"] == drug].reset_index(drop=True),
            all_arcs,
            (depot_universe, institution_universe),
            priority_kinds,
        )
        for drug in drugs
    ]


@dataclass(frozen=True)
class ArcTable:
    """Deduplicated arcs for every class: depot and institution codes into the id universes."""

    depot_code: IntArray
    institution_code: IntArray
    minutes: FloatArray
    cost: IntArray


def drug_instance(
    drug: str,
    depot_rows: pd.DataFrame,
    institutions: pd.DataFrame,
    all_arcs: ArcTable,
    universes: tuple[pd.Index, pd.Index],
    priority_kinds: tuple[str, ...],
) -> DrugInstance:
    """The instance of one class: its depots (stock summed per depot), institutions and arcs with need > 0."""
    depot_universe, institution_universe = universes
    drug_depots = depot_rows.groupby("depot_id", sort=False, as_index=False).agg(
        district_id=("district_id", "first"), stock=("stock", "sum")
    )
    drug_depots["drug"] = drug
    depot_local = local_index(positions(drug_depots["depot_id"], depot_universe), depot_universe.size)
    institution_local = local_index(
        positions(institutions["institution_id"], institution_universe), institution_universe.size
    )
    arc_depot = depot_local[all_arcs.depot_code]
    arc_institution = institution_local[all_arcs.institution_code]
    need = institutions["need"].to_numpy(dtype=np.int64)
    has_need = np.append(need > 0, False)  # the last slot answers for arc_institution == -1
    on_drug = (arc_depot >= 0) & (arc_institution >= 0) & has_need[arc_institution]
    arc_depot, arc_institution = arc_depot[on_drug], arc_institution[on_drug]
    stocked_arc = drug_depots["stock"].to_numpy(dtype=np.int64)[arc_depot] > 0
    stocked_reach = np.bincount(arc_institution[stocked_arc], minlength=len(institutions)) > 0
    priority = institutions["kind"].isin(priority_kinds).to_numpy() & (need > 0)
    return DrugInstance(
        drug=drug,
        depots=drug_depots,
        institutions=institutions,
        arc_depot=arc_depot,
        arc_institution=arc_institution,
        arc_minutes=all_arcs.minutes[on_drug],
        arc_cost=all_arcs.cost[on_drug],
        priority=priority,
        in_max_min=priority & stocked_reach,
    )


def local_index(codes: IntArray, universe_size: int) -> IntArray:
    """Lookup table universe code -> local row (``-1`` when the code has no row)."""
    lookup = np.full(universe_size + 1, -1, dtype=np.int64)  # the extra slot maps code -1 to -1
    lookup[codes] = np.arange(codes.size, dtype=np.int64)
    lookup[-1] = -1
    return lookup


# --------------------------------------------------------------------------- constraint families
# Node layout: depot d -> node d; institution i -> node num_depots + i; then the extra nodes.


def institution_nodes(instance: DrugInstance) -> IntArray:
    """Node of every institution."""
    return instance.num_depots + np.arange(instance.num_institutions, dtype=np.int64)


def add_depot_stock(network: Network, instance: DrugInstance, *, source: int | None) -> IntArray:
    """(1) Depot stock: arcs source -> depot of capacity ``stock_d``, or (no source) supply ``stock_d``."""
    depot_nodes = np.arange(instance.num_depots, dtype=np.int64)
    if source is None:
        network.add_supplies(depot_nodes, instance.stock)
        return np.zeros(0, dtype=np.int64)
    return network.add_arcs(source, depot_nodes, instance.stock)


def add_shipment_arcs(network: Network, instance: DrugInstance, capacities: npt.ArrayLike) -> IntArray:
    """(2) Shipments: arc depot -> institution for every ``(d, i)`` in ``A``, unit cost ``minutes_di``."""
    return network.add_arcs(
        instance.arc_depot, institution_nodes(instance)[instance.arc_institution], capacities, instance.arc_cost
    )


def add_institution_needs(
    network: Network, instance: DrugInstance, heads: npt.ArrayLike, capacities: npt.ArrayLike
) -> IntArray:
    """(3) Need: arc institution -> ``heads`` carrying ``allocated_i`` (at most ``need_i`` in total)."""
    return network.add_arcs(institution_nodes(instance), heads, capacities)


def add_fill_floors(network: Network, instance: DrugInstance, floor_node: int, fill_floor: IntArray) -> IntArray:
    """(4) Fill floor: arc institution -> floor node of capacity ``L_i``; the floor node demands ``sum L``."""
    network.add_supplies([floor_node], [-int(fill_floor.sum())])
    return network.add_arcs(institution_nodes(instance), floor_node, fill_floor)


def add_unshipped_stock(network: Network, instance: DrugInstance, spare_node: int, shipped_total: int) -> IntArray:
    """(1) Depot stock, slack part: depot -> spare node keeps the packs not shipped."""
    network.add_supplies([spare_node], [-(int(instance.stock.sum()) - shipped_total)])
    return network.add_arcs(np.arange(instance.num_depots, dtype=np.int64), spare_node, instance.stock)


# --------------------------------------------------------------------------- phases


def solve_drug(instance: DrugInstance) -> DrugSolution:
    """Phases (i)-(iii) of one drug class."""
    if instance.arc_depot.size == 0:
        no_floor = np.zeros(instance.num_institutions, dtype=np.int64)
        return DrugSolution(Fraction(1, 1), no_floor, np.zeros(0, dtype=np.int64), 0)
    source = instance.num_depots + instance.num_institutions
    sink = source + 1
    with stopwatch() as max_flow_clock:
        network = Network(sink + 1)
        add_depot_stock(network, instance, source=source)
        uncapacitated = int(instance.stock.sum()) + 1  # above every cut through the depots: never in a min cut
        add_shipment_arcs(network, instance, uncapacitated)
        sink_arcs = add_institution_needs(network, instance, heads=sink, capacities=0)
        flow = network.max_flow()
        lowest_fill, solves = lowest_fill_rate(instance, flow, sink_arcs, source, sink)
        fill_floor = np.where(instance.in_max_min, lowest_fill.floors(instance.need), 0)
        flow.set_capacities(sink_arcs, instance.need)
        allocated_total = flow.solve(source, sink)
    with stopwatch() as min_cost_clock:
        arc_packs = cheapest_shipments(instance, fill_floor, allocated_total)
    return DrugSolution(
        lowest_fill, fill_floor, arc_packs, solves + 1, max_flow_clock["seconds"], min_cost_clock["seconds"]
    )


def lowest_fill_rate(
    instance: DrugInstance, flow: MaxFlow, sink_arcs: IntArray, source: int, sink: int
) -> tuple[Fraction, int]:
    """Phase (i): the largest achievable fill rate ``t*`` by min-cut descent from 1 (module docstring).

    Returns the rate and the number of maximum flows solved.
    """
    priority = np.flatnonzero(instance.in_max_min)
    if priority.size == 0:
        return Fraction(1, 1), 0
    need = instance.need
    priority_need = need[priority]
    others = np.flatnonzero(~instance.in_max_min)
    flow.set_capacities(sink_arcs[others], np.zeros(others.size, dtype=np.int64))
    stock = instance.stock
    rate = Fraction(1, 1)
    solves = 0
    while True:
        floors = rate.floors(priority_need)
        flow.set_capacities(sink_arcs[priority], floors)
        solves += 1
        if flow.solve(source, sink) == int(floors.sum()):
            return rate, solves
        source_side = flow.source_side(sink + 1)
        violated = priority[~source_side[instance.num_depots + priority]]
        violated_mask = np.zeros(instance.num_institutions, dtype=bool)
        violated_mask[violated] = True
        neighbours = np.unique(instance.arc_depot[violated_mask[instance.arc_institution]])
        lower = largest_rate_within(need[violated], int(stock[neighbours].sum()))
        if lower.numerator * rate.denominator >= rate.numerator * lower.denominator:
            raise FlowError(f"Fill-rate search made no progress at {rate} (drug {instance.drug}).")
        rate = lower


def largest_rate_within(needs: IntArray, capacity: int) -> Fraction:
    """The largest ``t = k / need_j`` (``j`` in the set) with ``sum ceil(t * need_i) <= capacity``.

    ``capacity < sum(needs)`` (a violated Hall condition). Every ``t <= (capacity - n) / total``
    meets the condition (``ceil(x) < x + 1``) and none above ``capacity / total`` does, so the
    answer is among the about ``2 n`` candidates in between; bisection finds it exactly.
    """
    count, total = int(needs.size), int(needs.sum())
    if capacity >= total:
        return Fraction(1, 1)
    if capacity < count:
        return Fraction(0, 1)
    lowest = np.maximum(ceil_div((capacity - count) * needs, total), 0)
    highest = np.minimum((capacity * needs) // total, needs)
    lengths = np.maximum(highest - lowest + 1, 0)
    denominators = np.repeat(needs, lengths)
    starts = np.repeat(lowest, lengths)
    offsets = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    numerators = starts + offsets
    order = np.argsort(numerators / denominators, kind="stable")
    numerators, denominators = numerators[order], denominators[order]

    def meets(position: int) -> bool:
        candidate = Fraction(int(numerators[position]), int(denominators[position]))
        return int(candidate.floors(needs).sum()) <= capacity

    low, high = 0, numerators.size - 1  # meets(low) holds: the smallest candidate is >= (capacity - n) / total
    while low < high:
        middle = (low + high + 1) // 2
        if meets(middle):
            low = middle
        else:
            high = middle - 1
    return Fraction(int(numerators[low]), int(denominators[low]))


def cheapest_shipments(instance: DrugInstance, fill_floor: IntArray, allocated_total: int) -> IntArray:
    """Phase (iii): the min-cost flow meeting the floors (4) and shipping ``allocated_total``; packs per arc."""
    floor_node = instance.num_depots + instance.num_institutions
    rest_node, spare_node = floor_node + 1, floor_node + 2
    network = Network(spare_node + 1)
    add_depot_stock(network, instance, source=None)
    shipment_arcs = add_shipment_arcs(network, instance, instance.need[instance.arc_institution])
    add_fill_floors(network, instance, floor_node, fill_floor)
    add_institution_needs(network, instance, heads=rest_node, capacities=instance.need - fill_floor)
    network.add_supplies([rest_node], [-(allocated_total - int(fill_floor.sum()))])
    add_unshipped_stock(network, instance, spare_node, allocated_total)
    return network.min_cost_flow().flows[shipment_arcs]


# --------------------------------------------------------------------------- tables


def empty_tables() -> dict[str, pd.DataFrame]:
    """The output tables with their columns and no rows."""
    return {
        "targets": pd.DataFrame(columns=TARGET_COLUMNS),
        "allocations": pd.DataFrame(columns=ALLOCATION_COLUMNS),
        "depots": pd.DataFrame(columns=DEPOT_COLUMNS),
        "fill": pd.DataFrame(columns=FILL_COLUMNS),
    }


def solution_tables(instances: list[DrugInstance], solutions: list[DrugSolution]) -> dict[str, pd.DataFrame]:
    """The four output tables, every drug class stacked."""
    parts = [drug_tables(instance, solution) for instance, solution in zip(instances, solutions, strict=True)]
    if not parts:
        return empty_tables()
    return {name: pd.concat([part[name] for part in parts], ignore_index=True) for name in empty_tables()}


def drug_tables(instance: DrugInstance, solution: DrugSolution) -> dict[str, pd.DataFrame]:
    """The output tables of one drug class."""
    allocated = np.bincount(
        instance.arc_institution, weights=solution.arc_packs, minlength=instance.num_institutions
    ).astype(np.int64)
    shortfall = instance.need - allocated
    allocations = allocations_table(instance, solution.arc_packs)
    targets = targets_table(instance, solution, allocated, shortfall)
    depots = depots_table(instance, solution.arc_packs, shortfall)
    fill = pd.DataFrame(
        {
            "drug": [instance.drug],
            "lowest_fill_rate": [solution.lowest_fill.value],
            "priority_institutions": [int(instance.in_max_min.sum())],
            "shortfall": [int(shortfall.sum())],
            "need": [int(instance.need.sum())],
            "allocated": [int(allocated.sum())],
            "pack_minutes": [float(allocations["pack_minutes"].sum())],
            "priority_unreachable": [int((targets["priority"] & ~targets["in_max_min"]).sum())],
        }
    )
    return {"targets": targets, "allocations": allocations, "depots": depots, "fill": fill}


def targets_table(
    instance: DrugInstance, solution: DrugSolution, allocated: IntArray, shortfall: IntArray
) -> pd.DataFrame:
    """One row per institution of the class with its allocation, fill rate and reason."""
    need = instance.need
    arcs_per_institution = np.bincount(instance.arc_institution, minlength=instance.num_institutions)
    table = instance.institutions.copy()
    table["allocated"] = allocated
    table["shortfall"] = shortfall
    table["fill_rate"] = np.where(need > 0, allocated / np.maximum(need, 1), 1.0)
    table["reason"] = np.where(
        shortfall > 0, np.where(arcs_per_institution > 0, "stock_short", "no_depot_in_reach"), ""
    )
    table["priority"] = instance.priority
    table["in_max_min"] = instance.in_max_min
    table["fill_floor"] = solution.fill_floor
    return table[TARGET_COLUMNS + [c for c in table.columns if c not in TARGET_COLUMNS]]


def allocations_table(instance: DrugInstance, arc_packs: IntArray) -> pd.DataFrame:
    """One row per arc carrying packs."""
    used = np.flatnonzero(arc_packs > 0)
    depot_of_arc = instance.arc_depot[used]
    institution_of_arc = instance.arc_institution[used]
    quantity = arc_packs[used].astype(np.int64)
    minutes = instance.arc_minutes[used]
    table = pd.DataFrame(
        {
            "depot_id": instance.depots["depot_id"].to_numpy()[depot_of_arc],
            "institution_id": instance.institutions["institution_id"].to_numpy()[institution_of_arc],
            "drug": instance.drug,
            "quantity": quantity,
            "minutes": minutes,
            "pack_minutes": quantity * minutes,
        }
    )
    order = np.lexsort((depot_of_arc, institution_of_arc))
    return table.iloc[order].reset_index(drop=True)


def depots_table(instance: DrugInstance, arc_packs: IntArray, shortfall: IntArray) -> pd.DataFrame:
    """One row per depot of the class: shipped, remaining, and the marginal value of one more pack."""
    shipped = np.bincount(instance.arc_depot, weights=arc_packs, minlength=instance.num_depots).astype(np.int64)
    reaches = suppliers_reaching_unmet(
        instance.arc_depot, instance.arc_institution, arc_packs, shortfall > 0, instance.num_depots
    )
    table = instance.depots.copy()
    table["stock"] = table["stock"].astype(np.int64)
    table["shipped"] = shipped
    table["marginal_value"] = reaches.astype(np.int64)
    table["remaining"] = instance.stock - shipped
    return table[DEPOT_COLUMNS + [c for c in table.columns if c not in DEPOT_COLUMNS]]
