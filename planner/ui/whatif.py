"""What-if edits of the dataset: rooms and status of sites, ambulances, nurses, depot stock.

An edit is kept by entity id, so it survives a re-ordering of the table and can
be written to a scenario file::

    {"sites": {"OS0002": {"rooms": 0, "status": "closed"}}, "pools": {"NP0001": {"nurses": 40}}}

``st.data_editor`` reports its edits by row position (``{"edited_rows": {1:
{"rooms": 0}}}``); :func:`editor_edits` turns them into id edits against the
table the editor showed. :func:`apply_edits` returns a new :class:`Dataset` with
the edits applied and its content hash recomputed, so a plan of the edited data
is cached under its own key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from planner.dataset.schema import DRUG_COLUMN_LIMITS, DRUGS, SITE_STATUSES, TABLES, Dataset
from planner.errors import ProblemsError
from planner.ui.editors import edited_rows

Edits = dict[str, dict[str, dict[str, Any]]]
"""table -> entity id -> column -> new value."""

EDITABLE: dict[str, tuple[str, ...]] = {
    "sites": ("rooms", "status"),
    "stations": ("ambulances",),
    "pools": ("nurses",),
    "depots": tuple(f"stock_{drug}" for drug in DRUGS),
}
"""The columns a coordinator may change in the what-if editors, by table."""


class EditError(ProblemsError):
    """Edits that cannot be applied; ``problems`` has one message per bad edit."""


def id_column(table: str) -> str:
    """The id column of an editable table."""
    column = TABLES[table].id_column
    assert column is not None
    return column


def clean_value(table: str, column: str, raw: Any) -> Any:
    """An edited cell as the dataset stores it; raises ``ValueError`` in plain words when it cannot be."""
    if column not in EDITABLE.get(table, ()):
        raise ValueError(f"{table}.{column} cannot be edited (editable: {', '.join(EDITABLE.get(table, ()))})")
    if column == "status":
        text = str(raw).strip().lower()
        if text not in SITE_STATUSES:
            raise ValueError(f"{table}.{column}: expected one of {', '.join(SITE_STATUSES)}, got {raw!r}")
        return text
    try:
        number = float(raw) if not isinstance(raw, bool) else math.nan  # true is not 1 room
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if not math.isfinite(number) or number < 0 or number != int(number):
        raise ValueError(f"{table}.{column}: expected a whole number >= 0, got {raw!r}")
    largest = column_maximum(table, column)
    if number > largest:
        shown = f"{number:,.0f}" if number < 1e15 else f"{number:g}"
        raise ValueError(f"{table}.{column}: {shown} is above the limit {largest:,.0f}")
    return int(number)


def column_maximum(table: str, column: str) -> float:
    """The largest value the dataset accepts in ``table.column`` (``planner.dataset.schema``), as when it is read."""
    for prefix, largest in DRUG_COLUMN_LIMITS.items():
        if column.startswith(prefix) and prefix in TABLES[table].drug_prefixes:
            return largest
    spec = next(spec for spec in TABLES[table].columns if spec.name == column)
    return math.inf if spec.maximum is None else spec.maximum


def unknown_ids(dataset: Dataset, edits: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """``table id`` of every edit whose id ``dataset`` does not hold (applying it changes nothing)."""
    unknown = []
    for table, rows in edits.items():
        known = set(dataset.table(table)[id_column(table)].astype(str)) if table in EDITABLE else set()
        unknown += [f"{table} {entity_id}" for entity_id in rows if str(entity_id) not in known]
    return unknown


def totals_over_limits(dataset: Dataset, edits: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, str]:
    """Edited tables whose column sums pass the dataset's totals (``TableSpec.totals``: a drug class's stock over
    all depots), each with its problem; their edits cannot be planned."""
    over: dict[str, str] = {}
    for table in (name for name, rows in edits.items() if rows and TABLES[name].totals):
        frame = edited_table(dataset, table, edits[table])  # that table only: no copy or hash of the dataset
        for key, largest in TABLES[table].totals:
            for column in (c for c in frame.columns if c == key or (key.endswith("_") and c.startswith(key))):
                total = float(frame[column].sum())
                if total > largest:
                    over[table] = f"{table}.{column}: the total {total:,.0f} is above the limit {largest:,.0f}"
    return over


def clean_edits(raw: Any) -> Edits:
    """Validate edits read from a file or a widget; raises :class:`EditError` listing every bad one."""
    if not isinstance(raw, Mapping):
        raise EditError([f"expected a mapping of table -> id -> {{column: value}}, got {type(raw).__name__}"])
    edits: Edits = {}
    problems: list[str] = []
    for table, rows in raw.items():
        if table not in EDITABLE:
            problems.append(f"{table}: not an editable table (editable: {', '.join(EDITABLE)})")
            continue
        if not isinstance(rows, Mapping):
            problems.append(f"{table}: expected a mapping of id -> {{column: value}}")
            continue
        for entity_id, changes in rows.items():
            if not isinstance(changes, Mapping):
                problems.append(f"{table}.{entity_id}: expected a mapping of column -> value")
                continue
            for column, new_value in changes.items():
                try:
                    cleaned = clean_value(table, str(column), new_value)
                except ValueError as exc:
                    problems.append(f"{entity_id}: {exc}")
                    continue
                edits.setdefault(table, {}).setdefault(str(entity_id), {})[str(column)] = cleaned
    if problems:
        raise EditError(problems)
    return edits


def merge_edits(*layers: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> Edits:
    """Later layers win, cell by cell."""
    merged: Edits = {}
    for layer in layers:
        for table, rows in layer.items():
            for entity_id, changes in rows.items():
                merged.setdefault(table, {}).setdefault(entity_id, {}).update(changes)
    return merged


def drop_unchanged(dataset: Dataset, edits: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> Edits:
    """The edits that change a value of ``dataset`` (an edit back to the original is no edit; unknown ids go)."""
    kept: Edits = {}
    for table, rows in edits.items():
        frame = dataset.table(table).set_index(id_column(table))
        for entity_id, changes in rows.items():
            if entity_id not in frame.index:
                continue
            for column, new_value in changes.items():
                if frame.at[entity_id, column] != new_value:
                    kept.setdefault(table, {}).setdefault(entity_id, {})[column] = new_value
    return kept


def editor_edits(table: str, shown: pd.DataFrame, state: Mapping[str, Any] | None) -> Edits:
    """Id edits from a ``st.data_editor`` state (``edited_rows`` by row position of ``shown``).

    Cells of columns that are not editable are ignored; bad values raise :class:`EditError`.
    """
    ids = shown[id_column(table)].astype(str).to_numpy()
    raw: dict[str, dict[str, Any]] = {}
    for index, changes in edited_rows(state, len(ids)):
        editable = {c: v for c, v in changes.items() if c in EDITABLE[table] and v is not None}
        if editable:
            raw[str(ids[index])] = editable
    return clean_edits({table: raw}) if raw else {}


def apply_edits(dataset: Dataset, edits: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> Dataset:
    """A copy of ``dataset`` with ``edits`` applied (unknown ids ignored) and its hash recomputed.

    Returns ``dataset`` itself when nothing changes, so its plan stays cached under the same key.
    """
    changed = {table: edited_table(dataset, table, rows) for table, rows in edits.items() if rows}
    if not changed:
        return dataset
    edited = replace(dataset, **changed)  # type: ignore[arg-type]
    return replace(edited, sha256=edited.content_hash())


def edited_table(dataset: Dataset, table: str, rows: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """A copy of ``dataset``'s ``table`` with the edits ``rows`` (id -> column -> value) applied, unknown ids
    ignored, its column types kept."""
    frame = dataset.table(table).copy()
    frame.index = pd.Index(frame[id_column(table)].astype(str))
    for entity_id, changes in rows.items():
        if entity_id not in frame.index:
            continue
        for column, new_value in changes.items():
            frame.loc[entity_id, column] = new_value
    return frame.reset_index(drop=True).astype(dataset.table(table).dtypes.to_dict())


def count_edits(edits: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> int:
    """How many cells are edited."""
    return sum(len(changes) for rows in edits.values() for changes in rows.values())


def editor_name(table: str, district: str | None = None) -> str:
    """The name of a what-if editor's widget (``whatif_sites``, or ``whatif_sites_110106`` for one district)."""
    return f"whatif_{table}" + (f"_{district}" if district else "")


