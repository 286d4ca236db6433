"""The observation stage on OR-Library capacitated facility-location instances: the published optimum, proven.

Each customer is a group, each warehouse a candidate site with its capacity as rooms, an arc costs ``c_ij / d_j``
minutes per person (``bench.cflp.orlib_input``): the stage's cost phase is then the instance's cost. The published
optima have three decimals, hence the absolute tolerance.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cflp import orlib_input
from models.base import SolveOptions, Status
from models.observation import solve_observation

FOLDER = Path(__file__).parent / "data" / "orlib"
PUBLISHED = {"cap41": 1040444.375, "cap42": 1098000.450, "cap43": 1153000.450, "cap44": 1235500.450}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_small_orlib_instance_is_solved_to_its_published_optimum_and_proven(name: str) -> None:
    data = orlib_input(FOLDER, name)
    result = solve_observation(
        data.groups,
        data.sites,
        data.arcs,
        persons_per_room=1,
        sites_per_street_min=0,
        barrier_free_for_disabled=True,
        options=SolveOptions(time_limit_s=30),
    )
    assert result.status == Status.OPTIMAL
    assert result.objective == pytest.approx(PUBLISHED[name], abs=1e-3)
    assert result.bound <= result.objective
    assert result.objective - result.bound <= 1e-9 * result.objective
    sites = result.table("sites")
    assignments = result.table("assignments")
    exact = (
        sites.loc[sites["opened"].astype(bool), "opening_cost"].sum()
        + (assignments["persons"] * assignments["minutes"]).sum()
    )
    assert exact == pytest.approx(result.objective, rel=1e-12)
    assert result.table("unmet").empty
