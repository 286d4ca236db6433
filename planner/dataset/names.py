"""Display names of every entity (English and Chinese), for sentences and tables a coordinator reads."""

from __future__ import annotations

import pandas as pd

from planner.dataset.schema import TABLES, Dataset


def names(dataset: Dataset, language: str = "en") -> dict[str, str]:
    """Entity id -> display name in ``language`` (``en`` or ``zh``; ``name_zh`` falls back to ``name``)."""
    mapping: dict[str, str] = {}
    for table, spec in TABLES.items():
        if spec.id_column is None:
            continue
        frame: pd.DataFrame = dataset.table(table)
        english = frame["name"].astype(str)
        shown = english
        if language == "zh" and "name_zh" in frame:
            chinese = frame["name_zh"].astype(str)
            shown = chinese.where(chinese.str.len() > 0, english)
        mapping.update(zip(frame[spec.id_column].astype(str), shown, strict=True))
    return mapping
