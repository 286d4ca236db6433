"""Every problem the dataset reader writes reads in Chinese in the Chinese app (``planner.report.problem_words``)."""

from __future__ import annotations

import io
import re
import zipfile

import pandas as pd
import pytest
from conftest import tiny_frames

from planner.dataset.io import check_upload
from planner.report.problem_words import problem_column, problem_message, scenario_problem_message

CJK = re.compile(r"[\u3400-\u9fff]")


def _zip(frames: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, frame in frames.items():
            archive.writestr(f"{name}.csv", frame.to_csv(index=False))
    return buffer.getvalue()


def test_the_problems_of_a_broken_upload_read_in_chinese() -> None:
    frames = tiny_frames()
    frames["care_homes"].loc[0, "disabled"] = "45"  # more than the 40 residents
    frames["care_homes"].loc[1, "residents"] = "-3"
    frames["care_homes"].loc[2, "street_id"] = "S9"
    frames["sites"].loc[0, "status"] = "maybe"
    frames["sites"].loc[1, "barrier_free"] = "perhaps"
    frames["hospitals"].loc[0, "level"] = "4"
    frames["streets"].loc[0, "lat"] = "95"
    frames["pools"].loc[1, "pool_id"] = "P1"
    frames["depots"]["colour"] = "red"
    del frames["stations"]
    _dataset, problems = check_upload(_zip(frames), "broken.zip")
    assert len(problems) >= 9
    for problem in problems:
        chinese = problem_message(problem.message, "zh")
        assert CJK.search(chinese), problem.message
        assert problem_message(problem.message, "en") == problem.message
    messages = {problem_message(p.message, "zh") for p in problems}
    assert "disabled（失能失智老人）（45）大于residents（在住老年人）（40）" in messages


def test_a_column_keeps_its_name_with_the_chinese_header_beside_it() -> None:
    assert problem_column("disabled", "zh") == "disabled（失能失智老人）"
    assert problem_column("disabled", "en") == "disabled"
    assert problem_column(None, "zh") == ""
    assert problem_message("something new", "zh") == "something new"


def test_the_messages_of_limits_encodings_and_places_read_in_chinese() -> None:
    messages = [
        "residents: 90000000 is above the limit 100,000 for a care home",
        "minutes: 1e300 is above the limit 10,000 for a pair of places",
        "speed_kmh: 0.000001 is below the limit 1 for a district (0 or empty: the default)",
        "stock_cough: 12,000,000,000 in all rows, above the limit 10,000,000,000 for the whole table",
        "site_id 'H001' is also the home_id of care_homes.csv row 2: an id names one place only (care homes, "
        "clinics, hospitals, sites, stations, pools, depots, labs and sampling sites share one set of ids)",
        "from H001 to ST1 is given again on row 4 (500 min): the last row is used, this one (5 min) is not",
        "73 km from its street S3 (district D2): check its lat/lon or street_id (it is planned in that district)",
        "54 km outside the area of the streets of its district D2: check its lat/lon or district_id",
        "the file (once inflated) is 8.0 MB, above the limit of 4 MB for one file (EPIPLAN_MAX_FILE_MB)",
        "more than 2 data rows, the limit for one table (EPIPLAN_MAX_ROWS)",
        "12 columns, above the limit of 10 for one table (EPIPLAN_MAX_COLUMNS)",
        "UTF-16 text (little-endian, without a byte-order mark): save the file as 'CSV UTF-8' or GB18030",
        "binary data, not CSV text (a NUL byte on line 2): save the table as 'CSV UTF-8'",
        'a quote (") opened in this row is never closed',
        "the header is on row 2, below a title ('名单'): delete row 1 so that the header is the first row",
        "cell F3 holds the formula =10*10 without a saved value: open the workbook in Excel and save it "
        "(or paste the values) so that the value is stored",
        "closed site 'NOPE' is not a site_id of the dataset (ignored)",
        "peak day 300 is after the horizon's last day (13): the plan covers the rising wave only",
    ]
    for message in messages:
        assert CJK.search(problem_message(message, "zh")), message


@pytest.mark.parametrize(
    ("message", "chinese"),
    [  # the app's Chinese wrapper held these in English
        (
            "edits: OS0001: sites.rooms: expected a whole number >= 0, got inf",
            "edits：OS0001：sites.rooms：应为不小于 0 的整数，实际为 inf",
        ),
        ("attack_rate: expected a share in [0, 1], got 2", "attack_rate：应为 0 到 1 之间的比例，实际为 2"),
        ("horizon_days: Input should be less than or equal to 365", "horizon_days：应不大于 365"),
        (
            "district_levels.9: unknown district (the dataset has 16 districts)",
            "district_levels.9：未知的区（本数据共有 16 个区）",
        ),
        ("forecast row 2, day: 5 is outside the horizon (days 0-2)", "预测表第 2 行：第 5 天在规划期（第 0-2 天）之外"),
        (
            "DP1: depots.stock_tcm: 1,000,000,000,000 is above the limit 100,000,000",
            "DP1：depots.stock_tcm：1,000,000,000,000 超过上限 100,000,000",
        ),
        (
            "depots.stock_tcm: the total 2e+10 is above the limit 10,000,000,000",
            "depots.stock_tcm：合计 2e+10 超过上限 10,000,000,000",
        ),
        ("a knob: said otherwise", "a knob: said otherwise"),
    ],
)
def test_scenario_problems_read_in_chinese_with_their_knob_path_as_written(message: str, chinese: str) -> None:
    assert scenario_problem_message(message, "zh") == chinese
    assert scenario_problem_message(message, "en") == message
