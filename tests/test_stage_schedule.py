"""Solving the stages two at a time: the order a stage's reads ask, the context it gets, the same plan with one
lane, errors and progress. The tests with threads fail after a minute instead of hanging."""

from __future__ import annotations

import functools
import itertools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import tiny_frames
from tiny_plan import tiny_dataset

from models.base import SolveOptions, StageResult, Status
from planner import forked
from planner.dataset.io import dataset_from_frames
from planner.dataset.names import Namer
from planner.pipeline import make_plan, plan_context
from planner.rules.rules import load_rules
from planner.rules.scenario import Scenario
from planner.stages import drugs, observation, schedule
from planner.stages.base import PlanContext, Stage
from planner.stages.registry import STAGES
from planner.stages.schedule import (
    Claims,
    Lane,
    check_order,
    context_for,
    early_startable,
    solve_stages,
    startable,
    with_followers,
)


def _result(name: str, objective: float = 0.0) -> StageResult:
    return StageResult(name, Status.OPTIMAL, objective, objective, 0.0, 0.0, {})


def _stage(
    name: str, build: Callable[[PlanContext], Any], reads: tuple[str, ...] = (), holds_gil: bool = True
) -> Stage[Any]:
    """A stage whose inputs are ``build(context)`` and whose result's objective is those inputs (a number)."""
    return Stage(
        name=name,
        build_inputs=build,
        solve=lambda inputs, _options: _result(name, float(inputs)),
        contract={},
        kpis=lambda _result, _context: {},
        compliance=lambda _result, _context: [],
        reads=reads,
        holds_gil=holds_gil,
    )


pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def room_in_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Report work forks as in a plan well within the processes' memory budget: the test process may hold more
    than the budget leaves a child when the whole suite runs (the budget has a test of its own)."""
    monkeypatch.setattr(schedule, "room_for_a_child_in_budget", lambda: True)


@pytest.fixture(scope="module")
def context() -> PlanContext:
    return plan_context(tiny_dataset(), load_rules(), Scenario(level="severe"))


def test_a_stage_gets_the_results_it_reads_and_no_others(context: PlanContext) -> None:
    first = _stage("first", lambda _c: 2)
    second = _stage("second", lambda _c: 3)
    third = _stage("third", lambda c: 10 * c.result("first").objective, reads=("first",))
    solved = {"first": (_result("first", 2), 2), "second": (_result("second", 3), 3)}
    given = context_for(context.with_result("other", _result("other")), third, solved)
    assert list(given.results) == ["first"] and given.inputs == {"first": 2}
    with pytest.raises(KeyError, match="stage 'second' has not run"):
        given.result("second")
    for lanes in (1, 2):
        solved_context = solve_stages(context, (first, second, third), SolveOptions(5), lanes=lanes)
        assert list(solved_context.results) == ["first", "second", "third"]
        assert [r.objective for r in solved_context.results.values()] == [2, 3, 20]
        assert solved_context.inputs == {"first": 2, "second": 3, "third": 20}


def test_reading_a_stage_not_named_fails_at_every_run(context: PlanContext) -> None:
    """Without ``reads`` the stage never sees the other result, whichever lane finished first."""
    first = _stage("first", lambda _c: 1)
    careless = _stage("careless", lambda c: c.result("first").objective)
    for lanes in (1, 2, 2, 2):
        with pytest.raises(KeyError, match="stage 'first' has not run"):
            solve_stages(context, (first, careless), SolveOptions(5), lanes=lanes)


def test_the_order_must_put_what_a_stage_reads_before_it(context: PlanContext) -> None:
    early = _stage("early", lambda _c: 1, reads=("late",))
    late = _stage("late", lambda _c: 1)
    with pytest.raises(ValueError, match="stage 'early' reads 'late', not listed before it"):
        check_order((early, late))
    with pytest.raises(ValueError, match=r"Expected lanes >= 1, got 0\."):
        solve_stages(context, (late,), SolveOptions(5), lanes=0)
    check_order(STAGES)  # the registry's order is one the stages' reads allow


def test_two_lanes_solve_two_stages_at_once_and_wait_for_reads(context: PlanContext) -> None:
    """Both first stages wait at a barrier of two: they finish only if they ran side by side. The reading stage
    starts after the stage it reads has finished, and progress comes from the calling thread."""
    barrier = threading.Barrier(2, timeout=20)
    finished: list[str] = []

    def meeting(name: str) -> Callable[[PlanContext], int]:
        def build(_context: PlanContext) -> int:
            barrier.wait()
            finished.append(name)
            return 1

        return build

    def reading(c: PlanContext) -> float:
        assert "left" in finished
        return c.result("left").objective + 1

    stages = (
        _stage("left", meeting("left"), holds_gil=False),
        _stage("right", meeting("right"), holds_gil=False),  # a flow stage would solve apart, in a child
        _stage("after", reading, ("left",)),
    )
    started: list[tuple[str, int, int, bool]] = []
    solved: list[str] = []
    main = threading.current_thread()
    result = solve_stages(
        context,
        stages,
        SolveOptions(5),
        lanes=2,
        progress=lambda name, index, total: started.append((name, index, total, threading.current_thread() is main)),
        solved=lambda name, seconds: solved.append(name) if seconds >= 0 else None,
    )
    assert [r.objective for r in result.results.values()] == [1, 1, 2]
    assert started == [("left", 0, 3, True), ("right", 1, 3, True), ("after", 2, 3, True)]
    assert sorted(solved) == ["after", "left", "right"] and solved[-1] == "after"


def test_an_error_in_a_stage_reaches_the_caller_and_stops_what_waits(context: PlanContext) -> None:
    def broken(_context: PlanContext) -> int:
        raise RuntimeError("the model broke")

    started: list[str] = []
    stages = (_stage("broken", broken), _stage("waiting", lambda _c: 1, reads=("broken",)))
    for lanes in (1, 2):
        started.clear()
        with pytest.raises(RuntimeError, match="the model broke"):
            solve_stages(context, stages, SolveOptions(5), lanes=lanes, progress=lambda n, _i, _t: started.append(n))
        assert started == ["broken"]


def test_the_plan_is_the_same_with_one_lane_or_two() -> None:
    dataset, rules = tiny_dataset(), load_rules()
    for scenario in (Scenario(level="severe"), Scenario(level="severe", plan="snapshot")):
        one = make_plan(dataset, rules, scenario, time_limit_s=5, lanes=1)
        two = make_plan(dataset, rules, scenario, time_limit_s=5, lanes=2)
        timings = ("seconds", "seconds_total")
        assert {k: v for k, v in one.kpis.items() if k not in timings} == {
            k: v for k, v in two.kpis.items() if k not in timings
        }
        for name, result in one.stages().items():
            other = two.stage(name)
            assert (result.status, result.objective, result.bound) == (other.status, other.objective, other.bound)
            for table, frame in result.tables.items():
                assert frame.equals(other.tables[table]), (name, table)
        assert one.timeline.equals(two.timeline) and one.compliance.equals(two.compliance)
        assert one.explanations.equals(two.explanations) and one.marginal_values.equals(two.marginal_values)


def test_the_room_probes_run_in_a_child_beside_the_flow_stages_with_the_same_values() -> None:
    """One room at ST1 and none at ST2: persons are left without a room, so the observation stage's marginal
    values probe every district's rooms; with two lanes that runs in a forked child as soon as the stage is
    solved, and the values are those computed in the calling process."""
    frames = tiny_frames()
    frames["sites"]["rooms"] = ["1", "0"]
    dataset, rules = dataset_from_frames(frames, name="tiny-short"), load_rules()
    scenario = Scenario(level="prevalent", plan="snapshot")
    two = solve_stages(plan_context(dataset, rules, scenario), STAGES, SolveOptions(5), lanes=2)
    one = solve_stages(plan_context(dataset, rules, scenario), STAGES, SolveOptions(5), lanes=1)
    assert set(two.ahead) == {"observation", "drugs"} and two.ahead["observation"].forked and not one.ahead
    namer = Namer.of(dataset)
    forked = observation.marginal_values(two.result("observation"), two, namer)
    assert forked and not two.ahead["observation"].forked, "the child's value was read"
    assert forked == observation.marginal_values(one.result("observation"), one, namer)
    one_plan = make_plan(dataset, rules, scenario, time_limit_s=5, lanes=1)
    two_plan = make_plan(dataset, rules, scenario, time_limit_s=5, lanes=2)
    assert one_plan.marginal_values.equals(two_plan.marginal_values)
    assert one_plan.marginal_values["stage"].eq("observation").any()


def test_the_pack_probes_run_in_the_drug_stages_child_with_the_same_values() -> None:
    """The tiny city is short of drugs: the drug stage's marginal values probe more stock at its depots; with two
    lanes the drug stage solves in a forked child beside the observation stage, and the probes run there after it;
    the values are those computed here."""
    dataset, rules = tiny_dataset(), load_rules()
    scenario = Scenario(level="severe", plan="snapshot")
    two = solve_stages(plan_context(dataset, rules, scenario), STAGES, SolveOptions(5), lanes=2)
    one = solve_stages(plan_context(dataset, rules, scenario), STAGES, SolveOptions(5), lanes=1)
    assert "drugs" in two.ahead and "drugs" not in one.ahead
    namer = Namer.of(dataset)
    forked_values = drugs.marginal_values(two.result("drugs"), two, namer)
    assert forked_values and forked_values == drugs.marginal_values(one.result("drugs"), one, namer)
    result = two.result("drugs")
    served = replace(result, tables={**result.tables, "targets": result.table("targets").assign(shortfall=0)})
    assert drugs.pack_probes_ahead(served, two, two.inputs["drugs"]) is None, "nothing short: nothing to probe"


def test_stages_that_would_each_take_a_child_solve_in_one_with_their_report_work(context: PlanContext) -> None:
    """Beside a stage that releases the GIL, the flow stages that would each take a child of their own later solve
    one after the other in the first one's child, their report work after them there; a stage another waiting stage
    reads is not held back that way (its reader would wait for the whole child)."""
    parent = os.getpid()

    def pid_and_inputs(_result: StageResult, _context: PlanContext, inputs: Any) -> Callable[[], tuple[int, int]]:
        return lambda: (os.getpid(), int(inputs))

    def highs(_context: PlanContext) -> int:
        time.sleep(0.3)
        return 1

    flows = [_stage(f"flows_{k}", lambda _c: os.getpid()) for k in (1, 2, 3)]
    flows[1] = replace(flows[1], ahead=pid_and_inputs)
    stages = (_stage("highs", highs, holds_gil=False), *flows)
    solved = solve_stages(context, stages, SolveOptions(5), lanes=2)
    pids = {solved.result(stage.name).objective for stage in flows}
    assert len(pids) == 1 and parent not in pids, "one child, not this process"
    assert solved.ahead_of("flows_2", lambda: (parent, 0)) == (int(pids.pop()),) * 2
    reader = _stage("reader", lambda _c: 1, reads=("flows_1",))
    assert with_followers([Lane(flows[0], in_child=True)], [*flows[1:], reader], {}) == [Lane(flows[0], in_child=True)]
    assert with_followers([Lane(flows[0], in_child=True)], flows[1:], {}) == [
        Lane(flows[0], in_child=True, followers=tuple(flows[1:]))
    ]
    assert with_followers([Lane(flows[0])], flows[1:], {}) == [Lane(flows[0])], "in this process: no followers"
    with pytest.MonkeyPatch.context() as patch:  # no lock processes can share: each flow stage in a child of its own
        patch.setattr(Claims, "shareable", staticmethod(lambda: False))
        patch.setattr(Claims, "__init__", no_shared_memory)  # and no lane makes any
        assert with_followers([Lane(flows[0], in_child=True)], flows[1:], {}) == [Lane(flows[0], in_child=True)]
        apart = solve_stages(context, stages, SolveOptions(5), lanes=2)
    assert len({apart.result(stage.name).objective for stage in flows} - {parent}) == 3


def no_shared_memory(_claims: Claims, _count: int) -> None:
    """What making :class:`Claims` does on a system without POSIX semaphores."""
    raise OSError("no shared memory here")


def test_a_lane_that_frees_takes_back_the_followers_their_child_has_not_started(context: PlanContext) -> None:
    """The stage beside the flow stages ends at once: its lane takes back the second flow stage, which the first's
    child (busy with the first for 0.1 s) has not started, and solves it here; the child goes on with the third."""
    parent = os.getpid()

    def flow(seconds: float) -> Callable[[PlanContext], int]:
        def solve(_context: PlanContext) -> int:
            time.sleep(seconds)
            return os.getpid()

        return solve

    flows = [_stage(f"flows_{k}", flow(seconds)) for k, seconds in ((1, 0.1), (2, 0.5), (3, 0.5))]
    stages = (_stage("quick", lambda _c: 1, holds_gil=False), *flows)
    solved = solve_stages(context, stages, SolveOptions(5), lanes=2)
    pids = [solved.result(stage.name).objective for stage in flows]
    assert pids[1] == parent and pids[0] == pids[2] != parent, pids
    assert list(solved.results) == [stage.name for stage in stages]


def _noting_ahead(tmp_path: Path, parent: int) -> Callable[[StageResult, PlanContext, Any], Callable[[], int]]:
    """Report work that notes the pid it runs in (in ``tmp_path/ahead.pid``) and, in a child, sleeps a minute."""
    noted = tmp_path / "ahead.pid"

    def work() -> int:
        noted.write_text(str(os.getpid()))
        if os.getpid() != parent:
            time.sleep(60)
        return os.getpid()

    return lambda _result, _context, _inputs: work


def test_report_work_is_forked_with_two_lanes_and_run_here_with_one(context: PlanContext, tmp_path: Path) -> None:
    parent = os.getpid()
    noted = tmp_path / "ahead.pid"

    def quick(_result: StageResult, _context: PlanContext, inputs: Any) -> Callable[[], tuple[int, int]] | None:
        return (lambda: (os.getpid(), int(inputs))) if inputs else None

    stages = (
        replace(_stage("probed", lambda _c: 7, holds_gil=False), ahead=quick),
        replace(_stage("unprobed", lambda _c: 0), ahead=quick),
    )
    two = solve_stages(context, stages, SolveOptions(5), lanes=2)
    assert list(two.ahead) == ["probed"], "no work when the stage's ahead says none is needed"
    pid, value = two.ahead_of("probed", lambda: (0, 0))
    assert pid != parent and value == 7
    one = solve_stages(context, stages, SolveOptions(5), lanes=1)
    assert not one.ahead and one.ahead_of("probed", lambda: (parent, 7)) == (parent, 7)
    with pytest.MonkeyPatch.context() as patch:  # no memory for a copy of the process: the reports do it later
        patch.setattr(forked, "room_for_a_copy", lambda: False)
        assert not solve_stages(context, stages, SolveOptions(5), lanes=2).ahead
    with pytest.MonkeyPatch.context() as patch:  # a child past the processes' budget: the same, here
        patch.setattr(schedule, "room_for_a_child_in_budget", lambda: False)
        over = solve_stages(context, stages, SolveOptions(5), lanes=2)
        assert not over.ahead and over.ahead_of("probed", lambda: (parent, 7)) == (parent, 7)

    # the work of a plan given up is killed with it
    def broken(_context: PlanContext) -> int:
        deadline = time.monotonic() + 10  # the child is forked before this stage starts: it notes its pid
        while not (noted.exists() and noted.read_text()) and time.monotonic() < deadline:
            time.sleep(0.01)
        raise RuntimeError("the model broke")

    slow = replace(_stage("slow", lambda _c: 1, holds_gil=False), ahead=_noting_ahead(tmp_path, parent))
    with pytest.raises(RuntimeError, match="the model broke"):
        solve_stages(context, (slow, _stage("broken", broken, reads=("slow",))), SolveOptions(5), lanes=2)
    child = int(noted.read_text())
    assert child != parent
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)


@pytest.mark.parametrize("given_up", [KeyboardInterrupt, RuntimeError])
def test_giving_up_unwinds_the_stage_solving_in_the_other_lane(
    context: PlanContext, given_up: type[BaseException]
) -> None:
    """Ctrl-C reaches the calling thread only, as does the app's rerun raised in a progress callback (here: as the
    second stage is announced); the first stage, busy in another thread, unwinds too instead of solving on to its
    limit, and the third never starts."""
    busy, unwound = threading.Event(), threading.Event()

    def endless(_context: PlanContext) -> int:
        busy.set()
        try:
            while True:
                time.sleep(0.01)
        finally:
            unwound.set()

    def announce(name: str, _index: int, _total: int) -> None:
        if name == "second":
            assert busy.wait(10)
            raise given_up

    stages = (
        _stage("first", endless, holds_gil=False),
        _stage("second", lambda _c: 1),
        _stage("third", lambda _c: 1),
    )
    with pytest.raises(given_up):
        solve_stages(context, stages, SolveOptions(5), lanes=2, progress=announce)
    assert unwound.wait(5)


def test_two_stages_that_hold_the_gil_never_solve_at_once_in_one_process(
    context: PlanContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flow stages share the interpreter's lock: side by side in one process both their limits would run on one
    core. The stage whose solver releases it (HiGHS) runs beside them in a thread; the flow stages solve beside it in
    forked children with their own interpreters, one at a time here once it is done; where the platform cannot fork
    they solve here beside it, one at a time."""
    parent, log = os.getpid(), tmp_path / "solving.log"

    def flows(_context: PlanContext) -> int:
        started = time.monotonic()
        time.sleep(0.2)
        with log.open("a") as noted:
            noted.write(f"{os.getpid()} {started} {time.monotonic()}\n")
        return 1

    def highs(_context: PlanContext) -> int:
        deadline = time.monotonic() + 20
        while not (log.exists() and log.read_text()) and time.monotonic() < deadline:  # a flow stage ran beside it
            time.sleep(0.01)
        return 1

    stages = (
        _stage("highs", highs, holds_gil=False),
        _stage("flows_1", flows),
        _stage("flows_2", flows),
        _stage("flows_3", flows),
    )
    for forking, room in ((True, True), (False, True), (True, False)):
        monkeypatch.setattr(forked, "FORKING", forking)
        monkeypatch.setattr(forked, "room_for_a_copy", lambda room=room: room)
        log.unlink(missing_ok=True)
        solved = solve_stages(context, stages, SolveOptions(5), lanes=2)
        assert [r.objective for r in solved.results.values()] == [1, 1, 1, 1]
        spans = [
            (int(pid), float(start), float(end)) for pid, start, end in map(str.split, log.read_text().split("\n")[:-1])
        ]
        here = sorted((start, end) for pid, start, end in spans if pid == parent)
        assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(here))
        assert len(spans) == 3 and (len(here) < 3) == (forking and room), spans
        if forking and room:
            assert spans[0][0] != parent, "the first flow stage solved apart from the HiGHS stage"


