"""The contract of epiplan.plan/1: contract tables, JSON back to tables, round trips of random and real plans."""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import openpyxl
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from plan_fixture import make_plan_fixture

from planner.dataset.schema import DRUGS
from planner.outputs.contract import (
    CONTRACT,
    contract_frame,
    json_column,
    json_to_tables,
    json_value,
    records,
    records_text,
)
from planner.outputs.csv_zip import read_csv_zip, to_zip_bytes
from planner.outputs.plan_json import to_json_bytes
from planner.outputs.schema import validate_plan_json
from planner.outputs.tables import plan_tables
from planner.outputs.workbook import to_xlsx_bytes
from planner.report.plan import Plan


def test_json_round_trips_to_the_contract_columns(plan: Plan, document: dict[str, Any]) -> None:
    tables = plan_tables(plan)
    back = json_to_tables(json.loads(to_json_bytes(plan).decode("utf-8")))
    assert list(back) == list(CONTRACT)
    for name in CONTRACT:
        pd.testing.assert_frame_equal(back[name], contract_frame(name, tables[name]), obj=name)
    assert back["observation_assignments"]["home_id"].tolist() == ["007", "007", "H002"]
    assert back["observation_sites"]["rooms"].dtype == "int64"
    assert back["observation_sites"]["open"].dtype == bool


def test_contract_frame_of_nothing_is_empty_and_typed() -> None:
    frame = contract_frame("drugs_targets", None)
    assert list(frame.columns) == list(CONTRACT["drugs_targets"])
    assert len(frame) == 0
    assert frame["target"].dtype == "int64"


# ------------------------------------------------------------------------------------------------
# Property: random small tables round-trip through the JSON and the CSV zip
# ------------------------------------------------------------------------------------------------

ID_ALPHABET = st.sampled_from(list("0078AZaz=+-@' ,;\"\n中文区"))
ids = st.text(ID_ALPHABET, min_size=1, max_size=6)
tenths = st.integers(0, 10**6).map(lambda n: n / 10)


@st.composite
def assignment_tables(draw: st.DrawFn) -> pd.DataFrame:
    size = draw(st.integers(0, 6))
    return pd.DataFrame(
        {
            "home_id": draw(st.lists(ids, min_size=size, max_size=size)),
            "site_id": draw(st.lists(ids, min_size=size, max_size=size)),
            "group": draw(st.lists(st.sampled_from(["disabled", "other"]), min_size=size, max_size=size)),
            "persons": draw(st.lists(st.integers(0, 10**6), min_size=size, max_size=size)),
            "minutes": draw(st.lists(tenths, min_size=size, max_size=size)),
            "note": draw(st.lists(st.text(ID_ALPHABET, max_size=6), min_size=size, max_size=size)),
        }
    ).astype({"home_id": object, "site_id": object, "group": object, "note": object, "persons": "int64"})


@st.composite
def allocation_tables(draw: st.DrawFn) -> pd.DataFrame:
    size = draw(st.integers(0, 6))
    return pd.DataFrame(
        {
            "depot_id": draw(st.lists(ids, min_size=size, max_size=size)),
            "institution_id": draw(st.lists(ids, min_size=size, max_size=size)),
            "drug": draw(st.lists(st.sampled_from(DRUGS), min_size=size, max_size=size)),
            "quantity": draw(st.lists(st.integers(0, 10**9), min_size=size, max_size=size)),
            "minutes": draw(st.lists(tenths, min_size=size, max_size=size)),
        }
    ).astype({"depot_id": object, "institution_id": object, "drug": object, "quantity": "int64", "minutes": float})


BASE_PLAN = make_plan_fixture()


@settings(max_examples=25, deadline=None)
@given(assignment_tables(), allocation_tables())
def test_random_tables_round_trip_through_json_and_csv_zip(
    assignments: pd.DataFrame, allocations: pd.DataFrame
) -> None:
    observation = dataclasses.replace(
        BASE_PLAN.stage("observation"), tables={**BASE_PLAN.stage("observation").tables, "assignments": assignments}
    )
    drugs = dataclasses.replace(
        BASE_PLAN.stage("drugs"), tables={**BASE_PLAN.stage("drugs").tables, "allocations": allocations}
    )
    plan = BASE_PLAN.with_result("observation", observation).with_result("drugs", drugs)
    tables = plan_tables(plan)

    document = json.loads(to_json_bytes(plan).decode("utf-8"))
    assert validate_plan_json(document) == []
    back = json_to_tables(document)
    for name in ("observation_assignments", "drugs_allocations"):
        pd.testing.assert_frame_equal(back[name], contract_frame(name, tables[name]), obj=name)

    from_zip = read_csv_zip(to_zip_bytes(plan), names=["observation_assignments", "drugs_allocations"])
    assert list(from_zip) == ["observation_assignments", "drugs_allocations"]
    for name in ("observation_assignments", "drugs_allocations"):
        pd.testing.assert_frame_equal(from_zip[name], tables[name], obj=name)


# ------------------------------------------------------------------------------------------------
# The real pipeline's plan keeps the contract
# ------------------------------------------------------------------------------------------------


def test_pipeline_plan_of_the_tiny_dataset_validates_and_round_trips() -> None:
    from conftest import tiny_frames

    from planner.dataset.io import dataset_from_frames
    from planner.pipeline import make_plan
    from planner.rules.rules import load_rules
    from planner.rules.scenario import make_scenario

    dataset = dataset_from_frames(tiny_frames(), name="tiny")
    plan = make_plan(dataset, load_rules(), make_scenario(level="severe"), time_limit_s=5.0)
    document = json.loads(to_json_bytes(plan).decode("utf-8"))
    assert validate_plan_json(document) == []
    tables = plan_tables(plan)
    back = json_to_tables(document)
    for name in CONTRACT:
        expected = contract_frame(name, tables[name])
        pd.testing.assert_frame_equal(back[name], expected, check_exact=False, atol=0.05, obj=name)
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(plan)))
    assert workbook.sheetnames[:2] == ["Summary", "Compliance"]
    assert set(read_csv_zip(to_zip_bytes(plan))) == set(tables)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**9), 10**9)), min_size=1, max_size=8
    ),
    st.sampled_from(["id", "optional_id", "text", "count", "minutes", "number", "bool"]),
)
def test_a_column_converts_cell_by_cell_alike(cells: list[float | int], kind: str) -> None:
    texts = [pd.Series([str(c) for c in cells])] if kind in ("id", "optional_id", "text") else []
    for series in (pd.Series(cells), pd.Series(cells, dtype=float), *texts):
        if kind == "bool":
            series = series.astype(bool)
        assert json_column(series, kind) == [json_value(cell, kind) for cell in series.tolist()]  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(assignment_tables(), allocation_tables(), st.sampled_from([None, "", 'x,"y"', "中文", "\u2028"]))
def test_records_text_is_the_compact_json_of_the_records(
    assignments: pd.DataFrame, allocations: pd.DataFrame, note: str | None
) -> None:
    """The writer of large documents formats each distinct value once: the same text as ``json.dumps``."""
    if len(assignments):
        assignments = assignments.assign(site_id=[note, *assignments["site_id"].iloc[1:]])
    for name, frame in (("observation_assignments", assignments), ("drugs_allocations", allocations)):
        expected = json.dumps(records(name, frame), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        assert "[" + records_text(name, frame) + "]" == expected
