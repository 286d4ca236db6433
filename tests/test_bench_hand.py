"""The by-hand baseline: tiny hand-made instances whose by-hand result is worked out in the comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.hand import (
    hand_ambulance,
    hand_drugs,
    hand_fleet,
    hand_nursing,
    hand_observation,
    packs_beyond,
    pro_rata,
)
from models.base import Status


def frame(columns: list[str], rows: list[tuple[object, ...]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------- observation


def observation_instance() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Sites: SO open (3 rooms, not barrier-free), SC candidate (5 rooms, barrier-free), SX closed, and two
    candidates nobody reaches in street T4 (SD cost 7, SE cost 3). Homes H1..H4 (H4 reaches nothing)."""
    sites = frame(
        ["site_id", "street_id", "rooms", "barrier_free", "status", "opening_cost"],
        [
            ("SO", "T1", 3, False, "open", 0.0),
            ("SC", "T2", 5, True, "candidate", 10.0),
            ("SX", "T3", 9, True, "closed", 0.0),
            ("SD", "T4", 2, False, "candidate", 7.0),
            ("SE", "T4", 2, False, "candidate", 3.0),
        ],
    )
    groups = frame(
        ["home_id", "street_id", "group", "persons"],
        [
            ("H2", "T1", "other", 5),
            ("H1", "T1", "other", 2),
            ("H1", "T1", "disabled", 2),
            ("H3", "T1", "disabled", 1),
            ("H4", "T1", "other", 4),
        ],
    )
    arcs = frame(
        ["home_id", "site_id", "minutes"],
        [
            ("H1", "SO", 10.0),
            ("H1", "SC", 5.0),
            ("H1", "SX", 1.0),
            ("H2", "SO", 2.0),
            ("H2", "SC", 20.0),
            ("H3", "SO", 4.0),
        ],
    )
    return groups, sites, arcs


def test_hand_observation_open_sites_first_nearest_first_in_home_order() -> None:
    # H1 first (id order), its disabled group first: barrier-free only -> SC (2 persons, 5 min; SC 3 left).
    # H1 other: open sites first -> SO although SC is nearer (2 persons, 10 min; SO 1 left).
    # H2 other (5): SO 1 (2 min), then SC 3 (20 min); 1 unmet, rooms used up.
    # H3 disabled: reaches only SO, not barrier-free -> 1 unmet, no barrier-free room in reach.
    # H4 other: no arc -> 4 unmet, no room in reach. The closed SX is never used although nearest to H1.
    groups, sites, arcs = observation_instance()
    result = hand_observation(
        groups, sites, arcs, persons_per_room=1, sites_per_street_min=1, barrier_free_for_disabled=True
    )
    assert result.status == Status.FEASIBLE
    assignments = result.table("assignments")
    assert list(assignments.itertuples(index=False, name=None)) == [
        ("H1", "SC", "disabled", 2, 5.0),
        ("H1", "SO", "other", 2, 10.0),
        ("H2", "SO", "other", 1, 2.0),
        ("H2", "SC", "other", 3, 20.0),
    ]
    unmet = result.table("unmet")
    assert list(unmet.itertuples(index=False, name=None)) == [
        ("H2", "other", 1, "rooms_used_up"),
        ("H3", "disabled", 1, "no_barrier_free_room_in_reach"),
        ("H4", "other", 4, "no_room_in_reach"),
    ]


def test_hand_observation_opens_used_candidates_and_the_cheapest_for_the_street_rule() -> None:
    # SC received persons: opened. T4 has two usable candidates and no open site: the rule asks 1, the
    # coordinator opens the cheaper SE (3) and not SD (7). Free rooms: SO 3 - 3 = 0, SC 5 - 5 = 0, SE 2.
    groups, sites, arcs = observation_instance()
    result = hand_observation(
        groups, sites, arcs, persons_per_room=1, sites_per_street_min=1, barrier_free_for_disabled=True
    )
    table = result.table("sites").set_index("site_id")
    assert table["open"].to_dict() == {"SO": True, "SC": True, "SX": False, "SD": False, "SE": True}
    assert table["opened"].to_dict() == {"SO": False, "SC": True, "SX": False, "SD": False, "SE": True}
    assert table["persons"].to_dict() == {"SO": 3, "SC": 5, "SX": 0, "SD": 0, "SE": 0}
    assert table["persons_disabled"].to_dict() == {"SO": 0, "SC": 2, "SX": 0, "SD": 0, "SE": 0}
    assert table["free_rooms"].to_dict() == {"SO": 0, "SC": 0, "SX": 0, "SD": 0, "SE": 2}


