"""Observation stage: which sites open, and where each care home's disabled and other groups stay.

Inputs (:class:`ObservationInputs`): the needs' groups per home, the sites with the scenario's closures marked,
and every home -> site arc within the transfer limit (also to barrier-free sites, so that the disabled group
always sees its allowed sites). The model is ``models.observation`` (capacitated facility location). Reports:
unmet persons by group, sites open and opened, the site rules (a site per street, 30 days of supplies, persons
per room, barrier-free), shortfalls by home and what one more room would place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from models.base import SolveOptions, StageResult
from models.observation import solve_observation
from planner.dataset.names import Namer
from planner.stages import probes
from planner.stages.base import Contract, PlanContext, Row, Stage, compliance_rows, records

NAME = "observation"
GROUP_WORDS = {"disabled": ("disabled/dementia elderly", "名失能失智老人"), "other": ("other persons", "名其他人员")}
SITE_COLUMNS = ["site_id", "street_id", "rooms", "barrier_free", "status", "opening_cost"]

CONTRACT: Contract = {
    "sites": {
        "site_id": "id",
        "street_id": "id",
        "open": "bool",
        "rooms": "count",
        "persons": "count",
        "barrier_free": "bool",
    },
    "assignments": {
        "home_id": "id",
        "site_id": "id",
        "group": ("disabled", "other"),
        "persons": "count",
        "minutes": "minutes",
    },
    "unmet": {"home_id": "id", "group": ("disabled", "other"), "persons": "count"},
}


@dataclass(frozen=True)
class ObservationInputs:
    """What ``models.observation.solve_observation`` gets: groups, sites (closed ones marked), arcs and rules."""

    groups: pd.DataFrame
    sites: pd.DataFrame
    arcs: pd.DataFrame
    persons_per_room: int
    sites_per_street_min: int
    barrier_free_for_disabled: bool
    cost_arcs_per_group: int | None


def usable_sites(context: PlanContext) -> pd.DataFrame:
    """Sites with the scenario's closed ones marked ``closed``."""
    sites = context.dataset.sites.copy()
    sites.loc[sites["site_id"].isin(context.scenario.closed_sites), "status"] = "closed"
    return sites


