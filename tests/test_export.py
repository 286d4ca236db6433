"""Exports of a plan: the epiplan.plan/1 JSON and its schema, the workbook, the CSV zip, atomic writes."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from plan_fixture import FIXTURE_SHA256, FORMULA_TEXT, LEADING_ZERO_ID, PHONE_TEXT, make_plan_fixture

from models.base import StageResult
from planner.dataset.schema import DRUGS, LEVELS
from planner.outputs import export
from planner.outputs.export import (
    CONTRACT,
    contract_frame,
    escape_csv_text,
    json_to_tables,
    plan_json_schema,
    plan_tables,
    plan_to_json,
    read_csv_zip,
    to_json_bytes,
    to_xlsx_bytes,
    to_zip_bytes,
    unescape_csv_text,
    validate_plan_json,
    write_csv_zip,
    write_json,
    write_plan,
    write_xlsx,
)
from planner.report.plan import Plan
from planner.rules.rules import RULE_FIELDS

SCHEMA_DEFS = {
    "observation_sites": "site",
    "observation_assignments": "observation_assignment",
    "observation_unmet": "unmet",
    "ambulance_stations": "station",
    "ambulance_handshakes": "handshake",
    "nursing_needs": "nursing_need",
    "nursing_assignments": "nursing_assignment",
    "drugs_targets": "target",
    "drugs_allocations": "allocation",
    "compliance": "compliance",
    "explanations": "explanation",
    "marginal_values": "marginal_value",
}
"""Contract table -> the schema's record definition."""


@pytest.fixture(scope="module")
def plan() -> Plan:
    return make_plan_fixture()


@pytest.fixture(scope="module")
def document(plan: Plan) -> dict[str, Any]:
    return plan_to_json(plan)


@pytest.fixture(scope="module")
def workbook(plan: Plan) -> Any:
    return openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(plan)))


def _contract_records(document: dict[str, Any], name: str) -> list[dict[str, Any]]:
    stage, key = export.contract_location(name)
    rows: list[dict[str, Any]] = document[key] if stage is None else document[stage][key]
    return rows


# ------------------------------------------------------------------------------------------------
# JSON and its schema
# ------------------------------------------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(plan_json_schema())
    assert plan_json_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_follows_the_code() -> None:
    schema = plan_json_schema()
    defs = schema["$defs"]
    assert defs["drug"]["enum"] == list(DRUGS)
    assert defs["level"]["enum"] == list(LEVELS)
    assert defs["status"]["enum"] == ["optimal", "feasible", "infeasible", "error"]
    assert defs["group"]["enum"] == ["disabled", "other"]
    assert defs["need"]["enum"] == ["transfer_1to1", "backfill", "self_care"]
    assert defs["kind"]["enum"] == ["care_home", "clinic", "hospital"]
    assert schema["properties"]["rules"]["required"] == ["preset", *RULE_FIELDS, "sources"]
    for name, columns in CONTRACT.items():
        record = defs[SCHEMA_DEFS[name]]
        assert record["required"] == list(columns), name
        assert list(record["properties"]) == list(columns), name
        assert record["additionalProperties"] is False, name


def test_fixture_document_is_valid_and_dumps(document: dict[str, Any]) -> None:
    assert validate_plan_json(document) == []
    text = json.dumps(document, ensure_ascii=False, allow_nan=False)
    assert "东城区" in text
    assert json.loads(text) == document


def test_document_header_rules_and_scenario(plan: Plan, document: dict[str, Any]) -> None:
    assert document["schema"] == "epiplan.plan/1"
    assert document["dataset"] == {"name": "tiny 东城区", "sha256": FIXTURE_SHA256}
    rules = document["rules"]
    assert rules["preset"] == "beijing-2023"
    assert rules["nursing_reserve_per_resident"] == 0.1
    assert rules["care_home_drugs"] == ["antipyretic", "cough", "antigen_kit"]
    assert rules["tests_per_week_staff"] == {"normal": 2.0, "prevalent": 7.0, "severe": 7.0}
    assert rules["sources"]["nursing_reserve_per_resident"] == "000 §4 reserve"
    assert set(rules["sources"]) == set(RULE_FIELDS)
    assert document["scenario"] == plan.scenario.to_dict()
    assert document["scenario"]["closed_sites"] == ["ST2"]
    assert document["kpis"]["status"] == {
        "observation": "optimal",
        "ambulance": "optimal",
        "nursing": "optimal",
        "drugs": "optimal",
    }
    assert document["kpis"]["fill_rate_min"] == 0.6667


