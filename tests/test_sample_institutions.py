"""The sample's institutions: realistic spreads, designated hospitals in reach, sites, stations and pools."""

from __future__ import annotations

import numpy as np
import pytest
from sample_fixture import check_designated_reach, city

from planner.dataset.schema import DRUGS

# --------------------------------------------------------------------------- the Beijing city


def test_care_homes_have_realistic_spreads() -> None:
    homes = city()["care_homes"]
    residents = homes["residents"]
    assert residents.between(30, 400).all()
    assert residents.median() < residents.mean()  # skewed: many small, few large
    assert 0.25 <= homes["disabled"].sum() / residents.sum() <= 0.35
    assert (homes["disabled"] <= residents).all()
    assert (homes["staff"] / residents).between(0.28, 0.62).all()
    assert 0.3 <= homes["partition"].mean() <= 0.5
    assert homes["new_admissions"].between(0, 5).all() and homes["new_admissions"].gt(0).any()
    assert 0.4 <= (homes["designated_hospital_id"] != "").mean() <= 0.6
    assert homes["on_hand_antipyretic"].gt(0).any() and homes["on_hand_antipyretic"].eq(0).any()


def test_clinics_and_hospitals_have_realistic_spreads() -> None:
    clinics, hospitals = city()["clinics"], city()["hospitals"]
    assert clinics["service_population"].between(20_000, 120_000).all()
    assert clinics["on_hand_antipyretic"].gt(0).mean() > 0.5
    assert set(hospitals["level"]) == {2, 3}
    assert hospitals["beds"].between(200, 2000).all()
    designated = hospitals[hospitals["designated"]]
    assert (designated["level"] == 3).all()
    assert 0.2 <= len(designated) / (hospitals["level"] == 3).sum() <= 0.5
    icu_share = designated["icu_beds"] / designated["beds"]
    assert (icu_share < 0.10).any() and (icu_share >= 0.10).any()
    assert hospitals[[f"daily_use_{d}" for d in DRUGS]].gt(0).all().all()


def test_every_district_has_a_designated_hospital_within_an_hour() -> None:
    check_designated_reach(city())


def test_sites_statuses_rooms_and_streets() -> None:
    sites = city()["sites"]
    assert sites["rooms"].between(20, 150).all()
    assert 0.35 <= sites["barrier_free"].mean() <= 0.65
    shares = sites["status"].value_counts(normalize=True)
    assert shares["open"] == pytest.approx(0.65, abs=0.01)
    assert shares["candidate"] == pytest.approx(0.30, abs=0.01)
    assert shares["closed"] == pytest.approx(0.05, abs=0.01)
    candidate = sites["status"] == "candidate"
    assert sites.loc[candidate, "opening_cost"].between(5_000, 50_000).all()
    assert (sites.loc[~candidate, "opening_cost"] == 0).all()
    open_sites = sites[sites["status"] == "open"]
    assert (open_sites["stock_days"] < 30).any() and (open_sites["stock_days"] >= 30).mean() > 0.5
    per_street = sites.groupby("street_id").size().reindex(city()["streets"]["street_id"], fill_value=0)
    assert (per_street <= 1).mean() > 0.85 and (per_street == 0).any()


def test_stations_and_pools() -> None:
    frames = city()
    stations = frames["stations"]
    assert stations["ambulances"].between(1, 4).all()
    assert (stations["max_ambulances"] - stations["ambulances"]).between(0, 3).all()
    assert set(stations["district_id"]) == set(frames["districts"]["district_id"])
    homes = frames["care_homes"].merge(frames["streets"][["street_id", "district_id"]], on="street_id")
    required = np.ceil(0.10 * homes.groupby("district_id")["residents"].sum())
    held = frames["pools"].groupby("district_id")["nurses"].sum().reindex(required.index, fill_value=0)
    assert (held >= required).any() and (held < required).any()  # some districts meet the 10 % reserve, some not
