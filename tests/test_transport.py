"""The priced transportation phase against brute force: every pair as an LP solved by HiGHS on exact costs.

Tiny instances where each demand's nearest supplier strands supply; a property test on random instances
(the objective equals the all-pairs optimum, the bound never exceeds it, ``optimal`` is never reported above
it); costs with many decimals where rounding to 0.01 minute picks the wrong plan; a stop at the deadline.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import models.transport
from models.base import Status
from models.flow import FlowError
from models.nearest_bound import nearest_cost_bound
from models.pricing import CompleteArcs, MatrixArcCosts
from models.transport import (
    ArcSet,
    TransportProblem,
    bridging_pairs,
    solve_transport,
    worth_keeping,
)

pytestmark = pytest.mark.usefixtures("pricing_from_the_seed")


def problem_on(
    matrix: np.ndarray,
    supply: list[int],
    outlets: list[tuple[int, int, int]],
    class_demand: list[int],
    seeds_per_demand: int = 1,
) -> TransportProblem:
    """Every pair of ``matrix`` allowed; each demand seeded with its ``seeds_per_demand`` nearest suppliers."""
    suppliers, demands = matrix.shape
    seeds_per_demand = min(seeds_per_demand, suppliers)
    nearest = np.argsort(matrix, axis=0, kind="stable")[:seeds_per_demand]
    return TransportProblem(
        supply=np.array(supply, dtype=np.int64),
        num_demands=demands,
        outlet_demand=np.array([o[0] for o in outlets], dtype=np.int64),
        outlet_class=np.array([o[1] for o in outlets], dtype=np.int64),
        outlet_capacity=np.array([o[2] for o in outlets], dtype=np.int64),
        class_demand=np.array(class_demand, dtype=np.int64),
        seed_supplier=nearest.T.ravel().astype(np.int64),
        seed_demand=np.repeat(np.arange(demands), seeds_per_demand).astype(np.int64),
        complete=CompleteArcs.plain(MatrixArcCosts(matrix), np.arange(suppliers), np.arange(demands)),
    )


def all_pairs_optimum(matrix: np.ndarray, problem: TransportProblem) -> float:
    """The LP over every pair on the unrounded costs (a network LP: its optimum is integral)."""
    suppliers, demands = matrix.shape
    classes = problem.class_demand.size
    spare = suppliers + demands + classes
    tails = [s for s in range(suppliers) for _ in range(demands)]
    heads = [suppliers + d for _ in range(suppliers) for d in range(demands)]
    costs = matrix.ravel().tolist()
    capacities = [None] * len(tails)
    for demand, klass, capacity in zip(
        problem.outlet_demand, problem.outlet_class, problem.outlet_capacity, strict=True
    ):
        tails.append(suppliers + int(demand))
        heads.append(suppliers + demands + int(klass))
        costs.append(0.0)
        capacities.append(int(capacity))
    for s in range(suppliers):
        tails.append(s)
        heads.append(spare)
        costs.append(0.0)
        capacities.append(int(problem.supply[s]))
    supplies = np.zeros(spare + 1)
    supplies[:suppliers] = problem.supply
    supplies[suppliers + demands : spare] = -problem.class_demand
    supplies[spare] = -(problem.supply.sum() - problem.class_demand.sum())
    incidence = np.zeros((spare + 1, len(tails)))
    incidence[tails, np.arange(len(tails))] += 1
    incidence[heads, np.arange(len(tails))] -= 1
    result = linprog(costs, A_eq=incidence, b_eq=supplies, bounds=[(0, c) for c in capacities], method="highs")
    assert result.status == 0
    return float(result.fun)


def test_nearest_arcs_strand_supply_and_repair_plus_pricing_reach_the_optimum() -> None:
    # S0 is every demand's nearest supplier but holds 4 of the 8 units needed; S1 (far) holds 10.
    matrix = np.array([[1.0, 2.0, 3.0, 4.0], [30.0, 20.0, 10.0, 5.0]])
    problem = problem_on(matrix, [4, 10], [(d, 0, 2) for d in range(4)], [8])
    solution = solve_transport(problem)
    assert solution.stats["arcs_seed"] == 4 and solution.stats["arcs_feasibility"] > 0
    assert solution.status is Status.OPTIMAL
    # S1 ships to the demands it is least bad for (3: 5 min, 2: 10 min); S0 serves 0 and 1
    assert solution.objective == pytest.approx(all_pairs_optimum(matrix, problem)) == 2 * (1 + 2 + 10 + 5)
    shipped = {
        (int(s), int(d)): int(f) for s, d, f in zip(solution.supplier, solution.demand, solution.flow, strict=True) if f
    }
    assert shipped == {(0, 0): 2, (0, 1): 2, (1, 2): 2, (1, 3): 2}


def test_a_small_problem_starts_from_every_pair_and_needs_no_pricing(monkeypatch: pytest.MonkeyPatch) -> None:
    # the same stranding instance with the default: 2 x 4 pairs is below EVERY_PAIR_MAX, one flow over all of them
    monkeypatch.setattr(models.transport, "EVERY_PAIR_MAX", 8)
    matrix = np.array([[1.0, 2.0, 3.0, 4.0], [30.0, 20.0, 10.0, 5.0]])
    problem = problem_on(matrix, [4, 10], [(d, 0, 2) for d in range(4)], [8])
    solution = solve_transport(problem)
    assert solution.stats["arcs_seed"] == 8 and solution.stats["pricing_rounds"] == 0
    assert solution.stats["arcs_feasibility"] == 0 and solution.stats["arcs_priced_in"] == 0
    assert solution.status is Status.OPTIMAL and solution.bound == pytest.approx(solution.objective)
    assert solution.objective == pytest.approx(2 * (1 + 2 + 10 + 5))
    monkeypatch.setattr(models.transport, "EVERY_PAIR_MAX", 7)  # one pair more than allowed: from the seed
    assert solve_transport(problem).stats["arcs_seed"] == 4


def test_pricing_replaces_a_seeded_plan_that_is_feasible_but_dear() -> None:
    # seeds alone are feasible (S0 -> both), but S1 is far cheaper for demand 1: pricing must find it
    matrix = np.array([[1.0, 9.0], [50.0, 2.0]])
    problem = problem_on(matrix, [4, 4], [(0, 0, 2), (1, 0, 2)], [4])
    problem = TransportProblem(
        **{**problem.__dict__, "seed_supplier": np.array([0, 0]), "seed_demand": np.array([0, 1])}
    )
    solution = solve_transport(problem)
    assert solution.stats["arcs_feasibility"] == 0 and solution.stats["arcs_priced_in"] >= 1
    assert solution.status is Status.OPTIMAL
    assert solution.objective == pytest.approx(2 * 1.0 + 2 * 2.0)


@st.composite
def instances(draw: st.DrawFn) -> tuple[np.ndarray, TransportProblem]:
    suppliers = draw(st.integers(1, 5))
    demands = draw(st.integers(1, 7))
    classes = draw(st.integers(1, 2))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    matrix = np.round(rng.random((suppliers, demands)) * 120, draw(st.integers(0, 9)))
    supply = rng.integers(0, 12, suppliers).tolist()
    outlets = [(d, int(rng.integers(0, classes)), int(rng.integers(0, 7))) for d in range(demands)]
    if classes == 2:  # a second outlet per demand, as the drugs' floor and rest
        outlets += [(d, 1 - k, int(rng.integers(0, 4))) for d, k, _ in outlets]
    capacity = np.zeros(classes, dtype=np.int64)
    for _, klass, cap in outlets:
        capacity[klass] += cap
    remaining = min(sum(supply), int(capacity.sum()))
    class_demand = []
    for klass in range(classes):
        take = int(min(capacity[klass], remaining, rng.integers(0, remaining + 1)))
        class_demand.append(take)
        remaining -= take
    return matrix, problem_on(matrix, supply, outlets, class_demand, draw(st.integers(1, 2)))


def feasible(problem: TransportProblem) -> bool:
    """The all-pairs network can meet the class totals (outlet capacities per class and supply suffice)."""
    per_class = np.bincount(problem.outlet_class, weights=problem.outlet_capacity, minlength=problem.class_demand.size)
    return bool((per_class >= problem.class_demand).all() and problem.supply.sum() >= problem.class_demand.sum())


@settings(max_examples=80, deadline=None)
@given(instances())
def test_priced_phase_equals_the_all_pairs_optimum(instance: tuple[np.ndarray, TransportProblem]) -> None:
    matrix, problem = instance
    if not feasible(problem):
        with pytest.raises(FlowError):
            solve_transport(problem)
        return
    optimum = all_pairs_optimum(matrix, problem)
    solution = solve_transport(problem)
    tolerance = 1e-6 * max(1.0, optimum)
    assert solution.bound <= optimum + 1e-9 * max(1.0, optimum)
    assert solution.objective >= optimum - tolerance
    assert solution.status is Status.OPTIMAL  # small instances always converge
    assert solution.objective == pytest.approx(optimum, rel=1e-6, abs=1e-6)
    # the flow is a plan of the full model: supply and outlet capacities respected
    shipped = np.bincount(solution.supplier, weights=solution.flow, minlength=problem.num_suppliers)
    assert (shipped <= problem.supply).all() and int(solution.flow.sum()) == problem.flow_total
    received = np.bincount(solution.demand, weights=solution.flow, minlength=problem.num_demands)
    assert (received <= problem.inflow).all()


def test_exact_minutes_beat_rounding_to_hundredths() -> None:
    # X = A->d0 + B->d1 = 1.00501 + 2.00501 = 3.01002 is cheapest; rounded to 0.01 minute it costs 3.02 and
    # Y = A->d1 + B->d0 = 2.00499 + 1.00504 = 3.01003 (rounded 3.01) would win.
    matrix = np.array([[1.00501, 2.00499], [1.00504, 2.00501]])
    problem = problem_on(matrix, [1, 1], [(0, 0, 1), (1, 0, 1)], [2], seeds_per_demand=2)
    solution = solve_transport(problem)
    assert solution.status is Status.OPTIMAL
    assert solution.objective == pytest.approx(3.01002, rel=1e-12)
    assert solution.bound <= 3.01002 and solution.gap <= 1e-6


def test_listed_arcs_alone_are_the_model_without_complete_arcs() -> None:
    matrix = np.array([[1.0, 9.0], [50.0, 2.0]])
    listed = TransportProblem(
        supply=np.array([4, 4]),
        num_demands=2,
        outlet_demand=np.array([0, 1]),
        outlet_class=np.array([0, 0]),
        outlet_capacity=np.array([2, 2]),
        class_demand=np.array([4]),
        seed_supplier=np.array([0, 0]),
        seed_demand=np.array([0, 1]),
        seed_minutes=matrix[[0, 0], [0, 1]],
    )
    solution = solve_transport(listed)
    assert solution.status is Status.OPTIMAL and solution.objective == pytest.approx(2 * 1.0 + 2 * 9.0)
    assert solution.stats["pricing_rounds"] == 0


def test_a_passed_deadline_keeps_the_plan_with_an_honest_bound() -> None:
    rng = np.random.default_rng(3)
    matrix = rng.random((6, 40)) * 100
    problem = problem_on(matrix, [20] * 6, [(d, 0, 3) for d in range(40)], [100])
    solution = solve_transport(problem, deadline=time.perf_counter() - 1.0)
    optimum = all_pairs_optimum(matrix, problem)
    assert solution.bound <= optimum + 1e-9 * optimum <= solution.objective + 1e-9 * optimum
    if solution.objective > optimum * (1 + 1e-6):
        assert solution.status is Status.FEASIBLE and solution.gap > 0
    # the pass stops before any pair: the bound is each unit at its nearest partner's cost, the better side of
    # 100 units from 6 suppliers of 20 (each at its row's least cost) or into 40 demands of 3 (each at its column's)
    assert not solution.stats["priced_out"] and solution.stats["pairs_priced"] == 0
    by_supplier = 20 * np.sort(matrix.min(axis=1))[:5].sum()
    by_demand = 3 * np.sort(matrix.min(axis=0))[:33].sum() + np.sort(matrix.min(axis=0))[33]
    assert solution.bound == pytest.approx(max(by_supplier, by_demand), rel=1e-9) and solution.bound > 0


@pytest.mark.parametrize("seed", [7, 13])
def test_a_stopped_pass_is_bounded_by_the_potentials_where_they_bound_better_than_the_nearest_partners(
    seed: int,
) -> None:
    """The pass stops before any pair; a scan of every pair gives the restricted solve's potentials their bound,
    here above each unit at its nearest partner's cost (seed 7: 985.7 against 937.9; the optimum 1,013.1)."""
    rng = np.random.default_rng(seed)
    matrix = rng.random((6, 40)) * 100
    problem = problem_on(matrix, [20] * 6, [(d, 0, 3) for d in range(40)], [100])
    solution = solve_transport(problem, deadline=time.perf_counter() - 1.0)
    outlets = (problem.outlet_demand, problem.outlet_class, problem.outlet_capacity, problem.class_demand)
    assert problem.complete is not None
    nearest = nearest_cost_bound(
        problem.complete,
        (problem.supply, problem.inflow),
        outlets,
        (solution.supplier, solution.demand, solution.minutes),
    )
    optimum = all_pairs_optimum(matrix, problem)
    assert nearest + 1.0 < solution.bound <= optimum * (1 + 1e-9)
    assert solution.status is Status.FEASIBLE and solution.stats["pairs_priced"] == 0
    assert solution.stats["bound_seconds"] > 0  # the scan is timed apart from the pricing


