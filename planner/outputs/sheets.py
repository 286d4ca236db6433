"""Writing cells to an xlsx sheet as values, never formulas: the primitives of every workbook epiplan writes.

Every text cell is written as a string, and a cell that a spreadsheet would read as a formula (it starts with
``=``, ``+``, ``-`` or ``@``, see :func:`is_formula_like`) also gets Excel's quote prefix, so it stays text even
when edited. Columns are sized to their content (CJK characters count double).
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.outputs.contract import plain

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""Text starting with one of these is a formula to a spreadsheet (OWASP CSV injection)."""
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_COLUMN_WIDTH = 60
XLSX_MIN_COLUMN_WIDTH = 6


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula."""
    return text.startswith(FORMULA_PREFIXES)


def starting_with(texts: list[str], prefixes: tuple[str, ...]) -> npt.NDArray[np.bool_]:
    """Per text, whether it starts with one of ``prefixes``: :func:`is_formula_like` for a whole column at once
    (Arrow's string kernels: a national plan's 1.5 million text cells, checked one by one, took seconds)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        column = pa.array(texts, type=pa.large_string())
    except (UnicodeError, pa.ArrowException):  # text Arrow cannot hold (a lone surrogate): one by one
        return np.fromiter((text.startswith(prefixes) for text in texts), bool, count=len(texts))
    found = np.zeros(len(texts), bool)
    for prefix in prefixes:
        found |= pc.starts_with(column, pattern=prefix).to_numpy(zero_copy_only=False)
    return found


def widest(texts: Iterable[str]) -> int:
    """The widest display width of ``texts`` (0 for none)."""
    return max((_display_width(text) for text in set(texts)), default=0)


