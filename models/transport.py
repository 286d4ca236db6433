"""The cost phase of a transportation stage over every supplier -> demand pair, proven by pricing.

Nursing's cost phase and drugs' pack-minutes phase have one shape: suppliers ``s`` with supply ``a_s`` (what
is not shipped goes to a *spare* node), demands ``d`` that pass what they receive on to *class* nodes through
*outlet* arcs ``d -> k`` of given capacity (drugs: an institution's fill floor and the rest of its need;
nursing: a need's tier), and class nodes that must receive exactly ``b_k`` (the optimum of the earlier
phases). Assignment arcs ``s -> d`` cost ``c(s, d)`` minutes. Every pair is an allowed arc.

:func:`solve_transport` works on a restricted arc set (the caller's seed, typically each demand's nearest
suppliers) and grows it only as a proof requires:

1. **Feasibility.** The restricted network may be unable to meet the class totals (nearest arcs strand
   stock). A maximum flow source -> supplier (``a_s``) -> demand (uncapacitated) -> class (outlet capacity)
   -> sink (``b_k``) tells; when it falls short, its minimum cut separates suppliers ``A`` (source side) from
   demands ``B`` (sink side) with no restricted arc from ``A`` to ``B`` (such an arc would be uncapacitated
   and cross the cut). In the full model every pair of ``A x B`` exists and the full model is feasible, so
   ``A`` and ``B`` are not empty; each supplier of ``A`` gets arcs to its nearest demands of ``B``, enough
   of them to take its leftover supply (at least one), which breaks the cut. Arcs are only added, so this
   ends (at worst with every pair).
2. **Optimality.** A min-cost flow on the restricted arcs (``SimpleMinCostFlow``, integer costs of
   :class:`models.pricing.CostScale`), node potentials from its residual network
   (:func:`models.pricing.residual_potentials`), and a pricing pass over every left-out pair
   (:func:`models.pricing.price`). Pairs with a negative reduced cost are added and the flow re-solved; when
   none is left the restricted optimum is the all-arcs optimum (proof in :mod:`models.pricing`). Each round
   adds at least one arc, so this ends too. The rounds also end once the plan is within
   :data:`models.pricing.RELATIVE_TOLERANCE` of the Lagrangian bound of the last pass, which counts every
   left-out negative pair, capped at each demand's inflow or each supplier's supply, whichever bounds better (a bound
   on the all-arcs optimum whatever is left out, :meth:`models.pricing.NegativePairs.capped_terms`): the last few
   rounds add one to four arcs and change the cost by less than that (province drugs: 0.26 s of 4.1 s). A round
   or time cap only stops it early, then the status is ``feasible`` with that bound (or each unit at its nearest
   partner's cost, :mod:`models.nearest_bound`, where that is better). A pricing pass that its deadline stops
   leaves no Lagrangian bound; the phase then bounds its plan by each unit at its nearest partner's cost and, where
   a scan of every pair takes at most :data:`BOUND_SCAN_SECONDS`, by its restricted solve's potentials with each
   demand's and supplier's least reduced cost (:mod:`models.pricing_bound`), the better of the two.

Assignment arcs get capacity ``min(a_s, inflow_d)`` (``inflow_d`` = the demand's outlet capacity), which no
feasible flow exceeds (tight capacities make OR-Tools' solver markedly faster). The potentials are derived
with capacity ``inflow_d + 1`` instead: the feasible flows, hence the optimum, are the same, and that residual
network is a superset, so its potentials certify the flow for both; pricing skips the restricted pairs
anyway (:attr:`ArcSet.keys`). Objective and bound are reported in exact minutes
(:meth:`models.pricing.CostScale.lower_bound`); the status is ``optimal`` when the certified gap is at most
:data:`models.pricing.RELATIVE_TOLERANCE`.

Without a complete arc set (``complete=None``) the seed arcs are the whole model: one min-cost flow, no
feasibility repair (the caller's earlier phases ran on the same arcs), no pricing.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models.base import Status, relative_gap
from models.flow import FlowError, IntArray, MaxFlow, min_cost_flow
from models.nearest_bound import nearest_cost_bound
from models.pricing import (
    RELATIVE_TOLERANCE,
    START_UNITS_PER_MINUTE,
    CompleteArcs,
    CostScale,
    FloatArray,
    Priced,
    cost_scale,
    price,
    ranks_by_cost_within_groups,
    residual_potentials,
    sums_before_within_groups,
)
from models.pricing_bound import least_reduced_terms, scan_seconds

SPREAD_DOUBLINGS = 16
"""Rounds of :func:`make_feasible` after which the bridging pairs per cut supplier stop doubling."""
FEASIBILITY_NEIGHBOURS = 32
"""Most arcs a supplier on the source side of a cut gets per feasibility round (to its nearest cut-off demands)."""
KEEP_PER_DEMAND = 6
"""After the first solve each demand keeps its arcs with flow and this many of its cheapest by reduced cost.
Province snapshot (nursing, drugs seconds): 2 -> 1.80, 4.21; 4 -> 1.66, 3.32; 6 -> 1.31, 3.38; 8 -> 1.35, 3.53;
12 -> 1.46, 4.01: fewer kept and pricing adds them back round after round, more and every round is slower."""
NOTHING_PRICED = Priced(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0, 0, 0.0)
REFINE_FACTOR = 2.0**8
"""How much finer the cost resolution gets when a proven plan's certified gap is still above the tolerance."""
EVERY_PAIR_MAX = 60_000
"""Up to this many supplier -> demand pairs the rounds start from every pair (measured at the city's nursing,
50 pools x 881 needs: one min-cost flow over the 44,050 pairs took 21 ms, five rounds of pricing from the
nearest pools 65 ms)."""
MAX_PRICING_ROUNDS = 200
"""Pricing rounds before the phase stops with a bound (never reached on the benchmark instances)."""
BOUND_SCAN_SECONDS = 1.0
"""A phase whose pricing pass its deadline stopped scans every pair for the bound of its potentials
(:mod:`models.pricing_bound`) when that scan should take at most this long (a national drug class: 0.5 s)."""
ENTERING_PER_NODE = 3
"""Arcs a pricing round may add, per supplier and demand (the most negative, spread over the demands). Province
nursing, 10 rounds at 1 per node (each round capped): 1.75 s; 3 per node 1.51 s; 6 per node 1.85 s (bigger flows);
province drugs 3.9 s at each."""


