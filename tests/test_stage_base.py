"""The stage shape: checklist rows, the plan context, a stage's run, the registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tiny_plan import tiny_dataset

from models.base import SolveOptions, StageResult, Status
from planner.pipeline import plan_context
from planner.rules.rules import load_rules
from planner.rules.scenario import Scenario
from planner.stages.base import COMPLIANCE_COLUMNS, Stage, compliance_rows, repeated, share, timeline_rows
from planner.stages.registry import STAGE_NAMES, STAGES, stage


def test_compliance_rows_check_each_scope_in_its_sense() -> None:
    at_least = compliance_rows("r", "site", pd.Series(["a", "b"]), 3, np.array([3, 2]), "000 §4")
    assert list(at_least.columns) == list(COMPLIANCE_COLUMNS)
    assert at_least["met"].tolist() == [True, False]
    at_most = compliance_rows("r", "site", pd.Series(["a", "b"]), pd.Series([3, 1]), np.array([3, 2]), "", "at_most")
    assert at_most["met"].tolist() == [True, False] and set(at_most["sense"]) == {"at_most"}


def test_a_repeated_text_is_one_object_in_every_cell() -> None:
    column = repeated("institution", 1000)
    assert column.dtype == object and column.tolist() == ["institution"] * 1000
    assert len({id(cell) for cell in column}) == 1
    assert len(repeated("x", 0)) == 0
    rows = compliance_rows("rule", "district", pd.Series(["a", "b", "c"]), 1, np.ones(3), "000 §4")
    for column_name in ("rule_id", "scope", "sense", "source"):  # one text per column, not one per row
        assert len({id(cell) for cell in rows[column_name]}) == 1


def test_share_of_nothing_is_whole() -> None:
    assert share(0, 0) == 1.0 and share(1, 4) == 0.25


def test_a_stage_runs_its_model_on_the_inputs_it_builds() -> None:
    seen: list[object] = []

    def solve(inputs: str, options: SolveOptions) -> StageResult:
        seen.append((inputs, options.time_limit_s))
        return StageResult("toy", Status.OPTIMAL, 0, 0, 0, 0, {})

    toy = Stage(
        name="toy",
        build_inputs=lambda context: context.scenario.level,
        solve=solve,
        contract={},
        kpis=lambda result, context: {},
        compliance=lambda result, context: [],
    )
    context = plan_context(tiny_dataset(), load_rules(), Scenario(level="severe"))
    result = toy.run(context, SolveOptions(time_limit_s=3))
    assert seen == [("severe", 3)] and result.status is Status.OPTIMAL
    assert context.with_result("toy", result).result("toy") is result
    assert toy.explanations(result, context, None) == []  # type: ignore[arg-type]
    toy.run(context, SolveOptions(time_limit_s=3, stage_time_limits=(("other", 7.0), ("toy", 30.0))))
    toy.run(context, SolveOptions(time_limit_s=3, stage_time_limits=(("other", 7.0),)))
    assert seen[1:] == [("severe", 30.0), ("severe", 3)]  # its own limit where one is given


def test_the_registry_lists_the_stages_in_pipeline_order() -> None:
    assert STAGE_NAMES == ("observation", "ambulance", "nursing", "drugs", "testing")
    assert [stage(name) for name in STAGE_NAMES] == list(STAGES)
    with pytest.raises(KeyError, match="no stage 'nope'"):
        stage("nope")


def test_every_stage_declares_contract_tables_with_known_kinds() -> None:
    kinds = {"id", "optional_id", "text", "count", "number", "minutes", "bool"}
    for registered in STAGES:
        for columns in registered.contract.values():
            assert all(isinstance(kind, tuple) or kind in kinds for kind in columns.values())


def test_timeline_rows_name_the_resource_and_scope_and_start_with_nothing_short() -> None:
    frame = pd.DataFrame({"scope_id": [7, "D2"], "day": [0, 1], "needed": [2.0, 3.0], "planned": [2.0, 1.0]})
    rows = timeline_rows("nurses_1to1", "district", frame)
    assert rows["scope_id"].tolist() == ["7", "D2"] and rows["resource"].eq("nurses_1to1").all()
    assert rows["scope"].eq("district").all() and rows["short"].eq(0.0).all()
    assert rows[["day", "needed", "planned"]].equals(frame[["day", "needed", "planned"]])
