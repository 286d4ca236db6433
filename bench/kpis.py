"""The KPIs the benchmark compares: each stage's figures and travel minutes for one method, and how two methods'
KPIs compare (which is better by each KPI's sense, whether the MIP reproduces epiplan's lexicographic figures).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from bench.inputs import STAGES
from models.base import StageResult

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


def _per(total: float, units: float) -> float:
    """``total / units``, 0 where nothing was served."""
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
    for name in (n for n in STAGES if n in STAGE_KPI_NAMES):  # the compared stages (testing has no baseline)
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
