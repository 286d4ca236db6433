"""bench.mip.observation: the observation MIP on a hand-solved tiny instance, against the stage model."""

from __future__ import annotations

import pandas as pd
import pytest

from bench.mip.lp import MipOptions
from bench.mip.observation import mip_observation
from models.base import SolveOptions, Status
from models.observation import solve_observation

OPTIONS = MipOptions(time_limit_s=20.0, threads=1)


def frame(columns: list[str], rows: list[tuple[object, ...]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def observation_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """SO open (3 rooms, not barrier-free), SC candidate (5 rooms, barrier-free, cost 10); 9 persons for 8 rooms."""
    sites = frame(
        ["site_id", "street_id", "rooms", "barrier_free", "status", "opening_cost"],
        [("SO", "T1", 3, False, "open", 0.0), ("SC", "T2", 5, True, "candidate", 10.0)],
    )
    groups = frame(
        ["home_id", "street_id", "group", "persons"],
        [("H1", "T1", "disabled", 2), ("H1", "T1", "other", 2), ("H2", "T1", "other", 5)],
    )
    arcs = frame(
        ["home_id", "site_id", "minutes"],
        [("H1", "SO", 10.0), ("H1", "SC", 5.0), ("H2", "SO", 2.0), ("H2", "SC", 20.0)],
    )
    return groups, sites, arcs


def test_mip_observation_lexicographic_optimum_by_hand() -> None:
    # Disabled first: both to the barrier-free SC (2 x 5 min). 7 others for 3 + 3 rooms: 1 unmet.
    # Cheapest: H2 3 to SO (3 x 2), H1 2 to SC (2 x 5), H2's 4th to SC (20); SC opens (10).
    # Cost 10 + 6 + 10 + 20 + 10 = 56.
    groups, sites, arcs = observation_inputs()
    rules = {"persons_per_room": 1, "sites_per_street_min": 1, "barrier_free_for_disabled": True}
    result = mip_observation(groups, sites, arcs, **rules, options=OPTIONS)
    assert result.status == Status.OPTIMAL
    assert [(p.name, p.objective) for p in result.phases] == [
        ("unmet_disabled", 0.0),
        ("unmet_persons", 1.0),
        ("cost", 56.0),
    ]
    unmet = result.table("unmet")
    assert unmet[["home_id", "group", "persons"]].values.tolist() == [["H2", "other", 1]]
    assert result.table("sites").set_index("site_id")["opened"].to_dict() == {"SO": False, "SC": True}
    model = solve_observation(groups, sites, arcs, **rules, options=SolveOptions(time_limit_s=10.0))
    assert model.objective == pytest.approx(result.objective)
