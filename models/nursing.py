"""Stage 3 — reserve nurses to needs: a transportation problem with shortage, solved exactly (DESIGN §5.3).

Sets
----
``P``  reserve pools ``p`` with ``nurses_p`` nurses in district ``district_p``.
``N``  needs ``n`` with ``required_n > 0`` nurses at a destination in district ``district_n``,
       each of one tier ``tier_n`` (``transfer_1to1`` before ``backfill`` before ``self_care``).
``A``  arcs ``(p, n)`` a pool may serve, with travel ``minutes_pn``: every pair when the caller passes
       ``all_pairs`` (DESIGN §5.3: any pool may serve any need; the ``arcs`` table, the need's own
       district and the nearest pools, then only seeds the solve), else exactly the pairs of ``arcs``.

Variables
---------
``nurses_pn`` (integer >= 0)  nurses of pool ``p`` sent to need ``n``, ``(p, n) in A``;
``unmet_n`` (integer >= 0)    nurses need ``n`` still lacks.

Constraints
-----------
(1) pool capacity   ``sum_n nurses_pn <= nurses_p``              (:func:`add_pool_supply`; cost phase: pool
                    supply, the rest to a spare node, :func:`cheapest_assignment`)
(2) assignment      ``nurses_pn`` only on arcs of ``A``, at most ``required_n`` (:func:`add_assignment_arcs`;
                    with every pair allowed the pairs a proof needs, :func:`cheapest_assignment`)
(3) need size       ``sum_p nurses_pn + unmet_n = required_n``    (:func:`add_need_sizes`; cost phase: the
                    need's outlet to its tier, capacity ``required_n``)
(4) tier totals     in the final phase, ``sum_{n in tier k} sum_p nurses_pn = served_k``,
                    the optimum of phase ``k``                    (:func:`cheapest_assignment`: class totals)

Lexicographic objective
-----------------------
Phases ``1 .. K``: maximise the nurses assigned to tier ``k`` with tiers ``1 .. k-1`` held at
their optimum (equivalently: minimise the unmet 1:1 nurses first, then the unmet backfill, then the
unmet self-care); phase ``K + 1``: minimise ``sum cost_pn * nurses_pn`` in exact minutes, with
``cost_pn = minutes_pn + crossing_penalty_minutes * [district_p != district_n]`` (territorial
responsibility: a pool serves its own district first).

Method and proof of exactness
-----------------------------
**Tier phases, every pair allowed** (``all_pairs``). The network source -> pool (``nurses_p``) -> need
(``required_n``) -> sink is complete bipartite. A cut keeping pools ``P1`` and needs ``N1`` on the source
side costs ``nurses(P - P1) + sum_{p in P1, n notin N1} required_n + required(N1)``: with ``P1`` and
``N - N1`` both non-empty the middle term alone is at least ``required(N - N1)``, so every cut costs at
least ``min(nurses(P), required(N))``, and the two trivial cuts attain it. With the sink arcs of tiers
``1 .. k`` open this gives ``F_k = min(sum nurses, sum_{tiers <= k} required)`` without any arc, and
``served_k = F_k - F_{k-1}`` as below (:func:`tier_maxima`).

**Tier phases, only the listed arcs** (no ``all_pairs``): let ``F_k`` be the maximum flow from the pools
into the needs of tiers ``1 .. k`` (network source -> pool (1) -> need (2) -> sink (3), sink arcs of higher
tiers closed). Tier ``k`` can
receive at most ``F_k - F_{k-1}`` once tiers ``1 .. k-1`` receive ``F_{k-1}``, because tiers
``1 .. k`` together receive at most ``F_k``. The bound is attained: start from a maximum flow
for tiers ``1 .. k-1`` and open the tier-``k`` sink arcs; each augmenting path is a simple path
source -> ... -> sink, so it ends with exactly one need -> sink arc traversed forward and never
decreases the flow on any need -> sink arc; tiers ``1 .. k-1`` keep ``F_{k-1}`` and the total
reaches ``F_k``. Hence the lexicographic optimum of the tier totals is
``served_k = F_k - F_{k-1}``, computed by ``K`` maximum flows on one network whose sink arcs are
switched on tier by tier.

**Cost phase.** One min-cost flow whose tier nodes demand exactly ``served_k`` (4), feasible by the
argument above, so its optimum is the lexicographic optimum; the tier totals are fixed as constraints, no
big-M weights are combined. It is the transportation problem of :mod:`models.transport` (pools supply
``nurses_p``, the rest to a spare node; need ``n`` passes at most ``required_n`` to its tier's class).
With every pair allowed the ``arcs`` table only seeds a restricted network; cut-off needs get arcs until
the tier totals can be met, then node potentials price every left-out pair and each one with a negative
reduced cost enters, until none is left: the restricted optimum is then the all-pairs optimum (proof in
:mod:`models.pricing`; a pair's cost, minutes plus the penalty, is at least its minutes, so the pricing
radius on minutes misses no pair). Costs are integers at a resolution that keeps the plan within ``1e-6``
relative of the optimum for the unrounded minutes, refined when the certified gap is larger, without
``int64`` overflow (:class:`models.pricing.CostScale`). The cost phase reports its objective and a
certified lower bound on the full model in exact minutes; the stage is ``optimal`` only when pricing left
no negative pair and that gap is within ``1e-6``; stopped by the time limit it is ``feasible`` with the
bound. All flows are integral.

Marginal value of a nurse
-------------------------
The final flow is a maximum flow for every tier prefix at once. One more nurse at pool ``p``
raises ``F_k`` by one exactly when the residual network restricted to needs of tiers ``1 .. k``
has a path from ``p`` to an unmet need of those tiers (forward along any arc, backward along an
arc carrying nurses). ``marginal_tier`` is the first such tier and ``marginal_value`` the persons of
that tier one more nurse would cover (1), or 0 (and ``""``) when every need it can reach is met. With
every pair allowed every pool reaches every need: the first tier with an unmet need, for every pool.

Output tables
-------------
``needs``        need_id, destination_id, need, required, assigned, unmet, district_id, reason,
                 binding_pools, binding_districts (``;``-joined; the pools of the need's listed arcs, the 10 nearest —
                 with every pair allowed the seeds, its own district's and the nearest — all used up);
                 reason ``pools_used_up`` (arcs exist, their pools are exhausted) or
                 ``no_pool_in_reach`` (no arc; with every pair allowed: no pool at all); ``""`` when met.
``assignments``  pool_id, need_id, nurses, minutes, pool_district_id, need_district_id,
                 crosses_district, cost_minutes (nurses * (minutes + penalty if crossing), exact minutes).
``pools``        pool_id, district_id, nurses, used, spare, marginal_tier, marginal_value.
"""

