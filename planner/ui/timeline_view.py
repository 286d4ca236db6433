"""The Day by day view: on which day we run out of what, and where (the daily plan's timeline, DESIGN §5).

Four parts, each drawn from ``planner.ui.timeline_data`` (pure, tested on its own):

1. the headline: per resource, for the city and each district, the first day anything runs short and where, and
   the peak day; sorted by the first short day;
2. needed against planned by day for a chosen resource and scope, the run-out day marked by a rule;
3. observation: persons present against capacity by day per district (its open sites summed) and per site;
4. every place's first short day, with names, downloadable as CSV.

A snapshot plan has no days: the view says so and where to choose the daily plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from planner.dataset.names import Namer
from planner.report.labels import Pair, named, pick
from planner.report.plan import Plan
from planner.ui import i18n, state
from planner.ui import timeline_data as td
from planner.ui.places import name_map
from planner.ui.sidebar import Inputs

TEXTS: dict[str, Pair] = {
    "needs_daily": (
        "The day-by-day view needs the daily plan; this plan is a snapshot (every need of the horizon at once). "
        "Choose the daily plan under the sidebar's plan kind (Scenario) to see on which day what runs short.",
        "逐日视图需要逐日方案；当前为快照方案（规划周期内的全部需求同时计算）。"
        "请在侧边栏“情景参数”的方案类型中选择逐日方案，即可查看哪一天缺什么。",
    ),
    "empty": ("The daily plan has no day-by-day rows to show.", "逐日方案暂无可显示的逐日数据。"),
    "headline": ("On which day do we run out of what, where?", "哪一天、在哪里、缺什么？"),
    "days_caption": (
        "Day 0 is the first day of the {days}-day horizon. A district's figures sum its places; its shortfall "
        "counts each place's own (stock at one place does not cover another).",
        "第 0 天为 {days} 天规划周期的第一天。区的数字为其下各点位之和；"
        "缺口按各点位分别计算（一处的库存不能弥补另一处）。",
    ),
    "first_out": (
        "First to run short: {resource} — {where}, on day {day}.",
        "最先出现缺口：{resource}——{where}，第 {day} 天。",
    ),
    "never_short": ("No resource runs short on any day.", "所有资源在每一天均无缺口。"),
    "chart": ("Needed against planned by day", "逐日需求与计划"),
    "resource": ("Resource", "资源"),
    "where": ("Where", "范围"),
    "run_out_rule": ("short from day {day}", "第 {day} 天起短缺"),
    "occupancy": ("Observation: persons present against capacity by day", "集中健康观察：逐日在住人数与容量"),
    "occupancy_district": ("Per district (open sites summed)", "各区（开放观察点合计）"),
    "occupancy_site": ("Per site: share of capacity used", "各观察点：容量使用率"),
    "no_sites": ("No site is open on any day.", "规划周期内无开放的观察点。"),
    "run_out_table": ("Where and when each runs short", "各点位的短缺时间"),
    "download_run_out": ("Run-out days (.csv)", "短缺日期（.csv）"),
    "needed": ("Needed", "需求"),
    "planned": ("Planned", "计划"),
    "short": ("Short", "缺口"),
    "used": ("Used so far", "累计用量"),
    "stock": ("Stock available", "可用库存"),
    "present": ("Persons present", "在住人数"),
    "capacity": ("Capacity", "容量"),
    "day": ("Day", "天"),
    "share": ("Share used", "使用率"),
    "city": ("City", "全市"),
    # table headers
    "first_short_day": ("First short day", "首个短缺日"),
    "short_places": ("Places short", "短缺点位数"),
    "where_first": ("Short first at", "最先短缺处"),
    "peak_day": ("Peak day", "高峰日"),
    "peak_needed": ("Need on the peak day", "高峰日需求"),
    "largest_short": ("Largest shortfall", "最大缺口"),
    "largest_short_day": ("Day of the largest", "最大缺口日"),
    "short_first_day": ("Short on the first day", "首日缺口"),
    "scope": ("Scope", "范围类型"),
    "district": ("District", "区"),
}

RESOURCES: dict[str, Pair] = {
    "observation_places": ("Observation places", "集中观察安置"),
    "observation_places_disabled": ("Observation places, disabled/dementia", "集中观察安置（失能失智）"),
    "nurses_1to1": ("1:1 nurses", "1:1 陪护护理人员"),
    "nurses_backfill": ("Backfill nurses", "顶岗护理人员"),
    "nurses_self_care": ("Self-care nurses", "自理老人照护人员"),
    "nurses": ("Pool nurses on duty", "护理队伍在岗人员"),
    "ambulance_transfers": ("120 transfers", "120 转运"),
}
SCOPES: dict[str, Pair] = {
    "city": ("city", "全市"),
    "district": ("district", "区"),
    "site": ("observation site", "集中健康观察点"),
    "pool": ("reserve pool", "护理应急支援队伍"),
    "depot": ("depot", "储备库"),
    "institution": ("institution", "机构"),
}
RESOURCE_KEY = "timeline_resource"
SCOPE_KEY = "timeline_scope"
"""Session keys of the chart's choices (codes, the same in every language; widgets are bound per language)."""
COLOURS = {"needed": "#dc1e1e", "planned": "#1e9e5a", "short": "#f4a3a3"}
SITE_ROW_PX = 14
SITE_LABEL_PX = 320


