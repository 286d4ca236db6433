"""Sampling teams to the care homes they sample on site (a transportation problem, min-cost flow).

Pure: plain tables in, tables and phases out; ``models.testing`` adds them to the stage's result.

Sets and data
-------------
- districts ``d`` with ``t_d`` sampling teams based at the district's centre; a team takes ``C`` NAT samples a
  day at homes (the rule ``tests_per_sampling_team_day``), so district ``d`` has ``a_d = t_d * C`` a day;
- care homes ``h`` of district ``d(h)`` sampled on site, each needing ``n_h`` NAT samples a day (its staff and
  residents' NAT tests a week by its management, which follows its district's level, over 7, rounded up);
- arcs ``d -> h``: the home's own district, and when the rule ``sampling_team_backup_districts`` is ``k > 0``
  the ``k`` districts whose centres are nearest to the centre of ``d(h)`` (backup arcs); ``dist_dh`` the
  great-circle km from ``d``'s centre to the home, costed as ``u_dh = rint(10 * dist_dh)`` (100 m units).

Model
-----
``f_dh >= 0`` samples a day that district ``d``'s teams take at home ``h``; ``s_h >= 0`` its unsampled tests.

1. ``sum_d f_dh + s_h = n_h`` for every home (a named shortfall: never infeasible);
2. ``sum_h f_dh <= a_d`` for every district.

Objective, lexicographic: (i) minimise ``sum_h s_h`` (unsampled tests); (ii) minimise the tests sampled by
backup teams (territorial responsibility first); (iii) minimise ``sum u_dh f_dh`` (test-km x 10).

Method (exact): (i) is a maximum flow source -> districts (capacity ``a_d``) -> homes -> sink (capacity
``n_h``); (ii)-(iii) are one min-cost flow of that maximum value with unit cost ``u_dh`` on own arcs and
``W + u_dh`` on backup arcs, ``W = 1 + sum_h n_h * max_d u_dh`` (more than any plan's total test-km, so one
backup test more never pays for shorter walks). Integral data give integral optima: every phase is optimal.

Output tables: ``teams`` (district_id, home_id, home_district_id, tests_per_day, teams, km, backup),
``team_homes`` (home_id, district_id, tests_per_day, sampled, unsampled) and ``team_districts``
(district_id, teams_available, capacity_per_day, tests_needed, tests_sampled, unsampled, teams_needed,
teams_short, extra_teams, lent, borrowed): ``teams_needed = ceil(need / C)`` teams would sample the district's
homes on their own, ``teams_short = max(0, teams_needed - teams_available)``, and ``extra_teams =
ceil(unsampled / C)`` more teams in the district would sample what the plan leaves unsampled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.base import Phase, Status
from models.flow import MAX_COST_UNITS, Network
from models.geo import km

UNITS_PER_KM = 10
"""Cost resolution: 100 m."""
TEAM_COLUMNS = ("district_id", "home_id", "home_district_id", "tests_per_day", "teams", "km", "backup")
HOME_COLUMNS = ("home_id", "district_id", "tests_per_day", "sampled", "unsampled")
DISTRICT_COLUMNS = (
    "district_id",
    "teams_available",
    "capacity_per_day",
    "tests_needed",
    "tests_sampled",
    "unsampled",
    "teams_needed",
    "teams_short",
    "extra_teams",
    "lent",
    "borrowed",
)


@dataclass(frozen=True)
class TeamParams:
    """The rules the team model needs: samples a team takes a day, and how many neighbours may back a district."""

    tests_per_team_day: int
    backup_districts: int


@dataclass(frozen=True)
class TeamOutcome:
    """The three tables and the three phases of the team model."""

    tables: dict[str, pd.DataFrame]
    phases: list[Phase]
    arcs: int


def team_arcs(districts: pd.DataFrame, homes: pd.DataFrame, backup: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arcs ``(district index, home index, is backup)``: own district, then its ``backup`` nearest by centre."""
    index = pd.Index(districts["district_id"].astype(str))
    own = index.get_indexer(pd.Index(homes["district_id"].astype(str)))
    known = np.flatnonzero(own >= 0)
    tails, heads, flags = [own[known]], [known], [np.zeros(len(known), bool)]
    k = min(max(int(backup), 0), len(districts) - 1)
    if k > 0 and len(known):
        lat, lon = districts["lat"].to_numpy(float), districts["lon"].to_numpy(float)
        between = km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        np.fill_diagonal(between, np.inf)
        nearest = np.argsort(between, axis=1, kind="stable")[:, :k]
        tails.append(nearest[own[known]].ravel())
        heads.append(np.repeat(known, k))
        flags.append(np.ones(len(known) * k, bool))
    return np.concatenate(tails), np.concatenate(heads), np.concatenate(flags)


