"""The plan at a glance: the KPI cards above the tabs, and the Overview tab.

KPI cards with deltas against the plan drawn before; the Overview tab's compliance checklist, largest shortfalls
with their explanations, and where one more unit helps most. Pure helpers (cards, tables) come first and are
tested on their own; the ``draw_*`` functions only lay them out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from planner.report.compliance import compliance_summary
from planner.report.plan import Plan
from planner.report.shortfalls import (
    explained_shortfalls,
    marginal_table,
)
from planner.report.sources import source_label
from planner.ui import i18n
from planner.ui.state import Session

SHOWN_PLAN = "shown_plan"
"""Session key: (key, kpis) of the plan drawn in the last run."""
PREVIOUS_PLAN = "previous_plan"
"""Session key: (key, kpis) of the plan drawn before it (the deltas of the KPI cards)."""


@dataclass(frozen=True)
class Card:
    """One KPI card: label, shown value, delta text (or None), colour rule and help text."""

    key: str
    label: str
    value: str
    delta: str | None
    delta_color: str
    help: str


def _total(value: Any) -> float:
    return float(sum(value.values())) if isinstance(value, Mapping) else float(value or 0)


def _lowest(value: Any) -> float | None:
    """The lowest of a per-drug mapping; ``None`` when no drug is needed (no 100 % for a need that does not exist)."""
    numbers = [float(v) for v in value.values() if v is not None] if isinstance(value, Mapping) else []
    return min(numbers) if numbers else None


def _compliance_share(kpis: Mapping[str, Any]) -> float | None:
    checks = float(kpis["compliance_checks"])
    return float(kpis["compliance_met"]) / checks if checks else None


def _unmet_persons(kpis: Mapping[str, Any]) -> float:
    return float(kpis["unmet_observation_disabled"]) + float(kpis["unmet_observation_other"])


Value = Callable[[Mapping[str, Any]], "float | None"]


@dataclass(frozen=True)
class CardSpec:
    """How a KPI card reads the KPIs: its value, format (``count`` or ``share``), delta colour and help key."""

    key: str
    kind: str
    value: Value
    colour: str
    help_key: str


CARD_SPECS: tuple[CardSpec, ...] = (
    CardSpec("observation_placed", "count", lambda k: float(k["observation_placed"]), "normal", "help_placed"),
    CardSpec("unmet_persons", "count", _unmet_persons, "inverse", "help_unmet_persons"),
    CardSpec("covered_share", "share", lambda k: float(k["covered_share"]), "normal", "help_covered"),
    CardSpec("uncovered_homes", "count", lambda k: float(k["uncovered_homes"]), "inverse", "help_uncovered"),
    CardSpec("one_to_one_coverage", "share", lambda k: float(k["one_to_one_coverage"]), "normal", "help_one_to_one"),
    CardSpec("nurses_assigned", "count", lambda k: float(k["nurses_assigned"]), "off", "help_nurses"),
    CardSpec(
        "nursing_unmet_by_tier", "count", lambda k: _total(k["nursing_unmet_by_tier"]), "inverse", "help_nursing_unmet"
    ),
    CardSpec(
        "districts_short_of_reserve",
        "count",
        lambda k: float(k["districts_short_of_reserve"]),
        "inverse",
        "help_reserve",
    ),
    CardSpec("lowest_fill_rate", "share", lambda k: _lowest(k["lowest_fill_rate"]), "normal", "help_fill_care"),
    CardSpec("hospital_fill_rate", "share", lambda k: _lowest(k["hospital_fill_rate"]), "normal", "help_fill_hospital"),
    CardSpec("drug_shortfall", "count", lambda k: _total(k["drug_shortfall"]), "inverse", "help_drug_shortfall"),
    CardSpec("compliance_met", "share", _compliance_share, "normal", "help_compliance"),
)
"""The KPI cards in reading order: observation and ambulances, nurses, drugs and the checklist (four a row)."""
CARDS_PER_ROW = 4


def _format(kind: str, number: float | None, language: str) -> str:
    if number is None:
        return i18n.t("no_need", language)
    return i18n.percent(number) if kind == "share" else f"{number:,.0f}"


def _delta(kind: str, now: float | None, before: float | None) -> str | None:
    """The change since the plan drawn before, as it is shown (``+1.5 pp``, ``-12``); None when it rounds to 0."""
    if now is None or before is None:
        return None
    if kind == "share":
        points = round(100.0 * (now - before), 1)
        return None if points == 0 else f"{points:+.1f} pp"
    change = round(now - before)
    return None if change == 0 else f"{change:+,.0f}"


def _per_drug(value: Any, language: str, formatter: Callable[[float], str]) -> str:
    """``antigen kit 62.0 %, TCM 88.1 %`` (drugs in the KPI's order); ``—`` when empty."""
    if not isinstance(value, Mapping) or not value:
        return "—"
    separator = "，" if language == "zh" else ", "
    return separator.join(f"{i18n.value('drug', d, language)} {formatter(float(v))}" for d, v in value.items())


def card_help(help_key: str, kpis: Mapping[str, Any], language: str) -> str:
    """The help text of a card: what the figure counts, and its parts where it sums or takes a minimum."""
    fields: dict[str, object] = {}
    try:
        if help_key == "help_placed":
            fields = {"persons": f"{int(kpis['observation_persons']):,}", "sites": int(kpis["sites_open"])}
        elif help_key == "help_unmet_persons":
            fields = {
                "disabled": f"{int(kpis['unmet_observation_disabled']):,}",
                "other": f"{int(kpis['unmet_observation_other']):,}",
            }
        elif help_key == "help_covered":
            fields = {
                "covered": f"{float(kpis['covered_daily_transfers']):,.1f}",
                "daily": f"{float(kpis['daily_transfers']):,.1f}",
            }
        elif help_key == "help_one_to_one":
            fields = {
                "assigned": f"{int(kpis['one_to_one_assigned']):,}",
                "required": f"{int(kpis['one_to_one_required']):,}",
            }
        elif help_key == "help_nursing_unmet":
            order = list(i18n.VALUES["need"])
            tiers = dict(sorted(kpis["nursing_unmet_by_tier"].items(), key=lambda item: order.index(item[0])))
            separator = "，" if language == "zh" else ", "
            fields = {
                "tiers": separator.join(f"{i18n.value('need', t, language)} {int(n):,}" for t, n in tiers.items())
                or "—"
            }
        elif help_key == "help_reserve":
            fields = {"residents": f"{int(kpis['care_home_residents']):,}"}
        elif help_key == "help_fill_care":
            fields = {"drugs": _per_drug(kpis["lowest_fill_rate"], language, i18n.percent)}
        elif help_key == "help_fill_hospital":
            fields = {"drugs": _per_drug(kpis["hospital_fill_rate"], language, i18n.percent)}
        elif help_key == "help_drug_shortfall":
            by_kind = kpis.get("drug_shortfall_by_kind", {})
            fields = {
                "care": f"{int(by_kind.get('care_home', 0)) + int(by_kind.get('clinic', 0)):,}",
                "hospitals": f"{int(by_kind.get('hospital', 0)):,}",
                "drugs": _per_drug(
                    {d: n for d, n in kpis["drug_shortfall"].items() if n}, language, lambda n: f"{n:,.0f}"
                ),
            }
        elif help_key == "help_compliance":
            fields = {"met": f"{int(kpis['compliance_met']):,}", "checks": f"{int(kpis['compliance_checks']):,}"}
    except (KeyError, TypeError, ValueError):
        return i18n.t(f"{help_key}_short", language) if f"{help_key}_short" in i18n.LABELS else ""
    return i18n.t(help_key, language, **fields)


def kpi_cards(kpis: Mapping[str, Any], previous: Mapping[str, Any] | None, language: str) -> list[Card]:
    """The KPI cards of a plan, with deltas against ``previous`` KPIs (none when there is no previous plan)."""
    cards = []
    for spec in CARD_SPECS:
        try:
            now = spec.value(kpis)
        except (KeyError, TypeError, ValueError):
            continue
        delta = None
        if previous is not None:
            try:
                delta = _delta(spec.kind, now, spec.value(previous))
            except (KeyError, TypeError, ValueError):
                delta = None
        label = i18n.t(spec.key, language) if spec.key in i18n.LABELS else i18n.kpi_label(spec.key, language)
        help_text = card_help(spec.help_key, kpis, language)
        cards.append(Card(spec.key, label, _format(spec.kind, now, language), delta, spec.colour, help_text))
    return cards


def compliance_table(compliance: pd.DataFrame, language: str) -> pd.DataFrame:
    """One row per rule: all met (bool), rule, checked, met, not met, share met, source clause (headers localized)."""
    summary = compliance_summary(compliance)
    table = pd.DataFrame(
        {
            "all_met": (summary["not_met"] == 0).to_numpy(),
            "rule": [i18n.rule_label(r, language) for r in summary["rule_id"]],
            "scopes": summary["scopes"].astype(int),
            "met": summary["met"].astype(int),
            "not_met": summary["not_met"].astype(int),
            "share_met": summary["share_met"].astype(float),
            "source": [source_label(str(s), language) for s in summary["source"]],
        }
    )
    return table.rename(columns={c: i18n.column_label(c, language) for c in table.columns})


def bullet_lines(stages: pd.Series, sizes: pd.Series | None, texts: pd.Series) -> str:
    """Markdown bullets ``- **stage** · size — text`` (long sentences read better as text than in a grid)."""
    sizes_list = [""] * len(texts) if sizes is None else [str(v) for v in sizes]
    lines = []
    for stage, size, text in zip(stages, sizes_list, texts, strict=True):
        middle = f" · {size}" if size else ""
        escaped = "".join("\\" + ch if ch in "*_$~`[]<>" else ch for ch in str(text))
        lines.append(f"- **{stage}**{middle} — {escaped}")
    return "\n".join(lines)


def remember_shown(
    session: Session, key: str, kpis: Mapping[str, Any], district: str | None = None
) -> Mapping[str, Any] | None:
    """Record the plan drawn now as ``(plan key, kpis, district)``; return the KPIs of the plan drawn before it
    (for the deltas). A district's part counts as a plan of its own: switching districts compares like with like
    only once the same district is shown again."""
    shown = session.get(SHOWN_PLAN)
    if shown is None or (shown[0], shown[2] if len(shown) > 2 else None) != (key, district):
        if shown is not None:
            session[PREVIOUS_PLAN] = shown
        session[SHOWN_PLAN] = (key, dict(kpis), district)
    previous = session.get(PREVIOUS_PLAN)
    if previous is None or (len(previous) > 2 and previous[2] != district):
        return None
    return previous[1]


def draw_kpis(plan: Plan, previous: Mapping[str, Any] | None, language: str) -> None:
    """Rows of four KPI cards, each with its help text."""
    cards = kpi_cards(plan.kpis, previous, language)
    for start in range(0, len(cards), CARDS_PER_ROW):
        columns = st.columns(CARDS_PER_ROW)
        for column, card in zip(columns, cards[start : start + CARDS_PER_ROW], strict=False):
            column.metric(
                card.label,
                card.value,
                delta=card.delta,
                delta_color=card.delta_color,  # type: ignore[arg-type]
                help=card.help or None,
                border=True,
            )
    statuses = ", ".join(
        f"{i18n.stage_label(s, language)} {i18n.value('status', v, language)}" for s, v in plan.kpis["status"].items()
    )
    st.caption(i18n.t("status_line", language, statuses=statuses))


def unmet_rows(plan: Plan, language: str, names: Mapping[str, str]) -> pd.DataFrame:
    """The checks not met, worst first within each rule: rule, where (name beside the id), required, planned,
    source clause with its document's title (headers and values in ``language``)."""
    unmet = plan.compliance[~plan.compliance["met"].astype(bool)]
    shown = unmet[["rule_id", "scope_id", "required", "planned", "source"]].copy()
    shown["rule_id"] = shown["rule_id"].map(lambda r: i18n.rule_label(r, language))
    shown["source"] = shown["source"].map(lambda s: source_label(str(s), language))
    return i18n.localize(shown, language, names)


def draw_overview(plan: Plan, language: str, names: Mapping[str, str] | None = None) -> None:
    """Compliance checklist, largest shortfalls with explanations, what more resources would buy."""
    st.subheader(i18n.t("compliance", language))
    st.caption(i18n.t("compliance_caption", language))
    table = compliance_table(plan.compliance, language)
    share, all_met = i18n.column_label("share_met", language), i18n.column_label("all_met", language)
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            all_met: st.column_config.CheckboxColumn(all_met, width="small"),
            share: st.column_config.ProgressColumn(share, min_value=0.0, max_value=1.0, format="percent"),
        },
    )
    if not plan.compliance["met"].astype(bool).all():
        with st.expander(i18n.t("unmet_rows", language)):
            st.dataframe(unmet_rows(plan, language, names or {}), hide_index=True)
    left, right = st.columns(2)
    with left:
        st.subheader(i18n.t("shortfalls", language))
        shortfalls = explained_shortfalls(plan, language)
        if shortfalls.empty:
            st.success(i18n.t("no_shortfalls", language))
        else:
            st.markdown(bullet_lines(shortfalls["stage"], shortfalls["size"], shortfalls["explanation"]))
    with right:
        st.subheader(i18n.t("marginal", language))
        st.caption(i18n.t("marginal_caption", language))
        marginal = marginal_table(plan, language)
        if marginal.empty:
            st.info(i18n.t("no_marginal", language))
        else:
            st.markdown(bullet_lines(marginal["stage"], None, marginal["explanation"]))
