"""Converting and checking the tables: every defect class gives the exact problem; warnings do not block."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from dataset_checks import ErrorsAfter, Frames, WriteTables, problems_of, set_cell

from planner.dataset.io import check_dataset, read_dataset
from planner.dataset.problems import MAX_PROBLEMS_PER_KIND, Problem
from planner.dataset.schema import TABLES


@pytest.fixture
def errors_after(tmp_path: Path, write_tables: WriteTables) -> ErrorsAfter:
    """Write (possibly broken) tables to a fresh folder and return the errors of reading it."""

    def errors(tables: Frames) -> list[Problem]:
        found, _ = problems_of(write_tables(tmp_path / "broken", tables))
        return found

    return errors


# --------------------------------------------------------------------------- one test per defect class


def test_missing_required_table(tiny_tables: Frames, errors_after: ErrorsAfter) -> None:
    del tiny_tables["pools"]
    assert errors_after(tiny_tables) == [Problem("pools.csv", None, None, "missing required table pools")]


def test_missing_required_column(tiny_tables: Frames, errors_after: ErrorsAfter) -> None:
    tiny_tables["care_homes"] = tiny_tables["care_homes"].drop(columns="staff")
    assert errors_after(tiny_tables) == [Problem("care_homes.csv", None, "staff", "missing required column 'staff'")]


def test_empty_required_table(tiny_tables: Frames, errors_after: ErrorsAfter) -> None:
    tiny_tables["clinics"] = tiny_tables["clinics"].iloc[0:0]
    assert errors_after(tiny_tables) == [
        Problem("clinics.csv", None, None, "no rows: the table clinics must have at least one row")
    ]


def test_duplicate_id_names_the_first_row(tiny_tables: Frames, errors_after: ErrorsAfter) -> None:
    set_cell(tiny_tables, "care_homes", 2, "home_id", "H001")
    assert errors_after(tiny_tables) == [
        Problem("care_homes.csv", 4, "home_id", "duplicate home_id 'H001' (also row 2)")
    ]


@pytest.mark.parametrize(
    ("table", "column", "value", "target"),
    [
        ("streets", "district_id", "D9", "districts.csv"),
        ("care_homes", "street_id", "S999", "streets.csv"),
        ("clinics", "street_id", "S999", "streets.csv"),
        ("hospitals", "street_id", "S999", "streets.csv"),
        ("sites", "street_id", "S999", "streets.csv"),
        ("stations", "district_id", "D9", "districts.csv"),
        ("pools", "district_id", "D9", "districts.csv"),
        ("depots", "district_id", "D9", "districts.csv"),
        ("care_homes", "designated_hospital_id", "HP9", "hospitals.csv"),
    ],
)
def test_unknown_foreign_key(
    tiny_tables: Frames,
    table: str,
    column: str,
    value: str,
    target: str,
    errors_after: ErrorsAfter,
) -> None:
    set_cell(tiny_tables, table, 0, column, value)
    assert errors_after(tiny_tables) == [
        Problem(f"{table}.csv", 2, column, f"unknown {column} '{value}' (not in {target})")
    ]


def test_designated_hospital_that_is_not_designated(tiny_tables: Frames, errors_after: ErrorsAfter) -> None:
    set_cell(tiny_tables, "care_homes", 1, "designated_hospital_id", "HP2")
    assert errors_after(tiny_tables) == [
        Problem(
            "care_homes.csv",
            3,
            "designated_hospital_id",
            "designated_hospital_id 'HP2' is in hospitals.csv but not designated (designated = false)",
        )
    ]


@pytest.mark.parametrize(
    ("table", "column", "value", "message"),
    [
        ("care_homes", "residents", "-3", "expected a whole number >= 0, got '-3'"),
        ("care_homes", "staff", "12.5", "expected a whole number >= 0, got '12.5'"),
        ("hospitals", "beds", "many", "expected a whole number >= 0, got 'many'"),
        ("hospitals", "daily_use_antiviral", "lots", "expected a number >= 0, got 'lots'"),
        ("districts", "speed_kmh", "-30", "expected a number >= 0, got '-30'"),
        ("streets", "lat", "123.4", "latitude must be in [-90, 90], got 123.4"),
        ("streets", "lon", "-190", "longitude must be in [-180, 180], got -190"),
        ("sites", "lat", "north", "latitude must be a number, got 'north'"),
        ("hospitals", "level", "1", "hospital level must be 2 or 3, got '1'"),
        ("sites", "status", "shut", "status must be open, candidate or closed, got 'shut'"),
        ("sites", "barrier_free", "maybe", "expected true or false (also 1/0, yes/no, 是/否), got 'maybe'"),
        ("stations", "ambulances", "", "missing value"),
        ("care_homes", "home_id", "", "missing value"),
        ("stations", "max_ambulances", "1,5", "expected a whole number >= 0, got '1,5'"),
        ("travel_minutes", "minutes", "inf", "expected a number >= 0, got 'inf'"),
    ],
)
def test_bad_value(
    tiny_tables: Frames,
    table: str,
    column: str,
    value: str,
    message: str,
    errors_after: ErrorsAfter,
) -> None:
    if table == "travel_minutes":
        tiny_tables[table] = pd.DataFrame({"from_id": ["H001"], "to_id": ["HP1"], "minutes": ["12"]})
    set_cell(tiny_tables, table, 0, column, value)
    assert errors_after(tiny_tables) == [Problem(f"{table}.csv", 2, column, message)]


def test_disabled_more_than_residents(tiny_tables: Frames, errors_after: ErrorsAfter) -> None:
    set_cell(tiny_tables, "care_homes", 0, "disabled", "45")
    assert errors_after(tiny_tables) == [Problem("care_homes.csv", 2, "disabled", "disabled (45) > residents (40)")]


def test_all_problems_are_collected_before_giving_up(tiny_tables: Frames, errors_after: ErrorsAfter) -> None:
    del tiny_tables["depots"]
    set_cell(tiny_tables, "streets", 2, "lat", "91")
    set_cell(tiny_tables, "care_homes", 1, "street_id", "S7")
    set_cell(tiny_tables, "care_homes", 2, "disabled", "61")
    set_cell(tiny_tables, "sites", 1, "rooms", "-1")
    assert errors_after(tiny_tables) == [
        Problem("streets.csv", 4, "lat", "latitude must be in [-90, 90], got 91"),
        Problem("sites.csv", 3, "rooms", "expected a whole number >= 0, got '-1'"),
        Problem("depots.csv", None, None, "missing required table depots"),
        Problem("care_homes.csv", 4, "disabled", "disabled (61) > residents (60)"),
        Problem("care_homes.csv", 3, "street_id", "unknown street_id 'S7' (not in streets.csv)"),
    ]


def test_problems_per_kind_are_capped_with_a_summary(tiny_tables: Frames, errors_after: ErrorsAfter) -> None:
    n_homes = MAX_PROBLEMS_PER_KIND + 1_234
    homes = pd.concat([tiny_tables["care_homes"].iloc[[0]]] * n_homes, ignore_index=True)
    homes["home_id"] = [f"H{i:05d}" for i in range(n_homes)]
    homes["staff"] = "-1"
    tiny_tables["care_homes"] = homes
    errors = errors_after(tiny_tables)
    assert len(errors) == MAX_PROBLEMS_PER_KIND + 1
    assert errors[0] == Problem("care_homes.csv", 2, "staff", "expected a whole number >= 0, got '-1'")
    assert errors[-1] == Problem("care_homes.csv", None, "staff", "... and 1,234 more rows like this")


# --------------------------------------------------------------------------- conversion by kind


def test_leading_zeros_whitespace_booleans_and_thousands(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    set_cell(tiny_tables, "districts", 0, "district_id", "007")
    tiny_tables["streets"]["district_id"] = ["007", "007", "D2"]
    tiny_tables["stations"]["district_id"] = ["007", "D2"]
    tiny_tables["pools"]["district_id"] = [" 007 ", "D2"]
    tiny_tables["depots"]["district_id"] = ["007"]
    tiny_tables["care_homes"]["partition"] = ["是", " YES ", "0"]
    tiny_tables["districts"]["population"] = ["709,000", "1,106,000"]
    tiny_tables["care_homes"]["staff"] = ["12.0", "30", "+20"]
    dataset = read_dataset(write_tables(tmp_path / "zeros", tiny_tables))
    assert dataset.districts["district_id"].tolist() == ["007", "D2"]
    assert dataset.pools["district_id"].tolist() == ["007", "D2"]
    assert dataset.care_homes["partition"].tolist() == [True, True, False]
    assert dataset.districts["population"].tolist() == [709000, 1106000]
    assert dataset.care_homes["staff"].tolist() == [12, 30, 20]


# --------------------------------------------------------------------------- warnings: odd but legal


def test_warnings_do_not_block_the_dataset(tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables) -> None:
    tiny_tables["care_homes"]["colour"] = ["red", "", ""]
    set_cell(tiny_tables, "care_homes", 2, "residents", "0")
    set_cell(tiny_tables, "care_homes", 2, "disabled", "0")
    set_cell(tiny_tables, "care_homes", 0, "designated_hospital_id", "")
    set_cell(tiny_tables, "hospitals", 0, "designated", "false")
    set_cell(tiny_tables, "stations", 0, "max_ambulances", "2")
    set_cell(tiny_tables, "clinics", 1, "name", "")
    tiny_tables["travel_minutes"] = pd.DataFrame(
        {"from_id": ["H001", "X1"], "to_id": ["HP1", "HP2"], "minutes": ["12.5", "7"]}
    )
    folder = write_tables(tmp_path / "odd", tiny_tables)
    (folder / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")

    dataset, problems = check_dataset(folder)

    assert dataset is not None
    tables = ", ".join(TABLES)
    assert problems == [
        Problem("notes.csv", None, None, f"unknown table file (ignored; tables are {tables})", "warning"),
        Problem("care_homes.csv", None, "colour", "unknown column 'colour' (ignored)", "warning"),
        Problem("clinics.csv", 3, "name", "empty name", "warning"),
        Problem("care_homes.csv", 4, "residents", "care home with 0 residents", "warning"),
        Problem("stations.csv", 2, "ambulances", "ambulances (3) > max_ambulances (2)", "warning"),
        Problem(
            "hospitals.csv",
            None,
            "designated",
            "no hospital is designated: transfers will have no designated hospital to go to",
            "warning",
        ),
        Problem(
            "travel_minutes.csv",
            3,
            "from_id",
            "unknown from_id 'X1' (not an id of any table; the row is unused)",
            "warning",
        ),
    ]
    assert dataset.travel_minutes["minutes"].tolist() == [12.5, 7.0]
    assert "colour" not in dataset.care_homes.columns
