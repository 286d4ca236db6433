"""Observation stage: which sites open, and where each care home's disabled and other groups stay.

Inputs (:class:`ObservationInputs`): the needs' groups per origin (care homes; under containment also the
streets' inbound arrivals, origin ``inbound:<street_id>`` at the street's coordinates), the sites with the
scenario's closures marked, and every origin -> site arc within the transfer limit (also to barrier-free sites,
so that the disabled group always sees its allowed sites). The rules shape the inputs here, so the model
(``models.observation``, capacitated facility location) stays one model:

- ``barrier_free_for_all`` (004 (十二)): a care home's arcs go to barrier-free sites only;
- persons per room: ``persons_per_room``, or ``contact_persons_per_room`` when it is stricter and close contacts
  are placed (the model has one occupancy for every room);
- the opening cost is in yuan in the data and becomes person-minutes (``opening_cost * minutes_per_yuan``)
  before it goes in, since the model adds it to person-minutes of travel; the sites table reports both.

Reports: unmet persons by group, sites open and opened, the site rules (a site per street where one can be
opened, "no site can be opened here" where none can, supplies, persons per room, barrier-free), shortfalls by
origin and what one more room would place.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from models.base import SolveOptions, StageResult
from models.observation import solve_observation
from models.observation.daily_stage import daily_tables, solve_daily_observation
from models.observation.instance import Instance, prepare
from planner.dataset import travel
from planner.dataset.names import Namer
from planner.dataset.schema import INBOUND_PREFIX
from planner.forked import beside
from planner.fresh import in_fresh_children
from planner.needs.needs import CAUSES
from planner.stages import probes
from planner.stages.base import Contract, PlanContext, Row, Stage, compliance_rows, records

NAME = "observation"
GROUP_WORDS = {"disabled": ("disabled/dementia elderly", "名失能失智老人"), "other": ("other persons", "名其他人员")}
SITE_COLUMNS = ["site_id", "street_id", "rooms", "barrier_free", "status", "opening_cost", "opening_cost_yuan"]
"""The sites the model gets: ``opening_cost`` in person-minutes (``minutes_per_yuan`` applied), the data's yuan
kept in ``opening_cost_yuan``."""

CONTRACT: Contract = {
    "sites": {
        "site_id": "id",
        "street_id": "id",
        "open": "bool",
        "rooms": "count",
        "persons": "count",
        "barrier_free": "bool",
        "capacity": "count",
    },
    "assignments": {
        "home_id": "id",
        "site_id": "id",
        "group": ("disabled", "other"),
        "persons": "count",
        "minutes": "minutes",
    },
    "unmet": {"home_id": "id", "group": ("disabled", "other"), "persons": "count"},
    "stays": {
        "home_id": "id",
        "group": ("disabled", "other"),
        "site_id": "id",
        "arrival_day": "count",
        "departure_day": "count",
        "persons": "count",
        "cause": CAUSES,
    },
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
    cohorts: pd.DataFrame | None = None
    """The daily plan's cohorts (``planner.needs.daily``); None plans the snapshot."""
    horizon_days: int = 1

    @cached_property
    def instance(self) -> Instance:
        """The snapshot model's sets and data (``models.observation.instance.prepare``), built once: the solve
        and the room probes read the same."""
        return prepare(
            self.groups,
            self.sites,
            self.arcs,
            self.persons_per_room,
            self.sites_per_street_min,
            self.barrier_free_for_disabled,
        )


def usable_site_streets(context: PlanContext) -> set[str]:
    """Streets with at least one site that is not closed (in the data or by the scenario)."""
    sites = usable_sites(context)
    return set(sites.loc[sites["status"] != "closed", "street_id"].astype(str))


def streets_without_site(context: PlanContext) -> int:
    """Streets where the rules ask a site and none can be opened (no usable site in the street)."""
    if context.rules.sites_per_street_min <= 0:
        return 0
    streets = context.dataset.streets["street_id"].astype(str)
    return int((~streets.isin(usable_site_streets(context))).sum())


def room_occupancy(context: PlanContext) -> int:
    """Persons per room the model plans with: the stricter of the two room rules when contacts are to be placed (a
    daily plan's cohorts: a forecast may leave no contact to place where the snapshot has some)."""
    rules = context.rules
    observed = context.needs.observed()
    if ((observed["cause"] == "contact") & (observed["persons"] > 0)).any():
        return min(rules.persons_per_room, rules.contact_persons_per_room)
    return rules.persons_per_room


