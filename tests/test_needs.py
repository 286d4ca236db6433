"""Scenario -> needs: the hand-computed care home of the issue, drug and reserve targets, and invariants."""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.dataset.schema import TABLES, ColumnKind, Dataset
from planner.needs.needs import Needs, ceil_target, compute_needs, round_persons, site_transfer_needs
from planner.needs.rounding import scaled_down
from planner.rules.rules import Rules, load_rules
from planner.rules.scenario import Scenario, make_scenario

KIND_DTYPES: dict[ColumnKind, Any] = {
    "id": object,
    "text": object,
    "status": object,
    "count": np.int64,
    "level": np.int64,
    "number": np.float64,
    "lat": np.float64,
    "lon": np.float64,
    "bool": bool,
}


def make_dataset(**rows: list[dict[Any, Any]]) -> Dataset:
    """A typed Dataset from row dicts per table; absent columns take their schema default."""
    frames: dict[str, pd.DataFrame] = {}
    for name, spec in TABLES.items():
        given_rows = pd.DataFrame(rows.get(name, []))
        columns: dict[str, pd.Series] = {}
        for column in spec.all_columns():
            if column.name in given_rows.columns:
                values = given_rows[column.name]
                if column.default is not None:
                    values = values.astype(object).where(values.notna(), cast(Any, column.default))
            else:
                values = pd.Series([column.default] * len(given_rows), dtype=object)
            if column.name == "max_ambulances":
                columns[column.name] = pd.Series(values, dtype="Int64")
            elif column.kind in ("id", "text", "status"):
                columns[column.name] = values.fillna("").astype(str).astype(object)
            else:
                columns[column.name] = values.astype(KIND_DTYPES[column.kind])
        frames[name] = pd.DataFrame(columns, index=pd.RangeIndex(len(given_rows)))
    return Dataset(**cast(dict[str, Any], frames), name="test")


def home(home_id: str, street_id: str, lat: float, **fields: Any) -> dict[str, Any]:
    row = {"home_id": home_id, "street_id": street_id, "name": home_id, "lat": lat, "lon": 116.4, "partition": False}
    return {**row, **fields}


def hospital(hospital_id: str, street_id: str, lat: float, **fields: Any) -> dict[str, Any]:
    row = {"hospital_id": hospital_id, "street_id": street_id, "name": hospital_id, "lat": lat, "lon": 116.4}
    return {**row, "level": 3, "designated": True, "beds": 100, "icu_beds": 10, **fields}


def clinic(clinic_id: str, street_id: str, lat: float) -> dict[str, Any]:
    return {"clinic_id": clinic_id, "street_id": street_id, "name": clinic_id, "lat": lat, "lon": 116.4} | {
        "service_population": 10_000
    }


