"""``solve_observation``: the three lexicographic phases in order, then the output tables."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from models.base import Phase, SolveOptions, StageResult, Status, stopwatch
from models.observation.facility import solve_phases
from models.observation.instance import (
    DEFAULT_OPTIONS,
    STAGE,
    TABLES_SECONDS_PER_ARC,
    TABLES_SHARE,
    Instance,
    prepare,
)
from models.observation.parts import Runner, in_threads, solve_parts, split
from models.observation.tables import (
    assignments_table,
    empty_tables,
    room_marginal,
    sites_table,
    streets_table,
    unmet_table,
)


def solve_observation(
    groups: pd.DataFrame,
    sites: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    persons_per_room: int,
    sites_per_street_min: int,
    barrier_free_for_disabled: bool,
    options: SolveOptions = DEFAULT_OPTIONS,
    cost_arcs_per_group: int | None = None,
    minutes_per_yuan: float = 1.0,
    prepared: Instance | None = None,
    run_apart: Runner = in_threads,
) -> StageResult:
    """Open observation sites and place every home's groups (package docstring: formulation and method).

    Parameters
    ----------
    groups
        home_id, street_id, group (``disabled`` / ``other``), persons: one row per home and group needing a site.
    sites
        site_id, street_id, rooms, barrier_free, status (``open`` / ``candidate`` / ``closed``), opening_cost.
    arcs
        home_id, site_id, minutes: the arcs the pipeline allows (transfer limit).
    persons_per_room, sites_per_street_min, barrier_free_for_disabled
        The rules (DESIGN §2).
    options
        Time limit (shared by the whole stage), seed and workers.
    cost_arcs_per_group
        Each group's cheapest arcs in the first LP of the column generation (default 8). Never a restriction of
        the model: every other arc is priced and enters when it pays.
    minutes_per_yuan
        Minutes one yuan of opening cost is worth in the phase (iii) objective (1.0: the design's yuan-equivalent
        minutes).
    prepared
        What ``models.observation.instance.prepare`` returns for these tables and rules, when the caller has it
        already (the pipeline's room probes read the same instance); built here otherwise.
    run_apart
        How independent parts are solved at once (``models.observation.parts``): threads unless the caller
        gives another runner.

    Returns
    -------
    StageResult
        Stage ``observation`` with phases ``unmet_disabled``, ``unmet_persons``, ``cost`` (exact minutes, with its
        bound on the full model) and the tables ``sites``, ``assignments``, ``unmet``, ``streets``, ``marginal``.
        Never raises on a shortage.
    """
    start = time.perf_counter()
    with stopwatch() as build:
        instance = prepared or prepare(
            groups, sites, arcs, persons_per_room, sites_per_street_min, barrier_free_for_disabled
        )
    reserve = max(TABLES_SHARE * options.time_limit_s, TABLES_SECONDS_PER_ARC * len(instance.arcs))
    deadline = start + options.time_limit_s - reserve
    with stopwatch() as solve:
        parts = split(instance)
        if len(parts) > 1:  # independent components: each apart, at once (models.observation.parts)
            found = solve_parts(
                instance,
                parts,
                deadline,
                workers=options.workers,
                minutes_per_yuan=minutes_per_yuan,
                start_arcs=cost_arcs_per_group,
                run=run_apart,
            )
        else:
            found = solve_phases(instance, deadline, minutes_per_yuan=minutes_per_yuan, start_arcs=cost_arcs_per_group)
        if isinstance(found, str):
            return StageResult.failed(STAGE, found, time.perf_counter() - start, empty_tables())
        unmet_disabled, unmet_total, plan = found
    tables = {
        "sites": sites_table(instance, plan.assign, plan.open_sites),
        "assignments": assignments_table(instance, plan.assign),
        "unmet": unmet_table(instance, plan.assign, plan.unmet, barrier_free_for_disabled),
        "streets": streets_table(instance, plan.open_sites, sites_per_street_min),
        "marginal": room_marginal(instance, plan.assign, plan.unmet),
    }
    phases = [
        Phase("unmet_disabled", "min", float(unmet_disabled), float(unmet_disabled), Status.OPTIMAL),
        Phase("unmet_persons", "min", float(unmet_total), float(unmet_total), Status.OPTIMAL),
        Phase("cost", "min", plan.objective, plan.bound, plan.status),
    ]
    opened = plan.open_sites & (instance.sites["status"] == "candidate").to_numpy()
    opening = float(instance.sites["opening_cost"].to_numpy(float)[opened].sum())
    stats = {
        "variables": len(instance.arcs) + len(instance.groups) + int(instance.sites["usable"].sum()),
        "arcs": len(instance.arcs),
        "groups": len(instance.groups),
        "sites": len(instance.sites),
        "opening_cost": opening,
        "opening_minutes": opening * minutes_per_yuan,
        "person_minutes": float(np.dot(instance.arcs["minutes"].to_numpy(float), plan.assign)),
        **plan.stats,
        "build_seconds": build["seconds"],
        "solve_seconds": solve["seconds"],
    }
    return StageResult.from_phases(STAGE, phases, tables, time.perf_counter() - start, stats)
