"""The p-median of one street: enumeration, the HiGHS MIP for large streets, brute force as the referee."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.testing_median import (
    ENUMERATION_LIMIT,
    best_subset,
    enumerate_subsets,
    greedy_swap,
    integer_costs,
    plan_cost,
    solve_mip,
)


def _brute(cost: np.ndarray, desks: np.ndarray, p: int) -> tuple[int, int]:
    """The lexicographic optimum (C, -D) over every p-subset, in chunks to bound memory."""
    best = (math.inf, 0)
    combos = itertools.combinations(range(cost.shape[1]), p)
    while chunk := list(itertools.islice(combos, 20_000)):
        block = np.array(chunk, dtype=np.int64)
        totals = cost[:, block].min(axis=2).sum(axis=0)
        keys = list(zip(totals.tolist(), (-desks[block].sum(axis=1)).tolist(), strict=True))
        best = min(best, min(keys))
    return int(best[0]), int(best[1])


def _street(seed: int, candidates: int, demand: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    where = rng.uniform(0, 3, (candidates, 2))
    homes = rng.uniform(0, 3, (demand, 2))
    dist = np.linalg.norm(homes[:, None] - where[None], axis=2)
    return dist, rng.integers(100, 5000, demand).astype(float), rng.integers(1, 5, candidates)


def test_thirty_candidates_choose_five_is_solved_by_the_mip_to_the_brute_force_optimum() -> None:
    dist, weights, desks = _street(3, 30, 10)
    assert math.comb(30, 5) == 142_506 > ENUMERATION_LIMIT
    choice = best_subset(dist, weights, desks, 5, deadline=time.perf_counter() + 30)
    assert choice.method == "mip" and choice.proven and choice.gap == 0.0
    cost = integer_costs(dist, weights)
    assert (choice.cost, -choice.desks) == _brute(cost, desks.astype(np.int64), 5)
    assert choice.bound == choice.cost == plan_cost(cost, choice.columns)


def test_ties_in_walk_go_to_the_most_desks_in_the_mip() -> None:
    # 24 candidates in 12 pairs at the same spot; each pair's second has more desks. 24 choose 4 = 10,626 would be
    # enumerated, so call the MIP directly; then the lexicographic optimum takes the bigger twin of each spot.
    rng = np.random.default_rng(4)
    spots = rng.uniform(0, 3, (12, 2))
    where = np.repeat(spots, 2, axis=0)
    homes = rng.uniform(0, 3, (9, 2))
    dist = np.linalg.norm(homes[:, None] - where[None], axis=2)
    weights = np.full(9, 100.0)
    desks = np.tile(np.array([1, 3], dtype=np.int64), 12)
    cost = integer_costs(dist, weights)
    choice = solve_mip(cost, desks, 4, seconds=30)
    assert choice.proven
    assert (choice.cost, -choice.desks) == _brute(cost, desks, 4)
    assert (choice.columns % 2 == 1).all()  # every chosen twin is the three-desk one
    assert choice.desks == 12


def test_a_hand_solved_tiny_street_is_the_same_by_enumeration_and_mip() -> None:
    # candidates on a line at 0, 1, 2, 10; demand 1 at 0, 2 at 2, 3 at 10 (the model test's street): {C, D} walks 1*2.
    dist = np.abs(np.array([0.0, 2.0, 10.0])[:, None] - np.array([0.0, 1.0, 2.0, 10.0])[None, :])
    weights, desks = np.array([1.0, 2.0, 3.0]), np.array([1, 2, 3, 4])
    enumerated = best_subset(dist, weights, desks, 2)
    mip = solve_mip(integer_costs(dist, weights), desks, 2, seconds=10)
    assert enumerated.columns.tolist() == mip.columns.tolist() == [2, 3]
    assert enumerated.cost == mip.cost == 2000 and enumerated.method == "enumeration" and mip.proven


def test_a_street_cut_short_reports_feasible_with_a_valid_bound() -> None:
    dist, weights, desks = _street(8, 150, 400)
    choice = solve_mip(integer_costs(dist, weights), desks.astype(np.int64), 5, seconds=0.0)
    assert choice.method == "mip"
    assert 0 <= choice.bound <= choice.cost
    if not choice.proven:
        assert choice.gap > 0


def test_all_candidates_open_when_the_street_has_no_more_than_p() -> None:
    choice = best_subset(np.ones((2, 3)), np.ones(2), np.ones(3), 5)
    assert choice.columns.tolist() == [0, 1, 2] and choice.proven and choice.method == "all"


def test_greedy_swap_returns_p_distinct_columns() -> None:
    dist, weights, desks = _street(5, 12, 6)
    columns = greedy_swap(integer_costs(dist, weights), desks.astype(np.int64), 4)
    assert len(set(columns.tolist())) == 4


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0, 5), min_size=1, max_size=6),
    st.lists(st.floats(0, 5), min_size=1, max_size=4),
    st.integers(1, 6),
)
def test_enumeration_matches_brute_force(cands: list[float], dem: list[float], p: int) -> None:
    dist = np.abs(np.array(dem)[:, None] - np.array(cands)[None, :])
    weights = np.ones(len(dem))
    desks = np.ones(len(cands), dtype=np.int64)
    choice = best_subset(dist, weights, desks, p)
    k = min(p, len(cands))
    cost = integer_costs(dist, weights)
    assert choice.proven and len(choice.columns) == k
    assert choice.cost == _brute(cost, desks, k)[0]


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(8, 11), st.integers(2, 4))
def test_mip_matches_brute_force_on_small_streets(seed: int, candidates: int, p: int) -> None:
    dist, weights, desks = _street(seed, candidates, 6)
    cost = integer_costs(dist, weights)
    choice = solve_mip(cost, desks.astype(np.int64), p, seconds=10)
    assert choice.proven
    assert (choice.cost, -choice.desks) == _brute(cost, desks.astype(np.int64), p)


def test_enumeration_a_block_at_a_time_equals_all_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # 20,000 clinics in a street of 20 candidates asked 11.6 GiB at once (a MemoryError); blocks of subsets give the
    # same minimum
    import models.testing_median

    rng = np.random.default_rng(3)
    cost = rng.integers(0, 1000, size=(40, 9)).astype(np.int64)
    desks = rng.integers(1, 4, size=9).astype(np.int64)
    whole = enumerate_subsets(cost, desks, 3)
    monkeypatch.setattr(models.testing_median, "ENUMERATION_CELLS", 7)  # a block of 1 subset (40 x 3 cells > 7)
    assert enumerate_subsets(cost, desks, 3).tolist() == whole.tolist()
    brute = min(
        itertools.combinations(range(9), 3), key=lambda c: (cost[:, list(c)].min(axis=1).sum(), -desks[list(c)].sum())
    )
    assert sorted(whole.tolist()) == sorted(brute)
