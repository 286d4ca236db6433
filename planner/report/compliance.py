"""The plan's checklist: one row per rule and scope, each with its source clause (DESIGN §5 "Compliance").

Columns: ``rule_id``, ``scope`` (district / street / care_home / hospital / site / institution),
``scope_id``, ``sense`` (``at_least`` or ``at_most``), ``required``, ``planned``, ``met``, ``source``.

Each stage checks the rules its result answers (``Stage.compliance``); this module adds the rules the
dataset answers alone (ICU beds, sampling points) and orders the checklist as a coordinator reads it.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from models.base import StageResult
from planner.stages.base import COMPLIANCE_COLUMNS, PlanContext, compliance_rows
from planner.stages.registry import stage

COLUMNS = list(COMPLIANCE_COLUMNS)
CHECKLIST_ORDER: tuple[str, ...] = (
    "nursing_reserve",
    "one_to_one_nursing",
    "drug_reserve",
    "icu_share",
    "transfer_2h",
    "site_per_street",
    "no_site_in_street",
    "site_stock_days",
    "one_person_per_room",
    "barrier_free",
    "sampling_points",
    "testing_points_per_street",
    "full_round_days",
    "care_home_sampling_visits",
    "antigen_test_kits",
)
"""The order a coordinator reads the checklist in: people, drugs, beds, transfers, sites, testing. Rules not
listed follow in the order the stages report them."""


def icu_share(context: PlanContext) -> pd.DataFrame:
    """ICU beds >= ``icu_share_min`` of beds at each hospital in ``icu_scope`` (convertible beds counted when
    ``icu_count_convertible``; ``planner.needs.targets`` maps the scope onto the data)."""
    icu = context.needs.icu
    return compliance_rows(
        "icu_share",
        "hospital",
        icu["hospital_id"],
        icu["required"],
        icu["planned"],
        context.rules.sources("icu_share_min", "icu_scope", "icu_count_convertible"),
    )


def sampling_points(context: PlanContext) -> pd.DataFrame:
    """3-5 convenience sampling points per street/town, counted in the data (``streets.sampling_points``): the points
    a street has today, beside the points the testing stage plans (``testing_points_per_street``)."""
    sampling = context.needs.sampling
    return compliance_rows(
        "sampling_points",
        "street",
        sampling["street_id"],
        sampling["required_min"],
        sampling["sampling_points"],
        context.rules.source("sampling_points_per_street_min"),
    )


def compliance_checklist(context: PlanContext, results: Mapping[str, StageResult]) -> pd.DataFrame:
    """Every rule and scope of the plan, checked, in :data:`CHECKLIST_ORDER` (rows of one rule as reported)."""
    parts = [part for name, result in results.items() for part in stage(name).compliance(result, context)]
    parts += [icu_share(context), sampling_points(context)]
    checklist = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    checklist["met"] = checklist["met"].astype(bool)
    rank = {rule: index for index, rule in enumerate(CHECKLIST_ORDER)}
    order = checklist["rule_id"].map(rank).fillna(len(rank)).astype(int)
    return checklist.iloc[order.argsort(kind="stable")].reset_index(drop=True)


def compliance_summary(checklist: pd.DataFrame) -> pd.DataFrame:
    """One row per rule: scopes checked, met, not met, share met, source."""
    grouped = checklist.groupby("rule_id", sort=False)
    summary = grouped.agg(scopes=("met", "size"), met=("met", "sum"), source=("source", "first")).reset_index()
    summary["not_met"] = summary["scopes"] - summary["met"]
    summary["share_met"] = summary["met"] / summary["scopes"].clip(lower=1)
    return summary[["rule_id", "scopes", "met", "not_met", "share_met", "source"]]