from __future__ import annotations

import dataclasses
import functools
import time

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
    dedupe_arcs,
    positions,
    suppliers_reaching_unmet,
)
from models.pricing import AllPairs, CompleteArcs, ranks_by_cost_within_groups
from models.transport import MAX_PRICING_ROUNDS, TransportProblem, TransportSolution, solve_transport

STAGE = "nursing"
DEFAULT_TIERS: tuple[str, ...] = ("transfer_1to1", "backfill", "self_care")
"""Need tiers in the order they are served (1:1 care of transferred disabled elderly first)."""
BINDING_POOLS_SHOWN = 10
"""The used-up pools a short need's explanation names at most (its nearest listed ones)."""

NEEDS_COLUMNS = [
    "need_id",
    "destination_id",
    "need",
    "required",
    "assigned",
    "unmet",
    "district_id",
    "reason",
    "binding_pools",
    "binding_districts",
]
ASSIGNMENT_COLUMNS = [
    "pool_id",
    "need_id",
    "nurses",
    "minutes",
    "pool_district_id",
    "need_district_id",
    "crosses_district",
    "cost_minutes",
]
POOL_COLUMNS = ["pool_id", "district_id", "nurses", "used", "spare", "marginal_tier", "marginal_value"]


@dataclasses.dataclass(frozen=True)
class NursingInstance:
    """Pools, the needs with ``required > 0`` and the arcs between them, as arrays.

    Arc arrays are aligned: ``arc_pool`` and ``arc_need`` index ``pools`` and ``needs``.
    """

    pools: pd.DataFrame
    needs: pd.DataFrame
    """The needs with ``required > 0`` (the flow's demand nodes)."""
    all_needs: pd.DataFrame
    """Every need row as given (reported with ``assigned = unmet = 0`` when ``required == 0``)."""
    tiers: tuple[str, ...]
    tier_of_need: IntArray
    arc_pool: IntArray
    arc_need: IntArray
    arc_minutes: FloatArray
    arc_crosses: BoolArray
    crossing_penalty_minutes: float
    complete: CompleteArcs | None = None
    """Every pool -> need pair (then the arcs above only seed the solve), or None: the arcs are the model."""

    @functools.cached_property
    def required_per_tier(self) -> FloatArray:
        """Nurses the needs of each tier require (as ``np.bincount`` with weights gives them)."""
        return np.asarray(np.bincount(self.tier_of_need, weights=self.required, minlength=len(self.tiers)), np.float64)

    @property
    def arc_cost_minutes(self) -> FloatArray:
        """Minutes plus the crossing penalty of every listed arc."""
        return self.arc_minutes + self.crossing_penalty_minutes * self.arc_crosses

    def pair_minutes(self, pool: IntArray, need: IntArray) -> FloatArray:
        """Travel minutes (no penalty) of pairs: from the full model's costs, else of the listed arcs."""
        if self.complete is not None:
            complete = self.complete
            return complete.costs.minutes(complete.supplier_location[pool], complete.demand_location[need])
        keys = self.arc_pool * max(self.num_needs, 1) + self.arc_need
        order = np.argsort(keys, kind="stable")
        found = order[np.searchsorted(keys[order], pool * max(self.num_needs, 1) + need)]
        return self.arc_minutes[found]

    def pair_crosses(self, pool: IntArray, need: IntArray) -> BoolArray:
        """Whether pairs cross a district line."""
        pool_district = self.pools["district_id"].to_numpy()
        need_district = self.needs["district_id"].to_numpy()
        return np.asarray(pool_district[pool] != need_district[need], dtype=bool)

    @property
    def num_pools(self) -> int:
        return len(self.pools)

    @property
    def num_needs(self) -> int:
        return len(self.needs)

    @property
    def nurses(self) -> IntArray:
        return self.pools["nurses"].to_numpy(dtype=np.int64)

    @property
    def required(self) -> IntArray:
        return self.needs["required"].to_numpy(dtype=np.int64)


