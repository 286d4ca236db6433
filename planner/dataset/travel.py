"""Travel minutes between points, and sparse arc lists at any scale.

Where the dataset's ``travel_minutes`` table gives no row for a pair, minutes from
``a`` to ``b`` are (DESIGN §3)::

    minutes(a, b) = haversine_km(a, b) * detour / speed_kmh(a) * 60

with the speed of the *origin's* district (:func:`with_speed`). A ``travel_minutes``
row ``(from_id, to_id, minutes)`` overrides the computed value of that pair, in that
direction only (the last row wins when a pair is given twice).

Frames of points carry ``id``, ``lat``, ``lon`` (WGS84 degrees); origins also carry
``speed_kmh``. Ids are compared as text.

:func:`arcs` never builds a dense matrix: a KD-tree (``scipy.spatial.cKDTree``) on the
destinations' 3-D unit vectors, where chord length grows with great-circle distance,
yields the candidates (the k nearest, or those inside the radius that ``max_minutes``
implies at each origin's own speed); exact minutes are computed for the candidates
only, the overrides merged in, and the limits then applied exactly.
"""

from __future__ import annotations

from itertools import chain

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

from planner.dataset.limits import check_pairs
from planner.dataset.schema import Dataset

EARTH_RADIUS_KM = 6371.0
"""Mean Earth radius used by the haversine distance."""
ARC_COLUMNS: tuple[str, ...] = ("from_id", "to_id", "minutes")
_RADIUS_SLACK = 1e-9
"""Relative slack on KD-tree radii; candidates are filtered exactly afterwards."""

IntArray = np.ndarray
FloatArray = np.ndarray


