"""The benchmark harness: epiplan, the hand method and the MIP solved by CBC and HiGHS on one instance, and scaling.

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
``highs``       the same MIPs (the same PuLP models and phases) solved by HiGHS (``scipy.optimize.milp``,
                :mod:`bench.mip.highs`), reported as ``mip``: wall and CPU seconds, per stage status, bound,
                gap, build/solve seconds; KPIs — or ``skipped`` with the reason.
``comparison``  per MIP baseline (``mip``: CBC, ``highs``: HiGHS) epiplan's time ratio and speed-up, whether
                the unmet / covered / fill figures are equal; epiplan against the hand method for every KPI.
``memory``      peak RSS of this process (``ru_maxrss``) after epiplan and at the end, CBC's peak (children).
``targets``     the issue's targets for the scale, each with its figure and whether it is met.

:func:`run_bench` measures each method with :mod:`bench.measure` (the KPIs of :mod:`bench.kpis`, the machine of
:mod:`bench.machine`) and judges the result with :mod:`bench.report`; :mod:`bench.scaling` runs every scale in
a fresh process and fits the scaling.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bench.inputs import BenchInstance, build_instance
from bench.machine import cpu_seconds, import_solvers, load_average, machine_info, peak_rss_mb, versions
from bench.measure import measure_drug_build, method_report, mip_nursing_same_needs, profile_plan, run_epiplan
from bench.report import comparison, json_safe, targets
from bench.tree_memory import TreeSampler
from bench.watched import GIB, Watch, run_watched
from models.base import StageResult

SCHEMA = "epiplan.bench/1"
DEFAULT_SEED = 7
LEVEL = "severe"
BASELINES: tuple[str, ...] = ("hand", "mip", "highs")
MIP_BASELINES: dict[str, str] = {"mip": "cbc", "highs": "highs"}
"""The MIP baselines and their solver (:class:`bench.mip.MipOptions`)."""
MIP_SCALES: dict[str, tuple[str, ...]] = {"mip": ("city", "province"), "highs": ("city", "province")}
"""Scales at which each MIP baseline runs by default (at national they would not finish; see ``mip_skip``). CBC
runs as a child process of PuLP; HiGHS runs in-process in SciPy, so its baseline runs in a watched child
(:mod:`bench.watched`): at the province its branch and bound grew past the machine's 24 GB in 12 minutes and the
out-of-memory killer ended the whole benchmark with it (``bench/results/highs-baseline.md``)."""
RESULTS_DIR = Path(__file__).parent / "results"

WALL_PHASES = 12
"""Phases the wall limit of a watched baseline allows at the per-phase time limit (the four MIPs have 10)."""
WALL_SLACK_S = 600.0
"""Seconds the wall limit allows beyond the phases (PuLP's building, the nursing MIP on epiplan's needs)."""

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
    """The MIP baselines' time limit per phase (CBC and HiGHS)."""
    mip_memory_gb: float = 8.0
    """Memory a child of the HiGHS baseline may hold alone before it is stopped (:class:`bench.watched.Watch`)."""
    force_mip: bool = False
    """Run the MIP baselines even where they are skipped by default (national)."""
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
        if not self.mip_memory_gb > 0:
            raise ValueError(f"Expected a MIP memory cap > 0 GB, got {self.mip_memory_gb}.")

    def watch(self) -> Watch:
        """The HiGHS baseline's limits: the memory cap, and a wall limit well past every phase's time limit (a
        dozen phases at most, and PuLP's building)."""
        return Watch(int(self.mip_memory_gb * GIB), WALL_PHASES * self.mip_time_limit_s + WALL_SLACK_S)


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


def instance_report(frames: Mapping[str, pd.DataFrame], instance: BenchInstance, options: BenchOptions) -> dict:
    """The ``instance`` part of the result: scale, seed, level, table rows, model sizes and build seconds."""
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


