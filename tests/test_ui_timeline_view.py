"""The Day by day view: its data worked out by hand on a made-up timeline, then the view in AppTest.

The hand-made timeline (tiny dataset, 5 days): observation places in D1 short from day 3 (6 needed, 4 placed),
H001's antipyretic stock (D1) short from day 3, C2's (D2) never, backfill nurses in D2 short on day 2 only.
The view is driven in AppTest on a solved tiny plan with that timeline put in (``dataclasses.replace``), in
English and Chinese, and on a snapshot plan; and once in the whole app, where the default plan is a snapshot.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from ui_fixtures import tiny_plan

from planner.report.plan import RUN_OUT_COLUMNS, TIMELINE_COLUMNS, Plan
from planner.report.timeline import run_out_of
from planner.rules.scenario import make_scenario
from planner.ui import timeline_data as td
from planner.ui import timeline_view as tv
from planner.ui import views

TESTS = Path(__file__).resolve().parent
APP = str(TESTS.parent / "app.py")
DAYS = 5
DISTRICT_OF = {"H001": "D1", "H002": "D1", "H003": "D2", "C1": "D1", "C2": "D2", "ST1": "D1", "ST2": "D2"}
NAMES = {"D1": "Dongcheng", "D2": "Xicheng", "H001": "Sunshine Home", "C2": "Xinjiekou CHC", "all": "City"}


def _rows(resource: str, scope: str, scope_id: str, needed: list[float], planned: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "day": range(DAYS),
            "resource": resource,
            "scope": scope,
            "scope_id": scope_id,
            "needed": [float(n) for n in needed],
            "planned": [float(p) for p in planned],
        }
    )


def hand_timeline() -> pd.DataFrame:
    """The module docstring's timeline, with ``short = max(needed - planned, 0)``."""
    frame = pd.concat(
        [
            _rows("observation_places", "site", "ST1", [0, 2, 4, 4, 4], [4] * DAYS),
            _rows("observation_places", "district", "D1", [0, 2, 4, 6, 4], [0, 2, 4, 4, 4]),
            _rows("observation_places", "city", "all", [0, 2, 4, 6, 4], [0, 2, 4, 4, 4]),
            _rows("stock:antipyretic", "institution", "H001", [1, 2, 3, 4, 5], [3] * DAYS),
            _rows("stock:antipyretic", "institution", "C2", [0, 1, 2, 3, 4], [10] * DAYS),
            _rows("nurses_backfill", "district", "D2", [1] * DAYS, [1, 1, 0, 1, 1]),
        ],
        ignore_index=True,
    )
    frame["short"] = (frame["needed"] - frame["planned"]).clip(lower=0.0)
    return frame.loc[:, list(TIMELINE_COLUMNS)]


def test_the_headline_says_on_which_day_what_runs_short_and_where() -> None:
    timeline = hand_timeline()
    table = td.headline(timeline, run_out_of(timeline), DISTRICT_OF)
    rows = [
        (r.resource, r.scope, r.scope_id, None if pd.isna(r.first_short_day) else int(r.first_short_day), r.where)
        for r in table.itertuples()
    ]
    assert rows == [
        ("nurses_backfill", "city", "all", 2, "D2"),
        ("nurses_backfill", "district", "D2", 2, "D2"),
        ("observation_places", "city", "all", 3, "D1"),
        ("stock:antipyretic", "city", "all", 3, "H001"),
        ("observation_places", "district", "D1", 3, "D1"),
        ("stock:antipyretic", "district", "D1", 3, "H001"),
        ("stock:antipyretic", "district", "D2", None, ""),
    ]
    by = table.set_index(["resource", "scope", "scope_id"])
    assert by.loc[("observation_places", "district", "D1"), ["peak_day", "peak_needed"]].tolist() == [3, 6.0]
    stock = by.loc[("stock:antipyretic", "city", "all")]
    assert (stock["peak_day"], stock["peak_needed"]) == (1, 2.0), "stock peaks on the day of the largest use"
    assert (stock["short_places"], stock["largest_short"]) == (1, 2.0)


def test_places_roll_up_to_districts_and_the_city_with_their_own_shortfalls() -> None:
    rolled = td.rollup(hand_timeline(), DISTRICT_OF).set_index(["resource", "scope", "scope_id", "day"]).sort_index()
    city = rolled.loc[("stock:antipyretic", "city", "all")]
    assert city["needed"].tolist() == [1, 3, 5, 7, 9] and city["planned"].tolist() == [13] * DAYS
    assert city["short"].tolist() == [0, 0, 0, 1, 2], "C2's stock does not cover H001"
    assert rolled.loc[("observation_places", "district", "D1"), "needed"].tolist() == [0, 2, 4, 6, 4]
    assert ("observation_places", "district", "D2") not in rolled.index.droplevel("day")
    both = td.with_rollup(hand_timeline(), DISTRICT_OF)
    assert td.scopes(both, "stock:antipyretic") == [
        ("city", "all"),
        ("district", "D1"),
        ("district", "D2"),
        ("institution", "C2"),
        ("institution", "H001"),
    ]
    assert td.resources(both) == ["nurses_backfill", "observation_places", "stock:antipyretic"]


