"""models.observation.parts: the observation model split into its independent components, each solved apart; the
same lexicographic optimum as the whole model, worked out by hand and checked on random unions."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
import test_observation as observation_cases
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.base import SolveOptions, StageResult, Status
from models.observation import parts, solve_observation
from models.observation.instance import prepare
from models.observation.parts import Runner, in_threads, part_instance, split
from planner.fresh import in_fresh_children

GROUP_COLUMNS = ["home_id", "street_id", "group", "persons"]
SITE_COLUMNS = ["site_id", "street_id", "rooms", "barrier_free", "status", "opening_cost"]
ARC_COLUMNS = ["home_id", "site_id", "minutes"]


def two_towns() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Two towns no arc joins, and a street with a lone open site nobody reaches.

    Town A: home HA (3 others) reaches candidates A1 (2 rooms, opening 10, 1 min) and A2 (3 rooms, opening 25,
    2 min). Opening A2 alone: 25 + 3 * 2 = 31; A1 alone leaves a person unmet; both: 35 + 2 + 2 = 39 or more.
    So (iii) = 31. Town B: home HB (1 disabled, 1 other) reaches B1 (open, 1 room, barrier-free, 5 min) and
    B2 (candidate, 1 room, not barrier-free, opening 4, 1 min): the disabled to B1, the other to B2: 4 + 5 + 1 = 10.
    """
    groups = pd.DataFrame(
        [("HA", "TA", "other", 3), ("HB", "TB", "disabled", 1), ("HB", "TB", "other", 1)], columns=GROUP_COLUMNS
    )
    sites = pd.DataFrame(
        [
            ("A1", "TA", 2, True, "candidate", 10.0),
            ("A2", "TA", 3, True, "candidate", 25.0),
            ("B1", "TB", 1, True, "open", 0.0),
            ("B2", "TB", 1, False, "candidate", 4.0),
            ("C1", "TC", 4, True, "open", 0.0),
        ],
        columns=SITE_COLUMNS,
    )
    arcs = pd.DataFrame(
        [("HA", "A1", 1.0), ("HA", "A2", 2.0), ("HB", "B1", 5.0), ("HB", "B2", 1.0)], columns=ARC_COLUMNS
    )
    return groups, sites, arcs


def solve(
    groups: pd.DataFrame, sites: pd.DataFrame, arcs: pd.DataFrame, street_min: int = 0, run_apart: Runner = in_threads
) -> StageResult:
    return solve_observation(
        groups,
        sites,
        arcs,
        persons_per_room=1,
        sites_per_street_min=street_min,
        barrier_free_for_disabled=True,
        options=SolveOptions(time_limit_s=10.0),
        run_apart=run_apart,
    )


