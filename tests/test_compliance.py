"""The compliance checklist of the tiny plan, rule by rule, worked out by hand."""

from __future__ import annotations

from tiny_plan import tiny_plan

from planner.report.compliance import COLUMNS, compliance_summary


def _rows(rule_id: str) -> dict[str, tuple[float, float, bool]]:
    checklist = tiny_plan().compliance
    rows = checklist[checklist["rule_id"] == rule_id]
    return {r.scope_id: (r.required, r.planned, bool(r.met)) for r in rows.itertuples()}


def test_columns_and_sources() -> None:
    checklist = tiny_plan().compliance
    assert list(checklist.columns) == COLUMNS
    assert checklist["source"].str.len().gt(0).all()


def test_district_nursing_reserve_is_ten_percent_of_residents_rounded_up() -> None:
    # D1: 40 + 100 residents -> 14 required, 15 held; D2: 60 -> 6 required, 8 held
    assert _rows("nursing_reserve") == {"D1": (14, 15, True), "D2": (6, 8, True)}


def test_one_to_one_per_receiving_institution() -> None:
    assert _rows("one_to_one_nursing") == {"HP1": (1, 1, True), "ST1": (2, 2, True)}


def test_icu_share_of_the_designated_hospital() -> None:
    assert _rows("icu_share") == {"HP1": (80, 80, True)}


def test_a_street_without_any_site_is_named() -> None:
    assert _rows("site_per_street") == {"S1": (1, 1, True), "S2": (1, 0, False), "S3": (1, 1, True)}


def test_site_rules() -> None:
    assert _rows("one_person_per_room") == {"ST1": (30, 9, True), "ST2": (20, 12, True)}
    assert _rows("barrier_free") == {"ST1": (1, 1, True)}
    assert _rows("site_stock_days") == {"ST1": (30, 0, False), "ST2": (30, 0, False)}


def test_transfer_within_two_hours_per_home() -> None:
    rows = _rows("transfer_2h")
    assert set(rows) == {"H001", "H002", "H003"}
    assert all(required == 120 and planned <= 120 and met for required, planned, met in rows.values())


def test_drug_targets_count_on_hand_plus_allocated() -> None:
    rows = _rows("drug_reserve")
    assert rows["H003:antipyretic"] == (12, 12, True)  # 20 % of 60 residents, all on hand
    assert rows["HP1:antiviral"] == (225, 0, False)  # 90 days x 2.5 a day, no stock anywhere


def test_summary_counts_per_rule() -> None:
    summary = compliance_summary(tiny_plan().compliance).set_index("rule_id")
    assert summary.loc["site_per_street", ["scopes", "met", "not_met"]].tolist() == [3, 2, 1]
    assert summary.loc["nursing_reserve", "share_met"] == 1.0
