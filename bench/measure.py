"""Running and measuring one method: epiplan's ``make_plan`` runs timed stage by stage, and each method's stage
results (status, bound, gap, build and solve seconds, model sizes) and KPIs as report dicts.
"""

from __future__ import annotations

import cProfile
import math
import pstats
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.inputs import STAGES, BenchInstance, MethodResult
from bench.kpis import method_kpis, stage_kpis
from bench.machine import peak_rss_mb
from models.base import StageResult, Status


@dataclass
class EpiplanRuns:
    """Timings of the ``make_plan`` runs and the fastest run's plan."""

    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    stage_walls: list[dict[str, float]] = field(default_factory=list)
    plan: Any = None


def _timed_plan(dataset: Any, rules: Any, scenario: Any, time_limit_s: float) -> tuple[Any, float, float, dict]:
    """One ``make_plan`` run: the plan, wall and CPU seconds, and wall seconds per stage (its inputs built and
    solved; two stages run at once where one does not read the other, so they may add up to more than the run),
    before the first stage (``before_stages``) and after the last (``after_stages``: compliance, explanations,
    KPIs, waiting for report work forked as a stage was solved)."""
    from planner.pipeline import make_plan

    first_start: list[float] = []
    last_solved: list[float] = []
    walls: dict[str, float] = {}

    def solved(stage: str, seconds: float) -> None:
        walls[stage] = seconds
        last_solved.append(time.perf_counter())

    cpu = time.process_time()
    start = time.perf_counter()
    plan = make_plan(
        dataset,
        rules,
        scenario,
        time_limit_s=time_limit_s,
        progress=lambda _stage, _i, _n: first_start.append(time.perf_counter()),
        solved=solved,
    )
    end = time.perf_counter()
    walls["before_stages"] = (first_start[0] - start) if first_start else 0.0
    walls["after_stages"] = (end - last_solved[-1]) if last_solved else 0.0
    return plan, end - start, time.process_time() - cpu, walls


def stage_report(result: StageResult, wall: float | None = None) -> dict[str, Any]:
    """Status, objective, bound, gap, seconds and the model's stats of one stage (build/solve where reported)."""
    stats = dict(result.stats)
    build = stats.get("build_seconds")
    solve = stats.get("solve_seconds")
    if solve is None and "max_flow_seconds" in stats:
        solve = float(stats["max_flow_seconds"]) + float(stats.get("min_cost_seconds", 0.0))
        build = result.seconds - solve
    report = {
        "status": result.status.value,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "model_seconds": round(result.seconds, 4),
        "build_seconds": None if build is None else round(float(build), 4),
        "solve_seconds": None if solve is None else round(float(solve), 4),
        "variables": stats.get("variables"),
        "arcs": stats.get("arcs"),
        "phases": [
            {"name": p.name, "sense": p.sense, "objective": p.objective, "bound": p.bound, "status": p.status.value}
            for p in result.phases
        ],
        "stats": stats,
    }
    if wall is not None:
        report["wall_seconds"] = round(wall, 4)
    if result.message:
        report["message"] = result.message
    return report


def summary(values: Sequence[float]) -> dict[str, Any]:
    """min, median, max and every run, seconds rounded to 0.1 ms."""
    ordered = sorted(values)
    return {
        "min": round(ordered[0], 4),
        "median": round(float(np.median(ordered)), 4),
        "max": round(ordered[-1], 4),
        "runs": [round(v, 4) for v in values],
    }