def text(key: str, language: str, **fields: object) -> str:
    """The view's label ``key`` in ``language`` with ``fields`` filled in."""
    shown = pick(TEXTS[key], language)
    return shown.format(**fields) if fields else shown


def resource_label(resource: str, language: str) -> str:
    """``observation_places`` -> ``Observation places``; ``stock:tcm`` -> ``Stock: TCM`` (``库存：中药``)."""
    if td.is_stock(resource):
        drug = i18n.value("drug", resource.removeprefix(td.STOCK_PREFIX), language)
        return f"库存：{drug}" if language == "zh" else f"Stock: {drug}"
    return pick(RESOURCES[resource], language) if resource in RESOURCES else resource


def scope_label(scope: str, language: str) -> str:
    """A scope code in ``language`` (unknown codes as written)."""
    return pick(SCOPES[scope], language) if scope in SCOPES else scope


def place_label(scope: str, scope_id: str, language: str, names: Mapping[str, str]) -> str:
    """Where a row is: ``City``, ``Dongcheng (D1)``, ``Andingmen CHC (C1)``."""
    if scope == "city":
        return text("city", language)
    return named(scope_id, names, language)


def _places(table: pd.DataFrame, language: str, names: Mapping[str, str]) -> list[str]:
    """:func:`place_label` of every row of ``table`` (``scope, scope_id``)."""
    pairs = zip(table["scope"].astype(str), table["scope_id"].astype(str), strict=True)
    return [place_label(scope, scope_id, language, names) for scope, scope_id in pairs]


def measure_labels(resource: str, scope: str, language: str) -> tuple[str, str]:
    """What ``needed`` and ``planned`` mean for ``resource`` at ``scope``, in ``language``."""
    if td.is_stock(resource):
        return text("used", language), text("stock", language)
    if scope == "site":
        return text("present", language), text("capacity", language)
    return text("needed", language), text("planned", language)


def headline_frame(table: pd.DataFrame, language: str, names: Mapping[str, str]) -> pd.DataFrame:
    """The headline (``timeline_data.headline``) ready to show: labels, names, whole numbers."""
    namer = Namer(names, names)
    return pd.DataFrame(
        {
            text("resource", language): table["resource"].map(lambda r: resource_label(str(r), language)),
            text("where", language): _places(table, language, names),
            text("first_short_day", language): table["first_short_day"],
            text("where_first", language): table["where"].map(lambda ids: namer.joined(str(ids), language)),
            text("short_places", language): table["short_places"].astype(int),
            text("peak_day", language): table["peak_day"].astype(int),
            text("peak_needed", language): table["peak_needed"].astype(float).round(1),
            text("largest_short", language): table["largest_short"].astype(float).round(1),
        }
    )


