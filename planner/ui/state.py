"""What the session keeps: the widget keys, the scenarios a coordinator has kept, and scenario files.

A kept scenario (:class:`ScenarioSpec`) is everything needed to solve it again on
the same dataset: the rules preset, the :class:`~planner.rules.scenario.Scenario`
(knobs, closed sites, demand multipliers, rule overrides), the what-if edits of
the dataset and the time limit. It round-trips through YAML (schema
``epiplan.scenario/1``); a plain mapping of knobs (``level: severe``) is read too,
as the command line writes it.

Session state is handled through plain ``MutableMapping`` functions so that they
can be tested without Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from planner.cli.options import MAX_TIME_LIMIT_S
from planner.rules.rules import DEFAULT_PRESET, PRESETS
from planner.rules.scenario import LEVEL_KNOBS, Scenario, ScenarioError, level_defaults, make_scenario
from planner.ui.whatif import EditError, Edits, clean_edits
from planner.yaml_files import YamlFileError, parse_yaml_mapping

Session = MutableMapping[Any, Any]
"""Streamlit's session state (keys are ``str | int``) or a plain dict in tests."""
SessionView = Mapping[Any, Any]

SCENARIO_SCHEMA = "epiplan.scenario/1"
DEFAULT_PLAN = str(Scenario.model_fields["plan"].default)
DEFAULT_TIME_LIMIT_S = 10.0
MIN_TIME_LIMIT_S = 0.1
"""Least time limit (seconds per stage) the app's widget and its scenario files take."""

# --- session keys (widget keys are plain strings; the data editors add a generation number) ---------------------
LANGUAGE = "language"
PRESET = "preset"
LEVEL = "level"
HORIZON = "horizon_days"
PLAN = "plan"
"""The plan kind: ``daily`` (the day-by-day plan, the default) or ``snapshot`` (every need of the horizon at once)."""
PEAK_DAY = "peak_day"
WAVE_DAYS = "wave_days"
"""The day-by-day plan's epidemic curve (``planner.needs.curve``): a whole number of days, or None for the default
(mid-horizon peak; the wave over the horizon)."""
CURVE_KEYS: tuple[str, ...] = (PEAK_DAY, WAVE_DAYS)
KNOB_KEYS: dict[str, str] = {knob: f"knob_{knob}" for knob in (*LEVEL_KNOBS, "stock_factor", "fleet_factor")}
"""Session keys of the knob sliders; each holds its knob in percent (15.0 for an attack rate of 0.15, 100.0 for a
stock factor of 1.0): a coordinator reads shares as percentages."""
PERCENT = 100.0
CLOSED_SITES = "closed_sites"
DISTRICT = "district"
"""The district the views show ("" for every district)."""
TIME_LIMIT = "time_limit_s"
SCENARIO_NAME = "scenario_name"
UPLOAD = "dataset_upload"
"""The dataset file uploader."""
UPLOADED = "uploaded_dataset"
"""``{"name": file name, "data": bytes}`` of the uploaded dataset, or absent for the sample city."""
STORED_EDITS = "stored_edits"
"""What-if edits that came from a loaded scenario (the editors add theirs on top)."""
STORED_RULES = "stored_rule_overrides"
STORED_DEMAND = "stored_demand_multipliers"
STORED_DISTRICT_KNOBS = "stored_district_knobs"
"""Session key: a loaded scenario's ``district_levels`` and ``inbound_arrivals`` (no widget shows them; the plan
keeps them until another scenario or dataset is loaded)."""
DISTRICT_KNOBS: tuple[str, ...] = ("district_levels", "inbound_arrivals")
GENERATION = "editor_generation"
"""Bumped when stored edits are replaced, so that the data editors start afresh."""
KEPT = "kept_scenarios"
"""Scenario name -> :class:`ScenarioSpec`."""
MESSAGE = "flash_message"
"""A one-time message for the next run (kind, text)."""
PLAN_CACHE = "plan_cache"
PREVIOUS_KPIS = "previous_kpis"
"""(plan key, kpis) of the last plan shown, for the deltas of the KPI cards."""


