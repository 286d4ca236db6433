"""CSV files as text: the encoding found and named, then the records parsed within the reading limits.

Text may be UTF-8 (with or without a byte-order mark), GB18030 (what Excel writes in Chinese locales) or
UTF-16 with a byte-order mark (Excel's "Unicode text"); the encoding is detected, never guessed into
garbage. What is not such text is named for what it is: UTF-16 without a byte-order mark, UTF-32, a zip or
workbook saved under a ``.csv`` name, binary data.

Records are parsed with :mod:`csv` one at a time: blank records are skipped as they come (a file of
megabytes of blank lines costs no memory), and parsing stops at the row limit or the dataset's cell budget.
"""

from __future__ import annotations

import codecs
import csv
import io
import re

from planner.dataset.grid import HEADER_SEARCH_ROWS, Grid, locate_header
from planner.dataset.limits import Budget, ReadLimits, too_many_columns, too_many_rows
from planner.dataset.problems import MAX_PROBLEMS_PER_KIND, Problem

ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")
"""Tried in this order, strictly (after the byte-order marks of UTF-16)."""

_CJK = re.compile("[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_MOJIBAKE = re.compile("[\u0100-\u07ff]")
_SNIFF_LINES = 5
_BUDGET_EVERY = 1_000
"""Records between two checks of the dataset's cell budget."""
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip archive or an .xlsx workbook saved with a .csv name: give the .zip or .xlsx itself"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) workbook saved with a .csv name: save it as 'CSV UTF-8' or .xlsx"),
    (b"%PDF", "a PDF document, not CSV text"),
)


def _utf16_without_bom(sample: bytes) -> str | None:
    """``"little-endian"`` / ``"big-endian"`` when ``sample`` looks like UTF-16 text without a byte-order mark."""
    even, odd = sample[0::2], sample[1::2]
    if not even or not odd:
        return None
    zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zeros_odd > 0.3 and zeros_even < 0.05:
        return "little-endian"
    if zeros_even > 0.3 and zeros_odd < 0.05:
        return "big-endian"
    return None


def _not_text(data: bytes) -> str | None:
    """Why ``data`` is not CSV text in UTF-8 or GB18030 (``None`` when it may be)."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "UTF-32 text: save the file as 'CSV UTF-8' (or GB18030)"
    for signature, message in _SIGNATURES:
        if data.startswith(signature):
            return f"this is {message}"
    nul = data.find(b"\x00")
    if nul < 0:
        return None
    byte_order = _utf16_without_bom(data[:65536])
    if byte_order is not None:
        return f"UTF-16 text ({byte_order}, without a byte-order mark): save the file as 'CSV UTF-8' or GB18030"
    line = data[:nul].count(b"\n") + 1
    return f"binary data, not CSV text (a NUL byte on line {line}): save the table as 'CSV UTF-8'"


def detect_encoding(data: bytes, file: str, problems: list[Problem]) -> str | None:
    """The codec of CSV bytes; ``None`` plus a problem naming what was found when they are not text we read.

    Some GB18030 Chinese is also valid UTF-8 (医院 = ``d2bd d4ba`` reads as Cyrillic and Armenian
    letters). Text without a BOM that decodes as UTF-8 without any CJK character but with letters of
    U+0100-U+07FF (scripts a Chinese district file does not use) is taken as GB18030 when that
    reading holds Chinese. Latin-1 accents (``Café``) stay UTF-8.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not data.startswith(codecs.BOM_UTF32_LE):
        try:
            data.decode("utf-16")
        except UnicodeDecodeError as exc:
            message = f"UTF-16 text that does not decode (byte {exc.start}): save the file as 'CSV UTF-8'"
            problems.append(Problem(file, None, None, message))
            return None
        return "utf-16"
    reason = _not_text(data)
    if reason is not None:
        problems.append(Problem(file, None, None, reason))
        return None
    try:
        text = data.decode(ENCODINGS[0])
    except UnicodeDecodeError as exc:
        utf8_error: UnicodeDecodeError | None = exc
    else:
        if data.startswith(codecs.BOM_UTF8) or text.isascii() or _CJK.search(text) or not _MOJIBAKE.search(text):
            return ENCODINGS[0]
        utf8_error = None
        del text
    try:
        gb_chinese = _CJK.search(data.decode(ENCODINGS[1])) is not None
    except UnicodeDecodeError:
        gb_chinese = None
    if utf8_error is None:
        return ENCODINGS[1] if gb_chinese else ENCODINGS[0]
    if gb_chinese is not None:
        return ENCODINGS[1]
    line = data[: utf8_error.start].count(b"\n") + 1
    message = (
        f"unreadable text: neither UTF-8 nor GB18030 (byte 0x{data[utf8_error.start]:02x} on line {line}); "
        "save the file as 'CSV UTF-8'"
    )
    problems.append(Problem(file, None, None, message))
    return None


def decode(data: bytes, file: str, problems: list[Problem]) -> str | None:
    """CSV bytes as text (see :func:`detect_encoding`); ``None`` plus a problem when they are not text we read."""
    encoding = detect_encoding(data, file, problems)
    return None if encoding is None else data.decode(encoding)