def run_out_frame(table: pd.DataFrame, language: str, names: Mapping[str, str]) -> pd.DataFrame:
    """The run-out table (``timeline_data.run_out_table``) ready to show and download."""
    return pd.DataFrame(
        {
            text("resource", language): table["resource"].map(lambda r: resource_label(str(r), language)),
            text("scope", language): table["scope"].map(lambda s: scope_label(str(s), language)),
            text("where", language): _places(table, language, names),
            text("district", language): table["district_id"].map(lambda d: named(d, names, language) if d else ""),
            text("first_short_day", language): table["first_short_day"].astype(int),
            text("short_first_day", language): table["short_first_day"].astype(float).round(1),
            text("largest_short", language): table["largest_short"].astype(float).round(1),
            text("largest_short_day", language): table["largest_short_day"].astype(int),
        }
    )


def first_out_sentence(table: pd.DataFrame, language: str, names: Mapping[str, str]) -> str | None:
    """The headline's first line as a sentence, or None when nothing runs short."""
    short = table[table["first_short_day"].notna()]
    if short.empty:
        return None
    row = short.iloc[0]
    where = Namer(names, names).joined(str(row["where"]), language) or place_label(
        str(row["scope"]), str(row["scope_id"]), language, names
    )
    return text(
        "first_out",
        language,
        resource=resource_label(str(row["resource"]), language),
        where=where,
        day=int(row["first_short_day"]),
    )


def series_chart(
    rows: pd.DataFrame, first_short: int | None, resource: str, scope: str, language: str
) -> alt.LayerChart | alt.FacetChart:
    """Needed (solid) and planned (dashed) by day, the shortfall as bars, the first short day as a rule."""
    needed, planned = measure_labels(resource, scope, language)
    short = text("short", language)
    long = rows.melt(id_vars="day", value_vars=["short", "planned", "needed"], var_name="measure", value_name="amount")
    long["label"] = long["measure"].map({"needed": needed, "planned": planned, "short": short})
    day = text("day", language)
    base = alt.Chart(long).encode(
        x=alt.X(
            "day:Q",
            title=day,
            axis=alt.Axis(tickMinStep=1),
            scale=alt.Scale(domain=[int(rows["day"].min()), int(rows["day"].max())], nice=False)
            if not rows.empty
            else alt.Undefined,
        ),
        y=alt.Y("amount:Q", title=resource_label(resource, language)),
        color=alt.Color(
            "label:N",
            title="",
            scale=alt.Scale(
                domain=[needed, planned, short], range=[COLOURS["needed"], COLOURS["planned"], COLOURS["short"]]
            ),
        ),
        tooltip=[
            alt.Tooltip("day:Q", title=day),
            alt.Tooltip("label:N", title=""),
            alt.Tooltip("amount:Q", title="", format=",.1f"),
        ],
    )
    layers: list[alt.Chart] = [
        base.transform_filter(alt.datum.measure == "short").mark_bar(opacity=0.6, size=14, clip=True),
        base.transform_filter(alt.datum.measure == "planned").mark_line(point=True, strokeDash=[6, 3]),
        base.transform_filter(alt.datum.measure == "needed").mark_line(point=True),
    ]
    if first_short is not None:
        marker = pd.DataFrame({"day": [first_short], "label": [text("run_out_rule", language, day=first_short)]})
        layers.append(alt.Chart(marker).mark_rule(color=COLOURS["needed"], strokeDash=[6, 4]).encode(x="day:Q"))
        layers.append(
            alt.Chart(marker)
            .mark_text(align="left", dx=4, dy=-6, color=COLOURS["needed"])
            .encode(x="day:Q", y=alt.value(8), text="label:N")
        )
    return alt.layer(*layers).properties(height=320)


