"""A small hand-made :class:`~planner.report.plan.Plan`, for export, report and UI tests.

Two districts (D1 东城区, D2 西城区), two observation sites (ST1 open and barrier-free, ST2 closed),
three care homes (``007`` with a leading zero, H002, H003), two ambulance stations, two reserve
pools, one depot and one clinic. Every stage table carries the contract columns plus the extra
columns the models add, Chinese text, a site named ``=SUM(A1)`` and a station phone ``+86 10 1234``
(formula-like text that exports must keep as text). Every stage is ``optimal``.

Use it as ``from plan_fixture import make_plan_fixture`` (pytest puts ``tests/`` on the path).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from models.base import Phase, StageResult, Status
from planner.needs.needs import Needs
from planner.report.plan import Plan
from planner.rules.rules import load_rules
from planner.rules.scenario import Scenario

FORMULA_TEXT = "=SUM(A1)"
PHONE_TEXT = "+86 10 1234"
LEADING_ZERO_ID = "007"
FIXTURE_SHA256 = hashlib.sha256(b"epiplan plan fixture").hexdigest()


def _frame(columns: dict[str, list[object]]) -> pd.DataFrame:
    return pd.DataFrame(columns)


def _phases(*objectives: tuple[str, str, float]) -> list[Phase]:
    return [Phase(name, sense, value, value, Status.OPTIMAL) for name, sense, value in objectives]


def make_observation() -> StageResult:
    """Sites ST1 (open, 10 rooms, 6 persons) and ST2 (closed); one person of H003 unmet."""
    tables = {
        "sites": _frame(
            {
                "site_id": ["ST1", "ST2"],
                "street_id": ["S1", "S3"],
                "open": [True, False],
                "rooms": [10, 5],
                "persons": [6, 0],
                "barrier_free": [True, False],
                "opened": [False, False],
                "persons_disabled": [2, 0],
                "free_rooms": [4, 5],
                "capacity": [10, 5],
                "name": ["安定门观察点", FORMULA_TEXT],
            }
        ),
        "stays": _frame(
            {
                "home_id": [LEADING_ZERO_ID, LEADING_ZERO_ID, "H002"],
                "group": ["disabled", "other", "other"],
                "site_id": ["ST1", "ST1", "ST1"],
                "arrival_day": [0, 1, 2],
                "departure_day": [7, 8, 9],
                "persons": [2, 3, 1],
                "cause": ["mild", "mild", "rotation"],
            }
        ),
        "assignments": _frame(
            {
                "home_id": [LEADING_ZERO_ID, LEADING_ZERO_ID, "H002"],
                "site_id": ["ST1", "ST1", "ST1"],
                "group": ["disabled", "other", "other"],
                "persons": [2, 3, 1],
                "minutes": [12.5, 12.5, 20.0],
            }
        ),
        "unmet": _frame({"home_id": ["H003"], "group": ["other"], "persons": [1], "reason": ["no_room_in_reach"]}),
        "streets": _frame(
            {
                "street_id": ["S1", "S3"],
                "usable_sites": [1, 1],
                "open_sites": [1, 0],
                "required": [1, 1],
                "met": [True, False],
            }
        ),
        "marginal": _frame({"site_id": ["ST1", "ST2"], "value": [0.0, 1.0]}),
    }
    phases = _phases(("unmet_persons", "min", 1.0), ("cost_minutes", "min", 82.5))
    return StageResult.from_phases("observation", phases, tables, seconds=0.25, stats={"arcs": 6})


def make_ambulance() -> StageResult:
    """Station A1 gains an ambulance from A2; H003 is out of reach of any station."""
    tables = {
        "stations": _frame(
            {
                "station_id": ["A1", "A2"],
                "district_id": ["D1", "D1"],
                "before": [2, 2],
                "after": [3, 1],
                "workload_minutes": [61.25, 13.0],
                "capacity_minutes": [3456.0, 1152.0],
                "phone": [PHONE_TEXT, "010-120"],
            }
        ),
        "handshakes": _frame(
            {
                "home_id": [LEADING_ZERO_ID, "H002", "H003"],
                "station_id": ["A1", "A1", "A2"],
                "hospital_id": ["HP1", "HP1", "HP1"],
                "trip_minutes": [35.5, 40.0, 130.0],
                "daily_transfers": [0.5, 0.25, 0.1],
                "covered": [True, True, False],
                "reason": ["", "", "no_station_in_reach"],
            }
        ),
    }
    phases = _phases(("covered_transfers", "max", 0.75), ("moves", "min", 1.0), ("minutes", "min", 27.75))
    return StageResult.from_phases("ambulance", phases, tables, seconds=0.125)


def make_nursing() -> StageResult:
    """Two pools cover the 1:1 needs; the backfill at 007 is one nurse short."""
    tables = {
        "needs": _frame(
            {
                "need_id": ["transfer_1to1:HP1", f"backfill:{LEADING_ZERO_ID}", "transfer_1to1:ST1"],
                "destination_id": ["HP1", LEADING_ZERO_ID, "ST1"],
                "need": ["transfer_1to1", "backfill", "transfer_1to1"],
                "required": [2, 3, 2],
                "assigned": [2, 2, 2],
                "unmet": [0, 1, 0],
                "district_id": ["D1", "D1", "D1"],
                "reason": ["", "pools_used_up", ""],
            }
        ),
        "assignments": _frame(
            {
                "pool_id": ["N1", "N1", "N2"],
                "need_id": ["transfer_1to1:HP1", f"backfill:{LEADING_ZERO_ID}", "transfer_1to1:ST1"],
                "nurses": [2, 2, 2],
                "minutes": [15.0, 22.5, 610.0],
            }
        ),
        "pools": _frame(
            {
                "pool_id": ["N1", "N2"],
                "district_id": ["D1", "D2"],
                "nurses": [4, 2],
                "used": [4, 2],
                "marginal_value": [1.0, 1.0],
            }
        ),
    }
    phases = _phases(("tier_1", "max", 4.0), ("tier_2", "max", 2.0), ("minutes", "min", 1295.0))
    return StageResult.from_phases("nursing", phases, tables, seconds=0.0625)


def make_drugs() -> StageResult:
    """Depot W1 fills 007's antipyretics and two thirds of clinic C1's cough medicine."""
    tables = {
        "targets": _frame(
            {
                "institution_id": [LEADING_ZERO_ID, "C1"],
                "kind": ["care_home", "clinic"],
                "drug": ["antipyretic", "cough"],
                "target": [20, 30],
                "on_hand": [5, 0],
                "need": [15, 30],
                "allocated": [15, 20],
                "shortfall": [0, 10],
                "fill_rate": [1.0, 2 / 3],
                "reason": ["", "stock_short"],
            }
        ),
        "allocations": _frame(
            {
                "depot_id": ["W1", "W1"],
                "institution_id": [LEADING_ZERO_ID, "C1"],
                "drug": ["antipyretic", "cough"],
                "quantity": [15, 20],
                "minutes": [25.0, 30.0],
            }
        ),
        "depots": _frame(
            {
                "depot_id": ["W1", "W1"],
                "drug": ["antipyretic", "cough"],
                "stock": [15, 20],
                "shipped": [15, 20],
                "marginal_value": [0.0, 1.0],
            }
        ),
    }
    phases = _phases(("min_fill_rate", "max", 0.6667), ("shortfall", "min", 10.0), ("pack_minutes", "min", 975.0))
    return StageResult.from_phases("drugs", phases, tables, seconds=0.03125)


def make_needs() -> Needs:
    """A few needs rows consistent with the stage tables (not a full needs computation)."""
    empty = pd.DataFrame
    return Needs(
        homes=_frame(
            {
                "home_id": [LEADING_ZERO_ID, "H002", "H003"],
                "district_id": ["D1", "D1", "D1"],
                "street_id": ["S1", "S1", "S3"],
                "residents": [40, 100, 60],
            }
        ),
        observation=_frame(
            {
                "home_id": [LEADING_ZERO_ID, LEADING_ZERO_ID, "H002", "H003"],
                "street_id": ["S1", "S1", "S1", "S3"],
                "district_id": ["D1", "D1", "D1", "D1"],
                "group": ["disabled", "other", "other", "other"],
                "persons": [2, 3, 1, 1],
            }
        ),
        transfers=empty(),
        nursing=empty(),
        drugs=empty(),
        reserve=_frame({"district_id": ["D1"], "residents": [200], "required": [20], "held": [6]}),
        nat_tests=empty(),
        antigen_tests=empty(),
        icu=empty(),
        sampling=empty(),
    )


def make_testing() -> StageResult:
    """Street S1 has two of its three points (one candidate short); lab L1 takes 100 tubes of its 80 + 20 unrouted.

    D1's one sampling team (400 samples a day) takes 300 at ``007`` and, as backup, 100 of H003's 150 in D2 (no
    team): 50 unsampled, one more team in D2 would take them."""
    tables = {
        "points": _frame(
            {
                "point_id": ["P1", "P2"],
                "street_id": ["S1", "S1"],
                "lat": [39.93, 39.94],
                "lon": [116.41, 116.42],
                "desks": [2, 3],
                "tests_per_day": [1440, 2160],
                "population": [40, 60],
            }
        ),
        "streets": _frame(
            {
                "street_id": ["S1"],
                "points": [2],
                "required_min": [3],
                "required_max": [5],
                "met": [False],
                "reason": ["too_few_candidates"],
            }
        ),
        "labs": _frame({"lab_id": ["L1"], "load_per_day": [80], "capacity_per_day": [80]}),
        "round": _frame({"days_needed": [2.5], "days_required": [2.0], "met": [False], "binding": ["labs"]}),
        "teams": _frame(
            {
                "district_id": ["D1", "D1"],
                "home_id": [LEADING_ZERO_ID, "H003"],
                "home_district_id": ["D1", "D2"],
                "tests_per_day": [300, 100],
                "teams": [0.75, 0.25],
                "km": [1.2, 4.5],
                "backup": [False, True],
            }
        ),
        "team_homes": _frame(
            {
                "home_id": [LEADING_ZERO_ID, "H003"],
                "district_id": ["D1", "D2"],
                "tests_per_day": [300, 150],
                "sampled": [300, 100],
                "unsampled": [0, 50],
            }
        ),
        "team_districts": _frame(
            {
                "district_id": ["D1", "D2"],
                "teams_available": [1, 0],
                "capacity_per_day": [400, 0],
                "tests_needed": [300, 150],
                "tests_sampled": [300, 100],
                "unsampled": [0, 50],
                "teams_needed": [1, 1],
                "teams_short": [0, 1],
                "extra_teams": [0, 1],
                "lent": [100, 0],
                "borrowed": [0, 100],
            }
        ),
    }
    phases = [Phase("walking_person_km", "min", 12.5, 12.5, Status.OPTIMAL)]
    return StageResult.from_phases("testing", phases, tables, seconds=0.01)


def make_plan_fixture() -> Plan:
    """The hand-made plan (see the module docstring)."""
    stages = {
        "observation": make_observation(),
        "ambulance": make_ambulance(),
        "nursing": make_nursing(),
        "drugs": make_drugs(),
        "testing": make_testing(),
    }
    compliance = _frame(
        {
            "rule_id": ["nursing_reserve_per_resident", "sites_per_street_min", "transfer_minutes_max"],
            "scope_id": ["D1", "S3", "H003"],
            "required": [20.0, 1.0, 120.0],
            "planned": [6.0, 0.0, 130.0],
            "met": [False, False, False],
            "source": ["000 §4 reserve", "003 三(二)10", "001 (xvi)"],
        }
    )
    explanations = _frame(
        {
            "stage": ["observation", "ambulance"],
            "entity_id": ["H003", "H003"],
            "reason": ["no_room_in_reach", "no_station_in_reach"],
            "en": ["Care home H003: 1 person has no free room in reach.", "Care home H003: no 120 station in reach."],
            "zh": ["养老机构H003：1人在可达范围内无空余房间。", "养老机构H003：可达范围内无120急救站。"],
        }
    )
    marginal_values = _frame(
        {
            "stage": ["observation", "drugs"],
            "resource_id": ["ST2", "W1"],
            "resource_kind": ["site", "depot"],
            "value": [1.0, 1.0],
            "en": ["One more room at ST2 places 1 more person.", "One more pack of cough medicine at W1 fills 1 more."],
            "zh": ["ST2每增加1个房间可多安置1人。", "W1每增加1盒止咳药可多满足1盒需求。"],
        }
    )
    kpis = {
        "unmet_persons": np.int64(1),
        "covered_daily_transfers": np.float64(0.75),
        "nurses_short": 1,
        "fill_rate_min": 2 / 3,
        "status": {name: result.status.value for name, result in stages.items()},
        "seconds_total": 0.46875,
        "district_zh": "东城区",
    }
    return Plan(
        dataset_name="tiny 东城区",
        dataset_sha256=FIXTURE_SHA256,
        rules=load_rules(),
        scenario=Scenario.model_validate(
            {"level": "prevalent", "plan": "snapshot", "closed_sites": ["ST2"], "demand_multipliers": {"D1": 1.5}}
        ),
        needs=make_needs(),
        results=stages,
        kpis=kpis,
        compliance=compliance,
        explanations=explanations,
        marginal_values=marginal_values,
        timeline=pd.DataFrame(
            {
                "day": [0, 1, 2],
                "resource": ["observation_places", "observation_places", "stock:antipyretic"],
                "scope": ["site", "district", "institution"],
                "scope_id": ["ST1", "D1", LEADING_ZERO_ID],
                "needed": [2.0, 6.0, 3.5],
                "planned": [10.0, 5.0, 2.0],
                "short": [0.0, 1.0, 1.5],
            }
        ),
        run_out=pd.DataFrame(
            {
                "resource": ["observation_places", "stock:antipyretic"],
                "scope": ["district", "institution"],
                "scope_id": ["D1", LEADING_ZERO_ID],
                "first_short_day": [1, 2],
            }
        ),
    )
