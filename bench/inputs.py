"""The inputs every method of the benchmark answers: the pipeline's own stage inputs, built once.

The baselines (``bench.hand``, ``bench.mip``) must see exactly what ``planner.pipeline.make_plan`` gives
its models — the same needs, the same arcs (restricted by the rules: within the transfer limit, the k
nearest) and the same stock — so that differences in the KPIs come from the method alone. This module
calls the pipeline's stage-input builders and keeps their results in one :class:`BenchInstance`.

The nursing needs depend on the observation result (1:1 nurses at the sites where the disabled persons
were sent): :func:`nursing_inputs` builds them for whichever method's observation result it is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from models.base import StageResult
from planner import pipeline
from planner.dataset import travel
from planner.dataset.schema import Dataset
from planner.needs.needs import Needs, compute_needs
from planner.pipeline import ArcLimits
from planner.rules.rules import Rules
from planner.rules.scenario import Scenario

STAGES: tuple[str, ...] = ("observation", "ambulance", "nursing", "drugs")
"""The stages in pipeline order."""
PRIORITY_KINDS: tuple[str, ...] = ("care_home", "clinic")
"""Institutions whose lowest drug fill rate comes first (the drugs model's default, DESIGN §5.4)."""

MinutesFunction = Callable[[str, pd.Series], np.ndarray]
"""``minutes(institution_id, depot_ids)``: travel minutes from each depot to the institution."""


@dataclass(frozen=True)
class ObservationInputs:
    """What ``models.observation.solve_observation`` gets: groups, sites (closed ones marked), arcs."""

    groups: pd.DataFrame
    sites: pd.DataFrame
    arcs: pd.DataFrame


@dataclass(frozen=True)
class AmbulanceInputs:
    """What ``models.ambulance.solve_ambulance`` gets: homes, stations, station -> home arcs, fleet after."""

    homes: pd.DataFrame
    stations: pd.DataFrame
    arcs: pd.DataFrame
    fleet: pd.DataFrame


@dataclass(frozen=True)
class NursingInputs:
    """What ``models.nursing.solve_nursing`` gets: pools, needs (with the 1:1 needs at sites), arcs."""

    pools: pd.DataFrame
    needs: pd.DataFrame
    arcs: pd.DataFrame


@dataclass(frozen=True)
class DrugInputs:
    """What ``models.drugs.solve_drugs`` gets: depot stock per drug, institution targets, arcs."""

    depots: pd.DataFrame
    targets: pd.DataFrame
    arcs: pd.DataFrame


@dataclass(frozen=True)
class BenchInstance:
    """One benchmark instance: dataset, rules (scenario overrides applied), scenario, needs and stage inputs.

    ``seconds`` holds how long each piece took to build (``needs``, ``locations``, ``observation_arcs``,
    ``ambulance_arcs``, ``drug_arcs``).
    """

    dataset: Dataset
    rules: Rules
    scenario: Scenario
    needs: Needs
    located: pd.DataFrame
    limits: ArcLimits
    observation: ObservationInputs
    ambulance: AmbulanceInputs
    drugs: DrugInputs
    seconds: Mapping[str, float] = field(default_factory=dict)

    def depot_minutes(self) -> MinutesFunction:
        """Minutes from any depot to an institution (for shipments beyond the k nearest depots).

        Road minutes from the depot at its district's speed, as the pipeline computes them; travel-minute
        overrides in the dataset are honoured (then through the pipeline's slower lookup).
        """
        travel_rows = self.dataset.travel_minutes
        if travel_rows is not None and len(travel_rows):

            def with_overrides(institution_id: str, depot_ids: pd.Series) -> np.ndarray:
                destinations = pd.Series([institution_id] * len(depot_ids))
                return pipeline._pair_minutes(
                    self.located, depot_ids.reset_index(drop=True), destinations, self.rules, self.dataset
                )

            return with_overrides
        depots = self.located[self.located["kind"] == "depot"]
        depot_index = pd.Index(depots["id"])
        depot_lat, depot_lon = depots["lat"].to_numpy(float), depots["lon"].to_numpy(float)
        depot_speed = depots["speed_kmh"].to_numpy(float)
        where = dict(zip(self.located["id"], zip(self.located["lat"], self.located["lon"], strict=True), strict=True))
        detour = self.rules.road_detour_factor

        def minutes(institution_id: str, depot_ids: pd.Series) -> np.ndarray:
            rows = depot_index.get_indexer(depot_ids)
            lat, lon = where[institution_id]
            to_lat, to_lon = np.full(len(rows), lat), np.full(len(rows), lon)
            found = travel.geo_minutes(
                depot_lat[rows], depot_lon[rows], depot_speed[rows], to_lat, to_lon, detour=detour
            )
            return np.asarray(found, dtype=float)

        return minutes


@dataclass(frozen=True)
class MethodResult:
    """One method's four stage results on an instance, with its wall seconds."""

    method: str
    stages: Mapping[str, StageResult]
    seconds: float
    stage_seconds: Mapping[str, float] = field(default_factory=dict)
    notes: Mapping[str, Any] = field(default_factory=dict)


def fleet_after(stations: pd.DataFrame, fleet_factor: float) -> pd.DataFrame:
    """Each district's fleet after the plan, ``r(fleet_factor * ambulances today)`` (as the pipeline computes it)."""
    today = stations.groupby("district_id", as_index=False)["ambulances"].sum()
    after = np.floor(fleet_factor * today["ambulances"].to_numpy(dtype=float) + 0.5).astype(np.int64)
    return pd.DataFrame({"district_id": today["district_id"], "ambulances_after": after})


def build_instance(
    dataset: Dataset,
    rules: Rules,
    scenario: Scenario,
    limits: ArcLimits = ArcLimits(),  # noqa: B008 - frozen dataclass
) -> BenchInstance:
    """Needs and the observation, ambulance and drug stage inputs, exactly as ``make_plan`` builds them."""
    rules = scenario.apply_to(rules)
    seconds: dict[str, float] = {}

    def timed(name: str, build: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        value = build()
        seconds[name] = time.perf_counter() - start
        return value

    needs: Needs = timed("needs", lambda: compute_needs(dataset, rules, scenario))
    located: pd.DataFrame = timed("locations", lambda: pipeline._locations(dataset, rules))
    groups = needs.observation[["home_id", "street_id", "group", "persons"]]
    sites = pipeline._usable_sites(dataset, scenario)
    observation_arcs = timed(
        "observation_arcs",
        lambda: pipeline._observation_arcs(groups, sites, located, rules, dataset, limits.sites_per_home),
    )
    stations = dataset.stations[["station_id", "district_id", "ambulances", "max_ambulances"]]
    ambulance_arcs = timed(
        "ambulance_arcs",
        lambda: pipeline._ambulance_arcs(dataset, rules, needs, located, limits.stations_per_home),
    )
    targets = needs.drugs
    drug_arcs = timed(
        "drug_arcs",
        lambda: pipeline._depot_arcs(
            dataset, rules, located, targets["institution_id"].drop_duplicates(), limits.depots_per_institution
        ),
    )
    return BenchInstance(
        dataset=dataset,
        rules=rules,
        scenario=scenario,
        needs=needs,
        located=located,
        limits=limits,
        observation=ObservationInputs(
            groups=groups,
            sites=sites[["site_id", "street_id", "rooms", "barrier_free", "status", "opening_cost"]],
            arcs=observation_arcs,
        ),
        ambulance=AmbulanceInputs(
            homes=needs.transfers[["home_id", "district_id", "hospital_id", "daily_transfers"]],
            stations=stations,
            arcs=ambulance_arcs,
            fleet=fleet_after(stations, scenario.fleet_factor),
        ),
        drugs=DrugInputs(depots=pipeline.depot_stock(dataset, scenario.stock_factor), targets=targets, arcs=drug_arcs),
        seconds=seconds,
    )


def nursing_inputs(instance: BenchInstance, observation: StageResult) -> NursingInputs:
    """Pools, all nursing needs (1:1 at the sites ``observation`` sent disabled persons to) and pool -> need arcs."""
    all_needs = pipeline.nursing_needs(instance.dataset, instance.rules, instance.needs, observation)
    arcs = pipeline._nursing_arcs(
        instance.dataset, instance.rules, all_needs, instance.located, instance.limits.pools_per_need
    )
    return NursingInputs(
        pools=instance.dataset.pools[["pool_id", "district_id", "nurses"]],
        needs=all_needs[["need_id", "destination_id", "need", "district_id", "required"]],
        arcs=arcs,
    )


def prepare_sites(sites: pd.DataFrame, persons_per_room: int) -> pd.DataFrame:
    """Sites with integer rooms, ``capacity = rooms * persons_per_room`` and ``usable`` (not closed)."""
    table = sites.drop_duplicates("site_id").reset_index(drop=True).copy()
    table["rooms"] = pd.to_numeric(table["rooms"]).fillna(0).clip(lower=0).astype(np.int64)
    table["barrier_free"] = table["barrier_free"].fillna(False).astype(bool)
    table["status"] = table["status"].astype(str)
    cost = table["opening_cost"] if "opening_cost" in table.columns else pd.Series(0.0, index=table.index)
    table["opening_cost"] = pd.to_numeric(cost).fillna(0.0).astype(float)
    table["capacity"] = table["rooms"] * int(persons_per_room)
    table["usable"] = table["status"] != "closed"
    return table


def fill_table(targets: pd.DataFrame, allocations: pd.DataFrame) -> pd.DataFrame:
    """Per drug: the lowest fill rate of the institutions in the max-min (1.0 when none), shortfall, packs."""
    rows = []
    for drug, frame in targets.groupby("drug", sort=False):
        in_max_min = frame[frame["in_max_min"]]
        lowest = float((in_max_min["allocated"] / in_max_min["need"]).min()) if len(in_max_min) else 1.0
        shipped = allocations[allocations["drug"] == drug] if len(allocations) else allocations
        rows.append(
            {
                "drug": drug,
                "lowest_fill_rate": lowest,
                "priority_institutions": len(in_max_min),
                "shortfall": int(frame["shortfall"].sum()),
                "need": int(frame["need"].sum()),
                "allocated": int(frame["allocated"].sum()),
                "pack_minutes": float(shipped["pack_minutes"].sum()) if len(shipped) else 0.0,
            }
        )
    columns = ["drug", "lowest_fill_rate", "priority_institutions", "shortfall", "need", "allocated", "pack_minutes"]
    return pd.DataFrame(rows, columns=columns)


def station_caps(stations: pd.DataFrame) -> np.ndarray:
    """Each station's ``max_ambulances`` as floats, infinity where there is no cap (missing or empty)."""
    if "max_ambulances" not in stations.columns:
        return np.full(len(stations), np.inf)
    caps = pd.to_numeric(stations["max_ambulances"]).to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isnan(caps), np.inf, caps)
