"""The Compare tab: any two scenarios (kept ones or the current plan) side by side."""

from __future__ import annotations

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
    st.subheader(i18n.t("kpi_deltas", language))
    deltas = compare.kpi_deltas(plan_a.kpis, plan_b.kpis)
    deltas["kpi"] = [flat_kpi_name(k, language) for k in deltas["kpi"]]
    st.dataframe(i18n.localize(deltas, language), hide_index=True)
    st.subheader(i18n.t("compliance_changes", language))
    by_rule = compare.compliance_by_rule(plan_a.compliance, plan_b.compliance)
    by_rule = by_rule[by_rule["delta"] != 0].copy()
    flips = compare.compliance_flips(plan_a.compliance, plan_b.compliance)
    if by_rule.empty and flips.empty:
        st.caption(i18n.t("no_change", language))
    else:
        by_rule["rule_id"] = by_rule["rule_id"].map(lambda r: i18n.rule_label(r, language))
        st.dataframe(i18n.localize(by_rule, language), hide_index=True)
        flips["rule_id"] = flips["rule_id"].map(lambda r: i18n.rule_label(r, language))
        st.dataframe(i18n.localize(flips.head(500), language), hide_index=True)
    st.subheader(i18n.t("moved", language))
    names = name_map(located)
    moved = compare.moved_assignments(plan_a, plan_b, names)
    for stage, frame in moved.items():
        with st.expander(f"{i18n.stage_label(stage, language)}: {len(frame):,}"):
            show_table(frame, language, names)


def flat_kpi_name(flat_key: str, language: str) -> str:
    """``lowest_fill_rate.tcm`` -> ``Lowest drug fill rate: TCM``; district ids stay ids."""
    head, _, tail = flat_key.partition(".")
    label = i18n.kpi_label(head, language)
    if not tail:
        return label
    for category in ("drug", "need"):
        if tail in i18n.VALUES[category]:
            return f"{label}: {i18n.value(category, tail, language)}"
    return f"{label}: {tail}"
