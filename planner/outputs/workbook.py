"""The plan as the Excel workbook a coordinator forwards (``.xlsx``), in one language.

A cover sheet first (``planner.outputs.cover``: dataset, preset and level, knobs, each stage's status, the key
figures, each rule with its clause and document title), then the compliance checklist, each stage's tables in
the order of the stage registry, the explanations of the shortfalls and what more resources would buy — sheet
names, headers and coded values in English or Chinese, names beside ids, rounded numbers with their units in the
headers, header rows frozen, columns sized to their content, a total row where numbers add up
(``planner.outputs.coordinator``). Ids are written as text (``007`` stays ``007``). The machine-readable exports
(JSON, zip of CSVs) keep the English keys.

Cells are values, never formulas: every text cell is written as a string, and a cell that a spreadsheet would
read as a formula (it starts with ``=``, ``+``, ``-`` or ``@``, see :func:`is_formula_like`) also gets Excel's
quote prefix, so it stays text even when edited.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

import pandas as pd

from planner.outputs.by_district import SHEET_ROWS_MAX, summarised_by_district
from planner.outputs.coordinator import Naming, additive_columns, coordinator_table, total_columns
from planner.outputs.cover import write_cover
from planner.outputs.sheets import (
    TOTAL_WORDS,
    XLSX_MAX_ROWS,
    SheetWriter,
    formats,
    is_chinese,
    is_formula_like,
    sheet_name,
)
from planner.outputs.tables import plan_tables
from planner.report.labels import table_label

if TYPE_CHECKING:
    from planner.report.plan import Plan


def write_table_sheet(
    workbook: Any, formats: Mapping[str, Any], sheet: str, name: str, frame: pd.DataFrame, totals: Mapping[str, float]
) -> None:
    """One table on its own sheet: bold wrapped header, frozen header row and first column, filter, columns sized
    to content, numbers with thousands separators, and a bold total row for the columns that add up.

    Raises
    ------
    ValueError
        When the table has more rows than an Excel sheet holds.
    """
    if len(frame) + 2 > XLSX_MAX_ROWS:
        raise ValueError(f"table {name} has {len(frame)} rows, more than an Excel sheet holds: export a .zip of CSVs")
    worksheet = workbook.add_worksheet(sheet)
    writer = SheetWriter(worksheet, formats)
    for col, column in enumerate(frame.columns):
        worksheet.write_string(0, col, str(column), formats["header"])
        writer.track(col, str(column)[:24])
    for col in range(len(frame.columns)):
        writer.write_column(1, col, frame.iloc[:, col])
    if totals and len(frame):
        last = len(frame) + 1
        writer.write(last, 0, TOTAL_WORDS[1 if is_chinese(frame) else 0], bold=True)
        for col, column in enumerate(frame.columns):
            if str(column) in totals:
                writer.write(last, col, totals[str(column)], bold=True)
    worksheet.freeze_panes(1, 1 if len(frame.columns) > 3 else 0)
    worksheet.set_row(0, 32)
    if len(frame.columns):
        worksheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
    worksheet.ignore_errors({"number_stored_as_text": "A1:XFD1048576"})
    writer.finish()


COVER_ONLY: frozenset[str] = frozenset({"kpis", "scenario", "rules", "stages", "phases", "observation_marginal"})
"""Tables on the cover sheet (or replaced by the marginal-value sentences), not on a sheet of their own."""


def workbook_tables(
    plan: Plan,
    naming: Naming,
    border: pd.DataFrame | None = None,
    district_of: Mapping[str, str] | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> list[tuple[str, pd.DataFrame, dict[str, float]]]:
    """``(table name, coordinator table, totals)`` of every sheet after the cover: compliance, each stage's
    tables in the registry's order, the explanations and what more resources would buy; for a district's part
    (``planner.report.district``), what crosses its border. With ``district_of`` (id -> district), a table of
    more than :data:`~planner.outputs.by_district.SHEET_ROWS_MAX` rows is summarised by district
    (``planner.outputs.by_district``; its full rows go to the details zip beside the workbook). ``tables``: the
    plan's tables when the caller has them already (``planner.outputs.tables.plan_tables``)."""
    tables = dict(plan_tables(plan) if tables is None else tables)
    if border is not None:
        tables = {"border": border, **tables}
    order = ["compliance", *(n for n in tables if n not in COVER_ONLY and n != "compliance")]
    sheets = []
    for name in order:
        raw = tables[name]
        if district_of is not None and len(raw) > SHEET_ROWS_MAX:
            raw = summarised_by_district(raw, district_of, additive_columns(name, raw))
        sheets.append((name, coordinator_table(name, raw, naming), total_columns(name, raw, naming.language)))
    return sheets


def write_workbook(
    plan: Plan,
    target: IO[bytes],
    language: str = "en",
    names: Mapping[str, str] | None = None,
    border: pd.DataFrame | None = None,
    district_of: Mapping[str, str] | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> None:
    """The plan a coordinator forwards, in ``language``: a cover sheet (``planner.outputs.cover``), then the
    compliance checklist, each stage's tables, the explanations and the marginal values, one sheet each, with
    names beside ids (``names``: id -> display name in that language); ``border``: a district's flows across its
    border (``planner.report.district.border_flows``), on a sheet after the checklist; ``district_of`` (id ->
    district): long tables summarised by district (:func:`workbook_tables`); ``tables``: the plan's tables, if
    the caller has them."""
    import xlsxwriter

    naming = Naming(language, dict(names or {}))
    workbook = xlsxwriter.Workbook(
        target,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    styles = formats(workbook)
    used = {table_label("summary", language).lower()}
    write_cover(workbook, styles, plan, naming, table_label("summary", language))
    for name, frame, totals in workbook_tables(plan, naming, border, district_of, tables):
        write_table_sheet(workbook, styles, sheet_name(table_label(name, language), used), name, frame, totals)
    workbook.close()


def to_xlsx_bytes(
    plan: Plan, language: str = "en", names: Mapping[str, str] | None = None, border: pd.DataFrame | None = None
) -> bytes:
    """The workbook as bytes (for a download button)."""
    buffer = io.BytesIO()
    write_workbook(plan, buffer, language, names, border)
    return buffer.getvalue()


__all__ = [
    "SheetWriter",
    "is_formula_like",
    "sheet_name",
    "to_xlsx_bytes",
    "workbook_tables",
    "write_table_sheet",
    "write_workbook",
]
