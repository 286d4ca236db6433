"""A phase of the day-by-day observation model (``models.observation.daily_solve``): its plans against brute force.

Every placement of every cohort's persons and every choice of candidates is enumerated on tiny instances; a stage
that says ``optimal`` must reach the lexicographic optimum (unmet disabled, unmet, then opening cost plus minutes),
and no plan may ever be better than that optimum (a plan under it would break a constraint).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from dataclasses import replace
from unittest.mock import patch

import numpy as np
import pandas as pd
import pytest
from daily_brute_force import DAYS, brute_force, instances
from hypothesis import given, settings
from hypothesis import strategies as st
from observation_tables import site_table, solve_daily, without_an_lp

from models.base import Status, at_once
from models.observation import daily_solve, daily_stage
from models.observation.daily import Cohorts, DailyModel
from models.observation.instance import Instance, prepare
from planner.forked import beside


def _solve(cohorts, capacity, candidate, opening, minutes, beside=None):  # type: ignore[no-untyped-def]
    homes, sites = minutes.shape
    arcs = pd.DataFrame(
        [(f"H{h}", f"X{s}", minutes[h, s]) for h in range(homes) for s in range(sites)],
        columns=["home_id", "site_id", "minutes"],
    )
    return _solve_with_arcs(cohorts, capacity, candidate, opening, arcs, beside)


@settings(max_examples=60, deadline=None)
@given(instances())
def test_an_optimal_phase_reaches_the_brute_force_optimum_and_no_plan_is_under_it(case) -> None:  # type: ignore[no-untyped-def]
    unmet_disabled, unmet, cost = brute_force(*case)
    result = _solve(*case)
    found = (result.stats["unmet_disabled"], result.stats["unmet"], result.objective)
    assert found[:2] >= (unmet_disabled, unmet)
    if found[:2] == (unmet_disabled, unmet):
        assert result.objective >= cost - 1e-6
    if result.status is Status.OPTIMAL:
        assert found[:2] == (unmet_disabled, unmet)
        assert abs(result.objective - cost) <= 1e-6 * max(1.0, cost)


@settings(max_examples=30, deadline=None)
@given(instances(), st.integers(1, 3))
def test_a_branch_and_price_cut_short_still_leaves_a_plan_and_a_true_bound(case, nodes) -> None:  # type: ignore[no-untyped-def]
    """With the branch-and-price stopped after 1-3 nodes, the MIPs after it run on the columns it priced in; the plan
    and the bound stay true."""
    unmet_disabled, unmet, cost = brute_force(*case)
    with patch.object(daily_solve, "BRANCH_MAX_NODES", nodes):
        result = _solve(*case)
    if (result.stats["unmet_disabled"], result.stats["unmet"]) == (unmet_disabled, unmet):
        assert result.objective >= cost - 1e-6
        assert result.phases[-1].bound <= cost + 1e-6 * max(1.0, cost)


@settings(max_examples=30, deadline=None)
@given(instances(), st.integers(1, 3))
def test_nodes_taken_two_at_a_time_reach_the_brute_force_optimum(case, nodes) -> None:  # type: ignore[no-untyped-def]
    """With ``beside`` the branch-and-price solves its nodes in pairs (here the second in the same process, first):
    a plan said optimal is the optimum, and no plan or bound passes it, whole or cut short after 1-3 nodes."""
    unmet_disabled, unmet, cost = brute_force(*case)
    result = _solve(*case, beside=at_once)
    if result.status is Status.OPTIMAL:
        assert (result.stats["unmet_disabled"], result.stats["unmet"]) == (unmet_disabled, unmet)
        assert abs(result.objective - cost) <= 1e-6 * max(1.0, cost)
    with patch.object(daily_solve, "BRANCH_MAX_NODES", nodes):
        short = _solve(*case, beside=at_once)
    if (short.stats["unmet_disabled"], short.stats["unmet"]) == (unmet_disabled, unmet):
        assert short.objective >= cost - 1e-6
        assert short.phases[-1].bound <= cost + 1e-6 * max(1.0, cost)


def test_three_stays_that_overlap_pairwise_fill_two_single_places() -> None:
    """Two sites of one place (1 and 2 minutes away), three persons present on days 0-1, 1-2 and 0-2: all three are
    there on day 1, so two are placed, one at each site (3 minutes), and one is unmet."""
    cohorts = [(0, False, 0, 2, 1), (0, False, 1, 2, 1), (0, False, 0, 3, 1)]
    minutes = np.array([[1.0, 2.0]])
    unmet_disabled, unmet, cost = brute_force(cohorts, [1, 1], [False, False], [0.0, 0.0], minutes)
    result = _solve(cohorts, [1, 1], [False, False], [0.0, 0.0], minutes)
    assert (unmet_disabled, unmet) == (0, 1)
    assert cost == 3.0
    assert result.status is Status.OPTIMAL
    assert (result.stats["unmet"], result.objective) == (unmet, cost)


def test_the_linking_rows_prove_a_plan_the_weak_lp_bound_leaves_open() -> None:
    """One person and one candidate of 10 places (opening 100, 1 minute): the daily capacity rows let the LP open a
    tenth of it (bound 10 + 1), the linking row ``x <= min(1, 10) y`` makes it open whole, which proves the plan
    (101) without a MIP."""
    cohorts = [(0, False, 0, 2, 1)]
    result = _solve(cohorts, [10], [True], [100.0], np.array([[1.0]]))
    cost = result.phases[-1]
    assert result.status is Status.OPTIMAL
    assert cost.objective == pytest.approx(101.0) and cost.bound == pytest.approx(101.0)
    assert result.stats["cost_phase"]["linking_rows"] == 1 and result.stats["cost_phase"]["linking_rounds"] == 1


@settings(max_examples=40, deadline=None)
@given(instances())
def test_the_two_phase_route_alone_also_reaches_the_brute_force_optimum(case) -> None:  # type: ignore[no-untyped-def]
    """With the phases never tried as one model (every instance over the pair limit), the unmet phase's MIP and
    then the cost phase give the same guarantees."""
    with patch.object(daily_stage, "AT_THE_BOUNDS_MAX_PAIRS", 0):
        result = _solve(*case)
    unmet_disabled, unmet, cost = brute_force(*case)
    assert "at_lp_free_bound" not in result.stats["unmet_phase"]
    found = (result.stats["unmet_disabled"], result.stats["unmet"])
    assert found >= (unmet_disabled, unmet)
    if result.status is Status.OPTIMAL:
        assert found == (unmet_disabled, unmet)
        assert abs(result.objective - cost) <= 1e-6 * max(1.0, cost)


@settings(max_examples=60, deadline=None)
@given(instances())
def test_without_any_lp_the_plan_is_a_plan_and_no_bound_passes_the_optimum(case) -> None:  # type: ignore[no-untyped-def]
    """The route of models too large for their LP (the province) on every tiny instance: the disabled in their own
    model, the rolling placement, closing and moving. Its plan never beats the optimum (it would break a
    constraint), no site is over its places on any day, and no bound passes the optimum."""
    with without_an_lp():
        result = _solve(*case)
    unmet_disabled, unmet, cost = brute_force(*case)
    found = (result.stats["unmet_disabled"], result.stats["unmet"])
    assert found >= (unmet_disabled, unmet)
    if found == (unmet_disabled, unmet):
        assert result.objective >= cost - 1e-6
    occupancy = result.table("occupancy")
    assert (occupancy["persons"] <= occupancy["capacity"]).all()
    unmet_phase, cost_phase = result.phases
    weight = result.stats["unmet_weight_disabled"]
    assert unmet_phase.bound <= weight * unmet_disabled + unmet + 1e-9
    if found == (unmet_disabled, unmet):
        assert cost_phase.bound <= cost + 1e-6


@contextlib.contextmanager
def _models_noted(held_always: bool = False) -> Iterator[list[bool]]:
    """Whether HiGHS holds each model of the phases the stage builds (``DailyModel.lp``), in order; with
    ``held_always`` every model is given to HiGHS, whatever the time."""
    real = daily_stage._phase_model
    held: list[bool] = []

    def noted(instance, cohorts, lp_in_time=True):  # type: ignore[no-untyped-def]
        model = real(instance, cohorts, lp_in_time or held_always)
        held.append(model.lp)
        return model

    with patch.object(daily_stage, "_phase_model", noted):
        yield held


@settings(max_examples=40, deadline=None)
@given(instances())
def test_past_the_unmet_phases_deadline_highs_need_not_hold_the_model(case) -> None:  # type: ignore[no-untyped-def]
    """No LP starts past the unmet phase's deadline (here at once: no time for it), so the phases' model is built
    without HiGHS: its plan and bounds are those of the model HiGHS holds, and it cannot be run."""
    with patch.object(daily_stage, "UNMET_SHARE", 0.0), patch.object(daily_stage, "AT_THE_BOUNDS_MAX_PAIRS", 0):
        with _models_noted() as asked:
            without = _solve(*case)
        with _models_noted(held_always=True):
            held = _solve(*case)
    assert asked in ([], [False], [True])  # no model where nobody is to be placed; HiGHS's without candidates
    assert [(p.objective, p.bound) for p in without.phases] == [(p.objective, p.bound) for p in held.phases]
    assert without.table("stays").equals(held.table("stays"))
    instance, cohorts = _disabled_and_other_for_one_room()
    assert daily_stage._phase_model(instance, cohorts, lp_in_time=True).lp, "in time: HiGHS holds it"
    model = DailyModel(instance, cohorts, np.ones(len(instance.sites), bool), np.zeros(len(instance.sites)), lp=False)
    with pytest.raises(RuntimeError, match="without an LP"):
        model.run(1.0, integer=False)


@pytest.mark.parametrize(("pairs_per_second", "held"), [(1e-9, False), (1e12, True)])
def test_highs_is_not_given_a_model_it_could_not_take_before_the_unmet_phases_deadline(
    pairs_per_second: float, held: bool
) -> None:
    """With 10 s ahead, the phases' model goes to HiGHS unless taking it would pass the unmet phase's deadline (a
    model of billions of pairs, as if a pair took seconds); either way the one person gets the candidate's place."""
    with (
        patch.object(daily_stage, "MODEL_PAIRS_PER_SECOND", pairs_per_second),
        patch.object(daily_stage, "AT_THE_BOUNDS_MAX_PAIRS", 0),
        _models_noted() as models,
    ):
        result = _solve([(0, False, 0, 2, 1)], [1], [True], [5.0], np.array([[1.0]]))
    assert models == [held]
    assert (result.stats["unmet"], result.objective) == (0, 6.0)