def usable_sites(context: PlanContext) -> pd.DataFrame:
    """Sites with the scenario's closed ones marked ``closed``."""
    sites = context.dataset.sites.copy()
    sites.loc[sites["site_id"].isin(context.scenario.closed_sites), "status"] = "closed"
    return sites


def _origin_points(context: PlanContext, origins: pd.Series) -> pd.DataFrame:
    """``id, lat, lon, speed_kmh`` of the street centres of ``inbound:<street_id>`` origins."""
    streets = context.dataset.streets.set_index(context.dataset.streets["street_id"].astype(str))
    street_ids = origins.str.removeprefix(INBOUND_PREFIX)
    centres = streets.reindex(pd.Index(street_ids))
    points = pd.DataFrame(
        {
            "id": origins.to_numpy(dtype=object),
            "lat": centres["lat"].to_numpy(np.float64),
            "lon": centres["lon"].to_numpy(np.float64),
            "street_id": street_ids.to_numpy(dtype=object),
        }
    )
    return travel.with_speed(points, context.dataset, context.rules.default_speed_kmh)


def observation_arcs(context: PlanContext, groups: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """Origin -> site arcs within the transfer limit: all when ``limits.sites_per_home`` is None, else the k nearest.

    The barrier-free sites are searched on their own too, so that a disabled group's arcs are never crowded
    out of the k nearest by sites it may not use. With ``barrier_free_for_all`` a care home's arcs lead to
    barrier-free sites only. Inbound arrivals leave from their street's centre.
    """
    origins = groups["home_id"].drop_duplicates()
    usable = sites[sites["status"] != "closed"]
    empty = pd.DataFrame(
        {"home_id": pd.Series(dtype=str), "site_id": pd.Series(dtype=str), "minutes": pd.Series(dtype=float)}
    )
    if origins.empty or usable.empty:
        return empty
    inbound = origins.str.startswith(INBOUND_PREFIX)
    homes, streets = origins[~inbound], origins[inbound]
    barrier_free = usable[usable["barrier_free"]]
    limit, k = context.rules.transfer_minutes_max, context.limits.sites_per_home
    home_candidates = (barrier_free,) if context.rules.barrier_free_for_all else (usable, barrier_free)
    parts = [
        context.locations.arcs(homes, candidates["site_id"], max_minutes=limit, k=k, what="care homes -> sites")
        for candidates in home_candidates
        if not candidates.empty and not homes.empty
    ]
    if not streets.empty:
        points = _origin_points(context, streets)
        parts += [
            context.locations.arcs_from(
                points, candidates["site_id"], max_minutes=limit, k=k, what="inbound streets -> sites"
            )
            for candidates in (usable, barrier_free)
            if not candidates.empty
        ]
    if not parts:
        return empty
    arcs = pd.concat(parts, ignore_index=True).drop_duplicates(["from_id", "to_id"])
    return arcs.rename(columns={"from_id": "home_id", "to_id": "site_id"}).reset_index(drop=True)


def build_inputs(context: PlanContext) -> ObservationInputs:
    """The groups of the needs, the usable sites and their arcs, and the site rules."""
    groups = context.needs.observation[["home_id", "street_id", "group", "persons"]]
    sites = usable_sites(context)
    rules = context.rules
    sites["opening_cost_yuan"] = sites["opening_cost"].astype(float)
    sites["opening_cost"] = sites["opening_cost_yuan"] * rules.minutes_per_yuan
    return ObservationInputs(
        groups=groups,
        sites=sites[SITE_COLUMNS],
        arcs=observation_arcs(context, groups, sites),
        persons_per_room=room_occupancy(context),
        sites_per_street_min=rules.sites_per_street_min,
        barrier_free_for_disabled=rules.barrier_free_for_disabled,
        cost_arcs_per_group=context.limits.site_cost_arcs_per_group,
        cohorts=None if context.needs.daily is None else context.needs.daily.cohorts,
        horizon_days=context.scenario.horizon_days,
    )


def solve(inputs: ObservationInputs, options: SolveOptions) -> StageResult:
    """``models.observation.solve_daily_observation`` on the cohorts of a daily plan, else
    ``models.observation.solve_observation`` (the snapshot; its ``stays`` and ``occupancy`` are empty); the sites
    table reports the opening cost in yuan (``opening_cost``) and in the person-minutes the objective used
    (``opening_cost_minutes``)."""
    if inputs.cohorts is not None:
        result = solve_daily_observation(
            inputs.cohorts,
            inputs.sites,
            inputs.arcs,
            horizon_days=inputs.horizon_days,
            persons_per_room=inputs.persons_per_room,
            sites_per_street_min=inputs.sites_per_street_min,
            barrier_free_for_disabled=inputs.barrier_free_for_disabled,
            options=options,
            beside=beside,  # the branch-and-price's nodes two at a time, the second in a forked child
        )
        return _with_yuan(result, inputs)
    result = solve_observation(
        inputs.groups,
        inputs.sites,
        inputs.arcs,
        persons_per_room=inputs.persons_per_room,
        sites_per_street_min=inputs.sites_per_street_min,
        barrier_free_for_disabled=inputs.barrier_free_for_disabled,
        options=options,
        cost_arcs_per_group=inputs.cost_arcs_per_group,
        prepared=inputs.instance,
        run_apart=in_fresh_children,  # beside the flow stages, which hold the GIL and rewrite memory (parts)
    )
    empty = daily_tables()
    result = replace(result, tables={**result.tables, "stays": empty["stays"], "occupancy": empty["occupancy"]})
    return _with_yuan(result, inputs)


def _with_yuan(result: StageResult, inputs: ObservationInputs) -> StageResult:
    sites = result.tables.get("sites")
    if sites is None or "opening_cost_yuan" not in inputs.sites.columns:
        return result
    yuan = inputs.sites.drop_duplicates("site_id").set_index("site_id")["opening_cost_yuan"]
    sites = sites.assign(opening_cost_minutes=sites["opening_cost"], opening_cost=sites["site_id"].map(yuan))
    return replace(result, tables={**result.tables, "sites": sites})


def kpis(result: StageResult, context: PlanContext | None = None) -> dict[str, Any]:
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
        "streets_without_site": streets_without_site(context) if context is not None else 0,
    }


