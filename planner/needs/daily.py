"""Day-by-day needs: the snapshot's totals spread over the horizon by the epidemic curve, with lengths of stay.

Per care home, the new infections of each day (``infections``: the curve of ``planner.needs.curve`` scaled to
the home's infected, or the district's or home's forecast) give, by cumulative rounding of the snapshot's
formulas (DESIGN §4) applied to the *cumulative* counts, so that every total equals the snapshot's:

- transfers ``T(d)`` from ``r(severe_share * I_cum(d))``, disabled transfers from ``r(q * T_cum(d))``;
- mild ``M(d) = I(d) - T(d)``; observation arrivals (homes without partition): disabled from ``r(q * M_cum(d))``,
  other = mild other + rotated staff + new admissions (both spread by the same curve);
- staff absences starting each day from ``r(staff_absence * staff)`` spread by the curve.

Lengths of stay turn arrivals into persons present (``planner.needs.curve.present``): a transferred disabled
person needs a 1:1 nurse at the hospital for ``hospital_stay_days``, an absent staff member needs backfill for
``absence_days``, an infected self-care resident of a home with partition needs care for
``observation_stay_days``. Observation persons stay ``observation_stay_days`` (rotated staff
``rotation_observation_days``) at the site the observation stage gives them (``cohorts``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.needs.curve import IntArray, present, round_persons, spread, spread_cumulative

COHORT_COLUMNS: tuple[str, ...] = (
    "home_id",
    "street_id",
    "district_id",
    "group",
    "arrival_day",
    "stay_days",
    "persons",
)
TRANSFER_COLUMNS: tuple[str, ...] = ("home_id", "district_id", "hospital_id", "day", "transfers", "transfers_disabled")
NURSING_COLUMNS: tuple[str, ...] = (
    "need_id",
    "destination_id",
    "destination_kind",
    "district_id",
    "need",
    "day",
    "required",
)


@dataclass(frozen=True)
class Stays:
    """Lengths of stay, days (rules)."""

    observation_days: int
    hospital_days: int
    absence_days: int
    rotation_days: int


@dataclass(frozen=True)
class DailyNeeds:
    """Every need of the horizon, day by day.

    ``infections``: home_id, district_id, day, infected (new that day). ``cohorts`` (:data:`COHORT_COLUMNS`):
    observation arrivals per home, group, day and length of stay. ``transfers`` (:data:`TRANSFER_COLUMNS`):
    transfers to hospital per home and day. ``nursing`` (:data:`NURSING_COLUMNS`): nurses required per need and
    day (1:1 at receiving hospitals, backfill and self-care at homes; 1:1 at sites comes from the observation
    stage's stays).
    """

    horizon_days: int
    stays: Stays
    infections: pd.DataFrame
    cohorts: pd.DataFrame
    transfers: pd.DataFrame
    nursing: pd.DataFrame


def daily_needs(
    homes: pd.DataFrame,
    infected_by_day: IntArray,
    shares: np.ndarray,
    *,
    severe_share: float,
    staff_absence: float,
    stays: Stays,
    self_care_per_infected: float,
    nurses_per_transferred_disabled: float,
    hospital_district: Mapping[str, str],
) -> DailyNeeds:
    """The day-by-day needs of ``homes`` (the snapshot's home table, ``planner.needs.needs.HOME_COLUMNS``).

    ``infected_by_day`` holds each home's new infections per day (one row per home, one column per day);
    ``shares`` the curve (one row per home, or one row for all) that spreads rotated staff, new admissions and
    staff absences; ``hospital_district`` maps each hospital to its district.
    """
    horizon = infected_by_day.shape[1]
    residents = homes["residents"].to_numpy(np.float64)
    disabled_share = np.divide(
        homes["disabled"].to_numpy(np.float64), residents, out=np.zeros_like(residents), where=residents > 0
    )
    infected_cum = np.cumsum(infected_by_day, axis=1)
    transfers_cum = round_persons(severe_share * infected_cum)
    transfers = np.diff(transfers_cum, axis=1, prepend=0)
    transfers_disabled = np.diff(round_persons(disabled_share[:, None] * transfers_cum), axis=1, prepend=0)
    mild_cum = infected_cum - transfers_cum
    partition = homes["partition"].to_numpy(bool)
    observation_disabled = np.diff(round_persons(disabled_share[:, None] * mild_cum), axis=1, prepend=0)
    observation_disabled[partition] = 0
    mild_other = np.diff(mild_cum, axis=1, prepend=0) - observation_disabled
    mild_other[partition] = 0
    home_shares = np.broadcast_to(np.atleast_2d(shares), (len(homes), horizon))
    rotation = spread(homes["rotation_staff"].to_numpy(np.float64), home_shares)
    admissions = spread(homes["new_admissions"].to_numpy(np.float64), home_shares)
    rotation[partition] = 0
    admissions[partition] = 0
    absences = spread(round_persons(staff_absence * homes["staff"].to_numpy(np.float64)), home_shares)
    mild_in_house = np.where(partition[:, None], np.diff(mild_cum, axis=1, prepend=0), 0)
    return DailyNeeds(
        horizon_days=horizon,
        stays=stays,
        infections=_long(homes, {"infected": infected_by_day}),
        cohorts=_cohorts(homes, observation_disabled, mild_other + admissions, rotation, stays),
        transfers=_transfers(homes, transfers, transfers_disabled),
        nursing=_nursing(
            homes,
            present(transfers_disabled, stays.hospital_days),
            present(absences, stays.absence_days),
            present(mild_in_house, stays.observation_days),
            self_care_per_infected,
            nurses_per_transferred_disabled,
            hospital_district,
        ),
    )


def _long(homes: pd.DataFrame, columns: dict[str, IntArray]) -> pd.DataFrame:
    """One row per home and day with the given per-home-per-day columns."""
    horizon = next(iter(columns.values())).shape[1]
    frame = pd.DataFrame(
        {
            "home_id": np.repeat(homes["home_id"].to_numpy(dtype=object), horizon),
            "district_id": np.repeat(homes["district_id"].to_numpy(dtype=object), horizon),
            "day": np.tile(np.arange(horizon, dtype=np.int64), len(homes)),
        }
    )
    for name, values in columns.items():
        frame[name] = np.asarray(values, dtype=np.int64).ravel()
    return frame


def _cohorts(
    homes: pd.DataFrame, disabled: IntArray, other: IntArray, rotation: IntArray, stays: Stays
) -> pd.DataFrame:
    """Observation arrivals with persons > 0: home, group, arrival day, length of stay."""
    parts = []
    for group, arrivals, stay in (
        ("disabled", disabled, stays.observation_days),
        ("other", other, stays.observation_days),
        ("other", rotation, stays.rotation_days),
    ):
        frame = _long(homes, {"persons": arrivals})
        frame["street_id"] = np.repeat(homes["street_id"].to_numpy(dtype=object), arrivals.shape[1])
        parts.append(frame.assign(group=group, stay_days=stay).rename(columns={"day": "arrival_day"}))
    cohorts = pd.concat(parts, ignore_index=True)
    cohorts = cohorts[cohorts["persons"] > 0]
    keys = ["home_id", "street_id", "district_id", "group", "arrival_day", "stay_days"]
    merged = cohorts.groupby(keys, sort=False, as_index=False)["persons"].sum()
    order = pd.Index(homes["home_id"]).get_indexer(merged["home_id"])
    merged = merged.assign(_home=order).sort_values(["_home", "group", "arrival_day", "stay_days"], kind="stable")
    return merged.loc[:, list(COHORT_COLUMNS)].reset_index(drop=True)


def _transfers(homes: pd.DataFrame, transfers: IntArray, disabled: IntArray) -> pd.DataFrame:
    frame = _long(homes, {"transfers": transfers, "transfers_disabled": disabled})
    frame["hospital_id"] = np.repeat(homes["hospital_id"].to_numpy(dtype=object), transfers.shape[1])
    return frame.loc[:, list(TRANSFER_COLUMNS)]


def _nursing(
    homes: pd.DataFrame,
    disabled_in_hospital: IntArray,
    absent: IntArray,
    self_care_present: IntArray,
    self_care_per_infected: float,
    nurses_per_disabled: float,
    hospital_district: Mapping[str, str],
) -> pd.DataFrame:
    """Nurses required per need and day (rows with 0 dropped): 1:1 at hospitals, backfill, self-care."""
    hospital = _long(homes, {"persons": disabled_in_hospital})
    hospital["hospital_id"] = np.repeat(homes["hospital_id"].to_numpy(dtype=object), disabled_in_hospital.shape[1])
    hospital = hospital[(hospital["hospital_id"] != "") & (hospital["persons"] > 0)]
    by_hospital = hospital.groupby(["hospital_id", "day"], as_index=False, sort=True)["persons"].sum()
    rows = [
        _need_rows(
            by_hospital["hospital_id"],
            "hospital",
            by_hospital["hospital_id"].map(hospital_district).fillna(""),
            "transfer_1to1",
            by_hospital["day"],
            np.ceil(np.round(nurses_per_disabled * by_hospital["persons"].to_numpy(np.float64), 9)),
        )
    ]
    backfill = _long(homes, {"required": absent})
    rows.append(
        _need_rows(
            backfill["home_id"], "care_home", backfill["district_id"], "backfill", backfill["day"], backfill["required"]
        )
    )
    care = _long(homes, {"required": round_persons(self_care_per_infected * self_care_present)})
    rows.append(
        _need_rows(care["home_id"], "care_home", care["district_id"], "self_care", care["day"], care["required"])
    )
    return pd.concat(rows, ignore_index=True)


def _need_rows(
    destination: pd.Series, kind: str, district: pd.Series, need: str, day: pd.Series, required: object
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "need_id": (need + ":" + destination.astype(str)).to_numpy(dtype=object),
            "destination_id": destination.astype(str).to_numpy(dtype=object),
            "destination_kind": kind,
            "district_id": district.astype(str).to_numpy(dtype=object),
            "need": need,
            "day": np.asarray(day, dtype=np.int64),
            "required": np.asarray(required, dtype=np.int64),
        }
    )
    return frame[frame["required"] > 0].reset_index(drop=True).loc[:, list(NURSING_COLUMNS)]


def cumulative_infections(expected_cumulative: np.ndarray) -> IntArray:
    """New infections per day from expected cumulative infections per home (forecast-driven districts)."""
    return spread_cumulative(expected_cumulative)
