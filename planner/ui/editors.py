"""The sidebar's table editors as plain tables: the rules (value as text) and the demand per district.

Each editor is a frame shown in ``st.data_editor`` and the edits read back from its ``edited_rows`` (by row
position). A browser sends row numbers and cell values of the column's type; anything else (a row key that is no
number, a row that is not a mapping, text in a number cell) is skipped or kept for the rules or the scenario to
refuse by name, never a crash.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd
import yaml

from planner.dataset.schema import Dataset
from planner.report.labels import RULE_KINDS, pick
from planner.report.sources import source_label
from planner.rules.rules import Rules
from planner.ui.places import display_names


def row_number(position: object) -> int:
    """An editor row key as a row number; -1 (no row) when it is not one."""
    return int(str(position)) if str(position).isdigit() else -1


def edited_rows(editor_state: Mapping[str, Any] | None, size: int) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """``(row, changed cells)`` of an ``st.data_editor``'s ``edited_rows``: rows within the ``size`` rows shown whose
    changes are a mapping (a browser sends nothing else; other keys and rows are skipped)."""
    for position, changes in dict((editor_state or {}).get("edited_rows", {})).items():
        index = row_number(position)
        if 0 <= index < size and isinstance(changes, Mapping):
            yield index, changes


def value_text(value: Any) -> str:
    """A rule value as the text shown in the rules editor (lists and mappings in JSON, booleans lower case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | dict):
        return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
    return f"{value:g}" if isinstance(value, float) else str(value)


def rules_frame(rules: Rules, language: str) -> pd.DataFrame:
    """One row per rule: ``field, label, value`` (text), ``unit, rule_kind, source`` (clauses with titles)."""
    rows = rules.table()
    return pd.DataFrame(
        {
            "field": [r["field"] for r in rows],
            "label": [r["label_zh"] if language == "zh" else r["label"] for r in rows],
            "value": [value_text(r["value"]) for r in rows],
            "unit": [str(r.get("unit_zh") or r["unit"]) if language == "zh" else r["unit"] for r in rows],
            "rule_kind": [pick(RULE_KINDS[str(r["kind"])], language) for r in rows],
            "source": [source_label(str(r["source"]), language) for r in rows],
        }
    )


def rule_edits(shown: pd.DataFrame, editor_state: Mapping[str, Any] | None) -> dict[str, Any]:
    """``{field: value}`` from the rules editor's ``edited_rows`` (values parsed as YAML: ``0.2``, ``[a, b]``)."""
    fields = shown["field"].to_numpy()
    edits: dict[str, Any] = {}
    for index, changes in edited_rows(editor_state, len(fields)):
        text = changes.get("value")
        if text is None:
            continue
        try:
            edits[str(fields[index])] = yaml.safe_load(str(text))
        except (yaml.YAMLError, RecursionError):  # kept as text: the rules name what is wrong with it
            edits[str(fields[index])] = str(text)
    return edits


def demand_frame(dataset: Dataset, multipliers: Mapping[str, float], language: str) -> pd.DataFrame:
    """One row per district: ``district_id, name, multiplier`` (1.0 unless set)."""
    districts = dataset.districts
    return pd.DataFrame(
        {
            "district_id": districts["district_id"].astype(str),
            "name": display_names(districts, language).to_numpy(),
            "multiplier": [float(multipliers.get(str(d), 1.0)) for d in districts["district_id"]],
        }
    )


def demand_edits(shown: pd.DataFrame, editor_state: Mapping[str, Any] | None) -> dict[str, float]:
    """``{district_id: multiplier}`` from the demand editor's ``edited_rows``."""
    ids = shown["district_id"].to_numpy()
    return {
        str(ids[index]): _number_or_nan(changes["multiplier"])
        for index, changes in edited_rows(editor_state, len(ids))
        if changes.get("multiplier") is not None
    }


def _number_or_nan(value: Any) -> float:
    """``value`` as a float; NaN (which the scenario refuses by name) when it is not a number."""
    try:
        return math.nan if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return math.nan


def effective_multipliers(stored: Mapping[str, float], edited: Mapping[str, float]) -> dict[str, float]:
    """Stored multipliers with the editor's on top, without the neutral 1.0s (a value that is not a finite number
    is kept, for the scenario to refuse by name: it was read as 1.0)."""
    merged = {k: float(v) for k, v in sorted({**stored, **edited}.items())}
    return {k: v for k, v in merged.items() if not math.isfinite(v) or abs(v - 1.0) > 1e-12}


__all__ = [
    "demand_edits",
    "demand_frame",
    "edited_rows",
    "effective_multipliers",
    "row_number",
    "rule_edits",
    "rules_frame",
    "value_text",
]
