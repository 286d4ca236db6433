"""Benchmark of the scenario sweep: a local Dask cluster against the serial in-process runner.

Run by hand (it takes a while: every scenario is a full city plan, twice)::

    .venv/bin/python -m bench.sweep                      # 200 scenarios of the sample city at severe
    .venv/bin/python -m bench.sweep --scenarios 20       # fewer, when the city solve is slow

It prints the figures and writes ``bench/results/sweep.json`` (schema ``epiplan.bench.sweep/1``):

``machine``       cores (and the cores this process may use), load average before and after, versions.
``sweep``         dataset, level, seed, scenarios, time limit, statuses.
``serial``        wall seconds, seconds per scenario (mean, P50, P95), sum of the scenarios' own seconds.
``cluster``       workers, cluster start, worker warm-up (imports), sweep wall seconds, close seconds,
                  sum of the scenarios' own seconds on the workers.
``overhead``      per task: no-op tasks through the same client (scheduler round trip, the dataset already on
                  the workers), and the sweep's own (workers x wall - sum of the task seconds) / scenarios.
``scaling``       speed-up (serial wall / cluster wall), efficiency (speed-up / workers), and the solve-time
                  inflation on the cluster (mean task seconds there / serially: CP-SAT runs two threads per
                  solve, so N one-thread workers on N cores share the CPU with the solver's threads).
``determinism``   whether every scenario's row (KPIs, statuses, knobs) is identical serially and on the cluster,
                  and whether the per-entity counts add up to the per-scenario counts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.dataset.io import read_dataset
from planner.dataset.schema import Dataset
from planner.rules.rules import load_preset
from planner.rules.scenario import make_scenario
from planner.sweep.execution import DEFAULT_TIME_LIMIT_S, dask_client, default_workers, run_dask
from planner.sweep.execution import run_serial as run_sweep_serially
from planner.sweep.results import SweepResult, comparable
from planner.sweep.sampling import (
    DEFAULT_SITE_CLOSURE,
    DEFAULT_STATION_OUTAGE,
    base_knobs,
    default_distributions,
    monte_carlo_sweep,
)
from planner.sweep.vocabulary import CONDITIONS, TIMING_COLUMNS, ProgressCallback, ScenarioOutcome, Sweep

SCHEMA = "epiplan.bench.sweep/1"
RESULTS = Path(__file__).resolve().parent / "results" / "sweep.json"
SAMPLE_CITY = Path(__file__).resolve().parents[1] / "data" / "sample"
NOOP_TASKS = 1000


def _warm_up() -> float:
    """Import the pipeline (and its solvers) in this process; returns the seconds it took."""
    start = time.perf_counter()
    import ortools.graph.python.min_cost_flow
    import ortools.sat.python.cp_model  # noqa: F401

    import planner.pipeline  # noqa: F401

    return time.perf_counter() - start


def _noop(dataset: Dataset, index: int) -> int:
    """A task that does nothing with the scattered dataset: what a sweep task costs besides its solve."""
    del dataset
    return index


def _seconds_stats(seconds: pd.Series) -> dict[str, float]:
    return {
        "mean": round(float(seconds.mean()), 3),
        "p50": round(float(seconds.quantile(0.5)), 3),
        "p95": round(float(seconds.quantile(0.95)), 3),
        "sum": round(float(seconds.sum()), 3),
    }


def _counts_add_up(result: SweepResult) -> bool:
    entities, rows = result.entities, result.scenarios
    return all(
        int(entities.loc[entities["condition"] == condition, "scenarios"].sum()) == int(rows[column].sum())
        for condition, (_kind, column) in CONDITIONS.items()
    )


def run_serial(dataset: Dataset, sweep: Sweep, time_limit_s: float) -> tuple[SweepResult, dict[str, Any]]:
    rules = load_preset("beijing-2023")
    start = time.perf_counter()
    result = run_sweep_serially(dataset, rules, sweep, time_limit_s=time_limit_s, progress=_progress("serial"))
    wall = time.perf_counter() - start
    return result, {"wall_s": round(wall, 3), "scenario_seconds": _seconds_stats(result.scenarios["seconds"])}


def run_cluster(
    dataset: Dataset, sweep: Sweep, time_limit_s: float, workers: int
) -> tuple[SweepResult, dict[str, Any], dict[str, Any]]:
    """The sweep on a fresh local cluster, then no-op tasks through the same client."""
    rules = load_preset("beijing-2023")
    start = time.perf_counter()
    with dask_client(workers=workers) as client:
        started = time.perf_counter() - start
        warm = client.run(_warm_up)
        warmed = time.perf_counter() - start - started
        begin = time.perf_counter()
        result = run_dask(client, dataset, rules, sweep, time_limit_s=time_limit_s, progress=_progress("cluster"))
        wall = time.perf_counter() - begin
        noop = _noop_overhead(client, dataset)
        closing = time.perf_counter()
    closed = time.perf_counter() - closing
    figures = {
        "workers": workers,
        "start_s": round(started, 3),
        "warm_up_s": round(warmed, 3),
        "worker_import_s": {str(k): round(float(v), 3) for k, v in warm.items()},
        "wall_s": round(wall, 3),
        "close_s": round(closed, 3),
        "scenario_seconds": _seconds_stats(result.scenarios["seconds"]),
        "workers_used": int(result.scenarios["worker"].nunique()),
    }
    task_overhead = (workers * wall - float(result.scenarios["seconds"].sum())) / max(len(sweep), 1)
    overhead = {
        "noop_tasks": NOOP_TASKS,
        "noop_wall_s": round(noop, 4),
        "noop_per_task_ms": round(1000 * noop / NOOP_TASKS, 3),
        "sweep_per_task_ms": round(1000 * task_overhead, 1),
    }
    return result, figures, overhead


def _noop_overhead(client: Any, dataset: Dataset) -> float:
    """Wall seconds of :data:`NOOP_TASKS` no-op tasks on the scattered dataset (submitted at once)."""
    scattered = client.scatter(dataset, broadcast=True, hash=False)
    start = time.perf_counter()
    futures = [client.submit(_noop, scattered, i, pure=False) for i in range(NOOP_TASKS)]
    client.gather(futures)
    return time.perf_counter() - start


def _progress(label: str) -> ProgressCallback:
    def report(done: int, total: int, outcome: ScenarioOutcome) -> None:
        if done == total or done % max(1, total // 10) == 0:
            print(f"  {label}: {done}/{total} ({outcome.status}, {outcome.seconds:.1f} s)", file=sys.stderr)

    return report


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("dask", "distributed", "ortools", "pandas", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = ""
    return versions


def benchmark(data: Path, scenarios: int, seed: int, level: str, time_limit_s: float, workers: int) -> dict[str, Any]:
    """Every figure of the module docstring, as one JSON-ready dict."""
    load_before = os.getloadavg()
    dataset = read_dataset(data)
    scenario = make_scenario(level=level)
    sweep = monte_carlo_sweep(
        dataset,
        default_distributions(scenario),
        scenarios,
        seed,
        site_closure=DEFAULT_SITE_CLOSURE,
        station_outage=DEFAULT_STATION_OUTAGE,
        base=base_knobs(scenario),
    )
    import_s = _warm_up()
    serial_result, serial = run_serial(dataset, sweep, time_limit_s)
    cluster_result, cluster, overhead = run_cluster(dataset, sweep, time_limit_s, workers)
    speed_up = serial["wall_s"] / cluster["wall_s"] if cluster["wall_s"] > 0 else float("nan")
    identical = comparable(serial_result.scenarios).equals(comparable(cluster_result.scenarios))
    differing = _differing_rows(serial_result, cluster_result)
    return {
        "schema": SCHEMA,
        "machine": {
            "platform": platform.platform(),
            "cores": os.cpu_count(),
            "cores_usable": default_workers(),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": _versions(),
        "sweep": {
            "dataset": dataset.name,
            "care_homes": len(dataset.care_homes),
            "level": level,
            "seed": seed,
            "scenarios": scenarios,
            "time_limit_s": time_limit_s,
            "statuses": cluster_result.status_counts(),
        },
        "serial": {**serial, "import_s": round(import_s, 3)},
        "cluster": cluster,
        "overhead": overhead,
        "scaling": {
            "speed_up": round(speed_up, 3),
            "efficiency": round(speed_up / workers, 3),
            "solve_inflation": round(
                cluster["scenario_seconds"]["mean"] / max(serial["scenario_seconds"]["mean"], 1e-9), 3
            ),
            "speed_up_with_start_and_close": round(
                serial["wall_s"] / (cluster["start_s"] + cluster["warm_up_s"] + cluster["wall_s"] + cluster["close_s"]),
                3,
            ),
        },
        "determinism": {
            "identical_rows": bool(identical),
            "differing_scenarios": differing,
            "differences": _differences(serial_result, cluster_result, differing),
            "identical_entities": bool(serial_result.entities.equals(cluster_result.entities)),
            "counts_add_up": _counts_add_up(serial_result) and _counts_add_up(cluster_result),
        },
    }


def _differences(serial: SweepResult, cluster: SweepResult, rows: list[int]) -> list[dict[str, Any]]:
    """For each differing scenario: both statuses, messages and seconds, and the KPI columns that differ."""
    a = serial.scenarios.set_index("scenario")
    b = cluster.scenarios.set_index("scenario")
    details: list[dict[str, Any]] = []
    for row in rows:
        if row not in a.index or row not in b.index:
            details.append({"scenario": row, "missing": True})
            continue
        first, second = a.loc[row], b.loc[row]
        differing = [c for c in serial.kpi_columns if c not in TIMING_COLUMNS and not _same(first[c], second[c])]
        details.append(
            {
                "scenario": row,
                "serial": _run_of(first),
                "cluster": _run_of(second),
                "kpis_differing": differing,
            }
        )
    return details


def _same(first: Any, second: Any) -> bool:
    return bool(first == second) or bool(pd.isna(first) and pd.isna(second))


def _run_of(row: Any) -> dict[str, Any]:
    return {"status": str(row["status"]), "message": str(row["message"]), "seconds": float(row["seconds"])}


def _differing_rows(first: SweepResult, second: SweepResult) -> list[int]:
    a, b = comparable(first.scenarios), comparable(second.scenarios)
    if a.shape != b.shape:
        return sorted(set(a["scenario"]) ^ set(b["scenario"]))
    numbers = a.select_dtypes("number").columns
    same_numbers = np.isclose(a[numbers], b[numbers], rtol=0, atol=0, equal_nan=True).all(axis=1)
    others = [c for c in a.columns if c not in numbers]
    same_text = (a[others].fillna("") == b[others].fillna("")).all(axis=1)
    return [int(s) for s in a.loc[~(same_numbers & same_text.to_numpy()), "scenario"]]


def report(figures: dict[str, Any]) -> str:
    """The figures a reader checks first, one per line."""
    serial, cluster, overhead, scaling = figures["serial"], figures["cluster"], figures["overhead"], figures["scaling"]
    machine, sweep, determinism = figures["machine"], figures["sweep"], figures["determinism"]
    return "\n".join(
        [
            f"{sweep['scenarios']} scenarios of {sweep['dataset']} ({sweep['care_homes']} care homes) at "
            f"{sweep['level']}, seed {sweep['seed']}, on {machine['cores_usable']} core(s), "
            f"load {machine['load_before'][0]} -> {machine['load_after'][0]}; statuses {sweep['statuses']}",
            f"serial:  {serial['wall_s']:.1f} s wall, {serial['scenario_seconds']['mean']:.2f} s per scenario "
            f"(P95 {serial['scenario_seconds']['p95']:.2f} s)",
            f"cluster: {cluster['workers']} workers, start {cluster['start_s']:.1f} s + warm-up "
            f"{cluster['warm_up_s']:.1f} s, sweep {cluster['wall_s']:.1f} s wall, close {cluster['close_s']:.1f} s; "
            f"{cluster['scenario_seconds']['mean']:.2f} s per scenario on a worker",
            f"overhead: {overhead['noop_per_task_ms']:.2f} ms per no-op task; "
            f"{overhead['sweep_per_task_ms']:.0f} ms per sweep task not spent solving",
            f"scaling: speed-up {scaling['speed_up']:.2f}x, efficiency {scaling['efficiency']:.0%}, "
            f"solve-time inflation {scaling['solve_inflation']:.2f}x "
            f"(with start and close: {scaling['speed_up_with_start_and_close']:.2f}x)",
            f"determinism: identical rows {determinism['identical_rows']} "
            f"(differing {determinism['differing_scenarios']}), identical entity counts "
            f"{determinism['identical_entities']}, counts add up {determinism['counts_add_up']}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SAMPLE_CITY, help="dataset (default: the sample city)")
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--level", default="severe", choices=("normal", "prevalent", "severe"))
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S, help="seconds per stage")
    parser.add_argument("--workers", type=int, default=default_workers(), help="local cluster workers")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    figures = benchmark(args.data, args.scenarios, args.seed, args.level, args.time_limit, args.workers)
    print(report(figures))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