def city(travel_minutes: list[dict[str, Any]] | None = None) -> Dataset:
    """Two districts (D2 dense), homes A (the issue's), B (partition, designated H2) and C (no residents)."""
    return make_dataset(
        districts=[
            {"district_id": "D1", "name": "one", "population": 1000, "speed_kmh": 30.0},
            {"district_id": "D2", "name": "two", "population": 1000, "dense": True, "speed_kmh": 60.0},
        ],
        streets=[
            {"street_id": "S1", "district_id": "D1", "name": "s1", "population": 1, "lat": 39.9, "lon": 116.4}
            | {"sampling_points": 3},
            {"street_id": "S2", "district_id": "D2", "name": "s2", "population": 1, "lat": 40.1, "lon": 116.4}
            | {"sampling_points": 2},
        ],
        care_homes=[
            home("A", "S1", 39.90, residents=100, disabled=30, staff=40, new_admissions=2)
            | {"on_hand_antipyretic": 25, "on_hand_cough": 5},
            home("B", "S1", 39.95, residents=50, disabled=10, staff=20, partition=True, designated_hospital_id="H2"),
            home("C", "S2", 40.10, residents=0, disabled=0, staff=5),
        ],
        clinics=[
            {
                "clinic_id": "K1",
                "street_id": "S1",
                "name": "k1",
                "lat": 39.9,
                "lon": 116.4,
                "service_population": 10_000,
            },
            {
                "clinic_id": "K2",
                "street_id": "S2",
                "name": "k2",
                "lat": 40.1,
                "lon": 116.4,
                "service_population": 10_000,
            }
            | {"on_hand_tcm": 2500},
        ],
        hospitals=[
            hospital("H1", "S1", 39.91, beds=500, icu_beds=30, convertible_icu_beds=10)
            | {"daily_use_antiviral": 10.0, "on_hand_antiviral": 1000, "daily_use_antipyretic": 2.5},
            hospital("H2", "S2", 40.10, beds=200, icu_beds=20),
            hospital("H3", "S1", 39.90, designated=False),  # at home A itself, but not designated
        ],
        pools=[
            {"pool_id": "P1", "district_id": "D1", "name": "p1", "lat": 39.9, "lon": 116.4, "nurses": 12},
            {"pool_id": "P2", "district_id": "D1", "name": "p2", "lat": 39.9, "lon": 116.4, "nurses": 3},
        ],
        travel_minutes=travel_minutes or [],
    )


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules("beijing-2023")


@pytest.fixture(scope="module")
def prevalent(rules: Rules) -> Needs:
    return compute_needs(city(), rules, make_scenario(level="prevalent"))


def row(frame: pd.DataFrame, **keys: str) -> pd.Series:
    mask = np.logical_and.reduce([frame[k] == v for k, v in keys.items()])
    assert mask.sum() == 1, keys
    return frame[mask].iloc[0]


def minutes_north(degrees: float, speed_kmh: float) -> float:
    return 6371.0 * math.radians(degrees) * 1.3 / speed_kmh * 60.0


def test_rounding_rules_absorb_float_error() -> None:
    assert round_persons(np.array([0.5, 1.5, 2.5, 0.6, 3.9, 0.15 * 100, 0.49999])).tolist() == [1, 2, 3, 1, 4, 15, 0]
    assert ceil_target(np.array([0.2 * 100, 0.1 * 30, 0.15 * 10_000, 20.000001])).tolist() == [20, 3, 1500, 21]


def test_the_issues_hand_computed_home(prevalent: Needs) -> None:
    a = row(prevalent.homes, home_id="A")
    expected = {
        "district_id": "D1",
        "infected": 15,  # r(0.15 * 100)
        "transfers": 2,  # r(0.10 * 15) = r(1.5)
        "transfers_disabled": 1,  # r(2 * 0.3) = r(0.6)
        "mild": 13,
        "observation_disabled": 4,  # r(13 * 0.3) = r(3.9)
        "observation_other": 9 + 10 + 2,  # 13 - 4, r(0.25 * 40) rotation, 2 admissions
        "backfill": 4,  # r(0.10 * 40)
        "self_care": 0,  # no partition: mild cases go to sites
        "hospital_id": "H1",  # nearest designated (H3 is nearer but not designated)
    }
    assert {k: a[k] for k in expected} == expected
    assert a["daily_transfers"] == pytest.approx(2 / 14)
    assert a["hospital_minutes"] == pytest.approx(minutes_north(0.01, 30.0))
    observation = prevalent.observation[prevalent.observation["home_id"] == "A"]
    assert observation[["group", "cause", "persons"]].to_numpy().tolist() == [
        ["disabled", "mild", 4],
        ["other", "mild", 9],
        ["other", "rotation", 10],
        ["other", "admission", 2],
    ]


