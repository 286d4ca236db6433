"""Stage 4 — depot stock to institutions' drug reserves, exact integer packs (DESIGN §5.4).

Every drug class ``g`` is an independent problem (no arc, stock or need is shared between
classes); the stage solves them one after the other and reports them together.

Sets (for one drug class)
-------------------------
``D``  depots ``d`` holding ``stock_d`` packs (already ``floor(stock_factor * stock)``).
``I``  institutions ``i`` with ``need_i = max(0, target_i - on_hand_i) > 0`` packs.
``A``  arcs ``(d, i)`` a depot may ship on, with travel ``minutes_di``: every pair when the caller
       passes ``all_pairs`` (DESIGN §5.4: any depot may serve any institution; the ``arcs`` table then
       only seeds the solve), else exactly the pairs of the ``arcs`` table.
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
                    phase (i)                                          (:func:`cheapest_shipments`)

Lexicographic objective
-----------------------
(i)   maximise the lowest fill rate ``t = min_{i in Q} allocated_i / need_i``;
(ii)  minimise the total shortfall ``sum_i shortfall_i`` over all institutions (hospitals too);
(iii) minimise pack-minutes ``sum minutes_di packs_di``.

Method and proof of exactness
-----------------------------
**Every pair allowed** (``all_pairs``). The network is complete bipartite, so every Hall condition of
(i)-(ii) involves every depot: a set ``X`` of institutions reaches all the stock. Hence (i) ``Q`` is every
priority institution with need when the class has stock (none otherwise) and
``t* = largest_rate_within(need_Q, sum stock)`` (:func:`largest_rate_within`: the largest lattice rate with
``sum_Q ceil(t need_i) <= sum stock``; the Hall condition of ``X = Q`` is the binding one since
``ceil(t need_i) >= 0`` on every subset), and (ii) ``F = min(sum stock, sum need)``. Both are exact without
any arc. (iii) is the min-cost transportation problem below over every pair, solved by
:func:`models.transport.solve_transport`: the ``arcs`` table (each institution's nearest depots) seeds a
restricted network (from the second class on, with the arcs the class before ended with and each institution's
five nearest: :func:`models.drug_instances.seeded_by_earlier`), cut-off institutions get arcs until the floors and
``F`` can be met, then pricing with node potentials adds every left-out pair with a negative reduced cost until none
is left — the
restricted optimum is then the all-arcs optimum (proof in :mod:`models.pricing`). Costs are integers at a resolution
that keeps the plan within ``1e-6`` relative of the optimum for the unrounded minutes, without ``int64``
overflow (:class:`models.pricing.CostScale`); the phase reports its objective in exact minutes with a
certified bound.

**Only the listed arcs** (no ``all_pairs``): the phases below on the arcs of ``A``.

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
(ii), and its optimum is the lexicographic optimum. No weights are combined
(:mod:`models.transport`; integer costs of :class:`models.pricing.CostScale`).

Marginal value of a pack: the final flow is a maximum flow; one more pack at depot ``d``
removes one pack of shortfall exactly when the residual network has a path from ``d`` to an
institution still short (:func:`models.flow.suppliers_reaching_unmet`): 1, else 0. With every pair
allowed each depot reaches each short institution directly: 1 for every depot when the class is short.

Output tables
-------------
``targets``      institution_id, kind, drug, target, on_hand, need, allocated, shortfall,
                 fill_rate (1.0 where need is 0), reason (``stock_short`` when short with a
                 depot in reach, ``no_depot_in_reach`` when no arc from a depot of the class; with
                 every pair allowed, when the class has no depot),
                 district_id, priority, in_max_min, fill_floor.
``allocations``  depot_id, institution_id, drug, quantity, minutes, pack_minutes (exact minutes).
``depots``       depot_id, drug, stock, shipped, marginal_value, district_id, remaining.
``fill``         drug, lowest_fill_rate (``t*``; 1.0 when no priority institution is short),
                 priority_institutions (in the max-min), shortfall, need, allocated,
                 pack_minutes, priority_unreachable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.base import Phase, SolveOptions, StageResult, Status, stopwatch
from models.drug_instances import DrugInstance, instance_builders, seeded_by_earlier, without_seed
from models.flow import (
    FlowError,
    IntArray,
    MaxFlow,
    Network,
    flat_ranges,
    suppliers_reaching_unmet,
    unique_ints,
)
from models.pricing import AllPairs
from models.transport import TransportProblem, TransportSolution, solve_transport

STAGE = "drugs"
DEFAULT_PRIORITY_KINDS: tuple[str, ...] = ("care_home", "clinic")
"""Institution kinds whose lowest fill rate is maximised first."""

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
class DrugSolution:
    """The lexicographic optimum of one drug class: the phase values and the final arcs with their packs."""

    lowest_fill: Fraction
    fill_floor: IntArray
    shipments: TransportSolution
    max_flows: int
    seconds_max_flow: float = 0.0

    @property
    def arc_packs(self) -> IntArray:
        return self.shipments.flow


def ceil_div(numerators: IntArray, denominator: int) -> IntArray:
    """``ceil(numerators / denominator)`` in exact integer arithmetic."""
    return -((-numerators) // denominator)


def solve_drugs(
    depots: pd.DataFrame,
    targets: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    priority_kinds: tuple[str, ...] = DEFAULT_PRIORITY_KINDS,
    all_pairs: AllPairs | None = None,
    options: SolveOptions = SolveOptions(),  # noqa: B008 - frozen dataclass, safe default
    after_class: Callable[[], object] | None = None,
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
        duplicate pairs keep the fastest). With ``all_pairs`` they only seed the solve.
    priority_kinds
        Institution kinds whose lowest fill rate is maximised first.
    all_pairs
        The minutes of every depot -> institution pair (every depot and institution must have a location
        there): the model then allows every pair and proves its plan optimal over all of them (module
        docstring). None: the model's arcs are those of ``arcs``.
    options
        The time limit bounds the pricing rounds, shared equally by the classes still to solve
        (:func:`class_deadline`); past its share a class keeps its plan with status ``feasible`` and a
        certified bound.
    after_class
        Called after each class is solved (the pipeline hands the memory its flows freed back to the system: the
        next class then starts from what the process holds, national: 0.97 -> 0.8 GB).

    Returns
    -------
    StageResult
        Phases ``lowest_fill_rate`` (max, the lowest over classes), ``shortfall`` (min, packs) and
        ``pack_minutes`` (min, exact minutes, bound summed over classes), each summed or minimised over
        the classes; status ``optimal`` when proven for the model; tables ``targets``,
        ``allocations``, ``depots``, ``fill``; stats with the arcs seeded, added and priced.
    """
    with stopwatch() as clock:
        builders = instance_builders(depots, targets, arcs, priority_kinds, all_pairs)
        deadline = time.perf_counter() + options.time_limit_s
        solutions: list[DrugSolution] | None = None
        try:
            instances, solutions, build_seconds = solve_classes(builders, deadline, after_class)
        except FlowError as error:
            failure = str(error)
        tables = solution_tables(instances, solutions) if solutions is not None else empty_tables()
    if solutions is None:
        return StageResult.failed(STAGE, failure, clock["seconds"], tables)
    fill = tables["fill"]
    lowest = float(fill["lowest_fill_rate"].min()) if len(fill) else 1.0
    shortfall = float(fill["shortfall"].sum())
    pack_minutes = float(tables["allocations"]["pack_minutes"].sum())
    shipments = [solution.shipments for solution in solutions]
    # pack-minutes are never negative: a class's bound is at least 0 (a Lagrangian bound from early potentials can
    # be far below it)
    pack_minutes_bound = min(pack_minutes, float(sum(max(0.0, shipment.bound) for shipment in shipments)))
    phases = [
        Phase("lowest_fill_rate", "max", lowest, lowest, Status.OPTIMAL),
        Phase("shortfall", "min", shortfall, shortfall, Status.OPTIMAL),
        Phase("pack_minutes", "min", pack_minutes, pack_minutes_bound, Status.worst([x.status for x in shipments])),
    ]
    stats = {
        "all_pairs": all_pairs is not None,
        "arcs": int(sum(len(shipment.flow) for shipment in shipments)),
        "nodes": int(sum(instance.num_depots + instance.num_institutions + 3 for instance in instances)),
        "drugs": len(instances),
        "max_flows": int(sum(solution.max_flows for solution in solutions)),
        "max_flow_seconds": float(sum(solution.seconds_max_flow for solution in solutions)),
        "build_seconds": build_seconds,
        "seconds": clock["seconds"],
        **summed_transport_stats(shipments),
    }
    return StageResult.from_phases(STAGE, phases, tables, clock["seconds"], stats)


