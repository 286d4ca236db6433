"""Stage 3 — reserve nurses to needs: a transportation problem with shortage, solved exactly (DESIGN §5.3).

Sets
----
``P``  reserve pools ``p`` with ``nurses_p`` nurses in district ``district_p``.
``N``  needs ``n`` with ``required_n > 0`` nurses at a destination in district ``district_n``,
       each of one tier ``tier_n`` (``transfer_1to1`` before ``backfill`` before ``self_care``).
``A``  arcs ``(p, n)`` a pool may serve (the pipeline keeps the need's own district and the
       nearest others; in principle any pool may serve any need), with travel ``minutes_pn``.

Variables
---------
``nurses_pn`` (integer >= 0)  nurses of pool ``p`` sent to need ``n``, ``(p, n) in A``;
``unmet_n`` (integer >= 0)    nurses need ``n`` still lacks.

Constraints
-----------
(1) pool capacity   ``sum_n nurses_pn <= nurses_p``              (:func:`add_pool_supply`)
(2) assignment      ``nurses_pn`` only on arcs of ``A``            (:func:`add_assignment_arcs`)
(3) need size       ``sum_p nurses_pn + unmet_n = required_n``    (:func:`add_need_sizes`)
(4) tier totals     in the final phase, ``sum_{n in tier k} sum_p nurses_pn = served_k``,
                    the optimum of phase ``k``                    (:func:`add_tier_totals`)

Lexicographic objective
-----------------------
Phases ``1 .. K``: maximise the nurses assigned to tier ``k`` with tiers ``1 .. k-1`` held at
their optimum; phase ``K + 1``: minimise ``sum cost_pn * nurses_pn``, with
``cost_pn = minutes_pn + crossing_penalty_minutes * [district_p != district_n]`` (territorial
responsibility: a pool serves its own district first).

Method and proof of exactness
-----------------------------
Let ``F_k`` be the maximum flow from the pools into the needs of tiers ``1 .. k`` (network
source -> pool (1) -> need (2) -> sink (3), sink arcs of higher tiers closed). Tier ``k`` can
receive at most ``F_k - F_{k-1}`` once tiers ``1 .. k-1`` receive ``F_{k-1}``, because tiers
``1 .. k`` together receive at most ``F_k``. The bound is attained: start from a maximum flow
for tiers ``1 .. k-1`` and open the tier-``k`` sink arcs; each augmenting path is a simple path
source -> ... -> sink, so it ends with exactly one need -> sink arc traversed forward and never
decreases the flow on any need -> sink arc; tiers ``1 .. k-1`` keep ``F_{k-1}`` and the total
reaches ``F_k``. Hence the lexicographic optimum of the tier totals is
``served_k = F_k - F_{k-1}``, computed by ``K`` maximum flows on one network whose sink arcs are
switched on tier by tier. The last phase is one min-cost flow whose tier nodes demand exactly
``served_k`` (4), which is feasible by the argument above, so its optimum is the lexicographic
optimum. All flows are integral; no big-M weights are needed, so no ``int64`` overflow can occur
(unit costs are minutes in 1/100 minute, see :mod:`models.flow`).

Marginal value of a nurse
-------------------------
The final flow is a maximum flow for every tier prefix at once. One more nurse at pool ``p``
raises ``F_k`` by one exactly when the residual network restricted to needs of tiers ``1 .. k``
has a path from ``p`` to an unmet need of those tiers (forward along any arc, backward along an
arc carrying nurses). ``marginal_tier`` is the first such tier and ``marginal_value`` the persons of
that tier one more nurse would cover (1), or 0 (and ``""``) when every need it can reach is met.

Output tables
-------------
``needs``        need_id, destination_id, need, required, assigned, unmet, district_id, reason,
                 binding_pools, binding_districts (``;``-joined; the pools in reach, all used up);
                 reason ``pools_used_up`` (arcs exist, their pools are exhausted) or
                 ``no_pool_in_reach`` (no arc); ``""`` when met.
``assignments``  pool_id, need_id, nurses, minutes, pool_district_id, need_district_id,
                 crosses_district, cost_minutes (nurses * (minutes + penalty if crossing)).
``pools``        pool_id, district_id, nurses, used, spare, marginal_tier, marginal_value.
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

STAGE = "nursing"
DEFAULT_TIERS: tuple[str, ...] = ("transfer_1to1", "backfill", "self_care")
"""Need tiers in the order they are served (1:1 care of transferred disabled elderly first)."""

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


@dataclass(frozen=True)
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
    arc_cost: IntArray
    crossing_penalty_minutes: float

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


@dataclass(frozen=True)
class NursingSolution:
    """The optimal flow: nurses on every arc and the lexicographic phase values."""

    arc_nurses: IntArray
    served_per_tier: list[int]
    seconds_max_flow: float
    seconds_min_cost: float


def solve_nursing(
    pools: pd.DataFrame,
    needs: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    tiers: tuple[str, ...] = DEFAULT_TIERS,
    crossing_penalty_minutes: float,
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
        ``pool_id, need_id, minutes``; unknown ids are ignored, duplicate pairs keep the fastest.
    tiers
        Need tiers in service order; every ``need`` value must be one of them.
    crossing_penalty_minutes
        Cost added per nurse sent across a district line (from the rules).
    options
        Accepted for a uniform stage interface; the flows are exact and need no time limit.

    Returns
    -------
    StageResult
        Status optimal, phases ``"<tier> assigned"`` (max) per tier then ``"cost"`` (min, minutes),
        tables ``needs``, ``assignments``, ``pools`` (module docstring).
    """
    del options  # exact combinatorial algorithms, polynomial time
    with stopwatch() as clock:
        instance = build_instance(pools, needs, arcs, tiers, crossing_penalty_minutes)
        try:
            solution = solve_instance(instance)
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
    phases.append(Phase("cost", "min", total_cost, total_cost, Status.OPTIMAL))
    stats = {
        "arcs": int(instance.arc_pool.size),
        "nodes": instance.num_pools + instance.num_needs + len(instance.tiers) + 1,
        "pools": instance.num_pools,
        "needs": instance.num_needs,
        "max_flow_seconds": solution.seconds_max_flow,
        "min_cost_seconds": solution.seconds_min_cost,
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
) -> NursingInstance:
    """Index pools, needs and arcs; compute arc costs.

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
    penalty_units = int(cost_units([crossing_penalty_minutes])[0])
    arc_cost: IntArray = cost_units(arc_minutes) + np.where(arc_crosses, penalty_units, 0).astype(np.int64)
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
        arc_cost=arc_cost,
        crossing_penalty_minutes=float(crossing_penalty_minutes),
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
    """(2) Assignment: arc pool -> need per ``(p, n)`` in ``A``, capacity ``required_n``, unit cost ``cost_pn``."""
    return network.add_arcs(
        instance.arc_pool,
        need_nodes(instance)[instance.arc_need],
        instance.required[instance.arc_need],
        instance.arc_cost,
    )


def add_need_sizes(
    network: Network, instance: NursingInstance, heads: npt.ArrayLike, capacities: npt.ArrayLike
) -> IntArray:
    """(3) Need size: arc need -> ``heads`` (the sink, or the need's tier node) carrying the nurses assigned.

    Whatever of ``required_n`` it does not carry is ``unmet_n``.
    """
    return network.add_arcs(need_nodes(instance), heads, capacities)


def add_unused_nurses(network: Network, instance: NursingInstance, unused_node: int, assigned_total: int) -> IntArray:
    """(1) Pool capacity, slack part: pool -> unused node absorbs the nurses not assigned."""
    pool_nodes = np.arange(instance.num_pools, dtype=np.int64)
    network.add_supplies([unused_node], [-(int(instance.nurses.sum()) - assigned_total)])
    return network.add_arcs(pool_nodes, unused_node, instance.nurses)


def add_tier_totals(network: Network, tier_nodes: IntArray, served_per_tier: list[int]) -> None:
    """(4) Tier totals: tier node ``k`` demands exactly ``served_k``, the optimum of phase ``k``."""
    network.add_supplies(tier_nodes, -np.asarray(served_per_tier, dtype=np.int64))


# --------------------------------------------------------------------------- phases


def solve_instance(instance: NursingInstance) -> NursingSolution:
    """Phases ``1 .. K`` by maximum flows, then the cost phase by one min-cost flow."""
    with stopwatch() as max_flow_clock:
        served = tier_maxima(instance)
    with stopwatch() as min_cost_clock:
        arc_nurses = cheapest_assignment(instance, served)
    return NursingSolution(arc_nurses, served, max_flow_clock["seconds"], min_cost_clock["seconds"])


def tier_maxima(instance: NursingInstance) -> list[int]:
    """``served_k = F_k - F_{k-1}``: maximum flows with the sink arcs opened tier by tier (module docstring)."""
    num_tiers = len(instance.tiers)
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


def cheapest_assignment(instance: NursingInstance, served_per_tier: list[int]) -> IntArray:
    """Phase ``K + 1``: the min-cost flow with every tier total fixed at its optimum; nurses per arc."""
    if instance.arc_pool.size == 0:
        return np.zeros(0, dtype=np.int64)
    num_tiers = len(instance.tiers)
    tier_nodes = instance.num_pools + instance.num_needs + np.arange(num_tiers, dtype=np.int64)
    unused_node = int(tier_nodes[-1]) + 1
    network = Network(unused_node + 1)
    add_pool_supply(network, instance, source=None)
    assignment_arcs = add_assignment_arcs(network, instance)
    add_need_sizes(network, instance, heads=tier_nodes[instance.tier_of_need], capacities=instance.required)
    add_unused_nurses(network, instance, unused_node, sum(served_per_tier))
    add_tier_totals(network, tier_nodes, served_per_tier)
    return network.min_cost_flow().flows[assignment_arcs]


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
    assigned = np.bincount(instance.arc_need, weights=solution.arc_nurses, minlength=instance.num_needs)
    unmet = instance.required - assigned.astype(np.int64)
    return {
        "needs": needs_table(instance, assigned.astype(np.int64), unmet),
        "assignments": assignments_table(instance, solution.arc_nurses),
        "pools": pools_table(instance, solution.arc_nurses, unmet),
    }


def needs_table(instance: NursingInstance, assigned: IntArray, unmet: IntArray) -> pd.DataFrame:
    """One row per input need: assigned, unmet, reason and the pools in reach when short."""
    arcs_per_need = np.bincount(instance.arc_need, minlength=instance.num_needs)
    reason = np.where(unmet > 0, np.where(arcs_per_need > 0, "pools_used_up", "no_pool_in_reach"), "")
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
    """For every short need with arcs: the pools in reach and their districts (all used up), ``;``-joined."""
    short_arc = np.flatnonzero(unmet[instance.arc_need] > 0)
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


def assignments_table(instance: NursingInstance, arc_nurses: IntArray) -> pd.DataFrame:
    """One row per arc carrying nurses."""
    used = np.flatnonzero(arc_nurses > 0)
    pools = instance.pools
    needs = instance.needs
    pool_of_arc = instance.arc_pool[used]
    need_of_arc = instance.arc_need[used]
    nurses = arc_nurses[used]
    minutes = instance.arc_minutes[used]
    crosses = instance.arc_crosses[used]
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


def pools_table(instance: NursingInstance, arc_nurses: IntArray, unmet: IntArray) -> pd.DataFrame:
    """One row per pool: nurses used, spare, and the marginal value of one more nurse."""
    used = np.bincount(instance.arc_pool, weights=arc_nurses, minlength=instance.num_pools).astype(np.int64)
    marginal_tier = marginal_tiers(instance, arc_nurses, unmet)
    table = instance.pools.copy()
    table["used"] = used
    table["spare"] = instance.nurses - used
    table["marginal_tier"] = [instance.tiers[tier] if tier >= 0 else "" for tier in marginal_tier]
    table["marginal_value"] = (marginal_tier >= 0).astype(np.int64)
    return table[POOL_COLUMNS + [c for c in table.columns if c not in POOL_COLUMNS]]


def marginal_tiers(instance: NursingInstance, arc_nurses: IntArray, unmet: IntArray) -> IntArray:
    """Per pool: the first tier one more nurse there would raise (residual path to an unmet need), else -1."""
    first_tier = np.full(instance.num_pools, -1, dtype=np.int64)
    tier_of_arc = instance.tier_of_need[instance.arc_need]
    for tier in range(len(instance.tiers)):
        unmet_in_prefix = (unmet > 0) & (instance.tier_of_need <= tier)
        if not unmet_in_prefix.any():
            continue
        in_prefix = tier_of_arc <= tier
        reaches = suppliers_reaching_unmet(
            instance.arc_pool[in_prefix],
            instance.arc_need[in_prefix],
            arc_nurses[in_prefix],
            unmet_in_prefix,
            instance.num_pools,
        )
        first_tier[reaches & (first_tier < 0)] = tier
    return first_tier