@dataclass(frozen=True)
class TransportProblem:
    """One cost phase: suppliers, demands with their outlets to class nodes, class totals, the arcs.

    ``outlet_demand`` / ``outlet_class`` / ``outlet_capacity``: one entry per outlet arc ``d -> k``.
    ``seed_supplier`` / ``seed_demand``: the arcs to start from (model rows). ``seed_minutes``: their costs, used
    only without ``complete`` (then the seeds are the model); with ``complete`` every cost comes from it.
    ``pricing_rounds``: the rounds of pricing at most (:data:`MAX_PRICING_ROUNDS` unless a caller needs less).
    """

    supply: IntArray
    num_demands: int
    outlet_demand: IntArray
    outlet_class: IntArray
    outlet_capacity: IntArray
    class_demand: IntArray
    seed_supplier: IntArray
    seed_demand: IntArray
    seed_minutes: FloatArray | None = None
    complete: CompleteArcs | None = None
    pricing_rounds: int = MAX_PRICING_ROUNDS
    """Pricing rounds at most: a cap stops the rounds with a plan that meets the class totals and its bound; 0
    prices and bounds nothing: the min-cost flow's plan over the arcs it has (every pair where they fit one flow,
    then least but not proven so), without the potentials a bound needs (a timeline's days count nurses only)."""

    @property
    def num_suppliers(self) -> int:
        return int(self.supply.size)

    @property
    def num_nodes(self) -> int:
        return self.num_suppliers + self.num_demands + int(self.class_demand.size) + 1

    @property
    def inflow(self) -> IntArray:
        """Most a demand can pass on: the capacity of its outlets."""
        return np.bincount(self.outlet_demand, weights=self.outlet_capacity, minlength=self.num_demands).astype(
            np.int64
        )

    @property
    def flow_total(self) -> int:
        """What every feasible flow ships over the assignment arcs: the class totals."""
        return int(self.class_demand.sum())


