"""Scenario -> needs: what every institution needs before any resource is allocated (DESIGN §4).

Rounding is part of the contract (``planner.needs.rounding``): persons ``r(x) = floor(x + 0.5)``, targets
``c(x) = ceil(x)``, both after rounding ``x`` to 9 decimals so that float error never adds a person.

Every level-dependent figure follows the care home's **district level** (``Scenario.level_of``; 004 (六)
grades by district): the attack rate, severe share, staff absence and rotation share
(``Scenario.district_knob``) and the home's management (``care_home_management``), hence its test frequencies.
Per care home, with attack rate ``a = min(1, attack_rate * demand_multiplier[district])``:

- infected ``I = r(a * residents)``; transfers ``T = I`` when ``infected_to_designated_hospital`` (containment:
  every infected person to a designated hospital, 001 (xvi), 003 三(1)3), else ``T = r(severe_share * I)``;
  mild ``M = I - T``;
- disabled share ``q = disabled / residents`` (0 without residents), disabled transfers ``Td = r(T * q)``,
  disabled mild ``Md = r(M * q)``;
- close contacts isolated centrally ``C``, ``Cd`` (``planner.needs.isolation``; none under beijing-2023);
- observation: disabled ``Od = Cd + (Md`` without partition), other ``Oo = C - Cd + (M - Md + r(rotation_share *
  staff) + new_admissions`` without partition) — the observation table keeps one row per cause
  (``mild``, ``contact``, ``rotation``, ``admission``) and adds the streets' inbound arrivals (``inbound``);
- a home with partition keeps its mild cases: its disabled mild ``Md`` are in its own isolation area
  (``isolation_disabled``: 1:1 nurses there when ``nurses_1to1_destinations`` lists ``home_isolation_area``,
  000 §4), its self-care nurses ``r(nurses_per_infected_self_care * (M - Md))``;
- backfill nurses ``r(staff_absence * staff)``; daily transfers ``T / horizon_days``; hospital: the designated one
  when given, else the designated hospital nearest in minutes (travel overrides honoured).

Targets (``planner.needs.targets``): drug reserves, the district nursing reserve, ICU share and sampling points;
tests by type (``planner.needs.testing``): NAT needs per home and antigen needs whose kits the drug stage plans.
1:1 nurses go to receiving hospitals, sites and homes as ``nurses_1to1_destinations`` lists. Closed sites are
the pipeline's business, not this module's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.dataset import travel
from planner.dataset.schema import Dataset
from planner.needs.daily import DailyNeeds, Stays, daily_needs, forecast_scale, home_curves
from planner.needs.isolation import close_contacts, inbound_arrivals
from planner.needs.rounding import ROUNDING_DECIMALS, ceil_target, column_or_zero, round_persons, street_districts
from planner.needs.targets import drug_targets, icu_needs, nursing_reserve, sampling_points
from planner.needs.testing import antigen_needs, nat_needs
from planner.rules.rules import Rules
from planner.rules.scenario import Scenario

HOME_COLUMNS: tuple[str, ...] = (
    "home_id",
    "district_id",
    "street_id",
    "residents",
    "staff",
    "disabled",
    "partition",
    "level",
    "management",
    "infected",
    "transfers",
    "transfers_disabled",
    "mild",
    "contacts",
    "contacts_disabled",
    "observation_disabled",
    "observation_other",
    "isolation_disabled",
    "backfill",
    "self_care",
    "daily_transfers",
    "hospital_id",
    "hospital_minutes",
    "attack_rate",
    "rotation_staff",
    "new_admissions",
)
OBSERVATION_COLUMNS: tuple[str, ...] = (
    "home_id",
    "origin_kind",
    "street_id",
    "district_id",
    "group",
    "cause",
    "persons",
)
"""Persons to place at observation sites: ``home_id`` is the origin (a care home, or ``inbound:<street_id>`` for
a street's inbound arrivals, ``origin_kind`` ``care_home`` / ``street``); ``cause`` is ``mild``, ``contact``,
``rotation``, ``admission`` or ``inbound``."""
CAUSES: tuple[str, ...] = ("mild", "contact", "rotation", "admission", "inbound")
TRANSFER_COLUMNS: tuple[str, ...] = (
    "home_id",
    "district_id",
    "hospital_id",
    "transfers",
    "transfers_disabled",
    "daily_transfers",
    "hospital_minutes",
)
NURSING_COLUMNS: tuple[str, ...] = ("need_id", "destination_id", "destination_kind", "district_id", "need", "required")

__all__ = ["ROUNDING_DECIMALS", "Needs", "ceil_target", "compute_needs", "round_persons", "site_transfer_needs"]


@dataclass(frozen=True)
class Needs:
    """Every need of a scenario, one table per kind (columns: see the module constants and submodules)."""

    homes: pd.DataFrame
    observation: pd.DataFrame
    transfers: pd.DataFrame
    nursing: pd.DataFrame
    drugs: pd.DataFrame
    reserve: pd.DataFrame
    nat_tests: pd.DataFrame
    antigen_tests: pd.DataFrame
    icu: pd.DataFrame
    sampling: pd.DataFrame
    daily: DailyNeeds | None = None
    """The day-by-day needs (``planner.needs.daily``) of a daily plan; None for a snapshot."""

    def observed(self) -> pd.DataFrame:
        """The persons the observation stage places, with their ``cause`` and ``persons``: the day-by-day cohorts of
        a daily plan (a forecast scales them; it may leave a cause out altogether), else the snapshot's rows."""
        return self.observation if self.daily is None else self.daily.cohorts

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name."""
        return {
            "homes": self.homes,
            "observation": self.observation,
            "transfers": self.transfers,
            "nursing": self.nursing,
            "drugs": self.drugs,
            "reserve": self.reserve,
            "nat_tests": self.nat_tests,
            "antigen_tests": self.antigen_tests,
            "icu": self.icu,
            "sampling": self.sampling,
        }


def compute_needs(dataset: Dataset, rules: Rules, scenario: Scenario) -> Needs:
    """All needs of ``scenario`` on ``dataset`` under ``rules`` (its ``rule_overrides`` applied)."""
    rules = scenario.apply_to(rules)
    street_district = street_districts(dataset.streets)
    homes = _home_needs(dataset, rules, scenario, street_district)
    inbound = inbound_arrivals(dataset, rules, scenario)
    antigen = antigen_needs(homes, rules, scenario.horizon_days)
    observation = _observation(homes, inbound)
    nursing = _nursing(homes, dataset, rules, street_district)
    return Needs(
        homes=homes,
        observation=observation,
        transfers=homes.loc[:, list(TRANSFER_COLUMNS)].reset_index(drop=True),
        nursing=nursing,
        drugs=drug_targets(dataset, rules, street_district, antigen),
        reserve=nursing_reserve(homes, dataset, rules),
        nat_tests=nat_needs(homes, inbound, rules),
        antigen_tests=antigen,
        icu=icu_needs(dataset, rules, street_district),
        sampling=sampling_points(dataset, rules),
        daily=_daily(dataset, rules, scenario, homes, observation, nursing),
    )


def _daily(
    dataset: Dataset,
    rules: Rules,
    scenario: Scenario,
    homes: pd.DataFrame,
    observation: pd.DataFrame,
    nursing: pd.DataFrame,
) -> DailyNeeds | None:
    """The day-by-day needs when the scenario plans by day."""
    if scenario.plan != "daily":
        return None
    forecast = getattr(dataset, "forecast", None)
    population = dataset.districts.set_index(dataset.districts["district_id"].astype(str))["population"]
    return daily_needs(
        homes,
        observation,
        nursing,
        home_curves(homes, scenario, forecast),
        Stays.of(rules),
        nurses_per_transferred_disabled=rules.nurses_per_transferred_disabled,
        scale=forecast_scale(homes, scenario, forecast, population.astype(float)),
    )


def site_transfer_needs(site_disabled: pd.DataFrame, rules: Rules, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Nursing rows for 1:1 care of the disabled persons placed at observation sites.

    ``site_disabled`` has ``site_id, district_id, persons`` (several rows per site are summed), and the columns
    ``by`` (a day: one set of rows per value, the columns kept at the end). ``required =
    c(nurses_per_transferred_disabled * persons)``; rows with 0 are dropped, and none are made when
    ``nurses_1to1_destinations`` does not list ``observation_site``.
    """
    if site_disabled.empty or "observation_site" not in rules.nurses_1to1_destinations:
        return _empty_nursing()
    per_site = (
        site_disabled.assign(site_id=site_disabled["site_id"].astype(str))
        .groupby([*by, "site_id", "district_id"], sort=True, as_index=False)["persons"]
        .sum()
    )
    required = ceil_target(rules.nurses_per_transferred_disabled * per_site["persons"].to_numpy(np.float64))
    per_site = per_site[required > 0].reset_index(drop=True)
    rows = _nursing_rows(per_site["site_id"], "site", per_site["district_id"], "transfer_1to1", required[required > 0])
    return rows.assign(**{key: per_site[key].to_numpy() for key in by})


# --- care homes ------------------------------------------------------------------------------------


def _home_needs(dataset: Dataset, rules: Rules, scenario: Scenario, street_district: pd.Series) -> pd.DataFrame:
    """One row per care home: level, cases, groups, nurses, daily transfers and hospital."""
    source = dataset.care_homes
    district = source["street_id"].astype(str).map(street_district)
    level = district.map(scenario.level_of).astype(object)
    homes = pd.DataFrame(
        {
            "home_id": source["home_id"].astype(str).to_numpy(),
            "district_id": district.to_numpy(),
            "street_id": source["street_id"].astype(str).to_numpy(),
            "residents": source["residents"].to_numpy(np.int64),
            "staff": source["staff"].to_numpy(np.int64),
            "disabled": source["disabled"].to_numpy(np.int64),
            "partition": source["partition"].to_numpy(bool),
            "level": level.to_numpy(dtype=object),
            "management": level.map(rules.care_home_management).to_numpy(dtype=object),
        }
    )
    homes = _add_cases(homes, source, rules, scenario)
    hospital_id, hospital_minutes = _home_hospitals(homes, dataset, rules)
    homes["hospital_id"] = hospital_id
    homes["hospital_minutes"] = hospital_minutes
    return homes.loc[:, list(HOME_COLUMNS)]


def _add_cases(homes: pd.DataFrame, source: pd.DataFrame, rules: Rules, scenario: Scenario) -> pd.DataFrame:
    """Infected, transfers, mild, contacts, observation groups and nurses per home (module docstring)."""
    districts = homes["district_id"]
    residents = homes["residents"].to_numpy(np.float64)
    staff = homes["staff"].to_numpy(np.float64)
    partition = homes["partition"].to_numpy(bool)
    multiplier = districts.map(scenario.demand_multipliers).fillna(1.0).to_numpy(np.float64)
    attack_rate = np.minimum(1.0, scenario.district_knobs("attack_rate", districts) * multiplier)
    disabled_share = np.divide(
        homes["disabled"].to_numpy(np.float64), residents, out=np.zeros_like(residents), where=residents > 0
    )
    infected = round_persons(attack_rate * residents)
    if rules.infected_to_designated_hospital:
        transfers = infected.copy()
    else:
        transfers = round_persons(scenario.district_knobs("severe_share", districts) * infected)
    mild = infected - transfers
    mild_disabled = round_persons(mild * disabled_share)
    contacts, contacts_disabled = close_contacts(infected, disabled_share, rules)
    rotation_staff = round_persons(scenario.district_knobs("rotation_share", districts) * staff)
    new_admissions = column_or_zero(source, "new_admissions")
    kept = np.where(partition, 0, 1)
    observation_disabled = contacts_disabled + kept * mild_disabled
    observation_other = contacts - contacts_disabled + kept * (mild - mild_disabled + rotation_staff + new_admissions)
    isolation_disabled = np.where(partition, mild_disabled, 0)
    self_care = np.where(partition, round_persons(rules.nurses_per_infected_self_care * (mild - mild_disabled)), 0)
    return homes.assign(
        infected=infected,
        transfers=transfers,
        transfers_disabled=round_persons(transfers * disabled_share),
        mild=mild,
        contacts=contacts.astype(np.int64),
        contacts_disabled=contacts_disabled.astype(np.int64),
        observation_disabled=observation_disabled.astype(np.int64),
        observation_other=observation_other.astype(np.int64),
        isolation_disabled=isolation_disabled.astype(np.int64),
        backfill=round_persons(scenario.district_knobs("staff_absence", districts) * staff),
        self_care=self_care.astype(np.int64),
        daily_transfers=transfers / float(scenario.horizon_days),
        attack_rate=attack_rate,
        rotation_staff=rotation_staff,
        new_admissions=new_admissions,
    )


def _home_hospitals(homes: pd.DataFrame, dataset: Dataset, rules: Rules) -> tuple[np.ndarray, np.ndarray]:
    """Each home's hospital (designated id when given, else the nearest designated) and its minutes."""
    source = dataset.care_homes
    origins = travel.with_speed(
        pd.DataFrame(
            {
                "id": homes["home_id"].to_numpy(),
                "lat": source["lat"].to_numpy(np.float64),
                "lon": source["lon"].to_numpy(np.float64),
                "district_id": homes["district_id"].to_numpy(),
            }
        ),
        dataset,
        rules.default_speed_kmh,
    )
    hospitals = _points(dataset.hospitals, "hospital_id")
    given = _designated_given(source)
    hospital_id = given.copy()
    minutes = np.full(len(homes), np.nan)
    detour = rules.road_detour_factor
    overrides = dataset.travel_minutes

    has_given = (given != "") & pd.Index(given).isin(hospitals["id"])
    if has_given.any():
        chosen = hospitals.set_index("id").loc[given[has_given]]
        start = origins.loc[has_given]
        minutes[has_given] = travel.pair_minutes(
            start["id"],
            start["lat"],
            start["lon"],
            chosen.index,
            chosen["lat"],
            chosen["lon"],
            start["speed_kmh"],
            detour=detour,
            overrides=overrides,
        )

    to_find = given == ""
    designated = hospitals[dataset.hospitals["designated"].to_numpy(bool)]
    if to_find.any() and not designated.empty:
        nearest = travel.arcs(origins.loc[to_find], designated, detour=detour, k=1, overrides=overrides)
        found = nearest.set_index("from_id")
        rows = origins["id"].where(to_find)
        hospital_id = np.where(to_find, rows.map(found["to_id"]).fillna("").to_numpy(), hospital_id).astype(object)
        minutes = np.where(to_find, rows.map(found["minutes"]).to_numpy(np.float64), minutes)
    return hospital_id, minutes


def _designated_given(care_homes: pd.DataFrame) -> np.ndarray:
    """``designated_hospital_id`` as stripped text, ``""`` where none is given."""
    if "designated_hospital_id" not in care_homes.columns:
        return np.full(len(care_homes), "", dtype=object)
    return care_homes["designated_hospital_id"].fillna("").astype(str).str.strip().to_numpy(dtype=object)


def _points(frame: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """``id, lat, lon`` of an institution table."""
    return pd.DataFrame(
        {
            "id": frame[id_column].astype(str).to_numpy(),
            "lat": frame["lat"].to_numpy(np.float64),
            "lon": frame["lon"].to_numpy(np.float64),
        }
    )


# --- derived tables --------------------------------------------------------------------------------


def _observation(homes: pd.DataFrame, inbound: pd.DataFrame) -> pd.DataFrame:
    """Persons per origin, group and cause sent to observation sites (persons > 0 only), home by home, then the
    streets' inbound arrivals."""
    keys = homes.loc[:, ["home_id", "street_id", "district_id"]].assign(origin_kind="care_home", _home=homes.index)
    kept = ~homes["partition"].to_numpy(bool)
    contacts_disabled = homes["contacts_disabled"].to_numpy(np.int64)
    mild_disabled = homes["observation_disabled"].to_numpy(np.int64) - contacts_disabled
    mild_other = np.where(kept, homes["mild"].to_numpy(np.int64) - mild_disabled, 0)
    parts = [
        ("disabled", "mild", mild_disabled),
        ("disabled", "contact", contacts_disabled),
        ("other", "mild", mild_other),
        ("other", "contact", homes["contacts"].to_numpy(np.int64) - contacts_disabled),
        ("other", "rotation", np.where(kept, homes["rotation_staff"].to_numpy(np.int64), 0)),
        ("other", "admission", np.where(kept, homes["new_admissions"].to_numpy(np.int64), 0)),
    ]
    rows = [keys.assign(group=g, cause=c, persons=n, _part=i) for i, (g, c, n) in enumerate(parts)]
    table = pd.concat(rows, ignore_index=True)
    table = table[table["persons"] > 0].sort_values(["_home", "_part"], kind="stable")
    arrivals = inbound.assign(origin_kind="street", group="other", cause="inbound")
    table = pd.concat([table.loc[:, list(OBSERVATION_COLUMNS)], arrivals.loc[:, list(OBSERVATION_COLUMNS)]])
    return table.reset_index(drop=True).astype({"persons": np.int64})


def _nursing(homes: pd.DataFrame, dataset: Dataset, rules: Rules, street_district: pd.Series) -> pd.DataFrame:
    """1:1 nurses at receiving hospitals and in homes' own isolation areas (as ``nurses_1to1_destinations`` lists),
    backfill and self-care nurses at homes (rows with 0 dropped)."""
    places = rules.nurses_1to1_destinations
    ratio = rules.nurses_per_transferred_disabled
    received = homes[homes["hospital_id"] != ""] if "hospital" in places else homes.iloc[0:0]
    disabled_by_hospital = received.groupby("hospital_id", sort=True)["transfers_disabled"].sum()
    hospital_district = pd.Series(
        dataset.hospitals["street_id"].astype(str).map(street_district).to_numpy(),
        index=dataset.hospitals["hospital_id"].astype(str),
    )
    in_house = homes["isolation_disabled"].to_numpy(np.float64) if "home_isolation_area" in places else 0.0
    rows = [
        _nursing_rows(
            disabled_by_hospital.index.to_series(),
            "hospital",
            disabled_by_hospital.index.to_series().map(hospital_district),
            "transfer_1to1",
            ceil_target(ratio * disabled_by_hospital.to_numpy(np.float64)),
        ),
        _nursing_rows(
            homes["home_id"], "care_home", homes["district_id"], "transfer_1to1", ceil_target(ratio * in_house)
        ),
        _nursing_rows(homes["home_id"], "care_home", homes["district_id"], "backfill", homes["backfill"].to_numpy()),
        _nursing_rows(homes["home_id"], "care_home", homes["district_id"], "self_care", homes["self_care"].to_numpy()),
    ]
    return pd.concat(rows, ignore_index=True)


def _nursing_rows(
    destination_id: pd.Series, kind: str, district_id: pd.Series, need: str, required: np.ndarray
) -> pd.DataFrame:
    destination = destination_id.astype(str).to_numpy(dtype=object)
    frame = pd.DataFrame(
        {
            "need_id": need + ":" + pd.Series(destination, dtype=object),
            "destination_id": destination,
            "destination_kind": kind,
            "district_id": district_id.astype(str).to_numpy(dtype=object),
            "need": need,
            "required": np.broadcast_to(np.asarray(required, dtype=np.int64), len(destination)),
        }
    )
    return frame[frame["required"] > 0].reset_index(drop=True)


def _empty_nursing() -> pd.DataFrame:
    return _nursing_rows(pd.Series([], dtype=object), "site", pd.Series([], dtype=object), "transfer_1to1", np.zeros(0))
