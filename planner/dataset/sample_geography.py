"""The synthetic geography of a sample: districts, streets, coordinates and road minutes.

``city`` takes the 16 real Beijing districts (:data:`BEIJING`) with their 2020 census populations around
their real centres; ``province`` and ``national`` draw synthetic districts in clusters (provinces) inside a
box. Streets are spread around each district's centre and share its population. The helpers here place the
institutions of :mod:`planner.dataset.sample_institutions` in those streets, name them, and measure road
minutes (``haversine * DETOUR / speed``). Every draw comes from the generator passed in, in a fixed order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from planner.dataset.schema import TABLES

EARTH_RADIUS_KM = 6371.0
KM_PER_DEGREE = 111.195
DETOUR = 1.3
"""Road detour factor used for the reach check (DESIGN §3, rule ``road_detour_factor``)."""


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


# --------------------------------------------------------------------------- counts and groups


def numbered_ids(prefix: str, count: int, width: int = 4) -> np.ndarray:
    """``prefix`` followed by zero-padded numbers 1..count (at least ``width`` digits)."""
    digits = max(width, len(str(count)))
    return np.char.add(prefix, np.char.zfill(np.arange(1, count + 1).astype(str), digits)).astype(object)


def apportion(total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
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


def group_starts(groups: np.ndarray, group_count: int) -> np.ndarray:
    """Index of the first item of each group in a sorted group array (``len(groups)`` when empty)."""
    return np.searchsorted(groups, np.arange(group_count), side="left")


def _rank_in_group(groups: np.ndarray) -> np.ndarray:
    """1-based position of each item within its group (``groups`` sorted)."""
    return np.arange(len(groups)) - np.searchsorted(groups, groups, side="left") + 1


def split_total(totals: np.ndarray, groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split each group's integer total over its items (``groups`` sorted) in proportion to ``weights``."""
    group_weight = np.bincount(groups, weights=weights, minlength=len(totals))
    shares = np.floor(totals[groups] * weights / group_weight[groups]).astype(np.int64)
    deficit = totals - np.bincount(groups, weights=shares, minlength=len(totals)).astype(np.int64)
    firsts = group_starts(groups, len(totals))
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
    starts = group_starts(member_groups, group_count)
    ends = np.searchsorted(member_groups, np.arange(group_count), side="right")
    before = np.concatenate(([0.0], cumulative))
    low, high = before[starts[wanted_groups]], before[ends[wanted_groups]]
    target = low + rng.random(len(wanted_groups)) * (high - low)
    picked = np.searchsorted(cumulative, target, side="right")
    return np.clip(picked, starts[wanted_groups], ends[wanted_groups] - 1)


# --------------------------------------------------------------------------- coordinates and road minutes


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


def road_minutes(
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


# --------------------------------------------------------------------------- names and tables


def synthetic_names(
    english: str, chinese: str, groups: np.ndarray, label: np.ndarray, label_zh: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic names numbered within each district: "Synthetic {english} 3 of X" / "X第3{chinese}（虚构）"."""
    number = pd.Series(_rank_in_group(groups)).astype(str)
    name = "Synthetic " + english + " " + number + " of " + pd.Series(label[groups])
    name_zh = pd.Series(label_zh[groups]) + "第" + number + chinese + "（虚构）"
    return name.to_numpy(dtype=object), name_zh.to_numpy(dtype=object)


def synthetic_kind_names(
    english: tuple[str, str],
    chinese: tuple[str, str],
    groups: np.ndarray,
    label: np.ndarray,
    label_zh: np.ndarray,
    dense: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Names whose kind depends on whether the district is dense (urban, first) or not (rural, second)."""
    urban_en, urban_zh = synthetic_names(english[0], chinese[0], groups, label, label_zh)
    rural_en, rural_zh = synthetic_names(english[1], chinese[1], groups, label, label_zh)
    urban = dense[groups]
    return np.where(urban, urban_en, rural_en), np.where(urban, urban_zh, rural_zh)


def schema_frame(table: str, columns: dict[str, object]) -> pd.DataFrame:
    """A table with exactly the schema's columns in order; drug columns not given are zero."""
    ordered: dict[str, object] = {}
    for spec in TABLES[table].all_columns():
        ordered[spec.name] = columns.get(spec.name, 0)
    return pd.DataFrame(ordered)


# --------------------------------------------------------------------------- placing institutions in streets


def place_in_streets(
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


def streets_by_district(
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


def district_counts(total: int, populations: np.ndarray) -> np.ndarray:
    """Institutions per district: proportional to population, at least one each when there are enough."""
    return apportion(total, populations.astype(float), 1 if total >= len(populations) else 0)


# --------------------------------------------------------------------------- districts and streets


def _beijing_districts(rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    dense = np.array([d.dense for d in BEIJING])
    speed = np.where(dense, rng.uniform(20.0, 25.0, len(BEIJING)), rng.uniform(35.0, 45.0, len(BEIJING)))
    frame = schema_frame(
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
    ids = numbered_ids("D", count)
    number = pd.Series(ids).str[1:]
    province_number = pd.Series(province + 1).astype(str).str.zfill(2)
    frame = schema_frame(
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


def build_geography(rng: np.random.Generator, scale: str) -> Geography:
    size = SIZES[scale]
    if scale == "city":
        districts, places = _beijing_districts(rng)
    elif scale == "province":
        districts, places = _synthetic_districts(rng, size.districts, 1, (34.0, 41.0, 111.0, 119.0), 2.2)
    else:
        districts, places = _synthetic_districts(rng, size.districts, 31, (21.0, 47.0, 82.0, 128.0), 3.0)
    populations = districts["population"].to_numpy()
    per_district = apportion(size.streets, populations.astype(float), size.streets_per_district_min)
    street_district = np.repeat(np.arange(len(districts)), per_district)
    radius = places["radius_km"][street_district]
    lat, lon, offset = _scatter(
        rng, places["spread_lat"][street_district], places["spread_lon"][street_district], radius, power=0.7
    )
    weight = rng.gamma(2.0, 1.0, len(street_district)) * (1.5 - offset / radius)
    population = split_total(populations, street_district, weight)
    name, name_zh = synthetic_kind_names(
        ("Street", "Town"),
        ("街道", "乡镇"),
        street_district,
        places["label"],
        places["label_zh"],
        districts["dense"].to_numpy(),
    )
    streets = schema_frame(
        "streets",
        {
            "street_id": numbered_ids("S", len(street_district)),
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


__all__ = [
    "BEIJING",
    "DETOUR",
    "KM_PER_DEGREE",
    "SIZES",
    "Geography",
    "RealDistrict",
    "ScaleSize",
    "apportion",
    "build_geography",
    "district_counts",
    "group_starts",
    "numbered_ids",
    "place_in_streets",
    "road_minutes",
    "schema_frame",
    "split_total",
    "streets_by_district",
    "synthetic_kind_names",
    "synthetic_names",
]
