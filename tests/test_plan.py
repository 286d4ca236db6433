"""The Plan object: its fields follow the cross-module contract, its stages come in pipeline order."""

from __future__ import annotations

import dataclasses

import pytest
from plan_fixture import make_plan_fixture

from models.base import StageResult, Status
from planner.report.plan import Plan
from planner.stages.registry import STAGE_NAMES

CONTRACT_FIELDS = [
    "dataset_name",
    "dataset_sha256",
    "rules",
    "scenario",
    "needs",
    "results",
    "kpis",
    "compliance",
    "explanations",
    "marginal_values",
    "warnings",
    "timeline",
    "run_out",
]


def test_fields_are_the_contract_fields_in_order() -> None:
    assert [field.name for field in dataclasses.fields(Plan)] == CONTRACT_FIELDS


def test_stage_names_are_the_pipeline_order() -> None:
    assert STAGE_NAMES == ("observation", "ambulance", "nursing", "drugs", "testing")


def test_stages_in_pipeline_order_are_the_stage_fields() -> None:
    plan = make_plan_fixture()
    stages = plan.stages()
    assert list(stages) == list(STAGE_NAMES)
    assert all(stages[name] is plan.stage(name) for name in STAGE_NAMES)
    assert all(result.stage == name for name, result in stages.items())


def test_plan_is_frozen() -> None:
    plan = make_plan_fixture()
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.dataset_name = "other"  # type: ignore[misc]


def test_plans_compare_by_identity() -> None:
    plan = make_plan_fixture()
    assert plan == plan
    assert plan != make_plan_fixture()


def test_status_is_the_least_proven_stage_status() -> None:
    plan = make_plan_fixture()
    assert plan.status is Status.OPTIMAL
    failed = StageResult.failed("nursing", "solver crashed", 0.5, {})
    assert plan.with_result("nursing", failed).status is Status.ERROR
