"""Drug stage: packs from the depots to the reserve targets of care homes, clinics and hospitals.

Inputs (:class:`DrugInputs`): depot stock per drug class after the scenario's stock factor, the needs'
targets per institution and class, every depot -> institution pair (any depot may serve any institution,
DESIGN §5.4: their minutes priced on demand, ``all_pairs``) and each institution's nearest depots as the arcs
the solve starts from. The model is ``models.drugs`` (the lowest fill rate of care homes and clinics first,
then the total shortfall, then pack-minutes, proven over every pair). Reports:
fill rates and shortfalls per class, the reserve target per institution and class, weekly test kits at
care homes, and where one more pack helps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.base import SolveOptions, StageResult
from models.drugs import solve_drugs
from models.pricing import AllPairs
from planner.dataset.names import Namer
from planner.dataset.schema import DRUGS, Dataset
from planner.stages.base import Contract, PlanContext, Row, Stage, compliance_rows, records

NAME = "drugs"
PRIORITY_KINDS: tuple[str, ...] = ("care_home", "clinic")
"""Institutions whose lowest fill rate the drug stage maximises first (resources lean toward the elderly)."""
DRUG_WORDS = {
    "antipyretic": ("Antipyretic", "解热药"),
    "cough": ("Cough medicine", "止咳药"),
    "antiviral": ("Antiviral", "抗病毒药"),
    "tcm": ("TCM", "中药"),
    "antigen_kit": ("Antigen kit", "抗原检测试剂"),
}
KIND_RULES = {
    "care_home": "drug_reserve_per_resident",
    "clinic": "drug_reserve_per_served",
    "hospital": "hospital_drug_days",
}
"""The rule behind each institution kind's target (its source clause goes into the checklist)."""

CONTRACT: Contract = {
    "targets": {
        "institution_id": "id",
        "kind": tuple(KIND_RULES),
        "drug": DRUGS,
        "target": "count",
        "on_hand": "count",
        "allocated": "count",
        "shortfall": "count",
    },
    "allocations": {
        "depot_id": "id",
        "institution_id": "id",
        "drug": DRUGS,
        "quantity": "count",
        "minutes": "minutes",
    },
}


@dataclass(frozen=True)
class DrugInputs:
    """What ``models.drugs.solve_drugs`` gets: depot stock per drug, institution targets, seed arcs, every pair.

    ``arcs`` are each institution's nearest depots (what the solve starts from, and what the benchmark's
    baselines see); ``all_pairs`` the minutes of every depot -> institution pair (None: the arcs are the model).
    """

    depots: pd.DataFrame
    targets: pd.DataFrame
    arcs: pd.DataFrame
    all_pairs: AllPairs | None = None


def depot_stock(dataset: Dataset, stock_factor: float) -> pd.DataFrame:
    """Depot stock per drug after the scenario's stock factor: depot_id, district_id, drug, stock (whole packs)."""
    depots = dataset.depots
    long = depots.melt(
        id_vars=["depot_id", "district_id"],
        value_vars=[f"stock_{d}" for d in DRUGS],
        var_name="drug",
        value_name="stock",
    )
    long["drug"] = long["drug"].str.removeprefix("stock_")
    long["stock"] = np.floor(stock_factor * long["stock"].to_numpy(dtype=float) + 1e-9).astype(np.int64)
    return long.reset_index(drop=True)


def depot_arcs(context: PlanContext, institutions: pd.Series) -> pd.DataFrame:
    """Depot -> institution seed arcs: each institution's k nearest depots (minutes from the depot)."""
    locations = context.locations
    nearest = locations.arcs(
        institutions, context.dataset.depots["depot_id"], k=context.limits.depots_per_institution
    ).rename(columns={"from_id": "institution_id", "to_id": "depot_id"})
    nearest["minutes"] = locations.pair_minutes(nearest["depot_id"], nearest["institution_id"])
    return nearest[["depot_id", "institution_id", "minutes"]].reset_index(drop=True)


def every_depot_pair(context: PlanContext, institutions: pd.Series) -> AllPairs:
    """The minutes of every depot -> institution pair, priced on demand (minutes from the depot)."""
    depot_ids = context.dataset.depots["depot_id"]
    costs = context.locations.arc_costs(depot_ids, institutions)
    return AllPairs(costs, pd.Index(depot_ids), pd.Index(institutions))


