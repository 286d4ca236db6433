"""Drugs stage: max-min priority fill rate on the integer lattice, then shortfall, then pack-minutes.

Hand-made instances with the optimum worked out by hand, then property tests against an
independent lexicographic MILP (scipy HiGHS) and against re-solving with one more pack. With every
pair allowed (``all_pairs``), the nearest depots seed the solve and the plan must equal the MILP over
every pair: tiny instances where the nearest depots strand stock, and random ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from fractions import Fraction as Exact

import numpy as np
import pandas as pd
import pytest
from drug_tables import all_arcs, arcs_frame, depots_frame, every_pair, nearest_arcs, targets_frame
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from models.base import Status
from models.drug_instances import DrugInstance, instance_builders
from models.drugs import (
    class_deadline,
    largest_rate_within,
    solve_classes,
    solve_drugs,
)
from models.flow import FlowError

pytestmark = pytest.mark.usefixtures("pricing_from_the_seed")

KINDS = ("care_home", "clinic", "hospital")


def row_values(table: pd.DataFrame, row: str, columns: list[str]) -> list[object]:
    """The values of ``columns`` in the row labelled ``row``."""
    return [table.at[row, column] for column in columns]


def allocated(result_targets: pd.DataFrame) -> dict[str, int]:
    column = result_targets.set_index("institution_id")["allocated"]
    return {str(key): int(value) for key, value in column.items()}


def phase_values(result: object) -> list[float]:
    return [phase.objective for phase in result.phases]  # type: ignore[attr-defined]


def test_equal_fill_rate_when_stock_is_short() -> None:
    # Stock 50 for needs 40 and 60: max-min gives both 0.5 (20 and 30 packs).
    result = solve_drugs(
        depots_frame([("D1", "cough", 50)]),
        targets_frame([("H1", "care_home", "cough", 40), ("H2", "care_home", "cough", 60)]),
        arcs_frame([("D1", "H1", 5.0), ("D1", "H2", 7.0)]),
    )
    assert result.status is Status.OPTIMAL
    targets = result.table("targets")
    assert allocated(targets) == {"H1": 20, "H2": 30}
    assert targets["fill_rate"].tolist() == [0.5, 0.5]
    assert targets["reason"].tolist() == ["stock_short", "stock_short"]
    assert phase_values(result) == [0.5, 50.0, 20 * 5.0 + 30 * 7.0]
    fill = result.table("fill").iloc[0]
    assert (fill["lowest_fill_rate"], fill["priority_institutions"], fill["shortfall"]) == (0.5, 2, 50)
    depot = result.table("depots").iloc[0]
    assert (depot["shipped"], depot["remaining"], depot["marginal_value"]) == (50, 0, 1)


def test_hospital_counts_in_shortfall_not_in_the_fill_rate() -> None:
    # Stock 50; home needs 20, clinic 10, hospital 40 (the hospital is nearest).
    # Homes and clinics first: both filled (fill 1.0), the hospital gets the remaining 20.
    # Shortfall 20; pack-minutes 20*10 + 10*10 + 20*1 = 320.
    depots = depots_frame([("D1", "tcm", 50)])
    targets = targets_frame([("H1", "care_home", "tcm", 20), ("C1", "clinic", "tcm", 10), ("X", "hospital", "tcm", 40)])
    arcs = arcs_frame([("D1", "H1", 10.0), ("D1", "C1", 10.0), ("D1", "X", 1.0)])
    result = solve_drugs(depots, targets, arcs)
    assert allocated(result.table("targets")) == {"H1": 20, "C1": 10, "X": 20}
    assert phase_values(result) == [1.0, 20.0, 320.0]
    assert result.table("targets")["reason"].tolist() == ["", "", "stock_short"]
    # With hospitals in the max-min too: the largest t with ceil(20t) + ceil(10t) + ceil(40t) <= 50
    # is 0.7 (14 + 7 + 28 = 49; the next candidate 29/40 needs 52); the 50th pack goes to the
    # nearest, the hospital: 14, 7, 29.
    all_kinds = solve_drugs(depots, targets, arcs, priority_kinds=KINDS)
    assert allocated(all_kinds.table("targets")) == {"H1": 14, "C1": 7, "X": 29}
    assert phase_values(all_kinds) == [0.7, 20.0, 14 * 10.0 + 7 * 10.0 + 29 * 1.0]


def test_integer_lattice_can_force_a_zero_fill_rate() -> None:
    # One pack, two homes needing one each: no t > 0 is achievable (it would need 2 packs), so
    # the lowest fill rate is 0; the pack still goes to the nearer home (shortfall, then minutes).
    result = solve_drugs(
        depots_frame([("D1", "antiviral", 1)]),
        targets_frame([("H1", "care_home", "antiviral", 1), ("H2", "care_home", "antiviral", 1)]),
        arcs_frame([("D1", "H1", 9.0), ("D1", "H2", 4.0)]),
    )
    assert allocated(result.table("targets")) == {"H1": 0, "H2": 1}
    assert phase_values(result) == [0.0, 1.0, 4.0]


def test_pack_minutes_break_ties_between_depots() -> None:
    # Need 12 from D1 (5 min, 10 packs) and D2 (20 min, 10 packs): 10 from D1, 2 from D2.
    result = solve_drugs(
        depots_frame([("D1", "cough", 10), ("D2", "cough", 10)]),
        targets_frame([("H1", "care_home", "cough", 12)]),
        arcs_frame([("D1", "H1", 5.0), ("D2", "H1", 20.0)]),
    )
    assert result.table("allocations")[["depot_id", "quantity", "pack_minutes"]].values.tolist() == [
        ["D1", 10, 50.0],
        ["D2", 2, 40.0],
    ]
    assert phase_values(result) == [1.0, 0.0, 90.0]
    depots = result.table("depots").set_index("depot_id")
    assert depots["marginal_value"].to_dict() == {"D1": 0, "D2": 0}
    assert depots["remaining"].to_dict() == {"D1": 0, "D2": 8}


def test_unreachable_institution_is_named_and_left_out_of_the_max_min() -> None:
    # Z has no depot in reach: reported, counted as unreachable, and the others still share 0.5.
    result = solve_drugs(
        depots_frame([("D1", "cough", 50)]),
        targets_frame(
            [
                ("H1", "care_home", "cough", 40),
                ("H2", "care_home", "cough", 60),
                ("Z", "clinic", "cough", 10),
                ("F", "clinic", "cough", 0),
            ]
        ),
        arcs_frame([("D1", "H1", 5.0), ("D1", "H2", 7.0), ("D1", "F", 1.0)]),
    )
    targets = result.table("targets").set_index("institution_id")
    assert row_values(targets, "Z", ["allocated", "reason", "in_max_min"]) == [0, "no_depot_in_reach", False]
    assert row_values(targets, "F", ["allocated", "fill_rate", "reason"]) == [0, 1.0, ""]
    fill = result.table("fill").iloc[0]
    assert (fill["lowest_fill_rate"], fill["priority_unreachable"], fill["shortfall"]) == (0.5, 1, 60)


def test_drug_classes_are_independent_and_phases_aggregate() -> None:
    # cough: stock 5 for need 10 (fill 0.5); tcm: stock 9 for need 3 (fill 1.0).
    result = solve_drugs(
        depots_frame([("D1", "cough", 5), ("D1", "tcm", 9)]),
        targets_frame([("H1", "care_home", "cough", 10), ("H1", "care_home", "tcm", 3)]),
        arcs_frame([("D1", "H1", 2.0)]),
    )
    fill = result.table("fill").set_index("drug")
    assert fill["lowest_fill_rate"].to_dict() == {"cough": 0.5, "tcm": 1.0}
    assert phase_values(result) == [0.5, 5.0, (5 + 3) * 2.0]
    depots = result.table("depots").set_index("drug")
    assert depots["shipped"].to_dict() == {"cough": 5, "tcm": 3}
    assert depots["marginal_value"].to_dict() == {"cough": 1, "tcm": 0}


def test_largest_rate_within_is_exact_on_the_lattice() -> None:
    assert largest_rate_within(np.array([40, 60]), 50).value == 0.5
    assert largest_rate_within(np.array([1, 1]), 1).value == 0.0
    assert largest_rate_within(np.array([20, 10, 40]), 50).value == 0.7
    assert largest_rate_within(np.array([3]), 2).value == pytest.approx(2 / 3)


def test_empty_inputs() -> None:
    result = solve_drugs(depots_frame([]), targets_frame([]), arcs_frame([]))
    assert result.status is Status.OPTIMAL
    assert result.table("targets").empty
    assert phase_values(result) == [1.0, 0.0, 0.0]


# --------------------------------------------------------------------------- properties


@st.composite
def instances(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Up to 3 depots and 5 institutions of one class, random stock, needs and arc subset."""
    num_depots = draw(st.integers(1, 3))
    num_institutions = draw(st.integers(1, 5))
    depots = depots_frame([(f"D{d}", "cough", draw(st.integers(0, 12))) for d in range(num_depots)])
    targets = targets_frame(
        [(f"I{i}", draw(st.sampled_from(KINDS)), "cough", draw(st.integers(0, 8))) for i in range(num_institutions)]
    )
    arcs = arcs_frame(
        [
            (f"D{d}", f"I{i}", float(draw(st.integers(0, 20))))
            for d in range(num_depots)
            for i in range(num_institutions)
            if draw(st.booleans())
        ]
    )
    return depots, targets, arcs


