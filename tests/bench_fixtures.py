"""Benchmark results made by hand, for the tests of bench.kpis, bench.report, bench.scaling and bench.cli."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.kpis import KPI_SENSE
from models.base import StageResult, Status


def kpis(**changes: Any) -> dict[str, Any]:
    """Every compared KPI at a neutral value (full coverage and 1:1, fill 0.5), with ``changes``."""
    base: dict[str, Any] = {name: 0.0 for name in KPI_SENSE}
    base.update(covered_share=1.0, one_to_one_coverage=1.0, lowest_fill_rate=0.5)
    base["lowest_fill_rate_by_drug"] = {"cough": 0.5}
    base.update(changes)
    return base


def scale_result(homes: int, seconds: float, rss: float, mip: float | None) -> dict[str, Any]:
    """One scale's benchmark result with the figures the scaling fit reads (no MIP figure: skipped)."""
    stages = {n: {"wall_seconds": seconds / 4} for n in ("observation", "ambulance", "nursing", "drugs")}
    return {
        "instance": {"homes": homes},
        "epiplan": {"wall_seconds": {"min": seconds}, "stages": stages, "all_optimal": True, "kpis": kpis()},
        "memory": {"peak_rss_mb_after_epiplan": rss},
        "hand": {"wall_seconds": {"min": seconds / 10}},
        "mip": {"wall_seconds": {"min": mip}} if mip else {"skipped": True, "reason": "not run"},
        "machine": {"load_average_before": [1.0, 1.0, 1.0]},
        "comparison": {"speedup_over_mip": (mip / seconds) if mip else None},
    }


def stage(name: str, tables: dict[str, pd.DataFrame], status: Status = Status.OPTIMAL) -> StageResult:
    """A stage result with ``tables`` and no figures."""
    return StageResult(name, status, 0.0, 0.0, 0.0, 0.0, tables)


def hand_made_stages() -> dict[str, StageResult]:
    """Four stage results with tables small enough to work their KPIs out by hand (tests/test_bench_kpis.py)."""
    observation = {
        "assignments": pd.DataFrame({"persons": [2, 1], "minutes": [5.0, 10.0]}),
        "unmet": pd.DataFrame({"group": ["disabled", "other"], "persons": [1, 4]}),
        "sites": pd.DataFrame({"open": [True, True], "opened": [False, True], "opening_cost": [50.0, 70.0]}),
    }
    ambulance = {
        "handshakes": pd.DataFrame(
            {"daily_transfers": [0.5, 1.0], "trip_minutes": [40.0, float("nan")], "covered": [True, False]}
        ),
        "stations": pd.DataFrame({"before": [1, 1], "after": [2, 0]}),
    }
    nursing = {
        "needs": pd.DataFrame({"need": ["transfer_1to1", "backfill"], "required": [4, 2], "assigned": [3, 0]}),
        "assignments": pd.DataFrame({"nurses": [3], "minutes": [7.0]}),
    }
    drugs = {
        "targets": pd.DataFrame(
            {
                "drug": ["cough", "cough", "tcm"],
                "kind": ["care_home", "hospital", "clinic"],
                "need": [10, 4, 5],
                "fill_rate": [0.5, 0.0, 1.0],
                "shortfall": [5, 4, 0],
            }
        ),
        "allocations": pd.DataFrame({"quantity": [10, 5], "minutes": [1.0, 2.0]}),
    }
    return {
        "observation": stage("observation", observation),
        "ambulance": stage("ambulance", ambulance),
        "nursing": stage("nursing", nursing),
        "drugs": stage("drugs", drugs),
    }
