"""Day-by-day needs: the snapshot's needs spread over the horizon by the epidemic curve, with lengths of stay.

Every care home has a curve: the share of the horizon's infections that happen on each day
(``planner.needs.curve.wave_shares`` from the scenario's ``peak_day`` and ``wave_days``, or its district's or
its own ``forecast`` rows, normalised over the horizon). How many persons need something comes from the
snapshot (``planner.needs.needs``: the attack rate and the rules) — scaled, where a forecast names a home or its
district, to the forecast's infections (:func:`forecast_scale`) —; **when** they need it comes from the curve,
so without a forecast the day-by-day totals equal the snapshot's exactly (cumulative rounding,
``planner.needs.curve.spread``):

- observation **cohorts**: each row of the snapshot's observation table (origin, group, cause) arrives over the
  days by its origin's curve (a street's inbound arrivals by its district's) and stays the cause's length of stay
  (rules: ``observation_stay_days`` for mild cases and new admissions, ``rotation_observation_days`` for rotated
  staff, ``contact_central_isolation_days`` for close contacts, ``inbound_isolation_days`` for arrivals);
- **transfers** to hospital per home and day (the home's transfers and disabled transfers by its curve);
- **nurses** per need and day: backfill for ``staff_absence_days`` from each absence, self-care and 1:1 care in a
  home's own isolation area for ``observation_stay_days`` from each case, 1:1 care at a receiving hospital for
  ``hospital_stay_days`` from each disabled transfer (``c(ratio * persons present)``). 1:1 care at observation
  sites follows the stays the observation stage plans.

Present on day ``t`` are the arrivals of days ``t - stay + 1 .. t``; a person never counts twice on one day, so no
day needs more than the snapshot (which has everyone at once).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.needs.curve import FloatArray, IntArray, present, spread, wave_shares
from planner.needs.rounding import ceil_target, round_persons
from planner.rules.rules import Rules
from planner.rules.scenario import Scenario

COHORT_COLUMNS: tuple[str, ...] = (
    "home_id",
    "street_id",
    "district_id",
    "group",
    "cause",
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
FORECAST_COLUMNS: tuple[str, ...] = ("day", "district_id", "home_id", "new_infections")


@dataclass(frozen=True)
class Stays:
    """Lengths of stay by cause, days (rules; a cause with 0 days still stays one day when it needs a place)."""

    observation_days: int
    hospital_days: int
    absence_days: int
    rotation_days: int
    contact_days: int
    inbound_days: int

    @classmethod
    def of(cls, rules: Rules) -> Stays:
        """The lengths of stay of ``rules``."""
        return cls(
            observation_days=int(rules.observation_stay_days),
            hospital_days=int(rules.hospital_stay_days),
            absence_days=int(rules.staff_absence_days),
            rotation_days=int(rules.rotation_observation_days),
            contact_days=int(rules.contact_central_isolation_days),
            inbound_days=int(rules.inbound_isolation_days),
        )

    def of_cause(self, cause: str) -> int:
        """Days at an observation site of a person placed for ``cause`` (at least 1)."""
        days = {
            "mild": self.observation_days,
            "admission": self.observation_days,
            "rotation": self.rotation_days,
            "contact": self.contact_days,
            "inbound": self.inbound_days,
        }[cause]
        return max(1, days)


@dataclass(frozen=True)
class DailyNeeds:
    """Every need of the horizon, day by day (module docstring).

    ``curves``: one row per care home (``home_id``, ``district_id``) and one column per day ``0..H-1`` (shares);
    ``cohorts`` (:data:`COHORT_COLUMNS`), ``transfers`` (:data:`TRANSFER_COLUMNS`), ``nursing``
    (:data:`NURSING_COLUMNS`, rows with 0 dropped).
    """

    horizon_days: int
    stays: Stays
    curves: pd.DataFrame
    cohorts: pd.DataFrame
    transfers: pd.DataFrame
    nursing: pd.DataFrame

    def shares(self) -> FloatArray:
        """The curves as an array (homes x days)."""
        return self.curves.drop(columns=["home_id", "district_id"]).to_numpy(np.float64)


def home_curves(homes: pd.DataFrame, scenario: Scenario, forecast: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each home's share of the horizon's infections per day: its own forecast, its district's, else the curve.

    ``forecast`` rows (``day, district_id, home_id, new_infections``; one of the ids set) within the horizon are
    normalised per home or district; a home or district whose forecast sums to 0 keeps the default curve.
    """
    horizon = scenario.horizon_days
    peak, wave = scenario.curve_days()
    shares = np.tile(wave_shares(horizon, peak, wave), (len(homes), 1))
    if forecast is not None and not forecast.empty:
        for key in ("district_id", "home_id"):
            shares = _forecast_shares(shares, homes[key].astype(str), forecast, key, horizon)
    frame = pd.DataFrame(shares, columns=list(range(horizon)))
    frame.insert(0, "district_id", homes["district_id"].astype(str).to_numpy())
    frame.insert(0, "home_id", homes["home_id"].astype(str).to_numpy())
    return frame


