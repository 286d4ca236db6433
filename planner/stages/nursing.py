"""Nursing stage: reserve nurses from the pools to 1:1 care, backfill and self-care needs.

Inputs (:class:`NursingInputs`): the pools, every nursing need (the needs' 1:1 at receiving hospitals, backfill
and self-care at homes, plus 1:1 at the observation sites where the observation stage placed disabled
persons; a daily plan asks each need's peak day of the nurses on duty on a day, ``nurse_work_days_per_week`` of
7), every pool -> need pair (any pool may serve any need, DESIGN §5.3: their minutes priced on demand,
``all_pairs``) and the arcs the solve starts from (every pool of the need's district and the k nearest of any
district). The model is ``models.nursing`` (tiers served in order, then the least minutes and crossings,
proven over every pair). Reports: 1:1 coverage, unmet needs by tier, the district reserve against its rule,
and where more nurses help.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.base import SolveOptions, StageResult
from models.nursing import solve_nursing
from models.nursing_days import nurses_by_day
from models.pricing import AllPairs
from planner.dataset.names import Namer
from planner.memory import release_free_memory
from planner.needs.needs import site_transfer_needs
from planner.stages import probes
from planner.stages.base import Contract, PlanContext, Row, Stage, compliance_rows, records, share, timeline_rows

NAME = "nursing"
TIER_WORDS = {
    "transfer_1to1": ("1:1", "1:1陪护"),
    "backfill": ("backfill", "顶岗"),
    "self_care": ("self-care", "自理老人照护"),
}
NEED_COLUMNS = ["need_id", "destination_id", "need", "district_id", "required"]

CONTRACT: Contract = {
    "needs": {
        "need_id": "id",
        "destination_id": "id",
        "need": tuple(TIER_WORDS),
        "required": "count",
        "assigned": "count",
    },
    "assignments": {"pool_id": "id", "need_id": "id", "nurses": "count", "minutes": "minutes"},
}


@dataclass(frozen=True)
class NursingInputs:
    """What ``models.nursing.solve_nursing`` gets: pools, needs (with the 1:1 needs at sites), seed arcs, the
    crossing penalty and every pool -> destination pair (None: the arcs are the model)."""

    pools: pd.DataFrame
    needs: pd.DataFrame
    arcs: pd.DataFrame
    crossing_penalty_minutes: float
    all_pairs: AllPairs | None = None


def nursing_needs(context: PlanContext) -> pd.DataFrame:
    """All nursing needs: the home and hospital needs plus 1:1 at sites for the disabled persons sent there.

    A daily plan asks each need's peak day (``planner.needs.daily``) and, at sites, the peak day's disabled
    persons present (the observation stage's ``sites.persons_disabled``); the day-by-day nurses are in the
    plan's timeline.
    """
    if context.needs.daily is None:
        assignments = context.result("observation").table("assignments")
        placed = assignments[assignments["group"] == "disabled"]
    else:
        sites = context.result("observation").table("sites")
        placed = sites[["site_id", "persons_disabled"]].rename(columns={"persons_disabled": "persons"})
    disabled = placed.groupby("site_id")["persons"].sum().reset_index()
    disabled = disabled[disabled["persons"] > 0]
    dataset = context.dataset
    street_district = dataset.streets.set_index("street_id")["district_id"]
    site_district = dataset.sites.set_index("site_id")["street_id"].map(street_district)
    disabled["district_id"] = disabled["site_id"].map(site_district)
    at_sites = site_transfer_needs(disabled[["site_id", "district_id", "persons"]], context.rules)
    return pd.concat([peak_needs(context), at_sites], ignore_index=True)


def peak_needs(context: PlanContext) -> pd.DataFrame:
    """The needs' nurses: all at once (snapshot), or each need's peak day (daily plan)."""
    needs = context.needs.nursing
    if context.needs.daily is None:
        return needs
    peak = context.needs.daily.nursing.groupby("need_id")["required"].max()
    peak_required = pd.to_numeric(needs["need_id"].map(peak), errors="coerce")  # numbers, NaN where no day needs it
    needs = needs.assign(required=peak_required.fillna(0).astype(np.int64))
    return needs[needs["required"] > 0].reset_index(drop=True)


def nursing_arcs(context: PlanContext, needs: pd.DataFrame, nearest_pools: int | None = None) -> pd.DataFrame:
    """Pool -> need seed arcs: every pool of the need's district plus the ``nearest_pools`` nearest of any district
    (default: the limits' ``pools_per_need``)."""
    pools = context.dataset.pools
    destinations = needs[["need_id", "destination_id", "district_id"]]
    same_district = destinations.merge(pools[["pool_id", "district_id"]], on="district_id")[
        ["pool_id", "need_id", "destination_id"]
    ]
    nearest = context.locations.arcs(
        destinations["destination_id"].drop_duplicates(),
        pools["pool_id"],
        k=context.limits.pools_per_need if nearest_pools is None else nearest_pools,
    ).rename(columns={"from_id": "destination_id", "to_id": "pool_id"})
    nearest = nearest.merge(destinations[["need_id", "destination_id"]], on="destination_id")[
        ["pool_id", "need_id", "destination_id"]
    ]
    pairs = pd.concat([same_district, nearest], ignore_index=True).drop_duplicates(["pool_id", "need_id"])
    pairs["minutes"] = context.locations.pair_minutes(pairs["pool_id"], pairs["destination_id"])
    return pairs[["pool_id", "need_id", "minutes"]].reset_index(drop=True)


def every_pool_pair(context: PlanContext, needs: pd.DataFrame) -> AllPairs:
    """The minutes of every pool -> destination pair, priced on demand (minutes from the pool)."""
    pool_ids = context.dataset.pools["pool_id"]
    destinations = needs["destination_id"].drop_duplicates()
    costs = context.locations.arc_costs(pool_ids, destinations)
    return AllPairs(costs, pd.Index(pool_ids), pd.Index(destinations))


DAYS_PER_WEEK = 7


def nurses_on_duty(pools: pd.DataFrame, work_days_per_week: float) -> pd.DataFrame:
    """``pool_id, district_id, nurses`` with the nurses on duty on a day: ``floor(nurses * work_days_per_week /
    7)`` (a nurse serves one need a day and rests the other days of the week)."""
    on_duty = pools[["pool_id", "district_id", "nurses"]].copy()
    on_duty["nurses"] = np.floor(on_duty["nurses"] * work_days_per_week / DAYS_PER_WEEK).astype(np.int64)
    return on_duty


def build_inputs(context: PlanContext) -> NursingInputs:
    """Pools (a daily plan: the nurses on duty on a day, :func:`nurses_on_duty`; the snapshot: every nurse), every
    need (1:1 at sites from the observation result), the seed arcs and every pair."""
    needs = nursing_needs(context)
    pools = context.dataset.pools[["pool_id", "district_id", "nurses"]]
    if context.needs.daily is not None:
        pools = nurses_on_duty(pools, context.rules.nurse_work_days_per_week)
    return NursingInputs(
        pools=pools,
        needs=needs[NEED_COLUMNS],
        arcs=nursing_arcs(context, needs),
        crossing_penalty_minutes=context.rules.district_crossing_penalty_minutes,
        all_pairs=every_pool_pair(context, needs),
    )


def solve(inputs: NursingInputs, options: SolveOptions) -> StageResult:
    """``models.nursing.solve_nursing`` on ``inputs``."""
    return solve_nursing(
        inputs.pools,
        inputs.needs,
        inputs.arcs,
        crossing_penalty_minutes=inputs.crossing_penalty_minutes,
        all_pairs=inputs.all_pairs,
        options=options,
    )


def kpis(result: StageResult, _context: PlanContext | None = None) -> dict[str, Any]:
    """1:1 coverage, nurses assigned and unmet needs by tier."""
    needs = result.table("needs")
    by_tier = needs.groupby("need")[["required", "assigned"]].sum()
    one = (
        by_tier.loc["transfer_1to1"] if "transfer_1to1" in by_tier.index else pd.Series({"required": 0, "assigned": 0})
    )
    return {
        "one_to_one_required": int(one["required"]),
        "one_to_one_assigned": int(one["assigned"]),
        "one_to_one_coverage": round(share(float(one["assigned"]), float(one["required"])), 4),
        "nurses_assigned": int(needs["assigned"].sum()),
        "nursing_unmet_by_tier": {str(t): int(r["required"] - r["assigned"]) for t, r in by_tier.iterrows()},
    }


def compliance(result: StageResult, context: PlanContext) -> list[pd.DataFrame]:
    """The district reserve (>= 10 % of care-home residents) and 1:1 nurses at every receiving institution."""
    reserve = context.needs.reserve
    rules = context.rules
    needs = result.table("needs")
    one = needs[needs["need"] == "transfer_1to1"]
    return [
        compliance_rows(
            "nursing_reserve",
            "district",
            reserve["district_id"],
            reserve["required"],
            reserve["held"],
            rules.source("nursing_reserve_per_resident"),
        ),
        compliance_rows(
            "one_to_one_nursing",
            "institution",
            one["destination_id"],
            one["required"],
            one["assigned"],
            rules.source("nurses_per_transferred_disabled"),
        ),
    ]


def explanations(result: StageResult, _context: PlanContext, namer: Namer) -> list[Row]:
    """One sentence per district and tier with unmet needs: pools used up, or none in reach."""
    needs = result.table("needs")
    short = needs[needs["unmet"] > 0]
    rows: list[Row] = []
    for (district, tier, reason), group in short.groupby(["district_id", "need", "reason"], sort=True):
        district_en, district_zh = namer.both(str(district))
        tier_en, tier_zh = TIER_WORDS[str(tier)]
        n = int(group["unmet"].sum())
        if reason == "pools_used_up":
            en = f"{district_en}'s pools are used up; {n} {tier_en} needs unmet"
            zh = f"{district_zh}护理应急支援队伍已用尽：{n}人{tier_zh}需求未满足"
        else:
            en = f"{district_en}: {n} {tier_en} needs unmet, no pool in reach"
            zh = f"{district_zh}：{n}人{tier_zh}需求未满足，无可调派的护理队伍"
        rows.append({"stage": NAME, "entity_id": str(district), "reason": str(reason), "en": en, "zh": zh})
    return rows


def nurse_sentences(row: Mapping[str, Any], district: tuple[str, str], others: int = 0) -> tuple[str, str]:
    """What more nurses in a district's pools buy, in English and Chinese; ``others``: how many other districts'
    pools would buy the same."""
    en_name, zh_name = district
    en_where, zh_where = f"{en_name}'s pools", f"{zh_name}护理应急支援队伍"
    if others:
        en_where += f" (or in any of {others} other districts)"
        zh_where = f"{zh_name}（或其他{others}个区中任一区）护理应急支援队伍"
    nurses = int(row["nurses"])
    met = [(tier, int(row[tier])) for tier in TIER_WORDS if int(row.get(tier, 0))]
    en_parts = ", ".join(f"{n:,} {TIER_WORDS[t][0]}" for t, n in met)
    zh_parts = "、".join(f"{TIER_WORDS[t][1]}{n:,}人" for t, n in met)
    return (
        f"{nurses:,} more nurses in {en_where} meet {en_parts} needs left unmet",
        f"{zh_where}增加{nurses:,}名护理人员可满足未满足的需求：{zh_parts}",
    )


def marginal_values(result: StageResult, context: PlanContext, namer: Namer) -> list[Row]:
    """What more nurses in each district's pools would meet (:func:`planner.stages.probes.nurse_probes`).

    Ranked by the stage's objective: 1:1 needs met first, then backfill, then self-care.
    """
    if int(result.table("needs")["unmet"].sum()) == 0:
        return []
    effects = probes.nurse_probes(context.inputs_of("nursing", build_inputs), tuple(TIER_WORDS))
    rows: list[Row] = []
    for effect in records(effects):
        others = len([d for d in str(effect["same_as"]).split(",") if d])
        en, zh = nurse_sentences(effect, namer.both(str(effect["district_id"])), others)
        rows.append(
            {
                "stage": NAME,
                "resource_id": str(effect["district_id"]),
                "resource_kind": "nurse",
                "value": float(sum(int(effect[t]) for t in TIER_WORDS)),
                "units": float(effect["nurses"]),
                "en": en,
                "zh": zh,
            }
        )
    return rows


TIMELINE_RESOURCE = {"transfer_1to1": "nurses_1to1", "backfill": "nurses_backfill", "self_care": "nurses_self_care"}
"""The timeline's resource of each need."""
DAY_SECONDS = 1.0
"""Time limit of a day's nursing model in the timeline."""
DAY_PRICING_ROUNDS = 0
"""Pricing rounds of a day's nursing cost phase: none. Its tiers' totals are exact over every pair without pricing
(closed-form; arcs are added until the seed network meets them); pricing would only prove the least minutes, which
the timeline does not report. Where every pair fits one min-cost flow (the city) the day is solved over every pair
anyway. Province, severe, 14 days: the timeline's nursing 1.9 s; proving every day took 7.7-9 s (4-5 rounds a day),
one round a day 4.4 s."""


TIMELINE_POOLS_PER_NEED = 5
"""Nearest pools of any district a day's nursing model in the timeline starts from, beside the need's district's
own (the stage: ``pools_per_need``, 20). The day's totals are exact from any seed (arcs are added until it meets
them); without pricing (:data:`DAY_PRICING_ROUNDS`) the seed decides only which pools send whom. National daily
plan: the timeline's nursing 13.1 -> 5.8 s, 0.51 -> 0.23 GB at its peak; 9,130 of 1,714,991 nurse-days sent from
another pool (1,054 of 33,000 pool-days), none short either way."""


def timeline_call(context: PlanContext, observation: StageResult) -> Callable[[], pd.DataFrame]:
    """The call that builds the timeline's nursing rows (:func:`daily_rows`)."""
    return functools.partial(daily_rows, context, observation)


def timeline_early(context: PlanContext) -> Callable[[], pd.DataFrame] | None:
    """The timeline's nursing rows, for the scheduler to start in a child as soon as the observation stage is
    solved, beside this stage (``Stage.early``: they read where persons were placed, not this stage's result): each
    day's nursing model, 1.9 s at the province (severe, 14 days); None for a snapshot."""
    return timeline_call(context, context.result("observation")) if context.needs.daily is not None else None


def daily_rows(context: PlanContext, observation: StageResult) -> pd.DataFrame:
    """The timeline's nursing rows (``planner.report.timeline``): each day's nursing model on that day's needs,
    per district and need, and per pool."""
    daily = context.needs.daily
    assert daily is not None
    at_sites = _site_needs_by_day(context, observation)
    needs = pd.concat([daily.nursing, at_sites], ignore_index=True)
    if needs.empty:
        return pd.DataFrame()
    pools = nurses_on_duty(context.dataset.pools, context.rules.nurse_work_days_per_week)
    needs = needs.reset_index(drop=True)
    counted = nurses_by_day(
        pools,
        needs[NEED_COLUMNS],
        nursing_arcs(context, needs.drop_duplicates("need_id"), TIMELINE_POOLS_PER_NEED),
        day=needs["day"].to_numpy(np.int64),
        crossing_penalty_minutes=context.rules.district_crossing_penalty_minutes,
        seconds_per_day=DAY_SECONDS,
        all_pairs=every_pool_pair(context, needs),  # any pool may serve any need, as in the stage
        pricing_rounds=DAY_PRICING_ROUNDS,
        after_day=release_free_memory,  # the child then holds one day's flow at a time, not what the days left free
    )
    by_need = needs.assign(assigned=counted.assigned)
    grouped = by_need.groupby(["need", "district_id", "day"], as_index=False)[["required", "assigned"]].sum()
    parts = [
        timeline_rows(
            TIMELINE_RESOURCE.get(str(need), f"nurses_{need}"),
            "district",
            rows.rename(columns={"district_id": "scope_id", "required": "needed", "assigned": "planned"})[
                ["scope_id", "day", "needed", "planned"]
            ].astype({"needed": float, "planned": float}),
        )
        for need, rows in grouped.groupby("need")
    ]
    pool_count = len(pools)
    parts.append(
        timeline_rows(
            "nurses",
            "pool",
            pd.DataFrame(
                {
                    "scope_id": np.tile(pools["pool_id"].to_numpy(), len(counted.days)),
                    "day": np.repeat(counted.days, pool_count),
                    "needed": counted.sent_per_day.ravel().astype(float),
                    "planned": np.tile(pools["nurses"].to_numpy(float), len(counted.days)),
                }
            ),
        )
    )
    return pd.concat(parts, ignore_index=True)


def _site_needs_by_day(context: PlanContext, observation: StageResult) -> pd.DataFrame:
    """1:1 needs at sites per day from the disabled persons present (``site_transfer_needs`` by day)."""
    occupancy = observation.table("occupancy")
    occupancy = occupancy[occupancy["persons_disabled"] > 0]
    if occupancy.empty:
        return pd.DataFrame()
    street_district = context.dataset.streets.set_index("street_id")["district_id"]
    site_district = context.dataset.sites.set_index("site_id")["street_id"].map(street_district)
    frame = pd.DataFrame(
        {
            "day": occupancy["day"].astype(np.int64),
            "site_id": occupancy["site_id"],
            "district_id": occupancy["site_id"].map(site_district),
            "persons": occupancy["persons_disabled"],
        }
    )
    return site_transfer_needs(frame, context.rules, by=("day",))


STAGE: Stage[NursingInputs] = Stage(
    name=NAME,
    build_inputs=build_inputs,
    solve=solve,
    contract=CONTRACT,
    kpis=kpis,
    compliance=compliance,
    explanations=explanations,
    marginal_values=marginal_values,
    reads=("observation",),
    early=timeline_early,
)
