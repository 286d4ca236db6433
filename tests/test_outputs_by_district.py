"""Long tables summarised by district on the workbook's sheets, their full rows in a zip beside it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from tiny_plan import tiny_dataset, tiny_plan

from planner.dataset.names import district_of
from planner.outputs import by_district
from planner.outputs.by_district import details_path_name, row_districts, summarised_by_district
from planner.outputs.csv_zip import read_csv_zip
from planner.outputs.files import write_plan
from planner.outputs.tables import plan_tables

PLACES = {"H1": "D1", "H2": "D2", "S1": "D1", "CH7": "D2"}


def test_a_row_takes_its_district_or_that_of_its_first_placed_id() -> None:
    frame = pd.DataFrame({"home_id": ["H1", "H9", "H2"], "street_id": ["S1", "S1", "S1"]})
    assert row_districts(frame, PLACES).tolist() == ["D1", "D1", "D2"]
    assert row_districts(frame.assign(district_id=["X", "Y", "Z"]), PLACES).tolist() == ["X", "Y", "Z"]
    scopes = pd.DataFrame({"scope_id": ["CH7:tcm", "H1", "nowhere"]})
    assert row_districts(scopes, PLACES).tolist() == ["D2", "D1", ""]


def test_the_summary_counts_rows_and_adds_the_additive_columns_per_district() -> None:
    frame = pd.DataFrame({"home_id": ["H1", "H2", "H1"], "persons": [3, 4, 5], "minutes": [10.0, 20.0, 30.0]})
    summary = summarised_by_district(frame, PLACES, ["persons"])
    assert summary.to_dict("records") == [
        {"district_id": "D1", "detail_rows": 2, "persons": 8},
        {"district_id": "D2", "detail_rows": 1, "persons": 4},
    ]
    assert details_path_name("plan.xlsx") == "plan.details.zip"


def test_every_entity_of_the_dataset_has_its_district() -> None:
    dataset = tiny_dataset()
    places = district_of(dataset)
    streets = dataset.streets.set_index("street_id")["district_id"]
    for home, street in zip(dataset.care_homes["home_id"], dataset.care_homes["street_id"], strict=True):
        assert places[str(home)] == str(streets[street])
    for pool, district in zip(dataset.pools["pool_id"], dataset.pools["district_id"], strict=True):
        assert places[str(pool)] == str(district)


def test_a_workbook_shows_long_tables_by_district_and_writes_them_whole_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(by_district, "SHEET_ROWS_MAX", 5)
    monkeypatch.setattr("planner.outputs.workbook.SHEET_ROWS_MAX", 5)
    plan = tiny_plan()
    tables = plan_tables(plan)
    long = sorted(name for name, frame in tables.items() if len(frame) > 5)
    assert "compliance" in long
    written = write_plan(plan, tmp_path / "plan.xlsx", "en", None, None, district_of(tiny_dataset()))
    assert sorted(path.name for path in written) == ["plan.details.zip", "plan.xlsx"]
    details = read_csv_zip(tmp_path / "plan.details.zip")
    assert sorted(details) == long
    pd.testing.assert_frame_equal(details["compliance"], tables["compliance"], check_dtype=False)
    book = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    sheet = book["Compliance"] if "Compliance" in book.sheetnames else book[book.sheetnames[1]]
    header = [cell.value for cell in sheet[1]]
    assert "Rows in the detail CSV" in header
    rows = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] not in ("Total",)]
    assert sum(row[header.index("Rows in the detail CSV")] for row in rows) == len(tables["compliance"])
    assert len(rows) <= len(tiny_dataset().districts) + 1
    with zipfile.ZipFile(tmp_path / "plan.details.zip") as archive:
        assert "plan.json" not in archive.namelist()


def test_without_long_tables_no_details_zip_is_written(tmp_path: Path) -> None:
    written = write_plan(tiny_plan(), tmp_path / "plan.xlsx", "en", None, None, district_of(tiny_dataset()))
    assert [path.name for path in written] == ["plan.xlsx"]
