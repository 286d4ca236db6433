"""The plan's checklist: one row per rule and scope, each with its source clause (DESIGN §5 "Compliance").

Columns: ``rule_id``, ``scope`` (district / street / care_home / hospital / site /
institution), ``scope_id``, ``sense`` (``at_least`` or ``at_most``), ``required``,
``planned``, ``met``, ``source``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from models.base import StageResult
from planner.dataset.schema import Dataset
from planner.needs.needs import Needs
from planner.rules.rules import Rules

COLUMNS = ["rule_id", "scope", "scope_id", "sense", "required", "planned", "met", "source"]


def _rows(
    rule_id: str,
    scope: str,
    scope_ids: pd.Series,
    required: pd.Series | float,
    planned: pd.Series,
    source: str,
    sense: str = "at_least",
) -> pd.DataFrame:
    frame = pd.DataFrame({"scope_id": scope_ids.astype(str).to_numpy(), "planned": np.asarray(planned, dtype=float)})
    frame["required"] = np.broadcast_to(np.asarray(required, dtype=float), len(frame))
    frame["met"] = (
        frame["planned"] >= frame["required"] if sense == "at_least" else frame["planned"] <= frame["required"]
    )
    frame["rule_id"], frame["scope"], frame["sense"], frame["source"] = rule_id, scope, sense, source
    return frame[COLUMNS]


def nursing_reserve(needs: Needs, rules: Rules) -> pd.DataFrame:
    """District nursing reserve >= ceil(10 % of care-home residents)."""
    reserve = needs.reserve
    return _rows(
        "nursing_reserve",
        "district",
        reserve["district_id"],
        reserve["required"],
        reserve["held"],
        rules.source("nursing_reserve_per_resident"),
    )


def one_to_one(nursing: StageResult, rules: Rules) -> pd.DataFrame:
    """1:1 nurses at every hospital and site receiving transferred disabled elderly."""
    needs = nursing.table("needs")
    one = needs[needs["need"] == "transfer_1to1"]
    scope = "institution"
    return _rows(
        "one_to_one_nursing",
        scope,
        one["destination_id"],
        one["required"],
        one["assigned"],
        rules.source("nurses_per_transferred_disabled"),
    )


def drug_reserve(drugs: StageResult, rules: Rules) -> pd.DataFrame:
    """Drug reserve targets per institution and drug class: on hand + allocated >= target."""
    targets = drugs.table("targets")
    field = targets["kind"].map(
        {
            "care_home": "drug_reserve_per_resident",
            "clinic": "drug_reserve_per_served",
            "hospital": "hospital_drug_days",
        }
    )
    frame = _rows(
        "drug_reserve",
        "institution",
        targets["institution_id"] + ":" + targets["drug"],
        targets["target"],
        targets["on_hand"] + targets["allocated"],
        "",
    )
    frame["source"] = field.map(rules.source).to_numpy()
    return frame


def icu_share(needs: Needs, rules: Rules) -> pd.DataFrame:
    """ICU (with convertible) beds >= 10 % of beds at each designated hospital."""
    icu = needs.icu
    return _rows(
        "icu_share", "hospital", icu["hospital_id"], icu["required"], icu["planned"], rules.source("icu_share_min")
    )


def transfer_within_limit(ambulance: StageResult, rules: Rules) -> pd.DataFrame:
    """Each care home's handshake trip reaches its designated hospital within the limit, with station capacity."""
    hand = ambulance.table("handshakes")
    frame = _rows(
        "transfer_2h",
        "care_home",
        hand["home_id"],
        rules.transfer_minutes_max,
        hand["trip_minutes"].fillna(np.inf),
        rules.source("transfer_minutes_max"),
        sense="at_most",
    )
    frame["met"] = hand["covered"].astype(bool).to_numpy()
    return frame


