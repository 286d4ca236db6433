"""``make_plan``: needs, then the four stages in order, each feeding the next.

observation -> ambulance -> nursing (1:1 needs at sites come from the observation
result) -> drugs. This module turns the dataset, rules and scenario into the
plain tables and numbers each model takes (arcs restricted by the rules: within
the transfer limit and the k nearest), runs the models, and assembles the
:class:`~planner.report.plan.Plan` with its KPIs, compliance checklist and explanations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.ambulance import solve_ambulance
from models.base import SolveOptions, StageResult
from models.drugs import solve_drugs
from models.nursing import solve_nursing
from models.observation import solve_observation
from planner.dataset import travel
from planner.dataset.schema import DRUGS, Dataset
from planner.needs.needs import Needs, compute_needs, site_transfer_needs
from planner.report.compliance import compliance_checklist
from planner.report.explain import explain
from planner.report.kpis import compute_kpis
from planner.report.plan import STAGE_NAMES, Plan
from planner.rules.rules import Rules
from planner.rules.scenario import Scenario

ProgressCallback = Callable[[str, int, int], None]
"""Called as ``progress(stage_name, index, total)`` before each stage runs."""


@dataclass(frozen=True)
class ArcLimits:
    """How many arcs each stage gets: the k nearest candidates per origin (rules cap them by minutes too).

    ``sites_per_home`` None keeps every site within the transfer limit, so the unmet figures are the rule's;
    the observation cost phase then keeps each group's ``site_cost_arcs_per_group`` cheapest arcs (and those the
    unmet optimum needs).
    """

    sites_per_home: int | None = None
    site_cost_arcs_per_group: int | None = 12
    stations_per_home: int = 10
    pools_per_need: int = 10
    depots_per_institution: int = 20


def make_plan(
    dataset: Dataset,
    rules: Rules,
    scenario: Scenario,
    *,
    time_limit_s: float = 10.0,
    limits: ArcLimits = ArcLimits(),
    progress: ProgressCallback | None = None,
) -> Plan:
    """Solve the four stages for ``dataset`` under ``rules`` and ``scenario``.

    ``time_limit_s`` bounds each stage's solver. Never raises on a shortage:
    shortfalls are in the stage tables, the compliance checklist and the
    explanations.
    """
    rules = scenario.apply_to(rules)
    options = SolveOptions(time_limit_s=time_limit_s)
    needs = compute_needs(dataset, rules, scenario)
    located = _locations(dataset, rules)
    report = progress or (lambda _stage, _index, _total: None)

    report(STAGE_NAMES[0], 0, len(STAGE_NAMES))
    observation = _run_observation(dataset, rules, scenario, needs, located, limits, options)
    report(STAGE_NAMES[1], 1, len(STAGE_NAMES))
    ambulance = _run_ambulance(dataset, rules, scenario, needs, located, limits, options)
    report(STAGE_NAMES[2], 2, len(STAGE_NAMES))
    nursing = _run_nursing(dataset, rules, needs, observation, located, limits, options)
    report(STAGE_NAMES[3], 3, len(STAGE_NAMES))
    drugs = _run_drugs(dataset, rules, scenario, needs, located, limits, options)

    stages = {"observation": observation, "ambulance": ambulance, "nursing": nursing, "drugs": drugs}
    compliance = compliance_checklist(dataset, rules, needs, stages)
    explanations, marginal_values = explain(dataset, rules, stages)
    return Plan(
        dataset_name=dataset.name,
        dataset_sha256=dataset.sha256 or dataset.content_hash(),
        rules=rules,
        scenario=scenario,
        needs=needs,
        observation=observation,
        ambulance=ambulance,
        nursing=nursing,
        drugs=drugs,
        kpis=compute_kpis(dataset, needs, stages, compliance),
        compliance=compliance,
        explanations=explanations,
        marginal_values=marginal_values,
    )


# --- where everything is -----------------------------------------------------------------------------------------


LOCATED_TABLES: tuple[tuple[str, str, str], ...] = (
    ("care_homes", "home_id", "care_home"),
    ("clinics", "clinic_id", "clinic"),
    ("hospitals", "hospital_id", "hospital"),
    ("sites", "site_id", "site"),
    ("stations", "station_id", "station"),
    ("pools", "pool_id", "pool"),
    ("depots", "depot_id", "depot"),
)
"""Tables with coordinates: (table, id column, kind). The first four sit in a street, the others in a district."""


def _locations(dataset: Dataset, rules: Rules) -> pd.DataFrame:
    """Every located entity: id, kind, district_id, street_id, lat, lon, speed_kmh (its district's speed)."""
    street_district = dataset.streets.set_index("street_id")["district_id"]
    frames = []
    for table, id_col, kind in LOCATED_TABLES:
        frame = dataset.table(table)
        in_street = "street_id" in frame.columns
        street = frame["street_id"] if in_street else pd.Series("", index=frame.index)
        district = street.map(street_district) if in_street else frame["district_id"]
        frames.append(
            pd.DataFrame(
                {
                    "id": frame[id_col],
                    "kind": kind,
                    "street_id": street,
                    "district_id": district,
                    "lat": frame["lat"],
                    "lon": frame["lon"],
                }
            )
        )
    located = pd.concat(frames, ignore_index=True)
    speeds = dataset.districts.set_index("district_id")["speed_kmh"]
    located["speed_kmh"] = located["district_id"].map(speeds).fillna(rules.default_speed_kmh).astype(float)
    located.loc[located["speed_kmh"] <= 0, "speed_kmh"] = rules.default_speed_kmh
    return located.set_index("id", drop=False)


def _points(located: pd.DataFrame, ids: pd.Series | list[str]) -> pd.DataFrame:
    """The rows of ``located`` for ``ids`` in that order (id, lat, lon, speed_kmh, district_id)."""
    return located.loc[list(ids), ["id", "lat", "lon", "speed_kmh", "district_id"]].reset_index(drop=True)


def _pair_minutes(
    located: pd.DataFrame, from_ids: pd.Series, to_ids: pd.Series, rules: Rules, dataset: Dataset
) -> np.ndarray:
    """Minutes from each ``from_ids[i]`` to ``to_ids[i]`` (origin's speed; travel_minutes rows override)."""
    origins = located.loc[from_ids.to_numpy()]
    destinations = located.loc[to_ids.to_numpy()]
    return travel.pair_minutes(
        from_ids.to_numpy(),
        origins["lat"].to_numpy(),
        origins["lon"].to_numpy(),
        to_ids.to_numpy(),
        destinations["lat"].to_numpy(),
        destinations["lon"].to_numpy(),
        origins["speed_kmh"].to_numpy(),
        detour=rules.road_detour_factor,
        overrides=dataset.travel_minutes,
    )


# --- stage inputs ------------------------------------------------------------------------------------------------


def _usable_sites(dataset: Dataset, scenario: Scenario) -> pd.DataFrame:
    """Sites with scenario-closed ones marked ``closed``."""
    sites = dataset.sites.copy()
    sites.loc[sites["site_id"].isin(scenario.closed_sites), "status"] = "closed"
    return sites


def _observation_arcs(
    groups: pd.DataFrame, sites: pd.DataFrame, located: pd.DataFrame, rules: Rules, dataset: Dataset, k: int | None
) -> pd.DataFrame:
    """Home -> site arcs within the transfer limit: all when k is None, else the k nearest (and k barrier-free)."""
    homes = groups["home_id"].drop_duplicates()
    usable = sites[sites["status"] != "closed"]
    if homes.empty or usable.empty:
        return pd.DataFrame(
            {"home_id": pd.Series(dtype=str), "site_id": pd.Series(dtype=str), "minutes": pd.Series(dtype=float)}
        )
    origins = _points(located, homes)
    parts = []
    for candidates in (usable, usable[usable["barrier_free"]]):
        if candidates.empty:
            continue
        parts.append(
            travel.arcs(
                origins,
                _points(located, candidates["site_id"]),
                detour=rules.road_detour_factor,
                max_minutes=rules.transfer_minutes_max,
                k=k,
                overrides=dataset.travel_minutes,
            )
        )
    arcs = pd.concat(parts, ignore_index=True).drop_duplicates(["from_id", "to_id"])
    return arcs.rename(columns={"from_id": "home_id", "to_id": "site_id"}).reset_index(drop=True)


def _run_observation(
    dataset: Dataset,
    rules: Rules,
    scenario: Scenario,
    needs: Needs,
    located: pd.DataFrame,
    limits: ArcLimits,
    options: SolveOptions,
) -> StageResult:
    groups = needs.observation[["home_id", "street_id", "group", "persons"]]
    sites = _usable_sites(dataset, scenario)
    arcs = _observation_arcs(groups, sites, located, rules, dataset, limits.sites_per_home)
    return solve_observation(
        groups,
        sites[["site_id", "street_id", "rooms", "barrier_free", "status", "opening_cost"]],
        arcs,
        persons_per_room=rules.persons_per_room,
        sites_per_street_min=rules.sites_per_street_min,
        barrier_free_for_disabled=rules.barrier_free_for_disabled,
        options=options,
        cost_arcs_per_group=limits.site_cost_arcs_per_group,
    )


def _ambulance_arcs(dataset: Dataset, rules: Rules, needs: Needs, located: pd.DataFrame, k: int) -> pd.DataFrame:
    """Station -> home arcs in each home's district: trips within the limit among the k nearest; the nearest always."""
    homes = needs.transfers[["home_id", "district_id", "hospital_id", "hospital_minutes"]]
    stations = dataset.stations[["station_id", "district_id"]]
    pairs = homes.merge(stations, on="district_id")
    pairs = pairs[pairs["hospital_id"] != ""]
    if pairs.empty:
        return pd.DataFrame(columns=["station_id", "home_id", "trip_minutes", "round_trip_minutes"])
    to_home = _pair_minutes(located, pairs["station_id"], pairs["home_id"], rules, dataset)
    back = _pair_minutes(located, pairs["hospital_id"], pairs["station_id"], rules, dataset)
    pairs = pairs.assign(to_home_minutes=to_home, trip_minutes=to_home + pairs["hospital_minutes"].to_numpy())
    pairs["round_trip_minutes"] = pairs["trip_minutes"] + back
    pairs["rank"] = pairs.groupby("home_id")["trip_minutes"].rank(method="first")
    keep = (pairs["trip_minutes"] <= rules.transfer_minutes_max) & (pairs["rank"] <= k) | (pairs["rank"] == 1)
    return pairs.loc[keep, ["station_id", "home_id", "trip_minutes", "round_trip_minutes"]].reset_index(drop=True)


def _run_ambulance(
    dataset: Dataset,
    rules: Rules,
    scenario: Scenario,
    needs: Needs,
    located: pd.DataFrame,
    limits: ArcLimits,
    options: SolveOptions,
) -> StageResult:
    stations = dataset.stations[["station_id", "district_id", "ambulances", "max_ambulances"]]
    today = stations.groupby("district_id", as_index=False)["ambulances"].sum()
    fleet = pd.DataFrame(
        {
            "district_id": today["district_id"],
            "ambulances_after": np.floor(scenario.fleet_factor * today["ambulances"].to_numpy() + 0.5).astype(np.int64),
        }
    )
    return solve_ambulance(
        needs.transfers[["home_id", "district_id", "hospital_id", "daily_transfers"]],
        stations,
        _ambulance_arcs(dataset, rules, needs, located, limits.stations_per_home),
        fleet,
        transfer_minutes_max=rules.transfer_minutes_max,
        duty_share=rules.ambulance_duty_share,
        options=options,
    )


def nursing_needs(dataset: Dataset, rules: Rules, needs: Needs, observation: StageResult) -> pd.DataFrame:
    """All nursing needs: the home and hospital needs plus 1:1 at sites for the disabled persons sent there."""
    assignments = observation.table("assignments")
    disabled = assignments[assignments["group"] == "disabled"].groupby("site_id")["persons"].sum().reset_index()
    street_district = dataset.streets.set_index("street_id")["district_id"]
    site_district = dataset.sites.set_index("site_id")["street_id"].map(street_district)
    disabled["district_id"] = disabled["site_id"].map(site_district)
    at_sites = site_transfer_needs(disabled[["site_id", "district_id", "persons"]], rules)
    return pd.concat([needs.nursing, at_sites], ignore_index=True)


def _nursing_arcs(dataset: Dataset, rules: Rules, needs: pd.DataFrame, located: pd.DataFrame, k: int) -> pd.DataFrame:
    """Pool -> need arcs: every pool of the need's district plus the k nearest pools of any district."""
    pools = dataset.pools
    destinations = needs[["need_id", "destination_id", "district_id"]]
    same_district = destinations.merge(pools[["pool_id", "district_id"]], on="district_id")[
        ["pool_id", "need_id", "destination_id"]
    ]
    nearest = travel.arcs(
        _points(located, destinations["destination_id"].drop_duplicates()),
        _points(located, pools["pool_id"]),
        detour=rules.road_detour_factor,
        k=k,
        overrides=dataset.travel_minutes,
    ).rename(columns={"from_id": "destination_id", "to_id": "pool_id"})
    nearest = nearest.merge(destinations[["need_id", "destination_id"]], on="destination_id")[
        ["pool_id", "need_id", "destination_id"]
    ]
    pairs = pd.concat([same_district, nearest], ignore_index=True).drop_duplicates(["pool_id", "need_id"])
    pairs["minutes"] = _pair_minutes(located, pairs["pool_id"], pairs["destination_id"], rules, dataset)
    return pairs[["pool_id", "need_id", "minutes"]].reset_index(drop=True)


def _run_nursing(
    dataset: Dataset,
    rules: Rules,
    needs: Needs,
    observation: StageResult,
    located: pd.DataFrame,
    limits: ArcLimits,
    options: SolveOptions,
) -> StageResult:
    all_needs = nursing_needs(dataset, rules, needs, observation)
    return solve_nursing(
        dataset.pools[["pool_id", "district_id", "nurses"]],
        all_needs[["need_id", "destination_id", "need", "district_id", "required"]],
        _nursing_arcs(dataset, rules, all_needs, located, limits.pools_per_need),
        crossing_penalty_minutes=rules.district_crossing_penalty_minutes,
        options=options,
    )


def depot_stock(dataset: Dataset, stock_factor: float) -> pd.DataFrame:
    """Depot stock per drug after the scenario's stock factor: depot_id, district_id, drug, stock (whole packs)."""
    depots = dataset.depots
    long = depots.melt(
        id_vars=["depot_id", "district_id"],
        value_vars=[f"stock_{d}" for d in DRUGS],
        var_name="drug",
        value_name="stock",
    )
    long["drug"] = long["drug"].str.removeprefix("stock_")
    long["stock"] = np.floor(stock_factor * long["stock"].to_numpy(dtype=float) + 1e-9).astype(np.int64)
    return long.reset_index(drop=True)


def _depot_arcs(dataset: Dataset, rules: Rules, located: pd.DataFrame, institutions: pd.Series, k: int) -> pd.DataFrame:
    """Depot -> institution arcs: each institution's k nearest depots (minutes from the depot)."""
    nearest = travel.arcs(
        _points(located, institutions),
        _points(located, dataset.depots["depot_id"]),
        detour=rules.road_detour_factor,
        k=k,
        overrides=dataset.travel_minutes,
    ).rename(columns={"from_id": "institution_id", "to_id": "depot_id"})
    nearest["minutes"] = _pair_minutes(located, nearest["depot_id"], nearest["institution_id"], rules, dataset)
    return nearest[["depot_id", "institution_id", "minutes"]].reset_index(drop=True)


def _run_drugs(
    dataset: Dataset,
    rules: Rules,
    scenario: Scenario,
    needs: Needs,
    located: pd.DataFrame,
    limits: ArcLimits,
    options: SolveOptions,
) -> StageResult:
    targets = needs.drugs
    arcs = _depot_arcs(
        dataset, rules, located, targets["institution_id"].drop_duplicates(), limits.depots_per_institution
    )
    return solve_drugs(depot_stock(dataset, scenario.stock_factor), targets, arcs, options=options)
