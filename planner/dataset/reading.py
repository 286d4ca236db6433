"""Reading a dataset's sources into raw text tables: a folder, a zip, a workbook, an upload, frames in memory.

A dataset comes as a folder of CSV files (``<table>.csv``), one ``.xlsx`` workbook with one sheet per table,
or a ``.zip`` of CSV files, from disk (:func:`read_path`) or uploaded as bytes (:func:`read_upload`); tables
already in memory are read the same way (:func:`source_from_frames`). Decoding CSV text is
:mod:`planner.dataset.csv_text`'s, streaming workbook sheets :mod:`planner.dataset.sheets`'.

Every read stays within :class:`~planner.dataset.limits.ReadLimits`: a file's size is checked before it is
read, a zip member's declared size before it is inflated and its actual size while it streams, rows and
cells while they are parsed. Every cell is read as text (so ``007`` stays ``007``), trimmed, and fully blank
rows are dropped, as are note rows whose first cell starts with ``#`` (the dataset template's description and
example rows); each entry keeps its spreadsheet row. What cannot be read is a
:class:`~planner.dataset.problems.Problem` of the :class:`Source`; converting and checking the tables is
:mod:`planner.dataset.validation`'s.
"""

from __future__ import annotations

import io
import stat
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from planner.dataset.csv_text import ENCODINGS, read_csv_bytes
from planner.dataset.grid import Grid, locate_header
from planner.dataset.limits import Budget, LimitsError, ReadLimits, file_too_large
from planner.dataset.problems import Problem
from planner.dataset.schema import TABLES
from planner.dataset.sheets import WorkbookError, read_sheets

COMMENT = "#"
"""A row whose first cell starts with this is a note, not data (the dataset template's description and example
rows, ``planner.outputs.template``)."""
NOTE_SHEETS: frozenset[str] = frozenset({"readme"})
"""Sheets that explain a workbook (the template's ``readme``): skipped without a warning."""
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, OSError, ValueError)
"""What reading a damaged, encrypted or oddly compressed zip member raises."""


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


def _trimmed(cells: Sequence[str]) -> np.ndarray:
    """Text cells with surrounding whitespace (ideographic and no-break spaces included) removed.

    ``str.strip`` returns the cell itself when there is nothing to trim, so no text is copied.
    """
    return np.fromiter(map(str.strip, cells), dtype=object, count=len(cells))


def _header_names(header: Sequence[object]) -> list[str]:
    """Header cells trimmed and lower-cased; a missing header cell becomes ``""``."""
    missing = pd.Series(list(header), dtype=object).isna().to_numpy()
    return ["" if gone else str(name).strip().lower() for name, gone in zip(header, missing, strict=True)]


def _make_raw(
    table: str,
    file: str,
    header: Sequence[object],
    columns: list[np.ndarray],
    rows: np.ndarray,
    problems: list[Problem],
) -> RawTable:
    """Normalise a header row and its (trimmed text) columns into a :class:`RawTable`.

    Blank header cells over blank columns (trailing separators) are dropped silently; a repeated column
    name is an error and only its first copy is used; rows blank in every kept column are dropped.
    """
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
    filled = np.zeros(len(rows), dtype=bool)
    for cells in kept.values():
        filled |= cells != ""
    if kept:  # a note row (the template's description and example rows) starts with COMMENT: not data
        first = next(iter(kept.values()))
        filled &= ~np.array([str(cell).startswith(COMMENT) for cell in first], dtype=bool)
    return RawTable(table, file, {name: cells[filled] for name, cells in kept.items()}, rows[filled])


def _raw_from_grid(table: str, file: str, grid: Grid | None, problems: list[Problem]) -> RawTable | None:
    """The raw table of a grid whose first record is its header; ``None`` when there is none to read."""
    if grid is None or not locate_header(table, file, grid, problems):
        return None
    header, body = grid.records[0], grid.records[1:]
    rows = np.asarray(grid.rows[1:], dtype=np.int64)
    width = max(len(record) for record in grid.records)
    grid.records, grid.rows = [], []  # the records are now the columns' only holders: freed as they are moved
    header = header + [""] * (width - len(header))
    for index, record in enumerate(body):
        if len(record) < width:
            body[index] = record + [""] * (width - len(record))
    columns = [_trimmed(cells) for cells in zip(*body, strict=True)] if body else [_trimmed([])] * width
    del body
    return _make_raw(table, file, header, columns, rows, problems)


# --------------------------------------------------------------------------- sources


