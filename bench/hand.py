"""The by-hand baseline: what a coordinator does without an optimiser, on the pipeline's own inputs.

Each rule below is a sequential, first-come-first-served procedure as a coordinator would run it with a
list and a map; none looks ahead. It sees the same needs and arcs as the optimiser
(:mod:`bench.inputs`), so the KPI differences are due to the method only.

observation
    Homes in id order; a home's disabled group first, then its other group. Each group goes to the
    nearest site with free rooms among its reachable sites — sites already open first, then candidate
    sites, nearest first within each — spilling to the next site when one fills up. With the
    barrier-free rule on, a disabled group only goes to barrier-free sites. A candidate that receives
    anyone is opened; afterwards, a street with fewer open sites than the rule asks gets its cheapest
    candidates opened (the rule is followed, nobody is moved).
ambulance
    No ambulance moves (each district's fleet after the plan is kept at today's stations, filled or
    thinned in station order only where the scenario changes its size). Homes in id order; each home's
    handshake station is its nearest station; the home is covered when the trip station -> home ->
    hospital is within the limit and the station still has the duty minutes for the home's round trips.
nursing
    Within each district, the pools' nurses are shared pro rata to need: every need gets
    ``floor(required * nurses / required_total)``, the nurses left over go one each to the largest
    remainders (largest remainder method; ties in need-id order); all needs are met where the
    district has enough. Needs in id order then take their nurses from the district's nearest pool with
    nurses left. No nurse crosses a district line.
drugs
    Per drug, every institution gets ``floor(need * stock / need_total)`` packs of the instance's whole
    depot stock (all of its need when the stock suffices), shipped from its nearest depot with stock
    left (institutions in id order), then from farther depots — also beyond the pipeline's k nearest
    depots, as a coordinator would; :func:`hand_plan` reports in its notes the shortfall the same rule
    leaves within the pipeline's arcs and the packs it shipped beyond them.

Every function returns a :class:`~models.base.StageResult` (status ``feasible``: a heuristic proves
nothing) whose tables carry the columns that :mod:`planner.report.kpis` reads, named as in the stage models.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from bench.inputs import (
    PRIORITY_KINDS,
    BenchInstance,
    MethodResult,
    MinutesFunction,
    fill_table,
    filled_targets,
    nursing_inputs,
    prepare_sites,
    run_method,
    site_arcs,
    station_caps,
)
from models.base import StageResult, Status

MINUTES_PER_DAY = 24 * 60
LIMIT_TOLERANCE = 1e-9
"""Minutes: a trip equal to the limit up to float noise is within it."""
GROUP_ORDER = {"disabled": 0, "other": 1}
"""A home's disabled group is placed before its other group."""


def _result(stage: str, tables: dict[str, pd.DataFrame], seconds: float, **stats: object) -> StageResult:
    """A heuristic stage result: status feasible, no objective or bound."""
    nan = math.nan
    return StageResult(stage, Status.FEASIBLE, nan, nan, nan, seconds, tables, stats={"seconds": seconds, **stats})


def _split_by(keys: np.ndarray, count: int) -> list[list[int]]:
    """Row positions of ``keys`` (ints in ``0..count-1``) per key, each list in the rows' order."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(count + 1))
    return [order[bounds[k] : bounds[k + 1]].tolist() for k in range(count)]


# --------------------------------------------------------------------------- observation


def _observation_arcs(arcs: pd.DataFrame, site_table: pd.DataFrame) -> pd.DataFrame:
    """Arcs to usable sites with a room, in the coordinator's order: home, open sites first, nearest first."""
    frame = site_arcs(arcs, site_table)
    frame["candidate"] = (site_table["status"].to_numpy() != "open")[frame["site"].to_numpy()]
    frame = frame.sort_values(["home_id", "site", "minutes"]).drop_duplicates(["home_id", "site"])
    return frame.sort_values(["home_id", "candidate", "minutes", "site_id"], kind="stable").reset_index(drop=True)


