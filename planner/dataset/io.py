"""Read, validate and write a district dataset (DESIGN §3).

A dataset comes as a folder of CSV files (``<table>.csv``), one ``.xlsx``
workbook with one sheet per table, or a ``.zip`` of CSV files. CSV text may be
UTF-8, UTF-8 with a byte-order mark, or GB18030 (what Excel writes in Chinese
locales); the encoding is detected, never guessed into garbage.

Reading is two-step. Every cell is first read as text (so ``007`` stays
``007``), trimmed, and fully blank rows are dropped; then each column is
converted by its kind in :data:`planner.dataset.schema.TABLES`. Validation collects
*all* problems before giving up. A :class:`Problem` names the file (or
``book.xlsx:sheet``), the row as a spreadsheet shows it (header = row 1, first
data row = 2; ``None`` for a whole-table problem), the column, and what is wrong
in plain words::

    care_homes.csv  row 7  disabled     disabled (45) > residents (40)
    care_homes.csv  row 9  street_id    unknown street_id 'S999' (not in streets.csv)

Errors stop the dataset from being used; warnings (``severity="warning"``)
report what is merely odd. All checks are vectorised; only the (capped) list of
problems is built row by row.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from planner.dataset.schema import SITE_STATUSES, TABLES, ColumnSpec, Dataset, ForeignKey, TableSpec

MAX_PROBLEMS_PER_KIND = 20
"""Problems listed per (file, column, kind of problem); the rest are summarised in one line."""

TRUE_WORDS: frozenset[str] = frozenset({"true", "1", "1.0", "yes", "y", "t", "是"})
FALSE_WORDS: frozenset[str] = frozenset({"false", "0", "0.0", "no", "n", "f", "否"})
ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")
"""Tried in this order, strictly."""

_CJK = re.compile("[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_MOJIBAKE = re.compile("[\u0100-\u07ff]")
_WIDE_SPACE_BYTES: tuple[bytes, ...] = tuple(
    {space.encode(encoding) for space in ("\u3000", "\xa0") for encoding in ("utf-8", "gb18030")}
)
"""Ideographic and no-break spaces as bytes in either encoding (``str.strip`` trims them)."""
_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d*)?")
_TOKENIZE_ERROR = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or odd) in a dataset, located as a spreadsheet user would find it."""

    file: str
    row: int | None
    column: str | None
    message: str
    severity: str = "error"
    """``"error"`` (the dataset cannot be used) or ``"warning"`` (merely odd)."""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{self.severity}: {where}: {self.message}"


class DatasetError(Exception):
    """A dataset with errors; ``problems`` lists every problem found (errors first)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.is_error]
        first = f"; first: {errors[0]}" if errors else ""
        super().__init__(f"the dataset has {len(errors)} error(s){first}")


# --------------------------------------------------------------------------- raw (text) tables


@dataclass
class _RawTable:
    """A table read as text: object arrays by normalised header name, and the spreadsheet row of each entry."""

    name: str
    file: str
    columns: dict[str, np.ndarray]
    rows: np.ndarray


@dataclass
class _Source:
    """What a reader found: raw tables (``None`` = unreadable, already reported), file labels, problems."""

    name: str
    tables: dict[str, _RawTable | None] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    label_pattern: str = "{table}.csv"
    opened: bool = True
    """False when the folder or file could not be opened at all (then no table is checked)."""

    def label(self, table: str) -> str:
        raw = self.tables.get(table)
        return raw.file if raw is not None else self.label_pattern.format(table=table)

    def fail(self, file: str, message: str) -> _Source:
        """Record that the source cannot be opened; return ``self``."""
        self.problems.append(Problem(file, None, None, message))
        self.opened = False
        return self

    def add(self, table: str, file: str, raw: _RawTable | None) -> None:
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
) -> _RawTable:
    """Normalise a header row and the rows under it into a :class:`_RawTable`.

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
    rows = body.index.to_numpy(dtype=np.int64)[filled]
    return _RawTable(table, file, {name: cells[filled] for name, cells in kept.items()}, rows)


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


def _read_csv_bytes(table: str, file: str, data: bytes, problems: list[Problem]) -> _RawTable | None:
    """Decode and parse one CSV file; ``None`` (with a problem) when it cannot be read."""
    text = _decode(data, file, problems)
    if text is None:
        return None
    return _parse_csv(table, file, text, problems, strip=_has_edge_space(data, _separator(text)))


def _parse_csv(table: str, file: str, text: str, problems: list[Problem], strip: bool = True) -> _RawTable | None:
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


