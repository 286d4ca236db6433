"""The testing stage alone at a scale: build and solve seconds, status, sizes (``python -m bench.testing_stage``).

Targets (issue 13): city <= 1 s, province <= 10 s, proven optimal at city. Speed lives here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

from models.base import SolveOptions
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
        "status": str(result.status),
        "gap": result.gap,
        "build_seconds": round(build_s, 3),
        "solve_seconds": round(solve_s, 3),
        "load_average": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> None:
    """Print one JSON line per scale."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", action="append", choices=("city", "province", "national"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    for scale in args.scale or ["city", "province"]:
        print(json.dumps(measure(scale, repeat=args.repeat)))


if __name__ == "__main__":
    main()
