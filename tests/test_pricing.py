"""Pricing: the full arc set as a cost oracle, exact integer costs, certified potentials, the pricing pass.

Potentials are checked on optimal flows of random networks (every residual arc non-negative) and against a
deliberately wrong flow; the pricing pass against enumerating every pair of a dense matrix.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import models.pricing
from models.flow import min_cost_flow
from models.pricing import (
    EXACT_FLOAT,
    AllPairs,
    CompleteArcs,
    CostScale,
    MatrixArcCosts,
    capped_by_group,
    check_potentials,
    cost_scale,
    dense_candidates,
    most_negative_per_group,
    order_within_groups,
    price,
    ranks_by_cost_within_groups,
    ranks_within_groups,
    residual_arcs,
    residual_potentials,
    shortest_distances,
    sums_before_within_groups,
)

MATRIX = np.array([[1.0, 5.0, 9.0], [4.0, 2.0, 8.0]])


def test_matrix_costs_answer_pairs_radius_and_nearest() -> None:
    costs = MatrixArcCosts(MATRIX)
    assert costs.minutes(np.array([0, 1]), np.array([2, 1])).tolist() == [9.0, 2.0]
    supplier, demand = costs.near(np.array([0, 1]), np.array([5.0, 2.0]), np.array([0, 1, 2]))
    assert sorted(zip(supplier.tolist(), demand.tolist(), strict=True)) == [(0, 0), (0, 1), (1, 1)]
    supplier, demand = costs.nearest(np.array([0, 2]), np.array([0, 1]), 1)
    assert list(zip(supplier.tolist(), demand.tolist(), strict=True)) == [(0, 0), (1, 2)]
    supplier, demand = costs.nearest_demands(np.array([1]), np.array([0, 2]), 5)
    assert list(zip(supplier.tolist(), demand.tolist(), strict=True)) == [(1, 0), (1, 2)]
    assert costs.max_minutes() == 9.0


def test_all_pairs_maps_ids_and_rejects_unknown_ones() -> None:
    pairs = AllPairs(MatrixArcCosts(MATRIX), pd.Index(["A", "B"]), pd.Index(["x", "y", "z"]))
    supplier, demand = pairs.locations(pd.Series(["B"]), pd.Series(["z", "x"]))
    assert supplier.tolist() == [1] and demand.tolist() == [2, 0]
    with pytest.raises(ValueError, match="location"):
        pairs.locations(pd.Series(["C"]), pd.Series(["x"]))
    with pytest.raises(ValueError, match="one id"):
        AllPairs(MatrixArcCosts(MATRIX), pd.Index(["A"]), pd.Index(["x", "y", "z"]))


def test_complete_arcs_share_a_location_and_add_the_penalty() -> None:
    # model demands 0, 1 at location 1; demand 2 at location 2; groups: supplier 0 in g0, supplier 1 in g1
    arcs = CompleteArcs(
        MatrixArcCosts(MATRIX),
        supplier_location=np.array([0, 1]),
        demand_location=np.array([1, 1, 2]),
        supplier_group=np.array([0, 1]),
        demand_group=np.array([0, 1, 1]),
        penalty_minutes=10.0,
    )
    assert arcs.cost_minutes(np.array([0, 0, 1]), np.array([0, 1, 1])).tolist() == [5.0, 15.0, 2.0]
    assert arcs.max_cost_minutes() == 19.0
    # near is by cost: demand 0 shares demand 1's location (2 minutes) but crosses groups (cost 12)
    for radius, reached in ((3.0, [1]), (9.0, [1, 2]), (12.5, [0, 1, 2])):
        supplier, demand = arcs.near(np.array([1]), np.array([radius]), np.array([0, 1, 2]))
        assert sorted(demand.tolist()) == reached and set(supplier.tolist()) == {1}
    supplier, demand = arcs.nearest(np.array([2]), np.array([0, 1]), 1)
    assert (supplier.tolist(), demand.tolist()) == ([1], [2])
    supplier, demand = arcs.nearest_demands(np.array([0]), np.array([0, 1, 2]), 1)
    assert supplier.tolist() == [0, 0] and sorted(demand.tolist()) == [0, 1]


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_near_finds_every_pair_within_its_cost_across_and_within_groups(data: st.DataObject) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    suppliers, demands, places = (
        data.draw(st.integers(1, 6)),
        data.draw(st.integers(1, 12)),
        data.draw(st.integers(1, 5)),
    )
    groups = data.draw(st.integers(1, 3))
    arcs = CompleteArcs(
        MatrixArcCosts(np.round(rng.random((suppliers, places)) * 40, 2)),
        supplier_location=np.arange(suppliers),
        demand_location=rng.integers(0, places, demands),  # a place may hold demands of several groups
        supplier_group=rng.integers(0, groups, suppliers),
        demand_group=rng.integers(0, groups, demands),
        penalty_minutes=float(data.draw(st.sampled_from([0.0, 5.0, 30.0]))),
    )
    supplier = np.flatnonzero(rng.random(suppliers) < 0.8)
    demand = np.flatnonzero(rng.random(demands) < 0.8)
    radius = rng.random(supplier.size) * 60 - 5
    found_supplier, found_demand = arcs.near(supplier, radius, demand)
    found = set(zip(found_supplier.tolist(), found_demand.tolist(), strict=True))
    every_supplier, every_demand = np.repeat(supplier, demand.size), np.tile(demand, supplier.size)
    cost = arcs.cost_minutes(every_supplier, every_demand)
    within = cost <= np.repeat(radius, demand.size)
    assert set(zip(every_supplier[within].tolist(), every_demand[within].tolist(), strict=True)) <= found
    assert len(found) == found_supplier.size  # no pair twice


def test_cost_scale_is_a_safe_power_of_two() -> None:
    scale = cost_scale(100.0, 1_000, 10_000, finest=2**14)
    assert scale.units_per_minute == 2**14
    assert scale.units([0.0, 1.5, 2.0 / 3.0]).tolist() == [0, 24576, 10923]
    guarded = cost_scale(1e6, 100_000, 10**9)
    assert math.log2(guarded.units_per_minute).is_integer()
    assert guarded.units_per_minute * 1e6 * 100_002 < EXACT_FLOAT
    assert guarded.units_per_minute * 1e6 * 10**9 < 2**62
    with pytest.raises(ValueError, match="overflow"):
        cost_scale(1e15, 100_000, 10)
    with pytest.raises(ValueError, match="non-negative"):
        scale.units([-1.0])
    # the exact-minute bound subtracts half a unit per unit of flow
    assert CostScale(4.0).lower_bound(100.0, 8) == pytest.approx((100.0 - 4.0) / 4.0)


@st.composite
def flow_networks(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A random balanced network: a few nodes, arcs with costs and capacities, supplies routed on an arc path."""
    nodes = draw(st.integers(2, 7))
    count = draw(st.integers(1, 14))
    tails = np.array([draw(st.integers(0, nodes - 1)) for _ in range(count)])
    heads = np.array([(t + draw(st.integers(1, nodes - 1))) % nodes for t in tails])
    capacities = np.array([draw(st.integers(0, 6)) for _ in range(count)])
    costs = np.array([draw(st.integers(-5, 20)) for _ in range(count)])
    # supplies: push some units along a few arcs so the network is feasible
    supplies = np.zeros(nodes, dtype=np.int64)
    for arc in range(count):
        units = draw(st.integers(0, int(capacities[arc])))
        supplies[tails[arc]] += units
        supplies[heads[arc]] -= units
    return nodes, tails, heads, capacities, costs, supplies


