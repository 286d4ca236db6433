"""The plan as an ``epiplan.plan/1`` JSON document, and its bytes.

The document is the contract of DESIGN §6, described by the JSON Schema that ``planner.outputs.schema`` builds
(committed as ``data/schema/epiplan.plan.1.schema.json``): the dataset's name and hash, every rule value with its
source clause, every scenario knob, the KPIs, each stage's status, figures, phases and contract tables, and the
compliance checklist, the explanations and the marginal values, and the warnings on the inputs (located:
file, row, column, message). Its list records carry exactly the keys of ``planner.outputs.contract.CONTRACT``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

import pandas as pd

from models.base import StageResult, Status
from planner.outputs.contract import (
    GAP_DECIMALS,
    NUMBER_DECIMALS,
    SECONDS_DECIMALS,
    check_columns,
    plain,
    records,
    records_text,
    stage_contract_keys,
)
from planner.rules.rules import Rules

if TYPE_CHECKING:
    from planner.report.plan import Plan

SCHEMA_ID = "epiplan.plan/1"
HEADER_KEYS: tuple[str, ...] = ("schema", "dataset", "rules", "scenario", "kpis")
"""The document's keys before the stage objects (the plan lists follow them)."""
TRAILER_KEYS: tuple[str, ...] = ("warnings",)
"""The document's keys after the plan lists."""


def _rules_json(rules: Rules) -> dict[str, Any]:
    document: dict[str, Any] = plain(rules.values())
    document["sources"] = {field: info.source for field, info in rules.info.items()}
    document["kinds"] = {field: info.kind for field, info in rules.info.items()}
    document["clauses"] = {field: list(info.clauses) for field, info in rules.info.items()}
    return document


@dataclass(frozen=True)
class LazyRecords:
    """A contract table whose records are made only while it is written (:func:`write_json`)."""

    name: str
    frame: pd.DataFrame | None

    def __len__(self) -> int:
        return 0 if self.frame is None else len(self.frame)

    def chunks(self, rows: int) -> Iterator[list[dict[str, Any]]]:
        """The records, ``rows`` at a time."""
        if self.frame is None or self.frame.empty:
            return
        for first in range(0, len(self.frame), rows):
            yield records(self.name, self.frame.iloc[first : first + rows])

    def texts(self, rows: int) -> Iterator[str]:
        """The records' compact JSON text (:func:`~planner.outputs.contract.records_text`), ``rows`` at a time."""
        if self.frame is None or self.frame.empty:
            return
        for first in range(0, len(self.frame), rows):
            yield records_text(self.name, self.frame.iloc[first : first + rows])


def _table(name: str, frame: pd.DataFrame | None, lazy: bool) -> list[dict[str, Any]] | LazyRecords:
    if lazy:
        if frame is not None:
            check_columns(name, frame)
        return LazyRecords(name, frame)
    return records(name, frame)


def _stage_json(stage: str, result: StageResult, lazy: bool = False) -> dict[str, Any]:
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
    for key in stage_contract_keys(stage):
        document[key] = _table(f"{stage}_{key}", result.tables.get(key), lazy)
    return document


def plan_to_json(plan: Plan, lazy: bool = False) -> dict[str, Any]:
    """The plan as an ``epiplan.plan/1`` document (DESIGN §6), ready for ``json.dumps``; ``lazy``: its tables as
    :class:`LazyRecords`, for :func:`write_json`.

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
        document[stage] = _stage_json(stage, result, lazy)
    document["compliance"] = _table("compliance", plan.compliance, lazy)
    document["explanations"] = _table("explanations", plan.explanations, lazy)
    document["marginal_values"] = _table("marginal_values", plan.marginal_values, lazy)
    document["timeline"] = _table("timeline", plan.timeline, lazy)
    document["run_out"] = _table("run_out", plan.run_out, lazy)
    document["warnings"] = [
        {"severity": w.severity, "file": w.file, "row": w.row, "column": w.column, "message": w.message}
        for w in plan.warnings
    ]
    return document


INDENTED_RECORDS_MAX = 100_000
"""Records beyond which the document is written compact and a chunk at a time (:func:`write_json`): one line, no
spaces (the same JSON; Python's C encoder writes only compact JSON, several times faster than indented at the
national scale, and the records never all exist at once)."""
CHUNK_RECORDS = 100_000
"""Records written at a time by :func:`write_json` (as text: about 15 MB for the national timeline's)."""


def to_json_bytes(plan: Plan) -> bytes:
    """The ``epiplan.plan/1`` document as UTF-8 JSON (Chinese kept as is): indented, or compact when it holds
    more than :data:`INDENTED_RECORDS_MAX` records."""
    buffer = io.BytesIO()
    write_json(plan, buffer)
    return buffer.getvalue()


def write_json(plan: Plan, target: IO[bytes]) -> None:
    """Write the document to ``target`` (see :func:`to_json_bytes`): a large one table by table, a chunk of
    :data:`CHUNK_RECORDS` records at a time, so memory holds one chunk's records, not the document's."""
    document = plan_to_json(plan, lazy=True)
    if _records(document) <= INDENTED_RECORDS_MAX:
        text = json.dumps(_materialised(document), ensure_ascii=False, indent=2, allow_nan=False)
        target.write((text + "\n").encode("utf-8"))
        return
    _write_value(document, target)
    target.write(b"\n")


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _write_value(value: Any, target: IO[bytes]) -> None:
    if isinstance(value, LazyRecords):
        target.write(b"[")
        for number, text in enumerate(value.texts(CHUNK_RECORDS)):
            target.write(b"," if number else b"")
            target.write(text.encode("utf-8"))
        target.write(b"]")
    elif isinstance(value, dict) and any(isinstance(item, LazyRecords | dict) for item in value.values()):
        target.write(b"{")
        for number, (key, item) in enumerate(value.items()):
            target.write(b"," if number else b"")
            target.write(_dumps(key) + b":")
            _write_value(item, target)
        target.write(b"}")
    else:
        target.write(_dumps(value))


def _materialised(value: Any) -> Any:
    """The document with every :class:`LazyRecords` made a list."""
    if isinstance(value, LazyRecords):
        return [record for chunk in value.chunks(max(1, len(value))) for record in chunk]
    if isinstance(value, dict):
        return {key: _materialised(item) for key, item in value.items()}
    return value


def _records(document: dict[str, Any]) -> int:
    """List records in the document (its tables' rows)."""
    count = 0
    for part in document.values():
        if isinstance(part, list | LazyRecords):
            count += len(part)
        elif isinstance(part, dict):
            count += sum(len(item) for item in part.values() if isinstance(item, list | LazyRecords))
    return count


__all__ = [
    "HEADER_KEYS",
    "INDENTED_RECORDS_MAX",
    "SCHEMA_ID",
    "TRAILER_KEYS",
    "LazyRecords",
    "plan_to_json",
    "to_json_bytes",
    "write_json",
]
