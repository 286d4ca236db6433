"""Workbooks (``.xlsx``): every sheet streamed into a :class:`~planner.dataset.grid.Grid` within the limits.

A workbook is a zip of XML files, so it is checked as one before any cell is parsed: the number of members,
each member's declared size (a sheet that inflates to gigabytes is refused from its header), and the rows
of each sheet counted on its XML as it streams (a sheet of 200,000 rows is refused in a second, not parsed
for a minute). Cells are then read with :mod:`openpyxl` in read-only mode, one row at a time.

A formula's cell holds the value Excel last computed; a workbook written by a program that does not compute
(or saved without calculating) has formulas without values: those cells are named with their formula, not
reported as "missing value".
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO
from xml.etree import ElementTree

from planner.dataset.grid import Grid
from planner.dataset.limits import Budget, ReadLimits, file_too_large, too_many_columns, too_many_rows
from planner.dataset.problems import MAX_PROBLEMS_PER_KIND, Problem

_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_CHUNK = 1 << 20
_OVERLAP = 64
_SMALL_XML = 4 * 1024 * 1024
"""Largest workbook.xml or relationships file parsed to map sheet names to their XML."""


class WorkbookError(ValueError):
    """A workbook that cannot be read at all (the message says why)."""


@dataclass
class _SheetScan:
    """What streaming a sheet's XML found: its row elements and whether it holds formulas."""

    rows: int = 0
    formulas: bool = False