def test_hand_observation_without_the_barrier_free_rule_sends_disabled_anywhere() -> None:
    # H1 disabled now takes SO first (open first): 2 at SO; H1 other: SO 1, then SC 1; H2: SC 4, 1 unmet;
    # H3 disabled: SO full -> 1 unmet (rooms used up).
    groups, sites, arcs = observation_instance()
    result = hand_observation(
        groups, sites, arcs, persons_per_room=1, sites_per_street_min=1, barrier_free_for_disabled=False
    )
    assert list(result.table("assignments").itertuples(index=False, name=None)) == [
        ("H1", "SO", "disabled", 2, 10.0),
        ("H1", "SO", "other", 1, 10.0),
        ("H1", "SC", "other", 1, 5.0),
        ("H2", "SC", "other", 4, 20.0),
    ]
    unmet = result.table("unmet")
    assert unmet[["home_id", "persons", "reason"]].values.tolist() == [
        ["H2", 1, "rooms_used_up"],
        ["H3", 1, "rooms_used_up"],
        ["H4", 4, "no_room_in_reach"],
    ]


# --------------------------------------------------------------------------- ambulance


def ambulance_instance() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """District D1: stations A (1 ambulance) and B (0, at most 2); D2: station C (1). Duty share 0.5: 720 min/day
    per ambulance."""
    stations = frame(
        ["station_id", "district_id", "ambulances", "max_ambulances"],
        [("A", "D1", 1, np.nan), ("B", "D1", 0, 2.0), ("C", "D2", 1, np.nan)],
    )
    homes = frame(
        ["home_id", "district_id", "hospital_id", "daily_transfers"],
        [
            ("H2", "D1", "HP", 6.0),
            ("H1", "D1", "HP", 2.0),
            ("H3", "D1", "HP", 1.0),
            ("H4", "D2", "HP", 1.0),
            ("H5", "D2", "HP", 0.5),
        ],
    )
    arcs = frame(
        ["station_id", "home_id", "trip_minutes", "round_trip_minutes"],
        [
            ("A", "H1", 30.0, 100.0),
            ("B", "H1", 35.0, 110.0),
            ("A", "H2", 40.0, 100.0),
            ("B", "H2", 50.0, 120.0),
            ("A", "H3", 130.0, 200.0),
            ("C", "H4", 20.0, 60.0),
            ("A", "H5", 5.0, 10.0),
        ],
    )
    fleet = frame(["district_id", "ambulances_after"], [("D1", 1), ("D2", 1)])
    return homes, stations, arcs, fleet


def test_hand_ambulance_nearest_station_in_id_order_without_moves() -> None:
    # H1 (id order first) -> A (nearest, 30 min): load 2 * 100 = 200 <= 720, covered; A has 520 left.
    # H2 -> A (nearest): load 6 * 100 = 600 > 520: not covered (the coordinator does not try B, which has no
    # ambulance anyway). H3 -> A at 130 min > 120: not covered, no station in reach. H4 -> C: 60 <= 720, covered.
    # H5's only arc goes to a station of another district: no handshake.
    homes, stations, arcs, fleet = ambulance_instance()
    result = hand_ambulance(homes, stations, arcs, fleet, transfer_minutes_max=120.0, duty_share=0.5)
    shakes = result.table("handshakes").set_index("home_id")
    assert shakes["station_id"].fillna("").to_dict() == {"H2": "A", "H1": "A", "H3": "A", "H4": "C", "H5": ""}
    assert shakes["covered"].to_dict() == {"H2": False, "H1": True, "H3": False, "H4": True, "H5": False}
    assert shakes["reason"].to_dict() == {
        "H2": "station_workload",
        "H1": "",
        "H3": "no_station_in_reach",
        "H4": "",
        "H5": "no_station_in_reach",
    }
    stations_out = result.table("stations").set_index("station_id")
    assert stations_out["after"].to_dict() == {"A": 1, "B": 0, "C": 1}
    assert stations_out["workload_minutes"].to_dict() == {"A": 200.0, "B": 0.0, "C": 60.0}
    assert stations_out["capacity_minutes"].to_dict() == {"A": 720.0, "B": 0.0, "C": 720.0}