def test_partition_home_keeps_its_cases_and_goes_to_its_designated_hospital(prevalent: Needs, rules: Rules) -> None:
    b = row(prevalent.homes, home_id="B")
    assert (b["infected"], b["transfers"], b["transfers_disabled"], b["mild"]) == (8, 1, 0, 7)  # r(7.5), r(0.8), r(0.2)
    assert (b["observation_disabled"], b["observation_other"], b["backfill"]) == (0, 0, 2)
    assert b["isolation_disabled"] == 1  # r(7 * 10 / 50) = r(1.4): moved to the home's own isolation area
    assert b["hospital_id"] == "H2"  # designated, though H1 is nearer
    assert b["hospital_minutes"] == pytest.approx(minutes_north(0.15, 30.0))
    assert "B" not in set(prevalent.observation["home_id"])
    with_self_care = compute_needs(
        city(), rules, make_scenario(level="prevalent", rule_overrides={"nurses_per_infected_self_care": 0.5})
    )
    # self-care residents only: the disabled one of the 7 mild cases has a 1:1 nurse instead
    assert row(with_self_care.homes, home_id="B")["self_care"] == 3  # r(0.5 * (7 - 1))
    assert row(with_self_care.nursing, need_id="self_care:B")["required"] == 3


def test_home_without_residents_still_observes_rotating_staff(prevalent: Needs) -> None:
    c = row(prevalent.homes, home_id="C")
    assert (c["infected"], c["observation_disabled"], c["observation_other"], c["backfill"]) == (0, 0, 1, 1)


def test_nursing_needs(prevalent: Needs) -> None:
    nursing = prevalent.nursing.set_index("need_id")
    assert nursing["required"].to_dict() == {
        "transfer_1to1:H1": 1,  # Td of A; H2 receives B's Td = 0: dropped
        "transfer_1to1:B": 1,  # B's disabled case moved to its own isolation area (000 §4)
        "backfill:A": 4,
        "backfill:B": 2,
        "backfill:C": 1,
    }
    assert nursing.loc["transfer_1to1:H1", "destination_kind"] == "hospital"
    assert nursing.loc["backfill:C", "district_id"] == "D2"
    assert prevalent.nursing["required"].dtype == np.int64


def test_nearest_hospital_honours_travel_overrides(rules: Rules) -> None:
    blocked = city(travel_minutes=[{"from_id": "A", "to_id": "H1", "minutes": 500.0}])
    a = row(compute_needs(blocked, rules, make_scenario()).homes, home_id="A")
    assert a["hospital_id"] == "H2"
    assert a["hospital_minutes"] == pytest.approx(minutes_north(0.2, 30.0))
    given = city(travel_minutes=[{"from_id": "B", "to_id": "H2", "minutes": 12.0}])
    assert row(compute_needs(given, rules, make_scenario()).homes, home_id="B")["hospital_minutes"] == 12.0


def test_demand_multiplier_scales_the_districts_attack_rate(rules: Rules) -> None:
    doubled = compute_needs(city(), rules, make_scenario(level="prevalent", demand_multipliers={"D1": 2.0}))
    a = row(doubled.homes, home_id="A")
    assert (a["infected"], a["transfers"], a["transfers_disabled"], a["observation_disabled"]) == (30, 3, 1, 8)
    capped = compute_needs(city(), rules, make_scenario(level="prevalent", demand_multipliers={"D1": 10.0}))
    assert row(capped.homes, home_id="A")["infected"] == 100  # attack rate capped at 1