def lexicographic_milp(depots: pd.DataFrame, targets: pd.DataFrame, arcs: pd.DataFrame) -> tuple[float, int, float]:
    """Independent formulation: max t (continuous) with allocated_i >= t need_i on the priority
    institutions a stocked depot reaches, then max packs, then min pack-minutes, by HiGHS."""
    need = targets["need"].to_numpy()
    if arcs.empty:
        return 1.0, int(need.sum()), 0.0
    depot_of = arcs["depot_id"].map({d: k for k, d in enumerate(depots["depot_id"])}).to_numpy()
    institution_of = arcs["institution_id"].map({i: k for k, i in enumerate(targets["institution_id"])}).to_numpy()
    num_arcs = len(arcs)
    stock = depots["stock"].to_numpy()
    depot_rows = np.zeros((len(depots), num_arcs + 1))
    depot_rows[depot_of, np.arange(num_arcs)] = 1
    institution_rows = np.zeros((len(targets), num_arcs + 1))
    institution_rows[institution_of, np.arange(num_arcs)] = 1
    stocked_reach = np.zeros(len(targets), dtype=bool)
    stocked_reach[institution_of[stock[depot_of] > 0]] = True
    priority = targets["kind"].isin(("care_home", "clinic")).to_numpy() & (need > 0) & stocked_reach
    floor_rows = institution_rows[priority].copy()
    floor_rows[:, -1] = -need[priority]  # allocated_i - t need_i >= 0
    constraints = [LinearConstraint(depot_rows, 0, stock), LinearConstraint(institution_rows, 0, need)]
    integrality = np.append(np.ones(num_arcs), 0)
    bounds = Bounds(0, np.append(np.full(num_arcs, np.inf), 1))
    lowest = 1.0
    if priority.any():
        objective = np.zeros(num_arcs + 1)
        objective[-1] = -1
        with_floor = [*constraints, LinearConstraint(floor_rows, 0, np.inf)]
        lowest = -milp(objective, constraints=with_floor, integrality=integrality, bounds=bounds).fun
    constraints.append(LinearConstraint(floor_rows, 0, np.inf))
    bounds = Bounds(np.append(np.zeros(num_arcs), lowest - 1e-7), np.append(np.full(num_arcs, np.inf), 1))
    packs = np.append(np.ones(num_arcs), 0)
    shipped = round(-milp(-packs, constraints=constraints, integrality=integrality, bounds=bounds).fun)
    constraints.append(LinearConstraint(packs, shipped, shipped))
    minutes = np.append(arcs["minutes"].to_numpy(), 0)
    pack_minutes = milp(minutes, constraints=constraints, integrality=integrality, bounds=bounds).fun
    return float(lowest), int(need.sum()) - shipped, float(pack_minutes)


