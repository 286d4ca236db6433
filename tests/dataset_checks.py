"""Helpers of the dataset tests: the problems of a folder, a cell set by spreadsheet row, two datasets compared."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from planner.dataset.io import check_dataset
from planner.dataset.problems import Problem
from planner.dataset.schema import TABLES, Dataset

Frames = dict[str, pd.DataFrame]
WriteTables = Callable[..., Path]
ErrorsAfter = Callable[[Frames], list[Problem]]


def problems_of(folder: Path) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) of the dataset in ``folder``."""
    _, problems = check_dataset(folder)
    return [p for p in problems if p.is_error], [p for p in problems if not p.is_error]


def set_cell(tables: Frames, table: str, data_row: int, column: str, value: str) -> None:
    """Set a cell; ``data_row`` 0 is spreadsheet row 2."""
    tables[table].loc[data_row, column] = value


def assert_same_tables(left: Dataset, right: Dataset) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(left.table(name), right.table(name), check_exact=True)
    assert left.sha256 == right.sha256 == left.content_hash()
