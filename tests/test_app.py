"""The app end to end in Streamlit's AppTest: KPIs of the sample city, a level change, a what-if edit,
a broken upload, the language switch, kept scenarios and every download parsing back.

AppTest drives every widget but the data editors (``set_value`` is not supported for them): an edit
is seeded through the editor's session-state key exactly as the browser sends it
(``{"edited_rows": {row: {column: value}}}``), which is what ``planner.ui.sidebar.current_edits`` reads.
The file uploader is driven directly (``upload``).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import streamlit as st
from conftest import tiny_frames
from streamlit.testing.v1 import AppTest

from planner.dataset.names import names
from planner.outputs.csv_zip import read_csv_zip
from planner.outputs.schema import validate_plan_json
from planner.report.district import district_plan
from planner.report.plan import Plan
from planner.ui import overview, state, views
from planner.ui.cache import LruCache
from planner.ui.data import load_sample
from planner.ui.downloads import download_files
from planner.ui.places import places

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 120


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """``st.cache_data`` outlives an AppTest instance: start each test without it."""
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def _app() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    app.run()
    _no_exception(app)
    return app


def _no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def _metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def _shown_plan(app: AppTest) -> Plan:
    key = app.session_state[overview.SHOWN_PLAN][0]
    cache: LruCache[Plan] = app.session_state["plan_cache"]
    plan = cache.get(key)
    assert plan is not None
    return plan


@pytest.fixture(scope="module")
def default_app() -> AppTest:
    """The app after its first run on the sample city (shared by the read-only tests)."""
    return _app()


def test_default_run_shows_kpis_of_the_sample_city(default_app: AppTest) -> None:
    plan = _shown_plan(default_app)
    assert plan.dataset_name == "sample city" and plan.scenario.level == "prevalent"
    metrics = _metrics(default_app)
    assert len(metrics) == len(overview.CARD_SPECS)
    assert metrics["Persons placed in observation"] == f"{plan.kpis['observation_placed']:,}"
    assert metrics["Care homes not covered"] == f"{plan.kpis['uncovered_homes']:,}"
    assert default_app.title[0].value.startswith("epiplan")
    assert [tab.label for tab in default_app.tabs] == [
        "Overview",
        "Day by day",
        "Observation",
        "Ambulances",
        "Nurses",
        "Drugs",
        "Testing",
        "Map",
        "Compare",
        "Risk",
    ]


def _show(app: AppTest, view: str) -> AppTest:
    """Open ``view`` as a click on its tab does (the tab's label is kept under the view's code)."""
    app.session_state[views.VIEW] = view
    app.run()
    _no_exception(app)
    return app


def _open_view(app: AppTest, language: str = "en") -> str:
    """The view whose tab is selected (the label the tabs widget holds, as its code)."""
    label = app.session_state[state.widget_key(views.VIEW, language)]
    return {v: k for k, v in views.view_labels(language).items()}[label]


def test_views_draw_their_charts_and_map() -> None:
    app = _app()
    assert {editor.key for editor in app.data_editor}.isdisjoint({"whatif_sites_0"}), "only the open view is drawn"
    for view, editor in (
        ("observation", "whatif_sites_0"),
        ("ambulance", "whatif_stations_0"),
        ("nursing", "whatif_pools_0"),
        ("drugs", "whatif_depots_0"),
    ):
        _show(app, view)
        charts = app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")
        assert len(charts) == 1, view
        assert editor in {e.key for e in app.data_editor}
    _show(app, "map")
    deck = json.loads(app.get("deck_gl_json_chart")[0].proto.json)
    assert {layer["id"] for layer in deck["layers"]} >= {"homes", "sites", "district_labels"}
    assert deck["mapStyle"] == "__MAP_STYLE__", "no remote basemap"


def test_keeping_a_scenario_on_the_drugs_view_stays_there() -> None:
    app = _show(_app(), "drugs")
    app.text_input(key=state.SCENARIO_NAME).input("stock as is").run()
    app.button(key="keep_scenario").click().run()
    _no_exception(app)
    assert list(app.session_state[state.KEPT]) == ["stock as is"]
    assert _open_view(app) == "drugs"
    assert "whatif_depots_0" in {e.key for e in app.data_editor}, "the Drugs view is drawn, not the Overview"
    key = state.editor_key("whatif_depots", app.session_state)
    app.session_state[key] = {"edited_rows": {0: {"stock_antipyretic": 0}}, "added_rows": [], "deleted_rows": []}
    app.run()
    _no_exception(app)
    assert _open_view(app) == "drugs", "an edit in the table keeps the view"


def test_switching_language_keeps_the_view() -> None:
    app = _show(_app(), "nursing")
    app.segmented_control(key=state.LANGUAGE).set_value("zh").run()
    _no_exception(app)
    assert _open_view(app, "zh") == "nursing"
    assert app.session_state[state.widget_key(views.VIEW, "zh")] == "护理人员"
    assert "whatif_pools_0" in {e.key for e in app.data_editor}
    app.segmented_control(key=state.LANGUAGE).set_value("en").run()
    _no_exception(app)
    assert _open_view(app) == "nursing"


def test_every_download_parses_back(default_app: AppTest) -> None:
    plan = _shown_plan(default_app)
    files = {f.key: f for f in download_files(plan, places(load_sample(), "zh"), "zh", names(load_sample(), "zh"))}
    book = openpyxl.load_workbook(io.BytesIO(files["download_xlsx"].build()), read_only=True)
    assert book.sheetnames[:2] == ["概要", "合规检查"], "the Chinese app's workbook is in Chinese"
    sites = next(book["集中健康观察点"].iter_rows(values_only=True, max_row=2))
    assert sites[:2] == ("集中健康观察点编号", "集中健康观察点")
    document = json.loads(files["download_json"].build())
    assert validate_plan_json(document) == []
    assert document["kpis"]["observation_placed"] == plan.kpis["observation_placed"]
    tables = read_csv_zip(files["download_zip"].build())
    assert len(tables["compliance"]) == len(plan.compliance)
    dispatch = openpyxl.load_workbook(io.BytesIO(files["download_dispatch"].build()), read_only=True)
    assert dispatch.sheetnames[0] == "汇总" and len(dispatch.sheetnames) == 17, "summary + 16 districts"


def test_switching_to_severe_changes_the_kpis() -> None:
    app = _app()
    before = _metrics(app)
    app.radio(key=state.widget_key(state.LEVEL, "en")).set_value("severe").run()
    _no_exception(app)
    assert app.session_state[state.KNOB_KEYS["attack_rate"]] == 35.0, "the knobs follow the level (in percent)"
    after = _metrics(app)
    assert _shown_plan(app).scenario.level == "severe"
    # the sample's rooms place as many at both levels (barrier-free rooms for everyone, 2023): the unmet differ
    assert after["Persons without a room"] != before["Persons without a room"]
    assert any(m.delta for m in app.metric), "deltas against the prevalent plan"


def test_closing_a_site_in_the_editor_moves_its_assignments() -> None:
    app = _app()
    plan = _shown_plan(app)
    sites = plan.stage("observation").table("sites")
    busiest = str(sites.sort_values("persons", ascending=False)["site_id"].iloc[0])
    position = load_sample().sites["site_id"].tolist().index(busiest)
    key = state.editor_key("whatif_sites", app.session_state)
    app.session_state[key] = {"edited_rows": {position: {"status": "closed"}}, "added_rows": [], "deleted_rows": []}
    app.run()
    _no_exception(app)
    edited = _shown_plan(app)
    assert edited is not plan
    assert edited.dataset_sha256 != plan.dataset_sha256
    after = edited.stage("observation").table("sites").set_index("site_id")
    assert after.loc[busiest, "persons"] == 0 and not after.loc[busiest, "open"]
    moved_homes = set(plan.stage("observation").table("assignments").query("site_id == @busiest")["home_id"])
    now = edited.stage("observation").table("assignments")
    assert moved_homes and busiest not in set(now["site_id"])
    assert moved_homes & set(now["home_id"]), "its homes were placed elsewhere"


def _zip(frames: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, frame in frames.items():
            archive.writestr(f"{name}.csv", frame.to_csv(index=False))
    return buffer.getvalue()


def test_a_broken_upload_shows_the_problem_table_and_no_kpis() -> None:
    app = _app()
    frames = tiny_frames()
    frames["care_homes"].loc[0, "disabled"] = "45"
    app.file_uploader(key=state.UPLOAD).upload("broken.zip", _zip(frames), "application/zip").run()
    _no_exception(app)
    assert len(app.metric) == 0
    assert "nothing is planned" in app.error[0].value
    problems = app.dataframe[0].value
    assert list(problems.columns) == ["Severity", "File", "Row", "Column", "Problem"]
    assert "disabled" in problems["Column"].tolist()
    app.file_uploader(key=state.UPLOAD).set_value(("tiny.zip", _zip(tiny_frames()), "application/zip")).run()
    _no_exception(app)
    assert _metrics(app)["Persons placed in observation"] == f"{_shown_plan(app).kpis['observation_placed']:,}"
    assert _shown_plan(app).dataset_name == "tiny"


def test_the_language_switch_shows_chinese_labels() -> None:
    app = _app()
    app.segmented_control(key=state.LANGUAGE).set_value("zh").run()
    _no_exception(app)
    assert app.title[0].value == "epiplan — 区级疫情防控资源统筹方案"
    assert [tab.label for tab in app.tabs][:4] == ["总览", "逐日计划", "集中健康观察", "120 急救"]
    assert "集中健康观察已安置人数" in _metrics(app)
    level = app.radio(key=state.widget_key(state.LEVEL, "zh"))
    assert level.options == ["非疫情流行", "疫情流行", "疫情流行严重"]
    assert level.value == "prevalent", "the level survives the switch"
    assert any("输入未变" in c.value for c in app.caption), "same plan, shown from the cache"


def test_keep_a_scenario_compare_and_reload_it_from_yaml() -> None:
    app = _show(_app(), "compare")
    app.text_input(key=state.SCENARIO_NAME).input("baseline").run()
    app.button(key="keep_scenario").click().run()
    _no_exception(app)
    assert list(app.session_state[state.KEPT]) == ["baseline"]
    app.text_input(key=state.SCENARIO_NAME).input("").run()
    app.radio(key=state.widget_key(state.LEVEL, "en")).set_value("severe").run()
    _no_exception(app)
    deltas = next(df.value for df in app.dataframe if "Key figure" in df.value.columns)
    placed = deltas.set_index("Key figure").loc["Others without a room"]

    def number(text: str) -> int:
        return int(text.replace(",", ""))

    assert number(placed["Change"]) == number(placed["B"]) - number(placed["A"]) != 0
    assert _open_view(app) == "compare", "keeping a scenario and changing the level keep the Compare view"
    app.selectbox(key=state.widget_key("compare_b", "en")).set_value("baseline").run()
    _no_exception(app)
    assert _open_view(app) == "compare", "picking scenario B keeps the Compare view"
    spec = app.session_state[state.KEPT]["baseline"]
    upload = spec.to_yaml().replace("name: baseline", "name: again").encode()
    app.file_uploader(key="scenario_upload").upload("again.yaml", upload, "application/x-yaml").run()
    _no_exception(app)
    assert app.session_state[state.LEVEL] == "prevalent"
    assert list(app.session_state[state.KEPT]) == ["baseline", "again"]
    assert _shown_plan(app).scenario.level == "prevalent"


def test_a_rule_edited_in_the_rules_table_is_applied_and_kept_with_the_scenario() -> None:
    app = _app()
    rules = _shown_plan(app).rules
    fields = [row["field"] for row in rules.table()]
    key = state.editor_key("rules_editor_beijing-2023", app.session_state)
    position = fields.index("persons_per_room")
    app.session_state[key] = {"edited_rows": {position: {"value": "2"}}, "added_rows": [], "deleted_rows": []}
    app.run()
    _no_exception(app)
    plan = _shown_plan(app)
    assert plan.rules.persons_per_room == 2
    assert plan.scenario.rule_overrides == {"persons_per_room": 2}
    app.session_state[key] = {"edited_rows": {position: {"value": "-1"}}, "added_rows": [], "deleted_rows": []}
    app.run()
    _no_exception(app)
    assert any("persons_per_room" in e.value for e in app.error), "a bad value is named"
    assert _shown_plan(app).rules.persons_per_room == 2, "and not applied: the last good value stays"


def test_an_edit_survives_switching_views_and_undo_and_reset_take_it_back() -> None:
    app = _show(_app(), "drugs")
    first = _shown_plan(app)
    key = state.editor_key("whatif_depots", app.session_state)
    app.session_state[key] = {"edited_rows": {0: {"stock_antipyretic": 0}}, "added_rows": [], "deleted_rows": []}
    app.run()
    edited = _shown_plan(app)
    assert edited.dataset_sha256 != first.dataset_sha256
    _show(app, "overview")
    app.run()
    assert _shown_plan(app).dataset_sha256 == edited.dataset_sha256, "the edit stays when its editor is not drawn"
    app.button(key="undo_whatif").click().run()
    _no_exception(app)
    assert _shown_plan(app).dataset_sha256 == first.dataset_sha256, "undo takes the edit back"
    app.session_state[state.CLOSED_SITES] = ["OS0001"]
    app.run()
    assert _shown_plan(app).scenario.closed_sites == ("OS0001",)
    app.button(key="reset_whatif").click().run()
    _no_exception(app)
    assert _shown_plan(app).scenario.closed_sites == ()
    assert _shown_plan(app).dataset_sha256 == first.dataset_sha256


def test_the_district_view_shows_and_exports_one_districts_part() -> None:
    app = _app()
    app.selectbox(key=state.widget_key(state.DISTRICT, "en")).set_value("110106").run()
    _no_exception(app)
    whole = _shown_plan(app)
    metrics = _metrics(app)
    homes = load_sample().care_homes
    fengtai = homes["street_id"].map(load_sample().streets.set_index("street_id")["district_id"]) == "110106"
    assert metrics["Care homes not covered"] == "0"
    border = next(df.value for df in app.dataframe if "Direction" in df.value.columns)
    assert set(border["Direction"]) <= {"into the district", "out of the district"} and len(border) > 0
    _show(app, "drugs")
    editor = next(e for e in app.data_editor if e.key.startswith("whatif_depots"))
    assert editor.key == "whatif_depots_110106_0"
    assert len(editor.value) == int((load_sample().depots["district_id"] == "110106").sum()), "its depots only"
    part = district_plan(whole, load_sample(), "110106")
    handshakes = part.stage("ambulance").table("handshakes")
    assert set(handshakes["home_id"]) >= set(homes.loc[fengtai, "home_id"])
    files = {f.key: f for f in download_files(part, places(load_sample(), "en"), "en")}
    assert files["download_xlsx"].file_name == "epiplan-prevalent-110106-en.xlsx"


def test_a_second_session_gets_the_first_plan_of_the_sample_at_once() -> None:
    first = _app()
    second = _app()
    assert _shown_plan(second) is _shown_plan(first), "one plan object, solved once, shared by both sessions"
    assert any("same inputs as before" in c.value for c in second.caption)
