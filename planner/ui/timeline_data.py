"""The timeline view's data: the day-by-day plan (``Plan.timeline``, ``Plan.run_out``) shaped for a coordinator.

Pure functions of plain tables (tested on hand-made timelines); ``planner.ui.timeline_view`` draws them.

- :func:`rollup`: every resource per **district** and for the **city**, day by day. A resource the plan lays out
  per district or city keeps its own rows; one laid out per place only (stock per institution, nurses per pool)
  is summed over the places of each district, its ``short`` the sum of the places' shortfalls (stock at one
  place does not cover another's);
- :func:`headline`: per resource and district (and the city) its peak day and the first day anything in it runs
  short, and where: the coordinator's first question, *on which day do we run out of what, where?*;
- :func:`series`: needed against planned by day for one resource and scope, and its first short day;
- :func:`occupancy_by_district`, :func:`site_use`: persons present against capacity by day;
- :func:`run_out_table`: every place's first short day with how short it is then and at worst.

Days are the plan's own: 0 is the first day of the horizon.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

CITY = "all"
"""The ``scope_id`` of ``city`` rows."""
AREA_SCOPES: tuple[str, ...] = ("city", "district")
"""Scopes that sum places (the headline's rows)."""
SCOPE_ORDER: tuple[str, ...] = ("city", "district", "site", "pool", "depot", "institution")
STOCK_PREFIX = "stock:"
ROW_COLUMNS: tuple[str, ...] = ("day", "resource", "scope", "scope_id", "needed", "planned", "short")
HEADLINE_COLUMNS: tuple[str, ...] = (
    "resource",
    "scope",
    "scope_id",
    "first_short_day",
    "short_places",
    "where",
    "peak_day",
    "peak_needed",
    "largest_short",
)
RUN_OUT_TABLE_COLUMNS: tuple[str, ...] = (
    "resource",
    "scope",
    "scope_id",
    "district_id",
    "first_short_day",
    "short_first_day",
    "largest_short",
    "largest_short_day",
)


def is_stock(resource: str) -> bool:
    """True for ``stock:<drug>`` rows (needed and planned are cumulative)."""
    return resource.startswith(STOCK_PREFIX)


def scope_district(frame: pd.DataFrame, district_of: Mapping[str, str]) -> pd.Series:
    """The district of each row's scope: a district is its own, a place's from ``district_of``, the city ``""``."""
    ids = frame["scope_id"].astype(str)
    placed = ids.map(lambda i: district_of.get(i, ""))
    return placed.where(frame["scope"] != "district", ids).where(frame["scope"] != "city", "")


def in_district(frame: pd.DataFrame, district_of: Mapping[str, str], district: str | None) -> pd.DataFrame:
    """The rows of ``frame`` (timeline or run-out) whose scope lies in ``district`` (every row when None)."""
    if not district or frame.empty:
        return frame
    return frame[scope_district(frame, district_of) == district].reset_index(drop=True)


def _summed(rows: pd.DataFrame, scope: str, keys: pd.Series) -> pd.DataFrame:
    """``rows`` summed per resource, key and day as ``scope`` rows (``short``: the sum of the parts' shorts)."""
    summed = (
        rows.assign(scope_id=keys.to_numpy())
        .groupby(["resource", "scope_id", "day"], as_index=False, sort=True)[["needed", "planned", "short"]]
        .sum()
    )
    return summed.assign(scope=scope).loc[:, list(ROW_COLUMNS)]


def rollup(timeline: pd.DataFrame, district_of: Mapping[str, str]) -> pd.DataFrame:
    """Each resource per district and for the city, by day (module docstring): the ``timeline`` columns."""
    parts: list[pd.DataFrame] = []
    for _resource, rows in timeline.groupby("resource", sort=True):
        districts = rows[rows["scope"] == "district"]
        if districts.empty:
            places = rows[~rows["scope"].isin(AREA_SCOPES)]
            keys = scope_district(places, district_of)
            districts = _summed(places[keys != ""], "district", keys[keys != ""])
        city = rows[rows["scope"] == "city"]
        if city.empty and not districts.empty:
            city = _summed(districts, "city", pd.Series(CITY, index=districts.index))
        parts.extend(part.loc[:, list(ROW_COLUMNS)] for part in (districts, city) if not part.empty)
    if not parts:
        return pd.DataFrame(columns=list(ROW_COLUMNS))
    return pd.concat(parts, ignore_index=True)


def with_rollup(timeline: pd.DataFrame, district_of: Mapping[str, str]) -> pd.DataFrame:
    """The timeline and the district and city rows it lacks (the chart's choices)."""
    rolled = rollup(timeline, district_of)
    have = set(zip(timeline["resource"], timeline["scope"], timeline["scope_id"].astype(str), strict=True))
    missing = [
        (r, s, i) not in have
        for r, s, i in zip(rolled["resource"], rolled["scope"], rolled["scope_id"].astype(str), strict=True)
    ]
    extra = rolled[missing]
    if extra.empty:
        return timeline.reset_index(drop=True)
    return pd.concat([timeline, extra], ignore_index=True)


def _peak(rows: pd.DataFrame, resource: str) -> tuple[int, float]:
    """``(day, amount)`` of the largest need (for stock: the largest use in one day; the first such day)."""
    ordered = rows.sort_values("day")
    needed = ordered["needed"].to_numpy(float)
    if is_stock(resource):
        needed = np.diff(needed, prepend=0.0)
    at = int(np.argmax(needed)) if len(needed) else 0
    return int(ordered["day"].iloc[at]), float(needed[at]) if len(needed) else 0.0


def _rank(scope: object) -> int:
    return SCOPE_ORDER.index(str(scope)) if str(scope) in SCOPE_ORDER else len(SCOPE_ORDER)


def _finest(runs: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``runs`` at their finest scope (places before districts before the city)."""
    if runs.empty:
        return runs
    ranks = runs["scope"].map(_rank)
    return runs[ranks == ranks.max()]


def headline(timeline: pd.DataFrame, run_out: pd.DataFrame, district_of: Mapping[str, str]) -> pd.DataFrame:
    """Per resource and district (and the city): the first day anything in it runs short, and where; its peak.

    Columns (:data:`HEADLINE_COLUMNS`): ``first_short_day`` (nullable; the earliest ``first_short_day`` of the
    resource in the area itself or at any of its places), ``short_places`` (how many of its places ever run
    short, counted at the finest scope that does: institutions, sites, pools, else districts, else the city),
    ``where`` (those short on that first day, ids comma-joined), ``peak_day`` and ``peak_needed`` (the day
    of the largest need; for stock, of the largest use in one day), ``largest_short`` (the area's worst day).
    Sorted by first short day (never short last), the city before its districts, then resource.
    """
    rolled = rollup(timeline, district_of)
    if rolled.empty:
        return pd.DataFrame(columns=list(HEADLINE_COLUMNS))
    runs = run_out.assign(district=scope_district(run_out, district_of).to_numpy())
    rows = []
    for (resource, scope, scope_id), area in rolled.groupby(["resource", "scope", "scope_id"], sort=False):
        mine = runs[runs["resource"] == resource]
        if scope == "district":
            mine = mine[mine["district"] == scope_id]
        finest = _finest(mine)
        first = mine["first_short_day"].min() if not mine.empty else None
        where = finest.loc[finest["first_short_day"] == first, "scope_id"].astype(str) if first is not None else []
        peak_day, peak_needed = _peak(area, str(resource))
        rows.append(
            {
                "resource": resource,
                "scope": scope,
                "scope_id": scope_id,
                "first_short_day": first,
                "short_places": len(finest),
                "where": ",".join(sorted(set(where))),
                "peak_day": peak_day,
                "peak_needed": peak_needed,
                "largest_short": float(area["short"].max()),
            }
        )
    table = pd.DataFrame(rows, columns=list(HEADLINE_COLUMNS))
    table["first_short_day"] = table["first_short_day"].astype("Int64")
    table["scope_rank"] = table["scope"].map(_rank)
    table = table.sort_values(
        ["first_short_day", "scope_rank", "resource", "scope_id"], na_position="last", kind="stable"
    )
    return table.drop(columns="scope_rank").reset_index(drop=True)


def resources(frame: pd.DataFrame) -> list[str]:
    """The resources of a timeline in reading order: places and nurses, transfers, then stock."""
    return sorted({str(r) for r in frame["resource"]}, key=lambda r: (is_stock(r), r))


def scopes(frame: pd.DataFrame, resource: str) -> list[tuple[str, str]]:
    """The ``(scope, scope_id)`` pairs of ``resource``: the city, districts, then places; within each by id."""
    rows = frame.loc[frame["resource"] == resource, ["scope", "scope_id"]].astype(str).drop_duplicates()
    pairs = list(zip(rows["scope"], rows["scope_id"], strict=True))
    return sorted(pairs, key=lambda p: (_rank(p[0]), p[1]))


def series(frame: pd.DataFrame, resource: str, scope: str, scope_id: str) -> tuple[pd.DataFrame, int | None]:
    """``(day, needed, planned, short by day, first short day or None)`` of one resource and scope."""
    chosen = frame[
        (frame["resource"] == resource) & (frame["scope"] == scope) & (frame["scope_id"].astype(str) == scope_id)
    ]
    rows = chosen.loc[:, ["day", "needed", "planned", "short"]].sort_values("day", kind="stable")
    rows = rows.astype({"day": int, "needed": float, "planned": float, "short": float}).reset_index(drop=True)
    short_days = rows.loc[rows["short"] > 1e-9, "day"]
    return rows, (int(short_days.min()) if not short_days.empty else None)


def occupancy_by_district(occupancy: pd.DataFrame, site_district: Mapping[str, str]) -> pd.DataFrame:
    """Persons present and capacity per district and day, summed over its open sites:
    ``district_id, day, persons, capacity``."""
    if occupancy.empty:
        return pd.DataFrame(columns=["district_id", "day", "persons", "capacity"])
    frame = occupancy.assign(district_id=occupancy["site_id"].astype(str).map(site_district).fillna(""))
    return (
        frame.groupby(["district_id", "day"], as_index=False, sort=True)[["persons", "capacity"]]
        .sum()
        .astype({"day": int})
    )


def site_use(occupancy: pd.DataFrame) -> pd.DataFrame:
    """Persons against capacity per site and day: ``site_id, day, persons, capacity, share`` (0 when no room)."""
    frame = occupancy.loc[:, ["site_id", "day", "persons", "capacity"]].copy()
    capacity = frame["capacity"].astype(float)
    frame["share"] = (frame["persons"].astype(float) / capacity.where(capacity > 0)).fillna(0.0)
    return frame.reset_index(drop=True)


def run_out_table(run_out: pd.DataFrame, timeline: pd.DataFrame, district_of: Mapping[str, str]) -> pd.DataFrame:
    """Each row of ``run_out`` with its district, how short it is on its first short day and at its worst;
    by first short day, then the city, districts and places."""
    if run_out.empty:
        return pd.DataFrame(columns=list(RUN_OUT_TABLE_COLUMNS))
    keys = ["resource", "scope", "scope_id"]
    short = timeline[timeline["short"] > 1e-9].astype({"scope_id": str})
    worst = short.sort_values(["short", "day"], ascending=[False, True], kind="stable").drop_duplicates(keys)
    worst = worst.rename(columns={"short": "largest_short", "day": "largest_short_day"})
    table = run_out.astype({"scope_id": str}).merge(worst[[*keys, "largest_short", "largest_short_day"]], on=keys)
    first = short.rename(columns={"day": "first_short_day", "short": "short_first_day"})
    table = table.merge(first[[*keys, "first_short_day", "short_first_day"]], on=[*keys, "first_short_day"])
    table["district_id"] = scope_district(table, district_of).to_numpy()
    table["scope_rank"] = table["scope"].map(_rank)
    table = table.sort_values(["first_short_day", "scope_rank", "resource", "scope_id"], kind="stable")
    return table.loc[:, list(RUN_OUT_TABLE_COLUMNS)].reset_index(drop=True)


__all__ = [
    "CITY",
    "HEADLINE_COLUMNS",
    "RUN_OUT_TABLE_COLUMNS",
    "headline",
    "in_district",
    "is_stock",
    "occupancy_by_district",
    "resources",
    "rollup",
    "run_out_table",
    "scope_district",
    "scopes",
    "series",
    "site_use",
    "with_rollup",
]
