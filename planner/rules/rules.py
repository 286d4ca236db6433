"""Rules of the district work plans, as data.

Every number the planner applies is a field of :class:`Rules`. Its value comes from a preset YAML in
``data/rules/`` where each rule also carries its unit, its **kind** and the **clauses** it rests on
(DESIGN §2)::

    nursing_reserve_per_resident:
      value: 0.1
      unit: nurses per care-home resident (district reserve, rounded up)
      kind: quoted                       # quoted | interpreted | assumption
      clauses: ["000 §4 reserve"]        # ids of data/sources.yaml
      note: ...
      label: ...
      label_zh: ...

``quoted``: the number stands in the clause; ``interpreted``: epiplan's reading of the clauses (the note says
how); ``assumption``: no clause gives it and the user should set it. A clause id must be in the sources
register (``planner.rules.sources``). A user can override any value from a dict or a YAML file (values only;
kinds and clauses stay the preset's). A bad value gives a message a coordinator understands, located by file
and key when it comes from a file::

    nursing_reserve_per_resident: expected a share in [0, 1], got 1.5
    mine.yaml: rules.bogus: not a rule
    hospital_drug_days: 1e+300 is above the limit 365

Every number is finite, within its limits (``planner.rules.limits``) and never a boolean.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator, model_validator

from planner.errors import ProblemsError
from planner.rules.checks import (
    KINDS,
    DaysPerWeek,
    DrugList,
    FactorList,
    HoursPerDay,
    IcuScope,
    ManagementByLevel,
    NonNegative,
    PerManagement,
    PlaceList,
    Positive,
    PositiveWhole,
    Share,
    Whole,
)
from planner.rules.limits import check_rule, refuse_booleans
from planner.rules.sources import Register, RegisterError, load_register
from planner.yaml_files import YamlFileError, read_yaml_mapping

RULES_DIR = Path(__file__).resolve().parents[2] / "data" / "rules"
PRESETS: tuple[str, ...] = ("beijing-2023", "containment-2021")
DEFAULT_PRESET = "beijing-2023"
INFO_KEYS: tuple[str, ...] = ("unit", "kind", "clauses", "note", "label", "label_zh")
"""What a preset says about each rule besides its value."""
Kind = Literal["quoted", "interpreted", "assumption"]


class RulesError(ProblemsError):
    """Rules that cannot be used; ``problems`` lists one message per bad field."""


class RuleInfo(BaseModel):
    """What a rule means and where it comes from: unit, kind, cited clauses, note and labels."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit: str
    kind: Kind
    clauses: tuple[str, ...] = ()
    note: str = ""
    label: str
    label_zh: str

    @property
    def source(self) -> str:
        """The cited clause ids joined with ``"; "`` (empty for an assumption that cites none)."""
        return "; ".join(self.clauses)


