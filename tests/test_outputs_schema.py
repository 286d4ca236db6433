"""The JSON Schema of epiplan.plan/1 and validation against it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from plan_fixture import make_plan_fixture

from planner.dataset.schema import DRUGS, LEVELS
from planner.outputs.contract import CONTRACT
from planner.outputs.plan_json import plan_to_json
from planner.outputs.schema import plan_json_schema, validate_plan_json
from planner.report.plan import Plan
from planner.rules.rules import RULE_FIELDS

SCHEMA_DEFS = {
    "observation_sites": "site",
    "observation_assignments": "observation_assignment",
    "observation_unmet": "unmet",
    "ambulance_stations": "station",
    "ambulance_handshakes": "handshake",
    "nursing_needs": "nursing_need",
    "nursing_assignments": "nursing_assignment",
    "drugs_targets": "target",
    "drugs_allocations": "allocation",
    "compliance": "compliance",
    "explanations": "explanation",
    "marginal_values": "marginal_value",
}
"""Contract table -> the schema's record definition."""


@pytest.fixture(scope="module")
def plan() -> Plan:
    return make_plan_fixture()


@pytest.fixture(scope="module")
def document(plan: Plan) -> dict[str, Any]:
    return plan_to_json(plan)


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(plan_json_schema())
    assert plan_json_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_follows_the_code() -> None:
    schema = plan_json_schema()
    defs = schema["$defs"]
    assert defs["drug"]["enum"] == list(DRUGS)
    assert defs["level"]["enum"] == list(LEVELS)
    assert defs["status"]["enum"] == ["optimal", "feasible", "infeasible", "error"]
    assert defs["group"]["enum"] == ["disabled", "other"]
    assert defs["need"]["enum"] == ["transfer_1to1", "backfill", "self_care"]
    assert defs["kind"]["enum"] == ["care_home", "clinic", "hospital"]
    assert schema["properties"]["rules"]["required"] == ["preset", *RULE_FIELDS, "sources"]
    for name, columns in CONTRACT.items():
        record = defs[SCHEMA_DEFS[name]]
        assert record["required"] == list(columns), name
        assert list(record["properties"]) == list(columns), name
        assert record["additionalProperties"] is False, name


def test_validation_names_every_break(document: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(document))
    broken["nursing"]["status"] = "solved"
    broken["observation"]["sites"][0]["rooms"] = 2.5
    broken["observation"]["assignments"][0]["group"] = "elderly"
    broken["drugs"]["targets"][0]["drug"] = "aspirin"
    broken["compliance"][0]["extra"] = 1
    del broken["ambulance"]["handshakes"][0]["covered"]
    errors = validate_plan_json(broken)
    assert len(errors) == 6
    joined = "\n".join(errors)
    for path in (
        "nursing/status",
        "observation/sites/0/rooms",
        "observation/assignments/0/group",
        "drugs/targets/0/drug",
        "compliance/0",
        "ambulance/handshakes/0",
    ):
        assert path in joined