def haversine_km(lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray) -> FloatArray:
    """Great-circle distance in km between points given in degrees (element-wise, broadcasting)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    half_dphi = (phi2 - phi1) / 2.0
    half_dlambda = np.radians(np.asarray(lon2) - np.asarray(lon1)) / 2.0
    h = np.sin(half_dphi) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(half_dlambda) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def geo_minutes(
    lat1: FloatArray, lon1: FloatArray, speed_kmh: FloatArray, lat2: FloatArray, lon2: FloatArray, *, detour: float
) -> FloatArray:
    """``haversine_km * detour / speed_kmh * 60`` element-wise (no overrides)."""
    return haversine_km(lat1, lon1, lat2, lon2) * detour / np.asarray(speed_kmh, dtype=np.float64) * 60.0


def with_speed(points: pd.DataFrame, dataset: Dataset, default_speed_kmh: float) -> pd.DataFrame:
    """A copy of ``points`` with ``speed_kmh``: the speed of the point's district.

    The district is the point's ``district_id`` or, where that is absent or empty, the
    district of its ``street_id``. A district without a positive speed, or a point whose
    district is unknown, gets ``default_speed_kmh``.
    """
    if "district_id" not in points.columns and "street_id" not in points.columns:
        raise ValueError("with_speed: points need a district_id or a street_id column")
    district = _district_of_points(points, dataset)
    speeds = pd.Series(
        dataset.districts["speed_kmh"].to_numpy(dtype=np.float64),
        index=dataset.districts["district_id"].astype(str),
    )
    speed = district.map(speeds).to_numpy(dtype=np.float64)
    usable = np.isfinite(speed) & (speed > 0)
    return points.assign(speed_kmh=np.where(usable, speed, float(default_speed_kmh)))


def _district_of_points(points: pd.DataFrame, dataset: Dataset) -> pd.Series:
    """District id of every point (NaN where unknown), as text."""
    district = pd.Series(np.nan, index=points.index, dtype=object)
    if "district_id" in points.columns:
        given = points["district_id"]
        district = given.where(given.notna() & (given.astype(str) != ""), np.nan).astype(object)
    if "street_id" in points.columns:
        street_district = pd.Series(
            dataset.streets["district_id"].astype(str).to_numpy(), index=dataset.streets["street_id"].astype(str)
        )
        district = district.fillna(points["street_id"].astype(str).map(street_district))
    return district


def pair_minutes(
    from_ids: npt.ArrayLike,
    from_lat: npt.ArrayLike,
    from_lon: npt.ArrayLike,
    to_ids: npt.ArrayLike,
    to_lat: npt.ArrayLike,
    to_lon: npt.ArrayLike,
    speed_kmh: npt.ArrayLike,
    *,
    detour: float,
    overrides: pd.DataFrame | None = None,
) -> FloatArray:
    """Minutes from point ``i`` of the ``from_*`` arrays to point ``i`` of the ``to_*`` arrays.

    ``speed_kmh`` is the origins' speed; overrides win for the pairs they name.
    """
    minutes = np.asarray(
        geo_minutes(
            np.asarray(from_lat, dtype=np.float64),
            np.asarray(from_lon, dtype=np.float64),
            np.asarray(speed_kmh, dtype=np.float64),
            np.asarray(to_lat, dtype=np.float64),
            np.asarray(to_lon, dtype=np.float64),
            detour=detour,
        ),
        dtype=np.float64,
    ).reshape(-1)
    table = _clean_overrides(overrides)
    if table.empty or minutes.size == 0:
        return minutes
    given = pd.MultiIndex.from_arrays([table["from_id"], table["to_id"]])
    asked = pd.MultiIndex.from_arrays([np.asarray(from_ids).astype(str), np.asarray(to_ids).astype(str)])
    row = given.get_indexer(asked)
    hit = row >= 0
    minutes[hit] = table["minutes"].to_numpy(np.float64)[row[hit]]
    return minutes


def minutes_matrix(
    origins: pd.DataFrame, destinations: pd.DataFrame, *, detour: float, overrides: pd.DataFrame | None = None
) -> FloatArray:
    """Dense ``len(origins) x len(destinations)`` minutes, overrides applied. For small inputs only."""
    from_ids, from_lat, from_lon, speed = _origin_arrays(origins)
    to_ids, to_lat, to_lon = _destination_arrays(destinations)
    from_idx, to_idx = _all_pairs(len(from_ids), len(to_ids))
    minutes = geo_minutes(
        from_lat[from_idx], from_lon[from_idx], speed[from_idx], to_lat[to_idx], to_lon[to_idx], detour=detour
    )
    matrix = minutes.reshape(len(from_ids), len(to_ids))
    ov_from, ov_to, ov_minutes = _override_indices(overrides, from_ids, to_ids)
    matrix[ov_from, ov_to] = ov_minutes
    return matrix


def arcs(
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    *,
    detour: float,
    max_minutes: float | None = None,
    k: int | None = None,
    overrides: pd.DataFrame | None = None,
    what: str = "origins -> destinations",
) -> pd.DataFrame:
    """Sparse arcs ``from_id, to_id, minutes`` from origins to destinations.

    Parameters
    ----------
    origins
        ``id, lat, lon, speed_kmh`` (ids unique).
    destinations
        ``id, lat, lon`` (ids unique).
    detour
        Road distance per straight-line distance.
    max_minutes
        Keep only arcs of at most this many minutes (inclusive).
    k
        Keep only each origin's ``k`` nearest destinations in minutes. With
        ``max_minutes`` too: the ``k`` nearest among those within ``max_minutes``.
        With neither limit every pair is returned (small inputs only).
    overrides
        ``from_id, to_id, minutes`` rows that replace the computed minutes of their
        pairs: they may bring a far pair within the limits or push a near one out.
    what
        The pairs in words, for :class:`~planner.dataset.limits.PlanTooLargeError` (raised when more than
        :data:`~planner.dataset.limits.PAIRS_MAX` are within ``max_minutes``).

    Returns
    -------
    pandas.DataFrame
        ``from_id`` and ``to_id`` as ``str``, ``minutes`` as ``float64``, sorted by
        ``(from_id, minutes, to_id)``. Ties at the k-th place are broken by the KD-tree.
    """
    if k is not None and k < 1:
        raise ValueError(f"arcs: expected k >= 1, got {k}")
    from_ids, from_lat, from_lon, speed = _origin_arrays(origins)
    to_ids, to_lat, to_lon = _destination_arrays(destinations)
    if len(from_ids) == 0 or len(to_ids) == 0:
        return _arc_frame(from_ids, to_ids, *_empty_pairs())
    ov_from, ov_to, ov_minutes = _override_indices(overrides, from_ids, to_ids)
    if k is None and max_minutes is None:
        from_idx, to_idx = _all_pairs(len(from_ids), len(to_ids))
    else:
        tree = cKDTree(_unit_vectors(to_lat, to_lon))
        from_xyz = _unit_vectors(from_lat, from_lon)
        if k is not None:
            extra = np.bincount(ov_from, minlength=len(from_ids))
            from_idx, to_idx = _nearest_candidates(tree, from_xyz, k, extra)
        else:
            assert max_minutes is not None
            radius_km = max_minutes * speed / 60.0 / detour
            from_idx, to_idx = _radius_candidates(tree, from_xyz, radius_km, f"{what} within {max_minutes:g} min")
    minutes = geo_minutes(
        from_lat[from_idx], from_lon[from_idx], speed[from_idx], to_lat[to_idx], to_lon[to_idx], detour=detour
    )
    from_idx, to_idx, minutes = _merge_overrides((from_idx, to_idx, minutes), (ov_from, ov_to, ov_minutes), len(to_ids))
    if max_minutes is not None:
        within = minutes <= max_minutes
        from_idx, to_idx, minutes = from_idx[within], to_idx[within], minutes[within]
    order = np.lexsort((_ranks(to_ids)[to_idx], minutes, _ranks(from_ids)[from_idx]))
    from_idx, to_idx, minutes = from_idx[order], to_idx[order], minutes[order]
    if k is not None:
        first_k = _rank_within_origin(from_idx) < k
        from_idx, to_idx, minutes = from_idx[first_k], to_idx[first_k], minutes[first_k]
    return _arc_frame(from_ids, to_ids, from_idx, to_idx, minutes)


def _nearest_candidates(tree: cKDTree, from_xyz: FloatArray, k: int, extra: IntArray) -> tuple[IntArray, IntArray]:
    """The ``k + extra[o]`` geometrically nearest destinations of each origin ``o``.

    An origin with ``extra`` overridden pairs needs that many more candidates so that
    its ``k`` nearest non-overridden destinations are among them. Origins are grouped
    by ``extra`` rounded up to a power of two, one KD-tree query per group.
    """
    n_destinations = tree.n
    bucket = np.where(extra > 0, 2 ** np.ceil(np.log2(np.maximum(extra, 1))).astype(np.int64), 0)
    parts_from: list[IntArray] = []
    parts_to: list[IntArray] = []
    for extra_k in np.unique(bucket):
        rows = np.flatnonzero(bucket == extra_k)
        query_k = int(min(k + extra_k, n_destinations))
        _, found = tree.query(from_xyz[rows], k=query_k)
        found = np.asarray(found).reshape(len(rows), query_k)
        valid = found < n_destinations
        parts_from.append(np.broadcast_to(rows[:, None], found.shape)[valid])
        parts_to.append(found[valid])
    return np.concatenate(parts_from).astype(np.int64), np.concatenate(parts_to).astype(np.int64)


def _radius_candidates(
    tree: cKDTree, from_xyz: FloatArray, radius_km: FloatArray, what: str = "origins -> destinations"
) -> tuple[IntArray, IntArray]:
    """Destinations within each origin's own great-circle radius (plus a hair of slack); counted first, so that
    more than :data:`~planner.dataset.limits.PAIRS_MAX` is refused before it is held
    (:class:`~planner.dataset.limits.PlanTooLargeError`)."""
    angle = np.minimum(np.maximum(radius_km, 0.0) / EARTH_RADIUS_KM, np.pi)
    chord = 2.0 * np.sin(angle / 2.0) * (1.0 + _RADIUS_SLACK) + _RADIUS_SLACK
    counts = np.asarray(tree.query_ball_point(from_xyz, r=chord, return_length=True), dtype=np.int64).reshape(-1)
    check_pairs(
        int(counts.sum()),
        f"{what} ({len(from_xyz):,} x {tree.n:,})",
        "check the places' coordinates (many at one spot?), or plan fewer of them at once",
    )
    found = tree.query_ball_point(from_xyz, r=chord, return_sorted=False)  # the same search: as many as counted
    to_idx = np.fromiter(chain.from_iterable(found), dtype=np.int64, count=int(counts.sum()))
    from_idx = np.repeat(np.arange(len(found), dtype=np.int64), counts)
    return from_idx, to_idx


def _merge_overrides(
    computed: tuple[IntArray, IntArray, FloatArray], given: tuple[IntArray, IntArray, FloatArray], n_to: int
) -> tuple[IntArray, IntArray, FloatArray]:
    """Computed arcs with every overridden pair replaced by (or added as) its given minutes."""
    ov_from, ov_to, ov_minutes = given
    if ov_from.size == 0:
        return computed
    from_idx, to_idx, minutes = computed
    keep = ~np.isin(from_idx * n_to + to_idx, ov_from * n_to + ov_to)
    return (
        np.concatenate([from_idx[keep], ov_from]),
        np.concatenate([to_idx[keep], ov_to]),
        np.concatenate([minutes[keep], ov_minutes]),
    )


def _rank_within_origin(sorted_from_idx: IntArray) -> IntArray:
    """0, 1, 2, ... within each run of equal origins of an origin-sorted array."""
    n = sorted_from_idx.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[True, sorted_from_idx[1:] != sorted_from_idx[:-1]]
    start_position = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    return np.arange(n) - start_position


def _ranks(ids: np.ndarray) -> IntArray:
    """Position of every id in text order."""
    ranks = np.empty(ids.size, dtype=np.int64)
    ranks[np.argsort(ids, kind="stable")] = np.arange(ids.size)
    return ranks


def _unit_vectors(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Points on the unit sphere, shape ``(n, 3)``."""
    phi, lam = np.radians(lat), np.radians(lon)
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)))


