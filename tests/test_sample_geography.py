"""The sample's geography: helpers worked out by hand, the Beijing districts, streets and synthetic names."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sample_fixture import city

from planner.dataset.sample_geography import BEIJING, apportion, road_minutes, split_total

CORE = {"Dongcheng", "Xicheng", "Chaoyang", "Fengtai", "Shijingshan", "Haidian"}


# --------------------------------------------------------------------------- helpers worked out by hand


def test_apportion_gives_the_minimum_then_largest_remainders() -> None:
    # base 1 each, 7 left: quotas 1.75, 1.75, 3.5 -> floors 1, 1, 3; two left go to remainders .75, .75
    assert apportion(10, np.array([1.0, 1.0, 2.0]), 1).tolist() == [3, 3, 4]


def test_split_total_keeps_each_group_total() -> None:
    # group 0: 10 * (1/4, 3/4) = 2.5, 7.5 -> 2, 7, deficit 1 to the first item; group 1: 5
    shares = split_total(np.array([10, 5]), np.array([0, 0, 1]), np.array([1.0, 3.0, 1.0]))
    assert shares.tolist() == [3, 7, 5]


def test_road_minutes_uses_haversine_detour_and_speed() -> None:
    # one degree of latitude = 111.195 km; * 1.3 / 40 km/h * 60 = 216.83 min
    minutes, index = road_minutes(
        np.array([40.0]), np.array([116.0]), np.array([40.0]), np.array([41.0]), np.array([116.0])
    )
    assert index[0, 0] == 0
    assert minutes[0, 0] == pytest.approx(111.195 * 1.3 / 40.0 * 60.0, rel=1e-3)


@settings(max_examples=40, deadline=None)
@given(
    total=st.integers(0, 500),
    weights=st.lists(st.floats(0.01, 100.0), min_size=1, max_size=20),
    minimum=st.integers(0, 3),
)
def test_apportion_sums_to_total(total: int, weights: list[float], minimum: int) -> None:
    if total < minimum * len(weights):
        with pytest.raises(ValueError):
            apportion(total, np.array(weights), minimum)
        return
    shares = apportion(total, np.array(weights), minimum)
    assert shares.sum() == total
    assert (shares >= minimum).all()


# --------------------------------------------------------------------------- the Beijing city


def test_city_districts_are_the_16_beijing_districts() -> None:
    districts = city()["districts"]
    assert len(districts) == 16
    assert districts["name_zh"].tolist()[:3] == ["东城区", "西城区", "朝阳区"]
    assert districts["population"].sum() == sum(d.population for d in BEIJING)
    assert 21_800_000 < districts["population"].sum() < 22_000_000  # 2020 census: 21.89 M
    assert set(districts.loc[districts["dense"], "name"]) == CORE
    core_speed = districts.loc[districts["dense"], "speed_kmh"]
    outer_speed = districts.loc[~districts["dense"], "speed_kmh"]
    assert core_speed.between(20, 25).all() and outer_speed.between(35, 45).all()


def test_everything_below_the_district_says_it_is_synthetic() -> None:
    for name, frame in city().items():
        if name in ("districts", "travel_minutes", "forecast"):  # no names: the forecast is empty
            continue
        assert frame["name"].str.startswith("Synthetic ").all(), name
        assert frame["name_zh"].str.endswith("（虚构）").all(), name
    assert city()["streets"]["name"].iloc[0] == "Synthetic Street 1 of Dongcheng"
    assert city()["streets"]["name_zh"].iloc[0] == "东城区第1街道（虚构）"


def test_streets_follow_population_and_spread_with_the_district() -> None:
    frames = city()
    district_names = frames["districts"][["district_id", "name"]].rename(columns={"name": "district"})
    streets = frames["streets"].merge(district_names, on="district_id")
    per_district = streets.groupby("district").size()
    assert per_district["Chaoyang"] > 3 * per_district["Yanqing"]
    seats = {d.name: (d.spread_lat, d.spread_lon) for d in BEIJING}
    north = (streets["lat"] - streets["district"].map(lambda n: seats[n][0])) * 111.2
    east = (streets["lon"] - streets["district"].map(lambda n: seats[n][1])) * 111.2 * np.cos(np.radians(40.0))
    spread = np.hypot(north, east).groupby(streets["district"]).max()
    assert spread["Dongcheng"] < 6 and spread["Yanqing"] > 15