@settings(max_examples=60, deadline=None)
@given(flow_networks())
def test_potentials_certify_every_optimal_flow(
    network: tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    nodes, tails, heads, capacities, costs, supplies = network
    # negative-cost cycles are fine for a min-cost flow: the solver saturates them
    solution = min_cost_flow(tails, heads, capacities, costs, supplies)
    potential = residual_potentials(nodes, tails, heads, capacities, costs, solution.flows)
    assert check_potentials(potential, residual_arcs(tails, heads, capacities, costs, solution.flows))
    # LP duality: the potentials' dual value equals the optimal cost
    reduced = costs - potential[tails] + potential[heads]
    dual = int(potential @ supplies) + int(np.minimum(reduced, 0) @ capacities)
    assert dual == solution.cost


def test_potentials_refuse_a_flow_that_is_not_optimal() -> None:
    # 0 -> 1 directly costs 10, via 2 costs 2: sending the unit directly leaves a negative residual cycle
    tails, heads = np.array([0, 0, 2]), np.array([1, 2, 1])
    capacities, costs = np.array([1, 1, 1]), np.array([10, 1, 1])
    with pytest.raises(ValueError, match="not optimal"):
        residual_potentials(3, tails, heads, capacities, costs, np.array([1, 0, 0]))


def test_shortest_distances_keep_the_cheapest_parallel_arc() -> None:
    distances = shortest_distances(3, np.array([0, 0, 1]), np.array([1, 1, 2]), np.array([5, -2, -1]))
    assert distances.tolist() == [0, -2, -3]


def _reference_distances(nodes: int, arcs: list[tuple[int, int, int]]) -> list[int] | None:
    """Textbook Bellman-Ford from a root joined to every node at 0; None on a negative cycle."""
    distance = [0] * nodes
    for _ in range(nodes + 1):
        changed = False
        for u, v, w in arcs:
            if distance[u] + w < distance[v]:
                distance[v], changed = distance[u] + w, True
        if not changed:
            return distance
    return None


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 12), st.data())
def test_shortest_distances_equal_bellman_ford_and_refuse_a_negative_cycle(nodes: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    arcs = data.draw(st.integers(0, 3 * nodes))
    tail, head, weight = rng.integers(0, nodes, arcs), rng.integers(0, nodes, arcs), rng.integers(-5, 20, arcs)
    expected = _reference_distances(nodes, list(zip(tail.tolist(), head.tolist(), weight.tolist(), strict=True)))
    if expected is None:
        with pytest.raises(ValueError, match="negative cycle"):
            shortest_distances(nodes, tail, head, weight)
    else:
        assert shortest_distances(nodes, tail, head, weight).tolist() == expected


def test_a_long_path_settles_in_scipy_after_the_vector_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    # a chain 0 -> 1 -> ... -> 9 of weight -1 needs 9 passes; with 3 allowed, scipy finishes it
    monkeypatch.setattr(models.pricing, "VECTOR_PASSES", 3)
    tail, head = np.arange(9), np.arange(1, 10)
    assert shortest_distances(10, tail, head, np.full(9, -1)).tolist() == [-k for k in range(10)]


def dense_prices(
    matrix: np.ndarray, scale: CostScale, potentials: tuple[np.ndarray, np.ndarray], restricted: set[tuple[int, int]]
) -> dict[tuple[int, int], int]:
    """Every left-out pair's integer reduced cost, by enumeration."""
    supplier_potential, demand_potential = potentials
    units = scale.units(matrix)
    return {
        (s, d): int(units[s, d] - supplier_potential[s] + demand_potential[d])
        for s in range(matrix.shape[0])
        for d in range(matrix.shape[1])
        if (s, d) not in restricted
    }


@pytest.mark.parametrize("dense_share", [math.inf, -1.0], ids=["searches", "dense-after-the-first-chunk"])
@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 9), st.data())
def test_pricing_finds_every_negative_left_out_pair(
    dense_share: float, suppliers: int, demands: int, data: st.DataObject
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(models.pricing, "DENSE_SHARE", dense_share)
        pricing_finds_every_negative_left_out_pair(suppliers, demands, data)


def pricing_finds_every_negative_left_out_pair(suppliers: int, demands: int, data: st.DataObject) -> None:
    """The pass's pairs and bound terms against enumerating every pair (by radius searches, or dense blocks)."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    matrix = np.round(rng.random((suppliers, demands)) * 50, 3)
    scale = CostScale(8.0)
    supplier_potential = rng.integers(0, 500, suppliers)
    demand_potential = rng.integers(0, 300, demands)
    supply = rng.integers(0, 4, suppliers)
    inflow = rng.integers(0, 4, demands)
    restricted = {(s, d) for s in range(suppliers) for d in range(demands) if rng.random() < 0.3}
    keys = np.array(sorted(s * demands + d for s, d in restricted), dtype=np.int64)
    arcs = CompleteArcs.plain(MatrixArcCosts(matrix), np.arange(suppliers), np.arange(demands))
    found = price(arcs, scale, (supplier_potential, demand_potential), (supply, inflow), (keys, demands), budget=10_000)
    expected = {
        pair: value
        for pair, value in dense_prices(matrix, scale, (supplier_potential, demand_potential), restricted).items()
        if value < 0 and supply[pair[0]] > 0 and inflow[pair[1]] > 0
    }
    assert set(zip(found.supplier.tolist(), found.demand.tolist(), strict=True)) == set(expected)
    capacity = {pair: min(supply[pair[0]], inflow[pair[1]]) for pair in expected}
    assert found.bound_term == pytest.approx(best_knapsack(expected, capacity, supply, inflow), abs=1e-6)
    uncapped = sum(value * capacity[pair] for pair, value in expected.items())
    assert found.bound_term >= uncapped - 1e-9 * abs(uncapped)
    exact = {
        (s, d): matrix[s, d] - (supplier_potential[s] - demand_potential[d]) / scale.units_per_minute
        for s in range(suppliers)
        for d in range(demands)
        if (s, d) not in restricted and supply[s] > 0 and inflow[d] > 0
    }
    exact_negative = {pair: value for pair, value in exact.items() if value < 0}
    exact_capacity = {pair: min(supply[pair[0]], inflow[pair[1]]) for pair in exact_negative}
    expected_float = best_knapsack(exact_negative, exact_capacity, supply, inflow)
    assert found.float_term == pytest.approx(expected_float, abs=1e-9)
    assert found.float_term <= expected_float  # never above the true term: it enters a lower bound


def best_knapsack(
    reduced: dict[tuple[int, int], float],
    capacity: dict[tuple[int, int], int],
    supply: np.ndarray,
    inflow: np.ndarray,
) -> float:
    """The larger of the two knapsack terms (by hand, pair by pair): each demand's negative pairs filled most
    negative first up to its inflow, or each supplier's up to its supply."""

    def knapsack(side: int, room_of: np.ndarray) -> float:
        total = 0.0
        for node in {pair[side] for pair in reduced}:
            room = int(room_of[node])
            for pair in sorted((pair for pair in reduced if pair[side] == node), key=lambda pair: reduced[pair]):
                taken = min(room, capacity[pair])
                total += reduced[pair] * taken
                room -= taken
        return total

    return max(knapsack(1, inflow), knapsack(0, supply))


def test_the_bound_term_counts_a_demands_inflow_once_however_many_suppliers_are_negative() -> None:
    """Two suppliers of 5 each are 4 and 2 minutes below a demand that takes 3: the knapsack fills 3 from the
    first (-12); counting each pair at its capacity would give 3 x -4 + 3 x -2 = -18, and so does the knapsack by
    supplier (each supplier's one pair, at its capacity 3)."""
    matrix = np.zeros((2, 1))
    found = price(
        CompleteArcs.plain(MatrixArcCosts(matrix), np.arange(2), np.arange(1)),
        CostScale(1.0),
        (np.array([4, 2]), np.array([0])),
        (np.array([5, 5]), np.array([3])),
        (np.zeros(0, dtype=np.int64), 1),
        budget=10,
    )
    assert found.negative == 2 and found.bound_term == pytest.approx(-12.0)
    assert found.float_term == pytest.approx(-12.0)


def test_a_pass_past_its_deadline_stops_and_bounds_nothing() -> None:
    # a national drug class's pass priced 14.5 million pairs in 19 s after the stage's time was up
    matrix = np.zeros((2, 1))
    arguments = (
        CompleteArcs.plain(MatrixArcCosts(matrix), np.arange(2), np.arange(1)),
        CostScale(1.0),
        (np.array([4, 2]), np.array([0])),
        (np.array([5, 5]), np.array([3])),
        (np.zeros(0, dtype=np.int64), 1),
    )
    stopped = price(*arguments, budget=10, deadline=time.perf_counter() - 1.0)
    assert not stopped.finished and stopped.examined == 0 and stopped.supplier.size == 0
    assert stopped.bound_term == stopped.float_term == -math.inf
    assert price(*arguments, budget=10, deadline=time.perf_counter() + 60.0).finished


def test_pricing_keeps_the_most_negative_pairs_within_the_budget() -> None:
    matrix = np.zeros((2, 3))
    arcs = CompleteArcs.plain(MatrixArcCosts(matrix), np.arange(2), np.arange(3))
    found = price(
        arcs,
        CostScale(1.0),
        (np.array([5, 9]), np.array([0, 0, 0])),
        (np.array([1, 1]), np.array([1, 1, 1])),
        (np.zeros(0, dtype=np.int64), 3),
        budget=3,
    )
    # every pair is negative: supplier 1 (-9) beats supplier 0 (-5) for each demand, one pair per demand first
    assert found.negative == 6 and found.supplier.tolist() == [1, 1, 1]
    assert sorted(found.demand.tolist()) == [0, 1, 2]


def test_the_most_negative_entries_per_group_enter_at_most_k_each() -> None:
    group = np.array([0, 1, 0, 0, 1, 2], np.int64)
    reduced = np.array([-1.0, -5.0, -3.0, -2.0, 4.0, -1.0])
    assert most_negative_per_group(group, reduced, reduced < 0, 2).tolist() == [1, 2, 3, 5]
    assert most_negative_per_group(group, reduced, reduced < 0, 1).tolist() == [1, 2, 5]
    assert most_negative_per_group(group, reduced, reduced < -10, 1).tolist() == []
    # 32-bit groups (the daily observation model's cohorts) choose the same entries
    assert most_negative_per_group(group.astype(np.int32), reduced, reduced < 0, 2).tolist() == [1, 2, 3, 5]
    assert ranks_within_groups(np.array([4, 4, 4, 7, 9, 9], np.int64)).tolist() == [0, 1, 2, 0, 0, 1]
    assert ranks_within_groups(np.zeros(0, np.int64)).tolist() == []


def test_sums_before_within_groups_restart_at_each_run() -> None:
    group = np.array([4, 4, 4, 7, 9, 9], np.int64)
    amount = np.array([3, 0, 5, 2, 1, 6], np.int64)
    assert sums_before_within_groups(group, amount).tolist() == [0, 3, 3, 0, 0, 1]


def test_ranks_by_cost_count_from_each_groups_cheapest_entry() -> None:
    ranks = ranks_by_cost_within_groups(np.array([1, 0, 1, 1, 0]), np.array([5.0, 2.0, 1.0, 9.0, 3.0]))
    assert ranks.tolist() == [1, 0, 0, 2, 1]


def test_the_bound_term_counts_a_suppliers_supply_once_however_many_demands_are_negative() -> None:
    """One supplier of 2 is 5 and 3 minutes above two demands that take 2 each: by supplier it sends its 2 to the
    first (-10); by demand each takes 2 (-10 - 6 = -16). The larger, -10, is the bound term."""
    matrix = np.zeros((1, 2))
    found = price(
        CompleteArcs.plain(MatrixArcCosts(matrix), np.arange(1), np.arange(2)),
        CostScale(1.0),
        (np.array([5]), np.array([0, 2])),
        (np.array([2]), np.array([2, 2])),
        (np.zeros(0, dtype=np.int64), 2),
        budget=10,
    )
    assert found.negative == 2 and found.bound_term == pytest.approx(-10.0)
    assert found.float_term == pytest.approx(-10.0)


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_capped_by_group_fills_each_groups_most_negative_entries_first(data: st.DataObject) -> None:
    """Against the knapsack by hand, with groups whose least value alone fills them (no sort) and groups that need
    several entries (sorted), ties included."""
    groups = data.draw(st.integers(1, 5))
    entries = data.draw(st.integers(0, 25))
    group = np.array(data.draw(st.lists(st.integers(0, groups - 1), min_size=entries, max_size=entries)), np.int64)
    value = -np.array(data.draw(st.lists(st.integers(0, 4), min_size=entries, max_size=entries)), np.float64)
    capacity = np.array(data.draw(st.lists(st.integers(0, 6), min_size=entries, max_size=entries)), np.int64)
    group_capacity = np.array(data.draw(st.lists(st.integers(0, 12), min_size=groups, max_size=groups)), np.int64)
    expected = 0.0
    for g in range(groups):
        room = int(group_capacity[g])
        for position in sorted(np.flatnonzero(group == g), key=lambda position: value[position]):
            taken = min(room, int(capacity[position]))
            expected += value[position] * taken
            room -= taken
    found = capped_by_group(group, value, capacity, group_capacity)
    assert found == pytest.approx(expected, abs=1e-9) and found <= expected


def test_capped_by_group_fills_a_group_at_its_least_value_when_that_takes_it_all() -> None:
    """Group 0 takes 4: its two entries at -5 (capacity 3 + 2) fill it, -20; group 1 takes 6 from -2 (capacity 4)
    then -1 (2 of 9): -10."""
    group = np.array([0, 1, 0, 1, 0])
    value = np.array([-5.0, -1.0, -5.0, -2.0, -3.0])
    capacity = np.array([3, 9, 2, 4, 7])
    assert capped_by_group(group, value, capacity, np.array([4, 6])) == pytest.approx(-30.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 40), st.integers(0, 5)), max_size=60))
