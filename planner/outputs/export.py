"""Exports of a plan: JSON (``epiplan.plan/1``), an Excel workbook, a zip of CSVs.

The JSON document is the contract of DESIGN §6, described by the JSON Schema
``data/schema/epiplan.plan.1.schema.json``: the dataset's name and hash, every
rule value with its source clause, every scenario knob, the KPIs, each stage's
status, figures, phases and contract tables, and the compliance checklist, the
explanations and the marginal values. Its list records carry exactly the keys of
:data:`CONTRACT`; ids are strings, counts integers, minutes rounded to 0.1,
other reals to 4 decimals, undefined numbers ``null``.

The workbook and the CSV zip carry the same tables (:func:`plan_tables`) with
every column the stages produce, not just the contract keys:

- ``.xlsx``: a ``Summary`` sheet first (stages, KPIs, scenario knobs, rules with
  value, unit and source), a ``Compliance`` sheet, then one sheet per table;
  header row bold and frozen, columns sized to their content, ids written as
  text (``007`` stays ``007``).
- ``.zip``: one CSV per table, UTF-8 **with BOM** (Excel in Chinese locales
  otherwise opens UTF-8 as GBK and garbles the names), CRLF line ends, plus
  ``plan.json`` and a Frictionless ``datapackage.json`` giving each column's
  type so that :func:`read_csv_zip` reads the tables back exactly.

Cells are values, never formulas. In the workbook every text cell is written as
a string (a cell that starts with ``=``, ``+``, ``-`` or ``@`` also gets Excel's
quote prefix, so it stays text even when edited). In the CSVs, where a reader
cannot tell text from a formula, such a cell is prefixed with a single quote
``'`` (CSV injection; a cell starting with ``'`` gets one more), which Excel
shows; :func:`read_csv_zip` removes it.

Every file is written atomically: into a temporary file in the target's folder,
then renamed over the target; on any error the temporary file is removed and
an existing target is left as it was.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from enum import Enum
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models.base import StageResult, Status
from planner.rules.rules import Rules
from planner.stages.base import ColumnKind, ColumnSpec
from planner.stages.registry import STAGES

if TYPE_CHECKING:
    from planner.report.plan import Plan

SCHEMA_ID = "epiplan.plan/1"
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "data" / "schema" / "epiplan.plan.1.schema.json"
MINUTES_DECIMALS = 1
NUMBER_DECIMALS = 4
GAP_DECIMALS = 6
SECONDS_DECIMALS = 3
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""Text starting with one of these is a formula to a spreadsheet (OWASP CSV injection)."""
CSV_ESCAPE = "'"
CSV_ENCODING = "utf-8-sig"
"""UTF-8 with BOM: Excel in Chinese locales reads BOM-less CSV as GBK."""
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_COLUMN_WIDTH = 60
XLSX_MIN_COLUMN_WIDTH = 6
SUMMARY_SHEET = "Summary"
COMPLIANCE_SHEET = "Compliance"
SUFFIXES = (".json", ".xlsx", ".zip")

PLAN_CONTRACT: dict[str, dict[str, ColumnSpec]] = {
    "compliance": {
        "rule_id": "text",
        "scope_id": "id",
        "required": "number",
        "planned": "number",
        "met": "bool",
        "source": "text",
    },
    "explanations": {"stage": "text", "entity_id": "id", "reason": "text", "en": "text", "zh": "text"},
    "marginal_values": {
        "stage": "text",
        "resource_id": "id",
        "resource_kind": "text",
        "value": "number",
        "en": "text",
        "zh": "text",
    },
}
"""The plan's own list records (top-level lists of the document)."""

CONTRACT: dict[str, Mapping[str, ColumnSpec]] = {
    **{f"{stage.name}_{key}": columns for stage in STAGES for key, columns in stage.contract.items()},
    **PLAN_CONTRACT,
}
"""The list records of ``epiplan.plan/1`` by table name (``<stage>_<table>`` or a plan list): their keys, in
order, and each key's kind. The stages declare theirs (``Stage.contract``)."""

PLAN_LISTS: tuple[str, ...] = tuple(PLAN_CONTRACT)
"""Contract tables that are top-level lists of the plan (the others live in a stage object)."""


# ---------------------------------------------------------------------------------------------------------------
# Plain values
# ---------------------------------------------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
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


