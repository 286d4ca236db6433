"""The main area: KPI cards, downloads and one tab per view.

Overview (compliance checklist, largest shortfalls, where one more unit helps),
Observation, Ambulances, Nurses, Drugs (each with its what-if editor), Map and
Compare. Pure helpers (cards, tables) come first and are tested on their own;
the ``draw_*`` functions only lay them out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from planner.dataset.schema import SITE_STATUSES
from planner.outputs.csv_zip import to_zip_bytes
from planner.outputs.plan_json import to_json_bytes
from planner.outputs.workbook import to_xlsx_bytes
from planner.report.compliance import compliance_summary
from planner.report.plan import Plan
from planner.rules.rules import load_rules
from planner.stages.registry import STAGE_NAMES
from planner.ui import charts, compare, i18n, maps, state
from planner.ui.cache import solve_plan
from planner.ui.dispatch import dispatch_xlsx_bytes
from planner.ui.places import name_map, street_names
from planner.ui.risk import render_risk
from planner.ui.sidebar import Inputs
from planner.ui.state import Session
from planner.ui.whatif import EDITABLE, apply_edits, editor_frame

SHOWN_PLAN = "shown_plan"
"""Session key: (key, kpis) of the plan drawn in the last run."""
PREVIOUS_PLAN = "previous_plan"
"""Session key: (key, kpis) of the plan drawn before it (the deltas of the KPI cards)."""
CURRENT = "__current__"
COMPARE_A, COMPARE_B, MAP_LAYERS = "compare_a", "compare_b", "map_layers"
"""Session keys of the reader's choices in the Compare and Map tabs (their widgets are bound per language)."""
SHORTFALLS_PER_STAGE = 5
MARGINAL_ROWS = 10


# --- pure helpers -------------------------------------------------------------------------------------------------


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


def _lowest(value: Any) -> float:
    return float(min(value.values())) if isinstance(value, Mapping) and value else 1.0


def _compliance_share(kpis: Mapping[str, Any]) -> float:
    checks = float(kpis["compliance_checks"])
    return float(kpis["compliance_met"]) / checks if checks else 1.0


CARD_SPECS: tuple[tuple[str, str, Callable[[Mapping[str, Any]], float], str, str], ...] = (
    ("observation_placed", "count", lambda k: float(k["observation_placed"]), "normal", "observation_persons"),
    (
        "unmet_persons",
        "count",
        lambda k: float(k["unmet_observation_disabled"]) + float(k["unmet_observation_other"]),
        "inverse",
        "",
    ),
    ("covered_share", "share", lambda k: float(k["covered_share"]), "normal", "daily_transfers"),
    ("uncovered_homes", "count", lambda k: float(k["uncovered_homes"]), "inverse", ""),
    ("one_to_one_coverage", "share", lambda k: float(k["one_to_one_coverage"]), "normal", "one_to_one_required"),
    ("nurses_assigned", "count", lambda k: float(k["nurses_assigned"]), "off", ""),
    ("nursing_unmet_by_tier", "count", lambda k: _total(k["nursing_unmet_by_tier"]), "inverse", ""),
    ("lowest_fill_rate", "share", lambda k: _lowest(k["lowest_fill_rate"]), "normal", ""),
    ("drug_shortfall", "count", lambda k: _total(k["drug_shortfall"]), "inverse", ""),
    ("compliance_met", "share", _compliance_share, "normal", "compliance_checks"),
)
"""(key, format, value of the KPIs, delta colour, KPI shown in the help) of each card, in reading order."""


def _format(kind: str, number: float) -> str:
    return i18n.percent(number) if kind == "share" else f"{number:,.0f}"


def _delta(kind: str, now: float, before: float) -> str | None:
    change = now - before
    if abs(change) < 1e-9:
        return None
    return f"{100.0 * change:+.1f} pp" if kind == "share" else f"{change:+,.0f}"


def kpi_cards(kpis: Mapping[str, Any], previous: Mapping[str, Any] | None, language: str) -> list[Card]:
    """The KPI cards of a plan, with deltas against ``previous`` KPIs (none when there is no previous plan)."""
    cards = []
    for key, kind, value_of, colour, help_key in CARD_SPECS:
        try:
            now = value_of(kpis)
        except (KeyError, TypeError, ValueError):
            continue
        delta = None
        if previous is not None:
            try:
                delta = _delta(kind, now, value_of(previous))
            except (KeyError, TypeError, ValueError):
                delta = None
        label = i18n.t(key, language) if key in i18n.LABELS else i18n.kpi_label(key, language)
        help_text = f"{i18n.kpi_label(help_key, language)}: {float(kpis[help_key]):,.6g}" if help_key in kpis else ""
        cards.append(Card(key, label, _format(kind, now), delta, colour, help_text))
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
            "source": summary["source"].astype(str),
        }
    )
    return table.rename(columns={c: i18n.column_label(c, language) for c in table.columns})


