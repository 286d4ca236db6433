"""The stage's output tables: sites, assignments, unmet persons with reasons, streets, and room marginal values.

The marginal value of a room is computed exactly by augmenting paths in the residual graph of the plan's flow.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order

from models.flow import members
from models.observation.instance import DISABLED, OTHER, BoolArray, Instance, IntArray


def _residual_reach(instance: Instance, assign: IntArray, sources: BoolArray) -> BoolArray:
    """Sites reachable from ``sources`` groups in the residual graph (forward arcs g->s, backward s->g with flow)."""
    group_count, site_count = len(instance.groups), len(instance.sites)
    reached = np.zeros(site_count, bool)
    if not sources.any():
        return reached
    super_source = group_count + site_count
    used = assign > 0
    tails = np.concatenate(
        [np.full(int(sources.sum()), super_source), instance.arc_group, group_count + instance.arc_site[used]]
    )
    heads = np.concatenate([np.flatnonzero(sources), group_count + instance.arc_site, instance.arc_group[used]])
    size = super_source + 1
    graph = coo_matrix((np.ones(len(tails)), (tails, heads)), shape=(size, size)).tocsr()
    nodes = breadth_first_order(graph, super_source, directed=True, return_predecessors=False)
    site_nodes = nodes[(nodes >= group_count) & (nodes < super_source)] - group_count
    reached[site_nodes] = True
    return reached


@dataclass
class _Residual:
    """The residual graph of the plan's flow, with the changes of the augmentations into one target kept apart."""

    site_arcs: list[list[int]]
    group_arcs: list[list[int]]
    arc_group: list[int]
    arc_site: list[int]
    flow: dict[int, int]
    unmet: dict[int, int]
    flow_change: dict[int, int] = field(default_factory=dict)
    unmet_change: dict[int, int] = field(default_factory=dict)

    def flow_on(self, arc: int) -> int:
        return self.flow.get(arc, 0) + self.flow_change.get(arc, 0)

    def unmet_of(self, group: int) -> int:
        return self.unmet.get(group, 0) + self.unmet_change.get(group, 0)

    def capped_flow_into(self, target: int, limit: int) -> int:
        """Persons that augmenting paths from unmet groups bring to ``target``, at most ``limit``."""
        self.flow_change, self.unmet_change = {}, {}
        brought = 0
        while brought < limit:
            path = self.path_to(target)
            if path is None:
                break
            brought += self.augment(path, limit - brought)
        return brought

    def path_to(self, target: int) -> list[tuple[int, int]] | None:
        """``(start group, -1)`` then (arc, +1 / -1) of an augmenting path from an unmet group to ``target``."""
        next_arc: dict[int, int] = {}  # group -> its arc towards the target
        back_arc: dict[int, int | None] = {target: None}  # site -> the arc whose persons it gives back
        queue = deque([target])
        while queue:
            site = queue.popleft()
            for arc in self.site_arcs[site]:
                group = self.arc_group[arc]
                if group in next_arc:
                    continue
                next_arc[group] = arc
                if self.unmet_of(group) > 0:
                    return self._trace(group, next_arc, back_arc)
                for other in self.group_arcs[group]:
                    other_site = self.arc_site[other]
                    if other_site not in back_arc and self.flow_on(other) > 0:
                        back_arc[other_site] = other
                        queue.append(other_site)
        return None

    def _trace(self, start: int, next_arc: dict[int, int], back_arc: dict[int, int | None]) -> list[tuple[int, int]]:
        path = [(start, -1)]
        group = start
        while True:
            arc = next_arc[group]
            path.append((arc, +1))
            back = back_arc[self.arc_site[arc]]
            if back is None:
                return path
            path.append((back, -1))
            group = self.arc_group[back]

    def augment(self, path: list[tuple[int, int]], limit: int) -> int:
        start = path[0][0]
        amount = min(limit, self.unmet_of(start), *(self.flow_on(arc) for arc, sign in path[1:] if sign < 0))
        self.unmet_change[start] = self.unmet_change.get(start, 0) - amount
        for arc, sign in path[1:]:
            self.flow_change[arc] = self.flow_change.get(arc, 0) + sign * amount
        return amount


