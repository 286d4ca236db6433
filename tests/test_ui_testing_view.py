"""The Testing view in Streamlit's AppTest (English and Chinese) and its chart data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from planner.ui import state, views
from planner.ui.testing_view import capacity_data, districts_by_shortfall, street_data, team_data, text

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def test_capacity_data_is_long_with_names_and_labels() -> None:
    districts = pd.DataFrame({"district_id": ["D1"], "tests_per_day": [100], "need_per_day": [300]})
    long = capacity_data(districts, {"D1": "Dongcheng"}, "zh")
    assert long.to_dict("list") == {
        "district": ["Dongcheng", "Dongcheng"],
        "measure": ["日采样能力", "每日需求"],
        "count": [100, 300],
    }


def _streets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "street_id": ["S1", "S2", "S3"],
            "district_id": ["D1", "D1", "D2"],
            "tests_per_day": [1000, 3000, 500],
            "need_per_day": [1500, 2000, 900],
            "short_per_day": [500, 0, 400],
        }
    )


def test_street_data_is_one_districts_streets_long_with_labels() -> None:
    long = street_data(_streets(), "D1", {"S1": "Andingmen"}, "en")
    assert long.to_dict("list") == {
        "street": ["Andingmen", "S2", "Andingmen", "S2"],
        "measure": ["Capacity a day", "Capacity a day", "Need a day", "Need a day"],
        "count": [1000, 3000, 1500, 2000],
    }


def test_the_district_shortest_of_its_round_comes_first() -> None:
    assert districts_by_shortfall(_streets()) == ["D1", "D2"]  # 500 short against 400
    assert districts_by_shortfall(_streets().assign(short_per_day=[0, 0, 1])) == ["D2", "D1"]


def test_team_data_has_teams_available_and_needed_in_chinese() -> None:
    districts = pd.DataFrame({"district_id": ["D1"], "teams_available": [1], "teams_needed": [3]})
    assert team_data(districts, {"D1": "东城区"}, "zh").to_dict("list") == {
        "district": ["东城区", "东城区"],
        "measure": ["现有队伍", "所需队伍"],
        "count": [1, 3],
    }


def test_the_testing_view_shows_the_round_map_chart_and_tables_in_both_languages() -> None:
    app = AppTest.from_file(APP, default_timeout=180)
    app.run()
    app.session_state[views.VIEW] = "testing"
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert "Testing" in [tab.label for tab in app.tabs]
    metric = next(m for m in app.metric if m.label == text("round", "en"))
    assert "days needed" in metric.value
    assert app.get("map") or app.get("deck_gl_json_chart")
    assert app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")
    assert any(text("streets", "en") == h.value for h in app.subheader)
    headings = [h.value for h in app.subheader]
    assert text("by_street", "en") in headings and text("teams", "en") in headings
    # the sample at prevalent (2023 rules): 48 teams of 400 samples a day for about 28,000 care-home samples
    assert any("care-home NAT samples a day have no sampling team" in w.value for w in app.warning)
    assert any("streets cannot sample their residents within 2 days" in w.value for w in app.warning)
    charts = app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")
    assert len(charts) >= 3  # districts, one district's streets, teams by district
    district = app.selectbox(key="testing_district__en")
    first = district.value
    other = next(option.rsplit("(", 1)[1].rstrip(")") for option in district.options if f"({first})" not in option)
    district.set_value(other).run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.session_state["testing_district"] == other != first
    app.segmented_control(key=state.LANGUAGE).set_value("zh").run()
    assert not app.exception, [e.value for e in app.exception]
    assert "核酸检测" in [tab.label for tab in app.tabs]
    headings = [h.value for h in app.subheader]
    assert text("streets", "zh") in headings and text("by_street", "zh") in headings and text("teams", "zh") in headings
    assert any("份无上门采样队伍" in w.value for w in app.warning)
    assert app.selectbox(key="testing_district__zh").value == app.session_state["testing_district"]
