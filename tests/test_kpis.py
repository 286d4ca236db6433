"""KPIs of the tiny plan, worked out by hand."""

from __future__ import annotations

from tiny_plan import tiny_plan


def test_observation_and_ambulance_kpis() -> None:
    kpis = tiny_plan().kpis
    assert kpis["observation_persons"] == 21 and kpis["observation_placed"] == 21
    assert kpis["unmet_observation_disabled"] == 0 and kpis["sites_opened"] == 1
    assert kpis["daily_transfers"] == round(4 / 14, 3)  # 1 + 2 + 1 transfers over 14 days
    assert kpis["covered_share"] == 1.0 and kpis["uncovered_homes"] == 0


def test_nursing_kpis() -> None:
    kpis = tiny_plan().kpis
    assert (kpis["one_to_one_required"], kpis["one_to_one_assigned"], kpis["one_to_one_coverage"]) == (3, 3, 1.0)
    assert kpis["nurses_assigned"] == 9
    assert kpis["nursing_unmet_by_tier"] == {"backfill": 0, "transfer_1to1": 0}
    assert kpis["reserve_ratio"] == {"D1": round(15 / 140, 4), "D2": round(8 / 60, 4)}


def test_drug_kpis() -> None:
    kpis = tiny_plan().kpis
    # antipyretic: 500 packs for needs 3 + 20 (homes) + 10,000 + 9,000 (clinics) -> shortfall 18,523
    assert kpis["drug_shortfall"]["antipyretic"] == 18_523
    assert 0 < kpis["lowest_fill_rate"]["antipyretic"] <= 500 / 19_023
    # no depot holds antigen kits or TCM: the homes and clinics needing them get nothing
    assert kpis["lowest_fill_rate"]["antigen_kit"] == 0.0 and kpis["lowest_fill_rate"]["tcm"] == 0.0
    # antiviral is needed only by the hospital: no priority institution needs it
    assert kpis["lowest_fill_rate"]["antiviral"] == 1.0


def test_status_and_seconds_per_stage() -> None:
    kpis = tiny_plan().kpis
    assert set(kpis["status"]) == set(kpis["seconds"]) == {"observation", "ambulance", "nursing", "drugs"}
    assert kpis["seconds_total"] >= max(kpis["seconds"].values())
