"""A what-if scenario: the response level (per district if need be) and every knob that turns rules into needs.

Knobs left unset take the level's defaults from ``data/levels.yaml`` (DESIGN §4)::

    Scenario(level="severe")                      # attack_rate 0.35, ...
    Scenario(level="severe", attack_rate=0.5)     # one knob overridden

**Per-district levels.** 004 (六) grades the response by district: ``district_levels: {district_id: level}``
sets some districts apart from ``level``. A district at its own level takes *that* level's defaults for every
level knob (attack rate, severe share, staff absence, rotation share) and its care homes' management
(``care_home_management`` of the rules, hence their test frequencies); knobs set explicitly in the scenario
belong to ``level`` and apply to the districts at ``level``. Use ``demand_multipliers`` to scale one district's
attack rate on top.

**Inbound arrivals.** ``inbound_arrivals: {district_id: persons}`` are the persons arriving over the horizon
whom a containment preset isolates centrally (``inbound_isolation_days`` > 0); they are spread over the
district's streets by population (``planner.needs.isolation``).

District ids can only be checked against a dataset: :meth:`Scenario.validate_against` lists the unknown ones
(the command line and the app call it before solving), and the dataset's ``forecast`` rows whose day is beyond the
horizon.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
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

from planner.dataset.problems import MAX_PROBLEMS_PER_KIND
from planner.dataset.schema import Dataset, forecast_rows
from planner.errors import ProblemsError
from planner.rules.limits import ARRIVALS_MAX, FACTOR_MAX, MULTIPLIER_MAX, refuse_booleans
from planner.rules.rules import RULE_FIELDS, Rules, RulesError
from planner.yaml_files import YamlFileError, read_yaml_mapping

LEVELS_FILE = Path(__file__).resolve().parents[2] / "data" / "levels.yaml"
Level = Literal["normal", "prevalent", "severe"]
LEVEL_NAMES: tuple[str, ...] = ("normal", "prevalent", "severe")
LEVEL_KNOBS: tuple[str, ...] = ("attack_rate", "severe_share", "staff_absence", "rotation_share")
PlanKind = Literal["daily", "snapshot"]
PLAN_KINDS: tuple[str, ...] = ("daily", "snapshot")
DAILY_HORIZON_MAX = 60
"""Longest horizon of the day-by-day plan (days)."""
DISTRICT_KEYED: tuple[str, ...] = ("district_levels", "demand_multipliers", "inbound_arrivals")
"""Scenario knobs keyed by district id (checked against a dataset by :meth:`Scenario.validate_against`)."""


class ScenarioError(ProblemsError):
    """A scenario that cannot be used; ``problems`` lists one message per bad knob."""


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


def _levels(value: dict[str, str]) -> dict[str, str]:
    bad = {k: v for k, v in value.items() if v not in LEVEL_NAMES}
    if bad:
        raise ValueError(f"expected a level ({', '.join(LEVEL_NAMES)}) for each district, got {bad}")
    return value


def _persons(value: dict[str, int]) -> dict[str, int]:
    bad = {k: v for k, v in value.items() if not 0 <= v <= ARRIVALS_MAX}
    if bad:
        raise ValueError(f"expected whole persons in [0, {ARRIVALS_MAX:,}] for each district, got {bad}")
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
    plan: PlanKind = "daily"
    """``daily`` (the default): the day-by-day plan over the wave; ``snapshot``: every need of the horizon at once."""
    horizon_days: int = Field(14, ge=1, le=365)
    """Days planned; the daily plan covers at most :data:`DAILY_HORIZON_MAX`."""
    peak_day: int | None = Field(None, ge=0, le=365)
    """Day (0-based) of the epidemic curve's peak; None: the middle of the horizon (``planner.needs.curve``)."""
    wave_days: int | None = Field(None, ge=1, le=730)
    """Days by which 95 % of the wave has happened; None: the horizon."""
    attack_rate: OptionalShare = None
    severe_share: OptionalShare = None
    staff_absence: OptionalShare = None
    rotation_share: OptionalShare = None
    stock_factor: float = Field(1.0, ge=0.0, le=FACTOR_MAX, allow_inf_nan=False)
    fleet_factor: float = Field(1.0, ge=0.0, le=FACTOR_MAX, allow_inf_nan=False)
    closed_sites: tuple[SiteId, ...] = ()
    demand_multipliers: Multipliers = Field(default_factory=dict)
    """District id -> factor on the attack rate of that district's care homes."""
    district_levels: Annotated[dict[str, str], AfterValidator(_levels)] = Field(default_factory=dict)
    """District id -> response level of that district (others follow ``level``), 004 (六)."""
    inbound_arrivals: Annotated[dict[str, int], AfterValidator(_persons)] = Field(default_factory=dict)
    """District id -> persons arriving over the horizon (isolated centrally under containment)."""
    rule_overrides: dict[str, Any] = Field(default_factory=dict)

    @field_validator("rule_overrides")
    @classmethod
    def _known_rules(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = [k for k in value if k not in RULE_FIELDS]
        if unknown:
            raise ValueError(f"not rules: {unknown} (see `epiplan rules`)")
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _plain_values(cls, value: Any, info: ValidationInfo) -> Any:
        """No boolean where a number goes (``attack_rate: true``); ids written as numbers are text."""
        name = str(info.field_name)
        if name in ("closed_sites", *DISTRICT_KEYED):
            value = _ids_as_text(value)
        return refuse_booleans(name, cls.model_fields[name].annotation, value)

    @model_validator(mode="after")
    def _daily_horizon(self) -> Scenario:
        if self.plan == "daily" and self.horizon_days > DAILY_HORIZON_MAX:
            raise ValueError(
                f"horizon_days: the daily plan covers at most {DAILY_HORIZON_MAX} days, got {self.horizon_days} "
                "(plan: snapshot plans longer horizons at once)"
            )
        if self.wave_days is not None and self.peak_day is not None and self.wave_days <= self.peak_day:
            raise ValueError(f"wave_days: expected more than peak_day ({self.peak_day}), got {self.wave_days}")
        return self

    def curve_days(self) -> tuple[int, int]:
        """``(peak_day, wave_days)`` of the epidemic curve, defaults filled (``planner.needs.curve``)."""
        peak = self.horizon_days // 2 if self.peak_day is None else self.peak_day
        wave = self.horizon_days if self.wave_days is None else self.wave_days
        return peak, max(wave, peak + 1)

    @model_validator(mode="after")
    def _fill_level_defaults(self) -> Scenario:
        defaults = level_defaults()[self.level]
        for knob in LEVEL_KNOBS:
            if getattr(self, knob) is None:
                object.__setattr__(self, knob, float(defaults[knob]))
        return self

    def knob(self, name: str) -> float:
        """A level knob's value at the scenario's ``level`` (never ``None`` after validation)."""
        value = getattr(self, name)
        assert value is not None
        return float(value)

    def level_of(self, district_id: str) -> str:
        """The response level of ``district_id``: its own when ``district_levels`` sets one, else ``level``."""
        return str(self.district_levels.get(str(district_id), self.level))

    def district_knob(self, name: str, district_id: str) -> float:
        """Level knob ``name`` in ``district_id``: the scenario's value at ``level``, its own level's default else."""
        level = self.level_of(district_id)
        if level == self.level:
            return self.knob(name)
        return float(level_defaults()[level][name])

    def district_knobs(self, name: str, district_ids: Iterable[str]) -> np.ndarray:
        """:meth:`district_knob` for each of ``district_ids`` (float array in their order)."""
        ids = [str(d) for d in district_ids]
        if not self.district_levels:
            return np.full(len(ids), self.knob(name), dtype=np.float64)
        cached = {d: self.district_knob(name, d) for d in set(ids)}
        return np.array([cached[d] for d in ids], dtype=np.float64)

    def apply_to(self, rules: Rules) -> Rules:
        """``rules`` with this scenario's ``rule_overrides`` applied."""
        return rules.with_overrides(self.rule_overrides) if self.rule_overrides else rules

    def validate_against(self, dataset: Dataset) -> list[str]:
        """Every district id of ``district_levels`` or ``inbound_arrivals`` that ``dataset`` does not have, and
        every row of the dataset's ``forecast`` whose day is beyond the horizon.

        A level or arrivals for a district that is not there would plan something else than the user meant: an
        error. (``demand_multipliers`` for an unknown district only scales nobody: a warning of the plan.) So is
        a forecast day the plan would not cover: its infections would silently drop out of the plan.
        """
        known = set(dataset.districts["district_id"].astype(str))
        problems = []
        for knob in ("district_levels", "inbound_arrivals"):
            for district in getattr(self, knob):
                if str(district) not in known:
                    problems.append(f"{knob}.{district}: unknown district (the dataset has {len(known)} districts)")
        return problems + self._forecast_beyond_horizon(dataset)

    def _forecast_beyond_horizon(self, dataset: Dataset) -> list[str]:
        """``forecast row 12, day: 20 is outside the horizon (days 0-13)``, at most
        :data:`~planner.dataset.problems.MAX_PROBLEMS_PER_KIND` rows and a line for the rest."""
        forecast = dataset.forecast
        if forecast.empty:
            return []
        days = forecast["day"].to_numpy()
        outside = (days < 0) | (days >= self.horizon_days)
        rows = [row for row, bad in zip(forecast_rows(forecast), outside, strict=True) if bad]
        span = f"days 0-{self.horizon_days - 1}"
        problems = [
            f"forecast row {row}, day: {day} is outside the horizon ({span})"
            for row, day in zip(rows[:MAX_PROBLEMS_PER_KIND], days[outside][:MAX_PROBLEMS_PER_KIND], strict=True)
        ]
        if len(rows) > MAX_PROBLEMS_PER_KIND:
            more = len(rows) - MAX_PROBLEMS_PER_KIND
            problems.append(f"forecast, day: ... and {more:,} more rows outside the horizon ({span})")
        return problems

    def to_dict(self) -> dict[str, Any]:
        """Every knob by name (level defaults filled), JSON-ready."""
        data = self.model_dump()
        data["closed_sites"] = list(self.closed_sites)
        return data


def _problem(error: Any) -> str:
    field = ".".join(str(p) for p in error["loc"]) or "scenario"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "not a scenario knob"
    if field == "scenario" and message.split(":", 1)[0] in Scenario.model_fields:
        return message  # a check of several knobs names the knob it is about (``horizon_days: ...``)
    return f"{field}: {message}"


def make_scenario(**knobs: Any) -> Scenario:
    """Build a scenario, turning pydantic errors into :class:`ScenarioError` messages."""
    try:
        return Scenario(**knobs)
    except ValidationError as exc:
        raise ScenarioError([_problem(err) for err in exc.errors()]) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario from YAML (``level: severe``, ``attack_rate: 0.4``, ...); messages name the file
    (:func:`planner.yaml_files.read_yaml_mapping` reads it)."""
    try:
        raw = read_yaml_mapping(path, "scenario", key_kind="scenario knob")
    except YamlFileError as exc:
        raise ScenarioError(exc.problems) from None
    try:
        return make_scenario(**raw)
    except ScenarioError as exc:
        raise ScenarioError([f"scenario file {path}: {p}" for p in exc.problems]) from None


def check_scenario(scenario: Scenario, rules: Rules, dataset: Dataset, where: str = "") -> list[str]:
    """Everything that stops ``scenario`` from being solved on ``dataset`` under ``rules``: unknown district ids
    and rule overrides with bad values; each message prefixed with ``where`` (``"s.yaml: "``)."""
    problems = [f"{where}{p}" for p in scenario.validate_against(dataset)]
    try:
        scenario.apply_to(rules)
    except RulesError as exc:
        problems += [f"{where}rule_overrides.{p}" for p in exc.problems]
    return problems


__all__ = [
    "Level",
    "RulesError",
    "Scenario",
    "ScenarioError",
    "check_scenario",
    "level_defaults",
    "load_scenario",
    "make_scenario",
]