def district_occupancy_chart(data: pd.DataFrame, names: Mapping[str, str], language: str) -> alt.FacetChart:
    """Persons present (line) against capacity (dashed) by day, one small chart per district."""
    frame = data.assign(district=data["district_id"].map(lambda d: names.get(str(d), str(d))))
    present, capacity = text("present", language), text("capacity", language)
    long = frame.melt(
        id_vars=["district", "day"], value_vars=["persons", "capacity"], var_name="measure", value_name="count"
    )
    long["label"] = long["measure"].map({"persons": present, "capacity": capacity})
    return (
        alt.Chart(long)
        .mark_line()
        .encode(
            x=alt.X("day:Q", title=text("day", language)),
            y=alt.Y("count:Q", title=""),
            color=alt.Color(
                "label:N", title="", scale=alt.Scale(domain=[present, capacity], range=["#f08c14", "#555555"])
            ),
            strokeDash=alt.StrokeDash(
                "label:N", title="", scale=alt.Scale(domain=[present, capacity], range=[[1, 0], [4, 3]])
            ),
            tooltip=["district:N", "label:N", "day:Q", "count:Q"],
        )
        .properties(width=200, height=110)
        .facet(facet=alt.Facet("district:N", title=""), columns=4)
        .resolve_scale(y="independent")
    )