def _table_name(stem: str) -> str:
    return stem.strip().lower()


def _unknown_table(source: Source, file: str, kind: str) -> None:
    known = ", ".join(TABLES)
    source.problems.append(Problem(file, None, None, f"unknown {kind} (ignored; tables are {known})", "warning"))


def _csv_table(source: Source, budget: Budget, table: str, file: str, data: bytes | None) -> None:
    """Add the table of one CSV file's bytes (``None``: unreadable, already reported)."""
    grid = None if data is None else read_csv_bytes(table, file, data, source.problems, budget.limits, budget)
    source.add(table, file, _raw_from_grid(table, file, grid, source.problems))


def _file_bytes(path: Path, problems: list[Problem], budget: Budget) -> bytes | None:
    """The bytes of a regular file within the limits; ``None`` (with a problem) otherwise."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            problems.append(
                Problem(path.name, None, None, "not a regular file (a folder, pipe or device): give a CSV file")
            )
            return None
        too_large = file_too_large(info.st_size, budget.limits) or budget.spend_bytes(info.st_size)
        if too_large:
            problems.append(Problem(path.name, None, None, too_large))
            return None
        with path.open("rb") as handle:
            data = handle.read(budget.limits.file_bytes + 1)
    except OSError as exc:
        problems.append(Problem(path.name, None, None, f"cannot read the file: {exc.strerror or exc}"))
        return None
    too_large = file_too_large(len(data), budget.limits)
    if too_large:
        problems.append(Problem(path.name, None, None, too_large))
        return None
    return data


def _read_folder(folder: Path, budget: Budget) -> Source:
    source = Source(folder.resolve().name)
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        return source.fail(folder.name or str(folder), f"cannot open the folder: {exc.strerror or exc}")
    for path in entries:
        if path.suffix.lower() != ".csv" or path.name.startswith(".") or path.is_dir():
            continue
        table = _table_name(path.stem)
        if table not in TABLES:
            _unknown_table(source, path.name, "table file")
            continue
        if table in source.tables:
            source.add(table, path.name, None)
            continue
        _csv_table(source, budget, table, path.name, _file_bytes(path, source.problems, budget))
        if budget.exceeded:
            source.opened = False  # the tables not read are not "missing"
            break
    return source


def _inflate(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, file: str, budget: Budget) -> bytes | str:
    """A member's bytes, counted while they stream (refused past the limit); a message when it cannot be read."""
    limits = budget.limits
    too_large = file_too_large(info.file_size, limits, "the file (once inflated)") or budget.spend_bytes(info.file_size)
    if too_large:
        return too_large
    parts: list[bytes] = []
    inflated = 0
    with bundle.open(info) as stream:
        while chunk := stream.read(1 << 20):
            inflated += len(chunk)
            if inflated > limits.file_bytes:
                return file_too_large(inflated, limits, "the file (once inflated)") or ""
            parts.append(chunk)
    return b"".join(parts)


def _read_zip(archive: Path | BinaryIO, name: str, label: str, budget: Budget) -> Source:
    source = Source(name)
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            if len(members) > budget.limits.members:
                message = f"{len(members):,} files inside, above the limit of {budget.limits.members:,}"
                return source.fail(label, f"cannot open the zip archive: {message} (EPIPLAN_MAX_MEMBERS)")
            for info in members:
                member = info.filename.rsplit("/", 1)[-1]
                if info.is_dir() or info.filename.startswith("__MACOSX/") or member.startswith("."):
                    continue
                if not member.lower().endswith(".csv"):
                    continue
                table = _table_name(member[:-4])
                if table not in TABLES:
                    _unknown_table(source, member, "table file")
                    continue
                if table in source.tables:
                    source.add(table, member, None)
                    continue
                try:
                    data = _inflate(bundle, info, member, budget)
                except _ZIP_ERRORS as exc:
                    data = f"cannot inflate it: {exc}"
                if isinstance(data, str):
                    source.problems.append(Problem(member, None, None, data))
                    source.add(table, member, None)
                    if budget.exceeded:
                        source.opened = False
                        break
                    continue
                _csv_table(source, budget, table, member, data)
                if budget.exceeded:
                    source.opened = False
                    break
    except _ZIP_ERRORS as exc:
        source.fail(label, f"cannot open the zip archive: {exc}")
    return source