def test_order_within_groups_is_lexsort_by_group_then_value(entries: list[tuple[int, int]]) -> None:
    group = np.array([entry[0] for entry in entries], dtype=np.int64)
    value = np.array([entry[1] for entry in entries], dtype=np.float64)
    assert order_within_groups(group, value).tolist() == np.lexsort((value, group)).tolist()
    assert order_within_groups(group * 2**40, value).tolist() == np.lexsort((value, group * 2**40)).tolist()


def test_dense_candidates_hold_every_pair_that_may_be_negative_in_units_or_minutes() -> None:
    """A pair 0.4 units above its potential difference rounds to 0 units: it may be negative, so it is a candidate;
    one 2 units above is not. With the group penalty the crossing pair is not."""
    matrix = np.array([[10.0, 10.4, 12.0], [3.0, 0.0, 7.0]])
    scale = CostScale(1.0)
    potentials = (np.array([10, 3]), np.array([0, 0, 0]))
    plain = CompleteArcs.plain(MatrixArcCosts(matrix), np.arange(2), np.arange(3))
    supplier, demand = dense_candidates(plain, scale, potentials, np.arange(2), np.arange(3))
    assert set(zip(supplier.tolist(), demand.tolist(), strict=True)) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    grouped = CompleteArcs(
        MatrixArcCosts(matrix), np.arange(2), np.arange(3), np.array([0, 1]), np.array([0, 1, 1]), 5.0
    )
    assert grouped.lower_costs(np.arange(2), np.arange(3)).tolist() == [[10.0, 15.4, 17.0], [8.0, 0.0, 7.0]]
    supplier, demand = dense_candidates(grouped, scale, potentials, np.arange(2), np.arange(3))
    assert set(zip(supplier.tolist(), demand.tolist(), strict=True)) == {(0, 0), (1, 1)}
