"""The p-median of one street: which ``p`` candidate points minimise the residents' walk, then maximise desks.

Pure: arrays in, a :class:`Choice` out. ``models.testing`` calls :func:`best_subset` once per street.

Exact data
----------
Costs are integers: ``c_ij = rint(1000 * w_i * dist_ij)`` person-metres for demand point ``i`` (weight ``w_i``
residents) walking to candidate ``j``. The objective is lexicographic: (i) minimise ``C = sum_i min_{j open} c_ij``,
(ii) maximise the open desks ``D = sum_{j open} desks_j``. Both are integers, so the order is exact.

Methods
-------
- ``p >= n``: every candidate opens (optimal, nothing to choose).
- ``C(n, p) <= ENUMERATION_LIMIT``: every subset is enumerated (vectorised); the lexicographic minimum is optimal.
- otherwise a MIP in HiGHS (``highspy``, pinned 1.12.0 = the HiGHS inside OR-Tools, NOTES), the strong
  p-median formulation with ``y_j`` binary (point opened) and ``x_ij in [0, 1]`` (i walks to j)::

      min  M * sum_ij c_ij x_ij - sum_j desks_j y_j      with M = 1 + sum_j desks_j
      s.t. sum_j x_ij = 1            (every demand point walks somewhere)
           x_ij <= y_j               (only to an open point)
           sum_j y_j = p

  Since ``0 <= D < M`` and ``C`` is an integer, the single objective ``F = M*C - D`` orders plans exactly as
  (C, -D). HiGHS runs with ``mip_rel_gap = 0`` and ``mip_abs_gap = 0.5`` (``F`` is an integer at every integral
  plan, so a gap below 1 proves the optimum), a start from the greedy-and-swap heuristic, and the time left
  of the stage's limit. ``optimal`` only when HiGHS reports it; else ``feasible`` with the bound
  ``C >= ceil(F_lb / M)`` from HiGHS's dual bound ``F_lb``. Without ``highspy`` the heuristic stands
  (bound 0).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csc_matrix

from models.base import highs_solver, release_highs

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

ENUMERATION_LIMIT = 20_000
"""Largest number of subsets enumerated per street (6 candidates choose 5 is 6); larger streets go to the MIP."""
ENUMERATION_CELLS = 4_000_000
"""Costs (demand points x subsets x points per subset) the enumeration holds at once (32 MB)."""
METRES_PER_KM = 1000
MIP_ABS_GAP = 0.5
"""HiGHS's absolute gap: below 1 proves an integer objective optimal."""
MIN_MIP_SECONDS = 0.1
"""A street's MIP gets at least this long, even when the stage's time is up (it starts from the heuristic)."""


@dataclass(frozen=True)
class Choice:
    """The open candidates of one street (column indices), their exact cost and desks, and what is proven.

    ``cost``: person-metres ``C``; ``bound``: a lower bound on ``C`` over every plan (``cost`` when proven);
    ``method``: ``all``, ``enumeration``, ``mip`` or ``heuristic``; ``gap``: HiGHS's relative gap (0 when proven).
    """

    columns: IntArray
    cost: int
    desks: int
    bound: int
    proven: bool
    method: str
    gap: float = 0.0


def integer_costs(dist: np.ndarray, weights: np.ndarray) -> IntArray:
    """``c_ij = rint(1000 * w_i * dist_ij)``: person-metres, demand points by rows, candidates by columns."""
    return np.rint(np.asarray(dist, float) * np.asarray(weights, float)[:, None] * METRES_PER_KM).astype(np.int64)


def plan_cost(cost: IntArray, columns: np.ndarray) -> int:
    """``C`` of the open ``columns``: every demand point walks to its nearest open point."""
    if cost.shape[0] == 0 or len(columns) == 0:
        return 0
    return int(cost[:, columns].min(axis=1).sum())


def _key(cost: IntArray, desks: IntArray, columns: np.ndarray) -> tuple[int, int]:
    return plan_cost(cost, columns), -int(desks[columns].sum())


