"""Display names of every entity (English and Chinese), for sentences and tables a coordinator reads."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pandas as pd

from planner.dataset.schema import TABLES, Dataset


def names(dataset: Dataset, language: str = "en") -> dict[str, str]:
    """Entity id -> display name in ``language`` (``en`` or ``zh``; ``name_zh`` falls back to ``name``)."""
    mapping: dict[str, str] = {}
    for ids, english, chinese in _table_names(dataset, with_chinese=language == "zh"):
        mapping.update(zip(ids, english if chinese is None else chinese, strict=True))
    return mapping


def names_in_both(dataset: Dataset) -> tuple[dict[str, str], dict[str, str]]:
    """(English, Chinese) entity id -> display name (:func:`names` of both languages in one pass)."""
    english_names: dict[str, str] = {}
    chinese_names: dict[str, str] = {}
    for ids, english, chinese in _table_names(dataset, with_chinese=True):
        english_names.update(zip(ids, english, strict=True))
        chinese_names.update(zip(ids, english if chinese is None else chinese, strict=True))
    return english_names, chinese_names


def _table_names(dataset: Dataset, with_chinese: bool) -> Iterator[tuple[pd.Series, pd.Series, pd.Series | None]]:
    """Per table with ids: the ids, their English names (the id where the name is empty) and, when asked, their
    Chinese names (the English name where ``name_zh`` is empty; None without a ``name_zh`` column)."""
    for table, spec in TABLES.items():
        if spec.id_column is None:
            continue
        frame: pd.DataFrame = dataset.table(table)
        ids = frame[spec.id_column].astype(str)
        english = ids
        if "name" in frame:
            named = frame["name"].astype(str)
            english = named.where(named.str.len() > 0, ids)
        chinese = None
        if with_chinese and "name_zh" in frame:
            named_zh = frame["name_zh"].astype(str)
            chinese = named_zh.where(named_zh.str.len() > 0, english)
        yield ids, english, chinese


def district_of(dataset: Dataset) -> dict[str, str]:
    """Entity id -> the district it lies in (its ``district_id``, or its street's); a district maps to itself."""
    street_district = dataset.streets.set_index("street_id")["district_id"].astype(str)
    mapping: dict[str, str] = {}
    for table, spec in TABLES.items():
        frame: pd.DataFrame = dataset.table(table)
        if spec.id_column is None or spec.id_column not in frame:
            continue
        if "district_id" in frame:
            found = frame["district_id"].astype(str)
        elif "street_id" in frame:
            found = frame["street_id"].astype(str).map(street_district)
        else:
            continue
        ids = frame[spec.id_column].astype(str)
        known = found.notna().to_numpy()
        mapping.update(zip(ids[known], found[known], strict=True))
    return mapping


@dataclass(frozen=True)
class Namer:
    """Display names in both languages (an id without a name shows as itself)."""

    en: Mapping[str, str]
    zh: Mapping[str, str]

    @classmethod
    def of(cls, dataset: Dataset) -> Namer:
        """The names of every entity of ``dataset``."""
        return cls(*names_in_both(dataset))

    def both(self, entity_id: str) -> tuple[str, str]:
        """(English name, Chinese name) of ``entity_id``."""
        return self.en.get(entity_id, entity_id), self.zh.get(entity_id, entity_id)

    def joined(self, ids: str, language: str, most: int = 3) -> str:
        """Names of comma-joined ``ids``: the first ``most``, then how many more."""
        table = self.en if language == "en" else self.zh
        every = [i for i in str(ids).split(",") if i]
        shown = ("、" if language == "zh" else ", ").join(table.get(i, i) for i in every[:most])
        if len(every) > most:
            extra = len(every) - most
            shown += f"等{len(every)}处" if language == "zh" else f" and {extra} more"
        return shown
