"""Two plans side by side: key-figure deltas, compliance that changed, assignments that moved.

Pure functions of plans (or of their KPI dicts and tables); the Compare tab of
the app draws what they return.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from planner.report.plan import Plan

SKIPPED_KPIS: frozenset[str] = frozenset({"status", "seconds", "seconds_total"})
"""Not compared: solver status and timings say nothing about the plan."""


def flatten_kpis(kpis: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Numeric KPIs as ``{name: value}``; nested dicts become ``name.key`` (``lowest_fill_rate.tcm``)."""
    flat: dict[str, float] = {}
    for key, value in kpis.items():
        if not prefix and key in SKIPPED_KPIS:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_kpis(value, f"{name}."))
        elif isinstance(value, bool) or (isinstance(value, int | float) and value is not None):
            flat[name] = float(value)
        elif hasattr(value, "item") and isinstance(value.item(), int | float):  # numpy scalars
            flat[name] = float(value.item())
    return flat


def kpi_deltas(kpis_a: Mapping[str, Any], kpis_b: Mapping[str, Any], *, changed_only: bool = False) -> pd.DataFrame:
    """One row per KPI in either plan: ``kpi, a, b, delta`` (``delta = b - a``; missing values are NaN).

    Rows keep the order of ``kpis_a`` then the KPIs only ``kpis_b`` has.
    """
    flat_a, flat_b = flatten_kpis(kpis_a), flatten_kpis(kpis_b)
    names = list(flat_a) + [k for k in flat_b if k not in flat_a]
    frame = pd.DataFrame(
        {
            "kpi": names,
            "a": [flat_a.get(k, float("nan")) for k in names],
            "b": [flat_b.get(k, float("nan")) for k in names],
        }
    )
    frame["delta"] = frame["b"] - frame["a"]
    if changed_only:
        frame = frame[frame["delta"].abs() > 1e-9].reset_index(drop=True)
    return frame


def compliance_by_rule(compliance_a: pd.DataFrame, compliance_b: pd.DataFrame) -> pd.DataFrame:
    """Per rule: scopes met in A and in B and the change (``rule_id, met_a, met_b, delta, scopes_a, scopes_b``)."""

    def per_rule(frame: pd.DataFrame, tag: str) -> pd.DataFrame:
        grouped = frame.groupby("rule_id", sort=False)["met"]
        return pd.DataFrame({f"met_{tag}": grouped.sum().astype("int64"), f"scopes_{tag}": grouped.size()})

    joined = per_rule(compliance_a, "a").join(per_rule(compliance_b, "b"), how="outer").fillna(0).astype("int64")
    joined["delta"] = joined["met_b"] - joined["met_a"]
    order = list(dict.fromkeys([*compliance_a["rule_id"], *compliance_b["rule_id"]]))
    joined = joined.reindex(order)
    return joined.reset_index(names="rule_id")[["rule_id", "met_a", "met_b", "delta", "scopes_a", "scopes_b"]]


def compliance_flips(compliance_a: pd.DataFrame, compliance_b: pd.DataFrame) -> pd.DataFrame:
    """Checks whose verdict changed (or that exist in one plan only): ``rule_id, scope_id, met_a, met_b, planned_a,
    planned_b, required_b``; newly unmet first."""
    columns = ["rule_id", "scope_id", "met", "planned", "required"]
    joined = compliance_a[columns].merge(
        compliance_b[columns], on=["rule_id", "scope_id"], how="outer", suffixes=("_a", "_b")
    )
    flipped = joined[joined["met_a"].ne(joined["met_b"]) | joined["met_a"].isna() | joined["met_b"].isna()].copy()
    met_a = flipped["met_a"].astype("boolean").fillna(True).astype(bool)
    met_b = flipped["met_b"].astype("boolean").fillna(True).astype(bool)
    flipped["newly_unmet"] = met_a & ~met_b
    flipped = flipped.sort_values(["newly_unmet", "rule_id", "scope_id"], ascending=[False, True, True], kind="stable")
    keep = ["rule_id", "scope_id", "met_a", "met_b", "planned_a", "planned_b", "required_b"]
    return flipped[keep].reset_index(drop=True)


def _targets_text(
    frame: pd.DataFrame, keys: list[str], target: str, quantity: str | None, names: Mapping[str, str]
) -> pd.Series:
    """Per key: the targets and quantities as one sorted text (``"Site A ×3, Site B ×1"``)."""
    if frame.empty:
        return pd.Series(dtype=str)
    rows = frame.copy()
    if quantity is not None:
        rows = rows[rows[quantity] > 0]
    rows = rows.sort_values([*keys, target], kind="stable")
    label = rows[target].astype(str).map(lambda i: names.get(i, i))
    if quantity is not None:
        label = label + " ×" + rows[quantity].map(lambda q: f"{q:g}")
    return label.groupby([rows[k] for k in keys]).agg(", ".join)


def moved(
    frame_a: pd.DataFrame,
    frame_b: pd.DataFrame,
    keys: list[str],
    target: str,
    quantity: str | None,
    names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Keys whose targets changed between two assignment tables: ``*keys, from, to`` (texts, ``""`` for none).

    Parameters
    ----------
    frame_a, frame_b
        Assignment tables (for example observation ``assignments``).
    keys
        Columns naming who is assigned (``home_id, group``).
    target
        Column naming where to (``site_id``).
    quantity
        Column of how many (``persons``), or ``None`` when each key has one target.
    names
        id -> display name for the targets.
    """
    shown = names or {}
    text_a = _targets_text(frame_a, keys, target, quantity, shown)
    text_b = _targets_text(frame_b, keys, target, quantity, shown)
    both = pd.concat([text_a.rename("from"), text_b.rename("to")], axis=1).fillna("")
    changed = both[both["from"] != both["to"]]
    if changed.empty:
        return pd.DataFrame(columns=[*keys, "from", "to"])
    changed.index = changed.index.set_names(keys)
    return changed.reset_index()[[*keys, "from", "to"]]


def moved_assignments(plan_a: Plan, plan_b: Plan, names: Mapping[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """What moved between two plans, by stage.

    ``observation``: persons of a home and group to other sites; ``ambulance``: a
    home's handshake station; ``nursing``: the pools serving a need; ``drugs``: the
    depots serving an institution's drug.
    """
    hand_a = plan_a.stage("ambulance").table("handshakes")
    hand_b = plan_b.stage("ambulance").table("handshakes")
    return {
        "observation": moved(
            plan_a.stage("observation").table("assignments"),
            plan_b.stage("observation").table("assignments"),
            ["home_id", "group"],
            "site_id",
            "persons",
            names,
        ),
        "ambulance": moved(hand_a, hand_b, ["home_id"], "station_id", None, names),
        "nursing": moved(
            plan_a.stage("nursing").table("assignments"),
            plan_b.stage("nursing").table("assignments"),
            ["need_id"],
            "pool_id",
            "nurses",
            names,
        ),
        "drugs": moved(
            plan_a.stage("drugs").table("allocations"),
            plan_b.stage("drugs").table("allocations"),
            ["institution_id", "drug"],
            "depot_id",
            "quantity",
            names,
        ),
    }
