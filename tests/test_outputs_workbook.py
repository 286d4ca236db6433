"""The plan's Excel workbook: sheets, summary, header, ids and formula-like text, read back."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from plan_fixture import FIXTURE_SHA256, FORMULA_TEXT, LEADING_ZERO_ID, PHONE_TEXT

from planner.outputs.contract import is_missing
from planner.outputs.tables import plan_tables
from planner.outputs.workbook import to_xlsx_bytes
from planner.report.plan import Plan


@pytest.fixture(scope="module")
def workbook(plan: Plan) -> Any:
    return openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(plan)))


def test_workbook_sheets_summary_first_then_compliance_then_tables(plan: Plan, workbook: Any) -> None:
    tables = [name for name in plan_tables(plan) if name != "compliance"]
    assert workbook.sheetnames == ["Summary", "Compliance", *tables]
    assert all(len(name) <= 31 for name in workbook.sheetnames)


def test_workbook_summary_holds_kpis_scenario_and_rules_with_sources(workbook: Any) -> None:
    cells = [cell for row in workbook["Summary"].iter_rows(values_only=True) for cell in row if cell is not None]
    for expected in ("tiny 东城区", FIXTURE_SHA256, "KPIs / 指标", "unmet_persons", "attack_rate", "000 §4 reserve"):
        assert expected in cells
    rows = list(workbook["Summary"].iter_rows(values_only=True))
    reserve = next(row for row in rows if row[0] == "nursing_reserve_per_resident")
    assert reserve[1:4] == (0.1, "nurses per care-home resident (district reserve, rounded up)", "000 §4 reserve")


def test_workbook_table_sheets_have_a_bold_frozen_header_and_sized_columns(workbook: Any) -> None:
    for name in workbook.sheetnames[1:]:
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2", name
        assert all(cell.font.bold for cell in sheet[1]), name
    width = workbook["explanations"].column_dimensions["E"].width
    assert 20 < width <= 61


def test_workbook_tables_read_back_equal(plan: Plan, workbook: Any) -> None:
    for name, frame in plan_tables(plan).items():
        sheet = workbook["Compliance" if name == "compliance" else name]
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == list(frame.columns), name
        expected = [tuple(None if is_missing(v) else v for v in row) for row in frame.itertuples(index=False)]
        assert rows[1:] == expected, name


def test_workbook_ids_and_formula_like_text_are_text(workbook: Any) -> None:
    home = workbook["observation_assignments"]["A2"]
    assert (home.value, home.data_type) == (LEADING_ZERO_ID, "s")
    name = workbook["observation_sites"]["J3"]
    assert (name.value, name.data_type) == (FORMULA_TEXT, "s")
    assert name.quotePrefix
    phone = workbook["ambulance_stations"]["G2"]
    assert (phone.value, phone.data_type) == (PHONE_TEXT, "s")
    assert phone.quotePrefix
    assert not workbook["observation_sites"]["A2"].quotePrefix
    formulas = [
        cell.coordinate for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.data_type == "f"
    ]
    assert formulas == []


def test_workbook_keeps_chinese(workbook: Any) -> None:
    assert workbook["explanations"]["E2"].value == "养老机构H003：1人在可达范围内无空余房间。"
    assert workbook["compliance".title()]["F3"].value == "003 三(二)10"
