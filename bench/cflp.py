"""The observation stage on capacitated facility-location instances with published optima, and on the samples.

Each OR-Library capacitated warehouse location instance (Beasley 1988: ``cap41`` … ``cap134``, and ``capa``,
``capb``, ``capc`` with the word ``capacity`` replaced by a capacity, written ``capa-8000``) becomes a stage input:
customer ``j`` a group (``other``, persons = demand ``d_j``), warehouse ``i`` a candidate site (rooms = capacity,
opening cost ``f_i``, barrier-free, one street, no street minimum), and an arc ``(j, i)`` of ``c_ij / d_j`` minutes
per person, so that the stage's objective is the instance's cost. The samples are the pipeline's own observation
inputs (seed 7, level ``severe``). Prints one line per instance: objective, published optimum, gap to it, bound,
gap, status, seconds and the load average. Nothing is asserted: this is a measurement.

    python -m bench.cflp --orlib DIR [--optima FILE] [--instances small|large|NAMES] [--samples city,province]
        [--time-limit S] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.base import SolveOptions, StageResult
from models.observation import solve_observation

SMALL: tuple[str, ...] = tuple(
    f"cap{k}" for k in (41, 42, 43, 44, 51, *range(61, 65), *range(71, 75), *range(81, 85), *range(91, 95))
) + tuple(f"cap{k}" for k in (*range(101, 105), *range(111, 115), *range(121, 125), *range(131, 135)))
LARGE: tuple[str, ...] = tuple(
    [f"capa-{c}" for c in (8000, 10000, 12000, 14000)]
    + [f"capb-{c}" for c in (5000, 6000, 7000, 8000)]
    + [f"capc-{c}" for c in (5000, 5750, 6500, 7250)]
)


@dataclass(frozen=True)
class StageInput:
    """What ``solve_observation`` takes, and the rules."""

    groups: pd.DataFrame
    sites: pd.DataFrame
    arcs: pd.DataFrame
    persons_per_room: int = 1
    sites_per_street_min: int = 0
    barrier_free_for_disabled: bool = True


def read_orlib(path: Path, capacity: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Capacities, fixed costs, demands and the cost matrix ``c[i, j]`` (all of ``j``'s demand from ``i``)."""
    tokens = path.read_text().split()
    sites, customers = int(tokens[0]), int(tokens[1])
    head = tokens[2 : 2 + 2 * sites]
    caps = np.array([capacity if word.lower() == "capacity" else float(word) for word in head[0::2]], float)
    fixed = np.array(head[1::2], float)
    body = np.array(tokens[2 + 2 * sites :], float).reshape(customers, 1 + sites)
    return caps, fixed, body[:, 0], body[:, 1:].T


def orlib_input(folder: Path, name: str) -> StageInput:
    """The stage input of instance ``name`` (``cap41``, ``capa-8000``) read from ``folder``."""
    base, _, capacity = name.partition("-")
    caps, fixed, demand, cost = read_orlib(folder / f"{base}.txt", float(capacity) if capacity else None)
    homes = np.array([f"C{j}" for j in range(len(demand))])
    site_ids = np.array([f"F{i}" for i in range(len(caps))])
    groups = pd.DataFrame({"home_id": homes, "street_id": "T", "group": "other", "persons": demand.astype(np.int64)})
    sites = pd.DataFrame(
        {
            "site_id": site_ids,
            "street_id": "T",
            "rooms": caps.astype(np.int64),
            "barrier_free": True,
            "status": "candidate",
            "opening_cost": fixed,
        }
    )
    site, customer = np.meshgrid(np.arange(len(caps)), np.arange(len(demand)), indexing="ij")
    arcs = pd.DataFrame(
        {
            "home_id": homes[customer.ravel()],
            "site_id": site_ids[site.ravel()],
            "minutes": (cost / np.maximum(demand, 1e-300)[None, :]).ravel(),
        }
    )
    return StageInput(groups, sites, arcs)


