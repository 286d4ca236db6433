"""Tests by type: nucleic acid (NAT) and antigen tests are separate needs (000 §4, issue 10).

A care home's management follows its district's level (``care_home_management``: open or closed), and the
test frequencies follow the management (000 §4 keys them by management, not by level). Per home, with
``m`` its management, ``s = resident_antigen_share``, ``R`` residents, ``S`` staff, ``A`` new admissions over
the horizon of ``H`` days and ``D = test_cover_days``:

- **NAT** (sampling and lab capacity; planned by the testing stage of issue 13):
  staff ``S * tests_per_week_staff[m]`` (staff tests are nucleic acid, 000 §4), residents
  ``R * tests_per_week_residents[m] * (1 - s)`` a week; per day = per week / 7; tubes per week
  ``c(tests / nat_persons_per_tube)``; one immediate round at a home with a case
  ``outbreak_tests_per_person * (R + S) * (1 - s)`` (004 (十二)); its isolated close contacts take
  ``contact_nat_tests`` and ``contact_antibody_tests`` each over their isolation (003 三(二)10); inbound
  arrivals of a street ``inbound_nat_tests`` and ``inbound_antibody_tests`` (003 三(三)1). ``sampling`` is
  ``team`` where ``care_home_sampling_teams`` (000 §4 sends sampling personnel to homes that cannot sample;
  the data cannot tell which homes can, so every home is listed), ``home`` otherwise, ``site`` for arrivals.
- **Antigen** (kits from the depots, planned by the drug stage): residents ``R * tests_per_week_residents[m] *
  s``, staff entry ``S * staff_entry_antigen_tests_per_week[m]`` a week (000 §3), admissions
  ``antigen_tests_per_admission * A`` over the horizon, the antigen part of the outbreak round
  ``outbreak_tests_per_person * (R + S) * s``. Tests per day = weekly / 7 + admissions / H; the home's kit
  target ``c(tests per day * D + outbreak round)``: ``D`` days of tests (no clause gives the days of cover:
  ``test_cover_days`` is an assumption, 7 in both presets) and one outbreak round on hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.needs.rounding import ceil_target
from planner.rules.rules import Rules

NAT_COLUMNS: tuple[str, ...] = (
    "home_id",
    "origin_kind",
    "district_id",
    "street_id",
    "level",
    "management",
    "sampling",
    "staff",
    "residents",
    "staff_tests_per_week",
    "resident_tests_per_week",
    "tests_per_week",
    "tests_per_day",
    "tubes_per_week",
    "outbreak_tests",
    "isolated",
    "isolation_tests",
    "antibody_tests",
)
"""NAT needs per care home (and per street for inbound arrivals, ``origin_kind`` ``street``)."""
ANTIGEN_COLUMNS: tuple[str, ...] = (
    "home_id",
    "district_id",
    "level",
    "management",
    "residents",
    "staff",
    "new_admissions",
    "resident_tests_per_week",
    "staff_entry_tests_per_week",
    "admission_tests",
    "outbreak_tests",
    "tests_per_day",
    "cover_days",
    "target",
)
"""Antigen needs per care home; ``target`` is the home's antigen-kit target for the drug stage."""
DAYS_PER_WEEK = 7.0


def _per_management(homes: pd.DataFrame, values: dict[str, float]) -> np.ndarray:
    return homes["management"].map(values).to_numpy(np.float64)