def street_rules(context: PlanContext, sites: pd.DataFrame) -> list[pd.DataFrame]:
    """A site per street (``sites_per_street_min``) where one can be opened, and "no site can be opened here"
    (``no_site_in_street``) where the street has no usable site: a gap in the data, not a plan that fails.
    No rows when the rule asks no site (beijing-2023)."""
    rules, streets = context.rules, context.dataset.streets
    if rules.sites_per_street_min <= 0:
        return []
    open_per_street = sites[sites["open"].astype(bool)].groupby("street_id").size()
    can_open = streets["street_id"].astype(str).isin(usable_site_streets(context)).to_numpy()
    source = rules.source("sites_per_street_min")
    with_site, without = streets[can_open], streets[~can_open]
    return [
        compliance_rows(
            "site_per_street",
            "street",
            with_site["street_id"],
            rules.sites_per_street_min,
            with_site["street_id"].map(open_per_street).fillna(0),
            source,
        ),
        compliance_rows(
            "no_site_in_street",
            "street",
            without["street_id"],
            rules.sites_per_street_min,
            np.zeros(len(without)),
            source,
        ),
    ]


def compliance(result: StageResult, context: PlanContext) -> list[pd.DataFrame]:
    """A site per street; supplies at open sites; persons per room; barrier-free (disabled, or everyone)."""
    rules, dataset = context.rules, context.dataset
    sites = result.table("sites")
    assignments = result.table("assignments")
    from_homes = assignments[~assignments["home_id"].astype(str).str.startswith(INBOUND_PREFIX)]
    home_persons = from_homes.groupby("site_id")["persons"].sum()
    sites = sites.merge(dataset.sites[["site_id", "stock_days"]], on="site_id", how="left")
    opened = sites[sites["open"].astype(bool)]
    used = sites[sites["persons"] > 0]
    barrier_source = rules.source("barrier_free_for_disabled")
    if rules.barrier_free_for_all:
        needing = sites[sites["site_id"].map(home_persons).fillna(0).to_numpy() > 0]
        barrier_source = rules.source("barrier_free_for_all")
    elif rules.barrier_free_for_disabled:
        needing = sites[sites["persons_disabled"] > 0]
    else:
        needing = sites.iloc[0:0]
    occupancy = room_occupancy(context)
    room_source = rules.sources("persons_per_room")
    if occupancy != rules.persons_per_room:
        room_source = rules.sources("persons_per_room", "contact_persons_per_room")
    return [
        *street_rules(context, result.table("sites")),
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
            used["rooms"] * occupancy,
            used["persons"],
            room_source,
            sense="at_most",
        ),
        compliance_rows(
            "barrier_free",
            "site",
            needing["site_id"],
            1.0,
            needing["barrier_free"].astype(float),
            barrier_source,
        ),
    ]


