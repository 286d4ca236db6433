"""A what-if scenario: the response level and every knob that turns rules into needs.

Knobs left unset take the level's defaults from ``data/levels.yaml`` (DESIGN §4)::

    Scenario(level="severe")                      # attack_rate 0.35, ...
    Scenario(level="severe", attack_rate=0.5)     # one knob overridden
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from planner.rules.limits import FACTOR_MAX, MULTIPLIER_MAX, refuse_booleans
from planner.rules.rules import Rules, RulesError

LEVELS_FILE = Path(__file__).resolve().parents[2] / "data" / "levels.yaml"
Level = Literal["normal", "prevalent", "severe"]
LEVEL_KNOBS: tuple[str, ...] = ("attack_rate", "severe_share", "staff_absence", "rotation_share")


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``problems`` lists one message per bad knob."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@cache
def level_defaults() -> dict[str, dict[str, float]]:
    """The knob defaults of each level, read from ``data/levels.yaml``."""
    raw = yaml.safe_load(LEVELS_FILE.read_text(encoding="utf-8"))
    levels: dict[str, dict[str, float]] = raw["levels"]
    return levels


def _share(value: float | None) -> float | None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise ValueError(f"expected a share in [0, 1], got {value:g}")
    return value


def _multipliers(value: dict[str, float]) -> dict[str, float]:
    bad = {k: v for k, v in value.items() if not 0 <= v <= MULTIPLIER_MAX}  # nan and inf too
    if bad:
        raise ValueError(f"expected multipliers between 0 and {MULTIPLIER_MAX:g}, got {bad}")
    return value


def _ids_as_text(value: Any) -> Any:
    """Ids written as numbers in YAML (``110101``) are the text of the id."""
    if isinstance(value, list | tuple):
        return [str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for v in value]
    if isinstance(value, dict):
        return {str(k) if isinstance(k, int | float) and not isinstance(k, bool) else k: v for k, v in value.items()}
    return value


OptionalShare = Annotated[
    float | None,
    AfterValidator(_share),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1}, mode="serialization"),
]
"""A share, or None for the level's default (filled on validation, so a dumped scenario always has a number)."""
Multipliers = Annotated[
    dict[str, float],
    AfterValidator(_multipliers),
    WithJsonSchema(
        {"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": MULTIPLIER_MAX}}
    ),
]
SiteId = Annotated[str, StringConstraints(min_length=1)]


class Scenario(BaseModel):
    """Every knob of DESIGN §4; ``None`` knobs are filled from the level's defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: Level = "prevalent"
    horizon_days: int = Field(14, ge=1, le=365)
    attack_rate: OptionalShare = None
    severe_share: OptionalShare = None
    staff_absence: OptionalShare = None
    rotation_share: OptionalShare = None
    stock_factor: float = Field(1.0, ge=0.0, le=FACTOR_MAX, allow_inf_nan=False)
    fleet_factor: float = Field(1.0, ge=0.0, le=FACTOR_MAX, allow_inf_nan=False)
    closed_sites: tuple[SiteId, ...] = ()
    demand_multipliers: Multipliers = Field(default_factory=dict)
    """District id -> factor on the attack rate of that district's care homes."""
    rule_overrides: dict[str, Any] = Field(default_factory=dict)

    @field_validator("*", mode="before")
    @classmethod
    def _plain_values(cls, value: Any, info: ValidationInfo) -> Any:
        """No boolean where a number goes (``attack_rate: true``); ids written as numbers are text."""
        name = str(info.field_name)
        if name in ("closed_sites", "demand_multipliers"):
            value = _ids_as_text(value)
        return refuse_booleans(name, cls.model_fields[name].annotation, value)

    @model_validator(mode="after")
    def _fill_level_defaults(self) -> Scenario:
        defaults = level_defaults()[self.level]
        for knob in LEVEL_KNOBS:
            if getattr(self, knob) is None:
                object.__setattr__(self, knob, float(defaults[knob]))
        return self

    def knob(self, name: str) -> float:
        """A level knob's value as a float (never ``None`` after validation)."""
        value = getattr(self, name)
        assert value is not None
        return float(value)

    def apply_to(self, rules: Rules) -> Rules:
        """``rules`` with this scenario's ``rule_overrides`` applied."""
        return rules.with_overrides(self.rule_overrides) if self.rule_overrides else rules

    def to_dict(self) -> dict[str, Any]:
        """Every knob by name (level defaults filled), JSON-ready."""
        data = self.model_dump()
        data["closed_sites"] = list(self.closed_sites)
        return data


def make_scenario(**knobs: Any) -> Scenario:
    """Build a scenario, turning pydantic errors into :class:`ScenarioError` messages."""
    try:
        return Scenario(**knobs)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "scenario"
            problems.append(f"{field}: {str(err['msg']).removeprefix('Value error, ')}")
        raise ScenarioError(problems) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario from YAML (``level: severe``, ``attack_rate: 0.4``, ...)."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ScenarioError([f"{path}: expected a mapping of knob: value"])
    return make_scenario(**raw)


__all__ = ["Level", "RulesError", "Scenario", "ScenarioError", "level_defaults", "load_scenario", "make_scenario"]