def _table_name(stem: str) -> str:
    return stem.strip().lower()


def _unknown_table(source: _Source, file: str, kind: str) -> None:
    known = ", ".join(TABLES)
    source.problems.append(Problem(file, None, None, f"unknown {kind} (ignored; tables are {known})", "warning"))


def _read_folder(folder: Path) -> _Source:
    source = _Source(folder.resolve().name)
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


def _read_zip(archive: str | Path | BinaryIO, name: str, label: str) -> _Source:
    source = _Source(name)
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


def _read_workbook(book: str | Path | BinaryIO, name: str, label: str) -> _Source:
    source = _Source(name, label_pattern=f"{label}:{{table}}")
    try:
        sheets = pd.read_excel(book, sheet_name=None, header=None, dtype=str, keep_default_na=False, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types on a damaged workbook; all mean "cannot read it"
        return source.fail(label, f"cannot read the workbook: {exc}")
    for sheet_name, grid in sheets.items():
        file = f"{label}:{sheet_name}"
        table = _table_name(str(sheet_name))
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


def _read_source(path: Path) -> _Source:
    if path.is_dir():
        return _read_folder(path)
    if not path.exists():
        return _Source(path.stem).fail(path.name or str(path), f"no such file or folder: {path}")
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _read_zip(path, path.stem, path.name)
    if suffix in (".xlsx", ".xlsm"):
        return _read_workbook(path, path.stem, path.name)
    message = "not a dataset: expected a folder of CSV files, an .xlsx workbook or a .zip of CSV files"
    return _Source(path.stem).fail(path.name, message)


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


def _source_from_frames(frames: Mapping[str, pd.DataFrame], name: str) -> _Source:
    source = _Source(name, label_pattern="{table}")
    for key, frame in frames.items():
        table = _table_name(str(key))
        if table not in TABLES:
            _unknown_table(source, str(key), "table")
            continue
        body = _frame_as_text(frame)
        source.add(table, table, _make_raw(table, table, list(frame.columns), body, source.problems))
    return source


# --------------------------------------------------------------------------- conversion by kind


def _report(
    problems: list[Problem],
    file: str,
    column: str | None,
    bad: np.ndarray,
    rows: np.ndarray,
    describe: Callable[[int], str],
    severity: str = "error",
) -> None:
    """Add one problem per bad entry (at most ``MAX_PROBLEMS_PER_KIND``, then one summary line).

    ``describe`` gets the position of a bad entry; ``rows`` gives its spreadsheet row.
    """
    if not bad.any():
        return
    positions = np.flatnonzero(bad)
    for position in positions[:MAX_PROBLEMS_PER_KIND]:
        problems.append(Problem(file, int(rows[position]), column, describe(int(position)), severity))
    extra = len(positions) - MAX_PROBLEMS_PER_KIND
    if extra > 0:
        problems.append(Problem(file, None, column, f"... and {extra:,} more rows like this", severity))


def _parse_floats(cells: np.ndarray, blank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parse text to float64 exactly (as Python's ``float``); return (numbers, parsed), NaN where not parsed.

    Thousands separators are accepted (``12,345``); ``1,5`` is not a number.
    """
    try:  # the common case: every non-blank cell is a plain number
        numbers = np.where(blank, "nan", cells).astype(np.float64)
    except ValueError:
        return _parse_floats_slowly(cells, blank)
    return numbers, ~blank & ~np.isnan(numbers)


def _parse_floats_slowly(cells: np.ndarray, blank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    text = pd.Series(cells, dtype=object).astype(str)
    thousands = text.str.fullmatch(_THOUSANDS).to_numpy(dtype=bool)
    text = text.where(~thousands, text.str.replace(",", "", regex=False))
    parsed = pd.to_numeric(text.where(~blank, ""), errors="coerce").notna().to_numpy()
    numbers = np.full(len(text), np.nan)
    try:
        numbers[parsed] = text.to_numpy(dtype=object)[parsed].astype(np.float64)
    except ValueError:  # pandas accepted a spelling that Python's float does not
        numbers[parsed] = pd.to_numeric(text[parsed], errors="coerce").to_numpy(dtype=np.float64)
    parsed &= ~np.isnan(numbers)
    return numbers, parsed


@dataclass
class _Column:
    """A converted column: typed values (numpy or pandas extension array) and which entries are usable."""

    values: Any
    valid: np.ndarray


@dataclass(frozen=True)
class _Cells:
    """One raw column being converted: its text, blank mask and spreadsheet rows, and where to report."""

    text: np.ndarray
    blank: np.ndarray
    rows: np.ndarray
    spec: ColumnSpec
    file: str
    problems: list[Problem]

    def report(self, bad: np.ndarray, describe: Callable[[int], str], severity: str = "error") -> None:
        _report(self.problems, self.file, self.spec.name, bad, self.rows, describe, severity)


_KIND_RULES: dict[str, tuple[Callable[[np.ndarray], np.ndarray], str]] = {
    "count": (lambda x: (x >= 0) & (x == np.floor(x)) & (x < 2**53), "expected a whole number >= 0, got '{raw}'"),
    "number": (lambda x: x >= 0, "expected a number >= 0, got '{raw}'"),
    "level": (lambda x: (x == 2) | (x == 3), "hospital level must be 2 or 3, got '{raw}'"),
}


def _convert_numeric(cells: _Cells) -> _Column:
    text, blank, spec = cells.text, cells.blank, cells.spec
    numbers, parsed = _parse_floats(text, blank)
    finite = parsed & np.isfinite(np.where(parsed, numbers, 0.0))
    if spec.kind in ("lat", "lon"):
        limit = 90 if spec.kind == "lat" else 180
        word = "latitude" if spec.kind == "lat" else "longitude"
        ok = finite & (np.abs(np.where(finite, numbers, 0.0)) <= limit)
        bounds = f"[-{limit}, {limit}]"
        cells.report(~blank & ~finite, lambda i: f"{word} must be a number, got '{text[i]}'")
        cells.report(finite & ~ok, lambda i: f"{word} must be in {bounds}, got {text[i]}")
    else:
        rule, template = _KIND_RULES[spec.kind]
        ok = finite & rule(np.where(finite, numbers, 0.0))
        cells.report(~blank & ~ok, lambda i: template.format(raw=text[i]))
    clean = np.where(ok, numbers, 0.0)
    if spec.kind in ("number", "lat", "lon"):
        return _Column(clean, ok)
    if _nullable(spec):
        return _Column(pd.arrays.IntegerArray(clean.astype(np.int64), ~ok), ok | blank)
    return _Column(clean.astype(np.int64), ok)


def _convert_bool(cells: _Cells) -> _Column:
    words = np.strings.lower(cells.text.astype(str))
    true = np.isin(words, list(TRUE_WORDS))
    ok = true | np.isin(words, list(FALSE_WORDS))
    text = cells.text
    cells.report(~cells.blank & ~ok, lambda i: f"expected true or false (also 1/0, yes/no, 是/否), got '{text[i]}'")
    return _Column(true, ok)


def _convert_status(cells: _Cells) -> _Column:
    words = np.strings.lower(cells.text.astype(str)).astype(object)
    ok = np.isin(words, list(SITE_STATUSES))
    allowed = ", ".join(SITE_STATUSES[:-1]) + f" or {SITE_STATUSES[-1]}"
    text = cells.text
    cells.report(~cells.blank & ~ok, lambda i: f"status must be {allowed}, got '{text[i]}'")
    return _Column(np.where(ok, words, SITE_STATUSES[0]).astype(object), ok)


def _convert_text(cells: _Cells) -> _Column:
    return _Column(cells.text, ~cells.blank)


_CONVERTERS: dict[str, Callable[[_Cells], _Column]] = {
    "id": _convert_text,
    "text": _convert_text,
    "count": _convert_numeric,
    "number": _convert_numeric,
    "lat": _convert_numeric,
    "lon": _convert_numeric,
    "level": _convert_numeric,
    "bool": _convert_bool,
    "status": _convert_status,
}


_DTYPES: dict[str, type] = {
    "count": np.int64,
    "level": np.int64,
    "number": np.float64,
    "lat": np.float64,
    "lon": np.float64,
    "bool": bool,
}
_PLACEHOLDERS: dict[str, object] = {"count": 0, "level": 2, "number": 0.0, "lat": 0.0, "lon": 0.0, "bool": False}


def _nullable(spec: ColumnSpec) -> bool:
    """An optional count without a default (``max_ambulances``): absent means "no value" (``Int64`` NA)."""
    return spec.kind == "count" and not spec.required and spec.default is None


def _default_values(spec: ColumnSpec, length: int) -> Any:
    """An absent column in its final dtype: the default of an optional one, a placeholder for a required one."""
    if _nullable(spec):
        return pd.arrays.IntegerArray(np.zeros(length, dtype=np.int64), np.ones(length, dtype=bool))
    value = spec.default if spec.default is not None else _PLACEHOLDERS.get(spec.kind, "")
    dtype = _DTYPES.get(spec.kind, object)
    return np.full(length, value, dtype=dtype)


def _convert_column(
    text: np.ndarray, rows: np.ndarray, spec: ColumnSpec, file: str, problems: list[Problem]
) -> _Column:
    """Convert one present column; empty cells are an error when required, else take the default."""
    cells = _Cells(text, text == "", rows, spec, file, problems)
    if spec.required and spec.kind == "text":
        cells.report(cells.blank, lambda i: f"empty {spec.name}", "warning")
    elif spec.required:
        cells.report(cells.blank, lambda i: "missing value")
    column = _CONVERTERS[spec.kind](cells)
    if spec.required or spec.kind in ("id", "text") or _nullable(spec) or not cells.blank.any():
        return column
    default = _default_values(spec, len(text))
    return _Column(np.where(cells.blank, default, column.values).astype(default.dtype), column.valid | cells.blank)


# --------------------------------------------------------------------------- validation


@dataclass
class _Table:
    """A converted table: typed values and validity by column, and the spreadsheet row of each entry."""

    spec: TableSpec
    file: str
    rows: np.ndarray
    values: dict[str, Any]
    valid: dict[str, np.ndarray]
    present: frozenset[str]

    def ids(self, column: str | None = None, where: str | None = None) -> pd.Index:
        """The usable values of ``column`` (the id column by default), restricted to rows where ``where`` is true."""
        column = column or self.spec.id_column
        if column is None or column not in self.present:
            return pd.Index([], dtype=object)
        usable = self.valid[column] & (self.values[column] != "")
        if where is not None:
            usable &= self.valid[where] & self.values[where].astype(bool)
        return pd.Index(self.values[column][usable], dtype=object).unique()

    def both_valid(self, *columns: str) -> np.ndarray:
        """Rows where every one of ``columns`` is present and usable."""
        mask = np.ones(len(self.rows), dtype=bool)
        for column in columns:
            mask &= self.valid[column] if column in self.present else False
        return mask


def _convert_table(raw: _RawTable, spec: TableSpec, problems: list[Problem]) -> _Table:
    known = {c.name for c in spec.all_columns()}
    for name in raw.columns:
        if name not in known:
            problems.append(Problem(raw.file, None, name, f"unknown column '{name}' (ignored)", "warning"))
    for name in spec.required_columns:
        if name not in raw.columns:
            problems.append(Problem(raw.file, None, name, f"missing required column '{name}'"))
    if spec.required and not len(raw.rows):
        problems.append(Problem(raw.file, None, None, f"no rows: the table {spec.name} must have at least one row"))
    values: dict[str, Any] = {}
    valid: dict[str, np.ndarray] = {}
    for col in spec.all_columns():
        if col.name in raw.columns:
            converted = _convert_column(raw.columns[col.name], raw.rows, col, raw.file, problems)
            values[col.name], valid[col.name] = converted.values, converted.valid
        else:
            values[col.name] = _default_values(col, len(raw.rows))
            valid[col.name] = np.full(len(raw.rows), not col.required)
    present = frozenset(c.name for c in spec.all_columns() if c.name in raw.columns or not c.required)
    return _Table(spec, raw.file, raw.rows, values, valid, present)


def _check_duplicates(table: _Table, problems: list[Problem]) -> None:
    id_column = table.spec.id_column
    if id_column is None or id_column not in table.present:
        return
    ids = table.values[id_column]
    later = table.valid[id_column] & pd.Index(ids, dtype=object).duplicated(keep="first")
    if not later.any():
        return
    first_row = pd.Series(table.rows).groupby(ids).transform("min").to_numpy()
    _report(
        problems,
        table.file,
        id_column,
        later,
        table.rows,
        lambda i: f"duplicate {id_column} '{ids[i]}' (also row {first_row[i]})",
    )


def _check_greater(table: _Table, small: str, large: str, problems: list[Problem], severity: str = "error") -> None:
    """``small`` must not exceed ``large`` in any row (e.g. disabled <= residents); absent values are not compared."""
    usable = table.both_valid(small, large)
    if not usable.any():
        return
    small_values = _as_floats(table.values[small])
    large_values = _as_floats(table.values[large])
    bad = usable & (small_values > large_values)  # NaN (no value) compares False
    _report(
        problems,
        table.file,
        small,
        bad,
        table.rows,
        lambda i: f"{small} ({small_values[i]:.0f}) > {large} ({large_values[i]:.0f})",
        severity,
    )


def _as_floats(values: Any) -> np.ndarray:
    """Counts (numpy or nullable) as float64, NaN where absent."""
    return np.asarray(pd.array(values, dtype="Int64").to_numpy(dtype=np.float64, na_value=np.nan))


def _check_rows(tables: dict[str, _Table], problems: list[Problem]) -> None:
    """Within-row consistency: errors for the impossible, warnings for the odd."""
    if "care_homes" in tables:
        homes = tables["care_homes"]
        _check_greater(homes, "disabled", "residents", problems)
        empty = homes.both_valid("residents") & (homes.values["residents"] == 0)
        _report(problems, homes.file, "residents", empty, homes.rows, lambda i: "care home with 0 residents", "warning")
    if "hospitals" in tables:
        _check_greater(tables["hospitals"], "icu_beds", "beds", problems, "warning")
    if "stations" in tables:
        _check_greater(tables["stations"], "ambulances", "max_ambulances", problems, "warning")


def _check_key(table: _Table, key: ForeignKey, target: _Table, target_file: str, problems: list[Problem]) -> None:
    """Every non-empty ``key.column`` names an id of ``target`` (with ``key.where`` true, when given)."""
    column = key.column
    values = table.values[column]
    checked = table.valid[column] & (values != "")
    if not checked.any():
        return
    referenced = pd.Index(values, dtype=object)
    known = referenced.isin(target.ids())
    _report(
        problems,
        table.file,
        column,
        checked & ~known,
        table.rows,
        lambda i: f"unknown {column} '{values[i]}' (not in {target_file})",
    )
    if key.where is None or key.where not in target.present:
        return
    where = key.where
    qualified = referenced.isin(target.ids(where=where))
    _report(
        problems,
        table.file,
        column,
        checked & known & ~qualified,
        table.rows,
        lambda i: f"{column} '{values[i]}' is in {target_file} but not {where} ({where} = false)",
    )


def _check_foreign_keys(tables: dict[str, _Table], label: Callable[[str], str], problems: list[Problem]) -> None:
    for table in tables.values():
        for key in table.spec.foreign_keys:
            target = tables.get(key.table)
            if key.column in table.present and target is not None and target.spec.id_column in target.present:
                _check_key(table, key, target, label(key.table), problems)


def _check_dataset_level(tables: dict[str, _Table], problems: list[Problem]) -> None:
    hospitals = tables.get("hospitals")
    if (
        hospitals is not None
        and "designated" in hospitals.present
        and len(hospitals.rows)
        and hospitals.valid["designated"].all()
        and not hospitals.values["designated"].any()
    ):
        message = "no hospital is designated: transfers will have no designated hospital to go to"
        problems.append(Problem(hospitals.file, None, "designated", message, "warning"))
    travel = tables.get("travel_minutes")
    if travel is None or not len(travel.rows):
        return
    places = pd.Index([], dtype=object)
    for table in tables.values():
        if table.spec.id_column is not None:
            places = places.append(table.ids())
    for column in ("from_id", "to_id"):
        if column in travel.present:
            _check_travel_ids(travel, column, places, problems)


def _check_travel_ids(travel: _Table, column: str, places: pd.Index, problems: list[Problem]) -> None:
    values = travel.values[column]
    unknown = travel.valid[column] & ~pd.Index(values, dtype=object).isin(places)
    _report(
        problems,
        travel.file,
        column,
        unknown,
        travel.rows,
        lambda i: f"unknown {column} '{values[i]}' (not an id of any table; the row is unused)",
        "warning",
    )


def _validate(source: _Source) -> tuple[Dataset | None, list[Problem]]:
    """Convert and check every table; the dataset when there is no error."""
    problems = list(source.problems)
    if not source.opened:
        return None, problems
    tables: dict[str, _Table] = {}
    for name, spec in TABLES.items():
        if name not in source.tables:
            if spec.required:
                problems.append(Problem(source.label(name), None, None, f"missing required table {name}"))
            continue
        raw = source.tables[name]
        if raw is not None:
            tables[name] = _convert_table(raw, spec, problems)
            _check_duplicates(tables[name], problems)
    _check_rows(tables, problems)
    _check_foreign_keys(tables, source.label, problems)
    _check_dataset_level(tables, problems)
    problems = [p for p in problems if p.is_error] + [p for p in problems if not p.is_error]
    if any(p.is_error for p in problems):
        return None, problems
    frames = {name: _final_frame(spec, tables.get(name)) for name, spec in TABLES.items()}
    return _dataset(frames, source.name), problems


def _final_frame(spec: TableSpec, table: _Table | None) -> pd.DataFrame:
    """The typed table with exactly the spec's columns, in order, on a fresh index."""
    if table is None:
        return pd.DataFrame({c.name: _default_values(c, 0) for c in spec.all_columns()})
    return pd.DataFrame({c.name: table.values[c.name] for c in spec.all_columns()})


def _dataset(frames: dict[str, pd.DataFrame], name: str) -> Dataset:
    dataset = Dataset(**frames, name=name)  # type: ignore[arg-type]
    return replace(dataset, sha256=dataset.content_hash())


# --------------------------------------------------------------------------- public API


def check_dataset(path: str | Path) -> tuple[Dataset | None, list[Problem]]:
    """Read and validate a dataset without raising.

    Parameters
    ----------
    path
        A folder of ``<table>.csv`` files, an ``.xlsx`` workbook (one sheet per
        table) or a ``.zip`` of CSV files.

    Returns
    -------
    (Dataset or None, problems)
        The dataset is ``None`` when any problem is an error. Problems list
        errors first, then warnings.
    """
    return _validate(_read_source(Path(path)))


def check_upload(data: bytes, filename: str) -> tuple[Dataset | None, list[Problem]]:
    """Like :func:`check_dataset` for an uploaded ``.zip`` or ``.xlsx`` held in memory."""
    stem, suffix = Path(filename).stem, Path(filename).suffix.lower()
    if suffix == ".zip":
        source = _read_zip(io.BytesIO(data), stem, filename)
    elif suffix in (".xlsx", ".xlsm"):
        source = _read_workbook(io.BytesIO(data), stem, filename)
    else:
        source = _Source(stem).fail(filename, "not a dataset: upload a .zip of CSV files or an .xlsx workbook")
    return _validate(source)


def read_dataset(path: str | Path) -> Dataset:
    """Read and validate a dataset; raise :class:`DatasetError` listing every problem when any is an error."""
    dataset, problems = check_dataset(path)
    if dataset is None:
        raise DatasetError(problems)
    return dataset


def dataset_from_frames(frames: Mapping[str, pd.DataFrame], name: str = "dataset") -> Dataset:
    """Validate in-memory tables (typed or text) exactly as files are validated.

    Problems name the table (``care_homes``) as the file; rows are numbered as
    in the CSV the frame would be written to (first row = 2).
    """
    dataset, problems = _validate(_source_from_frames(frames, name))
    if dataset is None:
        raise DatasetError(problems)
    return dataset


def _ordered_columns(name: str, frame: pd.DataFrame) -> list[str]:
    """Known columns in spec order, then any extra columns as they come."""
    spec = TABLES.get(name)
    known = [c.name for c in spec.all_columns()] if spec else []
    return [c for c in known if c in frame.columns] + [c for c in frame.columns if c not in known]


def _frame_for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_bool_dtype(out[column].dtype) and not out[column].isna().any():
            out[column] = np.where(out[column].to_numpy(dtype=bool), "true", "false")
    return out


def write_dataset(
    frames_or_dataset: Dataset | Mapping[str, pd.DataFrame], folder: str | Path, encoding: str = "utf-8"
) -> None:
    """Write one ``<table>.csv`` per table (booleans as ``true``/``false``, floats exactly).

    Parameters
    ----------
    frames_or_dataset
        A :class:`Dataset` or tables by name. An empty optional table
        (``travel_minutes``) is not written.
    folder
        Created when missing.
    encoding
        ``"utf-8"`` (default), ``"utf-8-sig"`` (with BOM, what Excel likes) or ``"gb18030"``.
    """
    tables = frames_or_dataset.tables() if isinstance(frames_or_dataset, Dataset) else dict(frames_or_dataset)
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        spec = TABLES.get(name)
        if spec is not None and not spec.required and frame.empty:
            continue
        out = _frame_for_csv(frame[_ordered_columns(name, frame)])
        out.to_csv(target / f"{name}.csv", index=False, encoding=encoding, lineterminator="\n")


def errors_of(problems: Iterable[Problem]) -> list[Problem]:
    """The errors among ``problems``."""
    return [p for p in problems if p.is_error]


__all__ = [
    "MAX_PROBLEMS_PER_KIND",
    "DatasetError",
    "Problem",
    "check_dataset",
    "check_upload",
    "dataset_from_frames",
    "errors_of",
    "read_dataset",
    "write_dataset",
]
