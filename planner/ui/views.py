"""The main area's frame: title, dataset problems, and one tab per view.

Overview (``planner.ui.overview``), Day by day (``planner.ui.timeline_view``), Observation, Ambulances, Nurses,
Drugs (``planner.ui.stage_tabs``), Map (here), Compare (``planner.ui.compare_tab``) and Risk (``planner.ui.risk``).
The KPI cards (``planner.ui.overview``) and the downloads (``planner.ui.downloads``) sit above the tabs.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from planner.pipeline import SCENARIO_FILE
from planner.report.district import border_flows, district_plan
from planner.report.plan import Plan
from planner.report.problem_words import scenario_problem_message
from planner.ui import i18n, maps, state
from planner.ui.compare_tab import draw_compare
from planner.ui.overview import draw_overview
from planner.ui.places import name_map, street_names
from planner.ui.risk_view import render_risk
from planner.ui.sidebar import Inputs
from planner.ui.stage_tabs import draw_ambulance, draw_drugs, draw_nursing, draw_observation
from planner.ui.testing_view import draw_testing
from planner.ui.timeline_view import draw_timeline

MAP_HEIGHT_PX = 860
MAP_LAYERS = "map_layers"
"""Session key of the reader's choice of map layers (its widget is bound per language)."""


STYLE = """
<style>
/* KPI labels wrap instead of being cut off (narrow windows, long Chinese labels) */
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
[data-testid="stMetricLabel"] { min-height: 2.6em; align-items: flex-start; }
</style>
"""


def draw_header(inputs: Inputs) -> None:
    """Title, caption and the one-time message of the last callback."""
    st.markdown(STYLE, unsafe_allow_html=True)
    language = inputs.language
    st.title(i18n.t("app_title", language))
    st.caption(i18n.t("app_caption", language))
    message = st.session_state.pop(state.MESSAGE, None)
    if message is not None:
        kind, text = message
        (st.error if kind == "error" else st.success)(text)


def draw_problems(inputs: Inputs) -> None:
    """The dataset's validation problems as a table (errors first)."""
    from planner.ui.data import problems_frame

    language = inputs.language
    errors = sum(1 for p in inputs.problems if p.is_error)
    warnings = len(inputs.problems) - errors
    if inputs.dataset is None:
        st.error(i18n.t("dataset_problems", language, errors=errors, warnings=warnings))
    elif warnings:
        st.warning(i18n.t("dataset_warnings", language, warnings=warnings))
    if inputs.problems:
        st.dataframe(problems_frame(inputs.problems, language), hide_index=True, key="problems_table")
    if inputs.problems_in_scenario:
        shown = [scenario_problem_message(problem, language) for problem in inputs.problems_in_scenario]
        st.error(i18n.t("scenario_bad", language, problems="; ".join(shown)))


def draw_too_large(problems: list[str], language: str) -> None:
    """Why the data cannot be planned at once (``planner.dataset.limits.PlanTooLargeError``)."""
    st.error(i18n.t("too_large", language, problems="; ".join(problems)))


def draw_plan_warnings(plan: Plan, language: str) -> None:
    """What the plan notes on its inputs (scenario ids that name nothing, the dataset's warnings), located."""
    from planner.ui.data import problems_frame

    noted = [w for w in plan.warnings if w.file == SCENARIO_FILE]  # the dataset's are in the problems table
    if noted:
        st.warning(i18n.t("plan_warnings", language, count=len(noted)))
        st.dataframe(problems_frame(noted, language), hide_index=True, key="plan_warnings_table")


def district_part(plan: Plan, inputs: Inputs) -> tuple[Plan, pd.DataFrame | None]:
    """The plan the views show: the whole plan, or the chosen district's part and its border flows."""
    if not inputs.district or inputs.planned is None:
        return plan, None
    return (
        district_plan(plan, inputs.planned, inputs.district),
        border_flows(plan, inputs.planned, inputs.district),
    )


def draw_border(border: pd.DataFrame, language: str, names: Mapping[str, str]) -> None:
    """What crosses the district's border, in and out (largest first)."""
    st.subheader(i18n.t("border", language))
    st.caption(i18n.t("border_caption", language))
    if border.empty:
        st.caption(i18n.t("nothing_here", language))
        return
    st.dataframe(i18n.localize(border, language, names), hide_index=True, key="border_table")