def test_a_phase_stopped_after_its_first_pass_keeps_only_the_arcs_worth_keeping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seeded with 5 of 6 suppliers, stopped by its deadline after one pass: each demand keeps its arcs with flow and
    its 2 cheapest by reduced cost (what a later drug class starts from), and the flow and its cost are the same."""
    monkeypatch.setattr(models.transport, "EVERY_PAIR_MAX", 0)
    monkeypatch.setattr(models.transport, "KEEP_PER_DEMAND", 2)
    rng = np.random.default_rng(5)
    matrix = rng.random((6, 40)) * 100
    problem = problem_on(matrix, [20] * 6, [(d, 0, 3) for d in range(40)], [100], seeds_per_demand=5)
    solution = solve_transport(problem, deadline=time.perf_counter() - 1.0)
    assert solution.stats["pricing_rounds"] == 1 and solution.stats["arcs_dropped"] > 0
    assert solution.supplier.size == 200 - solution.stats["arcs_dropped"] == solution.flow.size
    assert solution.flow.sum() == 100
    assert solution.objective == pytest.approx(float(np.dot(solution.flow, matrix[solution.supplier, solution.demand])))
    arcs_per_demand = np.bincount(solution.demand, minlength=40)
    flows_per_demand = np.bincount(solution.demand, weights=solution.flow > 0, minlength=40)
    assert (arcs_per_demand <= 2 + flows_per_demand).all()


def test_bridging_pairs_cover_each_suppliers_leftover() -> None:
    matrix = np.array([[1.0, 2.0, 3.0, 4.0]])
    arcs = CompleteArcs.plain(MatrixArcCosts(matrix), np.arange(1), np.arange(4))
    supplier, demand = bridging_pairs(arcs, np.array([0]), np.arange(4), np.array([5]), np.array([2, 2, 2, 2]))
    assert supplier.tolist() == [0, 0, 0] and demand.tolist() == [0, 1, 2]  # 2 + 2 < 5 <= 2 + 2 + 2


def test_arc_set_adds_once_and_prunes() -> None:
    arcs = ArcSet(3)
    assert arcs.add(np.array([0, 0, 1]), np.array([2, 2, 0]), np.array([1.0, 9.0, 2.0])) == 2
    assert arcs.add(np.array([0, 1]), np.array([2, 1]), np.array([5.0, 3.0])) == 1
    assert arcs.minutes.tolist() == [1.0, 2.0, 3.0] and arcs.keys.tolist() == [2, 3, 4]
    keep = worth_keeping(arcs.demand, np.array([0, 0, 0]), np.array([5, 1, 7]))
    assert keep.tolist() == [True, True, True]  # each demand keeps its cheapest arcs
    assert arcs.keep(np.array([True, False, True])) == 1 and arcs.keys.tolist() == [2, 4]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 19)), max_size=25), max_size=8))
def test_arc_set_keeps_each_pair_once_and_its_keys_sorted(batches: list[list[tuple[int, int]]]) -> None:
    arcs, seen = ArcSet(20), set()
    for batch in batches:
        supplier = np.array([pair[0] for pair in batch], np.int64)
        demand = np.array([pair[1] for pair in batch], np.int64)
        added = arcs.add(supplier, demand, np.ones(len(batch)))
        assert added == len(set(batch) - seen)
        seen |= set(batch)
        assert arcs.keys.tolist() == sorted(s * 20 + d for s, d in seen)
        assert len(arcs) == len(seen)


@pytest.mark.parametrize(("cheaper", "priced_in"), [(999_999.5, False), (999_990.0, True)])
def test_pricing_stops_once_the_plan_is_within_the_tolerance_of_every_pairs_bound(
    cheaper: float, priced_in: bool
) -> None:
    """One unit from the seeded S0 (1,000,000 minutes) or the left-out S1: 0.5 minutes cheaper is within 1e-6 of
    the bound that counts S1's negative reduced cost, so the plan is optimal as it is; 10 minutes cheaper is not,
    and S1 is priced in."""
    matrix = np.array([[1_000_000.0], [cheaper]])
    problem = problem_on(matrix, [1, 1], [(0, 0, 1)], [1])
    problem = TransportProblem(**{**problem.__dict__, "seed_supplier": np.array([0]), "seed_demand": np.array([0])})
    solution = solve_transport(problem)
    assert solution.status is Status.OPTIMAL
    assert solution.stats["priced_out"] is priced_in
    assert solution.objective == pytest.approx(cheaper if priced_in else 1_000_000.0)
    assert solution.bound <= cheaper + 1e-6 and solution.objective - solution.bound <= 1e-6 * solution.objective


def test_a_pricing_cap_keeps_a_plan_meeting_the_totals_and_says_what_is_proven(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(models.transport, "EVERY_PAIR_MAX", 0)
    matrix = np.random.default_rng(3).random((6, 40)) * 100
    problem = problem_on(matrix, [20] * 6, [(d, 0, 3) for d in range(40)], [100])
    optimum = all_pairs_optimum(matrix, problem)
    unpriced = solve_transport(TransportProblem(**{**problem.__dict__, "pricing_rounds": 0}))
    assert int(unpriced.flow.sum()) == 100 and unpriced.stats["pricing_rounds"] == 0
    assert unpriced.status is Status.FEASIBLE and unpriced.bound == -math.inf
    assert unpriced.objective >= optimum * (1 - 1e-9)
    once = solve_transport(TransportProblem(**{**problem.__dict__, "pricing_rounds": 1}))
    assert once.stats["pricing_rounds"] == 1 and once.bound <= optimum * (1 + 1e-9)
    assert once.status is Status.FEASIBLE and not once.stats["priced_out"]
    # stopped with pairs left: never a worse bound than each unit at its nearest partner's cost
    outlets = (problem.outlet_demand, problem.outlet_class, problem.outlet_capacity, problem.class_demand)
    assert problem.complete is not None
    nearest = nearest_cost_bound(
        problem.complete, (problem.supply, problem.inflow), outlets, (once.supplier, once.demand, once.minutes)
    )
    assert once.bound >= min(nearest, once.objective)
    proven = solve_transport(problem)
    assert proven.status is Status.OPTIMAL and proven.objective == pytest.approx(optimum)
    # a problem whose seed is every pair needs no pricing: its plan is the optimum at 0 too, but 0 bounds nothing
    # (a timeline's days count nurses, no potentials computed), so it is not called proven
    monkeypatch.setattr(models.transport, "EVERY_PAIR_MAX", 240)
    every = solve_transport(TransportProblem(**{**problem.__dict__, "pricing_rounds": 0}))
    assert every.objective == pytest.approx(optimum)
    assert every.status is Status.FEASIBLE and every.bound == -math.inf
    assert solve_transport(TransportProblem(**{**problem.__dict__, "pricing_rounds": 1})).status is Status.OPTIMAL


def test_bridging_pairs_spread_over_more_demands_as_rounds_go_on() -> None:
    # 20,000 nurse pools at one spot each covered its own leftover with the same few nearest demands: a round per
    # few arcs, past 5 minutes; with the spread doubled each round they reach further at once
    matrix = np.tile(np.arange(1.0, 9.0), (3, 1))  # 3 suppliers at one spot, 8 demands in a row of distances
    complete = CompleteArcs.plain(MatrixArcCosts(matrix), np.arange(3), np.arange(8))
    leftover, inflow = np.array([2, 2, 2]), np.ones(8, dtype=np.int64)
    one = bridging_pairs(complete, np.arange(3), np.arange(8), leftover, inflow)
    four = bridging_pairs(complete, np.arange(3), np.arange(8), leftover, inflow, spread=4)
    assert sorted(set(one[1].tolist())) == [0, 1], "each covers its 2 alone: all three on the same 2 demands"
    assert sorted(set(four[1].tolist())) == list(range(8)), "four times over: every demand within reach"