def test_a_lane_is_taken_by_a_stage_or_by_report_work_in_a_child() -> None:
    flows_1, flows_2, highs = (_stage(name, lambda _c: 1) for name in ("flows_1", "flows_2", "flows_3"))
    highs = replace(highs, holds_gil=False)
    running = [Lane(flows_1)]
    assert startable([flows_2, highs], {}, running, 2, forking=True) == [Lane(flows_2, in_child=True)]
    assert startable([flows_2, highs], {}, running, 2, forking=False) == [Lane(highs)]
    assert startable([flows_2, highs], {}, running, 3, forking=True) == [Lane(flows_2, in_child=True), Lane(highs)]
    assert startable([flows_2], {}, [Lane(highs, ahead=True)], 2) == [Lane(flows_2)], "a child holds no GIL here"
    assert startable([flows_2], {}, [Lane(highs, ahead=True), Lane(flows_1)], 2) == [], "the report work takes a lane"


def test_a_stage_that_holds_the_gil_solves_apart_from_one_that_releases_it_here() -> None:
    flows, highs = _stage("flows", lambda _c: 1), replace(_stage("highs", lambda _c: 1), holds_gil=False)
    assert startable([flows], {}, [Lane(highs)], 2, forking=True) == [Lane(flows, in_child=True)]
    assert startable([flows], {}, [Lane(highs)], 2, forking=False) == [Lane(flows)], "here when it cannot fork"
    assert startable([highs, flows], {}, [], 2, forking=True) == [Lane(highs), Lane(flows, in_child=True)]
    assert startable([flows], {}, [Lane(highs, in_child=True)], 2, forking=True) == [Lane(flows)], "HiGHS apart"
    assert startable([flows], {}, [], 2, forking=True) == [Lane(flows)], "alone: here"


