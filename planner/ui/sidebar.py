"""The sidebar: language, dataset, rules, response level, scenario knobs, time limit, kept scenarios.

:func:`draw_sidebar` draws the widgets and returns :class:`Inputs`, everything
the planner needs. The pure helpers (rules table <-> overrides, demand
multipliers, the scenario of the widgets) are tested without Streamlit.

What-if edits from the data editors in the main area are read here, at the top
of the run, from their widget state: the plan is solved before the editors are
drawn again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pandas as pd
import streamlit as st
import yaml

from planner.dataset.problems import Problem
from planner.dataset.schema import LEVELS, Dataset
from planner.outputs.template import template_bytes
from planner.report.problem_words import scenario_problem_message
from planner.rules.rules import PRESETS, RULES_DIR, Rules, RulesError, load_rules
from planner.rules.scenario import DAILY_HORIZON_MAX, PLAN_KINDS, Scenario, ScenarioError, make_scenario
from planner.ui import i18n, state
from planner.ui.data import choose_dataset
from planner.ui.editors import demand_edits, demand_frame, effective_multipliers, rule_edits, rules_frame
from planner.ui.places import display_names
from planner.ui.state import Session, SessionView
from planner.ui.whatif import (
    EDITABLE,
    EditError,
    Edits,
    apply_edits,
    count_edits,
    district_rows,
    drop_unchanged,
    editor_edits,
    editor_name,
    merge_edits,
    totals_over_limits,
    unknown_ids,
)
from planner.yaml_files import MAX_YAML_BYTES

PERCENT_SLIDERS: tuple[tuple[str, float, float], ...] = (
    ("attack_rate", 100.0, 1.0),
    ("severe_share", 100.0, 1.0),
    ("staff_absence", 100.0, 1.0),
    ("rotation_share", 100.0, 5.0),
    ("stock_factor", 200.0, 5.0),
    ("fleet_factor", 200.0, 5.0),
)
"""(knob, top, step) of each slider, in percent (``planner.ui.state.KNOB_KEYS``)."""


def slider_top(top: float, step: float, value: object) -> float:
    """A widget's upper end: ``top``, or the current value (rounded up to a step) when a loaded scenario is beyond."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > top:
        return float(math.ceil(value / step) * step)
    return top


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROW_PX = 35
RULES_TABLE_MAX_PX = 640
RULES_EDITOR = "rules_editor"
DEMAND_EDITOR = "demand_editor"
SCENARIO_UPLOAD = "scenario_upload"
DATASET_SHA = "dataset_sha256"
"""Session key: content hash of the dataset planned in the last run (a new one resets the edits)."""


@dataclass(frozen=True)
class Inputs:
    """What the sidebar (and the editors' state) asks for."""

    language: str
    dataset: Dataset | None
    """The validated dataset before what-if edits; ``None`` when it has errors."""
    problems: list[Problem]
    dataset_label: str
    planned: Dataset | None = None
    """The dataset with the what-if edits applied (what is solved)."""
    preset: str = "beijing-2023"
    rules: Rules | None = None
    """The preset's rules (overrides travel in ``scenario.rule_overrides``)."""
    scenario: Scenario | None = None
    problems_in_scenario: list[str] = field(default_factory=list)
    edits: Edits = field(default_factory=dict)
    time_limit_s: float = state.DEFAULT_TIME_LIMIT_S
    district: str | None = None
    """The district the views and downloads show (None: every district)."""

    @property
    def ready(self) -> bool:
        """True when there is something to solve."""
        return self.planned is not None and self.rules is not None and self.scenario is not None

    def spec(self, name: str) -> state.ScenarioSpec:
        """These inputs as a kept scenario called ``name``."""
        assert self.scenario is not None
        dataset = self.dataset
        return state.ScenarioSpec(
            name=name,
            preset=self.preset,
            scenario=self.scenario,
            edits=self.edits,
            time_limit_s=self.time_limit_s,
            dataset_name=dataset.name if dataset is not None else "",
            dataset_sha256=dataset.sha256 if dataset is not None else "",
        )


# --- pure helpers -------------------------------------------------------------------------------------------------


def build_scenario(
    session: SessionView,
    rule_overrides: Mapping[str, Any],
    multipliers: Mapping[str, float],
    dataset: Dataset | None = None,
) -> tuple[Scenario | None, list[str]]:
    """The scenario of the widgets, or ``None`` and the problems; with ``dataset``, what the scenario cannot plan
    on it too (``Scenario.validate_against``: forecast days beyond the horizon, unknown districts)."""
    knobs = state.scenario_knobs(session)
    try:
        scenario = make_scenario(**knobs, rule_overrides=dict(rule_overrides), demand_multipliers=dict(multipliers))
    except ScenarioError as exc:
        return None, exc.problems
    problems = scenario.validate_against(dataset) if dataset is not None else []
    return (None, problems) if problems else (scenario, [])