def test_stage_objects_carry_status_figures_and_phases(document: dict[str, Any]) -> None:
    drugs = document["drugs"]
    assert drugs["status"] == "optimal"
    assert drugs["seconds"] == 0.031
    assert drugs["objective"] == 975.0
    assert drugs["gap"] == 0.0
    assert drugs["message"] == ""
    assert drugs["phases"][0] == {
        "name": "min_fill_rate",
        "sense": "max",
        "objective": 0.6667,
        "bound": 0.6667,
        "status": "optimal",
    }


def test_records_carry_exactly_the_contract_keys(document: dict[str, Any]) -> None:
    for name, columns in CONTRACT.items():
        rows = _contract_records(document, name)
        assert rows, name
        assert all(list(row) == list(columns) for row in rows), name
    assert "name" not in document["observation"]["sites"][0]
    assert "reason" not in document["ambulance"]["handshakes"][0]
    assert "streets" not in document["observation"]


def test_records_hold_plain_typed_values(document: dict[str, Any]) -> None:
    assert document["observation"]["sites"][0] == {
        "site_id": "ST1",
        "street_id": "S1",
        "open": True,
        "rooms": 10,
        "persons": 6,
        "barrier_free": True,
    }
    assert type(document["observation"]["sites"][0]["rooms"]) is int  # was numpy int64
    assert document["observation"]["assignments"][0]["home_id"] == LEADING_ZERO_ID
    assert document["ambulance"]["handshakes"][2] == {
        "home_id": "H003",
        "station_id": "A2",
        "hospital_id": "HP1",
        "trip_minutes": 130.0,
        "daily_transfers": 0.1,
        "covered": False,
    }
    assert document["nursing"]["needs"][1]["need_id"] == "backfill:007"
    assert document["drugs"]["targets"][1]["shortfall"] == 10
    assert document["compliance"][1]["source"] == "003 三(二)10"
    assert document["explanations"][0]["zh"].startswith("养老机构H003")


def test_numbers_are_rounded_and_undefined_numbers_are_null(plan: Plan) -> None:
    assignments = plan.stage("observation").table("assignments").assign(minutes=[12.345, math.nan, 7.0])
    tables = {**plan.stage("observation").tables, "assignments": assignments}
    handshakes = (
        plan.stage("ambulance").table("handshakes").assign(hospital_id=pd.Series(["HP1", None, math.nan], dtype=object))
    )
    ambulance = dataclasses.replace(
        plan.stage("ambulance"), tables={**plan.stage("ambulance").tables, "handshakes": handshakes}
    )
    changed = plan.with_result(
        "observation", dataclasses.replace(plan.stage("observation"), tables=tables)
    ).with_result("ambulance", ambulance)
    document = plan_to_json(changed)
    assert [row["minutes"] for row in document["observation"]["assignments"]] == [12.3, None, 7.0]
    assert [row["hospital_id"] for row in document["ambulance"]["handshakes"]] == ["HP1", None, None]
    assert validate_plan_json(document) == []


def test_failed_stage_exports_null_figures_and_empty_lists(plan: Plan) -> None:
    failed = StageResult.failed("drugs", "solver crashed: 内部错误", 0.5, {})
    document = plan_to_json(plan.with_result("drugs", failed))
    assert document["drugs"]["status"] == "error"
    assert document["drugs"]["objective"] is None
    assert document["drugs"]["gap"] is None
    assert document["drugs"]["targets"] == []
    assert document["drugs"]["allocations"] == []
    assert document["drugs"]["message"] == "solver crashed: 内部错误"
    assert validate_plan_json(document) == []
    json.dumps(document, allow_nan=False)


