"""The problems of a dataset (``planner.dataset.io.Problem``) in the reader's language.

The reader writes each problem in English from a handful of templates; :func:`problem_message` recognises the
template and writes it in Chinese, with the column's Chinese header beside its name (the name is what the file
says, so it stays). A message no template matches is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from planner.report.labels import column_label, value

Translate = Callable[[re.Match[str]], str]


def _column(name: str) -> str:
    """``disabled（失能失智老人）``: the name as the file writes it, the Chinese header beside it."""
    label = column_label(name, "zh")
    return name if label == name else f"{name}（{label}）"


_WORDS = {"latitude": "纬度", "longitude": "经度", "file": "文件", "sheet": "工作表"}
_ENTITIES = {
    "a district": "一个区",
    "a street": "一个街道",
    "a care home": "一个养老机构",
    "a clinic": "一个基层医疗卫生机构",
    "a hospital": "一家医院",
    "an observation site": "一个观察点",
    "an ambulance station": "一个急救站",
    "a reserve pool": "一个护理储备库",
    "a depot": "一个储备库",
    "a pair of places": "一对地点",
}
_ORDER = {"little-endian": "小端序", "big-endian": "大端序"}


def _subject(english: str) -> str:
    """What a size message is about: the file, the file once inflated, a workbook's part once inflated."""
    if english == "the file":
        return "文件"
    if english == "the file (once inflated)":
        return "文件解压后"
    part = re.fullmatch(r"(?:its part|the sheet XML) (.*?)(?: \(once inflated\))?", english)
    return f"其中的 {part[1]} 解压后" if part else english


_LIMITS = {
    "EPIPLAN_MAX_FILE_MB": "单个文件",
    "EPIPLAN_MAX_DATASET_MB": "全部表合计",
    "EPIPLAN_MAX_ROWS": "单个表",
    "EPIPLAN_MAX_COLUMNS": "单个表",
    "EPIPLAN_MAX_CELLS": "全部表合计",
}

