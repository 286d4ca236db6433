"""The epiplan command line: exit codes, problem tables, summaries, and the subcommand registry."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import planner.cli.main as cli
import planner.cli.validate as validate
from planner.cli.main import Command, display_width, format_table, main, register, rules_from_argument
from planner.dataset.io import read_dataset
from planner.rules.rules import RulesError

Frames = dict[str, pd.DataFrame]
WriteTables = Callable[..., Path]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_validate_bad_data_prints_the_problem_table_and_exits_2(
    tiny_tables: Frames, tmp_path: Path, capsys: pytest.CaptureFixture[str], write_tables: WriteTables
) -> None:
    tiny_tables["care_homes"].loc[0, "disabled"] = "45"
    tiny_tables["care_homes"].loc[1, "street_id"] = "S999"
    tiny_tables["care_homes"]["colour"] = "red"
    folder = write_tables(tmp_path / "bad", tiny_tables)

    code, out, err = run(["validate", str(folder)], capsys)

    assert code == 2
    assert err == ""
    assert "Traceback" not in out
    lines = out.splitlines()
    assert lines[0] == f"{folder}: 2 error(s), 1 warning(s); nothing can be planned on this data."
    assert lines[2] == "Errors (2):"
    assert lines[3].split() == ["file", "row", "column", "problem"]
    assert lines[5].split() == ["care_homes.csv", "2", "disabled", "disabled", "(45)", ">", "residents", "(40)"]
    assert lines[6].split()[:3] == ["care_homes.csv", "3", "street_id"]
    assert lines[6].endswith("unknown street_id 'S999' (not in streets.csv)")
    assert out.index("Errors (2):") < out.index("Warnings (1):")
    assert lines[-1].endswith("unknown column 'colour' (ignored)")


def test_validate_good_data_prints_rows_totals_and_needs(
    tiny_dataset_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["validate", str(tiny_dataset_dir), "--level", "severe"], capsys)

    assert (code, err) == (0, "")
    assert out.startswith("Dataset 'tiny' is valid (sha256 ")
    assert ["care_homes", "3"] in [line.split() for line in out.splitlines()]
    assert "Care homes: 200 residents, 62 staff, 46 disabled or dementia residents" in out
    assert "Reserve nurses in pools: 23" in out
    assert "Observation rooms: 30 open, 20 candidate (0 in closed sites)" in out
    assert "Ambulances: 5" in out
    assert ["antipyretic", "500"] in [line.split() for line in out.splitlines()]
    # severe: attack rate 0.35 -> infected r(14) + r(35) + r(21) = 70; severe share 0.12 -> transfers 2 + 4 + 3 = 9
    assert "Needs at level severe (rules beijing-2023" in out
    assert "Infected residents: 70; transfers to hospital: 9" in out
    assert "Nurses required (reserve pools hold 23):" in out
    assert "nursing reserve of 10% of care-home residents" in out


def test_validate_prints_warnings_but_succeeds(
    tiny_tables: Frames, tmp_path: Path, capsys: pytest.CaptureFixture[str], write_tables: WriteTables
) -> None:
    tiny_tables["pools"]["shift"] = "day"
    code, out, _ = run(["validate", str(write_tables(tmp_path / "odd", tiny_tables))], capsys)
    assert code == 0
    assert "1 warning(s)" in out.splitlines()[0]
    assert "unknown column 'shift' (ignored)" in out


def test_validate_unknown_path_exits_2_with_one_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["validate", str(tmp_path / "missing")], capsys)
    assert (code, err) == (2, "")
    assert f"no such file or folder: {tmp_path / 'missing'}" in out
    assert "missing required table" not in out


def test_validate_unknown_rules_preset_exits_2_without_traceback(
    tiny_dataset_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["validate", str(tiny_dataset_dir), "--rules", "shanghai-2022"], capsys)
    assert code == 2
    assert "rules preset 'shanghai-2022': no such preset or file" in out
    assert "Traceback" not in out + err


def test_validate_bad_rule_override_exits_2(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("nursing_reserve_per_resident: 1.5\n", encoding="utf-8")
    code, out, _ = run(["validate", str(tiny_dataset_dir), "--rules", str(overrides)], capsys)
    assert code == 2
    assert (
        out.strip()
        == f"epiplan: rules file {overrides}: nursing_reserve_per_resident: expected a share in [0, 1], got 1.5"
    )


def test_validate_with_rule_overrides_uses_them(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("preset: containment-2021\nrules:\n  nursing_reserve_per_resident: 0.5\n", encoding="utf-8")
    code, out, _ = run(["validate", str(tiny_dataset_dir), "--rules", str(overrides)], capsys)
    assert code == 0
    assert "rules containment-2021" in out
    assert "of 50% of care-home residents" in out


def test_rules_from_argument_accepts_presets_preset_files_and_overrides(tmp_path: Path) -> None:
    assert rules_from_argument("containment-2021").preset == "containment-2021"
    preset_file = Path(cli.__file__).resolve().parents[2] / "data" / "rules" / "beijing-2023.yaml"
    assert rules_from_argument(str(preset_file)).preset == "beijing-2023"
    overrides = tmp_path / "o.yml"
    overrides.write_text("icu_share_min: 0.2\n", encoding="utf-8")
    rules = rules_from_argument(str(overrides))
    assert (rules.preset, rules.icu_share_min) == ("beijing-2023", 0.2)
    with pytest.raises(RulesError, match="no such file"):
        rules_from_argument(str(tmp_path / "absent.yaml"))
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(RulesError, match="expected a mapping"):
        rules_from_argument(str(tmp_path / "list.yaml"))


def test_usage_errors_exit_2_and_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "x", "--level", "extreme"]) == 2
    assert "invalid choice: 'extreme'" in capsys.readouterr().err
    assert main([]) == 2
    assert main(["--help"]) == 0
    help_text = capsys.readouterr().out
    assert "validate" in help_text and "sample" in help_text


def test_internal_error_is_one_line_on_stderr_and_exit_1(
    tiny_dataset_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(path: object) -> None:
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(validate, "check_dataset", broken)
    code, out, err = run(["validate", str(tiny_dataset_dir)], capsys)
    assert (code, out) == (1, "")
    assert err == "epiplan: internal error: RuntimeError: disk on fire (run with --debug for details)\n"

    code, _, err = run(["validate", str(tiny_dataset_dir), "--debug"], capsys)
    assert code == 1
    assert err.startswith("Traceback (most recent call last):") and "RuntimeError: disk on fire" in err


def test_a_registered_command_runs_through_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--times", type=int, default=1)

    def run_echo(args: argparse.Namespace) -> int:
        print("echo " * args.times)
        return 3

    monkeypatch.setattr(cli, "_COMMANDS", dict(cli._COMMANDS))
    register(Command("echo", "repeat a word", add_arguments, run_echo))
    assert main(["echo", "--times", "2"]) == 3
    assert capsys.readouterr().out == "echo echo \n"
    assert {"sample", "validate", "solve", "template"} <= {c.name for c in cli.commands()}


def test_sample_writes_a_dataset_that_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "city"
    code, out, err = run(["sample", "--scale", "city", "--seed", "3", "--out", str(out_dir)], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == f"Wrote the synthetic city dataset (seed 3) to {out_dir}:"
    dataset = read_dataset(out_dir)
    homes_line = next(line for line in out.splitlines() if line.startswith("care_homes"))
    assert homes_line.split()[1].replace(",", "") == str(len(dataset.care_homes))
    assert main(["validate", str(out_dir)]) == 0


def test_format_table_aligns_chinese_by_display_width() -> None:
    table = format_table(("name", "rows"), [("东城区", 2), ("abc", 1_234)], right=(1,))
    assert table.splitlines() == ["name     rows", "------  -----", "东城区      2", "abc     1,234"]
    assert display_width("东城区") == 6


def test_python_dash_m_runs_the_cli(tiny_dataset_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "planner.cli.main", "validate", str(tiny_dataset_dir / "nowhere")],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(cli.__file__).resolve().parents[2],
    )
    assert result.returncode == 2
    assert "no such file or folder" in result.stdout


def test_a_level_for_an_unknown_district_is_refused_before_solving(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "graded.yaml"
    scenario.write_text("level: prevalent\ndistrict_levels:\n  NOPE: severe\n", encoding="utf-8")
    out = tmp_path / "plan.json"
    code = main(["solve", "--data", str(tiny_dataset_dir), "--scenario", str(scenario), "--out", str(out)])
    assert code == 2 and not out.exists()
    assert "district_levels.NOPE: unknown district" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("option", "text", "message"),
    [
        ("--scenario", "1: 2\n", "1: not a scenario knob (a knob's name is text)"),
        ("--scenario", "attack_rate: .nan\n", "attack_rate: expected a share in [0, 1], got nan"),
        (
            "--rules",
            "persons_per_room: {value: 2, clauses: 5}\nhospital_stay_days: 3\n",
            "persons_per_room.clauses: expected a list of clause ids (text), got 5",
        ),
        ("--rules", "persons_per_room: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
        # a room for nobody placed every person unmet without a word
        ("--rules", "persons_per_room: 0\n", "persons_per_room: expected a whole number >= 1, got 0"),
        ("--scenario", "rule_overrides: {persons_per_room: 0}\n", "persons_per_room: expected a whole number >= 1"),
    ],
)
def test_hostile_scenario_and_rules_files_exit_2_naming_file_and_key(
    option: str, text: str, message: str, tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # each crashed with an internal error (exit 1) before: a key that is not text, clauses that are not a list,
    # YAML nested 5,000 deep; and a knob's error did not name the scenario file
    file = tmp_path / "hostile.yaml"
    file.write_text(text, encoding="utf-8")
    out_file = tmp_path / "plan.json"
    code, out, err = run(["solve", "--data", str(tiny_dataset_dir), option, str(file), "--out", str(out_file)], capsys)
    assert code == 2 and not err and not out_file.exists()
    assert f"{file}" in out and message in out


def test_a_name_longer_than_the_system_allows_and_a_negative_seed_exit_2(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long = tmp_path / ("a" * 300 + ".json")
    code, out, err = run(["solve", "--data", str(tiny_dataset_dir), "--out", str(long)], capsys)
    assert code == 2 and not err and "a file or folder name longer than the system allows (255 bytes)" in out
    code, out, _ = run(["validate", str(tmp_path / ("b" * 300))], capsys)
    assert code == 2 and "longer than the system allows" in out
    code, out, _ = run(["sample", "--seed", "-1", "--out", str(tmp_path / "sample")], capsys)
    assert code == 2 and "--seed: expected a whole number >= 0, got -1" in out
    assert not (tmp_path / "sample").exists()


def test_a_dataset_too_dense_to_plan_exits_2_without_solving(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a valid dataset with every home and site at one spot ran out of memory (exit 1) after 3 minutes
    import planner.dataset.limits

    monkeypatch.setattr(planner.dataset.limits, "PAIRS_MAX", 1)
    out_file = tmp_path / "plan.json"
    code, out, err = run(["solve", "--data", str(tiny_dataset_dir), "--snapshot", "--out", str(out_file)], capsys)
    assert code == 2 and not err and not out_file.exists()
    # the stages solved side by side each list their pairs: whichever lane comes first names its own
    too_many = ("care homes -> sites within 120 min", "stations -> care homes of their district")
    assert any(pairs in out for pairs in too_many) and "pairs, above the 1 a plan lists" in out


def test_the_stage_table_names_the_first_phase_not_proven_with_its_gap() -> None:
    """A stage's figures are its last phase's; the table also names the first phase short of its bound."""
    from types import SimpleNamespace

    from models.base import Phase, StageResult, Status
    from planner.cli.solve import open_phase, stage_table

    phases = [
        Phase("transfers_covered", "max", 7131.0, 8053.0, Status.FEASIBLE),
        Phase("moves", "min", 478.0, 474.0, Status.FEASIBLE),
    ]
    short = StageResult.from_phases("ambulance", phases, {}, 1.0)
    proven = StageResult.from_phases("drugs", [Phase("shortfall", "min", 5.0, 5.0, Status.OPTIMAL)], {}, 1.0)
    assert open_phase(short) == "transfers_covered 12.93%" and open_phase(proven) == ""
    table = stage_table(SimpleNamespace(stages=lambda: {"ambulance": short, "drugs": proven}))
    assert "first phase not proven" in table and "transfers_covered 12.93%" in table and "0.84%" in table