def _all_pairs(n_from: int, n_to: int) -> tuple[IntArray, IntArray]:
    """Every (origin, destination) index pair, origin-major."""
    return np.repeat(np.arange(n_from, dtype=np.int64), n_to), np.tile(np.arange(n_to, dtype=np.int64), n_from)


def _empty_pairs() -> tuple[IntArray, IntArray, FloatArray]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)


def _arc_frame(
    from_ids: np.ndarray, to_ids: np.ndarray, from_idx: IntArray, to_idx: IntArray, minutes: FloatArray
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "from_id": pd.Series(from_ids[from_idx], dtype=object),
            "to_id": pd.Series(to_ids[to_idx], dtype=object),
            "minutes": pd.Series(minutes, dtype=np.float64),
        }
    )


def _clean_overrides(overrides: pd.DataFrame | None) -> pd.DataFrame:
    """Override rows with text ids and float minutes, one per pair (the last given wins)."""
    if overrides is None or overrides.empty:
        return pd.DataFrame({"from_id": pd.Series(dtype=str), "to_id": pd.Series(dtype=str), "minutes": []})
    _require_columns(overrides, ARC_COLUMNS, "overrides")
    table = pd.DataFrame(
        {
            "from_id": overrides["from_id"].astype(str).to_numpy(),
            "to_id": overrides["to_id"].astype(str).to_numpy(),
            "minutes": overrides["minutes"].to_numpy(np.float64),
        }
    )
    return table.drop_duplicates(["from_id", "to_id"], keep="last").reset_index(drop=True)


