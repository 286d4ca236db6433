"""Shared flow helpers: network building, exact max / min-cost flows, residual reachability."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.flow import (
    FlowError,
    Network,
    cost_units,
    dedupe_arcs,
    flat_ranges,
    grouped,
    members,
    min_cost_flow,
    positions,
    suppliers_reaching_unmet,
    unique_ints,
)


def test_positions_marks_unknown_ids() -> None:
    universe = pd.Index(["a", "b", "c"])
    assert positions(pd.Series(["c", "x", "a"]), universe).tolist() == [2, -1, 0]


def test_flat_ranges_are_the_runs_end_to_end() -> None:
    assert flat_ranges(np.array([5, 0, 2]), np.array([2, 0, 3])).tolist() == [5, 6, 2, 3, 4]
    assert flat_ranges(np.zeros(0, np.int64), np.zeros(0, np.int64)).tolist() == []
    rng = np.random.default_rng(5)
    starts, counts = rng.integers(0, 100, 40), rng.integers(0, 6, 40)
    expected = np.concatenate([np.arange(start, start + count) for start, count in zip(starts, counts, strict=True)])
    assert flat_ranges(starts, counts).tolist() == expected.tolist()


def test_members_are_each_keys_positions_in_input_order() -> None:
    found = members(np.array([2, 0, 2, 1, 0, 2], np.int64), 4)
    assert [positions.tolist() for positions in found] == [[1, 4], [3], [0, 2, 5], []]
    assert members(np.zeros(0, np.int64), 0) == []
    assert [positions.tolist() for positions in members(np.zeros(0, np.int64), 2)] == [[], []]


def test_cost_units_are_hundredths_of_a_minute() -> None:
    assert cost_units([0.0, 1.0, 12.345, 7.5]).tolist() == [0, 100, 1234, 750]
    with pytest.raises(ValueError, match="non-negative"):
        cost_units([-1.0])
    with pytest.raises(ValueError, match="finite"):
        cost_units([np.nan])


def test_dedupe_keeps_fastest_known_pair() -> None:
    supplier = np.array([0, 0, 1, -1, 0])
    demand = np.array([1, 1, 0, 0, 2])
    minutes = np.array([9.0, 4.0, 3.0, 1.0, 2.0])
    assert dedupe_arcs(supplier, demand, minutes).tolist() == [1, 2, 4]


def test_network_arc_families_and_supplies() -> None:
    network = Network(3)
    first = network.add_arcs([0, 0], [1, 2], [5, 5], [1, 3])
    second = network.add_arcs(1, 2, 4)  # scalars broadcast, cost 0
    network.add_supplies([0, 2], [4, -4])
    assert first.tolist() == [0, 1]
    assert second.tolist() == [2]
    tails, heads, capacities, costs = network.arrays()
    assert tails.tolist() == [0, 0, 1]
    assert heads.tolist() == [1, 2, 2]
    assert capacities.tolist() == [5, 5, 4]
    assert costs.tolist() == [1, 3, 0]
    # 4 units 0 -> 2: via 1 costs 1 + 0 = 1 each, direct costs 3: all via node 1.
    solution = network.min_cost_flow()
    assert solution.flows.tolist() == [4, 0, 4]
    assert solution.cost == 4


def test_min_cost_flow_rejects_unbalanced_supplies() -> None:
    with pytest.raises(FlowError, match="Unbalanced"):
        min_cost_flow([0], [1], [5], [1], [3, -2])


def test_max_flow_capacity_changes_and_min_cut() -> None:
    # source 0 -> a 1 (cap 3) -> sink 3 (cap 1); source -> b 2 (cap 2) -> sink (cap 0, opened later).
    network = Network(4)
    network.add_arcs([0, 0], [1, 2], [3, 2])
    sink_arcs = network.add_arcs([1, 2], 3, [1, 0])
    flow = network.max_flow()
    assert flow.solve(0, 3) == 1
    assert flow.source_side(4).tolist() == [True, True, True, False]
    flow.set_capacities(sink_arcs[1:], [5])
    assert flow.solve(0, 3) == 3
    assert flow.flows().tolist() == [1, 2, 1, 2]


def test_reaching_unmet_follows_backward_arcs() -> None:
    # Suppliers 0, 1, 2; demands 0, 1, 2. Arcs 0->0 (flow 1), 0->2, 1->0, 2->1 (flow 1).
    # Demand 2 is unmet: supplier 0 reaches it directly, supplier 1 via 1->0 then back to 0 -> 2,
    # supplier 2 only reaches demand 1, which leads back to itself.
    supplier = np.array([0, 0, 1, 2])
    demand = np.array([0, 2, 0, 1])
    flow = np.array([1, 0, 0, 1])
    unmet = np.array([False, False, True])
    assert suppliers_reaching_unmet(supplier, demand, flow, unmet, 3).tolist() == [True, True, False]
    # Without flow on 0->0 there is no way back from demand 0 to supplier 0.
    no_flow = np.array([0, 0, 0, 1])
    assert suppliers_reaching_unmet(supplier, demand, no_flow, unmet, 3).tolist() == [True, False, False]
    assert not suppliers_reaching_unmet(supplier, demand, flow, np.zeros(3, dtype=bool), 3).any()


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(-(2**40), 2**40), max_size=40),
    st.lists(st.integers(-5, 5), max_size=40),
    st.sampled_from([np.int64, np.int32, np.uint16]),
)
def test_unique_ints_are_numpys_unique_and_union(first: list[int], second: list[int], dtype: type) -> None:
    a = np.asarray(first, np.int64)
    b = np.asarray([abs(v) for v in second], dtype)
    for found, expected in ((unique_ints(a), np.unique(a)), (unique_ints(a, b), np.union1d(a, b))):
        assert found.dtype == expected.dtype and found.tolist() == expected.tolist()
    assert unique_ints(b).dtype == np.dtype(dtype)


def test_unique_ints_of_other_kinds_are_numpys() -> None:
    assert unique_ints(np.array([2.5, 1.0, 2.5])).tolist() == [1.0, 2.5]
    assert unique_ints(np.array([True, False, True])).tolist() == [False, True]
    assert unique_ints().size == 0


def test_grouped_entries_are_each_keys_in_order_and_within_a_key_by_within() -> None:
    keys = np.array([2, 0, 2, 1, 2], np.int64)
    pointers, order = grouped(keys, 4)
    assert pointers.tolist() == [0, 1, 2, 5, 5] and order.tolist() == [1, 3, 0, 2, 4]
    pointers, order = grouped(keys, 4, within=np.array([3.0, 0.0, 1.0, 0.0, 1.0]))
    assert pointers.tolist() == [0, 1, 2, 5, 5] and order.tolist() == [1, 3, 2, 4, 0]
