"""Shortfalls in words a coordinator can act on, and where one more unit helps most.

The models return reason codes and the binding entities; this module names them
(English and Chinese) with the entities' display names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from models.base import StageResult
from planner.dataset.names import names
from planner.dataset.schema import Dataset
from planner.rules.rules import Rules

EXPLANATION_COLUMNS = ["stage", "entity_id", "reason", "en", "zh"]
MARGINAL_COLUMNS = ["stage", "resource_id", "resource_kind", "value", "en", "zh"]

GROUP = {"disabled": ("disabled/dementia elderly", "名失能失智老人"), "other": ("other persons", "名其他人员")}
TIER = {
    "transfer_1to1": ("1:1", "1:1陪护"),
    "backfill": ("backfill", "顶岗"),
    "self_care": ("self-care", "自理老人照护"),
}
DRUG = {
    "antipyretic": ("Antipyretic", "解热药"),
    "cough": ("Cough medicine", "止咳药"),
    "antiviral": ("Antiviral", "抗病毒药"),
    "tcm": ("TCM", "中药"),
    "antigen_kit": ("Antigen kit", "抗原检测试剂"),
}


@dataclass(frozen=True)
class Namer:
    """Display names in both languages."""

    en: Mapping[str, str]
    zh: Mapping[str, str]

    def both(self, entity_id: str) -> tuple[str, str]:
        return self.en.get(entity_id, entity_id), self.zh.get(entity_id, entity_id)

    def joined(self, ids: str, language: str, most: int = 3) -> str:
        """Names of comma-joined ``ids``: the first ``most``, then how many more."""
        table = self.en if language == "en" else self.zh
        every = [i for i in str(ids).split(",") if i]
        shown = ("、" if language == "zh" else ", ").join(table.get(i, i) for i in every[:most])
        if len(every) > most:
            extra = len(every) - most
            shown += f"等{len(every)}处" if language == "zh" else f" and {extra} more"
        return shown


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts (column -> value)."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _frame(rows: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def observation_shortfalls(observation: StageResult, namer: Namer, limit: float) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for r in _records(observation.table("unmet")):
        home_en, home_zh = namer.both(str(r["home_id"]))
        group_en, group_zh = GROUP[str(r["group"])]
        n = int(r["persons"])
        if r["reason"] == "no_barrier_free_room_in_reach":
            en = f"{n} {group_en} of {home_en}: no barrier-free room within {limit:.0f} min"
            zh = f"{home_zh}：{n}{group_zh}在{limit:.0f}分钟内无无障碍房间"
        elif r["reason"] == "rooms_used_up":
            sites = str(r.get("binding_sites", "") or "")
            en = (
                f"{n} {group_en} of {home_en}: every room within {limit:.0f} min is taken ({namer.joined(sites, 'en')})"
            )
            zh = f"{home_zh}：{n}{group_zh}无房可住，{limit:.0f}分钟内观察点已满（{namer.joined(sites, 'zh')}）"
        else:
            en = f"{n} {group_en} of {home_en}: no observation site within {limit:.0f} min"
            zh = f"{home_zh}：{n}{group_zh}在{limit:.0f}分钟内无集中健康观察点"
        rows.append({"stage": "observation", "entity_id": r["home_id"], "reason": r["reason"], "en": en, "zh": zh})
    return rows


def ambulance_shortfalls(ambulance: StageResult, namer: Namer, limit: float) -> list[dict[str, object]]:
    hand = ambulance.table("handshakes")
    rows: list[dict[str, object]] = []
    for r in _records(hand[~hand["covered"].astype(bool)]):
        home_en, home_zh = namer.both(str(r["home_id"]))
        station_en, station_zh = namer.both(str(r["station_id"]))
        if r["reason"] == "station_workload":
            stations = str(r.get("binding_stations", "") or "") or str(r["station_id"])
            en = (
                f"{home_en} is not covered: the stations in reach ({namer.joined(stations, 'en')}) are at full workload"
            )
            zh = f"{home_zh}未覆盖：可达的急救站（{namer.joined(stations, 'zh')}）运力已满"
        else:
            trip = f"{r['trip_minutes']:.0f}"
            en = (
                f"{home_en} is not covered: no station reaches it and its hospital within {limit:.0f} min"
                f" (nearest {station_en}, {trip} min)"
            )
            zh = f"{home_zh}未覆盖：{limit:.0f}分钟内无急救站可将其送达定点医院（最近{station_zh}，{trip}分钟）"
        rows.append({"stage": "ambulance", "entity_id": r["home_id"], "reason": r["reason"], "en": en, "zh": zh})
    return rows


def nursing_shortfalls(nursing: StageResult, namer: Namer) -> list[dict[str, object]]:
    needs = nursing.table("needs")
    short = needs[needs["unmet"] > 0]
    rows: list[dict[str, object]] = []
    for (district, tier, reason), group in short.groupby(["district_id", "need", "reason"], sort=True):
        district_en, district_zh = namer.both(str(district))
        tier_en, tier_zh = TIER[str(tier)]
        n = int(group["unmet"].sum())
        if reason == "pools_used_up":
            en = f"{district_en}'s pools are used up; {n} {tier_en} needs unmet"
            zh = f"{district_zh}护理应急支援队伍已用尽：{n}人{tier_zh}需求未满足"
        else:
            en = f"{district_en}: {n} {tier_en} needs unmet, no pool in reach"
            zh = f"{district_zh}：{n}人{tier_zh}需求未满足，无可调派的护理队伍"
        rows.append({"stage": "nursing", "entity_id": str(district), "reason": str(reason), "en": en, "zh": zh})
    return rows


def drug_shortfalls(drugs: StageResult) -> list[dict[str, object]]:
    targets = drugs.table("targets")
    rows: list[dict[str, object]] = []
    for drug, group in targets.groupby("drug", sort=False):
        need, allocated = float(group["need"].sum()), float(group["allocated"].sum())
        if need <= allocated:
            continue
        drug_en, drug_zh = DRUG[str(drug)]
        share = 100.0 * allocated / need
        en = f"{drug_en} stock covers {share:.0f} % of need ({int(need - allocated):,} packs short)"
        zh = f"{drug_zh}库存仅满足需求的{share:.0f}%（缺{int(need - allocated):,}份）"
        rows.append({"stage": "drugs", "entity_id": str(drug), "reason": "stock_short", "en": en, "zh": zh})
    return rows


def marginal_values(stages: Mapping[str, StageResult], namer: Namer) -> pd.DataFrame:
    """Where one more room, nurse or pack helps most, largest value first."""
    rows: list[dict[str, object]] = []
    for r in _records(stages["observation"].table("marginal")):
        if r["value"] > 0:
            en_name, zh_name = namer.both(str(r["site_id"]))
            rows.append(
                {
                    "stage": "observation",
                    "resource_id": r["site_id"],
                    "resource_kind": "room",
                    "value": float(r["value"]),
                    "en": f"One more room at {en_name} places {r['value']:g} more person(s)",
                    "zh": f"{zh_name}每增加1间房可多安置{r['value']:g}人",
                }
            )
    for r in _records(stages["nursing"].table("pools")):
        if r["marginal_value"] > 0:
            en_name, zh_name = namer.both(str(r["pool_id"]))
            rows.append(
                {
                    "stage": "nursing",
                    "resource_id": r["pool_id"],
                    "resource_kind": "nurse",
                    "value": float(r["marginal_value"]),
                    "en": f"One more nurse at {en_name} covers {r['marginal_value']:g} more unmet need",
                    "zh": f"{zh_name}每增加1名护士可多满足{r['marginal_value']:g}项需求",
                }
            )
    for r in _records(stages["drugs"].table("depots")):
        if r["marginal_value"] > 0:
            en_name, zh_name = namer.both(str(r["depot_id"]))
            drug_en, drug_zh = DRUG[str(r["drug"])]
            value = float(r["marginal_value"])
            rows.append(
                {
                    "stage": "drugs",
                    "resource_id": f"{r['depot_id']}:{r['drug']}",
                    "resource_kind": "pack",
                    "value": float(r["marginal_value"]),
                    "en": f"One more pack of {drug_en.lower()} at {en_name} cuts the shortfall by {value:g}",
                    "zh": f"{zh_name}每增加1份{drug_zh}可减少缺口{value:g}",
                }
            )
    frame = _frame(rows, MARGINAL_COLUMNS)
    return frame.sort_values(
        ["value", "stage", "resource_id"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)


def explain(dataset: Dataset, rules: Rules, stages: Mapping[str, StageResult]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(explanations, marginal values) of a solved plan."""
    namer = Namer(names(dataset, "en"), names(dataset, "zh"))
    limit = rules.transfer_minutes_max
    rows = [
        *observation_shortfalls(stages["observation"], namer, limit),
        *ambulance_shortfalls(stages["ambulance"], namer, limit),
        *nursing_shortfalls(stages["nursing"], namer),
        *drug_shortfalls(stages["drugs"]),
    ]
    return _frame(rows, EXPLANATION_COLUMNS), marginal_values(stages, namer)
