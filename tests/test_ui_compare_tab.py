"""The Compare tab's pure helpers: names of flattened KPIs."""

from __future__ import annotations

from planner.ui import compare_tab


def test_flat_kpi_names() -> None:
    assert compare_tab.flat_kpi_name("lowest_fill_rate.tcm", "zh") == "养老及基层机构药品最低满足率: 中药"
    assert compare_tab.flat_kpi_name("reserve_ratio.D1", "en") == "Nursing reserve ratio: D1"