def test_drug_targets(prevalent: Needs, rules: Rules) -> None:
    drugs = prevalent.drugs
    antipyretic = row(drugs, institution_id="A", drug="antipyretic")
    assert (antipyretic["target"], antipyretic["on_hand"], antipyretic["need"]) == (20, 25, 0)  # never below 0
    assert row(drugs, institution_id="A", drug="cough")["need"] == 15
    assert set(drugs.loc[drugs["institution_id"] == "A", "drug"]) == {*rules.care_home_drugs, "antigen_kit"}
    # kits from the tests by type: (100 x 2 x 0.5 residents' antigen a week) / 7 + 2 admissions / 14 days
    # = 14.43 a day, x 7 days of cover + the outbreak round 1 x (100 + 40) x 0.5 = 70: c(171)
    assert row(drugs, institution_id="A", drug="antigen_kit")["target"] == 171
    assert row(drugs, institution_id="K1", drug="cough")["target"] == 1500  # 15 % of 10,000
    assert row(drugs, institution_id="K2", drug="cough")["target"] == 2000  # dense district: 20 %
    assert row(drugs, institution_id="K2", drug="tcm")["need"] == 0  # 2,500 on hand cover the 2,000 target
    antiviral = row(drugs, institution_id="H1", drug="antiviral")
    assert (antiviral["target"], antiviral["need"], antiviral["kind"]) == (900, 0, "hospital")  # 90 days x 10
    assert row(drugs, institution_id="H1", drug="antipyretic")["need"] == 225  # ceil(90 x 2.5)
    hospital_rows = drugs[drugs["kind"] == "hospital"]
    assert set(zip(hospital_rows["institution_id"], hospital_rows["drug"], strict=True)) == {
        ("H1", "antiviral"),  # only drugs with a daily use
        ("H1", "antipyretic"),
    }
    severe = compute_needs(city(), rules, make_scenario(level="severe")).drugs
    assert row(severe, institution_id="K1", drug="cough")["target"] == 1500  # 004 (十九): no level trigger
    for column in ("target", "on_hand", "need"):
        assert drugs[column].dtype == np.int64


def test_reserve_icu_sampling_and_test_kits(prevalent: Needs, rules: Rules) -> None:
    reserve = prevalent.reserve.set_index("district_id")
    assert reserve.loc["D1"].to_dict() == {"residents": 150, "required": 15, "held": 15}  # ceil(10 % of 150)
    assert reserve.loc["D2"].to_dict() == {"residents": 0, "required": 0, "held": 0}
    icu = ["required", "planned", "met"]
    assert prevalent.icu["hospital_id"].tolist() == ["H1", "H2", "H3"]  # 004 (十五): designated and level 3
    assert prevalent.icu["scope"].tolist() == ["designated", "designated", "level_3"]
    assert row(prevalent.icu, hospital_id="H1")[icu].tolist() == [50, 40, False]  # ICU shortfall
    assert row(prevalent.icu, hospital_id="H2")[icu].tolist() == [20, 20, True]
    assert row(prevalent.sampling, street_id="S1")[["required_min", "required_max", "met"]].tolist() == [3, 5, True]
    assert not row(prevalent.sampling, street_id="S2")["met"]
    # tests by type (000 §4): closed homes test staff daily by NAT; residents twice a week, half by antigen
    nat = ["management", "staff_tests_per_week", "resident_tests_per_week", "tests_per_week"]
    assert row(prevalent.nat_tests, home_id="A")[nat].tolist() == ["closed", 40 * 7, 100 * 2 * 0.5, 380]
    normal = compute_needs(city(), rules, make_scenario(level="normal"))
    assert row(normal.nat_tests, home_id="A")[nat].tolist() == ["open", 40 * 2, 100 * 2 * 0.5, 180]
    antigen = ["resident_tests_per_week", "staff_entry_tests_per_week", "outbreak_tests", "target"]
    # open: staff take 5 antigen entry tests a week; (100 + 200) / 7 + 2 / 14 = 43 a day, x 7 + 70 = 371
    assert row(normal.antigen_tests, home_id="A")[antigen].tolist() == [100, 200, 70, 371]


def test_site_transfer_needs_are_one_to_one(rules: Rules) -> None:
    at_sites = site_transfer_needs(
        pd.DataFrame(
            {"site_id": ["X", "X", "Y", "Z"], "district_id": ["D1", "D1", "D2", "D2"], "persons": [2, 3, 1, 0]}
        ),
        rules,
    )
    assert at_sites[["need_id", "destination_kind", "district_id", "need", "required"]].to_numpy().tolist() == [
        ["transfer_1to1:X", "site", "D1", "transfer_1to1", 5],
        ["transfer_1to1:Y", "site", "D2", "transfer_1to1", 1],
    ]
    empty = site_transfer_needs(pd.DataFrame(columns=["site_id", "district_id", "persons"]), rules)
    assert empty.empty and "need_id" in empty.columns


