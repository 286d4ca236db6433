"""A table as read, before its header is known to be right: the non-blank records and their spreadsheet rows.

Readers (:mod:`planner.dataset.csv_text` for CSV text, :mod:`planner.dataset.sheets` for workbooks) turn a
file into a :class:`Grid`: every record that holds a non-blank cell, with the row a spreadsheet shows for it
(blank rows are skipped but keep their numbers). :func:`locate_header` then checks that the first record is
the header; a title above the header (``东城区养老机构名单 2023``, often a merged cell) is one problem that
names the header's row, not a list of every column "missing".
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.dataset.problems import Problem
from planner.dataset.schema import TABLES

HEADER_SEARCH_ROWS = 10
"""Records looked at for a header below title rows."""


@dataclass
class Grid:
    """The non-blank records of a table (cells as text, ragged) and the spreadsheet row of each."""

    records: list[list[str]]
    rows: list[int]

    @property
    def empty(self) -> bool:
        return not self.records


def _names(record: list[str]) -> set[str]:
    return {cell.strip().lower() for cell in record if cell.strip()}


def locate_header(table: str, file: str, grid: Grid, problems: list[Problem]) -> bool:
    """Whether the grid's first record can be taken as the header of ``table``.

    A first record that names no column of the table, above a record that names at least two of its
    required columns within the first :data:`HEADER_SEARCH_ROWS` records, is a title: one error names
    the header's row, and the table is not read (its rows would be numbered wrongly).
    """
    spec = TABLES.get(table)
    if spec is None or grid.empty:
        return True
    known = {column.name for column in spec.all_columns()}
    if _names(grid.records[0]) & known:
        return True
    required = set(spec.required_columns)
    for position in range(1, min(HEADER_SEARCH_ROWS, len(grid.records))):
        if len(_names(grid.records[position]) & required) >= min(2, len(required)):
            header_row = grid.rows[position]
            title = " ".join(cell.strip() for cell in grid.records[0] if cell.strip())
            shown = title if len(title) <= 60 else title[:57] + "..."
            above = "row 1" if header_row == 2 else f"rows 1-{header_row - 1}"
            message = (
                f"the header is on row {header_row}, below a title ('{shown}'): delete {above} so that the header "
                "is the first row"
            )
            problems.append(Problem(file, grid.rows[0], None, message))
            return False
    return True


__all__ = ["HEADER_SEARCH_ROWS", "Grid", "locate_header"]
