"""bench.watched: a baseline's stages in a child process, stopped at a memory cap or a wall limit, the finished
stages kept and the others ``error`` with the reason."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
from conftest import tiny_frames

from bench.inputs import BenchInstance, MethodResult, StageRun, build_instance
from bench.watched import GIB, Watch, run_watched
from models.base import StageResult, Status
from planner.dataset.io import dataset_from_frames
from planner.rules.rules import DEFAULT_PRESET, load_preset
from planner.rules.scenario import make_scenario


@pytest.fixture(scope="module")
def instance() -> BenchInstance:
    dataset = dataset_from_frames(tiny_frames(), name="tiny")
    return build_instance(dataset, load_preset(DEFAULT_PRESET), make_scenario(level="severe"))


def solved(name: str) -> StageRun:
    """A stage run that answers at once with objective 7."""

    def run(_instance: BenchInstance, _earlier: Mapping[str, StageResult]) -> StageResult:
        return StageResult(name, Status.OPTIMAL, 7.0, 7.0, 0.0, 0.01, {})

    return run


def doing(action: Any) -> StageRun:
    """A stage run that does ``action`` (allocate, sleep, raise, die) and then answers."""

    def run(_instance: BenchInstance, _earlier: Mapping[str, StageResult]) -> StageResult:
        action()
        return StageResult("ambulance", Status.OPTIMAL, 1.0, 1.0, 0.0, 0.01, {})

    return run


def runs_with(second: StageRun) -> dict[str, StageRun]:
    """Observation answers, the ambulance stage does ``second``, nursing and drugs answer."""
    return {
        "observation": solved("observation"),
        "ambulance": second,
        "nursing": solved("nursing"),
        "drugs": solved("drugs"),
    }


def test_a_finished_child_gives_every_stage_and_the_after_value(instance: BenchInstance) -> None:
    def after(result: MethodResult) -> dict[str, Any]:
        return {"stages": sorted(result.stages)}

    watched = run_watched("highs", instance, runs_with(solved("ambulance")), Watch(GIB, 60.0), after=after)
    assert watched.stopped is None
    assert watched.result.method == "highs"
    assert [watched.result.stages[name].status for name in ("observation", "ambulance", "nursing", "drugs")] == [
        Status.OPTIMAL
    ] * 4
    assert watched.result.stages["drugs"].objective == 7.0
    assert watched.after == {"stages": ["ambulance", "drugs", "nursing", "observation"]}
    assert set(watched.result.stage_seconds) == {"observation", "ambulance", "nursing", "drugs"}


def hold_memory() -> None:
    held = np.ones(400 * 1024**2 // 8)  # 400 MB touched
    time.sleep(30)
    del held


def test_a_child_over_its_memory_cap_is_stopped_and_its_finished_stages_kept(instance: BenchInstance) -> None:
    start = time.perf_counter()
    watched = run_watched("highs", instance, runs_with(doing(hold_memory)), Watch(150 * 1024**2, 60.0, 0.05))
    assert time.perf_counter() - start < 25  # not the 30 s the stage would sleep
    assert watched.stopped is not None and "memory cap" in watched.stopped
    assert watched.peak_rss_mb > 150
    stages = watched.result.stages
    assert stages["observation"].status == Status.OPTIMAL
    for name in ("ambulance", "nursing", "drugs"):
        assert stages[name].status == Status.ERROR and "memory cap" in stages[name].message
    assert watched.result.stage_seconds["ambulance"] > 0  # the stage that was running, timed until it was stopped
    assert watched.after is None
    assert set(stages) == {"observation", "ambulance", "nursing", "drugs"}  # testing: no run given, none made up


def test_a_child_past_its_wall_limit_is_stopped(instance: BenchInstance) -> None:
    start = time.perf_counter()
    watched = run_watched("highs", instance, runs_with(doing(lambda: time.sleep(30))), Watch(GIB, 1.0, 0.05))
    assert time.perf_counter() - start < 10
    assert watched.stopped == "stopped at the wall limit of 1 s"
    assert watched.result.stages["ambulance"].status == Status.ERROR


def raise_error() -> None:
    raise MemoryError("std::bad_alloc")


def test_a_child_that_raises_or_dies_leaves_the_reason(instance: BenchInstance) -> None:
    raised = run_watched("highs", instance, runs_with(doing(raise_error)), Watch(GIB, 60.0))
    assert raised.stopped == "the baseline raised MemoryError: std::bad_alloc"
    assert raised.result.stages["observation"].status == Status.OPTIMAL
    assert "std::bad_alloc" in raised.result.stages["drugs"].message

    killed = run_watched(
        "highs", instance, runs_with(doing(lambda: os.kill(os.getpid(), signal.SIGKILL))), Watch(GIB, 60.0)
    )
    assert killed.stopped is not None and "SIGKILL" in killed.stopped
    assert killed.result.stages["nursing"].status == Status.ERROR


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="memory cap"):
        Watch(0, 1.0)
    with pytest.raises(ValueError, match="wall limit"):
        Watch(GIB, 0.0)