def test_missing_contract_column_is_named(plan: Plan) -> None:
    sites = plan.stage("observation").table("sites").drop(columns=["barrier_free"])
    observation = dataclasses.replace(
        plan.stage("observation"), tables={**plan.stage("observation").tables, "sites": sites}
    )
    with pytest.raises(ValueError, match="barrier_free"):
        plan_to_json(plan.with_result("observation", observation))


def test_validation_names_every_break(document: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(document))
    broken["nursing"]["status"] = "solved"
    broken["observation"]["sites"][0]["rooms"] = 2.5
    broken["observation"]["assignments"][0]["group"] = "elderly"
    broken["drugs"]["targets"][0]["drug"] = "aspirin"
    broken["compliance"][0]["extra"] = 1
    del broken["ambulance"]["handshakes"][0]["covered"]
    errors = validate_plan_json(broken)
    assert len(errors) == 6
    joined = "\n".join(errors)
    for path in (
        "nursing/status",
        "observation/sites/0/rooms",
        "observation/assignments/0/group",
        "drugs/targets/0/drug",
        "compliance/0",
        "ambulance/handshakes/0",
    ):
        assert path in joined


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
# Tables
# ------------------------------------------------------------------------------------------------


def test_plan_tables_in_stable_order_with_full_columns(plan: Plan) -> None:
    tables = plan_tables(plan)
    assert list(tables)[:5] == ["kpis", "scenario", "rules", "stages", "phases"]
    assert list(tables)[-3:] == ["compliance", "explanations", "marginal_values"]
    assert set(CONTRACT) <= set(tables)
    assert {"observation_streets", "observation_marginal", "nursing_pools", "drugs_depots"} <= set(tables)
    sites = tables["observation_sites"]
    assert list(sites.columns[:6]) == list(CONTRACT["observation_sites"])
    assert sites["name"].tolist() == ["安定门观察点", FORMULA_TEXT]
    assert list(tables["rules"].columns) == ["field", "value", "unit", "source", "label", "label_zh"]
    assert tables["rules"]["field"].tolist() == ["preset", *RULE_FIELDS]
    kpis = dict(zip(tables["kpis"]["key"], tables["kpis"]["value"], strict=True))
    assert kpis["status.nursing"] == "optimal"
    assert kpis["unmet_persons"] == 1
    scenario = dict(zip(tables["scenario"]["key"], tables["scenario"]["value"], strict=True))
    assert scenario["closed_sites"] == '["ST2"]'
    assert tables["stages"]["status"].tolist() == ["optimal"] * 4
    assert len(tables["phases"]) == 11


def test_plan_tables_of_a_failed_stage_keep_contract_columns(plan: Plan) -> None:
    failed = StageResult.failed("drugs", "boom", 0.5, {})
    tables = plan_tables(plan.with_result("drugs", failed))
    assert list(tables["drugs_targets"].columns) == list(CONTRACT["drugs_targets"])
    assert tables["drugs_targets"].empty
    assert "drugs_depots" not in tables


# ------------------------------------------------------------------------------------------------
# Workbook
# ------------------------------------------------------------------------------------------------


def test_workbook_sheets_summary_first_then_compliance_then_tables(plan: Plan, workbook: Any) -> None:
    tables = [name for name in plan_tables(plan) if name != "compliance"]
    assert workbook.sheetnames == ["Summary", "Compliance", *tables]
    assert all(len(name) <= 31 for name in workbook.sheetnames)


def test_workbook_summary_holds_kpis_scenario_and_rules_with_sources(workbook: Any) -> None:
    cells = [cell for row in workbook["Summary"].iter_rows(values_only=True) for cell in row if cell is not None]
    for expected in ("tiny 东城区", FIXTURE_SHA256, "KPIs / 指标", "unmet_persons", "attack_rate", "000 §4 reserve"):
        assert expected in cells
    rows = list(workbook["Summary"].iter_rows(values_only=True))
    reserve = next(row for row in rows if row[0] == "nursing_reserve_per_resident")
    assert reserve[1:4] == (0.1, "nurses per care-home resident (district reserve, rounded up)", "000 §4 reserve")


