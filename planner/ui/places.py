"""Where every entity of a dataset is: one row per id with its kind, district, display name and coordinates.

The views, the map and the dispatch sheet look names and districts up here, in
the reader's language (``name_zh`` when Chinese is on, the English name when a
Chinese one is missing).
"""

from __future__ import annotations

import pandas as pd

from planner.dataset.schema import Dataset

PLACE_COLUMNS: tuple[str, ...] = ("id", "kind", "district_id", "district", "name", "lat", "lon")

_STREET_TABLES: tuple[tuple[str, str, str], ...] = (
    ("care_homes", "home_id", "care_home"),
    ("clinics", "clinic_id", "clinic"),
    ("hospitals", "hospital_id", "hospital"),
    ("sites", "site_id", "site"),
)
_DISTRICT_TABLES: tuple[tuple[str, str, str], ...] = (
    ("stations", "station_id", "station"),
    ("pools", "pool_id", "pool"),
    ("depots", "depot_id", "depot"),
)


def display_names(frame: pd.DataFrame, language: str) -> pd.Series:
    """The ``name`` column, or ``name_zh`` where Chinese is wanted and given."""
    english = frame["name"].astype(str)
    if language != "zh" or "name_zh" not in frame:
        return english
    chinese = frame["name_zh"].fillna("").astype(str)
    return chinese.where(chinese.str.len() > 0, english)


def district_centres(dataset: Dataset, language: str = "en") -> pd.DataFrame:
    """district_id, name, lat, lon: each district's name at the mean position of its streets."""
    districts = dataset.districts[["district_id"]].assign(name=display_names(dataset.districts, language).to_numpy())
    centres = dataset.streets.groupby("district_id", as_index=False)[["lat", "lon"]].mean()
    return districts.merge(centres, on="district_id", how="inner").reset_index(drop=True)


def places(dataset: Dataset, language: str = "en") -> pd.DataFrame:
    """Every located entity (care homes, clinics, hospitals, sites, stations, pools, depots) and every district.

    Columns: ``id, kind, district_id, district, name, lat, lon``; indexed by ``id``.
    Districts come as kind ``district`` at their streets' centre.
    """
    street_district = dataset.streets.set_index("street_id")["district_id"]
    frames: list[pd.DataFrame] = []
    for table, id_col, kind in _STREET_TABLES:
        frame = dataset.table(table)
        frames.append(
            pd.DataFrame(
                {
                    "id": frame[id_col].astype(str),
                    "kind": kind,
                    "district_id": frame["street_id"].map(street_district).astype(str),
                    "name": display_names(frame, language),
                    "lat": frame["lat"].astype(float),
                    "lon": frame["lon"].astype(float),
                }
            )
        )
    for table, id_col, kind in _DISTRICT_TABLES:
        frame = dataset.table(table)
        frames.append(
            pd.DataFrame(
                {
                    "id": frame[id_col].astype(str),
                    "kind": kind,
                    "district_id": frame["district_id"].astype(str),
                    "name": display_names(frame, language),
                    "lat": frame["lat"].astype(float),
                    "lon": frame["lon"].astype(float),
                }
            )
        )
    centres = district_centres(dataset, language)
    frames.append(
        pd.DataFrame(
            {
                "id": centres["district_id"].astype(str),
                "kind": "district",
                "district_id": centres["district_id"].astype(str),
                "name": centres["name"],
                "lat": centres["lat"],
                "lon": centres["lon"],
            }
        )
    )
    located = pd.concat(frames, ignore_index=True)
    district_names = dict(
        zip(dataset.districts["district_id"].astype(str), display_names(dataset.districts, language), strict=True)
    )
    located["district"] = located["district_id"].map(district_names).fillna(located["district_id"])
    located = located.drop_duplicates("id")
    return located[list(PLACE_COLUMNS)].set_index("id", drop=False)


def name_map(located: pd.DataFrame) -> dict[str, str]:
    """id -> display name (for :func:`planner.ui.i18n.localize`), streets not included."""
    return dict(zip(located["id"], located["name"], strict=True))


def street_names(dataset: Dataset, language: str = "en") -> dict[str, str]:
    """street id -> display name."""
    return dict(zip(dataset.streets["street_id"].astype(str), display_names(dataset.streets, language), strict=True))
