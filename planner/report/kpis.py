"""Key figures of a plan: what a coordinator reads first (DESIGN §5).

Each stage reports its own figures (``Stage.kpis``); this module adds the figures of the needs alone (the
district nursing reserve), the checklist's counts and each stage's status and seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from models.base import StageResult
from planner.stages.base import PlanContext
from planner.stages.registry import stage


def reserve_kpis(context: PlanContext) -> dict[str, Any]:
    """Each district's reserve ratio (nurses held per care-home resident) and how many fall short of the rule."""
    reserve = context.needs.reserve
    ratio = reserve["held"] / reserve["residents"].where(reserve["residents"] > 0)
    return {
        "reserve_ratio": {
            str(d): (round(float(r), 4) if pd.notna(r) else None)
            for d, r in zip(reserve["district_id"], ratio, strict=True)
        },
        "districts_short_of_reserve": int((reserve["held"] < reserve["required"]).sum()),
        "care_home_residents": int(context.dataset.care_homes["residents"].sum()),
    }


def needs_kpis(context: PlanContext) -> dict[str, Any]:
    """Figures of the needs the stages do not plan yet: persons to observe by cause, NAT tests (planned by the
    testing stage of issue 13), antigen kits of care homes (planned by the drug stage) and close contacts. A daily
    plan counts its persons to observe by cause from the cohorts the observation stage places (an uploaded forecast
    scales them), so that they add up to ``observation_persons``; its close contacts isolated likewise."""
    needs = context.needs
    observed = needs.observed()
    by_cause = observed.groupby("cause")["persons"].sum()
    return {
        "observation_by_cause": {str(cause): int(n) for cause, n in by_cause.items()},
        "close_contacts_isolated": int(observed.loc[observed["cause"] == "contact", "persons"].sum()),
        "nat_tests_per_week": round(float(needs.nat_tests["tests_per_week"].sum()), 1),
        "nat_tests_planned_by": "testing stage (issue 13)",
        "antigen_kits_target": int(needs.antigen_tests["target"].sum()),
    }


def compute_kpis(context: PlanContext, results: Mapping[str, StageResult], compliance: pd.DataFrame) -> dict[str, Any]:
    """Every KPI of the plan, JSON-ready (ints, floats, strings, dicts): the stages' in order, then the plan's."""
    kpis: dict[str, Any] = {}
    for name, result in results.items():
        kpis.update(stage(name).kpis(result, context))
    kpis.update(reserve_kpis(context))
    kpis.update(needs_kpis(context))
    kpis["compliance_checks"] = len(compliance)
    kpis["compliance_met"] = int(compliance["met"].sum())
    kpis["status"] = {name: str(result.status.value) for name, result in results.items()}
    kpis["seconds"] = {name: round(result.seconds, 3) for name, result in results.items()}
    kpis["seconds_total"] = round(sum(result.seconds for result in results.values()), 3)
    return kpis
