"""The benchmark harness: epiplan, the hand method and a PuLP/CBC MIP on one instance, and the scaling fit.

:func:`run_bench` generates the synthetic instance of a scale (``planner.dataset.sample.generate``, fixed seed),
runs ``planner.pipeline.make_plan`` at ``severe`` (``repeat`` times), then the baselines on the very same
stage inputs (:mod:`bench.inputs`), and returns one JSON-ready dict (schema ``epiplan.bench/1``):

``instance``    scale, seed, level, rows per table, homes, observation groups and arcs.
``machine``     platform, CPU model, cores (and the cores this process may use), memory, load before/after.
``versions``    python, ortools, pandas, numpy, scipy, pulp.
``epiplan``     wall and CPU seconds per run; per stage: wall seconds (stage inputs + model), the model's
                seconds, build and solve seconds, status, objective, bound, gap, variables, arcs; the
                pipeline's own pieces (needs, post-processing); peak RSS; KPIs.
``hand``        wall seconds, per stage seconds, KPIs.
``mip``         wall and CPU seconds (CBC runs as a child process), per stage status, build/solve seconds,
                variables, constraints, arcs; KPIs — or ``skipped`` with the reason.
``comparison``  epiplan / MIP time ratio and speed-up, whether the unmet / covered / fill figures are equal,
                and epiplan against the hand method for every KPI (values, difference, which is better).
``memory``      peak RSS of this process (``ru_maxrss``) after epiplan and at the end, CBC's peak (children).
``targets``     the issue's targets for the scale, each with its figure and whether it is met.

:func:`fit_scaling` fits the log-log slope of time (and memory) against the number of care homes over the
per-scale results; :func:`run_scaling` runs each scale in a fresh process (clean peak memory) and fits.
"""

from __future__ import annotations

import cProfile
import json
import math
import os
import platform
import pstats
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.inputs import STAGES, BenchInstance, MethodResult, build_instance
from models.base import StageResult, Status

SCHEMA = "epiplan.bench/1"
SCALES: tuple[str, ...] = ("city", "province", "national")
DEFAULT_SEED = 7
LEVEL = "severe"
BASELINES: tuple[str, ...] = ("hand", "mip")
MIP_SCALES: tuple[str, ...] = ("city", "province")
"""Scales at which the PuLP/CBC baseline runs by default (at national it would not finish; see ``mip_skip``)."""
RESULTS_DIR = Path(__file__).parent / "results"
MB = 1024 * 1024

TARGETS: dict[str, dict[str, float]] = {
    "city": {"wall_seconds": 1.0, "speedup_over_mip": 10.0},
    "province": {"wall_seconds": 10.0, "speedup_over_mip": 10.0},
    "national": {"wall_seconds": 120.0, "peak_rss_mb": 8 * 1024.0, "gap": 0.01},
}
"""The issue's targets per scale (2-core machine)."""

KPI_SENSE: dict[str, str] = {
    "unmet_observation_disabled": "min",
    "unmet_observation_other": "min",
    "unmet_observation_persons": "min",
    "covered_share": "max",
    "one_to_one_coverage": "max",
    "lowest_fill_rate": "max",
    "travel_minutes_total": "min",
    "observation_person_minutes": "min",
    "ambulance_transfer_minutes": "min",
    "nursing_nurse_minutes": "min",
    "drug_pack_minutes": "min",
    "minutes_per_person_placed": "min",
    "minutes_per_daily_transfer": "min",
    "minutes_per_nurse": "min",
    "minutes_per_pack": "min",
    "nurses_assigned": "max",
    "drug_shortfall": "min",
    "ambulance_moves": "min",
    "sites_opened": "min",
    "opening_cost": "min",
}
"""Every compared KPI and whether less or more is better."""
EQUAL_FIGURES: tuple[str, ...] = (
    "unmet_observation_disabled",
    "unmet_observation_other",
    "unmet_observation_persons",
    "covered_share",
    "lowest_fill_rate",
    "drug_shortfall",
)
"""The figures the MIP must reproduce (the lexicographic levels that are not travel or cost). The 1:1 nurse
coverage is compared on the same nursing needs (``one_to_one_coverage_same_needs``): in each method's own pipeline
the 1:1 needs at sites follow where its observation plan sent the disabled persons, and equally good observation
plans may send them to sites of other districts."""


DEFAULT_TIME_LIMIT_S = 10.0
"""``make_plan``'s default time limit per stage (at national 60 s left the observation gap unchanged)."""


