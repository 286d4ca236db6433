"""The contract of ``epiplan.plan/1``: which tables the JSON document carries, their columns and kinds.

:data:`CONTRACT` maps each list record of the document (``<stage>_<table>`` from the registered stages'
``Stage.contract``, then the plan's own lists) to its keys, in order, and each key's kind. Ids are strings,
counts integers, minutes rounded to 0.1, other reals to 4 decimals, undefined numbers ``None``.

This module turns cells into those plain JSON values (:func:`records`, :func:`plain`), tables into their contract
columns with normalised dtypes (:func:`contract_frame`) and a JSON document back into tables
(:func:`json_to_tables`). The writers (``plan_json``, ``tables``, ``workbook``, ``csv_zip``) and the schema
(``schema``) build on it.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from json.encoder import encode_basestring
from typing import Any

import numpy as np
import pandas as pd

from planner.outputs.distinct import cell_texts, mapped
from planner.report.plan import NUMBER_DECIMALS
from planner.stages.base import ColumnKind, ColumnSpec
from planner.stages.registry import STAGE_NAMES, STAGES

MINUTES_DECIMALS = 1
GAP_DECIMALS = 6
SECONDS_DECIMALS = 3

PLAN_CONTRACT: dict[str, dict[str, ColumnSpec]] = {
    "compliance": {
        "rule_id": "id",
        "scope_id": "id",
        "required": "number",
        "planned": "number",
        "met": "bool",
        "source": "text",
    },
    "explanations": {"stage": STAGE_NAMES, "entity_id": "id", "reason": "text", "en": "text", "zh": "text"},
    "marginal_values": {
        "stage": STAGE_NAMES,
        "resource_id": "id",
        "resource_kind": "text",
        "value": "number",
        "en": "text",
        "zh": "text",
    },
    "timeline": {
        "day": "count",
        "resource": "text",
        "scope": "text",
        "scope_id": "id",
        "needed": "number",
        "planned": "number",
        "short": "number",
    },
    "run_out": {"resource": "text", "scope": "text", "scope_id": "id", "first_short_day": "count"},
}
"""The plan's own list records (top-level lists of the document); ``stage`` names a registered stage."""

CONTRACT: dict[str, Mapping[str, ColumnSpec]] = {
    **{f"{stage.name}_{key}": columns for stage in STAGES for key, columns in stage.contract.items()},
    **PLAN_CONTRACT,
}
"""The list records of ``epiplan.plan/1`` by table name (``<stage>_<table>`` or a plan list): their keys, in
order, and each key's kind. The stages declare theirs (``Stage.contract``)."""

PLAN_LISTS: tuple[str, ...] = tuple(PLAN_CONTRACT)
"""Contract tables that are top-level lists of the plan (the others live in a stage object)."""

ID_KINDS: tuple[ColumnKind, ...] = ("id", "optional_id")


# ---------------------------------------------------------------------------------------------------------------
# Plain values
# ---------------------------------------------------------------------------------------------------------------


def is_missing(value: Any) -> bool:
    """True for None, NA, NaT and non-finite floats."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and not math.isfinite(value)


def _round(value: float | np.floating[Any], digits: int | None) -> float:
    rounded = float(value) if digits is None else round(float(value), digits)
    return rounded + 0.0  # turns -0.0 into 0.0


def _id_text(value: Any) -> str:
    """An id as text: integral numbers lose their ``.0``; text is kept as written."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _count(value: Any) -> int | float:
    """A count as an int; a non-integral value stays a float (the schema then reports it)."""
    if isinstance(value, bool | np.bool_ | int | np.integer):
        return int(value)
    number = float(value)
    return int(number) if number.is_integer() else _round(number, NUMBER_DECIMALS)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "是")
    return bool(value)


def column_kind(spec: ColumnSpec) -> ColumnKind:
    """The kind of a contract column (an enumeration of text values is ``text``)."""
    return "text" if isinstance(spec, tuple) else spec


def json_value(value: Any, spec: ColumnSpec) -> Any:
    """One cell of a contract column as a JSON value.

    Parameters
    ----------
    value
        The cell as the stage wrote it (numpy scalar, text, enum, NaN, ...).
    spec
        The column's kind or its enumeration of text values.
    """
    kind = column_kind(spec)
    if is_missing(value):
        return None
    if kind in ID_KINDS:
        return _id_text(value)
    if kind == "text":
        return str(value.value) if isinstance(value, Enum) else str(value)
    if kind == "count":
        return _count(value)
    if kind == "minutes":
        return _round(value, MINUTES_DECIMALS)
    if kind == "number":
        return _round(value, NUMBER_DECIMALS)
    return _bool(value)


def plain(value: Any, digits: int | None = None) -> Any:
    """``value`` as plain JSON data: numpy scalars to Python, NaN to None, tuples to lists.

    Parameters
    ----------
    value
        Any nesting of mappings, sequences and scalars.
    digits
        Round floats to this many decimals (None: keep them exact).
    """
    if is_missing(value):
        return None
    if isinstance(value, Enum):
        return plain(value.value, digits)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return _round(value, digits)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {str(key): plain(item, digits) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset | np.ndarray | pd.Series):
        return [plain(item, digits) for item in value]
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------------------------------------------
# Contract tables
# ---------------------------------------------------------------------------------------------------------------


def contract_location(name: str) -> tuple[str | None, str]:
    """Where contract table ``name`` lives in the JSON document: ``(stage or None, key)``."""
    if name in PLAN_LISTS:
        return None, name
    stage, _, key = name.partition("_")
    return stage, key


