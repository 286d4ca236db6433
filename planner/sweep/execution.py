"""Running a sweep: each scenario solved serially in-process or as one Dask task.

Every scenario goes through :func:`solve_scenario` (``make_plan`` plus the reduction of the plan to one
row of KPIs, the binding entities and the marginal values), serially in-process (:func:`run_serial`) or as
one Dask task each (:func:`run_dask`, on a local cluster or a running scheduler). A scenario that raises
or stops at its time limit is a row with status ``error`` or ``time_limit`` and never sinks the sweep.

A station outage sets the station's ambulances (and the most it may receive) to 0: the worker patches its
copy of the dataset (:func:`with_station_outages`); the dataset itself is sent to every worker once. A
Ctrl-C cancels the pending tasks and closes the cluster; the workers themselves ignore it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import socket
import sys
import threading
import time
import types
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from models.base import Status
from planner.dataset.schema import DRUGS, Dataset
from planner.rules.rules import Rules
from planner.rules.scenario import Scenario, ScenarioError, make_scenario
from planner.sweep.results import SweepResult, assemble
from planner.sweep.vocabulary import (
    BINDING_COLUMNS,
    CONDITIONS,
    DEMAND_PREFIX,
    MARGINAL_COLUMNS,
    RULE_PREFIX,
    ProgressCallback,
    ScenarioOutcome,
    Sweep,
    SweepError,
    SweepScenario,
    SweepStatus,
    parse_ids,
)

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

    from planner.report.plan import Plan

DEFAULT_TIME_LIMIT_S = 10.0
"""Seconds per stage for each scenario (``make_plan``'s ``time_limit_s``)."""

NURSING_TIERS: tuple[str, ...] = ("transfer_1to1", "backfill", "self_care")
DICT_KPIS: dict[str, tuple[str, tuple[str, ...], float]] = {
    "lowest_fill_rate": ("lowest_fill_rate", DRUGS, float("nan")),  # no entry: no care home or clinic needs it
    "drug_shortfall": ("drug_shortfall", DRUGS, 0.0),
    "nursing_unmet_by_tier": ("nursing_unmet", NURSING_TIERS, 0.0),
}
"""Dict-valued KPIs flattened to ``<prefix>_<key>`` columns: (prefix, keys always present, value when absent)."""
SKIPPED_KPIS: tuple[str, ...] = ("status", "seconds", "reserve_ratio")
"""KPIs not in the scenario row: stage statuses (in ``status``/``message``), timings, and the reserve ratio
(held / residents of the dataset: the same in every scenario)."""


# --- one scenario -------------------------------------------------------------------------------------------------


def build_scenario(base: Mapping[str, Any], spec: SweepScenario) -> Scenario:
    """The :class:`Scenario` of ``spec`` on top of ``base``; raises :class:`ScenarioError` on a bad value."""
    knobs = dict(base)
    demand = dict(knobs.pop("demand_multipliers", None) or {})
    overrides = dict(knobs.pop("rule_overrides", None) or {})
    closed = list(parse_ids(knobs.pop("closed_sites", None)))
    for name, value in spec.knobs.items():
        if name.startswith(DEMAND_PREFIX):
            demand[name.removeprefix(DEMAND_PREFIX)] = value
        elif name.startswith(RULE_PREFIX):
            overrides[name.removeprefix(RULE_PREFIX)] = value
        else:
            knobs[name] = value
    closed_sites = tuple(dict.fromkeys([*closed, *spec.closed_sites]))
    return make_scenario(**knobs, demand_multipliers=demand, rule_overrides=overrides, closed_sites=closed_sites)


def with_station_outages(dataset: Dataset, station_ids: Sequence[str]) -> Dataset:
    """A copy of ``dataset`` whose stations ``station_ids`` have no ambulance and may receive none."""
    if not station_ids:
        return dataset
    stations = dataset.stations.copy()
    unknown = sorted(set(station_ids) - set(stations["station_id"]))
    if unknown:
        raise ValueError(f"station_outages: unknown stations {', '.join(unknown)}")
    out = stations["station_id"].isin(station_ids)
    stations.loc[out, "ambulances"] = 0
    stations.loc[out, "max_ambulances"] = 0
    return dataclasses.replace(dataset, stations=stations, sha256="")


def worker_name() -> str:
    """``host:pid`` of the process running a scenario."""
    return f"{socket.gethostname()}:{os.getpid()}"


def flatten_kpis(kpis: Mapping[str, Any]) -> dict[str, float]:
    """The plan's KPIs as one flat row of numbers: scalars as they are, dict KPIs as ``<prefix>_<key>``."""
    flat: dict[str, float] = {}
    for name, value in kpis.items():
        if name in SKIPPED_KPIS:
            continue
        if isinstance(value, Mapping):
            prefix, keys, missing = DICT_KPIS.get(name, (name, (), float("nan")))
            for key in dict.fromkeys([*keys, *map(str, value)]):
                number = value.get(key, missing)
                flat[f"{prefix}_{key}"] = float(number) if number is not None else float("nan")
        elif isinstance(value, bool | int | float | np.number):
            flat[name] = float(value)
    return flat


def binding_entities(plan: Plan, dataset: Dataset) -> pd.DataFrame:
    """The entities that bind in ``plan``: ``kind, entity_id, drug, condition`` (see :data:`CONDITIONS`)."""
    hand = plan.stage("ambulance").table("handshakes")
    uncovered = hand.loc[~hand["covered"].astype(bool), "home_id"]
    unmet = plan.stage("observation").table("unmet")
    unplaced = unmet.loc[unmet["persons"] > 0, "home_id"].drop_duplicates()
    sites = plan.stage("observation").table("sites")
    full = sites.loc[sites["open"].astype(bool) & (sites["rooms"] > 0) & (sites["free_rooms"] <= 0), "site_id"]
    pools = plan.stage("nursing").table("pools")
    used_up = pools.loc[(pools["nurses"] > 0) & (pools["used"] >= pools["nurses"]), "pool_id"]
    depots = plan.stage("drugs").table("depots")
    held = _held_drugs(dataset)
    empty = depots[(depots["stock"] - depots["shipped"] <= 0)]
    empty = empty[[(d, g) in held for d, g in zip(empty["depot_id"], empty["drug"], strict=True)]]
    parts = [
        _bound("care_home", uncovered, "uncovered"),
        _bound("care_home", unplaced, "unplaced"),
        _bound("site", full, "full"),
        _bound("pool", used_up, "used_up"),
        pd.DataFrame(
            {"kind": "depot", "entity_id": empty["depot_id"].astype(str), "drug": empty["drug"].astype(str)}
        ).assign(condition="empty"),
    ]
    return pd.concat(parts, ignore_index=True)[list(BINDING_COLUMNS[1:])]


def _held_drugs(dataset: Dataset) -> set[tuple[str, str]]:
    """(depot_id, drug) pairs the dataset stocks (an empty depot of a drug it never holds does not bind)."""
    depots = dataset.depots
    return {(str(d), drug) for drug in DRUGS for d in depots.loc[depots[f"stock_{drug}"] > 0, "depot_id"]}


def _bound(kind: str, ids: pd.Series, condition: str) -> pd.DataFrame:
    return pd.DataFrame({"kind": kind, "entity_id": ids.astype(str).to_numpy(), "drug": "", "condition": condition})


def plan_status(plan: Plan) -> tuple[SweepStatus, str]:
    """``ok``; ``time_limit`` when a stage stopped at its limit with a feasible plan; ``error`` otherwise."""
    stages = plan.stages()
    failed = {n: s for n, s in stages.items() if s.status in (Status.ERROR, Status.INFEASIBLE)}
    if failed:
        return "error", "; ".join(f"{n}: {s.status.value} {s.message}".strip() for n, s in failed.items())
    unproven = [n for n, s in stages.items() if s.status == Status.FEASIBLE]
    if unproven:
        return "time_limit", f"stopped at the time limit: {', '.join(unproven)}"
    return "ok", ""


def scenario_row(plan: Plan, bindings: pd.DataFrame) -> dict[str, float]:
    """The flat KPIs of ``plan`` plus the count of each binding condition (:data:`CONDITIONS`)."""
    row = flatten_kpis(plan.kpis)
    counts = bindings["condition"].value_counts()
    for condition, (_kind, column) in CONDITIONS.items():
        if column not in row:
            row[column] = float(counts.get(condition, 0))
    return row


def solve_scenario(
    dataset: Dataset,
    rules: Rules,
    base: Mapping[str, Any],
    spec: SweepScenario,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
) -> ScenarioOutcome:
    """Solve one scenario of a sweep (the task each Dask worker runs; the serial runner calls it too).

    The stages are solved one at a time (``lanes=1``): the Dask workers are one process per core already, and the
    serial runner is the determinism reference. Never raises on a bad scenario: an exception becomes an ``error``
    outcome with its message.
    """
    from planner.pipeline import make_plan

    start = time.perf_counter()
    try:
        scenario = build_scenario(base, spec)
        unknown = scenario.validate_against(dataset)  # a closed site the dataset does not hold was ignored
        if unknown:
            raise ScenarioError(unknown)
        planned = with_station_outages(dataset, spec.station_outages)
        plan = make_plan(planned, rules, scenario, time_limit_s=time_limit_s, lanes=1)
        status, message = plan_status(plan)
        if status == "error":
            return ScenarioOutcome(spec.index, status, message, time.perf_counter() - start, worker_name())
        bindings = binding_entities(plan, dataset)
        marginal = plan.marginal_values[list(MARGINAL_COLUMNS[1:])].reset_index(drop=True)
        kpis = scenario_row(plan, bindings)
        return ScenarioOutcome(
            spec.index, status, message, time.perf_counter() - start, worker_name(), kpis, bindings, marginal
        )
    except Exception as exc:  # a failed scenario is a row, never the end of the sweep
        message = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"
        return ScenarioOutcome(spec.index, "error", message, time.perf_counter() - start, worker_name())


# --- runners ------------------------------------------------------------------------------------------------------


def run_serial(
    dataset: Dataset,
    rules: Rules,
    sweep: Sweep,
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    progress: ProgressCallback | None = None,
) -> SweepResult:
    """Solve every scenario in this process, one after the other (the determinism reference)."""
    outcomes = []
    for done, spec in enumerate(sweep.scenarios, start=1):
        outcome = solve_scenario(dataset, rules, sweep.base, spec, time_limit_s)
        outcomes.append(outcome)
        if progress is not None:
            progress(done, len(sweep), outcome)
    return assemble(sweep, outcomes)


def default_workers() -> int:
    """The machine's cores available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def dask_client(
    scheduler: str | None = None, workers: int | None = None, *, connect_timeout_s: float = 30.0
) -> Iterator[Client]:
    """A Dask client: to ``scheduler`` (``tcp://HOST:PORT``) or to a new local cluster of ``workers`` processes
    (default: one per core), one thread each. Closes the client, and the local cluster, on the way out.

    With ``scheduler`` and ``workers``, waits (up to ``connect_timeout_s``) until that many workers joined.
    """
    from distributed import Client

    if workers is not None and workers < 1:
        raise SweepError([f"workers: expected at least 1, got {workers}"])
    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{connect_timeout_s}s")
        except (OSError, TimeoutError) as exc:
            raise SweepError([f"scheduler {scheduler}: cannot connect ({exc})"]) from None
        try:
            _wait_for_workers(client, workers or 1, connect_timeout_s, scheduler)
            yield client
        finally:
            client.close()
        return
    cluster = start_local_cluster(workers)
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def start_local_cluster(workers: int | None = None) -> LocalCluster:
    """A local Dask cluster of ``workers`` processes (default: one per core), one thread each, no dashboard.

    The workers are started with Ctrl-C ignored and with a ``__main__`` that names no file: a spawned process
    re-imports its parent's main module, and under Streamlit that is the app script, which every worker would
    then run (thousands of "missing ScriptRunContext" warnings and seconds lost per start).
    """
    from distributed import LocalCluster

    with _children_ignore_sigint(), _plain_main():
        return LocalCluster(
            n_workers=workers or default_workers(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )


@contextmanager
def _plain_main() -> Iterator[None]:
    """``sys.modules["__main__"]`` replaced by an empty module while worker processes start (see
    :func:`start_local_cluster`): ``multiprocessing``'s spawn then imports no script in the children."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


@contextmanager
def _children_ignore_sigint() -> Iterator[None]:
    """Start worker processes with Ctrl-C ignored: a terminal's Ctrl-C reaches the whole process group, and
    the sweep (not each worker) should handle it, by cancelling the tasks and closing the cluster."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _wait_for_workers(client: Client, workers: int, timeout_s: float, scheduler: str) -> None:
    try:
        client.wait_for_workers(workers, timeout=timeout_s)
    except TimeoutError:
        joined = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        raise SweepError(
            [f"scheduler {scheduler}: {joined} worker(s) after {timeout_s:g} s, expected {workers}"]
        ) from None


def run_dask(
    client: Client,
    dataset: Dataset,
    rules: Rules,
    sweep: Sweep,
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    progress: ProgressCallback | None = None,
) -> SweepResult:
    """Solve every scenario as one Dask task; the dataset and rules are sent to every worker once.

    On ``KeyboardInterrupt`` (Ctrl-C) the pending tasks are cancelled before the interrupt goes on.
    A task lost with its worker is an ``error`` row.
    """
    from distributed import as_completed

    dataset_future = client.scatter(dataset, broadcast=True, hash=False)
    rules_future = client.scatter(rules, broadcast=True, hash=False)
    base = dict(sweep.base)
    futures = {
        client.submit(solve_scenario, dataset_future, rules_future, base, spec, time_limit_s, pure=False): spec
        for spec in sweep.scenarios
    }
    outcomes = []
    try:
        for done, future in enumerate(as_completed(list(futures)), start=1):
            outcome = _outcome_of(future, futures[future])
            outcomes.append(outcome)
            if progress is not None:
                progress(done, len(sweep), outcome)
    except BaseException:
        client.cancel(list(futures), force=True)
        raise
    finally:
        dataset_future.release()
        rules_future.release()
    return assemble(sweep, outcomes)


def _outcome_of(future: Any, spec: SweepScenario) -> ScenarioOutcome:
    try:
        outcome: ScenarioOutcome = future.result()
    except Exception as exc:  # the task itself never raises: this is the infrastructure (worker lost, ...)
        return ScenarioOutcome(spec.index, "error", f"{type(exc).__name__}: {exc}", float("nan"), "")
    return outcome


def run_sweep(
    dataset: Dataset,
    rules: Rules,
    sweep: Sweep,
    *,
    engine: Literal["dask", "serial"] = "dask",
    scheduler: str | None = None,
    workers: int | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    progress: ProgressCallback | None = None,
) -> SweepResult:
    """Run ``sweep`` in-process (``engine="serial"``) or on Dask (a local cluster, or ``scheduler``)."""
    if engine == "serial":
        return run_serial(dataset, rules, sweep, time_limit_s=time_limit_s, progress=progress)
    with dask_client(scheduler, workers) as client:
        return run_dask(client, dataset, rules, sweep, time_limit_s=time_limit_s, progress=progress)


__all__ = [
    "DEFAULT_TIME_LIMIT_S",
    "binding_entities",
    "build_scenario",
    "dask_client",
    "default_workers",
    "flatten_kpis",
    "plan_status",
    "run_dask",
    "run_serial",
    "run_sweep",
    "scenario_row",
    "solve_scenario",
    "start_local_cluster",
    "with_station_outages",
]