def test_a_series_and_its_run_out_day() -> None:
    rows, first = td.series(hand_timeline(), "observation_places", "district", "D1")
    assert first == 3 and rows["short"].tolist() == [0, 0, 0, 2, 0]
    assert td.series(hand_timeline(), "stock:antipyretic", "institution", "C2")[1] is None


def test_the_run_out_table_says_how_short_then_and_at_worst() -> None:
    timeline = hand_timeline()
    table = td.run_out_table(run_out_of(timeline), timeline, DISTRICT_OF)
    assert table.to_dict("records") == [
        {
            "resource": "nurses_backfill",
            "scope": "district",
            "scope_id": "D2",
            "district_id": "D2",
            "first_short_day": 2,
            "short_first_day": 1.0,
            "largest_short": 1.0,
            "largest_short_day": 2,
        },
        {
            "resource": "observation_places",
            "scope": "city",
            "scope_id": "all",
            "district_id": "",
            "first_short_day": 3,
            "short_first_day": 2.0,
            "largest_short": 2.0,
            "largest_short_day": 3,
        },
        {
            "resource": "observation_places",
            "scope": "district",
            "scope_id": "D1",
            "district_id": "D1",
            "first_short_day": 3,
            "short_first_day": 2.0,
            "largest_short": 2.0,
            "largest_short_day": 3,
        },
        {
            "resource": "stock:antipyretic",
            "scope": "institution",
            "scope_id": "H001",
            "district_id": "D1",
            "first_short_day": 3,
            "short_first_day": 1.0,
            "largest_short": 2.0,
            "largest_short_day": 4,
        },
    ]
    assert td.run_out_table(pd.DataFrame(columns=list(RUN_OUT_COLUMNS)), timeline, DISTRICT_OF).empty


def test_one_district_keeps_its_own_rows_only() -> None:
    timeline = hand_timeline()
    d2 = td.in_district(timeline, DISTRICT_OF, "D2")
    assert set(zip(d2["resource"], d2["scope_id"], strict=True)) == {
        ("stock:antipyretic", "C2"),
        ("nurses_backfill", "D2"),
    }
    assert len(td.in_district(timeline, DISTRICT_OF, None)) == len(timeline)


def test_occupancy_sums_a_districts_sites_per_day() -> None:
    occupancy = pd.DataFrame(
        {"site_id": ["ST1", "ST1", "ST2", "X"], "day": [0, 1, 0, 0], "persons": [3, 4, 1, 2], "capacity": [4, 4, 6, 0]}
    )
    by_district = td.occupancy_by_district(occupancy, DISTRICT_OF)
    assert by_district.to_dict("list") == {
        "district_id": ["", "D1", "D1", "D2"],
        "day": [0, 0, 1, 0],
        "persons": [2, 3, 4, 1],
        "capacity": [0, 4, 4, 6],
    }
    assert td.site_use(occupancy)["share"].tolist() == [0.75, 1.0, 1 / 6, 0.0]


def test_labels_and_tables_in_both_languages() -> None:
    timeline = hand_timeline()
    table = td.headline(timeline, run_out_of(timeline), DISTRICT_OF)
    assert tv.first_out_sentence(table, "en", NAMES) == ("First to run short: Backfill nurses — Xicheng, on day 2.")
    assert tv.first_out_sentence(table, "zh", NAMES) == "最先出现缺口：顶岗护理人员——Xicheng，第 2 天。"
    assert tv.first_out_sentence(table.iloc[-1:], "en", NAMES) is None
    assert tv.resource_label("stock:antigen_kit", "zh") == "库存：抗原检测试剂"
    assert tv.resource_label("stock:tcm", "en") == "Stock: TCM"
    assert tv.measure_labels("stock:tcm", "institution", "en") == ("Used so far", "Stock available")
    shown = tv.headline_frame(table, "zh", NAMES)
    assert list(shown.columns)[:3] == ["资源", "范围", "首个短缺日"]
    assert shown.iloc[0].tolist()[:4] == ["顶岗护理人员", "全市", 2, "Xicheng"]
    run_out = tv.run_out_frame(td.run_out_table(run_out_of(timeline), timeline, DISTRICT_OF), "en", NAMES)
    assert run_out.iloc[-1].tolist()[:5] == [
        "Stock: antipyretic",
        "institution",
        "Sunshine Home (H001)",
        "Dongcheng (D1)",
        3,
    ]
    assert run_out.to_csv(index=False).startswith("Resource,Scope,Where,District,First short day")


