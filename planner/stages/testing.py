"""The testing stage: sampling points per street, NAT samples to labs, the full round (``models.testing``).

Candidates are the dataset's ``sampling_sites``; when that table is absent they are the street's clinics
(:data:`CLINIC_DESKS` desks), its observation sites that are not closed and its centre
(:data:`OTHER_DESKS` desks each; both counts are planning assumptions). Residents are spread over the street:
half at its centre, half at its clinics by service population (all at the centre without clinics).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.base import SolveOptions, StageResult
from models.testing import NAME, TestingParams, solve_testing
from planner.dataset.names import Namer
from planner.dataset.schema import Dataset
from planner.stages.base import Contract, PlanContext, Row, Stage, compliance_rows

CLINIC_DESKS = 4
"""Desks of a candidate point at a clinic when the dataset lists no sampling sites (assumption)."""
OTHER_DESKS = 2
"""Desks of a candidate at an observation site or a street centre (assumption)."""

CONTRACT: Contract = {
    "points": {
        "point_id": "id",
        "street_id": "id",
        "lat": "number",
        "lon": "number",
        "desks": "count",
        "tests_per_day": "count",
        "population": "count",
    },
    "streets": {
        "street_id": "id",
        "points": "count",
        "required_min": "count",
        "required_max": "count",
        "met": "bool",
        "reason": ("", "too_few_candidates"),
    },
    "labs": {"lab_id": "id", "load_per_day": "count", "capacity_per_day": "count"},
    "round": {
        "days_needed": "number",
        "days_required": "number",
        "met": "bool",
        "binding": ("", "labs", "sampling_points"),
    },
}


@dataclass(frozen=True)
class TestingInputs:
    """What ``models.testing.solve_testing`` gets."""

    __test__ = False

    streets: pd.DataFrame
    candidates: pd.DataFrame
    demand: pd.DataFrame
    labs: pd.DataFrame
    params: TestingParams


def candidates_of(dataset: Dataset) -> pd.DataFrame:
    """The candidate points: the dataset's sampling sites, else clinics, open/candidate sites and centres."""
    columns = ["candidate_id", "street_id", "lat", "lon", "desks"]
    if not dataset.sampling_sites.empty:
        return dataset.sampling_sites.rename(columns={"site_id": "candidate_id"})[columns].reset_index(drop=True)
    clinics = dataset.clinics.rename(columns={"clinic_id": "candidate_id"}).assign(desks=CLINIC_DESKS)
    sites = dataset.sites[dataset.sites["status"] != "closed"].rename(columns={"site_id": "candidate_id"})
    centres = dataset.streets.assign(candidate_id=dataset.streets["street_id"] + ":centre")
    parts = [clinics, sites.assign(desks=OTHER_DESKS), centres.assign(desks=OTHER_DESKS)]
    return pd.concat([p[columns] for p in parts], ignore_index=True)


def demand_of(dataset: Dataset) -> pd.DataFrame:
    """Residents spread over each street: half at its centre, half at its clinics by service population."""
    streets = dataset.streets
    clinics = dataset.clinics
    served = clinics.groupby("street_id")["service_population"].sum()
    has = streets["street_id"].isin(served.index).to_numpy()
    centre_weight = streets["population"].to_numpy(dtype=float) * np.where(has, 0.5, 1.0)
    centre = pd.DataFrame(
        {"street_id": streets["street_id"], "lat": streets["lat"], "lon": streets["lon"], "weight": centre_weight}
    )
    half = (streets.set_index("street_id")["population"] * 0.5).reindex(clinics["street_id"]).to_numpy()
    total = served.reindex(clinics["street_id"]).to_numpy(dtype=float)
    share = np.divide(
        clinics["service_population"].to_numpy(dtype=float), total, out=np.zeros(len(clinics)), where=total > 0
    )
    at_clinics = pd.DataFrame(
        {"street_id": clinics["street_id"], "lat": clinics["lat"], "lon": clinics["lon"], "weight": half * share}
    )
    return pd.concat([centre, at_clinics], ignore_index=True)


