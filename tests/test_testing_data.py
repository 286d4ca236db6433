"""The optional testing tables (labs, sampling_sites, districts.sampling_teams): read, checked, located errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from dataset_checks import WriteTables

from planner.dataset.io import check_dataset, read_dataset
from planner.dataset.problems import Problem
from planner.dataset.sample import generate
from planner.dataset.sample_geography import build_geography
from planner.dataset.sample_testing import add_testing
from planner.dataset.schema import empty_table


def _labs(**cells: list[str]) -> pd.DataFrame:
    columns = {"lab_id": ["L1", "L2"], "district_id": ["D1", "D2"], "lat": ["39.9", "39.95"], "lon": ["116.4", "116.3"]}
    columns["nat_tests_per_day"] = ["1000", "500"]
    return pd.DataFrame({**columns, **cells}, dtype=object)


def _errors(folder: Path) -> list[Problem]:
    _, problems = check_dataset(folder)
    return [p for p in problems if p.is_error]


def test_the_tables_are_optional_and_empty_when_absent(tiny_dataset_dir: Path) -> None:
    dataset = read_dataset(tiny_dataset_dir)
    assert dataset.labs.empty and dataset.sampling_sites.empty
    assert dataset.districts["sampling_teams"].tolist() == [0, 0]
    assert list(empty_table("labs").columns) == list(dataset.labs.columns)


def test_labs_and_candidates_are_read_typed(
    tiny_tables: dict[str, pd.DataFrame], tmp_path: Path, write_tables: WriteTables
) -> None:
    tiny_tables["labs"] = _labs()
    tiny_tables["sampling_sites"] = pd.DataFrame(
        {"site_id": ["SP1"], "street_id": ["S1"], "lat": ["39.93"], "lon": ["116.41"], "desks": ["4"]}, dtype=object
    )
    dataset = read_dataset(write_tables(tmp_path / "ok", tiny_tables))
    assert dataset.labs["nat_tests_per_day"].tolist() == [1000, 500]
    assert dataset.sampling_sites["desks"].tolist() == [4]


def test_unknown_district_negative_capacity_and_missing_coordinates_are_located(
    tiny_tables: dict[str, pd.DataFrame], tmp_path: Path, write_tables: WriteTables
) -> None:
    tiny_tables["labs"] = _labs(district_id=["D1", "D9"], nat_tests_per_day=["-5", "500"], lat=["", "39.95"])
    tiny_tables["sampling_sites"] = pd.DataFrame(
        {"site_id": ["SP1"], "street_id": ["S9"], "lat": ["39.93"], "lon": ["116.41"], "desks": ["2"]}, dtype=object
    )
    errors = _errors(write_tables(tmp_path / "bad", tiny_tables))
    located = {(p.file, p.row, p.column) for p in errors}
    assert ("labs.csv", 2, "lat") in located
    assert ("labs.csv", 2, "nat_tests_per_day") in located
    assert ("labs.csv", 3, "district_id") in located
    assert ("sampling_sites.csv", 2, "street_id") in located


def test_sample_testing_tables_are_synthetic_and_cover_every_street() -> None:
    frames = generate("city", 7)
    assert frames["labs"]["name"].str.startswith("Synthetic Lab").all()
    assert set(frames["sampling_sites"]["street_id"]) == set(frames["streets"]["street_id"])
    assert (frames["districts"]["sampling_teams"] >= 1).all()
    again = dict(frames)
    add_testing(again, build_geography(np.random.default_rng(7), "city"), 7)
    pd.testing.assert_frame_equal(again["labs"], frames["labs"])