def separator(text: str) -> str:
    """Comma, unless semicolons or tabs clearly dominate the first lines that hold a separator."""
    lines = [line for line in text[:65536].splitlines()[: _SNIFF_LINES * 4] if line.strip()][:_SNIFF_LINES]
    sample = "\n".join(lines)
    counts = {sep: sample.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[","] else ","


def _is_blank(record: list[str]) -> bool:
    """Whether every cell is empty or whitespace: their text joined is (``str.strip`` and ``str.isspace`` know the
    same whitespace), in one pass in C instead of a generator a cell."""
    return not "".join(record).strip()


class _Records:
    """Collects the non-blank records of one CSV file and what is wrong with them, within the limits."""

    def __init__(self, table: str, file: str, problems: list[Problem], limits: ReadLimits, budget: Budget) -> None:
        self.table, self.file, self.problems, self.limits, self.budget = table, file, problems, limits, budget
        self.grid = Grid([], [])
        self.width = 0
        self.wide_rows: list[tuple[int, int]] = []
        self.charged = 0
        self.failed = False

    def fail(self, row: int | None, message: str) -> None:
        self.problems.append(Problem(self.file, row, None, message))
        self.failed = True

    def add(self, row: int, record: list[str]) -> bool:
        """Keep ``record``; ``False`` when reading must stop (a limit is reached)."""
        if not self.grid.records:
            self.width = len(record)
            if self.width > self.limits.columns:
                self.fail(row, too_many_columns(self.width, self.limits))
                return False
        elif len(record) > self.width:
            if not any(cell.strip() for cell in record[self.width :]):
                record = record[: self.width]
            elif len(self.grid.records) < HEADER_SEARCH_ROWS and not self.wide_rows and self.below_title(row, record):
                return False
            else:
                self.wide_rows.append((row, len(record)))
                return True
        if len(self.grid.records) > self.limits.rows:
            self.fail(None, too_many_rows(self.limits))
            return False
        self.grid.records.append(record)
        self.grid.rows.append(row)
        if len(self.grid.records) % _BUDGET_EVERY == 0:
            return self.spend()
        return True

    def below_title(self, row: int, record: list[str]) -> bool:
        """Whether ``record``, wider than the first, is the table's header below a title (then reported)."""
        candidate = Grid([*self.grid.records, record], [*self.grid.rows, row])
        if locate_header(self.table, self.file, candidate, self.problems):
            return False
        self.failed = True
        return True

    def spend(self) -> bool:
        """Charge the cells kept since the last charge to the dataset's budget."""
        kept, self.charged = len(self.grid.records) - self.charged, len(self.grid.records)
        message = self.budget.spend_cells(kept * max(self.width, 1))
        if message is not None:
            self.fail(None, message)
            return False
        return True

    def report_wide_rows(self) -> None:
        for row, found in self.wide_rows[:MAX_PROBLEMS_PER_KIND]:
            message = f"expected {self.width} cells as in the header, found {found} (a comma inside an unquoted value?)"
            self.fail(row, message)
        extra = len(self.wide_rows) - MAX_PROBLEMS_PER_KIND
        if extra > 0:
            self.fail(None, f"... and {extra:,} more rows with more cells than the header")


def parse(
    table: str, file: str, data: bytes, encoding: str, problems: list[Problem], limits: ReadLimits, budget: Budget
) -> Grid | None:
    """The non-blank records of the CSV ``data`` of ``table``; ``None`` (with problems) when not readable.

    The text is decoded as it is parsed (never held whole); parsing stops at the first limit reached.
    """
    head = data[:65536].decode(encoding, errors="ignore")
    collected = _Records(table, file, problems, limits, budget)
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    reader = csv.reader(stream, delimiter=separator(head))
    row = 0
    try:
        for row, record in enumerate(reader, start=1):
            if not _is_blank(record) and not collected.add(row, record):
                return None
    except csv.Error as exc:
        reason = str(exc)
        if "field larger than field limit" in reason:
            reason = f"a cell longer than {csv.field_size_limit():,} characters (an unclosed quote?)"
        collected.fail(row + 1, f"cannot parse the CSV: {reason}")
        return None
    if collected.grid.records and not collected.spend():
        return None
    last = collected.grid.records[-1] if collected.grid.records else []
    ascii_quotes = encoding != "utf-16"  # a quote is one byte 0x22 in UTF-8 and GB18030, never part of another
    if ascii_quotes and data.count(b'"') % 2 and any("\n" in cell or "\r" in cell for cell in last):
        collected.fail(collected.grid.rows[-1], 'a quote (") opened in this row is never closed')
    collected.report_wide_rows()
    if collected.failed:
        return None
    if collected.grid.empty:
        problems.append(Problem(file, None, None, "the file is empty (expected a header row and data rows)"))
        return None
    return collected.grid


def read_csv_bytes(
    table: str, file: str, data: bytes, problems: list[Problem], limits: ReadLimits, budget: Budget
) -> Grid | None:
    """Decode and parse one CSV file's bytes; ``None`` (with a problem) when it cannot be read."""
    encoding = detect_encoding(data, file, problems)
    if encoding is None:
        return None
    return parse(table, file, data, encoding, problems, limits, budget)


__all__ = ["ENCODINGS", "decode", "detect_encoding", "parse", "read_csv_bytes", "separator"]
