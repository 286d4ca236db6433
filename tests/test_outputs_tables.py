"""Every table of a plan for the workbook and the CSV zip."""

from __future__ import annotations

import dataclasses

import pandas as pd
from plan_fixture import FORMULA_TEXT

from models.base import StageResult
from planner.outputs.contract import CONTRACT
from planner.outputs.tables import plan_tables
from planner.report.plan import Plan
from planner.rules.rules import RULE_FIELDS


def test_plan_tables_in_stable_order_with_full_columns(plan: Plan) -> None:
    tables = plan_tables(plan)
    assert list(tables)[:5] == ["kpis", "scenario", "rules", "stages", "phases"]
    assert list(tables)[-5:] == ["compliance", "explanations", "marginal_values", "timeline", "run_out"]
    assert set(CONTRACT) <= set(tables)
    assert {"observation_streets", "observation_marginal", "nursing_pools", "drugs_depots"} <= set(tables)
    sites = tables["observation_sites"]
    assert list(sites.columns[: len(CONTRACT["observation_sites"])]) == list(CONTRACT["observation_sites"])
    assert sites["name"].tolist() == ["安定门观察点", FORMULA_TEXT]
    assert list(tables["rules"].columns) == ["field", "value", "unit", "source", "label", "label_zh"]
    assert tables["rules"]["field"].tolist() == ["preset", *RULE_FIELDS]
    kpis = dict(zip(tables["kpis"]["key"], tables["kpis"]["value"], strict=True))
    assert kpis["status.nursing"] == "optimal"
    assert kpis["unmet_persons"] == 1
    scenario = dict(zip(tables["scenario"]["key"], tables["scenario"]["value"], strict=True))
    assert scenario["closed_sites"] == '["ST2"]'
    assert tables["stages"]["status"].tolist() == ["optimal"] * 5
    assert len(tables["phases"]) == 12


def test_plan_tables_of_a_failed_stage_keep_contract_columns(plan: Plan) -> None:
    failed = StageResult.failed("drugs", "boom", 0.5, {})
    tables = plan_tables(plan.with_result("drugs", failed))
    assert list(tables["drugs_targets"].columns) == list(CONTRACT["drugs_targets"])
    assert tables["drugs_targets"].empty
    assert "drugs_depots" not in tables


def test_plan_tables_leave_the_plans_frames_as_they_are(plan: Plan) -> None:
    """The tables share the plan's columns where nothing changes them: ids made text, minutes rounded, columns
    put in contract order go into the table alone."""
    observation = plan.stage("observation")
    assignments = observation.tables["assignments"]
    odd = assignments.assign(minutes=assignments["minutes"] + 0.04, home_id=range(len(assignments)), extra=1)
    odd = odd[["extra", *reversed(list(assignments.columns))]]
    odd.index = odd.index + 10
    before = odd.copy()
    changed = plan.with_result("observation", dataclasses.replace(observation, tables={"assignments": odd}))
    table = plan_tables(changed)["observation_assignments"]
    pd.testing.assert_frame_equal(odd, before)
    assert list(table.columns) == [*CONTRACT["observation_assignments"], "extra"]
    assert table.index.tolist() == list(range(len(odd)))
    assert table["home_id"].tolist() == [str(k) for k in range(len(odd))]
    assert table["minutes"].tolist() == odd["minutes"].round(1).tolist()
