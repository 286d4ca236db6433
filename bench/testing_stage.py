"""The testing stage alone at a scale: build and solve seconds, status, sizes (``python -m bench.testing_stage``).

Targets (issue 13): city <= 1 s, province <= 10 s, proven optimal at city. Speed lives here, never in tests.
``--mip`` also times the p-median MIP of one synthetic street too large to enumerate (HiGHS, 5 points).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numpy as np

from models.base import SolveOptions
from models.testing_median import best_subset
from planner.dataset.io import dataset_from_frames
from planner.dataset.sample import generate
from planner.pipeline import plan_context
from planner.rules.rules import load_rules
from planner.rules.scenario import make_scenario
from planner.stages import testing


def measure(scale: str = "city", seed: int = 7, repeat: int = 3) -> dict[str, Any]:
    """The fastest of ``repeat`` runs of the testing stage on the synthetic ``scale`` (inputs built once per run)."""
    dataset = dataset_from_frames(generate(scale, seed), name=f"{scale}-{seed}")
    context = plan_context(dataset, load_rules(), make_scenario(level="severe"))
    runs: list[tuple[float, float]] = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        inputs = testing.build_inputs(context)
        built = time.perf_counter()
        result = testing.solve(inputs, SolveOptions())
        runs.append((built - start, time.perf_counter() - built))
    assert result is not None
    build_s, solve_s = min(runs, key=sum)
    return {
        "scale": scale,
        "streets": len(dataset.streets),
        "candidates": int(result.stats["candidates"]),
        "labs": len(dataset.labs),
        "streets_mip": int(result.stats["streets_mip"]),
        "care_homes_on_site": int(result.stats["care_homes_on_site"]),
        "team_arcs": int(result.stats["team_arcs"]),
        "care_home_tests_unsampled_per_day": int(result.stats["care_home_tests_unsampled_per_day"]),
        "status": str(result.status),
        "gap": result.gap,
        "build_seconds": round(build_s, 3),
        "solve_seconds": round(solve_s, 3),
        "load_average": os.getloadavg()[0],
    }


def measure_mip(candidates: int, demand: int, points: int = 5, seed: int = 7, limit_s: float = 10.0) -> dict[str, Any]:
    """One street of ``candidates`` random points (3 km square) and ``demand`` weighted points, solved by the MIP."""
    rng = np.random.default_rng(seed)
    where, homes = rng.uniform(0, 3, (candidates, 2)), rng.uniform(0, 3, (demand, 2))
    dist = np.linalg.norm(homes[:, None] - where[None], axis=2)
    weights = rng.integers(100, 5000, demand).astype(float)
    desks = rng.integers(1, 5, candidates)
    start = time.perf_counter()
    choice = best_subset(dist, weights, desks, points, deadline=start + limit_s)
    return {
        "mip_candidates": candidates,
        "demand_points": demand,
        "points": points,
        "method": choice.method,
        "status": "optimal" if choice.proven else "feasible",
        "gap": round(choice.gap, 6),
        "seconds": round(time.perf_counter() - start, 3),
        "load_average": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> None:
    """Print one JSON line per scale."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", action="append", choices=("city", "province", "national"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mip", action="store_true", help="also time one large street's MIP (30, 60, 120 candidates)")
    args = parser.parse_args(argv)
    for scale in args.scale or ["city", "province"]:
        print(json.dumps(measure(scale, repeat=args.repeat)))
    if args.mip:
        for candidates, demand in ((30, 10), (60, 40), (120, 80)):
            print(json.dumps(measure_mip(candidates, demand)))


if __name__ == "__main__":
    main()
