"""The inputs every method of the benchmark answers: the pipeline's own stage inputs, built once.

The baselines (``bench.hand``, ``bench.mip``) must see exactly what ``planner.pipeline.make_plan`` gives
its models — the same needs, the same arcs and the same stock — so that differences in the KPIs come from
the method alone. This module calls the stages' public input builders (``planner.stages.<stage>.build_inputs``)
and keeps their results in one :class:`BenchInstance`.

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
from planner.dataset import travel
from planner.dataset.schema import Dataset
from planner.needs.needs import Needs
from planner.pipeline import plan_context
from planner.rules.rules import Rules
from planner.rules.scenario import Scenario
from planner.stages import ambulance, drugs, nursing, observation
from planner.stages.ambulance import AmbulanceInputs
from planner.stages.base import ArcLimits, PlanContext
from planner.stages.drugs import DrugInputs
from planner.stages.nursing import NursingInputs
from planner.stages.observation import ObservationInputs
from planner.stages.registry import STAGE_NAMES

STAGES: tuple[str, ...] = STAGE_NAMES
"""The stages in pipeline order."""
PRIORITY_KINDS: tuple[str, ...] = drugs.PRIORITY_KINDS
"""Institutions whose lowest drug fill rate comes first (the drugs model's default, DESIGN §5.4)."""

MinutesFunction = Callable[[str, pd.Series], np.ndarray]
"""``minutes(institution_id, depot_ids)``: travel minutes from each depot to the institution."""


@dataclass(frozen=True)
class BenchInstance:
    """One benchmark instance: the plan's context (dataset, rules, scenario, needs, locations) and stage inputs.

    ``seconds`` holds how long each piece took to build (``needs``, ``observation_inputs``,
    ``ambulance_inputs``, ``drug_inputs``).
    """

    context: PlanContext
    observation: ObservationInputs
    ambulance: AmbulanceInputs
    drugs: DrugInputs
    seconds: Mapping[str, float] = field(default_factory=dict)

    @property
    def dataset(self) -> Dataset:
        return self.context.dataset

    @property
    def rules(self) -> Rules:
        return self.context.rules

    @property
    def scenario(self) -> Scenario:
        return self.context.scenario

    @property
    def needs(self) -> Needs:
        return self.context.needs

    @property
    def located(self) -> pd.DataFrame:
        return self.context.locations.table

    @property
    def limits(self) -> ArcLimits:
        return self.context.limits

    def depot_minutes(self) -> MinutesFunction:
        """Minutes from any depot to an institution (for shipments beyond the k nearest depots).

        Road minutes from the depot at its district's speed, as the pipeline computes them; travel-minute
        overrides in the dataset are honoured (then through the pipeline's slower lookup).
        """
        travel_rows = self.dataset.travel_minutes
        if travel_rows is not None and len(travel_rows):

            def with_overrides(institution_id: str, depot_ids: pd.Series) -> np.ndarray:
                destinations = pd.Series([institution_id] * len(depot_ids))
                return self.context.locations.pair_minutes(depot_ids.reset_index(drop=True), destinations)

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


StageRun = Callable[[BenchInstance, Mapping[str, StageResult]], StageResult]
"""A method's run of one stage on an instance, given the method's own results of the stages before it."""


def run_method(method: str, instance: BenchInstance, runs: Mapping[str, StageRun]) -> MethodResult:
    """Run a method's stages on ``instance`` in pipeline order, timing each stage and the whole.

    Parameters
    ----------
    method
        The method's name (``hand``, ``mip``).
    instance
        The inputs every method answers.
    runs
        The method's run of each stage of :data:`STAGES` it has (it skips the others); each gets the results
        of the stages before it (the nursing needs follow the method's own observation result,
        :func:`nursing_inputs`).

    Returns
    -------
    MethodResult
        The stage results in pipeline order, the wall seconds of the whole and of each stage.
    """
    start = time.perf_counter()
    stages: dict[str, StageResult] = {}
    seconds: dict[str, float] = {}
    for name in (n for n in STAGES if n in runs):  # a method without a stage (the hand baseline: testing) skips it
        clock = time.perf_counter()
        stages[name] = runs[name](instance, stages)
        seconds[name] = time.perf_counter() - clock
    return MethodResult(method, stages, time.perf_counter() - start, seconds)


def build_instance(
    dataset: Dataset,
    rules: Rules,
    scenario: Scenario,
    limits: ArcLimits = ArcLimits(),  # noqa: B008 - frozen dataclass
) -> BenchInstance:
    """Needs and the observation, ambulance and drug stage inputs, exactly as ``make_plan`` builds them.

    The baselines are formulations of the snapshot (every need at once), so the instance is the scenario's
    snapshot; ``bench.daily_plan`` measures the day-by-day plan.
    """
    scenario = scenario.model_copy(update={"plan": "snapshot"})
    seconds: dict[str, float] = {}

    def timed(name: str, build: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        value = build()
        seconds[name] = time.perf_counter() - start
        return value

    context: PlanContext = timed("needs", lambda: plan_context(dataset, rules, scenario, limits))
    return BenchInstance(
        context=context,
        observation=timed("observation_inputs", lambda: observation.build_inputs(context)),
        ambulance=timed("ambulance_inputs", lambda: ambulance.build_inputs(context)),
        drugs=timed("drug_inputs", lambda: drugs.build_inputs(context)),
        seconds=seconds,
    )


def nursing_inputs(instance: BenchInstance, observation_result: StageResult) -> NursingInputs:
    """Pools, all nursing needs (1:1 at the sites ``observation_result`` sent disabled persons to) and arcs."""
    return nursing.build_inputs(instance.context.with_result(observation.NAME, observation_result))


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


def site_arcs(arcs: pd.DataFrame, site_table: pd.DataFrame) -> pd.DataFrame:
    """Home -> site arcs to the usable sites with a room of ``site_table`` (:func:`prepare_sites`).

    Columns home_id, site_id, minutes and ``site``, the site's row in ``site_table``; arcs to unknown sites or
    without minutes are dropped.
    """
    site_pos = pd.Series(np.arange(len(site_table)), index=site_table["site_id"])
    frame = arcs[["home_id", "site_id", "minutes"]].assign(site=arcs["site_id"].map(site_pos))
    frame = frame.dropna(subset=["site", "minutes"]).astype({"site": np.int64})
    with_room = (site_table["usable"] & (site_table["capacity"] > 0)).to_numpy()
    return frame[with_room[frame["site"].to_numpy()]]


def filled_targets(targets: pd.DataFrame, allocated: np.ndarray, stocked_reach: np.ndarray) -> pd.DataFrame:
    """Drug targets with the packs ``allocated`` to each, as the drugs model reports them.

    Adds allocated, shortfall (need - allocated), fill_rate (1 where nothing is needed) and the reason for a
    shortfall: ``stock_short`` where a depot with stock is in reach (``stocked_reach``), else
    ``no_depot_in_reach``.
    """
    need = targets["need"].to_numpy(dtype=np.int64)
    shortfall = need - allocated
    return targets.assign(
        allocated=allocated,
        shortfall=shortfall,
        fill_rate=np.where(need > 0, allocated / np.maximum(need, 1), 1.0),
        reason=np.where(shortfall > 0, np.where(stocked_reach, "stock_short", "no_depot_in_reach"), ""),
    )


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
