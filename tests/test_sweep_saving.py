"""Saving a sweep: Parquet, CSV and xlsx written and read back, formula-like text escaped in CSV."""

from __future__ import annotations

from pathlib import Path

import pytest
from sweep_fixture import hand_result

from planner.sweep.saving import RESULT_TABLES, read_sweep, save_sweep
from planner.sweep.vocabulary import SweepError


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".xlsx"])
def test_save_and_read_back(tmp_path: Path, suffix: str) -> None:
    result = hand_result()
    written = save_sweep(result, tmp_path / f"out{suffix}")
    tables = read_sweep(tmp_path / f"out{suffix}")
    assert set(tables) == set(RESULT_TABLES)
    assert len(written) == (1 if suffix == ".xlsx" else len(RESULT_TABLES))
    scenarios = tables["scenarios"]
    assert scenarios["scenario"].tolist() == [0, 1, 2, 3, 4]
    assert scenarios["status"].tolist() == ["ok", "ok", "ok", "time_limit", "error"]
    assert scenarios["covered_share"].iloc[:4].tolist() == pytest.approx([0.5, 0.75, 1.0, 0.25])
    message = scenarios["message"].iloc[4]
    assert message == ("'=boom()" if suffix == ".csv" else "=boom()")
    assert tables["entities"]["scenarios"].tolist() == [3, 1, 1]
    if suffix == ".csv":
        assert tables["stress_points"]["entity_id"].tolist()[1:] == ["W1", "'=S1"]


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SweepError, match=r"expected a \.parquet, \.csv or \.xlsx"):
        save_sweep(hand_result(), tmp_path / "out.json")