def forecast_scale(
    homes: pd.DataFrame, scenario: Scenario, forecast: pd.DataFrame | None, population: pd.Series
) -> FloatArray:
    """How many more (or fewer) infections a forecast gives each home than the attack rate: ``forecast infected /
    snapshot infected`` (1 where no forecast names the home or its district, or where the snapshot has none).

    A home's own rows count its infections over the horizon; a district's rows give an incidence per inhabitant
    (``sum new_infections / population``) that applies to the residents of its homes (at most all of them).
    """
    scale = np.ones(len(homes))
    if forecast is None or forecast.empty:
        return scale
    rows = forecast[(forecast["day"] >= 0) & (forecast["day"] < scenario.horizon_days)]
    infected = homes["infected"].to_numpy(np.float64)
    residents = homes["residents"].to_numpy(np.float64)
    by_district = rows[rows["district_id"].fillna("").astype(str) != ""].groupby("district_id")["new_infections"].sum()
    incidence = (by_district / population.reindex(by_district.index)).dropna()
    district = homes["district_id"].astype(str)
    forecast_infected = np.minimum(residents, np.floor(residents * district.map(incidence).to_numpy(np.float64) + 0.5))
    by_home = rows[rows["home_id"].fillna("").astype(str) != ""].groupby("home_id")["new_infections"].sum()
    own = homes["home_id"].astype(str).map(by_home).to_numpy(np.float64)
    forecast_infected = np.where(np.isnan(own), forecast_infected, own)
    given = ~np.isnan(forecast_infected) & (infected > 0)
    scale[given] = forecast_infected[given] / infected[given]
    return scale


def _forecast_shares(shares: FloatArray, ids: pd.Series, forecast: pd.DataFrame, key: str, horizon: int) -> FloatArray:
    rows = forecast[forecast[key].fillna("").astype(str) != ""]
    rows = rows[(rows["day"] >= 0) & (rows["day"] < horizon)]
    if rows.empty:
        return shares
    table = rows.pivot_table(index=key, columns="day", values="new_infections", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=range(horizon), fill_value=0).astype(np.float64)
    totals = table.sum(axis=1)
    table = table[totals > 0].div(totals[totals > 0], axis=0)
    position = table.index.get_indexer(pd.Index(ids.to_numpy()))
    has = position >= 0
    result = shares.copy()
    result[has] = table.to_numpy()[position[has]]
    return result


def daily_needs(
    homes: pd.DataFrame,
    observation: pd.DataFrame,
    nursing: pd.DataFrame,
    curves: pd.DataFrame,
    stays: Stays,
    *,
    nurses_per_transferred_disabled: float,
    scale: FloatArray | None = None,
) -> DailyNeeds:
    """The day-by-day needs of the snapshot tables ``homes``, ``observation`` and ``nursing`` (``Needs``).

    ``curves`` from :func:`home_curves` (same homes, same order); ``scale`` per home (:func:`forecast_scale`)
    multiplies what follows from infections (mild cases and contacts placed, transfers, self-care and 1:1 care).
    """
    if scale is not None and not np.allclose(scale, 1.0):
        homes, observation, nursing = _scaled(homes, observation, nursing, scale)
    horizon = curves.shape[1] - 2
    shares = curves.drop(columns=["home_id", "district_id"]).to_numpy(np.float64)
    return DailyNeeds(
        horizon_days=horizon,
        stays=stays,
        curves=curves,
        cohorts=cohorts_of(observation, homes, shares, stays),
        transfers=_transfers(homes, shares),
        nursing=_nursing(homes, nursing, shares, stays, nurses_per_transferred_disabled),
    )


