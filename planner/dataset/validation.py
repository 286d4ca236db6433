"""Converting and checking a dataset: each column by its kind, then duplicates, foreign keys and the whole.

Each raw text table of a :class:`~planner.dataset.reading.Source` is converted column by column by its kind
in :data:`planner.dataset.schema.TABLES`, then checked: duplicate ids, within-row consistency, foreign keys
and dataset-level checks. Validation collects *all* problems before giving up. All checks are vectorised;
only the (capped) list of problems is built row by row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from planner.dataset.crosscheck import (
    ConvertedTable,
    check_far_places,
    check_reserved_ids,
    check_shared_ids,
    check_totals,
    check_travel_pairs,
)
from planner.dataset.forecast import check_forecast
from planner.dataset.problems import Problem, report_bad_rows
from planner.dataset.reading import RawTable, Source
from planner.dataset.schema import (
    ROW_INDEX,
    ROWS_KEPT,
    SITE_STATUSES,
    TABLES,
    ColumnSpec,
    Dataset,
    ForeignKey,
    TableSpec,
)

TRUE_WORDS: frozenset[str] = frozenset({"true", "1", "1.0", "yes", "y", "t", "是"})
FALSE_WORDS: frozenset[str] = frozenset({"false", "0", "0.0", "no", "n", "f", "否"})
_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d*)?")


# --------------------------------------------------------------------------- conversion by kind


def _parse_floats(cells: np.ndarray, blank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parse text to float64 exactly (as Python's ``float``); return (numbers, parsed), NaN where not parsed.

    Thousands separators are accepted (``12,345``); ``1,5`` is not a number.
    """
    try:  # the common case: every non-blank cell is a plain number
        numbers = np.where(blank, "nan", cells).astype(np.float64)
    except ValueError:
        return _parse_floats_slowly(cells, blank)
    return numbers, ~blank & ~np.isnan(numbers)


