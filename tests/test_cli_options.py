"""The command line's own inputs: option values, YAML files and output paths are user errors (exit 2)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from planner.cli.main import main
from planner.cli.options import (
    OptionError,
    bad_outputs,
    can_create_in,
    positive_count,
    read_yaml_mapping,
    seconds,
    stage_seconds,
)
from planner.cli.solve import add_solve_arguments, scenario_from_arguments
from planner.rules.scenario import Scenario, ScenarioError


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "-inf", "1e308", "ten", ""])
def test_a_time_limit_is_a_finite_number_of_seconds_above_zero(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        seconds(text)
    assert seconds("0.5") == 0.5
    assert seconds("86400") == 86400.0


@pytest.mark.parametrize("text", ["observation", "observation=0", "observatio=30", "=30", "drugs=ten", "30"])
def test_a_stage_time_limit_names_a_stage_and_its_seconds(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        stage_seconds(text)
    assert stage_seconds("observation=30") == ("observation", 30.0)
    assert stage_seconds(" drugs = 2.5") == ("drugs", 2.5)


def test_counts_are_whole_and_positive() -> None:
    assert positive_count("3") == 3
    for text in ("0", "-2", "1.5", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            positive_count(text)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"level: [severe\n: :\n", "not valid YAML on line 2, column 1"),
        (b"level: severe # \xff\n", "not UTF-8 text (byte 0xff on line 1)"),
        (b"level: !!python/object/apply:os.system ['false']\n", "a YAML tag that is not plain data (line 1)"),
        (b"- 1\n- 2\n", "expected a mapping of name: value, got list"),
    ],
)
def test_a_yaml_file_that_cannot_be_used_names_the_cause(content: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(content)
    with pytest.raises(OptionError) as caught:
        read_yaml_mapping(path, "scenario")
    assert caught.value.problems[0].startswith(f"scenario file {path}: {message}")


def test_a_missing_or_folder_yaml_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="no such file"):
        read_yaml_mapping(tmp_path / "nope.yaml", "scenario")
    with pytest.raises(OptionError, match="not a file"):
        read_yaml_mapping(tmp_path, "scenario")
    (tmp_path / "empty.yaml").write_text("# nothing\n")
    assert read_yaml_mapping(tmp_path / "empty.yaml", "scenario") == {}


def test_outputs_that_cannot_be_written_are_named(tmp_path: Path) -> None:
    (tmp_path / "folder.json").mkdir()
    (tmp_path / "file").write_text("x")
    data = tmp_path / "data.zip"
    data.write_bytes(b"PK")
    paths = [
        tmp_path / "folder.json",
        tmp_path / "file" / "plan.json",
        data,
        tmp_path / "p.txt",
        tmp_path / "new" / "p.json",
    ]
    assert bad_outputs([str(path) for path in paths], data=str(data)) == [
        f"--out {data}: {data} is the --data input; choose another file name",
        f"--out {paths[0]}: is a folder, expected a file name",
        f"--out {paths[1]}: {tmp_path / 'file'} is not a folder",
        f"--out {paths[3]}: expected a file ending in .json, .xlsx, .zip, .pdf",
        f"--out {paths[4]}: the folder {tmp_path / 'new'} does not exist (add --mkdir to create it)",
    ]
    assert bad_outputs([str(tmp_path / "new" / "deeper" / "plan.json")], mkdir=True) == []


def test_outputs_that_would_overwrite_an_input_or_each_other_are_named(tmp_path: Path) -> None:
    # a workbook's details zip replaced a --out zip of the same name, and --out could overwrite the scenario file
    scenario = tmp_path / "what-if.json"
    scenario.write_text("{}")
    plan = tmp_path / "plan.xlsx"
    details = tmp_path / "plan.details.zip"
    data = tmp_path / "d.details.zip"
    again = tmp_path / "sub" / ".." / "plan.xlsx"
    (tmp_path / "sub").mkdir()
    outputs = [str(plan), str(details), str(scenario), str(tmp_path / "d.xlsx"), str(again)]
    assert bad_outputs(outputs, data=str(data), inputs={"--scenario": str(scenario), "--rules": None}) == [
        f"--out {details}: {details} is the details zip of --out {plan}; choose another file name",
        f"--out {scenario}: {scenario} is the --scenario input; choose another file name",
        f"the details zip of --out {tmp_path / 'd.xlsx'}: {data} is the --data input; choose another file name",
        f"--out {again}: {again} is --out {plan}; choose another file name",
        f"the details zip of --out {again}: {again.with_name(details.name)} is the details zip of --out {plan};"
        " choose another file name",
    ]
    assert bad_outputs([str(plan), str(plan), str(tmp_path / "plan.json")]) == [], "the same name twice: written once"


@pytest.mark.parametrize(
    "scenario",
    [b"level: [severe\n", b"\xff\xfe", b"level: !!python/name:os.system\n", None],
)
def test_solve_refuses_a_scenario_file_it_cannot_read_with_exit_2(
    scenario: bytes | None, tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "scenario.yaml"
    if scenario is not None:
        path.write_bytes(scenario)
    out = tmp_path / "plan.json"
    code = main(["solve", "--data", str(tiny_dataset_dir), "--scenario", str(path), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out.startswith(f"epiplan: scenario file {path}: ")
    assert "Traceback" not in captured.out + captured.err
    assert not out.exists()


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_solve_refuses_a_bad_time_limit_with_exit_2(
    value: str, tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p.json"
    code = main(["solve", "--data", str(tiny_dataset_dir), "--time-limit", value, "--out", str(out)])
    assert code == 2
    assert "argument --time-limit: expected seconds > 0" in capsys.readouterr().err
    assert not out.exists()


def _solve_scenario(argv: list[str]) -> Scenario:
    parser = argparse.ArgumentParser()
    add_solve_arguments(parser)
    return scenario_from_arguments(parser.parse_args(["--data", "d", *argv]))


def test_snapshot_peak_day_and_wave_days_set_the_scenario_over_its_file(tmp_path: Path) -> None:
    assert _solve_scenario([]).plan == "daily"
    assert _solve_scenario(["--snapshot"]).plan == "snapshot"
    shaped = _solve_scenario(["--peak-day", "0", "--wave-days", "9"])
    assert (shaped.plan, shaped.peak_day, shaped.wave_days) == ("daily", 0, 9)
    path = tmp_path / "s.yaml"
    path.write_text("level: severe\nplan: daily\nhorizon_days: 90\npeak_day: 20\nattack_rate: 0.5\n", encoding="utf-8")
    long = _solve_scenario(["--scenario", str(path), "--snapshot", "--peak-day", "30", "--level", "normal"])
    assert (long.plan, long.horizon_days, long.peak_day, long.level, long.attack_rate) == (
        "snapshot",
        90,
        30,
        "normal",
        0.5,
    )
    with pytest.raises(ScenarioError, match="the daily plan covers at most 60 days"):
        _solve_scenario(["--scenario", str(path)])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--peak-day", "-1"], "argument --peak-day: expected a whole number >= 0, got '-1'"),
        (["--peak-day", "x"], "argument --peak-day: expected a whole number >= 0, got 'x'"),
        (["--wave-days", "0"], "argument --wave-days: expected a whole number > 0, got '0'"),
    ],
)
def test_solve_refuses_a_bad_curve_option_with_exit_2(
    argv: list[str], message: str, tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p.json"
    assert main(["solve", "--data", str(tiny_dataset_dir), *argv, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--peak-day", "400"], "epiplan: --peak-day 400: peak_day: Input should be less than or equal to 365"),
        (["--peak-day", "5", "--wave-days", "3"], "epiplan: --wave-days 3: wave_days: expected more than peak_day (5)"),
    ],
)
def test_solve_names_the_option_the_scenario_refuses_with_exit_2(
    argv: list[str], message: str, tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p.json"
    assert main(["solve", "--data", str(tiny_dataset_dir), *argv, "--out", str(out)]) == 2
    assert message in capsys.readouterr().out
    assert not out.exists()


def test_solve_snapshot_plans_a_horizon_longer_than_the_daily_limit(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "long.yaml"
    scenario.write_text("plan: daily\nhorizon_days: 90\n", encoding="utf-8")
    out = tmp_path / "p.json"
    argv = ["solve", "--data", str(tiny_dataset_dir), "--scenario", str(scenario), "--out", str(out)]
    assert main(argv) == 2 and not out.exists()
    assert "horizon_days: the daily plan covers at most 60 days, got 90" in capsys.readouterr().out
    assert main([*argv, "--snapshot"]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert (document["scenario"]["plan"], document["scenario"]["horizon_days"]) == ("snapshot", 90)


def test_a_folder_no_file_can_be_created_in_is_found_before_solving(tmp_path: Path) -> None:
    # as root the permission bits said /proc was writable: the plan was solved, then could not be written
    assert can_create_in(tmp_path) and list(tmp_path.iterdir()) == [], "the probe file is removed"
    if Path("/proc/self").exists():
        assert not can_create_in(Path("/proc"))
        assert bad_outputs(["/proc/plan.json"]) == ["--out /proc/plan.json: cannot write into /proc"]
