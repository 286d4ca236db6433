"""Hostile sources: every file refused with its place and cause, within the reading limits, quickly.

Zip bombs, blank-line floods and oversized sheets are built here, small on disk; the limits are lowered
where a test would otherwise need megabytes.
"""

from __future__ import annotations

import os
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from dataset_checks import Frames, WriteTables, assert_same_tables, problems_of

from planner.dataset.io import check_dataset, check_upload, read_dataset
from planner.dataset.limits import LimitsError, ReadLimits
from planner.dataset.problems import Problem
from planner.dataset.reading import read_path
from planner.dataset.validation import validate


def errors_with(path: Path, limits: ReadLimits) -> list[Problem]:
    _, problems = validate(read_path(path, limits))
    return [p for p in problems if p.is_error]


def zip_of(folder: Path, archive: Path, replace: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(folder.glob("*.csv")):
            bundle.writestr(path.name, (replace or {}).get(path.name, path.read_bytes()))
    return archive


def workbook_of(tables: Frames, book: Path, title_above: str | None = None, extra_rows: int = 0) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, frame in tables.items():
        sheet = workbook.create_sheet(name)
        if name == title_above:
            sheet.append(["东城区养老机构名单 2023"])
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=6)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append(list(row))
        for _ in range(extra_rows if name == "care_homes" else 0):
            sheet.append(list(frame.iloc[0]))
    workbook.save(book)
    return book


# --------------------------------------------------------------------------- encodings and kinds of file


