"""The overview's pure helpers: KPI cards and deltas, the compliance table, shortfalls, marginal values."""

from __future__ import annotations

from typing import Any

import pandas as pd
from plan_fixture import make_plan_fixture
from ui_fixtures import STREET_RULES, tiny_plan

from planner.report import shortfalls as sf
from planner.report.sources import source_label
from planner.ui import overview

KPIS: dict[str, Any] = {
    "observation_persons": 100,
    "observation_placed": 90,
    "unmet_observation_disabled": 4,
    "unmet_observation_other": 6,
    "sites_open": 7,
    "covered_share": 0.9734,
    "daily_transfers": 12.5,
    "covered_daily_transfers": 12.2,
    "uncovered_homes": 3,
    "one_to_one_coverage": 1.0,
    "one_to_one_required": 12,
    "one_to_one_assigned": 12,
    "nurses_assigned": 1234,
    "nursing_unmet_by_tier": {"backfill": 5, "transfer_1to1": 0},
    "districts_short_of_reserve": 2,
    "care_home_residents": 5000,
    "lowest_fill_rate": {"tcm": 0.5, "cough": 1.0},
    "hospital_fill_rate": {"tcm": 0.25, "antiviral": 1.0},
    "drug_shortfall": {"tcm": 1000, "cough": 0},
    "drug_shortfall_by_kind": {"care_home": 0, "clinic": 400, "hospital": 600},
    "compliance_checks": 40,
    "compliance_met": 30,
}


def test_cards_in_reading_order_with_formatted_values() -> None:
    cards = overview.kpi_cards(KPIS, None, "en")
    assert [c.key for c in cards] == [spec.key for spec in overview.CARD_SPECS]
    shown = {c.key: c.value for c in cards}
    assert shown == {
        "observation_placed": "90",
        "unmet_persons": "10",
        "covered_share": "97.3 %",
        "uncovered_homes": "3",
        "one_to_one_coverage": "100.0 %",
        "nurses_assigned": "1,234",
        "nursing_unmet_by_tier": "5",
        "districts_short_of_reserve": "2",
        "lowest_fill_rate": "50.0 %",
        "hospital_fill_rate": "25.0 %",
        "drug_shortfall": "1,000",
        "compliance_met": "75.0 %",
    }
    assert all(c.delta is None for c in cards)
    assert all(c.help for c in cards), "every card says what it counts"
    assert "100 need a place" in cards[0].help
    shortfall = next(c for c in cards if c.key == "drug_shortfall")
    assert "care homes and primary care centres 400, hospitals 600" in shortfall.help


def test_a_kind_with_no_need_shows_no_fill_rate() -> None:
    kpis = {**KPIS, "lowest_fill_rate": {}, "hospital_fill_rate": {}}
    cards = {c.key: c for c in overview.kpi_cards(kpis, None, "zh")}
    assert cards["lowest_fill_rate"].value == "无需求"
    assert cards["hospital_fill_rate"].value == "无需求"
    assert {c.key: c for c in overview.kpi_cards(kpis, None, "en")}["lowest_fill_rate"].value == "— (no need)"


def test_deltas_against_the_previous_plan_and_their_colours() -> None:
    previous = {**KPIS, "observation_placed": 80, "covered_share": 0.9934, "drug_shortfall": {"tcm": 1000}}
    cards = {c.key: c for c in overview.kpi_cards(KPIS, previous, "zh")}
    assert cards["observation_placed"].delta == "+10"
    assert cards["covered_share"].delta == "-2.0 pp"
    assert cards["drug_shortfall"].delta is None
    assert cards["unmet_persons"].delta_color == "inverse"
    assert cards["observation_placed"].label == "集中健康观察已安置人数"


def test_a_change_that_rounds_to_nothing_shows_no_delta() -> None:
    previous = {**KPIS, "covered_share": 0.97342, "nurses_assigned": 1234.2}
    cards = {c.key: c for c in overview.kpi_cards(KPIS, previous, "en")}
    assert cards["covered_share"].delta is None, "no -0.0 pp"
    assert cards["nurses_assigned"].delta is None


