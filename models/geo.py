"""Great-circle distances for the models that place things on the map (testing points, teams to homes)."""

from __future__ import annotations

import numpy as np

EARTH_KM = 6371.0
"""Mean Earth radius, km."""


def km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle km between points (broadcasting)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2) - np.radians(lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


__all__ = ["EARTH_KM", "km"]
