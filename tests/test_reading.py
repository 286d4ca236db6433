"""Reading the sources: every format and encoding reads the same; what cannot be read is one located problem."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from dataset_checks import Frames, WriteTables, assert_same_tables, problems_of, set_cell

from planner.dataset.io import check_dataset, check_upload, read_dataset
from planner.dataset.problems import Problem

# --------------------------------------------------------------------------- CSV text


def test_unreadable_encoding_names_the_file(tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables) -> None:
    folder = write_tables(tmp_path / "latin", tiny_tables)
    (folder / "care_homes.csv").write_bytes(b"\xff" + tiny_tables["care_homes"].to_csv(index=False).encode("utf-8"))
    errors, _ = problems_of(folder)
    assert errors == [
        Problem(
            "care_homes.csv",
            None,
            None,
            "unreadable text: neither UTF-8 nor GB18030 (byte 0xff on line 1); save the file as 'CSV UTF-8'",
        )
    ]


@pytest.mark.parametrize("blank", [",,,,,", "\u3000, ,\u00a0,\t,,"], ids=["empty", "spaces"])
def test_rows_are_numbered_as_a_spreadsheet_shows_them_blank_rows_included(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables, blank: str
) -> None:
    """A row of empty cells, or of spaces alone (ideographic and no-break spaces included), is a blank row: skipped,
    and counted in the rows' numbers."""
    folder = write_tables(tmp_path / "blank", tiny_tables)
    lines = (folder / "pools.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",8", ",-8")
    (folder / "pools.csv").write_text("\n".join([lines[0], lines[1], blank, lines[2]]) + "\n", encoding="utf-8")
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


def test_column_names_are_trimmed_and_case_insensitive(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    tiny_tables["pools"] = tiny_tables["pools"].rename(columns={"nurses": " Nurses ", "pool_id": "POOL_ID"})
    assert read_dataset(write_tables(tmp_path / "case", tiny_tables)).pools["nurses"].tolist() == [15, 8]


def test_semicolon_separated_file_reads(tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables) -> None:
    folder = write_tables(tmp_path / "semi", tiny_tables)
    tiny_tables["pools"].to_csv(folder / "pools.csv", sep=";", index=False)
    assert read_dataset(folder).pools["nurses"].tolist() == [15, 8]


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
