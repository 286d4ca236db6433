"""Independent checks of a plan file (``epiplan.plan/1`` JSON) against the dataset folder it was solved on.

Nothing of epiplan is imported: the checks read the JSON, the dataset's CSV files and the rules the plan carries,
as a coordinator's auditor would, and return the violations in words (an empty list when the plan holds).
"""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any

Plan = dict[str, Any]
TOLERANCE = 1e-6
STAY_RULE = {
    "mild": "observation_stay_days",
    "admission": "observation_stay_days",
    "rotation": "rotation_observation_days",
    "contact": "contact_central_isolation_days",
    "post_discharge": "post_discharge_observation_days",
    "inbound": "inbound_isolation_days",
}
"""The rule that sets each cause's length of stay."""
NURSING_TIERS = ("transfer_1to1", "backfill", "self_care")
PRIORITY_KINDS = ("care_home", "clinic")


def read_table(folder: Path, table: str) -> list[dict[str, str]]:
    with (folder / f"{table}.csv").open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


def occupancy(plan: Plan) -> dict[str, list[float]]:
    """Persons present per site and day of the horizon, from the stays."""
    horizon = plan["scenario"]["horizon_days"]
    present: dict[str, list[float]] = defaultdict(lambda: [0.0] * horizon)
    for stay in plan["observation"]["stays"]:
        for day in range(max(stay["arrival_day"], 0), min(stay["departure_day"], horizon)):
            present[stay["site_id"]][day] += stay["persons"]
    return present


def stay_problems(plan: Plan, folder: Path) -> list[str]:
    """Stays: the rule's length, within the horizon, at open sites, barrier-free for the disabled, within the
    capacity (rooms x persons per room; the stricter ``contact_persons_per_room`` when close contacts are placed)
    on every day."""
    rules, horizon = plan["rules"], plan["scenario"]["horizon_days"]
    sites = {site["site_id"]: site for site in plan["observation"]["sites"]}
    rooms = {row["site_id"]: int(row["rooms"]) for row in read_table(folder, "sites")}
    problems = []
    for stay in plan["observation"]["stays"]:
        site = sites.get(stay["site_id"])
        length = stay["departure_day"] - stay["arrival_day"]
        if stay["cause"] in STAY_RULE and length != max(1, rules[STAY_RULE[stay["cause"]]]):
            problems.append(f"stay of {length} days for cause {stay['cause']}: {stay}")
        if not 0 <= stay["arrival_day"] < horizon or stay["persons"] <= 0:
            problems.append(f"stay outside the horizon or without persons: {stay}")
        if site is None or not site["open"]:
            problems.append(f"stay at a site not open: {stay}")
        elif stay["group"] == "disabled" and rules["barrier_free_for_disabled"] and not site["barrier_free"]:
            problems.append(f"disabled persons at a site without barrier-free rooms: {stay}")
    per_room = rules["persons_per_room"]
    if any(stay["cause"] == "contact" for stay in plan["observation"]["stays"]):  # the stricter rule for every room
        per_room = min(per_room, rules["contact_persons_per_room"])
    for site_id, present in occupancy(plan).items():
        capacity = rooms[site_id] * per_room
        if sites[site_id]["capacity"] != capacity or max(present) > capacity:
            problems.append(f"site {site_id}: {max(present)} present, capacity {capacity} ({sites[site_id]})")
    return problems


def timeline_problems(plan: Plan) -> list[str]:
    """The timeline: ``short = max(0, needed - planned)``; a site's needed is its occupancy from the stays and its
    planned its capacity; the run-out days are the first short days; assigned never above needed."""
    present, sites = occupancy(plan), {site["site_id"]: site for site in plan["observation"]["sites"]}
    first_short: dict[tuple[str, str, str], int] = {}
    problems = []
    for row in plan["timeline"]:
        if abs(row["short"] - max(0.0, row["needed"] - row["planned"])) > TOLERANCE:
            problems.append(f"short is not max(0, needed - planned): {row}")
        if row["short"] > 0:
            key = (row["resource"], row["scope"], row["scope_id"])
            first_short[key] = min(first_short.get(key, row["day"]), row["day"])
        if row["resource"] == "observation_places" and row["scope"] == "site":
            needed = present.get(row["scope_id"], [0.0] * (row["day"] + 1))[row["day"]]
            if abs(row["needed"] - needed) > TOLERANCE or row["planned"] != sites[row["scope_id"]]["capacity"]:
                problems.append(f"site row is not the stays' occupancy against capacity ({needed}): {row}")
        if row["scope"] == "pool" and row["short"] > 0:
            problems.append(f"a pool sends more nurses than it has on duty: {row}")
        stock = row["resource"].startswith("stock:")
        if row["scope"] in ("district", "city") and not stock and row["planned"] > row["needed"] + TOLERANCE:
            problems.append(f"more planned than needed: {row}")
    written = {(row["resource"], row["scope"], row["scope_id"]): row["first_short_day"] for row in plan["run_out"]}
    if written != first_short:
        differing = sorted(set(written.items()) ^ set(first_short.items()))[:3]
        problems.append(f"run_out is not the timeline's first short days, e.g. {differing}")
    return problems


