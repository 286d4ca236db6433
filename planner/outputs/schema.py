"""The JSON Schema of ``epiplan.plan/1`` and validation of a document against it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "data" / "schema" / "epiplan.plan.1.schema.json"


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


__all__ = ["SCHEMA_PATH", "plan_json_schema", "validate_plan_json"]
