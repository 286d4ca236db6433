"""The day-by-day plan's timeline: needed against planned per day, resource and scope, and the run-out days.

Built after the stages from their results and the day-by-day needs (``planner.needs.daily``); empty for a
snapshot plan. One row per ``day, resource, scope, scope_id`` (:data:`planner.report.plan.TIMELINE_COLUMNS`),
``short = max(needed - planned, 0)``, every number rounded as the plan's files write it
(:data:`planner.report.plan.NUMBER_DECIMALS`), so that what is short is what a reader of the files sees short:

- ``observation_places`` / ``observation_places_disabled``: at a **site**, persons present against its capacity
  (the stays of the observation stage); per **district** of origin and for the **city**, persons who need a
  place that day against those placed (the unmet cohorts are the shortfall);
- ``nurses_1to1``, ``nurses_backfill``, ``nurses_self_care`` per **district**: nurses required that day against
  those assigned by that day's nursing model (``models.nursing_days`` on the day's needs over every pool -> need pair,
  as the stage: its tiers exact, its minutes not proven least, ``planner.stages.nursing.DAY_PRICING_ROUNDS``; pools at
  ``floor(nurses * nurse_work_days_per_week / 7)`` nurses a day, a nurse serving one need a day; 1:1 at sites
  from the disabled persons present); ``nurses`` per **pool**: nurses sent against nurses on duty;
- ``ambulance_transfers`` per **district**: transfers that day against the transfers of covered homes (the fleet
  is planned on each home's peak day, so a covered home is covered every day);
- ``stock:<drug>`` per **institution**: cumulative use against stock on hand plus the drug stage's delivery from
  the day ``drug_delivery_lead_days`` after the start. Use follows the rules: a care home's or clinic's reserve is
  used as its cases arise (the home's curve; a clinic its district's), antigen kits evenly over the horizon, a
  hospital's stock at its daily use (``target / hospital_drug_days``). (An assumption of this report: the work
  plans size reserves, not their daily use.)

``run_out``: the first day each resource is short in each scope where it ever is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.base import StageResult
from planner.report.plan import NUMBER_DECIMALS, RUN_OUT_COLUMNS, TIMELINE_COLUMNS
from planner.stages import nursing as nursing_stage
from planner.stages.base import PlanContext, repeated, timeline_rows


def empty_timeline() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame(columns=list(TIMELINE_COLUMNS)), pd.DataFrame(columns=list(RUN_OUT_COLUMNS))


def build_timeline(context: PlanContext, results: Mapping[str, StageResult]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(timeline, run_out)`` of a daily plan (module docstring); empty frames for a snapshot."""
    daily = context.needs.daily
    if daily is None or "observation" not in results:
        return empty_timeline()
    stock = stock_levels(context, results["drugs"]) if "drugs" in results else None  # its rows after the wait
    parts = [
        _timeline_part(observation_rows(context, results["observation"])),
        None,  # the nursing rows: they come last, from their child, and go second
        _timeline_part(ambulance_rows(context, results["ambulance"]) if "ambulance" in results else None),
    ]
    if "nursing" in results:  # each day's nursing model, started in a child as the observation stage was solved
        parts[1] = _timeline_part(
            context.ahead_of("nursing", nursing_stage.timeline_call(context, results["observation"]))
        )
    parts.append(_timeline_part(stock.rows() if stock is not None else None))
    timeline = joined(parts)
    return (timeline, run_out_of(timeline)) if len(timeline) else empty_timeline()


def joined(parts: list[pd.DataFrame | None]) -> pd.DataFrame:
    """The rows of the ``parts`` that are not None (each in the timeline's columns) one after the other, as
    ``pd.concat`` joins them, a column at a time. ``parts`` is emptied: each part's column is let go once it is
    copied, so the timeline is built beside its parts less a column each time, not beside all of them (national:
    4.57 million rows, 256 MB). An empty frame when no part is left."""
    pieces = [{column: part[column].to_numpy() for column in TIMELINE_COLUMNS} for part in parts if part is not None]
    parts.clear()
    if not pieces:
        return pd.DataFrame()
    columns = {column: np.concatenate([piece.pop(column) for piece in pieces]) for column in TIMELINE_COLUMNS}
    return pd.DataFrame(columns, copy=False)


