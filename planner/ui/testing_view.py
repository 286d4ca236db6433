"""The Testing view: the full round's days, sampling points on a map, capacity against need by district and by
street (one district's streets at a time), and the sampling teams sent to care homes."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from planner.report.plan import Plan
from planner.ui import i18n, state
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
    "by_street": ("Samples a day against the round's need, by street", "各街道日采样能力与全员检测需求"),
    "district": ("District", "区"),
    "streets_short": (
        "{short} of {total} streets cannot sample their residents within {days:g} days ({extra:,} samples a day short)",
        "{total}个街道中有{short}个无法在{days:g}天内完成采样（每日缺口{extra:,}人次）",
    ),
    "streets_ok": ("Every street can sample its residents within {days:g} days", "各街道均可在{days:g}天内完成采样"),
    "teams": ("Sampling teams to care homes", "上门采样队伍派驻养老机构"),
    "teams_ok": (
        "Every care home's {tests:,} NAT samples a day are taken on site by sampling teams",
        "养老机构每日{tests:,}份核酸样本均有采样队伍上门采集",
    ),
    "teams_short": (
        "{unsampled:,} of {tests:,} care-home NAT samples a day have no sampling team: {extra} more teams needed",
        "养老机构每日{tests:,}份核酸样本中{unsampled:,}份无上门采样队伍：需增加{extra}支队伍",
    ),
    "teams_by_district": ("Sampling teams by district", "各区上门采样队伍"),
    "teams_assigned": ("Which team samples which home", "上门采样派驻明细"),
    "teams_available_label": ("Teams available", "现有队伍"),
    "teams_needed_label": ("Teams needed", "所需队伍"),
    "no_homes": ("No care home is sampled on site under these rules", "按当前规则无需上门采样的养老机构"),
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


def street_data(streets: pd.DataFrame, district: str, names: dict[str, str], language: str) -> pd.DataFrame:
    """Long table for the street chart of ``district``: one row per street and measure (capacity, need) a day."""
    chosen = streets[streets["district_id"].astype(str) == str(district)]
    frame = chosen.assign(street=chosen["street_id"].astype(str).map(names).fillna(chosen["street_id"].astype(str)))
    long = frame.melt(
        id_vars=["street"], value_vars=["tests_per_day", "need_per_day"], var_name="measure", value_name="count"
    )
    labels = {"tests_per_day": text("capacity_label", language), "need_per_day": text("need_label", language)}
    long["measure"] = long["measure"].map(labels)
    return long


def team_data(districts: pd.DataFrame, names: dict[str, str], language: str) -> pd.DataFrame:
    """Long table for the teams chart: one row per district and measure (teams available, needed)."""
    frame = districts.assign(district=districts["district_id"].astype(str).map(names).fillna(districts["district_id"]))
    long = frame.melt(
        id_vars=["district"], value_vars=["teams_available", "teams_needed"], var_name="measure", value_name="count"
    )
    labels = {
        "teams_available": text("teams_available_label", language),
        "teams_needed": text("teams_needed_label", language),
    }
    long["measure"] = long["measure"].map(labels)
    return long


def districts_by_shortfall(streets: pd.DataFrame) -> list[str]:
    """District ids, the one whose streets are shortest of the round's need first (then by id)."""
    short = streets.groupby(streets["district_id"].astype(str))["short_per_day"].sum()
    return sorted(short.index, key=lambda d: (-int(short[d]), d))


def grouped_bars(data: pd.DataFrame, x: str, x_title: str, title: str) -> alt.Chart:
    """Bars side by side per ``x`` and measure."""
    return (
        alt.Chart(data, title=title, height=300)
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:N", title=x_title, sort=None),
            xOffset="measure:N",
            y=alt.Y("count:Q", title=""),
            color=alt.Color("measure:N", title=""),
            tooltip=[f"{x}:N", "measure:N", "count:Q"],
        )
    )


def draw_streets(streets: pd.DataFrame, round_days: float, names: dict[str, str], language: str) -> None:
    """Each street's sampling capacity against its daily need in the round: a summary, one district's chart, table."""
    st.subheader(text("by_street", language))
    if "need_per_day" not in streets.columns or streets.empty:
        return
    short = streets[streets["short_per_day"] > 0]
    if short.empty:
        st.success(text("streets_ok", language, days=round_days))
    else:
        extra = int(short["short_per_day"].sum())
        shown = text("streets_short", language, short=len(short), total=len(streets), days=round_days, extra=extra)
        st.warning(shown)
    options = districts_by_shortfall(streets)
    session = st.session_state
    if session.get("testing_district") not in options:
        session["testing_district"] = options[0]
    district = st.selectbox(
        text("district", language),
        options,
        key=state.bind_widget(session, "testing_district", language),
        format_func=lambda d: f"{names.get(d, d)} ({d})",
        on_change=state.copy_from_widget,
        args=(session, "testing_district", language),
    )
    data = street_data(streets, str(district), names, language)
    st.altair_chart(grouped_bars(data, "street", i18n.column_label("street", language), text("by_street", language)))
    columns = ["street_id", "points", "tests_per_day", "need_per_day", "short_per_day", "population"]
    chosen = streets[streets["district_id"].astype(str) == str(district)]
    show_table(chosen.sort_values("short_per_day", ascending=False, kind="stable")[columns], language, names)


def draw_teams(tables: dict[str, pd.DataFrame], names: dict[str, str], language: str) -> None:
    """Sampling teams to care homes: the shortfall in a sentence, teams by district (chart, table), the assignments."""
    st.subheader(text("teams", language))
    homes = tables.get("team_homes")
    districts = tables.get("team_districts")
    if homes is None or districts is None or homes.empty:
        st.info(text("no_homes", language))
        return
    tests, unsampled = int(homes["tests_per_day"].sum()), int(homes["unsampled"].sum())
    if unsampled:
        extra = int(districts["extra_teams"].sum())
        st.warning(text("teams_short", language, unsampled=unsampled, tests=tests, extra=extra))
    else:
        st.success(text("teams_ok", language, tests=tests))
    title = text("teams_by_district", language)
    x_title = i18n.column_label("district", language)
    chart = grouped_bars(team_data(districts, names, language), "district", x_title, title)
    st.altair_chart(chart)
    show_table(districts, language, names)
    st.markdown(f"**{text('teams_assigned', language)}**")
    show_table(tables["teams"], language, names)


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
        data = capacity_data(districts, names, language)
        chart = grouped_bars(data, "district", i18n.column_label("district", language), text("capacity", language))
        st.altair_chart(chart)
    streets = result.table("streets")
    if not round_rows.empty:
        round_days = float(round_rows["days_required"].iloc[0])
    else:  # a district's part of the plan has no round row (the round is the city's)
        round_days = float(inputs.rules.full_round_days) if inputs.rules is not None else 2.0
    draw_streets(streets, round_days, names, language)
    draw_teams(dict(result.tables), names, language)
    st.subheader(text("streets", language))
    shown = streets.sort_values(["met", "points"], kind="stable")
    columns = ["street_id", "points", "required_min", "required_max", "met", "reason", "population", "tests_per_day"]
    show_table(shown[[c for c in columns if c in shown.columns]], language, names)
    st.subheader(text("labs", language))
    show_table(result.table("labs"), language, names)
