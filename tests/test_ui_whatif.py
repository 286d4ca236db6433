"""What-if edits: from the editor's row positions to ids, validation, merging, applying to a dataset."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import pandas as pd
import pytest
from conftest import tiny_frames
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.dataset.io import dataset_from_frames
from planner.dataset.schema import Dataset
from planner.ui.whatif import (
    EDITABLE,
    EditError,
    apply_edits,
    clean_edits,
    clean_value,
    count_edits,
    drop_unchanged,
    editor_edits,
    editor_frame,
    merge_edits,
    totals_over_limits,
    unknown_ids,
)


@cache
def tiny_dataset() -> Dataset:
    """The tiny dataset of ``conftest``, validated once."""
    return dataset_from_frames(tiny_frames(), "tiny")


@pytest.fixture
def tiny() -> Dataset:
    return tiny_dataset()


def test_editable_columns_are_those_of_the_issue() -> None:
    assert EDITABLE["sites"] == ("rooms", "status")
    assert EDITABLE["stations"] == ("ambulances",)
    assert EDITABLE["pools"] == ("nurses",)
    assert all(c.startswith("stock_") for c in EDITABLE["depots"])


def test_clean_value_accepts_whole_numbers_and_statuses() -> None:
    assert clean_value("sites", "rooms", 12.0) == 12
    assert clean_value("sites", "rooms", "7") == 7
    assert clean_value("sites", "status", " Closed ") == "closed"
    for bad in (-1, 2.5, "many"):
        with pytest.raises(ValueError, match="whole number"):
            clean_value("sites", "rooms", bad)
    with pytest.raises(ValueError, match="open, candidate, closed"):
        clean_value("sites", "status", "shut")
    with pytest.raises(ValueError, match="cannot be edited"):
        clean_value("sites", "lat", 1)


@pytest.mark.parametrize(
    ("table", "column", "raw", "message"),
    [  # each crashed the app (OverflowError, a pandas cast) or was planned: infinity, 1e308, 2**63, true
        ("sites", "rooms", float("inf"), "sites.rooms: expected a whole number >= 0, got inf"),
        ("sites", "rooms", "nan", "sites.rooms: expected a whole number >= 0, got 'nan'"),
        ("pools", "nurses", 1e308, "pools.nurses: 1e+308 is above the limit"),
        ("sites", "rooms", 2**63, "sites.rooms: 9.22337e+18 is above the limit 100,000"),
        ("depots", "stock_cough", 10**12, "depots.stock_cough: 1,000,000,000,000 is above the limit 100,000,000"),
        ("stations", "ambulances", True, "stations.ambulances: expected a whole number >= 0, got True"),
    ],
)
def test_values_the_dataset_would_refuse_are_refused(table: str, column: str, raw: object, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        clean_value(table, column, raw)
    assert str(caught.value).startswith(message)


def test_edits_that_are_not_a_mapping_are_one_problem() -> None:
    with pytest.raises(EditError) as caught:
        clean_edits([1, 2])
    assert caught.value.problems == ["expected a mapping of table -> id -> {column: value}, got list"]


def test_a_class_stock_over_every_depot_beyond_its_limit_is_named(tiny: Dataset) -> None:
    depots = {str(d): {"stock_cough": 100_000_000} for d in tiny.depots["depot_id"]}
    assert totals_over_limits(tiny, {"depots": depots}) == {}, "the tiny dataset's depots stay within 1e10"
    many = pd.concat([tiny.depots] * 150, ignore_index=True)  # 150 x 1e8 packs: over the 1e10 of a class
    many["depot_id"] = [f"DP{i:04d}" for i in range(len(many))]
    crowded = replace(tiny, depots=many)
    over = totals_over_limits(crowded, {"depots": {d: {"stock_cough": 100_000_000} for d in many["depot_id"]}})
    assert list(over) == ["depots"] and "depots.stock_cough: the total" in over["depots"]


def test_edits_of_places_the_dataset_lacks_are_named(tiny: Dataset) -> None:
    # a loaded scenario's edit of a site this dataset does not hold was dropped without a word
    edits = {"sites": {"ST1": {"rooms": 2}, "NOPE": {"rooms": 1}}, "pools": {"P9": {"nurses": 3}}}
    assert unknown_ids(tiny, edits) == ["sites NOPE", "pools P9"]
    assert unknown_ids(tiny, {"sites": {"ST1": {"rooms": 2}}}) == []


def test_editor_states_no_browser_sends_are_skipped(tiny: Dataset) -> None:
    # a row key that is no number and a row that is not a mapping crashed the app (int("x"), dict([3]))
    state = {"edited_rows": {"x": {"rooms": 1}, 0: [3], "1": {"rooms": 4}}}
    assert editor_edits("sites", tiny.sites, state) == {"sites": {str(tiny.sites["site_id"].iloc[1]): {"rooms": 4}}}


def test_clean_edits_lists_every_problem() -> None:
    with pytest.raises(EditError) as caught:
        clean_edits({"sites": {"ST1": {"rooms": -3, "status": "gone"}}, "hospitals": {"HP1": {"beds": 1}}})
    assert len(caught.value.problems) == 3


def test_editor_edits_maps_row_positions_to_ids(tiny: Dataset) -> None:
    state = {"edited_rows": {1: {"rooms": 0.0, "name": "ignored"}, "0": {"status": "closed"}}, "added_rows": []}
    assert editor_edits("sites", tiny.sites, state) == {"sites": {"ST2": {"rooms": 0}, "ST1": {"status": "closed"}}}
    assert editor_edits("sites", tiny.sites, None) == {}
    assert editor_edits("sites", tiny.sites, {"edited_rows": {9: {"rooms": 1}}}) == {}


def test_apply_edits_changes_only_the_edited_cells_and_rehashes(tiny: Dataset) -> None:
    edited = apply_edits(tiny, {"sites": {"ST2": {"rooms": 0, "status": "closed"}}, "pools": {"P1": {"nurses": 40}}})
    assert edited.sites.set_index("site_id").loc["ST2", ["rooms", "status"]].tolist() == [0, "closed"]
    assert edited.sites.set_index("site_id").loc["ST1", "rooms"] == 30
    assert edited.pools.set_index("pool_id").loc["P1", "nurses"] == 40
    assert edited.sites.dtypes.equals(tiny.sites.dtypes)
    assert edited.sha256 != tiny.sha256
    assert edited.sha256 == edited.content_hash()
    assert tiny.sites.set_index("site_id").loc["ST2", "rooms"] == 20, "the original is untouched"


def test_apply_no_edit_returns_the_same_dataset(tiny: Dataset) -> None:
    assert apply_edits(tiny, {}) is tiny
    assert apply_edits(tiny, {"sites": {}}) is tiny


def test_unknown_ids_are_ignored(tiny: Dataset) -> None:
    edited = apply_edits(tiny, {"sites": {"NOPE": {"rooms": 1}}})
    assert edited.sites.equals(tiny.sites)


def test_merge_and_drop_unchanged(tiny: Dataset) -> None:
    stored = {"sites": {"ST1": {"rooms": 5}}}
    editor = {"sites": {"ST1": {"rooms": 30}, "ST2": {"status": "closed"}}}
    merged = merge_edits(stored, editor)
    assert merged == {"sites": {"ST1": {"rooms": 30}, "ST2": {"status": "closed"}}}
    assert drop_unchanged(tiny, merged) == {"sites": {"ST2": {"status": "closed"}}}, "30 rooms is the original"
    assert count_edits(merged) == 2


def test_editor_frame_keeps_row_order_and_joins_results(tiny: Dataset) -> None:
    located = pd.DataFrame({"name": ["Hotel", "School"], "district": ["东城区", "西城区"]}, index=["ST1", "ST2"])
    results = pd.DataFrame({"site_id": ["ST2", "ST1"], "persons": [0, 6], "rooms": [99, 99]})
    frame = editor_frame("sites", tiny, results, located)
    assert frame.columns.tolist() == ["site_id", "name", "district", "rooms", "status", "persons"]
    assert frame["site_id"].tolist() == ["ST1", "ST2"]
    assert frame["rooms"].tolist() == [30, 20], "the dataset's rooms, not the result's"
    assert frame["persons"].tolist() == [6, 0]
    assert frame["name"].tolist() == ["Hotel", "School"]


@settings(max_examples=30, deadline=None)
@given(rooms=st.lists(st.integers(0, 500), min_size=2, max_size=2))
def test_editing_back_to_the_original_is_no_edit(rooms: list[int]) -> None:
    tiny = tiny_dataset()
    edits = {"sites": {"ST1": {"rooms": rooms[0]}, "ST2": {"rooms": rooms[1]}}}
    edited = apply_edits(tiny, edits)
    back = {"sites": {"ST1": {"rooms": 30}, "ST2": {"rooms": 20}}}
    assert drop_unchanged(tiny, merge_edits(edits, back)) == {}
    assert apply_edits(edited, back).content_hash() == tiny.content_hash()
