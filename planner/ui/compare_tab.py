"""The Compare tab: any two scenarios (kept ones or the current plan) side by side."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from planner.report.plan import Plan
from planner.rules.rules import load_rules
from planner.ui import compare, i18n, state
from planner.ui.cache import solve_plan
from planner.ui.places import name_map
from planner.ui.sidebar import Inputs
from planner.ui.stage_tabs import show_table
from planner.ui.whatif import apply_edits

CURRENT = "__current__"
COMPARE_A, COMPARE_B = "compare_a", "compare_b"
"""Session keys of the reader's choices in the Compare tab (their widgets are bound per language)."""


def _plan_of(choice: str, inputs: Inputs, current: Plan) -> Plan:
    """The plan of a kept scenario (solved on the current dataset, from the cache when possible)."""
    if choice == CURRENT:
        return current
    spec: state.ScenarioSpec = st.session_state[state.KEPT][choice]
    assert inputs.dataset is not None
    if spec.dataset_sha256 and spec.dataset_sha256 != inputs.dataset.sha256:
        st.caption(i18n.t("other_dataset", inputs.language, name=spec.name))
    planned = apply_edits(inputs.dataset, spec.edits)
    plan, _key, _seconds = solve_plan(
        st.session_state, planned, load_rules(spec.preset), spec.scenario, spec.time_limit_s, inputs.language
    )
    return plan


def draw_compare(plan: Plan, inputs: Inputs, located: pd.DataFrame) -> None:
    """Any two scenarios side by side: KPI deltas, compliance changes, assignments that moved."""
    language = inputs.language
    kept = list(st.session_state.get(state.KEPT, {}))
    st.caption(i18n.t("compare_caption", language))
    if not kept:
        st.info(i18n.t("compare_need_two", language))
        return
    options = [*kept, CURRENT]
    label = {CURRENT: i18n.t("current", language)}
    session = st.session_state
    if session.get(COMPARE_A) not in options:
        session[COMPARE_A] = options[0]
    if session.get(COMPARE_B) not in options:
        session[COMPARE_B] = CURRENT
    choices = [
        column.selectbox(
            i18n.t(label_key, language),
            options,
            key=state.bind_widget(session, key, language),
            format_func=lambda o: label.get(o, o),
            on_change=state.copy_from_widget,
            args=(session, key, language),
        )
        for column, label_key, key in zip(
            st.columns(2), ("scenario_a", "scenario_b"), (COMPARE_A, COMPARE_B), strict=True
        )
    ]
    plan_a, plan_b = (_plan_of(choice, inputs, plan) for choice in choices)
    names = name_map(located)
    st.subheader(i18n.t("kpi_deltas", language))
    st.dataframe(deltas_table(plan_a.kpis, plan_b.kpis, language, names), hide_index=True)
    st.subheader(i18n.t("compliance_changes", language))
    by_rule = compare.compliance_by_rule(plan_a.compliance, plan_b.compliance)
    by_rule = by_rule[by_rule["delta"] != 0].copy()
    flips = compare.compliance_flips(plan_a.compliance, plan_b.compliance)
    if by_rule.empty and flips.empty:
        st.caption(i18n.t("no_change", language))
    else:
        by_rule["rule_id"] = by_rule["rule_id"].map(lambda r: i18n.rule_label(r, language))
        st.dataframe(i18n.localize(by_rule, language), hide_index=True)
        st.dataframe(flips_table(flips.head(500), language, names), hide_index=True)
    st.subheader(i18n.t("moved", language))
    moved = compare.moved_assignments(plan_a, plan_b, names)
    for stage, frame in moved.items():
        with st.expander(f"{i18n.stage_label(stage, language)}: {len(frame):,}"):
            show_table(frame, language, names)


SHARE_KPIS: frozenset[str] = frozenset(
    {"covered_share", "one_to_one_coverage", "lowest_fill_rate", "hospital_fill_rate", "reserve_ratio"}
)
"""KPIs that are shares (0-1): shown as percentages, their changes in percentage points."""
MISSING = "—"


def flat_kpi_name(flat_key: str, language: str, names: Mapping[str, str] | None = None) -> str:
    """``lowest_fill_rate.tcm`` -> ``Lowest drug fill rate, homes & clinics: TCM``; a district id gets its name."""
    head, _, tail = flat_key.partition(".")
    label = i18n.kpi_label(head, language)
    if not tail:
        return label
    for category in ("drug", "need", "kind"):
        if tail in i18n.VALUES[category]:
            return f"{label}: {i18n.value(category, tail, language)}"
    return f"{label}: {i18n.named(tail, names or {}, language)}"


def _number(value: float, share: bool) -> str:
    if pd.isna(value):
        return MISSING
    return i18n.percent(value) if share else f"{value:,.10g}" if abs(value) < 1000 else f"{value:,.0f}"


def _change(delta: float, share: bool) -> str:
    if pd.isna(delta):
        return MISSING
    if share:
        points = round(100.0 * delta, 1)
        return "" if points == 0 else f"{points:+.1f} pp"
    rounded = round(delta, 3)
    return "" if rounded == 0 else f"{rounded:+,.10g}"


def deltas_table(
    kpis_a: Mapping[str, Any], kpis_b: Mapping[str, Any], language: str, names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Key figures of A and B and the change, as text a reader takes in: shares as percentages (changes in
    percentage points), counts with thousands separators, a figure one plan lacks as ``—`` (never ``None``),
    no change as blank (never ``-0.0 pp``)."""
    deltas = compare.kpi_deltas(kpis_a, kpis_b)
    share = deltas["kpi"].map(lambda k: str(k).partition(".")[0] in SHARE_KPIS)
    table = pd.DataFrame(
        {
            "kpi": [flat_kpi_name(k, language, names) for k in deltas["kpi"]],
            "a": [_number(v, s) for v, s in zip(deltas["a"], share, strict=True)],
            "b": [_number(v, s) for v, s in zip(deltas["b"], share, strict=True)],
            "delta": [_change(v, s) for v, s in zip(deltas["delta"], share, strict=True)],
        }
    )
    return i18n.localize(table, language)


def flips_table(flips: pd.DataFrame, language: str, names: Mapping[str, str]) -> pd.DataFrame:
    """Checks whose verdict changed: rule, where (name beside id), met in A and B (``—`` where a plan has no such
    check), planned in A and B, required in B."""
    shown = flips.copy()
    shown["rule_id"] = shown["rule_id"].map(lambda r: i18n.rule_label(r, language))
    for column in ("met_a", "met_b"):
        shown[column] = shown[column].map(
            lambda m: MISSING if m is None or pd.isna(m) else i18n.value("bool", str(bool(m)), language)
        )
    for column in ("planned_a", "planned_b", "required_b"):
        shown[column] = shown[column].map(lambda v: MISSING if pd.isna(v) else f"{float(v):,.10g}")
    return i18n.localize(shown, language, names)