@dataclass(frozen=True)
class TransportSolution:
    """The final restricted arcs with their flow, what was proven, and how it went.

    ``objective`` is the flow's cost in exact minutes; ``bound`` a lower bound on the full model's optimum in
    exact minutes. ``stats``: arcs_seed, arcs_feasibility, arcs_priced_in, arcs_dropped (after the first solve),
    arcs (final), pairs_priced, feasibility_rounds, pricing_rounds, resolutions (cost scales tried),
    units_per_minute (the last), proven, seconds per step.
    """

    supplier: IntArray
    demand: IntArray
    minutes: FloatArray
    flow: IntArray
    status: Status
    objective: float
    bound: float
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        return relative_gap(self.objective, self.bound)


class ArcSet:
    """The restricted arcs: unique (supplier, demand) pairs with their costs in minutes, grown by :meth:`add`."""

    def __init__(self, num_demands: int) -> None:
        self.num_demands = max(int(num_demands), 1)
        self.supplier = np.zeros(0, dtype=np.int64)
        self.demand = np.zeros(0, dtype=np.int64)
        self.minutes = np.zeros(0, dtype=np.float64)
        self._keys = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.supplier.size)

    def add(self, supplier: IntArray, demand: IntArray, minutes: FloatArray) -> int:
        """Add the pairs not yet present (the first of repeated pairs); returns how many were new."""
        keys = np.asarray(supplier, np.int64) * self.num_demands + np.asarray(demand, np.int64)
        keys, first = np.unique(keys, return_index=True)
        where = np.searchsorted(self._keys, keys)  # both sorted: a binary search each, no re-sort of the set
        present = where < self._keys.size
        present[present] = self._keys[where[present]] == keys[present]
        fresh = ~present
        if not fresh.any():
            return 0
        take = first[fresh]
        self.supplier = np.concatenate([self.supplier, np.asarray(supplier, np.int64)[take]])
        self.demand = np.concatenate([self.demand, np.asarray(demand, np.int64)[take]])
        self.minutes = np.concatenate([self.minutes, np.asarray(minutes, np.float64)[take]])
        self._keys = np.insert(self._keys, where[fresh], keys[fresh])
        return int(take.size)

    def keep(self, mask: np.ndarray) -> int:
        """Keep only the arcs of ``mask`` (the others become left-out pairs again); returns how many were dropped."""
        self.supplier, self.demand, self.minutes = self.supplier[mask], self.demand[mask], self.minutes[mask]
        self._keys = np.sort(self.supplier * self.num_demands + self.demand)
        return int(mask.size - mask.sum())

    @property
    def keys(self) -> IntArray:
        """``supplier * num_demands + demand`` of every arc, sorted (what :func:`models.pricing.price` skips)."""
        return self._keys


def solve_transport(
    problem: TransportProblem, deadline: float | None = None, pricing_deadline: float | None = None
) -> TransportSolution:
    """The cost phase's min-cost flow over every allowed pair (module docstring); raises :class:`FlowError`
    when the restricted network cannot be made feasible (the earlier phases promised more than exists).

    No round starts after ``deadline``; a pricing pass stops at ``pricing_deadline`` (default ``deadline``), its
    plan then without a bound but 0 (:class:`models.pricing.Priced`).

    Rounds start at :data:`models.pricing.START_UNITS_PER_MINUTE`; when pricing has proven the plan but its
    certified gap on exact minutes is still above the tolerance, the resolution is refined (up to the safe
    finest, :func:`models.pricing.cost_scale`) and the rounds go on from the current arcs.
    """
    arcs = ArcSet(problem.num_demands)
    complete = problem.complete
    if complete is None:
        minutes = problem.seed_minutes if problem.seed_minutes is not None else np.zeros(problem.seed_supplier.size)
        arcs.add(problem.seed_supplier, problem.seed_demand, minutes)
        max_cost = float(arcs.minutes.max(initial=0.0))
    else:
        seed_supplier, seed_demand = seed_pairs(problem)
        arcs.add(seed_supplier, seed_demand, complete.cost_minutes(seed_supplier, seed_demand))
        max_cost = complete.max_cost_minutes()
    scale = cost_scale(max_cost, problem.num_nodes, problem.flow_total, START_UNITS_PER_MINUTE)
    finest = cost_scale(max_cost, problem.num_nodes, problem.flow_total)
    log = PricingLog(arcs_seed=len(arcs))
    started = time.perf_counter()
    if complete is not None:
        log.feasibility_rounds, log.arcs_feasibility = make_feasible(problem, arcs, complete)
    log.seconds["feasibility_seconds"] = time.perf_counter() - started
    while True:
        pricing_stop = deadline if pricing_deadline is None else pricing_deadline
        outcome = price_rounds(problem, arcs, scale, (deadline, pricing_stop), log)
        refine = (
            outcome.converged and outcome.gap > RELATIVE_TOLERANCE and scale.units_per_minute < finest.units_per_minute
        )
        if not refine or (deadline is not None and time.perf_counter() >= deadline):
            break
        scale = CostScale(min(finest.units_per_minute, scale.units_per_minute * REFINE_FACTOR))
    status = Status.OPTIMAL if outcome.gap <= RELATIVE_TOLERANCE else Status.FEASIBLE
    stats = {**log.stats(len(arcs), status is Status.OPTIMAL, scale), "priced_out": outcome.converged}
    return TransportSolution(
        arcs.supplier, arcs.demand, arcs.minutes, outcome.flow, status, outcome.objective, outcome.bound, stats
    )


