"""Read, validate and write a district dataset (DESIGN §3): the public entry points.

A dataset comes as a folder of CSV files (``<table>.csv``), one ``.xlsx`` workbook with one sheet per table,
or a ``.zip`` of CSV files. Reading is two-step: every cell is first read as text
(:mod:`planner.dataset.reading`), then each column is converted by its kind and the tables are checked
(:mod:`planner.dataset.validation`). Every problem found is a :class:`~planner.dataset.problems.Problem`;
errors stop the dataset from being used (:func:`read_dataset` raises
:class:`~planner.dataset.problems.DatasetError`), warnings report what is merely odd.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from planner.dataset.problems import DatasetError, Problem
from planner.dataset.reading import read_path, read_upload, source_from_frames
from planner.dataset.schema import TABLES, Dataset
from planner.dataset.validation import validate


def check_dataset(path: str | Path) -> tuple[Dataset | None, list[Problem]]:
    """Read and validate a dataset without raising.

    Parameters
    ----------
    path
        A folder of ``<table>.csv`` files, an ``.xlsx`` workbook (one sheet per
        table) or a ``.zip`` of CSV files.

    Returns
    -------
    (Dataset or None, problems)
        The dataset is ``None`` when any problem is an error. Problems list
        errors first, then warnings.
    """
    return validate(read_path(Path(path)))


def check_upload(data: bytes, filename: str) -> tuple[Dataset | None, list[Problem]]:
    """Like :func:`check_dataset` for an uploaded ``.zip`` or ``.xlsx`` held in memory."""
    return validate(read_upload(data, filename))


def read_dataset(path: str | Path) -> Dataset:
    """Read and validate a dataset; raise :class:`DatasetError` listing every problem when any is an error."""
    dataset, problems = check_dataset(path)
    if dataset is None:
        raise DatasetError(problems)
    return dataset


def dataset_from_frames(frames: Mapping[str, pd.DataFrame], name: str = "dataset") -> Dataset:
    """Validate in-memory tables (typed or text) exactly as files are validated.

    Problems name the table (``care_homes``) as the file; rows are numbered as
    in the CSV the frame would be written to (first row = 2).
    """
    dataset, problems = validate(source_from_frames(frames, name))
    if dataset is None:
        raise DatasetError(problems)
    return dataset


def _ordered_columns(name: str, frame: pd.DataFrame) -> list[str]:
    """Known columns in spec order, then any extra columns as they come."""
    spec = TABLES.get(name)
    known = [c.name for c in spec.all_columns()] if spec else []
    return [c for c in known if c in frame.columns] + [c for c in frame.columns if c not in known]


def _frame_for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_bool_dtype(out[column].dtype) and not out[column].isna().any():
            out[column] = np.where(out[column].to_numpy(dtype=bool), "true", "false")
    return out


def write_dataset(
    frames_or_dataset: Dataset | Mapping[str, pd.DataFrame], folder: str | Path, encoding: str = "utf-8"
) -> None:
    """Write one ``<table>.csv`` per table (booleans as ``true``/``false``, floats exactly).

    Parameters
    ----------
    frames_or_dataset
        A :class:`Dataset` or tables by name. An empty optional table
        (``travel_minutes``) is not written.
    folder
        Created when missing.
    encoding
        ``"utf-8"`` (default), ``"utf-8-sig"`` (with BOM, what Excel likes) or ``"gb18030"``.
    """
    tables = frames_or_dataset.tables() if isinstance(frames_or_dataset, Dataset) else dict(frames_or_dataset)
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        spec = TABLES.get(name)
        if spec is not None and not spec.required and frame.empty:
            continue
        out = _frame_for_csv(frame[_ordered_columns(name, frame)])
        out.to_csv(target / f"{name}.csv", index=False, encoding=encoding, lineterminator="\n")


__all__ = ["check_dataset", "check_upload", "dataset_from_frames", "read_dataset", "write_dataset"]
