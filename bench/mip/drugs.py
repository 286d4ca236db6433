"""The drugs stage as one MIP over every drug class: max-min fill, shortfall, pack-minutes (:mod:`bench.mip`).

Formulation (sets and data as in :mod:`models.drugs`; all variables integer unless said)
----------------------------------------------------------------------------------------
One MIP over every drug class. ``q[d, i] >= 0`` packs, ``t_g in [0, 1]`` continuous per class.
(1) ``sum_i q <= stock_d``; (3) ``sum_d q <= need_i``; (4) ``sum_d q >= need_i t_g`` for priority
institutions in reach of a stocked depot. Phases: max ``sum_g t_g`` (the classes are independent, so
this maximises each); max packs allocated (= min total shortfall) with ``t_g`` held; min pack-minutes
with the packs held.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pulp

from bench.inputs import PRIORITY_KINDS, fill_table, filled_targets
from bench.mip.lp import MipOptions, PhaseRunner, grouped, integer_variables, linear, stage_result, values, variable
from models.base import Phase, StageResult, Status

FILL_TOLERANCE = 1e-7
"""A fill rate held from phase (i) is relaxed by this much (CBC's float optimum of a rational)."""


def drug_arcs(depots: pd.DataFrame, targets: pd.DataFrame, arcs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Depot rows (drug, depot_id, stock) and arcs (row of the depot, row of the target, minutes) per drug."""
    depot_rows = depots.groupby(["drug", "depot_id"], sort=False)["stock"].sum().reset_index()
    pairs = arcs.sort_values("minutes").drop_duplicates(["depot_id", "institution_id"])
    target_rows = pd.DataFrame(
        {"row": np.arange(len(targets)), "institution_id": targets["institution_id"], "drug": targets["drug"]}
    )
    joined = pairs.merge(target_rows, on="institution_id")
    depot_keys = pd.DataFrame(
        {"depot": np.arange(len(depot_rows)), "depot_id": depot_rows["depot_id"], "drug": depot_rows["drug"]}
    )
    joined = joined.merge(depot_keys, on=["depot_id", "drug"])
    joined = joined.rename(columns={"row": "target"})
    return depot_rows, joined[["depot", "target", "minutes", "drug"]].sort_values(["depot", "target"]).reset_index(
        drop=True
    )


def mip_drugs(
    depots: pd.DataFrame,
    targets: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    priority_kinds: tuple[str, ...] = PRIORITY_KINDS,
    options: MipOptions = MipOptions(),  # noqa: B008 - frozen dataclass, safe as a default
) -> StageResult:
    """The drugs stage as one MIP over every class (module docstring): max-min fill, shortfall, pack-minutes."""
    start = time.perf_counter()
    target_table = targets.reset_index(drop=True)
    need = target_table["need"].to_numpy(dtype=np.int64)
    depot_rows, arc_table = drug_arcs(depots, target_table, arcs)
    stock = depot_rows["stock"].to_numpy(dtype=np.int64)
    arc_table = arc_table[(stock[arc_table["depot"]] > 0) & (need[arc_table["target"]] > 0)].reset_index(drop=True)
    arc_depot, arc_target = arc_table["depot"].to_numpy(), arc_table["target"].to_numpy()
    stocked_reach = np.bincount(arc_target, minlength=len(target_table)) > 0
    priority = target_table["kind"].isin(priority_kinds).to_numpy() & (need > 0)
    in_max_min = priority & stocked_reach

    problem = pulp.LpProblem("drugs", pulp.LpMaximize)
    packs = integer_variables("q", np.minimum(stock[arc_depot], need[arc_target]))
    for d, positions in enumerate(grouped(arc_depot, len(depot_rows))):  # (1)
        if len(positions):
            problem += linear([packs[a] for a in positions]) <= int(stock[d])
    by_target = grouped(arc_target, len(target_table))
    allocated = [linear([packs[a] for a in positions]) for positions in by_target]
    for i in np.flatnonzero(need > 0):  # (3)
        if len(by_target[i]):
            problem += allocated[i] <= int(need[i])
    fill = {
        str(drug): variable(f"t_{index}", 0, 1)
        for index, drug in enumerate(pd.unique(target_table["drug"][in_max_min]))
    }
    drugs = target_table["drug"].astype(str).to_numpy()
    for i in np.flatnonzero(in_max_min):  # (4)
        problem += allocated[i] - int(need[i]) * fill[drugs[i]] >= 0
    build_seconds = time.perf_counter() - start

    runner = PhaseRunner(problem, options, [])
    total = linear(packs)
    best = runner.solve("lowest_fill_rate", "max", linear(list(fill.values()))) if fill else 0.0
    if not fill:
        runner.phases.append(Phase("lowest_fill_rate", "max", 1.0, 1.0, Status.OPTIMAL))
    if best is not None:
        for fill_rate in fill.values():
            fill_rate.lowBound = max(0.0, float(fill_rate.varValue or 0.0) - FILL_TOLERANCE)
        best = runner.solve("allocated", "max", total)
        if best is not None:
            problem += total >= round(best)
            runner.solve("pack_minutes", "min", linear(packs, arc_table["minutes"].to_numpy(float)))
    tables = None
    if runner.solved:
        tables = drug_tables(target_table, depot_rows, arc_table, values(packs), in_max_min, stocked_reach, priority)
    variables = len(packs) + len(fill)
    constraints = len(depot_rows) + int((need > 0).sum()) + int(in_max_min.sum())
    return stage_result(
        "drugs", runner, tables, time.perf_counter() - start, build_seconds, variables, constraints, len(arc_table)
    )


def drug_tables(
    target_table: pd.DataFrame,
    depot_rows: pd.DataFrame,
    arc_table: pd.DataFrame,
    packs: np.ndarray,
    in_max_min: np.ndarray,
    stocked_reach: np.ndarray,
    priority: np.ndarray,
) -> dict[str, pd.DataFrame]:
    """The ``targets``, ``allocations`` and ``fill`` tables (as the drugs model reports them) from the packs per arc."""
    allocated = np.bincount(arc_table["target"].to_numpy(), weights=packs, minlength=len(target_table)).astype(np.int64)
    targets_out = filled_targets(target_table, allocated, stocked_reach).assign(
        priority=priority, in_max_min=in_max_min
    )
    used = packs > 0
    shipped = arc_table[used]
    allocations = pd.DataFrame(
        {
            "depot_id": depot_rows["depot_id"].to_numpy()[shipped["depot"].to_numpy()],
            "institution_id": target_table["institution_id"].to_numpy()[shipped["target"].to_numpy()],
            "drug": shipped["drug"].to_numpy(),
            "quantity": packs[used],
            "minutes": shipped["minutes"].to_numpy(float),
        }
    )
    allocations["pack_minutes"] = allocations["quantity"] * allocations["minutes"]
    return {"targets": targets_out, "allocations": allocations, "fill": fill_table(targets_out, allocations)}