@dataclass(frozen=True)
class BenchOptions:
    """What one benchmark run does."""

    scale: str = "city"
    seed: int = DEFAULT_SEED
    repeat: int = 1
    baselines: tuple[str, ...] = BASELINES
    time_limit_s: float = DEFAULT_TIME_LIMIT_S
    """``make_plan``'s time limit per stage."""
    mip_time_limit_s: float = 300.0
    """CBC's time limit per phase."""
    force_mip: bool = False
    """Run the MIP baseline even where it is skipped by default (national)."""
    profile: bool = False
    """Add a cProfile of one extra ``make_plan`` run (top functions)."""
    level: str = LEVEL

    def __post_init__(self) -> None:
        if self.repeat < 1:
            raise ValueError(f"Expected repeat >= 1, got {self.repeat}.")
        if not self.time_limit_s > 0:
            raise ValueError(f"Expected a time limit > 0, got {self.time_limit_s}.")
        unknown = sorted(set(self.baselines) - set(BASELINES))
        if unknown:
            raise ValueError(f"Unknown baselines {unknown}; expected some of {', '.join(BASELINES)}.")


# --------------------------------------------------------------------------- machine and versions


def machine_info() -> dict[str, Any]:
    """Platform, CPU model, cores and memory of this machine."""
    import psutil  # type: ignore[import-untyped]

    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": model or platform.processor(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_total_mb": round(psutil.virtual_memory().total / MB, 1),
        "python": platform.python_version(),
    }