class Rules(BaseModel):
    """Every ratio, limit and switch of the work plans (DESIGN §2), with kind and clauses in ``info``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    preset: str
    # --- nursing
    nursing_reserve_per_resident: Share
    nurses_per_transferred_disabled: NonNegative
    nurses_1to1_destinations: PlaceList
    nurses_per_infected_self_care: NonNegative
    nurse_work_days_per_week: DaysPerWeek
    district_crossing_penalty_minutes: NonNegative
    # --- drugs and kits
    drug_reserve_per_resident: Share
    care_home_drugs: DrugList
    drug_reserve_per_served: Share
    drug_reserve_per_served_dense: Share
    clinic_drugs: DrugList
    hospital_drug_days: NonNegative
    hospital_drugs: DrugList
    drug_delivery_lead_days: Whole
    # --- hospitals and transfers
    icu_share_min: Share
    icu_scope: IcuScope
    icu_count_convertible: bool
    transfer_minutes_max: Positive
    infected_to_designated_hospital: bool
    hospital_stay_days: Whole
    ambulance_duty_share: Share
    # --- observation sites
    observation_stay_days: Whole
    sites_per_street_min: Whole
    site_stock_days_min: Whole
    persons_per_room: PositiveWhole
    barrier_free_for_disabled: bool
    barrier_free_for_all: bool
    rotation_observation_days: Whole
    post_discharge_observation_days: Whole
    minutes_per_yuan: NonNegative
    # --- close contacts and inbound arrivals
    contacts_isolated: bool
    contacts_per_case: NonNegative
    contact_central_isolation_days: Whole
    contact_home_health_days: Whole
    contact_persons_per_room: PositiveWhole
    contact_nat_tests: Whole
    contact_antibody_tests: Whole
    inbound_isolation_days: Whole
    inbound_nat_tests: Whole
    inbound_antibody_tests: Whole
    # --- care-home testing
    care_home_management: ManagementByLevel
    tests_per_week_staff: PerManagement
    tests_per_week_residents: PerManagement
    resident_antigen_share: Share
    staff_entry_antigen_tests_per_week: PerManagement
    antigen_tests_per_admission: NonNegative
    test_cover_days: PositiveWhole
    care_home_sampling_teams: bool
    tests_per_sampling_team_day: PositiveWhole
    sampling_team_backup_districts: Whole
    outbreak_tests_per_person: NonNegative
    # --- sampling points, labs and the full round
    sampling_points_per_street_min: Whole
    sampling_points_per_street_max: Whole
    sampling_point_factors: FactorList
    tests_per_desk_hour: Positive
    sampling_hours_per_day: HoursPerDay
    nat_persons_per_tube: PositiveWhole
    full_round_days: PositiveWhole
    full_round_required: bool
    full_round_city_population_max: Whole
    # --- staff and travel
    staff_absence_days: Whole
    road_detour_factor: Positive
    default_speed_kmh: Positive
    info: dict[str, RuleInfo]

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """``hospital_drug_days: true`` is not 1 day (``planner.rules.limits``)."""
        name = str(info.field_name)
        return refuse_booleans(name, cls.model_fields[name].annotation, value)

    @field_validator("*", mode="after")
    @classmethod
    def _within_limits(cls, value: Any, info: ValidationInfo) -> Any:
        """Every number finite and within its rule's limits (``planner.rules.limits.RULE_LIMITS``)."""
        return value if info.field_name in ("preset", "info") else check_rule(str(info.field_name), value)

    @model_validator(mode="after")
    def _consistent(self) -> Rules:
        low, high = self.sampling_points_per_street_min, self.sampling_points_per_street_max
        if low > high:
            raise ValueError(
                f"sampling_points_per_street_min: expected at most sampling_points_per_street_max ({high}), got {low}"
            )
        return self

    def values(self) -> dict[str, Any]:
        """Every rule field by name with its plain value (no ``info``)."""
        return self.model_dump(exclude={"info"})

    def source(self, field: str) -> str:
        """The clause ids rule ``field`` cites, joined with ``"; "`` (the checklist's ``source`` column)."""
        return self.info[field].source

    def sources(self, *fields: str) -> str:
        """The clause ids of several rules, each once, in order, joined with ``"; "``.

        Rules that cite no clause (assumptions) are named as such (``"assumption: persons_per_room"``), so a
        compliance row always says what it rests on.
        """
        ids = [cid for field in fields for cid in self.info[field].clauses]
        assumed = [f"assumption: {field}" for field in fields if not self.info[field].clauses]
        return "; ".join([*dict.fromkeys(ids), *assumed])

    def kind(self, field: str) -> str:
        """``quoted``, ``interpreted`` or ``assumption``."""
        return self.info[field].kind

    def table(self) -> list[dict[str, Any]]:
        """One row per rule: field, value, unit, kind, clauses (tuple), source (joined), note, label, label_zh."""
        values = self.values()
        rows = []
        for name in RULE_FIELDS:
            info = self.info[name]
            rows.append(
                {
                    "field": name,
                    "value": values[name],
                    "unit": info.unit,
                    "kind": info.kind,
                    "clauses": info.clauses,
                    "source": info.source,
                    "note": info.note,
                    "label": info.label,
                    "label_zh": info.label_zh,
                }
            )
        return rows

    def listing(self, register: Register | None = None) -> list[dict[str, Any]]:
        """Every rule as ``{name, value, unit, kind, clauses: [{document, clause, quote}]}`` (``epiplan rules``).

        ``document`` is the register's document id (``"000"``), ``clause`` the clause id it cites
        (``"000 §4 reserve"``), ``quote`` the clause's verbatim quote.
        """
        register = register or load_register()
        values = self.values()
        listing = []
        for name in RULE_FIELDS:
            info = self.info[name]
            clauses = [
                {"document": register.clause(cid).document, "clause": cid, "quote": register.clause(cid).quote}
                for cid in info.clauses
            ]
            listing.append(
                {"name": name, "value": plain_value(values[name]), "unit": info.unit, "kind": info.kind}
                | {"clauses": clauses}
            )
        return listing

    def with_overrides(self, overrides: Mapping[str, Any]) -> Rules:
        """A copy with some values replaced (kinds and clauses kept); raises :class:`RulesError` on bad values."""
        return _build({**self.model_dump(), **_plain_values(overrides)})


