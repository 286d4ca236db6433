"""Scenario -> needs: what every institution needs before any resource is allocated (DESIGN §4).

Rounding is part of the contract: persons ``r(x) = floor(x + 0.5)``, targets
``c(x) = ceil(x)``, both after rounding ``x`` to 9 decimals so that float error
never adds a person (``ceil(0.2 * 100)`` is 20).

Per care home, with attack rate ``a = min(1, attack_rate * demand_multiplier[district])``:

- infected ``I = r(a * residents)``, transfers ``T = r(severe_share * I)``, mild ``M = I - T``;
- disabled share ``q = disabled / residents`` (0 without residents), disabled transfers ``Td = r(T * q)``;
- observation, homes without partition only: disabled ``Od = r(M * q)``,
  other ``Oo = M - Od + r(rotation_share * staff) + new_admissions``;
- backfill nurses ``r(staff_absence * staff)``; self-care nurses, homes with partition only,
  ``r(nurses_per_infected_self_care * M)``;
- daily transfers ``T / horizon_days``; hospital: the designated one when given, else the
  designated hospital nearest in minutes (travel overrides honoured).

Targets: nursing (1:1 at receiving hospitals, backfill and self-care at homes), drug reserves
(care homes, clinics, hospitals; need = ``max(0, target - on_hand)``), the district nursing
reserve, weekly test kits, ICU share of designated hospitals and sampling points per street.
Closed sites are the pipeline's business, not this module's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.dataset import travel
from planner.dataset.schema import DRUGS, Dataset
from planner.rules.rules import Rules
from planner.rules.scenario import Scenario

ROUNDING_DECIMALS = 9
"""Decimals kept before ``r``/``c`` rounding, to absorb float error."""

HOME_COLUMNS: tuple[str, ...] = (
    "home_id",
    "district_id",
    "street_id",
    "residents",
    "staff",
    "disabled",
    "partition",
    "infected",
    "transfers",
    "transfers_disabled",
    "mild",
    "observation_disabled",
    "observation_other",
    "backfill",
    "self_care",
    "daily_transfers",
    "hospital_id",
    "hospital_minutes",
    "attack_rate",
    "rotation_staff",
    "new_admissions",
)
OBSERVATION_COLUMNS: tuple[str, ...] = ("home_id", "street_id", "district_id", "group", "persons")
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
DRUG_COLUMNS: tuple[str, ...] = ("institution_id", "kind", "district_id", "drug", "target", "on_hand", "need")


@dataclass(frozen=True)
class Needs:
    """Every need of a scenario, one table per kind (columns: see the module constants)."""

    homes: pd.DataFrame
    observation: pd.DataFrame
    transfers: pd.DataFrame
    nursing: pd.DataFrame
    drugs: pd.DataFrame
    reserve: pd.DataFrame
    test_kits: pd.DataFrame
    icu: pd.DataFrame
    sampling: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name."""
        return {
            "homes": self.homes,
            "observation": self.observation,
            "transfers": self.transfers,
            "nursing": self.nursing,
            "drugs": self.drugs,
            "reserve": self.reserve,
            "test_kits": self.test_kits,
            "icu": self.icu,
            "sampling": self.sampling,
        }


def round_persons(x: np.ndarray | pd.Series | float) -> np.ndarray:
    """``r(x) = floor(x + 0.5)`` as int64, after rounding ``x`` to 9 decimals."""
    return np.floor(np.round(np.asarray(x, dtype=np.float64), ROUNDING_DECIMALS) + 0.5).astype(np.int64)


def ceil_target(x: np.ndarray | pd.Series | float) -> np.ndarray:
    """``c(x) = ceil(x)`` as int64, after rounding ``x`` to 9 decimals."""
    return np.ceil(np.round(np.asarray(x, dtype=np.float64), ROUNDING_DECIMALS)).astype(np.int64)


def compute_needs(dataset: Dataset, rules: Rules, scenario: Scenario) -> Needs:
    """All needs of ``scenario`` on ``dataset`` under ``rules`` (its ``rule_overrides`` applied)."""
    rules = scenario.apply_to(rules)
    street_district = _street_districts(dataset)
    homes = _home_needs(dataset, rules, scenario, street_district)
    return Needs(
        homes=homes,
        observation=_observation(homes),
        transfers=homes.loc[:, list(TRANSFER_COLUMNS)].reset_index(drop=True),
        nursing=_nursing(homes, dataset, rules, street_district),
        drugs=_drugs(dataset, rules, scenario, street_district),
        reserve=_reserve(homes, dataset, rules),
        test_kits=_test_kits(homes, rules, scenario),
        icu=_icu(dataset, rules, street_district),
        sampling=_sampling(dataset, rules),
    )