@dataclasses.dataclass(frozen=True)
class NursingSolution:
    """The lexicographic phase values and the cost phase's final arcs with their nurses."""

    assignment: TransportSolution
    served_per_tier: list[int]
    seconds_max_flow: float
    seconds_min_cost: float

    @property
    def arc_pool(self) -> IntArray:
        return self.assignment.supplier

    @property
    def arc_need(self) -> IntArray:
        return self.assignment.demand

    @property
    def arc_nurses(self) -> IntArray:
        return self.assignment.flow

    def nurses_per_need(self, num_needs: int) -> IntArray:
        """Nurses assigned to each need (the instance's active needs)."""
        return np.bincount(self.arc_need, weights=self.arc_nurses, minlength=num_needs).astype(np.int64)

    def nurses_per_pool(self, num_pools: int) -> IntArray:
        """Nurses each pool sends."""
        return np.bincount(self.arc_pool, weights=self.arc_nurses, minlength=num_pools).astype(np.int64)


def solve_nursing(
    pools: pd.DataFrame,
    needs: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    tiers: tuple[str, ...] = DEFAULT_TIERS,
    crossing_penalty_minutes: float,
    all_pairs: AllPairs | None = None,
    options: SolveOptions = SolveOptions(),  # noqa: B008 - frozen dataclass, safe default
) -> StageResult:
    """Assign reserve nurses to needs, tiers strictly in order, then the least travel and crossing cost.

    Parameters
    ----------
    pools
        ``pool_id, district_id, nurses``.
    needs
        ``need_id, destination_id, need, district_id, required`` (extra columns are kept).
    arcs
        ``pool_id, need_id, minutes``; unknown ids are ignored, duplicate pairs keep the fastest. With
        ``all_pairs`` they only seed the solve.
    tiers
        Need tiers in service order; every ``need`` value must be one of them.
    crossing_penalty_minutes
        Cost added per nurse sent across a district line (from the rules).
    all_pairs
        The minutes of every pool -> destination pair (every pool and every need's ``destination_id``
        must have a location there): the model then allows every pair and proves its plan optimal over
        all of them (module docstring). None: the model's arcs are those of ``arcs``.
    options
        The time limit bounds the pricing rounds (never reached on the benchmark instances); past it the
        plan is kept with status ``feasible`` and a certified bound.

    Returns
    -------
    StageResult
        Phases ``"<tier> assigned"`` (max) per tier then ``"cost"`` (min, exact minutes, with its
        certified bound); status ``optimal`` when proven for the model; tables ``needs``,
        ``assignments``, ``pools`` (module docstring); stats with the arcs seeded, added and priced.
    """
    with stopwatch() as clock:
        instance = build_instance(pools, needs, arcs, tiers, crossing_penalty_minutes, all_pairs)
        try:
            solution = solve_instance(instance, time.perf_counter() + options.time_limit_s)
        except FlowError as error:
            solution = None
            failure = str(error)
        tables = solution_tables(instance, solution) if solution is not None else empty_tables()
    if solution is None:
        return StageResult.failed(STAGE, failure, clock["seconds"], tables)
    phases = [
        Phase(f"{tier} assigned", "max", float(served), float(served), Status.OPTIMAL)
        for tier, served in zip(instance.tiers, solution.served_per_tier, strict=True)
    ]
    total_cost = float(tables["assignments"]["cost_minutes"].sum())
    assignment = solution.assignment
    phases.append(Phase("cost", "min", total_cost, min(total_cost, assignment.bound), assignment.status))
    transport_stats = {key: value for key, value in assignment.stats.items() if not key.endswith("_seconds")}
    stats = {
        "all_pairs": all_pairs is not None,
        **transport_stats,
        "nodes": instance.num_pools + instance.num_needs + len(instance.tiers) + 1,
        "pools": instance.num_pools,
        "needs": instance.num_needs,
        "max_flow_seconds": solution.seconds_max_flow,
        "min_cost_seconds": solution.seconds_min_cost,
        "pricing_seconds": float(assignment.stats.get("pricing_seconds", 0.0)),
        "seconds": clock["seconds"],
    }
    return StageResult.from_phases(STAGE, phases, tables, clock["seconds"], stats)