RULE_FIELDS: tuple[str, ...] = tuple(f for f in Rules.model_fields if f not in ("preset", "info"))


def plain_value(value: Any) -> Any:
    """A rule value as JSON has it: tuples as lists (mappings and numbers unchanged)."""
    if isinstance(value, tuple):
        return list(value)
    return value


def _unknown_rule(name: str) -> str:
    return f"{name}: not a rule (see `epiplan rules` for the {len(RULE_FIELDS)} rules)"


def _plain_values(raw: Mapping[str, Any], where: str = "") -> dict[str, Any]:
    """Accept ``{field: value}`` or ``{field: {value: ..., ...}}`` and return plain values.

    Unknown rules, and clauses (in a full entry) that are not in the register, are refused; ``where`` prefixes
    each message (``"mine.yaml: rules."``).
    """
    problems = [f"{where}{_unknown_rule(k)}" for k in raw if k not in RULE_FIELDS and k != "preset"]
    register = load_register()
    for name, entry in raw.items():
        if isinstance(entry, Mapping) and "clauses" in entry:
            clauses = entry["clauses"]
            if not isinstance(clauses, list) or not all(isinstance(cid, str) for cid in clauses):
                problems.append(f"{where}{name}.clauses: expected a list of clause ids (text), got {clauses!r:.80}")
                continue
            problems += [f"{where}{name}.clauses: unknown clause {cid!r}" for cid in register.unknown(clauses)]
    if problems:
        raise RulesError(problems)
    return {k: (v["value"] if isinstance(v, Mapping) and "value" in v else v) for k, v in raw.items()}


def _format_error(error: Mapping[str, Any], where: str = "") -> str:
    field = ".".join(str(part) for part in error["loc"]) or "rules"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "missing from the preset"
    if error["type"] == "extra_forbidden":
        message = "not a rule"
    if field == "rules" and ": " in message:  # a cross-field check names its field itself
        return f"{where}{message}"
    return f"{where}{field}: {message}"


def _build(data: Mapping[str, Any], where: str = "") -> Rules:
    try:
        return Rules.model_validate(data)
    except ValidationError as exc:
        raise RulesError([_format_error(e, where) for e in exc.errors()]) from None


def _display(path: Path) -> str:
    """How a message names a rules file: presets by their place in the project, other files as given."""
    if path.resolve().parent == RULES_DIR:
        return f"data/rules/{path.name}"
    return str(path)


def _read_yaml(path: Path) -> dict[Any, Any]:
    """The mapping of a preset or overrides file (:func:`planner.yaml_files.read_yaml_mapping`)."""
    try:
        return read_yaml_mapping(path, "rules", _display(path))
    except YamlFileError as exc:
        raise RulesError(exc.problems) from None