def test_early_report_work_starts_in_a_child_as_its_reads_are_in_beside_the_stage(
    context: PlanContext, tmp_path: Path
) -> None:
    """The second stage's early work reads the first stage's result: it starts in a child as soon as that is in,
    and the second stage, still solving, sees it started (its objective 1: the work noted its pid first)."""
    parent, noted = os.getpid(), tmp_path / "early.pid"

    def work(objective: float) -> tuple[int, float]:
        noted.write_text(str(os.getpid()))
        return os.getpid(), objective

    def early(reading: PlanContext) -> Callable[[], tuple[int, float]]:
        return functools.partial(work, reading.result("first").objective)

    def waits_for_the_work(_context: PlanContext) -> int:
        deadline = time.monotonic() + 10
        while not (noted.exists() and noted.read_text()) and time.monotonic() < deadline:
            time.sleep(0.01)
        return int(noted.exists())

    stages = (
        _stage("first", lambda _c: 3, holds_gil=False),
        replace(_stage("second", waits_for_the_work, reads=("first",)), early=early),
    )
    two = solve_stages(context, stages, SolveOptions(5), lanes=2)
    assert two.result("second").objective == 1, "the work started while the stage solved"
    assert list(two.ahead) == ["second"] and two.ahead["second"].forked
    pid, value = two.ahead_of("second", lambda: (0, 0.0))
    assert pid not in (0, parent) and value == 3
    noted.unlink()
    one = solve_stages(context, stages[:1], SolveOptions(5), lanes=1)
    assert not one.ahead and one.ahead_of("second", early(one)) == (parent, 3), "one lane: computed here"