def stage_contract_keys(stage: str) -> list[str]:
    """The keys of the contract tables of ``stage`` (``sites``, ``assignments``, ...), in contract order."""
    return [key for table_stage, key in map(contract_location, CONTRACT) if table_stage == stage]


def json_column(values: pd.Series, spec: ColumnSpec) -> list[Any]:
    """:func:`json_value` of every cell of a column, the common dtypes without a call per cell (same values)."""
    kind = column_kind(spec)
    cells = values.tolist()
    dtype = values.dtype
    if kind in ("minutes", "number") and pd.api.types.is_float_dtype(dtype):
        digits = MINUTES_DECIMALS if kind == "minutes" else NUMBER_DECIMALS
        return [round(cell, digits) + 0.0 if math.isfinite(cell) else None for cell in cells]
    if (
        kind == "count"
        and pd.api.types.is_integer_dtype(dtype)
        and not isinstance(dtype, pd.api.extensions.ExtensionDtype)
    ):
        return cells
    if kind == "bool" and pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return cells
    if kind in (*ID_KINDS, "text"):
        return [cell if type(cell) is str else json_value(cell, kind) for cell in cells]
    return [json_value(cell, kind) for cell in cells]


def check_columns(name: str, frame: pd.DataFrame) -> None:
    """Raise ``ValueError`` when a non-empty ``frame`` lacks a column of contract table ``name``."""
    missing = [column for column in CONTRACT[name] if column not in frame.columns]
    if missing and len(frame):
        raise ValueError(f"table {name} lacks the epiplan.plan/1 columns {missing} (has {list(frame.columns)})")


def records(name: str, frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON records with exactly the keys of contract table ``name``.

    Raises
    ------
    ValueError
        When a non-empty ``frame`` lacks a contract column.
    """
    if frame is None or frame.empty:
        return []
    check_columns(name, frame)
    columns = CONTRACT[name]
    values = [json_column(frame[column], kind) for column, kind in columns.items()]
    keys = list(columns)
    return [dict(zip(keys, row, strict=True)) for row in zip(*values, strict=True)]


def records_text(name: str, frame: pd.DataFrame) -> str:
    """The compact JSON text of ``records(name, frame)`` without its brackets: the bytes
    ``json.dumps(records, ensure_ascii=False, separators=(",", ":"))`` writes between them, each column's
    distinct values written once (``planner.outputs.distinct``).

    Raises
    ------
    ValueError
        When a non-empty ``frame`` lacks a contract column.
    """
    if frame.empty:
        return ""
    check_columns(name, frame)
    pieces = [
        cell_texts(frame[column], functools.partial(_json_pieces, key=column, spec=spec))
        for column, spec in CONTRACT[name].items()
    ]
    return "{" + "},{".join(map(",".join, zip(*pieces, strict=True))) + "}"


def _json_pieces(values: pd.Series, key: str, spec: ColumnSpec) -> list[str]:
    """``"key":value`` of every cell, as compact JSON."""
    prefix = _compact(key) + ":"
    return [prefix + _compact(value) for value in json_column(values, spec)]


def _compact(value: Any) -> str:
    """``value`` as compact JSON: the plain scalars without a call of the encoder (the same text)."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def typed_column(values: pd.Series, spec: ColumnSpec) -> pd.Series:
    """A contract column with a normalised dtype (text: object; count: int64; real: float64; bool: bool)."""
    kind = column_kind(spec)
    if kind in (*ID_KINDS, "text"):  # None where missing; each distinct value once
        return mapped(values, lambda cells: pd.Series(json_column(cells, kind), dtype=object))
    if kind == "bool":
        missing = values.map(is_missing)
        flags = values.map(lambda v: None if is_missing(v) else _bool(v))
        return flags.astype("boolean") if missing.any() else flags.astype(bool)
    numbers = pd.to_numeric(values, errors="coerce").astype(np.float64)
    if kind == "count":
        finite = np.isfinite(numbers.to_numpy())
        if finite.all() and (numbers.to_numpy() == np.round(numbers.to_numpy())).all():
            return numbers.astype(np.int64)
    return numbers


def contract_frame(name: str, frame: pd.DataFrame | None) -> pd.DataFrame:
    """The contract columns of table ``name``, in order, with normalised dtypes.

    A missing or empty ``frame`` gives an empty table with those columns.
    """
    columns = CONTRACT[name]
    if frame is None or frame.empty:
        frame = pd.DataFrame({column: pd.Series([], dtype=object) for column in columns})
    check_columns(name, frame)
    return pd.DataFrame(
        {column: typed_column(frame[column].reset_index(drop=True), kind) for column, kind in columns.items()}
    )


def json_to_tables(document: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The contract tables of an ``epiplan.plan/1`` document (inverse of ``plan_json.plan_to_json``)."""
    tables: dict[str, pd.DataFrame] = {}
    for name, columns in CONTRACT.items():
        stage, key = contract_location(name)
        rows = document[key] if stage is None else document[stage][key]
        tables[name] = contract_frame(name, pd.DataFrame.from_records(rows, columns=list(columns)))
    return tables


__all__ = [
    "CONTRACT",
    "GAP_DECIMALS",
    "ID_KINDS",
    "MINUTES_DECIMALS",
    "NUMBER_DECIMALS",
    "PLAN_CONTRACT",
    "PLAN_LISTS",
    "SECONDS_DECIMALS",
    "check_columns",
    "column_kind",
    "contract_frame",
    "contract_location",
    "is_missing",
    "json_to_tables",
    "json_value",
    "plain",
    "records",
    "stage_contract_keys",
    "typed_column",
]
