"""Ambulance stage: the 120 handshake of every care home and the fleet of each district's stations.

Inputs (:class:`AmbulanceInputs`): each home's daily transfers and hospital, the stations, station -> home
arcs (trip station -> home -> hospital and the round trip back) and each district's fleet after the
scenario's fleet factor. The model is ``models.ambulance``. Reports: daily transfers covered, homes not
covered, the transfer limit per home, and why a home is not covered.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.ambulance import solve_ambulance
from models.base import SolveOptions, StageResult
from planner.dataset.limits import check_pairs
from planner.dataset.names import Namer
from planner.stages import probes
from planner.stages.base import Contract, PlanContext, Row, Stage, compliance_rows, records, share

NAME = "ambulance"

CONTRACT: Contract = {
    "stations": {"station_id": "id", "district_id": "id", "before": "count", "after": "count"},
    "handshakes": {
        "home_id": "id",
        "station_id": "optional_id",  # none for a home with no station in reach
        "hospital_id": "optional_id",
        "trip_minutes": "minutes",
        "daily_transfers": "number",
        "covered": "bool",
    },
}


@dataclass(frozen=True)
class AmbulanceInputs:
    """What ``models.ambulance.solve_ambulance`` gets: homes, stations, station -> home arcs, fleet after."""

    homes: pd.DataFrame
    stations: pd.DataFrame
    arcs: pd.DataFrame
    fleet: pd.DataFrame
    transfer_minutes_max: float
    duty_share: float


def ambulance_arcs(context: PlanContext) -> pd.DataFrame:
    """Station -> home arcs in each home's district: trips within the limit among the k nearest; the nearest always."""
    homes = context.needs.transfers[["home_id", "district_id", "hospital_id", "hospital_minutes"]]
    stations = context.dataset.stations[["station_id", "district_id"]]
    per_district = homes["district_id"].value_counts().mul(stations["district_id"].value_counts(), fill_value=0)
    check_pairs(int(per_district.sum()), "stations -> care homes of their district", "plan fewer per district at once")
    pairs = homes.merge(stations, on="district_id")
    pairs = pairs[pairs["hospital_id"] != ""]
    if pairs.empty:
        return pd.DataFrame(columns=["station_id", "home_id", "trip_minutes", "round_trip_minutes"])
    locations = context.locations
    to_home = locations.pair_minutes(pairs["station_id"], pairs["home_id"])
    back = locations.pair_minutes(pairs["hospital_id"], pairs["station_id"])
    pairs = pairs.assign(to_home_minutes=to_home, trip_minutes=to_home + pairs["hospital_minutes"].to_numpy())
    pairs["round_trip_minutes"] = pairs["trip_minutes"] + back
    pairs["rank"] = pairs.groupby("home_id")["trip_minutes"].rank(method="first")
    within = pairs["trip_minutes"] <= context.rules.transfer_minutes_max
    keep = within & (pairs["rank"] <= context.limits.stations_per_home) | (pairs["rank"] == 1)
    return pairs.loc[keep, ["station_id", "home_id", "trip_minutes", "round_trip_minutes"]].reset_index(drop=True)


def fleet_after(stations: pd.DataFrame, fleet_factor: float) -> pd.DataFrame:
    """Each district's ambulances after the scenario: ``r(fleet_factor * ambulances today)``."""
    today = stations.groupby("district_id", as_index=False)["ambulances"].sum()
    after = np.floor(fleet_factor * today["ambulances"].to_numpy() + 0.5).astype(np.int64)
    return pd.DataFrame({"district_id": today["district_id"], "ambulances_after": after})


def planned_transfers(context: PlanContext) -> pd.DataFrame:
    """Each home's daily transfers the fleet is planned for: the horizon's mean (snapshot) or the home's peak day
    (daily plan: a home covered on its peak day is covered on every day, the handshake and fleet being one)."""
    homes = context.needs.transfers[["home_id", "district_id", "hospital_id", "daily_transfers"]]
    if context.needs.daily is None:
        return homes
    peak = context.needs.daily.transfers.groupby("home_id")["transfers"].max()
    return homes.assign(daily_transfers=homes["home_id"].map(peak).fillna(0).astype(float))


