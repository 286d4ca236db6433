"""Observation stage: hand-made instances with optima worked out by hand, and properties against an independent MILP.

Costs are exact: the reported ``cost`` phase is in minutes (opening cost counts as minutes, the design's choice),
so hand-worked objectives are written in minutes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from models.base import SolveOptions, StageResult, Status
from models.observation import solve_observation

# --- helpers --------------------------------------------------------------------------------------------------------


def groups_frame(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """(home_id, street_id, group, persons) rows."""
    return pd.DataFrame(rows, columns=["home_id", "street_id", "group", "persons"])


def sites_frame(rows: list[tuple[str, str, int, bool, str, float]]) -> pd.DataFrame:
    """(site_id, street_id, rooms, barrier_free, status, opening_cost) rows."""
    return pd.DataFrame(rows, columns=["site_id", "street_id", "rooms", "barrier_free", "status", "opening_cost"])


def arcs_frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    """(home_id, site_id, minutes) rows."""
    return pd.DataFrame(rows, columns=["home_id", "site_id", "minutes"]).astype({"minutes": float})


def solve(
    groups: pd.DataFrame,
    sites: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    persons_per_room: int = 1,
    sites_per_street_min: int = 0,
    barrier_free_for_disabled: bool = True,
    time_limit_s: float = 10.0,
) -> StageResult:
    return solve_observation(
        groups,
        sites,
        arcs,
        persons_per_room=persons_per_room,
        sites_per_street_min=sites_per_street_min,
        barrier_free_for_disabled=barrier_free_for_disabled,
        options=SolveOptions(time_limit_s=time_limit_s),
    )


def phase_values(result: StageResult) -> dict[str, float]:
    return {phase.name: phase.objective for phase in result.phases}


def site_row(result: StageResult, site_id: str) -> dict[str, Any]:
    sites = result.table("sites")
    return {str(k): v for k, v in sites[sites["site_id"] == site_id].iloc[0].items()}


def placed(result: StageResult) -> dict[tuple[str, str, str], int]:
    """(home_id, group, site_id) -> persons."""
    table = result.table("assignments")
    keys = zip(table["home_id"].tolist(), table["group"].tolist(), table["site_id"].tolist(), strict=True)
    return dict(zip(keys, table["persons"].astype(int).tolist(), strict=True))


# --- hand-made instances --------------------------------------------------------------------------------------------


def test_shortage_leaves_ten_unmet_with_rooms_used_up() -> None:
    # 30 persons, 12 + 8 = 20 rooms in reach: 10 unmet; cost 12 * 10 + 8 * 20 = 280 minutes.
    result = solve(
        groups_frame([("H1", "T1", "other", 30)]),
        sites_frame([("S1", "T1", 12, True, "open", 0.0), ("S2", "T1", 8, False, "open", 0.0)]),
        arcs_frame([("H1", "S1", 10.0), ("H1", "S2", 20.0)]),
    )
    assert result.status == Status.OPTIMAL
    assert phase_values(result) == {"unmet_disabled": 0.0, "unmet_persons": 10.0, "cost": 280.0}
    unmet = result.table("unmet")
    assert unmet[["home_id", "group", "persons", "reason"]].to_dict("records") == [
        {"home_id": "H1", "group": "other", "persons": 10, "reason": "rooms_used_up"}
    ]
    assert unmet["binding_sites"].tolist() == ["S1,S2"]
    assert placed(result) == {("H1", "other", "S1"): 12, ("H1", "other", "S2"): 8}
    assert site_row(result, "S1")["free_rooms"] == 0
    marginal = result.table("marginal").set_index("site_id")
    assert marginal["value"].to_dict() == {"S1": 1, "S2": 1}
    assert marginal["unmet_group"].to_dict() == {"S1": "other", "S2": "other"}


def test_disabled_without_barrier_free_site_is_unmet_while_others_are_placed() -> None:
    groups = groups_frame([("H1", "T1", "disabled", 3), ("H1", "T1", "other", 5)])
    sites = sites_frame([("S1", "T1", 10, False, "open", 0.0)])
    arcs = arcs_frame([("H1", "S1", 5.0)])
    result = solve(groups, sites, arcs)
    assert phase_values(result) == {"unmet_disabled": 3.0, "unmet_persons": 3.0, "cost": 25.0}
    assert placed(result) == {("H1", "other", "S1"): 5}
    unmet = result.table("unmet")
    assert unmet[["home_id", "group", "persons", "reason"]].to_dict("records") == [
        {"home_id": "H1", "group": "disabled", "persons": 3, "reason": "no_barrier_free_room_in_reach"}
    ]
    assert site_row(result, "S1")["persons_disabled"] == 0
    assert result.table("marginal")["value"].tolist() == [0]  # S1 has free rooms the disabled may not use

    without_rule = solve(groups, sites, arcs, barrier_free_for_disabled=False)
    assert phase_values(without_rule) == {"unmet_disabled": 0.0, "unmet_persons": 0.0, "cost": 40.0}
    assert without_rule.table("unmet").empty


def test_street_whose_only_site_is_a_candidate_opens_it_with_nobody_assigned() -> None:
    groups = groups_frame([("H1", "T1", "other", 4)])
    sites = sites_frame([("S1", "T1", 10, True, "open", 0.0), ("S2", "T2", 5, True, "candidate", 100.0)])
    arcs = arcs_frame([("H1", "S1", 7.5)])
    result = solve(groups, sites, arcs, sites_per_street_min=1)
    assert result.status == Status.OPTIMAL
    assert phase_values(result)["cost"] == 4 * 7.5 + 100.0
    s2 = site_row(result, "S2")
    assert bool(s2["open"]) and bool(s2["opened"]) and s2["persons"] == 0
    streets = result.table("streets")
    t2 = streets.loc[streets["street_id"] == "T2", ["usable_sites", "open_sites", "required"]]
    assert t2.to_numpy().tolist() == [[1, 1, 1]]
    assert streets["met"].all()

    without_rule = solve(groups, sites, arcs, sites_per_street_min=0)
    assert phase_values(without_rule)["cost"] == 30.0
    assert not bool(site_row(without_rule, "S2")["open"])


def test_cost_trade_off_opens_the_cheaper_candidate_in_total() -> None:
    # 6 persons; S1: 50 + 6 * 10 = 110; S2: 40 + 6 * 12 = 112 -> S1 (S2 is cheaper to open, dearer in total).
    groups = groups_frame([("H1", "T1", "other", 6)])
    sites = sites_frame([("S1", "T1", 10, True, "candidate", 50.0), ("S2", "T1", 6, True, "candidate", 40.0)])
    arcs = arcs_frame([("H1", "S1", 10.0), ("H1", "S2", 12.0)])
    result = solve(groups, sites, arcs, sites_per_street_min=1)
    assert result.status == Status.OPTIMAL
    assert phase_values(result) == {"unmet_disabled": 0.0, "unmet_persons": 0.0, "cost": 110.0}
    assert result.objective == result.bound == 110.0
    assert result.gap == 0.0
    assert placed(result) == {("H1", "other", "S1"): 6}
    assert result.table("sites").set_index("site_id")["opened"].to_dict() == {"S1": True, "S2": False}
    assert result.stats["opening_cost"] == 50.0 and result.stats["person_minutes"] == 60.0


def test_time_limit_too_short_keeps_a_feasible_plan_with_a_valid_bound() -> None:
    groups = groups_frame([("H1", "T1", "other", 6)])
    sites = sites_frame([("S1", "T1", 10, True, "candidate", 50.0), ("S2", "T1", 6, True, "candidate", 40.0)])
    arcs = arcs_frame([("H1", "S1", 10.0), ("H1", "S2", 12.0)])
    result = solve(groups, sites, arcs, sites_per_street_min=1, time_limit_s=1e-4)
    assert result.status == Status.FEASIBLE
    assert [phase.status for phase in result.phases] == [Status.OPTIMAL, Status.OPTIMAL, Status.FEASIBLE]
    # The held flow's plan stands (S1: 110 or S2: 112); the bound is the relaxation at its start, below 110.
    assert result.objective in (110.0, 112.0)
    assert result.bound < 110.0 and result.gap > 0
    assert sum(placed(result).values()) == 6


def test_closed_sites_take_nobody() -> None:
    groups = groups_frame([("H1", "T1", "other", 5)])
    sites = sites_frame([("S1", "T1", 10, True, "closed", 0.0), ("S2", "T1", 10, True, "open", 0.0)])
    arcs = arcs_frame([("H1", "S1", 1.0), ("H1", "S2", 20.0)])
    result = solve(groups, sites, arcs, sites_per_street_min=1)
    assert placed(result) == {("H1", "other", "S2"): 5}
    assert phase_values(result)["cost"] == 100.0
    assert not bool(site_row(result, "S1")["open"])
    assert result.table("streets").set_index("street_id").loc["T1", "usable_sites"] == 1

    only_closed = solve(groups, sites.iloc[:1], arcs.iloc[:1])
    assert only_closed.table("unmet")[["persons", "reason"]].to_dict("records") == [
        {"persons": 5, "reason": "no_room_in_reach"}
    ]
    assert only_closed.table("marginal")["value"].tolist() == [0]


def test_open_sites_stay_open_and_unneeded_candidates_stay_closed() -> None:
    groups = groups_frame([("H1", "T1", "other", 2)])
    sites = sites_frame(
        [
            ("S1", "T1", 5, True, "open", 0.0),
            ("S2", "T9", 5, True, "open", 0.0),  # nobody in reach
            ("S3", "T1", 5, True, "candidate", 0.0),  # closer, but S1 has room and S3 costs nothing to keep shut
        ]
    )
    arcs = arcs_frame([("H1", "S1", 10.0), ("H1", "S3", 10.0)])
    result = solve(groups, sites, arcs, sites_per_street_min=1)
    sites_out = result.table("sites").set_index("site_id")
    assert sites_out["open"].to_dict() == {"S1": True, "S2": True, "S3": False}
    assert sites_out["opened"].to_dict() == {"S1": False, "S2": False, "S3": False}
    assert sites_out.loc["S2", "free_rooms"] == 5
    assert phase_values(result)["cost"] == 20.0


def test_two_persons_per_room_double_capacity() -> None:
    groups = groups_frame([("H1", "T1", "other", 7)])
    sites = sites_frame([("S1", "T1", 3, True, "open", 0.0)])
    arcs = arcs_frame([("H1", "S1", 1.0)])
    one = solve(groups, sites, arcs, persons_per_room=1)
    two = solve(groups, sites, arcs, persons_per_room=2)
    assert phase_values(one)["unmet_persons"] == 4.0
    assert phase_values(two)["unmet_persons"] == 1.0
    s1 = site_row(two, "S1")
    assert [s1["persons"], s1["capacity"], s1["free_rooms"]] == [6, 6, 0]
    # One more room of two places the one person left; with three left it places two.
    assert two.table("marginal")["value"].tolist() == [1]
    more = solve(groups_frame([("H1", "T1", "other", 9)]), sites, arcs, persons_per_room=2)
    assert more.table("marginal")["value"].tolist() == [2]


def test_disabled_come_first_at_a_scarce_barrier_free_site() -> None:
    # 3 disabled (50 min away) and 4 others (5 min away) for 5 barrier-free rooms: the disabled all go first.
    groups = groups_frame([("H1", "T1", "disabled", 3), ("H2", "T1", "other", 4)])
    sites = sites_frame([("S1", "T1", 5, True, "open", 0.0)])
    arcs = arcs_frame([("H1", "S1", 50.0), ("H2", "S1", 5.0)])
    result = solve(groups, sites, arcs)
    assert phase_values(result) == {"unmet_disabled": 0.0, "unmet_persons": 2.0, "cost": 3 * 50.0 + 2 * 5.0}
    assert placed(result) == {("H1", "disabled", "S1"): 3, ("H2", "other", "S1"): 2}
    assert site_row(result, "S1")["persons_disabled"] == 3


def test_marginal_room_names_the_group_it_would_place() -> None:
    # S1 (barrier-free, 2 rooms) holds 2 of H1's 3 disabled; S2 (1 room) one of H2's 2 others.
    groups = groups_frame([("H1", "T1", "disabled", 3), ("H2", "T1", "other", 2)])
    sites = sites_frame([("S1", "T1", 2, True, "open", 0.0), ("S2", "T1", 1, False, "open", 0.0)])
    arcs = arcs_frame([("H1", "S1", 1.0), ("H1", "S2", 1.0), ("H2", "S1", 1.0), ("H2", "S2", 1.0)])
    result = solve(groups, sites, arcs)
    assert phase_values(result)["unmet_disabled"] == 1.0 and phase_values(result)["unmet_persons"] == 2.0
    marginal = result.table("marginal").set_index("site_id")
    assert marginal["value"].to_dict() == {"S1": 1, "S2": 1}
    assert marginal["unmet_group"].to_dict() == {"S1": "disabled", "S2": "other"}
    reasons = result.table("unmet").set_index("group")["reason"].to_dict()
    assert reasons == {"disabled": "rooms_used_up", "other": "rooms_used_up"}


def test_marginal_follows_a_displacement_chain() -> None:
    # H1 (1 other) reaches only S1, full with H2, who could move to S2, full with H3 (reaches only S2).
    # One more room at S1 or S2 places H1's person: at S2 by moving H2 from S1 to S2.
    groups = groups_frame([("H1", "T1", "other", 1), ("H2", "T1", "other", 1), ("H3", "T1", "other", 1)])
    sites = sites_frame([("S1", "T1", 1, True, "open", 0.0), ("S2", "T1", 1, True, "open", 0.0)])
    arcs = arcs_frame([("H1", "S1", 1.0), ("H2", "S1", 1.0), ("H2", "S2", 9.0), ("H3", "S2", 1.0)])
    result = solve(groups, sites, arcs)
    assert phase_values(result)["unmet_persons"] == 1.0
    assert result.table("marginal").set_index("site_id")["value"].to_dict() == {"S1": 1, "S2": 1}


def test_group_without_any_arc_is_unmet_with_no_room_in_reach() -> None:
    groups = groups_frame([("H1", "T1", "disabled", 2), ("H2", "T1", "other", 1)])
    sites = sites_frame([("S1", "T1", 5, True, "open", 0.0)])
    result = solve(groups, sites, arcs_frame([("H2", "S1", 3.0)]))
    unmet = result.table("unmet")
    assert unmet[["home_id", "group", "persons", "reason"]].to_dict("records") == [
        {"home_id": "H1", "group": "disabled", "persons": 2, "reason": "no_room_in_reach"}
    ]


def test_empty_inputs_give_empty_tables() -> None:
    result = solve(groups_frame([]), sites_frame([]), arcs_frame([]))
    assert result.status == Status.OPTIMAL
    for name in ("sites", "assignments", "unmet", "streets", "marginal"):
        assert result.table(name).empty
    assert phase_values(result) == {"unmet_disabled": 0.0, "unmet_persons": 0.0, "cost": 0.0}


def test_contract_columns_are_present() -> None:
    result = solve(
        groups_frame([("H1", "T1", "other", 3)]),
        sites_frame([("S1", "T1", 2, True, "open", 0.0)]),
        arcs_frame([("H1", "S1", 2.0)]),
    )
    required = {
        "sites": ["site_id", "street_id", "open", "rooms", "persons", "barrier_free", "opened", "persons_disabled"],
        "assignments": ["home_id", "site_id", "group", "persons", "minutes"],
        "unmet": ["home_id", "group", "persons", "reason"],
        "streets": ["street_id", "usable_sites", "open_sites", "required", "met"],
        "marginal": ["site_id", "value"],
    }
    for name, columns in required.items():
        assert set(columns) <= set(result.table(name).columns), name
    assert result.stage == "observation"
    assert {"variables", "arcs", "route", "phase_arcs", "build_seconds", "solve_seconds"} <= set(result.stats)


# --- an independent MILP of the same model (scipy's HiGHS) ---------------------------------------------------------


def reference_milp(
    groups: pd.DataFrame,
    sites: pd.DataFrame,
    arcs: pd.DataFrame,
    persons_per_room: int,
    sites_per_street_min: int,
    barrier_free_for_disabled: bool,
    levels: int = 3,
) -> list[float]:
    """Optimal (unmet disabled, unmet persons, cost in exact minutes), lexicographically, by MILPs.

    ``levels`` < 3 stops after the first ``levels`` objectives.
    """
    g = groups.reset_index(drop=True)
    s = sites.reset_index(drop=True)
    usable = (s["status"] != "closed").to_numpy()
    capacity = s["rooms"].to_numpy() * persons_per_room
    pairs = arcs.merge(g.assign(g=g.index)[["home_id", "group", "g"]], on="home_id")
    pairs = pairs.merge(s.assign(s=s.index)[["site_id", "s", "barrier_free"]], on="site_id")
    pairs = pairs[usable[pairs["s"].to_numpy()] & (capacity[pairs["s"].to_numpy()] > 0)]
    if barrier_free_for_disabled:
        pairs = pairs[(pairs["group"] != "disabled") | pairs["barrier_free"]]
    pairs = pairs.reset_index(drop=True)
    n_arcs, n_sites, n_groups = len(pairs), len(s), len(g)
    size = n_arcs + n_sites + n_groups  # assign, open, unmet
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lower: list[float] = []
    upper: list[float] = []

    def add(columns: list[int], coefficients: list[float], low: float, high: float) -> None:
        rows.extend([len(lower)] * len(columns))
        cols.extend(columns)
        vals.extend(coefficients)
        lower.append(low)
        upper.append(high)

    for gi in range(n_groups):
        own = np.flatnonzero(pairs["g"].to_numpy() == gi).tolist()
        add([*own, n_arcs + n_sites + gi], [1.0] * (len(own) + 1), g["persons"][gi], g["persons"][gi])
    for si in range(n_sites):
        own = np.flatnonzero(pairs["s"].to_numpy() == si).tolist()
        add([*own, n_arcs + si], [1.0] * len(own) + [-float(capacity[si])], -np.inf, 0.0)
    for _, members in s[usable].groupby("street_id"):
        add([n_arcs + i for i in members.index], [1.0] * len(members), min(sites_per_street_min, len(members)), np.inf)
    low = np.zeros(size)
    high = np.concatenate([np.full(n_arcs, np.inf), usable.astype(float), g["persons"].to_numpy(float)])
    low[n_arcs : n_arcs + n_sites] = ((s["status"] == "open") & usable).astype(float)
    disabled = (g["group"] == "disabled").to_numpy(float)
    minutes = pairs["minutes"].to_numpy(float)
    opening = np.where(s["status"] == "candidate", s["opening_cost"].to_numpy(float), 0.0)
    objectives = [
        np.concatenate([np.zeros(n_arcs + n_sites), disabled]),
        np.concatenate([np.zeros(n_arcs + n_sites), np.ones(n_groups)]),
        np.concatenate([minutes, opening, np.zeros(n_groups)]),
    ]
    values: list[float] = []
    for objective in objectives[:levels]:
        matrix = coo_matrix((vals, (rows, cols)), shape=(len(lower), size)).tocsr()
        found = milp(
            objective,
            constraints=LinearConstraint(matrix, lower, upper),
            bounds=Bounds(low, high),
            integrality=np.ones(size),
            options={"mip_rel_gap": 0.0},
        )
        assert found.status == 0, found.message
        integral = len(values) < 2
        value = float(round(found.fun)) if integral else float(found.fun)
        values.append(value)
        keep = np.flatnonzero(objective)
        add(keep.tolist(), objective[keep].tolist(), -np.inf, value + (0.0 if integral else 1e-6))
    return values


@st.composite
def instances(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int, int, bool]:
    n_homes = draw(st.integers(1, 5))
    n_sites = draw(st.integers(1, 5))
    streets = ["T0", "T1", "T2"]
    group_rows = []
    for h in range(n_homes):
        for group in ("disabled", "other"):
            persons = draw(st.integers(0, 6))
            if persons:
                group_rows.append((f"H{h}", draw(st.sampled_from(streets)), group, persons))
    site_rows = [
        (
            f"S{i}",
            draw(st.sampled_from(streets)),
            draw(st.integers(0, 6)),
            draw(st.booleans()),
            draw(st.sampled_from(["open", "candidate", "candidate", "closed"])),
            draw(st.integers(0, 120)) / 2,
        )
        for i in range(n_sites)
    ]
    arc_rows = [
        (f"H{h}", f"S{i}", draw(st.integers(0, 400)) / 10)
        for h in range(n_homes)
        for i in range(n_sites)
        if draw(st.booleans())
    ]
    return (
        groups_frame(group_rows),
        sites_frame(site_rows),
        arcs_frame(arc_rows),
        draw(st.integers(1, 2)),
        draw(st.integers(0, 2)),
        draw(st.booleans()),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_random_instances_are_feasible_and_match_the_milp(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int, int, bool],
) -> None:
    groups, sites, arcs, per_room, street_min, barrier_free = case
    result = solve(
        groups,
        sites,
        arcs,
        persons_per_room=per_room,
        sites_per_street_min=street_min,
        barrier_free_for_disabled=barrier_free,
    )
    assert result.status == Status.OPTIMAL
    out_sites = result.table("sites").set_index("site_id")
    assignments = result.table("assignments")
    unmet = result.table("unmet")
    site_info = sites.set_index("site_id")

    # Rooms never exceeded, nobody at a site that is not open, open sites stay open, closed sites never open.
    assert (out_sites["persons"] <= site_info["rooms"].reindex(out_sites.index) * per_room).all()
    assert not (out_sites["persons"] > 0)[~out_sites["open"].astype(bool)].any()
    assert out_sites["open"][site_info["status"].reindex(out_sites.index) == "open"].all()
    assert not out_sites["open"][site_info["status"].reindex(out_sites.index) == "closed"].any()

    # Every person placed or reported unmet.
    per_group = groups.set_index(["home_id", "group"])["persons"]
    placed_sum = assignments.groupby(["home_id", "group"])["persons"].sum()
    unmet_sum = unmet.groupby(["home_id", "group"])["persons"].sum()
    total = placed_sum.reindex(per_group.index, fill_value=0) + unmet_sum.reindex(per_group.index, fill_value=0)
    assert (total == per_group).all()

    # Only allowed arcs; the disabled only at barrier-free sites when the rule is on.
    allowed = set(zip(arcs["home_id"], arcs["site_id"], strict=True))
    assert all((h, s) in allowed for h, s in zip(assignments["home_id"], assignments["site_id"], strict=True))
    if barrier_free:
        disabled_sites = assignments.loc[assignments["group"] == "disabled", "site_id"]
        assert site_info.loc[disabled_sites, "barrier_free"].all()

    # The street minimum is always achievable here (it counts usable sites) and is honoured.
    streets = result.table("streets")
    assert streets["met"].all()
    usable = site_info[site_info["status"] != "closed"].groupby("street_id").size()
    open_count = out_sites[out_sites["open"].astype(bool)].groupby("street_id").size()
    for street, count in usable.items():
        assert open_count.get(street, 0) >= min(street_min, count)

    # Lexicographic optimum equals the independent MILP's; the reported cost is the plan's own cost.
    expected = reference_milp(groups, sites, arcs, per_room, street_min, barrier_free)
    values = phase_values(result)
    assert [values["unmet_disabled"], values["unmet_persons"]] == expected[:2]
    assert values["cost"] == pytest.approx(expected[2], rel=1e-9, abs=1e-6)
    minutes = float((assignments["minutes"] * assignments["persons"]).sum())
    opening = float(out_sites.loc[out_sites["opened"].astype(bool), "opening_cost"].sum())
    assert minutes + opening == pytest.approx(values["cost"], rel=1e-12, abs=1e-9)
    assert int(unmet.loc[unmet["group"] == "disabled", "persons"].sum()) == expected[0]
    assert int(unmet["persons"].sum()) == expected[1]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_marginal_room_value_equals_the_milp_with_one_more_room(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int, int, bool],
) -> None:
    groups, sites, arcs, per_room, street_min, barrier_free = case
    result = solve(
        groups,
        sites,
        arcs,
        persons_per_room=per_room,
        sites_per_street_min=street_min,
        barrier_free_for_disabled=barrier_free,
    )
    marginal = result.table("marginal").set_index("site_id")
    before = reference_milp(groups, sites, arcs, per_room, street_min, barrier_free, levels=2)
    for position, site_id in enumerate(sites["site_id"]):
        bigger = sites.assign(rooms=sites["rooms"] + (np.arange(len(sites)) == position))
        after = reference_milp(groups, bigger, arcs, per_room, street_min, barrier_free, levels=2)
        assert marginal.loc[site_id, "value"] == before[1] - after[1], site_id
        expected_group = "disabled" if after[0] < before[0] else ("other" if after[1] < before[1] else "")
        assert marginal.loc[site_id, "unmet_group"] == expected_group, site_id


def test_cost_arcs_per_group_only_seeds_the_column_generation_and_priced_arcs_enter() -> None:
    # H1 sends 10 persons: S1 (open, 10 min, 6 rooms), S3 (open, 30 min, 10 rooms), candidate S2 (20 min, 4 rooms,
    # opening 5). Optimum: open S2, 6 * 10 + 4 * 20 + 5 = 145 (against 6 * 10 + 4 * 30 = 180 without it). With one
    # starting arc per group the LP starts without H1 -> S2; pricing brings it in, and the stage proves 145.
    groups = groups_frame([("H1", "T1", "other", 10)])
    sites = sites_frame(
        [("S1", "T1", 6, True, "open", 0), ("S2", "T1", 4, True, "candidate", 5), ("S3", "T1", 10, True, "open", 0)]
    )
    arcs = arcs_frame([("H1", "S1", 10), ("H1", "S2", 20), ("H1", "S3", 30)])
    result = solve_observation(
        groups,
        sites,
        arcs,
        persons_per_room=1,
        sites_per_street_min=0,
        barrier_free_for_disabled=True,
        options=SolveOptions(time_limit_s=5),
        cost_arcs_per_group=1,
    )
    assert result.stats["route"] == "columns" and result.stats["arcs"] == 3
    assert result.status == Status.OPTIMAL
    assert [p.objective for p in result.phases] == [0.0, 0.0, 145.0]
    assert result.bound == pytest.approx(145.0, rel=1e-9)
    placed = result.table("assignments").set_index("site_id")["persons"].to_dict()
    assert placed == {"S1": 6, "S2": 4}
