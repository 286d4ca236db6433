"""Synthetic datasets: the Beijing-shaped sample city and the larger benchmark scales.

``generate(scale, seed)`` returns one DataFrame per table of :data:`planner.dataset.schema.TABLES`
(columns exactly ``TABLES[name].all_columns()``, ids as strings); ``write_sample`` writes them
as UTF-8 CSVs. Everything is drawn with one ``np.random.default_rng(seed)`` in a fixed order,
fully vectorised, so a seed always gives the same files.

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
- Designated hospitals: about a third of the level-3 hospitals; every district gets one
  within :data:`DESIGNATED_REACH_MINUTES` of its seat at the district's speed
  (``haversine * detour / speed``), and every street one within :data:`STREET_REACH_MINUTES`
  where a hospital that close exists (always so for the committed sample). ICU beds are 6-12 %
  of beds (designated hospitals about 11 % +- 2), so some designated hospitals fall short of
  the 10 % rule.
- Nursing pools: a district's reserve is the rule's share of its care-home residents times a
  factor drawn in [0.6, 1.4], so some districts meet the reserve and some do not.
- Depots: the stock of each drug is :data:`DEPOT_STOCK_SHARE` of the ``severe``-level need
  (computed here from the rules preset, not from ``planner.needs.needs``): at ``severe`` a few drugs
  run short overall, at ``prevalent`` most needs are met.
- ``opening_cost`` of candidate sites is in yuan (one-off cost of opening the site).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from planner.dataset.schema import DRUGS, TABLES
from planner.rules.rules import load_rules

SCALES: tuple[str, ...] = ("city", "province", "national")

EARTH_RADIUS_KM = 6371.0
KM_PER_DEGREE = 111.195
DESIGNATED_REACH_MINUTES = 60.0
"""Every district has a designated hospital this close to its seat (road minutes)."""
STREET_REACH_MINUTES = 90.0
"""Every street centre has a designated hospital this close (road minutes at its district's speed)."""
DETOUR = 1.3
"""Road detour factor used for the reach check (DESIGN §3, rule ``road_detour_factor``)."""

DEPOT_STOCK_SHARE: dict[str, float] = {
    "antipyretic": 0.95,
    "cough": 1.05,
    "antiviral": 1.10,
    "tcm": 0.90,
    "antigen_kit": 0.85,
}
"""Depot stock of each drug as a share of the district-wide need at the ``severe`` level."""

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


@dataclass(frozen=True)
class ScaleSize:
    """Rows per table at one scale (DESIGN §8) and the least number of streets per district."""

    districts: int
    streets: int
    care_homes: int
    clinics: int
    hospitals: int
    sites: int
    stations: int
    pools: int
    depots: int
    streets_per_district_min: int


SIZES: dict[str, ScaleSize] = {
    "city": ScaleSize(16, 330, 570, 350, 110, 150, 450, 50, 20, 8),
    "province": ScaleSize(100, 3_000, 6_000, 3_500, 1_000, 1_500, 2_500, 400, 150, 10),
    "national": ScaleSize(2_800, 38_000, 40_000, 35_000, 10_000, 15_000, 20_000, 3_000, 1_000, 4),
}


@dataclass(frozen=True)
class RealDistrict:
    """A Beijing district: 2020 census population, government seat and the area its streets cover.

    ``lat``/``lon`` is the approximate government seat; streets spread around
    ``spread_lat``/``spread_lon`` (the seat, or the interior of a large mountain district)
    within ``radius_km``.
    """

    code: str
    name: str
    name_zh: str
    population: int
    lat: float
    lon: float
    spread_lat: float
    spread_lon: float
    radius_km: float
    dense: bool


BEIJING: tuple[RealDistrict, ...] = (
    RealDistrict("110101", "Dongcheng", "东城区", 708_829, 39.928, 116.416, 39.928, 116.416, 3.5, True),
    RealDistrict("110102", "Xicheng", "西城区", 1_106_214, 39.912, 116.366, 39.912, 116.366, 3.5, True),
    RealDistrict("110105", "Chaoyang", "朝阳区", 3_452_460, 39.921, 116.443, 39.945, 116.485, 6.0, True),
    RealDistrict("110106", "Fengtai", "丰台区", 2_019_764, 39.858, 116.287, 39.855, 116.280, 6.0, True),
    RealDistrict("110107", "Shijingshan", "石景山区", 567_851, 39.906, 116.223, 39.910, 116.200, 4.0, True),
    RealDistrict("110108", "Haidian", "海淀区", 3_133_469, 39.960, 116.298, 39.985, 116.280, 6.0, True),
    RealDistrict("110109", "Mentougou", "门头沟区", 392_606, 39.940, 116.102, 39.960, 116.000, 18.0, False),
    RealDistrict("110111", "Fangshan", "房山区", 1_312_778, 39.736, 116.139, 39.700, 116.020, 24.0, False),
    RealDistrict("110112", "Tongzhou", "通州区", 1_840_295, 39.909, 116.657, 39.860, 116.700, 14.0, False),
    RealDistrict("110113", "Shunyi", "顺义区", 1_324_044, 40.130, 116.655, 40.130, 116.680, 16.0, False),
    RealDistrict("110114", "Changping", "昌平区", 2_269_487, 40.221, 116.231, 40.200, 116.220, 20.0, False),
    RealDistrict("110115", "Daxing", "大兴区", 1_993_591, 39.727, 116.341, 39.680, 116.400, 18.0, False),
    RealDistrict("110116", "Huairou", "怀柔区", 441_040, 40.316, 116.632, 40.450, 116.600, 30.0, False),
    RealDistrict("110117", "Pinggu", "平谷区", 457_313, 40.141, 117.121, 40.160, 117.140, 18.0, False),
    RealDistrict("110118", "Miyun", "密云区", 527_683, 40.377, 116.843, 40.450, 116.900, 32.0, False),
    RealDistrict("110119", "Yanqing", "延庆区", 345_671, 40.460, 115.970, 40.480, 116.050, 28.0, False),
)
"""The 16 Beijing districts (2020 census; administrative division codes as ids)."""


@dataclass(frozen=True)
class Geography:
    """Districts and streets with the positional data the institution generators need."""

    districts: pd.DataFrame
    seat_lat: np.ndarray
    seat_lon: np.ndarray
    radius_km: np.ndarray
    label: np.ndarray
    label_zh: np.ndarray
    streets: pd.DataFrame
    street_district: np.ndarray
    street_offset_km: np.ndarray
    """Distance of each street from its district's spread centre, km."""
    street_jitter_km: np.ndarray
    """Radius around the street centre within which its institutions lie, km."""


# --------------------------------------------------------------------------- helpers


def _ids(prefix: str, count: int, width: int = 4) -> np.ndarray:
    """``prefix`` followed by zero-padded numbers 1..count (at least ``width`` digits)."""
    digits = max(width, len(str(count)))
    return np.char.add(prefix, np.char.zfill(np.arange(1, count + 1).astype(str), digits)).astype(object)


def _apportion(total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights``, each at least ``minimum`` (largest remainder)."""
    count = len(weights)
    rest = total - minimum * count
    if rest < 0:
        raise ValueError(f"cannot give {count} groups at least {minimum} of {total}")
    quota = weights / weights.sum() * rest
    shares = np.floor(quota).astype(np.int64)
    order = np.argsort(-(quota - shares), kind="stable")
    shares[order[: rest - int(shares.sum())]] += 1
    return shares + minimum


def _group_starts(groups: np.ndarray, group_count: int) -> np.ndarray:
    """Index of the first item of each group in a sorted group array (``len(groups)`` when empty)."""
    return np.searchsorted(groups, np.arange(group_count), side="left")


def _rank_in_group(groups: np.ndarray) -> np.ndarray:
    """1-based position of each item within its group (``groups`` sorted)."""
    return np.arange(len(groups)) - np.searchsorted(groups, groups, side="left") + 1


def _split_total(totals: np.ndarray, groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split each group's integer total over its items (``groups`` sorted) in proportion to ``weights``."""
    group_weight = np.bincount(groups, weights=weights, minlength=len(totals))
    shares = np.floor(totals[groups] * weights / group_weight[groups]).astype(np.int64)
    deficit = totals - np.bincount(groups, weights=shares, minlength=len(totals)).astype(np.int64)
    firsts = _group_starts(groups, len(totals))
    has_items = firsts < len(groups)
    np.add.at(shares, firsts[has_items], deficit[has_items])
    return shares


def _choose_in_groups(
    rng: np.random.Generator, wanted_groups: np.ndarray, member_groups: np.ndarray, member_weights: np.ndarray
) -> np.ndarray:
    """For each entry of ``wanted_groups`` draw one member of that group, with probability ~ its weight.

    ``member_groups`` must be sorted; every wanted group must have a member of positive weight.
    """
    group_count = int(max(member_groups.max(), wanted_groups.max())) + 1
    cumulative = np.cumsum(member_weights)
    starts = _group_starts(member_groups, group_count)
    ends = np.searchsorted(member_groups, np.arange(group_count), side="right")
    before = np.concatenate(([0.0], cumulative))
    low, high = before[starts[wanted_groups]], before[ends[wanted_groups]]
    target = low + rng.random(len(wanted_groups)) * (high - low)
    picked = np.searchsorted(cumulative, target, side="right")
    return np.clip(picked, starts[wanted_groups], ends[wanted_groups] - 1)


def _gumbel_top_k(rng: np.random.Generator, weights: np.ndarray, count: int) -> np.ndarray:
    """``count`` distinct indices drawn without replacement with probability ~ ``weights``."""
    keys = np.log(weights) + rng.gumbel(size=len(weights))
    return np.sort(np.argpartition(-keys, count - 1)[:count])


def _offset(
    lat: np.ndarray, lon: np.ndarray, east_km: np.ndarray, north_km: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Move points by kilometres east and north (small-distance approximation)."""
    new_lat = lat + north_km / KM_PER_DEGREE
    new_lon = lon + east_km / (KM_PER_DEGREE * np.cos(np.radians(lat)))
    return np.round(new_lat, 6), np.round(new_lon, 6)


def _scatter(
    rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray, radius_km: np.ndarray, power: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points in discs around (lat, lon); ``power`` 0.5 is uniform, larger crowds the centre.

    Returns latitudes, longitudes and distances from the centres in km.
    """
    distance = radius_km * rng.random(len(lat)) ** power
    angle = rng.random(len(lat)) * 2.0 * np.pi
    new_lat, new_lon = _offset(lat, lon, distance * np.cos(angle), distance * np.sin(angle))
    return new_lat, new_lon, distance


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


def _nearest(
    from_lat: np.ndarray, from_lon: np.ndarray, to_lat: np.ndarray, to_lon: np.ndarray, k: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Great-circle km and indices of the ``k`` nearest targets of each origin (shape (n, k))."""
    tree = cKDTree(_unit_vectors(to_lat, to_lon))
    chord, index = tree.query(_unit_vectors(from_lat, from_lon), k=k)
    chord, index = np.asarray(chord).reshape(len(from_lat), k), np.asarray(index).reshape(len(from_lat), k)
    return 2.0 * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0)) * EARTH_RADIUS_KM, index


def _names(
    english: str, chinese: str, groups: np.ndarray, label: np.ndarray, label_zh: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic names numbered within each district: "Synthetic {english} 3 of X" / "X第3{chinese}（虚构）"."""
    number = pd.Series(_rank_in_group(groups)).astype(str)
    name = "Synthetic " + english + " " + number + " of " + pd.Series(label[groups])
    name_zh = pd.Series(label_zh[groups]) + "第" + number + chinese + "（虚构）"
    return name.to_numpy(dtype=object), name_zh.to_numpy(dtype=object)


def _kind_names(
    english: tuple[str, str],
    chinese: tuple[str, str],
    groups: np.ndarray,
    label: np.ndarray,
    label_zh: np.ndarray,
    dense: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Names whose kind depends on whether the district is dense (urban, first) or not (rural, second)."""
    urban_en, urban_zh = _names(english[0], chinese[0], groups, label, label_zh)
    rural_en, rural_zh = _names(english[1], chinese[1], groups, label, label_zh)
    urban = dense[groups]
    return np.where(urban, urban_en, rural_en), np.where(urban, urban_zh, rural_zh)


def _frame(table: str, columns: dict[str, object]) -> pd.DataFrame:
    """A table with exactly the schema's columns in order; drug columns not given are zero."""
    ordered: dict[str, object] = {}
    for spec in TABLES[table].all_columns():
        ordered[spec.name] = columns.get(spec.name, 0)
    return pd.DataFrame(ordered)


def _place_in_streets(
    rng: np.random.Generator, street_index: np.ndarray, geo: Geography
) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates scattered around the given streets' centres."""
    streets = geo.streets
    lat, lon, _ = _scatter(
        rng,
        streets["lat"].to_numpy()[street_index],
        streets["lon"].to_numpy()[street_index],
        geo.street_jitter_km[street_index],
    )
    return lat, lon


def _streets_by_district(
    rng: np.random.Generator, geo: Geography, counts: np.ndarray, central: float = 0.0
) -> np.ndarray:
    """Street indices (sorted by district) of ``counts[d]`` institutions in each district d.

    Streets are drawn in proportion to population times ``exp(-central * offset / radius)``.
    """
    district_of_item = np.repeat(np.arange(len(counts)), counts)
    weights = geo.streets["population"].to_numpy(dtype=float) + 1.0
    if central:
        weights = weights * np.exp(-central * geo.street_offset_km / geo.radius_km[geo.street_district])
    return _choose_in_groups(rng, district_of_item, geo.street_district, weights)


def _district_counts(total: int, populations: np.ndarray) -> np.ndarray:
    """Institutions per district: proportional to population, at least one each when there are enough."""
    return _apportion(total, populations.astype(float), 1 if total >= len(populations) else 0)


# --------------------------------------------------------------------------- districts and streets


def _beijing_districts(rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    dense = np.array([d.dense for d in BEIJING])
    speed = np.where(dense, rng.uniform(20.0, 25.0, len(BEIJING)), rng.uniform(35.0, 45.0, len(BEIJING)))
    frame = _frame(
        "districts",
        {
            "district_id": np.array([d.code for d in BEIJING], dtype=object),
            "name": np.array([d.name for d in BEIJING], dtype=object),
            "population": np.array([d.population for d in BEIJING], dtype=np.int64),
            "name_zh": np.array([d.name_zh for d in BEIJING], dtype=object),
            "dense": dense,
            "speed_kmh": np.round(speed, 1),
        },
    )
    places = {
        "seat_lat": np.array([d.lat for d in BEIJING]),
        "seat_lon": np.array([d.lon for d in BEIJING]),
        "spread_lat": np.array([d.spread_lat for d in BEIJING]),
        "spread_lon": np.array([d.spread_lon for d in BEIJING]),
        "radius_km": np.array([d.radius_km for d in BEIJING]),
        "label": frame["name"].to_numpy(dtype=object),
        "label_zh": frame["name_zh"].to_numpy(dtype=object),
    }
    return frame, places


def _synthetic_districts(
    rng: np.random.Generator, count: int, provinces: int, box: tuple[float, float, float, float], spread_deg: float
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """``count`` districts in ``provinces`` clusters inside ``box`` = (lat_min, lat_max, lon_min, lon_max)."""
    lat_min, lat_max, lon_min, lon_max = box
    province_lat = rng.uniform(lat_min + spread_deg, lat_max - spread_deg, provinces)
    province_lon = rng.uniform(lon_min + spread_deg, lon_max - spread_deg, provinces)
    province = np.sort(rng.integers(0, provinces, count))
    lat = np.round(np.clip(province_lat[province] + rng.normal(0.0, spread_deg / 2, count), lat_min, lat_max), 6)
    lon = np.round(np.clip(province_lon[province] + rng.normal(0.0, spread_deg / 2, count), lon_min, lon_max), 6)
    dense = rng.random(count) < 0.25
    population = np.round(np.clip(rng.lognormal(np.log(350_000), 0.7, count), 50_000, 4_000_000), -2)
    speed = np.where(dense, rng.uniform(20.0, 25.0, count), rng.uniform(35.0, 45.0, count))
    radius = np.where(dense, rng.uniform(4.0, 8.0, count), rng.uniform(12.0, 35.0, count))
    ids = _ids("D", count)
    number = pd.Series(ids).str[1:]
    province_number = pd.Series(province + 1).astype(str).str.zfill(2)
    frame = _frame(
        "districts",
        {
            "district_id": ids,
            "name": ("Synthetic District " + number + " of Province " + province_number).to_numpy(dtype=object),
            "population": population.astype(np.int64),
            "name_zh": ("虚构第" + province_number + "省第" + number + "区").to_numpy(dtype=object),
            "dense": dense,
            "speed_kmh": np.round(speed, 1),
        },
    )
    places = {
        "seat_lat": lat,
        "seat_lon": lon,
        "spread_lat": lat,
        "spread_lon": lon,
        "radius_km": radius,
        "label": ("District " + number).to_numpy(dtype=object),
        "label_zh": ("第" + number + "区").to_numpy(dtype=object),
    }
    return frame, places


def _geography(rng: np.random.Generator, scale: str) -> Geography:
    size = SIZES[scale]
    if scale == "city":
        districts, places = _beijing_districts(rng)
    elif scale == "province":
        districts, places = _synthetic_districts(rng, size.districts, 1, (34.0, 41.0, 111.0, 119.0), 2.2)
    else:
        districts, places = _synthetic_districts(rng, size.districts, 31, (21.0, 47.0, 82.0, 128.0), 3.0)
    populations = districts["population"].to_numpy()
    per_district = _apportion(size.streets, populations.astype(float), size.streets_per_district_min)
    street_district = np.repeat(np.arange(len(districts)), per_district)
    radius = places["radius_km"][street_district]
    lat, lon, offset = _scatter(
        rng, places["spread_lat"][street_district], places["spread_lon"][street_district], radius, power=0.7
    )
    weight = rng.gamma(2.0, 1.0, len(street_district)) * (1.5 - offset / radius)
    population = _split_total(populations, street_district, weight)
    name, name_zh = _kind_names(
        ("Street", "Town"),
        ("街道", "乡镇"),
        street_district,
        places["label"],
        places["label_zh"],
        districts["dense"].to_numpy(),
    )
    streets = _frame(
        "streets",
        {
            "street_id": _ids("S", len(street_district)),
            "district_id": districts["district_id"].to_numpy()[street_district],
            "name": name,
            "population": population,
            "lat": lat,
            "lon": lon,
            "name_zh": name_zh,
            "sampling_points": rng.choice(np.arange(2, 7), len(street_district), p=[0.1, 0.3, 0.3, 0.2, 0.1]),
        },
    )
    return Geography(
        districts=districts,
        seat_lat=places["seat_lat"],
        seat_lon=places["seat_lon"],
        radius_km=places["radius_km"],
        label=places["label"],
        label_zh=places["label_zh"],
        streets=streets,
        street_district=street_district,
        street_offset_km=offset,
        street_jitter_km=np.maximum(0.5, 0.8 * radius / np.sqrt(per_district[street_district])),
    )


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
    return order[_group_starts(district[order], len(geo.districts))]


def _road_minutes(
    from_lat: np.ndarray,
    from_lon: np.ndarray,
    speed_kmh: np.ndarray,
    to_lat: np.ndarray,
    to_lon: np.ndarray,
    k: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Road minutes (``haversine * DETOUR / speed``) to the ``k`` nearest targets and their indices, shape (n, k).

    Minutes are ``inf`` when there is no target.
    """
    if len(to_lat) == 0:
        return np.full((len(from_lat), k), np.inf), np.zeros((len(from_lat), k), dtype=np.int64)
    km, index = _nearest(from_lat, from_lon, to_lat, to_lon, k=min(k, len(to_lat)))
    return km * DETOUR / speed_kmh[:, None] * 60.0, index


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
    seat_minutes, _ = _road_minutes(geo.seat_lat, geo.seat_lon, speed, lat[designated], lon[designated])
    far_seat = (seat_minutes[:, 0] > DESIGNATED_REACH_MINUTES) & (seat_hospital >= 0)
    designated[seat_hospital[far_seat]] = True
    streets = geo.streets
    street_lat, street_lon = streets["lat"].to_numpy(), streets["lon"].to_numpy()
    street_speed = speed[geo.street_district]
    street_minutes, _ = _road_minutes(street_lat, street_lon, street_speed, lat[designated], lon[designated])
    far = street_minutes[:, 0] > STREET_REACH_MINUTES
    _, nearest_hospital = _road_minutes(street_lat[far], street_lon[far], street_speed[far], lat, lon)
    designated[nearest_hospital[:, 0]] = True
    return designated


def _hospitals(rng: np.random.Generator, geo: Geography, size: ScaleSize, hospital_drug_days: float) -> pd.DataFrame:
    """Level 2/3 hospitals; the first of each district sits at its seat; designated ones in reach of every seat."""
    counts = _district_counts(size.hospitals, geo.districts["population"].to_numpy())
    street = _streets_by_district(rng, geo, counts, central=2.0)
    district = geo.street_district[street]
    seat_hospital = np.where(counts > 0, _group_starts(district, len(counts)), -1)
    street[seat_hospital[counts > 0]] = _seat_streets(geo)[counts > 0]
    lat, lon = _place_in_streets(rng, street, geo)
    count = len(street)
    level = np.where(rng.random(count) < 0.4, 3, 2)
    designated = _ensure_designated_reach(geo, lat, lon, (level == 3) & (rng.random(count) < 1.0 / 3.0), seat_hospital)
    level[designated] = 3
    beds = np.where(level == 3, rng.integers(500, 2001, count), rng.integers(200, 801, count))
    designated_icu_share, other_icu_share = rng.normal(0.11, 0.02, count), rng.uniform(0.06, 0.12, count)
    icu_share = np.clip(np.where(designated, designated_icu_share, other_icu_share), 0.04, 0.16)
    name, name_zh = _names("Hospital", "医院", district, geo.label, geo.label_zh)
    columns: dict[str, object] = {
        "hospital_id": _ids("HP", count),
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
    return _frame("hospitals", columns)


# --------------------------------------------------------------------------- care homes and clinics


def _care_homes(
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
    lat, lon = _place_in_streets(rng, street, geo)
    residents = np.clip(np.round(rng.lognormal(np.log(65.0), 0.65, count)), 30, 400).astype(np.int64)
    disabled = np.round(residents * rng.uniform(0.18, 0.42, count)).astype(np.int64)
    staff = np.maximum(3, np.round(residents * rng.uniform(0.3, 0.6, count))).astype(np.int64)
    partition = rng.random(count) < 0.4
    new_admissions = np.where(rng.random(count) < 0.35, rng.integers(1, 6, count), 0).astype(np.int64)
    name, name_zh = _names("Care Home", "养老机构", district, geo.label, geo.label_zh)
    columns: dict[str, object] = {
        "home_id": _ids("CH", count),
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
    return _frame("care_homes", columns)


def _designations(
    rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray, speed_kmh: np.ndarray, hospitals: pd.DataFrame
) -> np.ndarray:
    """About half the homes name a designated hospital, the others ``""`` (the planner picks the nearest).

    A naming home draws one of its two nearest designated hospitals, the second only when it is
    within :data:`STREET_REACH_MINUTES`.
    """
    designated = hospitals[hospitals["designated"]]
    minutes, nearest = _road_minutes(
        lat, lon, speed_kmh, designated["lat"].to_numpy(), designated["lon"].to_numpy(), k=2
    )
    second = (rng.random(len(lat)) < 0.5) & (minutes[:, -1] <= STREET_REACH_MINUTES)
    chosen = designated["hospital_id"].to_numpy()[np.where(second, nearest[:, -1], nearest[:, 0])]
    return np.where(rng.random(len(lat)) < 0.5, chosen, "").astype(object)


def _clinics(
    rng: np.random.Generator, geo: Geography, size: ScaleSize, reserve_per_served: float, clinic_drugs: tuple[str, ...]
) -> pd.DataFrame:
    """Community / township health centres serving 20k-120k people, with part of their reserve on hand."""
    weights = geo.streets["population"].to_numpy(dtype=float) + 1.0
    street = np.sort(rng.choice(len(weights), size.clinics, p=weights / weights.sum()))
    count = len(street)
    district = geo.street_district[street]
    lat, lon = _place_in_streets(rng, street, geo)
    served = np.round(rng.uniform(20_000, 120_000, count), -2).astype(np.int64)
    name, name_zh = _kind_names(
        ("Community Health Centre", "Township Health Centre"),
        ("社区卫生服务中心", "乡镇卫生院"),
        district,
        geo.label,
        geo.label_zh,
        geo.districts["dense"].to_numpy(),
    )
    columns: dict[str, object] = {
        "clinic_id": _ids("C", count),
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
    return _frame("clinics", columns)


# --------------------------------------------------------------------------- sites, stations, pools, depots


def _sites(rng: np.random.Generator, geo: Geography, size: ScaleSize) -> pd.DataFrame:
    """Observation sites of 20-150 rooms; most streets have none or one, a few two."""
    weights = geo.streets["population"].to_numpy(dtype=float) + 1.0
    distinct = min(len(weights), round(0.85 * size.sites))
    first = _gumbel_top_k(rng, weights, distinct)
    second = rng.choice(first, size.sites - distinct, replace=False)
    street = np.sort(np.concatenate((first, second)))
    count = len(street)
    district = geo.street_district[street]
    lat, lon = _place_in_streets(rng, street, geo)
    per_status = _apportion(count, np.array(SITE_STATUS_SHARE))
    status = rng.permutation(np.repeat(np.array(["open", "candidate", "closed"], dtype=object), per_status))
    short = rng.random(count) < 0.25
    stock_days = np.where(short, rng.integers(5, 30, count), rng.integers(30, 61, count))
    name, name_zh = _names("Observation Site", "集中健康观察点", district, geo.label, geo.label_zh)
    return _frame(
        "sites",
        {
            "site_id": _ids("OS", count),
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


def _stations(rng: np.random.Generator, geo: Geography, size: ScaleSize) -> pd.DataFrame:
    """120 stations of 1-4 ambulances, each with room for up to 3 more."""
    counts = _district_counts(size.stations, geo.districts["population"].to_numpy())
    street = _streets_by_district(rng, geo, counts)
    district = geo.street_district[street]
    count = len(street)
    lat, lon = _place_in_streets(rng, street, geo)
    ambulances = rng.choice(np.arange(1, 5), count, p=[0.35, 0.35, 0.2, 0.1]).astype(np.int64)
    name, name_zh = _names("120 Station", "急救站", district, geo.label, geo.label_zh)
    return _frame(
        "stations",
        {
            "station_id": _ids("AS", count),
            "district_id": geo.districts["district_id"].to_numpy()[district],
            "name": name,
            "lat": lat,
            "lon": lon,
            "ambulances": ambulances,
            "name_zh": name_zh,
            "max_ambulances": ambulances + rng.integers(0, 4, count),
        },
    )


def _pools(
    rng: np.random.Generator, geo: Geography, size: ScaleSize, homes: pd.DataFrame, reserve_per_resident: float
) -> pd.DataFrame:
    """Nursing reserve teams; a district's nurses = rule share of its residents x a factor in [0.6, 1.4]."""
    district_count = len(geo.districts)
    counts = _district_counts(size.pools, geo.districts["population"].to_numpy())
    street = _streets_by_district(rng, geo, counts, central=1.0)
    district = geo.street_district[street]
    count = len(street)
    lat, lon = _place_in_streets(rng, street, geo)
    home_street = homes["street_id"].map(_street_position(geo)).to_numpy(dtype=np.int64)
    home_district = geo.street_district[home_street]
    residents = np.bincount(home_district, weights=homes["residents"].to_numpy(), minlength=district_count)
    factor = rng.uniform(0.6, 1.4, district_count)
    nurses = np.maximum(np.round(reserve_per_resident * residents * factor).astype(np.int64), counts)
    name, name_zh = _names("Nursing Reserve Team", "护理应急支援队", district, geo.label, geo.label_zh)
    return _frame(
        "pools",
        {
            "pool_id": _ids("NP", count),
            "district_id": geo.districts["district_id"].to_numpy()[district],
            "name": name,
            "lat": lat,
            "lon": lon,
            "nurses": _split_total(nurses, district, rng.gamma(3.0, 1.0, count)),
            "name_zh": name_zh,
        },
    )


def _street_position(geo: Geography) -> pd.Series:
    return pd.Series(np.arange(len(geo.streets)), index=geo.streets["street_id"])


def _depots(rng: np.random.Generator, geo: Geography, size: ScaleSize, stock_by_drug: dict[str, int]) -> pd.DataFrame:
    """Drug depots holding, per drug, ``stock_by_drug`` in total (split with random weights)."""
    counts = _district_counts(size.depots, geo.districts["population"].to_numpy())
    street = _streets_by_district(rng, geo, counts, central=1.0)
    district = geo.street_district[street]
    count = len(street)
    lat, lon = _place_in_streets(rng, street, geo)
    name, name_zh = _names("Drug Depot", "药品物资储备库", district, geo.label, geo.label_zh)
    columns: dict[str, object] = {
        "depot_id": _ids("DP", count),
        "district_id": geo.districts["district_id"].to_numpy()[district],
        "name": name,
        "lat": lat,
        "lon": lon,
        "name_zh": name_zh,
    }
    weights = rng.gamma(3.0, 1.0, count)
    everywhere = np.zeros(count, dtype=np.int64)
    for drug in DRUGS:
        columns[f"stock_{drug}"] = _split_total(np.array([stock_by_drug[drug]]), everywhere, weights)
    return _frame("depots", columns)


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
    clinic_rate = np.where(
        clinic_dense | (level == "severe"), rules.drug_reserve_per_served_dense, rules.drug_reserve_per_served
    )
    need: dict[str, int] = {}
    for drug in DRUGS:
        total = 0
        if drug in rules.care_home_drugs:
            target = np.ceil(rules.drug_reserve_per_resident * homes["residents"].to_numpy())
            total += int(np.maximum(0, target - homes[f"on_hand_{drug}"].to_numpy()).sum())
        if drug in rules.clinic_drugs:
            target = np.ceil(clinic_rate * clinics["service_population"].to_numpy())
            total += int(np.maximum(0, target - clinics[f"on_hand_{drug}"].to_numpy()).sum())
        target = np.ceil(rules.hospital_drug_days * hospitals[f"daily_use_{drug}"].to_numpy())
        total += int(np.maximum(0, target - hospitals[f"on_hand_{drug}"].to_numpy()).sum())
        need[drug] = total
    return need


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
        ids are strings, ``travel_minutes`` is empty.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    rules = load_rules()
    size = SIZES[scale]
    rng = np.random.default_rng(seed)
    geo = _geography(rng, scale)
    hospitals = _hospitals(rng, geo, size, rules.hospital_drug_days)
    homes = _care_homes(rng, geo, size, hospitals, rules.drug_reserve_per_resident, rules.care_home_drugs)
    clinics = _clinics(rng, geo, size, rules.drug_reserve_per_served, rules.clinic_drugs)
    sites = _sites(rng, geo, size)
    stations = _stations(rng, geo, size)
    pools = _pools(rng, geo, size, homes, rules.nursing_reserve_per_resident)
    frames = {
        "districts": geo.districts,
        "streets": geo.streets,
        "care_homes": homes,
        "clinics": clinics,
        "hospitals": hospitals,
    }
    severe = drug_need(frames, "severe", rules.preset)
    stock = {drug: round(DEPOT_STOCK_SHARE[drug] * severe[drug]) for drug in DRUGS}
    frames |= {"sites": sites, "stations": stations, "pools": pools, "depots": _depots(rng, geo, size, stock)}
    frames["travel_minutes"] = pd.DataFrame(
        {"from_id": pd.Series(dtype=object), "to_id": pd.Series(dtype=object), "minutes": pd.Series(dtype=float)}
    )
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
