"""The rounding of needs (DESIGN §4): persons ``r(x) = floor(x + 0.5)``, targets ``c(x) = ceil(x)``; and of
counts scaled by a scenario factor, ``floor(factor * count)`` (:func:`scaled_down`: depot stock).

Both needs' roundings round ``x`` to 9 decimals first, so that float error never adds a person (``ceil(0.2 * 100)``
is 20). A scaled count is exact for the factor as written, at any size of count.
"""

from __future__ import annotations

from fractions import Fraction

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


NEAR_A_WHOLE = 1e-6
"""Relative distance from a whole number within which a float product is recomputed exactly (:func:`scaled_down`):
far above a double's rounding (1e-16 relative), far below a unit."""


def scaled_down(counts: npt.NDArray[np.float64], factor: float) -> npt.NDArray[np.int64]:
    """``floor(factor * count)`` of whole ``counts``, exact for the factor as written (its shortest decimal): 0.35 x
    10,700 packs is 3,745, where the product of the doubles is 3,744.9999999999995. Products within
    :data:`NEAR_A_WHOLE` of a whole number are recomputed in integers; the others' floor is the double's."""
    product = factor * counts
    scaled = np.floor(product)
    near = np.abs(product - np.rint(product)) <= NEAR_A_WHOLE * np.maximum(1.0, np.abs(product))
    if near.any():
        ratio = Fraction(repr(float(factor)))
        exact = [int(count) * ratio.numerator // ratio.denominator for count in counts[near].tolist()]
        scaled[near] = np.array(exact, dtype=np.float64)
    return scaled.astype(np.int64)


def column_or_zero(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``frame[column]`` as int64 with missing values 0, or zeros when the column is absent."""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=np.int64)
    return frame[column].fillna(0).to_numpy(np.int64)


def street_districts(streets: pd.DataFrame) -> pd.Series:
    """street_id -> district_id (both as text)."""
    return pd.Series(streets["district_id"].astype(str).to_numpy(), index=streets["street_id"].astype(str))
