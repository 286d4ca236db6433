"""Day-by-day needs of two hand-made homes, worked out by hand, and the snapshot totals kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.needs.daily import Stays, cohorts_of, daily_needs, forecast_scale, home_curves
from planner.rules.scenario import make_scenario

HOMES = pd.DataFrame(
    {
        "home_id": ["A", "B"],
        "district_id": ["D1", "D2"],
        "street_id": ["S1", "S2"],
        "transfers": [2, 0],
        "transfers_disabled": [1, 0],
        "hospital_id": ["HP", ""],
    }
)
STAYS = Stays(observation_days=3, hospital_days=2, absence_days=2, rotation_days=1, contact_days=0, inbound_days=0)
CURVES = pd.DataFrame({"home_id": ["A", "B"], "district_id": ["D1", "D2"], 0: [0.5, 0.0], 1: [0.0, 1.0], 2: [0.5, 0.0]})
OBSERVATION = pd.DataFrame(
    {
        "home_id": ["A", "B", "A"],
        "street_id": ["S1", "S2", "S1"],
        "district_id": ["D1", "D2", "D1"],
        "group": ["other", "disabled", "other"],
        "cause": ["mild", "mild", "rotation"],
        "persons": [4, 3, 2],
    }
)
NURSING = pd.DataFrame(
    {
        "need_id": ["transfer_1to1:HP", "backfill:A"],
        "destination_id": ["HP", "A"],
        "destination_kind": ["hospital", "care_home"],
        "district_id": ["D1", "D1"],
        "need": ["transfer_1to1", "backfill"],
        "required": [1, 2],
    }
)


def _needs():  # type: ignore[no-untyped-def]
    return daily_needs(HOMES, OBSERVATION, NURSING, CURVES, STAYS, nurses_per_transferred_disabled=1.0)


def test_cohorts_arrive_by_the_curve_and_stay_their_cause_s_length() -> None:
    cohorts = _needs().cohorts
    rows = {(r.home_id, r.cause, r.arrival_day): (r.stay_days, r.persons) for r in cohorts.itertuples()}
    assert rows == {
        ("A", "mild", 0): (3, 2),
        ("A", "mild", 2): (3, 2),
        ("B", "mild", 1): (3, 3),
        ("A", "rotation", 0): (1, 1),
        ("A", "rotation", 2): (1, 1),
    }
    assert cohorts["persons"].sum() == OBSERVATION["persons"].sum()


def test_nurses_needed_on_the_days_the_need_lasts() -> None:
    nursing = _needs().nursing
    hospital = nursing[nursing["need_id"] == "transfer_1to1:HP"].set_index("day")["required"].to_dict()
    # one disabled transfer: spread 0.5 / 0 / 0.5 of 1 person -> arrives on day 0 (cumulative rounding of 0.5 = 1)
    assert hospital == {0: 1, 1: 1}
    backfill = nursing[nursing["need_id"] == "backfill:A"].set_index("day")["required"].to_dict()
    assert backfill == {0: 1, 1: 1, 2: 1}  # one absence on day 0 and one on day 2, two days each


def test_transfers_keep_the_snapshot_totals() -> None:
    transfers = _needs().transfers
    assert transfers.groupby("home_id")["transfers"].sum().to_dict() == {"A": 2, "B": 0}
    assert transfers[transfers["home_id"] == "A"]["transfers"].tolist() == [1, 0, 1]


def test_a_district_forecast_sets_the_curve_of_its_homes() -> None:
    homes = HOMES.assign(residents=10)
    forecast = pd.DataFrame({"day": [3, 5], "district_id": ["D2", "D2"], "home_id": ["", ""], "new_infections": [1, 3]})
    curves = home_curves(homes, make_scenario(plan="daily", horizon_days=7), forecast)
    shares = curves.drop(columns=["home_id", "district_id"]).to_numpy()
    assert shares[1].tolist() == pytest.approx([0, 0, 0, 0.25, 0, 0.75, 0])
    assert shares[0].sum() == pytest.approx(1.0) and shares[0, 3] != pytest.approx(0.25)


def test_an_origin_without_a_home_takes_its_district_curve() -> None:
    rows = OBSERVATION.iloc[[1]].assign(home_id="inbound:S2")
    cohorts = cohorts_of(rows, HOMES, CURVES.drop(columns=["home_id", "district_id"]).to_numpy(), STAYS)
    assert cohorts["arrival_day"].tolist() == [1] and cohorts["persons"].tolist() == [3]


def test_no_day_needs_more_than_everyone_at_once() -> None:
    needs = _needs()
    peak = needs.nursing.groupby("need_id")["required"].max()
    assert (peak <= NURSING.set_index("need_id")["required"].reindex(peak.index)).all()
    assert np.all(needs.cohorts["stay_days"] >= 1)


def test_a_home_forecast_sets_how_many_of_its_cases_need_a_place() -> None:
    homes = HOMES.assign(infected=[4, 3], residents=[10, 10])
    forecast = pd.DataFrame({"day": [0, 2], "district_id": ["", ""], "home_id": ["A", "A"], "new_infections": [4, 4]})
    scale = forecast_scale(homes, make_scenario(plan="daily", horizon_days=3), forecast, pd.Series({"D1": 100.0}))
    assert scale.tolist() == [2.0, 1.0]  # A: 8 forecast against 4; B: no forecast
    needs = daily_needs(homes, OBSERVATION, NURSING, CURVES, STAYS, nurses_per_transferred_disabled=1.0, scale=scale)
    mild = needs.cohorts[needs.cohorts["cause"] == "mild"].groupby("home_id")["persons"].sum().to_dict()
    assert mild == {"A": 8, "B": 3}  # rotated staff do not follow the forecast
    assert needs.cohorts[needs.cohorts["cause"] == "rotation"]["persons"].sum() == 2
    assert needs.transfers.groupby("home_id")["transfers"].sum().to_dict() == {"A": 4, "B": 0}


def test_a_district_forecast_is_an_incidence_per_inhabitant() -> None:
    homes = HOMES.assign(infected=[2, 1], residents=[10, 20])
    forecast = pd.DataFrame({"day": [1], "district_id": ["D2"], "home_id": [""], "new_infections": [50]})
    scale = forecast_scale(homes, make_scenario(plan="daily", horizon_days=3), forecast, pd.Series({"D2": 100.0}))
    assert scale.tolist() == [1.0, 10.0]  # D2: 50 per 100 inhabitants -> 10 of B's 20 residents, against 1