@pytest.fixture
def whole() -> Iterator[None]:
    """The model solved whole: no component is large enough to be a part."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parts, "PART_MIN_SHARE", 2.0)
        yield


def test_the_towns_are_two_parts_and_the_lone_street_joins_the_rest() -> None:
    groups, sites, arcs = two_towns()
    instance = prepare(groups, sites, arcs, 1, 0, True)
    found = split(instance)
    assert len(found) == 3
    names = [sorted(instance.sites["site_id"].iloc[part.sites]) for part in found]
    assert sorted(names) == [["A1", "A2"], ["B1", "B2"], ["C1"]]
    for part in found:  # each part's arcs join its own groups and sites only
        sub = part_instance(instance, part)
        assert set(sub.arcs["group"]) <= set(range(len(sub.groups)))
        assert set(sub.arcs["site"]) <= set(range(len(sub.sites)))
        assert len(sub.arcs) == len(part.arcs)


def test_a_street_joins_sites_that_no_home_shares() -> None:
    """HA reaches only A1, HB only B1; both sites on street T: constraint (4) counts them together."""
    groups = pd.DataFrame([("HA", "T", "other", 1), ("HB", "T", "other", 1)], columns=GROUP_COLUMNS)
    sites = pd.DataFrame(
        [("A1", "T", 1, True, "candidate", 1.0), ("B1", "T", 1, True, "candidate", 1.0)], columns=SITE_COLUMNS
    )
    arcs = pd.DataFrame([("HA", "A1", 1.0), ("HB", "B1", 1.0)], columns=ARC_COLUMNS)
    assert len(split(prepare(groups, sites, arcs, 1, 1, True))) == 1


def test_the_parts_give_the_hand_optimum() -> None:
    result = solve(*two_towns())
    assert result.status == Status.OPTIMAL
    assert [phase.objective for phase in result.phases] == [0.0, 0.0, 41.0]  # 31 in town A, 10 in town B
    assert result.bound == pytest.approx(41.0)
    # the largest first: town B's 3 arcs (its disabled group may not use B2), town A's 2, the lone street's 0
    assert [part["arcs"] for part in result.stats["parts"]] == [3, 2, 0]
    placed = result.table("assignments").set_index(["home_id", "group", "site_id"])["persons"].to_dict()
    assert placed == {("HA", "other", "A2"): 3, ("HB", "disabled", "B1"): 1, ("HB", "other", "B2"): 1}
    opened = result.table("sites").set_index("site_id")["open"].astype(bool).to_dict()
    assert opened == {"A1": False, "A2": True, "B1": True, "B2": True, "C1": True}


def test_the_whole_model_gives_the_same(whole: None) -> None:
    result = solve(*two_towns())
    assert "parts" not in result.stats
    assert [phase.objective for phase in result.phases] == [0.0, 0.0, 41.0]


@st.composite
def towns(draw: st.DrawFn, name: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A random instance of ``test_observation`` as a town: its homes, sites and streets named after it."""
    groups, sites, arcs, *_ = draw(observation_cases.instances())
    return (
        groups.assign(home_id=name + groups["home_id"], street_id=name + groups["street_id"]),
        sites.assign(site_id=name + sites["site_id"], street_id=name + sites["street_id"]),
        arcs.assign(home_id=name + arcs["home_id"], site_id=name + arcs["site_id"]),
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(towns("A"), towns("B"), towns("C"), st.integers(0, 2))
def test_random_unions_solve_to_the_sum_of_their_towns(
    first: tuple[pd.DataFrame, ...], second: tuple[pd.DataFrame, ...], third: tuple[pd.DataFrame, ...], street_min: int
) -> None:
    """Three towns no arc joins: the stage's phases are the sums of each town's, solved alone; rooms are never
    exceeded and every person is placed or unmet."""
    union = [pd.concat(frames, ignore_index=True) for frames in zip(first, second, third, strict=True)]
    result = solve(union[0], union[1], union[2], street_min=street_min)
    alone = [solve(town[0], town[1], town[2], street_min=street_min) for town in (first, second, third)]
    assert result.status == Status.OPTIMAL and all(town.status == Status.OPTIMAL for town in alone)
    for index, phase in enumerate(result.phases):
        assert phase.objective == pytest.approx(sum(town.phases[index].objective for town in alone), abs=1e-6)
    groups, sites = union[0], union[1].set_index("site_id")
    out = result.table("sites").set_index("site_id")
    assert (out["persons"] <= sites["rooms"].reindex(out.index)).all()
    placed = result.table("assignments").groupby(["home_id", "group"])["persons"].sum()
    unmet = result.table("unmet").groupby(["home_id", "group"])["persons"].sum()
    need = groups.set_index(["home_id", "group"])["persons"]
    total = placed.reindex(need.index, fill_value=0) + unmet.reindex(need.index, fill_value=0)
    assert (total == need).all()
    assert np.isclose(result.bound, result.objective)


def test_the_parts_in_fresh_children_give_the_same() -> None:
    """The pipeline solves the parts in fresh child processes (``planner.fresh.in_fresh_children``): the same
    plan."""
    groups, sites, arcs = two_towns()
    result = solve(groups, sites, arcs, run_apart=in_fresh_children)
    assert result.status == Status.OPTIMAL
    assert [phase.objective for phase in result.phases] == [0.0, 0.0, 41.0]
    assert result.table("assignments").equals(solve(groups, sites, arcs).table("assignments"))


def _solved(objective: float, bound: float, seconds: float, given: float) -> parts.Solved:
    status = Status.OPTIMAL if objective - bound <= 1e-9 * max(1.0, objective) else Status.FEASIBLE
    plan = parts.Plan(np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0, np.int64), objective, bound, status)
    return parts.Solved(0, 0, plan, seconds, 0.0, given)


def test_a_part_keeps_the_cheaper_plan_and_the_higher_bound_of_its_two_runs() -> None:
    first, second = _solved(100.0, 90.0, 5.0, 5.0), _solved(104.0, 97.0, 9.0, 10.0)
    both = parts.better(first, second)
    assert (both.plan.objective, both.plan.bound, both.plan.status) == (100.0, 97.0, Status.FEASIBLE)
    assert (both.seconds, both.given) == (14.0, 15.0)
    proven = parts.better(first, _solved(100.0, 100.0, 2.0, 10.0))
    assert (proven.plan.objective, proven.plan.bound, proven.plan.status) == (100.0, 100.0, Status.OPTIMAL)
    assert parts.better(first, "a part: no plan") is first
    assert parts.better(first, None) is first


def test_only_the_parts_their_time_stopped_run_again_with_the_time_left() -> None:
    # part 0 proven; part 1 stopped after 5.9 of its 6 s; part 2 used 2 of its 20 s: only part 1 runs again,
    # with the 12 s left (2 workers x its share of the stopped parts' arcs: all of it)
    index_part = [parts.Part(np.zeros(0, np.int64), np.zeros(0, np.int64), np.arange(n)) for n in (50, 10, 40)]
    first = {0: _solved(10.0, 10.0, 3.0, 20.0), 1: _solved(30.0, 20.0, 5.9, 6.0), 2: _solved(50.0, 40.0, 2.0, 20.0)}
    asked: list[dict[int, float]] = []

    def solve_again(seconds: dict[int, float]) -> dict[int, parts.Solved | str]:
        asked.append(seconds)
        return {1: _solved(29.0, 25.0, seconds[1], seconds[1])}

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parts.time, "time", lambda: 100.0)
        result = parts.second_round(index_part, first, 112.0, 2, solve_again)
    assert asked == [{1: 12.0}]
    assert [(one.plan.objective, one.plan.bound) for one in result] == [(10.0, 10.0), (29.0, 25.0), (50.0, 40.0)]
    with pytest.MonkeyPatch.context() as patch:  # 8 s left: not 1.5 times the 6 s it had, so nothing runs again
        patch.setattr(parts.time, "time", lambda: 104.0)
        asked.clear()
        assert [one.plan.objective for one in parts.second_round(index_part, first, 112.0, 2, solve_again)] == [
            10.0,
            30.0,
            50.0,
        ]
    assert asked == []
