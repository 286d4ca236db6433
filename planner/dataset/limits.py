"""How much input a dataset may be: the one place where the reading limits are set.

Every limit is checked while the input is read, before anything large is held in memory: the size of a
file is checked before it is read, a zip member's declared size before it is inflated and its actual size
while it streams (a zip bomb stops at the limit), the rows of a CSV file while it is parsed (blank lines
count toward nothing but the file's size) and those of a workbook's sheet before its cells are parsed. With
the defaults, ``epiplan validate`` stays well under 1 GB of memory on any input; the national sample
(``epiplan sample --scale national``: 22 MB, 40,000 rows in its largest table, 2 million cells) reads
within them with room to spare.

Each limit can be changed with an environment variable (for the command line and the app alike); the
app's upload limit (``server.maxUploadSize`` in ``.streamlit/config.toml``) matches :attr:`file_mb`:

=============================  =========  =====================================================
variable                       default    what it limits
=============================  =========  =====================================================
``EPIPLAN_MAX_FILE_MB``        32         one file: a CSV file, a workbook or zip, and each
                                          member of a workbook or zip once inflated
``EPIPLAN_MAX_DATASET_MB``     64         all the tables of a dataset together, once inflated
``EPIPLAN_MAX_ROWS``           200000     data rows of one table (blank rows not counted)
``EPIPLAN_MAX_COLUMNS``        200        columns of one table
``EPIPLAN_MAX_CELLS``          5000000    cells (rows x columns) of all tables together
``EPIPLAN_MAX_MEMBERS``        1000       files inside one zip or workbook
=============================  =========  =====================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from planner.errors import ProblemsError

MB = 1024 * 1024

ENVIRONMENT: dict[str, str] = {
    "file_mb": "EPIPLAN_MAX_FILE_MB",
    "dataset_mb": "EPIPLAN_MAX_DATASET_MB",
    "rows": "EPIPLAN_MAX_ROWS",
    "columns": "EPIPLAN_MAX_COLUMNS",
    "cells": "EPIPLAN_MAX_CELLS",
    "members": "EPIPLAN_MAX_MEMBERS",
}
"""The environment variable of each limit."""


PAIRS_MAX = 10_000_000
"""Pairs of places one family of a plan's arcs may hold (care homes -> observation sites within the transfer limit,
stations -> care homes of a district): 25 times the national sample's largest (404,271). 20,000 homes and 5,000
sites at one spot (100 million pairs) took 11 GB and failed after 3 minutes; 8,000 and 2,000 (16 million, above
this limit) planned in 2.5 GB as a snapshot, 5.3 GB day by day over 14 days and 6.3 GB over 60. Past the limit the
plan is refused by name before its pairs are held (:class:`PlanTooLargeError`)."""


class PlanTooLargeError(ProblemsError):
    """A dataset that validation accepts but whose plan would list more than :data:`PAIRS_MAX` pairs of places;
    ``problems`` says which, how many and what would bring them within the limit."""


def check_pairs(count: int, what: str, advice: str) -> None:
    """Raise :class:`PlanTooLargeError` when ``count`` pairs of ``what`` pass :data:`PAIRS_MAX`."""
    if count > PAIRS_MAX:
        raise PlanTooLargeError(
            [f"{what}: {count:,} pairs, above the {PAIRS_MAX:,} a plan lists; {advice} (nothing was solved)"]
        )


class LimitsError(ValueError):
    """An environment variable that does not hold a usable limit."""


@dataclass(frozen=True)
class ReadLimits:
    """Reading limits (see the module's table); every one a whole number > 0."""

    file_mb: int = 32
    dataset_mb: int = 64
    rows: int = 200_000
    columns: int = 200
    cells: int = 5_000_000
    members: int = 1_000

    @property
    def file_bytes(self) -> int:
        return self.file_mb * MB

    @property
    def dataset_bytes(self) -> int:
        return self.dataset_mb * MB

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ReadLimits:
        """The defaults, with every limit set in the environment applied; raises :class:`LimitsError`."""
        environ = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for item in fields(cls):
            raw = environ.get(ENVIRONMENT[item.name], "").strip()
            if not raw:
                continue
            try:
                value = int(raw.replace("_", "").replace(",", ""))
            except ValueError:
                value = 0
            if value <= 0:
                raise LimitsError(f"{ENVIRONMENT[item.name]}: expected a whole number > 0, got {raw!r}")
            values[item.name] = value
        return cls(**values)


@dataclass
class Budget:
    """What a dataset has used of the dataset-wide limits so far, as its files are read."""

    limits: ReadLimits
    bytes: int = 0
    cells: int = 0
    exceeded: bool = False
    """Set when a dataset-wide limit is passed: reading stops there (the message is given once)."""

    def spend_bytes(self, count: int) -> str | None:
        """Count ``count`` more bytes; a message when the dataset now exceeds its size limit."""
        self.bytes += count
        if self.bytes > self.limits.dataset_bytes and not self.exceeded:
            self.exceeded = True
            return (
                f"the dataset is larger than the limit of {self.limits.dataset_mb:,} MB for all tables together "
                f"({ENVIRONMENT['dataset_mb']})"
            )
        return None

    def spend_cells(self, count: int) -> str | None:
        """Count ``count`` more cells; a message when the dataset now exceeds its cell limit."""
        self.cells += count
        if self.cells > self.limits.cells and not self.exceeded:
            self.exceeded = True
            return (
                f"the dataset has more than the limit of {self.limits.cells:,} cells (rows x columns) for all "
                f"tables together ({ENVIRONMENT['cells']})"
            )
        return None


def file_too_large(size: int, limits: ReadLimits, what: str = "the file") -> str | None:
    """A message when ``size`` bytes exceed the limit for one file, else ``None``."""
    if size <= limits.file_bytes:
        return None
    return (
        f"{what} is {size / MB:,.1f} MB, above the limit of {limits.file_mb:,} MB for one file "
        f"({ENVIRONMENT['file_mb']})"
    )


def too_many_rows(limits: ReadLimits) -> str:
    return f"more than {limits.rows:,} data rows, the limit for one table ({ENVIRONMENT['rows']})"


def too_many_columns(count: int, limits: ReadLimits) -> str:
    return f"{count:,} columns, above the limit of {limits.columns:,} for one table ({ENVIRONMENT['columns']})"


__all__ = [
    "ENVIRONMENT",
    "MB",
    "Budget",
    "LimitsError",
    "ReadLimits",
    "file_too_large",
    "too_many_columns",
    "too_many_rows",
]
