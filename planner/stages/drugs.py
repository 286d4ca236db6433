"""Drug stage: packs from the depots to the reserve targets of care homes, clinics and hospitals.

Inputs (:class:`DrugInputs`): depot stock per drug class after the scenario's stock factor, the needs'
targets per institution and class, every depot -> institution pair (any depot may serve any institution,
DESIGN §5.4: their minutes priced on demand, ``all_pairs``) and each institution's nearest depots as the arcs
the solve starts from. The model is ``models.drugs`` (the lowest fill rate of care homes and clinics first,
then the total shortfall, then pack-minutes, proven over every pair). Reports: fill rates and shortfalls per
class, the reserve target per institution and class, the antigen kits of each care home's tests
(``planner.needs.testing``: its antigen tests for ``test_cover_days`` days and one outbreak round), and where
one more pack helps. Nucleic acid tests need sampling and lab capacity, not kits: the testing stage plans them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from models.base import SolveOptions, StageResult
from models.drugs import solve_drugs
from models.pricing import AllPairs
from planner.dataset.names import Namer
from planner.dataset.schema import DRUGS, Dataset
from planner.memory import release_free_memory
from planner.needs.rounding import scaled_down
from planner.stages import probes
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
KIND_RULES: dict[str, tuple[str, ...]] = {
    "care_home": ("drug_reserve_per_resident", "care_home_drugs"),
    "clinic": ("drug_reserve_per_served", "drug_reserve_per_served_dense", "clinic_drugs"),
    "hospital": ("hospital_drug_days", "hospital_drugs"),
}
"""The rules behind each institution kind's reserve target (their clauses go into the checklist)."""
ANTIGEN_RULES: tuple[str, ...] = (
    "tests_per_week_residents",
    "resident_antigen_share",
    "staff_entry_antigen_tests_per_week",
    "antigen_tests_per_admission",
    "outbreak_tests_per_person",
    "test_cover_days",
)
"""The rules behind a care home's antigen-kit target."""

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
    long["stock"] = scaled_down(long["stock"].to_numpy(dtype=float), stock_factor)
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
    """``models.drugs.solve_drugs`` on ``inputs``, the memory each class's flows freed handed back to the system
    after it (``planner.memory.release_free_memory``)."""
    return solve_drugs(
        inputs.depots,
        inputs.targets,
        inputs.arcs,
        all_pairs=inputs.all_pairs,
        options=options,
        after_class=release_free_memory,
    )


def kpis(result: StageResult, _context: PlanContext | None = None) -> dict[str, Any]:
    """Fill rates by institution kind and shortfalls.

    ``lowest_fill_rate``: per drug, the lowest fill rate over care homes and clinics with a need (unreachable ones
    included) — the figure the stage raises first; a drug no care home or clinic needs has no entry (no 100 % for
    a need that does not exist). ``hospital_fill_rate``: per drug, the share of the hospitals' need allocated
    (hospitals are served after the priority kinds); drugs no hospital needs have no entry. ``drug_shortfall``:
    packs short per drug; ``drug_shortfall_by_kind``: packs short per institution kind.
    """
    targets = result.table("targets")
    if "allocated" not in targets:  # a hand-made stage (the benchmark's) reports the shortfall only
        targets = targets.assign(allocated=targets["need"] - targets["shortfall"])
    needed = targets[targets["need"] > 0]
    priority = needed[needed["kind"].isin(PRIORITY_KINDS)]
    lowest = priority.groupby("drug")["fill_rate"].min()
    hospital_rows = needed[needed["kind"] == "hospital"]
    hospital_share = (
        hospital_rows.groupby("drug")["allocated"].sum() / hospital_rows.groupby("drug")["need"].sum()
    ).to_dict()
    drugs_listed = [str(d) for d in pd.unique(targets["drug"])]
    by_kind = targets.groupby("kind")["shortfall"].sum()
    return {
        "lowest_fill_rate": {d: round(float(lowest[d]), 4) for d in drugs_listed if d in lowest.index},
        "hospital_fill_rate": {d: round(float(hospital_share[d]), 4) for d in drugs_listed if d in hospital_share},
        "drug_shortfall": {str(d): int(v) for d, v in targets.groupby("drug")["shortfall"].sum().items()},
        "drug_shortfall_by_kind": {kind: int(by_kind.get(kind, 0)) for kind in KIND_RULES},
    }


