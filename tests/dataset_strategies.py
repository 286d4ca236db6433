"""Hypothesis strategies for valid datasets: every value within the documented limits of its column.

Ids are unique across all tables (places share one set of ids), foreign keys point into earlier tables,
and every count and number is drawn between 0 and its column's ``maximum`` (speeds 0, meaning the default,
or at least their ``smallest``), so whatever is drawn validates and must plan.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import strategies as st

from planner.dataset.schema import TABLES, ColumnSpec

_ID = st.text(alphabet="0123456789ABCZ-_是", min_size=1, max_size=6)
_TEXT = st.text(alphabet="abcXYZ019 ,;\"'=+@é东城区养老医院一", max_size=12).map(str.strip)
_LAT = st.floats(-90, 90, allow_nan=False)
_LON = st.floats(-180, 180, allow_nan=False)


def _n(strategy: st.SearchStrategy[object], n: int) -> st.SearchStrategy[list[object]]:
    return st.lists(strategy, min_size=n, max_size=n)


def column_values(spec: ColumnSpec) -> st.SearchStrategy[object]:
    """Values of a count or number column, from 0 to its maximum (its extremes drawn often)."""
    maximum = spec.maximum if spec.maximum is not None else 1e9
    if spec.kind == "count":
        return st.sampled_from([0, 1, int(maximum)]) | st.integers(0, int(maximum))
    values = st.sampled_from([0.0, float(maximum)]) | st.floats(0, maximum, allow_nan=False)
    if spec.smallest is not None:
        values = values.filter(lambda x: x == 0 or x >= spec.smallest)
    return values


@st.composite
def _rows(draw: st.DrawFn, table: str, n: int, refs: dict[str, list[str]], ids: list[str]) -> pd.DataFrame:
    """``n`` valid rows of ``table`` with the given ids, referring only to ``refs``."""
    spec = TABLES[table]
    columns: dict[str, list[object]] = {}
    for col in spec.all_columns():
        if col.name == spec.id_column:
            columns[col.name] = list(ids)
        elif col.name == "designated_hospital_id":
            columns[col.name] = draw(_n(st.sampled_from(["", *refs["designated"]]), n))
        elif col.kind == "id":
            target = next(fk.table for fk in spec.foreign_keys if fk.column == col.name)
            columns[col.name] = draw(_n(st.sampled_from(refs[target]), n))
        elif col.name == "max_ambulances":
            columns[col.name] = draw(_n(st.none() | column_values(col), n))
        elif col.kind in ("count", "number"):
            columns[col.name] = draw(_n(column_values(col), n))
        else:
            strategy = {
                "text": _TEXT,
                "lat": _LAT,
                "lon": _LON,
                "bool": st.booleans(),
                "level": st.sampled_from([2, 3]),
                "status": st.sampled_from(["open", "candidate", "closed"]),
            }[col.kind]
            columns[col.name] = draw(_n(strategy, n))
    frame = pd.DataFrame(columns)
    if table == "care_homes":
        frame["disabled"] = [draw(st.integers(0, r)) for r in frame["residents"]]
    if table == "hospitals":
        frame.loc[0, "designated"] = True
    if "max_ambulances" in frame:
        frame["max_ambulances"] = frame["max_ambulances"].astype("Int64")
    return frame


@st.composite
def tiny_datasets(draw: st.DrawFn, max_rows: int = 3) -> dict[str, pd.DataFrame]:
    """A random valid dataset: ids unique across tables, foreign keys into earlier tables."""
    sizes = {name: draw(st.integers(1, max_rows)) for name in TABLES if name != "travel_minutes"}
    every_id = draw(st.lists(_ID, min_size=sum(sizes.values()), max_size=sum(sizes.values()), unique=True))
    ids: dict[str, list[str]] = {}
    start = 0
    for name, size in sizes.items():
        ids[name], start = every_id[start : start + size], start + size
    refs = {"districts": ids["districts"], "streets": ids["streets"]}
    frames: dict[str, pd.DataFrame] = {}
    for name in ("districts", "streets", "hospitals"):
        frames[name] = draw(_rows(name, sizes[name], refs, ids[name]))
    refs["designated"] = frames["hospitals"].loc[frames["hospitals"]["designated"], "hospital_id"].tolist()
    for name in ("care_homes", "clinics", "sites", "stations", "pools", "depots"):
        frames[name] = draw(_rows(name, sizes[name], refs, ids[name]))
    n_travel = draw(st.integers(0, 3))
    minutes = column_values(TABLES["travel_minutes"].column("minutes"))
    frames["travel_minutes"] = pd.DataFrame(
        {
            "from_id": draw(_n(st.sampled_from(every_id), n_travel)),
            "to_id": draw(_n(st.sampled_from(every_id), n_travel)),
            "minutes": draw(_n(minutes, n_travel)),
        }
    )
    return frames
