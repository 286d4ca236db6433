"""Chart data worked out by hand; the charts themselves are valid Vega-Lite with labels in the reader's language."""

from __future__ import annotations

import pandas as pd
from plan_fixture import make_plan_fixture

from planner.ui import charts


def test_fill_rate_is_allocated_over_need_per_drug_and_kind() -> None:
    targets = pd.DataFrame(
        {
            "drug": ["tcm", "tcm", "tcm", "cough"],
            "kind": ["clinic", "clinic", "hospital", "clinic"],
            "need": [10, 30, 0, 5],
            "allocated": [10, 10, 0, 5],
        }
    )
    data = charts.fill_rate_data(targets).set_index(["drug", "kind"])
    assert data.loc[("tcm", "clinic"), "fill_rate"] == 0.5
    assert data.loc[("tcm", "hospital"), "fill_rate"] == 1.0, "nothing needed: full"
    assert data.loc[("cough", "clinic"), "fill_rate"] == 1.0


def test_occupancy_counts_open_sites_only() -> None:
    sites = pd.DataFrame(
        {"site_id": ["A", "B", "C"], "open": [True, True, False], "persons": [5, 2, 0], "free_rooms": [1, 3, 9]}
    )
    data = charts.occupancy_data(sites, {"A": "D1", "B": "D1", "C": "D2"})
    assert sorted(zip(data["district_id"], data["measure"], data["count"], strict=True)) == [
        ("D1", "free_rooms", 4),
        ("D1", "persons", 7),
    ]


def test_coverage_splits_covered_and_not_per_district() -> None:
    handshakes = pd.DataFrame(
        {"home_id": ["H1", "H2", "H3"], "covered": [True, False, True], "daily_transfers": [0.5, 0.25, 1.0]}
    )
    data = charts.coverage_data(handshakes, {"H1": "D1", "H2": "D1", "H3": "D2"})
    assert sorted(zip(data["district_id"], data["covered"], data["daily_transfers"], strict=True)) == [
        ("D1", False, 0.25),
        ("D1", True, 0.5),
        ("D2", True, 1.0),
    ]


def test_nursing_data_assigned_and_unmet_by_tier() -> None:
    needs = make_plan_fixture().stage("nursing").table("needs")
    data = charts.nursing_data(needs).set_index(["need", "measure"])["nurses"]
    assert data[("transfer_1to1", "assigned")] == 4
    assert data[("backfill", "unmet")] == 1


def _places() -> pd.DataFrame:
    rows = [
        ("ST1", "site", "D1", "东城区"),
        ("ST2", "site", "D2", "西城区"),
        ("007", "care_home", "D1", "东城区"),
        ("H002", "care_home", "D1", "东城区"),
        ("H003", "care_home", "D2", "西城区"),
    ]
    return pd.DataFrame(rows, columns=["id", "kind", "district_id", "district"]).set_index("id", drop=False)


def test_charts_are_vega_lite_with_chinese_labels() -> None:
    plan = make_plan_fixture()
    specs = [
        charts.fill_rate_chart(plan, "zh").to_dict(),
        charts.occupancy_chart(plan, _places(), "zh").to_dict(),
        charts.coverage_chart(plan, _places(), "zh").to_dict(),
        charts.nursing_chart(plan, "zh").to_dict(),
    ]
    assert [spec["title"] for spec in specs] == [
        "各类药品、各类机构的满足率",
        "观察点入住情况（开放点位）",
        "各区每日转运覆盖情况",
        "分级护理需求",
    ]
    assert specs[2]["encoding"]["x"]["title"] == "区"
    assert all(spec["mark"]["type"] == "bar" for spec in specs)