def _timeline_part(rows: pd.DataFrame | None) -> pd.DataFrame | None:
    """A part of the timeline with its shortfalls (:func:`with_shortfalls`) in the timeline's columns; None when it
    has no rows. Each part is done as it comes in: the nursing rows come last, from their child."""
    if rows is None or rows.empty:
        return None
    return with_shortfalls(rows)


def with_shortfalls(timeline: pd.DataFrame) -> pd.DataFrame:
    """``timeline`` in the timeline's columns with ``needed`` and ``planned`` rounded as the plan's files write them
    and ``short = max(needed - planned, 0)`` of the rounded values: a stock short by a millionth of a pack on day 0
    is not a run-out day that no row of the files shows. Built once, a block per column: the columns it does not
    change are ``timeline``'s (a national timeline's 4.2 million stock rows were copied three times)."""
    rounded = {column: timeline[column].to_numpy(float).round(NUMBER_DECIMALS) for column in ("needed", "planned")}
    kept = [column for column in TIMELINE_COLUMNS if column not in ("needed", "planned", "short")]
    columns = {
        **{column: timeline[column].to_numpy() for column in kept},
        **rounded,
        "short": np.maximum(rounded["needed"] - rounded["planned"], 0.0),
    }
    return pd.DataFrame({column: columns[column] for column in TIMELINE_COLUMNS}, copy=False)


def timeline_kpis(timeline: pd.DataFrame, run_out: pd.DataFrame) -> dict[str, object]:
    """Headline figures of a daily plan: per resource, the day the most is needed (summed over its scopes; for
    stock the day of the most use) and the first day it runs short anywhere; empty for a snapshot.

    Summed over the city, district and institution rows (observation: the city's, not its districts' again), by
    codes of the resources instead of a copy of the rows (a national timeline's 4.6 million rows: 2.3 -> 0.5 s)."""
    if timeline.empty:
        return {}
    codes, resources = pd.factorize(timeline["resource"], sort=True)  # a test per resource, not per row
    scope_codes, scopes = pd.factorize(timeline["scope"])
    observation = np.array([str(resource).startswith("observation") for resource in resources], bool)
    counted = np.isin(scopes.to_numpy(dtype=object), ["city", "district", "institution"])[scope_codes]
    district = (scopes.to_numpy(dtype=object) == "district")[scope_codes]
    kept = counted & ~(district & observation[codes])
    day, needed = timeline["day"].to_numpy(), timeline["needed"].to_numpy()
    rows = pd.DataFrame({"resource": codes[kept], "day": day[kept], "needed": needed[kept]})
    totals = rows.groupby(["resource", "day"])["needed"].sum().reset_index()
    stock = np.array([str(resource).startswith("stock:") for resource in resources], bool)[totals["resource"]]
    totals.loc[stock, "needed"] = totals[stock].groupby("resource")["needed"].diff().fillna(totals.loc[stock, "needed"])
    peak = totals.loc[totals.groupby("resource")["needed"].idxmax()]
    names = [str(resources[code]) for code in peak["resource"]]
    first = run_out.groupby("resource")["first_short_day"].min()
    return {
        "peak_day": {name: int(d) for name, d in zip(names, peak["day"], strict=True)},
        "peak_needed": {name: round(float(n), 4) for name, n in zip(names, peak["needed"], strict=True)},
        "first_short_day": {str(r): int(d) for r, d in first.items()},
    }


def run_out_of(timeline: pd.DataFrame) -> pd.DataFrame:
    """The first day with ``short > 0`` per resource and scope."""
    short = timeline[timeline["short"] > 0]
    first = short.groupby(["resource", "scope", "scope_id"], as_index=False, sort=True)["day"].min()
    return pd.DataFrame(first).rename(columns={"day": "first_short_day"}).loc[:, list(RUN_OUT_COLUMNS)]