PATTERNS: tuple[tuple[str, Translate], ...] = (
    (r"expected a whole number >= 0, got '(.*)'", lambda m: f"应为大于等于 0 的整数，实际为“{m[1]}”"),
    (r"expected a number >= 0, got '(.*)'", lambda m: f"应为大于等于 0 的数，实际为“{m[1]}”"),
    (r"hospital level must be 2 or 3, got '(.*)'", lambda m: f"医院等级应为 2 或 3，实际为“{m[1]}”"),
    (r"(latitude|longitude) must be a number, got '(.*)'", lambda m: f"{_WORDS[m[1]]}应为数字，实际为“{m[2]}”"),
    (
        r"(latitude|longitude) must be in (\[.*\]), got (.*)",
        lambda m: f"{_WORDS[m[1]]}应在 {m[2]} 范围内，实际为 {m[3]}",
    ),
    (
        r"expected true or false \(also 1/0, yes/no, 是/否\), got '(.*)'",
        lambda m: f"应为 true 或 false（也可填 1/0、yes/no、是/否），实际为“{m[1]}”",
    ),
    (
        r"status must be .*, got '(.*)'",
        lambda m: "状态应为 open（开放）、candidate（备用）或 closed（关闭），" + f"实际为“{m[1]}”",
    ),
    (r"missing value", lambda m: "缺少取值"),
    (r"empty (\w+)", lambda m: f"{_column(m[1])}为空"),
    (r"unknown column '(.*)' \(ignored\)", lambda m: f"未知列“{m[1]}”（已忽略）"),
    (r"missing required column '(.*)'", lambda m: f"缺少必需列“{_column(m[1])}”"),
    (r"no rows: the table (\w+) must have at least one row", lambda m: f"无数据：表 {m[1]} 至少需要一行"),
    (
        r"duplicate (\w+) '(.*)' \(also row (\d+)\)",
        lambda m: f"{_column(m[1])}“{m[2]}”重复（第 {m[3]} 行也是）",
    ),
    (
        r"(\w+) \((\d+)\) > (\w+) \((\d+)\)",
        lambda m: f"{_column(m[1])}（{m[2]}）大于{_column(m[3])}（{m[4]}）",
    ),
    (
        r"unknown (\w+) '(.*)' \(not an id of any table; the row is unused\)",
        lambda m: f"未知的{_column(m[1])}“{m[2]}”（不是任何表中的编号；该行未使用）",
    ),
    (r"unknown (\w+) '(.*)' \(not in (.*)\)", lambda m: f"未知的{_column(m[1])}“{m[2]}”（{m[3]} 中没有）"),
    (
        r"(\w+) '(.*)' is in (.*) but not (\w+) \((\w+) = false\)",
        lambda m: f"{_column(m[1])}“{m[2]}”在 {m[3]} 中，但其 {_column(m[4])} 为否",
    ),
    (
        r"no hospital is designated: transfers will have no designated hospital to go to",
        lambda m: "没有定点医院：转诊将无定点医院可去",
    ),
    (r"\.\.\. and ([\d,]+) more rows like this", lambda m: f"……另有 {m[1]} 行同类问题"),
    (r"missing required table (\w+)", lambda m: f"缺少必需的表 {m[1]}"),
    (r"the file is empty \(expected a header row and data rows\)", lambda m: "文件为空（应有表头行和数据行）"),
    (r"the sheet is empty \(expected a header row\)", lambda m: "工作表为空（应有表头行）"),
    (
        r"expected (\d+) cells as in the header, found (\d+) \(a comma inside an unquoted value\?\)",
        lambda m: f"应与表头一样有 {m[1]} 个单元格，实际为 {m[2]} 个（未加引号的值中有逗号？）",
    ),
    (r"cannot parse the CSV: (.*)", lambda m: f"无法解析 CSV 文件：{m[1]}"),
    (
        r"unreadable text: neither UTF-8 nor GB18030 \(byte (\S+) on line (\d+)\); save the file as 'CSV UTF-8'",
        lambda m: f"无法识别文字编码：既不是 UTF-8 也不是 GB18030（第 {m[2]} 行字节 {m[1]}）；请另存为“CSV UTF-8”",
    ),
    (
        r"unknown (file|sheet) \(ignored; tables are (.*)\)",
        lambda m: f"未知的{_WORDS[m[1]]}（已忽略；表名应为 {m[2]}）",
    ),
    (r"a second file for table (\w+) \((.*) is used\)", lambda m: f"表 {m[1]} 有第二个文件（使用 {m[2]}）"),
    (r"column (\d+) has no header \(ignored\)", lambda m: f"第 {m[1]} 列没有表头（已忽略）"),
    (
        r"column '(.*)' appears twice \(columns (\d+) and (\d+)\)",
        lambda m: f"列“{m[1]}”出现两次（第 {m[2]} 列和第 {m[3]} 列）",
    ),
    (r"cannot open the zip archive: (.*)", lambda m: f"无法打开 zip 压缩包：{m[1]}"),
    (r"cannot read the workbook: (.*)", lambda m: f"无法读取工作簿：{m[1]}"),
    (r"no such file or folder: (.*)", lambda m: f"找不到文件或文件夹：{m[1]}"),
    # --- limits, encodings and kinds of file (planner.dataset.limits, csv_text, sheets)
    (
        r"(.*) is ([\d.,]+) MB, above the limit of ([\d,]+) MB for one file \((\w+)\)",
        lambda m: f"{_subject(m[1])}大小为 {m[2]} MB，超过单个文件 {m[3]} MB 的上限（{m[4]}）",
    ),
    (
        r"the dataset is larger than the limit of ([\d,]+) MB for all tables together \((\w+)\)",
        lambda m: f"数据集超过全部表合计 {m[1]} MB 的上限（{m[2]}）",
    ),
    (
        r"the dataset has more than the limit of ([\d,]+) cells \(rows x columns\) "
        r"for all tables together \((\w+)\)",
        lambda m: f"数据集的单元格（行×列）超过全部表合计 {m[1]} 个的上限（{m[2]}）",
    ),
    (
        r"more than ([\d,]+) data rows, the limit for one table \((\w+)\)",
        lambda m: f"数据行超过单个表 {m[1]} 行的上限（{m[2]}）",
    ),
    (
        r"([\d,]+) columns, above the limit of ([\d,]+) for one table \((\w+)\)",
        lambda m: f"共 {m[1]} 列，超过单个表 {m[2]} 列的上限（{m[3]}）",
    ),
    (r"(EPIPLAN_MAX_\w+): expected a whole number > 0, got (.*)", lambda m: f"{m[1]} 应为大于 0 的整数，实际为 {m[2]}"),
    (
        r"UTF-32 text: save the file as 'CSV UTF-8' \(or GB18030\)",
        lambda m: "UTF-32 编码的文字：请另存为“CSV UTF-8”（或 GB18030）",
    ),
    (
        r"UTF-16 text \((little-endian|big-endian), without a byte-order mark\): "
        r"save the file as 'CSV UTF-8' or GB18030",
        lambda m: f"UTF-16 编码的文字（{_ORDER[m[1]]}，无字节顺序标记）：请另存为“CSV UTF-8”或 GB18030",
    ),
    (
        r"UTF-16 text that does not decode \(byte (\d+)\): save the file as 'CSV UTF-8'",
        lambda m: f"UTF-16 文字无法解码（第 {m[1]} 字节）：请另存为“CSV UTF-8”",
    ),
    (
        r"this is a zip archive or an \.xlsx workbook saved with a \.csv name.*",
        lambda m: "这是改名为 .csv 的 zip 压缩包或 .xlsx 工作簿：请直接上传 .zip 或 .xlsx",
    ),
    (
        r"this is an old Excel \(\.xls\) workbook saved with a \.csv name.*",
        lambda m: "这是改名为 .csv 的旧版 Excel（.xls）工作簿：请另存为“CSV UTF-8”或 .xlsx",
    ),
    (r"this is a PDF document, not CSV text", lambda m: "这是 PDF 文档，不是 CSV 文字"),
    (
        r"binary data, not CSV text \(a NUL byte on line (\d+)\): save the table as 'CSV UTF-8'",
        lambda m: f"二进制数据，不是 CSV 文字（第 {m[1]} 行有 NUL 字节）：请将表另存为“CSV UTF-8”",
    ),
    (
        r"not a regular file \(a folder, pipe or device\): give a CSV file",
        lambda m: "不是普通文件（是文件夹、管道或设备）：请提供 CSV 文件",
    ),
    (r"cannot read the file: (.*)", lambda m: f"无法读取文件：{m[1]}"),
    (r"cannot open the folder: (.*)", lambda m: f"无法打开文件夹：{m[1]}"),
    (r"cannot inflate it: (.*)", lambda m: f"无法解压：{m[1]}"),
    (r"a quote \(\"\) opened in this row is never closed", lambda m: '本行开始的引号（"）没有闭合'),
    (
        r"the header is on row (\d+), below a title \('(.*)'\): "
        r"delete (row 1|rows 1-\d+) so that the header is the first row",
        lambda m: f"表头在第 {m[1]} 行，上方是标题（“{m[2]}”）：请删除表头上方的行，使表头成为第一行",
    ),
    (
        r"cell (\w+) holds the formula (.*) without a saved value: .*",
        lambda m: f"单元格 {m[1]} 是公式 {m[2]}，但没有保存计算结果：请在 Excel 中打开并保存（或粘贴为数值）",
    ),
    (r"\.\.\. and ([\d,]+) more formulas without a saved value", lambda m: f"……另有 {m[1]} 个公式没有保存计算结果"),
    (r"\.\.\. and ([\d,]+) more rows with more cells than the header", lambda m: f"……另有 {m[1]} 行单元格比表头多"),
    # --- limits on values and checks across tables (planner.dataset.validation, crosscheck)
    (
        r"(\w+): (.*) is above the limit ([\d,.e+]+) for (an? [\w ]+)",
        lambda m: f"{_column(m[1])}：{m[2]} 超过{_ENTITIES.get(m[4], m[4])}的上限 {m[3]}",
    ),
    (
        r"(\w+): (.*) is below the limit ([\d,.e+]+) for (an? [\w ]+) \(0 or empty: the default\)",
        lambda m: f"{_column(m[1])}：{m[2]} 低于{_ENTITIES.get(m[4], m[4])}的下限 {m[3]}（填 0 或留空则用默认值）",
    ),
    (
        r"(\w+): ([\d,]+) in all rows, above the limit ([\d,]+) for the whole table",
        lambda m: f"{_column(m[1])}：全表合计 {m[2]}，超过上限 {m[3]}",
    ),
    (
        r"(\w+) '(.*)' is also the (\w+) of (.*) row (\d+): an id names one place only .*",
        lambda m: (
            f"{_column(m[1])}“{m[2]}”也是 {m[4]} 第 {m[5]} 行的 {_column(m[3])}："
            + "一个编号只能指一个地点（各类机构、观察点、急救站、储备库、实验室、采样点共用一套编号）"
        ),
    ),
    (
        r"from (.*) to (.*) is given again on row (\d+) \((.*) min\): "
        r"the last row is used, this one \((.*) min\) is not",
        lambda m: f"从 {m[1]} 到 {m[2]} 在第 {m[3]} 行再次给出（{m[4]} 分钟）：使用最后一行，本行（{m[5]} 分钟）不用",
    ),
    (
        r"([\d,]+) km from its street (.*) \(district (.*)\): check its lat/lon or street_id .*",
        lambda m: f"距其所在街道 {m[2]} {m[1]} 公里（{m[3]} 区）：请核对经纬度或 street_id（将按该区规划）",
    ),
    (
        r"([\d,]+) km outside the area of the streets of its district (.*): check its lat/lon or district_id",
        lambda m: f"在其所属区 {m[2]} 各街道范围之外 {m[1]} 公里：请核对经纬度或 district_id",
    ),
    (
        r"closed site '(.*)' is not a site_id of the dataset \(ignored\)",
        lambda m: f"关闭的观察点“{m[1]}”不在本数据的观察点中（已忽略）",
    ),
    (
        r"demand multiplier for '(.*)', not a district_id of the dataset \(ignored\)",
        lambda m: f"需求系数所指的“{m[1]}”不是本数据中的区（已忽略）",
    ),
    (
        r"peak day (\d+) is after the horizon's last day \((\d+)\): the plan covers the rising wave only",
        lambda m: f"高峰日 {m[1]} 在规划期最后一天（{m[2]}）之后：方案只覆盖疫情上升阶段",
    ),
)
"""(English template as a regular expression, its Chinese) for every message the dataset reader writes."""
_COMPILED = tuple((re.compile(f"^{pattern}$"), translate) for pattern, translate in PATTERNS)


