"""The left-out pairs' bound term from one scan: against enumerating every pair, and below the knapsack terms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.pricing import CompleteArcs, CostScale, MatrixArcCosts, price
from models.pricing_bound import SECONDS_PER_PAIR, least_reduced_terms, scan_seconds


def by_enumeration(
    matrix: np.ndarray,
    scale: CostScale,
    potentials: tuple[np.ndarray, np.ndarray],
    capacity: tuple[np.ndarray, np.ndarray],
    restricted: set[tuple[int, int]],
) -> tuple[float, float]:
    """By hand, in units and in exact minutes, the better of: each supplier's left-out pairs filled most negative
    first, each up to ``min(supply, inflow)``, until its supply; each demand's least reduced cost (at most 0) times
    its inflow."""
    supply, inflow = capacity
    supplier_potential, demand_potential = potentials
    units = scale.units(matrix) - supplier_potential[:, None] + demand_potential[None, :]
    exact = matrix - (supplier_potential[:, None] - demand_potential[None, :]) / scale.units_per_minute
    left_out = np.ones(matrix.shape, dtype=bool)
    for pair in restricted:
        left_out[pair] = False
    left_out &= (supply[:, None] > 0) & (inflow[None, :] > 0)
    terms = []
    for reduced in (units.astype(float), exact):
        values = np.where(left_out, np.minimum(reduced, 0.0), 0.0)
        by_supplier = 0.0
        for s in range(matrix.shape[0]):
            room = int(supply[s])
            for d in np.argsort(values[s], kind="stable"):
                taken = min(room, int(min(supply[s], inflow[d])))
                by_supplier += values[s, d] * taken
                room -= taken
        terms.append(max(by_supplier, float(values.min(axis=0) @ inflow)))
    return terms[0], terms[1]


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 6), st.integers(1, 9), st.data())
def test_the_scan_fills_each_suppliers_knapsack_and_each_demands_inflow_at_its_least(
    suppliers: int, demands: int, data: st.DataObject
) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    matrix = np.round(rng.random((suppliers, demands)) * 50, 3)
    scale = CostScale(8.0)
    potentials = (rng.integers(0, 500, suppliers), rng.integers(0, 300, demands))
    capacity = (rng.integers(0, 4, suppliers), rng.integers(0, 4, demands))
    restricted = {(s, d) for s in range(suppliers) for d in range(demands) if rng.random() < 0.3}
    keys = np.array(sorted(s * demands + d for s, d in restricted), dtype=np.int64)
    arcs = CompleteArcs.plain(MatrixArcCosts(matrix), np.arange(suppliers), np.arange(demands))
    units, minutes = least_reduced_terms(
        arcs, scale, potential=np.concatenate(potentials), capacity=capacity, restricted=(keys, demands)
    )
    expected = by_enumeration(matrix, scale, potentials, capacity, restricted)
    assert units == pytest.approx(expected[0], rel=1e-9, abs=1e-9) and units <= expected[0]
    assert minutes == pytest.approx(expected[1], rel=1e-9, abs=1e-9) and minutes <= expected[1]
    # the knapsacks of a whole pricing pass fill each pair only up to its capacity: never below the scan's term
    found = price(arcs, scale, potentials, capacity, (keys, demands), budget=10_000)
    assert found.bound_term >= units - 1e-9 and found.float_term >= minutes - 1e-9


def test_a_demand_of_three_counts_its_least_reduced_cost_three_times() -> None:
    """Supplier 0 (potential 10) is 6 and 2 minutes below demands 0 and 1 (inflows 3 and 1); supplier 1 (potential
    0) is below none. By demand: 3 x -6 + 1 x -2 = -20; by supplier 0 (supply 2): 2 x -6 = -12, the better."""
    matrix = np.array([[4.0, 8.0], [5.0, 5.0]])
    arcs = CompleteArcs.plain(MatrixArcCosts(matrix), np.arange(2), np.arange(2))
    capacity = (np.array([2, 5]), np.array([3, 1]))
    potentials = (np.array([10, 0]), np.array([0, 0]))
    restricted = (np.zeros(0, np.int64), 2)
    units, minutes = least_reduced_terms(
        arcs, CostScale(1.0), potential=np.concatenate(potentials), capacity=capacity, restricted=restricted
    )
    assert units == pytest.approx(-12.0) and minutes == pytest.approx(-12.0)
    assert scan_seconds(capacity) == pytest.approx(4 * SECONDS_PER_PAIR)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 9), st.data())
def test_the_scan_stops_only_where_its_terms_end_below_what_the_caller_has(
    suppliers: int, demands: int, data: st.DataObject
) -> None:
    """With ``useless_at`` the scan returns no bound (-inf) exactly when its whole terms are at or below those on both
    sides (and it scanned a block), and otherwise the same terms as without it."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    matrix = np.round(rng.random((suppliers, demands)) * 50, 3)
    arcs = CompleteArcs.plain(MatrixArcCosts(matrix), np.arange(suppliers), np.arange(demands))
    potential = np.concatenate([rng.integers(0, 500, suppliers), rng.integers(0, 300, demands)])
    capacity = (rng.integers(0, 4, suppliers), rng.integers(0, 4, demands))
    keys = np.array(sorted(s * demands + d for s in range(suppliers) for d in range(demands) if rng.random() < 0.3))
    restricted = (keys.astype(np.int64), demands)
    scale = CostScale(8.0)
    whole = least_reduced_terms(arcs, scale, potential=potential, capacity=capacity, restricted=restricted)
    useless_at = (
        whole[0] + data.draw(st.sampled_from([-5.0, 0.0, 5.0])),
        whole[1] + data.draw(st.sampled_from([-1.0, 0.0, 1.0])),
    )
    stopped = least_reduced_terms(
        arcs, scale, potential=potential, capacity=capacity, restricted=restricted, useless_at=useless_at
    )
    below = whole[0] <= useless_at[0] and whole[1] <= useless_at[1]
    scanned = bool((capacity[0] > 0).any() and (capacity[1] > 0).any())  # at least one block of pairs
    assert stopped == ((-math.inf, -math.inf) if below and scanned else whole)