def test_a_plan_at_the_bounds_without_an_lp_proves_the_unmet_phases_in_one_model() -> None:
    """Two places, three persons at once on day 1 (the case above): the day's maximum flow says one is unmet, the
    weighted model's plan leaves one unmet, so phases (i)-(ii) are proven by that bound and (iii) in the same model."""
    cohorts = [(0, False, 0, 2, 1), (0, False, 1, 2, 1), (0, False, 0, 3, 1)]
    result = _solve(cohorts, [1, 1], [False, False], [0.0, 0.0], np.array([[1.0, 2.0]]))
    assert result.stats["unmet_phase"] == {"at_lp_free_bound": True}
    assert result.status is Status.OPTIMAL
    assert [phase.objective for phase in result.phases] == [1.0, 3.0]


def test_a_person_who_would_have_to_change_sites_falls_back_to_the_unmet_phase() -> None:
    """Sites X0 and X1 of one place. P1 (home H0, reaching both) stays days 0-2; P2 (H1, only X0) is there on day 0,
    P3 (H2, only X1) on day 2. Each day's maximum flow places everyone, but P1 would have to move from X1 to X0: one
    person is unmet. The one-model route's LP already leaves someone unmet, so the phases run in turn: 1 unmet,
    2 minutes (P2 and P3 placed, or P1 and P3)."""
    frame = pd.DataFrame(
        {
            "home_id": ["H0", "H1", "H2"],
            "street_id": ["S"] * 3,
            "group": ["other"] * 3,
            "cause": ["mild"] * 3,
            "arrival_day": [0, 0, 2],
            "stay_days": [3, 1, 1],
            "persons": [1, 1, 1],
        }
    )
    arcs = pd.DataFrame(
        {"home_id": ["H0", "H0", "H1", "H2"], "site_id": ["X0", "X1", "X0", "X1"], "minutes": [1.0, 1.0, 1.0, 1.0]}
    )
    result = solve_daily(frame, site_table([1, 1]), arcs, 3)
    assert "at_lp_free_bound" not in result.stats["unmet_phase"]
    assert result.status is Status.OPTIMAL
    assert (result.stats["unmet"], result.objective) == (1, 2.0)