def lists_every_pair(problem: TransportProblem, arcs: ArcSet) -> bool:
    """Whether ``arcs`` holds every supplier -> demand pair of ``problem`` (nothing left out to add or price)."""
    return len(arcs) == problem.num_suppliers * problem.num_demands


def starts_from_every_pair(num_suppliers: int, num_demands: int) -> bool:
    """Whether a problem this size starts from every pair (at most :data:`EVERY_PAIR_MAX`), not from its seed."""
    return num_suppliers * num_demands <= EVERY_PAIR_MAX


def seed_pairs(problem: TransportProblem) -> tuple[IntArray, IntArray]:
    """The arcs the rounds start from: the caller's seed, or every pair when there are at most
    :data:`EVERY_PAIR_MAX` (one min-cost flow over them is faster than rounds of pricing)."""
    if not starts_from_every_pair(problem.num_suppliers, problem.num_demands):
        return problem.seed_supplier, problem.seed_demand
    supplier, demand = np.divmod(np.arange(problem.num_suppliers * problem.num_demands), problem.num_demands)
    return supplier.astype(np.int64), demand.astype(np.int64)


@dataclass
class PricingLog:
    """What the rounds did so far (:attr:`TransportSolution.stats`)."""

    arcs_seed: int = 0
    arcs_feasibility: int = 0
    feasibility_rounds: int = 0
    arcs_priced_in: int = 0
    arcs_dropped: int = 0
    pairs_priced: int = 0
    pricing_rounds: int = 0
    resolutions: int = 0
    seconds: dict[str, float] = field(
        default_factory=lambda: {
            "feasibility_seconds": 0.0,
            "min_cost_seconds": 0.0,
            "pricing_seconds": 0.0,
            "bound_seconds": 0.0,
        }
    )

    def stats(self, arcs: int, proven: bool, scale: CostScale) -> dict[str, Any]:
        counts = {name: value for name, value in vars(self).items() if name != "seconds"}
        return {**counts, "arcs": arcs, "proven": proven, "units_per_minute": scale.units_per_minute, **self.seconds}


@dataclass(frozen=True)
class RoundsOutcome:
    """The last round at one resolution: the flow, its exact cost, the certified bound, whether pricing is done."""

    flow: IntArray
    objective: float
    bound: float
    converged: bool

    @property
    def gap(self) -> float:
        return relative_gap(self.objective, self.bound)


