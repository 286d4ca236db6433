"""The Testing view: the full round's days, sampling points on a map, capacity against need by district and street."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from planner.report.plan import Plan
from planner.ui import i18n
from planner.ui.places import name_map, street_names
from planner.ui.sidebar import Inputs
from planner.ui.stage_tabs import show_table

TEXTS: dict[str, tuple[str, str]] = {
    "round": ("Full round of testing", "全员核酸检测"),
    "days": ("{needed:.1f} days needed, {required:g} allowed", "需{needed:.1f}天，规定{required:g}天"),
    "binding": (
        "Limited by {what} ({where}): {extra:,} more a day",
        "制约资源：{what}（{where}），每日需增加{extra:,}",
    ),
    "met": ("Within the rule's days", "可在规定天数内完成"),
    "map": ("Sampling points", "便民采样点"),
    "capacity": ("Samples a day against the round's need, by district", "各区日采样能力与全员检测需求"),
    "streets": ("Sampling points per street", "各街道采样点"),
    "labs": ("Lab load at the round", "全员检测时实验室负荷"),
    "capacity_label": ("Capacity a day", "日采样能力"),
    "need_label": ("Need a day", "每日需求"),
}


def text(key: str, language: str, **fields: object) -> str:
    """The view's label ``key`` in ``language`` with ``fields`` filled in."""
    english, chinese = TEXTS[key]
    shown = chinese if language == "zh" else english
    return shown.format(**fields) if fields else shown


def capacity_data(districts: pd.DataFrame, names: dict[str, str], language: str) -> pd.DataFrame:
    """Long table for the chart: one row per district and measure (capacity, need) a day."""
    frame = districts.assign(district=districts["district_id"].astype(str).map(names).fillna(districts["district_id"]))
    long = frame.melt(
        id_vars=["district"], value_vars=["tests_per_day", "need_per_day"], var_name="measure", value_name="count"
    )
    labels = {"tests_per_day": text("capacity_label", language), "need_per_day": text("need_label", language)}
    long["measure"] = long["measure"].map(labels)
    return long


def draw_testing(plan: Plan, inputs: Inputs, located: pd.DataFrame) -> None:
    """The round's days and binding resource, the points' map, capacity by district, streets and labs."""
    language = inputs.language
    names = {**name_map(located), **(street_names(inputs.dataset, language) if inputs.dataset is not None else {})}
    result = plan.stage("testing")
    st.subheader(text("round", language))
    round_rows = result.table("round")
    if not round_rows.empty:
        row = round_rows.iloc[0]
        st.metric(
            text("round", language), text("days", language, needed=row["days_needed"], required=row["days_required"])
        )
        if bool(row["met"]):
            st.success(text("met", language))
        else:
            where = str(row["binding_where"])
            where_shown = "—" if where == "city" else names.get(where, where)
            what = i18n.value("reason", str(row["binding"]), language)
            st.warning(text("binding", language, what=what, where=where_shown, extra=int(row["extra_per_day"])))
    points = result.table("points")
    st.subheader(text("map", language))
    if not points.empty:
        st.map(points[["lat", "lon"]], size=20)
    districts = result.table("districts")
    if not districts.empty:
        chart = (
            alt.Chart(capacity_data(districts, names, language), title=text("capacity", language), height=300)
            .mark_bar()
            .encode(
                x=alt.X("district:N", title=i18n.column_label("district", language)),
                xOffset="measure:N",
                y=alt.Y("count:Q", title=""),
                color=alt.Color("measure:N", title=""),
                tooltip=["district:N", "measure:N", "count:Q"],
            )
        )
        st.altair_chart(chart)
    st.subheader(text("streets", language))
    streets = result.table("streets")
    shown = streets.sort_values(["met", "points"], kind="stable")
    columns = ["street_id", "points", "required_min", "required_max", "met", "reason", "population", "tests_per_day"]
    show_table(shown[[c for c in columns if c in shown.columns]], language, names)
    st.subheader(text("labs", language))
    show_table(result.table("labs"), language, names)