def _street_minimum(site_table: pd.DataFrame, open_sites: np.ndarray, sites_per_street_min: int) -> np.ndarray:
    """Open the cheapest candidates of each street that lacks ``min(sites_per_street_min, usable sites)`` open."""
    usable = site_table["usable"].to_numpy()
    streets = site_table["street_id"]
    usable_count = pd.Series(usable, index=site_table.index).groupby(streets).transform("sum").to_numpy()
    open_count = pd.Series(open_sites & usable, index=site_table.index).groupby(streets).transform("sum").to_numpy()
    deficit = np.minimum(sites_per_street_min, usable_count) - open_count
    closed_candidates = site_table[usable & ~open_sites & (deficit > 0)]
    ordered = closed_candidates.sort_values(["street_id", "opening_cost", "site_id"], kind="stable")
    rank = ordered.groupby("street_id").cumcount().to_numpy()
    chosen = ordered.index.to_numpy()[rank < deficit[ordered.index.to_numpy()]]
    result = open_sites.copy()
    result[chosen] = True
    return result


def hand_observation(
    groups: pd.DataFrame,
    sites: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    persons_per_room: int,
    sites_per_street_min: int,
    barrier_free_for_disabled: bool,
) -> StageResult:
    """Place every home's groups by hand (module docstring); tables ``sites``, ``assignments``, ``unmet``.

    Parameters
    ----------
    groups
        home_id, group (``disabled`` / ``other``), persons (street_id kept when given).
    sites
        site_id, street_id, rooms, barrier_free, status (``open`` / ``candidate`` / ``closed``), opening_cost.
    arcs
        home_id, site_id, minutes: the sites a home can reach (the pipeline's observation arcs).
    persons_per_room, sites_per_street_min, barrier_free_for_disabled
        The rules (DESIGN §2).
    """
    start = time.perf_counter()
    site_table = prepare_sites(sites, persons_per_room)
    ordered_arcs = _observation_arcs(arcs, site_table)
    home_codes, home_ids = pd.factorize(ordered_arcs["home_id"])
    arcs_of_home = dict(zip(home_ids, _split_by(home_codes, len(home_ids)), strict=True))
    arc_site = ordered_arcs["site"].to_numpy().tolist()
    arc_minutes = ordered_arcs["minutes"].to_numpy(dtype=float).tolist()
    barrier_free = site_table["barrier_free"].to_numpy().tolist()
    free = site_table["capacity"].where(site_table["usable"], 0).to_numpy(dtype=np.int64).tolist()

    queue = groups.assign(order=groups["group"].map(GROUP_ORDER).fillna(2)).sort_values(
        ["home_id", "order"], kind="stable"
    )
    placed: list[tuple[int, int, int, float]] = []  # (group row, site, persons, minutes)
    unmet: list[tuple[int, int, str]] = []  # (group row, persons, reason)
    for row, home_id, group, persons in zip(
        queue.index, queue["home_id"], queue["group"], queue["persons"].astype(np.int64), strict=True
    ):
        reachable = arcs_of_home.get(home_id, [])
        disabled_only_barrier_free = barrier_free_for_disabled and group == "disabled"
        allowed = [a for a in reachable if barrier_free[arc_site[a]]] if disabled_only_barrier_free else reachable
        left = int(persons)
        for arc in allowed:
            site = arc_site[arc]
            take = min(left, free[site])
            if take > 0:
                placed.append((row, site, take, arc_minutes[arc]))
                free[site] -= take
                left -= take
                if left == 0:
                    break
        if left > 0:
            reason = "rooms_used_up" if allowed else "no_room_in_reach"
            if reachable and not allowed:
                reason = "no_barrier_free_room_in_reach"
            unmet.append((row, left, reason))

    tables = _observation_tables(groups, site_table, placed, unmet, sites_per_street_min, persons_per_room)
    return _result("observation", tables, time.perf_counter() - start, arcs=len(ordered_arcs), groups=len(groups))


