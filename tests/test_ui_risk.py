"""The Risk view: its pure helpers worked out by hand, then the view itself in AppTest (tiny dataset, in-process)."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from planner.dataset.io import dataset_from_frames
from planner.dataset.schema import Dataset
from planner.rules.scenario import make_scenario
from planner.sweep.results import summarize
from planner.ui import risk, risk_view

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def tiny() -> Dataset:
    from conftest import tiny_frames

    return dataset_from_frames(tiny_frames(), "tiny")


def test_labels_in_both_languages() -> None:
    assert risk.label("risk_running", "en", done=2, total=5) == "Solving 2 of 5 scenarios…"
    assert risk.label("risk_running", "zh", done=2, total=5) == "正在求解第 2/5 个情景……"
    assert all(english and chinese for english, chinese in risk.LABELS.values())


def test_kpi_names_of_flattened_and_sweep_columns() -> None:
    assert risk.kpi_name("lowest_fill_rate_tcm", "en") == "Lowest drug fill rate, homes & clinics: TCM"
    assert risk.kpi_name("drug_shortfall_antiviral", "zh") == "药品缺口（份）: 抗病毒药"
    assert risk.kpi_name("nursing_unmet_transfer_1to1", "en") == "Nursing needs unmet: 1:1 escort"
    assert risk.kpi_name("sites_full", "zh") == "已满的观察点"
    assert risk.kpi_name("covered_share", "en") == "120 transfers covered in time"
    assert risk.kpi_name("something_new", "en") == "something_new"


def test_risk_sweep_draws_within_the_chosen_ranges(tiny: Dataset) -> None:
    scenario = make_scenario(level="severe")
    settings = risk.RiskSettings(
        samples=40,
        seed=3,
        ranges={"attack_rate": (0.5, 0.6), "stock_factor": (0.7, 0.7), "fleet_factor": (1.0, 0.5)},
        site_closure=0.0,
        station_outage=1.0,
    )
    sweep = risk.risk_sweep(tiny, scenario, settings)
    assert len(sweep) == 40 and sweep.base == {"level": "severe"}
    attack = [s.knobs["attack_rate"] for s in sweep.scenarios]
    assert all(0.5 <= a <= 0.6 for a in attack)  # triangular(0.5, 0.5 (0.35 clipped), 0.6): mostly low
    assert sum(a < 0.55 for a in attack) > 20
    assert {s.knobs["stock_factor"] for s in sweep.scenarios} == {0.7}
    assert all(0.5 <= s.knobs["fleet_factor"] <= 1.0 for s in sweep.scenarios)
    assert all(s.station_outages == ("A1", "A2") and not s.closed_sites for s in sweep.scenarios)
    assert risk.risk_sweep(tiny, scenario, settings) == sweep


def test_default_ranges_follow_the_level() -> None:
    ranges = risk.default_ranges(make_scenario(level="prevalent"))
    assert ranges["attack_rate"] == pytest.approx((0.075, 0.3))
    assert ranges["stock_factor"] == (0.6, 1.0)


def _scenarios() -> pd.DataFrame:
    """Ten solved scenarios with knob k = 0..9 and kpi = 2k, plus one failed row that must not count."""
    rows = pd.DataFrame({"status": ["ok"] * 10, "k": range(10), "kpi": [2.0 * k for k in range(10)]})
    failed = pd.DataFrame({"status": ["error"], "k": [9], "kpi": [float("nan")]})
    return pd.concat([rows, failed], ignore_index=True)


def test_fan_data_by_hand() -> None:
    fan = risk.fan_data(_scenarios(), "kpi", "k", bins=2)
    # Bins [0, 4.5) and [4.5, 9]: kpi 0, 2, 4, 6, 8 then 10, 12, 14, 16, 18.
    assert fan["scenarios"].tolist() == [5, 5]
    assert fan["knob_mid"].tolist() == [2.25, 6.75]
    assert fan["p50"].tolist() == [4.0, 14.0]
    assert fan["p25"].tolist() == [2.0, 12.0] and fan["p95"].tolist() == pytest.approx([7.6, 17.6])
    one = risk.fan_data(_scenarios().assign(k=1.0), "kpi", "k", bins=4)
    assert one["scenarios"].tolist() == [10] and one["p50"].tolist() == [9.0]
    assert risk.fan_data(_scenarios().iloc[10:], "kpi", "k").empty


def test_tables_name_entities_in_the_reader_language() -> None:
    from sweep_fixture import hand_result

    result = hand_result()
    summary = summarize(result)
    names = {"H1": "阳光养老院", "W1": "东城储备库"}
    stress = risk.stress_table(summary.stress_points, names, "zh")
    assert stress.columns.tolist() == ["对象", "情况", "情景数", "情景占比"]
    assert stress.iloc[0].tolist() == ["阳光养老院", "养老机构未获 120 覆盖", 3, 0.75]
    assert stress.iloc[1, 0] == "东城储备库 (中药)"
    marginal = risk.marginal_table(summary.marginal_values, names, "en")
    assert marginal.columns.tolist() == [
        "Stage",
        "Who",
        "More of",
        "How many more (mean)",
        "What they buy (mean)",
        "Helps in",
    ]
    first = marginal.iloc[0].tolist()
    assert first[1:3] == ["东城储备库 (TCM)", "packs"] and first[4:] == [1.5, 0.5]
    table = risk.percentile_table(summary, ["covered_share"], "en")
    assert table.iloc[0].tolist()[:3] == ["120 transfers covered in time", "higher", 0.625]
    assert risk.varying_kpis(result) == ["uncovered_homes", "covered_share"]
    assert risk.numeric_knobs(result) == ["attack_rate"]
    assert risk.sweep_xlsx_bytes(result, summary)[:2] == b"PK"


SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from conftest import tiny_frames
from planner.dataset.io import dataset_from_frames
from planner.rules.rules import load_preset
from planner.rules.scenario import make_scenario
from planner.ui.risk_view import render_risk

render_risk(dataset_from_frames(tiny_frames(), "tiny"), load_preset("beijing-2023"),
            make_scenario(level="severe"), {language!r})
"""


