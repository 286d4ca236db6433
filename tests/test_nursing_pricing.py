"""Nursing over every pool -> need pair, proven by pricing: the plan equals the all-pairs optimum.

The reference is computed directly, independent of :mod:`models.nursing` and :mod:`models.transport`: one
min-cost flow (OR-Tools ``SimpleMinCostFlow``) over the *full* arc set, every pool to every need, with the
lexicographic objective as weights (a nurse short in tier ``k`` costs more than everything of the later tiers
and the travel together). Minutes lie on a 1/100-minute grid there, so the reference is exact in integers and
the priced solve must reach it exactly. A hypothesis property with arbitrary float minutes checks what the
stage claims: never ``optimal`` above the full optimum, and a bound that is a true lower bound.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.graph.python import min_cost_flow
from scipy.optimize import linprog

from models.base import SolveOptions, Status
from models.nursing import build_instance, solve_nursing, unmet_per_tier
from models.pricing import AllPairs, MatrixArcCosts

pytestmark = pytest.mark.usefixtures("pricing_from_the_seed")

TIERS = ("transfer_1to1", "backfill", "self_care")
Instance = tuple[pd.DataFrame, pd.DataFrame, np.ndarray, int, pd.DataFrame]


def every_pair(pools: pd.DataFrame, needs: pd.DataFrame, matrix: np.ndarray) -> AllPairs:
    """The pairs of ``matrix``: rows the pools, columns the needs' distinct destinations in order of appearance."""
    return AllPairs(MatrixArcCosts(matrix), pd.Index(pools["pool_id"]), pd.Index(pd.unique(needs["destination_id"])))


def destination_column(needs: pd.DataFrame) -> np.ndarray:
    """Each need's column of the minutes matrix."""
    return np.asarray(pd.Index(pd.unique(needs["destination_id"])).get_indexer(needs["destination_id"]))


def full_optimum(pools: pd.DataFrame, needs: pd.DataFrame, matrix: np.ndarray, penalty: int) -> tuple[list[int], int]:
    """Served nurses per tier and the cost in 1/100 minutes of the lexicographic optimum over every pair.

    Nodes: pools (supply ``nurses``), needs (demand ``required``), a *short* node supplying every need what
    the pools do not (cost ``W_tier`` a nurse), a *spare* node taking the nurses not sent. Arcs: every pool ->
    need (``100 * (minutes + penalty if crossing)``, minutes on the 1/100 grid), short -> need, pool -> spare,
    short -> spare. ``W_K`` exceeds any travel cost and ``W_k`` any sum of later weights and travel.
    """
    num_pools, num_needs = len(pools), len(needs)
    nurses = pools["nurses"].to_numpy(np.int64)
    required = needs["required"].to_numpy(np.int64)
    tier = needs["need"].map({name: rank for rank, name in enumerate(TIERS)}).to_numpy(np.int64)
    column = destination_column(needs)
    crosses = pools["district_id"].to_numpy()[:, None] != needs["district_id"].to_numpy()[None, :]
    units = np.rint(100 * matrix[:, column]).astype(np.int64) + 100 * penalty * crosses
    total = int(required.sum())
    travel_most = int(units.max(initial=0)) * total + 1
    weights = [travel_most]
    for _ in TIERS[1:]:
        weights.insert(0, (total + 1) * weights[0] + travel_most)
    short, spare = num_pools + num_needs, num_pools + num_needs + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    pool_of = np.repeat(np.arange(num_pools), num_needs)
    need_of = np.tile(np.arange(num_needs), num_pools)
    pool_arcs = [
        flow.add_arc_with_capacity_and_unit_cost(int(p), num_pools + int(n), int(required[n]), int(units[p, n]))
        for p, n in zip(pool_of, need_of, strict=True)
    ]
    short_arcs = [
        flow.add_arc_with_capacity_and_unit_cost(short, num_pools + n, int(required[n]), weights[int(tier[n])])
        for n in range(num_needs)
    ]
    for p in range(num_pools):
        flow.add_arc_with_capacity_and_unit_cost(p, spare, int(nurses[p]), 0)
    flow.add_arc_with_capacity_and_unit_cost(short, spare, total, 0)
    for p in range(num_pools):
        flow.set_node_supply(p, int(nurses[p]))
    for n in range(num_needs):
        flow.set_node_supply(num_pools + n, -int(required[n]))
    flow.set_node_supply(short, total)
    flow.set_node_supply(spare, -int(nurses.sum()))
    assert flow.solve() == flow.OPTIMAL
    unmet = np.array([flow.flow(arc) for arc in short_arcs], dtype=np.int64)
    served = [int(required[tier == k].sum() - unmet[tier == k].sum()) for k in range(len(TIERS))]
    cost = sum(int(flow.flow(arc)) * int(units[p, n]) for arc, p, n in zip(pool_arcs, pool_of, need_of, strict=True))
    return served, cost