# --------------------------------------------------------------------------- instance


def build_instance(
    pools: pd.DataFrame,
    needs: pd.DataFrame,
    arcs: pd.DataFrame,
    tiers: tuple[str, ...],
    crossing_penalty_minutes: float,
    all_pairs: AllPairs | None = None,
) -> NursingInstance:
    """Index pools, needs and arcs; with ``all_pairs`` the full model's costs (minutes and penalty).

    Raises
    ------
    ValueError
        If a need's tier is not in ``tiers``, a count is negative, or the penalty is negative.
    """
    if not crossing_penalty_minutes >= 0:
        raise ValueError(f"Expected crossing_penalty_minutes >= 0, got {crossing_penalty_minutes}.")
    pool_table = pools.reset_index(drop=True).copy()
    pool_table["nurses"] = pool_table["nurses"].astype(np.int64)
    need_table = needs.reset_index(drop=True).copy()
    need_table["required"] = need_table["required"].astype(np.int64)
    if (pool_table["nurses"] < 0).any() or (need_table["required"] < 0).any():
        raise ValueError("Expected non-negative nurses and required counts.")
    unknown = sorted(set(need_table["need"]) - set(tiers))
    if unknown:
        raise ValueError(f"Needs of tiers {unknown} are not in the tier order {tiers}.")
    active = need_table[need_table["required"] > 0].reset_index(drop=True)
    tier_rank = {tier: rank for rank, tier in enumerate(tiers)}
    tier_of_need: IntArray = np.asarray(active["need"].map(tier_rank), dtype=np.int64)

    pool_index = pd.Index(pool_table["pool_id"])
    need_index = pd.Index(active["need_id"])
    supplier = positions(arcs["pool_id"], pool_index)
    demand = positions(arcs["need_id"], need_index)
    minutes_all = arcs["minutes"].to_numpy(dtype=np.float64)
    keep = dedupe_arcs(supplier, demand, minutes_all)
    arc_pool, arc_need, arc_minutes = supplier[keep], demand[keep], minutes_all[keep]
    pool_district = pool_table["district_id"].to_numpy()
    need_district = active["district_id"].to_numpy()
    arc_crosses = np.asarray(pool_district[arc_pool] != need_district[arc_need], dtype=bool)
    complete = None
    if all_pairs is not None:
        pool_location, need_location = all_pairs.locations(pool_table["pool_id"], active["destination_id"])
        districts = pd.Index(pd.unique(np.concatenate([pool_district, need_district])))
        complete = CompleteArcs(
            all_pairs.costs,
            pool_location,
            need_location,
            np.asarray(districts.get_indexer(pd.Index(pool_district)), dtype=np.int64),
            np.asarray(districts.get_indexer(pd.Index(need_district)), dtype=np.int64),
            float(crossing_penalty_minutes),
        )
    return NursingInstance(
        pools=pool_table,
        needs=active,
        all_needs=need_table,
        tiers=tuple(tiers),
        tier_of_need=tier_of_need,
        arc_pool=arc_pool,
        arc_need=arc_need,
        arc_minutes=arc_minutes,
        arc_crosses=arc_crosses,
        crossing_penalty_minutes=float(crossing_penalty_minutes),
        complete=complete,
    )


