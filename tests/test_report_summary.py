"""The one-page printable summary: key figures, shortfalls, checklist with sources, in English or Chinese."""

from __future__ import annotations

import re
import zlib

from tiny_plan import tiny_plan

from planner.report.summary import headline, summary_html, summary_pdf

CJK = re.compile(r"[\u3400-\u9fff]")


def _fonts(pdf: bytes) -> set[str]:
    """Names of the fonts a PDF embeds (its streams are compressed)."""
    found: set[str] = set()
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            text = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        found |= {name.decode() for name in re.findall(rb"/BaseFont\s*/([^\s/>\]]+)", text)}
    return found


def test_the_summary_reads_in_chinese_with_its_sections() -> None:
    page = summary_html(tiny_plan("severe"), "zh", {"D1": "东城区"})
    for section in ("关键指标", "最主要的缺口", "合规检查清单", "依据文件"):
        assert section in page
    assert "集中健康观察已安置人数" in page
    assert "Compliance" not in page


def test_the_headline_figures_name_a_kind_with_no_need() -> None:
    rows = dict(headline({"lowest_fill_rate": {}, "compliance_met": 3, "compliance_checks": 4}, "zh"))
    assert rows["养老及基层机构药品最低满足率"] == "无需求"
    assert rows["达标检查项"] == "3 / 4"


def test_the_pdf_is_one_page_and_embeds_a_chinese_font() -> None:
    from weasyprint import HTML  # type: ignore[import-untyped]

    plan = tiny_plan("severe")
    assert len(HTML(string=summary_html(plan, "zh")).render().pages) == 1
    pdf = summary_pdf(plan, "zh")
    assert pdf.startswith(b"%PDF")
    assert any("WenQuanYi" in font or "CJK" in font for font in _fonts(pdf)), _fonts(pdf)