def solve_classes(
    builders: list[Callable[[], DrugInstance]],
    deadline: float,
    after_class: Callable[[], object] | None = None,
) -> tuple[list[DrugInstance], list[DrugSolution], float]:
    """Every class in turn, each within its share of the time left, each from the arcs the class before it ended
    with (:func:`models.drug_instances.seeded_by_earlier`). A class's last pricing pass, which bounds its plan, may
    run on into the time left to the stage's ``deadline`` (the classes after it then get less), never past it.

    Each class's instance is built as its turn comes (``builders``: :func:`models.drug_instances.instance_builders`;
    the seconds it took are returned with the instances and plans) and kept without its seed arcs once solved
    (:func:`models.drug_instances.without_seed`): the process holds one class's seed at a time (national: five
    classes' 0.21 GB at once before). ``after_class`` is called after each class (:func:`solve_drugs`)."""
    instances: list[DrugInstance] = []
    solutions: list[DrugSolution] = []
    build_seconds = 0.0
    for position, build in enumerate(builders):
        with stopwatch() as built:
            instance = build()
            if solutions:
                instance = seeded_by_earlier(instance, instances[-1], solutions[-1].shipments)
        build_seconds += built["seconds"]
        solutions.append(solve_drug(instance, class_deadline(deadline, len(builders) - position), deadline))
        instances.append(without_seed(instance))
        del instance  # its seed goes with it, before after_class hands the memory back
        if after_class is not None:
            after_class()
    return instances, solutions, build_seconds