def test_site_transfer_needs_by_day_are_each_days_own(rules: Rules) -> None:
    # Day 2: X holds 2 + 3 and Y 1; day 0: X holds 1 and Y none. Rows by day, then site; the day kept at the end.
    present = pd.DataFrame(
        {
            "day": [2, 2, 0, 2, 0],
            "site_id": ["X", "X", "X", "Y", "Y"],
            "district_id": ["D1", "D1", "D1", "D2", "D2"],
            "persons": [2, 3, 1, 1, 0],
        }
    )
    by_day = site_transfer_needs(present, rules, by=("day",))
    assert by_day[["need_id", "required", "day"]].to_numpy().tolist() == [
        ["transfer_1to1:X", 1, 0],
        ["transfer_1to1:X", 5, 2],
        ["transfer_1to1:Y", 1, 2],
    ]
    assert list(by_day.columns)[-1] == "day"


def test_no_care_homes_and_no_designated_hospital(rules: Rules) -> None:
    base = city()
    nothing = make_dataset(districts=[{"district_id": "D1", "name": "d", "population": 1}])
    needs = compute_needs(nothing, rules, make_scenario())
    assert needs.homes.empty and needs.nursing.empty and needs.observation.empty
    assert needs.reserve["required"].tolist() == [0]
    undesignated = make_dataset(
        districts=base.districts.to_dict("records"),
        streets=base.streets.to_dict("records"),
        care_homes=[home("A", "S1", 39.9, residents=100, disabled=30, staff=40)],
    )
    a = row(compute_needs(undesignated, rules, make_scenario()).homes, home_id="A")
    assert a["hospital_id"] == "" and math.isnan(a["hospital_minutes"])


# --- invariants -------------------------------------------------------------------------------------------------


@st.composite
def random_homes(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 8))
    homes = []
    for i in range(count):
        residents = draw(st.integers(0, 400))
        homes.append(
            home(
                f"h{i}",
                draw(st.sampled_from(["S1", "S2"])),
                draw(st.floats(39.8, 40.2)),
                residents=residents,
                disabled=draw(st.integers(0, residents)),
                staff=draw(st.integers(0, 150)),
                partition=draw(st.booleans()),
                new_admissions=draw(st.integers(0, 10)),
                on_hand_cough=draw(st.integers(0, 100)),
            )
        )
    return homes


scenarios = st.builds(
    Scenario,
    level=st.sampled_from(["normal", "prevalent", "severe"]),
    attack_rate=st.floats(0.0, 1.0),
    severe_share=st.floats(0.0, 1.0),
    staff_absence=st.floats(0.0, 1.0),
    rotation_share=st.floats(0.0, 1.0),
    horizon_days=st.integers(1, 30),
    demand_multipliers=st.dictionaries(st.sampled_from(["D1", "D2"]), st.floats(0.0, 5.0), max_size=2),
)


BASE = city()