def test_when_the_lp_does_not_finish_the_rolling_plan_is_kept() -> None:
    """The three overlapping stays again, as if no LP finished in time (the province): the rolling placement's plan
    (the stay on days 0-2 at the 1-minute site, the one on days 0-1 at the other, the third unmet: 3 minutes) is
    the plan; one unmet person meets the maximum-flow bound, and the cost bound's flow proves the 3 minutes: on day 1
    all three are present, so two are placed there, at 1 and 2 minutes (each at the cheapest arc alone: 2)."""
    cohorts = [(0, False, 0, 2, 1), (0, False, 1, 2, 1), (0, False, 0, 3, 1)]
    with without_an_lp():
        result = _solve(cohorts, [1, 1], [False, False], [0.0, 0.0], np.array([[1.0, 2.0]]))
    unmet_phase, cost_phase = result.phases
    assert unmet_phase.objective == 1.0 and unmet_phase.status is Status.OPTIMAL
    assert (cost_phase.objective, cost_phase.bound) == (3.0, 3.0)
    assert result.status is Status.OPTIMAL


def _disabled_and_other_for_one_room() -> tuple[Instance, Cohorts]:
    """One room (one site, one person a room) and two persons who want it on the same two days: a disabled one
    (home H0) and another (H1), each one minute away."""
    groups = pd.DataFrame(
        {"home_id": ["H0", "H1"], "street_id": ["S", "S"], "group": ["disabled", "other"], "persons": [1, 1]}
    )
    arcs = pd.DataFrame({"home_id": ["H0", "H1"], "site_id": ["X0", "X0"], "minutes": [1.0, 1.0]})
    instance = prepare(groups, site_table([1]), arcs, 1, 0, True)
    cohorts = Cohorts(
        group=np.array([0, 1]),
        arrival=np.zeros(2, np.int64),
        stay=np.full(2, 2),
        persons=np.ones(2, np.int64),
        horizon=2,
    )
    return instance, cohorts