def greedy_swap(cost: IntArray, desks: IntArray, p: int, max_rounds: int = 50) -> IntArray:
    """A start: add the point that lowers ``(C, -D)`` most, ``p`` times; then best single swaps until none helps."""
    n = cost.shape[1]
    chosen: list[int] = []
    for _ in range(p):
        rest = [j for j in range(n) if j not in chosen]
        chosen.append(min(rest, key=lambda j: _key(cost, desks, np.array([*chosen, j]))))
    current = np.array(sorted(chosen), dtype=np.int64)
    best = _key(cost, desks, current)
    for _ in range(max_rounds):
        improved = False
        outside = np.setdiff1d(np.arange(n), current)
        for position in range(p):
            for j in outside:
                trial = current.copy()
                trial[position] = j
                key = _key(cost, desks, trial)
                if key < best:
                    best, current, improved = key, np.sort(trial), True
                    break
            if improved:
                break
        if not improved:
            break
    return current


def enumerate_subsets(cost: IntArray, desks: IntArray, p: int) -> IntArray:
    """The lexicographic minimum of ``(C, -D)`` over every ``p``-subset (vectorised, a block of subsets at a time:
    at most :data:`ENUMERATION_CELLS` costs in memory; 20,000 clinics in one street asked 11.6 GiB at once)."""
    m, n = cost.shape
    combos = np.array(list(itertools.combinations(range(n), p)), dtype=np.int64)
    total = np.zeros(len(combos), np.int64)
    block = max(1, ENUMERATION_CELLS // max(1, m * p))
    for start in range(0, len(combos) if m else 0, block):
        part = combos[start : start + block]
        total[start : start + len(part)] = cost[:, part].min(axis=2).sum(axis=0)
    order = np.lexsort((-desks[combos].sum(axis=1), total))
    return combos[order[0]]


def _highs() -> Any | None:
    try:
        import highspy
    except ImportError:  # pragma: no cover - highspy is a dependency
        return None
    return highspy


def mip_model(cost: IntArray, desks: IntArray, p: int, highs: Any) -> Any:
    """The strong p-median as a ``HighsLp`` (columns ``y`` then ``x`` row-major; rows as in the docstring)."""
    m, n = cost.shape
    weight = 1 + int(desks.sum())
    x_col = n + np.arange(m * n).reshape(m, n)
    assign_rows = np.repeat(np.arange(m), n)
    link_rows = m + np.arange(m * n)
    count_row = m + m * n
    rows = np.concatenate([assign_rows, link_rows, link_rows, np.full(n, count_row)])
    cols = np.concatenate([x_col.ravel(), x_col.ravel(), np.tile(np.arange(n), m), np.arange(n)])
    vals = np.concatenate([np.ones(m * n), np.ones(m * n), -np.ones(m * n), np.ones(n)])
    matrix = csc_matrix((vals, (rows, cols)), shape=(count_row + 1, n + m * n))
    lp = highs.HighsLp()
    lp.num_col_, lp.num_row_ = n + m * n, count_row + 1
    lp.col_cost_ = np.concatenate([-desks.astype(float), weight * cost.ravel().astype(float)])
    lp.col_lower_ = np.zeros(n + m * n)
    lp.col_upper_ = np.ones(n + m * n)
    lp.row_lower_ = np.concatenate([np.ones(m), np.full(m * n, -np.inf), [float(p)]])
    lp.row_upper_ = np.concatenate([np.ones(m), np.zeros(m * n), [float(p)]])
    lp.a_matrix_.format_ = highs.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    lp.integrality_ = [highs.HighsVarType.kInteger] * n + [highs.HighsVarType.kContinuous] * (m * n)
    return lp


def _start_values(cost: IntArray, columns: IntArray) -> np.ndarray:
    m, n = cost.shape
    y = np.zeros(n)
    y[columns] = 1.0
    x = np.zeros((m, n))
    if m:
        x[np.arange(m), columns[cost[:, columns].argmin(axis=1)]] = 1.0
    return np.concatenate([y, x.ravel()])


def solve_mip(cost: IntArray, desks: IntArray, p: int, seconds: float, seed: int = 0) -> Choice:
    """The street's p-median by HiGHS within ``seconds`` (see the module docstring), started from the heuristic."""
    start = greedy_swap(cost, desks, p)
    highs = _highs()
    if highs is None:  # pragma: no cover - highspy is a dependency
        return Choice(start, plan_cost(cost, start), int(desks[start].sum()), 0, False, "heuristic", 1.0)
    solver = highs_solver(highs)
    try:
        status, values, dual = _solved(solver, highs, cost, desks, p, seconds, seed, start)
    finally:
        release_highs(solver)
    n = cost.shape[1]
    found = np.flatnonzero(values[:n] > 0.5) if len(values) >= n else np.zeros(0, np.int64)
    columns = np.sort(found).astype(np.int64) if len(found) == p else start
    if _key(cost, desks, start) < _key(cost, desks, columns):
        columns = start
    plan = plan_cost(cost, columns)
    weight = 1 + int(desks.sum())
    proven = status == highs.HighsModelStatus.kOptimal
    if proven:
        bound = plan
    else:
        bound = max(0, math.ceil(dual / weight - 1e-9)) if math.isfinite(dual) else 0
        bound = min(bound, plan)
    gap = 0.0 if proven else (plan - bound) / max(abs(plan), 1)
    return Choice(columns, plan, int(desks[columns].sum()), bound, proven, "mip", gap)


def _solved(
    solver: Any, highs: Any, cost: IntArray, desks: IntArray, p: int, seconds: float, seed: int, start: IntArray
) -> tuple[Any, FloatArray, float]:
    """The p-median MIP solved from ``start``: HiGHS's model status, its values and its dual bound."""
    solver.setOptionValue("mip_rel_gap", 0.0)
    solver.setOptionValue("mip_abs_gap", MIP_ABS_GAP)
    solver.setOptionValue("time_limit", max(float(seconds), MIN_MIP_SECONDS))
    solver.setOptionValue("random_seed", int(seed) % 2_147_483_647)
    solver.passModel(mip_model(cost, desks, p, highs))
    solution = highs.HighsSolution()
    solution.col_value = _start_values(cost, start)
    solution.value_valid = True
    solver.setSolution(solution)
    solver.run()
    values = np.asarray(solver.getSolution().col_value, dtype=float)
    return solver.getModelStatus(), values, float(solver.getInfo().mip_dual_bound)


def best_subset(
    dist: np.ndarray, weights: np.ndarray, desks: np.ndarray, p: int, deadline: float | None = None, seed: int = 0
) -> Choice:
    """The ``p`` columns of ``dist`` (demand x candidate) minimising weighted walk, ties by most desks.

    Enumerates when there are at most :data:`ENUMERATION_LIMIT` subsets, else solves the MIP until ``deadline``
    (``time.perf_counter()`` seconds; none: 10 s).
    """
    cost = integer_costs(dist, weights)
    desk_counts = np.asarray(desks, dtype=np.int64)
    n = cost.shape[1]
    if p >= n or p <= 0:
        columns = np.arange(n, dtype=np.int64) if p > 0 else np.zeros(0, dtype=np.int64)
        value = plan_cost(cost, columns)
        return Choice(columns, value, int(desk_counts[columns].sum()), value, True, "all")
    if math.comb(n, p) <= ENUMERATION_LIMIT:
        columns = enumerate_subsets(cost, desk_counts, p)
        value = plan_cost(cost, columns)
        return Choice(columns, value, int(desk_counts[columns].sum()), value, True, "enumeration")
    seconds = 10.0 if deadline is None else deadline - time.perf_counter()
    return solve_mip(cost, desk_counts, p, seconds, seed)


__all__ = [
    "ENUMERATION_LIMIT",
    "METRES_PER_KM",
    "Choice",
    "best_subset",
    "enumerate_subsets",
    "greedy_swap",
    "integer_costs",
    "mip_model",
    "plan_cost",
    "solve_mip",
]
