"""The testing model: hand-solved tiny instances and properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.base import SolveOptions, Status
from models.geo import km
from models.testing import TestingParams, choose_points, full_round, route_samples, solve_testing

DEG_KM = 6371.0 * np.pi / 180


def _params(points_min: int = 2, points_max: int = 2, round_days: float = 1.0) -> TestingParams:
    return TestingParams(points_min, points_max, 60.0, 12.0, round_days, 1)


def _street(population: int = 600) -> pd.DataFrame:
    return pd.DataFrame(
        {"street_id": ["S1"], "district_id": ["D1"], "population": [population], "lat": [0.0], "lon": [0.0]}
    )


def _four_candidates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "candidate_id": ["A", "B", "C", "D"],
            "street_id": ["S1"] * 4,
            "lat": [0.0] * 4,
            "lon": [0.0, 1.0, 2.0, 10.0],
            "desks": [1, 2, 3, 4],
        }
    )


def _demand() -> pd.DataFrame:
    return pd.DataFrame({"street_id": ["S1"] * 3, "lat": [0.0] * 3, "lon": [0.0, 2.0, 10.0], "weight": [1.0, 2.0, 3.0]})


def test_a_street_with_four_candidates_opens_the_hand_solved_pair() -> None:
    # Pairs without D leave weight 3 eight or more degrees away; {C, D} walks weight 1 two degrees (2),
    # {B, D} walks 1 + 2 (3), {A, D} walks weight 2 two degrees (4): {C, D} is the optimum, 2 degrees.
    points, streets, summary = choose_points(_street(), _four_candidates(), _demand(), _params())
    assert points["point_id"].tolist() == ["C", "D"]
    assert points["tests_per_day"].tolist() == [3 * 720, 4 * 720]
    assert points["population"].tolist() == [300, 300]  # weights 1 + 2 walk to C, 3 to D, scaled to 600
    assert summary.proven and summary.streets_enumerated == 1 and summary.streets_mip == 0
    assert summary.person_km == summary.bound_km == round(2 * DEG_KM, 3)  # exact to the person-metre
    assert streets[["points", "met", "reason"]].iloc[0].tolist() == [2, True, ""]
    # the round's need a day at the street: 600 residents in 1 day against 7 * 720 samples a day
    assert streets[["tests_per_day", "need_per_day", "short_per_day"]].iloc[0].tolist() == [5040, 600, 0]


def test_too_few_candidates_opens_all_and_says_why() -> None:
    points, streets, _ = choose_points(_street(), _four_candidates().head(2), _demand(), _params(3, 5))
    assert points["point_id"].tolist() == ["A", "B"]
    assert streets[["points", "required_min", "met", "reason"]].iloc[0].tolist() == [2, 3, False, "too_few_candidates"]


def test_a_lab_at_capacity_sends_the_rest_to_the_far_lab_and_reports_the_shortfall() -> None:
    streets = pd.DataFrame(
        {
            "street_id": ["S1", "S2"],
            "district_id": ["D1", "D1"],
            "population": [200, 100],
            "lat": [0.0, 0.0],
            "lon": [0.0, 1.0],
        }
    )
    labs = pd.DataFrame(
        {
            "lab_id": ["A", "B"],
            "district_id": ["D1", "D1"],
            "lat": [0.0, 0.0],
            "lon": [0.0, 5.0],
            "nat_tests_per_day": [200, 50],
        }
    )
    loads, flows, routes, _ = route_samples(streets, labs, _params())
    assert routes is not None and routes.proven
    unrouted = routes.unrouted
    assert loads["load_per_day"].tolist() == [200, 50]
    assert unrouted == 50
    assert sorted(map(tuple, flows.to_numpy().tolist())) == [("S1", "A", 200), ("S2", "B", 50)]
    streets["tests_per_day"] = [1000, 1000]
    round_row, _ = full_round(streets, labs, _params())
    assert round_row[["days_needed", "met", "binding", "extra_per_day"]].iloc[0].tolist() == [1.2, False, "labs", 50]


def test_sampling_points_bind_in_the_short_district() -> None:
    streets = pd.DataFrame({"district_id": ["D1", "D2"], "population": [1000, 3000], "tests_per_day": [1000, 1000]})
    labs = pd.DataFrame({"nat_tests_per_day": [10_000]})
    round_row, districts = full_round(streets, labs, _params(round_days=2.0))
    assert round_row[["days_needed", "met", "binding", "binding_where", "extra_per_day"]].iloc[0].tolist() == [
        3.0,
        False,
        "sampling_points",
        "D2",
        500,
    ]
    assert districts["sampling_days"].tolist() == [1.0, 3.0]


def test_solve_reports_optimal_phases() -> None:
    labs = pd.DataFrame(
        {"lab_id": ["L"], "district_id": ["D1"], "lat": [0.0], "lon": [0.0], "nat_tests_per_day": [600]}
    )
    result = solve_testing(_street(), _four_candidates(), _demand(), labs, _params())
    assert result.status == Status.OPTIMAL
    assert [p.name for p in result.phases] == [
        "walking_person_km",
        "tubes_unrouted",
        "tube_km_x10",
        "care_home_tests_unsampled",
        "care_home_tests_by_backup",
        "team_test_km_x10",
    ]
    assert bool(result.table("round")["met"].iloc[0])
    assert result.table("teams").empty and result.table("team_homes").empty  # no homes sampled on site


def _many_candidates(count: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return pd.DataFrame(
        {
            "candidate_id": [f"K{i:02d}" for i in range(count)],
            "street_id": "S1",
            "lat": rng.uniform(0, 0.05, count),
            "lon": rng.uniform(0, 0.05, count),
            "desks": rng.integers(1, 5, count),
        }
    )


def test_a_street_too_large_to_enumerate_is_solved_by_the_mip_and_proven() -> None:
    rng = np.random.default_rng(12)
    demand = pd.DataFrame(
        {"street_id": "S1", "lat": rng.uniform(0, 0.05, 8), "lon": rng.uniform(0, 0.05, 8), "weight": 75.0}
    )
    params = _params(3, 5)
    _, streets, summary = choose_points(_street(), _many_candidates(), demand, params)
    assert summary.streets_mip == summary.streets_mip_proven == 1 and summary.proven
    assert summary.person_km == summary.bound_km
    labs = pd.DataFrame({"lab_id": [], "district_id": [], "lat": [], "lon": [], "nat_tests_per_day": []})
    result = solve_testing(_street(), _many_candidates(), demand, labs, params, SolveOptions(5.0))
    assert result.phases[0].status == Status.OPTIMAL and result.stats["streets_mip"] == 1
    assert int(streets["points"].iloc[0]) == 5


def test_sampling_teams_to_homes_run_as_the_fourth_phase() -> None:
    districts = pd.DataFrame({"district_id": ["D1"], "lat": [0.0], "lon": [0.0], "teams": [1]})
    homes = pd.DataFrame(
        {"home_id": ["H1", "H2"], "district_id": ["D1", "D1"], "lat": [0.0, 0.0], "lon": [0.01, 0.02],
         "tests_per_day": [300, 200]}
    )  # fmt: skip
    params = TestingParams(2, 2, 60.0, 12.0, 1.0, 1, tests_per_team_day=400)
    labs = pd.DataFrame({"lab_id": [], "district_id": [], "lat": [], "lon": [], "nat_tests_per_day": []})
    result = solve_testing(_street(), _four_candidates(), _demand(), labs, params, None, districts, homes)
    assert result.phases[3].objective == 100  # one team of 400 for 500 samples a day
    assert result.table("team_homes")["unsampled"].tolist() == [0, 100]  # the nearer home is served first
    assert result.stats["care_home_tests_unsampled_per_day"] == 100


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 500), min_size=1, max_size=5), st.lists(st.integers(0, 400), min_size=1, max_size=4))
def test_labs_never_exceed_capacity_and_every_tube_is_routed_or_reported(pops: list[int], caps: list[int]) -> None:
    n = len(pops)
    streets = pd.DataFrame(
        {"street_id": [f"S{i}" for i in range(n)], "district_id": ["D"] * n, "population": pops, "lat": [0.0] * n}
    ).assign(lon=np.arange(n, dtype=float))
    labs = pd.DataFrame(
        {"lab_id": [f"L{i}" for i in range(len(caps))], "district_id": ["D"] * len(caps), "nat_tests_per_day": caps}
    ).assign(lat=0.0, lon=np.arange(len(caps), dtype=float))
    loads, _, routes, tubes = route_samples(streets, labs, _params())
    assert routes is not None
    unrouted = routes.unrouted
    assert (loads["load_per_day"] <= loads["capacity_per_day"]).all()
    assert int(loads["load_per_day"].sum()) + unrouted == tubes
    assert unrouted == max(0, tubes - sum(caps)), "every lab is in reach of every street"


def test_walk_distances_give_each_streets_matrix_whatever_the_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three streets (2 x 2, 1 x 0 and 3 x 1 walker x candidate pairs), in one chunk and a street per chunk: each
    street's matrix equals the haversine of its own rows."""
    import models.testing as testing

    walkers = (np.array([0, 2, 3]), np.array([2, 1, 3]))
    candidates = (np.array([0, 2, 2]), np.array([2, 0, 1]))
    walker_points = (
        np.array([39.9, 39.91, 39.92, 39.93, 39.94, 39.95]),
        np.array([116.3, 116.31, 116.32, 116.33, 116.34, 116.35]),
    )
    candidate_points = (np.array([39.90, 39.97, 40.0]), np.array([116.4, 116.42, 116.5]))
    expected = [
        km(
            walker_points[0][0:2, None],
            walker_points[1][0:2, None],
            candidate_points[0][None, 0:2],
            candidate_points[1][None, 0:2],
        ),
        np.zeros((1, 0)),
        km(
            walker_points[0][3:6, None],
            walker_points[1][3:6, None],
            candidate_points[0][None, 2:3],
            candidate_points[1][None, 2:3],
        ),
    ]
    for chunk in (1_000_000, 1):
        monkeypatch.setattr(testing, "DISTANCE_CHUNK_PAIRS", chunk)
        got = list(testing.walk_distances(walkers, candidates, walker_points, candidate_points))
        assert [matrix.shape for matrix in got] == [(2, 2), (1, 0), (3, 1)]
        for matrix, want in zip(got, expected, strict=True):
            np.testing.assert_array_equal(matrix, want)
