"""Every table of a plan, in a stable order, for the workbook and the zip of CSVs.

Unlike the JSON document, these tables carry every column the stages produce, not just the contract keys: the
contract columns come first (ids as text), then the stage's other columns; minutes are rounded to 0.1.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from models.base import StageResult, Status
from planner.outputs.contract import (
    CONTRACT,
    ID_KINDS,
    MINUTES_DECIMALS,
    SECONDS_DECIMALS,
    check_columns,
    contract_frame,
    plain,
    stage_contract_keys,
    typed_column,
)
from planner.rules.rules import Rules

if TYPE_CHECKING:
    from planner.report.plan import Plan


def _is_minutes_column(column: str) -> bool:
    return column == "minutes" or column.endswith("_minutes")


def _full_table(name: str, frame: pd.DataFrame | None) -> pd.DataFrame:
    """A stage or plan table with every column; contract columns first, ids as text, minutes to 0.1.

    The plan's frame itself is left as it is: the table is a shallow copy whose changed columns are new (a national
    timeline of 4.6 million rows was copied three times over, 2.2 s)."""
    table = pd.DataFrame() if frame is None else frame.copy(deep=False)
    if not table.index.equals(pd.RangeIndex(len(table))):
        table = table.reset_index(drop=True)
    if name in CONTRACT:
        contract = CONTRACT[name]
        extra = [column for column in table.columns if column not in contract]
        if table.empty:
            table = pd.concat([contract_frame(name, None), table[extra]], axis=1)
        else:
            check_columns(name, table)
            for column, kind in contract.items():
                if kind in ID_KINDS:
                    table[column] = typed_column(table[column], kind)
            if list(table.columns) != [*contract, *extra]:
                table = table[[*contract, *extra]]
    for column in table.columns:
        if _is_minutes_column(str(column)) and pd.api.types.is_float_dtype(table[column]):
            table[column] = table[column].round(MINUTES_DECIMALS)
    return table


def _cell_text(value: Any) -> Any:
    """A scalar for a key/value table: scalars stay, anything nested becomes compact JSON text."""
    value = plain(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested KPIs as ``{"status.observation": "optimal", ...}``."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _key_value_table(mapping: Mapping[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": pd.Series(list(mapping), dtype=object),
            "value": pd.Series([_cell_text(v) for v in mapping.values()], dtype=object),
        }
    )


def _rules_table(rules: Rules) -> pd.DataFrame:
    rows = [{"field": "preset", "value": rules.preset, "unit": "", "source": "", "label": "", "label_zh": ""}]
    rows += [
        {
            "field": row["field"],
            "value": _cell_text(row["value"]),
            "unit": row["unit"],
            "source": row["source"],
            "label": row["label"],
            "label_zh": row["label_zh"],
        }
        for row in rules.table()
    ]
    return pd.DataFrame(rows, columns=["field", "value", "unit", "source", "label", "label_zh"]).astype(object)


def _stages_table(stages: Mapping[str, StageResult]) -> pd.DataFrame:
    rows = [
        {
            "stage": name,
            "status": Status(result.status).value,
            "seconds": plain(result.seconds, SECONDS_DECIMALS),
            "objective": plain(result.objective),
            "bound": plain(result.bound),
            "gap": plain(result.gap),
            "message": str(result.message),
        }
        for name, result in stages.items()
    ]
    return pd.DataFrame(rows, columns=["stage", "status", "seconds", "objective", "bound", "gap", "message"])


def _phases_table(stages: Mapping[str, StageResult]) -> pd.DataFrame:
    rows = [
        {
            "stage": name,
            "phase": phase.name,
            "sense": phase.sense,
            "objective": plain(phase.objective),
            "bound": plain(phase.bound),
            "gap": plain(phase.gap),
            "status": Status(phase.status).value,
        }
        for name, result in stages.items()
        for phase in result.phases
    ]
    return pd.DataFrame(rows, columns=["stage", "phase", "sense", "objective", "bound", "gap", "status"])


def _stage_tables(stage: str, result: StageResult) -> dict[str, pd.DataFrame]:
    """The stage's contract tables first (present even when the stage made none), then its other tables."""
    tables: dict[str, pd.DataFrame] = {}
    contract_keys = stage_contract_keys(stage)
    for key in contract_keys:
        tables[f"{stage}_{key}"] = _full_table(f"{stage}_{key}", result.tables.get(key))
    for key, frame in result.tables.items():
        if key not in contract_keys:
            tables[f"{stage}_{key}"] = _full_table(f"{stage}_{key}", frame)
    return tables


def plan_tables(plan: Plan) -> dict[str, pd.DataFrame]:
    """Every table of the plan, in a stable order, for the workbook and the CSV zip.

    ``kpis`` (key, value; nested KPIs flattened to ``a.b``), ``scenario`` (key,
    value), ``rules`` (field, value, unit, source, label, label_zh), ``stages``
    and ``phases`` (status and figures), then per stage its contract tables
    (``observation_sites``, ...) and its other tables (``observation_streets``,
    ...), with every column the stage produced, then ``compliance``,
    ``explanations`` and ``marginal_values``.
    """
    stages = plan.stages()
    tables: dict[str, pd.DataFrame] = {
        "kpis": _key_value_table(_flatten(plan.kpis)),
        "scenario": _key_value_table(plan.scenario.to_dict()),
        "rules": _rules_table(plan.rules),
        "stages": _stages_table(stages),
        "phases": _phases_table(stages),
    }
    for stage, result in stages.items():
        tables.update(_stage_tables(stage, result))
    tables["compliance"] = _full_table("compliance", plan.compliance)
    tables["explanations"] = _full_table("explanations", plan.explanations)
    tables["marginal_values"] = _full_table("marginal_values", plan.marginal_values)
    tables["timeline"] = _full_table("timeline", plan.timeline)
    tables["run_out"] = _full_table("run_out", plan.run_out)
    return tables


__all__ = ["plan_tables"]