def test_the_rolling_windows_run_to_the_stages_deadline_not_the_unmet_phases() -> None:
    """Where the LP is not expected to finish, the rolling placement is the plan: its windows run past the unmet
    phase's deadline, up to the stage's (the disabled person gets the room, the other one is unmet); only windows
    past the stage's own deadline are left unmet."""
    instance, cohorts = _disabled_and_other_for_one_room()
    past = time.perf_counter() - 1.0
    with patch.object(daily_stage, "AT_THE_BOUNDS_MAX_PAIRS", 0):
        placed = daily_stage._rolling_start(instance, cohorts, past, math.inf, 10.0, 1.0)
        late = daily_stage._rolling_start(instance, cohorts, past, past, 10.0, 1.0)
    assert placed is not None and late is not None
    assert placed.unmet.tolist() == [0, 1] and placed.persons.tolist() == [1]
    assert late.unmet.tolist() == [1, 1]


def test_the_disabled_cohorts_own_model_runs_only_where_it_is_expected_to_end_in_its_time() -> None:
    """Phase (i)'s own model runs where its disabled cohorts fit :data:`DISABLED_COHORTS_PER_SECOND` times its
    seconds; elsewhere the rolling placement's disabled windows, which come first, place the disabled person."""
    instance, cohorts = _disabled_and_other_for_one_room()
    runs: list[int] = []
    real = daily_stage._disabled_first

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        runs.append(1)
        return real(*args, **kwargs)

    plans = []
    for per_second in (1e-6, 1e6):
        with (
            patch.object(daily_stage, "AT_THE_BOUNDS_MAX_PAIRS", 0),
            patch.object(daily_stage, "DISABLED_COHORTS_PER_SECOND", per_second),
            patch.object(daily_stage, "_disabled_first", counted),
        ):
            plans.append(daily_stage._rolling_start(instance, cohorts, math.inf, math.inf, 10.0, 1.0))
        assert len(runs) == (0 if per_second < 1 else 1)
    assert [plan.unmet.tolist() for plan in plans if plan is not None] == [[0, 1], [0, 1]]
    assert not daily_stage._disabled_first_in_time(instance, cohorts, 1e-6)
    assert daily_stage._disabled_first_in_time(instance, cohorts, 1.0)


