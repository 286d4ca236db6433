"""The testing stage: sampling points per street, NAT samples to labs, the full round, sampling teams to care
homes (``models.testing``).

Candidates are the dataset's ``sampling_sites``; when that table is absent they are the street's clinics
(:data:`CLINIC_DESKS` desks), its observation sites that are not closed and its centre
(:data:`OTHER_DESKS` desks each; both counts are planning assumptions). Residents are spread over the street:
half at its centre, half at its clinics by service population (all at the centre without clinics).

Sampling teams (000 §4: sampling personnel go to homes that cannot sample themselves) are the districts'
``sampling_teams``, based at the district's centre (its streets' population-weighted centre). The homes they
sample are the needs' NAT rows with ``sampling`` ``team``; a home needs ``c(tests per day)`` samples a day, its
staff and residents' NAT tests a week (by the management its district's level sets) over 7.
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
from planner.needs.rounding import ceil_target
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
    "teams": {"district_id": "id", "home_id": "id", "tests_per_day": "count", "teams": "number"},
    "team_districts": {
        "district_id": "id",
        "teams_available": "count",
        "teams_needed": "count",
        "tests_needed": "count",
        "unsampled": "count",
        "extra_teams": "count",
    },
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
    districts: pd.DataFrame
    homes: pd.DataFrame


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


def team_bases(dataset: Dataset) -> pd.DataFrame:
    """district_id, lat, lon (its streets' population-weighted centre), teams (``districts.sampling_teams``)."""
    streets = dataset.streets
    weight = streets["population"].to_numpy(float) + 1e-9  # a street of no residents still places its district
    frame = pd.DataFrame(
        {
            "district_id": streets["district_id"].astype(str),
            "w": weight,
            "wlat": weight * streets["lat"].to_numpy(float),
            "wlon": weight * streets["lon"].to_numpy(float),
        }
    )
    sums = frame.groupby("district_id")[["w", "wlat", "wlon"]].sum()
    districts = dataset.districts
    ids = districts["district_id"].astype(str)
    centre = sums.reindex(pd.Index(ids))
    lat = (centre["wlat"] / centre["w"]).to_numpy(float)
    lon = (centre["wlon"] / centre["w"]).to_numpy(float)
    mean_lat = float(streets["lat"].mean()) if len(streets) else 0.0
    mean_lon = float(streets["lon"].mean()) if len(streets) else 0.0
    teams = districts["sampling_teams"] if "sampling_teams" in districts else pd.Series(0, index=districts.index)
    return pd.DataFrame(
        {
            "district_id": ids.to_numpy(dtype=object),
            "lat": np.where(np.isfinite(lat), lat, mean_lat),
            "lon": np.where(np.isfinite(lon), lon, mean_lon),
            "teams": teams.fillna(0).to_numpy(np.int64),
        }
    )


def homes_sampled_on_site(context: PlanContext) -> pd.DataFrame:
    """home_id, district_id, lat, lon, tests_per_day: homes the needs send sampling teams to (``sampling`` team)."""
    nat = context.needs.nat_tests
    rows = nat[(nat["origin_kind"] == "care_home") & (nat["sampling"] == "team")]
    located = context.dataset.care_homes.set_index(context.dataset.care_homes["home_id"].astype(str))
    ids = rows["home_id"].astype(str)
    return pd.DataFrame(
        {
            "home_id": ids.to_numpy(dtype=object),
            "district_id": rows["district_id"].astype(str).to_numpy(dtype=object),
            "lat": located["lat"].reindex(ids).to_numpy(float),
            "lon": located["lon"].reindex(ids).to_numpy(float),
            "tests_per_day": ceil_target(rows["tests_per_day"].to_numpy(float)),
        }
    ).reset_index(drop=True)


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
        tests_per_team_day=rules.tests_per_sampling_team_day,
        backup_districts=rules.sampling_team_backup_districts,
    )
    streets = dataset.streets[["street_id", "district_id", "population", "lat", "lon"]]
    labs = dataset.labs[["lab_id", "district_id", "lat", "lon", "nat_tests_per_day"]]
    return TestingInputs(
        streets,
        candidates_of(dataset),
        demand_of(dataset),
        labs,
        params,
        team_bases(dataset),
        homes_sampled_on_site(context),
    )


