"""The district dataset: table specifications and the immutable ``Dataset``.

A dataset is ten tables (DESIGN §3), the optional testing tables ``labs`` and ``sampling_sites`` and the
optional ``forecast`` of new infections by day (issue 12). Each table has an id column (the forecast has none),
required and optional columns of a known kind, and foreign keys into other tables. The
specifications here are the single source of truth for reading, validating,
generating (``planner.dataset.sample``) and exporting datasets.

Column kinds
------------
``id``      text, non-empty, kept as written (leading zeros survive)
``text``    free text (names)
``count``   non-negative integer (residents, rooms, ambulances, packs)
``number``  non-negative real (speed, minutes, daily use)
``lat`` / ``lon``  WGS84 degrees in [-90, 90] / [-180, 180]
``bool``    true/false, 1/0, yes/no, 是/否
``level``   hospital level, 2 or 3
``status``  site status: ``open``, ``candidate`` or ``closed``

Limits
------
Every ``count`` and ``number`` column has a ``maximum`` (and the depots' stock a total per drug class), chosen
from what the models compute exactly in 64-bit integers: drug needs stay below 2**24 packs per institution
(the max-min fill rate is exact only there), a class's stock below 2**38 packs (``stock * need`` products), arc
costs below 2e8 minutes. A value above its limit is an error naming the limit
(``residents: 90000000 is above the limit 100,000 for a care home``). The README's data format lists them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from planner.dataset.problems import Problem

DRUGS: tuple[str, ...] = ("antipyretic", "cough", "antiviral", "tcm", "antigen_kit")
"""Drug classes, in the order they are reported."""

LEVELS: tuple[str, ...] = ("normal", "prevalent", "severe")
"""Epidemic response levels (非疫情流行 / 疫情流行 / 疫情流行严重)."""

SITE_STATUSES: tuple[str, ...] = ("open", "candidate", "closed")

ColumnKind = Literal["id", "text", "count", "number", "lat", "lon", "bool", "level", "status"]


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a table: its name, kind, and whether it must be present."""

    name: str
    kind: ColumnKind
    required: bool = True
    default: object = None
    """Value used when an optional column is absent or a cell is empty."""
    maximum: float | None = None
    """Largest value accepted (``count`` and ``number`` columns)."""
    smallest: float | None = None
    """Smallest value accepted other than 0 (0 meaning "use the default", as a speed of 0)."""


@dataclass(frozen=True)
class ForeignKey:
    """``column`` of this table must name an id of ``table``.

    ``where`` restricts the target rows to those whose boolean column of that
    name is true (for example designated hospitals only).
    """

    column: str
    table: str
    where: str | None = None


