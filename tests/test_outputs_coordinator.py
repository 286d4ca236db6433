"""``planner.outputs.coordinator``: the tables as the coordinator's workbook writes them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from planner.cli.main import main
from planner.outputs.coordinator import Naming, coordinator_table


def test_an_infinite_trip_is_a_blank_cell_and_whole_minutes_stay_whole() -> None:
    # a home no ambulance covers plans no trip (infinite minutes): the workbook failed to cast it to a whole number
    frame = pd.DataFrame({"home_id": ["H1", "H2"], "planned_minutes": [12.0, np.inf], "share": [0.5, 0.25]})
    table = coordinator_table("transfer", frame, Naming("en", {"H1": "Home one"}))
    minutes = table.iloc[:, 2]
    assert minutes.iloc[0] == 12 and pd.isna(minutes.iloc[1])


def test_a_plan_without_ambulances_writes_its_workbook(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "no-fleet.yaml"
    scenario.write_text("fleet_factor: 0\nplan: snapshot\n", encoding="utf-8")
    book = tmp_path / "plan.xlsx"
    code = main(["solve", "--data", str(tiny_dataset_dir), "--scenario", str(scenario), "--out", str(book)])
    assert code == 0, capsys.readouterr()
    assert openpyxl.load_workbook(book, read_only=True).sheetnames