def solve(inputs: TestingInputs, options: SolveOptions) -> StageResult:
    """``models.testing.solve_testing`` on ``inputs``."""
    return solve_testing(
        inputs.streets,
        inputs.candidates,
        inputs.demand,
        inputs.labs,
        inputs.params,
        options,
        inputs.districts,
        inputs.homes,
    )


def kpis(result: StageResult, _context: PlanContext | None = None) -> dict[str, Any]:
    """Points opened, streets short of the minimum, the round's days, tubes left unrouted, care-home samples.

    A district's part of the plan has no round row (the round is the city's): its round KPIs are left out.
    """
    streets = result.table("streets")
    figures: dict[str, Any] = {
        "sampling_points_planned": len(result.table("points")),
        "streets_short_of_points": int((~streets["met"].astype(bool)).sum()),
        "tubes_unrouted_per_day": int(result.stats.get("unrouted_per_day", 0)),
    }
    homes = result.tables.get("team_homes")
    if homes is not None:
        figures["care_home_tests_on_site_per_day"] = int(homes["tests_per_day"].sum())
        figures["care_home_tests_unsampled_per_day"] = int(homes["unsampled"].sum())
    districts = result.tables.get("team_districts")
    if districts is not None:
        figures["sampling_teams_short"] = int(districts["extra_teams"].sum())
    round_rows = result.table("round")
    if not round_rows.empty:
        first = round_rows.iloc[0]
        figures["full_round_days_needed"] = float(first["days_needed"])
        figures["full_round_met"] = bool(first["met"])
        figures["full_round_binding"] = str(first["binding"])
    return figures


def compliance(result: StageResult, context: PlanContext) -> list[pd.DataFrame]:
    """Planned points per street (3-5), every care home's NAT samples a day taken on site by sampling teams
    (000 §4), and, where the preset requires it, the full round within its days."""
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
    homes = result.tables.get("team_homes")
    if homes is not None and not homes.empty:
        rows.append(
            compliance_rows(
                "care_home_sampling_visits",
                "care_home",
                homes["home_id"],
                homes["tests_per_day"],
                homes["sampled"],
                rules.sources(
                    "care_home_sampling_teams",
                    "tests_per_week_staff",
                    "tests_per_week_residents",
                    "tests_per_sampling_team_day",
                ),
            )
        )
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
    rows += team_explanations(result, namer)
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


def team_explanations(result: StageResult, namer: Namer) -> list[Row]:
    """Districts whose care homes are left with samples no team takes, and how many more teams would take them."""
    districts = result.tables.get("team_districts")
    if districts is None:
        return []
    rows: list[Row] = []
    short = districts[districts["unsampled"] > 0]
    figures = short[["unsampled", "extra_teams", "teams_available", "teams_needed"]].to_numpy(np.int64)
    for district_id, (unsampled, extra, available, needed) in zip(short["district_id"], figures, strict=True):
        en_name, zh_name = namer.both(str(district_id))
        more = f"{extra} more {'team' if extra == 1 else 'teams'}"
        have = f"{available} {'team' if available == 1 else 'teams'}"
        rows.append(
            {
                "stage": NAME,
                "entity_id": str(district_id),
                "reason": "sampling_teams_short",
                "en": f"{en_name}: {unsampled:,} care-home NAT samples a day with no sampling team "
                f"({have}, {needed} needed); {more} would take them",
                "zh": f"{zh_name}：养老机构每日{unsampled:,}份核酸样本无上门采样队伍"
                f"（现有{available}支，需{needed}支），再增加{extra}支采样队伍即可",
            }
        )
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
