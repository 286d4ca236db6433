"""The map: no basemap, district labels, uncovered homes in red, arcs summed per pair, tooltips with names."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from plan_fixture import make_plan_fixture
from ui_fixtures import tiny_places, tiny_plan

from planner.ui import maps


def _places() -> pd.DataFrame:
    rows = [
        ("007", "care_home", "D1", "东城区", "阳光养老院", 39.94, 116.40),
        ("H002", "care_home", "D1", "东城区", "和谐养老院", 39.945, 116.41),
        ("H003", "care_home", "D1", "东城区", "松柏养老院", 39.95, 116.42),
        ("ST1", "site", "D1", "东城区", "安定门观察点", 39.93, 116.39),
        ("A1", "station", "D1", "东城区", "东城120", 39.92, 116.41),
        ("A2", "station", "D1", "东城区", "北城120", 39.96, 116.41),
        ("D1", "district", "D1", "东城区", "东城区", 39.94, 116.40),
    ]
    frame = pd.DataFrame(rows, columns=["id", "kind", "district_id", "district", "name", "lat", "lon"])
    return frame.set_index("id", drop=False)


def _deck_json(layers: tuple[str, ...], language: str = "zh") -> dict:
    return json.loads(maps.plan_deck(make_plan_fixture(), _places(), layers, language).to_json())


def test_no_basemap_and_district_labels() -> None:
    deck = _deck_json(maps.DEFAULT_LAYERS)
    # pydeck's "no style given" sentinel, which Streamlit drops without falling back to a remote basemap
    assert deck["mapStyle"] == "__MAP_STYLE__" and "mapProvider" not in deck
    labels = next(layer for layer in deck["layers"] if layer["id"] == "district_labels")
    assert labels["@@type"] == "TextLayer"
    assert labels["data"][0]["name"] == "东城区"
    assert labels["characterSet"] == "auto" and labels["fontFamily"].startswith("'WenQuanYi")


def test_only_the_chosen_layers_are_drawn() -> None:
    deck = _deck_json(("homes", "handshake_arcs"))
    assert [layer["id"] for layer in deck["layers"]] == ["handshake_arcs", "homes", "district_labels"]


def test_uncovered_homes_are_red_and_bigger() -> None:
    homes = maps.point_frame(make_plan_fixture(), _places(), "homes", "en").set_index("id")
    assert homes.loc["H003", "colour"] == maps.COLOURS["uncovered"]
    assert homes.loc["007", "colour"] == maps.COLOURS["care_home"]
    assert homes.loc["H003", "radius"] > homes.loc["007", "radius"]
    assert "not covered" in homes.loc["H003", "info"]


def test_arcs_are_summed_per_pair_with_named_tooltips() -> None:
    arcs = maps.arc_frame(make_plan_fixture(), _places(), "observation_arcs", "zh")
    # 007 sends 2 + 3 persons to ST1, H002 sends 1
    assert sorted(zip(arcs["name"], arcs["info"], strict=True)) == [
        ("和谐养老院 → 安定门观察点", "1 人"),
        ("阳光养老院 → 安定门观察点", "5 人"),
    ]
    hand = maps.arc_frame(make_plan_fixture(), _places(), "handshake_arcs", "en")
    assert sorted(hand["name"]) == ["东城120 → 和谐养老院", "东城120 → 阳光养老院", "北城120 → 松柏养老院"]


def test_stations_say_before_and_after() -> None:
    stations = maps.point_frame(make_plan_fixture(), _places(), "stations", "en").set_index("id")
    assert stations.loc["A1", "info"].endswith("Ambulances 2 → 3")


def test_unknown_layer_is_refused() -> None:
    with pytest.raises(KeyError, match="unknown arc layer"):
        maps.arc_frame(make_plan_fixture(), _places(), "teleport_arcs", "en")


def test_every_layer_of_a_real_plan_draws() -> None:
    deck = json.loads(maps.plan_deck(tiny_plan("severe"), tiny_places("zh"), maps.LAYERS, "zh").to_json())
    sizes = {layer["id"]: len(layer["data"]) for layer in deck["layers"]}
    assert sizes["homes"] == 3 and sizes["sites"] == 2 and sizes["district_labels"] == 2
    assert sizes["observation_arcs"] > 0 and sizes["nursing_arcs"] > 0 and sizes["drug_arcs"] > 0
    assert 39.0 < deck["initialViewState"]["latitude"] < 41.0