def test_utf16_with_a_byte_order_mark_reads_like_utf8(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    utf16 = write_tables(tmp_path / "utf16", tiny_tables, encoding="utf-16")
    assert (utf16 / "care_homes.csv").read_bytes().startswith(b"\xff\xfe")
    assert_same_tables(read_dataset(write_tables(tmp_path / "utf8", tiny_tables)), read_dataset(utf16))


@pytest.mark.parametrize(
    ("encoding", "found"),
    [
        ("utf-16-le", "UTF-16 text (little-endian, without a byte-order mark)"),
        ("utf-16-be", "UTF-16 text (big-endian, without a byte-order mark)"),
        ("utf-32", "UTF-32 text"),
    ],
)
def test_other_unicode_encodings_are_named(
    encoding: str, found: str, tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    folder = write_tables(tmp_path / "text", tiny_tables)
    (folder / "pools.csv").write_bytes((folder / "pools.csv").read_text(encoding="utf-8").encode(encoding))
    errors, _ = problems_of(folder)
    assert [(p.file, p.row) for p in errors] == [("pools.csv", None)]
    assert errors[0].message.startswith(found)
    assert "save the file as 'CSV UTF-8'" in errors[0].message


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (b"PK\x03\x04rest of a zip", "a zip archive or an .xlsx workbook saved with a .csv name"),
        (b"\xd0\xcf\x11\xe0old excel", "an old Excel (.xls) workbook"),
        (b"pool_id,name\nP1,a\x00b\n", "binary data, not CSV text (a NUL byte on line 2)"),
    ],
)
def test_what_is_not_text_is_named(
    content: bytes, found: str, tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    folder = write_tables(tmp_path / "kind", tiny_tables)
    (folder / "pools.csv").write_bytes(content)
    errors, _ = problems_of(folder)
    assert len(errors) == 1 and found in errors[0].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a named pipe")
def test_a_pipe_named_like_a_table_is_not_read(tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables) -> None:
    folder = write_tables(tmp_path / "fifo", tiny_tables)
    (folder / "pools.csv").unlink()
    os.mkfifo(folder / "pools.csv")
    errors, _ = problems_of(folder)
    assert errors == [
        Problem("pools.csv", None, None, "not a regular file (a folder, pipe or device): give a CSV file")
    ]


def test_an_unclosed_quote_is_located(tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables) -> None:
    folder = write_tables(tmp_path / "quote", tiny_tables)
    text = (folder / "pools.csv").read_text(encoding="utf-8").replace("Xicheng nurses", '"Xicheng nurses')
    (folder / "pools.csv").write_text(text, encoding="utf-8")
    errors, _ = problems_of(folder)
    assert errors == [Problem("pools.csv", 3, None, 'a quote (") opened in this row is never closed')]


# --------------------------------------------------------------------------- blank lines, rows, columns, cells


def test_megabytes_of_blank_lines_read_in_bounded_memory_quickly(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    folder = write_tables(tmp_path / "blank", tiny_tables)
    path = folder / "care_homes.csv"
    path.write_bytes(path.read_bytes() + b"\n" * 2_000_000 + b",,,,,,\r\n" * 200_000)
    tracemalloc.start()
    started = time.perf_counter()
    dataset, problems = check_dataset(folder)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert dataset is not None and problems == []
    assert len(dataset.care_homes) == 3
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MB"
    assert seconds < 10


def test_a_file_of_only_blank_lines_is_empty(tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables) -> None:
    folder = write_tables(tmp_path / "blank", tiny_tables)
    (folder / "pools.csv").write_bytes(b"\n \n\t\n" * 1000)
    errors, _ = problems_of(folder)
    assert errors == [Problem("pools.csv", None, None, "the file is empty (expected a header row and data rows)")]


def test_rows_columns_and_cells_beyond_the_limits_are_refused(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    folder = write_tables(tmp_path / "limits", tiny_tables)
    too_many = "more than 2 data rows, the limit for one table (EPIPLAN_MAX_ROWS)"
    assert errors_with(folder, ReadLimits(rows=2)) == [
        Problem("care_homes.csv", None, None, too_many),
        Problem("streets.csv", None, None, too_many),
    ]
    wide = errors_with(folder, ReadLimits(columns=10))
    assert wide[0] == Problem(
        "care_homes.csv", 1, None, "12 columns, above the limit of 10 for one table (EPIPLAN_MAX_COLUMNS)"
    )
    (cells,) = errors_with(folder, ReadLimits(cells=60))
    assert cells.message == (
        "the dataset has more than the limit of 60 cells (rows x columns) for all tables together (EPIPLAN_MAX_CELLS)"
    )


def test_a_file_above_the_size_limit_is_not_read(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    folder = write_tables(tmp_path / "big", tiny_tables)
    (folder / "pools.csv").write_bytes(b"pool_id\n" + b"P" * (1024 * 1024 + 10) + b"\n")
    assert errors_with(folder, ReadLimits(file_mb=1)) == [
        Problem(
            "pools.csv", None, None, "the file is 1.0 MB, above the limit of 1 MB for one file (EPIPLAN_MAX_FILE_MB)"
        )
    ]


def test_limits_come_from_the_environment(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ReadLimits.from_environment({"EPIPLAN_MAX_ROWS": "1_000", "EPIPLAN_MAX_FILE_MB": " 8 "}) == ReadLimits(
        rows=1000, file_mb=8
    )
    with pytest.raises(LimitsError, match="EPIPLAN_MAX_CELLS: expected a whole number > 0, got '-3'"):
        ReadLimits.from_environment({"EPIPLAN_MAX_CELLS": "-3"})
    folder = write_tables(tmp_path / "env", tiny_tables)
    monkeypatch.setenv("EPIPLAN_MAX_ROWS", "2")
    errors, _ = problems_of(folder)
    assert [p.file for p in errors] == ["care_homes.csv", "streets.csv"]
    monkeypatch.setenv("EPIPLAN_MAX_ROWS", "many")
    errors, _ = problems_of(folder)
    assert errors == [Problem("env", None, None, "EPIPLAN_MAX_ROWS: expected a whole number > 0, got 'many'")]


def test_a_title_above_the_header_is_one_problem(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    folder = write_tables(tmp_path / "title", tiny_tables)
    path = folder / "care_homes.csv"
    path.write_text("Care homes of Dongcheng 2023,,,\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    errors, _ = problems_of(folder)
    message = (
        "the header is on row 3, below a title ('Care homes of Dongcheng 2023'): delete rows 1-2 so that the "
        "header is the first row"
    )
    assert errors == [Problem("care_homes.csv", 1, None, message)]


# --------------------------------------------------------------------------- zip archives


def test_a_zip_bomb_is_refused_by_its_declared_size(tiny_dataset_dir: Path, tmp_path: Path) -> None:
    archive = zip_of(tiny_dataset_dir, tmp_path / "bomb.zip", {"care_homes.csv": b"\n" * (8 * 1024 * 1024)})
    assert archive.stat().st_size < 64 * 1024
    started = time.perf_counter()
    errors = errors_with(archive, ReadLimits(file_mb=4))
    assert time.perf_counter() - started < 5
    assert errors == [
        Problem(
            "care_homes.csv",
            None,
            None,
            "the file (once inflated) is 8.0 MB, above the limit of 4 MB for one file (EPIPLAN_MAX_FILE_MB)",
        )
    ]


def _lie_about_size(data: bytes, member: str, size: int) -> bytes:
    """The zip ``data`` with ``member``'s uncompressed size in both headers replaced by ``size``."""
    raw = bytearray(data)
    name = member.encode()
    local = raw.find(b"PK\x03\x04" + raw[4:4])  # first local header
    while local >= 0:
        name_length = struct.unpack_from("<H", raw, local + 26)[0]
        if bytes(raw[local + 30 : local + 30 + name_length]) == name:
            struct.pack_into("<I", raw, local + 22, size)
        local = raw.find(b"PK\x03\x04", local + 4)
    central = raw.find(b"PK\x01\x02")
    while central >= 0:
        name_length = struct.unpack_from("<H", raw, central + 28)[0]
        if bytes(raw[central + 46 : central + 46 + name_length]) == name:
            struct.pack_into("<I", raw, central + 24, size)
        central = raw.find(b"PK\x01\x02", central + 4)
    return bytes(raw)


def test_a_zip_member_larger_than_it_declares_is_stopped_while_it_streams(
    tiny_dataset_dir: Path, tmp_path: Path
) -> None:
    archive = zip_of(tiny_dataset_dir, tmp_path / "liar.zip", {"care_homes.csv": b"\n" * (8 * 1024 * 1024)})
    liar = tmp_path / "liar2.zip"
    liar.write_bytes(_lie_about_size(archive.read_bytes(), "care_homes.csv", 1000))
    assert zipfile.ZipFile(liar).getinfo("care_homes.csv").file_size == 1000
    tracemalloc.start()
    errors = errors_with(liar, ReadLimits(file_mb=4))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [(p.file, p.row) for p in errors] == [("care_homes.csv", None)]
    assert errors[0].message.startswith("cannot inflate it") or "EPIPLAN_MAX_FILE_MB" in errors[0].message
    assert peak < 32 * 2**20


def test_a_zip_of_too_many_files_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for index in range(30):
            bundle.writestr(f"x{index}.txt", b"")
    assert errors_with(archive, ReadLimits(members=20)) == [
        Problem(
            "many.zip",
            None,
            None,
            "cannot open the zip archive: 30 files inside, above the limit of 20 (EPIPLAN_MAX_MEMBERS)",
        )
    ]


def test_an_encrypted_member_is_a_problem_of_that_member(tiny_dataset_dir: Path, tmp_path: Path) -> None:
    archive = zip_of(tiny_dataset_dir, tmp_path / "locked.zip")
    raw = bytearray(archive.read_bytes())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = raw.find(signature)
        while position >= 0:
            raw[position + flag_offset] |= 1  # the "encrypted" bit
            position = raw.find(signature, position + 4)
    archive.write_bytes(bytes(raw))
    dataset, problems = check_dataset(archive)
    assert dataset is None
    assert all("password required" in p.message or "encrypted" in p.message for p in problems if p.is_error)


# --------------------------------------------------------------------------- workbooks


def test_a_sheet_with_too_many_rows_is_refused_before_its_cells_are_read(tiny_tables: Frames, tmp_path: Path) -> None:
    book = workbook_of(tiny_tables, tmp_path / "rows.xlsx", extra_rows=300)
    started = time.perf_counter()
    errors = errors_with(book, ReadLimits(rows=100))
    assert time.perf_counter() - started < 5
    assert errors == [
        Problem(
            "rows.xlsx:care_homes", None, None, "more than 100 data rows, the limit for one table (EPIPLAN_MAX_ROWS)"
        )
    ]


def test_a_sheet_that_inflates_beyond_the_limit_is_refused(tiny_tables: Frames, tmp_path: Path) -> None:
    book = workbook_of(tiny_tables, tmp_path / "bomb.xlsx", extra_rows=9000)
    (error,) = errors_with(book, ReadLimits(file_mb=1))
    assert error.file == "bomb.xlsx"
    assert error.message.startswith("cannot read the workbook: its part xl/worksheets/sheet3.xml (once inflated) is")
    assert error.message.endswith("above the limit of 1 MB for one file (EPIPLAN_MAX_FILE_MB)")


def test_a_formula_without_a_saved_value_is_named(tiny_tables: Frames, tmp_path: Path) -> None:
    book = workbook_of(tiny_tables, tmp_path / "formula.xlsx")
    workbook = openpyxl.load_workbook(book)
    workbook["care_homes"]["F3"] = "=10*10"  # openpyxl stores no computed value
    workbook.save(book)
    errors, _ = problems_of(book)
    message = (
        "cell F3 holds the formula =10*10 without a saved value: open the workbook in Excel and save it "
        "(or paste the values) so that the value is stored"
    )
    assert errors == [Problem("formula.xlsx:care_homes", 3, None, message)]


def test_a_merged_title_above_the_header_is_one_problem(tiny_tables: Frames, tmp_path: Path) -> None:
    book = workbook_of(tiny_tables, tmp_path / "title.xlsx", title_above="care_homes")
    errors, _ = problems_of(book)
    message = (
        "the header is on row 2, below a title ('东城区养老机构名单 2023'): delete row 1 so that the header is "
        "the first row"
    )
    assert errors == [Problem("title.xlsx:care_homes", 1, None, message)]


def test_an_upload_above_the_size_limit_is_not_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPIPLAN_MAX_FILE_MB", "1")
    dataset, problems = check_upload(b"PK" + b"\0" * (1024 * 1024 + 1), "big.zip")
    assert dataset is None
    assert problems == [
        Problem("big.zip", None, None, "the file is 1.0 MB, above the limit of 1 MB for one file (EPIPLAN_MAX_FILE_MB)")
    ]
