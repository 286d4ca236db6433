"""``epiplan solve``: exit codes, outputs, and nothing written on bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import planner.cli.solve  # noqa: F401 - registers the command
from planner.cli.main import main
from planner.outputs.schema import validate_plan_json


def test_solve_writes_every_output_and_reports_each_stage(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outs = [tmp_path / "out" / name for name in ("plan.json", "plan.xlsx", "plan.zip")]
    code = main(["solve", "--data", str(tiny_dataset_dir), "--level", "severe", *[f"--out={o}" for o in outs]])
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
    assert main(["solve", "--data", str(tiny_dataset_dir), "--out", str(tmp_path / "plan.pdf")]) == 2
    assert "expected a file ending in .json, .xlsx, .zip" in capsys.readouterr().out


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
