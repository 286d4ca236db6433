"""The stage tabs: Observation, Ambulances, Nurses, Drugs, each with its what-if editor and result tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from planner.dataset.schema import SITE_STATUSES
from planner.report.plan import Plan
from planner.ui import charts, i18n, state
from planner.ui.places import name_map, street_names
from planner.ui.sidebar import Inputs
from planner.ui.whatif import EDITABLE, apply_edits, column_maximum, editor_frame, editor_name

ID_COLUMN_WIDTH = 110
EDIT_COLUMN_WIDTH = 150
"""Pixel widths of the id and editable columns: fixed, so a cell sits at a known place (the browser test edits by
mouse position)."""


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


def show_table(frame: pd.DataFrame, language: str, names: Mapping[str, str] | None = None, **kwargs: Any) -> None:
    """A read-only table with localized headers and values, names beside ids; a caption when it is empty.

    Parameters
    ----------
    frame
        The table to show.
    language
        ``en`` or ``zh``.
    names
        Id -> name, shown beside the ids (see ``planner.ui.places``).
    **kwargs
        Passed on to ``st.dataframe``.
    """
    if frame.empty:
        st.caption(i18n.t("nothing_here", language))
        return
    st.dataframe(i18n.localize(frame, language, names), hide_index=True, **kwargs)


def _present(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[str]:
    """The ``columns`` that ``frame`` has, in that order (a stage adds ``reason`` where it explains a shortfall)."""
    return [column for column in columns if column in frame.columns]


def _editor(table: str, inputs: Inputs, plan: Plan, located: pd.DataFrame) -> None:
    """The what-if editor of ``table`` under its heading: the id, the editable input columns, then names and the
    plan's results."""
    language = inputs.language
    st.subheader(i18n.t(table, language))
    assert inputs.dataset is not None
    shown = apply_edits(inputs.dataset, st.session_state.get(state.STORED_EDITS, {}))
    frame = editor_frame(table, shown, stage_results(plan, table), located, inputs.district)
    editable = list(EDITABLE[table])
    id_col = str(frame.columns[0])
    config: dict[Any, Any] = {c: st.column_config.Column(i18n.column_label(str(c), language)) for c in frame.columns}
    config[id_col] = st.column_config.TextColumn(i18n.column_label(id_col, language), width=ID_COLUMN_WIDTH)
    for column in editable:
        if column == "status":
            config[column] = st.column_config.SelectboxColumn(
                i18n.column_label(column, language),
                options=list(SITE_STATUSES),
                format_func=lambda code: i18n.value("status", code, language),
                required=True,
                width=EDIT_COLUMN_WIDTH,
            )
        else:
            label = i18n.column_label(column, language)
            if column.startswith("stock_"):
                label = f"{i18n.column_label('stock', language)}: {i18n.value('drug', column[6:], language)}"
            config[column] = st.column_config.NumberColumn(  # the editor stops at the column's limit (a 2**63 broke it)
                label,
                min_value=0,
                max_value=column_maximum(table, column),
                step=1,
                format="%d",
                required=True,
                width=EDIT_COLUMN_WIDTH,
            )
    st.caption(i18n.t("whatif_caption", language))
    st.data_editor(
        frame,
        key=state.editor_key(editor_name(table, inputs.district), st.session_state),
        hide_index=True,
        num_rows="fixed",
        disabled=[c for c in frame.columns if c not in editable],
        column_order=[id_col, *editable, *[c for c in frame.columns if c != id_col and c not in editable]],
        column_config=config,
        height=300,
    )


def draw_observation(plan: Plan, inputs: Inputs, located: pd.DataFrame) -> None:
    """Sites (editable rooms and status) with their occupancy, assignments and persons without a room."""
    language = inputs.language
    names = {**name_map(located), **street_names(inputs.dataset, language)} if inputs.dataset is not None else {}
    _editor("sites", inputs, plan, located)
    st.altair_chart(charts.occupancy_chart(plan, located, language))
    left, right = st.columns(2)
    with left:
        st.subheader(i18n.t("observation_assignments", language))
        show_table(
            plan.stage("observation").table("assignments")[["home_id", "site_id", "group", "persons", "minutes"]],
            language,
            names,
        )
    with right:
        st.subheader(i18n.t("unmet_persons", language))
        show_table(plan.stage("observation").table("unmet"), language, names)


def draw_ambulance(plan: Plan, inputs: Inputs, located: pd.DataFrame) -> None:
    """Stations before / after (editable fleet), coverage by district, uncovered homes, handshakes."""
    language = inputs.language
    names = name_map(located)
    _editor("stations", inputs, plan, located)
    st.altair_chart(charts.coverage_chart(plan, located, language))
    hand = plan.stage("ambulance").table("handshakes")
    columns = _present(
        hand, ("home_id", "station_id", "hospital_id", "trip_minutes", "daily_transfers", "covered", "reason")
    )
    st.subheader(i18n.t("uncovered", language))
    show_table(hand.loc[~hand["covered"].astype(bool), columns], language, names)
    st.subheader(i18n.t("handshakes", language))
    show_table(hand[columns], language, names)


def draw_nursing(plan: Plan, inputs: Inputs, located: pd.DataFrame) -> None:
    """Pools (editable nurses) and their use, needs by tier, assignments."""
    language = inputs.language
    names = name_map(located)
    _editor("pools", inputs, plan, located)
    st.altair_chart(charts.nursing_chart(plan, language))
    needs = plan.stage("nursing").table("needs")
    columns = _present(needs, ("destination_id", "district_id", "need", "required", "assigned", "unmet", "reason"))
    st.subheader(i18n.t("nursing_needs", language))
    show_table(needs.sort_values("unmet", ascending=False, kind="stable")[columns], language, names)
    st.subheader(i18n.t("nursing_assignments", language))
    assignments = (
        plan.stage("nursing")
        .table("assignments")
        .merge(needs[["need_id", "destination_id", "need"]], on="need_id", how="left")
    )
    show_table(assignments[["pool_id", "destination_id", "need", "nurses", "minutes"]], language, names)


def draw_drugs(plan: Plan, inputs: Inputs, located: pd.DataFrame) -> None:
    """Depots (editable stock), fill rates by drug and kind, shortfalls by institution, shipments."""
    language = inputs.language
    names = name_map(located)
    _editor("depots", inputs, plan, located)
    st.altair_chart(charts.fill_rate_chart(plan, language))
    targets = plan.stage("drugs").table("targets")
    columns = _present(
        targets,
        ("institution_id", "kind", "drug", "target", "on_hand", "allocated", "shortfall", "fill_rate", "reason"),
    )
    st.subheader(i18n.t("drug_targets", language))
    short = targets[targets["shortfall"] > 0].sort_values("shortfall", ascending=False, kind="stable")
    show_table(short[columns], language, names)
    st.subheader(i18n.t("drug_allocations", language))
    show_table(plan.stage("drugs").table("allocations"), language, names)
