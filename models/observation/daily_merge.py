"""Cohorts merged where the daily capacity rows cannot tell them apart: an exact reduction of the daily model.

Row (2) of ``models.observation.daily`` for day ``t`` is implied by the row of day ``t + 1`` whenever no cohort is
present for the last time on ``t`` (every cohort present on ``t`` is then present on ``t + 1``, and the same
sites are open). The rows left are those of the **last days** ``K = {e_c - 1}`` (``e_c`` the first day after a
cohort's stay within the horizon); a cohort is present on a contiguous range of them. Cohorts of one group with
the same range have the same arcs, costs and entries in every row that is left, so the model over their sums is the
same model: the same optimum, the same bounds. Any split of a merged cohort's persons among its members is a plan
of the full model with the same objective, since a site's occupancy on any day is at most its occupancy on the
next last day, which the merged plan holds within capacity.

At the sample's default (14 days of observation over a 14-day horizon) every stay runs to the horizon's end: one
last day, and each group's cohorts become one (the snapshot's shape).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from models.flow import unique_ints
from models.observation.daily import Cohorts, PhaseOutcome
from models.observation.instance import IntArray


@dataclass(frozen=True)
class MergedCohorts:
    """``cohorts`` over the last days only (day ``k`` is ``last_days[k]``), and each original cohort's merged one."""

    cohorts: Cohorts
    merged_of: IntArray
    last_days: IntArray


def merge_cohorts(cohorts: Cohorts) -> MergedCohorts:
    """The cohorts merged by (group, range of last days present); the days reduced to the last days."""
    end = cohorts.end
    last_days = unique_ints(end - 1)
    first = np.searchsorted(last_days, cohorts.arrival, side="left")
    last = np.searchsorted(last_days, end - 1, side="left")
    keys = np.stack([cohorts.group, first, last])
    unique, merged_of = np.unique(keys, axis=1, return_inverse=True)
    merged_of = merged_of.ravel().astype(np.int64)
    persons = np.bincount(merged_of, weights=cohorts.persons, minlength=unique.shape[1]).astype(np.int64)
    merged = Cohorts(
        group=unique[0].astype(np.int64),
        arrival=unique[1].astype(np.int64),
        stay=(unique[2] - unique[1] + 1).astype(np.int64),
        persons=persons,
        horizon=len(last_days),
    )
    return MergedCohorts(merged, merged_of, last_days.astype(np.int64))


def spread(plan: PhaseOutcome, merged: MergedCohorts, cohorts: Cohorts) -> PhaseOutcome:
    """``plan`` of the merged cohorts as a plan of ``cohorts``: each merged cohort's placements, then its unmet
    persons, laid over its members in order of arrival (the north-west corner rule), so that earlier arrivals are
    placed first. Objective, bound and status are the plan's (the models are the same)."""
    members = np.lexsort((cohorts.arrival, merged.merged_of))
    member_end = np.cumsum(cohorts.persons[members])
    placed = plan.placed > 0
    short = np.flatnonzero(plan.unmet > 0)
    target_merged = np.concatenate([plan.cohort[placed], short])
    target_arc = np.concatenate([plan.arc[placed], np.full(len(short), -1, np.int64)])
    target_amount = np.concatenate([plan.placed[placed], plan.unmet[short]])
    order = np.lexsort((target_arc < 0, target_merged))
    target_end = np.cumsum(target_amount[order])
    if len(member_end) != 0 and (len(target_end) == 0 or target_end[-1] != member_end[-1]):
        raise ValueError("Expected the plan to place or leave unmet every person of the merged cohorts.")
    ends = unique_ints(member_end, target_end)
    amounts = np.diff(ends, prepend=0)
    member = members[np.searchsorted(member_end, ends, side="left")]
    target = order[np.searchsorted(target_end, ends, side="left")]
    arc = target_arc[target]
    at_site = arc >= 0
    unmet = np.bincount(member[~at_site], weights=amounts[~at_site], minlength=len(cohorts.group)).astype(np.int64)
    return replace(
        plan,
        columns=np.full(int(at_site.sum()), -1, np.int64),
        cohort=member[at_site],
        arc=arc[at_site],
        placed=amounts[at_site].astype(np.int64),
        unmet=unmet,
    )
