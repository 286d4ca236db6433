"""The drug stage alone: seconds, status, bound and the pricing's share (``python -m bench.drug_stage``).

Issue 11 asks every stage proven optimal over every pair; at national a drug class's min-cost flows do not fit the
default 10 s and the stage ends ``feasible`` with a bound. This prints what the stage did at a time limit: its
seconds, objective, bound and gap, and the seconds of its min-cost flows, feasibility repairs, pricing passes and
the bounds of the passes its deadline stopped (summed over the classes). Speed lives here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

from models.base import SolveOptions
from planner.dataset.io import dataset_from_frames, read_dataset
from planner.dataset.sample import generate
from planner.pipeline import plan_context
from planner.rules.rules import load_rules
from planner.rules.scenario import make_scenario
from planner.stages import drugs

STAT_NAMES = (
    "arcs",
    "pairs_priced",
    "pricing_rounds",
    "min_cost_seconds",
    "feasibility_seconds",
    "pricing_seconds",
    "bound_seconds",
    "build_seconds",
)


def measure(data: str, level: str = "prevalent", limit: float = 10.0, repeat: int = 1) -> dict[str, Any]:
    """The fastest of ``repeat`` solves of the drug stage on ``data`` (a scale of the synthetic sample, seed 7, or a
    dataset folder), the snapshot plan at ``level``, inputs built once."""
    if data in ("city", "province", "national"):
        dataset = dataset_from_frames(generate(data, 7), name=f"{data}-7")
    else:
        dataset = read_dataset(data)
    context = plan_context(dataset, load_rules(), make_scenario(level=level, plan="snapshot"))
    inputs = drugs.build_inputs(context)
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = drugs.solve(inputs, SolveOptions(time_limit_s=limit))
        runs.append((time.perf_counter() - start, result))
    seconds, result = min(runs, key=lambda run: run[0])
    return {
        "data": data,
        "level": level,
        "time_limit_s": limit,
        "seconds": round(seconds, 3),
        "status": str(result.status),
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        **{name: result.stats.get(name) for name in STAT_NAMES},
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", default="province", help="city, province, national (synthetic, seed 7) or a folder")
    parser.add_argument("--level", default="prevalent")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(measure(args.data, args.level, args.time_limit, args.repeat), default=float))


if __name__ == "__main__":
    main()