def full_cost_lp(
    pools: pd.DataFrame, needs: pd.DataFrame, matrix: np.ndarray, penalty: int, served: list[int]
) -> float:
    """The least cost in exact (float) minutes over every pair with the tier totals fixed: HiGHS LP (a network
    LP: its optimum is integral)."""
    num_pools, num_needs = len(pools), len(needs)
    tier = needs["need"].map({name: rank for rank, name in enumerate(TIERS)}).to_numpy()
    crosses = pools["district_id"].to_numpy()[:, None] != needs["district_id"].to_numpy()[None, :]
    cost = (matrix[:, destination_column(needs)] + penalty * crosses).ravel()
    pool_rows = np.kron(np.eye(num_pools), np.ones(num_needs))
    need_rows = np.kron(np.ones(num_pools), np.eye(num_needs))
    tier_rows = np.array([np.tile(tier == k, num_pools) for k in range(len(TIERS))], dtype=float)
    result = linprog(
        cost,
        A_ub=np.vstack([pool_rows, need_rows]),
        b_ub=np.r_[pools["nurses"].to_numpy(float), needs["required"].to_numpy(float)],
        A_eq=tier_rows,
        b_eq=np.asarray(served, dtype=float),
        bounds=(0, None),
        method="highs",
    )
    assert result.status == 0
    return float(result.fun)


