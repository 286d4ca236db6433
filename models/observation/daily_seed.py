"""The priced LP's first columns beside each cohort's cheapest arcs: the arcs of the peak day's relaxation.

Drop the rule that a cohort stays at one site for its whole stay and look at one day alone, the day with the most
persons present. That day is a min-cost flow: group ``g`` supplies its persons present, arc ``g -> s`` costs its
minutes (plus, at a free candidate, its opening per place ``f_s / cap_s``), site ``s -> sink`` holds ``cap_s``
(every usable site open), and ``g -> sink`` carries the unmet at a cost above any arc. The arcs that carry persons
are where the LP wants them once the nearest sites fill, which each cohort's cheapest arcs miss; every cohort of a
group starts with its pairs on its group's arcs of that flow.

Columns only, never a restriction: the LP is priced over every pair afterwards, so the start changes how long the
pricing takes, never the plan or its proof. Measured on the city, severe, 14 days (the weighted model's priced LP,
make_plan's observation stage, data seeds 1-5 and 7-9): each cohort's 4 cheapest arcs (before) 0.74-1.70 s; the 2
cheapest and the peak day's arcs 0.62-1.37 s (seed 7: 1.43 -> 1.17 s), 1.0 s faster in all; the 2 cheapest and the
arcs of every capacity day's flow (ten flows, 0.12 s) 0.71-1.28 s on seeds 1-5, slower than the peak day alone on
each; the 1 or 3 cheapest and the peak day's arcs slower than the 2 cheapest (seed 7: 1.07 / 0.84 / 0.69 s of LPs).
"""

from __future__ import annotations

import numpy as np

from models.flow import min_cost_flow
from models.observation.daily import DailyModel
from models.observation.daily_bounds import opening_per_place, site_roles
from models.observation.instance import IntArray

UNITS_PER_MINUTE = 100
"""Integer cost units of one minute in the relaxation's flow (a heuristic: the resolution only orders the arcs;
10 and 1 gave the same LP times)."""


def peak_day_pairs(model: DailyModel) -> IntArray:
    """Pair positions (cohort, arc), sorted, of every cohort on its group's arcs that carry persons in the peak
    day's relaxation (module docstring)."""
    instance, cohorts = model.instance, model.cohorts
    groups, sites = len(instance.groups), len(instance.sites)
    if not len(cohorts.group) or not len(instance.arc_group):
        return np.zeros(0, np.int64)
    must, free = site_roles(instance)
    per_place = opening_per_place(instance)
    arc_units = np.rint(
        (instance.arcs["minutes"].to_numpy(float) + per_place[instance.arc_site]) * UNITS_PER_MINUTE
    ).astype(np.int64)
    present = cohorts.present(np.arange(len(cohorts.group)), cohorts.group, cohorts.persons, groups)
    persons = present[:, int(np.argmax(present.sum(axis=0)))].astype(np.int64)
    sink = groups + sites
    flows = min_cost_flow(
        np.concatenate([instance.arc_group, groups + np.arange(sites), np.arange(groups)]),
        np.concatenate([groups + instance.arc_site, np.full(sites, sink), np.full(groups, sink)]),
        np.concatenate([persons[instance.arc_group], np.where(must | free, instance.capacity, 0), persons]),
        np.concatenate([arc_units, np.zeros(sites, np.int64), np.full(groups, int(arc_units.max()) + 1)]),
        np.concatenate([persons, np.zeros(sites, np.int64), [-int(persons.sum())]]),
    ).flows
    used = flows[: len(instance.arc_group)] > 0
    return np.flatnonzero(used[model.pair_arc])