def run_epiplan(
    dataset: Any, rules: Any, scenario: Any, repeat: int, time_limit_s: float
) -> tuple[dict[str, Any], Any]:
    """``repeat`` runs of ``make_plan``: timings of every run; stages, stage walls and KPIs of the fastest."""
    runs = EpiplanRuns()
    for _ in range(repeat):
        plan, wall, cpu, walls = _timed_plan(dataset, rules, scenario, time_limit_s)
        if not runs.walls or wall < min(runs.walls):
            runs.plan = plan  # the stage figures are those of the fastest run
        runs.walls.append(wall)
        runs.cpus.append(cpu)
        runs.stage_walls.append(walls)
    fastest = runs.stage_walls[int(np.argmin(runs.walls))]
    stages = runs.plan.stages()
    stage_walls = {name: fastest.get(name) for name in STAGES}
    report = {
        "wall_seconds": summary(runs.walls),
        "cpu_seconds": summary(runs.cpus),
        "time_limit_s": time_limit_s,
        "pipeline_seconds": {
            "needs_and_locations": round(fastest["before_stages"], 4),
            "post_processing": round(fastest["after_stages"], 4),
        },
        "stages": {name: stage_report(stages[name], stage_walls[name]) for name in STAGES},
        "all_optimal": all(stages[name].status == Status.OPTIMAL for name in STAGES),
        "worst_gap": max((float(stages[n].gap) for n in STAGES if not math.isnan(stages[n].gap)), default=0.0),
        "peak_rss_mb": peak_rss_mb(),
        "kpis": method_kpis(stages),
    }
    return report, runs.plan


def measure_drug_build(report: dict[str, Any], instance: BenchInstance) -> None:
    """The drugs model reports only its total seconds: time its instance building separately (same inputs)."""
    if report.get("build_seconds") is not None:
        return
    from models.drug_instances import build_instances
    from models.drugs import DEFAULT_PRIORITY_KINDS

    drugs = instance.drugs
    start = time.perf_counter()
    build_instances(drugs.depots, drugs.targets, drugs.arcs, DEFAULT_PRIORITY_KINDS)
    build = time.perf_counter() - start
    report["build_seconds"] = round(build, 4)
    report["solve_seconds"] = round(max(0.0, report["model_seconds"] - build), 4)
    report["build_seconds_source"] = "harness: models.drug_instances.build_instances re-timed on the same inputs"


def profile_plan(dataset: Any, rules: Any, scenario: Any, time_limit_s: float, top: int = 25) -> dict[str, Any]:
    """cProfile of one ``make_plan`` run: the top functions by cumulative and by own time."""
    from planner.pipeline import make_plan

    profiler = cProfile.Profile()
    profiler.enable()
    make_plan(dataset, rules, scenario, time_limit_s=time_limit_s)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, function), (_cc, calls, own, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{Path(filename).name}:{line}({function})"
        rows.append({"function": where, "calls": calls, "own_seconds": own, "cumulative_seconds": cumulative})
    frame = pd.DataFrame(rows)

    def best(column: str) -> list[dict[str, Any]]:
        chosen = frame.sort_values(column, ascending=False).head(top)
        return [
            {str(k): (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}
            for row in chosen.to_dict(orient="records")
        ]

    return {"by_cumulative": best("cumulative_seconds"), "by_own": best("own_seconds")}


# --------------------------------------------------------------------------- baselines


def method_report(result: MethodResult, repeats: Sequence[float] | None = None, cpu: float | None = None) -> dict:
    """Wall seconds, per-stage reports and KPIs of a baseline."""
    report: dict[str, Any] = {
        "wall_seconds": summary(list(repeats) if repeats else [result.seconds]),
        "stages": {
            name: stage_report(result.stages[name], result.stage_seconds.get(name))
            for name in STAGES
            if name in result.stages  # a baseline without a stage (testing) has no report for it
        },
        "kpis": method_kpis(result.stages),
    }
    if cpu is not None:
        report["cpu_seconds"] = round(cpu, 4)
    if result.notes:
        report["notes"] = dict(result.notes)
    return report


def mip_nursing_same_needs(
    instance: BenchInstance, observation: StageResult, time_limit_s: float, solver: str = "cbc"
) -> dict[str, Any]:
    """The MIP's nursing stage on epiplan's nursing needs (1:1 at the sites epiplan's observation plan used)."""
    from bench.mip import MipOptions, mip_nursing_after

    result = mip_nursing_after(instance, observation, MipOptions(time_limit_s=time_limit_s, solver=solver))
    coverage = stage_kpis("nursing", result)["one_to_one_coverage"] if result.solved else None
    return {"status": result.status.value, "seconds": round(result.seconds, 4), "one_to_one_coverage": coverage}