def _origin_names(origin: str, namer: Namer) -> tuple[str, str]:
    """Display names of an observation origin: a care home, or a street's inbound arrivals."""
    if origin.startswith(INBOUND_PREFIX):
        street_en, street_zh = namer.both(origin.removeprefix(INBOUND_PREFIX))
        return f"the inbound arrivals of {street_en}", f"{street_zh}入境人员"
    return namer.both(origin)


def explanations(result: StageResult, context: PlanContext, namer: Namer) -> list[Row]:
    """One sentence per origin and group left without a room, with the reason; one per street where no site can
    be opened (when the rules ask a site per street)."""
    limit = context.rules.transfer_minutes_max
    barrier_en, barrier_zh = ("barrier-free ", "无障碍") if context.rules.barrier_free_for_all else ("", "")
    rows: list[Row] = []
    for r in records(result.table("unmet")):
        home_en, home_zh = _origin_names(str(r["home_id"]), namer)
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
            en = f"{n} {group_en} of {home_en}: no {barrier_en}observation site within {limit:.0f} min"
            zh = f"{home_zh}：{n}{group_zh}在{limit:.0f}分钟内无{barrier_zh}集中健康观察点"
        rows.append({"stage": NAME, "entity_id": r["home_id"], "reason": r["reason"], "en": en, "zh": zh})
    if context.rules.sites_per_street_min > 0:
        streets = context.dataset.streets["street_id"].astype(str)
        for street in streets[~streets.isin(usable_site_streets(context))]:
            street_en, street_zh = namer.both(street)
            en = f"No site can be opened here: {street_en} has no usable observation site (add one to the data)"
            zh = f"{street_zh}无可开设的集中健康观察点（需在数据中补充）"
            rows.append({"stage": NAME, "entity_id": street, "reason": "no_site_can_be_opened", "en": en, "zh": zh})
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


def room_probes(context: PlanContext, inputs: ObservationInputs) -> Callable[[], pd.DataFrame]:
    """The call that measures what more rooms in each district would place (:func:`probes.room_probes`)."""
    street_district = context.dataset.streets.set_index("street_id")["district_id"].astype(str)
    return functools.partial(probes.room_probes, inputs, street_district)


def left_unplaced(result: StageResult) -> bool:
    """Whether any person is left without a room (then more rooms somewhere can help)."""
    unmet = result.table("unmet")
    return not unmet.empty and int(unmet["persons"].sum()) > 0


def room_probes_ahead(
    result: StageResult, context: PlanContext, inputs: ObservationInputs
) -> Callable[[], pd.DataFrame] | None:
    """The room probes, for the scheduler to start as soon as the stage is solved (``Stage.ahead``); None when
    every person is placed (the marginal values then list none)."""
    return room_probes(context, inputs) if left_unplaced(result) else None


def marginal_values(result: StageResult, context: PlanContext, namer: Namer) -> list[Row]:
    """What more rooms in each district would place (:func:`planner.stages.probes.room_probes`), best first.

    Ranked by the stage's objective: disabled persons placed first, then all persons, then fewer rooms.
    """
    if not left_unplaced(result):
        return []
    unmet = result.table("unmet")
    effects = context.ahead_of(NAME, room_probes(context, context.inputs_of(NAME, build_inputs)))
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
    ahead=room_probes_ahead,
    marginal_values=marginal_values,
    holds_gil=False,  # HiGHS's LPs and MIPs
)