def site_transfer_needs(site_disabled: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Nursing rows for 1:1 care of the disabled persons placed at observation sites.

    ``site_disabled`` has ``site_id, district_id, persons`` (several rows per site are summed).
    ``required = c(nurses_per_transferred_disabled * persons)``; rows with 0 are dropped.
    """
    if site_disabled.empty:
        return _empty_nursing()
    per_site = (
        site_disabled.assign(site_id=site_disabled["site_id"].astype(str))
        .groupby(["site_id", "district_id"], sort=True, as_index=False)["persons"]
        .sum()
    )
    required = ceil_target(rules.nurses_per_transferred_disabled * per_site["persons"].to_numpy(np.float64))
    return _nursing_rows(per_site["site_id"], "site", per_site["district_id"], "transfer_1to1", required)


# --- care homes ------------------------------------------------------------------------------------


def _street_districts(dataset: Dataset) -> pd.Series:
    """street_id -> district_id."""
    streets = dataset.streets
    return pd.Series(streets["district_id"].astype(str).to_numpy(), index=streets["street_id"].astype(str))


def _home_needs(dataset: Dataset, rules: Rules, scenario: Scenario, street_district: pd.Series) -> pd.DataFrame:
    """One row per care home: cases, groups, nurses, daily transfers and hospital."""
    source = dataset.care_homes
    homes = pd.DataFrame(
        {
            "home_id": source["home_id"].astype(str).to_numpy(),
            "district_id": source["street_id"].astype(str).map(street_district).to_numpy(),
            "street_id": source["street_id"].astype(str).to_numpy(),
            "residents": source["residents"].to_numpy(np.int64),
            "staff": source["staff"].to_numpy(np.int64),
            "disabled": source["disabled"].to_numpy(np.int64),
            "partition": source["partition"].to_numpy(bool),
        }
    )
    homes = _add_cases(homes, source, rules, scenario)
    hospital_id, hospital_minutes = _home_hospitals(homes, dataset, rules)
    homes["hospital_id"] = hospital_id
    homes["hospital_minutes"] = hospital_minutes
    return homes.loc[:, list(HOME_COLUMNS)]


def _add_cases(homes: pd.DataFrame, source: pd.DataFrame, rules: Rules, scenario: Scenario) -> pd.DataFrame:
    """Infected, transfers, mild, observation groups and nurses per home (DESIGN §4)."""
    residents = homes["residents"].to_numpy(np.float64)
    staff = homes["staff"].to_numpy(np.float64)
    partition = homes["partition"].to_numpy(bool)
    multiplier = homes["district_id"].map(scenario.demand_multipliers).fillna(1.0).to_numpy(np.float64)
    attack_rate = np.minimum(1.0, scenario.knob("attack_rate") * multiplier)
    disabled_share = np.divide(
        homes["disabled"].to_numpy(np.float64), residents, out=np.zeros_like(residents), where=residents > 0
    )
    infected = round_persons(attack_rate * residents)
    transfers = round_persons(scenario.knob("severe_share") * infected)
    mild = infected - transfers
    rotation_staff = round_persons(scenario.knob("rotation_share") * staff)
    new_admissions = _column_or_zero(source, "new_admissions")
    observation_disabled = np.where(partition, 0, round_persons(mild * disabled_share))
    observation_other = np.where(partition, 0, mild - observation_disabled + rotation_staff + new_admissions)
    return homes.assign(
        infected=infected,
        transfers=transfers,
        transfers_disabled=round_persons(transfers * disabled_share),
        mild=mild,
        observation_disabled=observation_disabled.astype(np.int64),
        observation_other=observation_other.astype(np.int64),
        backfill=round_persons(scenario.knob("staff_absence") * staff),
        self_care=np.where(partition, round_persons(rules.nurses_per_infected_self_care * mild), 0).astype(np.int64),
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


def _column_or_zero(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=np.int64)
    return frame[column].fillna(0).to_numpy(np.int64)


# --- derived tables --------------------------------------------------------------------------------


def _observation(homes: pd.DataFrame) -> pd.DataFrame:
    """Persons per home and group sent to observation sites (persons > 0 only), home by home."""
    keys = homes.loc[:, ["home_id", "street_id", "district_id"]]
    both = pd.concat(
        [
            keys.assign(group="disabled", persons=homes["observation_disabled"].to_numpy(np.int64), _home=homes.index),
            keys.assign(group="other", persons=homes["observation_other"].to_numpy(np.int64), _home=homes.index),
        ],
        ignore_index=True,
    )
    both = both[both["persons"] > 0].sort_values(["_home", "group"], kind="stable")
    return both.loc[:, list(OBSERVATION_COLUMNS)].reset_index(drop=True)


def _nursing(homes: pd.DataFrame, dataset: Dataset, rules: Rules, street_district: pd.Series) -> pd.DataFrame:
    """1:1 nurses at receiving hospitals, backfill and self-care nurses at homes (rows with 0 dropped)."""
    disabled_by_hospital = (
        homes[homes["hospital_id"] != ""].groupby("hospital_id", sort=True)["transfers_disabled"].sum()
    )
    hospital_district = pd.Series(
        dataset.hospitals["street_id"].astype(str).map(street_district).to_numpy(),
        index=dataset.hospitals["hospital_id"].astype(str),
    )
    rows = [
        _nursing_rows(
            disabled_by_hospital.index.to_series(),
            "hospital",
            disabled_by_hospital.index.to_series().map(hospital_district),
            "transfer_1to1",
            ceil_target(rules.nurses_per_transferred_disabled * disabled_by_hospital.to_numpy(np.float64)),
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
            "required": np.asarray(required, dtype=np.int64),
        }
    )
    return frame[frame["required"] > 0].reset_index(drop=True)


def _empty_nursing() -> pd.DataFrame:
    return _nursing_rows(pd.Series([], dtype=object), "site", pd.Series([], dtype=object), "transfer_1to1", np.zeros(0))


def _drugs(dataset: Dataset, rules: Rules, scenario: Scenario, street_district: pd.Series) -> pd.DataFrame:
    """Drug targets of care homes, clinics and hospitals, institution by institution."""
    homes, clinics, hospitals = dataset.care_homes, dataset.clinics, dataset.hospitals
    dense = pd.Series(dataset.districts["dense"].to_numpy(bool), index=dataset.districts["district_id"].astype(str))
    clinic_dense = clinics["street_id"].astype(str).map(street_district).map(dense).fillna(False).to_numpy(bool)
    clinic_rate = np.where(
        clinic_dense | (scenario.level == "severe"), rules.drug_reserve_per_served_dense, rules.drug_reserve_per_served
    )
    home_target = ceil_target(rules.drug_reserve_per_resident * homes["residents"].to_numpy(np.float64))
    clinic_target = ceil_target(clinic_rate * clinics["service_population"].to_numpy(np.float64))
    daily_use = {drug: _daily_use(hospitals, drug) for drug in DRUGS}
    parts = [
        _drug_rows(homes, "home_id", "care_home", street_district, dict.fromkeys(rules.care_home_drugs, home_target)),
        _drug_rows(clinics, "clinic_id", "clinic", street_district, dict.fromkeys(rules.clinic_drugs, clinic_target)),
        _drug_rows(
            hospitals,
            "hospital_id",
            "hospital",
            street_district,
            {drug: ceil_target(rules.hospital_drug_days * use) for drug, use in daily_use.items()},
            carried={drug: use > 0 for drug, use in daily_use.items()},
        ),
    ]
    return pd.concat(parts, ignore_index=True)


def _daily_use(hospitals: pd.DataFrame, drug: str) -> np.ndarray:
    column = f"daily_use_{drug}"
    if column not in hospitals.columns:
        return np.zeros(len(hospitals))
    return hospitals[column].fillna(0.0).to_numpy(np.float64)


def _drug_rows(
    institutions: pd.DataFrame,
    id_column: str,
    kind: str,
    street_district: pd.Series,
    targets: dict[str, np.ndarray],
    carried: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Rows (institution x drug), institution-major, ``need = max(0, target - on_hand)``.

    ``targets[drug]`` holds every institution's target; ``carried[drug]`` (optional) says
    which institutions carry the drug at all (rows of the others are dropped).
    """
    n, drugs = len(institutions), list(targets)
    target = np.zeros((n, len(drugs)), dtype=np.int64)
    on_hand = np.zeros((n, len(drugs)), dtype=np.int64)
    keep = np.ones((n, len(drugs)), dtype=bool)
    for j, drug in enumerate(drugs):
        target[:, j] = targets[drug]
        on_hand[:, j] = _column_or_zero(institutions, f"on_hand_{drug}")
        if carried is not None:
            keep[:, j] = carried[drug]
    district = institutions["street_id"].astype(str).map(street_district).to_numpy(dtype=object)
    frame = pd.DataFrame(
        {
            "institution_id": np.repeat(institutions[id_column].astype(str).to_numpy(dtype=object), len(drugs)),
            "kind": kind,
            "district_id": np.repeat(district, len(drugs)),
            "drug": np.tile(np.array(drugs, dtype=object), n),
            "target": target.ravel(),
            "on_hand": on_hand.ravel(),
            "need": np.maximum(0, target - on_hand).ravel(),
        }
    )
    return frame[keep.ravel()].reset_index(drop=True)


def _reserve(homes: pd.DataFrame, dataset: Dataset, rules: Rules) -> pd.DataFrame:
    """District nursing reserve: required ``c(share * residents)`` and nurses held by its pools."""
    districts = dataset.districts["district_id"].astype(str)
    residents = homes.groupby("district_id")["residents"].sum().reindex(districts, fill_value=0)
    pools = dataset.pools
    held = (
        pools.assign(district_id=pools["district_id"].astype(str))
        .groupby("district_id")["nurses"]
        .sum()
        .reindex(districts, fill_value=0)
    )
    return pd.DataFrame(
        {
            "district_id": districts.to_numpy(dtype=object),
            "residents": residents.to_numpy(np.int64),
            "required": ceil_target(rules.nursing_reserve_per_resident * residents.to_numpy(np.float64)),
            "held": held.to_numpy(np.int64),
        }
    )


def _test_kits(homes: pd.DataFrame, rules: Rules, scenario: Scenario) -> pd.DataFrame:
    """Weekly test kits per home at the scenario's level."""
    staff_tests = ceil_target(homes["staff"].to_numpy(np.float64) * rules.tests_per_week_staff[scenario.level])
    resident_tests = ceil_target(
        homes["residents"].to_numpy(np.float64) * rules.tests_per_week_residents[scenario.level]
    )
    return pd.DataFrame(
        {
            "home_id": homes["home_id"].to_numpy(dtype=object),
            "district_id": homes["district_id"].to_numpy(dtype=object),
            "staff": homes["staff"].to_numpy(np.int64),
            "residents": homes["residents"].to_numpy(np.int64),
            "staff_tests_per_week": staff_tests,
            "resident_tests_per_week": resident_tests,
            "kits_per_week": staff_tests + resident_tests,
        }
    )


def _icu(dataset: Dataset, rules: Rules, street_district: pd.Series) -> pd.DataFrame:
    """ICU beds of each designated hospital against ``c(icu_share_min * beds)``."""
    hospitals = dataset.hospitals[dataset.hospitals["designated"].to_numpy(bool)]
    icu_beds = hospitals["icu_beds"].to_numpy(np.int64)
    convertible = _column_or_zero(hospitals, "convertible_icu_beds")
    required = ceil_target(rules.icu_share_min * hospitals["beds"].to_numpy(np.float64))
    planned = icu_beds + convertible
    return pd.DataFrame(
        {
            "hospital_id": hospitals["hospital_id"].astype(str).to_numpy(dtype=object),
            "district_id": hospitals["street_id"].astype(str).map(street_district).to_numpy(dtype=object),
            "beds": hospitals["beds"].to_numpy(np.int64),
            "icu_beds": icu_beds,
            "convertible_icu_beds": convertible,
            "required": required,
            "planned": planned,
            "met": planned >= required,
        }
    )


def _sampling(dataset: Dataset, rules: Rules) -> pd.DataFrame:
    """Sampling points of each street against the rule's 3-5."""
    streets = dataset.streets
    points = _column_or_zero(streets, "sampling_points")
    n = len(streets)
    return pd.DataFrame(
        {
            "street_id": streets["street_id"].astype(str).to_numpy(dtype=object),
            "district_id": streets["district_id"].astype(str).to_numpy(dtype=object),
            "sampling_points": points,
            "required_min": np.full(n, rules.sampling_points_per_street_min, dtype=np.int64),
            "required_max": np.full(n, rules.sampling_points_per_street_max, dtype=np.int64),
            "met": points >= rules.sampling_points_per_street_min,
        }
    )
