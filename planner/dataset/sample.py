"""Synthetic datasets: the Beijing-shaped sample city and the larger benchmark scales.

``generate(scale, seed)`` returns one DataFrame per table of :data:`planner.dataset.schema.TABLES`
(columns exactly ``TABLES[name].all_columns()``, ids as strings); ``write_sample`` writes them
as UTF-8 CSVs. Everything is drawn with one ``np.random.default_rng(seed)`` in a fixed order,
fully vectorised, so a seed always gives the same files: first the geography
(:mod:`planner.dataset.sample_geography`: districts, streets), then the institutions
(:mod:`planner.dataset.sample_institutions`), then the depots' stock from the need they serve, then
the testing resources with their own generator (:mod:`planner.dataset.sample_testing`).

Scales (DESIGN §8)
------------------
``city``      the 16 real Beijing districts with their 2020 census populations around their
              real centres; every street and institution below the district is synthetic and
              says so in its name ("Synthetic Street 12 of Chaoyang" / "朝阳区第12街道（虚构）").
``province``  ~100 synthetic districts in one province-sized box.
``national``  ~2,800 synthetic districts in 31 synthetic provinces over a China-sized box.

Calibration (so that the plan has something to say)
---------------------------------------------------
- Observation rooms: ~65 % of sites open; at the ``prevalent`` level the open and candidate
  rooms cover the observation need, at ``severe`` they fall short in places.
- Designated hospitals: about a third of the level-3 hospitals; every district gets one within
  :data:`~planner.dataset.sample_institutions.DESIGNATED_REACH_MINUTES` of its seat at the district's
  speed (``haversine * detour / speed``), and every street one within
  :data:`~planner.dataset.sample_institutions.STREET_REACH_MINUTES` where a hospital that close exists
  (always so for the committed sample). ICU beds are 6-12 % of beds (designated hospitals about
  11 % +- 2), so some designated hospitals fall short of the 10 % rule.
- Nursing pools: a district's reserve is the rule's share of its care-home residents times a
  factor drawn in [0.6, 1.4], so some districts meet the reserve and some do not.
- Depots: the stock of each drug is :data:`DEPOT_STOCK_SHARE` of the ``severe``-level need
  (computed here from the rules preset, not from ``planner.needs.needs``): a few drugs run short
  overall, the others are met (the reserve targets of 004 (十九) do not change with the level; the
  antigen kits follow the homes' tests, which do).
- ``opening_cost`` of candidate sites is in yuan (one-off cost of opening the site).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.dataset.sample_geography import SIZES, build_geography
from planner.dataset.sample_institutions import (
    make_care_homes,
    make_clinics,
    make_depots,
    make_hospitals,
    make_pools,
    make_sites,
    make_stations,
)
from planner.dataset.sample_testing import add_testing
from planner.dataset.schema import DRUGS, TABLES, empty_table
from planner.rules.rules import Rules, load_rules

SCALES: tuple[str, ...] = ("city", "province", "national")

DEPOT_STOCK_SHARE: dict[str, float] = {
    "antipyretic": 0.95,
    "cough": 1.05,
    "antiviral": 1.10,
    "tcm": 0.90,
    "antigen_kit": 0.85,
}
"""Depot stock of each drug as a share of the district-wide need at the ``severe`` level."""


# --------------------------------------------------------------------------- calibration


def drug_need(frames: dict[str, pd.DataFrame], level: str = "severe", preset: str = "beijing-2023") -> dict[str, int]:
    """Total packs needed per drug (target - on hand, floored at 0) over homes, clinics and hospitals.

    A rough, self-contained version of DESIGN §4's reserve targets, used to size depot stock
    (``planner.needs.needs`` is the authority for the plan itself).
    """
    rules = load_rules(preset)
    districts = frames["districts"].set_index("district_id")
    street_district = frames["streets"].set_index("street_id")["district_id"]
    homes, clinics, hospitals = frames["care_homes"], frames["clinics"], frames["hospitals"]
    clinic_dense = districts["dense"].reindex(clinics["street_id"].map(street_district)).to_numpy(dtype=bool)
    clinic_rate = np.where(clinic_dense, rules.drug_reserve_per_served_dense, rules.drug_reserve_per_served)
    need: dict[str, int] = {}
    for drug in DRUGS:
        total = 0
        if drug in rules.care_home_drugs:
            target = np.ceil(rules.drug_reserve_per_resident * homes["residents"].to_numpy())
            total += int(np.maximum(0, target - homes[f"on_hand_{drug}"].to_numpy()).sum())
        if drug == "antigen_kit":
            target = np.ceil(_home_kits(homes, rules, level))
            total += int(np.maximum(0, target - homes[f"on_hand_{drug}"].to_numpy()).sum())
        if drug in rules.clinic_drugs:
            target = np.ceil(clinic_rate * clinics["service_population"].to_numpy())
            total += int(np.maximum(0, target - clinics[f"on_hand_{drug}"].to_numpy()).sum())
        if drug in rules.hospital_drugs:
            target = np.ceil(rules.hospital_drug_days * hospitals[f"daily_use_{drug}"].to_numpy())
            total += int(np.maximum(0, target - hospitals[f"on_hand_{drug}"].to_numpy()).sum())
        need[drug] = total
    return need


def _home_kits(homes: pd.DataFrame, rules: Rules, level: str) -> np.ndarray:
    """Antigen kits of each home's tests at ``level`` (``planner.needs.testing`` without admissions): residents'
    antigen tests and staff entry tests for ``test_cover_days`` days, and one outbreak round."""
    management = rules.care_home_management[level]
    residents, staff = homes["residents"].to_numpy(float), homes["staff"].to_numpy(float)
    share = rules.resident_antigen_share
    weekly = residents * rules.tests_per_week_residents[management] * share
    weekly += staff * rules.staff_entry_antigen_tests_per_week[management]
    outbreak = rules.outbreak_tests_per_person * (residents + staff) * share
    result: np.ndarray = weekly / 7.0 * rules.test_cover_days + outbreak
    return result


HOME_STOCK: tuple[str, ...] = ("antipyretic", "cough", "antigen_kit")
"""What the synthetic homes keep a little of on hand: their reserve drugs (000 §5) and the antigen kits of their
tests (a fixed list, so the sample stays the same when a preset changes which drugs a home reserves)."""


# --------------------------------------------------------------------------- public interface


def generate(scale: str = "city", seed: int = 7) -> dict[str, pd.DataFrame]:
    """Every table of :data:`planner.dataset.schema.TABLES` for a synthetic dataset at ``scale``.

    Parameters
    ----------
    scale
        ``"city"`` (16 Beijing districts), ``"province"`` or ``"national"`` (DESIGN §8).
    seed
        Seed of ``np.random.default_rng``; the same seed gives the same tables.

    Returns
    -------
    dict[str, pandas.DataFrame]
        One frame per table, in ``TABLES`` order, columns exactly ``TABLES[name].all_columns()``;
        ids are strings, ``travel_minutes`` and ``forecast`` are empty.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    rules = load_rules()
    size = SIZES[scale]
    rng = np.random.default_rng(seed)
    geo = build_geography(rng, scale)
    hospitals = make_hospitals(rng, geo, size, rules.hospital_drug_days)
    homes = make_care_homes(rng, geo, size, hospitals, rules.drug_reserve_per_resident, HOME_STOCK)
    clinics = make_clinics(rng, geo, size, rules.drug_reserve_per_served, rules.clinic_drugs)
    sites = make_sites(rng, geo, size)
    stations = make_stations(rng, geo, size)
    pools = make_pools(rng, geo, size, homes, rules.nursing_reserve_per_resident)
    frames = {
        "districts": geo.districts,
        "streets": geo.streets,
        "care_homes": homes,
        "clinics": clinics,
        "hospitals": hospitals,
    }
    severe = drug_need(frames, "severe", rules.preset)
    stock = {drug: round(DEPOT_STOCK_SHARE[drug] * severe[drug]) for drug in DRUGS}
    frames |= {"sites": sites, "stations": stations, "pools": pools, "depots": make_depots(rng, geo, size, stock)}
    frames["travel_minutes"] = pd.DataFrame(
        {"from_id": pd.Series(dtype=object), "to_id": pd.Series(dtype=object), "minutes": pd.Series(dtype=float)}
    )
    add_testing(frames, geo, seed)
    frames["forecast"] = empty_table("forecast")  # no forecast: the epidemic curve plans the sample
    return {name: frames[name] for name in TABLES}


def write_sample(scale: str, seed: int, out: str | Path) -> dict[str, int]:
    """Generate ``scale`` with ``seed`` and write one UTF-8 ``<table>.csv`` per table into ``out``.

    Booleans are written ``true``/``false``; nothing else is written to ``out``.
    Returns the number of rows of each table.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    for name, frame in generate(scale, seed).items():
        text = frame.copy()
        for column in text.select_dtypes(include="bool").columns:
            text[column] = np.where(text[column], "true", "false")
        text.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n")
        rows[name] = len(frame)
    return rows
