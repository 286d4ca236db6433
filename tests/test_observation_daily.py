"""The day-by-day observation model on hand-solved instances, and its invariants on random ones."""

from __future__ import annotations

import dataclasses
import gc
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from observation_tables import site_table

from models.base import SolveOptions, Status
from models.observation.daily_stage import solve_daily_observation

if TYPE_CHECKING:
    from models.observation.daily import DailyModel

OPTIONS = SolveOptions(time_limit_s=10)


def _cohorts(rows: list[tuple[str, str, int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "home_id": [r[0] for r in rows],
            "street_id": ["S"] * len(rows),
            "group": [r[1] for r in rows],
            "cause": ["mild"] * len(rows),
            "arrival_day": [r[2] for r in rows],
            "stay_days": [r[3] for r in rows],
            "persons": [r[4] for r in rows],
        }
    )


def _solve(cohorts: pd.DataFrame, sites: pd.DataFrame, arcs: pd.DataFrame, days: int):  # type: ignore[no-untyped-def]
    return solve_daily_observation(
        cohorts,
        sites,
        arcs,
        horizon_days=days,
        persons_per_room=1,
        sites_per_street_min=0,
        barrier_free_for_disabled=True,
        options=OPTIONS,
    )


def test_two_homes_one_site_three_day_stays() -> None:
    """Site of 2 places. A: 2 persons on day 0 and 2 on day 3; B: 1 on day 1. B cannot fit on days 1-3 (A's first
    two fill the site until day 2, and A's second two arrive on day 3): unmet 1, A's four placed (40 minutes)."""
    cohorts = _cohorts([("A", "other", 0, 3, 2), ("B", "other", 1, 3, 1), ("A", "other", 3, 3, 2)])
    arcs = pd.DataFrame({"home_id": ["A", "B"], "site_id": ["X0", "X0"], "minutes": [10.0, 20.0]})
    result = _solve(cohorts, site_table([2]), arcs, 6)
    assert result.status is Status.OPTIMAL
    assert result.objective == 40.0
    stays = result.table("stays")
    assert stays[["home_id", "arrival_day", "departure_day", "persons"]].values.tolist() == [
        ["A", 0, 3, 2],
        ["A", 3, 6, 2],
    ]
    assert result.table("cohort_unmet")[["home_id", "arrival_day", "persons"]].values.tolist() == [["B", 1, 1]]
    assert result.table("occupancy")["persons"].tolist() == [2] * 6


def test_disabled_persons_placed_first_even_at_a_higher_cost() -> None:
    cohorts = _cohorts([("A", "other", 0, 2, 1), ("B", "disabled", 0, 2, 1)])
    arcs = pd.DataFrame({"home_id": ["A", "B"], "site_id": ["X0", "X0"], "minutes": [1.0, 50.0]})
    result = _solve(cohorts, site_table([1]), arcs, 2)
    assert result.table("stays")["home_id"].tolist() == ["B"]
    assert result.phases[0].objective == 1.0  # one unmet other person, no unmet disabled


def test_a_candidate_opens_only_when_it_places_someone_cheaper() -> None:
    """Open site X0 holds 1; candidate X1 (cost 100) would hold the second person: placing comes first."""
    cohorts = _cohorts([("A", "other", 0, 2, 2)])
    arcs = pd.DataFrame({"home_id": ["A", "A"], "site_id": ["X0", "X1"], "minutes": [5.0, 5.0]})
    result = _solve(cohorts, site_table([1, 1], ["open", "candidate"], [0.0, 100.0]), arcs, 2)
    assert result.status is Status.OPTIMAL
    assert result.objective == 110.0
    assert result.table("sites").set_index("site_id")["open"].to_dict() == {"X0": True, "X1": True}


def test_a_site_reused_after_a_stay_ends() -> None:
    """One place, two cohorts of one person back to back (days 0-1 and 2-3): both placed."""
    cohorts = _cohorts([("A", "other", 0, 2, 1), ("A", "other", 2, 2, 1)])
    arcs = pd.DataFrame({"home_id": ["A"], "site_id": ["X0"], "minutes": [3.0]})
    result = _solve(cohorts, site_table([1]), arcs, 4)
    assert result.table("cohort_unmet").empty and result.objective == 6.0


@st.composite
def instances(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    days = draw(st.integers(2, 6))
    site_count = draw(st.integers(1, 3))
    rooms = draw(st.lists(st.integers(0, 4), min_size=site_count, max_size=site_count))
    status = draw(st.lists(st.sampled_from(["open", "candidate"]), min_size=site_count, max_size=site_count))
    cost = draw(st.lists(st.sampled_from([0.0, 7.0, 40.0]), min_size=site_count, max_size=site_count))
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["A", "B", "C"]),
                st.sampled_from(["disabled", "other"]),
                st.integers(0, days - 1),
                st.integers(1, 4),
                st.integers(1, 4),
            ),
            min_size=1,
            max_size=8,
        )
    )
    arcs = pd.DataFrame(
        [
            (home, f"X{s}", float(draw(st.integers(1, 30))))
            for home in ("A", "B", "C")
            for s in range(site_count)
            if draw(st.booleans())
        ],
        columns=["home_id", "site_id", "minutes"],
    )
    cohorts = (
        _cohorts(rows)
        .groupby(["home_id", "group", "arrival_day", "stay_days"], as_index=False)
        .agg(street_id=("street_id", "first"), cause=("cause", "first"), persons=("persons", "sum"))
    )
    return cohorts, site_table(rooms, status, cost), arcs, days


