"""Great-circle distances."""

from __future__ import annotations

import numpy as np

from models.geo import EARTH_KM, km


def test_one_degree_along_the_equator_and_a_meridian() -> None:
    degree = EARTH_KM * np.pi / 180
    assert abs(float(km(np.array(0.0), np.array(0.0), np.array(0.0), np.array(1.0))) - degree) < 1e-9
    assert abs(float(km(np.array(10.0), np.array(5.0), np.array(11.0), np.array(5.0))) - degree) < 1e-9


def test_broadcasts_and_is_zero_on_the_diagonal() -> None:
    lat, lon = np.array([39.9, 40.0, 40.1]), np.array([116.4, 116.3, 116.5])
    table = km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    assert table.shape == (3, 3) and np.allclose(np.diag(table), 0.0) and np.allclose(table, table.T)