def _app(tmp_path: Path, language: str) -> AppTest:
    script = tmp_path / f"risk_{language}.py"
    script.write_text(SCRIPT.format(tests=str(TESTS), language=language), encoding="utf-8")
    return AppTest.from_file(str(script), default_timeout=120)


def _wait_for_the_sweep(at: AppTest, timeout_s: float = 120.0) -> None:
    """The sweep runs in a thread beside the app: rerun (as the progress fragment does) until it is in."""
    deadline = time.monotonic() + timeout_s
    while risk.RESULT_KEY not in at.session_state and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
        assert not at.exception, [e.value for e in at.exception]


def test_the_view_runs_a_sweep_with_progress_and_shows_the_spread(tmp_path: Path) -> None:
    at = _app(tmp_path, "en")
    at.run()
    assert not at.exception
    assert at.info[0].value == risk.label("risk_empty", "en")
    at.number_input(key="risk_samples").set_value(3)
    at.radio(key="risk_engine_en").set_value("serial")
    at.button(key="risk_run").click()
    at.run()
    assert not at.exception
    assert at.button(key="risk_cancel") is not None or risk.RESULT_KEY in at.session_state, (
        "a Cancel button while it runs"
    )
    _wait_for_the_sweep(at)
    assert at.success[0].value.startswith("3 scenarios in ")
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert len(charts) == 2  # histogram and fan chart
    assert len(at.dataframe) >= 3  # percentiles, stress points, marginal values
    assert at.session_state[risk.RESULT_KEY].result.status_counts()["ok"] == 3
    kpi = at.selectbox(key="risk_chosen_kpi")
    assert kpi.value in risk.varying_kpis(at.session_state[risk.RESULT_KEY].result)


def test_the_view_speaks_chinese(tmp_path: Path) -> None:
    at = _app(tmp_path, "zh")
    at.run()
    assert not at.exception
    assert at.subheader[0].value == "风险：多情景推演"
    assert at.info[0].value == "设置取值范围后开始推演。"


def test_enter_in_a_field_does_not_start_a_sweep_and_a_sweep_can_be_cancelled(tmp_path: Path) -> None:
    at = _app(tmp_path, "en")
    at.run()
    form = at.get("form")[0]
    assert form.proto.form.enter_to_submit is False
    at.number_input(key="risk_samples").set_value(400).run()
    assert risk_view.JOB_KEY not in at.session_state, "changing a field starts nothing"
    at.radio(key="risk_engine_en").set_value("serial")
    at.button(key="risk_run").click().run()
    job = at.session_state[risk_view.JOB_KEY]
    assert job.running and job.engine == "serial"
    at.button(key="risk_cancel").click().run()
    deadline = time.monotonic() + 60
    while job.running and time.monotonic() < deadline:
        time.sleep(0.2)
    at.run()
    assert not at.exception
    assert job.cancelled and job.done < 400
    assert any("cancelled" in w.value for w in at.warning)
    assert risk.RESULT_KEY not in at.session_state