def current_edits(session: SessionView, dataset: Dataset, district: str | None = None) -> tuple[Edits, list[str]]:
    """Stored what-if edits with the editors' edits on top (only those that change the data), and any problems;
    ``district``: the editors show that district's rows only."""
    stored = session.get(state.STORED_EDITS, {})
    shown = apply_edits(dataset, stored)
    layers: list[Edits] = [stored]
    problems: list[str] = []
    for table in EDITABLE:
        rows = district_rows(table, shown, district)
        editor = session.get(state.editor_key(editor_name(table, district), session))
        try:
            layers.append(editor_edits(table, rows, editor))
        except EditError as exc:
            problems += exc.problems
    edits = drop_unchanged(dataset, merge_edits(*layers))
    over = totals_over_limits(dataset, edits)  # a class's stock over every depot: kept as the data holds it
    return {table: rows for table, rows in edits.items() if table not in over}, problems + list(over.values())


@cache
def preset_title(preset: str, language: str) -> str:
    """The preset's title from its YAML file (the name when it has none)."""
    path = RULES_DIR / f"{preset}.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    key = "title_zh" if language == "zh" else "title"
    return str((raw or {}).get(key) or preset)


# --- callbacks ----------------------------------------------------------------------------------------------------


def _on_level_change(language: str) -> None:
    state.copy_from_widget(st.session_state, state.LEVEL, language)
    state.reset_knobs_to_level(st.session_state)


def _on_widget_change(name: str, language: str) -> None:
    state.copy_from_widget(st.session_state, name, language)


def _on_scenario_upload() -> None:
    upload = st.session_state.get(SCENARIO_UPLOAD)
    if upload is None:
        return
    language = st.session_state.get(state.LANGUAGE, "en")
    name = str(upload.name).rsplit(".", 1)[0]
    try:
        if upload.size > MAX_YAML_BYTES:
            raise ScenarioError([f"larger than {MAX_YAML_BYTES // 1024:,} KB (a scenario file is a few lines)"])
        spec = state.spec_from_yaml(upload.getvalue(), default_name=name)
    except ScenarioError as exc:
        shown = "; ".join(scenario_problem_message(problem, language) for problem in exc.problems)
        st.session_state[state.MESSAGE] = ("error", i18n.t("scenario_bad", language, problems=shown))
        return
    state.load_spec(st.session_state, spec)
    state.keep(st.session_state, spec)
    message = i18n.t("scenario_loaded", language, name=spec.name)
    current = st.session_state.get(DATASET_SHA)
    if spec.dataset_sha256 and current and spec.dataset_sha256 != current:  # said nothing: edits may name nothing
        message += " " + i18n.t("other_dataset", language, name=spec.name)
    st.session_state[state.MESSAGE] = ("success", message)


def _on_keep(spec: state.ScenarioSpec) -> None:
    language = st.session_state.get(state.LANGUAGE, "en")
    state.keep(st.session_state, spec)
    st.session_state[state.MESSAGE] = ("success", i18n.t("saved", language, name=spec.name))


def _on_load(name: str) -> None:
    spec = st.session_state.get(state.KEPT, {}).get(name)
    if spec is not None:
        state.load_spec(st.session_state, spec)
        language = st.session_state.get(state.LANGUAGE, "en")
        st.session_state[state.MESSAGE] = ("success", i18n.t("scenario_loaded", language, name=spec.name))


# --- drawing ------------------------------------------------------------------------------------------------------


def _draw_dataset(session: Session, language: str) -> tuple[Dataset | None, list[Problem], str]:
    st.subheader(i18n.t("dataset", language))
    upload = st.file_uploader(
        i18n.t("upload", language), type=["xlsx", "zip"], key=state.UPLOAD, help=i18n.t("upload_help", language)
    )
    choice = choose_dataset(session, upload)
    dataset = choice.dataset
    if dataset is not None:
        label = i18n.t("sample_city", language) if choice.is_sample else choice.label
        st.caption(
            i18n.t(
                "using_dataset", language, name=label, districts=len(dataset.districts), homes=len(dataset.care_homes)
            )
        )
        if session.get(DATASET_SHA) != dataset.sha256:
            if session.get(DATASET_SHA) is not None:
                state.reset_edits(session)
            session[DATASET_SHA] = dataset.sha256
    _draw_template(dataset, language)
    return dataset, choice.problems, choice.label