def test_the_series_chart_marks_the_run_out_day() -> None:
    rows, first = td.series(hand_timeline(), "observation_places", "district", "D1")
    spec = tv.series_chart(rows, first, "observation_places", "district", "en").to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]]
    assert marks == ["bar", "line", "line", "rule", "text"], "short as bars, needed and planned as lines, the rule"
    no_rule = tv.series_chart(
        *td.series(hand_timeline(), "stock:antipyretic", "institution", "C2"), "stock:x", "institution", "en"
    )
    assert len(no_rule.to_dict()["layer"]) == 3, "never short: no rule"


# --- the view in AppTest -------------------------------------------------------------------------------


def daily_plan() -> Plan:
    """The solved tiny plan as a daily one, with the hand-made timeline and its run-out days."""
    plan = tiny_plan()
    timeline = hand_timeline()
    scenario = make_scenario(level="severe", plan="daily", horizon_days=DAYS)
    observation = plan.stage("observation")
    occupancy = pd.DataFrame(
        {"site_id": "ST1", "day": range(DAYS), "persons": [0, 2, 4, 4, 4], "persons_disabled": 0, "capacity": 4}
    )
    plan = plan.with_result(
        "observation", dataclasses.replace(observation, tables={**observation.tables, "occupancy": occupancy})
    )
    return dataclasses.replace(plan, scenario=scenario, timeline=timeline, run_out=run_out_of(timeline))


SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from test_ui_timeline_view import daily_plan
from ui_fixtures import tiny_places, tiny_plan
from planner.ui.timeline_view import render_timeline

plan = daily_plan() if {daily!r} else tiny_plan()
render_timeline(plan, {language!r}, tiny_places({language!r}), {district!r})
"""


def _view(tmp_path: Path, language: str, daily: bool = True, district: str | None = None) -> AppTest:
    script = tmp_path / f"timeline_{language}_{daily}_{district}.py"
    script.write_text(
        SCRIPT.format(tests=str(TESTS), daily=daily, language=language, district=district), encoding="utf-8"
    )
    app = AppTest.from_file(str(script), default_timeout=120)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def _spec(app: AppTest, index: int = 0) -> Any:
    charts = app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")
    return json.loads(charts[index].proto.spec)


def _datasets(app: AppTest, index: int = 0) -> list[pd.DataFrame]:
    """The chart's data sets (Arrow streams in the proto)."""
    charts = app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")
    return [pa.ipc.open_stream(d.data.data).read_pandas() for d in charts[index].proto.datasets]


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_view_renders_the_headline_chart_occupancy_and_run_out(tmp_path: Path, language: str) -> None:
    app = _view(tmp_path, language)
    headings = [h.value for h in app.subheader]
    assert headings == [tv.text(key, language) for key in ("headline", "chart", "occupancy", "run_out_table")]
    assert app.warning[0].value.startswith(tv.text("first_out", language).split("{")[0])
    assert "2" in app.warning[0].value
    headline = app.dataframe[0].value
    assert len(headline) == 7 and headline.iloc[0, 2] == 2
    assert len(app.dataframe[1].value) == 4, "the run-out table: one row per place and resource"
    assert len(app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")) == 3
    assert app.get("download_button")


def test_choosing_a_resource_and_scope_redraws_its_chart_with_the_rule(tmp_path: Path) -> None:
    app = _view(tmp_path, "en")
    resource = app.selectbox(key="timeline_resource__en")
    assert resource.value == "nurses_backfill", "at first: what runs short first"
    assert app.selectbox(key="timeline_scope__en").value == "city|all"
    resource.set_value("observation_places").run()
    where = app.selectbox(key="timeline_scope__en")
    assert where.value == "city|all"
    where.set_value("district|D1").run()
    assert not app.exception
    layers = _spec(app)["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["bar", "line", "line", "rule", "text"]
    marked = [d.to_dict("records") for d in _datasets(app) if "amount" not in d.columns]
    assert marked == [[{"day": 3, "label": "short from day 3"}]]


def test_a_district_shows_its_part(tmp_path: Path) -> None:
    app = _view(tmp_path, "en", district="D2")
    headline = app.dataframe[0].value
    assert set(headline["Where"]) == {"Xicheng (D2)"}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_snapshot_plan_says_the_view_needs_the_daily_plan(tmp_path: Path, language: str) -> None:
    app = _view(tmp_path, language, daily=False)
    assert [i.value for i in app.info] == [tv.text("needs_daily", language)]
    assert not app.dataframe


def test_the_app_has_the_tab_in_both_languages() -> None:
    from planner.ui import state

    app = AppTest.from_file(APP, default_timeout=180)
    app.run()
    app.session_state[views.VIEW] = "timeline"
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert "Day by day" in [tab.label for tab in app.tabs]
    assert tv.text("needs_daily", "en") not in [i.value for i in app.info]  # the app plans day by day by default
    assert app.dataframe
    app.segmented_control(key=state.LANGUAGE).set_value("zh").run()
    assert not app.exception, [e.value for e in app.exception]
    assert "逐日计划" in [tab.label for tab in app.tabs]
    assert tv.text("needs_daily", "zh") not in [i.value for i in app.info]