def _override_indices(
    overrides: pd.DataFrame | None, from_ids: np.ndarray, to_ids: np.ndarray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Overrides as (origin index, destination index, minutes) for the pairs among these points."""
    table = _clean_overrides(overrides)
    if table.empty:
        return _empty_pairs()
    from_idx = pd.Index(from_ids).get_indexer(pd.Index(table["from_id"]))
    to_idx = pd.Index(to_ids).get_indexer(pd.Index(table["to_id"]))
    known = (from_idx >= 0) & (to_idx >= 0)
    return (
        from_idx[known].astype(np.int64),
        to_idx[known].astype(np.int64),
        table["minutes"].to_numpy(np.float64)[known],
    )


def _origin_arrays(origins: pd.DataFrame) -> tuple[np.ndarray, FloatArray, FloatArray, FloatArray]:
    _require_columns(origins, ("id", "lat", "lon", "speed_kmh"), "origins")
    ids, lat, lon = _destination_arrays(origins, "origins")
    return ids, lat, lon, _speeds(origins)


def _destination_arrays(points: pd.DataFrame, what: str = "destinations") -> tuple[np.ndarray, FloatArray, FloatArray]:
    _require_columns(points, ("id", "lat", "lon"), what)
    ids = points["id"].astype(str).to_numpy(dtype=object)
    if pd.Index(ids).has_duplicates:
        raise ValueError(f"{what}: ids must be unique")
    return ids, points["lat"].to_numpy(np.float64), points["lon"].to_numpy(np.float64)


def _speeds(origins: pd.DataFrame) -> FloatArray:
    speed = origins["speed_kmh"].to_numpy(np.float64)
    if not np.all(np.isfinite(speed) & (speed > 0)):
        raise ValueError("origins: speed_kmh must be a positive number for every origin (see with_speed)")
    return speed


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}")