def run_mip_baseline(
    instance: BenchInstance, observation: StageResult, options: BenchOptions, solver: str
) -> dict[str, Any]:
    """One MIP baseline (the PuLP models solved by ``solver``), with the nursing MIP on epiplan's needs too."""
    from bench.mip import MipOptions, mip_plan

    if solver == "highs":
        return _watched_highs(instance, observation, options)
    cpu = cpu_seconds()
    mip = mip_plan(instance, MipOptions(time_limit_s=options.mip_time_limit_s, solver=solver))
    found = method_report(mip, cpu=cpu_seconds() - cpu)
    found["solver"] = solver
    found["time_limit_per_phase_s"] = options.mip_time_limit_s
    found["cbc_peak_rss_mb"] = peak_rss_mb(resource.RUSAGE_CHILDREN)
    same = mip_nursing_same_needs(instance, observation, options.mip_time_limit_s, solver)
    found["nursing_on_epiplans_needs"] = same
    if found["kpis"] is not None:
        found["kpis"]["one_to_one_coverage_same_needs"] = same["one_to_one_coverage"]
    return found


def _watched_highs(instance: BenchInstance, observation: StageResult, options: BenchOptions) -> dict[str, Any]:
    """The HiGHS baseline in a watched child (:mod:`bench.watched`), with the nursing MIP on epiplan's needs there
    too; a child stopped at its memory cap or wall limit leaves its unfinished stages ``error`` with the reason."""
    from bench.mip import MipOptions
    from bench.mip.plan import mip_runs

    mip_options = MipOptions(time_limit_s=options.mip_time_limit_s, solver="highs")

    def same_needs(_result: Any) -> dict[str, Any]:
        return mip_nursing_same_needs(instance, observation, options.mip_time_limit_s, "highs")

    watch = options.watch()
    cpu = children_cpu_seconds()
    watched = run_watched("highs", instance, mip_runs(mip_options), watch, after=same_needs)
    found = method_report(watched.result, cpu=children_cpu_seconds() - cpu)
    found["solver"] = "highs"
    found["time_limit_per_phase_s"] = options.mip_time_limit_s
    found["child"] = {
        "memory_cap_gb": round(watch.memory_bytes / GIB, 2),
        "wall_limit_s": watch.wall_seconds,
        "peak_rss_mb": round(watched.peak_rss_mb, 1),
        "peak_private_mb": round(watched.peak_private_mb, 1),
        "stopped": watched.stopped,
    }
    reason = watched.stopped.get("after", "not run")
    same = watched.after or {"status": "not run", "reason": reason, "one_to_one_coverage": None}
    found["nursing_on_epiplans_needs"] = same
    if found["kpis"] is not None:
        found["kpis"]["one_to_one_coverage_same_needs"] = same["one_to_one_coverage"]
    return found


def children_cpu_seconds() -> float:
    """User and system CPU seconds of this process's reaped children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_bench(
    options: BenchOptions,
    frames: Mapping[str, pd.DataFrame] | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """One benchmark run (module docstring); ``frames`` replaces the generated instance (tests use a tiny one)."""
    from bench.hand import hand_plan
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
    scenario = make_scenario(level=options.level, plan="snapshot")  # the baselines formulate the snapshot

    say(f"epiplan: {options.repeat} run(s) at {options.scale}")
    with TreeSampler() as tree:  # every process of the plans: the lanes' children and the parts' workers too
        epiplan, plan = run_epiplan(dataset, rules, scenario, options.repeat, options.time_limit_s)
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
    for baseline, solver in MIP_BASELINES.items():
        if baseline not in options.baselines:
            continue
        if options.scale in MIP_SCALES[baseline] or options.force_mip:
            say(f"PuLP MIP solved by {solver}")
            result[baseline] = run_mip_baseline(instance, plan.stage("observation"), options, solver)
        else:
            result[baseline] = mip_skip(instance)
    result["comparison"] = comparison(result)
    result["memory"] = {
        "peak_tree_mb": round(tree.run.peak_bytes / 2**20, 1),
        "peak_rss_mb_after_epiplan": rss_after_epiplan,
        "peak_rss_mb": peak_rss_mb(),
        "note": "peak_tree_mb: the most this process and every process it started (the stage lanes' children, the "
        "observation parts' workers) held at once while make_plan ran, PSS summed (bench.tree_memory; what the "
        "memory target judges); peak_rss_mb_after_epiplan: this process alone after generating the instance and "
        "running make_plan; peak_rss_mb: at the end, after the baselines (PuLP's models are built in-process; "
        "CBC is PuLP's child process: mip.cbc_peak_rss_mb; HiGHS runs in a watched child: highs.child.peak_rss_mb)",
    }
    result["targets"] = targets(result, options.scale)
    result["machine"]["load_average_before"] = load_before
    result["machine"]["load_average_after"] = load_average()
    del plan
    return json_safe(result)
