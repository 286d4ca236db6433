"""Cell texts made once per distinct value, for the writers of large tables (CSV, compact JSON, by district).

A national daily plan's timeline has 4.6 million rows of seven cells, but few distinct values: each scope id
repeats on each day, each resource on every row, the same counts on many. Formatting a column's distinct values
and taking their texts by code gives the same texts as formatting every cell (the formatting is cell by cell) in
a fraction of the time. The national sample's daily plan (``epiplan sample --scale national --seed 7``, prevalent,
2 vCPUs): its JSON 20.1 -> 7.7 s (the same bytes), its workbook with the details zip beside it 26.2 -> 17.5 s.

Values are told apart as they are written: floats by their bits (``-0.0`` is not ``0.0``; every NaN its own
payload), integers, booleans and text by value. A column of other objects (mixed ``1``, ``1.0`` and ``True``
compare equal but write differently), of an extension dtype, or of text with a NUL character (pandas 2.3 hashes text
up to its first NUL, so ``""`` and ``"\x00"`` share a code) is formatted cell by cell.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

Formatter = Callable[[pd.Series], Sequence[str]]
"""Texts of a column's cells, each from its cell alone."""


def distinct(values: pd.Series) -> tuple[npt.NDArray[np.intp], pd.Series] | None:
    """``(codes, uniques)`` with ``uniques.iloc[codes]`` equal to ``values`` cell for cell, bit for bit; None
    where the dtype could hold values that compare equal but are written differently (module docstring)."""
    dtype = values.dtype
    if not isinstance(dtype, np.dtype):
        return None
    array = values.to_numpy()
    if dtype.kind in "biu":
        codes, uniques = pd.factorize(array)
        return codes, pd.Series(np.asarray(uniques, dtype=dtype))
    if dtype.kind == "f":
        bits = np.ascontiguousarray(array).view(np.dtype(f"i{dtype.itemsize}"))
        codes, unique_bits = pd.factorize(bits)
        return codes, pd.Series(np.asarray(unique_bits).view(dtype))
    if dtype.kind == "O" and pd.api.types.infer_dtype(array, skipna=False) == "string":
        if any(map(operator.contains, array, itertools.repeat("\x00"))):  # 0.15 s for 4.5 million cells
            return None  # pandas hashes text only up to a NUL: "a" and "a\x00b" would share a code
        codes, uniques = pd.factorize(array)
        return codes, pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    return None


def cell_texts(values: pd.Series, texts_of: Formatter) -> list[str]:
    """``texts_of(values)`` as a list, each distinct value formatted once where :func:`distinct` tells them apart."""
    found = distinct(values)
    if found is None:
        return list(texts_of(values))
    codes, uniques = found
    texts = np.empty(len(uniques), dtype=object)
    texts[:] = list(texts_of(uniques))
    return list(texts[codes].tolist())


def mapped(values: pd.Series, function: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``function(values)`` (a cell-by-cell map keeping the index), computed on the distinct values only."""
    found = distinct(values)
    if found is None:
        return function(values)
    codes, uniques = found
    result = function(uniques)
    return pd.Series(result.to_numpy()[codes], index=values.index, dtype=result.dtype)


__all__ = ["Formatter", "cell_texts", "distinct", "mapped"]