@st.composite
def instances(draw: st.DrawFn, grid: bool = True) -> Instance:
    """Up to 6 pools and 10 needs in 3 districts (some needs sharing a destination), minutes in [0, 60) (on
    the 1/100 grid or arbitrary floats), a penalty, and seed arcs: each need's k nearest pools (k may be 0)
    or a random subset of the pairs."""
    num_pools = draw(st.integers(1, 6))
    num_needs = draw(st.integers(1, 10))
    pools = pd.DataFrame(
        {
            "pool_id": [f"P{p}" for p in range(num_pools)],
            "district_id": [draw(st.sampled_from("ABC")) for _ in range(num_pools)],
            "nurses": [draw(st.integers(0, 8)) for _ in range(num_pools)],
        }
    )
    destinations = [f"D{draw(st.integers(0, num_needs - 1))}" for _ in range(num_needs)]
    needs = pd.DataFrame(
        {
            "need_id": [f"N{n}" for n in range(num_needs)],
            "destination_id": destinations,
            "need": [draw(st.sampled_from(TIERS)) for _ in range(num_needs)],
            "district_id": [draw(st.sampled_from("ABC")) for _ in range(num_needs)],
            "required": [draw(st.integers(1, 4)) for _ in range(num_needs)],
        }
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    matrix = rng.random((num_pools, len(pd.unique(needs["destination_id"])))) * 60
    if grid:
        matrix = np.round(matrix, 2)
    column = destination_column(needs)
    if draw(st.booleans()):
        k = draw(st.integers(0, num_pools))
        rows = [(p, n) for n in range(num_needs) for p in np.argsort(matrix[:, column[n]], kind="stable")[:k]]
    else:
        rows = [(p, n) for p in range(num_pools) for n in range(num_needs) if rng.random() < 0.3]
    seeds = pd.DataFrame(
        {
            "pool_id": [f"P{p}" for p, _ in rows],
            "need_id": [f"N{n}" for _, n in rows],
            "minutes": [float(matrix[p, column[n]]) for p, n in rows],
        },
        columns=["pool_id", "need_id", "minutes"],
    )
    return pools, needs, matrix, draw(st.integers(0, 20)), seeds


def priced(instance: Instance, options: SolveOptions = SolveOptions()) -> object:  # noqa: B008 - frozen
    pools, needs, matrix, penalty, seeds = instance
    return solve_nursing(
        pools,
        needs,
        seeds,
        crossing_penalty_minutes=float(penalty),
        all_pairs=every_pair(pools, needs, matrix),
        options=options,
    )


@settings(max_examples=80, deadline=None)
@given(instances())
def test_priced_solve_equals_the_full_arc_set_optimum_exactly(instance: Instance) -> None:
    pools, needs, matrix, penalty, _ = instance
    served, cost_units = full_optimum(pools, needs, matrix, penalty)
    result = priced(instance)
    assert result.status is Status.OPTIMAL
    assert [round(phase.objective) for phase in result.phases[:3]] == served
    cost = result.phases[3]
    assert cost.name == "cost"
    assert round(cost.objective * 100) == cost_units
    assert cost.objective * 100 == pytest.approx(cost_units, abs=1e-6)
    assert cost.bound <= cost.objective and result.gap <= 1e-6
    assignments = result.table("assignments")
    assert round(float(assignments["cost_minutes"].sum()) * 100) == cost_units
    used = assignments.groupby("pool_id")["nurses"].sum().reindex(pools["pool_id"], fill_value=0)
    assert (used.to_numpy() <= pools["nurses"].to_numpy()).all()
    got = assignments.groupby("need_id")["nurses"].sum().reindex(needs["need_id"], fill_value=0)
    assert (got.to_numpy() <= needs["required"].to_numpy()).all()


@settings(max_examples=60, deadline=None)
@given(instances(grid=False), st.sampled_from([1e-9, 10.0]))
def test_priced_solve_never_claims_optimal_above_the_full_optimum(instance: Instance, limit: float) -> None:
    # Arbitrary float minutes; a time limit of 1e-9 s stops pricing after its first round (then ``feasible`` unless
    # that round already proved the plan). Either way the bound is a true lower bound on the full optimum.
    pools, needs, matrix, penalty, _ = instance
    served, _units = full_optimum(pools, needs, matrix, penalty)
    best = full_cost_lp(pools, needs, matrix, penalty, served)
    result = priced(instance, SolveOptions(time_limit_s=limit))
    assert [round(phase.objective) for phase in result.phases[:3]] == served
    cost = result.phases[3]
    tolerance = 1e-7 * max(1.0, best)
    assert cost.bound <= best + tolerance
    assert cost.objective >= best - tolerance
    if result.status is Status.OPTIMAL:
        assert cost.objective <= best * (1 + 1e-6) + tolerance
    else:
        assert result.status is Status.FEASIBLE and limit < 1


def test_a_larger_instance_from_one_seed_arc_per_need() -> None:
    # 40 pools, 300 needs at 120 destinations, each need seeded with its single nearest pool only: the seeds
    # strand most nurses (feasibility repair) and pricing must bring in the rest of the all-pairs optimum.
    rng = np.random.default_rng(11)
    pools = pd.DataFrame(
        {
            "pool_id": [f"P{p}" for p in range(40)],
            "district_id": rng.choice(list("ABCDE"), 40),
            "nurses": rng.integers(0, 30, 40),
        }
    )
    needs = pd.DataFrame(
        {
            "need_id": [f"N{n}" for n in range(300)],
            "destination_id": [f"D{d}" for d in rng.integers(0, 120, 300)],
            "need": rng.choice(TIERS, 300),
            "district_id": rng.choice(list("ABCDE"), 300),
            "required": rng.integers(1, 6, 300),
        }
    )
    matrix = np.round(rng.random((40, len(pd.unique(needs["destination_id"])))) * 90, 2)
    column = destination_column(needs)
    nearest = np.argmin(matrix[:, column], axis=0)
    seeds = pd.DataFrame(
        {"pool_id": [f"P{p}" for p in nearest], "need_id": needs["need_id"], "minutes": matrix[nearest, column]}
    )
    instance = (pools, needs, matrix, 15, seeds)
    served, cost_units = full_optimum(pools, needs, matrix, 15)
    result = priced(instance)
    assert result.status is Status.OPTIMAL
    assert [round(phase.objective) for phase in result.phases[:3]] == served
    assert round(result.phases[3].objective * 100) == cost_units
    assert result.stats["arcs_seed"] == 300 and result.stats["pricing_rounds"] >= 1


@settings(max_examples=40, deadline=None)
@given(instances(), st.integers(0, 30))
def test_unmet_per_tier_with_more_nurses_matches_a_full_solve(instance: Instance, extra: int) -> None:
    pools, needs, matrix, penalty, seeds = instance
    more = pools["nurses"].to_numpy(np.int64).copy()
    more[0] += extra
    for all_pairs in (every_pair(pools, needs, matrix), None):
        model = build_instance(pools, needs, seeds, TIERS, float(penalty), all_pairs)
        fast = unmet_per_tier(model, more)
        solved = solve_nursing(
            pools.assign(nurses=more), needs, seeds, crossing_penalty_minutes=float(penalty), all_pairs=all_pairs
        ).table("needs")
        unmet = solved.groupby("need")["unmet"].sum()
        assert fast.tolist() == [int(unmet.get(tier, 0)) for tier in TIERS]