def nat_needs(homes: pd.DataFrame, inbound: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """NAT tests per home (routine, outbreak round, isolated contacts) and per street of inbound arrivals.

    ``homes`` has the needs' home columns (``level``, ``management``, ``infected``, ``contacts``, ...);
    ``inbound`` has ``street_id, district_id, persons`` (arrivals isolated centrally).
    """
    residents = homes["residents"].to_numpy(np.float64)
    staff = homes["staff"].to_numpy(np.float64)
    nat_share = 1.0 - rules.resident_antigen_share
    staff_tests = staff * _per_management(homes, rules.tests_per_week_staff)
    resident_tests = residents * _per_management(homes, rules.tests_per_week_residents) * nat_share
    weekly = staff_tests + resident_tests
    has_case = homes["infected"].to_numpy(np.int64) > 0
    outbreak = np.where(has_case, rules.outbreak_tests_per_person * (residents + staff) * nat_share, 0.0)
    contacts = homes["contacts"].to_numpy(np.int64)
    home_rows = pd.DataFrame(
        {
            "home_id": homes["home_id"].to_numpy(dtype=object),
            "origin_kind": "care_home",
            "district_id": homes["district_id"].to_numpy(dtype=object),
            "street_id": homes["street_id"].to_numpy(dtype=object),
            "level": homes["level"].to_numpy(dtype=object),
            "management": homes["management"].to_numpy(dtype=object),
            "sampling": "team" if rules.care_home_sampling_teams else "home",
            "staff": homes["staff"].to_numpy(np.int64),
            "residents": homes["residents"].to_numpy(np.int64),
            "staff_tests_per_week": staff_tests,
            "resident_tests_per_week": resident_tests,
            "tests_per_week": weekly,
            "tests_per_day": weekly / DAYS_PER_WEEK,
            "tubes_per_week": ceil_target(weekly / rules.nat_persons_per_tube),
            "outbreak_tests": ceil_target(outbreak),
            "isolated": contacts,
            "isolation_tests": contacts * rules.contact_nat_tests,
            "antibody_tests": contacts * rules.contact_antibody_tests,
        }
    )
    arrivals = inbound["persons"].to_numpy(np.int64)
    street_rows = pd.DataFrame(
        {
            "home_id": inbound["home_id"].to_numpy(dtype=object),
            "origin_kind": "street",
            "district_id": inbound["district_id"].to_numpy(dtype=object),
            "street_id": inbound["street_id"].to_numpy(dtype=object),
            "level": "",
            "management": "",
            "sampling": "site",
            "staff": 0,
            "residents": 0,
            "staff_tests_per_week": 0.0,
            "resident_tests_per_week": 0.0,
            "tests_per_week": 0.0,
            "tests_per_day": 0.0,
            "tubes_per_week": 0,
            "outbreak_tests": 0,
            "isolated": arrivals,
            "isolation_tests": arrivals * rules.inbound_nat_tests,
            "antibody_tests": arrivals * rules.inbound_antibody_tests,
        }
    )
    frames = [frame for frame in (home_rows, street_rows) if not frame.empty]
    if not frames:
        return home_rows.loc[:, list(NAT_COLUMNS)]
    table = pd.concat(frames, ignore_index=True).loc[:, list(NAT_COLUMNS)]
    for column in ("staff", "residents", "tubes_per_week", "outbreak_tests", "isolated"):
        table[column] = table[column].astype(np.int64)
    for column in ("isolation_tests", "antibody_tests"):
        table[column] = table[column].astype(np.int64)
    return table


def antigen_needs(homes: pd.DataFrame, rules: Rules, horizon_days: int) -> pd.DataFrame:
    """Antigen tests per home and the home's kit target for ``test_cover_days`` days and one outbreak round."""
    residents = homes["residents"].to_numpy(np.float64)
    staff = homes["staff"].to_numpy(np.float64)
    share = rules.resident_antigen_share
    resident_tests = residents * _per_management(homes, rules.tests_per_week_residents) * share
    entry_tests = staff * _per_management(homes, rules.staff_entry_antigen_tests_per_week)
    admission_tests = rules.antigen_tests_per_admission * homes["new_admissions"].to_numpy(np.float64)
    has_case = homes["infected"].to_numpy(np.int64) > 0
    outbreak = np.where(has_case, rules.outbreak_tests_per_person * (residents + staff) * share, 0.0)
    per_day = (resident_tests + entry_tests) / DAYS_PER_WEEK + admission_tests / float(horizon_days)
    cover = rules.test_cover_days
    return pd.DataFrame(
        {
            "home_id": homes["home_id"].to_numpy(dtype=object),
            "district_id": homes["district_id"].to_numpy(dtype=object),
            "level": homes["level"].to_numpy(dtype=object),
            "management": homes["management"].to_numpy(dtype=object),
            "residents": homes["residents"].to_numpy(np.int64),
            "staff": homes["staff"].to_numpy(np.int64),
            "new_admissions": homes["new_admissions"].to_numpy(np.int64),
            "resident_tests_per_week": resident_tests,
            "staff_entry_tests_per_week": entry_tests,
            "admission_tests": admission_tests,
            "outbreak_tests": outbreak,
            "tests_per_day": per_day,
            "cover_days": np.full(len(homes), cover, dtype=np.int64),
            "target": ceil_target(per_day * cover + outbreak),
        }
    ).loc[:, list(ANTIGEN_COLUMNS)]