def _display_width(text: str) -> int:
    """Columns ``text`` takes on screen: CJK characters count double."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


class SheetWriter:
    """Writes typed cell values to one worksheet and sizes its columns to their content."""

    def __init__(self, worksheet: Any, formats: Mapping[str, Any]) -> None:
        self.worksheet = worksheet
        self.formats = formats
        self.widths: dict[int, int] = {}

    def track(self, col: int, text: str) -> None:
        """Widen column ``col`` to fit ``text`` (up to the maximum width)."""
        width = self.widths.get(col, 0)
        if width < XLSX_MAX_COLUMN_WIDTH and len(text) * 2 > width:
            self.widths[col] = max(width, _display_width(text))

    def write(self, row: int, col: int, value: Any, bold: bool = False) -> None:
        """Write one value as a value (never a formula): text, number, boolean; NaN and None stay blank."""
        if value is None or value is pd.NA or value is pd.NaT:
            return
        if isinstance(value, Enum):
            value = value.value
        if isinstance(value, bool | np.bool_):
            self.worksheet.write_boolean(row, col, bool(value), self.formats["bold"] if bold else None)
            self.track(col, "FALSE")
        elif isinstance(value, int | np.integer | float | np.floating):
            if math.isfinite(value):
                self.worksheet.write_number(row, col, value, self.formats["bold" if bold else "number"])
                self.track(col, f"{value:g}")
            elif not math.isnan(value):  # an infinity, as text
                self.write(row, col, str(float(value)), bold)
        else:
            text = value if isinstance(value, str) else json.dumps(plain(value), ensure_ascii=False)
            style = "bold" if bold else "text"
            if is_formula_like(text):
                style += "_quoted"
            self.worksheet.write_string(row, col, text, self.formats[style])
            self.track(col, text)

    def write_column(self, first_row: int, col: int, column: pd.Series) -> None:
        """Write ``column`` downwards from ``first_row``: what :meth:`write` writes for each cell, with the type
        decided once for a column of numbers or booleans (a numpy dtype) instead of once a cell."""
        kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else "O"
        if kind == "b":
            write_boolean = self.worksheet.write_boolean
            for row, value in enumerate(column.tolist(), start=first_row):
                write_boolean(row, col, value, None)
            if len(column):
                self.track(col, "FALSE")
            return
        if kind not in "iuf":
            values = column.tolist()
            if values and all(type(value) is str for value in values):
                self._write_texts(first_row, col, values)
                return
            for row, value in enumerate(values, start=first_row):
                self.write(row, col, value)
            return
        values = column.tolist()
        numbers = column.to_numpy(np.float64)
        finite = np.isfinite(numbers)
        write_number, number = self.worksheet.write_number, self.formats["number"]
        for position in np.flatnonzero(finite).tolist():
            write_number(first_row + position, col, values[position], number)
        if finite.any():
            shown = numbers[finite]
            widest = max(_display_width(f"{value:g}") for value in set(shown.tolist()))
            if np.any((shown == 0) & np.signbit(shown)):  # a set keeps 0.0 or -0.0, not both; -0 is written "-0"
                widest = max(widest, len("-0"))
            self.track(col, "0" * widest)
        for position in np.flatnonzero(~finite).tolist():  # NaN stays blank, an infinity is text
            self.write(first_row + position, col, values[position])

    def _write_texts(self, first_row: int, col: int, texts: list[str]) -> None:
        """Write a column of text downwards as :meth:`write` writes each cell, its formula check and width once."""
        write_string, plain_text, quoted = (
            self.worksheet.write_string,
            self.formats["text"],
            self.formats["text_quoted"],
        )
        for row, (text, formula) in enumerate(zip(texts, starting_with(texts, FORMULA_PREFIXES).tolist(), strict=True)):
            write_string(first_row + row, col, text, quoted if formula else plain_text)
        self.track(col, "0" * widest(texts))

    def write_row(self, row: int, values: Iterable[Any], bold: bool = False) -> None:
        """Write ``values`` into ``row``, one per column from the first."""
        for col, value in enumerate(values):
            self.write(row, col, value, bold)

    def finish(self) -> None:
        """Size every column to its widest cell, within limits."""
        for col, width in self.widths.items():
            size = min(XLSX_MAX_COLUMN_WIDTH, max(XLSX_MIN_COLUMN_WIDTH, width + 2))
            self.worksheet.set_column(col, col, size)


def sheet_name(name: str, used: set[str], fallback: str = "table") -> str:
    """An Excel sheet name: at most 31 characters, none of ``[]:*?/\\``, no apostrophe at either end (Excel
    refuses them: ``Dongcheng'``), not the reserved ``History``, unique ignoring case (``used`` grows)."""
    cleaned = "".join("_" if char in "[]:*?/\\" else char for char in name)[:31].strip("' ") or fallback
    if cleaned.lower() == "history":
        cleaned = f"{cleaned}_"
    candidate, number = cleaned, 2
    while candidate.lower() in used:
        suffix = f"~{number}"
        candidate, number = cleaned[: 31 - len(suffix)] + suffix, number + 1
    used.add(candidate.lower())
    return candidate


TOTAL_WORDS = ("Total", "合计")


def is_chinese(frame: pd.DataFrame) -> bool:
    """True when a header of ``frame`` is not ASCII (the table is in Chinese)."""
    return any(not str(column).isascii() for column in frame.columns)


def formats(workbook: Any) -> dict[str, Any]:
    number = "#,##0.##"
    return {
        "bold": workbook.add_format({"bold": True, "num_format": number}),
        "bold_quoted": workbook.add_format({"bold": True, "quote_prefix": True}),
        "text": workbook.add_format({}),
        "text_quoted": workbook.add_format({"quote_prefix": True}),
        "number": workbook.add_format({"num_format": number}),
        "header": workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"}),
        "title": workbook.add_format({"bold": True, "font_size": 14}),
    }


__all__ = [
    "FORMULA_PREFIXES",
    "TOTAL_WORDS",
    "SheetWriter",
    "formats",
    "is_formula_like",
    "sheet_name",
    "starting_with",
    "widest",
]