def price_rounds(
    problem: TransportProblem,
    arcs: ArcSet,
    scale: CostScale,
    deadlines: tuple[float | None, float | None],
    log: PricingLog,
) -> RoundsOutcome:
    """Min-cost flow, potentials and pricing at one resolution until no left-out pair is negative (or the cap).
    ``deadlines``: (no round starts after it, a pricing pass stops at it).

    Arcs are pruned once, after the very first solve (:func:`worth_keeping`); from then on they only grow, so
    the rounds end.
    """
    complete = problem.complete
    deadline, pricing_deadline = deadlines
    log.resolutions += 1
    while True:
        started = time.perf_counter()
        network = cost_network(problem, arcs, scale)
        solved = min_cost_flow(*network, turned=True)  # faster for these networks (models.flow)
        flow = solved.flows[: len(arcs)]
        log.seconds["min_cost_seconds"] += time.perf_counter() - started
        objective = float(np.dot(flow.astype(np.float64), arcs.minutes))
        if problem.pricing_rounds <= 0:  # neither priced nor bounded: a plan meeting the totals
            return RoundsOutcome(flow, objective, -math.inf, False)
        every_pair = complete is None or lists_every_pair(problem, arcs)
        started = time.perf_counter()
        # the same flow is optimal with looser assignment capacities (no feasible flow reaches inflow_d + 1), whose
        # residual network is a superset: its potentials certify both, and leave every flow-carrying arc tight
        loose = network[2].copy()
        loose[: len(arcs)] = problem.inflow[arcs.demand] + 1
        potential = residual_potentials(problem.num_nodes, network[0], network[1], loose, network[3], solved.flows)
        supplier_potential = potential[: problem.num_suppliers]
        demand_potential = potential[problem.num_suppliers : problem.num_suppliers + problem.num_demands]
        found = NOTHING_PRICED
        if not every_pair:
            assert complete is not None
            found = price(
                complete,
                scale,
                (supplier_potential, demand_potential),
                (problem.supply, problem.inflow),
                (arcs.keys, arcs.num_demands),
                ENTERING_PER_NODE * (problem.num_demands + problem.num_suppliers),
                pricing_deadline,
            )
            log.pricing_rounds += 1
        log.seconds["pricing_seconds"] += time.perf_counter() - started
        log.pairs_priced += found.examined
        converged = found.finished and found.supplier.size == 0
        if not found.finished:  # stopped at its deadline (module docstring)
            assert complete is not None
            started = time.perf_counter()
            bound = stopped_bound(problem, arcs, complete, network, (int(solved.cost), potential), scale)
            log.seconds["bound_seconds"] += time.perf_counter() - started
        else:
            terms = (found.bound_term, found.float_term)
            bound = potentials_bound(problem, network, int(solved.cost), arcs, potential, scale, terms)
        bound = min(bound, objective)
        close_enough = relative_gap(objective, bound) <= RELATIVE_TOLERANCE  # within tolerance of every pair's bound
        out_of_time = deadline is not None and time.perf_counter() >= deadline
        if log.pricing_rounds == 1:  # the first pass priced (so not every pair is listed): keep the arcs worth
            # keeping, whether the rounds go on or not (a later drug class starts from the arcs this one ends with)
            reduced = network[3][: len(arcs)] - supplier_potential[arcs.supplier] + demand_potential[arcs.demand]
            kept = worth_keeping(arcs.demand, flow, reduced)
            log.arcs_dropped += arcs.keep(kept)
            flow = flow[kept]
        if converged or close_enough or log.pricing_rounds >= problem.pricing_rounds or out_of_time:
            if not (converged or close_enough) and found.finished and complete is not None:
                # stopped with pairs left: the potentials of a restricted solve may bound it worse than each unit
                # at its nearest partner does (a national drug class after its first solve: 0 against 1.4e10)
                bound = max(bound, min(nearest_bound(problem, arcs, complete), objective))
            return RoundsOutcome(flow, objective, bound, converged)
        assert complete is not None  # without it nothing is priced: converged
        log.arcs_priced_in += arcs.add(
            found.supplier, found.demand, complete.cost_minutes(found.supplier, found.demand)
        )


def stopped_bound(
    problem: TransportProblem,
    arcs: ArcSet,
    complete: CompleteArcs,
    network: tuple[IntArray, IntArray, IntArray, IntArray, IntArray],
    solved: tuple[int, IntArray],
    scale: CostScale,
) -> float:
    """The bound of a phase whose pricing pass stopped: each unit at its nearest partner's cost, or the Lagrangian
    bound of the restricted solve's potentials where a scan of every pair is short enough
    (:data:`BOUND_SCAN_SECONDS`, :mod:`models.pricing_bound`), the better. ``solved`` = (the flow's cost in units,
    the potentials)."""
    bound = nearest_bound(problem, arcs, complete)
    capacity = (problem.supply, problem.inflow)
    if scan_seconds(capacity) > BOUND_SCAN_SECONDS:
        return bound
    units_cost, potential = solved
    restricted = (arcs.keys, arcs.num_demands)
    # the terms at which the potentials' bound (:func:`potentials_bound`) is no better than ``bound``: the scan stops
    useless_at = (
        bound * scale.units_per_minute + 0.5 * problem.flow_total - float(units_cost),
        bound - lagrangian_bound(network, arcs.minutes, potential, scale),
    )
    terms = least_reduced_terms(
        complete, scale, potential=potential, capacity=capacity, restricted=restricted, useless_at=useless_at
    )
    if not math.isfinite(terms[0]):
        return bound
    return max(bound, potentials_bound(problem, network, units_cost, arcs, potential, scale, terms))


