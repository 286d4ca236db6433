"""The ``forecast`` table's own checks: one id per row, one row per day and place, totals that fit.

A forecast row (``day, district_id, home_id, new_infections``) gives the new infections of one day in one district
*or* one care home (issue 12); its columns are converted and its ids checked against ``districts`` and
``care_homes`` like every table's (:mod:`planner.dataset.validation`). What only this table has:

- **one id per row** (error): a row with both ``district_id`` and ``home_id``, or with neither; a file with
  neither column is one problem;
- **one row per day and place** (error): a second row for the same day and the same district (or care home)
  names the first one's row;
- **more infections than people** (warning): a care home's forecast over the horizon above its residents, a
  district's above its population.

Days beyond the scenario's horizon can only be judged with a scenario: ``Scenario.validate_against``.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from planner.dataset.crosscheck import ConvertedTable
from planner.dataset.problems import Problem, report_bad_rows

FORECAST = "forecast"
ID_COLUMNS: tuple[str, str] = ("district_id", "home_id")
PEOPLE: dict[str, tuple[str, str, str]] = {
    "district_id": ("districts", "population", "its population"),
    "home_id": ("care_homes", "residents", "its residents"),
}
"""Per id column: the table it names, the column counting its people, and how a message says it."""


def _given(table: ConvertedTable, column: str) -> np.ndarray:
    """Rows where ``column`` holds an id (absent columns hold none)."""
    if column not in table.present:
        return np.zeros(len(table.rows), dtype=bool)
    return table.valid[column] & (table.values[column] != "")


def _check_one_id(table: ConvertedTable, file_columns: Collection[str], problems: list[Problem]) -> None:
    district, home = _given(table, "district_id"), _given(table, "home_id")
    given_columns = [c for c in ID_COLUMNS if c in file_columns]
    if not given_columns:
        message = "missing column: each forecast row names a district_id or a home_id (add one of the two columns)"
        problems.append(Problem(table.file, None, "district_id", message))
        return
    districts, homes = table.values["district_id"], table.values["home_id"]
    report_bad_rows(
        problems,
        table.file,
        "home_id",
        district & home,
        table.rows,
        lambda i: f"both district_id '{districts[i]}' and home_id '{homes[i]}': give one of the two per row",
    )
    report_bad_rows(
        problems,
        table.file,
        given_columns[0],
        ~district & ~home,
        table.rows,
        lambda i: "neither district_id nor home_id: give one of the two per row",
    )


def _check_duplicates(table: ConvertedTable, problems: list[Problem]) -> None:
    if "day" not in table.present:
        return
    district, home = _given(table, "district_id"), _given(table, "home_id")
    _report_duplicates(table, "district_id", district & ~home & table.valid["day"], problems)
    _report_duplicates(table, "home_id", home & ~district & table.valid["day"], problems)


def _report_duplicates(table: ConvertedTable, column: str, usable: np.ndarray, problems: list[Problem]) -> None:
    """Among the ``usable`` rows naming ``column``, each later row of the same id and day is an error."""
    if usable.sum() < 2:
        return
    ids, days = table.values[column], table.values["day"]
    positions = np.flatnonzero(usable)
    keys = pd.DataFrame({"id": ids[positions], "day": days[positions], "row": table.rows[positions]})
    later = np.zeros(len(table.rows), dtype=bool)
    later[positions[keys.duplicated(["id", "day"], keep="first").to_numpy()]] = True
    first_row = np.zeros(len(table.rows), dtype=np.int64)
    first_row[positions] = keys.groupby(["id", "day"])["row"].transform("min").to_numpy()
    report_bad_rows(
        problems,
        table.file,
        column,
        later,
        table.rows,
        lambda i: f"a second row for {column} '{ids[i]}' on day {days[i]} (also row {first_row[i]})",
    )


def _check_people(table: ConvertedTable, tables: dict[str, ConvertedTable], problems: list[Problem]) -> None:
    """A place's forecast over every day above its people: a warning on the place's last forecast row."""
    if "new_infections" not in table.present:
        return
    for column, (target_name, people_column, words) in PEOPLE.items():
        target = tables.get(target_name)
        id_column = target.spec.id_column if target is not None else None
        if target is None or id_column is None or not {id_column, people_column} <= target.present:
            continue
        known = target.valid[id_column] & target.valid[people_column]
        people = pd.Series(target.values[people_column][known], index=target.values[id_column][known])
        usable = _given(table, column) & table.valid["new_infections"]
        _report_over(table, column, usable, people[~people.index.duplicated()], words, problems)


def _report_over(
    table: ConvertedTable, column: str, usable: np.ndarray, people: pd.Series, words: str, problems: list[Problem]
) -> None:
    if not usable.any():
        return
    ids = table.values[column]
    frame = pd.DataFrame({"id": ids, "count": table.values["new_infections"], "position": np.arange(len(ids))})
    by_id = frame[usable].groupby("id").agg(total=("count", "sum"), last=("position", "max"))
    limit = people.reindex(by_id.index).to_numpy(dtype=np.float64, na_value=np.inf)
    over = by_id[by_id["total"].to_numpy() > limit]
    bad = np.zeros(len(ids), dtype=bool)
    bad[over["last"].to_numpy(dtype=np.int64)] = True
    totals = dict(zip(over.index, over["total"].to_numpy(dtype=np.int64), strict=True))
    report_bad_rows(
        problems,
        table.file,
        "new_infections",
        bad,
        table.rows,
        lambda i: (
            f"{totals[ids[i]]:,} new infections over all days for {ids[i]}, more than {words} ({int(people[ids[i]]):,})"
        ),
        "warning",
    )


def check_forecast(tables: dict[str, ConvertedTable], file_columns: Collection[str], problems: list[Problem]) -> None:
    """The forecast's own checks (see the module docstring); nothing when the dataset has no forecast.

    ``file_columns``: the columns the forecast's file has (an optional column absent from it is still "present",
    filled with its default, in the converted table)."""
    table = tables.get(FORECAST)
    if table is None or not len(table.rows):
        return
    _check_one_id(table, file_columns, problems)
    _check_duplicates(table, problems)
    _check_people(table, tables, problems)


__all__ = ["FORECAST", "check_forecast"]
