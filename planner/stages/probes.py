"""What the next units of a scarce resource buy, measured on the stage's own model.

One unit is too small to say anything a coordinator can act on ("one more pack cuts the shortfall by 1"), so
each probe adds *enough* of a resource in one place, solves the stage's objective again and reports how far
each level of the lexicographic objective moves:

- rooms (:func:`room_probes`): every usable observation site of a district gets unlimited rooms; the
  unmet optimum of phases (i)-(ii) (disabled persons first, then everyone) is two maximum flows, and what a
  district's unlimited rooms add is read from their residual graphs
  (``models.observation.flows.gains_with_unlimited_rooms``: districts the minimum cut separates from the unmet
  persons gain nothing without a solve), so the persons the district's rooms can place are exact.
  The rooms it takes are those persons divided by the persons per room (rounded up); disabled persons need
  barrier-free rooms.
- nurses (:func:`nurse_probes`): the pools of a district get as many more nurses as there are unmet needs; the
  nursing model's tier phases (tiers in order, exact) are solved again and the unmet needs per tier compared.
- packs (:func:`pack_probes`): a depot gets as many more packs of a drug as the drug's shortfall; the drug's
  class is solved again (``models.drugs``: lowest fill rate of care homes and clinics, then the shortfall,
  then pack-minutes). Depots that reach the same institutions buy the same, so one solve serves them all; with
  every pair allowed (``all_pairs``, the pipeline's model) every depot reaches every institution, so the packs
  placed and the fill rates are the same for every depot and closed-form in the class's total stock
  (``models.drugs.complete_optima``): no solve at all.
- ambulances (:func:`ambulance_probes`): a district with homes not covered for want of ambulance time gets
  one, two, four more ambulances (:data:`AMBULANCE_STEPS`) until the covered transfers stop growing. The stage's
  model is one model per district (``models.ambulance``), so each probe solves that district alone, within
  :data:`AMBULANCE_PROBES_SECONDS` for all of them.

Each probe returns a table of effects ranked by the stage's lexicographic objective; the stage modules put
them into words (``planner.stages.<stage>.marginal_values``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from models.base import SolveOptions, StageResult

AMBULANCE_STEPS: tuple[int, ...] = (1, 2, 4)
"""The more ambulances a probe tries in one district, in this order (it stops when one more buys nothing)."""
AMBULANCE_DISTRICTS = 3
"""Districts probed for ambulances: those with the most daily transfers left uncovered (CP-SAT re-solves)."""
PROBE_OPTIONS = SolveOptions(time_limit_s=5.0)
AMBULANCE_PROBE_SECONDS = 1.0
"""Time limit of one ambulance probe (one district's model)."""
AMBULANCE_PROBES_SECONDS = 3.0
"""Seconds every ambulance probe of a plan may take together; probes not started by then are not made. Before, each
probe solved every district (its 1 s shared among them) and a congested sample city (``--time-limit 3``) spent 9.3 s
in nine of them."""


# --- observation ------------------------------------------------------------------------------------------------


def room_probes(inputs: Any, street_district: pd.Series) -> pd.DataFrame:
    """Per district: persons its sites could place with unlimited rooms, by group, and the rooms that takes.

    Parameters
    ----------
    inputs
        The observation stage's inputs (``planner.stages.observation.ObservationInputs``).
    street_district
        street_id -> district_id.

    Returns
    -------
    pandas.DataFrame
        ``district_id, disabled, other, rooms, barrier_free_rooms, same_as`` (persons placed, rooms needed, and
        the other districts whose rooms would buy exactly the same, comma-joined), one row per distinct effect,
        ranked: disabled persons first, then all persons, then fewer rooms; among equals, the district where
        more of the persons left without a room live comes first.
    """
    from models.flow import FlowError
    from models.observation.flows import gains_with_unlimited_rooms

    columns = ["district_id", "disabled", "other", "rooms", "barrier_free_rooms", "same_as"]
    instance = inputs.instance
    sites = instance.sites
    districts = sites["street_id"].map(street_district).fillna("").astype(str)
    groups = instance.groups
    living = groups["persons"].groupby(groups["street_id"].map(street_district).astype(str)).sum()
    per_room = max(1, int(inputs.persons_per_room))
    usable = np.flatnonzero(sites["usable"].to_numpy(bool) & (districts != "").to_numpy())
    by_district = pd.Series(usable).groupby(districts.to_numpy()[usable]).agg(list)  # sorted by district
    probed = [str(district) for district in by_district.index]
    site_sets = [np.asarray(positions, np.int64) for positions in by_district]
    try:  # a district gains nothing while everyone of a group is placed (no augmenting path: no solve)
        placed, gained = gains_with_unlimited_rooms(instance, np.ones(len(groups), bool), site_sets)
        _, gained_disabled = gains_with_unlimited_rooms(instance, instance.disabled, site_sets)
    except FlowError:
        return pd.DataFrame(columns=columns)
    if placed == int(instance.persons.sum()):
        return pd.DataFrame(columns=columns)
    rows = []
    for district, total, disabled in zip(probed, gained, gained_disabled, strict=True):
        if total <= 0:
            continue
        rows.append(
            {
                "district_id": str(district),
                "disabled": int(disabled),
                "other": int(total - disabled),
                "rooms": int(-(-total // per_room)),
                "barrier_free_rooms": int(-(-disabled // per_room)) if inputs.barrier_free_for_disabled else 0,
                "living": int(living.get(district, 0)),
            }
        )
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows)
    frame["persons"] = frame["disabled"] + frame["other"]
    frame = frame.sort_values(
        ["disabled", "persons", "rooms", "living"], ascending=[False, False, True, False], kind="stable"
    )
    return collapse_equal(frame, ["disabled", "other", "rooms", "barrier_free_rooms"], "district_id")[columns]


def collapse_equal(frame: pd.DataFrame, effect: list[str], name: str) -> pd.DataFrame:
    """One row per distinct ``effect`` (the first, in ``frame``'s order), the others' ``name`` in ``same_as``."""
    keys = frame[effect].astype(str).agg("|".join, axis=1)
    first = ~keys.duplicated()
    others = frame[name].astype(str).groupby(keys, sort=False).agg(lambda ids: ",".join(list(ids)[1:]))
    kept = frame[first].copy()
    kept["same_as"] = keys[first].map(others).to_numpy()
    return kept.reset_index(drop=True)


# --- nursing ----------------------------------------------------------------------------------------------------


def nurse_probes(inputs: Any, tiers: tuple[str, ...]) -> pd.DataFrame:
    """Per district with pools: the unmet needs its pools could meet with more nurses, by tier.

    The nursing model's instance is built once; each district's probe asks only its tier phases with the
    district's pools raised (``models.nursing.unmet_per_tier``: closed-form when every pool may serve every
    need, else one maximum flow per tier), never the cost phase: the probe reads only the unmet needs.

    Parameters
    ----------
    inputs
        The nursing stage's inputs (``planner.stages.nursing.NursingInputs``).
    tiers
        The need tiers in service order.

    Returns
    -------
    pandas.DataFrame
        ``district_id, nurses`` (the nurses it takes: one per need met), one column per tier (needs met) and
        ``same_as`` (the other districts whose pools would meet exactly the same, comma-joined), one row per
        distinct effect, ranked by the tiers in order; among equals, the district whose own needs exceed its
        pools' nurses the most comes first. When every pool may serve every need, every district's pools meet
        the same: one row.
    """
    from models.nursing import build_instance, unmet_per_tier

    columns = ["district_id", "nurses", *tiers, "same_as"]
    instance = build_instance(
        inputs.pools, inputs.needs, inputs.arcs, tiers, inputs.crossing_penalty_minutes, inputs.all_pairs
    )
    nurses = instance.nurses
    unmet = unmet_per_tier(instance, nurses)
    total = int(unmet.sum())
    if total == 0:
        return pd.DataFrame(columns=columns)
    pool_district = instance.pools["district_id"].astype(str).to_numpy()
    required = instance.needs.groupby(instance.needs["district_id"].astype(str))["required"].sum()
    held = pd.Series(nurses).groupby(pool_district).sum()
    rows = []
    for district in sorted(set(pool_district)):
        after = unmet_per_tier(instance, nurses + total * (pool_district == district))
        gains = {tier: int(before - now) for tier, before, now in zip(tiers, unmet, after, strict=True)}
        if sum(gains.values()) > 0:
            deficit = int(required.get(district, 0)) - int(held.get(district, 0))
            rows.append({"district_id": district, "nurses": sum(gains.values()), **gains, "deficit": deficit})
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows).sort_values([*tiers, "deficit"], ascending=False, kind="stable")
    return collapse_equal(frame, ["nurses", *tiers], "district_id")[columns]


# --- drugs ------------------------------------------------------------------------------------------------------


def lowest_fill(targets: pd.DataFrame) -> float:
    """The lowest fill rate of the priority institutions (care homes and clinics) with a need, those no stocked
    depot reaches included (the model leaves them out of its max-min: nothing it does reaches them); 1.0 when
    none has a need."""
    priority = targets[targets["priority"].astype(bool) & (targets["need"] > 0)]
    return float(priority["fill_rate"].min()) if not priority.empty else 1.0


FILL_STEP = 0.1
"""The next step of the lowest fill rate a pack probe asks for (62 % -> 70 %)."""


def step_packs(targets: pd.DataFrame, fill: float) -> tuple[float, int]:
    """The next fill step above ``fill`` (to the next multiple of :data:`FILL_STEP`, at most 1) and the packs the
    priority institutions lack to reach it: ``sum max(0, ceil(step * need) - allocated)``."""
    step = min(1.0, (np.floor(fill / FILL_STEP + 1e-9) + 1) * FILL_STEP)
    priority = targets[targets["priority"].astype(bool) & (targets["need"] > 0)]
    wanted = np.ceil(step * priority["need"].to_numpy(float) - 1e-9) - priority["allocated"].to_numpy(float)
    return float(step), int(np.clip(wanted, 0, None).sum())


def pack_probes(inputs: Any, result: StageResult, solve: Callable[[Any, SolveOptions], StageResult]) -> pd.DataFrame:
    """Per drug short and depot that can help: packs it could place with more stock, and the fill rates.

    Where the lowest fill rate of care homes and clinics is below 100 %, a first row says what the packs that
    lift it to its next step (:data:`FILL_STEP`) buy; the next row what enough packs for the whole shortfall buy.

    Parameters
    ----------
    inputs
        The drug stage's inputs (``planner.stages.drugs.DrugInputs``).
    result
        The stage's result (its ``fill``, ``targets`` and ``depots`` tables).
    solve
        The stage's solve function.

    Returns
    -------
    pandas.DataFrame
        ``drug, depot_id, packs, fill_before, fill_after, shortfall_before, same_as`` (other
        depots that buy exactly the same, comma-joined): per drug, ranked by the lowest fill rate reached, then
        the packs placed, then pack-minutes.
    """
    columns = ["drug", "depot_id", "packs", "fill_before", "fill_after", "shortfall_before", "same_as"]
    fill = result.table("fill").set_index("drug")
    solved_targets = result.table("targets")
    depots = result.table("depots")
    helpful = depots[depots["marginal_value"] > 0]
    groups: list[list[dict[str, Any]]] = []
    for drug, candidates in helpful.groupby("drug", sort=False):
        shortfall = int(fill["shortfall"].get(drug, 0))
        before = lowest_fill(solved_targets[solved_targets["drug"] == drug])
        if shortfall <= 0:
            continue
        targets = inputs.targets[(inputs.targets["drug"] == drug) & (inputs.targets["need"] > 0)]
        arcs = inputs.arcs[inputs.arcs["institution_id"].isin(targets["institution_id"])]
        every_pair = getattr(inputs, "all_pairs", None) is not None
        reach = (
            pd.Series(dtype=object)
            if every_pair
            else arcs.groupby("depot_id")["institution_id"].agg(lambda ids: tuple(sorted(map(str, ids))))
        )
        stock = inputs.depots[inputs.depots["drug"] == drug]
        _step, step = step_packs(solved_targets[solved_targets["drug"] == drug], before)
        amounts = [step, shortfall] if 0 < step < shortfall and before < 1.0 else [shortfall]
        by_reach: dict[tuple[str, ...], list[str]] = {}
        for depot in candidates["depot_id"].astype(str):
            key = () if every_pair else reach.get(depot, ())
            by_reach.setdefault(key, []).append(depot)
        for same in by_reach.values():
            minutes = arcs[arcs["depot_id"].isin(same)].groupby("depot_id")["minutes"].mean()
            ordered = sorted(same, key=lambda d: (float(minutes.get(d, np.inf)), d))
            rows: list[dict[str, Any]] = []
            for amount in amounts:
                in_depot = stock["depot_id"].astype(str) == ordered[0]
                more = stock["stock"].where(~in_depot, stock["stock"] + amount)
                probe = dataclasses.replace(inputs, depots=stock.assign(stock=more), targets=targets, arcs=arcs)
                placed, fill_after = _pack_effect(probe, solved_targets[solved_targets["drug"] == drug], solve)
                placed = min(placed, shortfall)
                if placed > 0 and (not rows or placed > int(rows[-1]["packs"])):
                    rows.append(
                        {
                            "drug": str(drug),
                            "depot_id": ordered[0],
                            "packs": placed,
                            "fill_before": before,
                            "fill_after": fill_after,
                            "shortfall_before": shortfall,
                            "same_as": ",".join(ordered[1:]),
                        }
                    )
            if rows:
                groups.append(rows)
    groups.sort(key=lambda rows: (-(rows[-1]["fill_after"] - rows[-1]["fill_before"]), -rows[-1]["packs"]))
    return pd.DataFrame([row for rows in groups for row in rows], columns=columns)


def _pack_effect(
    probe: Any, targets: pd.DataFrame, solve: Callable[[Any, SolveOptions], StageResult]
) -> tuple[int, float]:
    """Packs the ``probe``'s class places beyond the solved plan's (``targets``) and its lowest fill rate.

    With every pair allowed both are closed-form in the class's total stock (``models.drugs.complete_optima``), so
    no solve is needed; on listed arcs the stage's model is solved again.
    """
    if getattr(probe, "all_pairs", None) is None:
        solved = solve(probe, PROBE_OPTIONS)
        after = solved.table("fill").iloc[0]
        return int(targets["shortfall"].sum()) - int(after["shortfall"]), lowest_fill(solved.table("targets"))
    from models.drugs import complete_optima

    need = targets["need"].to_numpy(np.int64)
    priority = targets["priority"].to_numpy(bool) & (need > 0)
    rate, allocated = complete_optima(need, priority, int(probe.depots["stock"].sum()))
    return allocated - int(targets["allocated"].sum()), rate.value


# --- ambulances -------------------------------------------------------------------------------------------------


def ambulance_probes(
    inputs: Any, result: StageResult, solve: Callable[[Any, SolveOptions], StageResult]
) -> pd.DataFrame:
    """Per district with homes left uncovered for want of ambulance time (the :data:`AMBULANCE_DISTRICTS` with the
    most daily transfers uncovered): the fewest more ambulances of :data:`AMBULANCE_STEPS` that cover the most,
    each probe that district's model alone (:func:`district_inputs`; no constraint links two districts), all of
    them within :data:`AMBULANCE_PROBES_SECONDS`.

    Returns
    -------
    pandas.DataFrame
        ``district_id, ambulances, homes, daily_transfers`` (homes newly covered and their daily transfers),
        ranked by daily transfers covered, then fewer ambulances.
    """
    columns = ["district_id", "ambulances", "homes", "daily_transfers"]
    hand = result.table("handshakes")
    reason = hand["reason"] if "reason" in hand else pd.Series("", index=hand.index)
    short = hand[~hand["covered"].astype(bool) & (reason == "station_workload")]
    if short.empty:
        return pd.DataFrame(columns=columns)
    home_district = inputs.homes.set_index("home_id")["district_id"].astype(str)
    covered_before = hand[hand["covered"].astype(bool)]
    before_district = covered_before["home_id"].map(home_district)
    ends = time.perf_counter() + AMBULANCE_PROBES_SECONDS
    rows = []
    uncovered = short["daily_transfers"].groupby(short["home_id"].map(home_district)).sum()
    for district, wanted in uncovered.sort_values(ascending=False).head(AMBULANCE_DISTRICTS).items():
        own = district_inputs(inputs, str(district))
        in_district = covered_before[before_district == str(district)]
        homes_before, daily_before = len(in_district), float(in_district["daily_transfers"].sum())
        best: dict[str, Any] = {"district_id": str(district), "ambulances": 0, "homes": 0, "daily_transfers": 0.0}
        for extra in AMBULANCE_STEPS:
            seconds = min(AMBULANCE_PROBE_SECONDS, ends - time.perf_counter())
            if seconds <= 0:
                break
            probe = dataclasses.replace(
                own, fleet=own.fleet.assign(ambulances_after=own.fleet["ambulances_after"] + extra)
            )
            covered = solve(probe, SolveOptions(time_limit_s=seconds)).table("handshakes")
            covered = covered[covered["covered"].astype(bool)]
            daily = float(covered["daily_transfers"].sum()) - daily_before
            if daily > best["daily_transfers"] + 1e-9:
                best.update(ambulances=extra, homes=len(covered) - homes_before, daily_transfers=daily)
            elif best["ambulances"]:
                break  # one more ambulance bought nothing more
            if best["daily_transfers"] >= float(wanted) - 1e-9:
                break
        if best["ambulances"]:
            rows.append(best)
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["daily_transfers", "ambulances"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


def district_inputs(inputs: Any, district: str) -> Any:
    """The ambulance stage's inputs of one district: its homes, its stations, their arcs and its fleet (the model
    decomposes by district: ``models.ambulance``)."""
    homes = inputs.homes[inputs.homes["district_id"].astype(str) == district]
    stations = inputs.stations[inputs.stations["district_id"].astype(str) == district]
    arcs = inputs.arcs[
        inputs.arcs["home_id"].isin(homes["home_id"]) & inputs.arcs["station_id"].isin(stations["station_id"])
    ]
    fleet = inputs.fleet[inputs.fleet["district_id"].astype(str) == district]
    return dataclasses.replace(inputs, homes=homes, stations=stations, arcs=arcs, fleet=fleet)
