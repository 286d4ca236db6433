"""Where every entity is, and the minutes between any two: what every stage's arcs are built from.

:class:`Locations` holds one row per located entity (care homes, clinics, hospitals, sites, stations, pools,
depots) with its kind, street, district, coordinates and its district's speed, and answers the minutes of
given pairs (travel-minute rows of the dataset override the road estimate) and the k nearest or every
candidate within a limit (``planner.dataset.travel.arcs``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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
        origins = self.table.loc[from_ids.to_numpy()]
        destinations = self.table.loc[to_ids.to_numpy()]
        return travel.pair_minutes(
            from_ids.to_numpy(),
            origins["lat"].to_numpy(),
            origins["lon"].to_numpy(),
            to_ids.to_numpy(),
            destinations["lat"].to_numpy(),
            destinations["lon"].to_numpy(),
            origins["speed_kmh"].to_numpy(),
            detour=self.detour,
            overrides=self.overrides,
        )

    def arcs(
        self, from_ids: pd.Series, to_ids: pd.Series, *, max_minutes: float | None = None, k: int | None = None
    ) -> pd.DataFrame:
        """Arcs ``from_id, to_id, minutes`` from each origin to its k nearest / every destination within a limit."""
        return travel.arcs(
            self.points(from_ids),
            self.points(to_ids),
            detour=self.detour,
            max_minutes=max_minutes,
            k=k,
            overrides=self.overrides,
        )

    def arcs_from(
        self, origins: pd.DataFrame, to_ids: pd.Series, *, max_minutes: float | None = None, k: int | None = None
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
        )