# --------------------------------------------------------------------------- constraint families
# Node layout: pool p -> node p; need n -> node num_pools + n; then the stage's extra nodes.


def need_nodes(instance: NursingInstance) -> IntArray:
    """Node of every need."""
    return instance.num_pools + np.arange(instance.num_needs, dtype=np.int64)


def add_pool_supply(network: Network, instance: NursingInstance, *, source: int | None) -> IntArray:
    """(1) Pool capacity: arcs source -> pool of capacity ``nurses_p``, or (no source) supply ``nurses_p``."""
    pool_nodes = np.arange(instance.num_pools, dtype=np.int64)
    if source is None:
        network.add_supplies(pool_nodes, instance.nurses)
        return np.zeros(0, dtype=np.int64)
    return network.add_arcs(source, pool_nodes, instance.nurses)


def add_assignment_arcs(network: Network, instance: NursingInstance) -> IntArray:
    """(2) Assignment: arc pool -> need per listed ``(p, n)``, capacity ``required_n`` (the tier maxima)."""
    return network.add_arcs(
        instance.arc_pool, need_nodes(instance)[instance.arc_need], instance.required[instance.arc_need]
    )


def add_need_sizes(
    network: Network, instance: NursingInstance, heads: npt.ArrayLike, capacities: npt.ArrayLike
) -> IntArray:
    """(3) Need size: arc need -> ``heads`` (the sink, or the need's tier node) carrying the nurses assigned.

    Whatever of ``required_n`` it does not carry is ``unmet_n``.
    """
    return network.add_arcs(need_nodes(instance), heads, capacities)


# --------------------------------------------------------------------------- phases