@dataclass(frozen=True)
class TableSpec:
    """A table of the dataset."""

    name: str
    id_column: str | None
    columns: tuple[ColumnSpec, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    required: bool = True
    drug_prefixes: tuple[str, ...] = ()
    """Prefixes of optional per-drug count columns (``on_hand_`` -> ``on_hand_cough``)."""
    entity: str = "row"
    """What one row is, in messages (``a care home``)."""
    totals: tuple[tuple[str, float], ...] = ()
    """Largest sum over all rows of a column, by column name or drug prefix (``("stock_", 1e10)``)."""

    def column(self, name: str) -> ColumnSpec:
        """Return the spec of column ``name`` (drug columns included)."""
        for col in self.all_columns():
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    def all_columns(self) -> tuple[ColumnSpec, ...]:
        """Declared columns followed by the per-drug columns, all known to this table."""
        drug_cols = tuple(
            ColumnSpec(
                f"{prefix}{drug}",
                "number" if prefix == "daily_use_" else "count",
                required=False,
                default=0,
                maximum=DRUG_COLUMN_LIMITS[prefix],
            )
            for prefix in self.drug_prefixes
            for drug in DRUGS
        )
        return self.columns + drug_cols

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def total_limit(self, column: str) -> float | None:
        """The largest sum of ``column`` over all rows, when there is one."""
        for name, limit in self.totals:
            if column == name or (name.endswith("_") and column.startswith(name)):
                return limit
        return None


PERSONS_MAX = 100_000
"""Residents, staff, beds, rooms or nurses of one institution."""
PACKS_MAX = 10_000_000
"""Packs of one drug class on hand at one institution."""
DRUG_COLUMN_LIMITS: dict[str, float] = {"on_hand_": PACKS_MAX, "daily_use_": 40_000, "stock_": 100_000_000}
"""Per drug prefix: packs on hand; packs used per day (x 365 days of hospital stock stays below 2**24 packs);
packs in stock at one depot."""
INBOUND_PREFIX = "inbound:"
"""Observation origins of a street's inbound arrivals are ``inbound:<street_id>``: no place id may start with it
(``planner.dataset.crosscheck.check_reserved_ids``), so an origin is a care home's id or an inbound street's."""
FORECAST_DAY_MAX = 364
"""Last day (0-based) a forecast row may name: the last day of the longest horizon of a scenario (365 days); the
scenario's own horizon is checked against it by ``Scenario.validate_against``."""
FORECAST_INFECTIONS_MAX = 10_000_000
"""New infections on one day in one district or care home."""
STOCK_TOTAL_MAX = 10_000_000_000
"""Packs of one drug class over all depots (x a stock factor of 10 stays below 2**38)."""


def _c(
    name: str,
    kind: ColumnKind,
    required: bool = True,
    default: object = None,
    maximum: float | None = None,
    smallest: float | None = None,
) -> ColumnSpec:
    return ColumnSpec(name, kind, required, default, maximum, smallest)


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "districts",
            "district_id",
            (
                _c("district_id", "id"),
                _c("name", "text"),
                _c("population", "count", maximum=100_000_000),
                _c("name_zh", "text", False, ""),
                _c("dense", "bool", False, False),
                _c("speed_kmh", "number", False, 30.0, maximum=200, smallest=1),
                _c("sampling_teams", "count", False, 0, maximum=100_000),
            ),
            entity="a district",
        ),
        TableSpec(
            "streets",
            "street_id",
            (
                _c("street_id", "id"),
                _c("district_id", "id"),
                _c("name", "text"),
                _c("population", "count", maximum=10_000_000),
                _c("lat", "lat"),
                _c("lon", "lon"),
                _c("name_zh", "text", False, ""),
                _c("sampling_points", "count", False, 0, maximum=10_000),
            ),
            (ForeignKey("district_id", "districts"),),
            entity="a street",
        ),
        TableSpec(
            "care_homes",
            "home_id",
            (
                _c("home_id", "id"),
                _c("street_id", "id"),
                _c("name", "text"),
                _c("lat", "lat"),
                _c("lon", "lon"),
                _c("residents", "count", maximum=PERSONS_MAX),
                _c("staff", "count", maximum=PERSONS_MAX),
                _c("disabled", "count", maximum=PERSONS_MAX),
                _c("partition", "bool"),
                _c("name_zh", "text", False, ""),
                _c("designated_hospital_id", "id", False, ""),
                _c("new_admissions", "count", False, 0, maximum=PERSONS_MAX),
            ),
            (
                ForeignKey("street_id", "streets"),
                ForeignKey("designated_hospital_id", "hospitals", where="designated"),
            ),
            drug_prefixes=("on_hand_",),
            entity="a care home",
        ),
        TableSpec(
            "clinics",
            "clinic_id",
            (
                _c("clinic_id", "id"),
                _c("street_id", "id"),
                _c("name", "text"),
                _c("lat", "lat"),
                _c("lon", "lon"),
                _c("service_population", "count", maximum=10_000_000),
                _c("name_zh", "text", False, ""),
            ),
            (ForeignKey("street_id", "streets"),),
            drug_prefixes=("on_hand_",),
            entity="a clinic",
        ),
        TableSpec(
            "hospitals",
            "hospital_id",
            (
                _c("hospital_id", "id"),
                _c("street_id", "id"),
                _c("name", "text"),
                _c("lat", "lat"),
                _c("lon", "lon"),
                _c("level", "level"),
                _c("designated", "bool"),
                _c("beds", "count", maximum=PERSONS_MAX),
                _c("icu_beds", "count", maximum=PERSONS_MAX),
                _c("name_zh", "text", False, ""),
                _c("convertible_icu_beds", "count", False, 0, maximum=PERSONS_MAX),
            ),
            (ForeignKey("street_id", "streets"),),
            drug_prefixes=("daily_use_", "on_hand_"),
            entity="a hospital",
        ),
        TableSpec(
            "sites",
            "site_id",
            (
                _c("site_id", "id"),
                _c("street_id", "id"),
                _c("name", "text"),
                _c("lat", "lat"),
                _c("lon", "lon"),
                _c("rooms", "count", maximum=PERSONS_MAX),
                _c("barrier_free", "bool"),
                _c("status", "status"),
                _c("name_zh", "text", False, ""),
                _c("opening_cost", "number", False, 0.0, maximum=10_000_000),
                _c("stock_days", "count", False, 0, maximum=3_650),
            ),
            (ForeignKey("street_id", "streets"),),
            entity="an observation site",
        ),
        TableSpec(
            "stations",
            "station_id",
            (
                _c("station_id", "id"),
                _c("district_id", "id"),
                _c("name", "text"),
                _c("lat", "lat"),
                _c("lon", "lon"),
                _c("ambulances", "count", maximum=10_000),
                _c("name_zh", "text", False, ""),
                _c("max_ambulances", "count", False, None, maximum=10_000),
            ),
            (ForeignKey("district_id", "districts"),),
            entity="an ambulance station",
        ),
        TableSpec(
            "pools",
            "pool_id",
            (
                _c("pool_id", "id"),
                _c("district_id", "id"),
                _c("name", "text"),
                _c("lat", "lat"),
                _c("lon", "lon"),
                _c("nurses", "count", maximum=PERSONS_MAX),
                _c("name_zh", "text", False, ""),
            ),
            (ForeignKey("district_id", "districts"),),
            entity="a reserve pool",
        ),
        TableSpec(
            "depots",
            "depot_id",
            (
                _c("depot_id", "id"),
                _c("district_id", "id"),
                _c("name", "text"),
                _c("lat", "lat"),
                _c("lon", "lon"),
                _c("name_zh", "text", False, ""),
            ),
            (ForeignKey("district_id", "districts"),),
            drug_prefixes=("stock_",),
            entity="a depot",
            totals=(("stock_", STOCK_TOTAL_MAX),),
        ),
        TableSpec(
            "labs",
            "lab_id",
            (
                _c("lab_id", "id"),
                _c("district_id", "id"),
                _c("lat", "lat"),
                _c("lon", "lon"),
                _c("nat_tests_per_day", "count", maximum=10_000_000),
                _c("name", "text", False, ""),
                _c("name_zh", "text", False, ""),
            ),
            (ForeignKey("district_id", "districts"),),
            required=False,
            entity="a lab",
        ),
        TableSpec(
            "sampling_sites",
            "site_id",
            (
                _c("site_id", "id"),
                _c("street_id", "id"),
                _c("lat", "lat"),
                _c("lon", "lon"),
                _c("desks", "count", maximum=1_000),
                _c("name", "text", False, ""),
                _c("name_zh", "text", False, ""),
            ),
            (ForeignKey("street_id", "streets"),),
            required=False,
            entity="a sampling site",
        ),
        TableSpec(
            "forecast",
            None,
            (
                _c("day", "count", maximum=FORECAST_DAY_MAX),
                _c("new_infections", "count", maximum=FORECAST_INFECTIONS_MAX),
                _c("district_id", "id", False, ""),
                _c("home_id", "id", False, ""),
            ),
            (ForeignKey("district_id", "districts"), ForeignKey("home_id", "care_homes")),
            required=False,
            entity="a day's forecast",
        ),
        TableSpec(
            "travel_minutes",
            None,
            (
                _c("from_id", "id"),
                _c("to_id", "id"),
                _c("minutes", "number", maximum=10_000),
            ),
            required=False,
            entity="a pair of places",
        ),
    )
}
"""Every table of a dataset, in dependency order (a table refers only to earlier ones,
except ``care_homes.designated_hospital_id``)."""

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)
HASHED_WHEN_GIVEN: frozenset[str] = frozenset({"forecast"})
"""Optional tables that are part of the content hash only when they have rows."""
ROW_INDEX = "row"
"""Name of the index of a table that keeps the row of each entry in its file (``Dataset.forecast``)."""
ROWS_KEPT: frozenset[str] = frozenset({"forecast"})
"""Tables whose frame is indexed by the row of each entry in its file (:data:`ROW_INDEX`)."""

