"""The Lagrangian relaxation of phase (iii): its parts by hand, and its bound and penalties against brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from observation_brute import brute_force, core_of, open_sets, transport_cost
from test_observation import arcs_frame, groups_frame, instances, sites_frame

from models.observation.lagrangian import (
    arc_penalties,
    ascend,
    evaluate,
    knapsacks,
    site_penalties,
    starting_multipliers,
    unmet_value,
)

TOLERANCE = 1e-6


def test_knapsack_takes_the_cheapest_reduced_costs_up_to_the_rooms() -> None:
    # One site of 5 rooms; three groups of 4: reduced costs -3, -1, +2 -> 4 persons at -3, 1 at -1.
    core = core_of(
        groups_frame([("H1", "T", "other", 4), ("H2", "T", "other", 4), ("H3", "T", "other", 4)]),
        sites_frame([("S1", "T", 5, True, "open", 0.0)]),
        arcs_frame([("H1", "S1", 1.0), ("H2", "S1", 3.0), ("H3", "S1", 6.0)]),
    )
    value, take, taken, critical = knapsacks(core, core.minutes - np.array([4.0, 4.0, 4.0]))
    assert value.tolist() == [-13.0]
    assert take.tolist() == [4.0, 1.0, 0.0]
    assert taken.tolist() == [True, True, False]
    assert critical.tolist() == [-1.0]  # full: one more room would take a person at -1


def test_unmet_budget_goes_to_the_dearest_groups_disabled_within_their_cap() -> None:
    # U_D* = 1 disabled of 3 in reach of 2 rooms... built by hand: 3 disabled + 2 others for 2 barrier-free rooms.
    core = core_of(
        groups_frame([("H1", "T", "disabled", 3), ("H2", "T", "other", 2)]),
        sites_frame([("S1", "T", 2, True, "open", 0.0)]),
        arcs_frame([("H1", "S1", 1.0), ("H2", "S1", 1.0)]),
    )
    assert (core.unmet_disabled, core.unmet_total) == (1, 3)
    # λ: disabled 5, other 4 -> 1 disabled (its cap) then 2 others: 5 + 8 = 13.
    gain, unmet = unmet_value(core, np.array([5.0, 4.0]))
    assert gain == 13.0 and unmet.tolist() == [1.0, 2.0]


def test_cover_cut_lifts_the_bound_above_the_lp() -> None:
    # 10 persons, two candidates of 6 rooms at 0 minutes, opening 10 each: both must open (12 >= 10 > 6).
    # The LP opens 10/6 sites (cost 16.67); the cover cut (7) forces the integer choice: 20.
    core = core_of(
        groups_frame([("H1", "T", "other", 10)]),
        sites_frame([("S1", "T", 6, True, "candidate", 10.0), ("S2", "T", 6, True, "candidate", 10.0)]),
        arcs_frame([("H1", "S1", 0.0), ("H1", "S2", 0.0)]),
    )
    point, _ = ascend(core, starting_multipliers(core), lambda: 20.0, float("inf"))
    assert point.value == 20.0 == brute_force(core)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.lists(st.floats(0, 60), min_size=12, max_size=12))
def test_bound_and_penalties_never_exceed_what_a_plan_costs(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int, int, bool], draws: list[float]
) -> None:
    groups, sites, arcs, per_room, street_min, barrier_free = case
    core = core_of(groups, sites, arcs, per_room, street_min, barrier_free)
    lam = np.resize(np.array(draws), core.groups)
    point = evaluate(core, lam)
    costs = [(open_sites, transport_cost(core, open_sites)) for open_sites in open_sets(core)]
    optimum = min((cost for _, cost in costs), default=np.inf)
    assert point.value <= optimum + TOLERANCE
    site_penalty = site_penalties(core, point)
    for open_sites, cost in costs:  # every plan pays the penalties of the sites it flips (their largest)
        flipped = core.free & (open_sites != point.open_sites)
        assert cost >= point.value + site_penalty[flipped].max(initial=0.0) - TOLERANCE
    arc_penalty = arc_penalties(core, point, site_penalty)
    for arc in range(core.arcs):  # a person on an arc costs its penalty at least
        site = core.arc_site[arc]
        best = min((transport_cost(core, o, force_arc=arc) for o, _ in costs if o[site]), default=np.inf)
        assert best >= point.value + arc_penalty[arc] - TOLERANCE
