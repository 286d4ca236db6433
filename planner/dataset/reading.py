"""Reading a dataset's sources into raw text tables: a folder, a zip, a workbook, an upload, frames in memory.

A dataset comes as a folder of CSV files (``<table>.csv``), one ``.xlsx`` workbook with one sheet per table,
or a ``.zip`` of CSV files, from disk (:func:`read_path`) or uploaded as bytes (:func:`read_upload`); tables
already in memory are read the same way (:func:`source_from_frames`). CSV text may be UTF-8, UTF-8 with a
byte-order mark, or GB18030 (what Excel writes in Chinese locales); the encoding is detected, never guessed
into garbage.

Every cell is read as text (so ``007`` stays ``007``), trimmed, and fully blank rows are dropped, as are note
rows whose first cell starts with ``#`` (the dataset template's description and example rows); each entry keeps
its spreadsheet row. What cannot be read is a :class:`~planner.dataset.problems.Problem` of
the :class:`Source`; converting and checking the tables is :mod:`planner.dataset.validation`'s.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from planner.dataset.problems import Problem
from planner.dataset.schema import TABLES

ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")
"""Tried in this order, strictly."""
COMMENT = "#"
"""A row whose first cell starts with this is a note, not data (the dataset template's description and example
rows, ``planner.outputs.template``)."""
NOTE_SHEETS: frozenset[str] = frozenset({"readme"})
"""Sheets that explain a workbook (the template's ``readme``): skipped without a warning."""

_CJK = re.compile("[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_MOJIBAKE = re.compile("[\u0100-\u07ff]")
_WIDE_SPACE_BYTES: tuple[bytes, ...] = tuple(
    {space.encode(encoding) for space in ("\u3000", "\xa0") for encoding in ("utf-8", "gb18030")}
)
"""Ideographic and no-break spaces as bytes in either encoding (``str.strip`` trims them)."""
_TOKENIZE_ERROR = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


# --------------------------------------------------------------------------- raw (text) tables


@dataclass
class RawTable:
    """A table read as text: object arrays by normalised header name, and the spreadsheet row of each entry."""

    name: str
    file: str
    columns: dict[str, np.ndarray]
    rows: np.ndarray


@dataclass
class Source:
    """What a reader found: raw tables (``None`` = unreadable, already reported), file labels, problems."""

    name: str
    tables: dict[str, RawTable | None] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    label_pattern: str = "{table}.csv"
    opened: bool = True
    """False when the folder or file could not be opened at all (then no table is checked)."""

    def label(self, table: str) -> str:
        raw = self.tables.get(table)
        return raw.file if raw is not None else self.label_pattern.format(table=table)

    def fail(self, file: str, message: str) -> Source:
        """Record that the source cannot be opened; return ``self``."""
        self.problems.append(Problem(file, None, None, message))
        self.opened = False
        return self

    def add(self, table: str, file: str, raw: RawTable | None) -> None:
        """Register a table found in ``file``; a second file for the same table is ignored with a warning."""
        if table in self.tables:
            self.problems.append(
                Problem(file, None, None, f"a second file for table {table} ({self.label(table)} is used)", "warning")
            )
            return
        self.tables[table] = raw


def _text_columns(body: pd.DataFrame, strip: bool) -> list[np.ndarray]:
    """Every column as an object array of text, missing cells as ``""``, trimmed when ``strip``."""
    columns = []
    for position in range(body.shape[1]):
        cells = body.iloc[:, position].to_numpy(dtype=object)
        missing = pd.isna(cells)
        if missing.any():
            cells = np.where(missing, "", cells)
        columns.append(np.strings.strip(cells.astype(str)).astype(object) if strip else cells)
    return columns


def _header_names(header: Sequence[object]) -> list[str]:
    """Header cells trimmed and lower-cased; a missing header cell becomes ``""``."""
    missing = pd.Series(list(header), dtype=object).isna().to_numpy()
    return ["" if gone else str(name).strip().lower() for name, gone in zip(header, missing, strict=True)]


def _make_raw(
    table: str, file: str, header: Sequence[object], body: pd.DataFrame, problems: list[Problem], strip: bool = True
) -> RawTable:
    """Normalise a header row and the rows under it into a :class:`RawTable`.

    ``body`` has one positional column per header cell and is indexed by spreadsheet row.
    Blank header cells over blank columns (trailing separators) are dropped silently; a
    repeated column name is an error and only its first copy is used.
    """
    columns = _text_columns(body, strip)
    names = _header_names(header)
    kept: dict[str, np.ndarray] = {}
    seen: dict[str, int] = {}
    for position, name in enumerate(names):
        if not name:
            if (columns[position] != "").any():
                problems.append(Problem(file, None, None, f"column {position + 1} has no header (ignored)", "warning"))
            continue
        if name in seen:
            problems.append(
                Problem(file, None, name, f"column '{name}' appears twice (columns {seen[name]} and {position + 1})")
            )
            continue
        seen[name] = position + 1
        kept[name] = columns[position]
    filled = np.zeros(len(body), dtype=bool)
    for cells in kept.values():
        filled |= cells != ""
    if kept:  # a note row (the template's description and example rows) starts with COMMENT: not data
        first = next(iter(kept.values()))
        filled &= ~np.array([str(cell).startswith(COMMENT) for cell in first], dtype=bool)
    rows = body.index.to_numpy(dtype=np.int64)[filled]
    return RawTable(table, file, {name: cells[filled] for name, cells in kept.items()}, rows)


# --------------------------------------------------------------------------- CSV text


def _decode(data: bytes, file: str, problems: list[Problem]) -> str | None:
    """Decode CSV bytes as UTF-8 (with or without BOM) or GB18030, strictly; ``None`` plus a problem if neither.

    Some GB18030 Chinese is also valid UTF-8 (医院 = ``d2bd d4ba`` reads as Cyrillic and Armenian
    letters). Text without a BOM that decodes as UTF-8 without any CJK character but with letters of
    U+0100-U+07FF (scripts a Chinese district file does not use) is taken as GB18030 when that
    reading holds Chinese. Latin-1 accents (``Café``) stay UTF-8.
    """
    try:
        text = data.decode(ENCODINGS[0])
    except UnicodeDecodeError as exc:
        utf8_error: UnicodeDecodeError | None = exc
    else:
        if data.startswith(codecs.BOM_UTF8) or text.isascii() or _CJK.search(text) or not _MOJIBAKE.search(text):
            return text
        utf8_error = None
    try:
        gb_text = data.decode(ENCODINGS[1])
    except UnicodeDecodeError:
        gb_text = None
    if utf8_error is None:
        return gb_text if gb_text is not None and _CJK.search(gb_text) else text
    if gb_text is not None:
        return gb_text
    line = data[: utf8_error.start].count(b"\n") + 1
    message = (
        f"unreadable text: neither UTF-8 nor GB18030 (byte 0x{data[utf8_error.start]:02x} on line {line}); "
        "save the file as 'CSV UTF-8'"
    )
    problems.append(Problem(file, None, None, message))
    return None


def _separator(text: str) -> str:
    """The separator of the header line: comma unless semicolons or tabs clearly dominate."""
    first_line = text.split("\n", 1)[0]
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[","] else ","


def _has_edge_space(data: bytes, separator: str) -> bool:
    """Whether some cell of the CSV ``data`` may start or end with whitespace (false positives only cost time).

    Vectorised over the bytes: ASCII separators, quotes and newlines never occur inside a multi-byte
    UTF-8 or GB18030 character. Wide spaces (U+3000, U+00A0) anywhere ask for trimming.
    """
    if any(space in data for space in _WIDE_SPACE_BYTES):
        return True
    codes = np.frombuffer(data.removeprefix(codecs.BOM_UTF8), dtype=np.uint8)
    if not codes.size:
        return False
    space = codes == ord(" ")
    if separator != "\t":
        space |= codes == ord("\t")
    edge = (codes == ord(separator)) | (codes == ord("\n")) | (codes == ord("\r")) | (codes == ord('"'))
    return bool(space[0] or space[-1] or (space[:-1] & edge[1:]).any() or (edge[:-1] & space[1:]).any())


def _read_csv_bytes(table: str, file: str, data: bytes, problems: list[Problem]) -> RawTable | None:
    """Decode and parse one CSV file; ``None`` (with a problem) when it cannot be read."""
    text = _decode(data, file, problems)
    if text is None:
        return None
    return _parse_csv(table, file, text, problems, strip=_has_edge_space(data, _separator(text)))


def _parse_csv(table: str, file: str, text: str, problems: list[Problem], strip: bool = True) -> RawTable | None:
    """Parse CSV text into a raw table; ``None`` (with a problem) when it cannot be parsed."""
    if not text or text.isspace():
        problems.append(Problem(file, None, None, "the file is empty (expected a header row and data rows)"))
        return None
    try:
        grid = pd.read_csv(
            io.StringIO(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            sep=_separator(text),
        )
    except (pd.errors.ParserError, ValueError) as exc:
        match = _TOKENIZE_ERROR.search(str(exc))
        if match:
            expected, line, found = match.groups()
            message = f"expected {expected} cells as in the header, found {found} (a comma inside an unquoted value?)"
            problems.append(Problem(file, int(line), None, message))
        else:
            problems.append(Problem(file, None, None, f"cannot parse the CSV: {str(exc).strip()}"))
        return None
    body = grid.iloc[1:].set_axis(pd.RangeIndex(2, len(grid) + 1))
    return _make_raw(table, file, list(grid.iloc[0]), body, problems, strip)


# --------------------------------------------------------------------------- sources


def _table_name(stem: str) -> str:
    return stem.strip().lower()


def _unknown_table(source: Source, file: str, kind: str) -> None:
    known = ", ".join(TABLES)
    source.problems.append(Problem(file, None, None, f"unknown {kind} (ignored; tables are {known})", "warning"))


def _read_folder(folder: Path) -> Source:
    source = Source(folder.resolve().name)
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() != ".csv" or path.name.startswith("."):
            continue
        table = _table_name(path.stem)
        if table not in TABLES:
            _unknown_table(source, path.name, "table file")
            continue
        raw = _read_csv_bytes(table, path.name, path.read_bytes(), source.problems)
        source.add(table, path.name, raw)
    return source


def _read_zip(archive: str | Path | BinaryIO, name: str, label: str) -> Source:
    source = Source(name)
    try:
        with zipfile.ZipFile(archive) as bundle:
            for info in bundle.infolist():
                member = info.filename.rsplit("/", 1)[-1]
                if info.is_dir() or info.filename.startswith("__MACOSX/") or member.startswith("."):
                    continue
                if not member.lower().endswith(".csv"):
                    continue
                table = _table_name(member[:-4])
                if table not in TABLES:
                    _unknown_table(source, member, "table file")
                    continue
                raw = _read_csv_bytes(table, member, bundle.read(info), source.problems)
                source.add(table, member, raw)
    except (zipfile.BadZipFile, OSError) as exc:
        source.fail(label, f"cannot open the zip archive: {exc}")
    return source


def _read_workbook(book: str | Path | BinaryIO, name: str, label: str) -> Source:
    source = Source(name, label_pattern=f"{label}:{{table}}")
    try:
        sheets = pd.read_excel(book, sheet_name=None, header=None, dtype=str, keep_default_na=False, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types on a damaged workbook; all mean "cannot read it"
        return source.fail(label, f"cannot read the workbook: {exc}")
    for sheet_name, grid in sheets.items():
        file = f"{label}:{sheet_name}"
        table = _table_name(str(sheet_name))
        if table in NOTE_SHEETS:
            continue
        if table not in TABLES:
            _unknown_table(source, file, "sheet")
            continue
        if grid.empty:
            source.problems.append(Problem(file, None, None, "the sheet is empty (expected a header row)"))
            source.add(table, file, None)
            continue
        body = grid.iloc[1:].set_axis(pd.RangeIndex(2, len(grid) + 1))
        source.add(table, file, _make_raw(table, file, list(grid.iloc[0]), body, source.problems))
    return source


def read_path(path: Path) -> Source:
    if path.is_dir():
        return _read_folder(path)
    if not path.exists():
        return Source(path.stem).fail(path.name or str(path), f"no such file or folder: {path}")
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _read_zip(path, path.stem, path.name)
    if suffix in (".xlsx", ".xlsm"):
        return _read_workbook(path, path.stem, path.name)
    message = "not a dataset: expected a folder of CSV files, an .xlsx workbook or a .zip of CSV files"
    return Source(path.stem).fail(path.name, message)


def read_upload(data: bytes, filename: str) -> Source:
    """The source of an uploaded ``.zip`` or ``.xlsx`` held in memory (any other kind of file is a problem)."""
    stem, suffix = Path(filename).stem, Path(filename).suffix.lower()
    if suffix == ".zip":
        return _read_zip(io.BytesIO(data), stem, filename)
    if suffix in (".xlsx", ".xlsm"):
        return _read_workbook(io.BytesIO(data), stem, filename)
    return Source(stem).fail(filename, "not a dataset: upload a .zip of CSV files or an .xlsx workbook")


def _frame_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A typed frame as the text a CSV of it would hold (booleans as true/false, missing as empty)."""
    rows = pd.RangeIndex(2, len(frame) + 2)
    columns: dict[int, np.ndarray] = {}
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        missing = column.isna().to_numpy()
        if pd.api.types.is_bool_dtype(column.dtype) and not missing.any():
            columns[position] = np.where(column.to_numpy(dtype=bool), "true", "false")
        else:
            columns[position] = column.astype(object).where(~missing, "").astype(str).to_numpy()
    return pd.DataFrame(columns, index=rows) if columns else pd.DataFrame(index=rows)


def source_from_frames(frames: Mapping[str, pd.DataFrame], name: str) -> Source:
    source = Source(name, label_pattern="{table}")
    for key, frame in frames.items():
        table = _table_name(str(key))
        if table not in TABLES:
            _unknown_table(source, str(key), "table")
            continue
        body = _frame_as_text(frame)
        source.add(table, table, _make_raw(table, table, list(frame.columns), body, source.problems))
    return source


__all__ = ["ENCODINGS", "RawTable", "Source", "read_path", "read_upload", "source_from_frames"]