def potentials_bound(
    problem: TransportProblem,
    network: tuple[IntArray, IntArray, IntArray, IntArray, IntArray],
    units_cost: int,
    arcs: ArcSet,
    potential: IntArray,
    scale: CostScale,
    left_out_terms: tuple[float, float],
) -> float:
    """The Lagrangian bound of the restricted solve's ``potential`` in exact minutes (at least 0): the better of the
    integer one (the flow's ``units_cost`` plus the left-out term in units) and the one on exact minutes
    (:func:`lagrangian_bound` plus the left-out term in minutes); ``left_out_terms`` = (units, minutes)."""
    rounded = scale.lower_bound(float(units_cost) + left_out_terms[0], problem.flow_total)
    exact = lagrangian_bound(network, arcs.minutes, potential, scale) + left_out_terms[1]
    return max(rounded, exact, 0.0)


def nearest_bound(problem: TransportProblem, arcs: ArcSet, complete: CompleteArcs) -> float:
    """The phase's bound from each unit's nearest partner (:mod:`models.nearest_bound`), where pricing stopped."""
    outlets = (problem.outlet_demand, problem.outlet_class, problem.outlet_capacity, problem.class_demand)
    restricted = (arcs.supplier, arcs.demand, arcs.minutes)
    return nearest_cost_bound(complete, (problem.supply, problem.inflow), outlets, restricted)


def lagrangian_bound(
    network: tuple[IntArray, IntArray, IntArray, IntArray, IntArray],
    arc_minutes: FloatArray,
    potential: IntArray,
    scale: CostScale,
) -> float:
    """The restricted network's part of the Lagrangian bound on exact minutes (:mod:`models.pricing`).

    ``sum_v pi(v) b(v) + sum_a u_a min(0, minutes_a - pi(tail) + pi(head))`` over the network's arcs with
    ``pi = potential / units_per_minute``; the first sum in exact integers, the second in floats less a margin
    far above their rounding error (pairwise summation), so the value never exceeds the true one.
    """
    tails, heads, capacities, _, supplies = network
    minutes = np.concatenate([arc_minutes, np.zeros(tails.size - arc_minutes.size)])
    difference = (potential[tails] - potential[heads]) / scale.units_per_minute
    terms = np.minimum(minutes - difference, 0.0) * capacities
    exact_part = sum(int(p) * int(b) for p, b in zip(potential[supplies != 0], supplies[supplies != 0], strict=True))
    margin = 1e-12 * float(np.abs(terms).sum())
    return exact_part / scale.units_per_minute + float(terms.sum()) - margin


def worth_keeping(demand: IntArray, flow: IntArray, reduced: IntArray) -> np.ndarray:
    """Arcs to keep after the first solve: those with flow, and each demand's :data:`KEEP_PER_DEMAND` cheapest
    by reduced cost (the likeliest to enter next)."""
    return (ranks_by_cost_within_groups(demand, reduced) < KEEP_PER_DEMAND) | (flow > 0)