def shortfall_sizes(plan: Plan) -> pd.DataFrame:
    """The size of each explained shortfall, in the order ``planner.report.explain`` writes them: ``stage, size, unit``.

    observation: persons (one row per unmet home and group); ambulance: daily
    transfers of the home; nursing: nurses unmet per district, tier and reason;
    drugs: packs short per drug.
    """
    parts = []
    unmet = plan.stage("observation").table("unmet")
    parts.append(pd.DataFrame({"stage": "observation", "size": unmet["persons"].astype(float), "unit": "persons"}))
    hand = plan.stage("ambulance").table("handshakes")
    uncovered = hand[~hand["covered"].astype(bool)]
    parts.append(
        pd.DataFrame({"stage": "ambulance", "size": uncovered["daily_transfers"].astype(float), "unit": "per_day"})
    )
    needs = plan.stage("nursing").table("needs")
    short = needs[needs["unmet"] > 0]
    if "reason" in short.columns:
        nursing = short.groupby(["district_id", "need", "reason"], sort=True)["unmet"].sum()
    else:
        nursing = short.groupby(["district_id", "need"], sort=True)["unmet"].sum()
    parts.append(pd.DataFrame({"stage": "nursing", "size": nursing.astype(float).to_numpy(), "unit": "nurses"}))
    targets = plan.stage("drugs").table("targets")
    per_drug = targets.groupby("drug", sort=False)[["need", "allocated"]].sum()
    gap = per_drug["need"] - per_drug["allocated"]
    parts.append(pd.DataFrame({"stage": "drugs", "size": gap[gap > 0].astype(float).to_numpy(), "unit": "packs"}))
    return pd.concat(parts, ignore_index=True)


UNIT_TEXT: dict[str, tuple[str, str]] = {
    "persons": ("persons", "人"),
    "per_day": ("transfers a day", "人次/天"),
    "nurses": ("nurses", "名护理人员"),
    "packs": ("packs", "份"),
}


def explained_shortfalls(plan: Plan, language: str, per_stage: int = SHORTFALLS_PER_STAGE) -> pd.DataFrame:
    """The largest shortfalls of each stage with their explanation: ``stage, size, explanation`` (localized)."""
    explanations = plan.explanations
    sizes = shortfall_sizes(plan)
    rows = []
    for stage in STAGE_NAMES:
        said = explanations[explanations["stage"] == stage].reset_index(drop=True)
        if said.empty:
            continue
        measured = sizes[sizes["stage"] == stage].reset_index(drop=True)
        size = measured["size"] if len(measured) == len(said) else pd.Series([float("nan")] * len(said))
        unit = measured["unit"].iloc[0] if len(measured) else ""
        frame = pd.DataFrame(
            {
                "stage": i18n.stage_label(stage, language),
                "size_value": size.to_numpy(),
                "explanation": said["zh" if language == "zh" else "en"].astype(str).to_numpy(),
            }
        )
        frame = frame.sort_values("size_value", ascending=False, kind="stable", na_position="last").head(per_stage)
        unit_text = UNIT_TEXT[unit][1 if language == "zh" else 0] if unit in UNIT_TEXT else ""
        frame["size"] = [
            "" if pd.isna(v) else f"{v:,.2f} {unit_text}" if unit == "per_day" else f"{v:,.0f} {unit_text}"
            for v in frame["size_value"]
        ]
        rows.append(frame[["stage", "size", "explanation"]])
    if not rows:
        return pd.DataFrame(columns=["stage", "size", "explanation"])
    return pd.concat(rows, ignore_index=True)


def marginal_table(plan: Plan, language: str, rows: int = MARGINAL_ROWS, per_stage: int = 3) -> pd.DataFrame:
    """Where one more unit helps most: ``stage, value, explanation``, largest value first.

    At most ``per_stage`` rows of each stage, so that one resource kind does not fill the list.
    """
    values = plan.marginal_values
    values = values[values["value"] > 0].sort_values("value", ascending=False, kind="stable")
    values = values.groupby("stage", sort=False).head(per_stage).head(rows)
    return pd.DataFrame(
        {
            "stage": [i18n.stage_label(s, language) for s in values["stage"]],
            "value": values["value"].astype(float).to_numpy(),
            "explanation": values["zh" if language == "zh" else "en"].astype(str).to_numpy(),
        }
    )


