"""The Testing view in Streamlit's AppTest (English and Chinese) and its chart data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from planner.ui import state, views
from planner.ui.testing_view import capacity_data, text

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
    app.segmented_control(key=state.LANGUAGE).set_value("zh").run()
    assert not app.exception, [e.value for e in app.exception]
    assert "核酸检测" in [tab.label for tab in app.tabs]
    assert any(text("streets", "zh") == h.value for h in app.subheader)