def cost_network(
    problem: TransportProblem, arcs: ArcSet, scale: CostScale
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    """Tails, heads, capacities, unit costs and supplies of the min-cost flow; assignment arcs first.

    Nodes: suppliers, demands, classes, spare. Assignment arcs ``s -> d`` (capacity :func:`arc_capacity`),
    outlets ``d -> k``, spare arcs ``s -> spare`` (capacity ``a_s``).
    """
    suppliers, demands = problem.num_suppliers, problem.num_demands
    class_base = suppliers + demands
    spare = class_base + int(problem.class_demand.size)
    supplier_nodes = np.arange(suppliers, dtype=np.int64)
    tails = np.concatenate([arcs.supplier, suppliers + problem.outlet_demand, supplier_nodes])
    heads = np.concatenate([suppliers + arcs.demand, class_base + problem.outlet_class, np.full(suppliers, spare)])
    capacities = np.concatenate([arc_capacity(problem, arcs), problem.outlet_capacity, problem.supply])
    costs = np.concatenate([scale.units(arcs.minutes), np.zeros(problem.outlet_demand.size + suppliers, np.int64)])
    supplies = np.zeros(problem.num_nodes, dtype=np.int64)
    supplies[:suppliers] = problem.supply
    supplies[class_base:spare] = -problem.class_demand
    supplies[spare] = -(int(problem.supply.sum()) - problem.flow_total)
    return tails, heads, capacities.astype(np.int64), costs, supplies


def bridging_pairs(
    complete: CompleteArcs,
    suppliers: IntArray,
    demands: IntArray,
    leftover: IntArray,
    inflow: IntArray,
    spread: int = 1,
) -> tuple[IntArray, IntArray]:
    """Arcs across a cut: each supplier of ``suppliers`` to its nearest ``demands``, as many (up to
    ``spread`` x :data:`FEASIBILITY_NEIGHBOURS`, at least one) as it takes for their inflow to cover ``spread``
    times its leftover supply. ``spread`` doubles with each round of :func:`make_feasible`: suppliers at one spot
    share their nearest demands, and covering each one's leftover alone took a round per few arcs (20,000 nurse
    pools at one spot ran past 5 minutes)."""
    pair_supplier, pair_demand = complete.nearest_demands(suppliers, demands, FEASIBILITY_NEIGHBOURS * spread)
    if pair_supplier.size == 0:
        return pair_supplier, pair_demand
    order = np.argsort(pair_supplier, kind="stable")  # nearest first within each supplier
    pair_supplier, pair_demand = pair_supplier[order], pair_demand[order]
    covered_before = sums_before_within_groups(pair_supplier, inflow[pair_demand])
    starts = np.r_[True, pair_supplier[1:] != pair_supplier[:-1]]
    needed = starts | (covered_before < spread * leftover[pair_supplier])
    return pair_supplier[needed], pair_demand[needed]


def arc_capacity(problem: TransportProblem, arcs: ArcSet) -> IntArray:
    """``min(a_s, inflow_d)`` per assignment arc: no feasible flow puts more on it (tight capacities also make
    OR-Tools' solver markedly faster than loose ones)."""
    return np.minimum(problem.supply[arcs.supplier], problem.inflow[arcs.demand])


def make_feasible(problem: TransportProblem, arcs: ArcSet, complete: CompleteArcs) -> tuple[int, int]:
    """Grow ``arcs`` until the restricted network meets the class totals (step 1 of the module docstring).

    Returns the rounds and the arcs added. With every pair listed there is nothing to add and no maximum flow to
    run: totals every pair cannot meet then make the min-cost flow fail (:class:`FlowError`), as here.
    """
    if lists_every_pair(problem, arcs):
        return 0, 0
    suppliers, demands = problem.num_suppliers, problem.num_demands
    class_base = suppliers + demands
    source, sink = class_base + int(problem.class_demand.size), class_base + int(problem.class_demand.size) + 1
    uncapacitated = int(problem.supply.sum()) + 1
    inflow = problem.inflow
    rounds = added = 0
    while True:
        supplier_nodes = np.arange(suppliers, dtype=np.int64)
        class_nodes = class_base + np.arange(problem.class_demand.size, dtype=np.int64)
        network = MaxFlow(
            np.concatenate([np.full(suppliers, source), arcs.supplier, suppliers + problem.outlet_demand, class_nodes]),
            np.concatenate(
                [
                    supplier_nodes,
                    suppliers + arcs.demand,
                    class_base + problem.outlet_class,
                    np.full(class_nodes.size, sink),
                ]
            ),
            np.concatenate(
                [problem.supply, np.full(len(arcs), uncapacitated), problem.outlet_capacity, problem.class_demand]
            ),
        )
        if network.solve(source, sink) == problem.flow_total:
            return rounds, added
        side = network.source_side(sink + 1)
        cut_suppliers = np.flatnonzero(side[:suppliers] & (problem.supply > 0))
        cut_demands = np.flatnonzero(~side[suppliers:class_base] & (inflow > 0))
        leftover = problem.supply - network.flows()[:suppliers]
        spread = 2 ** min(rounds, SPREAD_DOUBLINGS)
        pair_supplier, pair_demand = bridging_pairs(complete, cut_suppliers, cut_demands, leftover, inflow, spread)
        new = arcs.add(pair_supplier, pair_demand, complete.cost_minutes(pair_supplier, pair_demand))
        if new == 0:
            raise FlowError("The class totals cannot be met even with every supplier -> demand pair.")
        rounds += 1
        added += new
