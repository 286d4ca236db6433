"""Rules of the district work plans, as data.

Every number the planner applies is a field of :class:`Rules`. Its value comes
from a preset YAML in ``data/rules/`` where each rule also carries its unit and
the ``source`` clause of the work plan it comes from (``<seed file> §<clause>``,
see DESIGN §2). A user can override any field from a dict or a YAML file; a bad
value gives a message a coordinator understands::

    nursing_reserve_per_resident: expected a share in [0, 1], got 1.5
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, WithJsonSchema

from planner.dataset.schema import DRUGS, LEVELS

RULES_DIR = Path(__file__).resolve().parents[2] / "data" / "rules"
PRESETS: tuple[str, ...] = ("beijing-2023", "containment-2021")
DEFAULT_PRESET = "beijing-2023"


class RulesError(ValueError):
    """Rules that cannot be used; ``problems`` lists one message per bad field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


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


def _per_level(value: dict[str, float]) -> dict[str, float]:
    missing = [lvl for lvl in LEVELS if lvl not in value]
    unknown = [lvl for lvl in value if lvl not in LEVELS]
    if missing or unknown:
        raise ValueError(f"expected one value for each level {list(LEVELS)}, got {sorted(value)}")
    bad = {lvl: v for lvl, v in value.items() if v < 0}
    if bad:
        raise ValueError(f"expected numbers >= 0, got {bad}")
    return value


def _drug_list(value: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [d for d in value if d not in DRUGS]
    if unknown:
        raise ValueError(f"expected drug classes from {list(DRUGS)}, got {unknown}")
    return value


# Each type carries the JSON Schema of what its validator accepts (the plan's schema is built from them).
Share = Annotated[float, AfterValidator(_share), WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1})]
NonNegative = Annotated[float, AfterValidator(_non_negative), WithJsonSchema({"type": "number", "minimum": 0})]
Positive = Annotated[float, AfterValidator(_positive), WithJsonSchema({"type": "number", "exclusiveMinimum": 0})]
Whole = Annotated[int, AfterValidator(_whole), WithJsonSchema({"type": "integer", "minimum": 0})]
PerLevel = Annotated[
    dict[str, float],
    AfterValidator(_per_level),
    WithJsonSchema(
        {
            "type": "object",
            "additionalProperties": False,
            "required": list(LEVELS),
            "properties": {level: {"type": "number", "minimum": 0} for level in LEVELS},
        }
    ),
]
DrugList = Annotated[
    tuple[str, ...], AfterValidator(_drug_list), WithJsonSchema({"type": "array", "items": {"enum": list(DRUGS)}})
]


class RuleInfo(BaseModel):
    """What a rule means and where it comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit: str
    source: str
    label: str
    label_zh: str


class Rules(BaseModel):
    """Every ratio and limit of the work plans (DESIGN §2), with its source in ``info``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    preset: str
    nursing_reserve_per_resident: Share
    nurses_per_transferred_disabled: NonNegative
    nurses_per_infected_self_care: NonNegative
    drug_reserve_per_resident: Share
    drug_reserve_per_served: Share
    drug_reserve_per_served_dense: Share
    hospital_drug_days: NonNegative
    care_home_drugs: DrugList
    clinic_drugs: DrugList
    icu_share_min: Share
    transfer_minutes_max: Positive
    sites_per_street_min: Whole
    site_stock_days_min: Whole
    persons_per_room: Whole
    barrier_free_for_disabled: bool
    sampling_points_per_street_min: Whole
    sampling_points_per_street_max: Whole
    tests_per_desk_hour: Positive
    sampling_hours_per_day: Positive
    nat_persons_per_tube: Whole
    full_round_days: Positive
    full_round_required: bool
    full_round_city_population_max: Whole
    tests_per_week_staff: PerLevel
    tests_per_week_residents: PerLevel
    ambulance_duty_share: Share
    road_detour_factor: Positive
    default_speed_kmh: Positive
    district_crossing_penalty_minutes: NonNegative
    info: dict[str, RuleInfo]

    def values(self) -> dict[str, Any]:
        """Every rule field by name with its plain value (no ``info``)."""
        return self.model_dump(exclude={"info"})

    def source(self, field: str) -> str:
        """The source clause of rule ``field``."""
        return self.info[field].source

    def table(self) -> list[dict[str, Any]]:
        """One row per rule: field, value, unit, source, label, label_zh."""
        values = self.values()
        return [
            {"field": name, "value": values[name], **self.info[name].model_dump()}
            for name in values
            if name != "preset"
        ]

    def with_overrides(self, overrides: Mapping[str, Any]) -> Rules:
        """A copy with some values replaced; raises :class:`RulesError` on bad values."""
        return _build({**self.model_dump(), **_plain_values(overrides)})


RULE_FIELDS: tuple[str, ...] = tuple(f for f in Rules.model_fields if f not in ("preset", "info"))


def _plain_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Accept ``{field: value}`` or ``{field: {value: ..., ...}}`` and return plain values."""
    unknown = [k for k in raw if k not in RULE_FIELDS and k != "preset"]
    if unknown:
        raise RulesError([f"{k}: not a rule (known rules: {', '.join(RULE_FIELDS)})" for k in unknown])
    return {k: (v["value"] if isinstance(v, Mapping) and "value" in v else v) for k, v in raw.items()}


def _format_error(error: Mapping[str, Any]) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "rules"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "missing from the preset"
    return f"{field}: {message}"


def _build(data: Mapping[str, Any]) -> Rules:
    try:
        return Rules.model_validate(data)
    except ValidationError as exc:
        raise RulesError([_format_error(e) for e in exc.errors()]) from None


def load_preset(name_or_path: str | Path = DEFAULT_PRESET) -> Rules:
    """Load a preset by name (``beijing-2023``) or from a YAML file path.

    The file has ``preset`` and ``rules: {field: {value, unit, source, label,
    label_zh}}``. Raises :class:`RulesError` naming every bad field.
    """
    path = Path(name_or_path)
    if not path.suffix:
        path = RULES_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise RulesError(
            [f"rules preset {str(name_or_path)!r}: no such preset or file (presets: {', '.join(PRESETS)})"]
        )
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries: dict[str, Any] = raw.get("rules", {})
    bad = [k for k, v in entries.items() if not isinstance(v, Mapping) or "value" not in v]
    if bad:
        raise RulesError([f"{k}: expected a mapping with value, unit, source, label, label_zh" for k in bad])
    data: dict[str, Any] = {k: v["value"] for k, v in entries.items()}
    data["preset"] = raw.get("preset", path.stem)
    data["info"] = {k: {f: v.get(f, "") for f in ("unit", "source", "label", "label_zh")} for k, v in entries.items()}
    return _build(data)


def load_rules(preset: str | Path = DEFAULT_PRESET, overrides: Mapping[str, Any] | str | Path | None = None) -> Rules:
    """A preset with optional overrides from a dict or a YAML file of ``field: value``."""
    rules = load_preset(preset)
    if overrides is None:
        return rules
    if isinstance(overrides, (str, Path)):
        loaded = yaml.safe_load(Path(overrides).read_text(encoding="utf-8")) or {}
        values: Mapping[str, Any] = loaded.get("rules") or loaded
        return rules.with_overrides(values)
    return rules.with_overrides(overrides)
