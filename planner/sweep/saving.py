"""Saving a sweep: its tables as Parquet, CSV or one xlsx workbook, and reading them back."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from planner.outputs.csv_zip import escape_csv_text
from planner.sweep.results import SweepResult, SweepSummary, summarize
from planner.sweep.vocabulary import SweepError

SWEEP_SUFFIXES: tuple[str, ...] = (".parquet", ".csv", ".xlsx")
RESULT_TABLES: tuple[str, ...] = (
    "scenarios",
    "entities",
    "bindings",
    "marginal",
    "kpi_summary",
    "stress_points",
    "marginal_summary",
)
"""The tables a saved sweep holds: ``scenarios`` in the named file (first sheet of a workbook), the others in
``<stem>.<table><suffix>`` next to it (further sheets of a workbook)."""


def result_tables(result: SweepResult, summary: SweepSummary | None = None) -> dict[str, pd.DataFrame]:
    """Every table of a sweep and its summary, by name (:data:`RESULT_TABLES`)."""
    summary = summary or summarize(result)
    return {
        "scenarios": result.scenarios,
        "entities": result.entities,
        "bindings": result.bindings,
        "marginal": result.marginal,
        "kpi_summary": summary.kpis,
        "stress_points": summary.stress_points,
        "marginal_summary": summary.marginal_values,
    }


def table_paths(path: str | Path) -> dict[str, Path]:
    """Where each table of a sweep saved as ``path`` goes (a workbook keeps them all in ``path``)."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in SWEEP_SUFFIXES:
        raise SweepError([f"{path}: expected a .parquet, .csv or .xlsx file name"])
    if suffix == ".xlsx":
        return dict.fromkeys(RESULT_TABLES, target)
    stem = target.name[: -len(target.suffix)]
    return {
        name: target if name == "scenarios" else target.with_name(f"{stem}.{name}{target.suffix}")
        for name in RESULT_TABLES
    }


def save_sweep(result: SweepResult, path: str | Path, summary: SweepSummary | None = None) -> list[Path]:
    """Write the sweep's tables as Parquet, CSV (UTF-8 with BOM, formula-like text escaped) or one xlsx
    workbook, chosen by ``path``'s suffix; returns the files written."""
    tables = result_tables(result, summary)
    paths = table_paths(path)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = target.suffix.lower()
    if suffix == ".xlsx":
        _write_workbook(tables, target)
        return [target]
    for name, frame in tables.items():
        if suffix == ".parquet":
            _parquet_ready(frame).to_parquet(paths[name], index=False)
        else:
            _csv_ready(frame).to_csv(paths[name], index=False, encoding="utf-8-sig")
    return [paths[name] for name in tables]


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [str(c) for c in frame.columns if frame[c].dtype == object]


def _parquet_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding mixed values (a grid of numbers and text) as text, so Arrow can type them."""
    ready = frame.copy()
    for column in _text_columns(ready):
        kinds = {type(v) for v in ready[column].dropna()}
        if len(kinds) > 1:
            ready[column] = ready[column].map(lambda v: v if v is None or pd.isna(v) else str(v))
    return ready


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    ready = frame.copy()
    for column in _text_columns(ready):
        ready[column] = ready[column].map(lambda v: escape_csv_text(v) if isinstance(v, str) else v)
    return ready


def _write_workbook(tables: Mapping[str, pd.DataFrame], target: Path) -> None:
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with pd.ExcelWriter(target, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        for name, frame in tables.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            writer.sheets[name].freeze_panes(1, 0)


def read_sweep(path: str | Path) -> dict[str, pd.DataFrame]:
    """The tables of a sweep saved by :func:`save_sweep` (those present), by name."""
    paths = table_paths(path)
    suffix = Path(path).suffix.lower()
    if suffix == ".xlsx":
        sheets: dict[str, pd.DataFrame] = pd.read_excel(path, sheet_name=None)
        return {name: sheets[name] for name in RESULT_TABLES if name in sheets}
    tables = {}
    for name, file in paths.items():
        if file.is_file():
            tables[name] = pd.read_parquet(file) if suffix == ".parquet" else pd.read_csv(file, encoding="utf-8-sig")
    return tables


__all__ = ["RESULT_TABLES", "read_sweep", "result_tables", "save_sweep", "table_paths"]