def test_an_lp_stopped_early_is_never_taken_for_a_bound() -> None:
    """Every pair is a column from the start, so pricing finds nothing to add; an LP the solver reports stopped (by
    its time limit) is still no bound: its value may lie above the optimum."""
    from models.observation.daily import start_pairs

    groups = pd.DataFrame({"home_id": ["H0"], "street_id": ["S"], "group": ["other"], "persons": [2]})
    arcs = pd.DataFrame({"home_id": ["H0"], "site_id": ["X0"], "minutes": [3.0]})
    instance = prepare(groups, site_table([1]), arcs, 1, 0, True)
    cohorts = Cohorts(
        group=np.zeros(1, np.int64),
        arrival=np.zeros(1, np.int64),
        stay=np.ones(1, np.int64),
        persons=np.array([2]),
        horizon=1,
    )
    model = daily_stage._phase_model(instance, cohorts)
    model.build(np.ones(1), np.zeros(1), np.zeros(1), [])
    model.add_pairs(start_pairs(model))
    finished = daily_solve._priced_lp(model, math.inf)
    assert finished.priced and finished.bound == 1.0
    time_limit = model.highs.HighsModelStatus.kTimeLimit
    model.solver.getModelStatus = lambda: time_limit
    assert not daily_solve._priced_lp(model, math.inf).priced

    def no_run(_seconds: float, integer: bool) -> str:
        raise AssertionError("an LP past its deadline ran")

    model.run = no_run  # type: ignore[method-assign]
    late = daily_solve._priced_lp(model, time.perf_counter() - 1.0)
    assert (late.solved, late.priced, late.rounds, late.bound) == (False, False, 0, -math.inf)
    assert len(late.values) == model.solver.getNumCol() and not late.values.any()


def test_branching_on_the_openings_proves_what_the_strong_lp_leaves_open() -> None:
    """Three candidates (opening 10, room for everyone) on a triangle: home ``i`` reaches candidates ``i`` and
    ``i + 1`` at no minutes. The strong LP opens each candidate half and splits each home between its two: 15. Every
    plan opens two: 20. The LP's rounding finds 20; the branch-and-price on the openings proves it (both branches of
    a candidate reach 20), so the phase is optimal, not feasible with a bound of 15."""
    cohorts = [(home, False, 0, 2, 2) for home in range(3)]
    minutes = np.full((3, 3), np.inf)
    for home in range(3):
        minutes[home, home] = minutes[home, (home + 1) % 3] = 0.0
    frame = pd.DataFrame(
        [(f"H{h}", f"X{s}", 0.0) for h in range(3) for s in range(3) if np.isfinite(minutes[h, s])],
        columns=["home_id", "site_id", "minutes"],
    )
    result = _solve_with_arcs(cohorts, [6, 6, 6], [True] * 3, [10.0] * 3, frame)
    assert result.stats["unmet"] == 0
    assert result.objective == pytest.approx(20.0)
    assert result.status is Status.OPTIMAL
    assert int(result.table("sites")["open"].sum()) == 2
    with patch.object(daily_solve, "BRANCH_MAX_NODES", 0):
        unbranched = _solve_with_arcs(cohorts, [6, 6, 6], [True] * 3, [10.0] * 3, frame)
    assert unbranched.objective == pytest.approx(20.0) and unbranched.status is Status.FEASIBLE
    assert unbranched.phases[-1].bound == pytest.approx(15.0)
    started: list[object] = []

    def recorded(call):  # type: ignore[no-untyped-def]
        started.append(call)
        return at_once(call)

    paired = _solve_with_arcs(cohorts, [6, 6, 6], [True] * 3, [10.0] * 3, frame, recorded)
    assert started, "the root's two children are solved as a pair"
    assert paired.objective == pytest.approx(20.0) and paired.status is Status.OPTIMAL


def test_a_node_solved_in_a_forked_child_comes_back_with_its_plan() -> None:
    """The pipeline's ``beside`` (``planner.forked.beside``): the second node of each pair is solved in a forked
    child, whose priced columns stay there; its plan comes back as pairs and enters the model. The triangle of
    :func:`test_branching_on_the_openings_proves_what_the_strong_lp_leaves_open` is proven at 20 all the same."""
    cohorts = [(home, False, 0, 2, 2) for home in range(3)]
    frame = pd.DataFrame(
        [(f"H{h}", f"X{s}", 0.0) for h in range(3) for s in (h, (h + 1) % 3)], columns=["home_id", "site_id", "minutes"]
    )
    forked: list[bool] = []

    def in_a_child(call):  # type: ignore[no-untyped-def]
        pending = beside(call)
        forked.append(getattr(pending, "forked", False))
        return pending

    result = _solve_with_arcs(cohorts, [6, 6, 6], [True] * 3, [10.0] * 3, frame, in_a_child)
    assert forked and all(forked)
    assert result.objective == pytest.approx(20.0) and result.status is Status.OPTIMAL
    assert int(result.table("sites")["open"].sum()) == 2


