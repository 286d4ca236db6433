"""Tables too long for a sheet a coordinator reads, summarised by district (the full rows go to CSV beside it).

A national plan has tables of hundreds of thousands of rows (the checklist, drug targets, sampling points): a
sheet of them is neither readable nor quick to write. The workbook shows such a table (more than
:data:`SHEET_ROWS_MAX` rows) as one row per district: how many rows of the full table fall in the district and
the totals of the columns that add up (persons, nurses, packs, ...); ``planner.outputs.files`` writes the full
tables as CSV in a zip beside the workbook (``plan.xlsx`` -> ``plan.details.zip``).

A row's district is its ``district_id`` when the table has one, else that of the first id column the dataset
places (a home, street, site, institution, pool, depot or lab, or a checklist scope such as ``CH0001:tcm``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np
import pandas as pd

from planner.outputs.distinct import mapped

SHEET_ROWS_MAX = 20_000
"""Rows beyond which a table is summarised by district on its sheet. A sheet of 20,000 rows is already past
reading; each cell costs xlsxwriter about 8 microseconds. National sample (on the 2026-12-06 machine): 2.63
million cells and 30.7 s for the workbook and its details at 50,000 rows."""
DETAIL_ROWS = "detail_rows"
"""The summary's column: rows of the full table in the district."""
UNPLACED = ""
"""The district of rows no id places (shown as an empty district)."""


def oversized(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """Names of the tables with more than :data:`SHEET_ROWS_MAX` rows."""
    return [name for name, frame in tables.items() if len(frame) > SHEET_ROWS_MAX]


def row_districts(frame: pd.DataFrame, district_of: Mapping[str, str]) -> pd.Series:
    """The district of every row (module docstring); :data:`UNPLACED` where nothing places it."""
    if "district_id" in frame.columns:
        return frame["district_id"].astype(str)
    placed = pd.Series(UNPLACED, index=frame.index, dtype=object)
    for column in frame.columns:
        key = str(column)
        if not (key.endswith("_id") or key == "scope_id"):
            continue
        found = mapped(
            frame[column], functools.partial(_districts_of, district_of=district_of, scoped=key == "scope_id")
        )
        placed = placed.where(placed != UNPLACED, found.fillna(UNPLACED))
        if not (placed == UNPLACED).any():
            break
    return placed


def _districts_of(ids: pd.Series, district_of: Mapping[str, str], scoped: bool) -> pd.Series:
    """The district of each id (missing where none; a scope's id is its part before ``:``)."""
    texts = ids.astype(str)
    if scoped:
        texts = texts.str.partition(":")[0]
    return pd.Series([district_of.get(text) for text in texts.tolist()], index=ids.index, dtype=object)


def summarised_by_district(frame: pd.DataFrame, district_of: Mapping[str, str], additive: list[str]) -> pd.DataFrame:
    """One row per district: ``district_id``, :data:`DETAIL_ROWS` and the sums of the ``additive`` columns."""
    districts = row_districts(frame, district_of)
    sums = [c for c in additive if c in frame.columns and c != "district_id"]
    numbers = frame[sums].apply(pd.to_numeric, errors="coerce").fillna(0) if sums else pd.DataFrame(index=frame.index)
    grouped = numbers.assign(**{DETAIL_ROWS: np.ones(len(frame), np.int64)}).groupby(districts.to_numpy(), sort=True)
    summary = grouped.sum().reset_index(names="district_id")
    return summary[["district_id", DETAIL_ROWS, *sums]]


def details_path_name(workbook_name: str) -> str:
    """The zip of the full tables beside a workbook: ``plan.xlsx`` -> ``plan.details.zip``."""
    stem = workbook_name[: -len(".xlsx")] if workbook_name.lower().endswith(".xlsx") else workbook_name
    return f"{stem}.details.zip"


__all__ = [
    "DETAIL_ROWS",
    "SHEET_ROWS_MAX",
    "details_path_name",
    "oversized",
    "row_districts",
    "summarised_by_district",
]
