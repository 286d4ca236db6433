"""Problems of a dataset: each located as a spreadsheet user would find it, errors apart from warnings.

A :class:`Problem` names the file (or ``book.xlsx:sheet``), the row as a spreadsheet shows it (header = row 1,
first data row = 2; ``None`` for a whole-table problem), the column, and what is wrong in plain words::

    care_homes.csv  row 7  disabled     disabled (45) > residents (40)
    care_homes.csv  row 9  street_id    unknown street_id 'S999' (not in streets.csv)

Errors stop the dataset from being used; warnings (``severity="warning"``) report what is merely odd.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

MAX_PROBLEMS_PER_KIND = 20
"""Problems listed per (file, column, kind of problem); the rest are summarised in one line."""


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


def report_bad_rows(
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


def errors_of(problems: Iterable[Problem]) -> list[Problem]:
    """The errors among ``problems``."""
    return [p for p in problems if p.is_error]


__all__ = ["MAX_PROBLEMS_PER_KIND", "DatasetError", "Problem", "errors_of", "report_bad_rows"]
