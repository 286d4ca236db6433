"""The rounding of needs (DESIGN §4): persons ``r(x) = floor(x + 0.5)``, targets ``c(x) = ceil(x)``.

Both round ``x`` to 9 decimals first, so that float error never adds a person (``ceil(0.2 * 100)`` is 20).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

ROUNDING_DECIMALS = 9
"""Decimals kept before ``r``/``c`` rounding, to absorb float error."""


def round_persons(x: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """``r(x) = floor(x + 0.5)`` as int64, after rounding ``x`` to 9 decimals."""
    return np.floor(np.round(np.asarray(x, dtype=np.float64), ROUNDING_DECIMALS) + 0.5).astype(np.int64)


def ceil_target(x: np.ndarray | pd.Series | float) -> np.ndarray:
    """``c(x) = ceil(x)`` as int64, after rounding ``x`` to 9 decimals."""
    return np.ceil(np.round(np.asarray(x, dtype=np.float64), ROUNDING_DECIMALS)).astype(np.int64)


def column_or_zero(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``frame[column]`` as int64 with missing values 0, or zeros when the column is absent."""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=np.int64)
    return frame[column].fillna(0).to_numpy(np.int64)


def street_districts(streets: pd.DataFrame) -> pd.Series:
    """street_id -> district_id (both as text)."""
    return pd.Series(streets["district_id"].astype(str).to_numpy(), index=streets["street_id"].astype(str))
