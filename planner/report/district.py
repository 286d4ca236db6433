"""One district's part of a plan: its homes, sites, stations, pools and depots, and what crosses its border.

:func:`district_plan` keeps every row of every table that touches the district — a row is kept when one of its
ids names something in the district (a care home of one of its streets, one of its sites, stations, pools,
depots, the district itself) — so an assignment from a neighbour's pool to one of its homes stays, with both
ends. The result is a :class:`~planner.report.plan.Plan`, so every export (JSON, workbook, CSVs) writes the
district's part unchanged; its KPIs are the stages' KPIs of the kept rows. :func:`border_flows` lists what
crosses the border, in and out: persons to sites, nurses to needs, packs to institutions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from models.base import StageResult
from planner.dataset.schema import Dataset
from planner.report.plan import Plan
from planner.stages.registry import stage

BORDER_COLUMNS: tuple[str, ...] = (
    "direction",
    "what",
    "from_id",
    "from_district_id",
    "to_id",
    "to_district_id",
    "quantity",
)
"""One line per flow across the district's border: ``in`` or ``out``, what (persons, nurses, a drug), ends."""
_FLOWS: tuple[tuple[str, str, str, str, str], ...] = (
    ("observation", "assignments", "home_id", "site_id", "persons"),
    ("nursing", "assignments", "pool_id", "need_id", "nurses"),
    ("drugs", "allocations", "depot_id", "institution_id", "quantity"),
)


class DistrictError(ValueError):
    """A district id the dataset does not have."""


def districts_of(dataset: Dataset) -> dict[str, str]:
    """Entity id -> district id, for every district, street and located entity of ``dataset``."""
    street = dataset.streets.set_index("street_id")["district_id"].astype(str)
    mapping = {str(d): str(d) for d in dataset.districts["district_id"]}
    mapping.update({str(k): v for k, v in street.items()})
    for table, id_column in (("care_homes", "home_id"), ("clinics", "clinic_id"), ("hospitals", "hospital_id")):
        frame = dataset.table(table)
        mapping.update(zip(frame[id_column].astype(str), frame["street_id"].map(street).astype(str), strict=True))
    frame = dataset.sites
    mapping.update(zip(frame["site_id"].astype(str), frame["street_id"].map(street).astype(str), strict=True))
    for table, id_column in (("stations", "station_id"), ("pools", "pool_id"), ("depots", "depot_id")):
        frame = dataset.table(table)
        mapping.update(zip(frame[id_column].astype(str), frame["district_id"].astype(str), strict=True))
    return mapping


def _need_districts(plan: Plan, where: Mapping[str, str]) -> dict[str, str]:
    """Nursing need id -> the district of its destination (or the need's own district)."""
    needs = plan.stage("nursing").table("needs") if "nursing" in plan.results else pd.DataFrame()
    if needs.empty:
        return {}
    destination = needs["destination_id"].astype(str).map(where)
    own = needs["district_id"].astype(str) if "district_id" in needs else destination
    return dict(zip(needs["need_id"].astype(str), destination.fillna(own), strict=True))


def _head(value: object) -> str:
    return str(value).partition(":")[0]


def touches(frame: pd.DataFrame, where: Mapping[str, str], district: str) -> np.ndarray:
    """Rows of ``frame`` one of whose ids (``*_id`` columns, ``scope_id`` ``id:drug`` included) is in
    ``district``."""
    keep = np.zeros(len(frame), dtype=bool)
    for column in frame.columns:
        name = str(column)
        if not name.endswith("_id"):
            continue
        ids = frame[column].map(_head)
        keep |= (ids.map(where) == district).to_numpy() | (ids == district).to_numpy()
    return keep


def _stage_kpis(results: Mapping[str, StageResult]) -> dict[str, Any]:
    kpis: dict[str, Any] = {}
    for name, result in results.items():
        try:
            kpis.update(stage(name).kpis(result, None))  # type: ignore[arg-type]  # the stages' KPIs read the result
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return kpis