def _present(keys: pd.Series, start: pd.Series, end: pd.Series, persons: pd.Series, days: int) -> pd.DataFrame:
    """Persons present per key and day from stays ``[start, end)`` (difference arrays); ``scope_id, day, value``."""
    codes, uniques = pd.factorize(keys.astype(str))
    change = np.zeros((len(uniques), days + 1))
    np.add.at(change, (codes, np.clip(start.to_numpy(np.int64), 0, days)), persons.to_numpy(float))
    np.add.at(change, (codes, np.clip(end.to_numpy(np.int64), 0, days)), -persons.to_numpy(float))
    present = np.cumsum(change, axis=1)[:, :days]
    return pd.DataFrame(
        {
            "scope_id": np.repeat(uniques.to_numpy(dtype=object), days),
            "day": np.tile(np.arange(days, dtype=np.int64), len(uniques)),
            "value": present.ravel(),
        }
    )


def observation_rows(context: PlanContext, result: StageResult) -> pd.DataFrame:
    """Places at each site (present against capacity) and per district and city (needing against placed)."""
    days = context.scenario.horizon_days
    occupancy = result.table("occupancy")
    parts = [
        timeline_rows(
            "observation_places",
            "site",
            pd.DataFrame(
                {
                    "scope_id": occupancy["site_id"],
                    "day": occupancy["day"],
                    "needed": occupancy["persons"].astype(float),
                    "planned": occupancy["capacity"].astype(float),
                }
            ),
        )
    ]
    daily = context.needs.daily
    assert daily is not None
    district_of = daily.cohorts.drop_duplicates("home_id").set_index("home_id")["district_id"]
    stays, unmet = result.table("stays"), result.table("cohort_unmet")
    for resource, groups in (
        ("observation_places", ("disabled", "other")),
        ("observation_places_disabled", ("disabled",)),
    ):
        placed_rows = stays[stays["group"].isin(groups)]
        unmet_rows = unmet[unmet["group"].isin(groups)]
        for scope, key in (("district", "district"), ("city", "city")):
            parts.append(_needing(resource, scope, key, placed_rows, unmet_rows, district_of, days))
    filled = [part for part in parts if len(part)]  # an empty part would decide no column's type (pandas warns)
    return pd.concat(filled or parts[:1], ignore_index=True)


def _needing(
    resource: str,
    scope: str,
    key: str,
    placed: pd.DataFrame,
    unmet: pd.DataFrame,
    district_of: pd.Series,
    days: int,
) -> pd.DataFrame:
    both = pd.concat([placed.assign(placed=1.0), unmet.assign(placed=0.0)], ignore_index=True)
    if both.empty:
        return pd.DataFrame(columns=["scope_id", "day", "needed", "planned", "resource", "scope", "short"])
    scope_key = both["home_id"].map(district_of).fillna("") if key == "district" else pd.Series("all", index=both.index)
    needed = _present(scope_key, both["arrival_day"], both["departure_day"], both["persons"], days)
    planned = _present(scope_key, both["arrival_day"], both["departure_day"], both["persons"] * both["placed"], days)
    frame = needed.rename(columns={"value": "needed"}).assign(planned=planned["value"].to_numpy())
    return timeline_rows(resource, scope, frame)


def ambulance_rows(context: PlanContext, result: StageResult) -> pd.DataFrame:
    """Transfers per district and day against the transfers of the homes the plan covers."""
    daily = context.needs.daily
    assert daily is not None
    covered = result.table("handshakes").set_index("home_id")["covered"].astype(bool)
    transfers = daily.transfers.assign(covered=daily.transfers["home_id"].map(covered).fillna(False).astype(bool))
    transfers["carried"] = np.where(transfers["covered"], transfers["transfers"], 0)
    grouped = transfers.groupby(["district_id", "day"], as_index=False)[["transfers", "carried"]].sum()
    frame = grouped.rename(columns={"district_id": "scope_id", "transfers": "needed", "carried": "planned"})
    return timeline_rows("ambulance_transfers", "district", frame.astype({"needed": float, "planned": float}))


