"""Key figures of a plan: what a coordinator reads first (DESIGN §5, issue "KPIs")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from models.base import StageResult
from planner.dataset.schema import Dataset
from planner.needs.needs import Needs

PRIORITY_KINDS: tuple[str, ...] = ("care_home", "clinic")
"""Institutions whose lowest fill rate the drug stage maximises first (resources lean toward the elderly)."""


def _share(part: float, whole: float) -> float:
    """``part / whole``, 1.0 when there is nothing to cover."""
    return float(part / whole) if whole > 0 else 1.0


def observation_kpis(observation: StageResult) -> dict[str, Any]:
    unmet = observation.table("unmet")
    sites = observation.table("sites")
    by_group = unmet.groupby("group")["persons"].sum()
    placed = int(observation.table("assignments")["persons"].sum())
    return {
        "observation_persons": placed + int(unmet["persons"].sum()),
        "observation_placed": placed,
        "unmet_observation_disabled": int(by_group.get("disabled", 0)),
        "unmet_observation_other": int(by_group.get("other", 0)),
        "sites_open": int(sites["open"].astype(bool).sum()),
        "sites_opened": int(sites["opened"].astype(bool).sum()),
    }


def ambulance_kpis(ambulance: StageResult) -> dict[str, Any]:
    hand = ambulance.table("handshakes")
    stations = ambulance.table("stations")
    covered = hand[hand["covered"].astype(bool)]
    daily = float(hand["daily_transfers"].sum())
    return {
        "daily_transfers": round(daily, 3),
        "covered_daily_transfers": round(float(covered["daily_transfers"].sum()), 3),
        "covered_share": round(_share(float(covered["daily_transfers"].sum()), daily), 4),
        "uncovered_homes": int((~hand["covered"].astype(bool)).sum()),
        "longest_covered_trip_minutes": round(float(covered["trip_minutes"].max()), 1) if not covered.empty else 0.0,
        "ambulance_moves": int((stations["after"] - stations["before"]).clip(lower=0).sum()),
    }


def nursing_kpis(nursing: StageResult) -> dict[str, Any]:
    needs = nursing.table("needs")
    by_tier = needs.groupby("need")[["required", "assigned"]].sum()
    one = (
        by_tier.loc["transfer_1to1"] if "transfer_1to1" in by_tier.index else pd.Series({"required": 0, "assigned": 0})
    )
    return {
        "one_to_one_required": int(one["required"]),
        "one_to_one_assigned": int(one["assigned"]),
        "one_to_one_coverage": round(_share(float(one["assigned"]), float(one["required"])), 4),
        "nurses_assigned": int(needs["assigned"].sum()),
        "nursing_unmet_by_tier": {str(t): int(r["required"] - r["assigned"]) for t, r in by_tier.iterrows()},
    }


def drug_kpis(drugs: StageResult) -> dict[str, Any]:
    """Lowest fill rate per drug over care homes and clinics with a need (unreachable ones included), shortfalls."""
    targets = drugs.table("targets")
    priority = targets[targets["kind"].isin(PRIORITY_KINDS) & (targets["need"] > 0)]
    lowest = priority.groupby("drug")["fill_rate"].min()
    drugs_listed = pd.unique(targets["drug"])
    return {
        "lowest_fill_rate": {str(d): round(float(lowest.get(d, 1.0)), 4) for d in drugs_listed},
        "drug_shortfall": {str(d): int(v) for d, v in targets.groupby("drug")["shortfall"].sum().items()},
    }


def reserve_kpis(dataset: Dataset, needs: Needs) -> dict[str, Any]:
    reserve = needs.reserve
    ratio = reserve["held"] / reserve["residents"].where(reserve["residents"] > 0)
    return {
        "reserve_ratio": {
            str(d): (round(float(r), 4) if pd.notna(r) else None)
            for d, r in zip(reserve["district_id"], ratio, strict=True)
        },
        "districts_short_of_reserve": int((reserve["held"] < reserve["required"]).sum()),
        "care_home_residents": int(dataset.care_homes["residents"].sum()),
    }


def compute_kpis(
    dataset: Dataset, needs: Needs, stages: Mapping[str, StageResult], compliance: pd.DataFrame
) -> dict[str, Any]:
    """Every KPI of the plan, JSON-ready (ints, floats, strings, dicts)."""
    kpis: dict[str, Any] = {}
    kpis.update(observation_kpis(stages["observation"]))
    kpis.update(ambulance_kpis(stages["ambulance"]))
    kpis.update(nursing_kpis(stages["nursing"]))
    kpis.update(drug_kpis(stages["drugs"]))
    kpis.update(reserve_kpis(dataset, needs))
    kpis["compliance_checks"] = len(compliance)
    kpis["compliance_met"] = int(compliance["met"].sum())
    kpis["status"] = {name: str(result.status.value) for name, result in stages.items()}
    kpis["seconds"] = {name: round(result.seconds, 3) for name, result in stages.items()}
    kpis["seconds_total"] = round(sum(result.seconds for result in stages.values()), 3)
    return kpis
