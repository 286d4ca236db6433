"""The public entry points: a dataset read into typed frames, frames validated like files, written and read back."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dataset_checks import Frames, WriteTables, assert_same_tables, set_cell
from dataset_strategies import tiny_datasets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.dataset.io import check_dataset, dataset_from_frames, read_dataset, write_dataset
from planner.dataset.problems import DatasetError, Problem
from planner.dataset.schema import DRUGS, TABLES

# --------------------------------------------------------------------------- the valid tiny dataset


def test_tiny_dataset_reads_into_typed_frames_in_spec_order(tiny_dataset_dir: Path) -> None:
    dataset, problems = check_dataset(tiny_dataset_dir)

    assert problems == []
    assert dataset is not None
    assert dataset.name == "tiny"
    assert dataset.sha256 == dataset.content_hash() and len(dataset.sha256) == 64
    for name, spec in TABLES.items():
        assert list(dataset.table(name).columns) == [c.name for c in spec.all_columns()]
    homes = dataset.care_homes
    assert homes["home_id"].tolist() == ["H001", "H002", "H003"]
    assert homes["residents"].dtype == np.int64 and homes["residents"].tolist() == [40, 100, 60]
    assert homes["partition"].dtype == bool and homes["partition"].tolist() == [False, True, False]  # 否, 是, false
    assert homes["lat"].dtype == np.float64
    assert homes["designated_hospital_id"].tolist() == ["HP1", "", ""]
    assert homes["new_admissions"].tolist() == [0, 0, 0]  # absent optional column -> default
    assert homes["on_hand_antipyretic"].tolist() == [5, 0, 12]
    assert homes["name_zh"].tolist() == ["阳光养老院", "和谐养老院", "松柏养老院"]
    assert dataset.districts["speed_kmh"].tolist() == [30.0, 30.0]
    assert dataset.hospitals["level"].dtype == np.int64
    assert dataset.hospitals["daily_use_antiviral"].tolist() == [2.5, 0.0]  # empty optional cell -> default
    assert dataset.sites["status"].tolist() == ["open", "candidate"]
    assert dataset.stations["max_ambulances"].dtype == "Int64"
    assert dataset.stations["max_ambulances"].isna().tolist() == [False, True]
    assert dataset.travel_minutes.empty and list(dataset.travel_minutes.columns) == ["from_id", "to_id", "minutes"]


def test_read_dataset_returns_the_dataset_and_raises_on_errors(tiny_dataset_dir: Path, tmp_path: Path) -> None:
    assert read_dataset(tiny_dataset_dir).care_homes.shape[0] == 3
    with pytest.raises(DatasetError) as raised:
        read_dataset(tmp_path / "nowhere")
    assert raised.value.problems == [Problem("nowhere", None, None, f"no such file or folder: {tmp_path / 'nowhere'}")]


def test_same_content_same_hash_and_any_change_changes_it(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    first = read_dataset(write_tables(tmp_path / "a", tiny_tables))
    second = read_dataset(write_tables(tmp_path / "b", tiny_tables))
    set_cell(tiny_tables, "pools", 1, "nurses", "9")
    changed = read_dataset(write_tables(tmp_path / "c", tiny_tables))
    assert first.sha256 == second.sha256 != changed.sha256


# --------------------------------------------------------------------------- frames in memory


def test_dataset_from_frames_validates_like_files(tiny_tables: Frames, tiny_dataset_dir: Path) -> None:
    assert_same_tables(read_dataset(tiny_dataset_dir), dataset_from_frames(tiny_tables, name="tiny"))
    set_cell(tiny_tables, "care_homes", 1, "street_id", "S999")
    with pytest.raises(DatasetError) as raised:
        dataset_from_frames(tiny_tables)
    assert raised.value.problems == [Problem("care_homes", 3, "street_id", "unknown street_id 'S999' (not in streets)")]


def test_dataset_from_typed_frames_is_the_same_dataset(tiny_dataset_dir: Path) -> None:
    dataset = read_dataset(tiny_dataset_dir)
    assert_same_tables(dataset, dataset_from_frames(dataset.tables(), name="copy"))


# --------------------------------------------------------------------------- writing


def test_write_dataset_in_gb18030_reads_back_the_same(tiny_dataset_dir: Path, tmp_path: Path) -> None:
    dataset = read_dataset(tiny_dataset_dir)
    write_dataset(dataset, tmp_path / "gb", encoding="gb18030")
    assert "东城区".encode("gb18030") in (tmp_path / "gb" / "districts.csv").read_bytes()
    assert_same_tables(dataset, read_dataset(tmp_path / "gb"))


def test_write_dataset_skips_empty_optional_tables_and_keeps_spec_order(tiny_dataset_dir: Path, tmp_path: Path) -> None:
    dataset = read_dataset(tiny_dataset_dir)
    write_dataset(dataset, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{name}.csv" for name, spec in TABLES.items() if spec.required
    )
    header = (tmp_path / "out" / "depots.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(
        ["depot_id", "district_id", "name", "lat", "lon", "name_zh"] + [f"stock_{d}" for d in DRUGS]
    )
    with (tmp_path / "out" / "care_homes.csv").open(encoding="utf-8", newline="") as handle:
        partition = [row["partition"] for row in csv.DictReader(handle)]
    assert partition == ["false", "true", "false"]


# --------------------------------------------------------------------------- property: write -> read round trip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_datasets(), st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_any_valid_dataset_round_trips_through_csv(frames: dict[str, pd.DataFrame], encoding: str) -> None:
    dataset = dataset_from_frames(frames, name="random")
    with tempfile.TemporaryDirectory() as folder:
        write_dataset(dataset, folder, encoding=encoding)
        again = read_dataset(folder)
    assert_same_tables(dataset, again)
    for name in ("care_homes", "stations"):
        pd.testing.assert_series_equal(
            dataset.table(name).iloc[:, 0], frames[name].iloc[:, 0].astype(object), check_names=False
        )
