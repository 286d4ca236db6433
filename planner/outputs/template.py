"""A district dataset as an Excel workbook to fill in: the template a coordinator starts from.

One sheet per table (named as the reader expects: ``care_homes``, ...), each with

- row 1: the column names the reader reads (``home_id``, ``residents``, ...);
- row 2: what each column holds, in the template's language, with its unit and whether it is required
  (``# 在住老年人（人）· 必填``);
- row 3: an example row (``# 示例`` in its first cell);
- from row 4: the data (empty, or an existing dataset written in).

Rows whose first cell starts with ``#`` are skipped by the reader, so rows 2 and 3 can stay. Cells offer the
values the reader accepts as drop-down lists (booleans, site status, hospital level, and the ids of the
districts, streets and designated hospitals already entered). A ``readme`` sheet (also skipped by the reader)
says what each table is and how to fill it in. ``epiplan template --data FOLDER`` writes an existing dataset
into the template; the round trip reads back to the same dataset.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import pandas as pd

from planner.dataset.schema import TABLES, ColumnSpec, Dataset
from planner.report.labels import column_label, pick, unit, unit_named

README_SHEET = "readme"
"""The explanation sheet (the reader skips it)."""
COMMENT = "#"
"""A row whose first cell starts with this is not data (the reader skips it)."""
FIRST_DATA_ROW = 3
"""0-based row of the first data row (after the header, the description and the example)."""
VALIDATION_ROWS = 5000
"""Rows offered the drop-down lists."""

TABLE_WORDS: dict[str, tuple[str, str]] = {
    "districts": ("Districts (区)", "区"),
    "streets": ("Streets and towns: the basic coordination unit", "街道 / 乡镇"),
    "care_homes": ("Care homes (old-age care institutions)", "养老机构"),
    "clinics": ("Primary care centres", "社区卫生服务中心 / 乡镇卫生院"),
    "hospitals": ("Hospitals, designated hospitals", "医院、定点医院"),
    "sites": ("Observation sites (centralized health observation points)", "集中健康观察点"),
    "stations": ("120 ambulance stations", "120 急救站"),
    "pools": ("Reserve pools (nursing emergency support teams)", "护理应急支援队伍"),
    "depots": ("Depots (drug and supplies reserves)", "药品物资储备库"),
    "labs": ("NAT labs, optional (daily nucleic acid tests)", "核酸检测实验室（可选）"),
    "sampling_sites": ("Candidate sampling points, optional", "候选便民采样点（可选）"),
    "forecast": (
        "Forecast of new infections by day, optional (one district_id or one home_id per row; day 0 = the first day "
        "of the plan); replaces the epidemic curve there",
        "逐日新增感染预测（可选；每行填 district_id 或 home_id 之一；第0天为计划首日），用于替代该处的默认流行曲线",
    ),
    "travel_minutes": ("Travel times, optional (else from coordinates)", "路程时间（可选；不填则按坐标估算）"),
}
WORDS: dict[str, tuple[str, str]] = {
    "required": ("required", "必填"),
    "optional": ("optional", "选填"),
    "example": ("example", "示例"),
    "title": ("epiplan district dataset template", "epiplan 区级数据模板"),
    "how": (
        "One sheet per table. Row 1 holds the column names (keep them); row 2 says what each column holds and row 3 "
        "is an example: both start with # and are skipped when the file is read. Write your data from row 4. Ids "
        "link the tables (a care home's street_id is a street_id of the streets sheet). Upload the file in the app "
        "or run: epiplan validate FILE.xlsx",
        "每张表一个工作表。第1行为列名（请勿修改）；第2行说明各列含义，第3行为示例，两行均以 # 开头，读取时跳过。"
        "请从第4行起填写数据。各表通过编号关联（例如养老机构的 street_id 须为 streets 表中的 street_id）。"
        "填好后在网页中上传，或运行：epiplan validate 文件.xlsx",
    ),
    "sheet": ("Sheet", "工作表"),
    "what": ("What it holds", "内容"),
    "rows": ("Rows", "行数"),
    "booleans": ("true/false (also yes/no, 1/0, 是/否)", "是/否（也可填 true/false、yes/no、1/0）"),
    "status": ("open, candidate or closed", "open（开放）、candidate（备用）或 closed（关闭）"),
    "level": ("2 or 3", "2 或 3"),
}
EXAMPLES: dict[str, dict[str, object]] = {
    "districts": {"district_id": "110106", "name": "Fengtai", "population": 2019000, "name_zh": "丰台区"},
    "streets": {"street_id": "110106001", "district_id": "110106", "name": "Youanmen", "population": 85000},
    "care_homes": {"home_id": "CH0001", "street_id": "110106001", "name": "Sunshine Home", "residents": 120},
    "clinics": {"clinic_id": "C0001", "street_id": "110106001", "name": "Youanmen CHC", "service_population": 80000},
    "hospitals": {"hospital_id": "HP0001", "street_id": "110106001", "name": "Fengtai Hospital", "level": 3},
    "sites": {"site_id": "OS0001", "street_id": "110106001", "name": "Youanmen Hotel", "rooms": 60},
    "stations": {"station_id": "AS0001", "district_id": "110106", "name": "Fengtai 120", "ambulances": 4},
    "pools": {"pool_id": "NP0001", "district_id": "110106", "name": "Fengtai nurses", "nurses": 30},
    "depots": {"depot_id": "DP0001", "district_id": "110106", "name": "Fengtai depot", "stock_antipyretic": 50000},
    "labs": {"lab_id": "LB0001", "district_id": "110106", "nat_tests_per_day": 50000},
    "sampling_sites": {"site_id": "SP0001", "street_id": "110106001", "desks": 4},
    "forecast": {"day": 0, "district_id": "110106", "new_infections": 120},
    "travel_minutes": {"from_id": "AS0001", "to_id": "CH0001", "minutes": 12.5},
}
"""A few telling example cells per table (the other cells of the example row are left blank or filled by kind)."""
KIND_EXAMPLES: dict[str, object] = {"lat": 39.858, "lon": 116.356, "count": 0, "number": 0, "bool": "否"}
ID_LISTS: dict[str, tuple[str, str]] = {
    "district_id": ("districts", "A"),
    "street_id": ("streets", "A"),
    "designated_hospital_id": ("hospitals", "A"),
}
"""Id columns offered the ids of another sheet as a drop-down list: column -> (sheet, column letter)."""


def _description(spec: ColumnSpec, table: str, language: str) -> str:
    """``# 在住老年人（人）· 必填``: what a column holds, its unit and whether it is required."""
    label = column_label(spec.name, language, table)
    shown = unit(spec.name, language, table)
    if shown and not unit_named(label, shown, language):
        label = f"{label}（{shown}）" if language == "zh" else f"{label} ({shown})"
    if spec.kind == "bool":
        label += f" — {pick(WORDS['booleans'], language)}"
    elif spec.kind == "status":
        label += f" — {pick(WORDS['status'], language)}"
    elif spec.kind == "level":
        label += f" — {pick(WORDS['level'], language)}"
    need = pick(WORDS["required" if spec.required else "optional"], language)
    return f"{label} · {need}"