def district_plan(plan: Plan, dataset: Dataset, district: str) -> Plan:
    """The part of ``plan`` that touches ``district`` (see the module docstring).

    Raises
    ------
    DistrictError
        When the dataset has no district ``district``.
    """
    known = [str(d) for d in dataset.districts["district_id"]]
    if district not in known:
        raise DistrictError(f"no district {district!r} in the dataset (districts: {', '.join(known)})")
    where = {**districts_of(dataset), **_need_districts(plan, districts_of(dataset))}
    results = {}
    for name, result in plan.results.items():
        tables = {
            key: frame[touches(frame, where, district)].reset_index(drop=True) for key, frame in result.tables.items()
        }
        results[name] = dataclasses.replace(result, tables=tables)
    compliance = plan.compliance[touches(plan.compliance, where, district)].reset_index(drop=True)
    explanations = plan.explanations[touches(plan.explanations, where, district)].reset_index(drop=True)
    marginal = plan.marginal_values[touches(plan.marginal_values, where, district)].reset_index(drop=True)
    kpis = {**plan.kpis, **_stage_kpis(results)}
    reserve = plan.kpis.get("reserve_ratio")
    if isinstance(reserve, Mapping):
        kpis["reserve_ratio"] = {k: v for k, v in reserve.items() if str(k) == district}
    short = compliance[(compliance["rule_id"] == "nursing_reserve") & ~compliance["met"].astype(bool)]
    kpis["districts_short_of_reserve"] = len(short)
    homes = dataset.care_homes
    kpis["care_home_residents"] = int(homes.loc[touches(homes[["home_id"]], where, district), "residents"].sum())
    kpis["compliance_checks"] = len(compliance)
    kpis["compliance_met"] = int(compliance["met"].astype(bool).sum())
    kpis["district"] = district
    return dataclasses.replace(
        plan,
        dataset_name=f"{plan.dataset_name} — {district}",
        results=results,
        kpis=kpis,
        compliance=compliance,
        explanations=explanations,
        marginal_values=marginal,
    )


def border_flows(plan: Plan, dataset: Dataset, district: str) -> pd.DataFrame:
    """What crosses ``district``'s border in ``plan``: persons to sites, nurses to needs, packs to institutions
    (``BORDER_COLUMNS``; ``what`` is ``persons``, ``nurses`` or the drug class), largest first."""
    where = districts_of(dataset)
    need_destination: dict[str, str] = {}
    if "nursing" in plan.results:
        needs = plan.stage("nursing").table("needs")
        need_destination = dict(zip(needs["need_id"].astype(str), needs["destination_id"].astype(str), strict=True))
    parts = []
    for stage_name, table, source, target, quantity in _FLOWS:
        if stage_name not in plan.results:
            continue
        frame = plan.stage(stage_name).table(table)
        if frame.empty:
            continue
        ends = frame[target].astype(str)
        if target == "need_id":
            ends = ends.map(need_destination).fillna(ends)
        lines = pd.DataFrame(
            {
                "from_id": frame[source].astype(str).to_numpy(),
                "to_id": ends.to_numpy(),
                "quantity": frame[quantity].to_numpy(),
                "what": frame["drug"].to_numpy() if "drug" in frame else quantity if quantity != "quantity" else "",
            }
        )
        lines["from_district_id"] = lines["from_id"].map(where).fillna("")
        lines["to_district_id"] = lines["to_id"].map(where).fillna("")
        inward = (lines["to_district_id"] == district) & (lines["from_district_id"] != district)
        outward = (lines["from_district_id"] == district) & (lines["to_district_id"] != district)
        lines = lines[inward | outward].assign(direction=np.where(inward[inward | outward], "in", "out"))
        parts.append(lines)
    if not parts:
        return pd.DataFrame(columns=list(BORDER_COLUMNS))
    flows = pd.concat(parts, ignore_index=True)[list(BORDER_COLUMNS)]
    return flows.sort_values(
        ["direction", "what", "quantity"], ascending=[True, True, False], kind="stable"
    ).reset_index(drop=True)


__all__ = ["BORDER_COLUMNS", "DistrictError", "border_flows", "district_plan", "districts_of", "touches"]