def test_hand_fleet_fills_and_thins_in_station_order_within_caps() -> None:
    # D1 grows from 1 to 4: A has no cap and is first, it takes all 3. D2 shrinks from 1 to 0.
    _homes, stations, _arcs, _fleet = ambulance_instance()
    grown = frame(["district_id", "ambulances_after"], [("D1", 4), ("D2", 0)])
    assert hand_fleet(stations, grown).tolist() == [4, 0, 0]
    # With A capped at 2: A gets 1 more, B the other 2 (its cap).
    capped = stations.assign(max_ambulances=[2.0, 2.0, np.nan])
    assert hand_fleet(capped, grown).tolist() == [2, 2, 0]


# --------------------------------------------------------------------------- nursing


def test_pro_rata_floors_then_largest_remainders() -> None:
    # 4 nurses for needs 3, 2, 1 (total 6): floors 2, 1, 0 (remainders 0, 2/6, 4/6) -> the last one to need 3.
    assert pro_rata(np.array([3, 2, 1]), 4).tolist() == [2, 1, 1]
    assert pro_rata(np.array([3, 2, 1]), 7).tolist() == [3, 2, 1]
    assert pro_rata(np.array([3, 2, 1]), 0).tolist() == [0, 0, 0]
    # Equal remainders: the first rows win.
    assert pro_rata(np.array([1, 1, 1]), 2).tolist() == [1, 1, 0]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=8), st.integers(0, 200))
def test_pro_rata_shares_everything_available_and_never_more_than_required(required: list[int], nurses: int) -> None:
    share = pro_rata(np.array(required), nurses)
    assert (share >= 0).all() and (share <= np.array(required)).all()
    assert int(share.sum()) == min(nurses, sum(required))


def test_hand_nursing_pro_rata_within_the_district_nearest_pool_first() -> None:
    # D1 pools P1 (3 nurses) and P2 (1): 4 nurses for needs N1 3, N2 2, N3 1 -> shares 2, 1, 1.
    # N1 takes 2 from its nearest P1 (5 min); N2 its 1 from P2 (3 min); N3's nearest P2 is used up: P1 (4 min).
    # N4 in D2 has no pool in its district: unmet although P1 reaches it (no crossing by hand).
    pools = frame(["pool_id", "district_id", "nurses"], [("P1", "D1", 3), ("P2", "D1", 1)])
    needs = frame(
        ["need_id", "destination_id", "need", "district_id", "required"],
        [
            ("backfill:N1", "N1", "backfill", "D1", 3),
            ("backfill:N2", "N2", "backfill", "D1", 2),
            ("transfer_1to1:N3", "N3", "transfer_1to1", "D1", 1),
            ("backfill:N4", "N4", "backfill", "D2", 2),
        ],
    )
    arcs = frame(
        ["pool_id", "need_id", "minutes"],
        [
            ("P1", "backfill:N1", 5.0),
            ("P2", "backfill:N1", 10.0),
            ("P1", "backfill:N2", 8.0),
            ("P2", "backfill:N2", 3.0),
            ("P1", "transfer_1to1:N3", 4.0),
            ("P2", "transfer_1to1:N3", 2.0),
            ("P1", "backfill:N4", 1.0),
        ],
    )
    result = hand_nursing(pools, needs, arcs)
    out = result.table("needs").set_index("need_id")
    assert out["assigned"].to_dict() == {"backfill:N1": 2, "backfill:N2": 1, "backfill:N4": 0, "transfer_1to1:N3": 1}
    assert out["reason"].to_dict() == {
        "backfill:N1": "pools_used_up",
        "backfill:N2": "pools_used_up",
        "backfill:N4": "no_pool_in_reach",
        "transfer_1to1:N3": "",
    }
    assert list(result.table("assignments").itertuples(index=False, name=None)) == [
        ("P1", "backfill:N1", 2, 5.0),
        ("P2", "backfill:N2", 1, 3.0),
        ("P1", "transfer_1to1:N3", 1, 4.0),
    ]
    assert result.table("pools").set_index("pool_id")["used"].to_dict() == {"P1": 3, "P2": 1}


