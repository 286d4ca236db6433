"""The plan as a zip of CSVs, and reading such a zip back.

One CSV per table of ``planner.outputs.tables.plan_tables``, UTF-8 **with BOM** (Excel in Chinese locales
otherwise opens UTF-8 as GBK and garbles the names), CRLF line ends, plus ``plan.json`` and a Frictionless
``datapackage.json`` giving each column's type so that :func:`read_csv_zip` reads the tables back exactly.

Cells are values, never formulas. Where a reader cannot tell text from a formula, a text cell that a spreadsheet
would read as one (``planner.outputs.workbook.is_formula_like``) is prefixed with a single quote ``'`` (CSV
injection; a cell starting with ``'`` gets one more), which Excel shows; :func:`read_csv_zip` removes it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import zipfile
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.outputs.contract import plain
from planner.outputs.distinct import cell_texts
from planner.outputs.plan_json import to_json_bytes
from planner.outputs.sheets import FORMULA_PREFIXES, starting_with
from planner.outputs.tables import plan_tables
from planner.outputs.workbook import is_formula_like

if TYPE_CHECKING:
    from planner.report.plan import Plan

CSV_ESCAPE = "'"
ZIP_LEVEL = 1
"""Deflate level of the zip (zlib's fastest): the national plan's details zip takes 1.5 s less to write than at level 6
(15.5 against 17.1 s with the workbook) and is 18 % larger (20.2 against 17.1 MB)."""
CSV_ENCODING = "utf-8-sig"
"""UTF-8 with BOM: Excel in Chinese locales reads BOM-less CSV as GBK."""
CSV_CHUNK_ROWS = 100_000
"""Rows turned into CSV text at a time (:func:`write_csv`)."""
ZIP64_CELLS = 50_000_000
"""Cells of a table above which its zip entry is written as zip64 (its size is not known before it is written)."""
_FIELD_TYPES = {"boolean": "boolean", "integer": "integer", "floating": "number", "mixed-integer-float": "number"}


def escape_csv_text(text: str) -> str:
    """Prefix formula-like text (and text already starting with the escape) with ``'``."""
    return CSV_ESCAPE + text if is_formula_like(text) or text.startswith(CSV_ESCAPE) else text


def unescape_csv_text(text: str) -> str:
    """The inverse of :func:`escape_csv_text`."""
    return text[len(CSV_ESCAPE) :] if text.startswith(CSV_ESCAPE) else text


def _field_type(column: pd.Series) -> str:
    """The Frictionless type of a column: boolean, integer, number or string."""
    if pd.api.types.is_bool_dtype(column):
        return "boolean"
    if pd.api.types.is_integer_dtype(column):
        return "integer"
    if pd.api.types.is_float_dtype(column):
        return "number"
    return _FIELD_TYPES.get(pd.api.types.infer_dtype(column, skipna=True), "string")


def csv_cell(value: Any) -> str:
    """One cell as CSV text: blanks for missing, ``true``/``false``, exact numbers, escaped text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return "" if math.isnan(value) else repr(float(value))
    text = value if isinstance(value, str) else json.dumps(plain(value), ensure_ascii=False)
    return escape_csv_text(text)


def csv_column(column: pd.Series) -> list[str]:
    """A column's cells as :func:`csv_cell` writes them, a column at a time where its dtype allows (booleans,
    integers, floats and plain text without missing values); other columns cell by cell."""
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else "O"  # extension dtypes may hold pd.NA
    if kind == "b":
        return np.where(column.to_numpy(bool), "true", "false").tolist()
    if kind in "iu":
        return [str(value) for value in column.to_numpy().tolist()]
    if kind == "f":
        return ["" if value != value else repr(value) for value in column.to_numpy(np.float64).tolist()]
    values = column.tolist()
    if pd.api.types.infer_dtype(column, skipna=False) == "string":  # every cell text (a str subclass writes as one)
        for position in np.flatnonzero(starting_with(values, (*FORMULA_PREFIXES, CSV_ESCAPE))).tolist():
            values[position] = CSV_ESCAPE + values[position]
        return values
    return [csv_cell(value) for value in values]


def csv_field(text: str) -> str:
    """A cell's text as a field of a CSV row: quoted where it holds a comma, a quote or a line break (quotes
    doubled), the minimal quoting of Python's ``csv`` writer (``csv.QUOTE_MINIMAL``, CRLF rows)."""
    if "," in text or '"' in text or "\r" in text or "\n" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_fields(column: pd.Series) -> list[str]:
    """A column's cells as fields of CSV rows (:func:`csv_column`, :func:`csv_field`), each distinct value made
    once (``planner.outputs.distinct``)."""
    return cell_texts(column, lambda values: [csv_field(text) for text in csv_column(values)])