def build_inputs(context: PlanContext) -> TestingInputs:
    """Streets, candidates, demand points and labs of the dataset; the rules' numbers."""
    rules = context.rules
    dataset = context.dataset
    params = TestingParams(
        points_min=rules.sampling_points_per_street_min,
        points_max=rules.sampling_points_per_street_max,
        tests_per_desk_hour=rules.tests_per_desk_hour,
        hours_per_day=rules.sampling_hours_per_day,
        round_days=rules.full_round_days,
        persons_per_tube=max(1, rules.nat_persons_per_tube),
    )
    streets = dataset.streets[["street_id", "district_id", "population", "lat", "lon"]]
    labs = dataset.labs[["lab_id", "district_id", "lat", "lon", "nat_tests_per_day"]]
    return TestingInputs(streets, candidates_of(dataset), demand_of(dataset), labs, params)


def solve(inputs: TestingInputs, options: SolveOptions) -> StageResult:
    """``models.testing.solve_testing`` on ``inputs``."""
    return solve_testing(inputs.streets, inputs.candidates, inputs.demand, inputs.labs, inputs.params, options)


def kpis(result: StageResult, _context: PlanContext | None = None) -> dict[str, Any]:
    """Points opened, streets short of the minimum, the round's days and tubes left unrouted.

    A district's part of the plan has no round row (the round is the city's): its round KPIs are left out.
    """
    streets = result.table("streets")
    figures: dict[str, Any] = {
        "sampling_points_planned": len(result.table("points")),
        "streets_short_of_points": int((~streets["met"].astype(bool)).sum()),
        "tubes_unrouted_per_day": int(result.stats.get("unrouted_per_day", 0)),
    }
    round_rows = result.table("round")
    if not round_rows.empty:
        first = round_rows.iloc[0]
        figures["full_round_days_needed"] = float(first["days_needed"])
        figures["full_round_met"] = bool(first["met"])
        figures["full_round_binding"] = str(first["binding"])
    return figures


def compliance(result: StageResult, context: PlanContext) -> list[pd.DataFrame]:
    """Planned points per street (3-5) and, where the preset requires it, the full round within its days."""
    rules = context.rules
    streets = result.table("streets")
    rows = [
        compliance_rows(
            "testing_points_per_street",
            "street",
            streets["street_id"],
            streets["required_min"],
            streets["points"],
            rules.source("sampling_points_per_street_min"),
        )
    ]
    population = int(context.dataset.districts["population"].sum())
    if rules.full_round_required and population < rules.full_round_city_population_max:
        round_row = result.table("round")
        rows.append(
            compliance_rows(
                "full_round_days",
                "city",
                pd.Series(["city"]),
                round_row["days_required"],
                round_row["days_needed"],
                rules.source("full_round_days"),
                sense="at_most",
            )
        )
    return rows


def explanations(result: StageResult, _context: PlanContext, namer: Namer) -> list[Row]:
    """Streets short of points, and the round's binding resource when the round misses its days."""
    rows: list[Row] = []
    for street in result.table("streets").query("not met").itertuples(index=False):
        en_name, zh_name = namer.both(str(street.street_id))
        rows.append(
            {
                "stage": NAME,
                "entity_id": str(street.street_id),
                "reason": str(street.reason),
                "en": f"{en_name}: only {street.points} candidate sampling points (at least {street.required_min})",
                "zh": f"{zh_name}：仅有{street.points}个候选采样点（应不少于{street.required_min}个）",
            }
        )
    round_rows = result.table("round")
    round_row = round_rows.iloc[0] if not round_rows.empty else pd.Series({"met": True})
    if not bool(round_row["met"]):
        where = str(round_row["binding_where"])
        where_en, where_zh = ("the city", "全市") if where == "city" else namer.both(where)
        extra = int(round_row["extra_per_day"])
        days, required = float(round_row["days_needed"]), float(round_row["days_required"])
        if round_row["binding"] == "labs":
            en = f"The full round takes {days:.1f} days (limit {required:g}): labs need {extra:,} more tests a day"
            zh = f"全员检测需{days:.1f}天（要求{required:g}天）：实验室每日检测能力需增加{extra:,}管"
        else:
            en = f"The full round takes {days:.1f} days (limit {required:g}): "
            en += f"{where_en} needs {extra:,} more samples a day"
            zh = f"全员检测需{days:.1f}天（要求{required:g}天）：{where_zh}每日采样能力需增加{extra:,}人次"
        rows.append({"stage": NAME, "entity_id": where, "reason": str(round_row["binding"]), "en": en, "zh": zh})
    return rows


STAGE: Stage[TestingInputs] = Stage(
    name=NAME,
    build_inputs=build_inputs,
    solve=solve,
    contract=CONTRACT,
    kpis=kpis,
    compliance=compliance,
    explanations=explanations,
)
