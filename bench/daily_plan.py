"""The day-by-day plan end to end at a scale and horizon: seconds, statuses, peaks (``python -m bench.daily_plan``).

Targets (issue 12): city 14 days <= 2 s, city 60 days <= 10 s, province 14 days <= 30 s; every stage proven
optimal at city. Also checks the promise that the daily plan never needs more on its peak day than the snapshot
needs at once (observation places and nurses). Speed lives here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

from models.base import STAGE_LANES
from planner.dataset.io import dataset_from_frames
from planner.dataset.sample import generate
from planner.pipeline import make_plan
from planner.rules.rules import load_rules
from planner.rules.scenario import make_scenario


def measure(
    scale: str, horizon: int, level: str = "severe", seed: int = 7, limit: float = 10.0, lanes: int = STAGE_LANES
) -> dict[str, Any]:
    """One daily plan and one snapshot of the synthetic ``scale`` over ``horizon`` days, ``lanes`` stages at once."""
    dataset = dataset_from_frames(generate(scale, seed), name=f"{scale}-{seed}")
    rules = load_rules()
    start = time.perf_counter()
    daily = make_plan(dataset, rules, make_scenario(level=level, horizon_days=horizon), time_limit_s=limit, lanes=lanes)
    seconds = time.perf_counter() - start
    snapshot = make_plan(
        dataset, rules, make_scenario(level=level, horizon_days=horizon, plan="snapshot"), time_limit_s=limit
    )
    timeline = daily.timeline
    city = timeline[(timeline["scope"] == "city") & (timeline["resource"] == "observation_places")]
    observation = daily.stage("observation")
    return {
        "scale": scale,
        "horizon_days": horizon,
        "lanes": lanes,
        "seconds": round(seconds, 3),
        "stage_seconds": {name: round(result.seconds, 3) for name, result in daily.stages().items()},
        "status": {name: str(result.status) for name, result in daily.stages().items()},
        "observation_gap": observation.gap,
        "observation_phases": {
            phase.name: {"objective": phase.objective, "bound": phase.bound, "status": str(phase.status)}
            for phase in observation.phases
        },
        "unmet_persons": observation.stats.get("unmet"),
        "unmet_disabled": observation.stats.get("unmet_disabled"),
        "time_limit_s": limit,
        "peak_day_places_needed": float(city["needed"].max()) if not city.empty else 0.0,
        "snapshot_places_needed": int(snapshot.kpis["observation_persons"]),
        "peak_day_nurses_required": int(daily.needs.daily.nursing.groupby("day")["required"].sum().max())
        if daily.needs.daily is not None and not daily.needs.daily.nursing.empty
        else 0,
        "snapshot_nurses_required": int(snapshot.needs.nursing["required"].sum()),
        "run_out_rows": len(daily.run_out),
        "load_average": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> None:
    """Print one JSON line per scale and horizon."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", action="append", choices=("city", "province"))
    parser.add_argument("--horizon", action="append", type=int)
    parser.add_argument("--level", default="severe")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds a stage (the CLI's default)")
    parser.add_argument("--lanes", type=int, default=STAGE_LANES, help="stages solved at once (make_plan's default)")
    args = parser.parse_args(argv)
    cases = [(s, h) for s in (args.scale or ["city"]) for h in (args.horizon or [14, 60])]
    if not args.scale and not args.horizon:
        cases.append(("province", 14))
    for scale, horizon in cases:
        print(json.dumps(measure(scale, horizon, args.level, limit=args.time_limit, lanes=args.lanes)))


if __name__ == "__main__":
    main()
