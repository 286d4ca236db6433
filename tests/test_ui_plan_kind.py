"""The sidebar's plan kind (day by day / snapshot), the epidemic curve's knobs and the daily horizon limit: session
state, the scenario of the widgets, and the sidebar in Streamlit's AppTest in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from ui_fixtures import tiny_dataset

from planner.rules.scenario import make_scenario
from planner.ui import overview, state
from planner.ui.sidebar import Inputs, build_scenario
from planner.ui.state import ScenarioSpec

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 120
INPUTS = "test_inputs"


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def _session() -> dict[str, Any]:
    session: dict[str, Any] = {}
    state.init_session(session)
    return session


# --- session state and the scenario of the widgets ---------------------------------------------------------------


def test_the_plan_is_daily_with_the_default_curve_unless_set() -> None:
    session = _session()
    assert (session[state.PLAN], session[state.PEAK_DAY], session[state.WAVE_DAYS]) == ("daily", None, None)
    assert "plan" not in state.scenario_knobs(session) and "peak_day" not in state.scenario_knobs(session)
    session[state.PEAK_DAY], session[state.WAVE_DAYS] = 3, 9
    assert state.scenario_knobs(session)["peak_day"] == 3 and state.scenario_knobs(session)["wave_days"] == 9
    session[state.PLAN] = "snapshot"
    knobs = state.scenario_knobs(session)
    assert knobs["plan"] == "snapshot" and "peak_day" not in knobs, "the snapshot plan has no curve"


def test_a_kept_scenario_brings_back_its_plan_kind_and_curve() -> None:
    session = _session()
    spec = ScenarioSpec("wave", scenario=make_scenario(plan="daily", horizon_days=30, peak_day=5, wave_days=20))
    again = state.spec_from_yaml(spec.to_yaml())
    state.load_spec(session, again)
    assert (session[state.PLAN], session[state.PEAK_DAY], session[state.WAVE_DAYS]) == ("daily", 5, 20)
    scenario, problems = build_scenario(session, {}, {})
    assert problems == [] and scenario == spec.scenario
    state.load_spec(session, ScenarioSpec("long", scenario=make_scenario(plan="snapshot", horizon_days=120)))
    scenario, problems = build_scenario(session, {}, {})
    assert problems == [] and scenario is not None and (scenario.plan, scenario.horizon_days) == ("snapshot", 120)


def test_a_daily_horizon_over_the_limit_is_a_located_problem() -> None:
    session = _session()
    session[state.HORIZON] = 90
    scenario, problems = build_scenario(session, {}, {})
    assert scenario is None
    assert problems == [
        "horizon_days: the daily plan covers at most 60 days, got 90 (plan: snapshot plans longer horizons at once)"
    ]
    session[state.PLAN] = "snapshot"
    assert build_scenario(session, {}, {})[1] == []


def test_a_wave_not_after_its_peak_is_a_located_problem() -> None:
    session = _session()
    session[state.PEAK_DAY], session[state.WAVE_DAYS] = 8, 4
    scenario, problems = build_scenario(session, {}, {})
    assert scenario is None and problems == ["wave_days: expected more than peak_day (8), got 4"]


def test_forecast_days_beyond_the_horizon_stop_the_scenario_on_that_dataset() -> None:
    forecast = pd.DataFrame(
        {"day": [0, 20], "new_infections": [3, 1], "district_id": ["D1", "D1"], "home_id": ["", ""]},
        index=pd.Index([2, 3], name="row"),
    )
    dataset = replace(tiny_dataset(), forecast=forecast)
    session = _session()
    scenario, problems = build_scenario(session, {}, {}, dataset)
    assert scenario is None and problems == ["forecast row 3, day: 20 is outside the horizon (days 0-13)"]
    session[state.HORIZON] = 21
    scenario, problems = build_scenario(session, {}, {}, dataset)
    assert scenario is not None and problems == []


# --- the sidebar in AppTest ---------------------------------------------------------------------------------------


def _sidebar_script() -> None:
    import streamlit as st

    from planner.ui import views
    from planner.ui.sidebar import draw_sidebar

    inputs = draw_sidebar()
    st.session_state["test_inputs"] = inputs
    views.draw_problems(inputs)


def _sidebar() -> AppTest:
    app = AppTest.from_function(_sidebar_script, default_timeout=TIMEOUT_S)
    app.run()
    _no_exception(app)
    return app


def _no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def _inputs(app: AppTest) -> Inputs:
    inputs = app.session_state[INPUTS]
    assert isinstance(inputs, Inputs)
    return inputs


def test_the_sidebar_offers_the_plan_kind_and_the_curve_in_both_languages() -> None:
    app = _sidebar()
    radio = app.radio(key=state.widget_key(state.PLAN, "en"))
    assert radio.label == "Plan" and list(radio.options) == ["Day by day", "Snapshot"]
    assert radio.value == "daily"
    peak, wave = app.number_input(key=state.PEAK_DAY), app.number_input(key=state.WAVE_DAYS)
    assert peak.value is None and wave.value is None and not peak.disabled
    assert peak.placeholder == "mid-horizon" and wave.placeholder == "the horizon"
    assert _inputs(app).scenario is not None and _inputs(app).scenario.plan == "daily"  # type: ignore[union-attr]
    app.segmented_control(key=state.LANGUAGE).set_value("zh").run()
    _no_exception(app)
    radio = app.radio(key=state.widget_key(state.PLAN, "zh"))
    assert radio.label == "计划方式" and list(radio.options) == ["逐日计划", "快照计划"]
    assert radio.value == "daily", "the plan kind stays when the language changes"
    assert app.number_input(key=state.PEAK_DAY).label == "高峰日（0 为首日）"


def test_the_curve_knobs_shape_the_daily_scenario_and_the_snapshot_ignores_them() -> None:
    app = _sidebar()
    app.number_input(key=state.PEAK_DAY).set_value(3).run()
    app.number_input(key=state.WAVE_DAYS).set_value(9).run()
    _no_exception(app)
    scenario = _inputs(app).scenario
    assert scenario is not None and (scenario.plan, scenario.peak_day, scenario.wave_days) == ("daily", 3, 9)
    app.radio(key=state.widget_key(state.PLAN, "en")).set_value("snapshot").run()
    _no_exception(app)
    scenario = _inputs(app).scenario
    assert scenario is not None and (scenario.plan, scenario.peak_day, scenario.wave_days) == ("snapshot", None, None)
    assert app.number_input(key=state.PEAK_DAY).disabled and app.number_input(key=state.WAVE_DAYS).disabled
    assert "The snapshot plan has no curve" in " ".join(c.value for c in app.caption)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "This scenario cannot be used: horizon_days: the daily plan covers at most 60 days, got 90"),
        ("zh", "该情景无法使用：horizon_days"),
    ],
)
def test_a_daily_horizon_over_60_days_shows_the_problem_and_the_snapshot_plans_it(language: str, words: str) -> None:
    app = _sidebar()
    if language != "en":
        app.segmented_control(key=state.LANGUAGE).set_value(language).run()
    app.number_input(key=state.HORIZON).set_value(90).run()
    _no_exception(app)
    assert not _inputs(app).ready
    assert any(words in e.value for e in app.error), [e.value for e in app.error]
    app.radio(key=state.widget_key(state.PLAN, language)).set_value("snapshot").run()
    _no_exception(app)
    assert _inputs(app).ready and not app.error
    scenario = _inputs(app).scenario
    assert scenario is not None and (scenario.plan, scenario.horizon_days) == ("snapshot", 90)


def test_the_app_solves_the_snapshot_plan_when_asked() -> None:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    app.run()
    _no_exception(app)
    app.radio(key=state.widget_key(state.PLAN, "en")).set_value("snapshot").run()
    _no_exception(app)
    key = app.session_state[overview.SHOWN_PLAN][0]
    plan = app.session_state[state.PLAN_CACHE].get(key)
    assert plan is not None and plan.scenario.plan == "snapshot"
    assert app.metric, "the snapshot plan's key figures are shown"
