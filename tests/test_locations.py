"""Where every entity is and the minutes between them, and every pair's minutes priced on demand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tiny_plan import tiny_dataset

from planner.dataset import travel
from planner.rules.rules import load_rules
from planner.stages.locations import LOCATED_TABLES, GeoArcCosts, Locations, located_entities


def test_every_located_entity_has_a_district_and_its_speed() -> None:
    dataset = tiny_dataset()
    located = located_entities(dataset, 30.0)
    assert len(located) == sum(len(dataset.table(table)) for table, _, _ in LOCATED_TABLES)
    assert located.loc["H003", "district_id"] == "D2" and located.loc["W1", "district_id"] == "D1"
    assert (located["speed_kmh"] > 0).all()


def test_pair_minutes_follow_the_road_estimate_from_the_origin() -> None:
    locations = Locations.of(tiny_dataset(), load_rules())
    minutes = locations.pair_minutes(pd.Series(["P1"]), pd.Series(["H001"]))
    p1, h1 = locations.table.loc["P1"], locations.table.loc["H001"]
    expected = travel.geo_minutes(p1["lat"], p1["lon"], p1["speed_kmh"], h1["lat"], h1["lon"], detour=1.3)
    assert abs(float(minutes[0]) - float(expected)) < 1e-9


def test_pair_minutes_of_many_pairs_are_each_pairs_and_unknown_ids_are_named() -> None:
    locations = Locations.of(tiny_dataset(), load_rules())
    origins, destinations = pd.Series(["P1", "P2", "P1", "W1"]), pd.Series(["H001", "H003", "H003", "H001"])
    together = locations.pair_minutes(origins, destinations)
    alone = [float(locations.pair_minutes(origins[[k]], destinations[[k]])[0]) for k in range(4)]
    assert together.tolist() == alone and together[0] != together[2]
    with pytest.raises(KeyError, match="NOPE"):
        locations.pair_minutes(pd.Series(["P1", "NOPE"]), pd.Series(["H001", "H001"]))


def test_arcs_keep_the_k_nearest() -> None:
    locations = Locations.of(tiny_dataset(), load_rules())
    arcs = locations.arcs(pd.Series(["H001", "H003"]), pd.Series(["W1", "P1", "P2"]), k=1)
    assert arcs.groupby("from_id").size().tolist() == [1, 1]


def test_arc_costs_give_the_pair_minutes_of_every_pair() -> None:
    locations = Locations.of(tiny_dataset(), load_rules())
    origins, destinations = pd.Series(["W1", "P1", "P2"]), pd.Series(["H001", "H002", "H003", "HP1"])
    costs = locations.arc_costs(origins, destinations)
    supplier = np.repeat(np.arange(3), 4)
    demand = np.tile(np.arange(4), 3)
    expected = locations.pair_minutes(
        origins.iloc[supplier].reset_index(drop=True), destinations.iloc[demand].reset_index(drop=True)
    )
    assert np.allclose(costs.minutes(supplier, demand), expected, rtol=1e-12)
    assert costs.max_minutes() >= expected.max()


def random_costs(seed: int, overrides: np.ndarray | None = None) -> GeoArcCosts:
    rng = np.random.default_rng(seed)
    return GeoArcCosts(
        origin_lat=39 + rng.random(30),
        origin_lon=116 + rng.random(30),
        origin_speed=rng.choice([20.0, 30.0, 45.0], 30),
        destination_lat=39 + rng.random(200),
        destination_lon=116 + rng.random(200),
        detour=1.3,
        overrides=np.zeros((0, 3)) if overrides is None else overrides,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_near_returns_every_pair_within_each_origins_radius(seed: int) -> None:
    costs = random_costs(seed, overrides=np.array([[0.0, 4.0, 0.5], [1.0, 8.0, 900.0]]))
    supplier = np.arange(30)
    demand = np.arange(0, 200, 2)
    radius = np.random.default_rng(seed).random(30) * 150
    radius[0] = 1.0  # origin 0 reaches destination 4 by its override only
    all_supplier, all_demand = np.repeat(supplier, demand.size), np.tile(demand, supplier.size)
    minutes = costs.minutes(all_supplier, all_demand)
    within = minutes <= radius[all_supplier]
    found_supplier, found_demand = costs.near(supplier, radius, demand)
    found = set(zip(found_supplier.tolist(), found_demand.tolist(), strict=True))
    assert set(zip(all_supplier[within].tolist(), all_demand[within].tolist(), strict=True)) <= found
    assert (0, 4) in found  # the override's 0.5 minutes are within origin 0's radius; the geometry is not
    assert costs.minutes(np.array([0, 1]), np.array([4, 8])).tolist() == [0.5, 900.0]
    assert costs.max_minutes() >= minutes.max()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_near_with_labels_returns_every_pair_of_one_label_within_the_radius(seed: int) -> None:
    costs = random_costs(seed)
    rng = np.random.default_rng(seed)
    supplier, demand = np.arange(30), np.concatenate([np.arange(200), np.arange(0, 200, 3)])  # some listed twice
    supplier_label, demand_label = rng.integers(0, 4, 30), rng.integers(0, 4, demand.size)
    radius = rng.random(30) * 150
    found_supplier, found_demand = costs.near(supplier, radius, demand, supplier_label, demand_label)
    found = set(zip(found_supplier.tolist(), found_demand.tolist(), strict=True))
    every = np.repeat(supplier, demand.size), np.tile(np.arange(demand.size), supplier.size)
    same = supplier_label[every[0]] == demand_label[every[1]]
    within = costs.minutes(every[0], demand[every[1]]) <= radius[every[0]]
    assert set(zip(every[0][same & within].tolist(), demand[every[1]][same & within].tolist(), strict=True)) <= found
    labels = {(s, d) for s, d in zip(every[0][same].tolist(), demand[every[1]][same].tolist(), strict=True)}
    assert found <= labels  # only pairs of one label


def test_nearest_queries_take_the_closest_first() -> None:
    costs = random_costs(4)
    supplier, demand = costs.nearest(np.array([3, 9]), np.arange(30), 2)
    assert demand.tolist() == [3, 3, 9, 9]
    for destination in (3, 9):
        picked = supplier[demand == destination]
        others = np.setdiff1d(np.arange(30), picked)
        distance = costs.minutes(picked, np.full(2, destination)) * costs.origin_speed[picked]
        assert (
            distance.max()
            <= (costs.minutes(others, np.full(others.size, destination)) * costs.origin_speed[others]).min()
        )
    supplier, demand = costs.nearest_demands(np.array([2]), np.arange(200), 3)
    minutes = costs.minutes(np.full(200, 2), np.arange(200))
    assert supplier.tolist() == [2, 2, 2] and demand.tolist() == np.argsort(minutes, kind="stable")[:3].tolist()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lower_minutes_never_exceed_a_pairs_minutes_and_stay_close(seed: int) -> None:
    """Every pair of the block, locations listed twice included: at most its minutes (overrides above and below the
    road estimate at theirs), and close to them elsewhere: the chord falls short of the arc by ``theta**2 / 24`` of
    it (below 1e-4 within these 150 km), less a metre."""
    overrides = np.array([[0.0, 4.0, 0.5], [1.0, 8.0, 900.0], [2.0, 4.0, 3.0]])
    costs = random_costs(seed, overrides=overrides)
    supplier = np.array([2, 0, 5, 1, 0, 29])
    demand = np.concatenate([np.arange(0, 200, 2), np.array([4, 8, 4])])
    block = costs.lower_minutes(supplier, demand)
    exact = costs.minutes(np.repeat(supplier, demand.size), np.tile(demand, supplier.size)).reshape(block.shape)
    assert block.shape == (supplier.size, demand.size)
    assert (block <= exact).all()
    overridden = np.zeros(block.shape, dtype=bool)
    for origin, destination, _ in overrides:
        overridden |= (supplier[:, None] == origin) & (demand[None, :] == destination)
    assert np.array_equal(block[overridden], exact[overridden])  # 0.5, 900 and 3 minutes, in every row and column
    metre = 0.001 * 1.3 * 60.0 / costs.origin_speed[supplier][:, None]
    assert ((exact - block) <= metre + 1e-4 * exact)[~overridden].all()


def test_lower_minutes_of_one_spot_are_zero() -> None:
    spot = np.array([39.9]), np.array([116.4])
    costs = GeoArcCosts(*spot, np.array([30.0]), np.repeat(spot[0], 2), np.repeat(spot[1], 2), 1.3, np.zeros((0, 3)))
    assert costs.lower_minutes(np.array([0]), np.array([0, 1])).tolist() == [[0.0, 0.0]]