def _draw_template(dataset: Dataset | None, language: str) -> None:
    """The dataset template to fill in: blank, or with the dataset in use written in (in the app's language)."""
    row = st.container(horizontal=True)
    row.download_button(
        i18n.t("template_blank", language),
        data=lambda: template_bytes(language),
        file_name=f"epiplan-template-{language}.xlsx",
        mime=XLSX_MIME,
        on_click="ignore",
        key="download_template",
        icon=":material/table_view:",
        help=i18n.t("template_help", language),
        width="content",
    )
    if dataset is not None:
        row.download_button(
            i18n.t("template_filled", language),
            data=lambda: template_bytes(language, dataset),
            file_name=f"epiplan-dataset-{language}.xlsx",
            mime=XLSX_MIME,
            on_click="ignore",
            key="download_filled_template",
            icon=":material/table_view:",
            width="content",
        )


def _draw_district(session: Session, dataset: Dataset, language: str) -> str | None:
    """Which district the views and downloads show: every district (None) or one, its border flows included."""
    ids = dataset.districts["district_id"].astype(str).tolist()
    names = dict(zip(ids, display_names(dataset.districts, language), strict=True))
    if session.get(state.DISTRICT) not in ("", *ids):
        session[state.DISTRICT] = ""
    chosen = st.selectbox(
        i18n.t("district_view", language),
        ["", *ids],
        key=state.bind_widget(session, state.DISTRICT, language),
        format_func=lambda d: f"{names[d]} ({d})" if d else i18n.t("all_districts", language),
        on_change=_on_widget_change,
        args=(state.DISTRICT, language),
        help=i18n.t("district_help", language),
    )
    return str(chosen) or None


def _draw_rules(session: Session, language: str) -> tuple[str, Rules, dict[str, Any], list[str]]:
    st.subheader(i18n.t("rules", language))
    preset = st.selectbox(
        i18n.t("preset", language),
        PRESETS,
        key=state.bind_widget(session, state.PRESET, language),
        format_func=lambda p: preset_title(p, language),
        on_change=_on_widget_change,
        args=(state.PRESET, language),
    )
    rules = load_rules(preset)
    stored = dict(session.get(state.STORED_RULES, {}))
    problems: list[str] = []
    try:
        shown_rules = rules.with_overrides(stored)
    except RulesError as exc:
        problems += exc.problems
        stored, shown_rules = {}, rules
    shown = rules_frame(shown_rules, language)
    key = state.editor_key(f"{RULES_EDITOR}_{preset}", session)
    overrides = {**stored, **rule_edits(shown, session.get(key))}
    try:
        rules.with_overrides(overrides)
    except RulesError as exc:
        problems += exc.problems
        overrides = stored
    overrides = {k: v for k, v in overrides.items() if rules.values().get(k) != v}
    session[state.STORED_RULES] = overrides  # kept: the editor lives in a dialog and its state goes when it closes
    changed = len(overrides)
    st.caption(i18n.t("rules_changed", language, n=changed) if changed else i18n.t("rules_as_preset", language))
    if st.button(i18n.t("edit_rules", language), key="open_rules", icon=":material/edit_note:"):
        st.dialog(i18n.t("edit_rules", language), width="large")(_rules_dialog)(shown, key, language, problems)
    if problems:
        st.error(i18n.t("rules_bad", language, problems="; ".join(problems)))
    return preset, rules, overrides, problems


def _rules_dialog(shown: pd.DataFrame, key: str, language: str, problems: list[str]) -> None:
    """The rules table in a wide dialog, every column in view; Apply solves again with the edited values."""
    st.caption(i18n.t("rules_dialog_caption", language))
    st.data_editor(
        shown,
        key=key,
        hide_index=True,
        num_rows="fixed",
        disabled=["field", "label", "unit", "rule_kind", "source"],
        column_order=["label", "value", "unit", "rule_kind", "source"],
        column_config={
            "label": st.column_config.TextColumn(i18n.column_label("label", language), width="large"),
            "value": st.column_config.TextColumn(i18n.column_label("value", language), width="small"),
            "unit": st.column_config.TextColumn(i18n.column_label("unit", language), width="large"),
            "rule_kind": st.column_config.TextColumn(i18n.column_label("rule_kind", language), width="medium"),
            "source": st.column_config.TextColumn(i18n.column_label("source", language), width="large"),
        },
        height=min(ROW_PX * (len(shown) + 1) + 3, RULES_TABLE_MAX_PX),
    )
    if problems:
        st.error(i18n.t("rules_bad", language, problems="; ".join(problems)))
    if st.button(i18n.t("apply", language), type="primary", key="apply_rules"):
        st.rerun()


