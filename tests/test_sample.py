"""Tests of planner.dataset.sample: determinism, sizes, referential integrity, depot stock, the committed sample."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sample_fixture import check_designated_reach, city, sample_frames

from planner.dataset.sample import DEPOT_STOCK_SHARE, SCALES, drug_need, generate, write_sample
from planner.dataset.sample_geography import SIZES
from planner.dataset.schema import DRUGS, TABLES

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"


def _check_foreign_keys(frames: dict[str, pd.DataFrame]) -> None:
    for name, spec in TABLES.items():
        for key in spec.foreign_keys:
            target = frames[key.table]
            if key.where is not None:
                target = target[target[key.where]]
            target_ids = set(target[TABLES[key.table].id_column])
            values = frames[name][key.column]
            unknown = set(values[values != ""]) - target_ids
            assert not unknown, f"{name}.{key.column} -> {key.table}: {sorted(unknown)[:5]}"


# --------------------------------------------------------------------------- shape and determinism


def test_unknown_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scale"):
        generate("planet")


def test_generate_is_deterministic() -> None:
    again = generate("city", 7)
    for name, frame in city().items():
        pd.testing.assert_frame_equal(frame, again[name])
    other = generate("city", 8)
    assert not other["care_homes"]["residents"].equals(city()["care_homes"]["residents"])


@pytest.mark.parametrize("scale", ["city", "province"])
def test_columns_are_the_schema_columns_and_ids_are_unique_strings(scale: str) -> None:
    frames = sample_frames(scale)
    assert list(frames) == list(TABLES)
    for name, frame in frames.items():
        spec = TABLES[name]
        assert list(frame.columns) == [c.name for c in spec.all_columns()], name
        if spec.id_column is not None:
            ids = frame[spec.id_column]
            assert all(isinstance(value, str) for value in ids), name
            assert ids.is_unique, name
    assert frames["travel_minutes"].empty
    all_ids = pd.concat([f[TABLES[n].id_column] for n, f in frames.items() if TABLES[n].id_column])
    assert all_ids.is_unique  # ids never collide across tables either (travel_minutes may mix them)


@pytest.mark.parametrize("scale", ["city", "province"])
def test_sizes_are_those_of_design_section_8(scale: str) -> None:
    size = SIZES[scale]
    frames = sample_frames(scale)
    for name, frame in frames.items():
        if name in ("travel_minutes", "labs", "sampling_sites", "forecast"):
            continue
        nominal = getattr(size, name)
        assert 0.8 * nominal <= len(frame) <= 1.2 * nominal, name
    assert SIZES["city"].streets == 330 and SIZES["national"].care_homes == 40_000


@pytest.mark.parametrize("scale", ["city", "province"])
def test_every_foreign_key_resolves(scale: str) -> None:
    _check_foreign_keys(sample_frames(scale))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_invariants_hold_for_any_seed(seed: int) -> None:
    frames = generate("city", seed)
    _check_foreign_keys(frames)
    homes = frames["care_homes"]
    assert (homes["disabled"] <= homes["residents"]).all()
    assert frames["streets"].groupby("district_id")["population"].sum().to_dict() == dict(
        zip(frames["districts"]["district_id"], frames["districts"]["population"], strict=True)
    )
    check_designated_reach(frames, street_minutes=120.0)


# --------------------------------------------------------------------------- calibration


def test_depot_stock_is_a_share_of_the_severe_need() -> None:
    frames = city()
    severe = drug_need(frames, "severe")
    prevalent = drug_need(frames, "prevalent")
    stock = frames["depots"][[f"stock_{d}" for d in DRUGS]].sum()
    for drug in DRUGS:
        assert stock[f"stock_{drug}"] == round(DEPOT_STOCK_SHARE[drug] * severe[drug])
    assert sum(stock[f"stock_{d}"] < severe[d] for d in DRUGS) >= 2  # a few drugs short at severe
    assert sum(stock[f"stock_{d}"] >= prevalent[d] for d in DRUGS) >= 2  # the others met


# --------------------------------------------------------------------------- the committed sample and io


def test_committed_sample_is_generate_city_7(tmp_path: Path) -> None:
    rows = write_sample("city", 7, tmp_path)
    assert rows == {name: len(frame) for name, frame in city().items()}
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(f"{name}.csv" for name in TABLES)
    assert sorted(p.name for p in SAMPLE_DIR.glob("*.csv")) == written
    for name in written:
        assert (SAMPLE_DIR / name).read_bytes() == (tmp_path / name).read_bytes(), f"data/sample/{name} drifted"


@pytest.mark.parametrize("scale", ["city", "province"])
def test_sample_validates_through_io(scale: str) -> None:
    io = pytest.importorskip("planner.dataset.io")
    dataset = io.dataset_from_frames(sample_frames(scale), name=scale)
    assert len(dataset.care_homes) == SIZES[scale].care_homes


def test_committed_sample_reads_back() -> None:
    io = pytest.importorskip("planner.dataset.io")
    dataset, problems = io.check_dataset(SAMPLE_DIR)
    assert dataset is not None, problems
    assert [p for p in problems if p.severity == "error"] == []
    assert dataset.care_homes["home_id"].tolist() == city()["care_homes"]["home_id"].tolist()


def test_scales_are_the_three_of_the_contract() -> None:
    assert SCALES == ("city", "province", "national")
