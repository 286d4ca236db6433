"""The institutions of a sample: hospitals, care homes, clinics, observation sites, 120 stations, nursing
pools and drug depots, each placed in the streets of a :class:`~planner.dataset.sample_geography.Geography`.

Calibration (so that the plan has something to say): about a third of the level-3 hospitals are designated,
and every district gets one within :data:`DESIGNATED_REACH_MINUTES` of its seat, every street one within
:data:`STREET_REACH_MINUTES` where a hospital that close exists; ~65 % of the sites are open
(:data:`SITE_STATUS_SHARE`); a district's nursing reserve is the rule's share of its residents times a
factor in [0.6, 1.4]; depots hold the stock they are given. Every draw comes from the generator passed in,
in a fixed order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.dataset.sample_geography import (
    KM_PER_DEGREE,
    Geography,
    ScaleSize,
    apportion,
    district_counts,
    group_starts,
    numbered_ids,
    place_in_streets,
    road_minutes,
    schema_frame,
    split_total,
    streets_by_district,
    synthetic_kind_names,
    synthetic_names,
)
from planner.dataset.schema import DRUGS

DESIGNATED_REACH_MINUTES = 60.0
"""Every district has a designated hospital this close to its seat (road minutes)."""
STREET_REACH_MINUTES = 90.0
"""Every street centre has a designated hospital this close (road minutes at its district's speed)."""

SITE_STATUS_SHARE: tuple[float, float, float] = (0.65, 0.30, 0.05)
"""Shares of observation sites that are open, candidate and closed (exact up to rounding)."""

HOSPITAL_DAILY_USE_PER_BED: dict[str, float] = {
    "antipyretic": 0.12,
    "cough": 0.10,
    "antiviral": 0.04,
    "tcm": 0.08,
    "antigen_kit": 0.15,
}
"""Mean packs per bed per day used by a hospital (each hospital draws 0.7-1.3 times this)."""


# --------------------------------------------------------------------------- hospitals


def _seat_streets(geo: Geography) -> np.ndarray:
    """Index of the street nearest each district's seat (its 'district hospital' street)."""
    streets = geo.streets
    district = geo.street_district
    north = (streets["lat"].to_numpy() - geo.seat_lat[district]) * KM_PER_DEGREE
    east = (
        (streets["lon"].to_numpy() - geo.seat_lon[district])
        * KM_PER_DEGREE
        * np.cos(np.radians(geo.seat_lat[district]))
    )
    order = np.lexsort((np.hypot(north, east), district))
    return order[group_starts(district[order], len(geo.districts))]


def _ensure_designated_reach(
    geo: Geography, lat: np.ndarray, lon: np.ndarray, designated: np.ndarray, seat_hospital: np.ndarray
) -> np.ndarray:
    """Designate hospitals until every seat has one within :data:`DESIGNATED_REACH_MINUTES` and every
    street one within :data:`STREET_REACH_MINUTES`.

    A seat too far gets its own seat hospital (``seat_hospital[d]``, -1 for none) designated; a street
    still too far gets the hospital nearest to it designated (best effort: that hospital may itself be
    farther than the bound). Returns the new designation mask.
    """
    designated = designated.copy()
    speed = geo.districts["speed_kmh"].to_numpy()
    seat_minutes, _ = road_minutes(geo.seat_lat, geo.seat_lon, speed, lat[designated], lon[designated])
    far_seat = (seat_minutes[:, 0] > DESIGNATED_REACH_MINUTES) & (seat_hospital >= 0)
    designated[seat_hospital[far_seat]] = True
    streets = geo.streets
    street_lat, street_lon = streets["lat"].to_numpy(), streets["lon"].to_numpy()
    street_speed = speed[geo.street_district]
    street_minutes, _ = road_minutes(street_lat, street_lon, street_speed, lat[designated], lon[designated])
    far = street_minutes[:, 0] > STREET_REACH_MINUTES
    _, nearest_hospital = road_minutes(street_lat[far], street_lon[far], street_speed[far], lat, lon)
    designated[nearest_hospital[:, 0]] = True
    return designated


def make_hospitals(
    rng: np.random.Generator, geo: Geography, size: ScaleSize, hospital_drug_days: float
) -> pd.DataFrame:
    """Level 2/3 hospitals; the first of each district sits at its seat; designated ones in reach of every seat."""
    counts = district_counts(size.hospitals, geo.districts["population"].to_numpy())
    street = streets_by_district(rng, geo, counts, central=2.0)
    district = geo.street_district[street]
    seat_hospital = np.where(counts > 0, group_starts(district, len(counts)), -1)
    street[seat_hospital[counts > 0]] = _seat_streets(geo)[counts > 0]
    lat, lon = place_in_streets(rng, street, geo)
    count = len(street)
    level = np.where(rng.random(count) < 0.4, 3, 2)
    designated = _ensure_designated_reach(geo, lat, lon, (level == 3) & (rng.random(count) < 1.0 / 3.0), seat_hospital)
    level[designated] = 3
    beds = np.where(level == 3, rng.integers(500, 2001, count), rng.integers(200, 801, count))
    designated_icu_share, other_icu_share = rng.normal(0.11, 0.02, count), rng.uniform(0.06, 0.12, count)
    icu_share = np.clip(np.where(designated, designated_icu_share, other_icu_share), 0.04, 0.16)
    name, name_zh = synthetic_names("Hospital", "医院", district, geo.label, geo.label_zh)
    columns: dict[str, object] = {
        "hospital_id": numbered_ids("HP", count),
        "street_id": geo.streets["street_id"].to_numpy()[street],
        "name": name,
        "lat": lat,
        "lon": lon,
        "level": level.astype(np.int64),
        "designated": designated,
        "beds": beds.astype(np.int64),
        "icu_beds": np.round(beds * icu_share).astype(np.int64),
        "name_zh": name_zh,
        "convertible_icu_beds": np.round(beds * rng.uniform(0.0, 0.04, count)).astype(np.int64),
    }
    stocked = rng.random(count) < 0.6
    for drug in DRUGS:
        daily_use = np.round(beds * HOSPITAL_DAILY_USE_PER_BED[drug] * rng.uniform(0.7, 1.3, count), 1)
        days_on_hand = rng.uniform(0.0, 0.7 * hospital_drug_days, count)
        columns[f"daily_use_{drug}"] = daily_use
        columns[f"on_hand_{drug}"] = np.where(stocked, np.floor(daily_use * days_on_hand), 0).astype(np.int64)
    return schema_frame("hospitals", columns)


# --------------------------------------------------------------------------- care homes and clinics


def make_care_homes(
    rng: np.random.Generator,
    geo: Geography,
    size: ScaleSize,
    hospitals: pd.DataFrame,
    reserve_per_resident: float,
    home_drugs: tuple[str, ...],
) -> pd.DataFrame:
    """Care homes of 30-400 residents (many small, few large), more of them outside the dense core."""
    dense = geo.districts["dense"].to_numpy()[geo.street_district]
    weights = (geo.streets["population"].to_numpy(dtype=float) + 1.0) * np.where(dense, 1.0, 1.5)
    street = np.sort(rng.choice(len(weights), size.care_homes, p=weights / weights.sum()))
    count = len(street)
    district = geo.street_district[street]
    speed = geo.districts["speed_kmh"].to_numpy()
    lat, lon = place_in_streets(rng, street, geo)
    residents = np.clip(np.round(rng.lognormal(np.log(65.0), 0.65, count)), 30, 400).astype(np.int64)
    disabled = np.round(residents * rng.uniform(0.18, 0.42, count)).astype(np.int64)
    staff = np.maximum(3, np.round(residents * rng.uniform(0.3, 0.6, count))).astype(np.int64)
    partition = rng.random(count) < 0.4
    new_admissions = np.where(rng.random(count) < 0.35, rng.integers(1, 6, count), 0).astype(np.int64)
    name, name_zh = synthetic_names("Care Home", "养老机构", district, geo.label, geo.label_zh)
    columns: dict[str, object] = {
        "home_id": numbered_ids("CH", count),
        "street_id": geo.streets["street_id"].to_numpy()[street],
        "name": name,
        "lat": lat,
        "lon": lon,
        "residents": residents,
        "staff": staff,
        "disabled": disabled,
        "partition": partition,
        "name_zh": name_zh,
        "designated_hospital_id": _designations(rng, lat, lon, speed[district], hospitals),
        "new_admissions": new_admissions,
    }
    small_stock = np.ceil(0.6 * reserve_per_resident * residents).astype(np.int64)
    for drug in home_drugs:
        columns[f"on_hand_{drug}"] = np.where(rng.random(count) < 0.4, rng.integers(0, small_stock + 1), 0)
    return schema_frame("care_homes", columns)


def _designations(
    rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray, speed_kmh: np.ndarray, hospitals: pd.DataFrame
) -> np.ndarray:
    """About half the homes name a designated hospital, the others ``""`` (the planner picks the nearest).

    A naming home draws one of its two nearest designated hospitals, the second only when it is
    within :data:`STREET_REACH_MINUTES`.
    """
    designated = hospitals[hospitals["designated"]]
    minutes, nearest = road_minutes(
        lat, lon, speed_kmh, designated["lat"].to_numpy(), designated["lon"].to_numpy(), k=2
    )
    second = (rng.random(len(lat)) < 0.5) & (minutes[:, -1] <= STREET_REACH_MINUTES)
    chosen = designated["hospital_id"].to_numpy()[np.where(second, nearest[:, -1], nearest[:, 0])]
    return np.where(rng.random(len(lat)) < 0.5, chosen, "").astype(object)


def make_clinics(
    rng: np.random.Generator, geo: Geography, size: ScaleSize, reserve_per_served: float, clinic_drugs: tuple[str, ...]
) -> pd.DataFrame:
    """Community / township health centres serving 20k-120k people, with part of their reserve on hand."""
    weights = geo.streets["population"].to_numpy(dtype=float) + 1.0
    street = np.sort(rng.choice(len(weights), size.clinics, p=weights / weights.sum()))
    count = len(street)
    district = geo.street_district[street]
    lat, lon = place_in_streets(rng, street, geo)
    served = np.round(rng.uniform(20_000, 120_000, count), -2).astype(np.int64)
    name, name_zh = synthetic_kind_names(
        ("Community Health Centre", "Township Health Centre"),
        ("社区卫生服务中心", "乡镇卫生院"),
        district,
        geo.label,
        geo.label_zh,
        geo.districts["dense"].to_numpy(),
    )
    columns: dict[str, object] = {
        "clinic_id": numbered_ids("C", count),
        "street_id": geo.streets["street_id"].to_numpy()[street],
        "name": name,
        "lat": lat,
        "lon": lon,
        "service_population": served,
        "name_zh": name_zh,
    }
    base_target = np.ceil(reserve_per_served * served)
    for drug in clinic_drugs:
        on_hand = np.floor(base_target * rng.uniform(0.0, 0.6, count)).astype(np.int64)
        columns[f"on_hand_{drug}"] = np.where(rng.random(count) < 0.7, on_hand, 0)
    return schema_frame("clinics", columns)


# --------------------------------------------------------------------------- sites, stations, pools, depots


def _gumbel_top_k(rng: np.random.Generator, weights: np.ndarray, count: int) -> np.ndarray:
    """``count`` distinct indices drawn without replacement with probability ~ ``weights``."""
    keys = np.log(weights) + rng.gumbel(size=len(weights))
    return np.sort(np.argpartition(-keys, count - 1)[:count])


def make_sites(rng: np.random.Generator, geo: Geography, size: ScaleSize) -> pd.DataFrame:
    """Observation sites of 20-150 rooms; most streets have none or one, a few two."""
    weights = geo.streets["population"].to_numpy(dtype=float) + 1.0
    distinct = min(len(weights), round(0.85 * size.sites))
    first = _gumbel_top_k(rng, weights, distinct)
    second = rng.choice(first, size.sites - distinct, replace=False)
    street = np.sort(np.concatenate((first, second)))
    count = len(street)
    district = geo.street_district[street]
    lat, lon = place_in_streets(rng, street, geo)
    per_status = apportion(count, np.array(SITE_STATUS_SHARE))
    status = rng.permutation(np.repeat(np.array(["open", "candidate", "closed"], dtype=object), per_status))
    short = rng.random(count) < 0.25
    stock_days = np.where(short, rng.integers(5, 30, count), rng.integers(30, 61, count))
    name, name_zh = synthetic_names("Observation Site", "集中健康观察点", district, geo.label, geo.label_zh)
    return schema_frame(
        "sites",
        {
            "site_id": numbered_ids("OS", count),
            "street_id": geo.streets["street_id"].to_numpy()[street],
            "name": name,
            "lat": lat,
            "lon": lon,
            "rooms": rng.integers(20, 151, count).astype(np.int64),
            "barrier_free": rng.random(count) < 0.5,
            "status": status,
            "name_zh": name_zh,
            "opening_cost": np.where(status == "candidate", np.round(rng.uniform(5_000, 50_000, count), -2), 0.0),
            "stock_days": np.where(status == "closed", 0, stock_days).astype(np.int64),
        },
    )


def make_stations(rng: np.random.Generator, geo: Geography, size: ScaleSize) -> pd.DataFrame:
    """120 stations of 1-4 ambulances, each with room for up to 3 more."""
    counts = district_counts(size.stations, geo.districts["population"].to_numpy())
    street = streets_by_district(rng, geo, counts)
    district = geo.street_district[street]
    count = len(street)
    lat, lon = place_in_streets(rng, street, geo)
    ambulances = rng.choice(np.arange(1, 5), count, p=[0.35, 0.35, 0.2, 0.1]).astype(np.int64)
    name, name_zh = synthetic_names("120 Station", "急救站", district, geo.label, geo.label_zh)
    return schema_frame(
        "stations",
        {
            "station_id": numbered_ids("AS", count),
            "district_id": geo.districts["district_id"].to_numpy()[district],
            "name": name,
            "lat": lat,
            "lon": lon,
            "ambulances": ambulances,
            "name_zh": name_zh,
            "max_ambulances": ambulances + rng.integers(0, 4, count),
        },
    )


def make_pools(
    rng: np.random.Generator, geo: Geography, size: ScaleSize, homes: pd.DataFrame, reserve_per_resident: float
) -> pd.DataFrame:
    """Nursing reserve teams; a district's nurses = rule share of its residents x a factor in [0.6, 1.4]."""
    district_count = len(geo.districts)
    counts = district_counts(size.pools, geo.districts["population"].to_numpy())
    street = streets_by_district(rng, geo, counts, central=1.0)
    district = geo.street_district[street]
    count = len(street)
    lat, lon = place_in_streets(rng, street, geo)
    home_street = homes["street_id"].map(_street_position(geo)).to_numpy(dtype=np.int64)
    home_district = geo.street_district[home_street]
    residents = np.bincount(home_district, weights=homes["residents"].to_numpy(), minlength=district_count)
    factor = rng.uniform(0.6, 1.4, district_count)
    nurses = np.maximum(np.round(reserve_per_resident * residents * factor).astype(np.int64), counts)
    name, name_zh = synthetic_names("Nursing Reserve Team", "护理应急支援队", district, geo.label, geo.label_zh)
    return schema_frame(
        "pools",
        {
            "pool_id": numbered_ids("NP", count),
            "district_id": geo.districts["district_id"].to_numpy()[district],
            "name": name,
            "lat": lat,
            "lon": lon,
            "nurses": split_total(nurses, district, rng.gamma(3.0, 1.0, count)),
            "name_zh": name_zh,
        },
    )


def _street_position(geo: Geography) -> pd.Series:
    return pd.Series(np.arange(len(geo.streets)), index=geo.streets["street_id"])


def make_depots(
    rng: np.random.Generator, geo: Geography, size: ScaleSize, stock_by_drug: dict[str, int]
) -> pd.DataFrame:
    """Drug depots holding, per drug, ``stock_by_drug`` in total (split with random weights)."""
    counts = district_counts(size.depots, geo.districts["population"].to_numpy())
    street = streets_by_district(rng, geo, counts, central=1.0)
    district = geo.street_district[street]
    count = len(street)
    lat, lon = place_in_streets(rng, street, geo)
    name, name_zh = synthetic_names("Drug Depot", "药品物资储备库", district, geo.label, geo.label_zh)
    columns: dict[str, object] = {
        "depot_id": numbered_ids("DP", count),
        "district_id": geo.districts["district_id"].to_numpy()[district],
        "name": name,
        "lat": lat,
        "lon": lon,
        "name_zh": name_zh,
    }
    weights = rng.gamma(3.0, 1.0, count)
    everywhere = np.zeros(count, dtype=np.int64)
    for drug in DRUGS:
        columns[f"stock_{drug}"] = split_total(np.array([stock_by_drug[drug]]), everywhere, weights)
    return schema_frame("depots", columns)


__all__ = [
    "DESIGNATED_REACH_MINUTES",
    "HOSPITAL_DAILY_USE_PER_BED",
    "SITE_STATUS_SHARE",
    "STREET_REACH_MINUTES",
    "make_care_homes",
    "make_clinics",
    "make_depots",
    "make_hospitals",
    "make_pools",
    "make_sites",
    "make_stations",
]