def nursing_problems(plan: Plan, folder: Path) -> list[str]:
    """Nursing: assignments add up to each need's assigned, never above required nor above a pool's nurses (a daily
    plan: those on duty a day, ``floor(nurses * nurse_work_days_per_week / 7)``); with every pool allowed for every
    need, a tier is served only when the tiers before it are, and no need is short while nurses are left; the
    stage (each need's peak day) is never less short of 1:1 nurses than the timeline on any one day."""
    nursing, problems = plan["nursing"], []
    per_need: Counter[str] = Counter()
    per_pool: Counter[str] = Counter()
    for assignment in nursing["assignments"]:
        per_need[assignment["need_id"]] += assignment["nurses"]
        per_pool[assignment["pool_id"]] += assignment["nurses"]
    for need in nursing["needs"]:
        if per_need[need["need_id"]] != need["assigned"] or need["assigned"] > need["required"]:
            problems.append(f"need assigned {need['assigned']}, assignments {per_need[need['need_id']]}: {need}")
    share = plan["rules"]["nurse_work_days_per_week"] / 7 if plan["scenario"]["plan"] == "daily" else 1
    nurses = {row["pool_id"]: math.floor(int(row["nurses"]) * share) for row in read_table(folder, "pools")}
    problems += [
        f"pool {pool} sends {sent} of {nurses[pool]}" for pool, sent in per_pool.items() if sent > nurses[pool]
    ]
    short = {
        tier: sum(n["required"] - n["assigned"] for n in nursing["needs"] if n["need"] == tier)
        for tier in NURSING_TIERS
    }
    served = {tier: sum(n["assigned"] for n in nursing["needs"] if n["need"] == tier) for tier in NURSING_TIERS}
    left = sum(nurses.values()) - sum(per_pool.values())
    for index, tier in enumerate(NURSING_TIERS):
        if short[tier] and (left > 0 or any(served[later] for later in NURSING_TIERS[index + 1 :])):
            problems.append(f"tier {tier} short by {short[tier]} with {left} nurses left, served {served}")
    short_by_day: Counter[int] = Counter()
    for row in plan["timeline"]:
        if row["resource"] == "nurses_1to1" and row["scope"] == "district":
            short_by_day[row["day"]] += row["short"]
    if short_by_day and max(short_by_day.values()) > short["transfer_1to1"] + TOLERANCE:
        # the stage asks each need's peak day of the same nurses: never less short than any one day
        problems.append(f"1:1 short {short['transfer_1to1']} in the stage, {max(short_by_day.values())} on a day")
    return problems