def solve_instance(
    instance: NursingInstance, deadline: float | None = None, pricing_rounds: int = MAX_PRICING_ROUNDS
) -> NursingSolution:
    """Phases ``1 .. K`` (maximum flows, or the totals with every pair allowed), then the cost phase (at most
    ``pricing_rounds`` rounds of pricing)."""
    with stopwatch() as max_flow_clock:
        served = tier_maxima(instance)
    with stopwatch() as min_cost_clock:
        assignment = cheapest_assignment(instance, served, deadline, pricing_rounds)
    return NursingSolution(assignment, served, max_flow_clock["seconds"], min_cost_clock["seconds"])


def tier_maxima(instance: NursingInstance) -> list[int]:
    """``served_k = F_k - F_{k-1}``: maximum flows with the sink arcs opened tier by tier (module docstring);
    with every pair allowed ``F_k = min(sum nurses, sum_{tiers <= k} required)``."""
    num_tiers = len(instance.tiers)
    if instance.complete is not None:
        return _served_by_every_pair(instance, int(instance.nurses.sum()))
    if instance.arc_pool.size == 0:
        return [0] * num_tiers
    source = instance.num_pools + instance.num_needs
    sink = source + 1
    network = Network(sink + 1)
    add_pool_supply(network, instance, source=source)
    add_assignment_arcs(network, instance)
    sink_arcs = add_need_sizes(network, instance, heads=sink, capacities=0)
    flow: MaxFlow = network.max_flow()
    prefix_maxima = [0]
    for tier in range(num_tiers):
        opened = instance.tier_of_need == tier
        if not opened.any():
            prefix_maxima.append(prefix_maxima[-1])
            continue
        flow.set_capacities(sink_arcs[opened], instance.required[opened])
        prefix_maxima.append(flow.solve(source, sink))
    return [int(value) for value in np.diff(prefix_maxima)]


def _served_by_every_pair(instance: NursingInstance, nurses: int) -> list[int]:
    """``served_k`` with every pair allowed: ``F_k = min(nurses, sum_{tiers <= k} required)``."""
    prefix = np.minimum(nurses, np.cumsum(instance.required_per_tier.astype(np.int64)))
    return [int(value) for value in np.diff(np.r_[0, prefix])]


def unmet_per_tier(instance: NursingInstance, nurses: npt.ArrayLike) -> IntArray:
    """Nurses left unmet per tier at the lexicographic optimum when the pools hold ``nurses`` (one per pool).

    Only the tier phases (:func:`tier_maxima`), no cost phase and no tables: what a marginal-value probe asks
    ("how many more needs of each tier would be met"), for an instance built once. With every pair allowed it
    is closed-form.
    """
    counts = np.asarray(nurses, dtype=np.int64)
    if counts.shape != (instance.num_pools,) or (counts < 0).any():
        raise ValueError("Expected one non-negative nurse count per pool.")
    if instance.complete is not None:  # closed form: only the nurses' total counts (a national probe: 2,801 calls)
        served = _served_by_every_pair(instance, int(counts.sum()))
    else:
        served = tier_maxima(dataclasses.replace(instance, pools=instance.pools.assign(nurses=counts)))
    return np.asarray(instance.required_per_tier, dtype=np.int64) - np.asarray(served, dtype=np.int64)


def cheapest_assignment(
    instance: NursingInstance,
    served_per_tier: list[int],
    deadline: float | None = None,
    pricing_rounds: int = MAX_PRICING_ROUNDS,
) -> TransportSolution:
    """Phase ``K + 1``: the min-cost flow with every tier total fixed at its optimum (4).

    Outlets: need ``n`` to its tier's class (capacity ``required_n``, class total ``served_k``); unused
    nurses stay at their pools. :mod:`models.transport` solves it over the listed arcs or, with every pair
    allowed, proves it over all of them (at most ``pricing_rounds`` rounds of pricing: then ``feasible``).
    """
    problem = TransportProblem(
        supply=instance.nurses,
        num_demands=instance.num_needs,
        outlet_demand=np.arange(instance.num_needs, dtype=np.int64),
        outlet_class=instance.tier_of_need,
        outlet_capacity=instance.required,
        class_demand=np.asarray(served_per_tier, dtype=np.int64),
        seed_supplier=instance.arc_pool,
        seed_demand=instance.arc_need,
        seed_minutes=instance.arc_cost_minutes,
        complete=instance.complete,
        pricing_rounds=pricing_rounds,
    )
    return solve_transport(problem, deadline)


