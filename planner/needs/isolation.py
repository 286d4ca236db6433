"""Central isolation of close contacts and inbound arrivals (containment: 003 三(二)10, 三(三)1, 三(三)3; 001 (xv)).

- **Close contacts** of a care home's cases, when ``contacts_isolated`` and ``contact_central_isolation_days``
  > 0: ``C = r(contacts_per_case * infected)`` (``contacts_per_case`` is the coordinator's figure from contact
  tracing; contacts may include persons outside the home), split by the home's disabled share
  ``Cd = r(C * q)``, ``Co = C - Cd``. Every home's contacts go to central isolation, partition or not ("对所有
  密切接触者全部集中隔离医学观察", 003 三(三)3). Their 7 days of home health management use no site room.
  None under beijing-2023 (004 (二十二): contacts are no longer identified).
- **Inbound arrivals**, when ``inbound_isolation_days`` > 0: the scenario's ``inbound_arrivals`` of a district,
  spread over its streets by population (cumulative rounding, so the street counts add up to the district's),
  each street's arrivals an observation origin ``inbound:<street_id>`` at the street's coordinates, group
  ``other``. None under beijing-2023 (004 (二十二): no quarantine of inbound persons).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.dataset.schema import INBOUND_PREFIX, Dataset
from planner.needs.curve import spread
from planner.needs.rounding import round_persons
from planner.rules.rules import Rules
from planner.rules.scenario import Scenario

INBOUND_COLUMNS: tuple[str, ...] = ("home_id", "street_id", "district_id", "persons")


def contacts_isolated(rules: Rules) -> bool:
    """True when the rules isolate close contacts centrally."""
    return rules.contacts_isolated and rules.contact_central_isolation_days > 0 and rules.contacts_per_case > 0


def close_contacts(infected: np.ndarray, disabled_share: np.ndarray, rules: Rules) -> tuple[np.ndarray, np.ndarray]:
    """(contacts, disabled contacts) per home isolated centrally; zeros when the rules isolate none."""
    if not contacts_isolated(rules):
        zeros = np.zeros(len(infected), dtype=np.int64)
        return zeros, zeros.copy()
    contacts = round_persons(rules.contacts_per_case * np.asarray(infected, dtype=np.float64))
    return contacts, round_persons(contacts * disabled_share)


def inbound_origin(street_id: str) -> str:
    """The observation origin id of a street's inbound arrivals."""
    return f"{INBOUND_PREFIX}{street_id}"


def inbound_arrivals(dataset: Dataset, rules: Rules, scenario: Scenario) -> pd.DataFrame:
    """Inbound arrivals isolated centrally per street (persons > 0 only): home_id (origin), street, district."""
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in INBOUND_COLUMNS}).astype({"persons": np.int64})
    if rules.inbound_isolation_days <= 0 or not scenario.inbound_arrivals:
        return empty
    streets = dataset.streets
    parts = []
    for district, persons in scenario.inbound_arrivals.items():
        mine = streets[streets["district_id"].astype(str) == str(district)]
        if mine.empty or persons <= 0:
            continue
        population = mine["population"].to_numpy(np.float64)
        shares = population / population.sum() if population.sum() > 0 else np.full(len(mine), 1.0 / len(mine))
        counts = spread(np.array([float(persons)]), shares)[0]
        parts.append(
            pd.DataFrame(
                {
                    "home_id": [inbound_origin(s) for s in mine["street_id"].astype(str)],
                    "street_id": mine["street_id"].astype(str).to_numpy(dtype=object),
                    "district_id": str(district),
                    "persons": counts.astype(np.int64),
                }
            )
        )
    if not parts:
        return empty
    table = pd.concat(parts, ignore_index=True)
    return table[table["persons"] > 0].reset_index(drop=True).loc[:, list(INBOUND_COLUMNS)]