def drug_problems(plan: Plan, folder: Path) -> list[str]:
    """Drugs: shipments within each depot's stock (``floor(stock_factor * stock)``), allocations add up, within the
    need, shortfall = need - allocated; every pair allowed, so a class allocates ``min(need, stock)`` and its
    lowest priority fill rate is the largest the stock allows on the lattice ``k / need``."""
    drugs, factor, problems = plan["drugs"], plan["scenario"]["stock_factor"], []
    stock: Counter[tuple[str, str]] = Counter()
    for depot in read_table(folder, "depots"):
        for column, value in depot.items():
            if column.startswith("stock_"):
                packs = int(float(value or 0))  # the factor as written: 0.35 x 10,700 is 3,745, not its double's floor
                stock[(depot["depot_id"], column.removeprefix("stock_"))] += packs * Fraction(repr(factor)) // 1
    shipped: Counter[tuple[str, str]] = Counter()
    received: Counter[tuple[str, str]] = Counter()
    for allocation in drugs["allocations"]:
        shipped[(allocation["depot_id"], allocation["drug"])] += allocation["quantity"]
        received[(allocation["institution_id"], allocation["drug"])] += allocation["quantity"]
    problems += [f"depot {key} ships {q} of {stock[key]}" for key, q in shipped.items() if q > stock[key]]
    needs: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for target in drugs["targets"]:
        need = max(0, target["target"] - target["on_hand"])
        allocated = target["allocated"]
        if received[(target["institution_id"], target["drug"])] != allocated or not 0 <= allocated <= need:
            problems.append(f"allocated {allocated} of need {need}: {target}")
        if target["shortfall"] != need - allocated:
            problems.append(f"shortfall is not need - allocated: {target}")
        needs[target["drug"]].append((need, allocated, target["kind"]))
    for drug, rows in needs.items():
        total = sum(amount for (_, kind), amount in stock.items() if kind == drug)
        if sum(a for _, a, _ in rows) != min(sum(n for n, _, _ in rows), total):
            problems.append(f"{drug}: allocated {sum(a for _, a, _ in rows)}, need and stock allow more")
        priority = [(n, a) for n, a, kind in rows if kind in PRIORITY_KINDS and n > 0]
        if priority and sum(n for n, _ in priority) <= 200_000:
            lowest = min(Fraction(a, n) for n, a in priority)
            if lowest != _largest_rate(sorted(n for n, _ in priority), total):
                problems.append(f"{drug}: lowest priority fill rate {float(lowest)} is not the largest achievable")
    return problems


def _largest_rate(needs: list[int], stock: int) -> Fraction:
    """The largest ``k / n`` (``n`` a need) with ``sum ceil(t * need) <= stock``."""
    candidates = sorted({Fraction(k, n) for n in set(needs) for k in range(n + 1)})
    low, high = 0, len(candidates) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if sum(math.ceil(candidates[middle] * n) for n in needs) <= stock:
            low = middle
        else:
            high = middle - 1
    return candidates[low]


def testing_problems(plan: Plan) -> list[str]:
    """Testing: each street's points are its point rows, never above the rule's most; a street met is within the
    rule's range; no lab over its capacity."""
    testing, problems = plan["testing"], []
    points = Counter(point["street_id"] for point in testing["points"])
    for street in testing["streets"]:
        inside = street["required_min"] <= street["points"] <= street["required_max"]
        if points[street["street_id"]] != street["points"] or street["points"] > street["required_max"]:
            problems.append(f"street points {points[street['street_id']]}: {street}")
        if street["met"] and not inside:
            problems.append(f"street met outside the rule's range: {street}")
    problems += [
        f"lab over capacity: {lab}" for lab in testing["labs"] if lab["load_per_day"] > lab["capacity_per_day"]
    ]
    return problems


def checklist_problems(plan: Plan) -> list[str]:
    """The checklist: within each rule, ``met`` reads one sense (``planned >= required`` or ``<=``, false where
    either is null) on every row; the ambulances' covered homes are within the transfer limit."""
    problems = []
    senses: dict[str, set[str]] = defaultdict(lambda: {"at_least", "at_most"})
    for row in plan["compliance"]:
        planned, required = row["planned"], row["required"]  # null: nothing planned (a home no ambulance covers)
        reads = planned is not None and required is not None
        holds = {"at_least": reads and planned >= required, "at_most": reads and planned <= required}
        senses[row["rule_id"]] &= {sense for sense, value in holds.items() if value == row["met"]}
    problems += [f"rule {rule}: met reads no one sense on its rows" for rule, left in senses.items() if not left]
    limit = plan["rules"]["transfer_minutes_max"]
    problems += [
        f"covered beyond the transfer limit: {handshake}"
        for handshake in plan["ambulance"]["handshakes"]
        if handshake["covered"] and handshake["trip_minutes"] > limit + TOLERANCE
    ]
    return problems


def plan_file_problems(plan: Plan, folder: Path) -> list[str]:
    """Every violation of a day-by-day plan file against its dataset folder."""
    return [
        *stay_problems(plan, folder),
        *timeline_problems(plan),
        *nursing_problems(plan, folder),
        *drug_problems(plan, folder),
        *testing_problems(plan),
        *checklist_problems(plan),
    ]
