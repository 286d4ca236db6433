"""Observation stage: which sites open, and where each care home's disabled and other groups stay.

Inputs (:class:`ObservationInputs`): the needs' groups per home, the sites with the scenario's closures marked,
and every home -> site arc within the transfer limit (also to barrier-free sites, so that the disabled group
always sees its allowed sites). The model is ``models.observation`` (capacitated facility location). Reports:
unmet persons by group, sites open and opened, the site rules (a site per street, 30 days of supplies, persons
per room, barrier-free), shortfalls by home and what one more room would place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from models.base import SolveOptions, StageResult
from models.observation import solve_observation
from planner.dataset.names import Namer
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


def marginal_values(result: StageResult, _context: PlanContext, namer: Namer) -> list[Row]:
    """Persons one more room at a site would place."""
    rows: list[Row] = []
    for r in records(result.table("marginal")):
        if r["value"] > 0:
            en_name, zh_name = namer.both(str(r["site_id"]))
            rows.append(
                {
                    "stage": NAME,
                    "resource_id": r["site_id"],
                    "resource_kind": "room",
                    "value": float(r["value"]),
                    "en": f"One more room at {en_name} places {r['value']:g} more person(s)",
                    "zh": f"{zh_name}每增加1间房可多安置{r['value']:g}人",
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