def problem_message(message: str, language: str) -> str:
    """A problem's message in ``language`` (English as the reader wrote it; Chinese when a template matches)."""
    if language != "zh":
        return message
    for pattern, translate in _COMPILED:
        match = pattern.match(message)
        if match is not None:
            return translate(match)
    return message


SCENARIO_TAILS: tuple[tuple[str, Translate], ...] = (
    (r"expected a share in \[0, 1\], got (.*)", lambda m: f"应为 0 到 1 之间的比例，实际为 {m[1]}"),
    (r"expected a whole number >= (\d+), got (.*)", lambda m: f"应为不小于 {m[1]} 的整数，实际为 {m[2]}"),
    (r"the total ([\d,.e+]+) is above the limit (.*)", lambda m: f"合计 {m[1]} 超过上限 {m[2]}"),
    (r"([\d,.e+]+) is above the limit (.*)", lambda m: f"{m[1]} 超过上限 {m[2]}"),
    (r"Input should be less than or equal to (.*)", lambda m: f"应不大于 {m[1]}"),
    (r"Input should be greater than or equal to (.*)", lambda m: f"应不小于 {m[1]}"),
    (r"Input should be a valid integer.*", lambda m: "应为整数"),
    (r"Input should be a valid number.*", lambda m: "应为数值"),
    (r"unknown district \(the dataset has (\d+) districts\)", lambda m: f"未知的区（本数据共有 {m[1]} 个区）"),
    (
        r"forecast row (\d+), day: (\d+) is outside the horizon \(days (\d+)-(\d+)\)",
        lambda m: f"预测表第 {m[1]} 行：第 {m[2]} 天在规划期（第 {m[3]}-{m[4]} 天）之外",
    ),
    (r"expected seconds from (.*) to (.*), got (.*)", lambda m: f"应为 {m[1]} 到 {m[2]} 秒，实际为 {m[3]}"),
)
"""(English ending as a regular expression, its Chinese) of the scenario and what-if problems the app shows."""
_SCENARIO_COMPILED = tuple((re.compile(f"^{pattern}$"), translate) for pattern, translate in SCENARIO_TAILS)


def scenario_problem_message(message: str, language: str) -> str:
    """A scenario or what-if problem (``edits: OS0001: sites.rooms: expected ...``) in ``language``: the knob
    path stays as written (ids and field names), its longest ending with a Chinese template is translated."""
    if language != "zh":
        return message
    parts = message.split(": ")
    for start in range(len(parts)):
        ending = ": ".join(parts[start:])
        for pattern, translate in _SCENARIO_COMPILED:
            match = pattern.match(ending)
            if match is not None:
                return "".join(f"{part}：" for part in parts[:start]) + translate(match)
    return message


def problem_column(column: str | None, language: str) -> str:
    """The column a problem is in: its name as the file writes it, with its Chinese header beside it in ``zh``."""
    if not column:
        return ""
    return _column(column) if language == "zh" else column


def severity_label(severity: str, language: str) -> str:
    """``error`` / ``warning`` in ``language``."""
    return value("severity", severity, language)


__all__ = [
    "PATTERNS",
    "SCENARIO_TAILS",
    "problem_column",
    "problem_message",
    "scenario_problem_message",
    "severity_label",
]