def _parse_floats_slowly(cells: np.ndarray, blank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    text = pd.Series(cells, dtype=object).astype(str)
    thousands = text.str.fullmatch(_THOUSANDS).to_numpy(dtype=bool)
    text = text.where(~thousands, text.str.replace(",", "", regex=False))
    parsed = pd.to_numeric(text.where(~blank, ""), errors="coerce").notna().to_numpy()
    numbers = np.full(len(text), np.nan)
    try:
        numbers[parsed] = text.to_numpy(dtype=object)[parsed].astype(np.float64)
    except ValueError:  # pandas accepted a spelling that Python's float does not
        numbers[parsed] = pd.to_numeric(text[parsed], errors="coerce").to_numpy(dtype=np.float64)
    parsed &= ~np.isnan(numbers)
    return numbers, parsed


@dataclass
class _Column:
    """A converted column: typed values (numpy or pandas extension array) and which entries are usable."""

    values: Any
    valid: np.ndarray


@dataclass(frozen=True)
class _Cells:
    """One raw column being converted: its text, blank mask and spreadsheet rows, and where to report."""

    text: np.ndarray
    blank: np.ndarray
    rows: np.ndarray
    spec: ColumnSpec
    file: str
    problems: list[Problem]
    entity: str = "a row"

    def report(self, bad: np.ndarray, describe: Callable[[int], str], severity: str = "error") -> None:
        report_bad_rows(self.problems, self.file, self.spec.name, bad, self.rows, describe, severity)


_KIND_RULES: dict[str, tuple[Callable[[np.ndarray], np.ndarray], str]] = {
    "count": (lambda x: (x >= 0) & (x == np.floor(x)), "expected a whole number >= 0, got '{raw}'"),
    "number": (lambda x: x >= 0, "expected a number >= 0, got '{raw}'"),
    "level": (lambda x: (x == 2) | (x == 3), "hospital level must be 2 or 3, got '{raw}'"),
}


def _convert_numeric(cells: _Cells) -> _Column:
    text, blank, spec = cells.text, cells.blank, cells.spec
    numbers, parsed = _parse_floats(text, blank)
    finite = parsed & np.isfinite(np.where(parsed, numbers, 0.0))
    if spec.kind in ("lat", "lon"):
        limit = 90 if spec.kind == "lat" else 180
        word = "latitude" if spec.kind == "lat" else "longitude"
        ok = finite & (np.abs(np.where(finite, numbers, 0.0)) <= limit)
        bounds = f"[-{limit}, {limit}]"
        cells.report(~blank & ~finite, lambda i: f"{word} must be a number, got '{text[i]}'")
        cells.report(finite & ~ok, lambda i: f"{word} must be in {bounds}, got {text[i]}")
    else:
        rule, template = _KIND_RULES[spec.kind]
        ok = finite & rule(np.where(finite, numbers, 0.0))
        cells.report(~blank & ~ok, lambda i: template.format(raw=text[i]))
        ok &= _within_limits(cells, np.where(ok, numbers, 0.0), ok)
    clean = np.where(ok, numbers, 0.0)
    if spec.kind in ("number", "lat", "lon"):
        return _Column(clean, ok)
    if _nullable(spec):
        return _Column(pd.arrays.IntegerArray(clean.astype(np.int64), ~ok), ok | blank)
    return _Column(clean.astype(np.int64), ok)


def _limit_text(limit: float) -> str:
    return f"{int(limit):,}" if float(limit).is_integer() else f"{limit:g}"


def _within_limits(cells: _Cells, numbers: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Which of the ``ok`` values are within the column's limits; the others are reported, naming the limit."""
    spec, text = cells.spec, cells.text
    within = np.ones(len(numbers), dtype=bool)
    if spec.maximum is not None:
        limit = _limit_text(spec.maximum)
        above = ok & (numbers > spec.maximum)
        cells.report(above, lambda i: f"{spec.name}: {text[i]} is above the limit {limit} for {cells.entity}")
        within &= ~above
    if spec.smallest is not None:
        smallest = _limit_text(spec.smallest)
        below = ok & (numbers > 0) & (numbers < spec.smallest)
        cells.report(
            below,
            lambda i: (
                f"{spec.name}: {text[i]} is below the limit {smallest} for {cells.entity} (0 or empty: the default)"
            ),
        )
        within &= ~below
    return within


def _convert_bool(cells: _Cells) -> _Column:
    words = np.strings.lower(cells.text.astype(str))
    true = np.isin(words, list(TRUE_WORDS))
    ok = true | np.isin(words, list(FALSE_WORDS))
    text = cells.text
    cells.report(~cells.blank & ~ok, lambda i: f"expected true or false (also 1/0, yes/no, 是/否), got '{text[i]}'")
    return _Column(true, ok)


def _convert_status(cells: _Cells) -> _Column:
    words = np.strings.lower(cells.text.astype(str)).astype(object)
    ok = np.isin(words, list(SITE_STATUSES))
    allowed = ", ".join(SITE_STATUSES[:-1]) + f" or {SITE_STATUSES[-1]}"
    text = cells.text
    cells.report(~cells.blank & ~ok, lambda i: f"status must be {allowed}, got '{text[i]}'")
    return _Column(np.where(ok, words, SITE_STATUSES[0]).astype(object), ok)


def _convert_text(cells: _Cells) -> _Column:
    return _Column(cells.text, ~cells.blank)


_CONVERTERS: dict[str, Callable[[_Cells], _Column]] = {
    "id": _convert_text,
    "text": _convert_text,
    "count": _convert_numeric,
    "number": _convert_numeric,
    "lat": _convert_numeric,
    "lon": _convert_numeric,
    "level": _convert_numeric,
    "bool": _convert_bool,
    "status": _convert_status,
}


_DTYPES: dict[str, type] = {
    "count": np.int64,
    "level": np.int64,
    "number": np.float64,
    "lat": np.float64,
    "lon": np.float64,
    "bool": bool,
}
_PLACEHOLDERS: dict[str, object] = {"count": 0, "level": 2, "number": 0.0, "lat": 0.0, "lon": 0.0, "bool": False}


def _nullable(spec: ColumnSpec) -> bool:
    """An optional count without a default (``max_ambulances``): absent means "no value" (``Int64`` NA)."""
    return spec.kind == "count" and not spec.required and spec.default is None


def _default_values(spec: ColumnSpec, length: int) -> Any:
    """An absent column in its final dtype: the default of an optional one, a placeholder for a required one."""
    if _nullable(spec):
        return pd.arrays.IntegerArray(np.zeros(length, dtype=np.int64), np.ones(length, dtype=bool))
    value = spec.default if spec.default is not None else _PLACEHOLDERS.get(spec.kind, "")
    dtype = _DTYPES.get(spec.kind, object)
    return np.full(length, value, dtype=dtype)


def _convert_column(
    text: np.ndarray, rows: np.ndarray, spec: ColumnSpec, file: str, problems: list[Problem], entity: str = "a row"
) -> _Column:
    """Convert one present column; empty cells are an error when required, else take the default."""
    cells = _Cells(text, text == "", rows, spec, file, problems, entity)
    if spec.required and spec.kind == "text":
        cells.report(cells.blank, lambda i: f"empty {spec.name}", "warning")
    elif spec.required:
        cells.report(cells.blank, lambda i: "missing value")
    column = _CONVERTERS[spec.kind](cells)
    if spec.required or spec.kind in ("id", "text") or _nullable(spec) or not cells.blank.any():
        return column
    default = _default_values(spec, len(text))
    return _Column(np.where(cells.blank, default, column.values).astype(default.dtype), column.valid | cells.blank)


# --------------------------------------------------------------------------- validation


def _convert_table(raw: RawTable, spec: TableSpec, problems: list[Problem]) -> ConvertedTable:
    known = {c.name for c in spec.all_columns()}
    for name in raw.columns:
        if name not in known:
            problems.append(Problem(raw.file, None, name, f"unknown column '{name}' (ignored)", "warning"))
    for name in spec.required_columns:
        if name not in raw.columns:
            problems.append(Problem(raw.file, None, name, f"missing required column '{name}'"))
    if spec.required and not len(raw.rows):
        problems.append(Problem(raw.file, None, None, f"no rows: the table {spec.name} must have at least one row"))
    values: dict[str, Any] = {}
    valid: dict[str, np.ndarray] = {}
    for col in spec.all_columns():
        if col.name in raw.columns:
            converted = _convert_column(raw.columns[col.name], raw.rows, col, raw.file, problems, spec.entity)
            values[col.name], valid[col.name] = converted.values, converted.valid
        else:
            values[col.name] = _default_values(col, len(raw.rows))
            valid[col.name] = np.full(len(raw.rows), not col.required)
    present = frozenset(c.name for c in spec.all_columns() if c.name in raw.columns or not c.required)
    return ConvertedTable(spec, raw.file, raw.rows, values, valid, present)


def _check_duplicates(table: ConvertedTable, problems: list[Problem]) -> None:
    id_column = table.spec.id_column
    if id_column is None or id_column not in table.present:
        return
    ids = table.values[id_column]
    later = table.valid[id_column] & pd.Index(ids, dtype=object).duplicated(keep="first")
    if not later.any():
        return
    first_row = pd.Series(table.rows).groupby(ids).transform("min").to_numpy()
    report_bad_rows(
        problems,
        table.file,
        id_column,
        later,
        table.rows,
        lambda i: f"duplicate {id_column} '{ids[i]}' (also row {first_row[i]})",
    )


def _check_greater(
    table: ConvertedTable, small: str, large: str, problems: list[Problem], severity: str = "error"
) -> None:
    """``small`` must not exceed ``large`` in any row (e.g. disabled <= residents); absent values are not compared."""
    usable = table.both_valid(small, large)
    if not usable.any():
        return
    small_values = _as_floats(table.values[small])
    large_values = _as_floats(table.values[large])
    bad = usable & (small_values > large_values)  # NaN (no value) compares False
    report_bad_rows(
        problems,
        table.file,
        small,
        bad,
        table.rows,
        lambda i: f"{small} ({small_values[i]:.0f}) > {large} ({large_values[i]:.0f})",
        severity,
    )


def _as_floats(values: Any) -> np.ndarray:
    """Counts (numpy or nullable) as float64, NaN where absent."""
    return np.asarray(pd.array(values, dtype="Int64").to_numpy(dtype=np.float64, na_value=np.nan))


def _check_rows(tables: dict[str, ConvertedTable], problems: list[Problem]) -> None:
    """Within-row consistency: errors for the impossible, warnings for the odd."""
    if "care_homes" in tables:
        homes = tables["care_homes"]
        _check_greater(homes, "disabled", "residents", problems)
        empty = homes.both_valid("residents") & (homes.values["residents"] == 0)
        report_bad_rows(
            problems, homes.file, "residents", empty, homes.rows, lambda i: "care home with 0 residents", "warning"
        )
    if "hospitals" in tables:
        _check_greater(tables["hospitals"], "icu_beds", "beds", problems, "warning")
    if "stations" in tables:
        _check_greater(tables["stations"], "ambulances", "max_ambulances", problems, "warning")


def _check_key(
    table: ConvertedTable, key: ForeignKey, target: ConvertedTable, target_file: str, problems: list[Problem]
) -> None:
    """Every non-empty ``key.column`` names an id of ``target`` (with ``key.where`` true, when given)."""
    column = key.column
    values = table.values[column]
    checked = table.valid[column] & (values != "")
    if not checked.any():
        return
    referenced = pd.Index(values, dtype=object)
    known = referenced.isin(target.ids())
    report_bad_rows(
        problems,
        table.file,
        column,
        checked & ~known,
        table.rows,
        lambda i: f"unknown {column} '{values[i]}' (not in {target_file})",
    )
    if key.where is None or key.where not in target.present:
        return
    where = key.where
    qualified = referenced.isin(target.ids(where=where))
    report_bad_rows(
        problems,
        table.file,
        column,
        checked & known & ~qualified,
        table.rows,
        lambda i: f"{column} '{values[i]}' is in {target_file} but not {where} ({where} = false)",
    )


def _check_foreign_keys(
    tables: dict[str, ConvertedTable], label: Callable[[str], str], problems: list[Problem]
) -> None:
    for table in tables.values():
        for key in table.spec.foreign_keys:
            target = tables.get(key.table)
            if key.column in table.present and target is not None and target.spec.id_column in target.present:
                _check_key(table, key, target, label(key.table), problems)


def _check_dataset_level(tables: dict[str, ConvertedTable], problems: list[Problem]) -> None:
    hospitals = tables.get("hospitals")
    if (
        hospitals is not None
        and "designated" in hospitals.present
        and len(hospitals.rows)
        and hospitals.valid["designated"].all()
        and not hospitals.values["designated"].any()
    ):
        message = "no hospital is designated: transfers will have no designated hospital to go to"
        problems.append(Problem(hospitals.file, None, "designated", message, "warning"))
    travel = tables.get("travel_minutes")
    if travel is None or not len(travel.rows):
        return
    places = pd.Index([], dtype=object)
    for table in tables.values():
        if table.spec.id_column is not None:
            places = places.append(table.ids())
    for column in ("from_id", "to_id"):
        if column in travel.present:
            _check_travel_ids(travel, column, places, problems)
    check_travel_pairs(travel, problems)


def _check_travel_ids(travel: ConvertedTable, column: str, places: pd.Index, problems: list[Problem]) -> None:
    values = travel.values[column]
    unknown = travel.valid[column] & ~pd.Index(values, dtype=object).isin(places)
    report_bad_rows(
        problems,
        travel.file,
        column,
        unknown,
        travel.rows,
        lambda i: f"unknown {column} '{values[i]}' (not an id of any table; the row is unused)",
        "warning",
    )


def validate(source: Source) -> tuple[Dataset | None, list[Problem]]:
    """Convert and check every table of ``source``; the dataset when there is no error.

    Problems list errors first, then warnings (the source's own problems among them).
    """
    problems = list(source.problems)
    if not source.opened:
        return None, problems
    tables: dict[str, ConvertedTable] = {}
    for name, spec in TABLES.items():
        if name not in source.tables:
            if spec.required:
                problems.append(Problem(source.label(name), None, None, f"missing required table {name}"))
            continue
        raw = source.tables[name]
        if raw is not None:
            tables[name] = _convert_table(raw, spec, problems)
            _check_duplicates(tables[name], problems)
    _check_rows(tables, problems)
    forecast = source.tables.get("forecast")
    check_forecast(tables, forecast.columns if forecast is not None else (), problems)
    _check_foreign_keys(tables, source.label, problems)
    _check_dataset_level(tables, problems)
    check_shared_ids(tables, problems)
    check_reserved_ids(tables, problems)
    check_totals(tables, problems)
    check_far_places(tables, problems)
    problems = [p for p in problems if p.is_error] + [p for p in problems if not p.is_error]
    if any(p.is_error for p in problems):
        return None, problems
    frames = {name: _final_frame(spec, tables.get(name)) for name, spec in TABLES.items()}
    return _dataset(frames, source.name, tuple(problems)), problems


def _final_frame(spec: TableSpec, table: ConvertedTable | None) -> pd.DataFrame:
    """The typed table with exactly the spec's columns, in order, on a fresh index (the forecast's index: the row
    of each entry in its file, ``Dataset.forecast``)."""
    if table is None:
        frame = pd.DataFrame({c.name: _default_values(c, 0) for c in spec.all_columns()})
    else:
        frame = pd.DataFrame({c.name: table.values[c.name] for c in spec.all_columns()})
    if spec.name in ROWS_KEPT:
        frame.index = pd.Index(table.rows if table is not None else [], dtype=np.int64, name=ROW_INDEX)
    return frame


def _dataset(frames: dict[str, pd.DataFrame], name: str, warnings: tuple[Problem, ...] = ()) -> Dataset:
    dataset = Dataset(**frames, name=name, warnings=warnings)  # type: ignore[arg-type]
    return replace(dataset, sha256=dataset.content_hash())


__all__ = ["FALSE_WORDS", "TRUE_WORDS", "validate"]