def test_cards_skip_missing_kpis() -> None:
    cards = overview.kpi_cards({"observation_placed": 1}, {}, "en")
    assert [c.key for c in cards] == ["observation_placed"]
    assert cards[0].delta is None


def test_compliance_table_one_row_per_rule_with_source() -> None:
    table = overview.compliance_table(make_plan_fixture().compliance, "zh")
    assert list(table.columns) == ["全部达标", "规则", "检查项", "达标", "未达标", "达标比例", "出处条款"]
    assert table["全部达标"].tolist() == [False, False, False]
    assert table["出处条款"].tolist() == [
        source_label(s, "zh") for s in ("000 §4 reserve", "003 三(二)10", "001 (xvi)")
    ]


def test_real_compliance_rules_get_labels() -> None:
    table = overview.compliance_table(tiny_plan("severe", (), STREET_RULES).compliance, "en")
    assert "An observation site in every street/town" in table["Rule"].tolist()
    table = overview.compliance_table(tiny_plan("severe").compliance, "en")
    assert "Transfer to the designated hospital within 2 hours" in table["Rule"].tolist()


def test_shortfall_sizes_line_up_with_the_explanations() -> None:
    plan = tiny_plan("severe")
    sizes = sf.shortfall_sizes(plan)
    for stage in ("observation", "ambulance", "nursing", "drugs"):
        assert (sizes["stage"] == stage).sum() == (plan.explanations["stage"] == stage).sum(), stage
    shortfalls = sf.explained_shortfalls(plan, "zh", per_stage=2)
    drugs = shortfalls[shortfalls["stage"] == "药品物资"]
    assert len(drugs) == 2
    assert drugs["size"].iloc[0] == "19,331 份", "antigen kits, the largest gap"


def test_shortfalls_of_the_fixture() -> None:
    shortfalls = sf.explained_shortfalls(make_plan_fixture(), "en")
    assert shortfalls.to_dict("records") == [
        {
            "stage": "observation sites",
            "size": "1 persons",
            "explanation": "Care home H003: 1 person has no free room in reach.",
        },
        {
            "stage": "120 ambulances",
            "size": "0.10 transfers a day",
            "explanation": "Care home H003: no 120 station in reach.",
        },
    ]


def test_marginal_table_largest_first() -> None:
    table = sf.marginal_table(make_plan_fixture(), "zh")
    assert table["explanation"].tolist() == ["ST2每增加1个房间可多安置1人。", "W1每增加1盒止咳药可多满足1盒需求。"]
    assert table["stage"].tolist() == ["集中健康观察", "药品物资"]


def test_remember_shown_gives_the_previous_plans_kpis() -> None:
    session: dict[str, Any] = {}
    assert overview.remember_shown(session, "a", {"x": 1}) is None
    assert overview.remember_shown(session, "a", {"x": 1}) is None, "same plan again: no previous"
    assert overview.remember_shown(session, "b", {"x": 2}) == {"x": 1}
    assert overview.remember_shown(session, "b", {"x": 2}) == {"x": 1}, "a rerun keeps the deltas"


def test_bullet_lines_escape_markdown() -> None:
    text = overview.bullet_lines(pd.Series(["drugs"]), pd.Series(["3 packs"]), pd.Series(["a_b *c* $5"]))
    assert text == "- **drugs** · 3 packs — a\\_b \\*c\\* \\$5"
    assert overview.bullet_lines(pd.Series(["x"]), None, pd.Series(["y"])) == "- **x** — y"


def test_marginal_table_keeps_a_few_of_each_stage() -> None:
    plan = tiny_plan("severe")
    table = sf.marginal_table(plan, "en", rows=10, per_stage=2)
    assert table.groupby("stage").size().max() <= 2
