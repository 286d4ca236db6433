"""The epiplan.plan/1 JSON document: header, rules, scenario, stage objects and their records."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import pandas as pd
import pytest
from plan_fixture import FIXTURE_SHA256, LEADING_ZERO_ID

from models.base import StageResult
from planner.outputs import plan_json
from planner.outputs.contract import CONTRACT, contract_location
from planner.outputs.plan_json import plan_to_json, to_json_bytes
from planner.outputs.schema import validate_plan_json
from planner.report.plan import Plan
from planner.rules.rules import RULE_FIELDS


def _contract_records(document: dict[str, Any], name: str) -> list[dict[str, Any]]:
    stage, key = contract_location(name)
    rows: list[dict[str, Any]] = document[key] if stage is None else document[stage][key]
    return rows


def test_fixture_document_is_valid_and_dumps(document: dict[str, Any]) -> None:
    assert validate_plan_json(document) == []
    text = json.dumps(document, ensure_ascii=False, allow_nan=False)
    assert "东城区" in text
    assert json.loads(text) == document


def test_document_header_rules_and_scenario(plan: Plan, document: dict[str, Any]) -> None:
    assert document["schema"] == "epiplan.plan/1"
    assert document["dataset"] == {"name": "tiny 东城区", "sha256": FIXTURE_SHA256}
    rules = document["rules"]
    assert rules["preset"] == "beijing-2023"
    assert rules["nursing_reserve_per_resident"] == 0.1
    assert rules["care_home_drugs"] == ["antipyretic", "cough"]
    assert rules["tests_per_week_staff"] == {"open": 2.0, "closed": 7.0}
    assert rules["sources"]["nursing_reserve_per_resident"] == "000 §4 reserve; 004 (十二) support teams"
    assert rules["kinds"]["nursing_reserve_per_resident"] == "quoted"
    assert rules["clauses"]["nursing_reserve_per_resident"] == ["000 §4 reserve", "004 (十二) support teams"]
    assert rules["kinds"]["persons_per_room"] == "assumption" and rules["clauses"]["persons_per_room"] == []
    assert set(rules["sources"]) == set(rules["kinds"]) == set(rules["clauses"]) == set(RULE_FIELDS)
    assert document["scenario"] == plan.scenario.to_dict()
    assert document["scenario"]["closed_sites"] == ["ST2"]
    assert document["kpis"]["status"] == {
        "observation": "optimal",
        "ambulance": "optimal",
        "nursing": "optimal",
        "drugs": "optimal",
        "testing": "optimal",
    }
    assert document["kpis"]["fill_rate_min"] == 0.6667


def test_stage_objects_carry_status_figures_and_phases(document: dict[str, Any]) -> None:
    drugs = document["drugs"]
    assert drugs["status"] == "optimal"
    assert drugs["seconds"] == 0.031
    assert drugs["objective"] == 975.0
    assert drugs["gap"] == 0.0
    assert drugs["message"] == ""
    assert drugs["phases"][0] == {
        "name": "min_fill_rate",
        "sense": "max",
        "objective": 0.6667,
        "bound": 0.6667,
        "status": "optimal",
    }


def test_records_carry_exactly_the_contract_keys(document: dict[str, Any]) -> None:
    for name, columns in CONTRACT.items():
        rows = _contract_records(document, name)
        assert rows, name
        assert all(list(row) == list(columns) for row in rows), name
    assert "name" not in document["observation"]["sites"][0]
    assert "reason" not in document["ambulance"]["handshakes"][0]
    assert "streets" not in document["observation"]


def test_records_hold_plain_typed_values(document: dict[str, Any]) -> None:
    assert document["observation"]["sites"][0] == {
        "site_id": "ST1",
        "street_id": "S1",
        "open": True,
        "rooms": 10,
        "persons": 6,
        "barrier_free": True,
        "capacity": 10,
    }
    assert type(document["observation"]["sites"][0]["rooms"]) is int  # was numpy int64
    assert document["observation"]["assignments"][0]["home_id"] == LEADING_ZERO_ID
    assert document["ambulance"]["handshakes"][2] == {
        "home_id": "H003",
        "station_id": "A2",
        "hospital_id": "HP1",
        "trip_minutes": 130.0,
        "daily_transfers": 0.1,
        "covered": False,
    }
    assert document["nursing"]["needs"][1]["need_id"] == "backfill:007"
    assert document["drugs"]["targets"][1]["shortfall"] == 10
    assert document["compliance"][1]["source"] == "003 三(二)10"
    assert document["explanations"][0]["zh"].startswith("养老机构H003")


def test_numbers_are_rounded_and_undefined_numbers_are_null(plan: Plan) -> None:
    assignments = plan.stage("observation").table("assignments").assign(minutes=[12.345, math.nan, 7.0])
    tables = {**plan.stage("observation").tables, "assignments": assignments}
    handshakes = (
        plan.stage("ambulance").table("handshakes").assign(hospital_id=pd.Series(["HP1", None, math.nan], dtype=object))
    )
    ambulance = dataclasses.replace(
        plan.stage("ambulance"), tables={**plan.stage("ambulance").tables, "handshakes": handshakes}
    )
    changed = plan.with_result(
        "observation", dataclasses.replace(plan.stage("observation"), tables=tables)
    ).with_result("ambulance", ambulance)
    document = plan_to_json(changed)
    assert [row["minutes"] for row in document["observation"]["assignments"]] == [12.3, None, 7.0]
    assert [row["hospital_id"] for row in document["ambulance"]["handshakes"]] == ["HP1", None, None]
    assert validate_plan_json(document) == []


def test_failed_stage_exports_null_figures_and_empty_lists(plan: Plan) -> None:
    failed = StageResult.failed("drugs", "solver crashed: 内部错误", 0.5, {})
    document = plan_to_json(plan.with_result("drugs", failed))
    assert document["drugs"]["status"] == "error"
    assert document["drugs"]["objective"] is None
    assert document["drugs"]["gap"] is None
    assert document["drugs"]["targets"] == []
    assert document["drugs"]["allocations"] == []
    assert document["drugs"]["message"] == "solver crashed: 内部错误"
    assert validate_plan_json(document) == []
    json.dumps(document, allow_nan=False)


def test_missing_contract_column_is_named(plan: Plan) -> None:
    sites = plan.stage("observation").table("sites").drop(columns=["barrier_free"])
    observation = dataclasses.replace(
        plan.stage("observation"), tables={**plan.stage("observation").tables, "sites": sites}
    )
    with pytest.raises(ValueError, match="barrier_free"):
        plan_to_json(plan.with_result("observation", observation))


def test_a_large_document_is_written_compact_and_reads_back_the_same(
    plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    indented = to_json_bytes(plan)
    monkeypatch.setattr(plan_json, "INDENTED_RECORDS_MAX", 1)
    compact = to_json_bytes(plan)
    assert compact.count(b"\n") == 1 and indented.count(b"\n") > 100
    assert json.loads(compact) == json.loads(indented)
