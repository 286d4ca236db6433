"""The plan's tables as a coordinator reads them: in one language, names beside ids, rounded, with units.

:func:`coordinator_table` turns one table of ``planner.outputs.tables.plan_tables`` into what the workbook
writes: every ``<x>_id`` column followed by the name of what it names, coded values translated (``severe`` ->
``疫情流行严重``, ``True`` -> ``是``), shares as percentages, minutes to 0.1 and other decimals to 0.01, and
headers with their units (``Stock: TCM (packs)``, ``库存：中药（份）``) from ``planner.report.labels`` — looked
up by column name, so a new stage's tables get their headers from the vocabulary and no code here. The machine
tables (the JSON contract, the zip of CSVs) keep their English keys; only this view is localized.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.report.labels import (
    PERCENT_COLUMNS,
    UNITS,
    VALUE_COLUMNS,
    VALUES,
    column_label,
    header,
    pick,
    rule_label,
    value,
)
from planner.report.sources import source_label

HIDDEN_COLUMNS: frozenset[str] = frozenset({"marginal_value", "in_max_min", "fill_floor", "sense"})
"""Model bookkeeping a coordinator does not need (still in the zip of CSVs and the JSON)."""
ID_COLUMNS_WITHOUT_NAMES: frozenset[str] = frozenset({"need_id", "rule_id", "entity_id", "resource_id"})
LIST_COLUMNS: frozenset[str] = frozenset({"binding_sites", "binding_stations", "binding_pools", "binding_districts"})
"""Columns holding several ids (``,`` or ``;`` joined): written as names."""
ADDITIVE_UNITS: frozenset[str] = frozenset(
    {"persons", "rooms", "nurses", "packs", "ambulances", "per day", "beds", "pack-min"}
)
"""Columns in these units get a total in the last row (minutes, shares and degrees do not add up)."""
ID_SUFFIX: tuple[str, str] = (" ID", "编号")


@dataclass(frozen=True)
class Naming:
    """What the workbook writes beside ids: names in its language, and how rules and sources read."""

    language: str = "en"
    names: Mapping[str, str] = field(default_factory=dict)


def _is_id(column: str) -> bool:
    return column.endswith("_id") and column not in ID_COLUMNS_WITHOUT_NAMES


def _names_of(ids: object, names: Mapping[str, str]) -> str:
    text = str(ids or "")
    separator = ";" if ";" in text else ","
    return ", ".join(names.get(part, part) for part in text.split(separator) if part)


def _translated(codes: pd.Series, category: str, language: str) -> pd.Series:
    return codes.map(lambda code: value(category, code, language))


def scope_name(scope: object, names: Mapping[str, str], language: str) -> str:
    """The name of a checklist scope: a district, street or institution, or ``id:drug`` as ``name: drug``."""
    text = str(scope)
    head, colon, drug = text.partition(":")
    if colon and drug in VALUES["drug"]:
        separator = "：" if language == "zh" else ": "
        return names.get(head, head) + separator + value("drug", drug, language)
    return names.get(text, "")


def _rounded(series: pd.Series, column: str) -> pd.Series:
    """Shares as percentages (0.1), minutes to 0.1, other decimals to 0.01; whole numbers stay whole; infinite
    values (Excel has none) blank."""
    if column in PERCENT_COLUMNS:
        return (100.0 * series.astype(float)).round(1)
    if not pd.api.types.is_float_dtype(series):
        return series
    decimals = 1 if column == "minutes" or column.endswith("_minutes") else 2
    rounded = series.round(decimals)
    rounded = rounded.where(np.isfinite(rounded))  # an infinite trip (no ambulance planned) is a blank cell
    finite = rounded.dropna()
    if len(finite) and np.all(np.isclose(finite, np.round(finite))) and column not in ("daily_transfers",):
        return rounded.astype("Int64") if rounded.isna().any() else rounded.astype(np.int64)
    return rounded


def coordinator_table(name: str, frame: pd.DataFrame, naming: Naming) -> pd.DataFrame:
    """One plan table as the coordinator's workbook writes it (see the module docstring).

    The columns are the table's own (``HIDDEN_COLUMNS`` left out); each id column is followed by a name
    column; the headers are localized with their units. ``en``/``zh`` text columns become one column in the
    workbook's language; ``source`` columns get their document titles.
    """
    language, names = naming.language, naming.names
    out: dict[str, pd.Series] = {}
    for column in frame.columns:
        key = str(column)
        series = frame[column]
        if key in HIDDEN_COLUMNS or (key in ("en", "zh") and key != ("zh" if language == "zh" else "en")):
            continue
        if key in ("en", "zh"):
            out[column_label("explanation", language)] = series.astype(str)
        elif key == "rule_id":
            out[column_label(key, language, name)] = series.map(lambda r: rule_label(str(r), language))
        elif key == "scope_id":
            label = column_label(key, language, name)
            out[label + pick(ID_SUFFIX, language)] = series.astype(str)
            out[label] = series.map(lambda i: scope_name(i, names, language))
        elif _is_id(key):
            label = column_label(key, language, name)
            out[label + pick(ID_SUFFIX, language)] = series.astype(str)
            out[label] = series.map(lambda i: names.get(str(i), "") if pd.notna(i) else "")
        elif key in LIST_COLUMNS:
            out[column_label(key, language, name)] = series.map(lambda i: _names_of(i, names))
        elif key in VALUE_COLUMNS:
            out[column_label(key, language, name)] = _translated(series, VALUE_COLUMNS[key], language)
        elif key == "source":
            out[column_label(key, language, name)] = series.map(lambda s: source_label(str(s), language))
        elif pd.api.types.is_bool_dtype(series):
            out[column_label(key, language, name)] = series.map(lambda b: value("bool", str(bool(b)), language))
        else:
            out[header(key, language, name)] = _rounded(series, key)
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def additive_columns(name: str, frame: pd.DataFrame) -> list[str]:
    """The numeric columns of ``frame`` whose unit adds up (persons, rooms, nurses, packs, ...)."""
    chosen: list[str] = []
    for column in frame.columns:
        key = str(column)
        unit = UNITS.get(f"{name}.{key}") or UNITS.get(key)
        if key.startswith(("stock_", "on_hand_")):
            unit = UNITS["stock_"]
        if unit is None or unit[0] not in ADDITIVE_UNITS or not pd.api.types.is_numeric_dtype(frame[column]):
            continue
        if pd.api.types.is_bool_dtype(frame[column]):
            continue
        chosen.append(key)
    return chosen


def total_columns(name: str, frame: pd.DataFrame, language: str) -> dict[str, float]:
    """Header -> total of every column whose unit adds up (persons, rooms, nurses, packs, ...)."""
    return {header(key, language, name): float(frame[key].sum()) for key in additive_columns(name, frame)}


__all__ = ["Naming", "additive_columns", "coordinator_table", "total_columns"]
