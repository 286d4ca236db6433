"""bench.inputs: the instance every method answers is built as make_plan builds its stage inputs, and a method's
stages run in pipeline order on it."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_frames

from bench.inputs import (
    STAGES,
    BenchInstance,
    build_instance,
    filled_targets,
    nursing_inputs,
    prepare_sites,
    run_method,
    site_arcs,
)
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
    assert STAGES == ("observation", "ambulance", "nursing", "drugs", "testing")
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
        ("testing", ["observation", "ambulance", "nursing", "drugs"]),
    ]
    assert result.method == "toy" and list(result.stages) == list(STAGES) == list(result.stage_seconds)
    assert [stage.stage for stage in result.stages.values()] == list(STAGES)
    assert result.seconds >= sum(result.stage_seconds.values()) and result.notes == {}
    skipping = run_method("toy", tiny_instance, {name: run(name) for name in STAGES if name != "testing"})
    assert list(skipping.stages) == [name for name in STAGES if name != "testing"], "a method without a stage skips it"


def test_site_arcs_lead_to_usable_sites_with_a_room() -> None:
    # S1 open (2 rooms), S2 closed, S3 a candidate without rooms; an arc to an unknown site and one without minutes.
    sites = pd.DataFrame(
        {
            "site_id": ["S1", "S2", "S3"],
            "street_id": ["T", "T", "T"],
            "rooms": [2, 4, 0],
            "barrier_free": [True, False, False],
            "status": ["open", "closed", "candidate"],
        }
    )
    site_table = prepare_sites(sites, persons_per_room=2)
    assert site_table["capacity"].tolist() == [4, 8, 0] and site_table["usable"].tolist() == [True, False, True]
    arcs = pd.DataFrame(
        {
            "home_id": ["H1", "H1", "H1", "H2", "H2"],
            "site_id": ["S1", "S2", "S3", "S9", "S1"],
            "minutes": [5.0, 6.0, 7.0, 8.0, None],
        }
    )
    found = site_arcs(arcs, site_table)
    assert found.to_dict("list") == {"home_id": ["H1"], "site_id": ["S1"], "minutes": [5.0], "site": [0]}


def test_filled_targets_give_the_shortfall_fill_rate_and_reason() -> None:
    targets = pd.DataFrame({"institution_id": ["I1", "I2", "I3"], "need": [4, 2, 0]})
    filled = filled_targets(targets, np.array([1, 0, 0]), np.array([True, False, False]))
    assert filled["shortfall"].tolist() == [3, 2, 0]
    assert filled["fill_rate"].tolist() == [0.25, 0.0, 1.0]
    assert filled["reason"].tolist() == ["stock_short", "no_depot_in_reach", ""]
    assert list(filled.columns) == ["institution_id", "need", "allocated", "shortfall", "fill_rate", "reason"]