@settings(max_examples=40, deadline=None)
@given(instances())
def test_no_site_over_capacity_and_every_stay_its_length(case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]):
    cohorts, sites, arcs, days = case
    result = _solve(cohorts, sites, arcs, days)
    occupancy = result.table("occupancy")
    assert (occupancy["persons"] <= occupancy["capacity"]).all()
    open_sites = set(result.table("sites").query("open")["site_id"])
    assert set(result.table("stays")["site_id"]) <= open_sites  # nobody at a closed site
    assert result.bound <= result.objective + 1e-6 * max(1.0, abs(result.objective))
    stays = result.table("stays")
    lengths = cohorts.groupby(["home_id", "group", "arrival_day"])["stay_days"].agg(set)
    for row in stays.itertuples():
        assert row.departure_day - row.arrival_day in lengths[(row.home_id, row.group, row.arrival_day)]
    placed = stays["persons"].sum() + result.table("cohort_unmet")["persons"].sum()
    assert placed == cohorts["persons"].sum()
    present = np.zeros(days)
    for row in stays.itertuples():
        present[row.arrival_day : min(row.departure_day, days)] += row.persons
    assert present.tolist() == occupancy.groupby("day")["persons"].sum().reindex(range(days), fill_value=0).tolist()


def test_two_candidates_each_too_small_both_open() -> None:
    """Three persons, two candidates of 2 places at 10 each: the LP opens one and a half; the plan opens both
    (20) and places all three (3 x 5 minutes): 35, the optimum by hand."""
    cohorts = _cohorts([("A", "other", 0, 2, 3)])
    arcs = pd.DataFrame({"home_id": ["A", "A"], "site_id": ["X0", "X1"], "minutes": [5.0, 5.0]})
    sites = site_table([2, 2], ["candidate", "candidate"], [10.0, 10.0])
    result = _solve(cohorts, sites, arcs, 2)
    assert result.table("cohort_unmet").empty
    assert result.objective == 35.0
    assert result.bound <= 35.0 and result.status in (Status.OPTIMAL, Status.FEASIBLE)