def _read_workbook(book: Path | BinaryIO, name: str, label: str, budget: Budget) -> Source:
    source = Source(name, label_pattern=f"{label}:{{table}}")
    try:
        sheets = read_sheets(book, label, budget.limits, budget, wanted=lambda sheet: _table_name(sheet) in TABLES)
    except WorkbookError as exc:
        return source.fail(label, f"cannot read the workbook: {exc}")
    for sheet in sheets:
        file = f"{label}:{sheet.name}"
        table = _table_name(sheet.name)
        if table in NOTE_SHEETS:
            continue
        if table not in TABLES:
            _unknown_table(source, file, "sheet")
            continue
        source.problems.extend(sheet.problems)
        if sheet.grid is not None and sheet.grid.empty:
            source.problems.append(Problem(file, None, None, "the sheet is empty (expected a header row)"))
            source.add(table, file, None)
            continue
        source.add(table, file, _raw_from_grid(table, file, sheet.grid, source.problems))
    source.opened = not budget.exceeded
    return source


def _limits(label: str, limits: ReadLimits | None) -> tuple[Budget | None, Source | None]:
    """The budget of one read, or a failed source when the environment's limits are unusable."""
    if limits is not None:
        return Budget(limits), None
    try:
        return Budget(ReadLimits.from_environment()), None
    except LimitsError as exc:
        return None, Source(label).fail(label, str(exc))


def read_path(path: Path, limits: ReadLimits | None = None) -> Source:
    """The source of a folder, ``.zip`` or ``.xlsx`` on disk, read within ``limits`` (default: the environment's)."""
    budget, failed = _limits(path.name or str(path), limits)
    if budget is None:
        assert failed is not None
        return failed
    if path.is_dir():
        return _read_folder(path, budget)
    if not path.exists():
        return Source(path.stem).fail(path.name or str(path), f"no such file or folder: {path}")
    suffix = path.suffix.lower()
    if suffix not in (".zip", ".xlsx", ".xlsm"):
        message = "not a dataset: expected a folder of CSV files, an .xlsx workbook or a .zip of CSV files"
        return Source(path.stem).fail(path.name, message)
    try:
        too_large = file_too_large(path.stat().st_size, budget.limits)
    except OSError as exc:
        return Source(path.stem).fail(path.name, f"cannot read the file: {exc.strerror or exc}")
    if too_large:
        return Source(path.stem).fail(path.name, too_large)
    if suffix == ".zip":
        return _read_zip(path, path.stem, path.name, budget)
    return _read_workbook(path, path.stem, path.name, budget)


def read_upload(data: bytes, filename: str, limits: ReadLimits | None = None) -> Source:
    """The source of an uploaded ``.zip`` or ``.xlsx`` held in memory (any other kind of file is a problem)."""
    stem, suffix = Path(filename).stem, Path(filename).suffix.lower()
    budget, failed = _limits(filename, limits)
    if budget is None:
        assert failed is not None
        return failed
    if suffix not in (".zip", ".xlsx", ".xlsm"):
        return Source(stem).fail(filename, "not a dataset: upload a .zip of CSV files or an .xlsx workbook")
    too_large = file_too_large(len(data), budget.limits)
    if too_large:
        return Source(stem).fail(filename, too_large)
    if suffix == ".zip":
        return _read_zip(io.BytesIO(data), stem, filename, budget)
    return _read_workbook(io.BytesIO(data), stem, filename, budget)


def _frame_as_text(frame: pd.DataFrame) -> list[np.ndarray]:
    """A typed frame's columns as the text a CSV of it would hold (booleans as true/false, missing as empty)."""
    columns: list[np.ndarray] = []
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        missing = column.isna().to_numpy()
        if pd.api.types.is_bool_dtype(column.dtype) and not missing.any():
            text = np.where(column.to_numpy(dtype=bool), "true", "false").tolist()
        else:
            text = column.astype(object).where(~missing, "").astype(str).tolist()
        columns.append(_trimmed(text))
    return columns


def source_from_frames(frames: Mapping[str, pd.DataFrame], name: str) -> Source:
    source = Source(name, label_pattern="{table}")
    for key, frame in frames.items():
        table = _table_name(str(key))
        if table not in TABLES:
            _unknown_table(source, str(key), "table")
            continue
        rows = np.arange(2, len(frame) + 2, dtype=np.int64)
        raw = _make_raw(table, table, list(frame.columns), _frame_as_text(frame), rows, source.problems)
        source.add(table, table, raw)
    return source


__all__ = [
    "COMMENT",
    "ENCODINGS",
    "NOTE_SHEETS",
    "RawTable",
    "Source",
    "read_path",
    "read_upload",
    "source_from_frames",
]
