"""Targets the dataset is held against: drug reserves, the district nursing reserve, ICU beds, sampling points.

Drug reserves (packs per class; ``c(x) = ceil(x)``, need = ``max(0, target - on_hand)``):

- care home: ``c(drug_reserve_per_resident * residents)`` for each class of ``care_home_drugs`` (000 §5 lists
  antipyretic, analgesic, cough and expectorant drugs: no antigen kits), plus its antigen kits from its tests
  (``planner.needs.testing``: a row where the home's kit target is above 0);
- clinic: ``c(rate * service_population)`` for each class of ``clinic_drugs``, ``rate`` =
  ``drug_reserve_per_served_dense`` in districts marked ``dense``, else ``drug_reserve_per_served`` (004 (十九)
  grades by density, never by response level);
- hospital (level 2 or 3): ``c(hospital_drug_days * daily_use_<drug>)`` for each class of ``hospital_drugs`` the
  hospital uses daily (004 (十九) lists TCM, antivirals, antipyretic and cough drugs).

ICU (``icu_scope``, mapped onto the data's ``designated`` and ``level`` columns): ``designated`` = designated
hospitals, ``level_3`` = level-3 hospitals, ``level_2_general`` = level-2 hospitals. The data cannot tell a
general from a specialist hospital, so every level-2 hospital is checked (a wider check than 004 (十五)'s
"二级综合医院"), and children's hospitals (``children``) cannot be told apart at all: those with a level are
checked under their level, the others are not in the data. Planned ICU beds = ``icu_beds`` plus
``convertible_icu_beds`` when ``icu_count_convertible``; required ``c(icu_share_min * beds)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.drug_instances import MAX_NEED_PACKS
from planner.dataset.schema import Dataset
from planner.needs.rounding import ceil_target, column_or_zero
from planner.rules.rules import Rules

DRUG_COLUMNS: tuple[str, ...] = ("institution_id", "kind", "district_id", "drug", "target", "on_hand", "need")
KIT_TARGET_MAX = MAX_NEED_PACKS - 1
"""Largest antigen-kit target the drug stage plans exactly (a home's tests may ask more at the extremes of the
rules' limits: it is planned for this many and named in the plan's warnings)."""
ICU_COLUMNS: tuple[str, ...] = (
    "hospital_id",
    "district_id",
    "level",
    "designated",
    "scope",
    "beds",
    "icu_beds",
    "convertible_icu_beds",
    "required",
    "planned",
    "met",
)


def drug_targets(dataset: Dataset, rules: Rules, street_district: pd.Series, antigen: pd.DataFrame) -> pd.DataFrame:
    """Drug targets of care homes (with their antigen kits), clinics and hospitals, institution by institution.

    ``antigen`` holds ``home_id, target`` (the kits of each home's antigen tests, ``planner.needs.testing``).
    """
    homes, clinics, hospitals = dataset.care_homes, dataset.clinics, dataset.hospitals
    dense = pd.Series(dataset.districts["dense"].to_numpy(bool), index=dataset.districts["district_id"].astype(str))
    clinic_dense = clinics["street_id"].astype(str).map(street_district).map(dense).fillna(False).to_numpy(bool)
    clinic_rate = np.where(clinic_dense, rules.drug_reserve_per_served_dense, rules.drug_reserve_per_served)
    home_target = ceil_target(rules.drug_reserve_per_resident * homes["residents"].to_numpy(np.float64))
    clinic_target = ceil_target(clinic_rate * clinics["service_population"].to_numpy(np.float64))
    daily_use = {drug: _daily_use(hospitals, drug) for drug in rules.hospital_drugs}
    kits = homes["home_id"].astype(str).map(antigen.set_index("home_id")["target"]).fillna(0).to_numpy(np.int64)
    kits = np.minimum(kits, KIT_TARGET_MAX)  # beyond it the home is named in the plan's warnings (pipeline)
    home_parts = [
        _drug_rows(homes, "home_id", "care_home", street_district, dict.fromkeys(rules.care_home_drugs, home_target)),
        _drug_rows(
            homes, "home_id", "care_home", street_district, {"antigen_kit": kits}, carried={"antigen_kit": kits > 0}
        ),
    ]
    home_rows = pd.concat(home_parts, ignore_index=True)
    order = pd.Index(homes["home_id"].astype(str)).get_indexer(pd.Index(home_rows["institution_id"]))
    home_rows = home_rows.iloc[np.argsort(order, kind="stable")]
    parts = [
        home_rows,
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
        on_hand[:, j] = column_or_zero(institutions, f"on_hand_{drug}")
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
    return frame[keep.ravel()].reset_index(drop=True).loc[:, list(DRUG_COLUMNS)]


def nursing_reserve(homes: pd.DataFrame, dataset: Dataset, rules: Rules) -> pd.DataFrame:
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


def icu_scope(hospitals: pd.DataFrame, scope: tuple[str, ...]) -> np.ndarray:
    """Each hospital's reason to be in ``scope`` (``designated``, ``level_3``, ``level_2``), ``""`` when out.

    ``level_2_general`` takes every level-2 hospital (the data has no hospital type); ``children`` adds none (the
    data cannot tell a children's hospital apart).
    """
    designated = hospitals["designated"].to_numpy(bool)
    level = hospitals["level"].to_numpy(np.int64)
    reason = np.full(len(hospitals), "", dtype=object)
    if "level_2_general" in scope:
        reason[level == 2] = "level_2"
    if "level_3" in scope:
        reason[level == 3] = "level_3"
    if "designated" in scope:
        reason[designated] = "designated"
    return reason


def icu_needs(dataset: Dataset, rules: Rules, street_district: pd.Series) -> pd.DataFrame:
    """ICU beds of each hospital in ``icu_scope`` against ``c(icu_share_min * beds)``."""
    scope = icu_scope(dataset.hospitals, rules.icu_scope)
    hospitals = dataset.hospitals[scope != ""]
    icu_beds = hospitals["icu_beds"].to_numpy(np.int64)
    convertible = column_or_zero(hospitals, "convertible_icu_beds")
    required = ceil_target(rules.icu_share_min * hospitals["beds"].to_numpy(np.float64))
    planned = icu_beds + (convertible if rules.icu_count_convertible else 0)
    return pd.DataFrame(
        {
            "hospital_id": hospitals["hospital_id"].astype(str).to_numpy(dtype=object),
            "district_id": hospitals["street_id"].astype(str).map(street_district).to_numpy(dtype=object),
            "level": hospitals["level"].to_numpy(np.int64),
            "designated": hospitals["designated"].to_numpy(bool),
            "scope": scope[scope != ""],
            "beds": hospitals["beds"].to_numpy(np.int64),
            "icu_beds": icu_beds,
            "convertible_icu_beds": convertible,
            "required": required,
            "planned": np.asarray(planned, dtype=np.int64),
            "met": planned >= required,
        }
    ).loc[:, list(ICU_COLUMNS)]


def sampling_points(dataset: Dataset, rules: Rules) -> pd.DataFrame:
    """Sampling points of each street against the rule's 3-5."""
    streets = dataset.streets
    points = column_or_zero(streets, "sampling_points")
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
