"""The workbook's cover sheet: what was planned, under which rules, how each stage solved, the key figures.

Blocks, each under a bold title: the plan (dataset, content hash, rules preset and level, status), the scenario's
knobs (shares as percentages, closed sites and demand multipliers by name), each stage's status and seconds, the
key figures (nested ones one per line, ``Lowest drug fill rate, homes & clinics: TCM``), and every rule with its
value, unit, kind (when the preset gives one) and source clause with its document's title. All in the
workbook's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import yaml

from models.base import Status
from planner.outputs.coordinator import Naming
from planner.outputs.sheets import SheetWriter
from planner.report.labels import (
    FACTOR_KNOBS,
    SHARE_KNOBS,
    column_label,
    knob_label,
    kpi_label,
    named,
    pick,
    stage_label,
    value,
)
from planner.report.sources import source_label
from planner.rules.rules import RULES_DIR

if TYPE_CHECKING:
    from planner.report.plan import Plan

WORDS: dict[str, tuple[str, str]] = {
    "title": ("epiplan — district epidemic resource plan", "epiplan — 区级疫情防控资源统筹方案"),
    "dataset": ("Dataset", "数据"),
    "sha256": ("Content hash (sha256)", "数据指纹（sha256）"),
    "preset": ("Rules preset", "规则预设"),
    "status": ("Plan status", "方案状态"),
    "scenario": ("Scenario", "情景参数"),
    "stages": ("Stages", "各阶段求解"),
    "kpis": ("Key figures", "关键指标"),
    "rules": ("Rules (each with its source clause)", "规则（附出处条款）"),
    "seconds": ("Seconds", "用时（秒）"),
    "kind": ("Kind", "类型"),
    "none": ("none", "无"),
}
SHARE_KPIS: frozenset[str] = frozenset(
    {"covered_share", "one_to_one_coverage", "lowest_fill_rate", "hospital_fill_rate", "reserve_ratio"}
)
SKIPPED_KPIS: frozenset[str] = frozenset({"status", "seconds", "seconds_total"})
RULE_KINDS: dict[str, tuple[str, str]] = {
    "quoted": ("quoted", "原文规定"),
    "interpreted": ("interpreted", "解读"),
    "assumption": ("assumption", "假设"),
}


def word(key: str, language: str) -> str:
    """A word of the cover sheet in ``language``."""
    return pick(WORDS[key], language)


@cache
def preset_title(preset: str, language: str) -> str:
    """The preset's title from its YAML file (``title`` / ``title_zh``), or its name."""
    path = RULES_DIR / f"{preset}.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, yaml.YAMLError):
        raw = {}
    return str((raw or {}).get("title_zh" if language == "zh" else "title") or preset)


def _percent(share: float) -> str:
    return f"{100.0 * float(share):.1f} %"


def knob_rows(scenario: Mapping[str, Any], naming: Naming) -> list[tuple[str, str]]:
    """(knob, value as text) of every knob of the scenario."""
    language, names = naming.language, naming.names
    rows = []
    for knob, raw in scenario.items():
        if knob == "level":
            shown = value("level", raw, language)
        elif knob in SHARE_KNOBS:
            shown = _percent(raw)
        elif knob in FACTOR_KNOBS:
            shown = f"× {float(raw):g}"
        elif knob == "closed_sites":
            shown = "、".join(named(s, names, language) for s in raw) if raw else word("none", language)
        elif knob == "demand_multipliers":
            parts = [f"{named(d, names, language)} × {float(m):g}" for d, m in dict(raw).items()]
            shown = "; ".join(parts) or word("none", language)
        elif knob == "rule_overrides":
            shown = "; ".join(f"{k} = {v}" for k, v in dict(raw).items()) or word("none", language)
        else:
            shown = str(raw)
        rows.append((knob_label(knob, language), shown))
    return rows