# --------------------------------------------------------------------------- tables


def empty_tables() -> dict[str, pd.DataFrame]:
    """The output tables with their columns and no rows."""
    return {
        "needs": pd.DataFrame(columns=NEEDS_COLUMNS),
        "assignments": pd.DataFrame(columns=ASSIGNMENT_COLUMNS),
        "pools": pd.DataFrame(columns=POOL_COLUMNS),
    }


def solution_tables(instance: NursingInstance, solution: NursingSolution) -> dict[str, pd.DataFrame]:
    """The ``needs``, ``assignments`` and ``pools`` tables of an optimal flow."""
    assigned = solution.nurses_per_need(instance.num_needs)
    unmet = instance.required - assigned
    return {
        "needs": needs_table(instance, solution, assigned, unmet),
        "assignments": assignments_table(instance, solution),
        "pools": pools_table(instance, solution, unmet),
    }


def needs_table(
    instance: NursingInstance, solution: NursingSolution, assigned: IntArray, unmet: IntArray
) -> pd.DataFrame:
    """One row per input need: assigned, unmet, reason and the pools in reach when short."""
    if instance.complete is not None:
        in_reach = np.full(instance.num_needs, instance.num_pools > 0)
    else:
        in_reach = np.bincount(instance.arc_need, minlength=instance.num_needs) > 0
    reason = np.where(unmet > 0, np.where(in_reach, "pools_used_up", "no_pool_in_reach"), "")
    pool_names, district_names = binding_pools(instance, unmet)
    active = pd.DataFrame(
        {
            "assigned": assigned,
            "unmet": unmet,
            "reason": reason,
            "binding_pools": pool_names,
            "binding_districts": district_names,
        }
    )
    table = instance.all_needs.copy()
    row = positions(table["need_id"], pd.Index(instance.needs["need_id"]))
    matched = row >= 0
    for column in active.columns:
        values = active[column].to_numpy()
        filler: object = 0 if column in ("assigned", "unmet") else ""
        column_values = np.full(len(table), filler, dtype=values.dtype if column in ("assigned", "unmet") else object)
        column_values[matched] = values[row[matched]]
        table[column] = column_values
    table["required"] = table["required"].astype(np.int64)
    return table[NEEDS_COLUMNS + [c for c in table.columns if c not in NEEDS_COLUMNS]]


def binding_pools(instance: NursingInstance, unmet: IntArray) -> tuple[list[str], list[str]]:
    """For every short need with listed arcs: their pools and districts (all used up), ``;``-joined.

    With every pair allowed the listed arcs are the seeds (the need's own district and its nearest pools):
    a need left short means every pool is used up, these are the ones nearby. At most
    :data:`BINDING_POOLS_SHOWN` of them, the nearest, are named.
    """
    short_arc = np.flatnonzero(unmet[instance.arc_need] > 0)
    nearest = ranks_by_cost_within_groups(instance.arc_need[short_arc], instance.arc_minutes[short_arc])
    short_arc = short_arc[nearest < BINDING_POOLS_SHOWN]
    pool_ids: npt.NDArray[np.str_] = np.asarray(instance.pools["pool_id"], dtype=str)
    pool_districts: npt.NDArray[np.str_] = np.asarray(instance.pools["district_id"], dtype=str)
    need_of_arc = instance.arc_need[short_arc]
    pool_of_arc = instance.arc_pool[short_arc]
    return (
        joined_per_need(need_of_arc, pool_ids[pool_of_arc], instance.num_needs),
        joined_per_need(need_of_arc, pool_districts[pool_of_arc], instance.num_needs),
    )