def room_marginal(instance: Instance, assign: IntArray, unmet: IntArray) -> pd.DataFrame:
    """Persons placed by one more room at each site: ``min(persons_per_room, max flow from unmet groups to s)``.

    The plan's flow is a maximum flow of the all-sites network (the unmet figures are the phase (i)-(ii)
    optimum), so an extra room at ``s`` places exactly the augmenting flow that reaches ``s`` in its residual
    graph, at most ``persons_per_room``. A disabled person is placed iff an unmet disabled group reaches ``s``
    (the priority path never displaces anyone).
    """
    reach_any = _residual_reach(instance, assign, unmet > 0)
    reach_disabled = _residual_reach(instance, assign, (unmet > 0) & instance.disabled)
    value = reach_any.astype(np.int64)
    if instance.persons_per_room > 1 and reach_any.any():
        value = _capped_flows(instance, assign, unmet, np.flatnonzero(reach_any), value)
    group = np.where(reach_disabled, DISABLED, np.where(value > 0, OTHER, ""))
    return pd.DataFrame({"site_id": instance.sites["site_id"].to_numpy(), "value": value, "unmet_group": group})


def _capped_flows(
    instance: Instance, assign: IntArray, unmet: IntArray, targets: IntArray, value: IntArray
) -> IntArray:
    """``value`` with ``min(persons_per_room, max flow from unmet groups)`` at each target site."""
    used, short = np.flatnonzero(assign), np.flatnonzero(unmet)
    residual = _Residual(
        site_arcs=[arcs.tolist() for arcs in members(instance.arc_site, len(instance.sites))],
        group_arcs=[arcs.tolist() for arcs in members(instance.arc_group, len(instance.groups))],
        arc_group=instance.arc_group.tolist(),
        arc_site=instance.arc_site.tolist(),
        flow=dict(zip(used.tolist(), assign[used].tolist(), strict=True)),
        unmet=dict(zip(short.tolist(), unmet[short].tolist(), strict=True)),
    )
    value = value.copy()
    for target in targets.tolist():
        value[target] = residual.capped_flow_into(target, instance.persons_per_room)
    return value