def _example(spec: ColumnSpec, table: str, language: str) -> object:
    given = EXAMPLES.get(table, {})
    if spec.name in given:
        return given[spec.name]
    if spec.kind == "bool":
        return "否" if language == "zh" else "no"
    if spec.kind == "status":
        return "open"
    return KIND_EXAMPLES.get(spec.kind, "")


def _cell(value: object) -> object:
    """A dataset value as a cell: blanks for missing values, booleans in words, numbers as numbers."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "item"):
        return value.item()
    return value


def _write_sheet(
    workbook: Any, formats: Mapping[str, Any], table: str, data: pd.DataFrame | None, language: str
) -> None:
    spec = TABLES[table]
    columns = list(spec.all_columns())
    sheet = workbook.add_worksheet(table)
    for col, column in enumerate(columns):
        sheet.write_string(0, col, column.name, formats["header"])
        sheet.write_string(1, col, (COMMENT + " " if col == 0 else "") + _description(column, table, language))
        example = _example(column, table, language)
        if col == 0:
            example = f"{COMMENT} {pick(WORDS['example'], language)}: {example}"
        if isinstance(example, str):
            sheet.write_string(2, col, example, formats["example"])
        else:
            sheet.write_number(2, col, float(example), formats["example"])  # type: ignore[arg-type]
        width = max(len(column.name) + 2, 12 if column.kind in ("text", "id") else 10)
        sheet.set_column(col, col, min(width, 28), formats["id"] if column.kind == "id" else None)
        _validate(sheet, col, column, language)
    sheet.set_row(1, 48, formats["description"])
    sheet.freeze_panes(1, 1)
    if data is None:
        return
    for offset, values in enumerate(data.reindex(columns=[c.name for c in columns]).itertuples(index=False)):
        row = FIRST_DATA_ROW + offset
        for col, (column, value) in enumerate(zip(columns, values, strict=True)):
            cell = _cell(value)
            if cell is None:
                continue
            if column.kind in ("id", "text", "status") or isinstance(cell, str):
                sheet.write_string(row, col, str(cell))
            else:
                sheet.write_number(row, col, float(str(cell)))


def _validate(sheet: Any, col: int, column: ColumnSpec, language: str) -> None:
    """Drop-down lists of the values the reader accepts (and of the ids already entered)."""
    first, last = FIRST_DATA_ROW, FIRST_DATA_ROW + VALIDATION_ROWS
    choices: dict[str, Any] | None = None
    if column.kind == "bool":
        choices = {"validate": "list", "source": ["是", "否"] if language == "zh" else ["yes", "no"]}
    elif column.kind == "status":
        choices = {"validate": "list", "source": ["open", "candidate", "closed"]}
    elif column.kind == "level":
        choices = {"validate": "list", "source": ["2", "3"]}
    elif column.name in ID_LISTS and column.kind == "id":
        other, letter = ID_LISTS[column.name]
        source = f"={other}!${letter}${first + 1}:${letter}${last + 1}"
        choices = {"validate": "list", "source": source, "error_type": "warning"}
    elif column.kind in ("count", "level"):
        choices = {"validate": "integer", "criteria": ">=", "value": 0, "error_type": "warning"}
    if choices is not None:
        sheet.data_validation(first, col, last, col, {**choices, "ignore_blank": True})


def _write_readme(workbook: Any, formats: Mapping[str, Any], language: str, dataset: Dataset | None) -> None:
    sheet = workbook.add_worksheet(README_SHEET)
    sheet.write_string(0, 0, pick(WORDS["title"], language), formats["title"])
    sheet.write_string(1, 0, pick(WORDS["how"], language), formats["wrap"])
    sheet.set_row(1, 110)
    sheet.set_column(0, 0, 20)
    sheet.set_column(1, 1, 90, formats["wrap"])
    sheet.set_column(2, 2, 10)
    for col, key in enumerate(("sheet", "what", "rows")):
        sheet.write_string(3, col, pick(WORDS[key], language), formats["header"])
    for row, (table, spec) in enumerate(TABLES.items(), start=4):
        sheet.write_string(row, 0, table)
        required = ", ".join(spec.required_columns)
        sheet.write_string(row, 1, f"{pick(TABLE_WORDS[table], language)} — {required}")
        if dataset is not None:
            sheet.write_number(row, 2, len(dataset.table(table)))
    sheet.activate()


def write_template(target: IO[bytes], language: str = "en", dataset: Dataset | None = None) -> None:
    """The template (see the module docstring) into a binary file object; ``dataset`` written in when given."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        target,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    formats = {
        "header": workbook.add_format({"bold": True, "bottom": 1, "bg_color": "#DDEBF7"}),
        "description": workbook.add_format({"italic": True, "font_color": "#555555", "text_wrap": True}),
        "example": workbook.add_format({"italic": True, "font_color": "#888888"}),
        "id": workbook.add_format({"num_format": "@"}),
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
    }
    _write_readme(workbook, formats, language, dataset)
    for table in TABLES:
        data = dataset.table(table) if dataset is not None else None
        _write_sheet(workbook, formats, table, data, language)
    workbook.close()


def template_bytes(language: str = "en", dataset: Dataset | None = None) -> bytes:
    """The template as bytes (for a download button)."""
    buffer = io.BytesIO()
    write_template(buffer, language, dataset)
    return buffer.getvalue()


def save_template(path: str | Path, language: str = "en", dataset: Dataset | None = None) -> Path:
    """Write the template to ``path``."""
    target = Path(path)
    target.write_bytes(template_bytes(language, dataset))
    return target


__all__ = ["COMMENT", "README_SHEET", "save_template", "template_bytes", "write_template"]