def test_the_same_mip_is_run_once_until_the_model_changes() -> None:
    """``first_mip`` records the bounds a MIP ran with: the same bounds again are no new MIP, other bounds are, and
    new costs (the next phase) make every MIP new again."""
    from models.observation.daily import Cohorts, DailyModel, start_pairs
    from models.observation.daily_bounds import site_roles
    from models.observation.instance import prepare

    groups = pd.DataFrame({"home_id": ["H0"], "street_id": ["S"], "group": ["other"], "persons": [2]})
    arcs = pd.DataFrame({"home_id": ["H0"], "site_id": ["X0"], "minutes": [3.0]})
    instance = prepare(groups, site_table([1]), arcs, 1, 0, True)
    cohorts = Cohorts(np.zeros(1, np.int64), np.zeros(1, np.int64), np.ones(1, np.int64), np.array([2]), 1)
    must, free = site_roles(instance)
    model = DailyModel(instance, cohorts, free, must.astype(float))
    model.build(np.ones(1), np.zeros(1), np.zeros(1), [])
    model.add_pairs(start_pairs(model))
    lower, upper = np.zeros(2), np.array([1.0, 2.0])
    assert model.first_mip(lower, upper)
    assert not model.first_mip(lower, upper)
    assert model.first_mip(lower, np.array([1.0, 1.0]))
    model.continue_with(np.ones(1), np.ones(1), np.zeros(1), [])
    assert model.first_mip(lower, upper)


def _three_persons_two_sites() -> DailyModel:
    """The model of one cohort of 3 persons on days 0-1 and two sites (X0 open, 3 minutes; X1 a candidate opening at
    7, 5 minutes), built with unmet persons at 100."""
    from models.observation.daily import Cohorts, DailyModel
    from models.observation.daily_bounds import site_roles
    from models.observation.instance import prepare

    groups = pd.DataFrame({"home_id": ["H0"], "street_id": ["S"], "group": ["other"], "persons": [3]})
    arcs = pd.DataFrame({"home_id": ["H0", "H0"], "site_id": ["X0", "X1"], "minutes": [3.0, 5.0]})
    sites = site_table([1, 2], ["open", "candidate"], [0.0, 7.0])
    instance = prepare(groups, sites, arcs, 1, 0, True)
    cohorts = Cohorts(np.zeros(1, np.int64), np.zeros(1, np.int64), np.full(1, 2, np.int64), np.array([3]), 2)
    must, free = site_roles(instance)
    model = DailyModel(instance, cohorts, free, must.astype(float))
    model.build(np.full(1, 100.0), np.array([3.0, 5.0]), np.array([0.0, 7.0]), [])
    return model


def test_the_model_keeps_every_columns_cost_as_highs_holds_it() -> None:
    """``column_cost`` (read for every plan's cost instead of copying the LP out of HiGHS) follows the columns as they
    are built, enter and get the next phase's costs."""
    model = _three_persons_two_sites()

    def held_by_highs() -> list[float]:
        return list(np.asarray(model.solver.getLp().col_cost_, dtype=float))

    assert list(model.column_cost) == held_by_highs()
    model.add_pairs(np.array([1]))
    model.add_pairs(np.array([0, 1]))
    assert list(model.column_cost) == held_by_highs()
    assert list(model.column_cost[model.base_columns :]) == [5.0, 3.0]
    model.continue_with(np.full(1, 50.0), np.array([4.0, 6.0]), np.array([0.0, 9.0]), [])
    assert list(model.column_cost) == held_by_highs()
    assert list(model.column_cost[model.base_columns :]) == [6.0, 4.0]