def _json_value(value: Any, spec: ColumnSpec) -> Any:
    """One cell of a contract column as a JSON value."""
    kind = column_kind(spec)
    if _is_missing(value):
        return None
    if kind in ("id", "optional_id"):
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
    if _is_missing(value):
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
# JSON document
# ---------------------------------------------------------------------------------------------------------------


def contract_location(name: str) -> tuple[str | None, str]:
    """Where contract table ``name`` lives in the JSON document: ``(stage or None, key)``."""
    if name in PLAN_LISTS:
        return None, name
    stage, _, key = name.partition("_")
    return stage, key


def _check_columns(name: str, frame: pd.DataFrame) -> None:
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
    _check_columns(name, frame)
    columns = CONTRACT[name]
    values = [[_json_value(v, kind) for v in frame[column].tolist()] for column, kind in columns.items()]
    keys = list(columns)
    return [dict(zip(keys, row, strict=True)) for row in zip(*values, strict=True)]


def _rules_json(rules: Rules) -> dict[str, Any]:
    document: dict[str, Any] = plain(rules.values())
    document["sources"] = {field: info.source for field, info in rules.info.items()}
    return document


def _stage_json(stage: str, result: StageResult) -> dict[str, Any]:
    document: dict[str, Any] = {
        "status": Status(result.status).value,
        "seconds": plain(result.seconds, SECONDS_DECIMALS),
        "objective": plain(result.objective, NUMBER_DECIMALS),
        "bound": plain(result.bound, NUMBER_DECIMALS),
        "gap": plain(result.gap, GAP_DECIMALS),
        "message": str(result.message),
        "phases": [
            {
                "name": phase.name,
                "sense": phase.sense,
                "objective": plain(phase.objective, NUMBER_DECIMALS),
                "bound": plain(phase.bound, NUMBER_DECIMALS),
                "status": Status(phase.status).value,
            }
            for phase in result.phases
        ],
    }
    for name in CONTRACT:
        table_stage, key = contract_location(name)
        if table_stage == stage:
            document[key] = records(name, result.tables.get(key))
    return document


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan as an ``epiplan.plan/1`` document (DESIGN §6), ready for ``json.dumps``.

    Raises
    ------
    ValueError
        When a stage table lacks a contract column.
    """
    document: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "dataset": {"name": str(plan.dataset_name), "sha256": str(plan.dataset_sha256)},
        "rules": _rules_json(plan.rules),
        "scenario": plain(plan.scenario.to_dict()),
        "kpis": plain(plan.kpis, NUMBER_DECIMALS),
    }
    for stage, result in plan.stages().items():
        document[stage] = _stage_json(stage, result)
    document["compliance"] = records("compliance", plan.compliance)
    document["explanations"] = records("explanations", plan.explanations)
    document["marginal_values"] = records("marginal_values", plan.marginal_values)
    return document


@cache
def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema of ``epiplan.plan/1`` (draft 2020-12)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def _inline_refs(node: Any, definitions: Mapping[str, Any]) -> Any:
    """``node`` with every lone ``{"$ref": "#/$defs/x"}`` replaced by the definition (the schema has no cycles)."""
    if isinstance(node, Mapping):
        reference = node.get("$ref")
        if len(node) == 1 and isinstance(reference, str) and reference.startswith("#/$defs/"):
            return _inline_refs(definitions[reference.removeprefix("#/$defs/")], definitions)
        return {key: _inline_refs(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_refs(item, definitions) for item in node]
    return node


@cache
def _validator() -> Any:
    """A validator of the schema with its references inlined (validates a city plan ~2x faster)."""
    from jsonschema import Draft202012Validator

    schema = plan_json_schema()
    return Draft202012Validator(_inline_refs(schema, schema["$defs"]))


def validate_plan_json(document: Any) -> list[str]:
    """Every way ``document`` breaks the ``epiplan.plan/1`` schema, one message each; empty when valid."""
    errors = sorted(_validator().iter_errors(document), key=lambda error: [str(p) for p in error.absolute_path])
    return [f"{'/'.join(str(p) for p in error.absolute_path) or '(document)'}: {error.message}" for error in errors]


# ---------------------------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------------------------


def _typed_column(values: pd.Series, spec: ColumnSpec) -> pd.Series:
    """A contract column with a normalised dtype (text: object; count: int64; real: float64; bool: bool)."""
    kind = column_kind(spec)
    if kind in ("id", "optional_id", "text"):
        return values.map(lambda v: None if _is_missing(v) else _json_value(v, kind)).astype(object)
    if kind == "bool":
        missing = values.map(_is_missing)
        flags = values.map(lambda v: None if _is_missing(v) else _bool(v))
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
    _check_columns(name, frame)
    return pd.DataFrame(
        {column: _typed_column(frame[column].reset_index(drop=True), kind) for column, kind in columns.items()}
    )


def json_to_tables(document: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The contract tables of an ``epiplan.plan/1`` document (inverse of :func:`plan_to_json`)."""
    tables: dict[str, pd.DataFrame] = {}
    for name, columns in CONTRACT.items():
        stage, key = contract_location(name)
        rows = document[key] if stage is None else document[stage][key]
        tables[name] = contract_frame(name, pd.DataFrame.from_records(rows, columns=list(columns)))
    return tables


