"""The app shows a problem, never a traceback, for anything the command line refuses or plans."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from planner.outputs.sheets import sheet_name
from planner.ui import state
from planner.ui.dispatch import dispatch_xlsx_bytes
from planner.ui.places import places

APP = str(Path(__file__).resolve().parent.parent / "app.py")
CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def _app() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    assert not app.exception
    return app


def _upload_scenario(app: AppTest, text: str) -> AppTest:
    app.file_uploader(key="scenario_upload").upload("s.yaml", text.encode("utf-8"), "application/x-yaml").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_a_scenario_beyond_the_sliders_range_widens_them_and_is_planned() -> None:
    app = _upload_scenario(_app(), "fleet_factor: 2.5\nstock_factor: 4\ntime_limit_s: 600\nplan: snapshot\n")
    assert app.session_state[state.KNOB_KEYS["fleet_factor"]] == 250.0
    slider = app.slider(key=state.KNOB_KEYS["fleet_factor"])
    assert slider.value == 250.0 and slider.max >= 250.0
    assert app.slider(key=state.KNOB_KEYS["stock_factor"]).max >= 400.0
    assert len(app.metric) > 0


@pytest.mark.parametrize(
    "text",
    [
        "time_limit_s: .nan\n",
        "fleet_factor: .inf\n",
        "attack_rate: " + "[" * 5000,
        "level: !!python/object/apply:os.system ['false']\n",
    ],
)
def test_a_scenario_file_that_cannot_be_used_is_a_message(text: str) -> None:
    app = _upload_scenario(_app(), text)
    assert any("cannot be used" in element.value for element in app.error)


def test_closed_sites_the_dataset_lacks_are_said_to_be_ignored() -> None:
    app = _upload_scenario(_app(), "closed_sites: [NOPE, OS0001]\n")
    assert any("NOPE" in element.value for element in app.warning)
    assert app.session_state[state.CLOSED_SITES] == ["OS0001"]


def test_a_hostile_upload_is_a_problem_table() -> None:
    app = _app()
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("care_homes.csv", b"\n" * (40 * 1024 * 1024))
    app.file_uploader(key=state.UPLOAD).upload("bomb.zip", bomb.getvalue(), "application/zip").run()
    assert not app.exception
    assert len(app.metric) == 0
    problems = app.dataframe[0].value
    assert any("EPIPLAN_MAX_FILE_MB" in text for text in problems["Problem"])


def test_a_district_name_ending_in_an_apostrophe_still_gets_its_dispatch_sheet() -> None:
    from dataclasses import replace

    from planner.dataset.io import read_dataset
    from planner.pipeline import make_plan
    from planner.rules.rules import load_rules
    from planner.rules.scenario import make_scenario

    sample = read_dataset(Path(__file__).resolve().parent.parent / "data" / "sample")
    districts = sample.districts.copy()
    districts["name"] = districts["name"].astype(str) + "'"
    dataset = replace(sample, districts=districts)
    plan = make_plan(dataset, load_rules(), make_scenario(level="severe"))
    data = dispatch_xlsx_bytes(plan, places(dataset, "en"), "en")
    names = openpyxl.load_workbook(io.BytesIO(data), read_only=True).sheetnames
    assert len(names) > 2 and not any(name.startswith("'") or name.endswith("'") for name in names)


def test_sheet_names_excel_accepts() -> None:
    used: set[str] = set()
    assert sheet_name("Dongcheng'", used) == "Dongcheng"
    assert sheet_name("'quoted'", used) == "quoted"
    assert sheet_name("History", used) == "History_"
    assert sheet_name("'", used) == "table"


def test_the_server_listens_on_this_machine_only_and_takes_uploads_as_large_as_the_reader() -> None:
    import tomllib

    from planner.dataset.limits import ReadLimits

    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["maxUploadSize"] == ReadLimits().file_mb
    assert config["client"]["showErrorDetails"] == "none"


def test_a_scenario_kept_for_another_dataset_says_so_and_keeps_its_district_knobs() -> None:
    # the app said only "Loaded" and planned without the file's district levels
    text = (
        "dataset: {name: other, sha256: '0123abcd'}\n"
        "scenario: {level: prevalent, district_levels: {'110101': severe}}\n"
    )
    app = _upload_scenario(_app(), text)
    assert any("another dataset" in element.value for element in app.success)
    assert app.session_state[state.STORED_DISTRICT_KNOBS]["district_levels"] == {"110101": "severe"}
    assert not app.error


def test_data_too_dense_to_plan_is_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    # a valid dataset with every home and site at one spot took the app down with the memory it asked for
    import planner.dataset.limits

    monkeypatch.setattr(planner.dataset.limits, "PAIRS_MAX", 1)
    st.cache_resource.clear()  # the server's shared plans: the sample's plan, solved by an earlier test
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    assert not app.exception
    assert any("too dense to plan at once" in element.value for element in app.error)
    assert len(app.metric) == 0
