"""Small drug-stage tables for the tests: depots, targets, arcs, and every pair of a matrix of minutes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.pricing import AllPairs, MatrixArcCosts


def depots_frame(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    """Rows (depot_id, drug, stock), all in district A."""
    frame = pd.DataFrame(rows, columns=["depot_id", "drug", "stock"])
    frame.insert(1, "district_id", "A")
    return frame


def targets_frame(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """Rows (institution_id, kind, drug, need): target = need + 5, on_hand = 5 (need 0 -> on_hand above)."""
    frame = pd.DataFrame(rows, columns=["institution_id", "kind", "drug", "need"])
    frame["district_id"] = "A"
    frame["target"] = frame["need"] + 5
    frame["on_hand"] = np.where(frame["need"] > 0, 5, frame["target"] + 3)
    return frame


def arcs_frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["depot_id", "institution_id", "minutes"])


def every_pair(depots: pd.DataFrame, targets: pd.DataFrame, matrix: np.ndarray) -> AllPairs:
    """Every depot -> institution pair of ``matrix`` (rows: depots in order, columns: institutions in order)."""
    depot_ids = pd.Index(pd.unique(depots["depot_id"]))
    institution_ids = pd.Index(pd.unique(targets["institution_id"]))
    return AllPairs(MatrixArcCosts(matrix), depot_ids, institution_ids)


def nearest_arcs(depots: pd.DataFrame, targets: pd.DataFrame, matrix: np.ndarray, k: int) -> pd.DataFrame:
    """Each institution's ``k`` nearest depots, as an arcs table."""
    depot_ids = list(pd.unique(depots["depot_id"]))
    institution_ids = list(pd.unique(targets["institution_id"]))
    rows = []
    for column, institution in enumerate(institution_ids):
        for row in np.argsort(matrix[:, column], kind="stable")[:k]:
            rows.append((depot_ids[row], institution, float(matrix[row, column])))
    return arcs_frame(rows)


def all_arcs(depots: pd.DataFrame, targets: pd.DataFrame, matrix: np.ndarray) -> pd.DataFrame:
    return nearest_arcs(depots, targets, matrix, matrix.shape[0])