def _is_minutes_column(column: str) -> bool:
    return column == "minutes" or column.endswith("_minutes")


def _full_table(name: str, frame: pd.DataFrame | None) -> pd.DataFrame:
    """A stage or plan table with every column; contract columns first, ids as text, minutes to 0.1."""
    table = frame.reset_index(drop=True) if frame is not None else pd.DataFrame()
    if name in CONTRACT:
        contract = CONTRACT[name]
        extra = table[[column for column in table.columns if column not in contract]]
        if table.empty:
            table = pd.concat([contract_frame(name, None), extra], axis=1)
        else:
            _check_columns(name, table)
            ids = {
                column: _typed_column(table[column], kind)
                for column, kind in contract.items()
                if kind in ("id", "optional_id")
            }
            table = pd.concat([table[list(contract)].assign(**ids), extra], axis=1)
    else:
        table = table.copy()
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
    contract_keys = [contract_location(name)[1] for name in CONTRACT if contract_location(name)[0] == stage]
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
    return tables


# ---------------------------------------------------------------------------------------------------------------
# Spreadsheet-safe text
# ---------------------------------------------------------------------------------------------------------------


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula."""
    return text.startswith(FORMULA_PREFIXES)


def escape_csv_text(text: str) -> str:
    """Prefix formula-like text (and text already starting with the escape) with ``'``."""
    return CSV_ESCAPE + text if is_formula_like(text) or text.startswith(CSV_ESCAPE) else text


def unescape_csv_text(text: str) -> str:
    """The inverse of :func:`escape_csv_text`."""
    return text[len(CSV_ESCAPE) :] if text.startswith(CSV_ESCAPE) else text


# ---------------------------------------------------------------------------------------------------------------
# JSON bytes
# ---------------------------------------------------------------------------------------------------------------