def bullet_lines(stages: pd.Series, sizes: pd.Series | None, texts: pd.Series) -> str:
    """Markdown bullets ``- **stage** · size — text`` (long sentences read better as text than in a grid)."""
    sizes_list = [""] * len(texts) if sizes is None else [str(v) for v in sizes]
    lines = []
    for stage, size, text in zip(stages, sizes_list, texts, strict=True):
        middle = f" · {size}" if size else ""
        escaped = "".join("\\" + ch if ch in "*_$~`[]<>" else ch for ch in str(text))
        lines.append(f"- **{stage}**{middle} — {escaped}")
    return "\n".join(lines)


def remember_shown(session: Session, key: str, kpis: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Record the plan drawn now; return the KPIs of the plan drawn before it (for the deltas)."""
    shown = session.get(SHOWN_PLAN)
    if shown is None or shown[0] != key:
        if shown is not None:
            session[PREVIOUS_PLAN] = shown
        session[SHOWN_PLAN] = (key, dict(kpis))
    previous = session.get(PREVIOUS_PLAN)
    return None if previous is None else previous[1]


def stage_results(plan: Plan, table: str) -> pd.DataFrame:
    """The plan's result columns shown next to an editable table (read-only in the editor)."""
    if table == "sites":
        return plan.stage("observation").table("sites")[
            ["site_id", "barrier_free", "open", "opened", "persons", "persons_disabled", "free_rooms"]
        ]
    if table == "stations":
        stations = plan.stage("ambulance").table("stations")[
            ["station_id", "after", "workload_minutes", "capacity_minutes"]
        ]
        return stations.round({"workload_minutes": 1, "capacity_minutes": 1})
    if table == "pools":
        return plan.stage("nursing").table("pools")[["pool_id", "used", "marginal_value"]]
    depots = plan.stage("drugs").table("depots")
    return depots.groupby("depot_id")["shipped"].sum().reset_index()


# --- drawing ------------------------------------------------------------------------------------------------------


def _show_table(frame: pd.DataFrame, language: str, names: Mapping[str, str] | None = None, **kwargs: Any) -> None:
    if frame.empty:
        st.caption(i18n.t("nothing_here", language))
        return
    st.dataframe(i18n.localize(frame, language, names), hide_index=True, **kwargs)


def draw_header(inputs: Inputs) -> None:
    """Title, caption and the one-time message of the last callback."""
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
        st.error(i18n.t("scenario_bad", language, problems="; ".join(inputs.problems_in_scenario)))


def draw_kpis(plan: Plan, previous: Mapping[str, Any] | None, language: str) -> None:
    """Two rows of five KPI cards."""
    cards = kpi_cards(plan.kpis, previous, language)
    for start in range(0, len(cards), 5):
        columns = st.columns(5)
        for column, card in zip(columns, cards[start : start + 5], strict=False):
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


@dataclass(frozen=True)
class DownloadFile:
    """One download: its label key, how to build its bytes, its file name and MIME type."""

    key: str
    build: Callable[[], bytes]
    file_name: str
    mime: str


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_files(plan: Plan, located: pd.DataFrame, language: str) -> list[DownloadFile]:
    """The plan as .xlsx, .json, .zip of CSVs, and the per-district dispatch sheet (bytes built on demand)."""
    level = plan.scenario.level
    return [
        DownloadFile("download_xlsx", lambda: to_xlsx_bytes(plan), f"epiplan-{level}.xlsx", XLSX_MIME),
        DownloadFile("download_json", lambda: to_json_bytes(plan), f"epiplan-{level}.json", "application/json"),
        DownloadFile("download_zip", lambda: to_zip_bytes(plan), f"epiplan-{level}-csv.zip", "application/zip"),
        DownloadFile(
            "download_dispatch",
            lambda: dispatch_xlsx_bytes(plan, located, language),
            f"epiplan-{level}-dispatch.xlsx",
            XLSX_MIME,
        ),
    ]


def draw_downloads(plan: Plan, located: pd.DataFrame, language: str) -> None:
    """One button per download; the file is built when the button is clicked."""
    st.caption(i18n.t("downloads", language))
    files = download_files(plan, located, language)
    for column, file in zip(st.columns(len(files)), files, strict=True):
        column.download_button(
            i18n.t(file.key, language),
            data=file.build,
            file_name=file.file_name,
            mime=file.mime,
            on_click="ignore",
            key=file.key,
            icon=":material/download:",
        )


ID_COLUMN_WIDTH = 110
EDIT_COLUMN_WIDTH = 150
"""Pixel widths of the id and editable columns: fixed, so a cell sits at a known place (the browser test edits by
mouse position)."""


def _editor(table: str, inputs: Inputs, plan: Plan, located: pd.DataFrame) -> None:
    """The what-if editor of ``table``: the id, the editable input columns, then names and the plan's results."""
    language = inputs.language
    assert inputs.dataset is not None
    shown = apply_edits(inputs.dataset, st.session_state.get(state.STORED_EDITS, {}))
    frame = editor_frame(table, shown, stage_results(plan, table), located)
    editable = list(EDITABLE[table])
    id_col = str(frame.columns[0])
    config: dict[Any, Any] = {c: st.column_config.Column(i18n.column_label(str(c), language)) for c in frame.columns}
    config[id_col] = st.column_config.TextColumn(i18n.column_label(id_col, language), width=ID_COLUMN_WIDTH)
    for column in editable:
        if column == "status":
            config[column] = st.column_config.SelectboxColumn(
                i18n.column_label(column, language),
                options=list(SITE_STATUSES),
                required=True,
                width=EDIT_COLUMN_WIDTH,
            )
        else:
            label = i18n.column_label(column, language)
            if column.startswith("stock_"):
                label = f"{i18n.column_label('stock', language)}: {i18n.value('drug', column[6:], language)}"
            config[column] = st.column_config.NumberColumn(
                label, min_value=0, step=1, format="%d", required=True, width=EDIT_COLUMN_WIDTH
            )
    st.caption(i18n.t("whatif_caption", language))
    st.data_editor(
        frame,
        key=state.editor_key(f"whatif_{table}", st.session_state),
        hide_index=True,
        num_rows="fixed",
        disabled=[c for c in frame.columns if c not in editable],
        column_order=[id_col, *editable, *[c for c in frame.columns if c != id_col and c not in editable]],
        column_config=config,
        height=300,
    )


def draw_overview(plan: Plan, language: str) -> None:
    """Compliance checklist, largest shortfalls with explanations, where one more unit helps most."""
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
    unmet = plan.compliance[~plan.compliance["met"].astype(bool)]
    if not unmet.empty:
        with st.expander(i18n.t("unmet_rows", language)):
            shown = unmet[["rule_id", "scope_id", "required", "planned", "source"]].copy()
            shown["rule_id"] = shown["rule_id"].map(lambda r: i18n.rule_label(r, language))
            st.dataframe(i18n.localize(shown, language), hide_index=True)
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
        marginal = marginal_table(plan, language)
        if marginal.empty:
            st.info(i18n.t("no_marginal", language))
        else:
            st.markdown(bullet_lines(marginal["stage"], None, marginal["explanation"]))


def draw_observation(plan: Plan, inputs: Inputs, located: pd.DataFrame) -> None:
    """Sites (editable rooms and status) with their occupancy, assignments and persons without a room."""
    language = inputs.language
    names = {**name_map(located), **street_names(inputs.dataset, language)} if inputs.dataset is not None else {}
    st.subheader(i18n.t("sites", language))
    _editor("sites", inputs, plan, located)
    st.altair_chart(charts.occupancy_chart(plan, located, language))
    left, right = st.columns(2)
    with left:
        st.subheader(i18n.t("observation_assignments", language))
        _show_table(
            plan.stage("observation").table("assignments")[["home_id", "site_id", "group", "persons", "minutes"]],
            language,
            names,
        )
    with right:
        st.subheader(i18n.t("unmet_persons", language))
        _show_table(plan.stage("observation").table("unmet"), language, names)


def draw_ambulance(plan: Plan, inputs: Inputs, located: pd.DataFrame) -> None:
    """Stations before / after (editable fleet), coverage by district, uncovered homes, handshakes."""
    language = inputs.language
    names = name_map(located)
    st.subheader(i18n.t("stations", language))
    _editor("stations", inputs, plan, located)
    st.altair_chart(charts.coverage_chart(plan, located, language))
    hand = plan.stage("ambulance").table("handshakes")
    columns = [
        c
        for c in ("home_id", "station_id", "hospital_id", "trip_minutes", "daily_transfers", "covered", "reason")
        if c in hand.columns
    ]
    st.subheader(i18n.t("uncovered", language))
    _show_table(hand.loc[~hand["covered"].astype(bool), columns], language, names)
    st.subheader(i18n.t("handshakes", language))
    _show_table(hand[columns], language, names)


def draw_nursing(plan: Plan, inputs: Inputs, located: pd.DataFrame) -> None:
    """Pools (editable nurses) and their use, needs by tier, assignments."""
    language = inputs.language
    names = name_map(located)
    st.subheader(i18n.t("pools", language))
    _editor("pools", inputs, plan, located)
    st.altair_chart(charts.nursing_chart(plan, language))
    needs = plan.stage("nursing").table("needs")
    columns = [
        c
        for c in ("destination_id", "district_id", "need", "required", "assigned", "unmet", "reason")
        if c in needs.columns
    ]
    st.subheader(i18n.t("nursing_needs", language))
    _show_table(needs.sort_values("unmet", ascending=False, kind="stable")[columns], language, names)
    st.subheader(i18n.t("nursing_assignments", language))
    assignments = (
        plan.stage("nursing")
        .table("assignments")
        .merge(needs[["need_id", "destination_id", "need"]], on="need_id", how="left")
    )
    _show_table(assignments[["pool_id", "destination_id", "need", "nurses", "minutes"]], language, names)


def draw_drugs(plan: Plan, inputs: Inputs, located: pd.DataFrame) -> None:
    """Depots (editable stock), fill rates by drug and kind, shortfalls by institution, shipments."""
    language = inputs.language
    names = name_map(located)
    st.subheader(i18n.t("depots", language))
    _editor("depots", inputs, plan, located)
    st.altair_chart(charts.fill_rate_chart(plan, language))
    targets = plan.stage("drugs").table("targets")
    columns = ["institution_id", "kind", "drug", "target", "on_hand", "allocated", "shortfall", "fill_rate"]
    columns += ["reason"] if "reason" in targets.columns else []
    st.subheader(i18n.t("drug_targets", language))
    short = targets[targets["shortfall"] > 0].sort_values("shortfall", ascending=False, kind="stable")
    _show_table(short[columns], language, names)
    st.subheader(i18n.t("drug_allocations", language))
    _show_table(plan.stage("drugs").table("allocations"), language, names)


def draw_map(plan: Plan, language: str, located: pd.DataFrame) -> None:
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
    st.pydeck_chart(maps.plan_deck(plan, located, chosen, language), height=640)


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
    left, right = st.columns(2)
    choice_a = left.selectbox(
        i18n.t("scenario_a", language),
        options,
        key=state.bind_widget(session, COMPARE_A, language),
        format_func=lambda o: label.get(o, o),
        on_change=state.copy_from_widget,
        args=(session, COMPARE_A, language),
    )
    choice_b = right.selectbox(
        i18n.t("scenario_b", language),
        options,
        key=state.bind_widget(session, COMPARE_B, language),
        format_func=lambda o: label.get(o, o),
        on_change=state.copy_from_widget,
        args=(session, COMPARE_B, language),
    )
    plan_a, plan_b = _plan_of(choice_a, inputs, plan), _plan_of(choice_b, inputs, plan)
    st.subheader(i18n.t("kpi_deltas", language))
    deltas = compare.kpi_deltas(plan_a.kpis, plan_b.kpis)
    deltas["kpi"] = [_kpi_name(k, language) for k in deltas["kpi"]]
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
            _show_table(frame, language, names)


def _kpi_name(flat_key: str, language: str) -> str:
    """``lowest_fill_rate.tcm`` -> ``Lowest drug fill rate: TCM``; district ids stay ids."""
    head, _, tail = flat_key.partition(".")
    label = i18n.kpi_label(head, language)
    if not tail:
        return label
    for category in ("drug", "need"):
        if tail in i18n.VALUES[category]:
            return f"{label}: {i18n.value(category, tail, language)}"
    return f"{label}: {tail}"


def draw_tabs(plan: Plan, inputs: Inputs, located: pd.DataFrame) -> None:
    """Every view, one tab each."""
    language = inputs.language
    keys = (
        "tab_overview",
        "tab_observation",
        "tab_ambulance",
        "tab_nursing",
        "tab_drugs",
        "tab_map",
        "tab_compare",
        "tab_risk",
    )
    tabs = st.tabs([i18n.t(k, language) for k in keys])
    with tabs[0]:
        draw_overview(plan, language)
    with tabs[1]:
        draw_observation(plan, inputs, located)
    with tabs[2]:
        draw_ambulance(plan, inputs, located)
    with tabs[3]:
        draw_nursing(plan, inputs, located)
    with tabs[4]:
        draw_drugs(plan, inputs, located)
    with tabs[5]:
        draw_map(plan, language, located)
    with tabs[6]:
        draw_compare(plan, inputs, located)
    with tabs[7]:
        assert inputs.planned is not None and inputs.rules is not None and inputs.scenario is not None  # ready
        render_risk(inputs.planned, inputs.rules, inputs.scenario, language)