def sites_table(instance: Instance, assign: IntArray, open_sites: BoolArray) -> pd.DataFrame:
    """Every site: open, opened, persons, persons_disabled, free_rooms (0 where not open)."""
    sites = instance.sites
    site_count = len(sites)
    persons = np.bincount(instance.arc_site, weights=assign, minlength=site_count).astype(np.int64)
    disabled_arc = instance.disabled[instance.arc_group]
    persons_disabled = np.bincount(
        instance.arc_site, weights=np.where(disabled_arc, assign, 0), minlength=site_count
    ).astype(np.int64)
    rooms = sites["rooms"].to_numpy(np.int64)
    per_room = max(1, instance.persons_per_room)
    rooms_used = -(-persons // per_room)
    return pd.DataFrame(
        {
            "site_id": sites["site_id"],
            "street_id": sites["street_id"],
            "status": sites["status"],
            "open": open_sites,
            "opened": open_sites & (sites["status"] != "open").to_numpy(),
            "rooms": rooms,
            "capacity": sites["capacity"],
            "persons": persons,
            "persons_disabled": persons_disabled,
            "barrier_free": sites["barrier_free"],
            "free_rooms": np.where(open_sites, rooms - rooms_used, 0),
            "opening_cost": sites["opening_cost"],
        }
    )


def assignments_table(instance: Instance, assign: IntArray) -> pd.DataFrame:
    """home_id, street_id, site_id, group, persons, minutes of every arc carrying persons."""
    used = instance.arcs[assign > 0]
    groups = instance.groups.iloc[used["group"].to_numpy()]
    return pd.DataFrame(
        {
            "home_id": groups["home_id"].to_numpy(),
            "street_id": groups["street_id"].to_numpy(),
            "site_id": instance.sites["site_id"].to_numpy()[used["site"].to_numpy()],
            "group": groups["group"].to_numpy(),
            "persons": assign[assign > 0],
            "minutes": used["minutes"].to_numpy(float),
        }
    )


def unmet_table(instance: Instance, assign: IntArray, unmet: IntArray, barrier_free_for_disabled: bool) -> pd.DataFrame:
    """One row per group with unmet persons, its reason code and the full sites in its reach."""
    groups = instance.groups
    short = np.flatnonzero(unmet > 0)
    placed = np.bincount(instance.arc_site, weights=assign, minlength=len(instance.sites))
    full = (placed >= instance.capacity) & (instance.capacity > 0)
    arcs = instance.arcs
    binding = arcs[np.isin(arcs["group"].to_numpy(), short) & full[arcs["site"].to_numpy()]]
    binding_ids = (
        pd.Series(instance.sites["site_id"].astype(str).to_numpy()[binding["site"].to_numpy()], index=binding["group"])
        .groupby(level=0)
        .agg(lambda ids: ",".join(sorted(ids)))
    )
    rows = groups.iloc[short]
    no_room = ~rows["has_room_in_reach"].to_numpy(bool)
    no_barrier_free = rows["disabled"].to_numpy(bool) & ~rows["has_barrier_free_room_in_reach"].to_numpy(bool)
    no_barrier_free &= barrier_free_for_disabled
    reason = np.where(
        no_room, "no_room_in_reach", np.where(no_barrier_free, "no_barrier_free_room_in_reach", "rooms_used_up")
    )
    return pd.DataFrame(
        {
            "home_id": rows["home_id"].to_numpy(),
            "street_id": rows["street_id"].to_numpy(),
            "group": rows["group"].to_numpy(),
            "persons": unmet[short],
            "reason": reason,
            "binding_sites": np.where(
                reason == "rooms_used_up", pd.Series(short).map(binding_ids).fillna("").to_numpy(), ""
            ),
        }
    )


def streets_table(instance: Instance, open_sites: BoolArray, sites_per_street_min: int) -> pd.DataFrame:
    """Constraint (4) per street (every street of a site or a home): usable, open, required, met."""
    streets = instance.streets
    all_ids = pd.unique(pd.concat([instance.sites["street_id"], instance.groups["street_id"]], ignore_index=True))
    open_count = pd.Series(open_sites, index=instance.sites.index).groupby(instance.sites["street_id"]).sum()
    frame = pd.DataFrame({"street_id": all_ids})
    frame["usable_sites"] = frame["street_id"].map(streets["usable_sites"]).fillna(0).astype(np.int64)
    frame["open_sites"] = frame["street_id"].map(open_count).fillna(0).astype(np.int64)
    frame["required"] = frame["street_id"].map(streets["required"]).fillna(0).astype(np.int64)
    frame["met"] = frame["open_sites"] >= frame["required"]
    frame["rule_min"] = int(sites_per_street_min)
    return frame


def empty_tables() -> dict[str, pd.DataFrame]:
    """The stage's tables with their columns and no rows."""
    return {
        "sites": pd.DataFrame(
            columns=[
                "site_id",
                "street_id",
                "status",
                "open",
                "opened",
                "rooms",
                "capacity",
                "persons",
                "persons_disabled",
                "barrier_free",
                "free_rooms",
                "opening_cost",
            ]
        ),
        "assignments": pd.DataFrame(columns=["home_id", "street_id", "site_id", "group", "persons", "minutes"]),
        "unmet": pd.DataFrame(columns=["home_id", "street_id", "group", "persons", "reason", "binding_sites"]),
        "streets": pd.DataFrame(columns=["street_id", "usable_sites", "open_sites", "required", "met", "rule_min"]),
        "marginal": pd.DataFrame(columns=["site_id", "value", "unmet_group"]),
    }