def _observation_tables(
    groups: pd.DataFrame,
    site_table: pd.DataFrame,
    placed: Sequence[tuple[int, int, int, float]],
    unmet: Sequence[tuple[int, int, str]],
    sites_per_street_min: int,
    persons_per_room: int,
) -> dict[str, pd.DataFrame]:
    placed_frame = pd.DataFrame(placed, columns=["row", "site", "persons", "minutes"])
    group_rows = groups.loc[placed_frame["row"].to_numpy()]
    assignments = pd.DataFrame(
        {
            "home_id": group_rows["home_id"].to_numpy(),
            "site_id": site_table["site_id"].to_numpy()[placed_frame["site"].to_numpy(dtype=np.int64)],
            "group": group_rows["group"].to_numpy(),
            "persons": placed_frame["persons"].to_numpy(dtype=np.int64),
            "minutes": placed_frame["minutes"].to_numpy(dtype=float),
        }
    )
    unmet_frame = pd.DataFrame(unmet, columns=["row", "persons", "reason"])
    unmet_rows = groups.loc[unmet_frame["row"].to_numpy()]
    unmet_table = pd.DataFrame(
        {
            "home_id": unmet_rows["home_id"].to_numpy(),
            "group": unmet_rows["group"].to_numpy(),
            "persons": unmet_frame["persons"].to_numpy(dtype=np.int64),
            "reason": unmet_frame["reason"].to_numpy(dtype=object),
        }
    )
    count = len(site_table)
    site_codes = placed_frame["site"].to_numpy(dtype=np.int64)
    weights = placed_frame["persons"].to_numpy(dtype=float)
    persons = np.bincount(site_codes, weights=weights, minlength=count).astype(np.int64)
    disabled = (group_rows["group"] == "disabled").to_numpy()
    persons_disabled = np.bincount(site_codes, weights=np.where(disabled, weights, 0.0), minlength=count)
    status = site_table["status"].to_numpy()
    usable = site_table["usable"].to_numpy()
    open_sites = usable & ((status == "open") | (persons > 0))
    open_sites = _street_minimum(site_table, open_sites, sites_per_street_min)
    rooms = site_table["rooms"].to_numpy(dtype=np.int64)
    rooms_used = -(-persons // max(1, persons_per_room))
    sites_out = pd.DataFrame(
        {
            "site_id": site_table["site_id"],
            "street_id": site_table["street_id"],
            "status": site_table["status"],
            "open": open_sites,
            "opened": open_sites & (status != "open"),
            "rooms": rooms,
            "persons": persons,
            "persons_disabled": persons_disabled.astype(np.int64),
            "barrier_free": site_table["barrier_free"],
            "free_rooms": np.where(open_sites, rooms - rooms_used, 0),
            "opening_cost": site_table["opening_cost"],
        }
    )
    return {"sites": sites_out, "assignments": assignments, "unmet": unmet_table}


# --------------------------------------------------------------------------- ambulance


def hand_fleet(stations: pd.DataFrame, fleet: pd.DataFrame) -> np.ndarray:
    """Ambulances per station after the plan without moves: today's, filled or thinned in station order.

    Only where a district's fleet changes size (``fleet``: district_id, ambulances_after) are ambulances added
    to the first stations with room under ``max_ambulances`` or taken from the first stations.
    """
    before = pd.to_numeric(stations["ambulances"]).fillna(0).astype(np.int64).to_numpy()
    cap = station_caps(stations)
    target = fleet.drop_duplicates("district_id").set_index("district_id")["ambulances_after"]
    after = before.copy()
    for _district, members in stations.reset_index(drop=True).groupby("district_id", sort=False).indices.items():
        positions = np.asarray(members, dtype=np.int64)
        wanted = int(target.get(_district, before[positions].sum()))
        missing = wanted - int(after[positions].sum())
        for position in positions.tolist():
            if missing > 0:
                room = cap[position] - after[position]
                add = int(min(missing, room)) if math.isfinite(room) else missing
                after[position] += max(add, 0)
                missing -= max(add, 0)
            elif missing < 0:
                drop = min(-missing, int(after[position]))
                after[position] -= drop
                missing += drop
    return after


def hand_ambulance(
    homes: pd.DataFrame,
    stations: pd.DataFrame,
    arcs: pd.DataFrame,
    fleet: pd.DataFrame,
    *,
    transfer_minutes_max: float,
    duty_share: float,
) -> StageResult:
    """Each home, in id order, to its nearest station of its district (module docstring).

    Parameters
    ----------
    homes
        home_id, district_id, hospital_id, daily_transfers.
    stations
        station_id, district_id, ambulances, max_ambulances.
    arcs
        station_id, home_id, trip_minutes, round_trip_minutes (the pipeline's ambulance arcs).
    fleet
        district_id, ambulances_after.
    transfer_minutes_max, duty_share
        The rules (DESIGN §2).
    """
    start = time.perf_counter()
    station_table = stations.reset_index(drop=True).copy()
    station_table["before"] = pd.to_numeric(station_table["ambulances"]).fillna(0).astype(np.int64)
    station_table["after"] = hand_fleet(station_table, fleet)
    capacity = station_table["after"].to_numpy(dtype=float) * MINUTES_PER_DAY * duty_share
    free = capacity.copy()
    station_pos = pd.Series(np.arange(len(station_table)), index=station_table["station_id"])
    district_of = station_table["district_id"].to_numpy()

    home_table = homes.reset_index(drop=True).copy()
    home_table["daily_transfers"] = pd.to_numeric(home_table["daily_transfers"]).fillna(0.0).astype(float)
    nearest = arcs.assign(station=arcs["station_id"].map(station_pos)).dropna(subset=["station"])
    nearest = nearest.astype({"station": np.int64})
    district_by_home = home_table.set_index("home_id")["district_id"]
    nearest = nearest[district_of[nearest["station"].to_numpy()] == nearest["home_id"].map(district_by_home).to_numpy()]
    nearest = nearest.sort_values(["home_id", "trip_minutes", "station_id"], kind="stable").drop_duplicates("home_id")
    nearest = nearest.set_index("home_id")

    order = home_table.sort_values("home_id", kind="stable").index
    chosen = home_table.loc[order, ["home_id"]].join(nearest, on="home_id")
    covered = np.zeros(len(home_table), dtype=bool)
    workload = np.zeros(len(station_table))
    reason = np.full(len(home_table), "no_station_in_reach", dtype=object)
    daily = home_table["daily_transfers"].to_numpy()
    for row, station, trip, round_trip in zip(
        order, chosen["station"], chosen["trip_minutes"], chosen["round_trip_minutes"], strict=True
    ):
        if pd.isna(station) or not trip <= transfer_minutes_max + LIMIT_TOLERANCE:
            continue
        at = int(station)
        load = daily[row] * float(round_trip)
        if load <= free[at] + 1e-9:
            covered[row] = True
            reason[row] = ""
            free[at] -= load
            workload[at] += load
        else:
            reason[row] = "station_workload"

    handshakes = home_table[["home_id", "district_id", "hospital_id", "daily_transfers"]].copy()
    picked = chosen.set_axis(order)
    handshakes["station_id"] = picked["station_id"].reindex(handshakes.index)
    handshakes["trip_minutes"] = picked["trip_minutes"].reindex(handshakes.index).astype(float)
    handshakes["round_trip_minutes"] = picked["round_trip_minutes"].reindex(handshakes.index).astype(float)
    handshakes["covered"] = covered
    handshakes["reason"] = reason
    stations_out = station_table[["station_id", "district_id", "before", "after"]].assign(
        moved_in=np.maximum(station_table["after"] - station_table["before"], 0),
        workload_minutes=workload,
        capacity_minutes=capacity,
    )
    tables = {"stations": stations_out, "handshakes": handshakes}
    return _result("ambulance", tables, time.perf_counter() - start, arcs=len(arcs))


# --------------------------------------------------------------------------- nursing


def pro_rata(required: np.ndarray, available: int) -> np.ndarray:
    """Share ``available`` units pro rata to ``required``: floors, then the largest remainders (ties: first rows).

    Everything is given where ``available >= sum(required)``.
    """
    required = np.asarray(required, dtype=np.int64)
    total = int(required.sum())
    if available >= total:
        return required.copy()
    if available <= 0:
        return np.zeros_like(required)
    share = required * available // total
    remainder = required * available % total
    leftover = available - int(share.sum())
    order = np.lexsort((np.arange(len(required)), -remainder))
    share[order[:leftover]] += 1
    return share


def hand_nursing(pools: pd.DataFrame, needs: pd.DataFrame, arcs: pd.DataFrame) -> StageResult:
    """Each district's nurses pro rata to its needs, each need served from its nearest pools (module docstring).

    Parameters
    ----------
    pools
        pool_id, district_id, nurses.
    needs
        need_id, destination_id, need, district_id, required.
    arcs
        pool_id, need_id, minutes (the pipeline's nursing arcs: every pool of the need's district among them).
    """
    start = time.perf_counter()
    pool_table = pools.reset_index(drop=True).copy()
    pool_table["nurses"] = pd.to_numeric(pool_table["nurses"]).fillna(0).astype(np.int64)
    need_table = needs.sort_values("need_id", kind="stable").reset_index(drop=True).copy()
    need_table["required"] = pd.to_numeric(need_table["required"]).fillna(0).astype(np.int64)
    nurses_in = pool_table.groupby("district_id")["nurses"].sum()
    share = np.zeros(len(need_table), dtype=np.int64)
    for district, members in need_table.groupby("district_id", sort=False).indices.items():
        positions = np.asarray(members, dtype=np.int64)
        share[positions] = pro_rata(need_table["required"].to_numpy()[positions], int(nurses_in.get(district, 0)))

    pool_pos = pd.Series(np.arange(len(pool_table)), index=pool_table["pool_id"])
    need_pos = pd.Series(np.arange(len(need_table)), index=need_table["need_id"])
    usable = arcs.assign(pool=arcs["pool_id"].map(pool_pos), need=arcs["need_id"].map(need_pos))
    usable = usable.dropna(subset=["pool", "need"]).astype({"pool": np.int64, "need": np.int64})
    same_district = (
        pool_table["district_id"].to_numpy()[usable["pool"].to_numpy()]
        == need_table["district_id"].to_numpy()[usable["need"].to_numpy()]
    )
    usable = usable[same_district].sort_values(["need", "minutes", "pool_id"], kind="stable")
    arcs_of_need = _split_by(usable["need"].to_numpy(), len(need_table))
    arc_pool = usable["pool"].to_numpy().tolist()
    arc_minutes = usable["minutes"].to_numpy(dtype=float).tolist()
    left = pool_table["nurses"].to_numpy().tolist()
    assigned = np.zeros(len(need_table), dtype=np.int64)
    sent: list[tuple[int, int, int, float]] = []
    for need, wanted in enumerate(share.tolist()):
        for arc in arcs_of_need[need]:
            if wanted == 0:
                break
            pool = arc_pool[arc]
            take = min(wanted, left[pool])
            if take > 0:
                sent.append((pool, need, take, arc_minutes[arc]))
                left[pool] -= take
                wanted -= take
                assigned[need] += take

    tables = _nursing_tables(pool_table, need_table, assigned, sent, nurses_in)
    return _result("nursing", tables, time.perf_counter() - start, arcs=len(usable))


def _nursing_tables(
    pool_table: pd.DataFrame,
    need_table: pd.DataFrame,
    assigned: np.ndarray,
    rows: Sequence[tuple[int, int, int, float]],
    nurses_in: pd.Series,
) -> dict[str, pd.DataFrame]:
    frame = pd.DataFrame(rows, columns=["pool", "need", "nurses", "minutes"])
    assignments = pd.DataFrame(
        {
            "pool_id": pool_table["pool_id"].to_numpy()[frame["pool"].to_numpy(dtype=np.int64)],
            "need_id": need_table["need_id"].to_numpy()[frame["need"].to_numpy(dtype=np.int64)],
            "nurses": frame["nurses"].to_numpy(dtype=np.int64),
            "minutes": frame["minutes"].to_numpy(dtype=float),
        }
    )
    unmet = need_table["required"].to_numpy() - assigned
    has_pool = need_table["district_id"].map(nurses_in).fillna(0).to_numpy() > 0
    needs_out = need_table[["need_id", "destination_id", "need", "required", "district_id"]].assign(
        assigned=assigned,
        unmet=unmet,
        reason=np.where(unmet > 0, np.where(has_pool, "pools_used_up", "no_pool_in_reach"), ""),
    )
    used = np.bincount(frame["pool"].to_numpy(dtype=np.int64), weights=frame["nurses"], minlength=len(pool_table))
    pools_out = pool_table[["pool_id", "district_id", "nurses"]].assign(used=used.astype(np.int64))
    return {"needs": needs_out, "assignments": assignments, "pools": pools_out}


# --------------------------------------------------------------------------- drugs


def hand_drugs(
    depots: pd.DataFrame,
    targets: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    priority_kinds: tuple[str, ...] = PRIORITY_KINDS,
    depot_minutes: MinutesFunction | None = None,
) -> StageResult:
    """Each drug's whole stock pro rata to need, shipped from the nearest depots (module docstring).

    Parameters
    ----------
    depots
        depot_id, drug, stock (district_id kept when given).
    targets
        institution_id, kind, district_id, drug, target, on_hand, need.
    arcs
        depot_id, institution_id, minutes (the pipeline's k nearest depots of each institution).
    priority_kinds
        Institutions whose lowest fill rate is reported (as the drugs model does).
    depot_minutes
        Minutes from any depot to an institution, used when its nearest depots have run out; without it the
        packs that the nearest depots cannot give stay short.
    """
    start = time.perf_counter()
    arc_table = arcs.sort_values(["institution_id", "minutes", "depot_id"], kind="stable")
    arc_table = arc_table.drop_duplicates(["institution_id", "depot_id"])
    parts = [
        _hand_drug(drug, depots[depots["drug"] == drug], targets[targets["drug"] == drug], arc_table, depot_minutes)
        for drug in pd.unique(targets["drug"])
    ]
    target_rows = pd.concat([p[0] for p in parts], ignore_index=True) if parts else pd.DataFrame()
    allocations = pd.concat([p[1] for p in parts], ignore_index=True) if parts else pd.DataFrame()
    depot_rows = pd.concat([p[2] for p in parts], ignore_index=True) if parts else pd.DataFrame()
    if not target_rows.empty:
        target_rows["priority"] = target_rows["kind"].isin(priority_kinds) & (target_rows["need"] > 0)
        target_rows["in_max_min"] = target_rows["priority"] & target_rows["stocked_reach"]
    tables = {
        "targets": target_rows,
        "allocations": allocations,
        "depots": depot_rows,
        "fill": fill_table(target_rows, allocations),
    }
    return _result("drugs", tables, time.perf_counter() - start, arcs=len(arc_table))


def _hand_drug(
    drug: str,
    depots: pd.DataFrame,
    targets: pd.DataFrame,
    arcs: pd.DataFrame,
    depot_minutes: MinutesFunction | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    depot_table = depots.groupby("depot_id", sort=False)["stock"].sum().reset_index()
    stock = depot_table["stock"].to_numpy(dtype=np.int64)
    institutions = targets.sort_values("institution_id", kind="stable").reset_index(drop=True)
    need = institutions["need"].to_numpy(dtype=np.int64)
    total_stock, total_need = int(stock.sum()), int(need.sum())
    share = need.copy() if total_stock >= total_need else need * total_stock // max(total_need, 1)

    depot_pos = pd.Series(np.arange(len(depot_table)), index=depot_table["depot_id"])
    institution_pos = pd.Series(np.arange(len(institutions)), index=institutions["institution_id"])
    usable = arcs.assign(depot=arcs["depot_id"].map(depot_pos), institution=arcs["institution_id"].map(institution_pos))
    usable = usable.dropna(subset=["depot", "institution"]).astype({"depot": np.int64, "institution": np.int64})
    stocked_reach = np.bincount(usable["institution"][stock[usable["depot"]] > 0], minlength=len(institutions)) > 0
    arcs_of = _split_by(usable["institution"].to_numpy(), len(institutions))
    arc_depot = usable["depot"].to_numpy().tolist()
    arc_minutes = usable["minutes"].to_numpy(dtype=float).tolist()
    left = stock.tolist()
    shipments: list[tuple[int, int, int, float]] = []
    allocated = np.zeros(len(institutions), dtype=np.int64)
    for position, wanted in enumerate(share.tolist()):
        for arc in arcs_of[position]:
            if wanted == 0:
                break
            take = min(wanted, left[arc_depot[arc]])
            if take > 0:
                shipments.append((arc_depot[arc], position, take, arc_minutes[arc]))
                left[arc_depot[arc]] -= take
                wanted -= take
        if wanted > 0 and depot_minutes is not None:
            wanted = _ship_from_farther(position, wanted, institutions, depot_table, left, depot_minutes, shipments)
        allocated[position] = share[position] - wanted

    target_rows = filled_targets(institutions, allocated, stocked_reach).assign(stocked_reach=stocked_reach)
    frame = pd.DataFrame(shipments, columns=["depot", "institution", "quantity", "minutes"])
    allocations = pd.DataFrame(
        {
            "depot_id": depot_table["depot_id"].to_numpy()[frame["depot"].to_numpy(dtype=np.int64)],
            "institution_id": institutions["institution_id"].to_numpy()[frame["institution"].to_numpy(dtype=np.int64)],
            "drug": drug,
            "quantity": frame["quantity"].to_numpy(dtype=np.int64),
            "minutes": frame["minutes"].to_numpy(dtype=float),
        }
    )
    allocations["pack_minutes"] = allocations["quantity"] * allocations["minutes"]
    depot_rows = depot_table.assign(drug=drug, shipped=stock - np.asarray(left, dtype=np.int64), remaining=left)
    return target_rows, allocations, depot_rows


def _ship_from_farther(
    position: int,
    wanted: int,
    institutions: pd.DataFrame,
    depot_table: pd.DataFrame,
    left: list[int],
    depot_minutes: MinutesFunction,
    shipments: list[tuple[int, int, int, float]],
) -> int:
    """Ship what the nearest depots could not give from the depots with stock left, nearest first."""
    stocked = np.flatnonzero(np.asarray(left) > 0)
    if not len(stocked):
        return wanted
    minutes = depot_minutes(str(institutions["institution_id"].iat[position]), depot_table["depot_id"].iloc[stocked])
    for index in np.argsort(minutes, kind="stable").tolist():
        depot = int(stocked[index])
        take = min(wanted, left[depot])
        shipments.append((depot, position, take, float(minutes[index])))
        left[depot] -= take
        wanted -= take
        if wanted == 0:
            break
    return wanted


# --------------------------------------------------------------------------- all four stages


def hand_plan(instance: BenchInstance) -> MethodResult:
    """The four stages by hand on ``instance`` (nursing needs from the hand observation result)."""
    runs = {"observation": _run_observation, "ambulance": _run_ambulance, "nursing": _run_nursing, "drugs": _run_drugs}
    result = run_method("hand", instance, runs)
    drugs = instance.drugs
    within_arcs = hand_drugs(drugs.depots, drugs.targets, drugs.arcs)
    notes = {
        "drug_shortfall_within_pipeline_arcs": int(within_arcs.table("targets")["shortfall"].sum()),
        "packs_shipped_beyond_pipeline_arcs": packs_beyond(result.stages["drugs"].table("allocations"), drugs.arcs),
    }
    return replace(result, notes=notes)


def _run_observation(instance: BenchInstance, _earlier: Mapping[str, StageResult]) -> StageResult:
    """:func:`hand_observation` on the instance's observation inputs."""
    rules = instance.rules
    return hand_observation(
        instance.observation.groups,
        instance.observation.sites,
        instance.observation.arcs,
        persons_per_room=rules.persons_per_room,
        sites_per_street_min=rules.sites_per_street_min,
        barrier_free_for_disabled=rules.barrier_free_for_disabled,
    )


def _run_ambulance(instance: BenchInstance, _earlier: Mapping[str, StageResult]) -> StageResult:
    """:func:`hand_ambulance` on the instance's ambulance inputs."""
    ambulance = instance.ambulance
    return hand_ambulance(
        ambulance.homes,
        ambulance.stations,
        ambulance.arcs,
        ambulance.fleet,
        transfer_minutes_max=instance.rules.transfer_minutes_max,
        duty_share=instance.rules.ambulance_duty_share,
    )


def _run_nursing(instance: BenchInstance, earlier: Mapping[str, StageResult]) -> StageResult:
    """:func:`hand_nursing` on the needs the hand observation result leaves."""
    nursing = nursing_inputs(instance, earlier["observation"])
    return hand_nursing(nursing.pools, nursing.needs, nursing.arcs)


def _run_drugs(instance: BenchInstance, _earlier: Mapping[str, StageResult]) -> StageResult:
    """:func:`hand_drugs` on the instance's drug inputs, shipping beyond the pipeline's arcs where needed."""
    drugs = instance.drugs
    return hand_drugs(drugs.depots, drugs.targets, drugs.arcs, depot_minutes=instance.depot_minutes())


def packs_beyond(allocations: pd.DataFrame, arcs: pd.DataFrame) -> int:
    """Packs shipped on depot -> institution pairs that are not among the pipeline's arcs."""
    known = pd.MultiIndex.from_frame(arcs[["depot_id", "institution_id"]])
    shipped = pd.MultiIndex.from_frame(allocations[["depot_id", "institution_id"]])
    return int(allocations["quantity"].to_numpy()[~shipped.isin(known)].sum())