def test_every_column_of_a_plan_keeps_every_row() -> None:
    """A plan given by its placement columns alone (2 of 3 persons at X1 on days 0-1, one unmet) becomes values of
    every column that keep every row of the model: the unmet and slot columns are made up."""
    model = _three_persons_two_sites()
    model.add_pairs(np.arange(len(model.pair_cohort)))
    at_x1 = model.base_columns + model.column_of(model.pairs_of(np.array([0]), np.array([1])))
    values = np.zeros(model.solver.getNumCol())
    values[at_x1] = 2.0
    full = model.every_column(values, np.array([False, True]))
    lp = model.solver.getLp()
    matrix = np.zeros((lp.num_row_, lp.num_col_))
    starts = np.asarray(lp.a_matrix_.start_)
    for column in range(lp.num_col_):
        rows = np.asarray(lp.a_matrix_.index_[starts[column] : starts[column + 1]])
        matrix[rows, column] = np.asarray(lp.a_matrix_.value_[starts[column] : starts[column + 1]])
    activity = matrix @ full
    broken = full.copy()
    broken[2 : model.base_columns] = 0.0
    lower, upper = np.asarray(lp.row_lower_) - 1e-9, np.asarray(lp.row_upper_) + 1e-9
    assert not np.all((matrix @ broken >= lower) & (matrix @ broken <= upper))  # without the slots a row breaks
    assert np.all(activity >= np.asarray(lp.row_lower_) - 1e-9) and np.all(activity <= np.asarray(lp.row_upper_) + 1e-9)
    assert full[0] == 1.0 and full[1] == 1.0  # X1 open, one person unmet
    assert np.all(full >= np.asarray(lp.col_lower_)) and np.all(full <= np.asarray(lp.col_upper_))


def test_a_broken_linking_row_brings_the_rows_of_every_column_at_its_candidate() -> None:
    """Two cohorts at candidate X0 (and open site X1): the LP's values place 2 persons of cohort 0 at X0 opened 0.5,
    which breaks ``x <= 2 * 0.5``; cohort 1's column at X0 (0 placed) keeps its row but gets it too. The open site's
    columns get none; values that break nothing add nothing."""
    from models.observation.daily import Cohorts, DailyModel
    from models.observation.daily_bounds import site_roles
    from models.observation.instance import prepare

    groups = pd.DataFrame({"home_id": ["H0"], "street_id": ["S"], "group": ["other"], "persons": [3]})
    arcs = pd.DataFrame({"home_id": ["H0", "H0"], "site_id": ["X0", "X1"], "minutes": [1.0, 5.0]})
    instance = prepare(groups, site_table([4, 4], ["candidate", "open"], [7.0, 0.0]), arcs, 1, 0, True)
    cohorts = Cohorts(np.zeros(2, np.int64), np.array([0, 1]), np.ones(2, np.int64), np.array([2, 1]), 2)
    must, free = site_roles(instance)
    model = DailyModel(instance, cohorts, free, must.astype(float))
    model.build(np.full(2, 100.0), np.array([1.0, 5.0]), np.array([7.0, 0.0]), [])
    model.add_pairs(np.arange(len(model.pair_cohort)))
    rows = model.solver.getNumRow()
    values = np.zeros(model.solver.getNumCol())
    values[0] = 0.5
    at_x0 = model.base_columns + model.column_of(model.pairs_of(np.array([0, 1]), np.array([0, 0])))
    assert model.add_violated_links(values) == 0  # nobody at X0
    values[at_x0[0]] = 2.0
    assert model.add_violated_links(values) == 2
    assert model.solver.getNumRow() == rows + 2
    assert model.linked.sum() == 2
    assert model.add_violated_links(values) == 0  # the rows are in


def test_the_penalties_the_limits_allow_cancel_exactly_at_any_magnitude() -> None:
    """The weighted model's penalties reach 1e14: a plan at the limits pays exactly 0 for its unmet persons, one
    person beyond them exactly one penalty (the sum of the costs less the sum of the allowed penalties does not)."""
    from models.observation.daily import penalties_beyond

    disabled, other = 46280168780241.63, 2831097166.085346
    unmet_cost = np.array([disabled, other, other, disabled, other, disabled, other])
    unmet = np.array([1, 4, 2, 0, 6, 0, 2])
    allowed = ((disabled, 1), (other, 14))
    assert penalties_beyond(unmet_cost, unmet, allowed) == 0.0
    assert penalties_beyond(unmet_cost, unmet + np.array([0, 1, 0, 0, 0, 0, 0]), allowed) == other
    assert penalties_beyond(unmet_cost, unmet, ()) == pytest.approx(float(np.dot(unmet_cost, unmet)), rel=1e-15)
    assert penalties_beyond(unmet_cost, unmet, ((1.5, 2),)) == pytest.approx(np.dot(unmet_cost, unmet) - 3.0, rel=1e-15)
    assert float(np.dot(unmet_cost, unmet)) - (disabled * 1 + other * 14) != 0.0  # what the plain sums give


