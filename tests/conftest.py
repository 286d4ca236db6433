"""Shared fixtures: a tiny valid dataset, as text tables and as a folder of CSV files.

The tiny dataset: 2 districts (D1, D2), 3 streets (S1, S2 in D1; S3 in D2), 3 care homes, 2 clinics,
2 hospitals (HP1 designated, level 3; HP2 not designated, level 2), 2 sites (one open and barrier-free,
one candidate), 2 ambulance stations, 2 reserve pools and 1 depot. Every cell is text, as in a CSV.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest

if TYPE_CHECKING:
    from planner.report.plan import Plan

TINY_TABLES: dict[str, dict[str, list[str]]] = {
    "districts": {
        "district_id": ["D1", "D2"],
        "name": ["Dongcheng", "Xicheng"],
        "population": ["709000", "1106000"],
        "name_zh": ["东城区", "西城区"],
        "dense": ["true", "false"],
    },
    "streets": {
        "street_id": ["S1", "S2", "S3"],
        "district_id": ["D1", "D1", "D2"],
        "name": ["Andingmen", "Jiaodaokou", "Xinjiekou"],
        "population": ["50000", "40000", "60000"],
        "lat": ["39.945", "39.935", "39.940"],
        "lon": ["116.405", "116.400", "116.370"],
        "name_zh": ["安定门街道", "交道口街道", "新街口街道"],
    },
    "care_homes": {
        "home_id": ["H001", "H002", "H003"],
        "street_id": ["S1", "S2", "S3"],
        "name": ["Sunshine Home", "Harmony Home", "Pine Home"],
        "lat": ["39.946", "39.936", "39.941"],
        "lon": ["116.406", "116.401", "116.371"],
        "residents": ["40", "100", "60"],
        "staff": ["12", "30", "20"],
        "disabled": ["10", "30", "6"],
        "partition": ["否", "是", "false"],
        "name_zh": ["阳光养老院", "和谐养老院", "松柏养老院"],
        "designated_hospital_id": ["HP1", "", ""],
        "on_hand_antipyretic": ["5", "0", "12"],
    },
    "clinics": {
        "clinic_id": ["C1", "C2"],
        "street_id": ["S1", "S3"],
        "name": ["Andingmen CHC", "Xinjiekou CHC"],
        "lat": ["39.944", "39.942"],
        "lon": ["116.404", "116.372"],
        "service_population": ["50000", "60000"],
    },
    "hospitals": {
        "hospital_id": ["HP1", "HP2"],
        "street_id": ["S2", "S3"],
        "name": ["Ditan Hospital", "Xicheng Hospital"],
        "lat": ["39.950", "39.939"],
        "lon": ["116.410", "116.365"],
        "level": ["3", "2"],
        "designated": ["true", "false"],
        "beds": ["800", "300"],
        "icu_beds": ["80", "20"],
        "daily_use_antiviral": ["2.5", ""],
    },
    "sites": {
        "site_id": ["ST1", "ST2"],
        "street_id": ["S1", "S3"],
        "name": ["Andingmen Hotel", "Xinjiekou School"],
        "lat": ["39.947", "39.943"],
        "lon": ["116.407", "116.373"],
        "rooms": ["30", "20"],
        "barrier_free": ["yes", "no"],
        "status": ["open", "candidate"],
    },
    "stations": {
        "station_id": ["A1", "A2"],
        "district_id": ["D1", "D2"],
        "name": ["Dongcheng 120", "Xicheng 120"],
        "lat": ["39.930", "39.920"],
        "lon": ["116.410", "116.360"],
        "ambulances": ["3", "2"],
        "max_ambulances": ["5", ""],
    },
    "pools": {
        "pool_id": ["P1", "P2"],
        "district_id": ["D1", "D2"],
        "name": ["Dongcheng nurses", "Xicheng nurses"],
        "lat": ["39.931", "39.921"],
        "lon": ["116.411", "116.361"],
        "nurses": ["15", "8"],
    },
    "depots": {
        "depot_id": ["W1"],
        "district_id": ["D1"],
        "name": ["Dongcheng depot"],
        "lat": ["39.925"],
        "lon": ["116.415"],
        "stock_antipyretic": ["500"],
        "stock_cough": ["300"],
    },
}
"""The tiny dataset as text columns (what the CSV files hold)."""


def tiny_frames() -> dict[str, pd.DataFrame]:
    """A fresh copy of the tiny dataset: one all-text DataFrame per table."""
    return {name: pd.DataFrame(columns, dtype=object) for name, columns in TINY_TABLES.items()}


def write_tables(folder: Path, frames: dict[str, pd.DataFrame], encoding: str = "utf-8") -> Path:
    """Write each frame verbatim to ``folder/<table>.csv`` (no validation, no conversion) and return ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False, encoding=encoding, lineterminator="\n")
    return folder


@pytest.fixture
def tiny_tables() -> dict[str, pd.DataFrame]:
    """The tiny dataset as text frames, fresh for each test (edit it to break it)."""
    return tiny_frames()


@pytest.fixture(name="write_tables")
def write_tables_fixture() -> Callable[..., Path]:
    """The :func:`write_tables` helper, for tests that build their own broken copies."""
    return write_tables


@pytest.fixture
def tiny_dataset_dir(tmp_path: Path) -> Path:
    """A folder holding the tiny valid dataset as UTF-8 CSV files."""
    return write_tables(tmp_path / "tiny", tiny_frames())


@pytest.fixture(scope="module")
def plan() -> Plan:
    """The hand-made plan of ``plan_fixture``, one per test module (the export tests read it, never change it)."""
    from plan_fixture import make_plan_fixture

    return make_plan_fixture()


@pytest.fixture(scope="module")
def document(plan: Plan) -> dict[str, Any]:
    """The ``epiplan.plan/1`` JSON document of the :func:`plan` fixture."""
    from planner.outputs.plan_json import plan_to_json

    return plan_to_json(plan)


@pytest.fixture(scope="module")
def pricing_from_the_seed() -> Iterator[None]:
    """Transportation cost phases start from the caller's seed arcs however few pairs there are, so that tiny
    instances exercise the feasibility repair and the pricing (``models.transport.EVERY_PAIR_MAX`` off)."""
    import models.transport

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(models.transport, "EVERY_PAIR_MAX", 0)
        yield
