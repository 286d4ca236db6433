"""The value types of the rules, each with the message a coordinator reads when a value does not fit.

Every rule field of :class:`planner.rules.rules.Rules` is one of these annotated types; a bad value gives one
line naming what was expected and what was given (``expected a share in [0, 1], got 1.5``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

from planner.dataset.schema import DRUGS, LEVELS

MANAGEMENTS: tuple[str, ...] = ("open", "closed")
"""A care home's management (000 §2): open, or closed (strict closed management is planned as closed)."""
ONE_TO_ONE_PLACES: tuple[str, ...] = ("hospital", "observation_site", "home_isolation_area")
"""Where a moved disabled/dementia elder gets a 1:1 nurse (000 §4)."""
ICU_SCOPES: tuple[str, ...] = ("designated", "level_3", "level_2_general", "children")
"""Hospitals whose ICU share is checked (001 (xvi): designated; 004 (十五) adds the others)."""
SAMPLING_FACTORS: tuple[str, ...] = ("population", "mobility", "area")
"""What a street's sampling points follow (002 §2)."""
KINDS: tuple[str, ...] = ("quoted", "interpreted", "assumption")
"""A rule's kind: the number stands in the clause, is epiplan's reading of it, or no clause gives it."""


def _share(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"expected a share in [0, 1], got {value:g}")
    return value


def _non_negative(value: float) -> float:
    if value < 0:
        raise ValueError(f"expected a number >= 0, got {value:g}")
    return value


def _positive(value: float) -> float:
    if value <= 0:
        raise ValueError(f"expected a number > 0, got {value:g}")
    return value


def _whole(value: int) -> int:
    if value < 0:
        raise ValueError(f"expected a whole number >= 0, got {value}")
    return value


def _positive_whole(value: int) -> int:
    if value < 1:
        raise ValueError(f"expected a whole number >= 1, got {value}")
    return value


def _days_per_week(value: int) -> int:
    if not 1 <= value <= 7:
        raise ValueError(f"expected whole days in 1..7, got {value}")
    return value


def _hours_per_day(value: float) -> float:
    if not 0 < value <= 24:
        raise ValueError(f"expected hours in (0, 24], got {value:g}")
    return value


def _keyed(keys: tuple[str, ...], what: str) -> Callable[[dict[str, float]], dict[str, float]]:
    def check(value: dict[str, float]) -> dict[str, float]:
        if set(value) != set(keys):
            raise ValueError(f"expected one value for each {what} {list(keys)}, got {sorted(value)}")
        bad = {k: v for k, v in value.items() if v < 0}
        if bad:
            raise ValueError(f"expected numbers >= 0, got {bad}")
        return {k: value[k] for k in keys}

    return check


def _management_by_level(value: dict[str, str]) -> dict[str, str]:
    if set(value) != set(LEVELS):
        raise ValueError(f"expected one management for each level {list(LEVELS)}, got {sorted(value)}")
    bad = {k: v for k, v in value.items() if v not in MANAGEMENTS}
    if bad:
        raise ValueError(f"expected {' or '.join(MANAGEMENTS)} for each level, got {bad}")
    return {k: value[k] for k in LEVELS}


def _members(allowed: tuple[str, ...], what: str) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    def check(value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise ValueError(f"expected {what} from {list(allowed)}, got {unknown}")
        if len(set(value)) != len(value):
            raise ValueError(f"expected each of the {what} once, got {list(value)}")
        return value

    return check


# Each type carries the JSON Schema of what its validator accepts (the plan's schema is built from them).
Share = Annotated[float, AfterValidator(_share), WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1})]
NonNegative = Annotated[float, AfterValidator(_non_negative), WithJsonSchema({"type": "number", "minimum": 0})]
Positive = Annotated[float, AfterValidator(_positive), WithJsonSchema({"type": "number", "exclusiveMinimum": 0})]
Whole = Annotated[int, AfterValidator(_whole), WithJsonSchema({"type": "integer", "minimum": 0})]
PositiveWhole = Annotated[int, AfterValidator(_positive_whole), WithJsonSchema({"type": "integer", "minimum": 1})]
DaysPerWeek = Annotated[
    int, AfterValidator(_days_per_week), WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 7})
]
HoursPerDay = Annotated[
    float, AfterValidator(_hours_per_day), WithJsonSchema({"type": "number", "exclusiveMinimum": 0, "maximum": 24})
]
PerManagement = Annotated[
    dict[str, float],
    AfterValidator(_keyed(MANAGEMENTS, "management")),
    WithJsonSchema(
        {
            "type": "object",
            "additionalProperties": False,
            "required": list(MANAGEMENTS),
            "properties": {key: {"type": "number", "minimum": 0} for key in MANAGEMENTS},
        }
    ),
]
ManagementByLevel = Annotated[
    dict[str, str],
    AfterValidator(_management_by_level),
    WithJsonSchema(
        {
            "type": "object",
            "additionalProperties": False,
            "required": list(LEVELS),
            "properties": {level: {"enum": list(MANAGEMENTS)} for level in LEVELS},
        }
    ),
]


def _list_schema(allowed: tuple[str, ...]) -> WithJsonSchema:
    return WithJsonSchema({"type": "array", "uniqueItems": True, "items": {"enum": list(allowed)}})


DrugList = Annotated[tuple[str, ...], AfterValidator(_members(DRUGS, "drug classes")), _list_schema(DRUGS)]
PlaceList = Annotated[
    tuple[str, ...], AfterValidator(_members(ONE_TO_ONE_PLACES, "places")), _list_schema(ONE_TO_ONE_PLACES)
]
IcuScope = Annotated[tuple[str, ...], AfterValidator(_members(ICU_SCOPES, "hospital groups")), _list_schema(ICU_SCOPES)]
FactorList = Annotated[
    tuple[str, ...], AfterValidator(_members(SAMPLING_FACTORS, "factors")), _list_schema(SAMPLING_FACTORS)
]
