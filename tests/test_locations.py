"""Where every entity is and the minutes between them."""

from __future__ import annotations

import pandas as pd
from tiny_plan import tiny_dataset

from planner.dataset import travel
from planner.rules.rules import load_rules
from planner.stages.locations import LOCATED_TABLES, Locations, located_entities


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


def test_arcs_keep_the_k_nearest() -> None:
    locations = Locations.of(tiny_dataset(), load_rules())
    arcs = locations.arcs(pd.Series(["H001", "H003"]), pd.Series(["W1", "P1", "P2"]), k=1)
    assert arcs.groupby("from_id").size().tolist() == [1, 1]