@dataclass
class Sheet:
    """One sheet as read: its name and grid (``None`` when it could not be read; its problems say why)."""

    name: str
    grid: Grid | None
    problems: list[Problem] = field(default_factory=list)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sheet_paths(bundle: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> XML member (best effort: an unusual workbook gives an empty mapping)."""
    names = {info.filename: info for info in bundle.infolist()}
    book, rels = names.get("xl/workbook.xml"), names.get("xl/_rels/workbook.xml.rels")
    if book is None or rels is None or book.file_size > _SMALL_XML or rels.file_size > _SMALL_XML:
        return {}
    try:
        targets = {}
        for element in ElementTree.fromstring(bundle.read(rels)):
            target = element.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            targets[element.get("Id", "")] = path
        paths = {}
        for element in ElementTree.fromstring(bundle.read(book)).iter():
            if _local(element.tag) == "sheet":
                rel = next((value for key, value in element.attrib.items() if _local(key) == "id"), "")
                paths[element.get("name", "")] = targets.get(rel, "")
        return paths
    except (ElementTree.ParseError, KeyError, OSError, zipfile.BadZipFile):
        return {}


def _scan(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ReadLimits) -> _SheetScan:
    """Count the row elements of a sheet's XML as it streams (stops past the row limit); spot formulas."""
    scan = _SheetScan()
    tail = b""
    inflated = 0
    with bundle.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            inflated += len(chunk)
            if inflated > limits.file_bytes:
                raise WorkbookError(file_too_large(inflated, limits, f"the sheet XML {info.filename}") or "")
            window = tail + chunk  # a tag cut by the chunk boundary is whole in the window; the tail was counted
            scan.rows += len(_ROW.findall(window)) - len(_ROW.findall(tail))
            scan.formulas = scan.formulas or _FORMULA.search(window) is not None
            tail = window[-_OVERLAP:]
            if scan.rows > limits.rows + 1:
                break
    return scan


def _check_members(bundle: zipfile.ZipFile, limits: ReadLimits, budget: Budget) -> None:
    members = bundle.infolist()
    if len(members) > limits.members:
        raise WorkbookError(f"{len(members):,} files inside, above the limit of {limits.members:,}")
    for info in members:
        too_large = file_too_large(info.file_size, limits, f"its part {info.filename} (once inflated)")
        if too_large:
            raise WorkbookError(too_large)
        over_budget = budget.spend_bytes(info.file_size)
        if over_budget:
            raise WorkbookError(over_budget)


def cell_text(value: Any) -> str:
    """A cell's value as the text a CSV of it would hold (whole floats without ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)


def _rows(worksheet: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    worksheet.reset_dimensions()  # a wrong <dimension> would pad every row (or drop the first ones)
    yield from enumerate(worksheet.iter_rows(min_row=1, min_col=1, values_only=True), start=1)


def _grid(file: str, worksheet: Any, limits: ReadLimits, budget: Budget, problems: list[Problem]) -> Grid | None:
    grid = Grid([], [])
    for row, values in _rows(worksheet):
        if len(values) > limits.columns:
            problems.append(Problem(file, row, None, too_many_columns(len(values), limits)))
            return None
        record = [cell_text(value) for value in values]
        if not any(cell and not cell.isspace() for cell in record):
            continue
        if len(grid.records) > limits.rows:
            problems.append(Problem(file, None, None, too_many_rows(limits)))
            return None
        over_budget = budget.spend_cells(len(record))
        if over_budget:
            problems.append(Problem(file, None, None, over_budget))
            return None
        grid.records.append(record)
        grid.rows.append(row)
    return grid


def _formulas_without_values(file: str, worksheet: Any, grid: Grid, problems: list[Problem]) -> bool:
    """Report formula cells whose value was never computed; whether there was any."""
    position = {row: index for index, row in enumerate(grid.rows)}
    found: list[tuple[int, str, str]] = []
    for row in worksheet.iter_rows(min_row=1, min_col=1):
        for cell in row:
            if getattr(cell, "data_type", None) != "f":
                continue
            index = position.get(cell.row)
            record = grid.records[index] if index is not None else []
            if cell.column > len(record) or not record[cell.column - 1].strip():
                found.append((cell.row, cell.coordinate, str(getattr(cell.value, "text", cell.value))))
    for row, coordinate, formula in found[:MAX_PROBLEMS_PER_KIND]:
        message = (
            f"cell {coordinate} holds the formula {formula} without a saved value: open the workbook in Excel "
            "and save it (or paste the values) so that the value is stored"
        )
        problems.append(Problem(file, row, None, message))
    if len(found) > MAX_PROBLEMS_PER_KIND:
        more = len(found) - MAX_PROBLEMS_PER_KIND
        problems.append(Problem(file, None, None, f"... and {more:,} more formulas without a saved value"))
    return bool(found)


def read_sheets(
    book: Path | BinaryIO, label: str, limits: ReadLimits, budget: Budget, wanted: Callable[[str], bool]
) -> list[Sheet]:
    """Every sheet of the workbook ``book``, the cells of those ``wanted`` read; raises :class:`WorkbookError`."""
    import openpyxl  # imported here: only workbooks need it

    try:
        bundle = zipfile.ZipFile(book)
    except (zipfile.BadZipFile, OSError) as exc:
        raise WorkbookError(f"not an .xlsx workbook ({exc})") from None
    with bundle:
        _check_members(bundle, limits, budget)
        paths = _sheet_paths(bundle)
        members = {info.filename: info for info in bundle.infolist()}
        scans = {path: _scan(bundle, members[path], limits) for path in set(paths.values()) if path in members}
    if isinstance(book, io.IOBase):
        book.seek(0)
    try:
        workbook = openpyxl.load_workbook(book, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many types on a damaged workbook; all mean "cannot read it"
        raise WorkbookError(str(exc) or type(exc).__name__) from None
    sheets: list[Sheet] = []
    formula_sheets: list[Sheet] = []
    try:
        for name in workbook.sheetnames:
            sheet = Sheet(name, None)
            file = f"{label}:{name}"
            scan = scans.get(paths.get(name, ""), _SheetScan())
            if not wanted(name) or budget.exceeded:
                pass
            elif scan.rows > limits.rows + 1:
                sheet.problems.append(Problem(file, None, None, too_many_rows(limits)))
            else:
                sheet.grid = _grid(file, workbook[name], limits, budget, sheet.problems)
                if sheet.grid is not None and (scan.formulas or name not in paths):
                    formula_sheets.append(sheet)
            sheets.append(sheet)
    finally:
        workbook.close()
    if formula_sheets:
        _check_formulas(book, label, formula_sheets)
    return sheets


def _check_formulas(book: Path | BinaryIO, label: str, sheets: list[Sheet]) -> None:
    """Second pass, formulas kept as formulas: a sheet with a formula lacking its value is not read."""
    import openpyxl

    if isinstance(book, io.IOBase):
        book.seek(0)
    workbook = openpyxl.load_workbook(book, read_only=True, data_only=False, keep_links=False)
    try:
        for sheet in sheets:
            assert sheet.grid is not None
            if _formulas_without_values(f"{label}:{sheet.name}", workbook[sheet.name], sheet.grid, sheet.problems):
                sheet.grid = None
    finally:
        workbook.close()


__all__ = ["Sheet", "WorkbookError", "cell_text", "read_sheets"]