def _draw_knobs(session: Session, dataset: Dataset, language: str) -> dict[str, float]:
    st.radio(
        i18n.t("level", language),
        LEVELS,
        key=state.bind_widget(session, state.LEVEL, language),
        horizontal=True,
        format_func=lambda level: i18n.value("level", level, language),
        on_change=_on_level_change,
        args=(language,),
    )
    with st.expander(i18n.t("more_knobs", language), expanded=False):
        keys = state.KNOB_KEYS
        for knob, top, step in PERCENT_SLIDERS:
            top = slider_top(top, step, session.get(keys[knob]))  # a loaded scenario may go beyond the usual range
            st.slider(i18n.t(knob, language), 0.0, top, step=step, format="%.0f%%", key=keys[knob])
        limit = i18n.t("horizon_help", language, most=DAILY_HORIZON_MAX)
        st.number_input(i18n.t("horizon_days", language), 1, 365, step=1, key=state.HORIZON, help=limit)
    _draw_plan_kind(session, language)
    sites = dataset.sites
    site_ids = sites["site_id"].astype(str).tolist()
    names = dict(zip(site_ids, display_names(sites, language), strict=True))
    asked = list(session.get(state.CLOSED_SITES, []))
    session[state.CLOSED_SITES] = [s for s in asked if s in names]
    unknown = [s for s in asked if s not in names]
    if unknown:
        st.warning(i18n.t("closed_unknown", language, sites=", ".join(map(str, unknown))))
    st.multiselect(
        i18n.t("closed_sites", language),
        site_ids,
        key=state.bind_widget(session, state.CLOSED_SITES, language),
        format_func=lambda s: f"{names.get(s, s)} ({s})",
        placeholder=i18n.t("choose", language),
        on_change=_on_widget_change,
        args=(state.CLOSED_SITES, language),
    )
    stored = dict(session.get(state.STORED_DEMAND, {}))
    shown = demand_frame(dataset, stored, language)
    key = state.editor_key(DEMAND_EDITOR, session)
    with st.expander(i18n.t("demand", language), expanded=False):
        st.data_editor(
            shown,
            key=key,
            hide_index=True,
            num_rows="fixed",
            disabled=["district_id", "name"],
            column_order=["name", "multiplier"],
            column_config={
                "name": st.column_config.TextColumn(i18n.column_label("district", language)),
                "multiplier": st.column_config.NumberColumn(
                    i18n.t("multiplier", language), min_value=0.0, max_value=10.0, step=0.1, format="%.2f"
                ),
            },
        )
    most = slider_top(300.0, 1.0, session.get(state.TIME_LIMIT))
    st.number_input(
        i18n.t("time_limit", language), min_value=state.MIN_TIME_LIMIT_S, max_value=most, step=1.0, key=state.TIME_LIMIT
    )
    return effective_multipliers(stored, demand_edits(shown, session.get(key)))


def _draw_plan_kind(session: Session, language: str) -> None:
    """Day-by-day or snapshot plan; the day-by-day plan's curve (empty: the default peak and wave length)."""
    st.radio(
        i18n.t("plan_kind", language),
        PLAN_KINDS,
        key=state.bind_widget(session, state.PLAN, language),
        horizontal=True,
        format_func=lambda kind: i18n.t(f"plan_{kind}", language),
        on_change=_on_widget_change,
        args=(state.PLAN, language),
        help=i18n.t("plan_help", language),
    )
    snapshot = session[state.PLAN] == "snapshot"
    with st.expander(i18n.t("curve", language), expanded=False):
        for key, low, high in ((state.PEAK_DAY, 0, 365), (state.WAVE_DAYS, 1, 730)):
            label, auto = i18n.t(key, language), i18n.t(f"{key}_auto", language)
            st.number_input(label, low, high, value=None, step=1, key=key, placeholder=auto, disabled=snapshot)
        if snapshot:
            st.caption(i18n.t("curve_snapshot", language))


def _on_undo() -> None:
    language = st.session_state.get(state.LANGUAGE, "en")
    if state.undo_whatif(st.session_state):
        st.session_state[state.MESSAGE] = ("success", i18n.t("undone", language))