@dataclass(frozen=True)
class StockLevels:
    """Per target row (institution and drug) and day: cumulative use and stock (``institutions x days``), the sums
    the stock rows are made of. 0.07 GB at national, where the rows (:meth:`rows`) take 0.24 GB: the timeline
    makes them once the nursing rows' child has ended."""

    institution_id: npt.NDArray[np.object_]
    drug: npt.NDArray[np.object_]
    cumulative_use: npt.NDArray[np.float64]
    stock: npt.NDArray[np.float64]

    def rows(self) -> pd.DataFrame:
        """Cumulative use (``needed``) against stock (``planned``) per institution, drug and day."""
        institutions, days = self.stock.shape
        rows = institutions * days
        drug_codes, drugs = pd.factorize(self.drug)
        resources = np.array(["stock:" + drug for drug in drugs], dtype=object)  # one text per drug, for its rows
        return pd.DataFrame(  # fresh arrays, a block each (4.2 million rows at national: no copy to consolidate them)
            {
                "scope_id": np.repeat(self.institution_id, days),
                "day": np.tile(np.arange(days, dtype=np.int64), institutions),
                "needed": self.cumulative_use.ravel(),
                "planned": self.stock.ravel(),
                "resource": np.repeat(resources[drug_codes], days),
                "scope": repeated("institution", rows),
                "short": np.zeros(rows),
            },
            copy=False,
        )


def stock_levels(context: PlanContext, result: StageResult) -> StockLevels | None:
    """Cumulative use and stock per institution, drug and day (module docstring); None without targets."""
    daily = context.needs.daily
    assert daily is not None
    targets = result.table("targets")
    if targets.empty:
        return None
    days = daily.horizon_days
    arrived = (np.arange(days) >= context.rules.drug_delivery_lead_days).astype(float)
    return StockLevels(
        institution_id=targets["institution_id"].astype(str).to_numpy(dtype=object),
        drug=targets["drug"].astype(str).to_numpy(dtype=object),
        cumulative_use=np.cumsum(_daily_use(context, targets, days), axis=1),
        stock=targets["on_hand"].to_numpy(float)[:, None] + targets["allocated"].to_numpy(float)[:, None] * arrived,
    )


def _daily_use(context: PlanContext, targets: pd.DataFrame, days: int) -> np.ndarray:
    """Packs used per target row and day (module docstring)."""
    daily = context.needs.daily
    assert daily is not None
    shares = daily.shares()
    home_row = pd.Index(daily.curves["home_id"]).get_indexer(targets["institution_id"].astype(str))
    district_curve = pd.DataFrame(shares).groupby(daily.curves["district_id"].to_numpy()).mean()
    mean = shares.mean(axis=0) if len(shares) else np.full(days, 1.0 / days)
    clinic_district = (
        context.dataset.clinics.set_index("clinic_id")["street_id"].map(
            context.dataset.streets.set_index("street_id")["district_id"]
        )
        if "clinic_id" in context.dataset.clinics.columns
        else pd.Series(dtype=object)
    )
    target = targets["target"].to_numpy(float)
    curve = np.tile(mean, (len(targets), 1))
    kind = targets["kind"].astype(str).to_numpy()
    is_home = (kind == "care_home") & (home_row >= 0)
    curve[is_home] = shares[home_row[is_home]]
    clinic_rows = np.flatnonzero(kind == "clinic")
    districts = targets["institution_id"].iloc[clinic_rows].astype(str).map(clinic_district)
    known = districts.isin(district_curve.index).to_numpy()
    curve[clinic_rows[known]] = district_curve.loc[districts[known]].to_numpy()
    kits = targets["drug"].astype(str).to_numpy() == "antigen_kit"
    curve[kits] = 1.0 / days
    use = target[:, None] * curve
    hospital = kind == "hospital"
    hospital_days = max(float(context.rules.hospital_drug_days), 1.0)
    use[hospital] = (target[hospital] / hospital_days)[:, None] * np.ones(days)
    return use