def _solve_with_arcs(cohorts, capacity, candidate, opening, arcs, beside=None):  # type: ignore[no-untyped-def]
    frame = pd.DataFrame(
        {
            "home_id": [f"H{c[0]}" for c in cohorts],
            "street_id": ["S"] * len(cohorts),
            "group": ["disabled" if c[1] else "other" for c in cohorts],
            "cause": [f"cause{i}" for i in range(len(cohorts))],
            "arrival_day": [c[2] for c in cohorts],
            "stay_days": [c[3] for c in cohorts],
            "persons": [c[4] for c in cohorts],
        }
    )
    site_frame = site_table(capacity, ["candidate" if c else "open" for c in candidate], opening)
    return solve_daily(frame, site_frame, arcs, DAYS, beside=beside)


@pytest.mark.parametrize("unmet_lp_finishes", [True, False])
def test_where_the_cost_lp_does_not_finish_closing_keeps_within_the_time_limit(unmet_lp_finishes: bool) -> None:
    """The route of the province: the cost phase's LP does not finish, and closing candidates runs after it. The
    LP stops a fifth of the limit (``CLOSING_SHARE``) before the phase's deadline and the closing ends by that
    deadline, inside the 10 s limit (it could run 2 s past it: the province's stage took 11.7 s). Where the unmet
    phase's LP did not finish either, the cost phase's is not started: the closing has the phase's whole time."""
    lp_calls: list[tuple[float, float]] = []
    closing_deadlines: list[float] = []
    real_lp, real_closing = daily_solve._priced_lp, daily_solve.close_candidates

    def unfinished(model, deadline):  # type: ignore[no-untyped-def]
        if model.candidates_open and unmet_lp_finishes:
            return real_lp(model, deadline)
        if not model.candidates_open:
            lp_calls.append((time.perf_counter(), deadline))
        lp = real_lp(model, deadline)
        return replace(lp, solved=False, priced=False, values=np.zeros_like(lp.values))

    def closing(model, values, deadline):  # type: ignore[no-untyped-def]
        closing_deadlines.append(deadline)
        return real_closing(model, values, deadline)

    cohorts = [(0, False, 0, 2, 1), (0, False, 1, 2, 1)]
    with (
        patch.object(daily_stage, "AT_THE_BOUNDS_MAX_PAIRS", 0),
        patch.object(daily_solve, "_priced_lp", unfinished),
        patch.object(daily_solve, "close_candidates", closing),
    ):
        start = time.perf_counter()
        result = _solve(cohorts, [1, 1], [True, True], [5.0, 5.0], np.array([[1.0, 2.0]]))
    assert len(lp_calls) == 1 and len(closing_deadlines) == 1
    (called, lp_deadline), closing_deadline = lp_calls[0], closing_deadlines[0]
    if unmet_lp_finishes:
        assert closing_deadline - lp_deadline == pytest.approx(daily_stage.CLOSING_SHARE * 10)
    else:
        assert lp_deadline <= called, "not started"
    assert start < closing_deadline <= start + 10
    occupancy = result.table("occupancy")
    assert (occupancy["persons"] <= occupancy["capacity"]).all()


@pytest.mark.parametrize("weighted", [True, False])
def test_phases_whose_deadline_has_passed_still_give_a_plan_and_no_bound(weighted: bool) -> None:
    """Every LP past its deadline is not started (no bound, -inf): the phases then plan without one, and the unmet
    phase's bound on whole persons stays none instead of failing to round -inf up (a 3 s city plan exited with an
    internal error). ``weighted``: phases (i)-(iii) in one model, else one after the other. The bounds without an LP
    still prove this plan: one unmet (all three present on day 1), two placed at 1 and 2 minutes."""
    cohorts = [(0, False, 0, 2, 1), (0, False, 1, 2, 1), (0, False, 0, 3, 1)]
    with (
        patch.object(daily_stage, "AT_THE_BOUNDS_MAX_PAIRS", 10**9 if weighted else 0),
        patch.object(daily_solve, "_priced_lp", lambda model, _deadline: _late(model)),
    ):
        result = _solve(cohorts, [1, 1], [False, False], [0.0, 0.0], np.array([[1.0, 2.0]]))
    occupancy = result.table("occupancy")
    assert (occupancy["persons"] <= occupancy["capacity"]).all()
    assert result.stats["unmet"] == 1 and result.status is Status.OPTIMAL
    assert result.phases[-1].bound == result.phases[-1].objective == 3.0