@dataclass(frozen=True)
class ScenarioSpec:
    """A kept scenario: enough to solve it again on the same dataset."""

    name: str
    preset: str = DEFAULT_PRESET
    scenario: Scenario = field(default_factory=lambda: make_scenario())
    edits: Edits = field(default_factory=dict)
    time_limit_s: float = DEFAULT_TIME_LIMIT_S
    dataset_name: str = ""
    dataset_sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The scenario as a plain mapping (what the YAML file holds)."""
        return {
            "schema": SCENARIO_SCHEMA,
            "name": self.name,
            "preset": self.preset,
            "time_limit_s": self.time_limit_s,
            "dataset": {"name": self.dataset_name, "sha256": self.dataset_sha256},
            "scenario": self.scenario.to_dict(),
            "edits": self.edits,
        }

    def to_yaml(self) -> str:
        """YAML text of :meth:`to_dict` (UTF-8, Chinese kept readable)."""
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False)


def spec_from_mapping(raw: Mapping[str, Any], default_name: str = "scenario") -> ScenarioSpec:
    """A :class:`ScenarioSpec` from a parsed scenario file; raises :class:`ScenarioError` naming every problem.

    Accepts the ``epiplan.scenario/1`` layout or a bare mapping of scenario knobs.
    """
    problems: list[str] = []
    if "scenario" in raw:
        knobs = raw.get("scenario") or {}
        extra_keys = {"schema", "name", "preset", "time_limit_s", "dataset", "scenario", "edits"}
        problems += [f"{key}: not a scenario field" for key in raw if key not in extra_keys]
    else:
        knobs = {k: v for k, v in raw.items() if k not in ("name", "preset", "time_limit_s", "edits", "schema")}
    if not isinstance(knobs, Mapping):
        raise ScenarioError(["scenario: expected a mapping of knob: value"])
    preset = str(raw.get("preset") or DEFAULT_PRESET)
    if preset not in PRESETS:
        problems.append(f"preset: expected one of {', '.join(PRESETS)}, got {preset!r}")
    if "schema" in raw and raw["schema"] != SCENARIO_SCHEMA:
        problems.append(f"schema: expected {SCENARIO_SCHEMA}, got {raw['schema']!r}")
    try:
        time_limit = float(raw.get("time_limit_s", DEFAULT_TIME_LIMIT_S))
        if isinstance(raw.get("time_limit_s"), bool) or not MIN_TIME_LIMIT_S <= time_limit <= MAX_TIME_LIMIT_S:
            raise ValueError  # nan, inf too; below the widget's least it was raised to it without a word
    except (TypeError, ValueError):
        problems.append(
            f"time_limit_s: expected seconds from {MIN_TIME_LIMIT_S:g} to {MAX_TIME_LIMIT_S:,.0f}, "
            f"got {raw.get('time_limit_s')!r}"
        )
        time_limit = DEFAULT_TIME_LIMIT_S
    edits: Edits = {}
    try:
        edits = clean_edits(raw.get("edits") or {})
    except EditError as exc:
        problems += [f"edits: {p}" for p in exc.problems]
    scenario = make_scenario()
    try:
        scenario = make_scenario(**dict(knobs))
    except ScenarioError as exc:
        problems += exc.problems
    except TypeError as exc:
        problems.append(f"scenario: {exc}")
    if problems:
        raise ScenarioError(problems)
    dataset = raw.get("dataset") or {}
    return ScenarioSpec(
        name=str(raw.get("name") or default_name),
        preset=preset,
        scenario=scenario,
        edits=edits,
        time_limit_s=time_limit,
        dataset_name=str(dataset.get("name", "")) if isinstance(dataset, Mapping) else "",
        dataset_sha256=str(dataset.get("sha256", "")) if isinstance(dataset, Mapping) else "",
    )


def spec_from_yaml(text: str | bytes, default_name: str = "scenario") -> ScenarioSpec:
    """Parse a scenario file; raises :class:`ScenarioError` with readable problems."""
    try:  # not UTF-8, not YAML, a tag, nested too deeply, not a mapping: the command line's reader
        raw = parse_yaml_mapping(text, "the scenario file")
    except YamlFileError as exc:
        raise ScenarioError(exc.problems) from None
    return spec_from_mapping(raw, default_name)


# --- session state ----------------------------------------------------------------------------------------------


def to_percent(share: float) -> float:
    """A share as the sliders show it (0.15 -> 15.0), rounded so that float noise never shows."""
    return round(PERCENT * float(share), 6)


def knob_defaults(level: str) -> dict[str, float]:
    """The widget values of the knobs at ``level`` in percent (level defaults; factors 100 %)."""
    defaults = level_defaults()[level]
    values = {KNOB_KEYS[knob]: to_percent(defaults[knob]) for knob in LEVEL_KNOBS}
    values[KNOB_KEYS["stock_factor"]] = PERCENT
    values[KNOB_KEYS["fleet_factor"]] = PERCENT
    return values


def init_session(session: Session) -> None:
    """Put every default the sidebar needs into ``session`` (keys already set are kept)."""
    defaults: dict[str, Any] = {
        LANGUAGE: "en",
        PRESET: DEFAULT_PRESET,
        LEVEL: "prevalent",
        HORIZON: 14,
        PLAN: DEFAULT_PLAN,
        PEAK_DAY: None,
        WAVE_DAYS: None,
        CLOSED_SITES: [],
        DISTRICT: "",
        TIME_LIMIT: DEFAULT_TIME_LIMIT_S,
        SCENARIO_NAME: "",
        STORED_EDITS: {},
        STORED_RULES: {},
        STORED_DEMAND: {},
        STORED_DISTRICT_KNOBS: {},
        GENERATION: 0,
        KEPT: {},
    }
    for key, default in {**defaults, **knob_defaults("prevalent")}.items():
        if key not in session:
            session[key] = default


def reset_knobs_to_level(session: Session) -> None:
    """After a level change: every level knob back to the new level's default."""
    session.update(knob_defaults(str(session[LEVEL])))


