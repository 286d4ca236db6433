"""Tables of the nursing model's tests: pools, needs, arcs and every pair of a minutes matrix."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.nursing_days import DayNurses, nurses_by_day
from models.pricing import AllPairs, MatrixArcCosts


def pools_frame(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["pool_id", "district_id", "nurses"])


def needs_frame(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """Rows (need_id, need, district_id, required); destination_id = the part after the colon."""
    frame = pd.DataFrame(rows, columns=["need_id", "need", "district_id", "required"])
    frame["destination_id"] = frame["need_id"].str.split(":").str[1]
    return frame


def arcs_frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["pool_id", "need_id", "minutes"])


def hand_arcs() -> pd.DataFrame:
    """P1 to the two 1:1 needs (30, 40 min) and to two of the three backfill needs (5, 9 min)."""
    return arcs_frame(
        [
            ("P1", "transfer_1to1:H1", 30.0),
            ("P1", "transfer_1to1:H2", 40.0),
            ("P1", "backfill:C1", 5.0),
            ("P1", "backfill:C2", 9.0),
        ]
    )


def every_pair(pools: pd.DataFrame, needs: pd.DataFrame, matrix: np.ndarray) -> AllPairs:
    """Every pool -> destination pair of ``matrix`` (rows: pools, columns: the needs' destinations in order)."""
    return AllPairs(MatrixArcCosts(matrix), pd.Index(pools["pool_id"]), pd.Index(pd.unique(needs["destination_id"])))


def nearest_arcs(pools: pd.DataFrame, needs: pd.DataFrame, matrix: np.ndarray, k: int) -> pd.DataFrame:
    """Each need's ``k`` nearest pools, as an arcs table."""
    destinations = list(pd.unique(needs["destination_id"]))
    rows = []
    for need in needs.itertuples():
        column = destinations.index(need.destination_id)
        for row in np.argsort(matrix[:, column], kind="stable")[:k]:
            rows.append((pools["pool_id"].iloc[row], need.need_id, float(matrix[row, column])))
    return arcs_frame(rows)


def one_day(pools: pd.DataFrame, needs: pd.DataFrame, arcs: pd.DataFrame, **options: Any) -> DayNurses:
    """:func:`models.nursing_days.nurses_by_day` with every row of ``needs`` on day 0."""
    return nurses_by_day(pools, needs, arcs, day=np.zeros(len(needs), np.int64), **options)
