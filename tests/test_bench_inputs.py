"""bench.inputs: the instance every method answers is built as make_plan builds its stage inputs, and a method's
stages run in pipeline order on it."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
import pytest
from conftest import tiny_frames

from bench.inputs import STAGES, BenchInstance, build_instance, nursing_inputs, run_method
from models.base import StageResult, Status
from planner.dataset.io import dataset_from_frames
from planner.pipeline import make_plan
from planner.rules.rules import DEFAULT_PRESET, load_preset
from planner.rules.scenario import make_scenario


@pytest.fixture(scope="module")
def tiny_instance() -> BenchInstance:
    dataset = dataset_from_frames(tiny_frames(), name="tiny")
    return build_instance(dataset, load_preset(DEFAULT_PRESET), make_scenario(level="severe"))


def test_the_instance_holds_the_pipelines_stage_inputs(tiny_instance: BenchInstance) -> None:
    assert STAGES == ("observation", "ambulance", "nursing", "drugs")
    assert len(tiny_instance.dataset.care_homes) == 3
    assert {"needs", "observation_inputs", "ambulance_inputs", "drug_inputs"} == set(tiny_instance.seconds)
    plan = make_plan(tiny_instance.dataset, tiny_instance.rules, tiny_instance.scenario)
    nursing = nursing_inputs(tiny_instance, plan.stage("observation"))
    assert nursing.needs["required"].sum() > 0
    assert set(nursing.arcs["need_id"]) <= set(nursing.needs["need_id"])


def test_run_method_runs_the_stages_in_pipeline_order_given_the_earlier_results(tiny_instance: BenchInstance) -> None:
    seen: list[tuple[str, list[str]]] = []

    def run(name: str) -> Callable[[BenchInstance, Mapping[str, StageResult]], StageResult]:
        def stage_run(instance: BenchInstance, earlier: Mapping[str, StageResult]) -> StageResult:
            assert instance is tiny_instance
            seen.append((name, list(earlier)))
            return StageResult(name, Status.FEASIBLE, 0.0, 0.0, 0.0, 0.0, {"t": pd.DataFrame()})

        return stage_run

    result = run_method("toy", tiny_instance, {name: run(name) for name in reversed(STAGES)})
    assert seen == [
        ("observation", []),
        ("ambulance", ["observation"]),
        ("nursing", ["observation", "ambulance"]),
        ("drugs", ["observation", "ambulance", "nursing"]),
    ]
    assert result.method == "toy" and list(result.stages) == list(STAGES) == list(result.stage_seconds)
    assert [stage.stage for stage in result.stages.values()] == list(STAGES)
    assert result.seconds >= sum(result.stage_seconds.values()) and result.notes == {}