def _on_reset() -> None:
    language = st.session_state.get(state.LANGUAGE, "en")
    state.reset_whatif(st.session_state)
    st.session_state[state.MESSAGE] = ("success", i18n.t("reset_done", language))


def _draw_undo(session: Session, inputs: Inputs, language: str) -> None:
    """Undo the last what-if change; reset every what-if edit (tables, rules, demand, closed sites)."""
    edited = bool(
        inputs.edits or (inputs.scenario and (inputs.scenario.rule_overrides or inputs.scenario.demand_multipliers))
    )
    edited = edited or bool(session.get(state.CLOSED_SITES))
    row = st.container(horizontal=True)
    row.button(
        i18n.t("undo", language),
        key="undo_whatif",
        on_click=_on_undo,
        disabled=not state.can_undo(session),
        icon=":material/undo:",
        width="content",
    )
    row.button(
        i18n.t("reset", language),
        key="reset_whatif",
        on_click=_on_reset,
        disabled=not edited,
        icon=":material/restart_alt:",
        width="content",
        help=i18n.t("reset_help", language),
    )
    if edited:
        st.caption(i18n.t("edits_count", language, n=count_edits(inputs.edits)))


def _draw_scenarios(session: Session, inputs: Inputs, language: str) -> None:
    st.subheader(i18n.t("scenarios", language))
    _draw_undo(session, inputs, language)
    kept: dict[str, state.ScenarioSpec] = session.get(state.KEPT, {})
    default_name = i18n.value("level", session[state.LEVEL], language)
    st.text_input(i18n.t("scenario_name", language), key=state.SCENARIO_NAME, placeholder=default_name)
    if inputs.ready:
        name = str(session.get(state.SCENARIO_NAME, "")).strip() or state.unique_name(default_name, kept)
        spec = inputs.spec(name)
        st.button(i18n.t("save_scenario", language), on_click=_on_keep, args=(spec,), key="keep_scenario")
        st.download_button(
            i18n.t("download_scenario", language),
            data=spec.to_yaml().encode("utf-8"),
            file_name=f"{name}.yaml",
            mime="application/x-yaml",
            on_click="ignore",
            key="download_scenario",
        )
    if kept:
        chosen = st.selectbox(i18n.t("kept_scenarios", language), list(kept), key="load_choice")
        st.button(i18n.t("load_scenario", language), on_click=_on_load, args=(chosen,), key="load_scenario")
    st.file_uploader(
        i18n.t("upload_scenario", language), type=["yaml", "yml"], key=SCENARIO_UPLOAD, on_change=_on_scenario_upload
    )


def draw_sidebar() -> Inputs:
    """Draw the sidebar and return what it asks for."""
    session = st.session_state
    state.init_session(session)
    with st.sidebar:
        language = st.segmented_control(
            i18n.t("language", "en") + " / " + i18n.t("language", "zh"),
            i18n.LANGUAGES,
            key=state.LANGUAGE,
            format_func=lambda code: i18n.LANGUAGE_NAMES[code],
            selection_mode="single",
            required=True,
        )
        language = str(language or "en")
        dataset, problems, label = _draw_dataset(session, language)
        if dataset is None:
            return Inputs(language, None, problems, label)
        district = _draw_district(session, dataset, language)
        preset, rules, overrides, _rule_problems = _draw_rules(session, language)
        st.subheader(i18n.t("knobs", language))
        multipliers = _draw_knobs(session, dataset, language)
        scenario, scenario_problems = build_scenario(session, overrides, multipliers, dataset)
        unknown = unknown_ids(dataset, session.get(state.STORED_EDITS, {}))
        if unknown:  # a loaded scenario's edits of places this dataset lacks: dropped, said so
            st.warning(i18n.t("edits_unknown", language, ids=", ".join(unknown)))
        edits, edit_problems = current_edits(session, dataset, district)
        # kept: an editor's state goes when its view is not drawn (another tab open, a dialog closed)
        session[state.STORED_EDITS] = edits
        session[state.STORED_DEMAND] = multipliers
        state.record_whatif(session)
        inputs = Inputs(
            language=language,
            dataset=dataset,
            problems=problems,
            dataset_label=label,
            planned=apply_edits(dataset, edits),
            preset=preset,
            rules=rules,
            scenario=scenario,
            problems_in_scenario=scenario_problems + edit_problems,
            edits=edits,
            time_limit_s=float(session[state.TIME_LIMIT]),
            district=district,
        )
        _draw_scenarios(session, inputs, language)
    return inputs
