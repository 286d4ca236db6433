"""The compliance checklist of the tiny plan: columns, sources, order, the data's own rules, the summary."""

from __future__ import annotations

from tiny_plan import tiny_plan

from planner.report.compliance import CHECKLIST_ORDER, COLUMNS, compliance_summary


def _rows(rule_id: str) -> dict[str, tuple[float, float, bool]]:
    checklist = tiny_plan().compliance
    rows = checklist[checklist["rule_id"] == rule_id]
    return {r.scope_id: (r.required, r.planned, bool(r.met)) for r in rows.itertuples()}


def test_columns_and_sources() -> None:
    checklist = tiny_plan().compliance
    assert list(checklist.columns) == COLUMNS
    assert checklist["source"].str.len().gt(0).all()


def test_rules_come_in_the_reading_order() -> None:
    rules = list(dict.fromkeys(tiny_plan().compliance["rule_id"]))
    assert rules == [rule for rule in CHECKLIST_ORDER if rule in rules]


def test_icu_share_of_the_hospitals_in_scope() -> None:
    """004 (十五): designated (HP1) and level-2 general hospitals (HP2, 20 of 300 beds < 30) are in scope."""
    assert _rows("icu_share") == {"HP1": (80, 80, True), "HP2": (30, 20, False)}


def test_an_assumed_rule_says_it_is_an_assumption() -> None:
    checklist = tiny_plan().compliance
    rooms = checklist[checklist["rule_id"] == "one_person_per_room"]
    assert rooms["source"].tolist() == ["assumption: persons_per_room"]


def test_sampling_points_per_street() -> None:
    assert _rows("sampling_points") == {"S1": (3, 0, False), "S2": (3, 0, False), "S3": (3, 0, False)}


def test_summary_counts_per_rule() -> None:
    summary = compliance_summary(tiny_plan().compliance).set_index("rule_id")
    assert summary.loc["sampling_points", ["scopes", "met", "not_met"]].tolist() == [3, 0, 3]
    assert summary.loc["icu_share", ["scopes", "met", "not_met"]].tolist() == [2, 1, 1]
    assert summary.loc["nursing_reserve", "share_met"] == 1.0