def test_a_wave_far_beyond_the_rooms_is_proven_on_costs_the_penalties_would_drown() -> None:
    """A million disabled and a million other persons arrive on day 0; 8 places in all (open X0 of 5, candidate X1
    of 3 at 1,000). By hand: 8 disabled placed, X1 opened, A's 5 at X0 (10.1 min) and B's 3 disabled of day 2 at X1
    (3.3 min): 1,000 + 50.5 + 9.9 = 1,060.4. The weighted model's penalty offset (about 2e15) leaves its LP value
    no precision for the cost, so the phases run in turn and prove it (that LP's value alone proved nothing)."""
    big = 10**6
    cohorts = _cohorts(
        [("A", "disabled", 0, 3, big), ("B", "other", 0, 3, big), ("A", "other", 1, 2, 7), ("B", "disabled", 2, 1, 3)]
    )
    arcs = pd.DataFrame(
        {"home_id": ["A", "B", "A", "B"], "site_id": ["X0", "X0", "X1", "X1"], "minutes": [10.1, 20.3, 7.7, 3.3]}
    )
    result = _solve(cohorts, site_table([5, 3], ["open", "candidate"], [0.0, 1000.0]), arcs, 4)
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(1060.4, rel=1e-12)
    assert result.bound <= result.objective + 1e-6 * result.objective
    assert result.table("cohort_unmet")["persons"].sum() == 2 * big + 2


def test_the_models_and_their_solvers_are_freed_as_the_stage_returns() -> None:
    """The stage's models and their HiGHS solvers are gone once it returns, without Python's cycle collector (which
    the memory HiGHS holds does not prompt: the sample city's daily plan kept 33 MB a plan until one ran)."""
    highspy = pytest.importorskip("highspy")
    from models.observation.daily import DailyModel

    cohorts = _cohorts([("A", "other", 0, 2, 2), ("B", "disabled", 1, 2, 1)])
    arcs = pd.DataFrame({"home_id": ["A", "B", "A"], "site_id": ["X0", "X0", "X1"], "minutes": [5.0, 7.0, 2.0]})
    sites = site_table([2, 2], ["open", "candidate"], [0.0, 30.0])
    gc.collect()
    gc.disable()
    try:
        result = _solve(cohorts, sites, arcs, 4)
        alive = [o for o in gc.get_objects() if isinstance(o, DailyModel | highspy.Highs)]
    finally:
        gc.enable()
    assert result.status is Status.OPTIMAL
    assert alive == []


def test_the_pairs_are_held_in_32_bits_and_found_in_64() -> None:
    """The full model's pairs (6.5 million at national) are 32-bit positions; finding a pair multiplies a cohort by
    the number of arcs in 64 bits (70,000 x 40,001 is past 2**31)."""
    model = _three_persons_two_sites()
    assert (model.pair_cohort.dtype, model.pair_arc.dtype, model.pair_link_row.dtype) == (np.int32,) * 3
    assert model.pairs_of(np.array([0, 0]), np.array([1, 0])).tolist() == [1, 0]
    many_arcs = dataclasses.replace(model.instance, arcs=pd.DataFrame({"minutes": np.zeros(40_001)}))
    model.instance = many_arcs
    model.pair_cohort = np.array([0, 69_999, 70_000], np.int32)
    model.pair_arc = np.array([5, 40_000, 39_999], np.int32)
    assert model.pairs_of(np.array([70_000, 69_999]), np.array([39_999, 40_000])).tolist() == [2, 1]
