"""bench.measure: one method's runs and stage results as report dicts (summaries, build and solve seconds)."""

from __future__ import annotations

import pytest
from bench_fixtures import hand_made_stages

from bench.inputs import STAGES, MethodResult
from bench.kpis import method_kpis
from bench.measure import method_report, stage_report, summary
from models.base import Phase, StageResult, Status


def test_summary_of_runs() -> None:
    assert summary([3.0, 1.0, 2.00004]) == {"min": 1.0, "median": 2.0, "max": 3.0, "runs": [3.0, 1.0, 2.0]}


def test_stage_report_of_a_flow_model_splits_its_seconds_into_build_and_solve() -> None:
    # A flow model reports its max-flow and min-cost seconds: solve 0.2 + 0.1, build the rest of 0.5.
    phases = (Phase("unmet", "min", 2.0, 2.0, Status.OPTIMAL),)
    stats = {"max_flow_seconds": 0.2, "min_cost_seconds": 0.1, "variables": 7, "arcs": 9}
    result = StageResult("nursing", Status.OPTIMAL, 2.0, 2.0, 0.0, 0.5, {}, phases, stats, "a note")
    report = stage_report(result, wall=1.23456)
    assert (report["build_seconds"], report["solve_seconds"], report["model_seconds"]) == (0.2, 0.3, 0.5)
    assert (report["variables"], report["arcs"], report["wall_seconds"], report["message"]) == (7, 9, 1.2346, "a note")
    assert report["phases"] == [{"name": "unmet", "sense": "min", "objective": 2.0, "bound": 2.0, "status": "optimal"}]
    built = stage_report(StageResult("drugs", Status.OPTIMAL, 0.0, 0.0, 0.0, 1.0, {}, stats={"build_seconds": 0.25}))
    assert (built["build_seconds"], built["solve_seconds"]) == (0.25, None)
    assert "wall_seconds" not in built and "message" not in built


def test_method_report_of_a_baseline() -> None:
    stages = hand_made_stages()
    result = MethodResult(
        "hand", stages, 2.0, {name: 0.5 for name in STAGES}, {"packs_shipped_beyond_pipeline_arcs": 0}
    )
    report = method_report(result, cpu=1.5)
    assert report["wall_seconds"]["runs"] == [2.0] and report["cpu_seconds"] == 1.5
    assert list(report["stages"]) == [name for name in STAGES if name in stages]  # the baseline has no testing
    assert report["stages"]["drugs"]["wall_seconds"] == 0.5
    assert report["kpis"] == method_kpis(stages)
    assert report["notes"] == {"packs_shipped_beyond_pipeline_arcs": 0}
    assert method_report(result, [1.0, 3.0])["wall_seconds"]["median"] == pytest.approx(2.0)