@settings(max_examples=30, deadline=None)
@given(random_homes(), scenarios)
def test_needs_invariants(homes: list[dict[str, Any]], scenario: Scenario) -> None:
    base = BASE
    dataset = make_dataset(
        districts=base.districts.to_dict("records"),
        streets=base.streets.to_dict("records"),
        care_homes=homes,
        clinics=base.clinics.to_dict("records"),
        hospitals=base.hospitals.to_dict("records"),
        pools=base.pools.to_dict("records"),
    )
    needs = compute_needs(dataset, load_rules(), scenario)
    for frame in needs.tables().values():
        for column in frame.columns:
            if pd.api.types.is_integer_dtype(frame[column]):
                assert frame[column].dtype == np.int64, column
                assert (frame[column] >= 0).all(), column
    h = needs.homes
    assert (h["transfers"] + h["mild"] == h["infected"]).all()
    assert (h["infected"] <= h["residents"]).all()
    assert (h["transfers_disabled"] <= h["transfers"]).all()
    assert (h["observation_disabled"] <= h["mild"]).all()
    partition = h["partition"]
    assert (h.loc[partition, ["observation_disabled", "observation_other"]] == 0).all(axis=None)
    assert set(needs.observation["home_id"]).isdisjoint(h.loc[partition, "home_id"])
    assert (h.loc[~partition, "self_care"] == 0).all()
    open_homes = h[~partition]
    assert (
        open_homes["observation_disabled"] + open_homes["observation_other"]
        == open_homes["mild"] + open_homes["rotation_staff"] + open_homes["new_admissions"]
    ).all()
    assert (needs.observation["persons"] > 0).all()
    assert needs.observation["persons"].sum() == (h["observation_disabled"] + h["observation_other"]).sum()
    assert h["daily_transfers"].to_numpy() == pytest.approx(h["transfers"].to_numpy() / scenario.horizon_days)
    assert set(h["hospital_id"]) <= {"H1", "H2"}  # designated hospitals only
    hospital_1to1 = needs.nursing.loc[needs.nursing["destination_kind"] == "hospital", "required"].sum()
    assert hospital_1to1 == h["transfers_disabled"].sum()  # 1:1
    assert (needs.nursing["required"] > 0).all()
    assert (needs.drugs["need"] == np.maximum(0, needs.drugs["target"] - needs.drugs["on_hand"])).all()
    assert needs.reserve["residents"].sum() == h["residents"].sum()


def test_a_district_set_to_severe_changes_that_districts_needs_only(rules: Rules) -> None:
    base = compute_needs(city(), rules, make_scenario(level="prevalent"))
    graded = compute_needs(city(), rules, make_scenario(level="prevalent", district_levels={"D1": "severe"}))
    d1 = base.homes["district_id"] == "D1"
    assert (graded.homes.loc[d1, "infected"] > base.homes.loc[d1, "infected"]).any()  # severe attack rate in D1
    assert graded.homes.loc[d1, "level"].eq("severe").all()
    pd.testing.assert_frame_equal(graded.homes[~d1], base.homes[~d1])  # D2 untouched


def test_containment_isolates_close_contacts_and_2023_none(rules: Rules) -> None:
    mitigation = compute_needs(city(), rules, make_scenario(level="prevalent"))
    containment = compute_needs(city(), load_rules("containment-2021"), make_scenario(level="prevalent"))
    assert mitigation.homes["contacts"].sum() == 0
    assert containment.homes["contacts"].sum() > 0
    assert "contact" in set(containment.observation["cause"])
    assert containment.observation["persons"].sum() > mitigation.observation["persons"].sum()


def test_the_stock_factor_is_applied_as_written_not_as_its_double() -> None:
    """0.35 x 10,700 is 3,745 packs (the doubles' product is 3,744.9999999999995); 0.29 x 11,800 is 3,422; 1.4 x
    164,245 is 229,943; 1/3 of 3 is 0.9999999999999999... as written (0.3333333333333333): 0 whole packs short of 1."""
    counts = np.array([10_700.0, 11_800.0, 164_245.0, 3.0, 7.0, 0.0])
    assert scaled_down(counts[:3], 0.35).tolist()[0] == 3_745
    assert scaled_down(counts[1:2], 0.29).tolist() == [3_422]
    assert scaled_down(counts[2:3], 1.4).tolist() == [229_943]
    assert scaled_down(counts[3:4], 1 / 3).tolist() == [0]
    assert scaled_down(counts, 1.0).tolist() == [10_700, 11_800, 164_245, 3, 7, 0]
    assert scaled_down(counts, 0.5).tolist() == [5_350, 5_900, 82_122, 1, 3, 0]