def compliance(result: StageResult, context: PlanContext) -> list[pd.DataFrame]:
    """Reserve targets per institution and class; antigen kits for each care home's tests."""
    targets = result.table("targets")
    rules = context.rules
    kits = (targets["drug"] == "antigen_kit") & (targets["kind"] == "care_home")
    reserve_targets = targets[~kits]
    reserve = compliance_rows(
        "drug_reserve",
        "institution",
        reserve_targets["institution_id"] + ":" + reserve_targets["drug"],
        reserve_targets["target"],
        reserve_targets["on_hand"] + reserve_targets["allocated"],
        "",
    )
    sources = {kind: rules.sources(*fields) for kind, fields in KIND_RULES.items()}
    reserve["source"] = reserve_targets["kind"].map(sources).to_numpy()
    home_kits = targets[kits]
    antigen = compliance_rows(
        "antigen_test_kits",
        "care_home",
        home_kits["institution_id"],
        home_kits["target"],
        home_kits["on_hand"] + home_kits["allocated"],
        rules.sources(*ANTIGEN_RULES),
    )
    return [reserve, antigen]


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


def _percent(share: float) -> str:
    return f"{100.0 * share:.0f} %"


def pack_sentences(row: Mapping[str, Any], depot: tuple[str, str], others: int) -> tuple[str, str]:
    """What more packs at a depot buy, in English and Chinese (see :func:`planner.stages.probes.pack_probes`)."""
    en_name, zh_name = depot
    drug_en, drug_zh = DRUG_WORDS[str(row["drug"])]
    drug_en = drug_en if drug_en.isupper() else drug_en.lower()
    packs, short = int(row["packs"]), int(row["shortfall_before"])
    where_en = en_name + (f" (or any of {others} other depots)" if others else "")
    where_zh = zh_name + (f"（或其他{others}个储备库之一）" if others else "")
    all_en, all_zh = ("all ", "全部") if packs >= short else ("", "")
    before, after = float(row["fill_before"]), float(row["fill_after"])
    if after > before + 1e-9:
        return (
            f"{packs:,} more {drug_en} packs at {where_en} raise the lowest fill rate of care homes and clinics "
            f"from {_percent(before)} to {_percent(after)} and cover {all_en}{packs:,} of {short:,} packs short",
            f"{where_zh}增加{packs:,}份{drug_zh}可将养老机构和基层医疗卫生机构的最低满足率从{_percent(before)}"
            f"提高到{_percent(after)}，补足缺口{short:,}份中的{all_zh}{packs:,}份",
        )
    return (
        f"{packs:,} more {drug_en} packs at {where_en} cover {all_en}{packs:,} of {short:,} packs short",
        f"{where_zh}增加{packs:,}份{drug_zh}可补足缺口{short:,}份中的{all_zh}{packs:,}份",
    )


def pack_probes(result: StageResult, inputs: DrugInputs) -> Callable[[], pd.DataFrame]:
    """The call that measures what more stock at each depot that can help would place
    (:func:`probes.pack_probes`)."""
    return functools.partial(probes.pack_probes, inputs, result, solve)


def short_of_stock(result: StageResult) -> bool:
    """Whether any institution is left short of packs (then more stock somewhere can help)."""
    return int(result.table("targets")["shortfall"].sum()) > 0


def pack_probes_ahead(
    result: StageResult, _context: PlanContext, inputs: DrugInputs
) -> Callable[[], pd.DataFrame] | None:
    """The pack probes, for the scheduler to start in a child as soon as the stage is solved (``Stage.ahead``): a
    drug model or two per class short, 0.03 s at the city, 0.6 s at the national sample; None when nothing is short
    (the marginal values then list none)."""
    return pack_probes(result, inputs) if short_of_stock(result) else None


def marginal_values(result: StageResult, context: PlanContext, namer: Namer) -> list[Row]:
    """What more stock at a depot would place (:func:`planner.stages.probes.pack_probes`), best first.

    Ranked by the stage's objective: the lowest fill rate of care homes and clinics reached, then the packs
    placed, then pack-minutes. Depots that would buy exactly the same are one line.
    """
    if not short_of_stock(result):
        return []
    effects = context.ahead_of(NAME, pack_probes(result, context.inputs_of(NAME, build_inputs)))
    rows: list[Row] = []
    for effect in records(effects):
        others = len([d for d in str(effect["same_as"]).split(",") if d])
        en, zh = pack_sentences(effect, namer.both(str(effect["depot_id"])), others)
        rows.append(
            {
                "stage": NAME,
                "resource_id": f"{effect['depot_id']}:{effect['drug']}",
                "resource_kind": "pack",
                "value": float(effect["packs"]),
                "units": float(effect["packs"]),
                "en": en,
                "zh": zh,
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
    ahead=pack_probes_ahead,
    marginal_values=marginal_values,
)