def tables_of(
    districts: pd.DataFrame,
    homes: pd.DataFrame,
    params: TeamParams,
    tails: np.ndarray,
    heads: np.ndarray,
    backup: np.ndarray,
    flows: np.ndarray,
) -> dict[str, pd.DataFrame]:
    """``teams``, ``team_homes`` and ``team_districts`` from the flow on every arc."""
    capacity = max(int(params.tests_per_team_day), 1)
    need = homes["tests_per_day"].to_numpy(np.int64)
    sampled = np.bincount(heads, flows, len(homes)).astype(np.int64)
    used = flows > 0
    d_ids = districts["district_id"].astype(str).to_numpy(dtype=object)
    h_ids = homes["home_id"].astype(str).to_numpy(dtype=object)
    h_district = homes["district_id"].astype(str).to_numpy(dtype=object)
    lat, lon = districts["lat"].to_numpy(float), districts["lon"].to_numpy(float)
    h_lat, h_lon = homes["lat"].to_numpy(float), homes["lon"].to_numpy(float)
    t, h = tails[used], heads[used]
    teams = pd.DataFrame(
        {
            "district_id": d_ids[t],
            "home_id": h_ids[h],
            "home_district_id": h_district[h],
            "tests_per_day": flows[used].astype(np.int64),
            "teams": np.round(flows[used] / capacity, 3),
            "km": np.round(km(lat[t], lon[t], h_lat[h], h_lon[h]), 1),
            "backup": backup[used],
        },
        columns=list(TEAM_COLUMNS),
    )
    team_homes = pd.DataFrame(
        {
            "home_id": h_ids,
            "district_id": h_district,
            "tests_per_day": need,
            "sampled": sampled,
            "unsampled": need - sampled,
        },
        columns=list(HOME_COLUMNS),
    )
    index = pd.Index(d_ids)
    own = np.asarray(index.get_indexer(pd.Index(h_district)), dtype=np.int64)
    known = own >= 0
    n_d = len(districts)
    needed = np.bincount(own[known], need[known], n_d).astype(np.int64)
    done = np.bincount(own[known], sampled[known], n_d).astype(np.int64)
    lent = np.bincount(t[backup[used]], flows[used][backup[used]], n_d).astype(np.int64)
    borrowed_by_home = np.bincount(h[backup[used]], flows[used][backup[used]], len(homes))
    borrowed = np.bincount(own[known], borrowed_by_home[known], n_d).astype(np.int64)
    available = districts["teams"].to_numpy(np.int64)
    teams_needed = -(-needed // capacity)
    unsampled = needed - done
    team_districts = pd.DataFrame(
        {
            "district_id": d_ids,
            "teams_available": available,
            "capacity_per_day": available * capacity,
            "tests_needed": needed,
            "tests_sampled": done,
            "unsampled": unsampled,
            "teams_needed": teams_needed,
            "teams_short": np.maximum(teams_needed - available, 0),
            "extra_teams": -(-unsampled // capacity),
            "lent": lent,
            "borrowed": borrowed,
        },
        columns=list(DISTRICT_COLUMNS),
    )
    return {"teams": teams, "team_homes": team_homes, "team_districts": team_districts}


def assign_teams(districts: pd.DataFrame, homes: pd.DataFrame, params: TeamParams) -> TeamOutcome:
    """Solve the three phases (module docstring) exactly.

    Parameters
    ----------
    districts
        district_id, lat, lon (the teams' base), teams (count).
    homes
        home_id, district_id, lat, lon, tests_per_day (integer NAT samples a day taken on site).
    params
        Samples per team-day and the backup districts.
    """
    need = homes["tests_per_day"].to_numpy(np.int64)
    tails, heads, backup = team_arcs(districts, homes, params.backup_districts)
    supply = districts["teams"].to_numpy(np.int64) * int(params.tests_per_team_day)
    n_d, n_h = len(districts), len(homes)
    source, sink = 0, 1 + n_d + n_h
    network = Network(sink + 1)
    network.add_arcs(source, 1 + np.arange(n_d), supply)
    lat, lon = districts["lat"].to_numpy(float), districts["lon"].to_numpy(float)
    dist = km(lat[tails], lon[tails], homes["lat"].to_numpy(float)[heads], homes["lon"].to_numpy(float)[heads])
    scale = float(UNITS_PER_KM)
    units = np.rint(dist * scale).astype(np.int64)
    worst = np.zeros(n_h, np.int64)
    np.maximum.at(worst, heads, units)
    weight = 1 + int((need * worst).sum())
    while len(units) and weight + int(units.max()) > MAX_COST_UNITS:  # pragma: no cover - beyond any country
        scale /= 10
        units = np.rint(dist * scale).astype(np.int64)
        worst[:] = 0
        np.maximum.at(worst, heads, units)
        weight = 1 + int((need * worst).sum())
    arcs = network.add_arcs(1 + tails, 1 + n_d + heads, need[heads], units + weight * backup)
    network.add_arcs(1 + n_d + np.arange(n_h), sink, need)
    total = int(need.sum())
    sampled = network.max_flow().solve(source, sink) if len(tails) else 0
    flows = np.zeros(len(tails), np.int64)
    if sampled > 0:
        network.add_supplies([source, sink], [sampled, -sampled])
        flows = network.min_cost_flow().flows[arcs]
    by_backup = int(flows[backup].sum())
    test_km_x10 = float((flows * units).sum()) * UNITS_PER_KM / scale
    phases = [
        Phase("care_home_tests_unsampled", "min", float(total - sampled), float(total - sampled), Status.OPTIMAL),
        Phase("care_home_tests_by_backup", "min", float(by_backup), float(by_backup), Status.OPTIMAL),
        Phase("team_test_km_x10", "min", test_km_x10, test_km_x10, Status.OPTIMAL),
    ]
    tables = tables_of(districts, homes, params, tails, heads, backup, flows)
    return TeamOutcome(tables, phases, len(tails))


__all__ = ["TeamOutcome", "TeamParams", "assign_teams", "tables_of", "team_arcs"]
