"""The observation model's instance: sets and data as arrays, built from the stage's plain tables.

Constants of the stage, the :class:`Instance` and :func:`prepare`, which checks the columns, drops closed sites and
disallowed arcs (barrier-free rule) and works out each street's requirement. Minutes and opening costs stay exact
floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.base import SolveOptions
from models.flow import members

STAGE = "observation"
TABLES_SHARE = 0.05
TABLES_SECONDS_PER_ARC = 2e-7
"""Time kept for the output tables: this share of the limit, or this many seconds per arc if more (0.25 s for the
1.2 million arcs of the national sample, where they take 0.13 s)."""
DEFAULT_OPTIONS = SolveOptions()
DISABLED = "disabled"
OTHER = "other"

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

GROUP_COLUMNS = ["home_id", "street_id", "group", "persons"]
SITE_COLUMNS = ["site_id", "street_id", "rooms", "barrier_free", "status", "opening_cost"]
ARC_COLUMNS = ["home_id", "site_id", "minutes"]


@dataclass(frozen=True)
class Instance:
    """The model's sets and data as arrays.

    ``groups`` (index ``g``): home_id, street_id, group, persons, disabled, has_room_in_reach,
    has_barrier_free_room_in_reach. ``sites`` (index ``s``, every input site): site_id, street_id, rooms,
    barrier_free, status, opening_cost, capacity, usable, must_open, free_candidate, choice_street.
    ``arcs`` (the allowed set ``A``): group, site, minutes. ``streets``: see :func:`street_requirements`.
    """

    groups: pd.DataFrame
    sites: pd.DataFrame
    arcs: pd.DataFrame
    streets: pd.DataFrame
    persons_per_room: int

    @property
    def persons(self) -> IntArray:
        return self.groups["persons"].to_numpy(np.int64)

    @property
    def disabled(self) -> BoolArray:
        return self.groups["disabled"].to_numpy(bool)

    @property
    def capacity(self) -> IntArray:
        return self.sites["capacity"].to_numpy(np.int64)

    @property
    def arc_group(self) -> IntArray:
        return self.arcs["group"].to_numpy(np.int64)

    @property
    def arc_site(self) -> IntArray:
        return self.arcs["site"].to_numpy(np.int64)


def _check_columns(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing}.")


def prepare_groups(groups: pd.DataFrame) -> pd.DataFrame:
    """One row per (home_id, group) with persons > 0; ``disabled`` flag."""
    _check_columns(groups, GROUP_COLUMNS, "groups")
    frame = groups[GROUP_COLUMNS].copy()
    frame["persons"] = pd.to_numeric(frame["persons"]).fillna(0).astype(np.int64)
    if (frame["persons"] < 0).any():
        raise ValueError("groups.persons must be >= 0.")
    frame = frame[frame["persons"] > 0]
    frame = frame.groupby(["home_id", "group"], as_index=False, sort=False).agg(
        street_id=("street_id", "first"), persons=("persons", "sum")
    )
    frame["disabled"] = frame["group"] == DISABLED
    return frame[["home_id", "street_id", "group", "persons", "disabled"]].reset_index(drop=True)


def prepare_sites(sites: pd.DataFrame, persons_per_room: int) -> pd.DataFrame:
    """Every site with ``capacity = rooms * persons_per_room`` and ``usable`` (not closed)."""
    _check_columns(sites, SITE_COLUMNS[:-1], "sites")
    frame = sites.drop_duplicates("site_id").reset_index(drop=True)
    rooms = pd.to_numeric(frame["rooms"]).fillna(0).clip(lower=0).astype(np.int64)
    cost = frame["opening_cost"] if "opening_cost" in frame.columns else pd.Series(0.0, index=frame.index)
    return pd.DataFrame(
        {
            "site_id": frame["site_id"],
            "street_id": frame["street_id"],
            "rooms": rooms,
            "barrier_free": frame["barrier_free"].fillna(False).astype(bool),
            "status": frame["status"].astype(str),
            "opening_cost": pd.to_numeric(cost).fillna(0.0).clip(lower=0.0).astype(float),
            "capacity": rooms * int(persons_per_room),
            "usable": frame["status"].astype(str) != "closed",
        }
    )


def usable_arcs(arcs: pd.DataFrame, groups: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """Arcs (group, site, minutes) of every group of a home to non-closed sites; the shortest duplicate kept.

    Arcs to sites without a room stay: they carry nobody but tell what one more room there would do.
    """
    _check_columns(arcs, ARC_COLUMNS, "arcs")
    site_index = pd.Series(np.arange(len(sites)), index=sites["site_id"])
    frame = arcs[ARC_COLUMNS].copy()
    frame["site"] = frame["site_id"].map(site_index)
    frame = frame.dropna(subset=["site", "minutes"])
    frame["site"] = frame["site"].astype(np.int64)
    frame = frame[sites["usable"].to_numpy(bool)[frame["site"].to_numpy()]]
    homes = pd.DataFrame({"home_id": groups["home_id"], "group": np.arange(len(groups), dtype=np.int64)})
    frame = frame.merge(homes, on="home_id")
    frame = frame.sort_values(["group", "site", "minutes"]).drop_duplicates(["group", "site"])
    frame["minutes"] = frame["minutes"].astype(float).clip(lower=0.0)
    return frame[["group", "site", "minutes"]].reset_index(drop=True)


def restrict_to_barrier_free(
    arcs: pd.DataFrame, groups: pd.DataFrame, sites: pd.DataFrame, barrier_free_for_disabled: bool
) -> pd.DataFrame:
    """Constraint (3): with the rule on, disabled groups keep only their arcs to barrier-free sites."""
    if not barrier_free_for_disabled:
        return arcs
    disabled = groups["disabled"].to_numpy(bool)[arcs["group"].to_numpy()]
    barrier_free = sites["barrier_free"].to_numpy(bool)[arcs["site"].to_numpy()]
    return arcs[~disabled | barrier_free].reset_index(drop=True)


def street_requirements(sites: pd.DataFrame, sites_per_street_min: int) -> pd.DataFrame:
    """Constraint (4) per street: ``required = min(sites_per_street_min, usable_sites)``.

    Columns: usable_sites, open_status (sites already open), candidates, required, deficit (candidates that must
    open at least), forced (deficit equals candidates: all open), choice (0 < deficit < candidates).
    """
    usable = sites[sites["usable"]]
    per_street = pd.DataFrame(
        {
            "usable_sites": usable.groupby("street_id").size(),
            "open_status": usable.assign(o=usable["status"] == "open").groupby("street_id")["o"].sum(),
        }
    ).fillna(0)
    per_street = per_street.astype(np.int64)
    per_street["candidates"] = per_street["usable_sites"] - per_street["open_status"]
    per_street["required"] = np.minimum(int(sites_per_street_min), per_street["usable_sites"])
    per_street["deficit"] = (per_street["required"] - per_street["open_status"]).clip(lower=0)
    per_street["forced"] = (per_street["deficit"] > 0) & (per_street["deficit"] == per_street["candidates"])
    per_street["choice"] = (per_street["deficit"] > 0) & (per_street["deficit"] < per_street["candidates"])
    return per_street


def prepare(
    groups: pd.DataFrame,
    sites: pd.DataFrame,
    arcs: pd.DataFrame,
    persons_per_room: int,
    sites_per_street_min: int,
    barrier_free_for_disabled: bool,
) -> Instance:
    """Sets and data of the model; marks which candidates must open (5, forced 4) and which are free decisions."""
    group_frame = prepare_groups(groups)
    site_frame = prepare_sites(sites, persons_per_room)
    reach = usable_arcs(arcs, group_frame, site_frame)
    allowed = restrict_to_barrier_free(reach, group_frame, site_frame, barrier_free_for_disabled)
    group_count = len(group_frame)
    capacity = site_frame["capacity"].to_numpy(np.int64)
    reach_room = reach["group"].to_numpy()[capacity[reach["site"].to_numpy()] > 0]
    allowed_room = allowed["group"].to_numpy()[capacity[allowed["site"].to_numpy()] > 0]
    group_frame["has_room_in_reach"] = np.bincount(reach_room, minlength=group_count) > 0
    group_frame["has_barrier_free_room_in_reach"] = np.bincount(allowed_room, minlength=group_count) > 0

    streets = street_requirements(site_frame, sites_per_street_min)
    candidate = site_frame["usable"] & (site_frame["status"] != "open")
    forced_street = site_frame["street_id"].map(streets["forced"]).eq(True)
    choice_street = site_frame["street_id"].map(streets["choice"]).eq(True)
    arc_count = np.bincount(allowed["site"], minlength=len(site_frame))
    has_arc = pd.Series((arc_count > 0) & (capacity > 0), index=site_frame.index)
    site_frame["must_open"] = (site_frame["usable"] & (site_frame["status"] == "open")) | (candidate & forced_street)
    site_frame["choice_street"] = candidate & choice_street
    site_frame["free_candidate"] = candidate & ~site_frame["must_open"] & (has_arc | choice_street)
    return Instance(group_frame, site_frame, allowed, streets, int(persons_per_room))


def positions_by_key(keys: npt.NDArray[Any]) -> list[tuple[Any, IntArray]]:
    """(key, positions of that key in ``keys``) for every distinct key."""
    codes, uniques = pd.factorize(keys)
    return list(zip(uniques.tolist(), members(codes.astype(np.int64), len(uniques)), strict=True))