def test_workbook_table_sheets_have_a_bold_frozen_header_and_sized_columns(workbook: Any) -> None:
    for name in workbook.sheetnames[1:]:
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2", name
        assert all(cell.font.bold for cell in sheet[1]), name
    width = workbook["explanations"].column_dimensions["E"].width
    assert 20 < width <= 61


def test_workbook_tables_read_back_equal(plan: Plan, workbook: Any) -> None:
    for name, frame in plan_tables(plan).items():
        sheet = workbook["Compliance" if name == "compliance" else name]
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == list(frame.columns), name
        expected = [tuple(None if export._is_missing(v) else v for v in row) for row in frame.itertuples(index=False)]
        assert rows[1:] == expected, name


def test_workbook_ids_and_formula_like_text_are_text(workbook: Any) -> None:
    home = workbook["observation_assignments"]["A2"]
    assert (home.value, home.data_type) == (LEADING_ZERO_ID, "s")
    name = workbook["observation_sites"]["J3"]
    assert (name.value, name.data_type) == (FORMULA_TEXT, "s")
    assert name.quotePrefix
    phone = workbook["ambulance_stations"]["G2"]
    assert (phone.value, phone.data_type) == (PHONE_TEXT, "s")
    assert phone.quotePrefix
    assert not workbook["observation_sites"]["A2"].quotePrefix
    formulas = [
        cell.coordinate for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.data_type == "f"
    ]
    assert formulas == []


def test_workbook_keeps_chinese(workbook: Any) -> None:
    assert workbook["explanations"]["E2"].value == "养老机构H003：1人在可达范围内无空余房间。"
    assert workbook["compliance".title()]["F3"].value == "003 三(二)10"


# ------------------------------------------------------------------------------------------------
# CSV zip
# ------------------------------------------------------------------------------------------------


def test_zip_holds_every_table_plan_json_and_datapackage(plan: Plan) -> None:
    archive = zipfile.ZipFile(io.BytesIO(to_zip_bytes(plan)))
    names = {f"{name}.csv" for name in plan_tables(plan)} | {"plan.json", "datapackage.json"}
    assert set(archive.namelist()) == names
    assert json.loads(archive.read("plan.json").decode("utf-8")) == plan_to_json(plan)
    for name in archive.namelist():
        if name.endswith(".csv"):
            assert archive.read(name).startswith(b"\xef\xbb\xbf"), name


def test_zip_csv_text_is_escaped_and_excel_friendly(plan: Plan) -> None:
    archive = zipfile.ZipFile(io.BytesIO(to_zip_bytes(plan)))
    sites = archive.read("observation_sites.csv").decode("utf-8-sig")
    assert sites.startswith("site_id,street_id,open,rooms,persons,barrier_free,")
    assert "\r\n" in sites
    assert ",'=SUM(A1)\r\n" in sites
    assert "安定门观察点" in sites
    assert "'+86 10 1234" in archive.read("ambulance_stations.csv").decode("utf-8-sig")
    plain_read = pd.read_csv(io.BytesIO(archive.read("observation_assignments.csv")), encoding="utf-8-sig", dtype=str)
    assert plain_read["home_id"].tolist() == ["007", "007", "H002"]


def test_zip_csvs_read_back_equal(plan: Plan) -> None:
    tables = plan_tables(plan)
    back = read_csv_zip(to_zip_bytes(plan))
    assert list(back) == list(tables)
    for name, frame in tables.items():
        if name in ("kpis", "scenario", "rules"):  # mixed-type value columns read back as text
            assert back[name].iloc[:, 0].tolist() == frame.iloc[:, 0].tolist(), name
            continue
        pd.testing.assert_frame_equal(back[name], frame, obj=name)
    kpis = dict(zip(back["kpis"]["key"], back["kpis"]["value"], strict=True))
    assert kpis["district_zh"] == "东城区"
    assert kpis["unmet_persons"] == "1"


