"""Every entity located once, with its district and its name in the reader's language."""

from __future__ import annotations

from ui_fixtures import tiny_dataset, tiny_places

from planner.ui.places import PLACE_COLUMNS, district_centres, name_map, street_names


def test_every_entity_is_located_with_its_district() -> None:
    located = tiny_places("en")
    assert tuple(located.columns) == PLACE_COLUMNS
    dataset = tiny_dataset()
    expected = (
        len(dataset.care_homes)
        + len(dataset.clinics)
        + len(dataset.hospitals)
        + len(dataset.sites)
        + len(dataset.stations)
        + len(dataset.pools)
        + len(dataset.depots)
        + len(dataset.districts)
    )
    assert len(located) == expected
    assert located.loc["H003", "district_id"] == "D2", "through its street S3"
    assert located.loc["A2", "district_id"] == "D2"
    assert located.loc["H001", "kind"] == "care_home"
    assert located.loc["D1", "kind"] == "district"


def test_chinese_names_fall_back_to_english() -> None:
    chinese = tiny_places("zh")
    assert chinese.loc["H001", "name"] == "阳光养老院"
    assert chinese.loc["C1", "name"] == "Andingmen CHC", "no name_zh given"
    assert chinese.loc["H001", "district"] == "东城区"
    assert tiny_places("en").loc["H001", "district"] == "Dongcheng"
    assert name_map(chinese)["ST1"] == "Andingmen Hotel"
    assert street_names(tiny_dataset(), "zh")["S1"] == "安定门街道"


def test_district_centre_is_the_mean_of_its_streets() -> None:
    centres = district_centres(tiny_dataset()).set_index("district_id")
    assert centres.loc["D1", "lat"] == (39.945 + 39.935) / 2
    assert centres.loc["D2", "lon"] == 116.370
