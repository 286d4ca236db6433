"""The nursing model of :mod:`models.nursing` day by day: what each day of a timeline counts.

Each day is the stage's model on that day's needs and the pools' nurses on duty: the same sets, variables,
constraints (1)-(4) and lexicographic objective (tiers in order, then the least cost), solved by the same
:func:`models.nursing.solve_instance`. Days do not share nurses (a nurse serves one need a day), so the days are
independent models; they share their pools, arcs and pair costs, which are indexed once for the horizon
(:func:`nurses_by_day`) and sliced per day (:func:`day_instance`), instead of once a day (city, 60 days: 49 days,
0.27 s of indexing a day's tables alone).

Only counts come out (no tables): the nurses assigned to each need row and sent from each pool on each day.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from models.flow import FloatArray, FlowError, IntArray, members, positions
from models.nursing import DEFAULT_TIERS, NursingInstance, build_instance, solve_instance
from models.pricing import AllPairs
from models.transport import MAX_PRICING_ROUNDS


@dataclasses.dataclass(frozen=True)
class DayNurses:
    """Nurses assigned to each row of the needs, sent from each row of the pools on each day (``days x pools``,
    days in ascending order: :attr:`days`), and each day's cost (minutes plus crossing penalties)."""

    assigned: IntArray
    sent_per_day: IntArray
    days: IntArray
    cost_minutes: FloatArray

    @property
    def sent(self) -> IntArray:
        """Nurses sent from each pool, summed over the days (one day: that day's)."""
        return np.asarray(self.sent_per_day.sum(axis=0), dtype=np.int64)


def nurses_by_day(
    pools: pd.DataFrame,
    needs: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    day: IntArray,
    tiers: tuple[str, ...] = DEFAULT_TIERS,
    crossing_penalty_minutes: float,
    seconds_per_day: float | None = None,
    all_pairs: AllPairs | None = None,
    pricing_rounds: int = MAX_PRICING_ROUNDS,
    after_day: Callable[[], object] | None = None,
) -> DayNurses:
    """Each day's plan of :func:`models.nursing.solve_nursing` on the rows of ``needs`` of that day, as counts.

    Parameters
    ----------
    pools, arcs, tiers, crossing_penalty_minutes, all_pairs
        As for :func:`models.nursing.solve_nursing`; the pools' nurses are those on duty each day.
    needs
        ``need_id, destination_id, need, district_id, required``, one row per need and day (a ``need_id`` may
        recur on other days, with its own ``required``).
    day
        The day of each row of ``needs``.
    seconds_per_day
        Time limit of a day's pricing (None: no limit).
    pricing_rounds
        Caps a day's pricing (0: none): the tiers' totals stay exact without it (they need no pricing), the least
        cost is then not proven.
    after_day
        Called after each day's model, solved or not (the pipeline hands the memory the day's flow freed back to
        the system: a national day's flow takes 0.25 GB, and what one day frees the next does not all reuse).

    Returns
    -------
    DayNurses
        Zeros for a day whose flow cannot be solved (its needs then show as short).
    """
    day = np.asarray(day, dtype=np.int64)
    if len(day) != len(needs):
        raise ValueError(f"Expected one day per need row, got {len(day)} days for {len(needs)} rows.")
    distinct = needs.drop_duplicates("need_id").assign(required=1)  # every need active: its nodes and arcs
    instance = build_instance(pools, distinct, arcs, tiers, crossing_penalty_minutes, all_pairs)
    need_of_row = positions(needs["need_id"], pd.Index(instance.needs["need_id"]))
    required = needs["required"].to_numpy(dtype=np.int64)
    if (required < 0).any():
        raise ValueError("Expected non-negative required counts.")
    days, day_index = np.unique(day, return_inverse=True)
    assigned = np.zeros(len(needs), np.int64)
    sent = np.zeros((len(days), instance.num_pools), np.int64)
    cost = np.zeros(len(days))
    for k, rows in enumerate(members(day_index.astype(np.int64), len(days))):
        rows = rows[required[rows] > 0]
        if not len(rows):
            continue
        one_day = day_instance(instance, need_of_row[rows], required[rows])
        deadline = None if seconds_per_day is None else time.perf_counter() + seconds_per_day
        try:
            solution = solve_instance(one_day, deadline, pricing_rounds)
        except FlowError:
            continue
        finally:
            if after_day is not None:
                after_day()
        assigned[rows] = solution.nurses_per_need(one_day.num_needs)
        sent[k] = solution.nurses_per_pool(instance.num_pools)
        cost[k] = solution.assignment.objective
    return DayNurses(assigned, sent, days.astype(np.int64), cost)


def day_instance(instance: NursingInstance, need: IntArray, required: IntArray) -> NursingInstance:
    """The instance of one day: the needs ``need`` (positions in ``instance.needs``, one node each, in this order)
    with ``required`` nurses, their listed arcs, and every pair of theirs when the instance allows every pair."""
    local = np.full(instance.num_needs, -1, np.int64)
    local[need] = np.arange(len(need))
    kept = local[instance.arc_need] >= 0
    needs = instance.needs.iloc[need].reset_index(drop=True)
    needs["required"] = np.asarray(required, dtype=np.int64)
    complete = instance.complete
    if complete is not None:
        complete = dataclasses.replace(
            complete,
            demand_location=complete.demand_location[need],
            demand_group=complete.demand_group[need] if complete.demand_group.size else complete.demand_group,
        )
    return dataclasses.replace(
        instance,
        needs=needs,
        all_needs=needs,
        tier_of_need=instance.tier_of_need[need],
        arc_pool=instance.arc_pool[kept],
        arc_need=local[instance.arc_need[kept]],
        arc_minutes=instance.arc_minutes[kept],
        arc_crosses=instance.arc_crosses[kept],
        complete=complete,
    )
