"""The JSON Schema of ``epiplan.plan/1``, built from the code, and validation of a document against it.

The schema (draft 2020-12) follows what writes the document, so that a new stage, rule or knob needs no edit
here:

- each registered stage (``planner.stages.registry.STAGES``) is an object of the common stage fields (status,
  seconds, objective, bound, gap, message, phases) and one array per table of its contract; each record has
  exactly the contract's keys, typed by their kind (:data:`KIND_SCHEMAS`; an enumeration of text values
  becomes an ``enum`` named after its column in ``$defs``);
- the plan's lists (compliance, explanations, marginal values) likewise, from ``contract.PLAN_CONTRACT``;
- ``rules`` and ``scenario`` take their properties from the pydantic models
  :class:`planner.rules.rules.Rules` and :class:`planner.rules.scenario.Scenario`: each constrained field type
  carries its JSON Schema next to its validator (``pydantic.WithJsonSchema``, ``Field(ge=..., le=...)``).

The committed copy ``data/schema/epiplan.plan.1.schema.json`` (for readers outside Python) is written by this
module and a test asserts that it equals :func:`build_plan_schema`::

    python -m planner.outputs.schema > data/schema/epiplan.plan.1.schema.json

:func:`validate_plan_json` validates against the schema built from the code.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from models.base import Status
from planner.outputs.contract import CONTRACT, PLAN_LISTS, stage_contract_keys
from planner.outputs.plan_json import SCHEMA_ID
from planner.rules.limits import DEFAULT_RULE_LIMITS, RULE_LIMITS
from planner.rules.rules import RULE_FIELDS, Rules
from planner.rules.scenario import Scenario
from planner.stages.base import ColumnKind, ColumnSpec
from planner.stages.registry import STAGE_NAMES

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "data" / "schema" / "epiplan.plan.1.schema.json"
SCHEMA_URI = "https://epiplan.example/schema/epiplan.plan.1.schema.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

KIND_SCHEMAS: dict[ColumnKind, dict[str, Any]] = {
    "id": {"type": "string", "minLength": 1, "description": "An id, kept as written (leading zeros survive)."},
    "optional_id": {"type": ["string", "null"], "description": "An id, or null where there is none."},
    "text": {"type": "string"},
    "count": {"type": "integer", "minimum": 0},
    "number": {"type": ["number", "null"], "description": "A real number (null when undefined)."},
    "minutes": {"type": ["number", "null"], "minimum": 0, "description": "Minutes, rounded to 0.1."},
    "bool": {"type": "boolean"},
}
"""The JSON Schema of each column kind (``$defs/<kind>``; ``text`` and ``bool`` are written in place)."""
SHARED_KINDS: tuple[ColumnKind, ...] = ("id", "optional_id", "count", "number", "minutes")

COLUMN_REFINEMENTS: dict[str, dict[str, dict[str, Any]]] = {
    "ambulance_handshakes": {"daily_transfers": {"type": "number", "minimum": 0}},
}
"""Contract columns whose values are narrower than their kind says (table -> column -> schema): daily
transfers are a real number >= 0, never null. A kind for non-negative reals in ``planner.stages.base`` would
make this table unnecessary."""

PHASE_SENSES: tuple[str, ...] = ("min", "max")
"""``models.base.Phase.sense``."""

KPI_VALUE = {"type": ["number", "string", "boolean", "null", "array", "object"]}
DESCRIPTION = (
    "A solved district epidemic resource plan (DESIGN §6): the rules and scenario it was solved under, each "
    "stage's status and tables, and the compliance checklist, explanations and marginal values. Ids are strings, "
    "counts integers, minutes rounded to 0.1, undefined numbers null. Written by planner.outputs.schema from the "
    "registered stages' contracts and the rules and scenario models; do not edit by hand."
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


def _array_of(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name)}


def _closed_object(properties: Mapping[str, Any]) -> dict[str, Any]:
    """An object with exactly ``properties``, all required."""
    return {"type": "object", "additionalProperties": False, "required": list(properties), "properties": properties}


def _column_schema(table: str, column: str, spec: ColumnSpec, defs: dict[str, Any]) -> dict[str, Any]:
    """The schema of one contract column; a shared kind or enumeration goes into ``defs`` and is referenced."""
    refined = COLUMN_REFINEMENTS.get(table, {}).get(column)
    if refined is not None:
        return dict(refined)
    if isinstance(spec, tuple):
        enum = {"enum": list(spec)}
        name = column if defs.get(column, enum) == enum else f"{table}_{column}"
        defs[name] = enum
        return _ref(name)
    return _ref(spec) if spec in SHARED_KINDS else dict(KIND_SCHEMAS[spec])


def _record_defs(defs: dict[str, Any]) -> None:
    """One record definition per contract table (``$defs/<table>``), in contract order."""
    for table, columns in CONTRACT.items():
        if table in defs:
            raise ValueError(f"contract table {table!r} has the name of another schema definition")
        defs[table] = _closed_object(
            {column: _column_schema(table, column, spec, defs) for column, spec in columns.items()}
        )


def _stage_schema(stage: str) -> dict[str, Any]:
    """A stage object: the common fields, then one array per contract table of the stage."""
    properties: dict[str, Any] = {
        "status": _ref("status"),
        "seconds": {"type": "number", "minimum": 0},
        "objective": _ref("number"),
        "bound": _ref("number"),
        "gap": _ref("number"),
        "message": {"type": "string"},
        "phases": _array_of("phase"),
    }
    for key in stage_contract_keys(stage):
        properties[key] = _array_of(f"{stage}_{key}")
    return _closed_object(properties)


def _property_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A pydantic property schema without its title and default (the document always carries the value)."""
    if "$ref" in json.dumps(schema):
        raise ValueError(f"a rules or scenario field refers to a pydantic definition: {schema}")
    return {key: value for key, value in schema.items() if key not in ("title", "default")}


