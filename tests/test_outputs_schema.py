"""The JSON Schema of epiplan.plan/1: built from the registered stages and the models, committed, validating."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

from planner.dataset.schema import DRUGS, LEVELS
from planner.outputs.contract import CONTRACT, PLAN_LISTS, stage_contract_keys
from planner.outputs.plan_json import HEADER_KEYS, TRAILER_KEYS
from planner.outputs.schema import (
    COLUMN_REFINEMENTS,
    SCHEMA_PATH,
    build_plan_schema,
    plan_json_schema,
    schema_text,
    validate_plan_json,
)
from planner.rules.rules import RULE_FIELDS, RulesError, load_rules
from planner.rules.scenario import ScenarioError, make_scenario
from planner.stages.registry import STAGE_NAMES

STAGE_FIELDS = ["status", "seconds", "objective", "bound", "gap", "message", "phases"]
BOUNDARY_VALUES = (-1, 0, 0.5, 1, 1.5, 365, 366)
"""Numbers on and around every range a rule or knob has ([0, 1], > 0, >= 0, [1, 365])."""


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(plan_json_schema())
    assert plan_json_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_committed_schema_file_is_the_one_the_code_builds() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "data/schema/epiplan.plan.1.schema.json is stale: "
        "python -m planner.outputs.schema > data/schema/epiplan.plan.1.schema.json"
    )
    assert json.loads(schema_text()) == build_plan_schema() == plan_json_schema()


def test_schema_follows_the_code() -> None:
    schema = plan_json_schema()
    defs = schema["$defs"]
    assert defs["drug"]["enum"] == list(DRUGS)
    assert schema["properties"]["scenario"]["properties"]["level"]["enum"] == list(LEVELS)
    assert defs["status"]["enum"] == ["optimal", "feasible", "infeasible", "error"]
    assert defs["group"]["enum"] == ["disabled", "other"]
    assert defs["need"]["enum"] == ["transfer_1to1", "backfill", "self_care"]
    assert defs["kind"]["enum"] == ["care_home", "clinic", "hospital"]
    assert defs["stage"]["enum"] == list(STAGE_NAMES)
    assert schema["properties"]["rules"]["required"] == ["preset", *RULE_FIELDS, "sources", "kinds", "clauses"]
    for name, columns in CONTRACT.items():
        record = defs[name]
        assert record["required"] == list(columns), name
        assert list(record["properties"]) == list(columns), name
        assert record["additionalProperties"] is False, name


def test_every_registered_stage_is_an_object_of_the_common_fields_and_its_contract_tables() -> None:
    schema = plan_json_schema()
    assert schema["required"] == [*HEADER_KEYS, *STAGE_NAMES, *PLAN_LISTS, *TRAILER_KEYS]
    assert schema["additionalProperties"] is False
    for stage in STAGE_NAMES:
        tables = stage_contract_keys(stage)
        stage_schema = schema["properties"][stage]
        assert stage_schema["required"] == [*STAGE_FIELDS, *tables], stage
        assert stage_schema["additionalProperties"] is False, stage
        for key in tables:
            assert stage_schema["properties"][key] == {"type": "array", "items": {"$ref": f"#/$defs/{stage}_{key}"}}


def test_refinements_name_contract_columns_and_narrow_them() -> None:
    defs = plan_json_schema()["$defs"]
    for table, columns in COLUMN_REFINEMENTS.items():
        for column, refined in columns.items():
            assert column in CONTRACT[table], f"{table}.{column}"
            assert defs[table]["properties"][column] == refined
    handshake = defs["ambulance_handshakes"]["properties"]["daily_transfers"]
    assert not Draft202012Validator(handshake).is_valid(None)


def _accepts(schema: dict[str, Any], value: Any) -> bool:
    return bool(Draft202012Validator(schema).is_valid(value))


PAIRED_RULES: dict[str, dict[str, Any]] = {
    "sampling_points_per_street_min": {"sampling_points_per_street_max": 1_000},
    "sampling_points_per_street_max": {"sampling_points_per_street_min": 0},
}
"""A rule checked against another (min <= max): the other is set to let every single value through."""


def _rules_accept(field: str, value: Any) -> bool:
    try:
        load_rules().with_overrides({**PAIRED_RULES.get(field, {}), field: value})
    except RulesError:
        return False
    return True


def _scenario_accepts(knob: str, value: Any) -> bool:
    try:
        make_scenario(**{knob: value}, plan="snapshot")  # the daily plan's shorter horizon is a cross-knob rule
    except ScenarioError:
        return False
    return True


def test_the_ranges_of_rules_are_those_their_validators_accept() -> None:
    properties = plan_json_schema()["properties"]["rules"]["properties"]
    numeric = [field for field in RULE_FIELDS if properties[field].get("type") in ("number", "integer")]
    assert len(numeric) >= 15
    for field in numeric:
        for value in BOUNDARY_VALUES:
            assert _accepts(properties[field], value) == _rules_accept(field, value), (field, value)
    per_management = properties["tests_per_week_staff"]
    for value in ({"open": 1, "closed": 7}, {"open": -1, "closed": 7}, {"open": 1, "closed": 101}):
        assert _accepts(per_management, value) == _rules_accept("tests_per_week_staff", value), value
    assert not _accepts(per_management, {"open": 1}) and not _rules_accept("tests_per_week_staff", {"open": 1})
    by_level = properties["care_home_management"]
    for value in ({"normal": "open", "prevalent": "closed", "severe": "closed"}, {"normal": "shut"}):
        assert _accepts(by_level, value) == _rules_accept("care_home_management", value), value
    for drugs in (["tcm", "cough"], ["aspirin"]):
        assert _accepts(properties["clinic_drugs"], drugs) == _rules_accept("clinic_drugs", drugs), drugs


def test_the_ranges_of_knobs_are_those_their_validators_accept() -> None:
    properties = plan_json_schema()["properties"]["scenario"]["properties"]
    numeric = [knob for knob, schema in properties.items() if schema.get("type") in ("number", "integer")]
    assert {"horizon_days", "attack_rate", "stock_factor"} <= set(numeric)
    for knob in numeric:
        for value in BOUNDARY_VALUES:
            assert _accepts(properties[knob], value) == _scenario_accepts(knob, value), (knob, value)
    for multipliers in ({"D1": 1.5}, {"D1": -1}):
        assert _accepts(properties["demand_multipliers"], multipliers) == _scenario_accepts(
            "demand_multipliers", multipliers
        )
    for sites in (["ST1"], [""]):
        assert _accepts(properties["closed_sites"], sites) == _scenario_accepts("closed_sites", sites), sites


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
