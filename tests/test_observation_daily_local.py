"""Closing candidates a day-by-day plan opened where their persons fit elsewhere
(``models.observation.daily_local``), seen through the stage when no LP finishes in time (the province's case)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from unittest.mock import patch

import pandas as pd
import pytest
from observation_tables import site_table, solve_daily, without_an_lp

from models.base import Status
from models.observation import daily_stage


@pytest.fixture
def no_lp_finishes() -> Iterator[None]:
    """Every priced LP as if stopped by the time limit, and every model treated as too large for its LP."""
    with without_an_lp():
        yield


def _two_persons_of_h0() -> pd.DataFrame:
    """Two persons of home H0 (street T) on days 0-1."""
    return pd.DataFrame(
        {
            "home_id": ["H0"],
            "street_id": ["T"],
            "group": ["other"],
            "cause": ["mild"],
            "arrival_day": [0],
            "stay_days": [2],
            "persons": [2],
        }
    )


def _solve(sites_per_street_min: int):  # type: ignore[no-untyped-def]
    """Two persons on days 0-1 from H0; open site X0 (street T, 10 minutes), candidates X1 (1 minute) and X2 (50
    minutes) on street S, each opening at 100."""
    cohorts = _two_persons_of_h0()
    sites = site_table([5, 5, 5], ["open", "candidate", "candidate"], [0.0, 100.0, 100.0], ["T", "S", "S"])
    arcs = pd.DataFrame({"home_id": ["H0"] * 3, "site_id": ["X0", "X1", "X2"], "minutes": [10.0, 1.0, 50.0]})
    return solve_daily(cohorts, sites, arcs, 3, sites_per_street_min)


@pytest.mark.usefixtures("no_lp_finishes")
def test_a_candidate_whose_persons_fit_elsewhere_for_less_than_its_opening_is_closed() -> None:
    """The unmet phase places both at the 1-minute candidate (every site open there); moving them to X0 adds 18
    minutes and saves 100: closed, cost 20, the optimum. The bound without an LP proves it: each person at X0 (10),
    X1 (1 + 100 / 5 per place) or X2 (50 + 20), at least 20 (each at their cheapest arc alone: 2)."""
    result = _solve(0)
    cost = result.phases[-1]
    assert (cost.objective, cost.bound) == (20.0, 20.0)
    assert cost.status is Status.OPTIMAL
    sites = result.table("sites").set_index("site_id")
    assert bool(sites.loc["X1", "open"]) is False and int(sites.loc["X0", "persons"]) == 2


@pytest.mark.usefixtures("no_lp_finishes")
def test_a_candidate_its_street_needs_stays_open_and_persons_move_to_it() -> None:
    """The rule asks for one site on street S, which has none open: X1 or X2 must open whatever the plan, and the
    cheaper X1 does. The rolling placement put both persons at X0 (X1 was not open yet); once X1 is open they move
    there: 100 + 2, the optimum."""
    result = _solve(1)
    sites = result.table("sites").set_index("site_id")
    assert bool(sites.loc["X1", "open"]) is True and bool(sites.loc["X2", "open"]) is False
    assert int(sites.loc["X1", "persons"]) == 2
    assert result.phases[-1].objective == 102.0


@pytest.mark.usefixtures("no_lp_finishes")
def test_a_candidate_closes_only_when_the_persons_moved_there_fit_elsewhere_too() -> None:
    """The rolling placement puts H0 (1 person) at candidate X1 and H1 (2 persons) at candidate X2 (1 minute plus
    the opening per place, 20, against 50 and 30 minutes to the open X0). Closing X1 moves H0's person to X2 (2
    minutes instead of 1). Closing X2 must then move H0's person too: before, only H1's moved (60 - 2 < 100), X2 was
    closed, and H0's person stayed at a closed site. With both to move (60 + 50 - 4 >= 100) X2 stays open: 100 + 2 +
    2 = 104, the optimum (X0 for everyone: 110)."""
    cohorts = pd.DataFrame(
        {
            "home_id": ["H0", "H1"],
            "street_id": ["T", "T"],
            "group": ["other", "other"],
            "cause": ["mild", "mild"],
            "arrival_day": [0, 0],
            "stay_days": [2, 2],
            "persons": [1, 2],
        }
    )
    sites = site_table([5, 5, 5], ["open", "candidate", "candidate"], [0.0, 100.0, 100.0], ["T", "S", "S"])
    arcs = pd.DataFrame(
        {
            "home_id": ["H0", "H0", "H0", "H1", "H1"],
            "site_id": ["X0", "X1", "X2", "X0", "X2"],
            "minutes": [50.0, 1.0, 2.0, 30.0, 1.0],
        }
    )
    result = solve_daily(cohorts, sites, arcs, 3)
    sites_out = result.table("sites").set_index("site_id")
    stays = result.table("stays")
    assert set(stays["site_id"]) <= set(sites_out.index[sites_out["open"].astype(bool)])
    assert not bool(sites_out.loc["X1", "open"]) and bool(sites_out.loc["X2", "open"])
    assert int(sites_out.loc["X2", "persons"]) == 3
    assert result.phases[-1].objective == 104.0


def test_where_the_cost_phase_finds_no_plan_the_held_plan_keeps_the_street_minimum() -> None:
    """The cost phase's plan leaves one more person unmet than the unmet phase's (as when it runs out of time): the
    unmet phase's plan is kept, at open X0. Street S asks for one open site and has none: its cheaper candidate X1
    opens (100), as every plan's does; the cost is 2 x 10 minutes + 100, the candidates' opening counted as the
    phases count it."""
    real = daily_stage._cost_phase

    def no_plan(*args, **kwargs):  # type: ignore[no-untyped-def]
        plan = real(*args, **kwargs)
        return replace(plan, unmet=plan.unmet + 1)

    cohorts = _two_persons_of_h0()
    sites = site_table([5, 5, 5], ["open", "candidate", "candidate"], [0.0, 100.0, 150.0], ["T", "S", "S"])
    arcs = pd.DataFrame({"home_id": ["H0"] * 3, "site_id": ["X0", "X1", "X2"], "minutes": [10.0, 50.0, 50.0]})
    with patch.object(daily_stage, "AT_THE_BOUNDS_MAX_PAIRS", 0), patch.object(daily_stage, "_cost_phase", no_plan):
        result = solve_daily(cohorts, sites, arcs, 3, sites_per_street_min=1)
    sites_table = result.table("sites").set_index("site_id")
    assert sites_table["open"].astype(bool).to_dict() == {"X0": True, "X1": True, "X2": False}
    assert int(sites_table.loc["X0", "persons"]) == 2
    assert result.phases[-1].objective == 120.0