def test_csv_escape_is_reversible() -> None:
    assert escape_csv_text("=SUM(A1)") == "'=SUM(A1)"
    assert escape_csv_text("+86 10 1234") == "'+86 10 1234"
    assert escape_csv_text("-1") == "'-1"
    assert escape_csv_text("@cmd") == "'@cmd"
    assert escape_csv_text("'quoted") == "''quoted"
    assert escape_csv_text("007") == "007"
    assert escape_csv_text("东城区") == "东城区"
    assert unescape_csv_text("''quoted") == "'quoted"


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=8))
def test_csv_escape_round_trips_and_never_leaves_a_formula(text: str) -> None:
    escaped = escape_csv_text(text)
    assert unescape_csv_text(escaped) == text
    assert not export.is_formula_like(escaped)


# ------------------------------------------------------------------------------------------------
# Files: suffixes and atomic writes
# ------------------------------------------------------------------------------------------------


def test_write_plan_chooses_the_format_by_suffix(plan: Plan, tmp_path: Path) -> None:
    paths = [tmp_path / "plan.json", tmp_path / "plan.XLSX", tmp_path / "plan.zip"]
    assert write_plan(plan, paths) == paths
    assert json.loads(paths[0].read_text(encoding="utf-8")) == plan_to_json(plan)
    assert openpyxl.load_workbook(paths[1]).sheetnames[0] == "Summary"
    assert "plan.json" in zipfile.ZipFile(paths[2]).namelist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.XLSX", "plan.json", "plan.zip"]
    assert paths[0].stat().st_mode & 0o777 == 0o644
    assert write_plan(plan, str(tmp_path / "one.json")) == [tmp_path / "one.json"]


def test_bad_suffix_raises_before_anything_is_written(plan: Plan, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.json, \.xlsx, \.zip"):
        write_plan(plan, [tmp_path / "plan.json", tmp_path / "plan.pdf"])
    with pytest.raises(ValueError, match=r"plan\.csv"):
        write_plan(plan, tmp_path / "plan.csv")
    assert list(tmp_path.iterdir()) == []


def test_failing_zip_write_leaves_no_file_and_no_temp_file(
    plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_csv_bytes = export._csv_bytes
    seen: list[list[str]] = []

    def fail_on_third_table(frame: pd.DataFrame) -> bytes:
        seen.append(sorted(p.name for p in tmp_path.iterdir()))
        if len(seen) == 3:
            raise OSError("disk full")
        return real_csv_bytes(frame)

    monkeypatch.setattr(export, "_csv_bytes", fail_on_third_table)
    with pytest.raises(OSError, match="disk full"):
        write_csv_zip(plan, tmp_path / "plan.zip")
    assert seen[-1] and seen[-1][0].startswith(".plan.zip.")  # the temp file existed, half written
    assert list(tmp_path.iterdir()) == []


def test_failing_xlsx_write_keeps_the_old_file(plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"old plan")
    calls: list[str] = []

    def fail_on_second_sheet(*args: Any) -> None:
        calls.append(args[2])
        if len(calls) == 2:
            raise RuntimeError("writer crashed")

    monkeypatch.setattr(export, "_write_table_sheet", fail_on_second_sheet)
    with pytest.raises(RuntimeError, match="writer crashed"):
        write_xlsx(plan, target)
    assert [p.name for p in tmp_path.iterdir()] == ["plan.xlsx"]
    assert target.read_bytes() == b"old plan"


def test_failing_json_write_leaves_nothing(plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(_plan: Plan) -> dict[str, Any]:
        raise ValueError("bad plan")

    monkeypatch.setattr(export, "plan_to_json", crash)
    with pytest.raises(ValueError, match="bad plan"):
        write_json(plan, tmp_path / "plan.json")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_removes_a_half_written_temp_file(tmp_path: Path) -> None:
    def half_then_fail(handle: Any) -> None:
        handle.write(b"half")
        handle.flush()
        assert len(list(tmp_path.iterdir())) == 1
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export._atomic_write(tmp_path / "plan.json", half_then_fail)
    assert list(tmp_path.iterdir()) == []


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