def scenario_knobs(session: SessionView) -> dict[str, Any]:
    """The scenario knobs the widgets show; level knobs equal to the level default, the default plan kind and
    curve knobs left empty are left out (the curve's only when the plan is daily)."""
    level = str(session[LEVEL])
    defaults = knob_defaults(level)
    knobs: dict[str, Any] = {"level": level, "horizon_days": int(session[HORIZON])}
    plan = str(session.get(PLAN, DEFAULT_PLAN))
    if plan != DEFAULT_PLAN:
        knobs["plan"] = plan
    for key in CURVE_KEYS if plan == "daily" else ():
        if session.get(key) is not None:
            knobs[key] = int(session[key])
    for knob, key in KNOB_KEYS.items():
        widget_value = float(session[key])
        if abs(widget_value - defaults[key]) > 1e-9:
            knobs[knob] = round(widget_value / PERCENT, 8)
    knobs["closed_sites"] = tuple(sorted(str(s) for s in session[CLOSED_SITES]))
    knobs.update({knob: dict(value) for knob, value in session.get(STORED_DISTRICT_KNOBS, {}).items() if value})
    return knobs


def load_spec(session: Session, spec: ScenarioSpec) -> None:
    """Show ``spec`` in the widgets: knobs, preset, closed sites, time limit, stored edits (editors start afresh);
    its district levels and inbound arrivals, which no widget shows, are kept for the plan.

    Call it from a widget callback (before the widgets are drawn in the next run).
    """
    scenario = spec.scenario
    session[PRESET] = spec.preset
    session[LEVEL] = scenario.level
    session[HORIZON] = scenario.horizon_days
    session[PLAN] = scenario.plan
    session[PEAK_DAY] = scenario.peak_day
    session[WAVE_DAYS] = scenario.wave_days
    for knob, key in KNOB_KEYS.items():
        session[key] = to_percent(getattr(scenario, knob))
    session[CLOSED_SITES] = list(scenario.closed_sites)
    session[TIME_LIMIT] = float(spec.time_limit_s)
    session[SCENARIO_NAME] = spec.name
    session[STORED_EDITS] = spec.edits
    session[STORED_RULES] = dict(scenario.rule_overrides)
    session[STORED_DEMAND] = dict(scenario.demand_multipliers)
    session[STORED_DISTRICT_KNOBS] = {knob: dict(getattr(scenario, knob)) for knob in DISTRICT_KNOBS}
    session[GENERATION] = int(session.get(GENERATION, 0)) + 1