def write_csv(frame: pd.DataFrame, handle: IO[bytes]) -> None:
    """A table as UTF-8-with-BOM CSV text into ``handle``, every cell a value (minimal quoting, CRLF; the bytes
    pandas' ``to_csv`` and Python's ``csv`` writer write for the same cells, without building a frame of them),
    :data:`CSV_CHUNK_ROWS` rows at a time: memory holds one chunk's cells as text, not the table's (a national
    table of a million rows held 0.3-0.5 GB of cell strings at once)."""
    header = io.StringIO()
    csv.writer(header, lineterminator="\r\n").writerow([escape_csv_text(str(column)) for column in frame.columns])
    handle.write(header.getvalue().encode(CSV_ENCODING))  # the byte order mark, once
    for start in range(0, len(frame), CSV_CHUNK_ROWS):
        part = frame.iloc[start : start + CSV_CHUNK_ROWS]
        columns = [csv_fields(part[column]) for column in part.columns]
        if not columns:  # rows without cells write nothing
            break
        if len(columns) == 1:  # a row of one empty field is written ""
            columns = [[field or '""' for field in columns[0]]]
        rows = "\r\n".join(map(",".join, zip(*columns, strict=True)))
        handle.write((rows + "\r\n").encode("utf-8"))


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The bytes :func:`write_csv` writes for ``frame``."""
    buffer = io.BytesIO()
    write_csv(frame, buffer)
    return buffer.getvalue()


def _datapackage(tables: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """A Frictionless data package descriptor naming each CSV and its columns' types."""
    return {
        "profile": "tabular-data-package",
        "name": "epiplan-plan",
        "description": (
            "An epiplan plan (schema epiplan.plan/1, see plan.json). Text cells starting with = + - @ or ' "
            "carry one extra leading ' (spreadsheet formula escape)."
        ),
        "resources": [
            {
                "name": name,
                "path": f"{name}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": CSV_ENCODING,
                "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
                "schema": {
                    "fields": [{"name": str(c), "type": _field_type(frame[c])} for c in frame.columns],
                    "missingValues": [""],
                },
            }
            for name, frame in tables.items()
        ],
    }


def write_zip(plan: Plan, target: IO[bytes]) -> None:
    """One CSV per table, ``plan.json`` and ``datapackage.json`` into a zip file object."""
    write_tables_zip(plan_tables(plan), target, {"plan.json": to_json_bytes(plan)})


def write_tables_zip(
    tables: Mapping[str, pd.DataFrame], target: IO[bytes], extra: Mapping[str, bytes] | None = None
) -> None:
    """One CSV per table, the ``extra`` files (name -> bytes) and the tables' ``datapackage.json`` into a zip
    file object: the plan's zip, or the full tables a workbook summarises by district
    (``planner.outputs.by_district``)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as archive:
        for name, frame in tables.items():
            large = frame.size > ZIP64_CELLS  # its CSV might pass 2 GiB, which a zip entry needs zip64 for
            with archive.open(f"{name}.csv", "w", force_zip64=large) as entry:
                write_csv(frame, entry)
        for name, payload in (extra or {}).items():
            archive.writestr(name, payload)
        package = json.dumps(_datapackage(tables), ensure_ascii=False, indent=2)
        archive.writestr("datapackage.json", package.encode("utf-8"))


def to_zip_bytes(plan: Plan) -> bytes:
    """The CSV zip as bytes (for a download button)."""
    buffer = io.BytesIO()
    write_zip(plan, buffer)
    return buffer.getvalue()


def _typed_csv_column(texts: pd.Series, field_type: str) -> pd.Series:
    """A CSV column (read as text) back to its declared type."""
    if field_type == "string":
        return texts.map(unescape_csv_text).astype(object)
    any_missing = bool((texts == "").any())
    if field_type == "boolean":
        flags = texts.map({"true": True, "false": False, "": None})
        return flags.astype("boolean") if any_missing else flags.astype(bool)
    numbers = pd.to_numeric(texts.replace("", np.nan) if any_missing else texts, errors="coerce")
    if field_type == "integer":
        return numbers.astype("Int64") if any_missing else numbers.astype(np.int64)
    return numbers.astype(np.float64)


def read_csv_zip(source: bytes | str | os.PathLike[str], names: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """The tables of a plan's CSV zip, with the column types of its ``datapackage.json``.

    Text is unescaped (the formula-escape quote removed); an empty text cell
    reads back as an empty string. ``names`` restricts the tables read (all by default).
    """
    wanted = None if names is None else set(names)
    handle: Any = io.BytesIO(source) if isinstance(source, bytes) else source
    tables: dict[str, pd.DataFrame] = {}
    with zipfile.ZipFile(handle) as archive:
        package = json.loads(archive.read("datapackage.json").decode("utf-8"))
        for resource in package["resources"]:
            if wanted is not None and resource["name"] not in wanted:
                continue
            fields = resource["schema"]["fields"]
            if not fields:
                tables[resource["name"]] = pd.DataFrame()
                continue
            raw = archive.read(resource["path"])
            texts = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding=CSV_ENCODING)
            tables[resource["name"]] = pd.DataFrame(
                {
                    field["name"]: _typed_csv_column(texts.iloc[:, index], field["type"])
                    for index, field in enumerate(fields)
                },
                columns=[field["name"] for field in fields],
            )
    return tables


__all__ = [
    "CSV_ENCODING",
    "CSV_ESCAPE",
    "csv_bytes",
    "escape_csv_text",
    "read_csv_zip",
    "to_zip_bytes",
    "unescape_csv_text",
    "write_csv",
    "write_zip",
]
