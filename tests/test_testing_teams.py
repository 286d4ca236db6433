"""Sampling teams to care homes: hand-solved tiny instances and properties of the min-cost flow."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from models.base import Status
from models.testing_teams import TeamParams, assign_teams, team_arcs

DEG_KM = 6371.0 * np.pi / 180


def _districts(teams: list[int], lons: list[float] | None = None) -> pd.DataFrame:
    n = len(teams)
    return pd.DataFrame(
        {
            "district_id": [f"D{i + 1}" for i in range(n)],
            "lat": [0.0] * n,
            "lon": lons if lons is not None else [float(i) for i in range(n)],
            "teams": teams,
        }
    )


def _homes(need: list[int], districts: list[str], lons: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "home_id": [f"H{i + 1}" for i in range(len(need))],
            "district_id": districts,
            "lat": [0.0] * len(need),
            "lon": lons,
            "tests_per_day": need,
        }
    )


def test_two_homes_one_team_exactly_at_capacity() -> None:
    homes = _homes([60, 40], ["D1", "D1"], [0.01, 0.02])
    outcome = assign_teams(_districts([1]), homes, TeamParams(100, 0))
    teams = outcome.tables["teams"]
    assert teams[["district_id", "home_id", "tests_per_day", "teams"]].values.tolist() == [
        ["D1", "H1", 60, 0.6],
        ["D1", "H2", 40, 0.4],
    ]
    assert teams["km"].tolist() == [round(0.01 * DEG_KM, 1), round(0.02 * DEG_KM, 1)]
    row = outcome.tables["team_districts"].iloc[0]
    assert [int(row[c]) for c in ("teams_available", "teams_needed", "teams_short", "unsampled", "extra_teams")] == [
        1,
        1,
        0,
        0,
        0,
    ]
    assert [p.objective for p in outcome.phases[:2]] == [0.0, 0.0]
    assert outcome.phases[2].objective == 60 * 11 + 40 * 22  # 1.1 and 2.2 km in 100 m units
    assert all(p.status == Status.OPTIMAL for p in outcome.phases)


def test_one_team_short_leaves_the_far_home_unsampled_and_names_one_more_team() -> None:
    homes = _homes([80, 50], ["D1", "D1"], [0.01, 0.02])
    outcome = assign_teams(_districts([1]), homes, TeamParams(100, 0))
    assert outcome.tables["team_homes"][["sampled", "unsampled"]].values.tolist() == [[80, 0], [20, 30]]
    row = outcome.tables["team_districts"].iloc[0]
    assert [int(row[c]) for c in ("tests_needed", "tests_sampled", "unsampled", "teams_needed", "extra_teams")] == [
        130,
        100,
        30,
        2,
        1,
    ]
    assert outcome.phases[0].objective == 30


def test_backup_teams_cover_a_short_district_only_after_its_own() -> None:
    # D1 (1 team of 100) has H1 needing 150; D2 (2 teams) has H2 needing 100 and lies nearer H1 than D1 does.
    districts = _districts([1, 2], [0.0, 0.2])
    homes = _homes([150, 100], ["D1", "D2"], [0.15, 0.2])
    alone = assign_teams(districts, homes, TeamParams(100, 0))
    assert alone.tables["team_homes"]["unsampled"].tolist() == [50, 0]
    assert alone.tables["team_districts"]["extra_teams"].tolist() == [1, 0]
    backed = assign_teams(districts, homes, TeamParams(100, 1))
    flows = backed.tables["teams"].set_index(["district_id", "home_id"])["tests_per_day"].to_dict()
    # D2 is nearer H1, yet D1's own team takes 100 there first; D2 lends only the 50 D1 cannot take
    assert flows == {("D1", "H1"): 100, ("D2", "H1"): 50, ("D2", "H2"): 100}
    assert [p.objective for p in backed.phases[:2]] == [0.0, 50.0]
    districts_out = backed.tables["team_districts"].set_index("district_id")
    assert districts_out.loc["D1", "borrowed"] == 50 and districts_out.loc["D2", "lent"] == 50
    assert districts_out.loc["D1", "teams_short"] == 1 and districts_out.loc["D1", "extra_teams"] == 0


def test_backup_arcs_go_to_the_nearest_districts_only() -> None:
    districts = _districts([1, 1, 1], [0.0, 1.0, 5.0])
    homes = _homes([10], ["D1"], [0.0])
    tails, heads, backup = team_arcs(districts, homes, 1)
    assert tails.tolist() == [0, 1] and heads.tolist() == [0, 0] and backup.tolist() == [False, True]


def test_no_teams_leave_every_test_unsampled() -> None:
    homes = _homes([7, 3], ["D1", "D1"], [0.0, 0.0])
    outcome = assign_teams(_districts([0]), homes, TeamParams(100, 0))
    assert outcome.tables["teams"].empty
    assert outcome.tables["team_homes"]["unsampled"].tolist() == [7, 3]
    assert outcome.tables["team_districts"]["extra_teams"].tolist() == [1]


def test_no_homes_give_empty_tables_with_their_columns() -> None:
    outcome = assign_teams(_districts([2]), _homes([], [], []), TeamParams(100, 0))
    assert outcome.tables["teams"].empty and outcome.tables["team_homes"].empty
    assert outcome.tables["team_districts"]["capacity_per_day"].tolist() == [200]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 4), min_size=1, max_size=4),
    st.lists(st.tuples(st.integers(0, 300), st.integers(0, 3), st.floats(0, 3)), min_size=1, max_size=8),
    st.integers(0, 3),
)
def test_no_district_over_capacity_and_the_unsampled_are_the_fewest(
    teams: list[int], rows: list[tuple[int, int, float]], backup: int
) -> None:
    n = len(teams)
    need = [r[0] for r in rows]
    homes = _homes(need, [f"D{r[1] % n + 1}" for r in rows], [r[2] for r in rows])
    outcome = assign_teams(_districts(teams), homes, TeamParams(100, backup))
    team_rows = outcome.tables["teams"]
    load = team_rows.groupby("district_id")["tests_per_day"].sum()
    for district, count in zip(_districts(teams)["district_id"], teams, strict=True):
        assert load.get(district, 0) <= 100 * count
    homes_out = outcome.tables["team_homes"]
    assert (homes_out["sampled"] + homes_out["unsampled"] == homes_out["tests_per_day"]).all()
    if backup == 0:  # each district alone: the unsampled are what exceeds its capacity
        own = homes.groupby("district_id")["tests_per_day"].sum()
        expected = sum(max(0, int(own.get(f"D{i + 1}", 0)) - 100 * t) for i, t in enumerate(teams))
        assert int(homes_out["unsampled"].sum()) == expected
    if backup >= n - 1:  # every district backs every other: one pool
        assert int(homes_out["unsampled"].sum()) == max(0, sum(need) - 100 * sum(teams))