def _late(model):  # type: ignore[no-untyped-def]
    """The LP of ``model`` as when its deadline has passed: nothing solved."""
    return _REAL_PRICED_LP(model, time.perf_counter() - 1.0)


_REAL_PRICED_LP = daily_solve._priced_lp


def test_the_cost_lp_is_not_started_where_it_cannot_finish() -> None:
    """The cost phase's LP starts from the unmet phase's: where that one did not finish, or took longer than the
    time left, the cost phase's would not finish either, and the closing of candidates takes the phase's time."""
    from models.observation.daily import PhaseOutcome

    def unmet(stats: dict[str, object]) -> PhaseOutcome:
        empty = np.zeros(0, np.int64)
        return PhaseOutcome(empty, empty, empty, empty, empty, np.zeros(0, bool), 0.0, 0.0, False, stats)

    assert daily_stage._cost_lp_hopeless(unmet({"lp_priced": False, "lp_seconds": 0.1}), 5.0)
    assert daily_stage._cost_lp_hopeless(unmet({"lp_priced": True, "lp_seconds": 3.1}), 1.1)
    assert not daily_stage._cost_lp_hopeless(unmet({"lp_priced": True, "lp_seconds": 0.3}), 1.1)
    assert not daily_stage._cost_lp_hopeless(unmet({"at_lp_free_bound": True}), 1.1), "no LP ran: nothing known"


def _greedy_plan_at(model, open_sites, deadline, solved=None):  # type: ignore[no-untyped-def]
    """A plan at the sites worse than the real one: every cohort placed greedily from nothing (a leaf's plan then
    often stays above its LP)."""
    start = np.zeros(model.solver.getNumCol())
    start[: len(open_sites)] = open_sites
    return daily_solve.repair(model, start)


def _unimproved(model, lp_values, values, best, *args, **kwargs):  # type: ignore[no-untyped-def]
    return values, best


def test_a_leaf_whose_plan_stays_above_its_lp_is_closed_by_its_mip() -> None:
    """Two candidates of two places (opening 28 and 20). Home 0 sends one person on day 0 and two on day 2, home 1
    one on days 2-3 (9 and 9 minutes to X0, 2 and 7 to X1 for home 0 and 1). Three are present on day 2, so both
    open (48); home 0's two at X1 (4), home 1's at X0 (9), the first at X1 (2): 63. With the plans at a leaf's sites
    made greedy (68) and no MIP after the branch-and-price, the leaves' MIPs prove 63; without them, or where each
    gap would let more pairs in than a leaf's MIP may add, the phase stays feasible at 68."""
    cohorts = [(1, False, 2, 2, 1), (0, False, 0, 1, 1), (0, False, 2, 1, 2)]
    case = (cohorts, [2, 2], [True, True], [28.0, 20.0], np.array([[9.0, 2.0], [9.0, 7.0]]))
    ran: list[float] = []
    real = daily_solve._leaf_solved

    def leaf(*args):  # type: ignore[no-untyped-def]
        solved = real(*args)
        ran.append(solved[1])
        return solved

    def no_leaf(model, lp, pair_reduced, box, plan, objective, deadline):  # type: ignore[no-untyped-def]
        return model.padded(plan), -math.inf

    for leaf_solved, pairs_max in ((leaf, daily_solve.LEAF_MIP_PAIRS_MAX), (no_leaf, 0), (leaf, -1)):
        with (
            patch.object(daily_solve, "_whole_plan_at", _greedy_plan_at),
            patch.object(daily_solve, "_fixed_and_solved", _unimproved),
            patch.object(daily_solve, "_improved_by_mip", lambda model, values, *args: values),
            patch.object(daily_solve, "_leaf_solved", leaf_solved),
            patch.object(daily_solve, "LEAF_MIP_PAIRS_MAX", pairs_max),  # -1: every gap lets too many in
        ):
            result = _solve(*case, beside=at_once)
        if leaf_solved is leaf and pairs_max >= 0:
            assert ran and min(ran) == pytest.approx(63.0)
            assert result.status is Status.OPTIMAL and result.objective == pytest.approx(63.0)
        else:
            assert result.status is Status.FEASIBLE and result.objective == pytest.approx(68.0)
            assert result.phases[-1].bound == pytest.approx(63.0)