TRANSPORT_COUNTS = (
    "arcs_seed",
    "arcs_feasibility",
    "arcs_priced_in",
    "pairs_priced",
    "feasibility_rounds",
    "pricing_rounds",
    "resolutions",
)
TRANSPORT_SECONDS = ("feasibility_seconds", "min_cost_seconds", "pricing_seconds", "bound_seconds")


def summed_transport_stats(shipments: list[TransportSolution]) -> dict[str, float | int]:
    """The pricing counts and seconds of every class, summed (rounds and resolutions: the most of any class)."""
    stats: dict[str, float | int] = {}
    for name in TRANSPORT_COUNTS:
        values = [int(shipment.stats.get(name, 0)) for shipment in shipments]
        stats[name] = max(values, default=0) if name in ("pricing_rounds", "resolutions") else sum(values)
    for name in TRANSPORT_SECONDS:
        stats[name] = float(sum(float(shipment.stats.get(name, 0.0)) for shipment in shipments))
    return stats


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
    """(2) Shipments: arc depot -> institution for every listed ``(d, i)`` (the maximum flows of (i)-(ii))."""
    return network.add_arcs(instance.arc_depot, institution_nodes(instance)[instance.arc_institution], capacities)


def add_institution_needs(
    network: Network, instance: DrugInstance, heads: npt.ArrayLike, capacities: npt.ArrayLike
) -> IntArray:
    """(3) Need: arc institution -> ``heads`` carrying ``allocated_i`` (at most ``need_i`` in total)."""
    return network.add_arcs(institution_nodes(instance), heads, capacities)


# --------------------------------------------------------------------------- phases


def solve_drug(
    instance: DrugInstance, deadline: float | None = None, stage_deadline: float | None = None
) -> DrugSolution:
    """Phases (i)-(iii) of one drug class (module docstring): no round starts after ``deadline`` (the class's
    share of the time), a pricing pass stops at ``stage_deadline`` (the stage's; default ``deadline``)."""
    with stopwatch() as max_flow_clock:
        if instance.complete is not None:
            lowest_fill, allocated_total, solves = complete_phases(instance)
        else:
            lowest_fill, allocated_total, solves = listed_arc_phases(instance)
        fill_floor = np.where(instance.in_max_min, lowest_fill.floors(instance.need), 0)
    shipments = cheapest_shipments(instance, fill_floor, allocated_total, deadline, stage_deadline)
    return DrugSolution(lowest_fill, fill_floor, shipments, solves, max_flow_clock["seconds"])


def class_deadline(deadline: float, classes_left: int) -> float:
    """A class's share of the time left: the same for each class still to solve (a large first class cannot use
    up the others' pricing time)."""
    now = time.perf_counter()
    return now + max(deadline - now, 0.0) / max(classes_left, 1)


def complete_phases(instance: DrugInstance) -> tuple[Fraction, int, int]:
    """Phases (i)-(ii) with every pair allowed: ``t*`` and ``F`` from the totals (no flow needed)."""
    rate, allocated = complete_optima(instance.need, instance.in_max_min, int(instance.stock.sum()))
    return rate, allocated, 0


def complete_optima(need: IntArray, in_max_min: npt.NDArray[np.bool_], stock_total: int) -> tuple[Fraction, int]:
    """``t* = largest_rate_within(need of the max-min institutions, stock)`` and ``F = min(stock, need)``: the
    optima of phases (i)-(ii) when every pair is allowed (module docstring)."""
    return largest_rate_within(need[in_max_min], stock_total), min(stock_total, int(need.sum()))


