"""Cell texts made once per distinct value are the texts made cell by cell (``planner.outputs.distinct``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from column_strategies import column_cells
from hypothesis import given, settings

from planner.outputs.distinct import cell_texts, distinct, mapped


def _reprs(values: pd.Series) -> list[str]:
    return [repr(value) for value in values.tolist()]


def test_floats_are_told_apart_by_their_bits() -> None:
    column = pd.Series([0.0, -0.0, np.nan, 0.0, -0.0, 1.5])
    found = distinct(column)
    assert found is not None
    codes, uniques = found
    assert codes.tolist() == [0, 1, 2, 0, 1, 3] and len(uniques) == 4
    assert cell_texts(column, _reprs) == ["0.0", "-0.0", "nan", "0.0", "-0.0", "1.5"]


def test_mixed_objects_and_extension_dtypes_are_formatted_cell_by_cell() -> None:
    assert distinct(pd.Series([1, 1.0, True], dtype=object)) is None  # equal, but written 1, 1.0, True
    assert distinct(pd.Series([1, None], dtype="Int64")) is None
    assert cell_texts(pd.Series([1, 1.0, True], dtype=object), _reprs) == ["1", "1.0", "True"]


def test_text_with_a_nul_is_formatted_cell_by_cell() -> None:
    # pandas 2.3 hashes text only up to a NUL: "" and "\x00" (or "a\x00b" and "a\x00c") would share a code
    for values in (["", "\x00"], ["a\x00b", "a\x00c", "a"]):
        column = pd.Series(values, dtype=object)
        assert distinct(column) is None
        assert cell_texts(column, _reprs) == [repr(value) for value in values]


def test_each_distinct_value_is_formatted_once() -> None:
    calls: list[int] = []

    def counted(values: pd.Series) -> list[str]:
        calls.append(len(values))
        return [f"<{value}>" for value in values.tolist()]

    column = pd.Series(["b", "a", "b", "b", "a"])
    assert cell_texts(column, counted) == ["<b>", "<a>", "<b>", "<b>", "<a>"]
    assert calls == [2]


def test_a_map_on_the_distinct_values_keeps_the_index() -> None:
    column = pd.Series(["x:1", "y:2", "x:1"], index=[7, 8, 9])
    result = mapped(column, lambda values: values.str.partition(":")[0])
    assert result.index.tolist() == [7, 8, 9] and result.tolist() == ["x", "y", "x"]


@settings(max_examples=150, deadline=None)
@given(column_cells(text_size=4, extra=(0.0, -0.0, 1.0, float("nan"))))
def test_texts_of_the_distinct_values_are_the_texts_of_every_cell(values: list[object]) -> None:
    for column in (pd.Series(values), pd.Series(values, dtype=object)):
        assert cell_texts(column, _reprs) == _reprs(column)
        assert mapped(column, lambda cells: cells.map(repr)).tolist() == _reprs(column)