def joined_per_need(need: IntArray, names: npt.NDArray[np.str_], num_needs: int) -> list[str]:
    """Per need: its distinct ``names`` sorted and ``;``-joined (``""`` for a need without any)."""
    texts = [""] * num_needs
    if need.size == 0:
        return texts
    order = np.lexsort((names, need))
    need, names = need[order], names[order]
    distinct = np.ones(need.size, dtype=bool)
    distinct[1:] = (need[1:] != need[:-1]) | (names[1:] != names[:-1])
    need, names = need[distinct], names[distinct]
    starts = np.flatnonzero(np.r_[True, need[1:] != need[:-1]])
    for start, stop in zip(starts, np.r_[starts[1:], need.size], strict=True):
        texts[int(need[start])] = ";".join(names[start:stop].tolist())
    return texts


def assignments_table(instance: NursingInstance, solution: NursingSolution) -> pd.DataFrame:
    """One row per arc carrying nurses."""
    used = np.flatnonzero(solution.arc_nurses > 0)
    pools = instance.pools
    needs = instance.needs
    pool_of_arc = solution.arc_pool[used]
    need_of_arc = solution.arc_need[used]
    nurses = solution.arc_nurses[used]
    minutes = instance.pair_minutes(pool_of_arc, need_of_arc)
    crosses = instance.pair_crosses(pool_of_arc, need_of_arc)
    table = pd.DataFrame(
        {
            "pool_id": pools["pool_id"].to_numpy()[pool_of_arc],
            "need_id": needs["need_id"].to_numpy()[need_of_arc],
            "nurses": nurses.astype(np.int64),
            "minutes": minutes,
            "pool_district_id": pools["district_id"].to_numpy()[pool_of_arc],
            "need_district_id": needs["district_id"].to_numpy()[need_of_arc],
            "crosses_district": crosses,
            "cost_minutes": nurses * (minutes + crosses * instance.crossing_penalty_minutes),
        }
    )
    order = np.lexsort((pool_of_arc, need_of_arc))
    return table.iloc[order].reset_index(drop=True)


def pools_table(instance: NursingInstance, solution: NursingSolution, unmet: IntArray) -> pd.DataFrame:
    """One row per pool: nurses used, spare, and the marginal value of one more nurse."""
    used = solution.nurses_per_pool(instance.num_pools)
    marginal_tier = marginal_tiers(instance, solution, unmet)
    table = instance.pools.copy()
    table["used"] = used
    table["spare"] = instance.nurses - used
    table["marginal_tier"] = [instance.tiers[tier] if tier >= 0 else "" for tier in marginal_tier]
    table["marginal_value"] = (marginal_tier >= 0).astype(np.int64)
    return table[POOL_COLUMNS + [c for c in table.columns if c not in POOL_COLUMNS]]


def marginal_tiers(instance: NursingInstance, solution: NursingSolution, unmet: IntArray) -> IntArray:
    """Per pool: the first tier one more nurse there would raise (residual path to an unmet need), else -1.

    With every pair allowed each pool reaches each need directly: the first tier with an unmet need.
    """
    first_tier = np.full(instance.num_pools, -1, dtype=np.int64)
    tier_of_arc = instance.tier_of_need[solution.arc_need]
    for tier in range(len(instance.tiers)):
        unmet_in_prefix = (unmet > 0) & (instance.tier_of_need <= tier)
        if not unmet_in_prefix.any():
            continue
        if instance.complete is not None:
            first_tier[first_tier < 0] = tier
            continue
        in_prefix = tier_of_arc <= tier
        reaches = suppliers_reaching_unmet(
            solution.arc_pool[in_prefix],
            solution.arc_need[in_prefix],
            solution.arc_nurses[in_prefix],
            unmet_in_prefix,
            instance.num_pools,
        )
        first_tier[reaches & (first_tier < 0)] = tier
    return first_tier
