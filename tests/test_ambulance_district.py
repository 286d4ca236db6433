"""Tests for models.ambulance.district: one district's lexicographic phases from the greedy start, the deadline."""

from __future__ import annotations

import math

from ambulance_fixtures import lexicographic_district

from models.ambulance.district import solve_district
from models.base import SolveOptions, Status

OPTIONS = SolveOptions(time_limit_s=10.0)


def test_greedy_start_is_proven_where_it_meets_the_bounds() -> None:
    """Greedy: H1 -> A (120 min left at A), H2 -> B. Covered 3000 = all, moves 0 = bound: proven without a solve;
    transfer-minutes 120000 > the bound 100000 (both at A): CP-SAT proves 120000 optimal in one call."""
    solution = solve_district(lexicographic_district(), OPTIONS, math.inf, math.inf)
    assert [(p.status, p.objective, p.bound, p.solved) for p in solution.phases] == [
        (Status.OPTIMAL, 3000.0, 3000.0, False),
        (Status.OPTIMAL, 0.0, 0.0, False),
        (Status.OPTIMAL, 120000.0, 120000.0, True),
    ]
    assert solution.solver_calls == 1
    assert solution.arc_chosen.tolist() == [0, 3] and solution.after.tolist() == [1, 1]


def test_past_the_deadline_the_greedy_plan_is_kept_with_its_bound() -> None:
    solution = solve_district(lexicographic_district(), OPTIONS, 0.0, 0.0)
    assert [(p.status, p.objective, p.bound) for p in solution.phases] == [
        (Status.OPTIMAL, 3000.0, 3000.0),
        (Status.OPTIMAL, 0.0, 0.0),
        (Status.FEASIBLE, 120000.0, 100000.0),
    ]
    assert solution.solver_calls == 0 and solution.final == (3000, 0, 120000)