def reset_edits(session: Session) -> None:
    """Forget every what-if edit and rule override (a new dataset was loaded)."""
    session[STORED_EDITS] = {}
    session[STORED_RULES] = {}
    session[STORED_DEMAND] = {}
    session[STORED_DISTRICT_KNOBS] = {}
    session[CLOSED_SITES] = []
    session[GENERATION] = int(session.get(GENERATION, 0)) + 1


HISTORY = "whatif_history"
"""Session key: the what-if states the reader went through, oldest first (for undo)."""
HISTORY_LENGTH = 50


def whatif_state(session: SessionView) -> dict[str, Any]:
    """What the what-if edits are now: table edits, rule overrides, demand multipliers, closed sites."""
    return {
        "edits": session.get(STORED_EDITS, {}),
        "rules": session.get(STORED_RULES, {}),
        "demand": session.get(STORED_DEMAND, {}),
        "closed_sites": sorted(str(s) for s in session.get(CLOSED_SITES, [])),
    }


def record_whatif(session: Session) -> None:
    """Remember the what-if state when it changed since the last run (the undo history)."""
    history = list(session.get(HISTORY, []))
    now = whatif_state(session)
    if not history or history[-1] != now:
        history.append(now)
    session[HISTORY] = history[-HISTORY_LENGTH:]


def can_undo(session: SessionView) -> bool:
    """True when there is an earlier what-if state to go back to."""
    return len(session.get(HISTORY, [])) > 1


def _restore(session: Session, whatif: Mapping[str, Any]) -> None:
    session[STORED_EDITS] = whatif["edits"]
    session[STORED_RULES] = whatif["rules"]
    session[STORED_DEMAND] = whatif["demand"]
    session[CLOSED_SITES] = list(whatif["closed_sites"])
    session[GENERATION] = int(session.get(GENERATION, 0)) + 1


def undo_whatif(session: Session) -> bool:
    """Go back to the what-if state before the last change (editors start afresh); False when there is none."""
    history = list(session.get(HISTORY, []))
    if len(history) < 2:
        return False
    history.pop()
    _restore(session, history[-1])
    session[HISTORY] = history
    return True


def reset_whatif(session: Session) -> None:
    """Drop every what-if edit: the dataset as loaded, the preset's rules, no demand multiplier, no site closed
    (the knobs stay); the reset itself can be undone."""
    _restore(session, {"edits": {}, "rules": {}, "demand": {}, "closed_sites": []})
    record_whatif(session)


def editor_key(name: str, session: SessionView) -> str:
    """The widget key of a data editor in this generation (``whatif_sites_0``)."""
    return f"{name}_{int(session.get(GENERATION, 0))}"


def keep(session: Session, spec: ScenarioSpec) -> None:
    """Keep ``spec`` under its name (replacing one of the same name)."""
    kept = dict(session.get(KEPT, {}))
    kept[spec.name] = spec
    session[KEPT] = kept


def unique_name(wanted: str, taken: Mapping[str, Any] | list[str], fallback: str = "scenario") -> str:
    """``wanted`` (or ``fallback``) made unique among ``taken`` by a number suffix."""
    base = wanted.strip() or fallback
    if base not in taken:
        return base
    number = 2
    while f"{base} ({number})" in taken:
        number += 1
    return f"{base} ({number})"


# --- widgets whose option labels depend on the language ---------------------------------------------------------
# Streamlit keeps a radio's, selectbox's or multiselect's value as its *formatted* label: after a language switch
# the old label matches no option and the widget shows nothing selected. Such a widget gets one key per language
# (``level__zh``); the value itself lives under the plain name (``level``), copied in before the widget is drawn
# and copied back by its on_change callback.


def widget_key(name: str, language: str) -> str:
    """The key of the widget that shows session value ``name`` in ``language``."""
    return f"{name}__{language}"


def bind_widget(session: Session, name: str, language: str) -> str:
    """Give the ``language`` widget of ``name`` the current value (before it is drawn) and return its key."""
    key = widget_key(name, language)
    if key not in session or session[key] != session.get(name):
        session[key] = session.get(name)
    return key


def copy_from_widget(session: Session, name: str, language: str) -> None:
    """The on_change side of :func:`bind_widget`: keep what the reader chose under the plain name."""
    session[name] = session[widget_key(name, language)]