# --------------------------------------------------------------------------- drugs


def drug_instance() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One drug: depots W1 (4 packs), W2 (2); need I1 care home 5, I2 clinic 3, I3 hospital 2 (total 10)."""
    depots = frame(["depot_id", "district_id", "drug", "stock"], [("W1", "D1", "cough", 4), ("W2", "D1", "cough", 2)])
    targets = frame(
        ["institution_id", "kind", "district_id", "drug", "target", "on_hand", "need"],
        [
            ("I2", "clinic", "D1", "cough", 3, 0, 3),
            ("I1", "care_home", "D1", "cough", 6, 1, 5),
            ("I3", "hospital", "D1", "cough", 2, 0, 2),
        ],
    )
    arcs = frame(
        ["depot_id", "institution_id", "minutes"],
        [("W1", "I1", 1.0), ("W2", "I1", 2.0), ("W1", "I2", 5.0), ("W2", "I2", 1.0), ("W2", "I3", 3.0)],
    )
    return depots, targets, arcs


def test_hand_drugs_pro_rata_of_the_whole_stock_rounded_down() -> None:
    # 6 packs for 10: I1 floor(5 * 6 / 10) = 3, I2 floor(1.8) = 1, I3 floor(1.2) = 1; one pack stays unallocated.
    # I1 takes 3 from W1 (1 min); I2 1 from W2 (1 min); I3 1 from W2 (3 min).
    # Lowest fill rate of care homes and clinics: I2 1/3.
    depots, targets, arcs = drug_instance()
    result = hand_drugs(depots, targets, arcs)
    out = result.table("targets").set_index("institution_id")
    assert out["allocated"].to_dict() == {"I1": 3, "I2": 1, "I3": 1}
    assert out["shortfall"].to_dict() == {"I1": 2, "I2": 2, "I3": 1}
    assert list(
        result.table("allocations")[["depot_id", "institution_id", "quantity", "minutes"]].itertuples(
            index=False, name=None
        )
    ) == [("W1", "I1", 3, 1.0), ("W2", "I2", 1, 1.0), ("W2", "I3", 1, 3.0)]
    fill = result.table("fill").set_index("drug")
    assert fill.at["cough", "lowest_fill_rate"] == 1 / 3
    assert fill.at["cough", "shortfall"] == 5
    assert result.table("depots").set_index("depot_id")["remaining"].to_dict() == {"W1": 1, "W2": 0}


def test_hand_drugs_ships_from_farther_depots_when_the_nearest_run_out() -> None:
    # Stock 10 (W1 6, W2 4) meets the need 10, so every institution gets its whole need. I1 takes 5 from W1
    # (1 left there); I2 3 from W2 (1 left); I3 reaches only W2: 1 from it, then the pack left at W1, at the
    # minutes the function gives (9 min).
    depots, targets, arcs = drug_instance()
    depots = depots.assign(stock=[6, 4])
    result = hand_drugs(depots, targets, arcs, depot_minutes=lambda _i, ids: np.full(len(ids), 9.0))
    assert result.table("targets").set_index("institution_id")["allocated"].to_dict() == {"I1": 5, "I2": 3, "I3": 2}
    assert list(
        result.table("allocations")[["depot_id", "institution_id", "quantity", "minutes"]].itertuples(
            index=False, name=None
        )
    ) == [("W1", "I1", 5, 1.0), ("W2", "I2", 3, 1.0), ("W2", "I3", 1, 3.0), ("W1", "I3", 1, 9.0)]
    # Without the minutes function the last pack stays short.
    short = hand_drugs(depots, targets, arcs)
    assert short.table("targets").set_index("institution_id").at["I3", "allocated"] == 1


def test_packs_beyond_counts_shipments_off_the_pipeline_arcs() -> None:
    _depots, _targets, arcs = drug_instance()
    allocations = frame(["depot_id", "institution_id", "quantity"], [("W1", "I1", 5), ("W2", "I3", 1), ("W1", "I3", 2)])
    assert packs_beyond(allocations, arcs) == 2  # W1 -> I3 is not a pipeline arc
