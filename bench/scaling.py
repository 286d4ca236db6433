"""The scaling fit: each scale in a fresh process, the log-log slopes of time and memory against the number of
care homes, the MIP's time extrapolated where it was not run, and a markdown table of the per-scale results.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.inputs import STAGES
from bench.machine import machine_info, versions
from bench.report import json_safe
from bench.run import SCHEMA, BenchOptions

SCALES: tuple[str, ...] = ("city", "province", "national")


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
                "epiplan_stage_seconds": {n: one["epiplan"]["stages"].get(n, {}).get("wall_seconds") for n in STAGES},
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
            "--mip-memory-gb",
            str(one.mip_memory_gb),
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