def _entry_problems(name: str, entry: Any, where: str, register: Register) -> list[str]:
    """What is wrong with one rule entry of a preset file (value, kind, clauses, unit, labels)."""
    if not isinstance(entry, Mapping) or "value" not in entry:
        return [f"{where}{name}: expected a mapping with {', '.join(('value', *INFO_KEYS))}"]
    problems = [f"{where}{name}.{key}: not a rule attribute" for key in entry if key not in ("value", *INFO_KEYS)]
    if entry.get("kind") not in KINDS:
        problems.append(f"{where}{name}.kind: expected one of {', '.join(KINDS)}, got {entry.get('kind')!r}")
    clauses = entry.get("clauses", [])
    if not isinstance(clauses, list) or not all(isinstance(c, str) for c in clauses):
        problems.append(f"{where}{name}.clauses: expected a list of clause ids")
    else:
        problems += [f"{where}{name}.clauses: unknown clause {cid!r}" for cid in register.unknown(clauses)]
        if entry.get("kind") == "interpreted" and not clauses:
            problems.append(f"{where}{name}.clauses: an interpreted rule cites at least one clause")
    problems += [f"{where}{name}.{key}: missing" for key in ("unit", "label", "label_zh") if not entry.get(key)]
    return problems


def load_preset(name_or_path: str | Path = DEFAULT_PRESET) -> Rules:
    """Load a preset by name (``beijing-2023``) or from a YAML file path.

    The file has ``preset`` and ``rules: {field: {value, unit, kind, clauses, note, label, label_zh}}``.
    Raises :class:`RulesError` naming the file and the key of every problem (an unknown rule or clause, a
    missing rule, a bad kind or value).
    """
    path = Path(name_or_path)
    if not path.suffix:
        path = RULES_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise RulesError(
            [f"rules preset {str(name_or_path)!r}: no such preset or file (presets: {', '.join(PRESETS)})"]
        )
    shown = _display(path)
    raw = _read_yaml(path) or {}
    entries = raw.get("rules") if isinstance(raw, Mapping) else None
    if not isinstance(entries, Mapping):
        raise RulesError([f"{shown}: rules: expected a mapping of rule: {{value, unit, kind, clauses, ...}}"])
    where = f"{shown}: rules."
    try:
        register = load_register()
    except RegisterError as exc:
        raise RulesError(exc.problems) from None
    problems = [f"{where}{_unknown_rule(k)}" for k in entries if k not in RULE_FIELDS]
    problems += [f"{where}{k}: missing from the preset" for k in RULE_FIELDS if k not in entries]
    for name, entry in entries.items():
        if name in RULE_FIELDS:
            problems += _entry_problems(str(name), entry, where, register)
    if problems:
        raise RulesError(problems)
    data: dict[str, Any] = {k: v["value"] for k, v in entries.items()}
    data["preset"] = raw.get("preset", path.stem)
    data["info"] = {
        k: {key: (tuple(v.get(key) or ()) if key == "clauses" else v.get(key, "")) for key in INFO_KEYS}
        for k, v in entries.items()
    }
    return _build(data, where)


def load_rules(preset: str | Path = DEFAULT_PRESET, overrides: Mapping[str, Any] | str | Path | None = None) -> Rules:
    """A preset with optional overrides from a dict or a YAML file of ``field: value`` (or ``rules: {...}``)."""
    rules = load_preset(preset)
    if overrides is None:
        return rules
    if isinstance(overrides, (str, Path)):
        path = Path(overrides)
        loaded = _read_yaml(path) or {}
        if not isinstance(loaded, Mapping):
            raise RulesError([f"{path}: expected a mapping of rule: value"])
        nested = isinstance(loaded.get("rules"), Mapping)
        values = {k: v for k, v in (loaded["rules"] if nested else loaded).items() if k != "preset"}
        where = f"{path}: rules." if nested else f"{path}: "
        plain = _plain_values(values, where)
        return _build({**rules.model_dump(), **plain}, where)
    return rules.with_overrides(overrides)