INFECTION_CAUSES = ("mild", "contact")
"""Observation causes that follow a home's infections (a forecast scales them)."""
INFECTION_NEEDS = ("self_care", "transfer_1to1")
"""Nursing needs at care homes that follow a home's infections."""


def _scaled(
    homes: pd.DataFrame, observation: pd.DataFrame, nursing: pd.DataFrame, scale: FloatArray
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The snapshot tables with what follows from infections scaled per home, whole persons (``r(x)``)."""
    by_home = pd.Series(scale, index=homes["home_id"].astype(str).to_numpy())
    homes = homes.assign(
        transfers=round_persons(homes["transfers"].to_numpy(np.float64) * scale),
        transfers_disabled=round_persons(homes["transfers_disabled"].to_numpy(np.float64) * scale),
    )
    factor = observation["home_id"].astype(str).map(by_home).fillna(1.0).to_numpy(np.float64)
    infection = observation["cause"].isin(INFECTION_CAUSES).to_numpy()
    persons = observation["persons"].to_numpy(np.float64)
    observation = observation.assign(
        persons=np.where(infection, round_persons(persons * factor), persons).astype(np.int64)
    )
    at_home = (nursing["destination_kind"] == "care_home") & nursing["need"].isin(INFECTION_NEEDS)
    factor = nursing["destination_id"].astype(str).map(by_home).fillna(1.0).to_numpy(np.float64)
    required = nursing["required"].to_numpy(np.float64)
    nursing = nursing.assign(
        required=np.where(at_home.to_numpy(), round_persons(required * factor), required).astype(np.int64)
    )
    return homes, observation, nursing


def _origin_shares(observation: pd.DataFrame, homes: pd.DataFrame, shares: FloatArray) -> FloatArray:
    """The curve of each observation row's origin: its home's, or (a street's arrivals) its district's first home's
    curve, else the mean curve."""
    home_row = pd.Index(homes["home_id"].astype(str)).get_indexer(pd.Index(observation["home_id"].astype(str)))
    district_first = pd.Series(np.arange(len(homes)), index=homes["district_id"].astype(str)).groupby(level=0).first()
    district_row = observation["district_id"].astype(str).map(district_first).fillna(-1).to_numpy(np.int64)
    row = np.where(home_row >= 0, home_row, district_row)
    mean = shares.mean(axis=0) if len(shares) else np.zeros(shares.shape[1])
    result = np.tile(mean, (len(observation), 1))
    result[row >= 0] = shares[row[row >= 0]]
    return result


def cohorts_of(observation: pd.DataFrame, homes: pd.DataFrame, shares: FloatArray, stays: Stays) -> pd.DataFrame:
    """Observation arrivals per origin, group, cause and day, with the cause's length of stay (persons > 0)."""
    horizon = shares.shape[1]
    rows = observation[observation["persons"] > 0].reset_index(drop=True)
    if rows.empty:
        return pd.DataFrame(columns=list(COHORT_COLUMNS))
    arrivals = spread(rows["persons"].to_numpy(np.float64), _origin_shares(rows, homes, shares))
    frame = rows.loc[
        np.repeat(np.arange(len(rows)), horizon), ["home_id", "street_id", "district_id", "group", "cause"]
    ]
    frame = frame.assign(
        arrival_day=np.tile(np.arange(horizon, dtype=np.int64), len(rows)),
        stay_days=np.repeat(rows["cause"].map(stays.of_cause).to_numpy(np.int64), horizon),
        persons=arrivals.ravel(),
    )
    return frame[frame["persons"] > 0].loc[:, list(COHORT_COLUMNS)].reset_index(drop=True)


def _long(homes: pd.DataFrame, columns: dict[str, IntArray]) -> pd.DataFrame:
    """One row per home and day with the given per-home-per-day columns."""
    horizon = next(iter(columns.values())).shape[1]
    frame = pd.DataFrame(
        {
            "home_id": np.repeat(homes["home_id"].astype(str).to_numpy(dtype=object), horizon),
            "district_id": np.repeat(homes["district_id"].astype(str).to_numpy(dtype=object), horizon),
            "day": np.tile(np.arange(horizon, dtype=np.int64), len(homes)),
        }
    )
    for name, values in columns.items():
        frame[name] = np.asarray(values, dtype=np.int64).ravel()
    return frame


def _transfers(homes: pd.DataFrame, shares: FloatArray) -> pd.DataFrame:
    transfers = spread(homes["transfers"].to_numpy(np.float64), shares)
    disabled = spread(homes["transfers_disabled"].to_numpy(np.float64), shares)
    frame = _long(homes, {"transfers": transfers, "transfers_disabled": disabled})
    frame["hospital_id"] = np.repeat(homes["hospital_id"].astype(str).to_numpy(dtype=object), shares.shape[1])
    return frame.loc[:, list(TRANSFER_COLUMNS)]


HOME_NEED_STAY = {"backfill": "absence_days", "self_care": "observation_days", "transfer_1to1": "observation_days"}
"""Which length of stay a care home's nursing need lasts from each new case (or absence)."""


def _nursing(
    homes: pd.DataFrame,
    nursing: pd.DataFrame,
    shares: FloatArray,
    stays: Stays,
    ratio: float,
) -> pd.DataFrame:
    """Nurses required per need and day (module docstring); rows with 0 dropped."""
    horizon = shares.shape[1]
    parts = [_hospital_nursing(homes, nursing, shares, stays, ratio)]
    at_homes = nursing[nursing["destination_kind"] == "care_home"].reset_index(drop=True)
    home_row = pd.Index(homes["home_id"].astype(str)).get_indexer(pd.Index(at_homes["destination_id"].astype(str)))
    for need, stay_field in HOME_NEED_STAY.items():
        rows = at_homes[(at_homes["need"] == need) & (home_row >= 0)]
        if rows.empty:
            continue
        starts = spread(rows["required"].to_numpy(np.float64), shares[home_row[rows.index.to_numpy()]])
        required = present(starts, getattr(stays, stay_field))
        parts.append(_need_frame(rows, required, horizon))
    frame = pd.concat(parts, ignore_index=True)
    return frame[frame["required"] > 0].loc[:, list(NURSING_COLUMNS)].reset_index(drop=True)


def _hospital_nursing(
    homes: pd.DataFrame,
    nursing: pd.DataFrame,
    shares: FloatArray,
    stays: Stays,
    ratio: float,
) -> pd.DataFrame:
    """1:1 nurses at each receiving hospital the snapshot lists: ``c(ratio * disabled transfers present)``."""
    listed = nursing[(nursing["destination_kind"] == "hospital") & (nursing["need"] == "transfer_1to1")]
    horizon = shares.shape[1]
    if listed.empty:
        return pd.DataFrame(columns=list(NURSING_COLUMNS))
    arrivals = spread(homes["transfers_disabled"].to_numpy(np.float64), shares)
    hospital = homes["hospital_id"].astype(str).to_numpy()
    order = listed["destination_id"].astype(str).to_numpy()
    per_hospital = np.zeros((len(order), horizon), np.int64)
    position = pd.Index(order).get_indexer(pd.Index(hospital))
    np.add.at(per_hospital, position[position >= 0], arrivals[position >= 0])
    persons = present(per_hospital, stays.hospital_days)
    required = ceil_target(ratio * persons.astype(np.float64)).reshape(persons.shape)
    return _need_frame(listed.reset_index(drop=True), required, horizon)


def _need_frame(rows: pd.DataFrame, required: np.ndarray, horizon: int) -> pd.DataFrame:
    """One row per need row of ``rows`` and day, with ``required`` (rows x days)."""
    repeated = rows.loc[np.repeat(rows.index.to_numpy(), horizon), list(NURSING_COLUMNS[:5])].reset_index(drop=True)
    return repeated.assign(
        day=np.tile(np.arange(horizon, dtype=np.int64), len(rows)),
        required=np.asarray(required, dtype=np.int64).ravel(),
    )
