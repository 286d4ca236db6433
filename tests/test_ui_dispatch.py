"""The dispatch sheet: by district, then nurses, persons, drugs; the biggest sender first; values never formulas."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from plan_fixture import FORMULA_TEXT, make_plan_fixture
from ui_fixtures import tiny_places, tiny_plan

from planner.ui.dispatch import (
    LINE_COLUMNS,
    dispatch_lines,
    dispatch_xlsx_bytes,
    district_summary,
    drug_lines,
    nurse_lines,
    order_lines,
    person_lines,
)


def _hand_lines() -> pd.DataFrame:
    nurses = nurse_lines(
        pd.DataFrame(
            {
                "pool_id": ["P1", "P1", "P2"],
                "need_id": ["t:HP1", "b:H001", "b:H003"],
                "nurses": [2, 3, 1],
                "minutes": [10.0, 5.0, 7.0],
            }
        ),
        pd.DataFrame(
            {
                "need_id": ["t:HP1", "b:H001", "b:H003"],
                "destination_id": ["HP1", "H001", "H003"],
                "need": ["transfer_1to1", "backfill", "backfill"],
            }
        ),
    )
    persons = person_lines(
        pd.DataFrame(
            {
                "home_id": ["H001", "H001", "H002", "H003", "H002"],
                "site_id": ["ST1", "ST1", "ST1", "ST2", "ST2"],
                "group": ["other", "disabled", "other", "other", "other"],
                "persons": [12, 3, 20, 5, 0],
                "minutes": [1.0, 1.0, 2.0, 3.0, 4.0],
            }
        )
    )
    drugs = drug_lines(
        pd.DataFrame(
            {
                "depot_id": ["W1", "W1"],
                "institution_id": ["H001", "C1"],
                "drug": ["cough", "antipyretic"],
                "quantity": [1, 226],
                "minutes": [6.0, 6.0],
            }
        )
    )
    return pd.concat([nurses, persons, drugs], ignore_index=True)


DISTRICTS = {"P1": "D1", "P2": "D2", "H001": "D1", "H002": "D1", "H003": "D2", "W1": "D1"}


def test_calling_order_worked_by_hand() -> None:
    ordered = order_lines(_hand_lines(), DISTRICTS)
    calls = list(
        zip(
            ordered["district_id"],
            ordered["step"],
            ordered["sender_id"],
            ordered["receiver_id"],
            ordered["quantity"],
            strict=True,
        )
    )
    assert calls == [
        ("D1", 1, "P1", "H001", 3),  # nurses first; P1 sends 5 in all, its largest line first
        ("D1", 2, "P1", "HP1", 2),
        ("D1", 3, "H002", "ST1", 20),  # H002 sends 20 persons, more than H001's 15
        ("D1", 4, "H001", "ST1", 12),
        ("D1", 5, "H001", "ST1", 3),
        ("D1", 6, "W1", "C1", 226),
        ("D1", 7, "W1", "H001", 1),
        ("D2", 1, "P2", "H003", 1),
        ("D2", 2, "H003", "ST2", 5),
    ]


def test_zero_lines_are_dropped() -> None:
    assert (_hand_lines()["quantity"] > 0).all()


def test_summary_per_district() -> None:
    ordered = order_lines(_hand_lines(), DISTRICTS)
    ordered = ordered.assign(district=ordered["district_id"], sender_code=ordered["sender_kind"])
    summary = district_summary(ordered).set_index("district_id")
    assert summary.loc["D1", ["nurses", "persons", "packs", "lines"]].tolist() == [5, 35, 227, 7]
    assert summary.loc["D2", ["nurses", "persons", "packs", "lines"]].tolist() == [1, 5, 0, 2]


def _fixture_places() -> pd.DataFrame:
    rows = [
        ("007", "care_home", "D1", "东城区", "阳光养老院"),
        ("H002", "care_home", "D1", "东城区", "和谐养老院"),
        ("H003", "care_home", "D1", "东城区", "松柏养老院"),
        ("ST1", "site", "D1", "东城区", FORMULA_TEXT),
        ("HP1", "hospital", "D1", "东城区", "地坛医院"),
        ("C1", "clinic", "D1", "东城区", "安定门社区卫生服务中心"),
        ("N1", "pool", "D1", "东城区", "东城护理队"),
        ("N2", "pool", "D2", "西城区", "西城护理队"),
        ("W1", "depot", "D1", "东城区", "东城储备库"),
    ]
    frame = pd.DataFrame(rows, columns=["id", "kind", "district_id", "district", "name"]).assign(lat=39.9, lon=116.4)
    return frame.set_index("id", drop=False)


def test_dispatch_lines_of_the_plan_fixture_in_chinese() -> None:
    lines = dispatch_lines(make_plan_fixture(), _fixture_places(), "zh")
    assert tuple(lines.columns) == LINE_COLUMNS
    first = lines.iloc[0]
    # N1 sends 2 + 2: equal lines go in receiver id order ("007" before "HP1")
    expected = ("东城区", "东城护理队", "阳光养老院", "顶岗", 2)
    assert (first["district"], first["sender"], first["receiver"], first["what"], first["quantity"]) == expected
    assert lines["district_id"].tolist() == ["D1"] * 7 + ["D2"]
    n2 = lines[lines["sender_id"] == "N2"].iloc[0]
    assert (n2["receiver"], n2["receiver_district"], n2["unit"]) == (FORMULA_TEXT, "东城区", "名护理人员")


def test_workbook_has_a_summary_and_a_sheet_per_district_and_quotes_formulas() -> None:
    data = dispatch_xlsx_bytes(make_plan_fixture(), _fixture_places(), "zh")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["汇总", "东城区", "西城区"]
    summary = [[c.value for c in row] for row in book["汇总"].iter_rows()]
    assert summary[0] == ["区", "护理人员", "人员", "药品（份）", "调度条数"]
    assert summary[1] == ["东城区", 4, 6, 35, 7]
    assert summary[2] == ["西城区", 2, 0, 0, 1]
    west = [[c.value for c in row] for row in book["西城区"].iter_rows()]
    assert west[0][:4] == ["序号", "派出方类别", "派出方", "接收方"]
    assert west[1][:4] == [1, "护理应急支援队伍", "西城护理队", FORMULA_TEXT]
    cell = book["西城区"]["D2"]
    assert cell.data_type == "s" and cell.value == FORMULA_TEXT


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_real_plan_dispatches_everything_it_assigns(language: str) -> None:
    plan = tiny_plan("severe")
    lines = dispatch_lines(plan, tiny_places(language), language)
    sent = lines.groupby("unit")["quantity"].sum()
    units = {"en": ("nurses", "persons", "packs"), "zh": ("名护理人员", "人", "份")}[language]
    assert sent[units[0]] == plan.stage("nursing").table("assignments")["nurses"].sum()
    assert sent[units[1]] == plan.stage("observation").table("assignments")["persons"].sum()
    assert sent[units[2]] == plan.stage("drugs").table("allocations")["quantity"].sum()
    book = openpyxl.load_workbook(io.BytesIO(dispatch_xlsx_bytes(plan, tiny_places(language), language)))
    assert len(book.sheetnames) == 1 + lines["district_id"].nunique()