@settings(max_examples=50, deadline=None)
@given(instances())
def test_matches_lexicographic_milp(instance: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    depots, targets, arcs = instance
    result = solve_drugs(depots, targets, arcs)
    assert result.status is Status.OPTIMAL
    targets_out = result.table("targets").set_index("institution_id")
    depots_out = result.table("depots").set_index("depot_id")
    allocations = result.table("allocations")
    # Integer packs, never above stock or need; fill floors met; shortfalls named.
    shipped = allocations.groupby("depot_id")["quantity"].sum().reindex(depots_out.index, fill_value=0)
    assert (shipped <= depots_out["stock"]).all() and (shipped == depots_out["shipped"]).all()
    assert (targets_out["allocated"] <= targets_out["need"]).all()
    assert (targets_out["allocated"] >= targets_out["fill_floor"]).all()
    assert (targets_out["shortfall"] == targets_out["need"] - targets_out["allocated"]).all()
    assert ((targets_out["reason"] != "") == (targets_out["shortfall"] > 0)).all()
    assert (targets_out.loc[targets_out["need"] == 0, "fill_rate"] == 1.0).all()
    in_max_min = targets_out[targets_out["in_max_min"]]
    lowest, shortfall, pack_minutes = lexicographic_milp(depots, targets, arcs)
    objectives = phase_values(result)
    assert objectives[0] == pytest.approx(lowest, abs=1e-6)
    if len(in_max_min):
        assert in_max_min["fill_rate"].min() == pytest.approx(objectives[0], abs=1e-12)
    assert objectives[1] == shortfall
    assert objectives[2] == pytest.approx(pack_minutes, abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(instances())
def test_marginal_value_matches_one_more_pack(instance: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    depots, targets, arcs = instance
    result = solve_drugs(depots, targets, arcs)
    shortfall = result.phases[1].objective
    for depot in result.table("depots").itertuples():
        more = depots.copy()
        more.loc[more["depot_id"] == depot.depot_id, "stock"] += 1
        again = solve_drugs(more, targets, arcs)
        assert shortfall - again.phases[1].objective == depot.marginal_value


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=1, max_size=6), st.data())
def test_largest_rate_within_matches_enumeration(needs: list[int], data: st.DataObject) -> None:
    capacity = data.draw(st.integers(0, sum(needs) - 1))
    candidates = {Exact(k, n) for n in needs for k in range(n + 1)}
    best = max(t for t in candidates if sum(-((-t.numerator * n) // t.denominator) for n in needs) <= capacity)
    found = largest_rate_within(np.array(needs, dtype=np.int64), capacity)
    assert Exact(found.numerator, found.denominator) == best


def test_solver_failure_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    import models.drugs

    def broken(*_args: object) -> None:
        raise FlowError("SimpleMaxFlow returned BAD_INPUT.")

    monkeypatch.setattr(models.drugs, "solve_drug", broken)
    targets = targets_frame([("H1", "care_home", "cough", 1)])
    result = solve_drugs(depots_frame([("D1", "cough", 1)]), targets, arcs_frame([("D1", "H1", 1.0)]))
    assert result.status is Status.ERROR
    assert "BAD_INPUT" in result.message
    assert "fill_rate" in result.table("targets").columns


# --------------------------------------------------------------------------- every pair allowed


def test_nearest_depots_strand_stock_that_every_pair_ships() -> None:
    # D1 is the nearest depot of both homes but holds 2 packs; D2 (far) holds 10. Needs 4 + 4.
    depots = depots_frame([("D1", "cough", 2), ("D2", "cough", 10)])
    targets = targets_frame([("H1", "care_home", "cough", 4), ("H2", "care_home", "cough", 4)])
    matrix = np.array([[1.0, 2.0], [40.0, 30.0]])
    listed = solve_drugs(depots, targets, nearest_arcs(depots, targets, matrix, 1))
    assert listed.phases[1].objective == 6  # only D1's 2 packs reach anyone
    priced = solve_drugs(
        depots, targets, nearest_arcs(depots, targets, matrix, 1), all_pairs=every_pair(depots, targets, matrix)
    )
    brute = solve_drugs(depots, targets, all_arcs(depots, targets, matrix))
    assert priced.status is Status.OPTIMAL
    assert phase_values(priced) == pytest.approx(phase_values(brute))
    assert phase_values(priced)[:2] == [1.0, 0.0]
    assert priced.stats["arcs_feasibility"] + priced.stats["arcs_priced_in"] > 0
    # every depot reaches every short institution: a shortfall-free plan has no marginal value anywhere
    assert (priced.table("depots")["marginal_value"] == 0).all()


def test_every_pair_marginal_value_and_reason_when_short() -> None:
    depots = depots_frame([("D1", "cough", 1), ("D2", "cough", 0)])
    targets = targets_frame([("H1", "care_home", "cough", 3), ("HP", "hospital", "cough", 2)])
    matrix = np.array([[5.0, 1.0], [2.0, 2.0]])
    result = solve_drugs(
        depots, targets, nearest_arcs(depots, targets, matrix, 1), all_pairs=every_pair(depots, targets, matrix)
    )
    assert result.status is Status.OPTIMAL
    assert allocated(result.table("targets")) == {"H1": 1, "HP": 0}  # the home's floor comes first
    assert result.table("depots")["marginal_value"].tolist() == [1, 1]
    assert set(result.table("targets")["reason"]) == {"stock_short"}


@st.composite
def complete_instances(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, int]:
    """Up to 4 depots and 6 institutions of one class, minutes with up to 6 decimals, seeds of k nearest."""
    depots, targets, _ = draw(instances())
    num_depots, num_institutions = len(depots), len(targets)
    seed = draw(st.integers(0, 2**32 - 1))
    matrix = np.round(np.random.default_rng(seed).random((num_depots, num_institutions)) * 60, draw(st.integers(0, 6)))
    return depots, targets, matrix, draw(st.integers(1, num_depots))


@settings(max_examples=60, deadline=None)
@given(complete_instances())
def test_every_pair_equals_the_all_arcs_milp(instance: tuple[pd.DataFrame, pd.DataFrame, np.ndarray, int]) -> None:
    depots, targets, matrix, k = instance
    result = solve_drugs(
        depots, targets, nearest_arcs(depots, targets, matrix, k), all_pairs=every_pair(depots, targets, matrix)
    )
    lowest, shortfall, pack_minutes = lexicographic_milp(depots, targets, all_arcs(depots, targets, matrix))
    objectives = phase_values(result)
    assert result.status is Status.OPTIMAL
    assert objectives[0] == pytest.approx(lowest, abs=1e-6)
    assert objectives[1] == shortfall
    assert objectives[2] == pytest.approx(pack_minutes, rel=1e-6, abs=1e-6)
    assert result.phases[2].bound <= pack_minutes + 1e-6


@settings(max_examples=40, deadline=None)
@given(complete_instances(), st.data())
def test_a_class_seeded_by_the_class_before_still_equals_the_all_arcs_milp(
    instance: tuple[pd.DataFrame, pd.DataFrame, np.ndarray, int], data: st.DataObject
) -> None:
    depots, targets, matrix, k = instance
    second_depots = depots.assign(drug="antiviral", stock=[data.draw(st.integers(0, 12)) for _ in range(len(depots))])
    second_targets = targets.assign(drug="antiviral", need=[data.draw(st.integers(0, 8)) for _ in range(len(targets))])
    second_targets["target"] = second_targets["need"] + 5
    both_depots = pd.concat([depots, second_depots], ignore_index=True)
    both_targets = pd.concat([targets, second_targets], ignore_index=True)
    result = solve_drugs(
        both_depots,
        both_targets,
        nearest_arcs(depots, targets, k=k, matrix=matrix),
        all_pairs=every_pair(depots, targets, matrix),
    )
    assert result.status is Status.OPTIMAL
    fill = result.table("fill").set_index("drug")
    for drug, (class_depots, class_targets) in {
        "cough": (depots, targets),
        "antiviral": (second_depots, second_targets),
    }.items():
        _, shortfall, pack_minutes = lexicographic_milp(
            class_depots, class_targets, all_arcs(class_depots, class_targets, matrix)
        )
        if drug in fill.index:
            assert fill.at[drug, "shortfall"] == shortfall
            assert fill.at[drug, "pack_minutes"] == pytest.approx(pack_minutes, rel=1e-6, abs=1e-6)


def test_each_class_left_gets_an_equal_share_of_the_time_left() -> None:
    now = time.perf_counter()
    share = class_deadline(now + 10.0, 5) - now
    assert 1.9 < share <= 2.0 + 1e-3
    assert class_deadline(now - 1.0, 3) <= time.perf_counter()  # past the deadline: no time left


def test_each_class_is_built_as_its_turn_comes_and_kept_without_its_seed() -> None:
    depots = depots_frame([("D1", "cough", 0), ("D2", "cough", 5), ("D1", "antiviral", 1), ("D2", "antiviral", 1)])
    targets = targets_frame([("H1", "care_home", "cough", 3), ("H1", "care_home", "antiviral", 2)])
    matrix = np.array([[1.0], [50.0]])
    seed = nearest_arcs(depots, targets, matrix, 1)
    built: list[str] = []

    def recorded(build: Callable[[], DrugInstance]) -> Callable[[], DrugInstance]:
        def call() -> DrugInstance:
            instance = build()
            built.append(instance.drug)
            return instance

        return call

    builders = [
        recorded(build)
        for build in instance_builders(depots, targets, seed, ("care_home",), every_pair(depots, targets, matrix))
    ]
    calls: list[list[str]] = []
    instances, solutions, _ = solve_classes(builders, time.perf_counter() + 10.0, lambda: calls.append(built[:]))
    assert calls == [["cough"], ["cough", "antiviral"]]  # the antiviral class was built after the cough class solved
    assert [len(instance.arc_depot) for instance in instances] == [0, 0]  # solved: the seed is dropped
    assert [int(solution.shipments.flow.sum()) for solution in solutions] == [3, 2]
    listed_instances, _, _ = solve_classes(
        instance_builders(depots, targets, seed, ("care_home",)), time.perf_counter() + 10.0
    )
    assert [len(instance.arc_depot) for instance in listed_instances] == [1, 1]  # the listed arcs are the model: kept


def test_the_stage_reports_the_same_plan_with_each_class_built_in_turn() -> None:
    depots = depots_frame([("D1", "cough", 4), ("D2", "cough", 5), ("D1", "antiviral", 1), ("D2", "antiviral", 3)])
    targets = targets_frame(
        [("H1", "care_home", "cough", 3), ("H2", "clinic", "cough", 4), ("H1", "care_home", "antiviral", 2)]
    )
    matrix = np.array([[1.0, 7.0], [5.0, 2.0]])
    pairs = every_pair(depots, targets, matrix)
    result = solve_drugs(depots, targets, nearest_arcs(depots, targets, matrix, 1), all_pairs=pairs)
    assert result.status is Status.OPTIMAL
    # cough: H1 takes 3 from D1 (1 min), H2 4 from D2 (2 min); antiviral: H1 1 from D1 (1 min) and 1 from D2 (5 min)
    assert result.phases[-1].objective == pytest.approx(3 * 1.0 + 4 * 2.0 + 1 * 1.0 + 1 * 5.0)
