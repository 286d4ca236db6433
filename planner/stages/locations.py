"""Where every entity is, and the minutes between any two: what every stage's arcs are built from.

:class:`Locations` holds one row per located entity (care homes, clinics, hospitals, sites, stations, pools,
depots) with its kind, street, district, coordinates and its district's speed, and answers the minutes of
given pairs (travel-minute rows of the dataset override the road estimate) and the k nearest or every
candidate within a limit (``planner.dataset.travel.arcs``). :meth:`Locations.arc_costs` gives the minutes of
*every* pair of two lists without listing them (:class:`GeoArcCosts`, the ``models.pricing.ArcCosts`` of the
transportation stages, which price the pairs they leave out).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from models.flow import flat_ranges, positions
from planner.dataset import travel
from planner.dataset.schema import Dataset
from planner.rules.rules import Rules

LOCATED_TABLES: tuple[tuple[str, str, str], ...] = (
    ("care_homes", "home_id", "care_home"),
    ("clinics", "clinic_id", "clinic"),
    ("hospitals", "hospital_id", "hospital"),
    ("sites", "site_id", "site"),
    ("stations", "station_id", "station"),
    ("pools", "pool_id", "pool"),
    ("depots", "depot_id", "depot"),
)
"""Tables with coordinates: (table, id column, kind). The first four sit in a street, the others in a district."""
LOCATION_COLUMNS: tuple[str, ...] = ("id", "kind", "street_id", "district_id", "lat", "lon", "speed_kmh")
EARTH_RADIUS_KM = travel.EARTH_RADIUS_KM
RADIUS_SLACK = 1e-9
CHORD_ERROR = 1e-7
"""Most a chord from a dot product of unit vectors may be off (float64: ``sqrt(2 - 2 dot)`` errs by about 1.5e-8 near
0, 0.1 m), taken off every chord :meth:`GeoArcCosts.lower_minutes` uses (0.6 m)."""
LABEL_GAP = 4.0
"""Distance between points of different labels in :meth:`ArcCostsFromLocations.near`'s search: beyond any chord
(at most 2 on the unit sphere, plus the slack), so a ball around a point holds only points of its label."""
"""Relative slack on KD-tree radii: candidates are a superset, the caller checks the exact minutes."""


def located_entities(dataset: Dataset, default_speed_kmh: float) -> pd.DataFrame:
    """Every located entity: id, kind, street_id, district_id, lat, lon, speed_kmh (its district's speed)."""
    street_district = dataset.streets.set_index("street_id")["district_id"]
    frames = []
    for table, id_col, kind in LOCATED_TABLES:
        frame = dataset.table(table)
        in_street = "street_id" in frame.columns
        street = frame["street_id"] if in_street else pd.Series("", index=frame.index)
        district = street.map(street_district) if in_street else frame["district_id"]
        frames.append(
            pd.DataFrame(
                {
                    "id": frame[id_col],
                    "kind": kind,
                    "street_id": street,
                    "district_id": district,
                    "lat": frame["lat"],
                    "lon": frame["lon"],
                }
            )
        )
    located = pd.concat(frames, ignore_index=True)
    speeds = dataset.districts.set_index("district_id")["speed_kmh"]
    located["speed_kmh"] = located["district_id"].map(speeds).fillna(default_speed_kmh).astype(float)
    located.loc[located["speed_kmh"] <= 0, "speed_kmh"] = default_speed_kmh
    return located.set_index("id", drop=False)


@dataclass(frozen=True)
class Locations:
    """The located entities of a dataset with the travel rules (detour factor, overrides) to measure them."""

    table: pd.DataFrame
    """One row per entity, indexed by id (:data:`LOCATION_COLUMNS`)."""
    detour: float
    overrides: pd.DataFrame | None

    @classmethod
    def of(cls, dataset: Dataset, rules: Rules) -> Locations:
        """The locations of ``dataset`` under ``rules`` (default speed, detour factor)."""
        return cls(located_entities(dataset, rules.default_speed_kmh), rules.road_detour_factor, dataset.travel_minutes)

    def points(self, ids: pd.Series | list[str]) -> pd.DataFrame:
        """The rows for ``ids`` in that order: id, lat, lon, speed_kmh, district_id."""
        return self.table.loc[list(ids), ["id", "lat", "lon", "speed_kmh", "district_id"]].reset_index(drop=True)

    def pair_minutes(self, from_ids: pd.Series, to_ids: pd.Series) -> np.ndarray:
        """Minutes from each ``from_ids[i]`` to ``to_ids[i]`` (origin's speed; travel_minutes rows override)."""
        origins, destinations = self._rows(from_ids), self._rows(to_ids)
        lat, lon = self.table["lat"].to_numpy(float), self.table["lon"].to_numpy(float)
        return travel.pair_minutes(
            from_ids.to_numpy(),
            lat[origins],
            lon[origins],
            to_ids.to_numpy(),
            lat[destinations],
            lon[destinations],
            self.table["speed_kmh"].to_numpy(float)[origins],
            detour=self.detour,
            overrides=self.overrides,
        )

    def _rows(self, ids: pd.Series) -> np.ndarray:
        """Positions of ``ids`` in the table, without a frame of their rows (a nation's 1.29 million nursing pairs:
        two frames of every column, 0.3 GB); ``KeyError`` naming the ids it does not hold, as ``.loc`` would."""
        found = positions(ids, self.table.index)
        if (found < 0).any():
            raise KeyError(f"{sorted(set(ids[found < 0].astype(str)))[:10]} not in index")
        return found

    def arcs(
        self,
        from_ids: pd.Series,
        to_ids: pd.Series,
        *,
        max_minutes: float | None = None,
        k: int | None = None,
        what: str = "origins -> destinations",
    ) -> pd.DataFrame:
        """Arcs ``from_id, to_id, minutes`` from each origin to its k nearest / every destination within a limit
        (``what``: the pairs in words, should there be too many, ``planner.dataset.limits.PlanTooLargeError``)."""
        return self.arcs_from(self.points(from_ids), to_ids, max_minutes=max_minutes, k=k, what=what)

    def arcs_from(
        self,
        origins: pd.DataFrame,
        to_ids: pd.Series,
        *,
        max_minutes: float | None = None,
        k: int | None = None,
        what: str = "origins -> destinations",
    ) -> pd.DataFrame:
        """Like :meth:`arcs` from points that are not entities of the dataset (``id, lat, lon, speed_kmh``), such
        as the street centres inbound arrivals leave from."""
        return travel.arcs(
            origins,
            self.points(to_ids),
            detour=self.detour,
            max_minutes=max_minutes,
            k=k,
            overrides=self.overrides,
            what=what,
        )

    def arc_costs(self, from_ids: pd.Series, to_ids: pd.Series) -> GeoArcCosts:
        """The minutes of every ``from -> to`` pair, priced on demand (:class:`GeoArcCosts`).

        Ids are positions ``0 .. n-1`` in the order given (each listed once); minutes are those of
        :meth:`pair_minutes` (the origin's speed, travel-minute rows override).
        """
        origins, destinations = self.points(from_ids), self.points(to_ids)
        overrides = np.zeros((0, 3))
        if self.overrides is not None and len(self.overrides):
            table = self.overrides.drop_duplicates(["from_id", "to_id"], keep="last")
            origin = pd.Index(origins["id"].astype(str)).get_indexer(pd.Index(table["from_id"].astype(str)))
            destination = pd.Index(destinations["id"].astype(str)).get_indexer(pd.Index(table["to_id"].astype(str)))
            known = (origin >= 0) & (destination >= 0)
            overrides = np.column_stack([origin[known], destination[known], table["minutes"].to_numpy(float)[known]])
        return GeoArcCosts(
            origins["lat"].to_numpy(float),
            origins["lon"].to_numpy(float),
            origins["speed_kmh"].to_numpy(float),
            destinations["lat"].to_numpy(float),
            destinations["lon"].to_numpy(float),
            self.detour,
            overrides,
        )


def matching_ranges(sorted_values: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each key, the first position of its run in ``sorted_values`` and the run's length (0 when absent)."""
    first = np.searchsorted(sorted_values, keys, side="left")
    return first, np.searchsorted(sorted_values, keys, side="right") - first


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, shape ``(n, 3)``: chord length grows with great-circle distance."""
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


@dataclass(frozen=True)
class GeoArcCosts:
    """Minutes from every origin to every destination (``models.pricing.ArcCosts``), never all at once.

    ``minutes(o, d) = haversine_km * detour / speed_kmh(o) * 60`` (``planner.dataset.travel.geo_minutes``), except
    the pairs of ``overrides`` (rows origin, destination, minutes). :meth:`near` finds candidates with a KD-tree
    on the destinations' unit vectors: the radius in minutes is a great-circle radius at the origin's speed, and
    every overridden pair within the radius is added, so no pair within it is missed.
    """

    origin_lat: np.ndarray
    origin_lon: np.ndarray
    origin_speed: np.ndarray
    destination_lat: np.ndarray
    destination_lon: np.ndarray
    detour: float
    overrides: np.ndarray
    destination_xyz: np.ndarray = field(init=False, repr=False)
    origin_xyz: np.ndarray = field(init=False, repr=False)
    override_keys: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "destination_xyz", unit_vectors(self.destination_lat, self.destination_lon))
        object.__setattr__(self, "origin_xyz", unit_vectors(self.origin_lat, self.origin_lon))
        keys = self.overrides[:, 0].astype(np.int64) * self.num_demands + self.overrides[:, 1].astype(np.int64)
        order = np.argsort(keys, kind="stable")
        object.__setattr__(self, "override_keys", keys[order])
        object.__setattr__(self, "overrides", self.overrides[order])

    @property
    def num_suppliers(self) -> int:
        return int(self.origin_lat.size)

    @property
    def num_demands(self) -> int:
        return int(self.destination_lat.size)

    def minutes(self, supplier: np.ndarray, demand: np.ndarray) -> np.ndarray:
        """Minutes of the pairs ``(supplier[k], demand[k])``."""
        minutes = np.asarray(
            travel.geo_minutes(
                self.origin_lat[supplier],
                self.origin_lon[supplier],
                self.origin_speed[supplier],
                self.destination_lat[demand],
                self.destination_lon[demand],
                detour=self.detour,
            ),
            dtype=np.float64,
        ).reshape(-1)
        if self.override_keys.size and minutes.size:
            keys = np.asarray(supplier, np.int64) * self.num_demands + np.asarray(demand, np.int64)
            position = np.minimum(np.searchsorted(self.override_keys, keys), self.override_keys.size - 1)
            hit = self.override_keys[position] == keys
            minutes[hit] = self.overrides[position[hit], 2]
        return minutes

    def near(
        self,
        supplier: np.ndarray,
        radius: np.ndarray,
        demand: np.ndarray,
        supplier_label: np.ndarray | None = None,
        demand_label: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every pair of ``supplier`` x ``demand`` within the supplier's radius in minutes (perhaps a few more);
        with labels, every such pair whose labels are equal (one search: the label is a fourth coordinate, labels
        :data:`LABEL_GAP` apart)."""
        supplier, demand = np.asarray(supplier, np.int64), np.asarray(demand, np.int64)
        radius = np.asarray(radius, dtype=np.float64)
        usable = radius >= 0
        km = np.maximum(radius, 0.0) * self.origin_speed[supplier] / 60.0 / self.detour
        angle = np.minimum(km / EARTH_RADIUS_KM, np.pi)
        chord = 2.0 * np.sin(angle / 2.0) * (1.0 + RADIUS_SLACK) + RADIUS_SLACK
        chord = np.where(usable, chord, -1.0)
        points, queries = self.destination_xyz[demand], self.origin_xyz[supplier]
        if supplier_label is not None and demand_label is not None:
            points = np.column_stack([points, LABEL_GAP * np.asarray(demand_label, np.float64)])
            queries = np.column_stack([queries, LABEL_GAP * np.asarray(supplier_label, np.float64)])
        tree = cKDTree(points)
        counts = tree.query_ball_point(queries, r=np.maximum(chord, 0.0), return_length=True)
        counts = np.where(usable, counts, 0)
        found: list[Any] = tree.query_ball_point(queries[counts > 0], r=chord[counts > 0])
        lengths = np.fromiter((len(hits) for hits in found), dtype=np.int64, count=len(found))
        pair_demand = demand[np.fromiter(chain.from_iterable(found), dtype=np.int64, count=int(lengths.sum()))]
        pair_supplier = np.repeat(supplier[counts > 0], lengths)
        if self.override_keys.size:
            extra_supplier, extra_demand = self.overridden_within(supplier, radius, demand)
            pair_supplier = np.concatenate([pair_supplier, extra_supplier])
            pair_demand = np.concatenate([pair_demand, extra_demand])
        return pair_supplier, pair_demand

    def lower_minutes(self, supplier: np.ndarray, demand: np.ndarray) -> np.ndarray:
        """A ``len(supplier) x len(demand)`` block of minutes, none above its pair's: the great-circle distance is at
        least the chord (``2 R asin(c / 2) >= R c``), taken less :data:`CHORD_ERROR`; overridden pairs at their given
        minutes. Arithmetic in place (a block of 2 million pairs is 16 MB)."""
        supplier, demand = np.asarray(supplier, np.int64), np.asarray(demand, np.int64)
        block = self.origin_xyz[supplier] @ self.destination_xyz[demand].T
        np.multiply(block, -2.0, out=block)
        block += 2.0
        np.maximum(block, 0.0, out=block)
        np.sqrt(block, out=block)
        block -= CHORD_ERROR
        np.maximum(block, 0.0, out=block)
        block *= (EARTH_RADIUS_KM * self.detour * 60.0 / self.origin_speed[supplier])[:, None]
        if self.override_keys.size and block.size:
            row, column, minutes = self.overridden_in_block(supplier, demand)
            block[row, column] = np.inf
            np.minimum.at(block, (row, column), minutes)
        return block

    def overridden_in_block(
        self, supplier: np.ndarray, demand: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows and columns of every overridden pair in the block ``supplier x demand`` (a location listed twice
        gives a pair in each of its rows or columns), and their minutes. The overrides are sorted by origin, so each
        row's are one run found by two binary searches (not a pass over every override a block: 190,000 overrides
        cost a national drug class's pricing 3.4 s)."""
        override, count = self.overrides_from(supplier)
        row = np.repeat(np.arange(supplier.size), count)
        column_order = np.argsort(demand, kind="stable")
        columns, column_count = matching_ranges(demand[column_order], self.overrides[override, 1].astype(np.int64))
        column = column_order[flat_ranges(columns, column_count)]
        return np.repeat(row, column_count), column, self.overrides[np.repeat(override, column_count), 2]

    def overrides_from(self, supplier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows of ``overrides`` whose origin is each of ``supplier``, in that order, and how many each has: the
        overrides are sorted by origin, so each origin's are one run found by two binary searches."""
        stride = max(self.num_demands, 1)
        first = np.searchsorted(self.override_keys, supplier * stride)
        count = np.searchsorted(self.override_keys, (supplier + 1) * stride) - first
        return flat_ranges(first, count), count

    def overridden_within(
        self, supplier: np.ndarray, radius: np.ndarray, demand: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The overridden pairs of ``supplier`` x ``demand`` whose given minutes are within the supplier's radius
        (each supplier's overrides are one run of the sorted keys: no pass over every override a search)."""
        override, count = self.overrides_from(supplier)
        override = override[self.overrides[override, 2] <= np.repeat(radius, count)]
        destination = self.overrides[override, 1].astype(np.int64)
        inside = np.isin(destination, demand)
        return self.overrides[override[inside], 0].astype(np.int64), destination[inside]

    def nearest(self, demand: np.ndarray, supplier: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """For each destination, its ``k`` geometrically nearest origins among ``supplier``."""
        demand, supplier = np.asarray(demand, np.int64), np.asarray(supplier, np.int64)
        take = min(int(k), supplier.size)
        if take == 0 or demand.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        _, found = cKDTree(self.origin_xyz[supplier]).query(self.destination_xyz[demand], k=take)
        found = np.asarray(found, dtype=np.int64).reshape(demand.size, take)
        return supplier[found].ravel(), np.repeat(demand, take)

    def nearest_demands(self, supplier: np.ndarray, demand: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """For each origin, its ``k`` geometrically nearest destinations among ``demand``, nearest first."""
        demand, supplier = np.asarray(demand, np.int64), np.asarray(supplier, np.int64)
        take = min(int(k), demand.size)
        if take == 0 or supplier.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        _, found = cKDTree(self.destination_xyz[demand]).query(self.origin_xyz[supplier], k=take)
        found = np.asarray(found, dtype=np.int64).reshape(supplier.size, take)
        return np.repeat(supplier, take), demand[found].ravel()

    def max_minutes(self) -> float:
        """An upper bound on every pair's minutes: chord to the destinations' centre plus their spread."""
        if self.num_suppliers == 0 or self.num_demands == 0:
            return float(self.overrides[:, 2].max(initial=0.0))
        centre = self.destination_xyz.mean(axis=0)
        spread = float(np.linalg.norm(self.destination_xyz - centre, axis=1).max())
        chord = np.minimum(np.linalg.norm(self.origin_xyz - centre, axis=1) + spread, 2.0)
        km = 2.0 * np.arcsin(chord / 2.0) * EARTH_RADIUS_KM
        geo = float((km * self.detour / self.origin_speed * 60.0).max())
        return max(geo * (1.0 + 1e-9), float(self.overrides[:, 2].max(initial=0.0)))