_DTYPES: dict[str, str] = {"count": "int64", "number": "float64", "lat": "float64", "lon": "float64", "bool": "bool"}


def empty_table(name: str) -> pd.DataFrame:
    """Table ``name`` with no rows, its columns in their final dtypes (an optional table left out)."""
    frame = pd.DataFrame({c.name: pd.Series(dtype=_DTYPES.get(c.kind, object)) for c in TABLES[name].all_columns()})
    if name in ROWS_KEPT:
        frame.index = pd.Index([], dtype="int64", name=ROW_INDEX)
    return frame


@dataclass(frozen=True)
class Dataset:
    """A validated district dataset: one typed DataFrame per table.

    Columns are exactly those of ``TABLES[name].all_columns()`` (optional ones
    filled with their default), ids are ``str``, counts ``int64``, numbers
    ``float64``, booleans ``bool``. ``max_ambulances`` is ``Int64`` (nullable).
    Treat the frames as read-only: ``Dataset`` is shared between stages and
    cached by the UI.
    """

    districts: pd.DataFrame
    streets: pd.DataFrame
    care_homes: pd.DataFrame
    clinics: pd.DataFrame
    hospitals: pd.DataFrame
    sites: pd.DataFrame
    stations: pd.DataFrame
    pools: pd.DataFrame
    depots: pd.DataFrame
    travel_minutes: pd.DataFrame
    labs: pd.DataFrame = field(default_factory=lambda: empty_table("labs"))
    sampling_sites: pd.DataFrame = field(default_factory=lambda: empty_table("sampling_sites"))
    forecast: pd.DataFrame = field(default_factory=lambda: empty_table("forecast"))
    """New infections by day (``day, district_id, home_id, new_infections``; one id per row). Its index is the
    row of each entry in its file (named ``row``), so a check made later (the scenario's horizon) can locate it:
    see :func:`forecast_rows`."""
    name: str = "dataset"
    sha256: str = field(default="")
    warnings: tuple[Problem, ...] = field(default=(), compare=False)
    """What validation found odd (located warnings); kept in the plan. Not part of the content hash."""

    def table(self, name: str) -> pd.DataFrame:
        """Return the table called ``name``."""
        frame: pd.DataFrame = getattr(self, name)
        return frame

    def tables(self) -> dict[str, pd.DataFrame]:
        """All tables by name, in ``TABLE_NAMES`` order."""
        return {name: self.table(name) for name in TABLE_NAMES}

    def content_hash(self) -> str:
        """SHA-256 of the tables' contents (stable across reads of the same data).

        A table of :data:`HASHED_WHEN_GIVEN` counts only when it has rows, so adding it to the schema left the
        hash of every dataset without it unchanged."""
        digest = hashlib.sha256()
        for name, frame in self.tables().items():
            if name in HASHED_WHEN_GIVEN and frame.empty:
                continue
            digest.update(name.encode())
            digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        return digest.hexdigest()


def forecast_rows(forecast: pd.DataFrame) -> list[int]:
    """The row of each forecast entry in its file: the index when it is the file's rows (a read dataset), else
    the row a CSV of the frame would give it (first row = 2)."""
    if forecast.index.name == ROW_INDEX:
        return [int(row) for row in forecast.index]
    return list(range(2, len(forecast) + 2))
