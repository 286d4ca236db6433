"""The plan's zip of CSVs: contents, escaping, reading back."""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile

import pandas as pd
import pytest
from column_strategies import column_cells
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.outputs import csv_zip
from planner.outputs.csv_zip import (
    csv_bytes,
    csv_cell,
    csv_column,
    escape_csv_text,
    read_csv_zip,
    to_zip_bytes,
    unescape_csv_text,
)
from planner.outputs.plan_json import plan_to_json
from planner.outputs.tables import plan_tables
from planner.outputs.workbook import is_formula_like
from planner.report.plan import Plan


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
    assert not is_formula_like(escaped)


@settings(max_examples=150, deadline=None)
@given(column_cells())
def test_a_column_at_a_time_writes_what_each_cell_writes(values: list[object]) -> None:
    for column in (pd.Series(values), pd.Series(values, dtype=object)):
        assert csv_column(column) == [csv_cell(value) for value in column.tolist()]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=8), st.integers(-5, 5)), min_size=0, max_size=12),
    st.integers(1, 5),
)
def test_rows_written_a_chunk_at_a_time_are_the_table_written_at_once(values: list[object], chunk: int) -> None:
    """A chunk's column may be all text where the table's is not (a None in another chunk): the cells read
    the same either way, and the byte order mark comes once."""
    frame = pd.DataFrame({"mixed": values, "number": [float(i) / 3 for i in range(len(values))], "=id": "x"})
    whole = csv_bytes(frame)
    assert whole.startswith(codecs.BOM_UTF8 + b"mixed,number,'=id\r\n")
    assert whole.count(b"\r\n") == len(values) + 1 + sum(
        1 for v in values if isinstance(v, str) for _ in v.split("\r\n")[1:]
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csv_zip, "CSV_CHUNK_ROWS", chunk)
        chunked = csv_bytes(frame)
    assert chunked == whole and chunked.count(codecs.BOM_UTF8) == 1


def _csv_module_rows(frame: pd.DataFrame) -> bytes:
    """The rows Python's ``csv`` writer writes for the cells of ``frame`` (minimal quoting, CRLF)."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(zip(*[csv_column(frame[c]) for c in frame.columns], strict=True))
    return text.getvalue().encode("utf-8")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.text(alphabet=st.sampled_from("ab,\"\r\n ='中 "), max_size=5), max_size=8),
    st.lists(st.one_of(st.none(), st.floats(allow_nan=True), st.text(max_size=3)), max_size=8),
)
def test_rows_are_the_bytes_the_csv_module_writes(texts: list[str], others: list[object]) -> None:
    """Quoting is the ``csv`` module's (a comma, quote or line break quotes a field; quotes doubled), also for a
    table of one column (an empty field alone on its row is written ``""``)."""
    size = min(len(texts), len(others))
    frames = [
        pd.DataFrame({"text": texts[:size], "other": pd.Series(others[:size], dtype=object)}),
        pd.DataFrame({"text": texts}),
        pd.DataFrame({"number": [float(len(text)) / 3 for text in texts], "text": texts}),
    ]
    for frame in frames:
        header_end = csv_bytes(frame).index(b"\r\n") + 2
        assert csv_bytes(frame)[header_end:] == _csv_module_rows(frame)


def test_a_table_of_rows_without_cells_writes_its_header_only() -> None:
    assert csv_bytes(pd.DataFrame(index=range(3))) == codecs.BOM_UTF8 + b"\r\n"
