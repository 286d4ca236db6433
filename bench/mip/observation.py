"""The observation stage as one facility-location MIP, three phases (:mod:`bench.mip`).

Formulation (sets and data as in :mod:`models.observation`; all variables integer unless said)
----------------------------------------------------------------------------------------------
``x[g, s] >= 0`` persons of group ``g`` at site ``s`` on allowed arcs (usable sites with a room; disabled
groups only to barrier-free sites when the rule says so), ``y[s]`` binary open (fixed 1 for open sites),
``u[g] >= 0`` unmet. (1) ``sum_s x + u = persons_g``; (2) ``sum_g x <= cap_s y_s`` and
``x[g, s] <= min(persons_g, cap_s) y_s``; (4) ``sum_{s in street} y_s >= min(sites_per_street_min,
usable sites of the street)``. Phases: min unmet disabled; min unmet; min opening cost of candidates +
person-minutes.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import pulp

from bench.inputs import prepare_sites, site_arcs
from bench.mip.lp import (
    MipOptions,
    PhaseRunner,
    grouped,
    integer_variables,
    linear,
    stage_result,
    values,
    variable,
)
from models.base import StageResult


def observation_arcs(
    groups: pd.DataFrame, site_table: pd.DataFrame, arcs: pd.DataFrame, barrier_free_for_disabled: bool
) -> pd.DataFrame:
    """Allowed arcs (group, site, minutes): usable sites with a room, barrier-free only for disabled groups."""
    frame = site_arcs(arcs, site_table)
    group_rows = pd.DataFrame({"home_id": groups["home_id"].to_numpy(), "group": np.arange(len(groups))})
    frame = frame.merge(group_rows, on="home_id").sort_values(["group", "site", "minutes"])
    frame = frame.drop_duplicates(["group", "site"])
    if barrier_free_for_disabled:
        disabled = (groups["group"].to_numpy() == "disabled")[frame["group"].to_numpy()]
        frame = frame[~disabled | site_table["barrier_free"].to_numpy()[frame["site"].to_numpy()]]
    return frame[["group", "site", "minutes"]].reset_index(drop=True)


def mip_observation(
    groups: pd.DataFrame,
    sites: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    persons_per_room: int,
    sites_per_street_min: int,
    barrier_free_for_disabled: bool,
    options: MipOptions = MipOptions(),  # noqa: B008 - frozen dataclass, safe as a default
) -> StageResult:
    """The observation stage as one facility-location MIP (module docstring), three phases."""
    start = time.perf_counter()
    group_table = groups.reset_index(drop=True)
    persons = group_table["persons"].to_numpy(dtype=np.int64)
    disabled = (group_table["group"] == "disabled").to_numpy()
    site_table = prepare_sites(sites, persons_per_room)
    capacity = site_table["capacity"].to_numpy(dtype=np.int64)
    allowed = observation_arcs(group_table, site_table, arcs, barrier_free_for_disabled)
    arc_group, arc_site = allowed["group"].to_numpy(), allowed["site"].to_numpy()
    usable = np.flatnonzero(site_table["usable"].to_numpy())

    problem = pulp.LpProblem("observation", pulp.LpMinimize)
    assign = integer_variables("x", np.minimum(persons[arc_group], capacity[arc_site]))
    unmet = integer_variables("u", persons)
    already_open = (site_table["status"] == "open").to_numpy()
    open_site: dict[int, Any] = {  # (5) open sites stay open: lower bound 1
        int(s): variable(f"y_{s}", int(already_open[s]), 1, cat=pulp.LpInteger) for s in usable
    }
    constraints = 0
    for g, arcs_of_group in enumerate(grouped(arc_group, len(group_table))):  # (1) balance
        problem += linear([assign[a] for a in arcs_of_group] + [unmet[g]]) == int(persons[g])
        constraints += 1
    for s, arcs_of_site in enumerate(grouped(arc_site, len(site_table))):  # (2) capacity
        if len(arcs_of_site):
            problem += linear([assign[a] for a in arcs_of_site]) <= int(capacity[s]) * open_site[s]
            constraints += 1
    for a in range(len(allowed)):  # (2) valid inequality per arc
        problem += assign[a] <= int(min(persons[arc_group[a]], capacity[arc_site[a]])) * open_site[int(arc_site[a])]
    constraints += len(allowed)
    usable_streets = site_table.iloc[usable].groupby("street_id").indices
    for positions in usable_streets.values():  # (4) street minimum
        required = min(sites_per_street_min, len(positions))
        if required > 0:
            problem += linear([open_site[int(usable[p])] for p in positions]) >= required
            constraints += 1
    build_seconds = time.perf_counter() - start

    runner = PhaseRunner(problem, options, [])
    unmet_disabled = linear([unmet[g] for g in np.flatnonzero(disabled)])
    unmet_all = linear(unmet)
    candidates = [s for s in usable.tolist() if site_table["status"].iat[s] != "open"]
    cost = linear(
        [open_site[s] for s in candidates] + assign,
        np.concatenate([site_table["opening_cost"].to_numpy()[candidates], allowed["minutes"].to_numpy(dtype=float)]),
    )
    tables = None
    best = runner.solve("unmet_disabled", "min", unmet_disabled)
    if best is not None:
        problem += unmet_disabled <= round(best)
        best = runner.solve("unmet_persons", "min", unmet_all)
        if best is not None:
            problem += unmet_all <= round(best)
            runner.solve("cost", "min", cost)
    if runner.solved:
        opened = np.zeros(len(site_table), dtype=bool)
        opened[usable] = values([open_site[int(s)] for s in usable]) > 0
        tables = observation_tables(group_table, site_table, allowed, values(assign), values(unmet), opened)
    variables = len(assign) + len(unmet) + len(open_site)
    return stage_result(
        "observation", runner, tables, time.perf_counter() - start, build_seconds, variables, constraints, len(allowed)
    )


def observation_tables(
    groups: pd.DataFrame,
    site_table: pd.DataFrame,
    allowed: pd.DataFrame,
    assign: np.ndarray,
    unmet: np.ndarray,
    open_sites: np.ndarray,
) -> dict[str, pd.DataFrame]:
    """The ``assignments``, ``unmet`` and ``sites`` tables (as the observation model reports them) from the solution."""
    used = assign > 0
    arc_group, arc_site = allowed["group"].to_numpy()[used], allowed["site"].to_numpy()[used]
    assignments = pd.DataFrame(
        {
            "home_id": groups["home_id"].to_numpy()[arc_group],
            "site_id": site_table["site_id"].to_numpy()[arc_site],
            "group": groups["group"].to_numpy()[arc_group],
            "persons": assign[used],
            "minutes": allowed["minutes"].to_numpy(dtype=float)[used],
        }
    )
    short = unmet > 0
    unmet_table = pd.DataFrame(
        {
            "home_id": groups["home_id"].to_numpy()[short],
            "group": groups["group"].to_numpy()[short],
            "persons": unmet[short],
        }
    )
    count = len(site_table)
    persons = np.bincount(arc_site, weights=assign[used], minlength=count).astype(np.int64)
    is_disabled = groups["group"].to_numpy()[arc_group] == "disabled"
    persons_disabled = np.bincount(arc_site, weights=np.where(is_disabled, assign[used], 0), minlength=count)
    status = site_table["status"].to_numpy()
    sites_out = pd.DataFrame(
        {
            "site_id": site_table["site_id"],
            "street_id": site_table["street_id"],
            "status": site_table["status"],
            "open": open_sites,
            "opened": open_sites & (status != "open"),
            "rooms": site_table["rooms"],
            "persons": persons,
            "persons_disabled": persons_disabled.astype(np.int64),
            "barrier_free": site_table["barrier_free"],
            "opening_cost": site_table["opening_cost"],
        }
    )
    return {"sites": sites_out, "assignments": assignments, "unmet": unmet_table}
