"""The PuLP/CBC baseline: hand-solved tiny stages, the same figures as the stage models, and as epiplan end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_frames
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.inputs import build_instance
from bench.mip import MipOptions, linear, mip_ambulance, mip_drugs, mip_nursing, mip_observation, mip_plan, variable
from bench.run import equal_figures, method_kpis
from models.base import SolveOptions, Status
from models.drugs import solve_drugs
from models.observation import solve_observation
from planner.dataset.io import dataset_from_frames
from planner.pipeline import make_plan
from planner.rules.rules import DEFAULT_PRESET, load_preset
from planner.rules.scenario import make_scenario

OPTIONS = MipOptions(time_limit_s=20.0, threads=1)
KINDS_AND_NEEDS = st.tuples(st.sampled_from(["care_home", "clinic", "hospital"]), st.integers(0, 7))


def frame(columns: list[str], rows: list[tuple[object, ...]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def test_linear_sums_pairs_as_coefficient_times_variable() -> None:
    # The PuLP pitfall (NOTES): lpSum of (var, coef) pairs would add the coefficients instead.
    import pulp

    x, y = variable("x"), variable("y")
    x.varValue, y.varValue = 2.0, 5.0
    assert pulp.value(linear([x, y], [3.0, 4.0])) == 26.0
    assert pulp.value(linear([x, y])) == 7.0


def observation_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """SO open (3 rooms, not barrier-free), SC candidate (5 rooms, barrier-free, cost 10); 9 persons for 8 rooms."""
    sites = frame(
        ["site_id", "street_id", "rooms", "barrier_free", "status", "opening_cost"],
        [("SO", "T1", 3, False, "open", 0.0), ("SC", "T2", 5, True, "candidate", 10.0)],
    )
    groups = frame(
        ["home_id", "street_id", "group", "persons"],
        [("H1", "T1", "disabled", 2), ("H1", "T1", "other", 2), ("H2", "T1", "other", 5)],
    )
    arcs = frame(
        ["home_id", "site_id", "minutes"],
        [("H1", "SO", 10.0), ("H1", "SC", 5.0), ("H2", "SO", 2.0), ("H2", "SC", 20.0)],
    )
    return groups, sites, arcs


def test_mip_observation_lexicographic_optimum_by_hand() -> None:
    # Disabled first: both to the barrier-free SC (2 x 5 min). 7 others for 3 + 3 rooms: 1 unmet.
    # Cheapest: H2 3 to SO (3 x 2), H1 2 to SC (2 x 5), H2's 4th to SC (20); SC opens (10).
    # Cost 10 + 6 + 10 + 20 + 10 = 56.
    groups, sites, arcs = observation_inputs()
    result = mip_observation(
        groups,
        sites,
        arcs,
        persons_per_room=1,
        sites_per_street_min=1,
        barrier_free_for_disabled=True,
        options=OPTIONS,
    )
    assert result.status == Status.OPTIMAL
    assert [(p.name, p.objective) for p in result.phases] == [
        ("unmet_disabled", 0.0),
        ("unmet_persons", 1.0),
        ("cost", 56.0),
    ]
    unmet = result.table("unmet")
    assert unmet[["home_id", "group", "persons"]].values.tolist() == [["H2", "other", 1]]
    assert result.table("sites").set_index("site_id")["opened"].to_dict() == {"SO": False, "SC": True}
    model = solve_observation(
        groups,
        sites,
        arcs,
        persons_per_room=1,
        sites_per_street_min=1,
        barrier_free_for_disabled=True,
        options=SolveOptions(time_limit_s=10.0),
    )
    assert model.objective == pytest.approx(result.objective)


def test_mip_ambulance_moves_an_ambulance_to_cover_both_homes() -> None:
    # Duty share 0.5: 720 min per ambulance-day. H1 and H2 reach only A (load 5 x 100 = 500 each); A has 1
    # ambulance, B 1: moving B's to A covers both (1000 <= 1440) with one move.
    homes = frame(
        ["home_id", "district_id", "hospital_id", "daily_transfers"], [("H1", "D1", "HP", 5.0), ("H2", "D1", "HP", 5.0)]
    )
    stations = frame(
        ["station_id", "district_id", "ambulances", "max_ambulances"], [("A", "D1", 1, np.nan), ("B", "D1", 1, np.nan)]
    )
    arcs = frame(
        ["station_id", "home_id", "trip_minutes", "round_trip_minutes"],
        [("A", "H1", 30.0, 100.0), ("A", "H2", 40.0, 100.0), ("B", "H1", 130.0, 200.0)],
    )
    fleet = frame(["district_id", "ambulances_after"], [("D1", 2)])
    result = mip_ambulance(homes, stations, arcs, fleet, transfer_minutes_max=120.0, duty_share=0.5, options=OPTIONS)
    assert result.status == Status.OPTIMAL
    assert result.table("handshakes")["covered"].tolist() == [True, True]
    assert result.table("stations").set_index("station_id")["after"].to_dict() == {"A": 2, "B": 0}
    assert [p.objective for p in result.phases[:2]] == [10_000.0, 1.0]


def test_mip_nursing_serves_tiers_in_order() -> None:
    # 3 nurses; two 1:1 needs far away (30, 40 min), backfill C1 (5 min) and C2 (9 min): both 1:1 first, the
    # last nurse to the nearer backfill. Cost 30 + 40 + 5 = 75.
    pools = frame(["pool_id", "district_id", "nurses"], [("P1", "A", 3)])
    needs = frame(
        ["need_id", "destination_id", "need", "district_id", "required"],
        [
            ("transfer_1to1:H1", "H1", "transfer_1to1", "A", 1),
            ("transfer_1to1:H2", "H2", "transfer_1to1", "A", 1),
            ("backfill:C1", "C1", "backfill", "A", 1),
            ("backfill:C2", "C2", "backfill", "A", 1),
        ],
    )
    arcs = frame(
        ["pool_id", "need_id", "minutes"],
        [
            ("P1", "transfer_1to1:H1", 30.0),
            ("P1", "transfer_1to1:H2", 40.0),
            ("P1", "backfill:C1", 5.0),
            ("P1", "backfill:C2", 9.0),
        ],
    )
    result = mip_nursing(pools, needs, arcs, crossing_penalty_minutes=60.0, options=OPTIONS)
    assert result.status == Status.OPTIMAL
    assert result.table("needs").set_index("need_id")["assigned"].to_dict() == {
        "transfer_1to1:H1": 1,
        "transfer_1to1:H2": 1,
        "backfill:C1": 1,
        "backfill:C2": 0,
    }
    assert result.phases[-1].objective == pytest.approx(75.0)


def test_mip_drugs_max_min_fill_then_shortfall_then_minutes() -> None:
    # 5 packs; care home I1 and clinic I2 need 4 each, hospital I3 2. Max-min over I1, I2: 2 each (fill 0.5);
    # the fifth pack lowers the shortfall wherever it goes: to I3, the nearest (1 min).
    depots = frame(["depot_id", "district_id", "drug", "stock"], [("W1", "D1", "cough", 5)])
    targets = frame(
        ["institution_id", "kind", "district_id", "drug", "target", "on_hand", "need"],
        [
            ("I1", "care_home", "D1", "cough", 4, 0, 4),
            ("I2", "clinic", "D1", "cough", 4, 0, 4),
            ("I3", "hospital", "D1", "cough", 2, 0, 2),
        ],
    )
    arcs = frame(["depot_id", "institution_id", "minutes"], [("W1", "I1", 5.0), ("W1", "I2", 6.0), ("W1", "I3", 1.0)])
    result = mip_drugs(depots, targets, arcs, options=OPTIONS)
    assert result.status == Status.OPTIMAL
    assert result.table("targets").set_index("institution_id")["allocated"].to_dict() == {"I1": 2, "I2": 2, "I3": 1}
    assert result.table("fill").set_index("drug").at["cough", "lowest_fill_rate"] == 0.5


@settings(max_examples=12, deadline=None)
@given(
    stock=st.lists(st.integers(0, 9), min_size=1, max_size=3),
    needs=st.lists(
        st.tuples(st.sampled_from(["care_home", "clinic", "hospital"]), st.integers(0, 7)), min_size=1, max_size=4
    ),
    minutes=st.lists(st.integers(1, 30), min_size=12, max_size=12),
)
def test_mip_drugs_matches_the_drugs_model(stock: list[int], needs: list[tuple[str, int]], minutes: list[int]) -> None:
    depots = frame(
        ["depot_id", "district_id", "drug", "stock"], [(f"W{d}", "D1", "tcm", s) for d, s in enumerate(stock)]
    )
    targets = frame(
        ["institution_id", "kind", "district_id", "drug", "target", "on_hand", "need"],
        [(f"I{i}", kind, "D1", "tcm", need, 0, need) for i, (kind, need) in enumerate(needs)],
    )
    arcs = frame(
        ["depot_id", "institution_id", "minutes"],
        [
            (f"W{d}", f"I{i}", float(minutes[(d * 4 + i) % 12]))
            for d in range(len(stock))
            for i in range(len(needs))
            if (d + i) % 3 != 2
        ],
    )
    ours = mip_drugs(depots, targets, arcs, options=OPTIONS)
    model = solve_drugs(depots, targets, arcs)
    assert ours.status == Status.OPTIMAL
    ours_fill = ours.table("fill").set_index("drug")
    model_fill = model.table("fill").set_index("drug")
    assert ours_fill.at["tcm", "lowest_fill_rate"] == pytest.approx(model_fill.at["tcm", "lowest_fill_rate"])
    assert ours_fill.at["tcm", "shortfall"] == model_fill.at["tcm", "shortfall"]
    assert ours.phases[-1].objective == pytest.approx(model.phases[-1].objective, abs=0.01)


def test_mip_plan_reproduces_epiplans_figures_on_the_tiny_dataset() -> None:
    # The same unmet / covered / 1:1 / fill / shortfall figures as make_plan on the same inputs.
    dataset = dataset_from_frames(tiny_frames(), name="tiny")
    rules = load_preset(DEFAULT_PRESET)
    scenario = make_scenario(level="severe")
    plan = make_plan(dataset, rules, scenario)
    mip = mip_plan(build_instance(dataset, rules, scenario), OPTIONS)
    assert all(result.status == Status.OPTIMAL for result in mip.stages.values())
    ours, theirs = method_kpis(plan.stages()), method_kpis(mip.stages)
    assert ours is not None and theirs is not None
    assert equal_figures(ours, theirs)["all_equal"]
    assert theirs["lowest_fill_rate"] == ours["lowest_fill_rate"] < 1.0
