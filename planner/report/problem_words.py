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


def problem_column(column: str | None, language: str) -> str:
    """The column a problem is in: its name as the file writes it, with its Chinese header beside it in ``zh``."""
    if not column:
        return ""
    return _column(column) if language == "zh" else column


def severity_label(severity: str, language: str) -> str:
    """``error`` / ``warning`` in ``language``."""
    return value("severity", severity, language)


__all__ = ["PATTERNS", "problem_column", "problem_message", "severity_label"]
