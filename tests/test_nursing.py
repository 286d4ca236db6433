"""Nursing stage: tiers strictly in order, territorial penalty, exact cost, marginal nurses.

Hand-made instances with the optimum worked out by hand, then property tests against an
independent lexicographic MILP (scipy HiGHS) and against re-solving with one more nurse. With every
pair allowed (``all_pairs``) the nearest pools seed the solve and the plan must equal the MILP over
every pair: a tiny instance where the nearest pools strand nurses, and random ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nursing_frames import arcs_frame, every_pair, hand_arcs, nearest_arcs, needs_frame, one_day, pools_frame
from scipy.optimize import Bounds, LinearConstraint, milp

from models.base import Status
from models.flow import FlowError
from models.nursing import solve_nursing

TIERS = ("transfer_1to1", "backfill", "self_care")


def row_values(table: pd.DataFrame, row: str, columns: list[str]) -> list[object]:
    """The values of ``columns`` in the row labelled ``row``."""
    return [table.at[row, column] for column in columns]


def by_id(table: pd.DataFrame, column: str) -> pd.DataFrame:
    return table.set_index(column)


def test_tier_order_decides_a_pool_shortage() -> None:
    # 3 nurses; two 1:1 needs far away (30, 40 min), two backfill needs near (5, 9 min), one
    # backfill need out of reach. Tier 1 first: both 1:1 met (2 nurses) although they cost
    # more; the last nurse goes to the nearer backfill B1. Cost 30 + 40 + 5 = 75.
    pools = pools_frame([("P1", "A", 3)])
    needs = needs_frame(
        [
            ("transfer_1to1:H1", "transfer_1to1", "A", 1),
            ("transfer_1to1:H2", "transfer_1to1", "A", 1),
            ("backfill:C1", "backfill", "A", 1),
            ("backfill:C2", "backfill", "A", 1),
            ("backfill:C3", "backfill", "A", 2),
        ]
    )
    arcs = hand_arcs()
    result = solve_nursing(pools, needs, arcs, crossing_penalty_minutes=60.0)
    assert result.status is Status.OPTIMAL
    assert [(phase.name, phase.objective) for phase in result.phases] == [
        ("transfer_1to1 assigned", 2.0),
        ("backfill assigned", 1.0),
        ("self_care assigned", 0.0),
        ("cost", 75.0),
    ]
    table = by_id(result.table("needs"), "need_id")
    assert table["assigned"].to_dict() == {
        "transfer_1to1:H1": 1,
        "transfer_1to1:H2": 1,
        "backfill:C1": 1,
        "backfill:C2": 0,
        "backfill:C3": 0,
    }
    assert row_values(table, "backfill:C2", ["unmet", "reason", "binding_pools", "binding_districts"]) == [
        1,
        "pools_used_up",
        "P1",
        "A",
    ]
    assert row_values(table, "backfill:C3", ["unmet", "reason"]) == [2, "no_pool_in_reach"]
    assert table.loc["transfer_1to1:H1", "reason"] == ""
    pool = by_id(result.table("pools"), "pool_id").loc["P1"]
    assert (pool["used"], pool["spare"], pool["marginal_tier"], pool["marginal_value"]) == (3, 0, "backfill", 1)
    assert result.table("assignments")["nurses"].sum() == 3


def test_crossing_penalty_makes_the_own_district_serve_first() -> None:
    # Need in district A. Pool PA (A) is 12 min away, pool PB (B) 10 min: with a 30-minute
    # penalty PA serves (12 < 10 + 30); without a penalty PB serves (10 < 12).
    pools = pools_frame([("PA", "A", 1), ("PB", "B", 1)])
    needs = needs_frame([("backfill:C1", "backfill", "A", 1)])
    arcs = arcs_frame([("PA", "backfill:C1", 12.0), ("PB", "backfill:C1", 10.0)])
    with_penalty = solve_nursing(pools, needs, arcs, crossing_penalty_minutes=30.0)
    assignments = with_penalty.table("assignments")
    assert assignments[["pool_id", "nurses", "minutes", "crosses_district"]].values.tolist() == [["PA", 1, 12.0, False]]
    assert with_penalty.objective == 12.0
    without_penalty = solve_nursing(pools, needs, arcs, crossing_penalty_minutes=0.0)
    assert without_penalty.table("assignments")["pool_id"].tolist() == ["PB"]
    assert without_penalty.objective == 10.0
    # Everything met: one more nurse anywhere covers nobody.
    assert with_penalty.table("pools")["marginal_value"].tolist() == [0, 0]


def test_exact_cost_counts_the_penalty_per_crossing_nurse() -> None:
    # Need of 3 in district A; PA (A, 1 nurse, 12 min) and PB (B, 1 nurse, 10 min) both serve.
    # Cost 12 + (10 + 30) = 52; one nurse short, both pools used up and both could help.
    pools = pools_frame([("PA", "A", 1), ("PB", "B", 1)])
    needs = needs_frame([("backfill:C1", "backfill", "A", 3)])
    arcs = arcs_frame([("PA", "backfill:C1", 12.0), ("PB", "backfill:C1", 10.0)])
    result = solve_nursing(pools, needs, arcs, crossing_penalty_minutes=30.0)
    assert result.objective == 52.0
    assert result.table("assignments")["cost_minutes"].tolist() == [12.0, 40.0]
    need = result.table("needs").iloc[0]
    assert (need["assigned"], need["unmet"], need["reason"]) == (2, 1, "pools_used_up")
    assert (need["binding_pools"], need["binding_districts"]) == ("PA;PB", "A;B")
    assert result.table("pools")["marginal_value"].tolist() == [1, 1]


def test_a_short_need_names_its_nearest_used_up_pools_only() -> None:
    # Twelve pools of one nurse each reach a need of 20, pool Pk k minutes away: all are used up, the need is short,
    # and its explanation names the ten nearest (P01-P10), not P11 and P12.
    pools = pools_frame([(f"P{k:02d}", "A" if k % 2 else "B", 1) for k in range(1, 13)])
    needs = needs_frame([("backfill:C1", "backfill", "A", 20)])
    arcs = arcs_frame([(f"P{k:02d}", "backfill:C1", float(k)) for k in range(12, 0, -1)])
    need = solve_nursing(pools, needs, arcs, crossing_penalty_minutes=0.0).table("needs").iloc[0]
    assert (need["unmet"], need["reason"]) == (8, "pools_used_up")
    assert need["binding_pools"] == ";".join(f"P{k:02d}" for k in range(1, 11))
    assert need["binding_districts"] == "A;B"


def test_marginal_value_follows_residual_paths() -> None:
    # P1 (1 nurse) reaches 1:1 need N1 and backfill need N3; P2 (1 nurse) reaches N1 and 1:1
    # need N2; P3 (0 nurses) reaches N2; P4 (2 nurses) reaches nothing.
    # Optimum: P1 -> N1, P2 -> N2 (both 1:1 met), N3 unmet.
    # One more nurse at P1 covers N3 directly; at P2 it takes N1 so P1 moves to N3; at P3 it
    # takes N2, P2 moves to N1, P1 moves to N3: value 1 in tier backfill for P1, P2, P3; 0 for P4.
    pools = pools_frame([("P1", "A", 1), ("P2", "A", 1), ("P3", "A", 0), ("P4", "A", 2)])
    needs = needs_frame(
        [
            ("transfer_1to1:N1", "transfer_1to1", "A", 1),
            ("transfer_1to1:N2", "transfer_1to1", "A", 1),
            ("backfill:N3", "backfill", "A", 1),
        ]
    )
    arcs = arcs_frame(
        [
            ("P1", "transfer_1to1:N1", 1.0),
            ("P1", "backfill:N3", 1.0),
            ("P2", "transfer_1to1:N1", 1.0),
            ("P2", "transfer_1to1:N2", 1.0),
            ("P3", "transfer_1to1:N2", 1.0),
        ]
    )
    result = solve_nursing(pools, needs, arcs, crossing_penalty_minutes=0.0)
    pools_out = by_id(result.table("pools"), "pool_id")
    assert pools_out["marginal_value"].to_dict() == {"P1": 1, "P2": 1, "P3": 1, "P4": 0}
    assert pools_out["marginal_tier"].to_dict() == {"P1": "backfill", "P2": "backfill", "P3": "backfill", "P4": ""}
    assert pools_out["spare"].to_dict() == {"P1": 0, "P2": 0, "P3": 0, "P4": 2}


def test_marginal_tier_is_the_highest_tier_served() -> None:
    # P1 (1 nurse) reaches an unmet 1:1 need and an unmet backfill need: tier 1 counts.
    pools = pools_frame([("P1", "A", 1)])
    needs = needs_frame([("transfer_1to1:H", "transfer_1to1", "A", 2), ("backfill:C", "backfill", "A", 1)])
    arcs = arcs_frame([("P1", "transfer_1to1:H", 5.0), ("P1", "backfill:C", 1.0)])
    result = solve_nursing(pools, needs, arcs, crossing_penalty_minutes=0.0)
    assert result.table("pools")[["marginal_tier", "marginal_value"]].values.tolist() == [["transfer_1to1", 1]]


def test_zero_requirement_and_empty_inputs() -> None:
    pools = pools_frame([("P1", "A", 2)])
    needs = needs_frame([("self_care:S", "self_care", "A", 0)])
    result = solve_nursing(pools, needs, arcs_frame([("P1", "self_care:S", 3.0)]), crossing_penalty_minutes=10.0)
    assert result.status is Status.OPTIMAL
    assert result.table("needs")[["assigned", "unmet", "reason"]].values.tolist() == [[0, 0, ""]]
    assert result.table("assignments").empty
    empty = solve_nursing(pools_frame([]), needs_frame([]), arcs_frame([]), crossing_penalty_minutes=1.0)
    assert empty.status is Status.OPTIMAL
    assert empty.table("needs").empty and empty.table("pools").empty


def test_unknown_tier_is_rejected() -> None:
    needs = needs_frame([("dialysis:X", "dialysis", "A", 1)])
    with pytest.raises(ValueError, match="dialysis"):
        solve_nursing(pools_frame([("P1", "A", 1)]), needs, arcs_frame([]), crossing_penalty_minutes=0.0)


# --------------------------------------------------------------------------- properties


@st.composite
def instances(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    """Up to 4 pools and 6 needs over 2 districts, a random arc subset with integer minutes."""
    num_pools = draw(st.integers(1, 4))
    num_needs = draw(st.integers(1, 6))
    pools = pools_frame([(f"P{p}", draw(st.sampled_from("AB")), draw(st.integers(0, 4))) for p in range(num_pools)])
    needs = needs_frame(
        [
            (f"{tier}:N{n}", tier, draw(st.sampled_from("AB")), draw(st.integers(1, 4)))
            for n in range(num_needs)
            for tier in [draw(st.sampled_from(TIERS))]
        ]
    )
    arcs = arcs_frame(
        [
            (f"P{p}", needs["need_id"][n], float(draw(st.integers(0, 20))))
            for p in range(num_pools)
            for n in range(num_needs)
            if draw(st.booleans())
        ]
    )
    return pools, needs, arcs, draw(st.integers(0, 15))


def lexicographic_milp(
    pools: pd.DataFrame, needs: pd.DataFrame, arcs: pd.DataFrame, penalty: int
) -> tuple[list[int], float]:
    """Independent formulation: tier totals maximised one after the other, then cost, by HiGHS."""
    if arcs.empty:
        return [0] * len(TIERS), 0.0
    pool_of = arcs["pool_id"].map({p: i for i, p in enumerate(pools["pool_id"])}).to_numpy()
    need_of = arcs["need_id"].map({n: i for i, n in enumerate(needs["need_id"])}).to_numpy()
    num_arcs = len(arcs)
    pool_rows = np.zeros((len(pools), num_arcs))
    pool_rows[pool_of, np.arange(num_arcs)] = 1
    need_rows = np.zeros((len(needs), num_arcs))
    need_rows[need_of, np.arange(num_arcs)] = 1
    constraints = [
        LinearConstraint(pool_rows, 0, pools["nurses"].to_numpy()),
        LinearConstraint(need_rows, 0, needs["required"].to_numpy()),
    ]
    integrality = np.ones(num_arcs)
    totals = []
    for tier in TIERS:
        in_tier = (needs["need"].to_numpy()[need_of] == tier).astype(float)
        result = milp(-in_tier, constraints=constraints, integrality=integrality, bounds=Bounds(0, np.inf))
        best = round(-result.fun)
        totals.append(best)
        constraints.append(LinearConstraint(in_tier, best, best))
    crosses = pools["district_id"].to_numpy()[pool_of] != needs["district_id"].to_numpy()[need_of]
    cost = arcs["minutes"].to_numpy() + penalty * crosses
    result = milp(cost, constraints=constraints, integrality=integrality, bounds=Bounds(0, np.inf))
    return totals, float(result.fun)


@settings(max_examples=40, deadline=None)
@given(instances())
def test_matches_lexicographic_milp(instance: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]) -> None:
    pools, needs, arcs, penalty = instance
    result = solve_nursing(pools, needs, arcs, crossing_penalty_minutes=float(penalty))
    assert result.status is Status.OPTIMAL
    needs_out = by_id(result.table("needs"), "need_id")
    pools_out = by_id(result.table("pools"), "pool_id")
    assignments = result.table("assignments")
    # Capacities never exceeded; assigned within required; every shortfall named.
    used = assignments.groupby("pool_id")["nurses"].sum().reindex(pools_out.index, fill_value=0)
    assert (used <= pools_out["nurses"]).all() and (used == pools_out["used"]).all()
    assert (needs_out["assigned"] <= needs_out["required"]).all()
    assert (needs_out["assigned"] + needs_out["unmet"] == needs_out["required"]).all()
    reachable = set(arcs["need_id"])
    for need_id, row in needs_out.iterrows():
        expected = "" if row["unmet"] == 0 else ("pools_used_up" if need_id in reachable else "no_pool_in_reach")
        assert row["reason"] == expected
    # Same lexicographic optimum as the MILP.
    totals, cost = lexicographic_milp(pools, needs, arcs, penalty)
    assert [round(phase.objective) for phase in result.phases[:3]] == totals
    assert result.phases[3].objective == pytest.approx(cost, abs=1e-6)
    # The counts without the tables are the tables' counts.
    day = one_day(pools, needs, arcs, crossing_penalty_minutes=float(penalty))
    assert day.assigned.tolist() == needs_out.loc[needs["need_id"], "assigned"].tolist()
    assert day.sent.tolist() == pools_out.loc[pools["pool_id"], "used"].tolist()
    # 1:1 honoured wherever the nurses suffice for it.
    one_to_one = needs_out[needs_out["need"] == "transfer_1to1"]
    if totals[0] == one_to_one["required"].sum():
        assert (one_to_one["unmet"] == 0).all()


@settings(max_examples=25, deadline=None)
@given(instances())
def test_marginal_value_matches_one_more_nurse(instance: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]) -> None:
    pools, needs, arcs, penalty = instance
    result = solve_nursing(pools, needs, arcs, crossing_penalty_minutes=float(penalty))
    base = [phase.objective for phase in result.phases[:3]]
    for pool in result.table("pools").itertuples():
        more = pools.copy()
        more.loc[more["pool_id"] == pool.pool_id, "nurses"] += 1
        again = solve_nursing(more, needs, arcs, crossing_penalty_minutes=float(penalty))
        gained = [phase.objective - before for phase, before in zip(again.phases[:3], base, strict=True)]
        first = next((tier for tier, change in enumerate(gained) if change != 0), None)
        if pool.marginal_value == 0:
            assert first is None
        else:
            assert first is not None and TIERS[first] == pool.marginal_tier and gained[first] == 1


def test_solver_failure_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    import models.nursing

    def broken(*_args: object) -> None:
        raise FlowError("SimpleMinCostFlow returned BAD_RESULT.")

    monkeypatch.setattr(models.nursing, "solve_instance", broken)
    result = solve_nursing(pools_frame([("P1", "A", 1)]), needs_frame([]), arcs_frame([]), crossing_penalty_minutes=0.0)
    assert result.status is Status.ERROR
    assert "BAD_RESULT" in result.message
    assert list(result.table("needs").columns)[:3] == ["need_id", "destination_id", "need"]


# --------------------------------------------------------------------------- every pair allowed


def test_nearest_pools_strand_nurses_that_every_pair_sends() -> None:
    # P1 is the nearest pool of both needs but has 1 nurse; P2 (far, other district) has 5. Needs 2 + 2.
    pools = pools_frame([("P1", "A", 1), ("P2", "B", 5)])
    needs = needs_frame([("transfer_1to1:H1", "transfer_1to1", "A", 2), ("backfill:H2", "backfill", "A", 2)])
    matrix = np.array([[3.0, 4.0], [25.0, 45.5]])
    listed = solve_nursing(pools, needs, nearest_arcs(pools, needs, matrix, 1), crossing_penalty_minutes=10.0)
    assert [phase.objective for phase in listed.phases[:2]] == [1.0, 0.0]  # P2's nurses stranded
    priced = solve_nursing(
        pools,
        needs,
        nearest_arcs(pools, needs, matrix, 1),
        crossing_penalty_minutes=10.0,
        all_pairs=every_pair(pools, needs, matrix),
    )
    brute = solve_nursing(pools, needs, nearest_arcs(pools, needs, matrix, 2), crossing_penalty_minutes=10.0)
    assert priced.status is Status.OPTIMAL
    assert [phase.objective for phase in priced.phases[:3]] == [2.0, 2.0, 0.0]
    # P1's nurse to H2 (4); P2 sends 2 to H1 (2 x (25 + 10)) and 1 to H2 (45.5 + 10): 129.5, where
    # P1 -> H1 would cost 3 + 35 + 2 x 55.5 = 149
    assert priced.phases[3].objective == pytest.approx(brute.phases[3].objective) == 4 + 70 + 55.5
    assignments = priced.table("assignments")
    assert assignments["pool_id"].tolist() == ["P2", "P1", "P2"]
    assert assignments["crosses_district"].tolist() == [True, False, True]
    assert assignments["minutes"].tolist() == [25.0, 4.0, 45.5]


@st.composite
def complete_instances(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, int, int]:
    """Pools and needs as above (some needs sharing a destination), minutes with up to 6 decimals, k seeds."""
    pools, needs, _, penalty = draw(instances())
    sharing = draw(st.booleans())
    if sharing and len(needs) > 1:  # two needs of different tiers at one destination
        needs.loc[needs.index[-1], "destination_id"] = needs["destination_id"].iloc[0]
    destinations = len(pd.unique(needs["destination_id"]))
    seed = draw(st.integers(0, 2**32 - 1))
    decimals = draw(st.integers(0, 6))
    matrix = np.round(np.random.default_rng(seed).random((len(pools), destinations)) * 40, decimals)
    return pools, needs, matrix, penalty, draw(st.integers(1, len(pools)))


@settings(max_examples=50, deadline=None)
@given(complete_instances())
def test_every_pair_equals_the_all_arcs_milp(instance: tuple[pd.DataFrame, pd.DataFrame, np.ndarray, int, int]) -> None:
    pools, needs, matrix, penalty, k = instance
    result = solve_nursing(
        pools,
        needs,
        nearest_arcs(pools, needs, matrix, k),
        crossing_penalty_minutes=float(penalty),
        all_pairs=every_pair(pools, needs, matrix),
    )
    totals, cost = lexicographic_milp(pools, needs, nearest_arcs(pools, needs, matrix, len(pools)), penalty)
    assert result.status is Status.OPTIMAL
    assert [round(phase.objective) for phase in result.phases[:3]] == totals
    assert result.phases[3].objective == pytest.approx(cost, rel=1e-6, abs=1e-6)
    assert result.phases[3].bound <= cost + 1e-6
    assert ((result.table("pools")["marginal_value"] > 0) == (result.table("needs")["unmet"].sum() > 0)).all()
