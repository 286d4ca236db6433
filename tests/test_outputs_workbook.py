"""The coordinator's Excel workbook: in one language, names beside ids, rounded with units, a cover sheet,
frozen headers, totals, ids and formula-like text kept as text."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plan_fixture import FIXTURE_SHA256, FORMULA_TEXT, LEADING_ZERO_ID, PHONE_TEXT

from planner.outputs.sheets import SheetWriter, formats
from planner.outputs.workbook import to_xlsx_bytes
from planner.report.plan import Plan

NAMES_ZH = {LEADING_ZERO_ID: "零零七养老院", "ST1": "安定门观察点", "D1": "东城区", "D2": "西城区", "HP1": "地坛医院"}
NAMES_EN = {LEADING_ZERO_ID: "Home 007", "ST1": "Andingmen site", "D1": "Dongcheng", "D2": "Xicheng"}
CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def chinese(plan: Plan) -> Any:
    return openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(plan, "zh", NAMES_ZH)))


@pytest.fixture(scope="module")
def english(plan: Plan) -> Any:
    return openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(plan, "en", NAMES_EN)))


def _rows(sheet: Any) -> list[tuple[Any, ...]]:
    return list(sheet.iter_rows(values_only=True))


def test_sheets_are_named_in_the_workbooks_language(chinese: Any, english: Any) -> None:
    assert chinese.sheetnames[:4] == ["概要", "合规检查", "集中健康观察点", "人员安置去向"]
    assert english.sheetnames[:4] == ["Summary", "Compliance", "Observation sites", "Who goes where"]
    assert english.sheetnames[-4:] == ["Why short", "What more would buy", "Day by day", "Run-out days"]
    assert all(CJK.search(name) for name in chinese.sheetnames)
    assert all(len(name) <= 31 for name in chinese.sheetnames + english.sheetnames)


def test_the_cover_says_what_was_planned_under_which_rules(chinese: Any, english: Any) -> None:
    cells = [cell for row in _rows(chinese["概要"]) for cell in row if cell is not None]
    for expected in ("tiny 东城区", FIXTURE_SHA256, "疫情流行", "情景参数", "各阶段求解", "关键指标", "感染率"):
        assert expected in cells, expected
    rules = _rows(chinese["概要"])
    reserve = next(row for row in rules if row[0] and str(row[0]).startswith("护理应急支援队伍储备"))
    assert reserve[1] == 0.1, "each rule with its value"
    assert "《北京市养老机构新冠病毒感染疫情防控工作方案》§4" in str(reserve[4]), (
        "its clause under its document's title"
    )
    english_cells = [cell for row in _rows(english["Summary"]) for cell in row if cell is not None]
    assert "Daily transfers covered" in english_cells, "KPIs by their names"
    assert "Response level" in english_cells and "prevalent" in english_cells


def test_headers_are_localized_with_units_and_names_stand_beside_ids(chinese: Any) -> None:
    rows = _rows(chinese["人员安置去向"])
    assert rows[0][:4] == ("养老机构编号", "养老机构", "集中健康观察点编号", "集中健康观察点")
    assert "路程（分钟）" in rows[0] and "人数" in rows[0]
    assert rows[1][:4] == (LEADING_ZERO_ID, "零零七养老院", "ST1", "安定门观察点")
    assert rows[1][rows[0].index("人群")] == "失能失智"


def test_numbers_are_rounded_and_shares_are_percentages(chinese: Any) -> None:
    rows = _rows(chinese["药品储备目标"])
    fill = rows[0].index("满足率（%）")
    assert [row[fill] for row in rows[1:3]] == [100.0, 66.7]


def test_header_rows_are_frozen_and_totals_close_the_tables(chinese: Any) -> None:
    for name in chinese.sheetnames[1:]:
        sheet = chinese[name]
        assert sheet.freeze_panes in ("A2", "B2"), name
        assert all(cell.font.bold for cell in sheet[1]), name
    rows = _rows(chinese["人员安置去向"])
    assert rows[-1][0] == "合计"
    persons = rows[0].index("人数")
    assert rows[-1][persons] == 6
    assert rows[-1][rows[0].index("路程（分钟）")] is None, "minutes do not add up"


def test_ids_and_formula_like_text_stay_text(chinese: Any) -> None:
    home = chinese["人员安置去向"]["A2"]
    assert (home.value, home.data_type) == (LEADING_ZERO_ID, "s")
    sheet = chinese["120 急救站"]
    phone = next(cell for row in sheet.iter_rows() for cell in row if cell.value == PHONE_TEXT)
    assert phone.data_type == "s" and phone.quotePrefix
    site = next(cell for row in chinese["集中健康观察点"].iter_rows() for cell in row if cell.value == FORMULA_TEXT)
    assert site.quotePrefix
    formulas = [
        cell.coordinate for sheet in chinese for row in sheet.iter_rows() for cell in row if cell.data_type == "f"
    ]
    assert formulas == []


def test_explanations_and_marginal_values_in_the_workbooks_language(chinese: Any, english: Any) -> None:
    said = [row[-1] for row in _rows(chinese["缺口说明"])[1:]]
    assert "养老机构H003：1人在可达范围内无空余房间。" in said
    assert all(not CJK.search(str(row[-1])) for row in _rows(english["Why short"])[1:])


def _sheet_of(frame: pd.DataFrame, by_column: bool) -> tuple[list[list[Any]], dict[int, int]]:
    """Cells (value, number format, quote prefix) and column widths of ``frame`` written column by column or cell
    by cell."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    writer = SheetWriter(workbook.add_worksheet("t"), formats(workbook))
    if by_column:
        for col in range(len(frame.columns)):
            writer.write_column(1, col, frame.iloc[:, col])
    else:
        for row, values in enumerate(frame.itertuples(index=False, name=None), start=1):
            writer.write_row(row, values)
    widths = dict(writer.widths)
    writer.finish()
    workbook.close()
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["t"]
    cells = [[(cell.value, cell.number_format, cell.quotePrefix) for cell in row] for row in sheet.iter_rows()]
    return cells, widths


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 6), st.data())
def test_a_column_written_at_once_equals_it_written_cell_by_cell(rows: int, data: st.DataObject) -> None:
    floats = st.floats(allow_nan=True, allow_infinity=True, width=32)
    frame = pd.DataFrame(
        {
            "count": data.draw(st.lists(st.integers(-(10**12), 10**12), min_size=rows, max_size=rows)),
            "real": pd.Series(data.draw(st.lists(floats, min_size=rows, max_size=rows)), dtype=float),
            "flag": pd.Series(data.draw(st.lists(st.booleans(), min_size=rows, max_size=rows)), dtype=bool),
            "text": data.draw(st.lists(st.one_of(st.none(), st.text(max_size=8)), min_size=rows, max_size=rows)),
            "words": data.draw(st.lists(st.text("=+-@'\t东a1 ", max_size=6), min_size=rows, max_size=rows)),
        }
    )
    assert _sheet_of(frame, by_column=True) == _sheet_of(frame, by_column=False)