def district_rows(table: str, dataset: Dataset, district: str | None = None) -> pd.DataFrame:
    """The rows of an editable table in ``district`` (every row when None), in the dataset's order: the rows a
    what-if editor shows, so that its ``edited_rows`` positions refer to them."""
    frame = dataset.table(table)
    if not district:
        return frame.reset_index(drop=True)
    if "district_id" in frame:
        where = frame["district_id"].astype(str)
    else:
        street_district = dataset.streets.set_index("street_id")["district_id"].astype(str)
        where = frame["street_id"].map(street_district)
    return frame[(where == district).to_numpy()].reset_index(drop=True)


def editor_frame(
    table: str, shown: Dataset, results: pd.DataFrame | None, located: pd.DataFrame, district: str | None = None
) -> pd.DataFrame:
    """The rows a what-if editor shows (those of ``district`` when given), in the dataset's row order
    (``edited_rows`` positions refer to it).

    Columns: the id, ``name`` and ``district`` (display names from ``located``), the
    editable columns (values of ``shown``, the dataset with the stored edits), then
    the plan's result columns from ``results`` (joined on the id; read-only).
    """
    ids = id_column(table)
    frame = district_rows(table, shown, district)
    names = located["name"] if not located.empty else pd.Series(dtype=str)
    districts = located["district"] if not located.empty else pd.Series(dtype=str)
    out = pd.DataFrame({ids: frame[ids].astype(str)})
    out["name"] = out[ids].map(names).fillna(out[ids])
    out["district"] = out[ids].map(districts).fillna("")
    for column in EDITABLE[table]:
        out[column] = frame[column].to_numpy()
    if results is not None and not results.empty:
        extra = [c for c in results.columns if c != ids and c not in out.columns]
        joined = out[[ids]].merge(results[[ids, *extra]].drop_duplicates(ids), on=ids, how="left")
        for column in extra:
            out[column] = joined[column].to_numpy()
    return out.reset_index(drop=True)
