"""Day-by-day needs of two hand-made homes, worked out by hand, and the snapshot totals kept."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.needs.daily import Stays, daily_needs

HOMES = pd.DataFrame(
    {
        "home_id": ["A", "B"],
        "district_id": ["D1", "D1"],
        "street_id": ["S1", "S1"],
        "residents": [10, 4],
        "staff": [4, 0],
        "disabled": [5, 0],
        "partition": [False, True],
        "rotation_staff": [0, 0],
        "new_admissions": [0, 0],
        "hospital_id": ["HP", "HP"],
    }
)
STAYS = Stays(observation_days=2, hospital_days=2, absence_days=2, rotation_days=3)


def _needs() -> object:
    return daily_needs(
        HOMES,
        np.array([[2, 0, 2], [0, 2, 0]]),
        np.array([0.5, 0.0, 0.5]),
        severe_share=0.5,
        staff_absence=0.5,
        stays=STAYS,
        self_care_per_infected=1.0,
        nurses_per_transferred_disabled=1.0,
        hospital_district={"HP": "D1"},
    )


def test_transfers_follow_the_cumulative_infections() -> None:
    # A: infected cumulative 2, 2, 4 -> transfers r(1), r(1), r(2) = 1, 1, 2 -> 1, 0, 1 per day;
    # disabled transfers r(0.5 * 1) = 1, 1, 1 -> 1, 0, 0
    transfers = _needs().transfers  # type: ignore[attr-defined]
    home_a = transfers[transfers["home_id"] == "A"]
    assert home_a["transfers"].tolist() == [1, 0, 1]
    assert home_a["transfers_disabled"].tolist() == [1, 0, 0]


def test_observation_cohorts_only_from_homes_without_partition() -> None:
    # A: mild cumulative 1, 1, 2 -> disabled r(0.5 * mild) = 1, 1, 1 -> 1 on day 0; other 0, 0, 1
    cohorts = _needs().cohorts  # type: ignore[attr-defined]
    rows = list(zip(cohorts["home_id"], cohorts["group"], cohorts["arrival_day"], cohorts["persons"], strict=True))
    assert rows == [("A", "disabled", 0, 1), ("A", "other", 2, 1)]
    assert set(cohorts["stay_days"]) == {2}


def test_nurses_each_day_a_need_lasts() -> None:
    nursing = _needs().nursing  # type: ignore[attr-defined]
    by_need = {(r.need_id, r.day): r.required for r in nursing.itertuples()}
    assert by_need == {
        ("transfer_1to1:HP", 0): 1,  # the disabled transfer of day 0 stays 2 days in hospital
        ("transfer_1to1:HP", 1): 1,
        ("backfill:A", 0): 1,  # r(0.5 * 4) = 2 absences on days 0 and 2, each 2 days long
        ("backfill:A", 1): 1,
        ("backfill:A", 2): 1,
        ("self_care:B", 1): 1,  # B keeps its mild case in house: day 1 and 2
        ("self_care:B", 2): 1,
    }
    assert set(nursing.loc[nursing["need"] == "transfer_1to1", "district_id"]) == {"D1"}