def site_per_street(dataset: Dataset, observation: StageResult, rules: Rules) -> pd.DataFrame:
    """At least ``sites_per_street_min`` open observation sites in every street/town."""
    sites = observation.table("sites")
    open_per_street = sites[sites["open"].astype(bool)].groupby("street_id").size()
    planned = dataset.streets["street_id"].map(open_per_street).fillna(0)
    return _rows(
        "site_per_street",
        "street",
        dataset.streets["street_id"],
        rules.sites_per_street_min,
        planned,
        rules.source("sites_per_street_min"),
    )


def site_rules(dataset: Dataset, observation: StageResult, rules: Rules) -> list[pd.DataFrame]:
    """30 days of supplies at open sites; one person per room; barrier-free where disabled elderly are placed."""
    sites = observation.table("sites").merge(dataset.sites[["site_id", "stock_days"]], on="site_id", how="left")
    opened = sites[sites["open"].astype(bool)]
    used = sites[sites["persons"] > 0]
    with_disabled = sites[sites["persons_disabled"] > 0]
    return [
        _rows(
            "site_stock_days",
            "site",
            opened["site_id"],
            rules.site_stock_days_min,
            opened["stock_days"].fillna(0),
            rules.source("site_stock_days_min"),
        ),
        _rows(
            "one_person_per_room",
            "site",
            used["site_id"],
            used["rooms"] * rules.persons_per_room,
            used["persons"],
            rules.source("persons_per_room"),
            sense="at_most",
        ),
        _rows(
            "barrier_free",
            "site",
            with_disabled["site_id"],
            1.0,
            with_disabled["barrier_free"].astype(float),
            rules.source("barrier_free_for_disabled"),
        ),
    ]


def sampling_points(needs: Needs, rules: Rules) -> pd.DataFrame:
    """3-5 convenience sampling points per street/town."""
    sampling = needs.sampling
    return _rows(
        "sampling_points",
        "street",
        sampling["street_id"],
        sampling["required_min"],
        sampling["sampling_points"],
        rules.source("sampling_points_per_street_min"),
    )


def weekly_test_kits(needs: Needs, drugs: StageResult, rules: Rules) -> pd.DataFrame:
    """Antigen kits on hand after allocation cover a week of tests at each care home."""
    targets = drugs.table("targets")
    kits = targets[(targets["drug"] == "antigen_kit") & (targets["kind"] == "care_home")]
    held = (kits["on_hand"] + kits["allocated"]).groupby(kits["institution_id"]).sum()
    tests = needs.test_kits
    planned = tests["home_id"].map(held).fillna(0)
    return _rows(
        "weekly_test_kits",
        "care_home",
        tests["home_id"],
        tests["kits_per_week"],
        planned,
        rules.source("tests_per_week_staff"),
    )


def compliance_checklist(
    dataset: Dataset, rules: Rules, needs: Needs, stages: Mapping[str, StageResult]
) -> pd.DataFrame:
    """Every rule and scope of the plan, checked; sorted with the unmet rows first within each rule."""
    parts = [
        nursing_reserve(needs, rules),
        one_to_one(stages["nursing"], rules),
        drug_reserve(stages["drugs"], rules),
        icu_share(needs, rules),
        transfer_within_limit(stages["ambulance"], rules),
        site_per_street(dataset, stages["observation"], rules),
        *site_rules(dataset, stages["observation"], rules),
        sampling_points(needs, rules),
        weekly_test_kits(needs, stages["drugs"], rules),
    ]
    checklist = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    checklist["met"] = checklist["met"].astype(bool)
    return checklist.reset_index(drop=True)


def compliance_summary(checklist: pd.DataFrame) -> pd.DataFrame:
    """One row per rule: scopes checked, met, not met, share met, source."""
    grouped = checklist.groupby("rule_id", sort=False)
    summary = grouped.agg(scopes=("met", "size"), met=("met", "sum"), source=("source", "first")).reset_index()
    summary["not_met"] = summary["scopes"] - summary["met"]
    summary["share_met"] = summary["met"] / summary["scopes"].clip(lower=1)
    return summary[["rule_id", "scopes", "met", "not_met", "share_met", "source"]]
