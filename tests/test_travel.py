"""Travel minutes: hand-computed haversine minutes, origin speed, overrides, and sparse arcs vs a dense brute force."""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.dataset.limits import PlanTooLargeError
from planner.dataset.schema import TABLES, Dataset
from planner.dataset.travel import arcs, haversine_km, minutes_matrix, pair_minutes, with_speed
from planner.rules.rules import load_rules

DETOUR = 1.3
# 0.1 degree of latitude on a 6371 km sphere, 1.3 detour, 30 km/h: 11.1195 km * 1.3 / 30 * 60 = 28.9107 minutes.
TENTH_DEGREE_AT_30 = 6371.0 * math.radians(0.1) * 1.3 / 30.0 * 60.0


def points(ids: list[str], lats: list[float], lons: list[float], speeds: list[float] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"id": ids, "lat": lats, "lon": lons})
    if speeds is not None:
        frame["speed_kmh"] = speeds
    return frame


def overrides(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["from_id", "to_id", "minutes"])


def test_tenth_degree_of_latitude_at_30_kmh_is_28_9_minutes() -> None:
    a = points(["a"], [39.9], [116.4], [30.0])
    b = points(["b"], [40.0], [116.4])
    assert pytest.approx(28.910680927585275, rel=1e-12) == TENTH_DEGREE_AT_30
    assert minutes_matrix(a, b, detour=DETOUR)[0, 0] == pytest.approx(TENTH_DEGREE_AT_30, rel=1e-9)
    assert haversine_km(np.array([39.9]), np.array([116.4]), np.array([40.0]), np.array([116.4]))[0] == pytest.approx(
        11.119492664455874, rel=1e-12
    )


def test_origin_speed_is_used_in_each_direction() -> None:
    slow = points(["slow"], [39.9], [116.4], [30.0])
    fast = points(["fast"], [40.0], [116.4], [60.0])
    there = minutes_matrix(slow, fast.drop(columns="speed_kmh"), detour=DETOUR)[0, 0]
    back = minutes_matrix(fast, slow.drop(columns="speed_kmh"), detour=DETOUR)[0, 0]
    assert there == pytest.approx(TENTH_DEGREE_AT_30)
    assert back == pytest.approx(TENTH_DEGREE_AT_30 / 2)


def test_override_wins_in_its_direction_only() -> None:
    a = points(["a"], [39.9], [116.4], [30.0])
    b = points(["b"], [40.0], [116.4], [30.0])
    given = overrides([("a", "b", 5.0), ("a", "b", 7.0)])  # the last row for a pair wins
    assert minutes_matrix(a, b, detour=DETOUR, overrides=given)[0, 0] == 7.0
    assert minutes_matrix(b, a, detour=DETOUR, overrides=given)[0, 0] == pytest.approx(TENTH_DEGREE_AT_30)


def test_pair_minutes_aligned_with_overrides() -> None:
    minutes = pair_minutes(
        ["a", "a", "b"],
        [39.9, 39.9, 40.0],
        [116.4, 116.4, 116.4],
        ["b", "c", "a"],
        [40.0, 40.2, 39.9],
        [116.4, 116.4, 116.4],
        [30.0, 30.0, 60.0],
        detour=DETOUR,
        overrides=overrides([("a", "c", 1.5)]),
    )
    assert minutes == pytest.approx([TENTH_DEGREE_AT_30, 1.5, TENTH_DEGREE_AT_30 / 2])