def build_inputs(context: PlanContext) -> DrugInputs:
    """Depot stock, the needs' targets, the seed arcs and every depot -> institution pair."""
    targets = context.needs.drugs
    institutions = targets["institution_id"].drop_duplicates()
    return DrugInputs(
        depots=depot_stock(context.dataset, context.scenario.stock_factor),
        targets=targets,
        arcs=depot_arcs(context, institutions),
        all_pairs=every_depot_pair(context, institutions),
    )


def solve(inputs: DrugInputs, options: SolveOptions) -> StageResult:
    """``models.drugs.solve_drugs`` on ``inputs``."""
    return solve_drugs(inputs.depots, inputs.targets, inputs.arcs, all_pairs=inputs.all_pairs, options=options)


def kpis(result: StageResult, _context: PlanContext | None = None) -> dict[str, Any]:
    """Lowest fill rate per drug over care homes and clinics with a need (unreachable ones included), shortfalls."""
    targets = result.table("targets")
    priority = targets[targets["kind"].isin(PRIORITY_KINDS) & (targets["need"] > 0)]
    lowest = priority.groupby("drug")["fill_rate"].min()
    drugs_listed = pd.unique(targets["drug"])
    return {
        "lowest_fill_rate": {str(d): round(float(lowest.get(d, 1.0)), 4) for d in drugs_listed},
        "drug_shortfall": {str(d): int(v) for d, v in targets.groupby("drug")["shortfall"].sum().items()},
    }


def compliance(result: StageResult, context: PlanContext) -> list[pd.DataFrame]:
    """Reserve targets per institution and class; antigen kits for a week of tests at each care home."""
    targets = result.table("targets")
    rules = context.rules
    reserve = compliance_rows(
        "drug_reserve",
        "institution",
        targets["institution_id"] + ":" + targets["drug"],
        targets["target"],
        targets["on_hand"] + targets["allocated"],
        "",
    )
    reserve["source"] = targets["kind"].map(KIND_RULES).map(rules.source).to_numpy()
    kits = targets[(targets["drug"] == "antigen_kit") & (targets["kind"] == "care_home")]
    held = (kits["on_hand"] + kits["allocated"]).groupby(kits["institution_id"]).sum()
    tests = context.needs.test_kits
    weekly = compliance_rows(
        "weekly_test_kits",
        "care_home",
        tests["home_id"],
        tests["kits_per_week"],
        tests["home_id"].map(held).fillna(0),
        rules.source("tests_per_week_staff"),
    )
    return [reserve, weekly]


def explanations(result: StageResult, _context: PlanContext, _namer: Namer) -> list[Row]:
    """One sentence per drug class whose stock does not cover the need."""
    targets = result.table("targets")
    rows: list[Row] = []
    for drug, group in targets.groupby("drug", sort=False):
        need, allocated = float(group["need"].sum()), float(group["allocated"].sum())
        if need <= allocated:
            continue
        drug_en, drug_zh = DRUG_WORDS[str(drug)]
        covered = 100.0 * allocated / need
        en = f"{drug_en} stock covers {covered:.0f} % of need ({int(need - allocated):,} packs short)"
        zh = f"{drug_zh}库存仅满足需求的{covered:.0f}%（缺{int(need - allocated):,}份）"
        rows.append({"stage": NAME, "entity_id": str(drug), "reason": "stock_short", "en": en, "zh": zh})
    return rows


def marginal_values(result: StageResult, _context: PlanContext, namer: Namer) -> list[Row]:
    """Shortfall one more pack at a depot would cut."""
    rows: list[Row] = []
    for r in records(result.table("depots")):
        if r["marginal_value"] > 0:
            en_name, zh_name = namer.both(str(r["depot_id"]))
            drug_en, drug_zh = DRUG_WORDS[str(r["drug"])]
            value = float(r["marginal_value"])
            rows.append(
                {
                    "stage": NAME,
                    "resource_id": f"{r['depot_id']}:{r['drug']}",
                    "resource_kind": "pack",
                    "value": value,
                    "en": f"One more pack of {drug_en.lower()} at {en_name} cuts the shortfall by {value:g}",
                    "zh": f"{zh_name}每增加1份{drug_zh}可减少缺口{value:g}",
                }
            )
    return rows


STAGE: Stage[DrugInputs] = Stage(
    name=NAME,
    build_inputs=build_inputs,
    solve=solve,
    contract=CONTRACT,
    kpis=kpis,
    compliance=compliance,
    explanations=explanations,
    marginal_values=marginal_values,
)
