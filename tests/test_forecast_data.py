"""The optional ``forecast`` table (issue 12): read from a folder, a workbook or a zip; bad rows are located errors;
days beyond the scenario's horizon are refused against the scenario; the command line exits 2."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from planner.cli.main import main
from planner.dataset.io import check_dataset, dataset_from_frames, read_dataset, write_dataset
from planner.dataset.limits import ReadLimits
from planner.dataset.problems import Problem
from planner.dataset.reading import read_path
from planner.dataset.schema import empty_table, forecast_rows
from planner.dataset.validation import validate
from planner.outputs.template import save_template
from planner.rules.rules import load_preset
from planner.rules.scenario import check_scenario, make_scenario

Frames = dict[str, pd.DataFrame]
WriteTables = Callable[..., Path]


def _forecast(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    """Rows of ``(day, district_id, home_id, new_infections)`` as text."""
    return pd.DataFrame(rows, columns=["day", "district_id", "home_id", "new_infections"], dtype=object)


GOOD = _forecast(("0", "D1", "", "3"), ("1", "D1", "", "5"), ("0", "", "H003", "2"), ("4", "D2", "", "0"))


def _errors(folder: Path) -> list[Problem]:
    _, problems = check_dataset(folder)
    return [p for p in problems if p.is_error]


def _located(problems: list[Problem]) -> set[tuple[str, int | None, str | None]]:
    return {(p.file, p.row, p.column) for p in problems}


def test_the_forecast_is_optional_and_empty_when_absent(tiny_dataset_dir: Path) -> None:
    dataset = read_dataset(tiny_dataset_dir)
    assert dataset.forecast.empty
    assert list(dataset.forecast.columns) == list(empty_table("forecast").columns)
    assert list(dataset.forecast.columns) == ["day", "new_infections", "district_id", "home_id"]


def test_a_forecast_is_read_typed_from_a_folder(tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables) -> None:
    tiny_tables["forecast"] = GOOD
    dataset = read_dataset(write_tables(tmp_path / "ok", tiny_tables))
    forecast = dataset.forecast
    assert forecast["day"].tolist() == [0, 1, 0, 4] and forecast["day"].dtype == "int64"
    assert forecast["new_infections"].tolist() == [3, 5, 2, 0]
    assert forecast["district_id"].tolist() == ["D1", "D1", "", "D2"]
    assert forecast["home_id"].tolist() == ["", "", "H003", ""]
    assert forecast_rows(forecast) == [2, 3, 4, 5]


def test_a_forecast_is_read_from_a_workbook_and_a_zip_like_the_folder(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    tiny_tables["forecast"] = GOOD
    folder = write_tables(tmp_path / "csv", tiny_tables)
    book = tmp_path / "tiny.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        for name, frame in tiny_tables.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    bundle = tmp_path / "tiny.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
    expected = read_dataset(folder)
    for source in (book, bundle):
        dataset = read_dataset(source)
        pd.testing.assert_frame_equal(dataset.forecast, expected.forecast)
        assert dataset.content_hash() == expected.content_hash()


def test_a_forecast_only_of_homes_needs_no_district_column(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    tiny_tables["forecast"] = pd.DataFrame({"day": ["2"], "home_id": ["H001"], "new_infections": ["1"]}, dtype=object)
    dataset = read_dataset(write_tables(tmp_path / "homes", tiny_tables))
    assert dataset.forecast[["district_id", "home_id"]].values.tolist() == [["", "H001"]]


def test_the_forecast_counts_in_the_content_hash_only_when_given(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    without = read_dataset(write_tables(tmp_path / "without", tiny_tables))
    tiny_tables["forecast"] = _forecast()
    empty = read_dataset(write_tables(tmp_path / "empty", tiny_tables))
    tiny_tables["forecast"] = GOOD
    given = read_dataset(write_tables(tmp_path / "given", tiny_tables))
    assert without.sha256 == empty.sha256 != given.sha256


def test_a_written_dataset_keeps_its_forecast(tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables) -> None:
    tiny_tables["forecast"] = GOOD
    dataset = read_dataset(write_tables(tmp_path / "in", tiny_tables))
    write_dataset(dataset, tmp_path / "out")
    again = read_dataset(tmp_path / "out")
    pd.testing.assert_frame_equal(again.forecast, dataset.forecast)
    assert again.sha256 == dataset.sha256


@pytest.mark.parametrize(
    ("row", "expected_column", "words"),
    [
        (("0", "D9", "", "3"), "district_id", "unknown district_id 'D9' (not in districts.csv)"),
        (("0", "", "H999", "3"), "home_id", "unknown home_id 'H999' (not in care_homes.csv)"),
        (("9", "D1", "", "-4"), "new_infections", "expected a whole number >= 0, got '-4'"),
        (("9", "D1", "", "2.5"), "new_infections", "expected a whole number >= 0, got '2.5'"),
        (("9", "D1", "", "many"), "new_infections", "expected a whole number >= 0, got 'many'"),
        (("-1", "D1", "", "3"), "day", "expected a whole number >= 0, got '-1'"),
        (("9", "D1", "", ""), "new_infections", "missing value"),
        (("9", "D1", "", "20000000"), "new_infections", "20000000 is above the limit 10,000,000"),
        (("400", "D1", "", "3"), "day", "400 is above the limit 364"),
        (("0", "D1", "H001", "3"), "home_id", "both district_id 'D1' and home_id 'H001': give one of the two per row"),
        (("0", "", "", "3"), "district_id", "neither district_id nor home_id: give one of the two per row"),
        (("1", "D1", "", "7"), "district_id", "a second row for district_id 'D1' on day 1 (also row 3)"),
        (("0", "", "H003", "1"), "home_id", "a second row for home_id 'H003' on day 0 (also row 4)"),
    ],
)
def test_a_bad_forecast_row_is_a_located_error(
    row: tuple[str, str, str, str],
    expected_column: str,
    words: str,
    tiny_tables: Frames,
    tmp_path: Path,
    write_tables: WriteTables,
) -> None:
    tiny_tables["forecast"] = pd.concat([GOOD, _forecast(row)], ignore_index=True)
    errors = _errors(write_tables(tmp_path / "bad", tiny_tables))
    assert _located(errors) == {("forecast.csv", 6, expected_column)}, errors
    assert words in errors[0].message


def test_a_forecast_with_more_rows_than_the_limit_is_refused(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    tiny_tables["forecast"] = _forecast(*[(str(day), "D1", "", "1") for day in range(5)])
    folder = write_tables(tmp_path / "long", tiny_tables)
    _, problems = validate(read_path(folder, ReadLimits(rows=4)))
    too_many = "more than 4 data rows, the limit for one table (EPIPLAN_MAX_ROWS)"
    assert [p for p in problems if p.is_error] == [Problem("forecast.csv", None, None, too_many)]


def test_a_forecast_without_either_id_column_is_one_problem(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    tiny_tables["forecast"] = pd.DataFrame({"day": ["0", "1"], "new_infections": ["1", "2"]}, dtype=object)
    errors = _errors(write_tables(tmp_path / "no_ids", tiny_tables))
    assert _located(errors) == {("forecast.csv", None, "district_id")}
    assert "district_id or a home_id" in errors[0].message


def test_missing_required_columns_and_workbook_rows_are_located(tiny_tables: Frames, tmp_path: Path) -> None:
    tiny_tables["forecast"] = pd.DataFrame({"district_id": ["D1", "D7"], "new_infections": ["1", "2"]}, dtype=object)
    book = tmp_path / "bad.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        for name, frame in tiny_tables.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    _, problems = check_dataset(book)
    located = _located([p for p in problems if p.is_error])
    assert ("bad.xlsx:forecast", None, "day") in located
    assert ("bad.xlsx:forecast", 3, "district_id") in located


def test_more_infections_than_people_is_a_warning_on_the_last_row(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    tiny_tables["forecast"] = _forecast(("0", "", "H001", "30"), ("1", "", "H001", "20"), ("0", "", "H002", "5"))
    dataset, problems = check_dataset(write_tables(tmp_path / "many", tiny_tables))
    assert dataset is not None
    warnings = [p for p in problems if p.file == "forecast.csv"]
    assert _located(warnings) == {("forecast.csv", 3, "new_infections")}
    assert "50 new infections over all days for H001, more than its residents (40)" in warnings[0].message


def test_days_beyond_the_horizon_are_refused_against_the_scenario(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    tiny_tables["forecast"] = pd.concat([GOOD, _forecast(("20", "D2", "", "1"))], ignore_index=True)
    dataset = read_dataset(write_tables(tmp_path / "long", tiny_tables))
    assert make_scenario(horizon_days=14).validate_against(dataset) == [
        "forecast row 6, day: 20 is outside the horizon (days 0-13)"
    ]
    assert make_scenario(horizon_days=21).validate_against(dataset) == []
    assert make_scenario(plan="snapshot", horizon_days=3).validate_against(dataset) == [
        "forecast row 5, day: 4 is outside the horizon (days 0-2)",
        "forecast row 6, day: 20 is outside the horizon (days 0-2)",
    ]
    problems = check_scenario(make_scenario(), load_preset("beijing-2023"), dataset, "s.yaml: ")
    assert problems == ["s.yaml: forecast row 6, day: 20 is outside the horizon (days 0-13)"]


def test_a_frame_built_forecast_counts_rows_as_its_csv_would(tiny_tables: Frames) -> None:
    tiny_tables["forecast"] = _forecast(("0", "D1", "", "1"), ("30", "D1", "", "1"))
    dataset = dataset_from_frames(tiny_tables, "frames")
    assert forecast_rows(dataset.forecast) == [2, 3]
    assert forecast_rows(dataset.forecast.reset_index(drop=True)) == [2, 3]
    many = make_scenario(horizon_days=1).validate_against(
        dataset_from_frames({**tiny_tables, "forecast": _forecast(*[(str(d), "D1", "", "1") for d in range(40)])})
    )
    assert len(many) == 21 and many[-1] == "forecast, day: ... and 19 more rows outside the horizon (days 0-0)"


def test_the_command_line_refuses_a_bad_forecast_with_exit_2(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables, capsys: pytest.CaptureFixture[str]
) -> None:
    tiny_tables["forecast"] = pd.concat([GOOD, _forecast(("0", "D9", "", "-1"))], ignore_index=True)
    folder = write_tables(tmp_path / "bad", tiny_tables)
    assert main(["validate", str(folder)]) == 2
    out = capsys.readouterr().out
    assert "unknown district_id 'D9'" in out and "expected a whole number >= 0, got '-1'" in out
    out_file = tmp_path / "plan.json"
    assert main(["solve", "--data", str(folder), "--out", str(out_file)]) == 2
    assert not out_file.exists()


def test_solve_refuses_forecast_days_beyond_the_horizon_with_exit_2(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables, capsys: pytest.CaptureFixture[str]
) -> None:
    tiny_tables["forecast"] = pd.concat([GOOD, _forecast(("20", "D2", "", "1"))], ignore_index=True)
    folder = write_tables(tmp_path / "long", tiny_tables)
    assert main(["validate", str(folder)]) == 0  # no scenario: the horizon is the scenario's
    said = capsys.readouterr().out  # but validate says solve will refuse it at the default horizon
    assert "Note: with the default horizon of 14 days, solve refuses this dataset:" in said
    assert "  forecast row 6, day: 20 is outside the horizon (days 0-13)" in said
    out_file = tmp_path / "plan.json"
    assert main(["solve", "--data", str(folder), "--out", str(out_file)]) == 2
    assert "forecast row 6, day: 20 is outside the horizon (days 0-13)" in capsys.readouterr().out
    assert not out_file.exists()


def test_the_template_has_a_forecast_sheet_that_reads_back(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    tiny_tables["forecast"] = GOOD
    dataset = read_dataset(write_tables(tmp_path / "in", tiny_tables))
    book = save_template(tmp_path / "template.xlsx", "zh", dataset)
    again = read_dataset(book)
    assert again.forecast.reset_index(drop=True).equals(dataset.forecast.reset_index(drop=True))
    assert again.sha256 == dataset.sha256
