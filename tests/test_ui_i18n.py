"""Every label exists in English and Chinese, with the same fields; tables are localized."""

from __future__ import annotations

import re
import string

import pandas as pd
import pytest

from planner.rules.rules import load_rules
from planner.ui import i18n

CJK = re.compile(r"[\u4e00-\u9fff]")
DICTIONARIES = {
    "LABELS": i18n.LABELS,
    "KPI_LABELS": i18n.KPI_LABELS,
    "RULE_IDS": i18n.RULE_IDS,
    "STAGES": i18n.STAGES,
    "COLUMNS": i18n.COLUMNS,
    **{f"VALUES.{category}": values for category, values in i18n.VALUES.items()},
}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("name", sorted(DICTIONARIES))
def test_every_entry_has_both_languages_with_the_same_fields(name: str) -> None:
    for key, (english, chinese) in DICTIONARIES[name].items():
        if key == "" or english in ("A", "B"):
            continue
        assert english.strip(), f"{name}[{key}] has no English"
        assert chinese.strip(), f"{name}[{key}] has no Chinese"
        assert _fields(english) == _fields(chinese), f"{name}[{key}] fields differ"


def test_chinese_labels_are_chinese() -> None:
    ascii_only = [k for k, (_, zh) in i18n.LABELS.items() if not CJK.search(zh)]
    assert ascii_only == []


def test_design_terms_are_used() -> None:
    """DESIGN §1: the Chinese terms of the domain."""
    assert i18n.value("level", "severe", "zh") == "疫情流行严重"
    assert i18n.value("level", "prevalent", "zh") == "疫情流行"
    assert i18n.value("level", "normal", "zh") == "非疫情流行"
    assert i18n.column_label("site_id", "zh") == "集中健康观察点"
    assert i18n.column_label("station_id", "zh") == "120 急救站"
    assert i18n.column_label("pool_id", "zh") == "护理应急支援队伍"
    assert i18n.column_label("depot_id", "zh") == "药品物资储备库"
    assert i18n.column_label("home_id", "zh") == "养老机构"
    assert i18n.column_label("street_id", "zh") == "街道/乡镇"


def test_t_fills_fields_in_either_language() -> None:
    assert i18n.t("solved", "en", seconds=1.25) == "Plan ready in 1.2 s"
    assert i18n.t("solved", "zh", seconds=1.25) == "方案已生成，用时 1.2 秒"
    assert i18n.t("tab_map", "zh") == "地图"


def test_every_compliance_rule_and_kpi_of_the_planner_has_a_label() -> None:
    from planner.stages.registry import STAGE_NAMES

    rule_ids = {
        "nursing_reserve",
        "one_to_one_nursing",
        "drug_reserve",
        "icu_share",
        "transfer_2h",
        "site_per_street",
        "no_site_in_street",
        "site_stock_days",
        "one_person_per_room",
        "barrier_free",
        "sampling_points",
        "antigen_test_kits",
    }
    assert rule_ids <= set(i18n.RULE_IDS)
    assert set(STAGE_NAMES) <= set(i18n.STAGES)
    assert i18n.rule_label("unknown_rule", "zh") == "unknown_rule"
    assert i18n.kpi_label("covered_share", "zh") == "120 转运覆盖率"


def test_rule_presets_carry_chinese_labels() -> None:
    for row in load_rules().table():
        assert CJK.search(row["label_zh"]), row["field"]


def test_localize_names_ids_translates_codes_and_headers() -> None:
    frame = pd.DataFrame({"site_id": ["ST1", "X"], "group": ["disabled", "other"], "persons": [3, 1]})
    shown = i18n.localize(frame, "zh", {"ST1": "安定门观察点"})
    assert list(shown.columns) == ["集中健康观察点", "人群", "人数"]
    assert shown.iloc[:, 0].tolist() == ["安定门观察点 (ST1)", "X"], "names beside ids"
    assert shown.iloc[:, 1].tolist() == ["失能失智", "其他"]
    english = i18n.localize(frame, "en")
    assert list(english.columns) == ["Observation site", "Group", "Persons"]
    assert english["Observation site"].tolist() == ["ST1", "X"]


def test_a_scope_names_the_institution_and_the_drug() -> None:
    frame = pd.DataFrame({"scope_id": ["HP0002:antigen_kit", "110106"], "met": [False, True]})
    names = {"HP0002": "地坛医院", "110106": "丰台区"}
    shown = i18n.localize(frame, "zh", names)
    assert shown["范围"].tolist() == ["地坛医院 (HP0002)：抗原检测试剂", "丰台区 (110106)"]
    assert shown["达标"].tolist() == ["否", "是"]


def test_unknown_codes_and_columns_pass_through() -> None:
    assert i18n.value("drug", "aspirin", "zh") == "aspirin"
    assert i18n.column_label("mystery", "zh") == "mystery"
    assert i18n.column_label("pool_name", "en") == "Reserve pool"


def test_percent() -> None:
    assert i18n.percent(0.8734) == "87.3 %"
    assert i18n.percent(None) == "–"
