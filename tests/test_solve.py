"""``epiplan solve``: exit codes, outputs, and nothing written on bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest

import planner.cli.solve  # noqa: F401 - registers the command
from planner.cli.main import main
from planner.outputs.schema import validate_plan_json
from planner.stages.registry import STAGE_NAMES


def test_solve_writes_every_output_and_reports_each_stage(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outs = [tmp_path / "out" / name for name in ("plan.json", "plan.xlsx", "plan.zip")]
    args = ["solve", "--data", str(tiny_dataset_dir), "--level", "severe", *[f"--out={o}" for o in outs]]
    assert main(args) == 2, "the folder out/ does not exist"
    assert "the folder" in capsys.readouterr().out and not (tmp_path / "out").exists()
    code = main([*args, "--mkdir"])
    text = capsys.readouterr().out
    assert code == 0
    for stage in ("observation", "ambulance", "nursing", "drugs"):
        assert re.search(rf"^{stage} +optimal ", text, flags=re.MULTILINE), stage
    assert all(o.is_file() for o in outs)
    doc = json.loads(outs[0].read_text(encoding="utf-8"))
    assert validate_plan_json(doc) == []
    assert doc["scenario"]["level"] == "severe"


def test_bad_data_gives_exit_2_the_problem_table_and_no_file(
    tiny_tables: dict, write_tables, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tiny_tables["care_homes"].loc[0, "disabled"] = "45"
    folder = write_tables(tmp_path / "bad", tiny_tables)
    out = tmp_path / "plan.json"
    assert main(["solve", "--data", str(folder), "--out", str(out)]) == 2
    text = capsys.readouterr().out
    assert "care_homes.csv" in text and "disabled (45) > residents (40)" in text
    assert "Traceback" not in text
    assert not out.exists() and list(tmp_path.glob("plan*")) == []


def test_a_bad_output_suffix_is_refused_before_solving(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["solve", "--data", str(tiny_dataset_dir), "--out", str(tmp_path / "plan.txt")]) == 2
    assert "expected a file ending in .json, .xlsx, .zip, .pdf" in capsys.readouterr().out


def test_scenario_file_with_level_override(tiny_dataset_dir: Path, tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("level: normal\nstock_factor: 0.5\n", encoding="utf-8")
    out = tmp_path / "plan.json"
    assert (
        main(
            [
                "solve",
                "--data",
                str(tiny_dataset_dir),
                "--scenario",
                str(scenario),
                "--level",
                "severe",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    knobs = json.loads(out.read_text(encoding="utf-8"))["scenario"]
    assert (knobs["level"], knobs["stock_factor"], knobs["attack_rate"]) == ("severe", 0.5, 0.35)


def test_bad_rules_override_is_a_bad_input(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text("icu_share_min: 1.5\n", encoding="utf-8")
    assert main(["solve", "--data", str(tiny_dataset_dir), "--rules", str(rules)]) == 2
    assert "icu_share_min: expected a share in [0, 1], got 1.5" in capsys.readouterr().out


def test_out_into_a_missing_folder_is_a_located_error(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "deeper" / "plan.json"
    assert main(["solve", "--data", str(tiny_dataset_dir), "--out", str(missing)]) == 2
    text = capsys.readouterr().out
    assert f"--out {missing}: the folder {missing.parent} does not exist (add --mkdir to create it)" in text
    assert not (tmp_path / "nowhere").exists()


def test_the_chinese_workbook_and_the_key_figures_as_a_table(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "plan.xlsx"
    assert main(["solve", "--data", str(tiny_dataset_dir), "--lang", "zh", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "{" not in text, "tables, not Python dicts"
    assert re.search(r"^未满足护理需求：顶岗 +\d", text, flags=re.MULTILINE)
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames[:2] == ["概要", "合规检查"]


def test_a_district_part_of_the_plan(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "d2.json"
    assert main(["solve", "--data", str(tiny_dataset_dir), "--district", "D2", "--out", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert validate_plan_json(doc) == []
    homes = {row["home_id"] for row in doc["ambulance"]["handshakes"]}
    assert homes == {"H003"}, "the one care home of Xicheng"
    assert main(["solve", "--data", str(tiny_dataset_dir), "--district", "D9"]) == 2
    assert "--district D9: no such district (districts: D1, D2)" in capsys.readouterr().out


def test_one_lane_solves_the_same_plan_and_other_lanes_are_refused(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plans = []
    for lanes in ("1", "2"):
        out = tmp_path / f"plan-{lanes}.json"
        assert main(["solve", "--data", str(tiny_dataset_dir), "--snapshot", "--lanes", lanes, "--out", str(out)]) == 0
        document = json.loads(out.read_text(encoding="utf-8"))
        plans.append({name: document[name]["objective"] for name in STAGE_NAMES})
    assert plans[0] == plans[1]
    capsys.readouterr()
    assert main(["solve", "--data", str(tiny_dataset_dir), "--lanes", "3", "--out", str(tmp_path / "x.json")]) == 2
    assert "argument --lanes: invalid choice: 3" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_a_stage_time_limit_reaches_that_stage_alone(
    tiny_dataset_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import planner.stages.base as stage_base

    limits: dict[str, float] = {}
    solved = stage_base.Stage.solved

    def noted(self: stage_base.Stage, context: object, options: object) -> object:  # type: ignore[type-arg]
        limits[self.name] = options.for_stage(self.name).time_limit_s  # type: ignore[attr-defined]
        return solved(self, context, options)  # type: ignore[arg-type]

    monkeypatch.setattr(stage_base.Stage, "solved", noted)  # one lane: every stage is solved in this process
    out = tmp_path / "plan.json"
    args = ["solve", "--data", str(tiny_dataset_dir), "--lanes", "1", "--time-limit", "4", "--out", str(out)]
    assert main([*args, "--stage-time-limit", "observation=30", "--stage-time-limit", "drugs=2"]) == 0
    assert limits == {"observation": 30.0, "ambulance": 4.0, "nursing": 4.0, "drugs": 2.0, "testing": 4.0}
    capsys.readouterr()
    assert main([*args, "--stage-time-limit", "observatio=30"]) == 2
    assert "expected STAGE=S with STAGE one of observation, ambulance" in capsys.readouterr().err
