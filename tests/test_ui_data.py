"""Which dataset is planned: the sample city by default; an upload validated once; problems as a table."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from conftest import tiny_frames

from planner.dataset.problems import Problem
from planner.ui.data import SAMPLE_NAME, check_uploaded, choose_dataset, load_sample, problems_frame


class _Upload:
    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        self._data = data

    def getvalue(self) -> bytes:
        return self._data


def _zip(frames: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, frame in frames.items():
            archive.writestr(f"{name}.csv", frame.to_csv(index=False))
    return buffer.getvalue()


def test_the_sample_city_is_the_default() -> None:
    choice = choose_dataset({}, None)
    assert choice.is_sample and choice.problems == []
    assert choice.dataset is not None and choice.dataset.name == SAMPLE_NAME
    assert len(choice.dataset.districts) == 16
    assert load_sample() is load_sample(), "read once per process"


def test_a_good_upload_is_planned() -> None:
    choice = choose_dataset({}, _Upload("tiny.zip", _zip(tiny_frames())))
    assert not choice.is_sample and choice.dataset is not None
    assert choice.label == "tiny.zip" and len(choice.dataset.care_homes) == 3


def test_a_broken_upload_gives_problems_and_no_dataset() -> None:
    frames = tiny_frames()
    frames["care_homes"].loc[0, "disabled"] = "45"
    choice = choose_dataset({}, _Upload("broken.zip", _zip(frames)))
    assert choice.dataset is None
    assert any("disabled" in p.message for p in choice.problems if p.is_error)


def test_an_upload_is_checked_once_per_content() -> None:
    session: dict[str, Any] = {}
    data = _zip(tiny_frames())
    first = check_uploaded(session, "a.zip", data)
    second = check_uploaded(session, "a.zip", data)
    assert first[0] is second[0]


def test_problems_table_in_chinese() -> None:
    problems = [
        Problem("care_homes.csv", 7, "disabled", "disabled (45) > residents (40)"),
        Problem("x", None, None, "odd", "warning"),
    ]
    table = problems_frame(problems, "zh")
    assert list(table.columns) == ["级别", "文件", "行", "列", "问题"]
    assert table["级别"].tolist() == ["错误", "提示"]
    assert table["行"].tolist()[0] == 7
