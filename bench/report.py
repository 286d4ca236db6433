"""The benchmark result's verdicts and tables: epiplan against the MIP and the hand method, the issue's targets,
JSON-safe values and a markdown table of one scale's KPIs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from bench.inputs import STAGES
from bench.kpis import KPI_SENSE, TRAVEL_PARTS, equal_figures, versus
from models.base import Status

TARGETS: dict[str, dict[str, float]] = {
    "city": {"wall_seconds": 0.5, "speedup_over_mip": 10.0},
    "province": {"wall_seconds": 5.0, "speedup_over_mip": 10.0},
    "national": {"wall_seconds": 60.0, "peak_rss_mb": 2 * 1024.0, "gap": 0.005},
}
"""Issue 11's targets per scale (2-core machine): city <= 0.5 s and province <= 5 s with every stage proven
optimal, each >= 10x faster than HiGHS and CBC on the same formulations; national <= 60 s and <= 2 GB (the issue
asks them of ``epiplan solve`` with its outputs, of which the benchmark's ``make_plan`` is the solving part) and
the worst stage gap <= 0.5 %."""


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


MIP_NAMES: dict[str, str] = {"mip": "PuLP/CBC", "highs": "HiGHS"}
"""The MIP baselines compared (result key -> solver shown in tables)."""


def comparison(result: Mapping[str, Any]) -> dict[str, Any]:
    """Per MIP baseline: epiplan's time ratio, speed-up and equal figures; epiplan against the hand method per KPI.

    The keys of each MIP baseline end in its result key (``speedup_over_mip`` for CBC, ``speedup_over_highs``
    for HiGHS); ``speedups`` and ``equal_figures`` gather them side by side.
    """
    ours = result["epiplan"]
    found: dict[str, Any] = {}
    for key in MIP_NAMES:
        baseline = result.get(key)
        if baseline and not baseline.get("skipped"):
            found.update(versus_baseline(ours, baseline, key))
    ran = [key for key in MIP_NAMES if f"speedup_over_{key}" in found]
    if ran:
        found["speedups"] = {key: found[f"speedup_over_{key}"] for key in ran}
        found["equal_figures"] = {key: found[f"equal_figures_to_{key}"]["all_equal"] for key in ran}
    hand = result.get("hand")
    if hand:
        rows = versus(ours["kpis"], hand["kpis"])
        found["versus_hand"] = rows
        found["worse_than_hand"] = sorted(name for name, row in rows.items() if row["better"] == "other")
        found["why_worse_than_hand"] = why_worse(found["worse_than_hand"], rows, hand.get("notes", {}))
    return found


def versus_baseline(ours: Mapping[str, Any], mip: Mapping[str, Any], key: str) -> dict[str, Any]:
    """epiplan against one MIP baseline: time ratio, speed-up (whole and per stage), equal figures, KPIs."""
    found: dict[str, Any] = {}
    epiplan_wall, mip_wall = ours["wall_seconds"]["min"], mip["wall_seconds"]["min"]
    found[f"time_ratio_epiplan_over_{key}"] = round(epiplan_wall / mip_wall, 5) if mip_wall > 0 else None
    found[f"speedup_over_{key}"] = round(mip_wall / epiplan_wall, 2) if epiplan_wall > 0 else None
    compared = [name for name in STAGES if name in mip["stages"]]  # the baseline may lack a stage (testing)
    unfinished = sorted(name for name in compared if mip["stages"][name]["status"] != Status.OPTIMAL.value)
    found[f"{key}_stages_not_optimal"] = unfinished
    # the solver stopped at its limit: a full solve takes longer
    found["speedup_is_lower_bound" if key == "mip" else f"speedup_over_{key}_is_lower_bound"] = bool(unfinished)
    found[f"stage_speedup_over_{key}"] = {
        name: (
            round(mip["stages"][name]["model_seconds"] / ours["stages"][name]["model_seconds"], 2)
            if ours["stages"][name]["model_seconds"] > 0
            else None
        )
        for name in compared
    }
    found[f"equal_figures_to_{key}"] = equal_figures(ours["kpis"], mip["kpis"])
    found[f"versus_{key}"] = versus(ours["kpis"], mip["kpis"])
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
        elif name == "minutes_per_nurse" and better("one_to_one_coverage"):
            reasons[name] = (
                "lexicographic priority: nurses go to the 1:1 needs first (1:1 coverage "
                f"{rows['one_to_one_coverage']['difference']:+.1%}); the needs the hand method leaves uncovered lie "
                "farther from the pools"
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
        memory = result["memory"]  # every process of the plans where sampled, else this process alone
        held = memory.get("peak_tree_mb", memory["peak_rss_mb_after_epiplan"])
        found["peak_rss_mb"] = {"target": goals["peak_rss_mb"], "value": held, "met": held <= goals["peak_rss_mb"]}
    compared = result.get("comparison", {})
    if "speedup_over_mip" in goals and "speedup_over_mip" in compared:
        speedup = compared["speedup_over_mip"]
        met = speedup is not None and speedup >= goals["speedup_over_mip"]
        found["speedup_over_mip"] = {"target": goals["speedup_over_mip"], "value": speedup, "met": met}
        equal = compared["equal_figures_to_mip"]["all_equal"]
        found["equal_figures_to_mip"] = {"value": equal, "met": bool(equal)}
    if "speedup_over_mip" in goals and "speedup_over_highs" in compared:
        speedup = compared["speedup_over_highs"]
        met = speedup is not None and speedup >= goals["speedup_over_mip"]
        found["speedup_over_highs"] = {"target": goals["speedup_over_mip"], "value": speedup, "met": met}
        equal = compared["equal_figures_to_highs"]["all_equal"]
        found["equal_figures_to_highs"] = {"value": equal, "met": bool(equal)}
    if "worse_than_hand" in compared:
        worse = compared["worse_than_hand"]
        explained = compared.get("why_worse_than_hand", {})
        found["never_worse_than_hand"] = {
            "value": worse,
            "met": not worse,
            "unexplained": [name for name in worse if name not in explained],
        }
    return found


def kpi_table(result: Mapping[str, Any]) -> str:
    """A markdown table of one scale's KPIs: epiplan, hand (difference), the MIP by CBC and by HiGHS."""
    ours = result["epiplan"]["kpis"] or {}
    hand = (result.get("hand") or {}).get("kpis") or {}
    mip = (result.get("mip") or {}).get("kpis") or {}
    highs = (result.get("highs") or {}).get("kpis") or {}
    lines = ["| KPI | epiplan | by hand | epiplan - hand | PuLP/CBC | HiGHS |", "|---|---:|---:|---:|---:|---:|"]
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
            f"| {cell(mip)} | {cell(highs)} |"
        )
    return "\n".join(lines)
