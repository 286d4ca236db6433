"""bench.watched: a baseline's stages in child processes; a stage stopped at a memory cap, killed or raising is
``error`` with the reason and the stages after it still run; past the wall limit nothing more runs."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Mapping
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

NAMES = ("observation", "ambulance", "nursing", "drugs")


@pytest.fixture(scope="module")
def instance() -> BenchInstance:
    dataset = dataset_from_frames(tiny_frames(), name="tiny")
    return build_instance(dataset, load_preset(DEFAULT_PRESET), make_scenario(level="severe"))


def answering(name: str, action: Callable[[], object] = lambda: None) -> StageRun:
    """A stage run that does ``action`` and answers with objective 7 plus the stages it was given."""

    def run(_instance: BenchInstance, earlier: Mapping[str, StageResult]) -> StageResult:
        action()
        return StageResult(name, Status.OPTIMAL, 7.0 + len(earlier), 7.0, 0.0, 0.01, {})

    return run


def runs_with(action: Callable[[], object]) -> dict[str, StageRun]:
    """Every stage answers; the ambulance stage does ``action`` first."""
    return {name: answering(name, action if name == "ambulance" else (lambda: None)) for name in NAMES}


def test_a_finished_run_gives_every_stage_and_the_after_value(instance: BenchInstance) -> None:
    def after(result: MethodResult) -> dict[str, Any]:
        return {"stages": sorted(result.stages)}

    watched = run_watched("highs", instance, runs_with(lambda: None), Watch(GIB, 60.0), after=after)
    assert watched.stopped == {}
    assert watched.result.method == "highs"
    assert [watched.result.stages[name].status for name in NAMES] == [Status.OPTIMAL] * 4
    assert watched.result.stages["drugs"].objective == 10.0  # it was given the three stages before it
    assert watched.after == {"stages": ["ambulance", "drugs", "nursing", "observation"]}
    assert set(watched.result.stage_seconds) == set(NAMES)
    assert watched.peak_rss_mb > 0


def hold_memory() -> None:
    held = np.ones(400 * 1024**2 // 8)  # 400 MB touched
    time.sleep(30)
    del held


def test_a_stage_over_the_memory_cap_is_stopped_and_the_next_stages_still_run(instance: BenchInstance) -> None:
    """The cap is on what a child holds alone: the 300 MB this process holds, which each child shares after the
    fork (and its resident memory counts), stop none of them."""
    held_here = np.ones(300 * 1024**2 // 8)
    start = time.perf_counter()
    watched = run_watched("highs", instance, runs_with(hold_memory), Watch(150 * 1024**2, 60.0, 0.05))
    del held_here
    assert time.perf_counter() - start < 25  # not the 30 s the stage would sleep
    assert list(watched.stopped) == ["ambulance"] and "memory cap" in watched.stopped["ambulance"]
    assert watched.peak_private_mb > 150  # what the child held alone, not the pages it shares with pytest
    stages = watched.result.stages
    assert stages["ambulance"].status == Status.ERROR and "memory cap" in stages["ambulance"].message
    assert watched.result.stage_seconds["ambulance"] > 0  # timed until it was stopped
    assert [stages[name].status for name in ("observation", "nursing", "drugs")] == [Status.OPTIMAL] * 3
    assert stages["drugs"].objective == 10.0  # a new child, given every stage before it, the stopped one too
    assert set(stages) == set(NAMES)  # testing: no run given, none made up


def test_past_the_wall_limit_nothing_more_runs(instance: BenchInstance) -> None:
    start = time.perf_counter()
    watched = run_watched("highs", instance, runs_with(lambda: time.sleep(30)), Watch(GIB, 1.0, 0.05))
    assert time.perf_counter() - start < 10
    assert watched.stopped == {"ambulance": "stopped at the wall limit of 1 s"}
    assert watched.result.stages["observation"].status == Status.OPTIMAL
    assert watched.result.stages["drugs"].status == Status.ERROR
    assert watched.result.stages["drugs"].message == "not run: stopped at the wall limit of 1 s"


def raise_error() -> None:
    raise MemoryError("std::bad_alloc")


def test_a_stage_that_raises_or_dies_leaves_the_reason(instance: BenchInstance) -> None:
    raised = run_watched("highs", instance, runs_with(raise_error), Watch(GIB, 60.0))
    assert raised.stopped == {"ambulance": "the baseline raised MemoryError: std::bad_alloc"}
    assert "std::bad_alloc" in raised.result.stages["ambulance"].message
    assert raised.result.stages["drugs"].status == Status.OPTIMAL

    killed = run_watched("highs", instance, runs_with(lambda: os.kill(os.getpid(), signal.SIGKILL)), Watch(GIB, 60.0))
    assert "SIGKILL" in killed.stopped["ambulance"]
    assert killed.result.stages["ambulance"].status == Status.ERROR
    assert killed.result.stages["nursing"].status == Status.OPTIMAL


def test_an_after_that_raises_leaves_the_stages(instance: BenchInstance) -> None:
    def after(_result: MethodResult) -> None:
        raise ValueError("no nursing needs")

    watched = run_watched("highs", instance, runs_with(lambda: None), Watch(GIB, 60.0), after=after)
    assert watched.stopped == {"after": "the baseline raised ValueError: no nursing needs"}
    assert watched.after is None
    assert [watched.result.stages[name].status for name in NAMES] == [Status.OPTIMAL] * 4


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="memory cap"):
        Watch(0, 1.0)
    with pytest.raises(ValueError, match="wall limit"):
        Watch(GIB, 0.0)
