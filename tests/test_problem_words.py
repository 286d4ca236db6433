"""Every problem the dataset reader writes reads in Chinese in the Chinese app (``planner.report.problem_words``)."""

from __future__ import annotations

import io
import re
import zipfile

import pandas as pd
from conftest import tiny_frames

from planner.dataset.io import check_upload
from planner.report.problem_words import problem_column, problem_message

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