def kpi_rows(kpis: Mapping[str, Any], naming: Naming) -> list[tuple[str, Any]]:
    """(key figure, value) of every KPI: shares as percentages, nested ones one line each with their key named."""
    language, names = naming.language, naming.names
    rows: list[tuple[str, Any]] = []
    for key, raw in kpis.items():
        if key in SKIPPED_KPIS:
            continue
        label = kpi_label(key, language)
        share = key in SHARE_KPIS
        items = raw.items() if isinstance(raw, Mapping) else [("", raw)]
        for sub, number in items:
            name = label
            if sub:
                category = next((c for c in ("drug", "need", "kind") if value(c, sub, language) != sub), "")
                shown_sub = value(category, sub, language) if category else named(sub, names, language)
                name = f"{label}：{shown_sub}" if language == "zh" else f"{label}: {shown_sub}"
            if number is None:
                rows.append((name, "—"))
            elif isinstance(number, str):
                rows.append((name, named(number, names, language)))
            elif share:
                rows.append((name, _percent(number)))
            else:
                rows.append((name, round(float(number), 3) if isinstance(number, float) else number))
    return rows


def rule_rows(plan: Plan, language: str) -> list[tuple[Any, ...]]:
    """(rule, value, unit, kind, source clause with its document's title) of every rule of the plan."""
    rows = []
    for row in plan.rules.table():
        label = row.get("label_zh") if language == "zh" else row.get("label")
        kind = str(row.get("kind") or "")
        clauses = row.get("clauses")
        source = "; ".join(str(c) for c in clauses) if isinstance(clauses, Sequence) and clauses else row["source"]
        shown = row["value"]
        if isinstance(shown, list | tuple | dict):
            shown = yaml.safe_dump(shown, allow_unicode=True, default_flow_style=True).strip()
        rows.append(
            (
                label or row["field"],
                shown,
                row.get("unit_zh") if language == "zh" and row.get("unit_zh") else row.get("unit", ""),
                pick(RULE_KINDS[kind], language) if kind in RULE_KINDS else kind,
                source_label(str(source), language),
            )
        )
    return rows


def _block(
    writer: SheetWriter, row: int, title: str, lines: Iterable[Sequence[Any]], header: Sequence[str] = ()
) -> int:
    writer.write(row, 0, title, bold=True)
    row += 1
    if header:
        writer.write_row(row, header, bold=True)
        row += 1
    for line in lines:
        writer.write_row(row, line)
        row += 1
    return row + 1


def write_cover(workbook: Any, formats: Mapping[str, Any], plan: Plan, naming: Naming, sheet: str) -> None:
    """The cover sheet (see the module docstring)."""
    language = naming.language
    worksheet = workbook.add_worksheet(sheet)
    writer = SheetWriter(worksheet, formats)
    worksheet.write_string(0, 0, word("title", language), formats["title"])
    heading = [
        (word("dataset", language), plan.dataset_name),
        (word("sha256", language), plan.dataset_sha256),
        (word("preset", language), f"{preset_title(plan.rules.preset, language)} ({plan.rules.preset})"),
        (knob_label("level", language), value("level", plan.scenario.level, language)),
        (word("status", language), value("status", plan.status.value, language)),
    ]
    for offset, (label, shown) in enumerate(heading, start=2):
        writer.write(offset, 0, label, bold=True)
        writer.write(offset, 1, shown)
    row = len(heading) + 3
    row = _block(writer, row, word("scenario", language), knob_rows(plan.scenario.to_dict(), naming))
    stages = [
        (stage_label(name, language), value("status", Status(result.status).value, language), round(result.seconds, 2))
        for name, result in plan.results.items()
    ]
    stage_header = (column_label("stage", language), column_label("status", language), word("seconds", language))
    row = _block(writer, row, word("stages", language), stages, stage_header)
    row = _block(writer, row, word("kpis", language), kpi_rows(plan.kpis, naming))
    header = (
        column_label("rule", language),
        column_label("value", language),
        column_label("unit", language),
        word("kind", language),
        column_label("source", language),
    )
    _block(writer, row, word("rules", language), rule_rows(plan, language), header)
    worksheet.ignore_errors({"number_stored_as_text": "A1:XFD1048576"})
    writer.finish()


__all__ = ["knob_rows", "kpi_rows", "preset_title", "rule_rows", "write_cover"]
