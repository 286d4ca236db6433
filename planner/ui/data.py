"""Which dataset is planned: the committed sample city, or an uploaded workbook / zip of CSVs.

An upload is validated once per file content (kept in the session by its
SHA-256); a dataset with errors yields ``(None, problems)`` and is never solved.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from planner.dataset.io import check_dataset, check_upload, dataset_from_frames
from planner.dataset.problems import Problem
from planner.dataset.schema import Dataset
from planner.report.problem_words import problem_column, problem_message
from planner.ui import i18n
from planner.ui.state import Session

SAMPLE_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "sample"
SAMPLE_NAME = "sample city"
CHECKED_UPLOAD = "checked_upload"
"""Session key: ``(sha256 of the file, dataset or None, problems)`` of the last upload checked."""


@dataclass(frozen=True)
class DatasetChoice:
    """The dataset to plan (``None`` when it has errors), its problems and whether it is the sample."""

    dataset: Dataset | None
    problems: list[Problem]
    is_sample: bool
    label: str


@st.cache_resource(show_spinner=False)
def load_sample(folder: str = str(SAMPLE_DIR)) -> Dataset:
    """The sample city: ``data/sample`` when present, else generated (``planner.dataset.sample``, city, seed 7)."""
    path = Path(folder)
    if path.is_dir() and any(path.glob("*.csv")):
        dataset, problems = check_dataset(path)
        if dataset is not None:
            return replace(dataset, name=SAMPLE_NAME)
        raise RuntimeError("; ".join(str(p) for p in problems[:5]))
    from planner.dataset.sample import generate

    return dataset_from_frames(generate("city", 7), name=SAMPLE_NAME)


def check_uploaded(session: Session, name: str, data: bytes) -> tuple[Dataset | None, list[Problem]]:
    """Validate an uploaded file once per content; later runs reuse the result kept in ``session``."""
    digest = hashlib.sha256(data).hexdigest()
    checked = session.get(CHECKED_UPLOAD)
    if checked is not None and checked[0] == digest:
        return checked[1], checked[2]
    try:
        dataset, problems = check_upload(data, name)
    except Exception as exc:  # the reader's own problems are located; anything else is still a problem, not a crash
        dataset, problems = None, [Problem(name, None, None, f"cannot read the upload ({type(exc).__name__})")]
    session[CHECKED_UPLOAD] = (digest, dataset, problems)
    return dataset, problems


def choose_dataset(session: Session, upload: Any | None) -> DatasetChoice:
    """The sample city when nothing is uploaded, else the uploaded file (``upload`` has ``name``, ``getvalue()``)."""
    if upload is None:
        return DatasetChoice(load_sample(), [], True, SAMPLE_NAME)
    name = str(upload.name)
    dataset, problems = check_uploaded(session, name, bytes(upload.getvalue()))
    return DatasetChoice(dataset, problems, False, name)


def problems_frame(problems: list[Problem], language: str) -> pd.DataFrame:
    """The problems as a table a coordinator reads: severity, file, row, column, problem."""
    frame = pd.DataFrame(
        {
            "severity": [p.severity for p in problems],
            "file": [p.file for p in problems],
            "row": pd.array([p.row for p in problems], dtype="Int64"),
            "column": [problem_column(p.column, language) for p in problems],
            "message": [problem_message(p.message, language) for p in problems],
        }
    )
    return i18n.localize(frame, language)
