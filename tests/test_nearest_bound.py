"""``models.nearest_bound``: each unit at its nearest partner's cost bounds a transportation phase over every pair,
with nearest costs found exactly from the restricted arcs' radii."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_transport import all_pairs_optimum, feasible, instances

from models.nearest_bound import cheapest_units, nearest_cost_bound, nearest_of_demands, nearest_of_suppliers
from models.pricing import CompleteArcs, MatrixArcCosts
from models.transport import TransportProblem


def _complete(matrix: np.ndarray) -> CompleteArcs:
    suppliers, demands = matrix.shape
    return CompleteArcs.plain(MatrixArcCosts(matrix), np.arange(suppliers), np.arange(demands))


def test_the_cheapest_units_fill_the_total_cheapest_first() -> None:
    assert cheapest_units(np.array([5.0, 1.0, 3.0]), np.array([2, 2, 2]), 5) == 2 * 1.0 + 2 * 3.0 + 5.0
    assert cheapest_units(np.array([5.0, 1.0]), np.array([1, 1]), 9) == 6.0, "all of them when fewer"


def test_nearest_costs_are_exact_whatever_the_restricted_arc() -> None:
    # the restricted arcs are the dearest of each row and column: the search within their cost finds the least
    matrix = np.array([[4.0, 9.0, 2.0], [7.0, 1.0, 8.0]])
    supply, inflow = np.array([5, 5]), np.array([1, 1, 1])
    restricted = (np.array([0, 1, 1]), np.array([1, 0, 2]), np.array([9.0, 7.0, 8.0]))
    assert nearest_of_suppliers(_complete(matrix), supply, inflow, restricted).tolist() == [2.0, 1.0]
    assert nearest_of_demands(_complete(matrix), supply, inflow, restricted).tolist() == [4.0, 1.0, 2.0]
    # a supplier without supply is no one's nearest; an end without a restricted arc counts at 0
    empty = np.array([0, 5])
    assert nearest_of_demands(_complete(matrix), empty, inflow, restricted).tolist() == [7.0, 0.0, 8.0]
    alone = (np.array([1]), np.array([0]), np.array([7.0]))
    assert nearest_of_suppliers(_complete(matrix), supply, inflow, alone).tolist() == [0.0, 1.0]


def test_the_bound_is_the_better_side() -> None:
    """Two suppliers of 3 each at 1 and 10 minutes from both demands, which take 2 each (one class of 4): by supplier
    3 x 1 + 1 x 10 = 13, the optimum; by demand 4 x 1 = 4."""
    matrix = np.array([[1.0, 1.0], [10.0, 10.0]])
    outlets = (np.array([0, 1]), np.array([0, 0]), np.array([2, 2]), np.array([4]))
    restricted = (np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), matrix.ravel())
    bound = nearest_cost_bound(_complete(matrix), (np.array([3, 3]), np.array([2, 2])), outlets, restricted)
    assert bound == pytest.approx(13.0, rel=1e-11) and bound <= 13.0


@settings(max_examples=80, deadline=None)
@given(instances())
def test_the_bound_never_exceeds_the_all_pairs_optimum(instance: tuple[np.ndarray, TransportProblem]) -> None:
    matrix, problem = instance
    if not feasible(problem):
        return
    optimum = all_pairs_optimum(matrix, problem)
    seeded = (problem.seed_supplier, problem.seed_demand, matrix[problem.seed_supplier, problem.seed_demand])
    outlets = (problem.outlet_demand, problem.outlet_class, problem.outlet_capacity, problem.class_demand)
    bound = nearest_cost_bound(_complete(matrix), (problem.supply, problem.inflow), outlets, seeded)
    assert 0.0 <= bound <= optimum + 1e-9 * max(1.0, optimum)


@given(st.integers(0, 5))
def test_nothing_shipped_bounds_nothing(seed: int) -> None:
    matrix = np.random.default_rng(seed).random((2, 3))
    outlets = (np.array([0]), np.array([0]), np.array([0]), np.array([0]))
    restricted = (np.array([0]), np.array([0]), matrix[:1, 0])
    assert nearest_cost_bound(_complete(matrix), (np.array([1, 1]), np.array([0, 0, 0])), outlets, restricted) == 0.0