def to_json_bytes(plan: Plan) -> bytes:
    """The ``epiplan.plan/1`` document as indented UTF-8 JSON (Chinese kept as is)."""
    text = json.dumps(plan_to_json(plan), ensure_ascii=False, indent=2, allow_nan=False)
    return (text + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------------------------
# Workbook
# ---------------------------------------------------------------------------------------------------------------


def _display_width(text: str) -> int:
    """Columns ``text`` takes on screen: CJK characters count double."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


class _SheetWriter:
    """Writes typed cell values to one worksheet and sizes its columns to their content."""

    def __init__(self, worksheet: Any, formats: Mapping[str, Any]) -> None:
        self.worksheet = worksheet
        self.formats = formats
        self.widths: dict[int, int] = {}

    def _track(self, col: int, text: str) -> None:
        width = self.widths.get(col, 0)
        if width < XLSX_MAX_COLUMN_WIDTH and len(text) * 2 > width:
            self.widths[col] = max(width, _display_width(text))

    def write(self, row: int, col: int, value: Any, bold: bool = False) -> None:
        """Write one value as a value (never a formula): text, number, boolean; NaN and None stay blank."""
        if value is None or value is pd.NA or value is pd.NaT:
            return
        if isinstance(value, Enum):
            value = value.value
        if isinstance(value, bool | np.bool_):
            self.worksheet.write_boolean(row, col, bool(value), self.formats["bold"] if bold else None)
            self._track(col, "FALSE")
        elif isinstance(value, int | np.integer | float | np.floating):
            if math.isfinite(value):
                self.worksheet.write_number(row, col, value, self.formats["bold"] if bold else None)
                self._track(col, f"{value:g}")
            elif not math.isnan(value):  # an infinity, as text
                self.write(row, col, str(float(value)), bold)
        else:
            text = value if isinstance(value, str) else json.dumps(plain(value), ensure_ascii=False)
            style = "bold" if bold else "text"
            if is_formula_like(text):
                style += "_quoted"
            self.worksheet.write_string(row, col, text, self.formats[style])
            self._track(col, text)

    def write_row(self, row: int, values: Iterable[Any], bold: bool = False) -> None:
        for col, value in enumerate(values):
            self.write(row, col, value, bold)

    def finish(self) -> None:
        """Size every column to its widest cell, within limits."""
        for col, width in self.widths.items():
            size = min(XLSX_MAX_COLUMN_WIDTH, max(XLSX_MIN_COLUMN_WIDTH, width + 2))
            self.worksheet.set_column(col, col, size)


def _formats(workbook: Any) -> dict[str, Any]:
    return {
        "bold": workbook.add_format({"bold": True}),
        "bold_quoted": workbook.add_format({"bold": True, "quote_prefix": True}),
        "text": workbook.add_format({}),
        "text_quoted": workbook.add_format({"quote_prefix": True}),
        "header": workbook.add_format({"bold": True, "bottom": 1}),
    }


def sheet_name(name: str, used: set[str], fallback: str = "table") -> str:
    """An Excel sheet name: at most 31 characters, none of ``[]:*?/\\``, unique ignoring case (``used`` grows)."""
    cleaned = "".join("_" if char in "[]:*?/\\" else char for char in name)[:31] or fallback
    candidate, number = cleaned, 2
    while candidate.lower() in used:
        suffix = f"~{number}"
        candidate, number = cleaned[: 31 - len(suffix)] + suffix, number + 1
    used.add(candidate.lower())
    return candidate


def _write_table_sheet(workbook: Any, formats: Mapping[str, Any], sheet: str, name: str, frame: pd.DataFrame) -> None:
    """One table on its own sheet: bold frozen header, filter, columns sized to content."""
    if len(frame) + 1 > XLSX_MAX_ROWS:
        raise ValueError(f"table {name} has {len(frame)} rows, more than an Excel sheet holds: export a .zip of CSVs")
    worksheet = workbook.add_worksheet(sheet)
    writer = _SheetWriter(worksheet, formats)
    for col, column in enumerate(frame.columns):
        worksheet.write_string(0, col, str(column), formats["header"])
        writer._track(col, str(column))
    for row, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        writer.write_row(row, values)
    worksheet.freeze_panes(1, 0)
    if len(frame.columns):
        worksheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
    worksheet.ignore_errors({"number_stored_as_text": "A1:XFD1048576"})
    writer.finish()


def _write_block(writer: _SheetWriter, row: int, title: str, frame: pd.DataFrame) -> int:
    """A titled table on the summary sheet; returns the next free row."""
    writer.write(row, 0, title, bold=True)
    writer.write_row(row + 1, [str(c) for c in frame.columns], bold=True)
    for offset, values in enumerate(frame.itertuples(index=False, name=None), start=row + 2):
        writer.write_row(offset, values)
    return row + len(frame) + 3


def _write_summary(workbook: Any, formats: Mapping[str, Any], plan: Plan, tables: Mapping[str, pd.DataFrame]) -> None:
    """The first sheet: what was planned, how each stage solved, KPIs, scenario knobs and rules."""
    worksheet = workbook.add_worksheet(SUMMARY_SHEET)
    writer = _SheetWriter(worksheet, formats)
    heading = [
        ("epiplan plan / 计划", SCHEMA_ID),
        ("dataset / 数据集", plan.dataset_name),
        ("sha256", plan.dataset_sha256),
        ("status / 状态", plan.status.value),
    ]
    for row, (label, value) in enumerate(heading):
        writer.write(row, 0, label, bold=True)
        writer.write(row, 1, value)
    row = len(heading) + 1
    row = _write_block(writer, row, "Stages / 阶段", tables["stages"])
    row = _write_block(writer, row, "KPIs / 指标", tables["kpis"])
    row = _write_block(writer, row, "Scenario / 情景", tables["scenario"])
    _write_block(writer, row, "Rules / 规则 (value, unit, source)", tables["rules"])
    worksheet.ignore_errors({"number_stored_as_text": "A1:XFD1048576"})
    writer.finish()


def _write_xlsx(plan: Plan, target: IO[bytes]) -> None:
    """The workbook into a binary file object: Summary, Compliance, then one sheet per table."""
    import xlsxwriter

    tables = plan_tables(plan)
    workbook = xlsxwriter.Workbook(
        target,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    formats = _formats(workbook)
    used = {SUMMARY_SHEET.lower(), COMPLIANCE_SHEET.lower()}
    _write_summary(workbook, formats, plan, tables)
    _write_table_sheet(workbook, formats, COMPLIANCE_SHEET, "compliance", tables["compliance"])
    for name, frame in tables.items():
        if name != "compliance":
            _write_table_sheet(workbook, formats, sheet_name(name, used), name, frame)
    workbook.close()


def to_xlsx_bytes(plan: Plan) -> bytes:
    """The workbook as bytes (for a download button)."""
    buffer = io.BytesIO()
    _write_xlsx(plan, buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# CSV zip
# ---------------------------------------------------------------------------------------------------------------

_FIELD_TYPES = {"boolean": "boolean", "integer": "integer", "floating": "number", "mixed-integer-float": "number"}


def _field_type(column: pd.Series) -> str:
    """The Frictionless type of a column: boolean, integer, number or string."""
    if pd.api.types.is_bool_dtype(column):
        return "boolean"
    if pd.api.types.is_integer_dtype(column):
        return "integer"
    if pd.api.types.is_float_dtype(column):
        return "number"
    return _FIELD_TYPES.get(pd.api.types.infer_dtype(column, skipna=True), "string")


def _csv_cell(value: Any) -> str:
    """One cell as CSV text: blanks for missing, ``true``/``false``, exact numbers, escaped text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return "" if math.isnan(value) else repr(float(value))
    text = value if isinstance(value, str) else json.dumps(plain(value), ensure_ascii=False)
    return escape_csv_text(text)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8-with-BOM CSV text, every cell a value."""
    cells = pd.DataFrame(
        {index: [_csv_cell(value) for value in frame[column].tolist()] for index, column in enumerate(frame.columns)}
    )
    cells.columns = pd.Index([escape_csv_text(str(column)) for column in frame.columns])
    buffer = io.StringIO()
    cells.to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue().encode(CSV_ENCODING)


def _datapackage(tables: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """A Frictionless data package descriptor naming each CSV and its columns' types."""
    return {
        "profile": "tabular-data-package",
        "name": "epiplan-plan",
        "description": (
            "An epiplan plan (schema epiplan.plan/1, see plan.json). Text cells starting with = + - @ or ' "
            "carry one extra leading ' (spreadsheet formula escape)."
        ),
        "resources": [
            {
                "name": name,
                "path": f"{name}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": CSV_ENCODING,
                "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
                "schema": {
                    "fields": [{"name": str(c), "type": _field_type(frame[c])} for c in frame.columns],
                    "missingValues": [""],
                },
            }
            for name, frame in tables.items()
        ],
    }


def _write_csv_zip(plan: Plan, target: IO[bytes]) -> None:
    """One CSV per table, ``plan.json`` and ``datapackage.json`` into a zip file object."""
    tables = plan_tables(plan)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, frame in tables.items():
            archive.writestr(f"{name}.csv", _csv_bytes(frame))
        archive.writestr("plan.json", to_json_bytes(plan))
        package = json.dumps(_datapackage(tables), ensure_ascii=False, indent=2)
        archive.writestr("datapackage.json", package.encode("utf-8"))


def to_zip_bytes(plan: Plan) -> bytes:
    """The CSV zip as bytes (for a download button)."""
    buffer = io.BytesIO()
    _write_csv_zip(plan, buffer)
    return buffer.getvalue()


def _typed_csv_column(texts: pd.Series, field_type: str) -> pd.Series:
    """A CSV column (read as text) back to its declared type."""
    if field_type == "string":
        return texts.map(unescape_csv_text).astype(object)
    any_missing = bool((texts == "").any())
    if field_type == "boolean":
        flags = texts.map({"true": True, "false": False, "": None})
        return flags.astype("boolean") if any_missing else flags.astype(bool)
    numbers = pd.to_numeric(texts.replace("", np.nan) if any_missing else texts, errors="coerce")
    if field_type == "integer":
        return numbers.astype("Int64") if any_missing else numbers.astype(np.int64)
    return numbers.astype(np.float64)


def read_csv_zip(source: bytes | str | os.PathLike[str], names: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """The tables of a plan's CSV zip, with the column types of its ``datapackage.json``.

    Text is unescaped (the formula-escape quote removed); an empty text cell
    reads back as an empty string. ``names`` restricts the tables read (all by default).
    """
    wanted = None if names is None else set(names)
    handle: Any = io.BytesIO(source) if isinstance(source, bytes) else source
    tables: dict[str, pd.DataFrame] = {}
    with zipfile.ZipFile(handle) as archive:
        package = json.loads(archive.read("datapackage.json").decode("utf-8"))
        for resource in package["resources"]:
            if wanted is not None and resource["name"] not in wanted:
                continue
            fields = resource["schema"]["fields"]
            if not fields:
                tables[resource["name"]] = pd.DataFrame()
                continue
            raw = archive.read(resource["path"])
            texts = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding=CSV_ENCODING)
            tables[resource["name"]] = pd.DataFrame(
                {
                    field["name"]: _typed_csv_column(texts.iloc[:, index], field["type"])
                    for index, field in enumerate(fields)
                },
                columns=[field["name"] for field in fields],
            )
    return tables


# ---------------------------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------------------------


def _atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write`` on a temporary file next to ``path``, then rename it to ``path``.

    On any error the temporary file is removed and an existing ``path`` is left
    untouched; the error propagates.
    """
    target = Path(path)
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    descriptor, temporary_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temporary = Path(temporary_name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(mode)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def write_json(plan: Plan, path: str | os.PathLike[str]) -> Path:
    """Write the ``epiplan.plan/1`` JSON document to ``path`` (atomically)."""
    payload = to_json_bytes(plan)

    def write(handle: IO[bytes]) -> None:
        handle.write(payload)

    return _atomic_write(path, write)


def write_xlsx(plan: Plan, path: str | os.PathLike[str]) -> Path:
    """Write the Excel workbook to ``path`` (atomically)."""
    return _atomic_write(path, lambda handle: _write_xlsx(plan, handle))


def write_csv_zip(plan: Plan, path: str | os.PathLike[str]) -> Path:
    """Write the zip of CSVs (with ``plan.json``) to ``path`` (atomically)."""
    return _atomic_write(path, lambda handle: _write_csv_zip(plan, handle))


WRITERS: dict[str, Callable[[Plan, str | os.PathLike[str]], Path]] = {
    ".json": write_json,
    ".xlsx": write_xlsx,
    ".zip": write_csv_zip,
}


def write_plan(plan: Plan, paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Write the plan to one or several files, the format chosen by each file's suffix.

    Raises
    ------
    ValueError
        When a suffix is not ``.json``, ``.xlsx`` or ``.zip`` (checked before anything is written).
    """
    targets = [Path(paths)] if isinstance(paths, str | os.PathLike) else [Path(p) for p in paths]
    unknown = [str(target) for target in targets if target.suffix.lower() not in WRITERS]
    if unknown:
        raise ValueError(f"cannot export a plan to {', '.join(unknown)}: use a file ending in {', '.join(SUFFIXES)}")
    return [WRITERS[target.suffix.lower()](plan, target) for target in targets]


__all__ = [
    "CONTRACT",
    "SCHEMA_ID",
    "SCHEMA_PATH",
    "contract_frame",
    "escape_csv_text",
    "is_formula_like",
    "json_to_tables",
    "plan_json_schema",
    "plan_tables",
    "plan_to_json",
    "read_csv_zip",
    "to_json_bytes",
    "to_xlsx_bytes",
    "to_zip_bytes",
    "unescape_csv_text",
    "validate_plan_json",
    "write_csv_zip",
    "write_json",
    "write_plan",
    "write_xlsx",
]