def build_inputs(context: PlanContext) -> AmbulanceInputs:
    """Homes with their daily transfers and hospital, stations, arcs and the fleet after the scenario."""
    stations = context.dataset.stations[["station_id", "district_id", "ambulances", "max_ambulances"]]
    return AmbulanceInputs(
        homes=planned_transfers(context),
        stations=stations,
        arcs=ambulance_arcs(context),
        fleet=fleet_after(stations, context.scenario.fleet_factor),
        transfer_minutes_max=context.rules.transfer_minutes_max,
        duty_share=context.rules.ambulance_duty_share,
    )


def solve(inputs: AmbulanceInputs, options: SolveOptions) -> StageResult:
    """``models.ambulance.solve_ambulance`` on ``inputs``.

    When no home has a station of its own district to reach a hospital from (no arc at all: the stations are
    all in districts without homes, or no hospital is designated), the stations are planned alone and every
    home is reported as the model reports a home without an arc (not covered, ``no_station_in_reach``).
    """
    unreached = inputs.arcs.empty and not inputs.homes.empty
    result = solve_ambulance(
        inputs.homes.iloc[0:0] if unreached else inputs.homes,
        inputs.stations,
        inputs.arcs,
        inputs.fleet,
        transfer_minutes_max=inputs.transfer_minutes_max,
        duty_share=inputs.duty_share,
        options=options,
    )
    return _with_unreached_homes(result, inputs.homes) if unreached else result


def _with_unreached_homes(result: StageResult, homes: pd.DataFrame) -> StageResult:
    """``result`` with every home of ``homes`` added as not covered, no station in reach, to its district."""
    handshakes = result.table("handshakes")
    added = pd.DataFrame(
        {
            "home_id": homes["home_id"].to_numpy(),
            "district_id": homes["district_id"].to_numpy(),
            "station_id": np.nan,
            "hospital_id": homes["hospital_id"].to_numpy(),
            "trip_minutes": np.nan,
            "round_trip_minutes": np.nan,
            "daily_transfers": homes["daily_transfers"].to_numpy(dtype=float),
            "covered": False,
            "reason": "no_station_in_reach",
            "binding_stations": "",
        }
    )[list(handshakes.columns)]
    districts = result.table("districts").set_index("district_id")
    demand = added.groupby("district_id", sort=False)["daily_transfers"].sum()
    new = demand.index.difference(districts.index)
    empty = {"fleet_before": 0, "fleet_after": 0, "unstationed": 0, "moves": 0, "covered_daily_transfers": 0.0}
    districts = pd.concat([districts, pd.DataFrame({**empty, "status": "optimal"}, index=new)])
    districts["daily_transfers"] = districts["daily_transfers"].add(demand, fill_value=0.0)
    tables = {
        **result.tables,
        "handshakes": pd.concat([handshakes, added], ignore_index=True) if len(handshakes) else added,
        "districts": districts.rename_axis("district_id").reset_index()[list(result.table("districts").columns)],
    }
    return dataclasses.replace(result, tables=tables)


def kpis(result: StageResult, _context: PlanContext | None = None) -> dict[str, Any]:
    """Daily transfers and the share covered, homes not covered, the longest covered trip, ambulance moves."""
    hand = result.table("handshakes")
    stations = result.table("stations")
    covered = hand[hand["covered"].astype(bool)]
    daily = float(hand["daily_transfers"].sum())
    return {
        "daily_transfers": round(daily, 3),
        "covered_daily_transfers": round(float(covered["daily_transfers"].sum()), 3),
        "covered_share": round(share(float(covered["daily_transfers"].sum()), daily), 4),
        "uncovered_homes": int((~hand["covered"].astype(bool)).sum()),
        "longest_covered_trip_minutes": round(float(covered["trip_minutes"].max()), 1) if not covered.empty else 0.0,
        "ambulance_moves": int((stations["after"] - stations["before"]).clip(lower=0).sum()),
    }


