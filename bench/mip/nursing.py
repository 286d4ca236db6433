"""The nursing stage as one MIP: one phase per tier, then the travel and crossing cost (:mod:`bench.mip`).

Formulation (sets and data as in :mod:`models.nursing`; all variables integer unless said)
------------------------------------------------------------------------------------------
``n[p, k] >= 0`` nurses of pool ``p`` at need ``k``. (1) ``sum_k n <= nurses_p``; (3)
``sum_p n <= required_k``. Phases: max nurses at tier 1, 2, 3 in turn; min ``sum (minutes +
crossing penalty) n``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pulp

from bench.mip.lp import MipOptions, PhaseRunner, grouped, integer_variables, linear, stage_result, values
from models.base import StageResult

NURSING_TIERS: tuple[str, ...] = ("transfer_1to1", "backfill", "self_care")


def mip_nursing(
    pools: pd.DataFrame,
    needs: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    crossing_penalty_minutes: float,
    tiers: tuple[str, ...] = NURSING_TIERS,
    options: MipOptions = MipOptions(),  # noqa: B008 - frozen dataclass, safe as a default
) -> StageResult:
    """The nursing stage as one MIP (module docstring): one phase per tier, then the travel and crossing cost."""
    start = time.perf_counter()
    pool_table = pools.reset_index(drop=True)
    nurses = pd.to_numeric(pool_table["nurses"]).fillna(0).astype(np.int64).to_numpy()
    need_table = needs.reset_index(drop=True)
    required = pd.to_numeric(need_table["required"]).fillna(0).astype(np.int64).to_numpy()
    pool_pos = pd.Series(np.arange(len(pool_table)), index=pool_table["pool_id"])
    need_pos = pd.Series(np.arange(len(need_table)), index=need_table["need_id"])
    arc_table = arcs.assign(pool=arcs["pool_id"].map(pool_pos), need=arcs["need_id"].map(need_pos))
    arc_table = arc_table.dropna(subset=["pool", "need"]).astype({"pool": np.int64, "need": np.int64})
    arc_table = arc_table.sort_values(["pool", "need", "minutes"]).drop_duplicates(["pool", "need"])
    arc_table = arc_table[required[arc_table["need"]] > 0].reset_index(drop=True)
    arc_pool, arc_need = arc_table["pool"].to_numpy(), arc_table["need"].to_numpy()
    crosses = pool_table["district_id"].to_numpy()[arc_pool] != need_table["district_id"].to_numpy()[arc_need]

    problem = pulp.LpProblem("nursing", pulp.LpMaximize)
    send = integer_variables("n", np.minimum(nurses[arc_pool], required[arc_need]))
    for p, positions in enumerate(grouped(arc_pool, len(pool_table))):  # (1)
        if len(positions):
            problem += linear([send[a] for a in positions]) <= int(nurses[p])
    for k, positions in enumerate(grouped(arc_need, len(need_table))):  # (3)
        if len(positions):
            problem += linear([send[a] for a in positions]) <= int(required[k])
    build_seconds = time.perf_counter() - start

    runner = PhaseRunner(problem, options, [])
    tier_of_arc = need_table["need"].to_numpy()[arc_need]
    for tier in tiers:
        served = linear([send[a] for a in np.flatnonzero(tier_of_arc == tier)])
        best = runner.solve(f"{tier} assigned", "max", served)
        if best is None:
            break
        problem += served >= round(best)
    else:
        cost = arc_table["minutes"].to_numpy(float) + np.where(crosses, crossing_penalty_minutes, 0.0)
        runner.solve("cost", "min", linear(send, cost))
    tables = None
    if runner.solved:
        sent = values(send)
        assigned = np.bincount(arc_need, weights=sent, minlength=len(need_table)).astype(np.int64)
        used = sent > 0
        tables = {
            "needs": need_table[["need_id", "destination_id", "need", "district_id", "required"]].assign(
                assigned=assigned, unmet=required - assigned
            ),
            "assignments": pd.DataFrame(
                {
                    "pool_id": pool_table["pool_id"].to_numpy()[arc_pool[used]],
                    "need_id": need_table["need_id"].to_numpy()[arc_need[used]],
                    "nurses": sent[used],
                    "minutes": arc_table["minutes"].to_numpy(float)[used],
                }
            ),
        }
    constraints = len(pool_table) + len(need_table)
    return stage_result(
        "nursing", runner, tables, time.perf_counter() - start, build_seconds, len(send), constraints, len(arc_table)
    )
