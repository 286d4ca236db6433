"""Nursing day by day: each day the stage's model on that day's needs, counted per need row and pool.

Hand-made days whose plans are worked out by hand, and a property test: every day's tier totals are those of
``solve_nursing`` on that day's needs alone, and no pool sends more than it has on any day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nursing_frames import arcs_frame, every_pair, hand_arcs, needs_frame, one_day, pools_frame

import models.nursing_days
from models.flow import FlowError
from models.nursing import solve_nursing
from models.nursing_days import nurses_by_day

TIERS = ("transfer_1to1", "backfill", "self_care")


def test_one_day_counts_the_hand_plan_per_row() -> None:
    # test_nursing's first instance: H1, H2 and C1 get one nurse each, C2 and C3 none; P1 sends all three. A need
    # of nothing (Z) counts 0.
    pools = pools_frame([("P1", "A", 3), ("P2", "B", 0)])
    needs = needs_frame(
        [
            ("backfill:C3", "backfill", "A", 2),
            ("transfer_1to1:H1", "transfer_1to1", "A", 1),
            ("backfill:C1", "backfill", "A", 1),
            ("self_care:Z", "self_care", "A", 0),
            ("backfill:C2", "backfill", "A", 1),
            ("transfer_1to1:H2", "transfer_1to1", "A", 1),
        ]
    )
    arcs = hand_arcs()
    day = one_day(pools, needs, arcs, crossing_penalty_minutes=60.0)
    assert day.assigned.tolist() == [0, 1, 1, 0, 0, 1]
    assert day.sent.tolist() == [3, 0]


def test_one_day_is_zero_when_the_flow_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> None:
        raise FlowError("SimpleMinCostFlow returned BAD_RESULT.")

    monkeypatch.setattr(models.nursing_days, "solve_instance", broken)
    needs = needs_frame([("backfill:C1", "backfill", "A", 2)])
    arcs = arcs_frame([("P1", "backfill:C1", 5.0)])
    day = one_day(pools_frame([("P1", "A", 1)]), needs, arcs, crossing_penalty_minutes=0.0)
    assert day.assigned.tolist() == [0] and day.sent.tolist() == [0]


def test_one_day_over_every_pair_reaches_a_pool_the_listed_arcs_miss() -> None:
    # One 1:1 need at H1 (district A); the listed arcs reach only P1, which has no nurse; P2 (20 minutes) has two.
    # On the listed arcs nothing is assigned; every pair allowed (as the stage plans), P2 sends one.
    pools = pools_frame([("P1", "A", 0), ("P2", "B", 2)])
    needs = needs_frame([("transfer_1to1:H1", "transfer_1to1", "A", 1)])
    arcs = arcs_frame([("P1", "transfer_1to1:H1", 5.0)])
    listed = one_day(pools, needs, arcs, crossing_penalty_minutes=0.0)
    assert (listed.assigned.tolist(), listed.sent.tolist()) == ([0], [0, 0])
    complete = every_pair(pools, needs, np.array([[5.0], [20.0]]))
    day = one_day(pools, needs, arcs, crossing_penalty_minutes=0.0, all_pairs=complete)
    assert (day.assigned.tolist(), day.sent.tolist()) == ([1], [0, 1])
    # unpriced (the timeline's days): the tiers stay exact, the arc P2 -> H1 added to meet them
    unpriced = one_day(pools, needs, arcs, crossing_penalty_minutes=0.0, all_pairs=complete, pricing_rounds=0)
    assert (unpriced.assigned.tolist(), unpriced.sent.tolist()) == ([1], [0, 1])


def two_days() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """P1 (A, 2 nurses) and P2 (B, 1); a 1:1 need at H1 and a backfill need at C1, both in A, on days 7 and 3
    (rows given day 7 first); arcs P1 -> H1 and C1 5 min, P2 -> H1 20 min, P2 -> C1 10 min."""
    pools = pools_frame([("P1", "A", 2), ("P2", "B", 1)])
    needs = needs_frame(
        [
            ("transfer_1to1:H1", "transfer_1to1", "A", 2),
            ("backfill:C1", "backfill", "A", 0),
            ("transfer_1to1:H1", "transfer_1to1", "A", 1),
            ("backfill:C1", "backfill", "A", 2),
        ]
    )
    arcs = arcs_frame(
        [
            ("P1", "transfer_1to1:H1", 5.0),
            ("P1", "backfill:C1", 5.0),
            ("P2", "transfer_1to1:H1", 20.0),
            ("P2", "backfill:C1", 10.0),
        ]
    )
    return pools, needs, arcs


def test_each_day_is_planned_on_its_own_needs() -> None:
    # Day 3: H1 needs 1, C1 2, three nurses: every need met. P2 crosses into A (penalty 60): P2 -> C1 costs 70,
    # P2 -> H1 80, so P2 goes to C1 and P1 to H1 and C1 (5 + 5 + 70 = 80 against 80 + 5 + 5 = 90 the other way).
    # Day 7: H1 needs 2, C1 nothing: P1 sends both (10 minutes), P2 none. The same need ids recur with other counts.
    pools, needs, arcs = two_days()
    counted = nurses_by_day(pools, needs, arcs, day=np.array([7, 7, 3, 3]), crossing_penalty_minutes=60.0)
    assert counted.days.tolist() == [3, 7]
    assert counted.assigned.tolist() == [2, 0, 1, 2]
    assert counted.sent_per_day.tolist() == [[2, 1], [2, 0]]
    assert counted.sent.tolist() == [4, 1]
    assert counted.cost_minutes.tolist() == [80.0, 10.0]


def test_a_day_without_nurses_to_send_counts_nothing_and_leaves_the_others() -> None:
    # Day 5 asks for a self-care need at Z no pool reaches (listed arcs only): nothing is assigned that day, and
    # days 3 and 7 are planned as above.
    pools, needs, arcs = two_days()
    needs = pd.concat([needs, needs_frame([("self_care:Z", "self_care", "A", 4)])], ignore_index=True)
    counted = nurses_by_day(pools, needs, arcs, day=np.array([7, 7, 3, 3, 5]), crossing_penalty_minutes=60.0)
    assert counted.days.tolist() == [3, 5, 7]
    assert counted.assigned.tolist() == [2, 0, 1, 2, 0]
    assert counted.sent_per_day.tolist() == [[2, 1], [0, 0], [2, 0]]


def test_each_day_with_needs_is_followed_by_the_after_day_call() -> None:
    pools, needs, arcs = two_days()
    needs = pd.concat([needs, needs_frame([("self_care:Z", "self_care", "A", 4)])], ignore_index=True)
    needs.loc[needs.index[-1], "required"] = 0  # day 9: nothing required, no model
    needs = pd.concat([needs, needs_frame([("self_care:Z", "self_care", "A", 4)])], ignore_index=True)
    calls: list[int] = []
    counted = nurses_by_day(
        pools,
        needs,
        arcs,
        day=np.array([7, 7, 3, 3, 9, 5]),
        crossing_penalty_minutes=60.0,
        after_day=lambda: calls.append(len(calls)),
    )
    assert counted.days.tolist() == [3, 5, 7, 9]
    assert len(calls) == 3  # days 3, 5 (no pool reaches Z) and 7; day 9 has no model


def test_one_day_per_row_is_required() -> None:
    pools, needs, arcs = two_days()
    with pytest.raises(ValueError, match="one day per need row"):
        nurses_by_day(pools, needs, arcs, day=np.array([1, 2]), crossing_penalty_minutes=0.0)


@st.composite
def days_of_needs(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray, int]:
    """Pools in two districts, needs at a few destinations on a few days (ids recur across days), a minutes
    matrix for every pair, and a penalty."""
    pool_count = draw(st.integers(1, 4))
    pools = pools_frame([(f"P{k}", draw(st.sampled_from("AB")), draw(st.integers(0, 4))) for k in range(pool_count)])
    places = [
        (f"{tier}:D{k}", tier, draw(st.sampled_from("AB")))
        for k, tier in enumerate(draw(st.lists(st.sampled_from(TIERS), min_size=1, max_size=5)))
    ]
    day_count = draw(st.integers(1, 4))
    rows, days = [], []
    for day in range(day_count):
        for need_id, tier, district in places:
            if draw(st.booleans()):
                rows.append((need_id, tier, district, draw(st.integers(0, 3))))
                days.append(day)
    needs = needs_frame(rows) if rows else needs_frame([(places[0][0], places[0][1], places[0][2], 0)])
    days = days or [0]
    matrix = np.array([[draw(st.integers(1, 60)) for _ in range(len(places))] for _ in range(pool_count)], dtype=float)
    return pools, needs, matrix, np.array(days), draw(st.sampled_from([0, 30]))


@settings(max_examples=40, deadline=None)
@given(days_of_needs(), st.booleans(), st.data())
def test_every_day_meets_its_own_tier_optimum(
    drawn: tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray, int], listed: bool, data: st.DataObject
) -> None:
    # Every pair allowed (the timeline's days, unpriced), or only some listed arcs (the tier totals are then
    # maximum flows over the day's arcs: a wrong slice of the arcs changes them).
    pools, needs, matrix, day, penalty = drawn
    destinations = pd.unique(needs["destination_id"])
    columns = [int(str(destination)[1:]) for destination in destinations]
    complete = None if listed else every_pair(pools, needs, matrix[:, columns])
    arcs = arcs_frame([])
    if listed:
        pairs = [(pool, need) for pool in range(len(pools)) for need in sorted(set(needs["need_id"]))]
        chosen = data.draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs)))
        arcs = arcs_frame([(f"P{pool}", need, float(matrix[pool, int(need.split(":D")[1])])) for pool, need in chosen])
    counted = nurses_by_day(
        pools, needs, arcs, day=day, crossing_penalty_minutes=float(penalty), all_pairs=complete, pricing_rounds=0
    )
    for k, value in enumerate(counted.days):
        rows = np.flatnonzero(day == value)
        alone = solve_nursing(
            pools, needs.iloc[rows], arcs, crossing_penalty_minutes=float(penalty), all_pairs=complete
        )
        assigned = needs.iloc[rows].assign(assigned=counted.assigned[rows])
        per_tier = assigned.groupby("need")["assigned"].sum()
        assert [int(per_tier.get(tier, 0)) for tier in TIERS] == [round(p.objective) for p in alone.phases[:3]]
        assert counted.cost_minutes[k] == pytest.approx(alone.phases[3].objective, abs=1e-6)
        assert (counted.assigned[rows] <= needs["required"].to_numpy()[rows]).all()
        assert (counted.sent_per_day[k] <= pools["nurses"].to_numpy()).all()
        assert counted.sent_per_day[k].sum() == counted.assigned[rows].sum()