def test_early_work_waits_for_its_reads_and_a_free_lane_and_starts_once() -> None:
    first, free = _stage("first", lambda _c: 1), _stage("free", lambda _c: 1)
    second = replace(_stage("second", lambda _c: 1, reads=("first",)), early=lambda _c: None)
    alone = replace(free, name="alone", early=lambda _c: None)
    assert early_startable([first, second, alone], {}, {}, 0, 2) == [alone], "second waits for first"
    assert early_startable([first, second, alone], {"first": 1}, {}, 1, 2) == [second], "one lane free"
    assert early_startable([first, second, alone], {"first": 1}, {}, 0, 2) == [second, alone]
    assert early_startable([first, second, alone], {"first": 1}, {}, 2, 2) == [], "no lane free"
    assert early_startable([second], {"first": 1}, {"second": 1}, 0, 2) == [], "started already"
    assert early_startable([second], {"first": 1, "second": 1}, {}, 0, 2) == [], "solved: the stage starts it"
    with pytest.raises(ValueError, match="at most one of ahead and early"):
        replace(second, ahead=lambda _r, _c, _i: None)


def test_the_nursing_timeline_is_built_in_a_child_in_a_daily_plan() -> None:
    """Each day's nursing model (the timeline's nursing rows) reads the observation stage's stays only: with two
    lanes it starts in a child as the observation stage is solved; a snapshot has no timeline."""
    dataset, rules = tiny_dataset(), load_rules()
    daily = solve_stages(plan_context(dataset, rules, Scenario(level="severe")), STAGES, SolveOptions(5), lanes=2)
    assert "nursing" in daily.ahead and daily.ahead["nursing"].forked
    rows = daily.ahead_of("nursing", lambda: pd.DataFrame())
    assert not rows.empty and set(rows["resource"]) >= {"nurses"}
    snapshot = Scenario(level="severe", plan="snapshot")
    assert "nursing" not in solve_stages(plan_context(dataset, rules, snapshot), STAGES, SolveOptions(5), lanes=2).ahead


def test_stages_solved_together_hand_back_the_memory_after_each_stage(
    context: PlanContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a lane's child (national: the ambulance, drug and testing stages) the heap each stage freed goes back to
    the system before the next builds its model: the child then holds the most one stage needs, not their sum."""
    events: list[str] = []
    monkeypatch.setattr(schedule, "release_free_memory", lambda: events.append("released") or True)

    def noted(name: str, value: int) -> Callable[[PlanContext], int]:
        def build(_context: PlanContext) -> int:
            events.append(name)
            return value

        return build

    stages = [_stage("first", noted("first", 1)), _stage("second", noted("second", 2))]
    together = schedule.solved_together(stages, [context, context], SolveOptions(time_limit_s=5.0), Claims(1))
    assert [(name, result[0].objective) for name, result, _seconds, _report in together] == [
        ("first", 1.0),
        ("second", 2.0),
    ]
    assert events == ["first", "released", "second", "released"]
