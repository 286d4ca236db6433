"""Synthetic testing resources of the sample datasets: labs, sampling-point candidates, sampling teams.

Drawn with their own generator (``default_rng([seed, 13])``) after every other table, so adding them
left the other tables of a seed unchanged. Calibration: a district's labs test about
:data:`LAB_TESTS_PER_RESIDENT_DAY` of its residents a day in total (times a factor in [0.6, 1.4]), so
at the two-day round some districts' labs suffice and some do not; each street has 3 to 6 candidate
points with 2 to 8 desks; each district has one sampling team per 400,000 residents (at least one).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.dataset.sample_geography import (
    Geography,
    district_counts,
    numbered_ids,
    place_in_streets,
    schema_frame,
    streets_by_district,
    synthetic_names,
)

LAB_TESTS_PER_RESIDENT_DAY = 0.45
"""Daily NAT capacity of a district's labs per resident (before the random factor)."""
RESIDENTS_PER_TEAM = 400_000


def make_labs(rng: np.random.Generator, geo: Geography) -> pd.DataFrame:
    """About one synthetic lab per 1.5 M residents (at least one per district), capacity split at random."""
    population = geo.districts["population"].to_numpy()
    total = max(len(population), int(population.sum() // 1_500_000))
    counts = district_counts(total, population)
    street = streets_by_district(rng, geo, counts, central=1.0)
    district = geo.street_district[street]
    lat, lon = place_in_streets(rng, street, geo)
    name, name_zh = synthetic_names("Lab", "检测实验室", district, geo.label, geo.label_zh)
    capacity = population * LAB_TESTS_PER_RESIDENT_DAY * rng.uniform(0.6, 1.4, len(population))
    weights = rng.gamma(3.0, 1.0, len(street))
    share = weights / np.bincount(district, weights, len(population))[district]
    columns: dict[str, object] = {
        "lab_id": numbered_ids("LB", len(street)),
        "district_id": geo.districts["district_id"].to_numpy()[district],
        "lat": lat,
        "lon": lon,
        "nat_tests_per_day": np.round(capacity[district] * share).astype(np.int64),
        "name": name,
        "name_zh": name_zh,
    }
    return schema_frame("labs", columns)


def make_sampling_sites(rng: np.random.Generator, geo: Geography) -> pd.DataFrame:
    """3 to 6 synthetic candidate points per street around its centre, 2 to 8 desks each."""
    per_street = rng.integers(3, 7, len(geo.streets))
    street = np.repeat(np.arange(len(geo.streets)), per_street)
    lat, lon = place_in_streets(rng, street, geo)
    district = geo.street_district[street]
    name, name_zh = synthetic_names("Sampling Point", "便民采样点", district, geo.label, geo.label_zh)
    columns: dict[str, object] = {
        "site_id": numbered_ids("SP", len(street), 5),
        "street_id": geo.streets["street_id"].to_numpy()[street],
        "lat": lat,
        "lon": lon,
        "desks": rng.integers(2, 9, len(street)).astype(np.int64),
        "name": name,
        "name_zh": name_zh,
    }
    return schema_frame("sampling_sites", columns)


def sampling_teams(geo: Geography) -> np.ndarray:
    """Sampling teams per district: one per :data:`RESIDENTS_PER_TEAM` residents, at least one."""
    return np.maximum(1, geo.districts["population"].to_numpy() // RESIDENTS_PER_TEAM).astype(np.int64)


def add_testing(frames: dict[str, pd.DataFrame], geo: Geography, seed: int) -> None:
    """Add the labs, the candidates and the districts' sampling teams to ``frames`` (in place)."""
    rng = np.random.default_rng([seed, 13])
    frames["districts"] = frames["districts"].assign(sampling_teams=sampling_teams(geo))
    frames["labs"] = make_labs(rng, geo)
    frames["sampling_sites"] = make_sampling_sites(rng, geo)


__all__ = ["LAB_TESTS_PER_RESIDENT_DAY", "RESIDENTS_PER_TEAM", "add_testing", "make_labs", "make_sampling_sites"]