def model_properties(model: type[BaseModel], exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON Schema of each field of ``model`` as serialized (``model_dump``), in field order.

    Parameters
    ----------
    model
        A pydantic model whose field types carry their JSON Schema.
    exclude
        Fields left out.
    """
    properties = model.model_json_schema(mode="serialization")["properties"]
    return {name: _property_schema(schema) for name, schema in properties.items() if name not in exclude}


def _with_limits(field: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A numeric rule's schema narrowed to its limits (``planner.rules.limits``), per level too."""
    if schema.get("type") == "object" and isinstance(schema.get("properties"), dict):
        levels = {key: _with_limits(field, value) for key, value in schema["properties"].items()}
        return {**schema, "properties": levels}
    if schema.get("type") not in ("number", "integer"):
        return schema
    smallest, largest = RULE_LIMITS.get(field, DEFAULT_RULE_LIMITS)
    narrowed = {**schema, "maximum": min(largest, schema.get("maximum", largest))}
    if smallest > schema.get("minimum", schema.get("exclusiveMinimum", smallest - 1)):
        narrowed.pop("exclusiveMinimum", None)
        narrowed["minimum"] = smallest
    return narrowed


def _rules_schema() -> dict[str, Any]:
    """Every rule value (``Rules.values()``) within its limits, and each rule's source, kind and clause ids."""
    properties = {name: _with_limits(name, schema) for name, schema in model_properties(Rules, ("info",)).items()}
    properties["sources"] = {
        "type": "object",
        "required": list(RULE_FIELDS),
        "additionalProperties": {"type": "string"},
    }
    properties["kinds"] = {
        "type": "object",
        "required": list(RULE_FIELDS),
        "additionalProperties": {"enum": ["quoted", "interpreted", "assumption"]},
    }
    properties["clauses"] = {
        "type": "object",
        "required": list(RULE_FIELDS),
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    }
    return _closed_object(properties)


def build_plan_schema() -> dict[str, Any]:
    """The JSON Schema of ``epiplan.plan/1`` (draft 2020-12), built from the registered stages and the models."""
    defs: dict[str, Any] = {kind: dict(KIND_SCHEMAS[kind]) for kind in SHARED_KINDS}
    defs["status"] = {"enum": [status.value for status in Status]}
    defs["phase"] = _closed_object(
        {
            "name": {"type": "string"},
            "sense": {"enum": list(PHASE_SENSES)},
            "objective": _ref("number"),
            "bound": _ref("number"),
            "status": _ref("status"),
        }
    )
    _record_defs(defs)
    defs["warning"] = _closed_object(
        {
            "severity": {"const": "warning"},
            "file": {"type": "string"},
            "row": {"type": ["integer", "null"], "minimum": 1},
            "column": {"type": ["string", "null"]},
            "message": {"type": "string"},
        }
    )
    properties: dict[str, Any] = {
        "schema": {"const": SCHEMA_ID},
        "dataset": _closed_object(
            {"name": {"type": "string"}, "sha256": {"type": "string", "pattern": "^([0-9a-f]{64})?$"}}
        ),
        "rules": _rules_schema(),
        "scenario": _closed_object(model_properties(Scenario)),
        "kpis": {"type": "object", "additionalProperties": KPI_VALUE},
        **{stage: _stage_schema(stage) for stage in STAGE_NAMES},
        **{name: _array_of(name) for name in PLAN_LISTS},
        "warnings": {"type": "array", "items": _ref("warning")},
    }
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_URI,
        "title": f"epiplan plan, version 1 ({SCHEMA_ID})",
        "description": DESCRIPTION,
        **_closed_object(properties),
        "$defs": defs,
    }


def schema_text(schema: Mapping[str, Any] | None = None) -> str:
    """The schema as the committed file holds it: indented UTF-8 JSON with a final newline."""
    return json.dumps(build_plan_schema() if schema is None else schema, ensure_ascii=False, indent=2) + "\n"


@cache
def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema of ``epiplan.plan/1`` (draft 2020-12), built once per process."""
    return build_plan_schema()


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


def main() -> None:
    """Print the schema (``python -m planner.outputs.schema > data/schema/epiplan.plan.1.schema.json``)."""
    sys.stdout.buffer.write(schema_text().encode("utf-8"))


if __name__ == "__main__":
    main()


__all__ = [
    "COLUMN_REFINEMENTS",
    "KIND_SCHEMAS",
    "SCHEMA_PATH",
    "build_plan_schema",
    "model_properties",
    "plan_json_schema",
    "schema_text",
    "validate_plan_json",
]
