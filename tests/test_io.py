"""Reading and validating datasets: every defect class gives the exact problem; every format reads the same."""

from __future__ import annotations

import csv
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.dataset.io import (
    MAX_PROBLEMS_PER_KIND,
    DatasetError,
    Problem,
    check_dataset,
    check_upload,
    dataset_from_frames,
    read_dataset,
    write_dataset,
)
from planner.dataset.schema import DRUGS, TABLES, Dataset

Frames = dict[str, pd.DataFrame]
WriteTables = Callable[..., Path]
ErrorsAfter = Callable[[Frames], list[Problem]]


def problems_of(folder: Path) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) of the dataset in ``folder``."""
    _, problems = check_dataset(folder)
    return [p for p in problems if p.is_error], [p for p in problems if not p.is_error]


@pytest.fixture
def errors_after(tmp_path: Path, write_tables: WriteTables) -> ErrorsAfter:
    """Write (possibly broken) tables to a fresh folder and return the errors of reading it."""

    def errors(tables: Frames) -> list[Problem]:
        found, _ = problems_of(write_tables(tmp_path / "broken", tables))
        return found

    return errors


def set_cell(tables: Frames, table: str, data_row: int, column: str, value: str) -> None:
    """Set a cell; ``data_row`` 0 is spreadsheet row 2."""
    tables[table].loc[data_row, column] = value


def assert_same_tables(left: Dataset, right: Dataset) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(left.table(name), right.table(name), check_exact=True)
    assert left.sha256 == right.sha256 == left.content_hash()


# --------------------------------------------------------------------------- the valid tiny dataset


def test_tiny_dataset_reads_into_typed_frames_in_spec_order(tiny_dataset_dir: Path) -> None:
    dataset, problems = check_dataset(tiny_dataset_dir)

    assert problems == []
    assert dataset is not None
    assert dataset.name == "tiny"
    assert dataset.sha256 == dataset.content_hash() and len(dataset.sha256) == 64
    for name, spec in TABLES.items():
        assert list(dataset.table(name).columns) == [c.name for c in spec.all_columns()]
    homes = dataset.care_homes
    assert homes["home_id"].tolist() == ["H001", "H002", "H003"]
    assert homes["residents"].dtype == np.int64 and homes["residents"].tolist() == [40, 100, 60]
    assert homes["partition"].dtype == bool and homes["partition"].tolist() == [False, True, False]  # 否, 是, false
    assert homes["lat"].dtype == np.float64
    assert homes["designated_hospital_id"].tolist() == ["HP1", "", ""]
    assert homes["new_admissions"].tolist() == [0, 0, 0]  # absent optional column -> default
    assert homes["on_hand_antipyretic"].tolist() == [5, 0, 12]
    assert homes["name_zh"].tolist() == ["阳光养老院", "和谐养老院", "松柏养老院"]
    assert dataset.districts["speed_kmh"].tolist() == [30.0, 30.0]
    assert dataset.hospitals["level"].dtype == np.int64
    assert dataset.hospitals["daily_use_antiviral"].tolist() == [2.5, 0.0]  # empty optional cell -> default
    assert dataset.sites["status"].tolist() == ["open", "candidate"]
    assert dataset.stations["max_ambulances"].dtype == "Int64"
    assert dataset.stations["max_ambulances"].isna().tolist() == [False, True]
    assert dataset.travel_minutes.empty and list(dataset.travel_minutes.columns) == ["from_id", "to_id", "minutes"]


def test_read_dataset_returns_the_dataset_and_raises_on_errors(tiny_dataset_dir: Path, tmp_path: Path) -> None:
    assert read_dataset(tiny_dataset_dir).care_homes.shape[0] == 3
    with pytest.raises(DatasetError) as raised:
        read_dataset(tmp_path / "nowhere")
    assert raised.value.problems == [Problem("nowhere", None, None, f"no such file or folder: {tmp_path / 'nowhere'}")]


def test_same_content_same_hash_and_any_change_changes_it(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    first = read_dataset(write_tables(tmp_path / "a", tiny_tables))
    second = read_dataset(write_tables(tmp_path / "b", tiny_tables))
    set_cell(tiny_tables, "pools", 1, "nurses", "9")
    changed = read_dataset(write_tables(tmp_path / "c", tiny_tables))
    assert first.sha256 == second.sha256 != changed.sha256


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


def test_unreadable_encoding_names_the_file(tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables) -> None:
    folder = write_tables(tmp_path / "utf16", tiny_tables)
    (folder / "care_homes.csv").write_bytes(tiny_tables["care_homes"].to_csv(index=False).encode("utf-16"))
    errors, _ = problems_of(folder)
    assert errors == [
        Problem(
            "care_homes.csv",
            None,
            None,
            "unreadable text: neither UTF-8 nor GB18030 (byte 0xff on line 1); save the file as 'CSV UTF-8'",
        )
    ]


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


def test_rows_are_numbered_as_a_spreadsheet_shows_them_blank_rows_included(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    folder = write_tables(tmp_path / "blank", tiny_tables)
    lines = (folder / "pools.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",8", ",-8")
    (folder / "pools.csv").write_text("\n".join([lines[0], lines[1], ",,,,,", lines[2]]) + "\n", encoding="utf-8")
    errors, _ = problems_of(folder)
    assert errors == [Problem("pools.csv", 4, "nurses", "expected a whole number >= 0, got '-8'")]


def test_repeated_column_is_an_error(tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables) -> None:
    folder = write_tables(tmp_path / "repeat", tiny_tables)
    text = (folder / "pools.csv").read_text(encoding="utf-8").splitlines()
    text = [text[0] + ",nurses"] + [line + ",1" for line in text[1:]]
    (folder / "pools.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    errors, _ = problems_of(folder)
    assert errors == [Problem("pools.csv", None, "nurses", "column 'nurses' appears twice (columns 6 and 7)")]


def test_row_with_too_many_cells_is_located(tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables) -> None:
    folder = write_tables(tmp_path / "cells", tiny_tables)
    text = (folder / "depots.csv").read_text(encoding="utf-8").replace("Dongcheng depot", "Dongcheng, depot")
    (folder / "depots.csv").write_text(text, encoding="utf-8")
    errors, _ = problems_of(folder)
    assert errors == [
        Problem(
            "depots.csv",
            2,
            None,
            "expected 7 cells as in the header, found 8 (a comma inside an unquoted value?)",
        )
    ]


def test_empty_file_is_an_error_on_that_file_only(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    folder = write_tables(tmp_path / "empty", tiny_tables)
    (folder / "depots.csv").write_bytes(b"")
    errors, _ = problems_of(folder)
    assert errors == [Problem("depots.csv", None, None, "the file is empty (expected a header row and data rows)")]


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


# --------------------------------------------------------------------------- formats and encodings


def test_gb18030_bom_and_utf8_copies_read_the_same(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    utf8 = read_dataset(write_tables(tmp_path / "utf8", tiny_tables))
    gb = read_dataset(write_tables(tmp_path / "gb", tiny_tables, encoding="gb18030"))
    bom = read_dataset(write_tables(tmp_path / "bom", tiny_tables, encoding="utf-8-sig"))
    assert (tmp_path / "gb" / "districts.csv").read_bytes() != (tmp_path / "utf8" / "districts.csv").read_bytes()
    assert (tmp_path / "bom" / "districts.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert gb.districts["name_zh"].tolist() == ["东城区", "西城区"]
    assert_same_tables(utf8, gb)
    assert_same_tables(utf8, bom)


def test_gb18030_chinese_that_is_also_valid_utf8_is_not_garbled(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    tiny_tables["hospitals"]["name_zh"] = ["医院", "一医院"]  # GB18030 d2bd d4ba: valid UTF-8 (Cyrillic, Armenian)
    folder = write_tables(tmp_path / "gb", tiny_tables, encoding="gb18030")
    (folder / "hospitals.csv").read_bytes().decode("utf-8")  # the trap: it decodes as UTF-8
    assert read_dataset(folder).hospitals["name_zh"].tolist() == ["医院", "一医院"]
    tiny_tables["hospitals"]["name"] = ["Café", "Müller"]  # accented Latin in UTF-8 stays UTF-8
    tiny_tables["hospitals"]["name_zh"] = ["", ""]
    assert read_dataset(write_tables(tmp_path / "utf8", tiny_tables)).hospitals["name"].tolist() == ["Café", "Müller"]


def test_write_dataset_in_gb18030_reads_back_the_same(tiny_dataset_dir: Path, tmp_path: Path) -> None:
    dataset = read_dataset(tiny_dataset_dir)
    write_dataset(dataset, tmp_path / "gb", encoding="gb18030")
    assert "东城区".encode("gb18030") in (tmp_path / "gb" / "districts.csv").read_bytes()
    assert_same_tables(dataset, read_dataset(tmp_path / "gb"))


def test_xlsx_with_text_cells_reads_like_the_csv_folder(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    book = tmp_path / "tiny.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        for name, frame in tiny_tables.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    from_book = read_dataset(book)
    assert from_book.name == "tiny"
    assert_same_tables(read_dataset(write_tables(tmp_path / "csv", tiny_tables)), from_book)


def test_xlsx_with_typed_cells_reads_like_the_dataset_it_was_written_from(
    tiny_dataset_dir: Path, tmp_path: Path
) -> None:
    dataset = read_dataset(tiny_dataset_dir)
    book = tmp_path / "typed.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        for name, frame in dataset.tables().items():
            frame.to_excel(writer, sheet_name=name, index=False)
    assert_same_tables(dataset, read_dataset(book))


def test_xlsx_problems_name_the_sheet(tiny_tables: Frames, tmp_path: Path) -> None:
    set_cell(tiny_tables, "care_homes", 1, "disabled", "101")
    del tiny_tables["depots"]
    book = tmp_path / "district.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        for name, frame in tiny_tables.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    errors, _ = problems_of(book)
    assert errors == [
        Problem("district.xlsx:depots", None, None, "missing required table depots"),
        Problem("district.xlsx:care_homes", 3, "disabled", "disabled (101) > residents (100)"),
    ]


def test_zip_of_csv_files_in_a_subfolder_reads_like_the_folder(tiny_dataset_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(tiny_dataset_dir.iterdir()):
            bundle.write(path, f"tiny/{path.name}")
        bundle.writestr("__MACOSX/tiny/._care_homes.csv", b"\x00\x05junk")
    from_zip = read_dataset(archive)
    assert from_zip.name == "upload"
    assert_same_tables(read_dataset(tiny_dataset_dir), from_zip)
    dataset, problems = check_upload(archive.read_bytes(), "upload.zip")
    assert problems == [] and dataset is not None
    assert_same_tables(from_zip, dataset)


def test_upload_of_another_kind_of_file_is_a_problem() -> None:
    dataset, problems = check_upload(b"hello", "notes.txt")
    assert dataset is None
    assert problems == [
        Problem("notes.txt", None, None, "not a dataset: upload a .zip of CSV files or an .xlsx workbook")
    ]


def test_damaged_zip_is_one_problem(tmp_path: Path) -> None:
    archive = tmp_path / "bad.zip"
    archive.write_bytes(b"PK not really a zip")
    _, problems = check_dataset(archive)
    assert problems == [Problem("bad.zip", None, None, "cannot open the zip archive: File is not a zip file")]


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


def test_column_names_are_trimmed_and_case_insensitive(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    tiny_tables["pools"] = tiny_tables["pools"].rename(columns={"nurses": " Nurses ", "pool_id": "POOL_ID"})
    assert read_dataset(write_tables(tmp_path / "case", tiny_tables)).pools["nurses"].tolist() == [15, 8]


def test_semicolon_separated_file_reads(tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables) -> None:
    folder = write_tables(tmp_path / "semi", tiny_tables)
    tiny_tables["pools"].to_csv(folder / "pools.csv", sep=";", index=False)
    assert read_dataset(folder).pools["nurses"].tolist() == [15, 8]


# --------------------------------------------------------------------------- frames in memory


def test_dataset_from_frames_validates_like_files(tiny_tables: Frames, tiny_dataset_dir: Path) -> None:
    assert_same_tables(read_dataset(tiny_dataset_dir), dataset_from_frames(tiny_tables, name="tiny"))
    set_cell(tiny_tables, "care_homes", 1, "street_id", "S999")
    with pytest.raises(DatasetError) as raised:
        dataset_from_frames(tiny_tables)
    assert raised.value.problems == [Problem("care_homes", 3, "street_id", "unknown street_id 'S999' (not in streets)")]


def test_dataset_from_typed_frames_is_the_same_dataset(tiny_dataset_dir: Path) -> None:
    dataset = read_dataset(tiny_dataset_dir)
    assert_same_tables(dataset, dataset_from_frames(dataset.tables(), name="copy"))


# --------------------------------------------------------------------------- property: write -> read round trip

_ID = st.text(alphabet="0123456789ABCZ-_是", min_size=1, max_size=6)
_TEXT = st.text(alphabet="abcXYZ019 ,;\"'=+@é东城区养老医院一", max_size=12).map(str.strip)
_COUNT = st.integers(0, 10**12)
_LAT = st.floats(-90, 90, allow_nan=False)
_LON = st.floats(-180, 180, allow_nan=False)
_NUMBER = st.floats(0, 1e9, allow_nan=False)


def _n(strategy: st.SearchStrategy[object], n: int) -> st.SearchStrategy[list[object]]:
    return st.lists(strategy, min_size=n, max_size=n)


@st.composite
def _rows(draw: st.DrawFn, table: str, n: int, refs: dict[str, list[str]], ids: list[str]) -> pd.DataFrame:
    """``n`` valid rows of ``table`` with the given ids, referring only to ``refs``."""
    spec = TABLES[table]
    columns: dict[str, list[object]] = {}
    for col in spec.all_columns():
        if col.name == spec.id_column:
            columns[col.name] = list(ids)
        elif col.name == "designated_hospital_id":
            columns[col.name] = draw(_n(st.sampled_from(["", *refs["designated"]]), n))
        elif col.kind == "id":
            target = next(fk.table for fk in spec.foreign_keys if fk.column == col.name)
            columns[col.name] = draw(_n(st.sampled_from(refs[target]), n))
        elif col.name == "max_ambulances":
            columns[col.name] = draw(_n(st.none() | _COUNT, n))
        else:
            strategy = {
                "text": _TEXT,
                "count": _COUNT,
                "number": _NUMBER,
                "lat": _LAT,
                "lon": _LON,
                "bool": st.booleans(),
                "level": st.sampled_from([2, 3]),
                "status": st.sampled_from(["open", "candidate", "closed"]),
            }[col.kind]
            columns[col.name] = draw(_n(strategy, n))
    frame = pd.DataFrame(columns)
    if table == "care_homes":
        frame["disabled"] = [draw(st.integers(0, r)) for r in frame["residents"]]
    if table == "hospitals":
        frame.loc[0, "designated"] = True
    if "max_ambulances" in frame:
        frame["max_ambulances"] = frame["max_ambulances"].astype("Int64")
    return frame


@st.composite
def tiny_datasets(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    """A random valid dataset: unique ids per table, foreign keys into earlier tables."""
    sizes = {name: draw(st.integers(1, 3)) for name in TABLES if name != "travel_minutes"}
    ids = {name: draw(st.lists(_ID, min_size=n, max_size=n, unique=True)) for name, n in sizes.items()}
    refs = {"districts": ids["districts"], "streets": ids["streets"]}
    frames: dict[str, pd.DataFrame] = {}
    for name in ("districts", "streets", "hospitals"):
        frames[name] = draw(_rows(name, sizes[name], refs, ids[name]))
    refs["designated"] = frames["hospitals"].loc[frames["hospitals"]["designated"], "hospital_id"].tolist()
    for name in ("care_homes", "clinics", "sites", "stations", "pools", "depots"):
        frames[name] = draw(_rows(name, sizes[name], refs, ids[name]))
    every_id = [i for name in sizes for i in ids[name]]
    n_travel = draw(st.integers(0, 3))
    frames["travel_minutes"] = pd.DataFrame(
        {
            "from_id": draw(_n(st.sampled_from(every_id), n_travel)),
            "to_id": draw(_n(st.sampled_from(every_id), n_travel)),
            "minutes": draw(_n(_NUMBER, n_travel)),
        }
    )
    return frames


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_datasets(), st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_any_valid_dataset_round_trips_through_csv(frames: dict[str, pd.DataFrame], encoding: str) -> None:
    dataset = dataset_from_frames(frames, name="random")
    with tempfile.TemporaryDirectory() as folder:
        write_dataset(dataset, folder, encoding=encoding)
        again = read_dataset(folder)
    assert_same_tables(dataset, again)
    for name in ("care_homes", "stations"):
        pd.testing.assert_series_equal(
            dataset.table(name).iloc[:, 0], frames[name].iloc[:, 0].astype(object), check_names=False
        )


def test_write_dataset_skips_an_empty_travel_table_and_keeps_spec_order(tiny_dataset_dir: Path, tmp_path: Path) -> None:
    dataset = read_dataset(tiny_dataset_dir)
    write_dataset(dataset, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{name}.csv" for name in TABLES if name != "travel_minutes"
    )
    header = (tmp_path / "out" / "depots.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(
        ["depot_id", "district_id", "name", "lat", "lon", "name_zh"] + [f"stock_{d}" for d in DRUGS]
    )
    with (tmp_path / "out" / "care_homes.csv").open(encoding="utf-8", newline="") as handle:
        partition = [row["partition"] for row in csv.DictReader(handle)]
    assert partition == ["false", "true", "false"]