def listed_arc_phases(instance: DrugInstance) -> tuple[Fraction, int, int]:
    """Phases (i)-(ii) on the listed arcs by maximum flows; returns ``t*``, ``F`` and the flows solved."""
    if instance.arc_depot.size == 0:
        return Fraction(1, 1), 0, 0
    source = instance.num_depots + instance.num_institutions
    sink = source + 1
    network = Network(sink + 1)
    add_depot_stock(network, instance, source=source)
    uncapacitated = int(instance.stock.sum()) + 1  # above every cut through the depots: never in a min cut
    add_shipment_arcs(network, instance, uncapacitated)
    sink_arcs = add_institution_needs(network, instance, heads=sink, capacities=0)
    flow = network.max_flow()
    lowest_fill, solves = lowest_fill_rate(instance, flow, sink_arcs, source, sink)
    flow.set_capacities(sink_arcs, instance.need)
    return lowest_fill, flow.solve(source, sink), solves + 1


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
        neighbours = unique_ints(instance.arc_depot[violated_mask[instance.arc_institution]])
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
    numerators = flat_ranges(lowest, lengths)
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


def cheapest_shipments(
    instance: DrugInstance,
    fill_floor: IntArray,
    allocated_total: int,
    deadline: float | None = None,
    stage_deadline: float | None = None,
) -> TransportSolution:
    """Phase (iii): the min-cost flow meeting the floors (4) and shipping ``allocated_total``.

    Outlets of institution ``i``: to the floor class (capacity ``L_i``, class total ``sum L``) and to the rest
    class (capacity ``need_i - L_i``, class total ``allocated_total - sum L``); :mod:`models.transport` solves
    it over the listed arcs or, with every pair allowed, proves it over all of them.
    """
    institutions = np.arange(instance.num_institutions, dtype=np.int64)
    floor_total = int(fill_floor.sum())
    problem = TransportProblem(
        supply=instance.stock,
        num_demands=instance.num_institutions,
        outlet_demand=np.concatenate([institutions, institutions]),
        outlet_class=np.repeat(np.arange(2, dtype=np.int64), instance.num_institutions),
        outlet_capacity=np.concatenate([fill_floor, instance.need - fill_floor]),
        class_demand=np.array([floor_total, allocated_total - floor_total], dtype=np.int64),
        seed_supplier=instance.arc_depot,
        seed_demand=instance.arc_institution,
        seed_minutes=instance.arc_minutes,
        complete=instance.complete,
    )
    return solve_transport(problem, deadline, stage_deadline)


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
    shipments = solution.shipments
    allocated = np.bincount(shipments.demand, weights=shipments.flow, minlength=instance.num_institutions).astype(
        np.int64
    )
    shortfall = instance.need - allocated
    allocations = allocations_table(instance, shipments)
    targets = targets_table(instance, solution, allocated, shortfall)
    depots = depots_table(instance, shipments, shortfall)
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
    if instance.complete is not None:
        in_reach = np.full(instance.num_institutions, instance.num_depots > 0)
    else:
        in_reach = np.bincount(instance.arc_institution, minlength=instance.num_institutions) > 0
    solved = {
        "allocated": allocated,
        "shortfall": shortfall,
        "fill_rate": np.where(need > 0, allocated / np.maximum(need, 1), 1.0),
        "reason": np.where(shortfall > 0, np.where(in_reach, "stock_short", "no_depot_in_reach"), ""),
        "priority": instance.priority,
        "in_max_min": instance.in_max_min,
        "fill_floor": solution.fill_floor,
    }
    given = instance.institutions.drop(columns=[c for c in solved if c in instance.institutions.columns])
    table = pd.concat([given.reset_index(drop=True), pd.DataFrame(solved)], axis=1)
    return table[TARGET_COLUMNS + [c for c in table.columns if c not in TARGET_COLUMNS]]


def allocations_table(instance: DrugInstance, shipments: TransportSolution) -> pd.DataFrame:
    """One row per arc carrying packs."""
    used = np.flatnonzero(shipments.flow > 0)
    depot_of_arc = shipments.supplier[used]
    institution_of_arc = shipments.demand[used]
    quantity = shipments.flow[used].astype(np.int64)
    minutes = shipments.minutes[used]
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


def depots_table(instance: DrugInstance, shipments: TransportSolution, shortfall: IntArray) -> pd.DataFrame:
    """One row per depot of the class: shipped, remaining, and the marginal value of one more pack."""
    shipped = np.bincount(shipments.supplier, weights=shipments.flow, minlength=instance.num_depots).astype(np.int64)
    if instance.complete is not None:  # every depot reaches every institution still short
        reaches = np.full(instance.num_depots, bool((shortfall > 0).any()))
    else:
        reaches = suppliers_reaching_unmet(
            shipments.supplier, shipments.demand, shipments.flow, shortfall > 0, instance.num_depots
        )
    table = instance.depots.copy()
    table["stock"] = table["stock"].astype(np.int64)
    table["shipped"] = shipped
    table["marginal_value"] = reaches.astype(np.int64)
    table["remaining"] = instance.stock - shipped
    return table[DEPOT_COLUMNS + [c for c in table.columns if c not in DEPOT_COLUMNS]]