def line_instance() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Origin o at 39.9; destinations 0.1, 0.2, 0.3, 0.4 degrees north (28.9, 57.8, 86.7, 115.6 min at 30 km/h)."""
    origins = points(["o"], [39.9], [116.4], [30.0])
    destinations = points(["d1", "d2", "d3", "d4"], [40.0, 40.1, 40.2, 40.3], [116.4] * 4)
    return origins, destinations


def test_threshold_with_overrides_adding_and_removing_pairs() -> None:
    origins, destinations = line_instance()
    plain = arcs(origins, destinations, detour=DETOUR, max_minutes=60.0)
    assert plain["to_id"].tolist() == ["d1", "d2"]
    assert plain["minutes"].to_numpy() == pytest.approx([TENTH_DEGREE_AT_30, 2 * TENTH_DEGREE_AT_30])
    # d4 is far by geometry but a road makes it 10 minutes; d1 is near but its road is blocked.
    given = overrides([("o", "d4", 10.0), ("o", "d1", 500.0), ("elsewhere", "d2", 1.0)])
    changed = arcs(origins, destinations, detour=DETOUR, max_minutes=60.0, overrides=given)
    assert changed["to_id"].tolist() == ["d4", "d2"]
    assert changed["minutes"].tolist()[0] == 10.0


def test_k_nearest_honours_overrides() -> None:
    origins, destinations = line_instance()
    assert arcs(origins, destinations, detour=DETOUR, k=2)["to_id"].tolist() == ["d1", "d2"]
    given = overrides([("o", "d4", 1.0), ("o", "d1", 999.0), ("o", "d2", 998.0)])
    assert arcs(origins, destinations, detour=DETOUR, k=2, overrides=given)["to_id"].tolist() == ["d4", "d3"]
    assert arcs(origins, destinations, detour=DETOUR, k=10)["to_id"].tolist() == ["d1", "d2", "d3", "d4"]


def test_k_and_threshold_together_keep_the_k_nearest_within_the_limit() -> None:
    origins, destinations = line_instance()
    assert arcs(origins, destinations, detour=DETOUR, k=3, max_minutes=60.0)["to_id"].tolist() == ["d1", "d2"]
    assert arcs(origins, destinations, detour=DETOUR, k=1, max_minutes=60.0)["to_id"].tolist() == ["d1"]


def test_threshold_radius_follows_each_origins_speed() -> None:
    origins = points(["slow", "fast"], [39.9, 39.9], [116.4, 116.4], [30.0, 60.0])
    destinations = points(["d1", "d2"], [40.0, 40.1], [116.4, 116.4])
    result = arcs(origins, destinations, detour=DETOUR, max_minutes=30.0)
    assert list(zip(result["from_id"], result["to_id"], strict=True)) == [
        ("fast", "d1"),
        ("fast", "d2"),
        ("slow", "d1"),
    ]


def test_output_types_order_and_empty_inputs() -> None:
    origins = points(["10", "9"], [39.9, 39.9], [116.4, 116.41], [30.0, 30.0])
    destinations = points(["b", "a"], [40.0, 40.0], [116.4, 116.4])
    result = arcs(origins, destinations, detour=DETOUR, k=2)
    assert list(result.columns) == ["from_id", "to_id", "minutes"]
    assert result["minutes"].dtype == np.float64
    assert all(isinstance(v, str) for v in [*result["from_id"], *result["to_id"]])
    # text order of ids; equal minutes ordered by to_id
    assert list(zip(result["from_id"], result["to_id"], strict=True)) == [
        ("10", "a"),
        ("10", "b"),
        ("9", "a"),
        ("9", "b"),
    ]
    empty = arcs(origins.iloc[:0], destinations, detour=DETOUR, k=2)
    assert empty.empty and list(empty.columns) == ["from_id", "to_id", "minutes"]
    assert arcs(origins, destinations.iloc[:0], detour=DETOUR, max_minutes=60).empty


def test_bad_inputs_are_refused() -> None:
    origins, destinations = line_instance()
    with pytest.raises(ValueError, match="speed_kmh"):
        arcs(origins.drop(columns="speed_kmh"), destinations, detour=DETOUR, k=1)
    with pytest.raises(ValueError, match="speed_kmh"):
        arcs(origins.assign(speed_kmh=0.0), destinations, detour=DETOUR, k=1)
    with pytest.raises(ValueError, match="k >= 1"):
        arcs(origins, destinations, detour=DETOUR, k=0)
    with pytest.raises(ValueError, match="unique"):
        arcs(origins, pd.concat([destinations, destinations]), detour=DETOUR, k=1)


def tiny_dataset() -> Dataset:
    """Districts fast (60 km/h), zero (speed 0 = not given) and street-less; streets in each."""
    frames = {name: pd.DataFrame({c.name: [] for c in spec.all_columns()}) for name, spec in TABLES.items()}
    frames["districts"] = pd.DataFrame({"district_id": ["fast", "zero"], "speed_kmh": [60.0, 0.0]})
    frames["streets"] = pd.DataFrame({"street_id": ["s_fast", "s_zero"], "district_id": ["fast", "zero"]})
    return Dataset(**cast(dict[str, Any], frames), name="tiny")


def test_with_speed_joins_the_district_speed_or_the_default() -> None:
    rules = load_rules().with_overrides({"default_speed_kmh": 25})
    dataset = tiny_dataset()
    by_street = pd.DataFrame({"id": ["a", "b", "c"], "street_id": ["s_fast", "s_zero", "unknown"]})
    assert with_speed(by_street, dataset, rules.default_speed_kmh)["speed_kmh"].tolist() == [60.0, 25.0, 25.0]
    by_district = pd.DataFrame({"id": ["p", "q"], "district_id": ["fast", "nowhere"]})
    assert with_speed(by_district, dataset, rules.default_speed_kmh)["speed_kmh"].tolist() == [60.0, 25.0]
    both = pd.DataFrame({"id": ["x", "y"], "district_id": ["", "zero"], "street_id": ["s_fast", "s_fast"]})
    assert with_speed(both, dataset, rules.default_speed_kmh)["speed_kmh"].tolist() == [60.0, 25.0]
    with pytest.raises(ValueError, match="district_id or a street_id"):
        with_speed(pd.DataFrame({"id": ["z"]}), dataset, rules.default_speed_kmh)


# --- sparse arcs against the dense brute force ------------------------------------------------------------------

coordinate = st.tuples(st.floats(39.0, 40.5), st.floats(115.5, 117.5))


@st.composite
def instances(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    origin_points = draw(st.lists(coordinate, min_size=1, max_size=12))
    destination_points = draw(st.lists(coordinate, min_size=1, max_size=12))
    speeds = draw(st.lists(st.sampled_from([20.0, 30.0, 45.0, 60.0]), min_size=len(origin_points), max_size=12))
    origins = points(
        [f"o{i}" for i in range(len(origin_points))],
        [p[0] for p in origin_points],
        [p[1] for p in origin_points],
        speeds[: len(origin_points)],
    )
    destinations = points(
        [f"d{j}" for j in range(len(destination_points))],
        [p[0] for p in destination_points],
        [p[1] for p in destination_points],
    )
    pair = st.tuples(
        st.sampled_from(list(origins["id"])), st.sampled_from(list(destinations["id"])), st.floats(0.0, 400.0)
    )
    given = overrides(draw(st.lists(pair, max_size=8)))
    return origins, destinations, given


def dense_arcs(origins: pd.DataFrame, destinations: pd.DataFrame, given: pd.DataFrame) -> pd.DataFrame:
    matrix = minutes_matrix(origins, destinations, detour=DETOUR, overrides=given)
    return pd.DataFrame(
        {
            "from_id": np.repeat(origins["id"].to_numpy(), len(destinations)),
            "to_id": np.tile(destinations["id"].to_numpy(), len(origins)),
            "minutes": matrix.ravel(),
        }
    ).sort_values(["from_id", "minutes", "to_id"], ignore_index=True)


@settings(max_examples=40, deadline=None)
@given(instances(), st.floats(5.0, 250.0))
def test_threshold_arcs_equal_the_dense_computation(
    instance: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], max_minutes: float
) -> None:
    origins, destinations, given = instance
    expected = dense_arcs(origins, destinations, given)
    expected = expected[expected["minutes"] <= max_minutes].reset_index(drop=True)
    result = arcs(origins, destinations, detour=DETOUR, max_minutes=max_minutes, overrides=given)
    pd.testing.assert_frame_equal(result, expected, check_dtype=False)


@settings(max_examples=40, deadline=None)
@given(instances(), st.integers(1, 6), st.one_of(st.none(), st.floats(5.0, 250.0)))
def test_k_nearest_arcs_equal_the_dense_computation(
    instance: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], k: int, max_minutes: float | None
) -> None:
    origins, destinations, given = instance
    expected = dense_arcs(origins, destinations, given)
    if max_minutes is not None:
        expected = expected[expected["minutes"] <= max_minutes]
    expected = expected.groupby("from_id", sort=False).head(k).reset_index(drop=True)
    result = arcs(origins, destinations, detour=DETOUR, k=k, max_minutes=max_minutes, overrides=given)
    # Equal destinations may swap places at the k-th rank: compare the minutes, then each arc's own value.
    assert result["from_id"].tolist() == expected["from_id"].tolist()
    np.testing.assert_allclose(result["minutes"].to_numpy(), expected["minutes"].to_numpy(), rtol=1e-12)
    matrix = minutes_matrix(origins, destinations, detour=DETOUR, overrides=given)
    rows = pd.Index(origins["id"]).get_indexer(result["from_id"])
    cols = pd.Index(destinations["id"]).get_indexer(result["to_id"])
    np.testing.assert_allclose(result["minutes"].to_numpy(), matrix[rows, cols], rtol=1e-12)


def test_more_pairs_within_the_limit_than_a_plan_lists_are_refused_before_they_are_held(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 20,000 homes and 5,000 sites at one spot passed validation and took 11 GB before failing
    import planner.dataset.limits

    monkeypatch.setattr(planner.dataset.limits, "PAIRS_MAX", 11)
    spot = {"lat": 39.9, "lon": 116.4, "speed_kmh": 30.0}
    origins = pd.DataFrame([{"id": f"o{i}", **spot} for i in range(4)])
    destinations = pd.DataFrame([{"id": f"d{i}", **spot} for i in range(3)])
    with pytest.raises(PlanTooLargeError) as caught:
        arcs(origins, destinations, detour=DETOUR, max_minutes=60.0, what="care homes -> sites")
    assert caught.value.problems == [
        "care homes -> sites within 60 min (4 x 3): 12 pairs, above the 11 a plan lists; check the places' "
        "coordinates (many at one spot?), or plan fewer of them at once (nothing was solved)"
    ]
    assert len(arcs(origins.iloc[:3], destinations, detour=DETOUR, max_minutes=60.0)) == 9, "within the limit"
    assert len(arcs(origins, destinations, detour=DETOUR, k=2)) == 8, "k nearest: bounded by k, never refused"
