"""The ambulance model's data: the stage's input tables prepared once, then sliced into each district's model.

Input preparation is vectorised over every district at once (stations with their fleet and caps, arcs within a
home's own district with scaled load and cost); :func:`build_districts` then cuts one :class:`DistrictModelData`
per district with a station, in positional indices. Units and data as in :mod:`models.ambulance`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

MINUTES_PER_DAY = 24 * 60
TRANSFER_SCALE = 1000
"""Daily transfers are counted in thousandths inside CP-SAT (integer coefficients)."""
LIMIT_TOLERANCE = 1e-9
"""Minutes: a trip equal to the limit up to float noise is within it."""

HOME_COLUMNS = ("home_id", "district_id", "hospital_id", "daily_transfers")
STATION_COLUMNS = ("station_id", "district_id", "ambulances")
ARC_COLUMNS = ("station_id", "home_id", "trip_minutes", "round_trip_minutes")
FLEET_COLUMNS = ("district_id", "ambulances_after")


class Columns:
    """A small table of equal-length numpy columns: ``table["load"]`` is the array itself.

    A district's model reads its columns dozens of times; at the national sample's 2,800 districts a DataFrame's
    item access and construction cost more than the work (ambulance stage 5.8 s, of which 4 s in pandas).
    """

    __slots__ = ("_columns", "_rows")

    def __init__(self, columns: Mapping[str, npt.ArrayLike]) -> None:
        arrays = {str(name): np.asarray(values) for name, values in columns.items()}
        lengths = {len(values) for values in arrays.values()}
        if len(lengths) > 1:
            raise ValueError(f"Expected columns of one length, got lengths {sorted(lengths)}.")
        self._columns = arrays
        self._rows = lengths.pop() if lengths else 0

    @classmethod
    def of(cls, table: Columns | pd.DataFrame | Mapping[str, npt.ArrayLike]) -> Columns:
        """``table`` as columns (a DataFrame's columns as their numpy arrays)."""
        if isinstance(table, Columns):
            return table
        if isinstance(table, pd.DataFrame):
            return cls({str(name): table[name].to_numpy() for name in table.columns})
        return cls(table)

    def __getitem__(self, name: str) -> np.ndarray:
        return self._columns[name]

    def __len__(self) -> int:
        return self._rows

    @property
    def index(self) -> pd.RangeIndex:
        """Row positions ``0 .. len - 1`` (what a variable series is indexed by)."""
        return pd.RangeIndex(self._rows)

    def assign(self, **columns: npt.ArrayLike) -> Columns:
        """A copy with ``columns`` added or replaced."""
        return Columns({**self._columns, **columns})

    def to_dict(self, orient: str = "list") -> dict[str, list[Any]]:
        """Each column as a list (as ``DataFrame.to_dict("list")``)."""
        if orient != "list":
            raise ValueError(f"Expected orient 'list', got {orient!r}.")
        return {name: values.tolist() for name, values in self._columns.items()}


@dataclass(frozen=True)
class DistrictModelData:
    """One district's model, positional indices throughout.

    ``stations``: global_station, before, max_after; ``homes``: global_home, transfers_milli, nearest_cost,
    cheapest_arc; ``arcs``: global_arc, home_pos, station_pos, load, cost (all int64; ``global_*`` are rows of the
    stage tables; a home's arcs are contiguous and sorted by trip, so ``cheapest_arc`` is its first). Tables may be
    given as DataFrames; they are kept as :class:`Columns`.
    """

    district_id: Any
    stations: Columns
    stationed: int
    homes: Columns
    arcs: Columns
    capacity_per_ambulance: int

    def __post_init__(self) -> None:
        for name in ("stations", "homes", "arcs"):
            object.__setattr__(self, name, Columns.of(getattr(self, name)))


# --------------------------------------------------------------------------------------------------------------------
# Input preparation (vectorised over every district at once)
# --------------------------------------------------------------------------------------------------------------------


def require_columns(table: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    """Raise ``ValueError`` naming the missing columns of an input table (a programming error, not infeasibility)."""
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise ValueError(f"solve_ambulance: table {name!r} lacks column(s) {missing}.")


def prepare_stations(stations: pd.DataFrame, fleet: pd.DataFrame) -> pd.DataFrame:
    """Stations with ``before``, ``cap`` (float, inf = none), ``fleet_after`` of their district and ``max_after``."""
    table = stations.reset_index(drop=True).copy()
    table["before"] = pd.to_numeric(table["ambulances"]).fillna(0).astype(np.int64)
    caps = table["max_ambulances"] if "max_ambulances" in table.columns else pd.Series(np.nan, index=table.index)
    caps = pd.to_numeric(caps).astype("Float64")
    table["max_ambulances"] = caps.round().astype("Int64")
    table["cap"] = caps.fillna(np.inf).astype(float)
    fleet_by_district = district_fleet(table, fleet)
    table["fleet_after"] = table["district_id"].map(fleet_by_district).astype(np.int64)
    table["max_after"] = np.minimum(table["cap"], table["fleet_after"]).astype(np.int64)
    return table


def district_fleet(stations: pd.DataFrame, fleet: pd.DataFrame) -> pd.Series:
    """Fleet after the plan per district; a district missing from ``fleet`` keeps today's total."""
    today = stations.groupby("district_id", sort=False)["before"].sum()
    given = fleet.drop_duplicates("district_id").set_index("district_id")["ambulances_after"]
    given = pd.to_numeric(given).fillna(0).round().astype(np.int64)
    return pd.concat([given, today[~today.index.isin(given.index)]])


def prepare_arcs(
    homes: pd.DataFrame, stations: pd.DataFrame, arcs: pd.DataFrame, limit: float, capacity_per_ambulance: int
) -> pd.DataFrame:
    """Arcs within a home's own district (one per pair, the shortest), with scaled load and cost.

    Columns added: home_pos, station_pos, district_id, daily_transfers, in_limit, load, cost, usable (in the limit
    and the load fits the most ambulances the station can get).
    """
    table = arcs[list(ARC_COLUMNS)].copy()
    home_pos = pd.Series(np.arange(len(homes)), index=homes["home_id"])
    station_pos = pd.Series(np.arange(len(stations)), index=stations["station_id"])
    table["home_pos"] = table["home_id"].map(home_pos)
    table["station_pos"] = table["station_id"].map(station_pos)
    table = table.dropna(subset=["home_pos", "station_pos", "trip_minutes", "round_trip_minutes"])
    table = table.astype({"home_pos": np.int64, "station_pos": np.int64})
    table["district_id"] = homes["district_id"].to_numpy()[table["home_pos"].to_numpy()]
    same_district = stations["district_id"].to_numpy()[table["station_pos"].to_numpy()] == table["district_id"]
    table = table[same_district.to_numpy()]
    table = table.sort_values(["home_pos", "trip_minutes", "station_id"], kind="stable")
    table = table.drop_duplicates(["home_pos", "station_pos"]).reset_index(drop=True)

    transfers = homes["daily_transfers"].to_numpy()[table["home_pos"].to_numpy()]
    round_trip = table["round_trip_minutes"].to_numpy(dtype=float)
    table["daily_transfers"] = transfers
    table["in_limit"] = table["trip_minutes"].to_numpy(dtype=float) <= limit + LIMIT_TOLERANCE
    table["load"] = np.ceil(TRANSFER_SCALE * transfers * round_trip - 1e-6).astype(np.int64)
    table["cost"] = np.rint(TRANSFER_SCALE * transfers * table["trip_minutes"].to_numpy(dtype=float)).astype(np.int64)
    most_time = capacity_per_ambulance * stations["max_after"].to_numpy()[table["station_pos"].to_numpy()]
    table["usable"] = table["in_limit"] & (table["load"] <= most_time)
    return table


def first_arc_per_home(arcs: pd.DataFrame, mask: pd.Series | np.ndarray, homes: int) -> np.ndarray:
    """Per home, the row of its nearest arc among ``mask`` (arcs are sorted by home, trip, station); -1 if none."""
    rows = np.flatnonzero(np.asarray(mask))
    first = np.full(homes, -1, dtype=np.int64)
    home_pos = arcs["home_pos"].to_numpy()[rows]
    # Reverse assignment: the first row of each home wins.
    first[home_pos[::-1]] = rows[::-1]
    return first


# --------------------------------------------------------------------------------------------------------------------
# Per-district model data
# --------------------------------------------------------------------------------------------------------------------


def district_order(homes: pd.DataFrame, stations: pd.DataFrame, fleet: pd.DataFrame) -> list[Any]:
    """Every district with a station, a home or a fleet row, in order of first appearance."""
    ids = pd.concat([stations["district_id"], homes["district_id"], fleet["district_id"]], ignore_index=True)
    return ids.drop_duplicates().tolist()


def build_districts(
    districts: list[Any],
    homes: pd.DataFrame,
    stations: pd.DataFrame,
    arcs: pd.DataFrame,
    model_home: np.ndarray,
    nearest_arc: np.ndarray,
    capacity_per_ambulance: int,
) -> list[DistrictModelData]:
    """The district models that have at least one station (others have nothing to decide)."""
    arc_home = arcs["home_pos"].to_numpy()
    model_arc_rows = np.flatnonzero(arcs["usable"].to_numpy() & model_home[arc_home])
    model_home_rows = np.flatnonzero(model_home)
    station_groups = stations.groupby("district_id", sort=False).indices
    home_groups = homes.iloc[model_home_rows].groupby("district_id", sort=False).indices
    arc_groups = arcs.iloc[model_arc_rows].groupby("district_id", sort=False).indices
    columns = {
        "home_pos": arc_home,
        "station_pos": arcs["station_pos"].to_numpy(),
        "load": arcs["load"].to_numpy(),
        "cost": arcs["cost"].to_numpy(),
        "transfers": homes["daily_transfers"].to_numpy(),
        "nearest_cost": np.where(nearest_arc >= 0, arcs["cost"].to_numpy()[np.maximum(nearest_arc, 0)], 0),
    }
    none = np.array([], dtype=np.int64)
    return [
        district_model_data(
            district_id,
            np.asarray(station_groups[district_id]),
            model_home_rows[home_groups.get(district_id, none)],
            model_arc_rows[arc_groups.get(district_id, none)],
            stations,
            columns,
            capacity_per_ambulance,
        )
        for district_id in districts
        if district_id in station_groups
    ]


def district_model_data(
    district_id: Any,
    station_rows: np.ndarray,
    home_rows: np.ndarray,
    arc_rows: np.ndarray,
    stations: pd.DataFrame,
    columns: dict[str, np.ndarray],
    capacity_per_ambulance: int,
) -> DistrictModelData:
    """Slice one district's model out of the prepared tables (sorted global rows -> local positions).

    ``columns`` holds the prepared arrays: arc home_pos, station_pos, load, cost; home transfers, nearest_cost.
    """
    arc_home = np.searchsorted(home_rows, columns["home_pos"][arc_rows])
    model_arcs = Columns(
        {
            "global_arc": arc_rows,
            "home_pos": arc_home,
            "station_pos": np.searchsorted(station_rows, columns["station_pos"][arc_rows]),
            "load": columns["load"][arc_rows],
            "cost": columns["cost"][arc_rows],
        }
    )
    model_homes = Columns(
        {
            "global_home": home_rows,
            "transfers_milli": np.maximum(1, np.rint(TRANSFER_SCALE * columns["transfers"][home_rows])).astype(
                np.int64
            ),
            "nearest_cost": columns["nearest_cost"][home_rows],
            "cheapest_arc": np.searchsorted(arc_home, np.arange(len(home_rows))),  # arcs of a home sorted by trip
        }
    )
    model_stations = Columns(
        {
            "global_station": station_rows,
            "before": stations["before"].to_numpy()[station_rows],
            "max_after": stations["max_after"].to_numpy()[station_rows],
        }
    )
    fleet_after = int(stations["fleet_after"].to_numpy()[station_rows[0]]) if len(station_rows) else 0
    stationed = min(fleet_after, int(model_stations["max_after"].sum()))
    return DistrictModelData(district_id, model_stations, stationed, model_homes, model_arcs, capacity_per_ambulance)
