"""Tubes from streets to labs over every pair (``models.testing_routes``): pricing reaches the all-pairs optimum."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from models import testing_routes
from models.geo import km
from models.testing_routes import SHORTFALL_COST, route_tubes


def _places(points: list[tuple[float, float]]) -> pd.DataFrame:
    return pd.DataFrame({"lat": [p[0] for p in points], "lon": [p[1] for p in points]})


def _all_pairs_optimum(streets: pd.DataFrame, labs: pd.DataFrame, supply: np.ndarray) -> float:
    """The transportation LP over every pair (integral data: its optimum is integral)."""
    cost = np.round(
        10
        * km(
            streets["lat"].to_numpy()[:, None],
            streets["lon"].to_numpy()[:, None],
            labs["lat"].to_numpy()[None, :],
            labs["lon"].to_numpy()[None, :],
        )
    )
    n_s, n_l = cost.shape
    c = np.concatenate([cost.ravel(), np.full(n_s, float(SHORTFALL_COST))])
    a_eq = np.zeros((n_s, n_s * n_l + n_s))
    for s in range(n_s):
        a_eq[s, s * n_l : (s + 1) * n_l] = 1
        a_eq[s, n_s * n_l + s] = 1
    a_ub = np.zeros((n_l, n_s * n_l + n_s))
    for lab in range(n_l):
        a_ub[lab, lab : n_s * n_l : n_l] = 1
    result = linprog(
        c, A_ub=a_ub, b_ub=labs["nat_tests_per_day"].to_numpy(float), A_eq=a_eq, b_eq=supply, method="highs"
    )
    return float(result.fun)


def test_a_far_lab_takes_what_the_near_one_cannot() -> None:
    """Two streets next to lab A (capacity 5); lab B is 1 degree away. Each street sends 4 tubes: A takes 5, B 3."""
    streets = _places([(0.0, 0.0), (0.0, 0.001)])
    labs = _places([(0.0, 0.0), (1.0, 0.0)]).assign(nat_tests_per_day=[5, 10])
    routes = route_tubes(streets, labs, np.array([4, 4]))
    assert routes.proven and routes.unrouted == 0
    load = np.bincount(routes.lab, routes.tubes, 2)
    assert load.tolist() == [5, 3]


def test_rounds_past_the_deadline_are_not_started_and_the_plan_is_not_proven(monkeypatch: pytest.MonkeyPatch) -> None:
    # 50,000 labs at one spot priced for over 5 minutes at a 2 s limit: the rounds never looked at the clock
    monkeypatch.setattr(testing_routes, "START_LABS", 1)
    streets = _places([(0.0, 0.0), (0.0, 0.001)])
    labs = _places([(0.0, 0.0), (1.0, 0.0)]).assign(nat_tests_per_day=[5, 10])
    routes = route_tubes(streets, labs, np.array([4, 4]), deadline=time.perf_counter() - 1.0)
    assert routes.rounds == 1 and not routes.proven
    assert int(routes.tubes.sum()) + routes.unrouted == 8, "still a plan: every tube routed or counted unrouted"
    assert route_tubes(streets, labs, np.array([4, 4]), deadline=time.perf_counter() + 60.0).proven


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 2), st.floats(0, 2), st.integers(0, 30)), min_size=1, max_size=6),
    st.lists(st.tuples(st.floats(0, 2), st.floats(0, 2), st.integers(0, 40)), min_size=1, max_size=5),
)
def test_pricing_from_one_lab_each_reaches_the_all_pairs_optimum(
    streets: list[tuple[float, float, int]], labs: list[tuple[float, float, int]]
) -> None:
    street_frame = _places([(s[0], s[1]) for s in streets])
    lab_frame = _places([(lab[0], lab[1]) for lab in labs]).assign(nat_tests_per_day=[lab[2] for lab in labs])
    supply = np.array([s[2] for s in streets], np.int64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(testing_routes, "START_LABS", 1)
        routes = route_tubes(street_frame, lab_frame, supply)
    assert routes.proven
    assert routes.unrouted == max(0, int(supply.sum()) - int(lab_frame["nat_tests_per_day"].sum()))
    found = routes.tube_km_x10 + SHORTFALL_COST * routes.unrouted
    assert found == pytest.approx(_all_pairs_optimum(street_frame, lab_frame, supply), abs=0.5)
