"""bench.kpis: the compared KPIs of hand-made stages, and how two methods' KPIs compare."""

from __future__ import annotations

import pytest
from bench_fixtures import hand_made_stages, kpis, stage

from bench.kpis import equal_figures, method_kpis, versus
from models.base import Status


def test_method_kpis_and_travel_minutes_of_hand_made_stages() -> None:
    # Unmet 1 disabled, 4 other; one site opened (70). Covered 0.5 of 1.5 daily transfers; one move.
    # 1:1 3 of 4; lowest fill over care homes and clinics 0.5 (the hospital's 0 does not count); shortfall 9.
    # Travel: 2*5 + 1*10 = 20 person-minutes; 0.5*40 = 20 (a home without a station counts 0); 21 nurse-minutes;
    # 20 pack-minutes; 81 in all.
    found = method_kpis(hand_made_stages())
    assert found["unmet_observation_disabled"] == 1 and found["unmet_observation_other"] == 4
    assert found["unmet_observation_persons"] == 5
    assert found["sites_opened"] == 1 and found["opening_cost"] == 70.0
    assert found["covered_share"] == pytest.approx(1 / 3, abs=1e-4) and found["ambulance_moves"] == 1
    assert found["one_to_one_coverage"] == 0.75 and found["nurses_assigned"] == 3
    assert found["lowest_fill_rate"] == 0.5 and found["lowest_fill_rate_by_drug"] == {"cough": 0.5, "tcm": 1.0}
    assert found["drug_shortfall"] == 9
    assert found["observation_person_minutes"] == 20.0
    assert found["ambulance_transfer_minutes"] == 20.0
    assert found["nursing_nurse_minutes"] == 21.0
    assert found["drug_pack_minutes"] == 20.0
    assert found["travel_minutes_total"] == 81.0
    assert found["minutes_per_person_placed"] == pytest.approx(20 / 3, abs=1e-3)
    assert found["minutes_per_pack"] == pytest.approx(20 / 15, abs=1e-3)


def test_method_kpis_of_a_stage_without_a_plan_are_none() -> None:
    stages = hand_made_stages()
    stages["drugs"] = stage("drugs", {}, Status.ERROR)
    found = method_kpis(stages)
    assert found["lowest_fill_rate"] is None and found["drug_shortfall"] is None
    assert found["travel_minutes_total"] is None
    assert found["one_to_one_coverage"] == 0.75


def test_versus_names_the_better_method_by_the_kpis_sense() -> None:
    rows = versus(kpis(unmet_observation_other=3, lowest_fill_rate=0.6), kpis(unmet_observation_other=5))
    assert rows["unmet_observation_other"] == {"epiplan": 3, "other": 5, "difference": -2.0, "better": "epiplan"}
    assert rows["lowest_fill_rate"]["better"] == "epiplan"
    assert rows["covered_share"]["better"] == "equal"
    worse = versus(kpis(drug_pack_minutes=10.0), kpis(drug_pack_minutes=8.0))
    assert worse["drug_pack_minutes"]["better"] == "other"


def test_equal_figures_checks_each_level_and_each_drug() -> None:
    assert equal_figures(kpis(), kpis(travel_minutes_total=99.0))["all_equal"]
    differing = equal_figures(kpis(), kpis(lowest_fill_rate_by_drug={"cough": 0.4}))
    assert not differing["all_equal"] and not differing["lowest_fill_rate_by_drug"]
    assert not equal_figures(kpis(), None)["all_equal"]
    # A MIP stage that ended without a plan: its figures are not compared, the others still are.
    partial = equal_figures(kpis(), kpis(lowest_fill_rate=None, lowest_fill_rate_by_drug=None, drug_shortfall=None))
    assert partial["equal_where_compared"] and not partial["all_equal"]
    assert partial["not_compared"] == ["lowest_fill_rate", "drug_shortfall", "lowest_fill_rate_by_drug"]
    assert versus(kpis(), kpis(drug_shortfall=None))["drug_shortfall"]["better"] == "not compared"