def observation_arcs(context: PlanContext, groups: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """Home -> site arcs within the transfer limit: all when ``limits.sites_per_home`` is None, else the k nearest.

    The barrier-free sites are searched on their own too, so that a disabled group's arcs are never crowded
    out of the k nearest by sites it may not use.
    """
    homes = groups["home_id"].drop_duplicates()
    usable = sites[sites["status"] != "closed"]
    if homes.empty or usable.empty:
        return pd.DataFrame(
            {"home_id": pd.Series(dtype=str), "site_id": pd.Series(dtype=str), "minutes": pd.Series(dtype=float)}
        )
    parts = [
        context.locations.arcs(
            homes,
            candidates["site_id"],
            max_minutes=context.rules.transfer_minutes_max,
            k=context.limits.sites_per_home,
        )
        for candidates in (usable, usable[usable["barrier_free"]])
        if not candidates.empty
    ]
    arcs = pd.concat(parts, ignore_index=True).drop_duplicates(["from_id", "to_id"])
    return arcs.rename(columns={"from_id": "home_id", "to_id": "site_id"}).reset_index(drop=True)


def build_inputs(context: PlanContext) -> ObservationInputs:
    """The groups of the needs, the usable sites and their arcs, and the site rules."""
    groups = context.needs.observation[["home_id", "street_id", "group", "persons"]]
    sites = usable_sites(context)
    rules = context.rules
    return ObservationInputs(
        groups=groups,
        sites=sites[SITE_COLUMNS],
        arcs=observation_arcs(context, groups, sites),
        persons_per_room=rules.persons_per_room,
        sites_per_street_min=rules.sites_per_street_min,
        barrier_free_for_disabled=rules.barrier_free_for_disabled,
        cost_arcs_per_group=context.limits.site_cost_arcs_per_group,
    )


def solve(inputs: ObservationInputs, options: SolveOptions) -> StageResult:
    """``models.observation.solve_observation`` on ``inputs``."""
    return solve_observation(
        inputs.groups,
        inputs.sites,
        inputs.arcs,
        persons_per_room=inputs.persons_per_room,
        sites_per_street_min=inputs.sites_per_street_min,
        barrier_free_for_disabled=inputs.barrier_free_for_disabled,
        options=options,
        cost_arcs_per_group=inputs.cost_arcs_per_group,
    )


def kpis(result: StageResult, _context: PlanContext | None = None) -> dict[str, Any]:
    """Persons to place, placed and unmet by group; sites open and opened by the plan."""
    unmet = result.table("unmet")
    sites = result.table("sites")
    by_group = unmet.groupby("group")["persons"].sum()
    placed = int(result.table("assignments")["persons"].sum())
    return {
        "observation_persons": placed + int(unmet["persons"].sum()),
        "observation_placed": placed,
        "unmet_observation_disabled": int(by_group.get("disabled", 0)),
        "unmet_observation_other": int(by_group.get("other", 0)),
        "sites_open": int(sites["open"].astype(bool).sum()),
        "sites_opened": int(sites["opened"].astype(bool).sum()),
    }


def compliance(result: StageResult, context: PlanContext) -> list[pd.DataFrame]:
    """A site per street; 30 days of supplies at open sites; persons per room; barrier-free for the disabled."""
    rules, dataset = context.rules, context.dataset
    sites = result.table("sites")
    open_per_street = sites[sites["open"].astype(bool)].groupby("street_id").size()
    per_street = compliance_rows(
        "site_per_street",
        "street",
        dataset.streets["street_id"],
        rules.sites_per_street_min,
        dataset.streets["street_id"].map(open_per_street).fillna(0),
        rules.source("sites_per_street_min"),
    )
    sites = sites.merge(dataset.sites[["site_id", "stock_days"]], on="site_id", how="left")
    opened = sites[sites["open"].astype(bool)]
    used = sites[sites["persons"] > 0]
    with_disabled = sites[sites["persons_disabled"] > 0]
    return [
        per_street,
        compliance_rows(
            "site_stock_days",
            "site",
            opened["site_id"],
            rules.site_stock_days_min,
            opened["stock_days"].fillna(0),
            rules.source("site_stock_days_min"),
        ),
        compliance_rows(
            "one_person_per_room",
            "site",
            used["site_id"],
            used["rooms"] * rules.persons_per_room,
            used["persons"],
            rules.source("persons_per_room"),
            sense="at_most",
        ),
        compliance_rows(
            "barrier_free",
            "site",
            with_disabled["site_id"],
            1.0,
            with_disabled["barrier_free"].astype(float),
            rules.source("barrier_free_for_disabled"),
        ),
    ]


def explanations(result: StageResult, context: PlanContext, namer: Namer) -> list[Row]:
    """One sentence per home and group left without a room, with the reason."""
    limit = context.rules.transfer_minutes_max
    rows: list[Row] = []
    for r in records(result.table("unmet")):
        home_en, home_zh = namer.both(str(r["home_id"]))
        group_en, group_zh = GROUP_WORDS[str(r["group"])]
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
        rows.append({"stage": NAME, "entity_id": r["home_id"], "reason": r["reason"], "en": en, "zh": zh})
    return rows


def _all(count: int, total: int, language: str) -> str:
    """``all `` / ``全部`` when ``count`` is everything that is short."""
    if count < total:
        return ""
    return "全部" if language == "zh" else "all "


def room_sentences(
    row: Mapping[str, Any], unmet: Mapping[str, int], district: tuple[str, str], others: int = 0
) -> tuple[str, str]:
    """What a district's extra rooms buy, in English and Chinese (see :func:`planner.stages.probes.room_probes`);
    ``others``: how many other districts' rooms would buy the same."""
    en_name, zh_name = district
    if others:
        en_name += f" (or in any of {others} other districts)"
        zh_name += f"（或其他{others}个区中任一区）"
    disabled, other, rooms, free = (int(row[k]) for k in ("disabled", "other", "rooms", "barrier_free_rooms"))
    if disabled and other:
        return (
            f"{rooms:,} more rooms in {en_name}, {free:,} of them barrier-free, place {disabled:,} disabled/dementia "
            f"elderly and {other:,} others left without a room",
            f"{zh_name}增加{rooms:,}间房（其中无障碍房间{free:,}间）可安置未安置的失能失智老人{disabled:,}名、"
            f"其他人员{other:,}名",
        )
    if disabled:
        kind_en, kind_zh = ("barrier-free rooms", "无障碍房间") if free else ("rooms", "房间")
        return (
            f"{rooms:,} more {kind_en} in {en_name} place {_all(disabled, unmet['disabled'], 'en')}{disabled:,} "
            "disabled/dementia elderly left without a room",
            f"{zh_name}增加{rooms:,}间{kind_zh}可安置{_all(disabled, unmet['disabled'], 'zh')}{disabled:,}名"
            "未安置的失能失智老人",
        )
    total = unmet["disabled"] + unmet["other"]
    return (
        f"{rooms:,} more rooms in {en_name} place {_all(other, total, 'en')}{other:,} persons left without a room",
        f"{zh_name}增加{rooms:,}间房可安置{_all(other, total, 'zh')}{other:,}名未安置人员",
    )


def marginal_values(result: StageResult, context: PlanContext, namer: Namer) -> list[Row]:
    """What more rooms in each district would place (:func:`planner.stages.probes.room_probes`), best first.

    Ranked by the stage's objective: disabled persons placed first, then all persons, then fewer rooms.
    """
    unmet = result.table("unmet")
    if unmet.empty or int(unmet["persons"].sum()) == 0:
        return []
    street_district = context.dataset.streets.set_index("street_id")["district_id"].astype(str)
    effects = probes.room_probes(build_inputs(context), street_district)
    by_group = unmet.groupby("group")["persons"].sum()
    short = {group: int(by_group.get(group, 0)) for group in GROUP_WORDS}
    rows: list[Row] = []
    for effect in records(effects):
        others = len([d for d in str(effect["same_as"]).split(",") if d])
        en, zh = room_sentences(effect, short, namer.both(str(effect["district_id"])), others)
        rows.append(
            {
                "stage": NAME,
                "resource_id": str(effect["district_id"]),
                "resource_kind": "barrier_free_room" if effect["barrier_free_rooms"] else "room",
                "value": float(effect["disabled"] + effect["other"]),
                "units": float(effect["rooms"]),
                "en": en,
                "zh": zh,
            }
        )
    return rows


STAGE: Stage[ObservationInputs] = Stage(
    name=NAME,
    build_inputs=build_inputs,
    solve=solve,
    contract=CONTRACT,
    kpis=kpis,
    compliance=compliance,
    explanations=explanations,
    marginal_values=marginal_values,
)
