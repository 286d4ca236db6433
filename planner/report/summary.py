"""A one-page printable summary of a plan (PDF, A4), in English or Chinese.

What a coordinator pins to the wall or attaches to a report: what was planned (dataset, preset, level, scenario,
district), the key figures, the largest shortfalls with their reasons, the compliance checklist (one line per
rule, with its source clause and document title), what more resources would buy, and the work plans the rules
come from. Written as HTML and rendered with WeasyPrint, which embeds the fonts fontconfig finds (a CJK font
such as WenQuanYi Micro Hei makes the Chinese render).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from planner.report.compliance import compliance_summary
from planner.report.labels import knob_label, kpi_label, pick, rule_label, stage_label, value
from planner.report.plan import Plan
from planner.report.shortfalls import explained_shortfalls, marginal_table
from planner.report.sources import document_title, short_source

WORDS: dict[str, tuple[str, str]] = {
    "title": ("District epidemic resource plan — summary", "区级疫情防控资源统筹方案（摘要）"),
    "district": ("District", "区"),
    "dataset": ("Dataset", "数据"),
    "preset": ("Rules", "规则"),
    "kpis": ("Key figures", "关键指标"),
    "shortfalls": ("Largest shortfalls", "最主要的缺口"),
    "none_short": ("No shortfall: every need is met.", "无缺口：所有需求均已满足。"),
    "compliance": ("Compliance checklist", "合规检查清单"),
    "marginal": ("What more resources would buy", "增加资源的效果"),
    "sources": ("Sources", "依据文件"),
    "rule": ("Rule", "规则"),
    "met": ("Met", "达标"),
    "source": ("Source clause", "出处条款"),
    "footer": ("epiplan · dataset sha256 {sha} · stages {statuses}", "epiplan · 数据指纹 {sha} · 求解状态 {statuses}"),
}
HEADLINE_KPIS: tuple[tuple[str, str], ...] = (
    ("observation_placed", "count"),
    ("unmet_observation_disabled", "count"),
    ("unmet_observation_other", "count"),
    ("covered_share", "share"),
    ("uncovered_homes", "count"),
    ("one_to_one_coverage", "share"),
    ("nurses_assigned", "count"),
    ("nursing_unmet_by_tier", "sum"),
    ("lowest_fill_rate", "lowest"),
    ("hospital_fill_rate", "lowest"),
    ("drug_shortfall", "sum"),
    ("compliance_met", "of_checks"),
)
"""The key figures on the page (how each is shown)."""
SHORTFALL_ROWS = 2
MARGINAL_ROWS = 2
FONTS = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', 'DejaVu Sans', sans-serif"
STYLE = f"""
@page {{ size: A4; margin: 12mm 12mm 12mm 12mm; }}
body {{ font-family: {FONTS}; font-size: 8.2pt; line-height: 1.3; color: #222; }}
h1 {{ font-size: 14pt; margin: 0 0 2mm 0; }}
h2 {{ font-size: 10pt; margin: 3mm 0 1mm 0; border-bottom: 0.4pt solid #999; }}
p.meta {{ margin: 0 0 1mm 0; color: #444; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ padding: 0.5mm 1.2mm; vertical-align: top; text-align: left; }}
th {{ border-bottom: 0.4pt solid #999; font-weight: bold; }}
td.n {{ text-align: right; white-space: nowrap; }}
.kpis td {{ width: 25%; border: 0.4pt solid #ddd; }}
.kpis .v {{ font-size: 11pt; font-weight: bold; }}
.bad {{ color: #b00020; }}
ul {{ margin: 0; padding-left: 4mm; }}
li {{ margin: 0 0 0.6mm 0; }}
footer {{ margin-top: 3mm; color: #777; font-size: 7pt; }}
"""


def word(key: str, language: str, **fields: object) -> str:
    """A word of the summary in ``language``."""
    text = pick(WORDS[key], language)
    return text.format(**fields) if fields else text


def _e(text: object) -> str:
    return html.escape(str(text))


def _percent(share: float) -> str:
    return f"{100.0 * share:.1f} %"


def headline(kpis: Mapping[str, Any], language: str) -> list[tuple[str, str]]:
    """(label, shown value) of the key figures on the page (those the plan has)."""
    rows = []
    for key, how in HEADLINE_KPIS:
        raw: Any = kpis.get(key)
        if raw is None and how != "of_checks":
            continue
        if how == "count":
            shown = f"{float(raw):,.0f}"
        elif how == "share":
            shown = _percent(float(raw))
        elif how == "sum":
            shown = f"{float(sum(float(v) for v in raw.values())):,.0f}"
        elif how == "lowest":
            numbers = [float(v) for v in raw.values() if v is not None]
            shown = _percent(min(numbers)) if numbers else ("无需求" if language == "zh" else "— (no need)")
        else:
            checks = int(kpis.get("compliance_checks", 0))
            shown = f"{int(kpis.get('compliance_met', 0)):,} / {checks:,}"
        rows.append((kpi_label(key, language), shown))
    return rows


def _kpi_grid(rows: list[tuple[str, str]]) -> str:
    cells = [f"<td><div>{_e(label)}</div><div class='v'>{_e(shown)}</div></td>" for label, shown in rows]
    lines = ["<tr>" + "".join(cells[i : i + 4]) + "</tr>" for i in range(0, len(cells), 4)]
    return "<table class='kpis'>" + "".join(lines) + "</table>"


def _checklist(plan: Plan, language: str) -> str:
    summary = compliance_summary(plan.compliance)
    head = "".join(f"<th>{word(key, language)}</th>" for key in ("rule", "met", "source"))
    rows = [f"<tr>{head}</tr>"]
    for row in summary.to_dict("records"):
        met = f"{int(row['met']):,} / {int(row['scopes']):,}"
        css = " class='n bad'" if int(row["not_met"]) else " class='n'"
        rule = _e(rule_label(str(row["rule_id"]), language))
        source = _e(short_source(str(row["source"]), language))  # the documents' titles follow under "Sources"
        rows.append(f"<tr><td>{rule}</td><td{css}>{met}</td><td>{source}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def _bullets(stages: list[str], texts: list[str], sizes: list[str] | None = None) -> str:
    items = []
    for index, (stage, text) in enumerate(zip(stages, texts, strict=True)):
        size = f" · {_e(sizes[index])}" if sizes and sizes[index] else ""
        items.append(f"<li><b>{_e(stage)}</b>{size} — {_e(text)}</li>")
    return "<ul>" + "".join(items) + "</ul>"


def cited_documents(plan: Plan, language: str) -> list[str]:
    """The work plans the rules cite, as ``000 — title`` (by their numbers, in order)."""
    numbers = sorted({m for row in plan.rules.table() for m in re.findall(r"\b(\d{3})\b", str(row.get("source", "")))})
    return [f"{number} — {document_title(number, language)}".rstrip(" —") for number in numbers]


def summary_html(plan: Plan, language: str = "en", names: Mapping[str, str] | None = None) -> str:
    """The one-page summary as an HTML document (see the module docstring)."""
    names = names or {}
    district = plan.kpis.get("district")
    scenario = plan.scenario
    meta = [
        f"{word('dataset', language)}: {_e(plan.dataset_name)}",
        f"{word('preset', language)}: {_e(plan.rules.preset)}",
        f"{knob_label('level', language)}: {_e(value('level', scenario.level, language))}",
        f"{knob_label('attack_rate', language)}: {_percent(scenario.knob('attack_rate'))}",
        f"{knob_label('horizon_days', language)}: {scenario.horizon_days}",
    ]
    if district:
        meta.insert(0, f"{word('district', language)}: {_e(names.get(str(district), district))} ({_e(district)})")
    shortfalls = explained_shortfalls(plan, language, per_stage=SHORTFALL_ROWS)
    marginal = marginal_table(plan, language, rows=8, per_stage=MARGINAL_ROWS)
    statuses = ", ".join(
        f"{stage_label(s, language)} {value('status', r.status.value, language)}" for s, r in plan.results.items()
    )
    parts = [
        f"<h1>{word('title', language)}</h1>",
        f"<p class='meta'>{' · '.join(meta)}</p>",
        f"<h2>{word('kpis', language)}</h2>",
        _kpi_grid(headline(plan.kpis, language)),
        f"<h2>{word('shortfalls', language)}</h2>",
        _bullets(list(shortfalls["stage"]), list(shortfalls["explanation"]), list(shortfalls["size"]))
        if not shortfalls.empty
        else f"<p>{word('none_short', language)}</p>",
        f"<h2>{word('compliance', language)}</h2>",
        _checklist(plan, language),
    ]
    if not marginal.empty:
        parts += [
            f"<h2>{word('marginal', language)}</h2>",
            _bullets(list(marginal["stage"]), list(marginal["explanation"])),
        ]
    documents = cited_documents(plan, language)
    if documents:
        parts += [
            f"<h2>{word('sources', language)}</h2>",
            "<ul>" + "".join(f"<li>{_e(d)}</li>" for d in documents) + "</ul>",
        ]
    parts.append(f"<footer>{_e(word('footer', language, sha=plan.dataset_sha256[:12], statuses=statuses))}</footer>")
    lang = "zh-CN" if language == "zh" else "en"
    head = f"<head><meta charset='utf-8'><style>{STYLE}</style></head>"
    return f"<!doctype html><html lang='{lang}'>{head}<body>{''.join(parts)}</body></html>"


def summary_pdf(plan: Plan, language: str = "en", names: Mapping[str, str] | None = None) -> bytes:
    """The one-page summary as PDF bytes (WeasyPrint)."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    pdf = HTML(string=summary_html(plan, language, names)).write_pdf()
    assert pdf is not None
    return bytes(pdf)


__all__ = ["cited_documents", "headline", "summary_html", "summary_pdf"]
