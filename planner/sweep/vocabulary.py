"""The vocabulary of a sweep: its knobs, its scenarios, what a worker sends back, and its problems.

A **sweep** (:class:`Sweep`) is a base dataset, rules, fixed base knobs and a list of scenarios
(:class:`SweepScenario`) made by a generator (:mod:`planner.sweep.sampling`).

Knobs are the scenario's (``level``, ``horizon_days``, ``attack_rate``, ``severe_share``, ``staff_absence``,
``rotation_share``, ``stock_factor``, ``fleet_factor``), ``demand.<district_id>`` (demand multiplier of a
district), ``rule.<field>`` (a rule override) and, in a grid, ``closed_sites`` / ``station_outages`` (lists
of ids).

Each scenario is solved into a :class:`ScenarioOutcome` (:mod:`planner.sweep.execution`): a status of
:data:`STATUSES`, the flat KPIs, the binding entities (:data:`CONDITIONS`) and the marginal values. The
outcomes are assembled and summarised by :mod:`planner.sweep.results` and saved by
:mod:`planner.sweep.saving`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from planner.rules.scenario import LEVEL_KNOBS, ScenarioError

SHARE_KNOBS: tuple[str, ...] = LEVEL_KNOBS
"""Knobs that are shares in [0, 1]."""
FACTOR_KNOBS: tuple[str, ...] = ("stock_factor", "fleet_factor")
"""Knobs that are factors >= 0."""
WHOLE_KNOBS: tuple[str, ...] = ("horizon_days",)
"""Knobs that are whole numbers (sampled values are rounded)."""
LIST_KNOBS: tuple[str, ...] = ("closed_sites", "station_outages")
"""Grid knobs whose values are lists of ids."""
DEMAND_PREFIX = "demand."
RULE_PREFIX = "rule."
NUMERIC_KNOBS: tuple[str, ...] = (*SHARE_KNOBS, *FACTOR_KNOBS, *WHOLE_KNOBS)

SweepStatus = Literal["ok", "time_limit", "error"]
STATUSES: tuple[str, ...] = ("ok", "time_limit", "error")
SOLVED_STATUSES: tuple[str, ...] = ("ok", "time_limit")
"""Scenarios with a plan (a stage stopped at its time limit still gives a feasible plan)."""

TIMING_COLUMNS: tuple[str, ...] = ("seconds", "seconds_total", "worker")
"""Columns that differ between two runs of the same scenario (leave them out of determinism checks)."""

CONDITIONS: dict[str, tuple[str, str]] = {
    "uncovered": ("care_home", "uncovered_homes"),
    "unplaced": ("care_home", "unplaced_homes"),
    "full": ("site", "sites_full"),
    "used_up": ("pool", "pools_used_up"),
    "empty": ("depot", "depots_empty"),
}
"""Binding condition -> (entity kind, per-scenario count column). ``uncovered``: the home's 120 handshake
does not cover it; ``unplaced``: some of its persons have no observation room; ``full``: an open site with
no free room; ``used_up``: a pool with every nurse sent; ``empty``: a depot with none left of a drug it holds."""
BINDING_COLUMNS: tuple[str, ...] = ("scenario", "kind", "entity_id", "drug", "condition")
MARGINAL_COLUMNS: tuple[str, ...] = ("scenario", "stage", "resource_id", "resource_kind", "value", "units")
"""What more units buy in each scenario (``planner.stages.probes``): ``units`` more of ``resource_kind`` at
``resource_id`` buy ``value`` (persons placed, needs met, packs placed, daily transfers covered)."""

ProgressCallback = Callable[[int, int, "ScenarioOutcome"], None]
"""Called as ``progress(done, total, outcome)`` after each scenario finishes (in completion order)."""


class SweepError(ScenarioError):
    """A sweep that cannot run (bad sweep file, unknown knob, no scheduler); ``problems`` names each problem."""


@dataclass(frozen=True)
class SweepScenario:
    """One scenario of a sweep: the knobs it varies (on top of the sweep's base knobs), its closed sites
    and its stations out of service."""

    index: int
    knobs: Mapping[str, Any] = field(default_factory=dict)
    closed_sites: tuple[str, ...] = ()
    station_outages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sweep:
    """The scenarios to solve and the knobs every one of them shares (``base``, e.g. ``{"level": "severe"}``)."""

    scenarios: tuple[SweepScenario, ...]
    base: Mapping[str, Any] = field(default_factory=dict)
    generator: str = "grid"
    """``grid`` or ``monte_carlo``."""

    def __len__(self) -> int:
        return len(self.scenarios)


@dataclass(frozen=True, eq=False)
class ScenarioOutcome:
    """What a worker sends back for one scenario: small, plain, picklable.

    ``kpis`` is the flat row (``nan``-free numbers; empty when the scenario failed), ``bindings`` the binding
    entities (``kind, entity_id, drug, condition``), ``marginal`` the positive marginal values
    (``stage, resource_id, resource_kind, value``).
    """

    index: int
    status: SweepStatus
    message: str
    seconds: float
    worker: str
    kpis: Mapping[str, float] = field(default_factory=dict)
    bindings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(BINDING_COLUMNS[1:])))
    marginal: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(MARGINAL_COLUMNS[1:])))

    @property
    def solved(self) -> bool:
        return self.status in SOLVED_STATUSES


def parse_ids(value: object) -> tuple[str, ...]:
    """Ids from a list, a comma-separated string, or nothing."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, Iterable):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return (str(value),)


__all__ = [
    "BINDING_COLUMNS",
    "CONDITIONS",
    "DEMAND_PREFIX",
    "FACTOR_KNOBS",
    "LIST_KNOBS",
    "MARGINAL_COLUMNS",
    "NUMERIC_KNOBS",
    "RULE_PREFIX",
    "SHARE_KNOBS",
    "SOLVED_STATUSES",
    "STATUSES",
    "TIMING_COLUMNS",
    "WHOLE_KNOBS",
    "ProgressCallback",
    "ScenarioOutcome",
    "Sweep",
    "SweepError",
    "SweepScenario",
    "SweepStatus",
    "parse_ids",
]
