"""Checks across tables of a converted dataset: shared ids, totals, repeated travel pairs, places far away.

These run after every table is converted (:mod:`planner.dataset.validation`) and see the tables as
:class:`ConvertedTable`\\ s:

- **ids shared by two places** (errors): care homes, clinics, hospitals, sites, stations, pools, depots, labs and
  sampling sites are keyed by their id wherever places meet (travel minutes, every stage's arcs, the plan's
  tables), so an id names one place only; both places are named.
- **totals** (errors): a column whose sum over all rows has a limit (the depots' stock of one drug class).
- **repeated travel pairs** (warnings): the last row of a pair is used; each earlier row says so.
- **places far from their street or district** (warnings): a care home, clinic, hospital or site more than
  :data:`FAR_KM` from its street's point, a station, pool or depot more than :data:`FAR_KM` outside the area
  of its district's streets: a wrong ``street_id`` or swapped coordinates plan a place in the wrong district
  without a word otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner.dataset.problems import Problem, report_bad_rows
from planner.dataset.schema import INBOUND_PREFIX, TableSpec
from planner.dataset.travel import haversine_km

FAR_KM = 30.0
"""A place this far from its street's point (or outside its district's streets) is reported."""
LOCATED_TABLES: tuple[str, ...] = (
    "care_homes",
    "clinics",
    "hospitals",
    "sites",
    "stations",
    "pools",
    "depots",
    "labs",
    "sampling_sites",
)
"""Tables whose ids share one namespace (every place with coordinates)."""
IN_STREET: tuple[str, ...] = ("care_homes", "clinics", "hospitals", "sites", "sampling_sites")
IN_DISTRICT: tuple[str, ...] = ("stations", "pools", "depots", "labs")


@dataclass
class ConvertedTable:
    """A converted table: typed values and validity by column, and the spreadsheet row of each entry."""

    spec: TableSpec
    file: str
    rows: np.ndarray
    values: dict[str, Any]
    valid: dict[str, np.ndarray]
    present: frozenset[str]

    def ids(self, column: str | None = None, where: str | None = None) -> pd.Index:
        """The usable values of ``column`` (the id column by default), restricted to rows where ``where`` is true."""
        column = column or self.spec.id_column
        if column is None or column not in self.present:
            return pd.Index([], dtype=object)
        usable = self.valid[column] & (self.values[column] != "")
        if where is not None:
            usable &= self.valid[where] & self.values[where].astype(bool)
        return pd.Index(self.values[column][usable], dtype=object).unique()

    def both_valid(self, *columns: str) -> np.ndarray:
        """Rows where every one of ``columns`` is present and usable."""
        mask = np.ones(len(self.rows), dtype=bool)
        for column in columns:
            mask &= self.valid[column] if column in self.present else False
        return mask


# --------------------------------------------------------------------------- ids


def _shared_id(column: str, values: np.ndarray, clash: pd.DataFrame) -> Callable[[int], str]:
    """The message for row ``i`` of a table whose id is also the id of the place in ``clash`` row ``i``."""

    def describe(i: int) -> str:
        return (
            f"{column} '{values[i]}' is also the {clash['column'].iloc[i]} of {clash['file'].iloc[i]} "
            f"row {int(clash['row'].iloc[i])}: an id names one place only (care homes, clinics, hospitals, "
            "sites, stations, pools, depots, labs and sampling sites share one set of ids)"
        )

    return describe


def _place_ids(tables: dict[str, ConvertedTable]) -> Iterator[tuple[ConvertedTable, str]]:
    """Each located table present with its id column, in :data:`LOCATED_TABLES` order."""
    for name in LOCATED_TABLES:
        table = tables.get(name)
        column = table.spec.id_column if table is not None else None
        if table is not None and column is not None and column in table.present:
            yield table, column


def check_shared_ids(tables: dict[str, ConvertedTable], problems: list[Problem]) -> None:
    """An id used by two located tables is an error on the later one, naming the first place."""
    first: pd.DataFrame | None = None
    for table, column in _place_ids(tables):
        usable = table.valid[column] & (table.values[column] != "")
        ids = pd.Index(table.values[column], dtype=object)
        here = pd.DataFrame({"id": ids[usable], "row": table.rows[usable]}).drop_duplicates("id")
        if first is not None and len(here):
            clash = first.set_index("id").reindex(ids)
            shared = usable & clash["row"].notna().to_numpy()
            values = table.values[column]
            report_bad_rows(problems, table.file, column, shared, table.rows, _shared_id(column, values, clash))
        here = here.assign(file=table.file, column=column)
        first = here if first is None else pd.concat([first, here[~here["id"].isin(first["id"])]], ignore_index=True)


def check_reserved_ids(tables: dict[str, ConvertedTable], problems: list[Problem]) -> None:
    """A place id starting with :data:`~planner.dataset.schema.INBOUND_PREFIX` is an error: epiplan names a street's
    inbound arrivals so, and would take the place for them."""
    for table, column in _place_ids(tables):
        values = table.values[column]
        prefixed = pd.Series(values, dtype=object).astype(str).str.startswith(INBOUND_PREFIX).to_numpy(dtype=bool)
        report_bad_rows(
            problems, table.file, column, table.valid[column] & prefixed, table.rows, _reserved_id(column, values)
        )


def _reserved_id(column: str, values: np.ndarray) -> Callable[[int], str]:
    def describe(i: int) -> str:
        return (
            f"{column} '{values[i]}' starts with '{INBOUND_PREFIX}', which epiplan keeps for the inbound arrivals "
            "of a street: give the place another id"
        )

    return describe


# --------------------------------------------------------------------------- totals


def check_totals(tables: dict[str, ConvertedTable], problems: list[Problem]) -> None:
    """Columns whose sum over all rows is above its limit (``TableSpec.totals``)."""
    for table in tables.values():
        if not table.spec.totals:
            continue
        for column in table.spec.all_columns():
            limit = table.spec.total_limit(column.name)
            if limit is None or column.name not in table.present:
                continue
            total = float(np.sum(np.where(table.valid[column.name], table.values[column.name], 0)))
            if total > limit:
                message = f"{column.name}: {total:,.0f} in all rows, above the limit {limit:,.0f} for the whole table"
                problems.append(Problem(table.file, None, column.name, message))


# --------------------------------------------------------------------------- travel rows


def check_travel_pairs(travel: ConvertedTable, problems: list[Problem]) -> None:
    """A pair given on several rows: the last row is used; each earlier row is a warning saying so."""
    usable = travel.both_valid("from_id", "to_id", "minutes")
    if usable.sum() < 2:
        return
    pairs = pd.DataFrame(
        {"from": travel.values["from_id"], "to": travel.values["to_id"], "minutes": travel.values["minutes"]}
    )
    pairs["row"] = travel.rows
    pairs = pairs[usable]
    earlier = pairs.duplicated(["from", "to"], keep="last")
    if not earlier.any():
        return
    last = pairs.drop_duplicates(["from", "to"], keep="last").set_index(["from", "to"])
    used = last.reindex(pd.MultiIndex.from_frame(pairs[["from", "to"]]))
    mask = np.zeros(len(travel.rows), dtype=bool)
    mask[np.flatnonzero(usable)[earlier.to_numpy()]] = True
    position = np.cumsum(usable) - 1

    def describe(i: int) -> str:
        k = position[i]
        return (
            f"from {pairs['from'].iloc[k]} to {pairs['to'].iloc[k]} is given again on row "
            f"{int(used['row'].iloc[k])} ({used['minutes'].iloc[k]:g} min): the last row is used, this one "
            f"({pairs['minutes'].iloc[k]:g} min) is not"
        )

    report_bad_rows(problems, travel.file, "from_id", mask, travel.rows, describe, "warning")


# --------------------------------------------------------------------------- places far away


def _street_points(streets: ConvertedTable) -> pd.DataFrame:
    usable = streets.both_valid("street_id", "district_id", "lat", "lon")
    frame = pd.DataFrame(
        {
            "street_id": streets.values["street_id"][usable],
            "district_id": streets.values["district_id"][usable],
            "lat": streets.values["lat"][usable],
            "lon": streets.values["lon"][usable],
        }
    )
    return frame.drop_duplicates("street_id")


def _far_from_street(table: ConvertedTable, streets: pd.DataFrame, problems: list[Problem]) -> None:
    usable = table.both_valid("street_id", "lat", "lon")
    point = streets.set_index("street_id").reindex(pd.Index(table.values["street_id"], dtype=object))
    known = usable & point["lat"].notna().to_numpy()
    km = np.where(
        known,
        haversine_km(table.values["lat"], table.values["lon"], point["lat"].to_numpy(), point["lon"].to_numpy()),
        0.0,
    )
    street, district = table.values["street_id"], point["district_id"].to_numpy()
    report_bad_rows(
        problems,
        table.file,
        "street_id",
        known & (km > FAR_KM),
        table.rows,
        lambda i: (
            f"{km[i]:,.0f} km from its street {street[i]} (district {district[i]}): "
            "check its lat/lon or street_id (it is planned in that district)"
        ),
        "warning",
    )


def _far_from_district(table: ConvertedTable, streets: pd.DataFrame, problems: list[Problem]) -> None:
    usable = table.both_valid("district_id", "lat", "lon")
    box = streets.groupby("district_id").agg(
        lat_min=("lat", "min"), lat_max=("lat", "max"), lon_min=("lon", "min"), lon_max=("lon", "max")
    )
    area = box.reindex(pd.Index(table.values["district_id"], dtype=object))
    known = usable & area["lat_min"].notna().to_numpy()
    lat, lon = table.values["lat"], table.values["lon"]
    near_lat = np.clip(lat, area["lat_min"].to_numpy(), area["lat_max"].to_numpy())
    near_lon = np.clip(lon, area["lon_min"].to_numpy(), area["lon_max"].to_numpy())
    km = np.where(known, haversine_km(lat, lon, np.nan_to_num(near_lat), np.nan_to_num(near_lon)), 0.0)
    district = table.values["district_id"]
    report_bad_rows(
        problems,
        table.file,
        "district_id",
        known & (km > FAR_KM),
        table.rows,
        lambda i: (
            f"{km[i]:,.0f} km outside the area of the streets of its district {district[i]}: "
            "check its lat/lon or district_id"
        ),
        "warning",
    )


def check_far_places(tables: dict[str, ConvertedTable], problems: list[Problem]) -> None:
    """Warnings for places far from their street (or outside their district's streets)."""
    streets_table = tables.get("streets")
    if streets_table is None or not {"street_id", "district_id", "lat", "lon"} <= streets_table.present:
        return
    streets = _street_points(streets_table)
    if streets.empty:
        return
    for name in IN_STREET:
        table = tables.get(name)
        if table is not None and {"street_id", "lat", "lon"} <= table.present:
            _far_from_street(table, streets, problems)
    for name in IN_DISTRICT:
        table = tables.get(name)
        if table is not None and {"district_id", "lat", "lon"} <= table.present:
            _far_from_district(table, streets, problems)


__all__ = [
    "FAR_KM",
    "LOCATED_TABLES",
    "ConvertedTable",
    "check_far_places",
    "check_reserved_ids",
    "check_shared_ids",
    "check_totals",
    "check_travel_pairs",
]