def compliance(result: StageResult, context: PlanContext) -> list[pd.DataFrame]:
    """Each home's handshake trip reaches its designated hospital within the limit, with station capacity.

    The planned trip of a home no ambulance covers is infinite (no transfer in time is planned), not the trip from
    its nearest station: that station's ambulances are busy, or it is beyond the limit (the handshakes table and the
    explanations say which). So ``met`` reads ``planned <= required`` on every row."""
    hand = result.table("handshakes")
    rules = context.rules
    covered = hand["covered"].astype(bool)
    return [
        compliance_rows(
            "transfer_2h",
            "care_home",
            hand["home_id"],
            rules.transfer_minutes_max,
            hand["trip_minutes"].where(covered, np.inf).fillna(np.inf),
            rules.source("transfer_minutes_max"),
            sense="at_most",
        )
    ]


def explanations(result: StageResult, context: PlanContext, namer: Namer) -> list[Row]:
    """One sentence per home not covered: no station in reach, or the stations in reach are at full workload."""
    limit = context.rules.transfer_minutes_max
    hand = result.table("handshakes")
    rows: list[Row] = []
    for r in records(hand[~hand["covered"].astype(bool)]):
        home_en, home_zh = namer.both(str(r["home_id"]))
        station_en, station_zh = namer.both(str(r["station_id"]))
        if r["reason"] == "station_workload":
            stations = str(r.get("binding_stations", "") or "") or str(r["station_id"])
            en = (
                f"{home_en} is not covered: the stations in reach ({namer.joined(stations, 'en')}) are at full workload"
            )
            zh = f"{home_zh}未覆盖：可达的急救站（{namer.joined(stations, 'zh')}）运力已满"
        else:
            trip = f"{r['trip_minutes']:.0f}"
            en = (
                f"{home_en} is not covered: no station reaches it and its hospital within {limit:.0f} min"
                f" (nearest {station_en}, {trip} min)"
            )
            zh = f"{home_zh}未覆盖：{limit:.0f}分钟内无急救站可将其送达定点医院（最近{station_zh}，{trip}分钟）"
        rows.append({"stage": NAME, "entity_id": r["home_id"], "reason": r["reason"], "en": en, "zh": zh})
    return rows


def marginal_values(result: StageResult, context: PlanContext, namer: Namer) -> list[Row]:
    """How many more ambulances in a district cover the homes left uncovered for want of ambulance time
    (:func:`planner.stages.probes.ambulance_probes`), most daily transfers covered first."""
    hand = result.table("handshakes")
    if hand["covered"].astype(bool).all():
        return []
    effects = probes.ambulance_probes(context.inputs_of("ambulance", build_inputs), result, solve)
    rows: list[Row] = []
    for effect in records(effects):
        en_name, zh_name = namer.both(str(effect["district_id"]))
        count, homes, daily = int(effect["ambulances"]), int(effect["homes"]), float(effect["daily_transfers"])
        rows.append(
            {
                "stage": NAME,
                "resource_id": str(effect["district_id"]),
                "resource_kind": "ambulance",
                "value": round(daily, 3),
                "units": float(count),
                "en": f"{count} more {'ambulances' if count > 1 else 'ambulance'} in {en_name} "
                f"{'cover' if count > 1 else 'covers'} {homes} more care {'homes' if homes != 1 else 'home'} "
                f"({daily:.1f} transfers a day)",
                "zh": f"{zh_name}增加{count}辆急救车可多覆盖{homes}家养老机构（每日转诊{daily:.1f}人次）",
            }
        )
    return rows


STAGE: Stage[AmbulanceInputs] = Stage(
    name=NAME,
    build_inputs=build_inputs,
    solve=solve,
    contract=CONTRACT,
    kpis=kpis,
    compliance=compliance,
    explanations=explanations,
    marginal_values=marginal_values,
)