def sample_input(scale: str) -> StageInput:
    """The pipeline's observation inputs of the sample at ``scale`` (seed 7, level ``severe``)."""
    from bench.inputs import build_instance
    from planner.dataset.io import dataset_from_frames
    from planner.dataset.sample import generate
    from planner.rules.rules import load_rules
    from planner.rules.scenario import make_scenario

    dataset = dataset_from_frames(generate(scale, 7), name=f"{scale}-seed7")
    inputs = build_instance(dataset, load_rules(), make_scenario(level="severe")).observation
    return StageInput(
        inputs.groups,
        inputs.sites,
        inputs.arcs,
        inputs.persons_per_room,
        inputs.sites_per_street_min,
        inputs.barrier_free_for_disabled,
    )


def read_optima(path: Path) -> dict[str, float]:
    """``name value`` lines (``#`` comments); ``capa_8000`` and ``capa-8000`` alike."""
    optima: dict[str, float] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            parts = line.split("#", 1)[0].split()
            if len(parts) == 2:
                optima[parts[0].replace("_", "-")] = float(parts[1])
    return optima


def run(name: str, data: StageInput, time_limit: float, optimum: float | None) -> dict[str, object]:
    """One stage run and its figures."""
    load = os.getloadavg()[0]
    start = time.perf_counter()
    result: StageResult = solve_observation(
        data.groups,
        data.sites,
        data.arcs,
        persons_per_room=data.persons_per_room,
        sites_per_street_min=data.sites_per_street_min,
        barrier_free_for_disabled=data.barrier_free_for_disabled,
        options=SolveOptions(time_limit_s=time_limit),
    )
    seconds = time.perf_counter() - start
    above = (result.objective - optimum) / optimum if optimum else float("nan")
    return {
        "instance": name,
        "objective": result.objective,
        "optimum": optimum if optimum is not None else float("nan"),
        "above_optimum_pct": 100 * above,
        "bound": result.bound,
        "gap_pct": 100 * result.gap,
        "status": result.status.value,
        "seconds": seconds,
        "load": load,
        "route": result.stats.get("route", ""),
        "found_by": result.stats.get("found_by", ""),
    }


def line(row: dict[str, object]) -> str:
    return (
        f"{row['instance']:<11} obj={row['objective']:>16.3f} opt={row['optimum']:>15.3f} "
        f"above={row['above_optimum_pct']:>8.4f}% bound={row['bound']:>16.3f} gap={row['gap_pct']:>8.4f}% "
        f"{row['status']:<8} {row['seconds']:>7.2f}s load={row['load']:.2f} {row['route']} ({row['found_by']})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orlib", type=Path, default=None, help="folder with cap41.txt … capc.txt")
    parser.add_argument("--optima", type=Path, default=None, help="published optima (default <orlib>/capopt.txt)")
    parser.add_argument("--instances", default="small,large", help="small, large or comma-separated names")
    parser.add_argument("--samples", default="", help="comma-separated scales: city, province, national")
    parser.add_argument("--time-limit", type=float, default=60.0, help="the stage's time limit, seconds")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each instance")
    args = parser.parse_args(argv)
    rows = []
    if args.orlib is not None:
        optima = read_optima(args.optima or args.orlib / "capopt.txt")
        names: list[str] = []
        for part in args.instances.split(","):
            names += list(SMALL if part == "small" else LARGE if part == "large" else [part] if part else [])
        for name in names:
            data = orlib_input(args.orlib, name)
            for _ in range(args.repeat):
                rows.append(run(name, data, args.time_limit, optima.get(name)))
                print(line(rows[-1]), flush=True)
    for scale in [s for s in args.samples.split(",") if s]:
        data = sample_input(scale)
        for _ in range(args.repeat):
            rows.append(run(scale, data, args.time_limit, None))
            print(line(rows[-1]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