def versions() -> dict[str, str]:
    """Versions of python and the numeric and solver packages."""
    found = {"python": platform.python_version()}
    for package in ("ortools", "pandas", "numpy", "scipy", "pulp", "psutil"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (the machine is shared: timings move with it)."""
    return [round(x, 2) for x in os.getloadavg()]


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory in MB (``ru_maxrss`` is in KB on Linux)."""
    return round(resource.getrusage(who).ru_maxrss / 1024.0, 1)


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (CBC) so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def import_solvers() -> float:
    """Import the solver modules once (their import time is not the plan's); returns the seconds."""
    start = time.perf_counter()
    from ortools.graph.python import max_flow, min_cost_flow  # noqa: F401
    from ortools.sat.python import cp_model  # noqa: F401

    import bench.mip  # noqa: F401  (pulp)
    import planner.pipeline  # noqa: F401

    return time.perf_counter() - start


# --------------------------------------------------------------------------- KPIs


def _number(value: Any) -> Any:
    """JSON-safe scalars: numpy to Python, NaN and infinity to None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_safe(value: Any) -> Any:
    """A deep copy of ``value`` with only JSON types (dicts, lists, str, int, float, bool, None)."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, Status):
        return value.value
    return _number(value)


def _per(total: float, units: float) -> float:
    return total / units if units > 0 else 0.0


def stage_kpis(name: str, result: StageResult) -> dict[str, Any]:
    """The compared KPIs one stage gives (computed by the stage's ``kpis``) and its travel minutes."""
    from planner.stages import ambulance, drugs, nursing, observation

    if name == "observation":
        found = observation.kpis(result)
        sites = result.table("sites")
        assignments = result.table("assignments")
        person = float((assignments["persons"] * assignments["minutes"]).sum())
        return {
            "unmet_observation_disabled": found["unmet_observation_disabled"],
            "unmet_observation_other": found["unmet_observation_other"],
            "unmet_observation_persons": found["unmet_observation_disabled"] + found["unmet_observation_other"],
            "sites_opened": found["sites_opened"],
            "opening_cost": round(float(sites.loc[sites["opened"].astype(bool), "opening_cost"].sum()), 1),
            "observation_person_minutes": round(person, 1),
            "minutes_per_person_placed": round(_per(person, float(assignments["persons"].sum())), 3),
        }
    if name == "ambulance":
        found = ambulance.kpis(result)
        handshakes = result.table("handshakes")
        transfer = float((handshakes["daily_transfers"] * handshakes["trip_minutes"]).fillna(0.0).sum())
        return {
            "covered_share": found["covered_share"],
            "ambulance_moves": found["ambulance_moves"],
            "ambulance_transfer_minutes": round(transfer, 1),
            "minutes_per_daily_transfer": round(_per(transfer, float(handshakes["daily_transfers"].sum())), 3),
        }
    if name == "nursing":
        found = nursing.kpis(result)
        nurses = result.table("assignments")
        nurse = float((nurses["nurses"] * nurses["minutes"]).sum())
        return {
            "one_to_one_coverage": found["one_to_one_coverage"],
            "nurses_assigned": found["nurses_assigned"],
            "nursing_nurse_minutes": round(nurse, 1),
            "minutes_per_nurse": round(_per(nurse, float(nurses["nurses"].sum())), 3),
        }
    found = drugs.kpis(result)
    fill = found["lowest_fill_rate"]
    packs = result.table("allocations")
    pack = float((packs["quantity"] * packs["minutes"]).sum())
    return {
        "lowest_fill_rate": min(fill.values()) if fill else 1.0,
        "lowest_fill_rate_by_drug": dict(sorted(fill.items())),
        "drug_shortfall": int(sum(found["drug_shortfall"].values())),
        "drug_pack_minutes": round(pack, 1),
        "minutes_per_pack": round(_per(pack, float(packs["quantity"].sum())), 3),
    }


STAGE_KPI_NAMES: dict[str, tuple[str, ...]] = {
    "observation": (
        "unmet_observation_disabled",
        "unmet_observation_other",
        "unmet_observation_persons",
        "sites_opened",
        "opening_cost",
        "observation_person_minutes",
        "minutes_per_person_placed",
    ),
    "ambulance": ("covered_share", "ambulance_moves", "ambulance_transfer_minutes", "minutes_per_daily_transfer"),
    "nursing": ("one_to_one_coverage", "nurses_assigned", "nursing_nurse_minutes", "minutes_per_nurse"),
    "drugs": (
        "lowest_fill_rate",
        "lowest_fill_rate_by_drug",
        "drug_shortfall",
        "drug_pack_minutes",
        "minutes_per_pack",
    ),
}
"""Which KPIs each stage gives (None when the stage has no plan)."""
TRAVEL_PARTS: tuple[str, ...] = (
    "observation_person_minutes",
    "ambulance_transfer_minutes",
    "nursing_nurse_minutes",
    "drug_pack_minutes",
)


def method_kpis(stages: Mapping[str, StageResult]) -> dict[str, Any]:
    """The compared KPIs of one method's stages; those of a stage without a plan (CBC stopped empty) are None.

    Travel: person-minutes to sites, transfer-minutes per day (station -> home -> hospital, uncovered homes at
    their nearest station), nurse-minutes and pack-minutes, their sum (mixed units) and the minutes per unit
    served (the fair comparison between plans that serve different amounts).
    """
    kpis: dict[str, Any] = {}
    for name in STAGES:
        result = stages[name]
        if result.solved:
            kpis.update(stage_kpis(name, result))
        else:
            kpis.update(dict.fromkeys(STAGE_KPI_NAMES[name]))
    parts = [kpis[part] for part in TRAVEL_PARTS]
    kpis["travel_minutes_total"] = None if None in parts else round(sum(parts), 1)
    return kpis


def versus(ours: Mapping[str, Any] | None, theirs: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every KPI of :data:`KPI_SENSE`: both values, ``difference`` (ours - theirs) and which is ``better``.

    ``better`` is ``"not compared"`` where either method has no figure (its stage has no plan).
    """
    if ours is None or theirs is None:
        return {}
    rows: dict[str, Any] = {}
    for name, sense in KPI_SENSE.items():
        if ours.get(name) is None or theirs.get(name) is None:
            row = {"epiplan": ours.get(name), "other": theirs.get(name), "difference": None, "better": "not compared"}
            rows[name] = row
            continue
        a, b = float(ours[name]), float(theirs[name])
        difference = a - b
        if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9):
            better = "equal"
        else:
            better = "epiplan" if (difference < 0) == (sense == "min") else "other"
        rows[name] = {
            "epiplan": ours[name],
            "other": theirs[name],
            "difference": round(difference, 6),
            "better": better,
        }
    return rows


def equal_figures(ours: Mapping[str, Any] | None, theirs: Mapping[str, Any] | None) -> dict[str, Any]:
    """Whether the MIP reproduces epiplan's unmet / covered / 1:1 / fill / shortfall figures (per drug too).

    ``all_equal`` needs every figure compared and equal; ``not_compared`` lists the figures of MIP stages that
    ended without a plan, ``equal_where_compared`` whether the others agree.
    """
    if ours is None or theirs is None:
        return {"all_equal": False, "equal_where_compared": False, "not_compared": list(EQUAL_FIGURES)}
    result: dict[str, Any] = {}
    missing = []
    for name in (*EQUAL_FIGURES, "lowest_fill_rate_by_drug"):
        a, b = ours.get(name), theirs.get(name)
        if a is None or b is None:
            missing.append(name)
        elif name == "lowest_fill_rate_by_drug":
            result[name] = set(a) == set(b) and all(math.isclose(a[d], b[d], abs_tol=1e-6) for d in a)
        else:
            result[name] = math.isclose(float(a), float(b), abs_tol=1e-6)
    same_needs = theirs.get("one_to_one_coverage_same_needs")
    if same_needs is not None:
        result["one_to_one_coverage_same_needs"] = math.isclose(
            float(ours["one_to_one_coverage"]), float(same_needs), abs_tol=1e-6
        )
    result["equal_where_compared"] = all(bool(v) for v in result.values())
    result["not_compared"] = missing
    result["all_equal"] = result["equal_where_compared"] and not missing
    return result


# --------------------------------------------------------------------------- epiplan


@dataclass
class EpiplanRuns:
    """Timings of the ``make_plan`` runs and the fastest run's plan."""

    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    stage_walls: list[dict[str, float]] = field(default_factory=list)
    plan: Any = None


def _timed_plan(dataset: Any, rules: Any, scenario: Any, time_limit_s: float) -> tuple[Any, float, float, dict]:
    """One ``make_plan`` run: the plan, wall and CPU seconds, and wall seconds per stage (from ``progress``)."""
    from planner.pipeline import make_plan

    marks: list[tuple[str, float]] = []
    cpu = time.process_time()
    start = time.perf_counter()
    plan = make_plan(
        dataset,
        rules,
        scenario,
        time_limit_s=time_limit_s,
        progress=lambda stage, _i, _n: marks.append((stage, time.perf_counter())),
    )
    end = time.perf_counter()
    walls = {"before_stages": (marks[0][1] - start) if marks else 0.0}
    for (stage, at), (_next, until) in zip(marks, [*marks[1:], ("end", end)], strict=True):
        walls[stage] = until - at
    return plan, end - start, time.process_time() - cpu, walls


def post_processing_seconds(plan: Any, dataset: Any) -> float:
    """Seconds ``make_plan`` spends after the last stage (compliance, explanations, KPIs), re-timed once."""
    from planner.report.compliance import compliance_checklist
    from planner.report.explain import explain
    from planner.report.kpis import compute_kpis
    from planner.stages.base import PlanContext
    from planner.stages.locations import Locations

    context = PlanContext(dataset, plan.rules, plan.scenario, plan.needs, Locations.of(dataset, plan.rules))
    results = plan.stages()
    start = time.perf_counter()
    compliance = compliance_checklist(context, results)
    explain(context, results)
    compute_kpis(context, results, compliance)
    return time.perf_counter() - start


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


def run_epiplan(dataset: Any, rules: Any, scenario: Any, options: BenchOptions) -> tuple[dict[str, Any], Any]:
    """``repeat`` runs of ``make_plan``: timings of every run; stages, stage walls and KPIs of the fastest."""
    runs = EpiplanRuns()
    for _ in range(options.repeat):
        plan, wall, cpu, walls = _timed_plan(dataset, rules, scenario, options.time_limit_s)
        if not runs.walls or wall < min(runs.walls):
            runs.plan = plan  # the stage figures are those of the fastest run
        runs.walls.append(wall)
        runs.cpus.append(cpu)
        runs.stage_walls.append(walls)
    fastest = runs.stage_walls[int(np.argmin(runs.walls))]
    post = post_processing_seconds(runs.plan, dataset)
    stages = runs.plan.stages()
    stage_walls = {name: fastest.get(name) for name in STAGES}
    if stage_walls["drugs"] is not None:
        stage_walls["drugs"] = max(0.0, float(stage_walls["drugs"]) - post)
    report = {
        "wall_seconds": summary(runs.walls),
        "cpu_seconds": summary(runs.cpus),
        "time_limit_s": options.time_limit_s,
        "pipeline_seconds": {
            "needs_and_locations": round(fastest["before_stages"], 4),
            "post_processing": round(post, 4),
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
    from models.drugs import DEFAULT_PRIORITY_KINDS, build_instances

    drugs = instance.drugs
    start = time.perf_counter()
    build_instances(drugs.depots, drugs.targets, drugs.arcs, DEFAULT_PRIORITY_KINDS)
    build = time.perf_counter() - start
    report["build_seconds"] = round(build, 4)
    report["solve_seconds"] = round(max(0.0, report["model_seconds"] - build), 4)
    report["build_seconds_source"] = "harness: models.drugs.build_instances re-timed on the same inputs"


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
        "stages": {name: stage_report(result.stages[name], result.stage_seconds.get(name)) for name in STAGES},
        "kpis": method_kpis(result.stages),
    }
    if cpu is not None:
        report["cpu_seconds"] = round(cpu, 4)
    if result.notes:
        report["notes"] = dict(result.notes)
    return report


def mip_nursing_same_needs(instance: BenchInstance, observation: StageResult, time_limit_s: float) -> dict[str, Any]:
    """The MIP's nursing stage on epiplan's nursing needs (1:1 at the sites epiplan's observation plan used)."""
    from bench.mip import MipOptions, mip_nursing_after

    result = mip_nursing_after(instance, observation, MipOptions(time_limit_s=time_limit_s))
    coverage = stage_kpis("nursing", result)["one_to_one_coverage"] if result.solved else None
    return {"status": result.status.value, "seconds": round(result.seconds, 4), "one_to_one_coverage": coverage}


def mip_skip(instance: BenchInstance) -> dict[str, Any]:
    """Why the MIP baseline is not run at this scale, with the size of the models it would have to build."""
    groups = instance.observation.groups
    observation_arcs = instance.observation.arcs.merge(groups[["home_id"]], on="home_id")
    drug_pairs = instance.drugs.arcs.merge(instance.drugs.targets[["institution_id"]], on="institution_id")
    sizes = {
        "observation_integer_variables": len(observation_arcs) + len(groups) + len(instance.observation.sites),
        "observation_constraints": 2 * len(observation_arcs) + len(groups),
        "ambulance_binary_variables": len(instance.ambulance.arcs) + len(instance.ambulance.homes),
        "drug_integer_variables": len(drug_pairs),
    }
    reason = (
        "not run at this scale: one PuLP/CBC MIP per stage would have "
        f"{sizes['drug_integer_variables']:,} integer variables in the drugs MIP and "
        f"{sizes['observation_integer_variables']:,} in the observation MIP; PuLP builds a few 10k variables per "
        "second and CBC solved the city drugs MIP (73k variables) in about a minute, so at this size it would "
        "take hours and more memory than the machine has (pass --force-mip to try; the scaling summary "
        "extrapolates the city and province times)"
    )
    return {"skipped": True, "reason": reason, "model_sizes": sizes}


# --------------------------------------------------------------------------- the run


def instance_report(frames: Mapping[str, pd.DataFrame], instance: BenchInstance, options: BenchOptions) -> dict:
    return {
        "scale": options.scale,
        "seed": options.seed,
        "level": options.level,
        "rows": {name: len(frame) for name, frame in frames.items()},
        "homes": len(instance.dataset.care_homes),
        "observation_groups": len(instance.observation.groups),
        "observation_persons": int(instance.observation.groups["persons"].sum()),
        "observation_arcs": len(instance.observation.arcs),
        "ambulance_arcs": len(instance.ambulance.arcs),
        "drug_targets": len(instance.drugs.targets),
        "drug_arcs": len(instance.drugs.arcs),
        "drug_shortfall_lower_bound": drug_shortfall_lower_bound(instance),
        "build_seconds": {k: round(v, 4) for k, v in instance.seconds.items()},
    }


def drug_shortfall_lower_bound(instance: BenchInstance) -> int:
    """``sum over drugs of max(0, need - stock)``: the least shortfall any plan can have (any depot to anyone)."""
    need = instance.drugs.targets.groupby("drug")["need"].sum()
    stock = instance.drugs.depots.groupby("drug")["stock"].sum()
    return int((need - stock.reindex(need.index).fillna(0)).clip(lower=0).sum())


def run_bench(
    options: BenchOptions,
    frames: Mapping[str, pd.DataFrame] | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """One benchmark run (module docstring); ``frames`` replaces the generated instance (tests use a tiny one)."""
    from bench.hand import hand_plan
    from bench.mip import MipOptions, mip_plan
    from planner.dataset.io import dataset_from_frames
    from planner.dataset.sample import generate
    from planner.rules.rules import DEFAULT_PRESET, load_preset
    from planner.rules.scenario import make_scenario

    say = log or (lambda _message: None)
    load_before = load_average()
    machine = machine_info()  # first: it may fork (``uname``) while the process is still small
    imports = import_solvers()
    start = time.perf_counter()
    frames = dict(frames) if frames is not None else generate(options.scale, options.seed)
    generated = time.perf_counter() - start
    dataset = dataset_from_frames(frames, name=f"{options.scale}-seed{options.seed}")
    read = time.perf_counter() - start - generated
    rules = load_preset(DEFAULT_PRESET)
    scenario = make_scenario(level=options.level)

    say(f"epiplan: {options.repeat} run(s) at {options.scale}")
    epiplan, plan = run_epiplan(dataset, rules, scenario, options)
    rss_after_epiplan = peak_rss_mb()
    if options.profile:
        epiplan["profile"] = profile_plan(dataset, rules, scenario, options.time_limit_s)

    instance = build_instance(dataset, rules, scenario)
    measure_drug_build(epiplan["stages"]["drugs"], instance)
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "instance": instance_report(frames, instance, options),
        "machine": machine,
        "versions": versions(),
        "setup_seconds": {"imports": round(imports, 4), "generate": round(generated, 4), "read": round(read, 4)},
        "epiplan": epiplan,
    }
    if "hand" in options.baselines:
        say("hand method")
        hand_runs = [hand_plan(instance) for _ in range(options.repeat)]
        result["hand"] = method_report(hand_runs[-1], [r.seconds for r in hand_runs])
    if "mip" in options.baselines:
        if options.scale in MIP_SCALES or options.force_mip:
            say("PuLP/CBC MIP")
            cpu = cpu_seconds()
            mip = mip_plan(instance, MipOptions(time_limit_s=options.mip_time_limit_s))
            result["mip"] = method_report(mip, cpu=cpu_seconds() - cpu)
            result["mip"]["time_limit_per_phase_s"] = options.mip_time_limit_s
            result["mip"]["cbc_peak_rss_mb"] = peak_rss_mb(resource.RUSAGE_CHILDREN)
            same = mip_nursing_same_needs(instance, plan.stage("observation"), options.mip_time_limit_s)
            result["mip"]["nursing_on_epiplans_needs"] = same
            if result["mip"]["kpis"] is not None:
                result["mip"]["kpis"]["one_to_one_coverage_same_needs"] = same["one_to_one_coverage"]
        else:
            result["mip"] = mip_skip(instance)
    result["comparison"] = comparison(result)
    result["memory"] = {
        "peak_rss_mb_after_epiplan": rss_after_epiplan,
        "peak_rss_mb": peak_rss_mb(),
        "note": "peak_rss_mb_after_epiplan: this process after generating the instance and running make_plan "
        "(what the plan needs); peak_rss_mb: at the end, after the baselines (PuLP's models are in-process, "
        "CBC is a child process: mip.cbc_peak_rss_mb)",
    }
    result["targets"] = targets(result, options.scale)
    result["machine"]["load_average_before"] = load_before
    result["machine"]["load_average_after"] = load_average()
    del plan
    return json_safe(result)


def comparison(result: Mapping[str, Any]) -> dict[str, Any]:
    """epiplan / MIP time ratio and speed-up, equal figures, and epiplan against the hand method per KPI."""
    ours = result["epiplan"]
    found: dict[str, Any] = {}
    mip = result.get("mip")
    if mip and not mip.get("skipped"):
        epiplan_wall, mip_wall = ours["wall_seconds"]["min"], mip["wall_seconds"]["min"]
        found["time_ratio_epiplan_over_mip"] = round(epiplan_wall / mip_wall, 5) if mip_wall > 0 else None
        found["speedup_over_mip"] = round(mip_wall / epiplan_wall, 2) if epiplan_wall > 0 else None
        unfinished = sorted(name for name in STAGES if mip["stages"][name]["status"] != Status.OPTIMAL.value)
        found["mip_stages_not_optimal"] = unfinished
        found["speedup_is_lower_bound"] = bool(unfinished)  # CBC stopped at its limit: a full solve takes longer
        found["stage_speedup_over_mip"] = {
            name: (
                round(mip["stages"][name]["model_seconds"] / ours["stages"][name]["model_seconds"], 2)
                if ours["stages"][name]["model_seconds"] > 0
                else None
            )
            for name in STAGES
        }
        found["equal_figures_to_mip"] = equal_figures(ours["kpis"], mip["kpis"])
        found["versus_mip"] = versus(ours["kpis"], mip["kpis"])
    hand = result.get("hand")
    if hand:
        rows = versus(ours["kpis"], hand["kpis"])
        found["versus_hand"] = rows
        found["worse_than_hand"] = sorted(name for name, row in rows.items() if row["better"] == "other")
        found["why_worse_than_hand"] = why_worse(found["worse_than_hand"], rows, hand.get("notes", {}))
    return found


def why_worse(worse: Sequence[str], rows: Mapping[str, Any], notes: Mapping[str, Any]) -> dict[str, str]:
    """The reason, where the benchmark knows it, for each KPI on which the hand method comes out ahead."""

    def better(name: str) -> bool:
        return rows.get(name, {}).get("better") == "epiplan"

    reasons: dict[str, str] = {}
    for name in worse:
        if name == "unmet_observation_other" and better("unmet_observation_disabled"):
            reasons[name] = (
                "lexicographic priority: rooms go to disabled/dementia persons first (unmet disabled "
                f"{rows['unmet_observation_disabled']['difference']:+,.0f}, all unmet persons "
                f"{rows['unmet_observation_persons']['difference']:+,.0f})"
            )
        elif name in ("sites_opened", "opening_cost") and better("unmet_observation_persons"):
            reasons[name] = "more persons placed need more sites; opening cost is only the last lexicographic level"
        elif name == "drug_shortfall" and notes.get("packs_shipped_beyond_pipeline_arcs", 0) > 0:
            reasons[name] = (
                f"the hand method shipped {notes['packs_shipped_beyond_pipeline_arcs']:,} packs beyond the "
                "pipeline's k nearest depots per institution; within the same arcs its shortfall is "
                f"{notes['drug_shortfall_within_pipeline_arcs']:,} (epiplan's arc pruning costs packs)"
            )
        elif name in TRAVEL_PARTS or name == "travel_minutes_total":
            reasons[name] = "more served means more travel; compare the minutes per unit served"
    return reasons


def targets(result: Mapping[str, Any], scale: str) -> dict[str, Any]:
    """The issue's targets for ``scale``: each with the measured figure and ``met``."""
    goals = TARGETS.get(scale, {})
    ours = result["epiplan"]
    found: dict[str, Any] = {}
    if "wall_seconds" in goals:
        wall = ours["wall_seconds"]["min"]
        found["wall_seconds"] = {"target": goals["wall_seconds"], "value": wall, "met": wall <= goals["wall_seconds"]}
    if scale in ("city", "province"):
        found["every_stage_optimal"] = {"value": ours["all_optimal"], "met": bool(ours["all_optimal"])}
    if "gap" in goals:
        gap = ours["worst_gap"]
        found["gap"] = {"target": goals["gap"], "value": gap, "met": bool(ours["all_optimal"]) or gap <= goals["gap"]}
    if "peak_rss_mb" in goals:
        rss = result["memory"]["peak_rss_mb_after_epiplan"]
        found["peak_rss_mb"] = {"target": goals["peak_rss_mb"], "value": rss, "met": rss <= goals["peak_rss_mb"]}
    compared = result.get("comparison", {})
    if "speedup_over_mip" in goals and "speedup_over_mip" in compared:
        speedup = compared["speedup_over_mip"]
        met = speedup is not None and speedup >= goals["speedup_over_mip"]
        found["speedup_over_mip"] = {"target": goals["speedup_over_mip"], "value": speedup, "met": met}
        equal = compared["equal_figures_to_mip"]["all_equal"]
        found["equal_figures_to_mip"] = {"value": equal, "met": bool(equal)}
    if "worse_than_hand" in compared:
        worse = compared["worse_than_hand"]
        explained = compared.get("why_worse_than_hand", {})
        found["never_worse_than_hand"] = {
            "value": worse,
            "met": not worse,
            "unexplained": [name for name in worse if name not in explained],
        }
    return found


# --------------------------------------------------------------------------- scaling


def fit_slope(sizes: Sequence[float], values: Sequence[float]) -> float | None:
    """Least-squares slope of ``log(value)`` against ``log(size)`` (None with fewer than two usable points)."""
    points = [(s, v) for s, v in zip(sizes, values, strict=True) if s and v and s > 0 and v > 0]
    if len(points) < 2:
        return None
    x = np.log([p[0] for p in points])
    y = np.log([p[1] for p in points])
    return round(float(np.polyfit(x, y, 1)[0]), 3)


def fit_scaling(results: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Per scale time and memory, and the log-log slopes against the number of care homes."""
    scales = [s for s in SCALES if s in results]
    homes = [float(results[s]["instance"]["homes"]) for s in scales]
    rows = []
    for scale in scales:
        one = results[scale]
        mip = one.get("mip") or {}
        rows.append(
            {
                "scale": scale,
                "homes": one["instance"]["homes"],
                "epiplan_seconds": one["epiplan"]["wall_seconds"]["min"],
                "epiplan_stage_seconds": {n: one["epiplan"]["stages"][n].get("wall_seconds") for n in STAGES},
                "peak_rss_mb": one["memory"]["peak_rss_mb_after_epiplan"],
                "all_optimal": one["epiplan"]["all_optimal"],
                "hand_seconds": (one.get("hand") or {}).get("wall_seconds", {}).get("min"),
                "mip_seconds": None if mip.get("skipped") else mip.get("wall_seconds", {}).get("min"),
                "mip_skipped": mip.get("reason") if mip.get("skipped") else None,
                "load_average": one["machine"].get("load_average_before"),
            }
        )
    fitted: dict[str, Any] = {
        "rows": rows,
        "slope_time_vs_homes": fit_slope(homes, [r["epiplan_seconds"] for r in rows]),
        "slope_memory_vs_homes": fit_slope(homes, [r["peak_rss_mb"] for r in rows]),
        "slope_hand_time_vs_homes": fit_slope(homes, [r["hand_seconds"] for r in rows]),
        "slope_mip_time_vs_homes": fit_slope(homes, [r["mip_seconds"] for r in rows]),
    }
    fitted["stage_slopes"] = {n: fit_slope(homes, [r["epiplan_stage_seconds"][n] for r in rows]) for n in STAGES}
    fitted["mip_extrapolated_seconds"] = extrapolate_mip(rows, fitted["slope_mip_time_vs_homes"])
    return fitted


def extrapolate_mip(rows: Sequence[Mapping[str, Any]], slope: float | None) -> dict[str, float]:
    """MIP seconds at the scales where it was skipped, by the fitted slope from the largest scale it ran at."""
    ran = [r for r in rows if r["mip_seconds"]]
    if slope is None or not ran:
        return {}
    last = ran[-1]
    return {
        r["scale"]: round(float(last["mip_seconds"]) * (r["homes"] / last["homes"]) ** slope, 1)
        for r in rows
        if r["mip_skipped"]
    }


def run_scaling(
    scales: Sequence[str],
    options: BenchOptions,
    out_dir: Path,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Each scale in a fresh process (``python -m bench.cli``), results in ``out_dir/<scale>.json``, then the fit."""
    say = log or (lambda _message: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    for scale in scales:
        out = out_dir / f"{scale}.json"
        one = replace(options, scale=scale)
        command = [
            sys.executable,
            "-m",
            "bench.cli",
            "--scale",
            scale,
            "--seed",
            str(one.seed),
            "--repeat",
            str(one.repeat),
            "--baselines",
            ",".join(one.baselines) or "none",
            "--mip-time-limit",
            str(one.mip_time_limit_s),
            "--out",
            str(out),
            "--quiet",
        ]
        command += ["--time-limit", str(one.time_limit_s)]
        if one.force_mip:
            command.append("--force-mip")
        if one.profile:
            command.append("--profile")
        say(f"scale {scale}: {' '.join(command[1:])}")
        subprocess.run(command, check=True, cwd=Path(__file__).resolve().parent.parent)
        results[scale] = json.loads(out.read_text(encoding="utf-8"))
    return write_scaling(out_dir, results)


def write_scaling(out_dir: Path, results: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Fit the scaling over the per-scale results (read from ``out_dir/<scale>.json`` when not given) and write
    ``out_dir/scaling.json``."""
    if results is None:
        results = {
            scale: json.loads((out_dir / f"{scale}.json").read_text(encoding="utf-8"))
            for scale in SCALES
            if (out_dir / f"{scale}.json").exists()
        }
    scaling = {
        "schema": SCHEMA,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        "versions": versions(),
        **fit_scaling(results),
        "table": markdown_table(results),
    }
    (out_dir / "scaling.json").write_text(json.dumps(json_safe(scaling), indent=2) + "\n", encoding="utf-8")
    return json_safe(scaling)


# --------------------------------------------------------------------------- markdown


def markdown_table(results: Mapping[str, Mapping[str, Any]]) -> str:
    """A short markdown table of the per-scale results (time, memory, speed-up, KPIs against the hand method)."""
    lines = [
        "| scale | homes | epiplan s | stages optimal | peak RSS MB | PuLP/CBC s | speed-up | equal figures "
        "| hand s | load |",
        "|---|---:|---:|---|---:|---:|---:|---|---:|---|",
    ]
    for scale in [s for s in SCALES if s in results]:
        one = results[scale]
        mip = one.get("mip") or {}
        compared = one.get("comparison", {})
        figures = compared.get("equal_figures_to_mip", {})
        equal = figures.get("all_equal")
        if figures and not equal and figures.get("equal_where_compared"):
            equal = "yes where compared"
        lines.append(
            "| {scale} | {homes:,} | {wall:.2f} | {optimal} | {rss:,.0f} | {mip} | {speedup} | {equal} | {hand} | "
            "{load} |".format(
                scale=scale,
                homes=one["instance"]["homes"],
                wall=one["epiplan"]["wall_seconds"]["min"],
                optimal="yes" if one["epiplan"]["all_optimal"] else "no",
                rss=one["memory"]["peak_rss_mb_after_epiplan"],
                mip="not run" if mip.get("skipped") or not mip else f"{mip['wall_seconds']['min']:.1f}",
                speedup=(
                    ("≥ " if compared.get("speedup_is_lower_bound") else "") + f"{compared['speedup_over_mip']:.0f}x"
                    if compared.get("speedup_over_mip")
                    else "—"
                ),
                equal="—" if equal is None else equal if isinstance(equal, str) else ("yes" if equal else "no"),
                hand=f"{one['hand']['wall_seconds']['min']:.2f}" if one.get("hand") else "—",
                load=", ".join(f"{x:.1f}" for x in one["machine"].get("load_average_before", [])),
            )
        )
    return "\n".join(lines)


def kpi_table(result: Mapping[str, Any]) -> str:
    """A markdown table of one scale's KPIs: epiplan, hand (difference), MIP."""
    ours = result["epiplan"]["kpis"] or {}
    hand = (result.get("hand") or {}).get("kpis") or {}
    mip = (result.get("mip") or {}).get("kpis") or {}
    lines = ["| KPI | epiplan | by hand | epiplan - hand | PuLP/CBC |", "|---|---:|---:|---:|---:|"]
    for name in KPI_SENSE:
        if name not in ours:
            continue

        def cell(kpis: Mapping[str, Any], key: str = name) -> str:
            value = kpis.get(key)
            return "—" if value is None else f"{value:,.4g}" if isinstance(value, float) else f"{value:,}"

        both = ours.get(name) is not None and hand.get(name) is not None
        difference = float(ours[name]) - float(hand[name]) if both else None
        lines.append(
            f"| {name} | {cell(ours)} | {cell(hand)} | {'—' if difference is None else f'{difference:+,.4g}'} "
            f"| {cell(mip)} |"
        )
    return "\n".join(lines)