def draw_map(plan: Plan, language: str, located: pd.DataFrame, district: str | None = None) -> None:
    """The plan on a map without basemap, layers chosen by the reader."""
    session = st.session_state
    session.setdefault(MAP_LAYERS, list(maps.DEFAULT_LAYERS))
    chosen = st.multiselect(
        i18n.t("map_layers", language),
        maps.LAYERS,
        key=state.bind_widget(session, MAP_LAYERS, language),
        format_func=lambda layer: maps.layer_label(layer, language),
        placeholder=i18n.t("choose", language),
        on_change=state.copy_from_widget,
        args=(session, MAP_LAYERS, language),
    )
    st.caption(i18n.t("map_caption", language))
    legend = " · ".join(
        f"<span style='color:rgb({c[0]},{c[1]},{c[2]})'>●</span> {label}"
        for c, label in (
            (maps.COLOURS["care_home"], i18n.t("layer_homes", language)),
            (maps.COLOURS["uncovered"], i18n.t("uncovered", language)),
            (maps.COLOURS["site"], i18n.t("layer_sites", language)),
            (maps.COLOURS["station"], i18n.t("layer_stations", language)),
            (maps.COLOURS["pool"], i18n.t("layer_pools", language)),
            (maps.COLOURS["depot"], i18n.t("layer_depots", language)),
        )
    )
    st.markdown(legend, unsafe_allow_html=True)
    st.pydeck_chart(maps.plan_deck(plan, located, chosen, language, focus=district), height=MAP_HEIGHT_PX)


VIEW = "view"
"""Session key of the view the reader is on (a code from :data:`VIEWS`, the same in every language)."""
VIEWS: tuple[str, ...] = (
    "overview",
    "timeline",
    "observation",
    "ambulance",
    "nursing",
    "drugs",
    "testing",
    "map",
    "compare",
    "risk",
)
"""The views, one tab each, in order; the tab label is ``i18n.t("tab_<view>")``."""


def view_labels(language: str) -> dict[str, str]:
    """View code -> tab label in ``language``."""
    return {view: i18n.t(f"tab_{view}", language) for view in VIEWS}


def _on_view_change(language: str) -> None:
    """The reader picked a tab: keep its view code (the tabs widget holds the label of one language)."""
    chosen = st.session_state.get(state.widget_key(VIEW, language))
    codes = {label: code for code, label in view_labels(language).items()}
    if chosen in codes:
        st.session_state[VIEW] = codes[chosen]


def bind_view(session: state.Session, language: str) -> str:
    """Give the tabs widget of ``language`` the label of the current view (before it is drawn); return its key.

    The view is kept as a code under :data:`VIEW`, so it survives every rerun (a kept scenario, an edit, a
    pick in Compare) and a switch of language, whose tabs widget has its own key and labels.
    """
    if session.get(VIEW) not in VIEWS:
        session[VIEW] = VIEWS[0]
    key = state.widget_key(VIEW, language)
    label = view_labels(language)[str(session[VIEW])]
    if session.get(key) != label:
        session[key] = label
    return key


def draw_tabs(plan: Plan, inputs: Inputs, located: pd.DataFrame, border: pd.DataFrame | None = None) -> None:
    """Every view, one tab each; only the open one is drawn (the others cost nothing)."""
    language = inputs.language
    key = bind_view(st.session_state, language)
    labels = view_labels(language)
    tabs = st.tabs(list(labels.values()), key=key, on_change=_on_view_change, args=(language,))
    for view, tab in zip(VIEWS, tabs, strict=True):
        if tab.open:
            with tab:
                _draw_view(view, plan, inputs, located, border)


def _draw_view(
    view: str, plan: Plan, inputs: Inputs, located: pd.DataFrame, border: pd.DataFrame | None = None
) -> None:
    language = inputs.language
    if view == "overview":
        names = {**name_map(located), **(street_names(inputs.dataset, language) if inputs.dataset is not None else {})}
        if border is not None:
            draw_border(border, language, names)
        draw_overview(plan, language, names)
    elif view == "timeline":
        draw_timeline(plan, inputs, located)
    elif view == "observation":
        draw_observation(plan, inputs, located)
    elif view == "ambulance":
        draw_ambulance(plan, inputs, located)
    elif view == "nursing":
        draw_nursing(plan, inputs, located)
    elif view == "drugs":
        draw_drugs(plan, inputs, located)
    elif view == "testing":
        draw_testing(plan, inputs, located)
    elif view == "map":
        draw_map(plan, language, located, inputs.district)
    elif view == "compare":
        draw_compare(plan, inputs, located)
    elif view == "risk":
        assert inputs.planned is not None and inputs.rules is not None and inputs.scenario is not None  # ready
        render_risk(inputs.planned, inputs.rules, inputs.scenario, language)
