"""The drug stage's benchmark: one solve of a dataset folder, what it prints."""

from __future__ import annotations

from pathlib import Path

from tiny_plan import tiny_frames

from bench.drug_stage import STAT_NAMES, measure
from planner.dataset.io import write_dataset


def test_the_drug_stage_alone_reports_its_status_bound_and_pricing(tmp_path: Path) -> None:
    write_dataset(tiny_frames(), tmp_path)
    row = measure(str(tmp_path), level="severe", limit=5.0)
    assert row["status"] == "optimal" and row["gap"] <= 1e-6
    assert row["bound"] <= row["objective"] + 1e-6 * max(1.0, abs(row["objective"]))
    assert set(STAT_NAMES) <= set(row) and row["seconds"] > 0
