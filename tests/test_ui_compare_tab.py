"""The Compare tab's pure helpers: names of flattened KPIs."""

from __future__ import annotations

from planner.ui import compare_tab


def test_flat_kpi_names() -> None:
    assert compare_tab.flat_kpi_name("lowest_fill_rate.tcm", "zh") == "养老及基层机构药品最低满足率: 中药"
    assert compare_tab.flat_kpi_name("reserve_ratio.D1", "en") == "Nursing reserve ratio: D1"


def test_deltas_read_as_percentages_and_never_none() -> None:
    kpis_a = {"covered_share": 0.9734, "uncovered_homes": 3, "reserve_ratio": {"110106": None, "110101": 0.1}}
    kpis_b = {"covered_share": 0.97342, "uncovered_homes": 1, "reserve_ratio": {"110106": 0.12, "110101": 0.1}}
    table = compare_tab.deltas_table(kpis_a, kpis_b, "en", {"110106": "Fengtai"})
    rows = table.set_index("Key figure")
    assert rows.loc["120 transfers covered in time", "A"] == "97.3 %"
    assert rows.loc["120 transfers covered in time", "Change"] == "", "no -0.0 pp"
    assert rows.loc["Care homes not covered", "Change"] == "-2"
    assert rows.loc["Nursing reserve ratio: Fengtai (110106)", "A"] == "—"
    assert "None" not in table.to_string() and "nan" not in table.to_string()
