"""The plan as an Excel workbook (``.xlsx``).

A ``Summary`` sheet first (stages, KPIs, scenario knobs, rules with value, unit and source), a ``Compliance``
sheet, then one sheet per table of ``planner.outputs.tables.plan_tables``; header row bold and frozen, columns
sized to their content, ids written as text (``007`` stays ``007``).

Cells are values, never formulas: every text cell is written as a string, and a cell that a spreadsheet would
read as a formula (it starts with ``=``, ``+``, ``-`` or ``@``, see :func:`is_formula_like`) also gets Excel's
quote prefix, so it stays text even when edited.
"""

from __future__ import annotations

import io
import json
import math
import unicodedata
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.outputs.contract import plain
from planner.outputs.plan_json import SCHEMA_ID
from planner.outputs.tables import plan_tables

if TYPE_CHECKING:
    from planner.report.plan import Plan

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""Text starting with one of these is a formula to a spreadsheet (OWASP CSV injection)."""
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_COLUMN_WIDTH = 60
XLSX_MIN_COLUMN_WIDTH = 6
SUMMARY_SHEET = "Summary"
COMPLIANCE_SHEET = "Compliance"


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula."""
    return text.startswith(FORMULA_PREFIXES)


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
                self.worksheet.write_number(row, col, value, self.formats["bold"] if bold else None)
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

    def write_row(self, row: int, values: Iterable[Any], bold: bool = False) -> None:
        """Write ``values`` into ``row``, one per column from the first."""
        for col, value in enumerate(values):
            self.write(row, col, value, bold)

    def finish(self) -> None:
        """Size every column to its widest cell, within limits."""
        for col, width in self.widths.items():
            size = min(XLSX_MAX_COLUMN_WIDTH, max(XLSX_MIN_COLUMN_WIDTH, width + 2))
            self.worksheet.set_column(col, col, size)


def _formats(workbook: Any) -> dict[str, Any]:
    return {
        "bold": workbook.add_format({"bold": True}),
        "bold_quoted": workbook.add_format({"bold": True, "quote_prefix": True}),
        "text": workbook.add_format({}),
        "text_quoted": workbook.add_format({"quote_prefix": True}),
        "header": workbook.add_format({"bold": True, "bottom": 1}),
    }


def sheet_name(name: str, used: set[str], fallback: str = "table") -> str:
    """An Excel sheet name: at most 31 characters, none of ``[]:*?/\\``, unique ignoring case (``used`` grows)."""
    cleaned = "".join("_" if char in "[]:*?/\\" else char for char in name)[:31] or fallback
    candidate, number = cleaned, 2
    while candidate.lower() in used:
        suffix = f"~{number}"
        candidate, number = cleaned[: 31 - len(suffix)] + suffix, number + 1
    used.add(candidate.lower())
    return candidate


def write_table_sheet(workbook: Any, formats: Mapping[str, Any], sheet: str, name: str, frame: pd.DataFrame) -> None:
    """One table on its own sheet: bold frozen header, filter, columns sized to content.

    Raises
    ------
    ValueError
        When the table has more rows than an Excel sheet holds.
    """
    if len(frame) + 1 > XLSX_MAX_ROWS:
        raise ValueError(f"table {name} has {len(frame)} rows, more than an Excel sheet holds: export a .zip of CSVs")
    worksheet = workbook.add_worksheet(sheet)
    writer = SheetWriter(worksheet, formats)
    for col, column in enumerate(frame.columns):
        worksheet.write_string(0, col, str(column), formats["header"])
        writer.track(col, str(column))
    for row, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        writer.write_row(row, values)
    worksheet.freeze_panes(1, 0)
    if len(frame.columns):
        worksheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
    worksheet.ignore_errors({"number_stored_as_text": "A1:XFD1048576"})
    writer.finish()


def _write_block(writer: SheetWriter, row: int, title: str, frame: pd.DataFrame) -> int:
    """A titled table on the summary sheet; returns the next free row."""
    writer.write(row, 0, title, bold=True)
    writer.write_row(row + 1, [str(c) for c in frame.columns], bold=True)
    for offset, values in enumerate(frame.itertuples(index=False, name=None), start=row + 2):
        writer.write_row(offset, values)
    return row + len(frame) + 3


def _write_summary(workbook: Any, formats: Mapping[str, Any], plan: Plan, tables: Mapping[str, pd.DataFrame]) -> None:
    """The first sheet: what was planned, how each stage solved, KPIs, scenario knobs and rules."""
    worksheet = workbook.add_worksheet(SUMMARY_SHEET)
    writer = SheetWriter(worksheet, formats)
    heading = [
        ("epiplan plan / 计划", SCHEMA_ID),
        ("dataset / 数据集", plan.dataset_name),
        ("sha256", plan.dataset_sha256),
        ("status / 状态", plan.status.value),
    ]
    for row, (label, value) in enumerate(heading):
        writer.write(row, 0, label, bold=True)
        writer.write(row, 1, value)
    row = len(heading) + 1
    row = _write_block(writer, row, "Stages / 阶段", tables["stages"])
    row = _write_block(writer, row, "KPIs / 指标", tables["kpis"])
    row = _write_block(writer, row, "Scenario / 情景", tables["scenario"])
    _write_block(writer, row, "Rules / 规则 (value, unit, source)", tables["rules"])
    worksheet.ignore_errors({"number_stored_as_text": "A1:XFD1048576"})
    writer.finish()


def write_workbook(plan: Plan, target: IO[bytes]) -> None:
    """The workbook into a binary file object: Summary, Compliance, then one sheet per table."""
    import xlsxwriter

    tables = plan_tables(plan)
    workbook = xlsxwriter.Workbook(
        target,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    formats = _formats(workbook)
    used = {SUMMARY_SHEET.lower(), COMPLIANCE_SHEET.lower()}
    _write_summary(workbook, formats, plan, tables)
    write_table_sheet(workbook, formats, COMPLIANCE_SHEET, "compliance", tables["compliance"])
    for name, frame in tables.items():
        if name != "compliance":
            write_table_sheet(workbook, formats, sheet_name(name, used), name, frame)
    workbook.close()


def to_xlsx_bytes(plan: Plan) -> bytes:
    """The workbook as bytes (for a download button)."""
    buffer = io.BytesIO()
    write_workbook(plan, buffer)
    return buffer.getvalue()


__all__ = [
    "COMPLIANCE_SHEET",
    "SUMMARY_SHEET",
    "SheetWriter",
    "is_formula_like",
    "sheet_name",
    "to_xlsx_bytes",
    "write_table_sheet",
    "write_workbook",
]
