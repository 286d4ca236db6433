"""The plan as an ``epiplan.plan/1`` JSON document, and its bytes.

The document is the contract of DESIGN §6, described by the JSON Schema that ``planner.outputs.schema`` builds
(committed as ``data/schema/epiplan.plan.1.schema.json``): the dataset's name and hash, every rule value with its
source clause, every scenario knob, the KPIs, each stage's status, figures, phases and contract tables, and the
compliance checklist, the explanations and the marginal values, and the warnings on the inputs (located:
file, row, column, message). Its list records carry exactly the keys of ``planner.outputs.contract.CONTRACT``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from models.base import StageResult, Status
from planner.outputs.contract import (
    GAP_DECIMALS,
    NUMBER_DECIMALS,
    SECONDS_DECIMALS,
    plain,
    records,
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
    for key in stage_contract_keys(stage):
        document[key] = records(f"{stage}_{key}", result.tables.get(key))
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
    document["timeline"] = records("timeline", plan.timeline)
    document["run_out"] = records("run_out", plan.run_out)
    document["warnings"] = [
        {"severity": w.severity, "file": w.file, "row": w.row, "column": w.column, "message": w.message}
        for w in plan.warnings
    ]
    return document


INDENTED_RECORDS_MAX = 100_000
"""Records beyond which the document is written compact: one line, no spaces (the same JSON; Python's C encoder
writes only compact JSON, several times faster than indented at the national scale)."""


def to_json_bytes(plan: Plan) -> bytes:
    """The ``epiplan.plan/1`` document as UTF-8 JSON (Chinese kept as is): indented, or compact when it holds
    more than :data:`INDENTED_RECORDS_MAX` records."""
    document = plan_to_json(plan)
    if _records(document) > INDENTED_RECORDS_MAX:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    else:
        text = json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)
    return (text + "\n").encode("utf-8")


def _records(document: dict[str, Any]) -> int:
    """List records in the document (its tables' rows)."""
    count = 0
    for part in document.values():
        if isinstance(part, list):
            count += len(part)
        elif isinstance(part, dict):
            count += sum(len(item) for item in part.values() if isinstance(item, list))
    return count


__all__ = ["HEADER_KEYS", "INDENTED_RECORDS_MAX", "SCHEMA_ID", "TRAILER_KEYS", "plan_to_json", "to_json_bytes"]