def site_heatmap(
    data: pd.DataFrame, names: Mapping[str, str], site_district: Mapping[str, str], language: str
) -> alt.Chart:
    """Share of capacity used per site (rows, by district) and day (columns)."""
    frame = data.assign(
        site=data["site_id"].map(lambda s: named(s, names, language)),
        district=data["site_id"].map(lambda s: names.get(site_district.get(str(s), ""), site_district.get(str(s), ""))),
    )
    order = frame.sort_values(["district", "site"])["site"].drop_duplicates().tolist()
    day, share = text("day", language), text("share", language)
    return (
        alt.Chart(frame, title=text("occupancy_site", language))
        .mark_rect()
        .encode(
            x=alt.X("day:O", title=day, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("site:N", title="", sort=order, axis=alt.Axis(labelLimit=SITE_LABEL_PX)),
            color=alt.Color("share:Q", title=share, scale=alt.Scale(domain=[0, 1], scheme="orangered")),
            tooltip=[
                alt.Tooltip("site:N", title=text("where", language)),
                alt.Tooltip("district:N", title=text("district", language)),
                alt.Tooltip("day:O", title=day),
                alt.Tooltip("persons:Q", title=text("present", language)),
                alt.Tooltip("capacity:Q", title=text("capacity", language)),
                alt.Tooltip("share:Q", title=share, format=".0%"),
            ],
        )
        .properties(height=alt.Step(SITE_ROW_PX))
    )


def _choose(
    options: list[str], name: str, label: str, language: str, format_func: Callable[[Any], str], default: str = ""
) -> str:
    """A select box bound to session value ``name`` (kept across languages); ``default`` (or the first option)
    until the reader picks one."""
    session = st.session_state
    if session.get(name) not in options:
        session[name] = default if default in options else options[0]
    key = state.bind_widget(session, name, language)
    chosen = st.selectbox(
        label,
        options,
        key=key,
        format_func=format_func,
        on_change=state.copy_from_widget,
        args=(session, name, language),
    )
    return str(chosen)


def draw_series(
    frame: pd.DataFrame, language: str, names: Mapping[str, str], start: tuple[str, str, str] = ("", "", "")
) -> None:
    """Select boxes for resource and scope (at first ``start``: resource, scope, scope_id), then its chart."""
    st.subheader(text("chart", language))
    left, right = st.columns(2)
    with left:
        resource = _choose(
            td.resources(frame),
            RESOURCE_KEY,
            text("resource", language),
            language,
            lambda r: resource_label(str(r), language),
            start[0],
        )
    pairs = td.scopes(frame, resource)
    codes = [f"{scope}|{scope_id}" for scope, scope_id in pairs]

    def where(code: object) -> str:
        scope, _, scope_id = str(code).partition("|")
        place = place_label(scope, scope_id, language, names)
        return place if scope == "city" else f"{place} · {scope_label(scope, language)}"

    with right:
        chosen = _choose(codes, SCOPE_KEY, text("where", language), language, where, "|".join(start[1:]))
        scope, _, scope_id = chosen.partition("|")
    rows, first_short = td.series(frame, resource, scope, scope_id)
    st.altair_chart(series_chart(rows, first_short, resource, scope, language))


def draw_occupancy(
    plan: Plan, language: str, names: Mapping[str, str], site_district: Mapping[str, str], district: str | None = None
) -> None:
    """Persons present against capacity per district and per site, by day (``district``: its sites only)."""
    st.subheader(text("occupancy", language))
    tables = plan.stage("observation").tables
    occupancy = tables["occupancy"] if "occupancy" in tables else pd.DataFrame()
    if district and not occupancy.empty:
        occupancy = occupancy[occupancy["site_id"].astype(str).map(site_district) == district]
    if occupancy.empty:
        st.caption(text("no_sites", language))
        return
    st.caption(text("occupancy_district", language))
    st.altair_chart(district_occupancy_chart(td.occupancy_by_district(occupancy, site_district), names, language))
    st.altair_chart(site_heatmap(td.site_use(occupancy), names, site_district, language))


def render_timeline(plan: Plan, language: str, located: pd.DataFrame, district: str | None = None) -> None:
    """The view for ``plan`` in ``language``.

    ``located`` is ``planner.ui.places.places`` of the dataset; ``district`` narrows the view to its part.
    """
    if plan.scenario.plan != "daily":
        st.info(text("needs_daily", language))
        return
    district_of = dict(zip(located["id"].astype(str), located["district_id"].astype(str), strict=True))
    timeline = td.in_district(plan.timeline, district_of, district)
    run_out = td.in_district(plan.run_out, district_of, district)
    if timeline.empty:
        st.info(text("empty", language))
        return
    names = {**name_map(located), td.CITY: text("city", language)}
    st.subheader(text("headline", language))
    st.caption(text("days_caption", language, days=plan.scenario.horizon_days))
    table = td.headline(timeline, run_out, district_of)
    frame = td.with_rollup(timeline, district_of)
    if district:  # a district's part: its own rows, not the city's sums of them
        table, frame = table[table["scope"] != "city"], frame[frame["scope"] != "city"]
    sentence = first_out_sentence(table, language, names)
    (st.warning if sentence else st.success)(sentence or text("never_short", language))
    st.dataframe(headline_frame(table, language, names), hide_index=True, key="timeline_headline")
    first = table.iloc[0] if not table.empty else None
    start = ("", "", "") if first is None else (str(first["resource"]), str(first["scope"]), str(first["scope_id"]))
    draw_series(frame, language, names, start)
    draw_occupancy(plan, language, names, district_of, district)
    st.subheader(text("run_out_table", language))
    shown = run_out_frame(td.run_out_table(run_out, timeline, district_of), language, names)
    if shown.empty:
        st.caption(i18n.t("nothing_here", language))
        return
    st.dataframe(shown, hide_index=True, key="timeline_run_out")
    st.download_button(
        text("download_run_out", language),
        shown.to_csv(index=False).encode("utf-8-sig"),
        file_name=f"epiplan-run-out-{language}.csv",
        mime="text/csv",
        key="timeline_run_out_download",
        on_click="ignore",
        icon=":material/download:",
    )


def draw_timeline(plan: Plan, inputs: Inputs, located: pd.DataFrame) -> None:
    """The view as a tab of the app (the district chosen in the sidebar narrows it)."""
    render_timeline(plan, inputs.language, located, inputs.district)