@settings(max_examples=40, deadline=None)
@given(instances())
def test_leaf_mips_never_pass_the_brute_force_optimum(case) -> None:  # type: ignore[no-untyped-def]
    """With greedy plans at the leaves' sites their MIPs run often: a plan said optimal is the optimum, and no plan
    or bound passes it."""
    unmet_disabled, unmet, cost = brute_force(*case)
    with patch.object(daily_solve, "_whole_plan_at", _greedy_plan_at):
        result = _solve(*case, beside=at_once)
    if (result.stats["unmet_disabled"], result.stats["unmet"]) == (unmet_disabled, unmet):
        assert result.objective >= cost - 1e-6
        assert result.phases[-1].bound <= cost + 1e-6 * max(1.0, cost)
    if result.status is Status.OPTIMAL:
        assert abs(result.objective - cost) <= 1e-6 * max(1.0, cost)


def test_waiting_nodes_are_fixed_again_by_their_ancestors_lps_as_the_incumbent_improves() -> None:
    """An ancestor's LP (bound 100) keeps candidate 0 closed at reduced cost 8 and candidate 1 open at -6. Against a
    plan of 120 neither is fixed; against 105 a better plan of that box opens 1 and not 0, so a waiting node is
    fixed so, and one that branched 0 open holds no better plan: it is dropped; one whose bound reaches 105 is not
    taken."""
    ancestor = daily_solve.PricedLp(100.0, True, np.array([0.0, 1.0, 0.5]), np.array([8.0, -6.0, 0.0]), True, 1)
    no_streets = type("NoStreets", (), {"street_rows": ()})()

    def waiting(bound: float, lower: list[float]) -> daily_solve.Node:
        return (bound, 1, np.array(lower), np.ones(3), ((ancestor, 100.0),))

    node = daily_solve._next_node(no_streets, [waiting(101.0, [0.0, 0.0, 1.0])], 120.0)  # type: ignore[arg-type]
    assert node is not None and node[2].tolist() == [0.0, 0.0, 1.0] and node[3].tolist() == [1.0, 1.0, 1.0]
    node = daily_solve._next_node(no_streets, [waiting(101.0, [0.0, 0.0, 1.0])], 105.0)  # type: ignore[arg-type]
    assert node is not None and node[2].tolist() == [0.0, 1.0, 1.0] and node[3].tolist() == [0.0, 1.0, 1.0]
    nodes = [waiting(101.0, [1.0, 0.0, 1.0]), waiting(106.0, [0.0, 0.0, 0.0])]
    assert daily_solve._next_node(no_streets, nodes, 105.0) is None  # type: ignore[arg-type]
    assert [waiting_node[0] for waiting_node in nodes] == [106.0]  # left waiting: the search ends on its bound


def test_the_lp_free_cost_bound_is_computed_only_where_the_lp_does_not_prove_the_plan() -> None:
    """The LP-free bound on the cost (``daily_bounds.cost_lower_bound``) is the phase's bound where no LP proves
    the plan, and is not computed where the LP's bound does."""
    cohorts = [(0, False, 0, 2, 1), (0, False, 1, 2, 1), (0, False, 0, 3, 1)]
    case = (cohorts, [1, 1], [False, False], [0.0, 0.0], np.array([[1.0, 2.0]]))
    original, found = daily_stage.cost_lower_bound, []

    def recorded(*args):  # type: ignore[no-untyped-def]
        found.append(original(*args))
        return found[-1]

    with patch.object(daily_stage, "cost_lower_bound", recorded):
        proven = _solve(*case)
        assert proven.status is Status.OPTIMAL and found == []
        with without_an_lp():
            unproven = _solve(*case)
    assert found and unproven.phases[1].bound == max(found)
    assert max(found) <= 3.0  # the optimum: the two who fit, at 1 and 2 minutes; the third unmet
