"""Limits on rule and scenario values: what the models compute exactly, stated once.

A rule multiplies counts the dataset limits already bound (``planner.dataset.schema``): 10 nurses per
resident, 365 days of hospital use (x 40,000 packs a day stays below the 2**24 packs a drug need may
reach), a detour factor of 10 and a speed of at least 1 km/h (an arc then stays below the 2e8 minutes
``models.flow.cost_units`` accepts). Every number must be finite, and a boolean is never a number
(``attack_rate: true`` is refused, not read as 100 %).

:data:`RULE_LIMITS` holds each numeric rule's (smallest, largest) value; a numeric rule without its own
entry gets :data:`DEFAULT_RULE_LIMITS`. The scenario's factors and multipliers have theirs here too.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Mapping
from typing import Any

DEFAULT_RULE_LIMITS: tuple[float, float] = (0.0, 1_000_000.0)
RULE_LIMITS: dict[str, tuple[float, float]] = {
    "nurses_per_transferred_disabled": (0.0, 10.0),
    "nurses_per_infected_self_care": (0.0, 10.0),
    "hospital_drug_days": (0.0, 365.0),
    "transfer_minutes_max": (0.0, 1_440.0),
    "sites_per_street_min": (0.0, 100.0),
    "site_stock_days_min": (0.0, 3_650.0),
    "persons_per_room": (1.0, 100.0),
    "sampling_points_per_street_min": (0.0, 1_000.0),
    "sampling_points_per_street_max": (0.0, 1_000.0),
    "tests_per_week_staff": (0.0, 100.0),
    "tests_per_week_residents": (0.0, 100.0),
    "road_detour_factor": (0.0, 10.0),
    "default_speed_kmh": (1.0, 200.0),
    "district_crossing_penalty_minutes": (0.0, 100_000.0),
    "drug_delivery_lead_days": (0.0, 365.0),
    "hospital_stay_days": (0.0, 365.0),
    "observation_stay_days": (0.0, 365.0),
    "rotation_observation_days": (0.0, 365.0),
    "post_discharge_observation_days": (0.0, 365.0),
    "minutes_per_yuan": (0.0, 1_000.0),
    "contacts_per_case": (0.0, 1_000.0),
    "contact_central_isolation_days": (0.0, 365.0),
    "contact_home_health_days": (0.0, 365.0),
    "contact_persons_per_room": (1.0, 100.0),
    "contact_nat_tests": (0.0, 100.0),
    "contact_antibody_tests": (0.0, 100.0),
    "inbound_isolation_days": (0.0, 365.0),
    "inbound_nat_tests": (0.0, 100.0),
    "inbound_antibody_tests": (0.0, 100.0),
    "staff_entry_antigen_tests_per_week": (0.0, 100.0),
    "antigen_tests_per_admission": (0.0, 100.0),
    "test_cover_days": (0.0, 365.0),
    "outbreak_tests_per_person": (0.0, 100.0),
    "tests_per_desk_hour": (0.0, 10_000.0),
    "tests_per_sampling_team_day": (0.0, 100_000.0),
    "sampling_team_backup_districts": (0.0, 10_000.0),
    "nat_persons_per_tube": (0.0, 100.0),
    "full_round_days": (0.0, 365.0),
    "full_round_city_population_max": (0.0, 100_000_000.0),
    "staff_absence_days": (0.0, 365.0),
}
"""(smallest, largest) value of each numeric rule (a share's [0, 1] is its own type's)."""

FACTOR_MAX = 10.0
"""Largest stock or fleet factor of a scenario (x the depots' total stock stays below 2**38 packs)."""
ARRIVALS_MAX = 10_000_000
"""Most inbound arrivals a scenario may set for one district over the horizon (a large city's daily flow x 14)."""
MULTIPLIER_MAX = 10.0
"""Largest demand multiplier of a district (the attack rate it multiplies is capped at 1 anyway)."""


def _text(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def is_numeric(annotation: Any) -> bool:
    """Whether a field annotated so holds numbers (``float``, ``int``, their optionals, mappings of them)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return is_numeric(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(is_numeric(arg) for arg in typing.get_args(annotation) if arg is not type(None))
    if origin in (dict, Mapping):
        return is_numeric(typing.get_args(annotation)[-1])
    return annotation in (float, int)


def refuse_booleans(name: str, annotation: Any, value: Any) -> Any:
    """``value`` unchanged; a ``ValueError`` when a numeric field is given ``true``/``false`` (also in a mapping)."""
    if not is_numeric(annotation):
        return value
    values = value.values() if isinstance(value, Mapping) else [value]
    for item in values:
        if isinstance(item, bool):
            raise ValueError(f"expected a number, got {str(item).lower()}")
    return value


def check_number(value: float, smallest: float, largest: float, what: str = "") -> None:
    """Raise a ``ValueError`` naming the limit when ``value`` is not finite or outside [smallest, largest]."""
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number{what}, got {value}")
    if value > largest:
        raise ValueError(f"{value:g}{what} is above the limit {_text(largest)}")
    if value < smallest:
        raise ValueError(f"{value:g}{what} is below the limit {_text(smallest)}")


def check_rule(name: str, value: Any) -> Any:
    """``value`` unchanged when every number in it is finite and within the rule's limits; else ``ValueError``."""
    smallest, largest = RULE_LIMITS.get(name, DEFAULT_RULE_LIMITS)
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        check_number(float(value), smallest, largest)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, int | float) and not isinstance(item, bool):
                check_number(float(item), smallest, largest, f" ({key})")
    return value


__all__ = [
    "ARRIVALS_MAX",
    "DEFAULT_RULE_LIMITS",
    "FACTOR_MAX",
    "MULTIPLIER_MAX",
    "RULE_LIMITS",
    "check_number",
    "check_rule",
    "is_numeric",
    "refuse_booleans",
]
