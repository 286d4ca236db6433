"""Scenario sweeps: many what-ifs of one dataset, solved on Dask, summarised for robustness.

A **sweep** is a base dataset, rules, fixed base knobs and a list of scenarios made by a generator:

- :func:`grid_sweep`: knob -> list of values, every combination (cartesian product, in the order given);
- :func:`monte_carlo_sweep`: knob -> distribution (``uniform(low, high)``, ``triangular(low, mode, high)``,
  ``beta(a, b, low, high)``), plus each site closed and each ambulance station out of service with a
  probability. Seeded: knob ``k`` draws from ``numpy.random.default_rng([seed, crc32(k)])``, so the same
  sweep gives the same scenarios, and adding a knob does not change the draws of the others.

Knobs are the scenario's (``level``, ``horizon_days``, ``attack_rate``, ``severe_share``, ``staff_absence``,
``rotation_share``, ``stock_factor``, ``fleet_factor``), ``demand.<district_id>`` (demand multiplier of a
district), ``rule.<field>`` (a rule override) and, in a grid, ``closed_sites`` / ``station_outages`` (lists
of ids). A station outage sets the station's ambulances (and the most it may receive) to 0: the worker
patches its copy of the dataset; the dataset itself is sent to every worker once.

Every scenario goes through :func:`solve_scenario` (``make_plan`` plus the reduction of the plan to one
row of KPIs, the binding entities and the marginal values), serially in-process (:func:`run_serial`) or as
one Dask task each (:func:`run_dask`, on a local cluster or a running scheduler). A scenario that raises
or stops at its time limit is a row with status ``error`` or ``time_limit`` and never sinks the sweep.

Results (:class:`SweepResult`): one row per scenario (knobs, every scalar KPI, per-drug figures
flattened, status, message, seconds), the binding entities per scenario and their counts across
scenarios, and the marginal values per scenario. :func:`summarize` gives the robust summary
(:class:`SweepSummary`): P50 / P90 / P95 / worst of each KPI, the stress points and the marginal values
aggregated over the whole range. :func:`save_sweep` writes Parquet, CSV or xlsx by the file's suffix.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import re
import signal
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import yaml

from models.base import Status
from planner.dataset.schema import DRUGS, Dataset
from planner.outputs.csv_zip import escape_csv_text
from planner.rules.rules import RULE_FIELDS, Rules
from planner.rules.scenario import LEVEL_KNOBS, Scenario, ScenarioError, make_scenario

if TYPE_CHECKING:
    from distributed import Client

    from planner.report.plan import Plan

# --- vocabulary ---------------------------------------------------------------------------------------------------

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
DEFAULT_TIME_LIMIT_S = 10.0
"""Seconds per stage for each scenario (``make_plan``'s ``time_limit_s``)."""

SweepStatus = Literal["ok", "time_limit", "error"]
STATUSES: tuple[str, ...] = ("ok", "time_limit", "error")
SOLVED_STATUSES: tuple[str, ...] = ("ok", "time_limit")
"""Scenarios with a plan (a stage stopped at its time limit still gives a feasible plan)."""

NURSING_TIERS: tuple[str, ...] = ("transfer_1to1", "backfill", "self_care")
DICT_KPIS: dict[str, tuple[str, tuple[str, ...], float]] = {
    "lowest_fill_rate": ("lowest_fill_rate", DRUGS, 1.0),
    "drug_shortfall": ("drug_shortfall", DRUGS, 0.0),
    "nursing_unmet_by_tier": ("nursing_unmet", NURSING_TIERS, 0.0),
}
"""Dict-valued KPIs flattened to ``<prefix>_<key>`` columns: (prefix, keys always present, value when absent)."""
SKIPPED_KPIS: tuple[str, ...] = ("status", "seconds", "reserve_ratio")
"""KPIs not in the scenario row: stage statuses (in ``status``/``message``), timings, and the reserve ratio
(held / residents of the dataset: the same in every scenario)."""
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
ENTITY_COLUMNS: tuple[str, ...] = ("kind", "entity_id", "drug", "condition", "scenarios", "share")
MARGINAL_COLUMNS: tuple[str, ...] = ("scenario", "stage", "resource_id", "resource_kind", "value")

HIGHER_IS_BETTER: tuple[str, ...] = (
    "observation_placed",
    "covered_daily_transfers",
    "covered_share",
    "one_to_one_assigned",
    "one_to_one_coverage",
    "nurses_assigned",
    "compliance_met",
)
HIGHER_IS_BETTER_PREFIXES: tuple[str, ...] = ("lowest_fill_rate_",)
"""Every other KPI is read as "higher is worse" (a shortfall, or a demand that stresses the plan)."""

ProgressCallback = Callable[[int, int, "ScenarioOutcome"], None]
"""Called as ``progress(done, total, outcome)`` after each scenario finishes (in completion order)."""


class SweepError(ScenarioError):
    """A sweep that cannot run (bad sweep file, unknown knob, no scheduler); ``problems`` names each problem."""


# --- distributions ------------------------------------------------------------------------------------------------

DistributionKind = Literal["fixed", "uniform", "triangular", "beta"]
DISTRIBUTION_PARAMETERS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "beta": ("a", "b", "low", "high"),
}
_CALL = re.compile(r"^\s*([a-z]+)\s*\((.*)\)\s*$")


@dataclass(frozen=True)
class Distribution:
    """A knob's distribution: ``fixed(value)``, ``uniform(low, high)``, ``triangular(low, mode, high)``,
    ``beta(a, b, low, high)`` (a Beta(a, b) stretched onto [low, high]; ``beta(a, b)`` is on [0, 1])."""

    kind: DistributionKind
    params: tuple[float, ...]

    def __post_init__(self) -> None:
        problem = self._problem()
        if problem:
            raise SweepError([f"{self}: {problem}"])

    def _problem(self) -> str:
        names = DISTRIBUTION_PARAMETERS[self.kind]
        if len(self.params) != len(names):
            return f"expected {len(names)} numbers ({', '.join(names)})"
        if not all(np.isfinite(self.params)):
            return "expected finite numbers"
        if self.kind == "triangular" and not self.params[0] <= self.params[1] <= self.params[2]:
            return "expected low <= mode <= high"
        if self.kind == "beta" and not (self.params[0] > 0 and self.params[1] > 0):
            return "expected a > 0 and b > 0"
        low, high = self.support
        return "" if low <= high else "expected low <= high"

    def __str__(self) -> str:
        return f"{self.kind}({', '.join(f'{p:g}' for p in self.params)})"

    @property
    def support(self) -> tuple[float, float]:
        """The smallest and largest value the distribution can draw."""
        if self.kind == "fixed":
            return self.params[0], self.params[0]
        if self.kind == "triangular":
            return self.params[0], self.params[2]
        return self.params[-2], self.params[-1]

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws from ``rng``."""
        low, high = self.support
        if self.kind == "fixed" or low == high:
            return np.full(size, low, dtype=float)
        if self.kind == "uniform":
            return rng.uniform(low, high, size)
        if self.kind == "triangular":
            return rng.triangular(low, self.params[1], high, size)
        return low + (high - low) * rng.beta(self.params[0], self.params[1], size)


def parse_distribution(spec: object) -> Distribution:
    """A distribution from a sweep file: ``"uniform(0.1, 0.3)"``, ``{"dist": "beta", "a": 2, "b": 5}``,
    ``{"triangular": [0.1, 0.15, 0.4]}`` or a plain number (fixed)."""
    if isinstance(spec, Distribution):
        return spec
    if isinstance(spec, bool):
        raise SweepError([f"{spec!r}: expected a number or a distribution"])
    if isinstance(spec, int | float):
        return Distribution("fixed", (float(spec),))
    if isinstance(spec, str):
        match = _CALL.match(spec)
        if not match:
            raise SweepError([f"{spec!r}: expected uniform(low, high), triangular(low, mode, high) or beta(a, b, ...)"])
        kind, inside = match.group(1), match.group(2)
        values: list[object] = [v for v in (part.strip() for part in inside.split(",")) if v]
        return _distribution(kind, values, spec)
    if isinstance(spec, Mapping):
        if "dist" in spec:
            kind = str(spec["dist"])
            names = DISTRIBUTION_PARAMETERS.get(kind, ())
            if kind == "beta" and "low" not in spec and "high" not in spec:
                names = ("a", "b")
            return _distribution(kind, [spec.get(name) for name in names], spec)
        if len(spec) == 1:
            ((kind, values),) = spec.items()
            return _distribution(str(kind), list(values) if isinstance(values, list | tuple) else [values], spec)
    raise SweepError([f"{spec!r}: expected a number or a distribution"])


def _distribution(kind: str, values: Sequence[object], spec: object) -> Distribution:
    if kind not in DISTRIBUTION_PARAMETERS:
        raise SweepError([f"{spec!r}: unknown distribution {kind!r} (use {', '.join(DISTRIBUTION_PARAMETERS)})"])
    try:
        numbers = [float(v) for v in values]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SweepError([f"{spec!r}: expected numbers"]) from None
    if kind == "beta" and len(numbers) == 2:
        numbers += [0.0, 1.0]
    return Distribution(kind, tuple(numbers))  # type: ignore[arg-type]


def _stream(seed: int, name: str) -> np.random.Generator:
    """The random stream of one knob: depends on the seed and the knob's name only."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8"))])


# --- scenarios ----------------------------------------------------------------------------------------------------


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


def base_knobs(scenario: Scenario) -> dict[str, Any]:
    """The knobs a user set on ``scenario`` (level defaults left out, so a sweep may vary the level)."""
    return scenario.model_dump(exclude_unset=True)


def check_knob_name(name: str, dataset: Dataset | None = None, *, numeric: bool = False) -> str:
    """``""`` when ``name`` is a knob a sweep may vary, else the problem (``numeric``: Monte Carlo)."""
    if name in NUMERIC_KNOBS or (not numeric and name in ("level", *LIST_KNOBS)):
        return ""
    if name.startswith(DEMAND_PREFIX):
        district = name.removeprefix(DEMAND_PREFIX)
        known = dataset is None or district in set(dataset.districts["district_id"])
        return "" if known else f"{name}: no district {district!r} in the dataset"
    if name.startswith(RULE_PREFIX):
        rule = name.removeprefix(RULE_PREFIX)
        if rule not in RULE_FIELDS:
            return f"{name}: not a rule (known rules: {', '.join(RULE_FIELDS)})"
        if numeric and Rules.model_fields[rule].annotation not in (int, float):
            return f"{name}: not a number, cannot be sampled"
        return ""
    kinds = "numeric knobs" if numeric else "knobs"
    known_names = [*NUMERIC_KNOBS, *(() if numeric else ("level", *LIST_KNOBS))]
    return f"{name}: not a sweep knob ({kinds}: {', '.join(known_names)}, demand.<district_id>, rule.<field>)"


def _knob_range(name: str) -> tuple[float, float] | None:
    if name in SHARE_KNOBS:
        return 0.0, 1.0
    if name in FACTOR_KNOBS or name.startswith(DEMAND_PREFIX):
        return 0.0, float("inf")
    if name == "horizon_days":
        return 1.0, 365.0
    return None


def _is_whole(name: str) -> bool:
    if name in WHOLE_KNOBS:
        return True
    return name.startswith(RULE_PREFIX) and Rules.model_fields[name.removeprefix(RULE_PREFIX)].annotation is int


def _ids(value: object) -> tuple[str, ...]:
    """Ids from a list, a comma-separated string, or nothing."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, Iterable):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return (str(value),)


def grid_sweep(
    values: Mapping[str, Sequence[Any]], base: Mapping[str, Any] | None = None, dataset: Dataset | None = None
) -> Sweep:
    """Every combination of ``values`` (knob -> list of values), the first knob varying slowest.

    Knob names are checked here (:func:`check_knob_name`); knob values are checked when each scenario is
    built, so a bad value is one failed row, not a failed sweep.
    """
    problems = [p for p in (check_knob_name(k, dataset) for k in values) if p]
    problems += [f"{k}: expected a non-empty list of values" for k, v in values.items() if not _is_list(v)]
    if problems:
        raise SweepError(problems)
    names = list(values)
    scenarios = []
    for index, combination in enumerate(itertools.product(*(list(values[k]) for k in names))):
        chosen = dict(zip(names, combination, strict=True))
        closed = _ids(chosen.pop("closed_sites", None))
        outages = _ids(chosen.pop("station_outages", None))
        scenarios.append(SweepScenario(index, chosen, closed, outages))
    return Sweep(tuple(scenarios), dict(base or {}), "grid")


def _is_list(value: object) -> bool:
    return isinstance(value, list | tuple) and len(value) > 0


@dataclass(frozen=True)
class Failure:
    """Entities that fail independently, each with ``probability`` (``ids`` empty: every candidate)."""

    probability: float = 0.0
    ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise SweepError([f"probability {self.probability:g}: expected a share in [0, 1]"])


def parse_failure(spec: object, what: str) -> Failure:
    """``0.05`` or ``{probability: 0.05, ids: [ST1, ST2]}``; ``what`` names the setting in a problem."""
    if isinstance(spec, Failure):
        return spec
    probability: object = spec.get("probability") if isinstance(spec, Mapping) else spec
    ids = _ids(spec.get("ids")) if isinstance(spec, Mapping) else ()
    if isinstance(probability, bool) or not isinstance(probability, int | float):
        raise SweepError([f"{what}: expected a probability or {{probability: p, ids: [...]}}, got {spec!r}"])
    if not 0.0 <= float(probability) <= 1.0:
        raise SweepError([f"{what}: expected a probability in [0, 1], got {probability:g}"])
    return Failure(float(probability), ids)


def _failure_candidates(failure: Failure, known: pd.Series, what: str) -> list[str]:
    known_ids = sorted(set(known.astype(str)))
    if not failure.ids:
        return known_ids
    unknown = sorted(set(failure.ids) - set(known_ids))
    if unknown:
        raise SweepError([f"{what}: unknown ids {', '.join(unknown)}"])
    return sorted(set(failure.ids))


def _draw_failures(
    failure: Failure, candidates: list[str], samples: int, seed: int, name: str
) -> list[tuple[str, ...]]:
    if failure.probability <= 0 or not candidates:
        return [() for _ in range(samples)]
    fails = _stream(seed, name).random((samples, len(candidates))) < failure.probability
    ids = np.asarray(candidates, dtype=object)
    return [tuple(ids[row]) for row in fails]


def monte_carlo_sweep(
    dataset: Dataset,
    distributions: Mapping[str, Distribution | object],
    samples: int,
    seed: int,
    *,
    site_closure: Failure | float = 0.0,
    station_outage: Failure | float = 0.0,
    base: Mapping[str, Any] | None = None,
) -> Sweep:
    """``samples`` scenarios, each knob drawn from its distribution; sites and stations fail independently.

    Site closures draw over the sites not already closed (by the dataset or the base scenario); station
    outages over the stations with ambulances. The same arguments give the same scenarios.
    """
    if samples < 1:
        raise SweepError([f"samples: expected at least 1, got {samples}"])
    if seed < 0:
        raise SweepError([f"seed: expected a whole number >= 0, got {seed}"])
    parsed = {name: parse_distribution(spec) for name, spec in distributions.items()}
    problems = [p for p in (check_knob_name(k, dataset, numeric=True) for k in parsed) if p]
    problems += [p for p in (_support_problem(k, d) for k, d in parsed.items()) if p]
    if problems:
        raise SweepError(problems)
    drawn = {name: _draws(name, dist, samples, seed) for name, dist in parsed.items()}
    closures = _site_closures(dataset, parse_failure(site_closure, "site_closure"), samples, seed, base or {})
    outages = _station_outages(dataset, parse_failure(station_outage, "station_outage"), samples, seed)
    scenarios = tuple(
        SweepScenario(i, {name: values[i] for name, values in drawn.items()}, closures[i], outages[i])
        for i in range(samples)
    )
    return Sweep(scenarios, dict(base or {}), "monte_carlo")


def _support_problem(name: str, dist: Distribution) -> str:
    bounds = _knob_range(name)
    low, high = dist.support
    if bounds is None or (bounds[0] <= low and high <= bounds[1]):
        return ""
    return f"{name}: {dist} reaches outside [{bounds[0]:g}, {bounds[1]:g}]"


def _draws(name: str, dist: Distribution, samples: int, seed: int) -> list[float | int]:
    values = dist.sample(_stream(seed, name), samples)
    if _is_whole(name):
        return [int(v) for v in np.floor(values + 0.5)]
    return [float(v) for v in values]


def _site_closures(
    dataset: Dataset, failure: Failure, samples: int, seed: int, base: Mapping[str, Any]
) -> list[tuple[str, ...]]:
    sites = dataset.sites
    already = set(_ids(base.get("closed_sites"))) | set(sites.loc[sites["status"] == "closed", "site_id"])
    candidates = [s for s in _failure_candidates(failure, sites["site_id"], "site_closure") if s not in already]
    return _draw_failures(failure, candidates, samples, seed, "site_closure")


def _station_outages(dataset: Dataset, failure: Failure, samples: int, seed: int) -> list[tuple[str, ...]]:
    stations = dataset.stations
    with_fleet = set(stations.loc[stations["ambulances"] > 0, "station_id"])
    candidates = [s for s in _failure_candidates(failure, stations["station_id"], "station_outage") if s in with_fleet]
    return _draw_failures(failure, candidates, samples, seed, "station_outage")


# --- sweep files --------------------------------------------------------------------------------------------------


def _read_yaml_mapping(path: str | Path) -> dict[str, Any]:
    file = Path(path)
    if not file.is_file():
        raise SweepError([f"sweep file {path}: no such file"])
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SweepError([f"sweep file {path}: not readable YAML ({exc})"]) from None
    if not isinstance(raw, dict):
        raise SweepError([f"sweep file {path}: expected a mapping of knob: values"])
    return raw


def _file_base(raw: dict[str, Any], base: Mapping[str, Any] | None, path: str | Path) -> dict[str, Any]:
    extra = raw.pop("base", None) or {}
    if not isinstance(extra, Mapping):
        raise SweepError([f"sweep file {path}: base: expected a mapping of knob: value"])
    return {**(base or {}), **extra}


def load_grid(path: str | Path, base: Mapping[str, Any] | None = None, dataset: Dataset | None = None) -> Sweep:
    """A grid sweep from YAML: ``knob: [values]`` (optionally under ``grid:``), optional ``base:`` knobs."""
    raw = _read_yaml_mapping(path)
    merged = _file_base(raw, base, path)
    values = raw.get("grid", raw)
    if not isinstance(values, Mapping) or not values:
        raise SweepError([f"sweep file {path}: expected knob: [values, ...]"])
    return grid_sweep(dict(values), merged, dataset)


def load_monte_carlo(
    path: str | Path, dataset: Dataset, samples: int, seed: int, base: Mapping[str, Any] | None = None
) -> Sweep:
    """A Monte Carlo sweep from YAML: ``knob: distribution`` (optionally under ``knobs:``), optional
    ``site_closure: p``, ``station_outage: p`` and ``base:`` knobs."""
    raw = _read_yaml_mapping(path)
    merged = _file_base(raw, base, path)
    site_closure = raw.pop("site_closure", 0.0)
    station_outage = raw.pop("station_outage", 0.0)
    knobs = raw.get("knobs", raw)
    if not isinstance(knobs, Mapping):
        raise SweepError([f"sweep file {path}: expected knob: distribution"])
    return monte_carlo_sweep(
        dataset,
        dict(knobs),
        samples,
        seed,
        site_closure=parse_failure(site_closure, "site_closure"),
        station_outage=parse_failure(station_outage, "station_outage"),
        base=merged,
    )


DEFAULT_SPREAD: dict[str, tuple[float, float]] = {
    "attack_rate": (0.5, 2.0),
    "severe_share": (0.5, 1.5),
    "staff_absence": (0.5, 2.0),
}
"""Default Monte Carlo: triangular(low x, level value, high x) around the level's value of these knobs."""
DEFAULT_FACTORS: dict[str, tuple[float, float]] = {"stock_factor": (0.6, 1.0), "fleet_factor": (0.8, 1.0)}
"""Default Monte Carlo: uniform(low, high) for the stock and fleet factors."""
DEFAULT_SITE_CLOSURE = 0.05
DEFAULT_STATION_OUTAGE = 0.02


def default_distributions(scenario: Scenario) -> dict[str, Distribution]:
    """The default sweep around ``scenario``: each level knob triangular around its value, factors uniform.

    These are planning assumptions of the "what could the wave look like" question, not rules: a coordinator
    replaces them with a sweep file.
    """
    distributions: dict[str, Distribution] = {}
    for knob, (low, high) in DEFAULT_SPREAD.items():
        mode = scenario.knob(knob)
        distributions[knob] = Distribution("triangular", (low * mode, mode, min(1.0, max(mode, high * mode))))
    for knob, (low, high) in DEFAULT_FACTORS.items():
        distributions[knob] = Distribution("uniform", (low, high))
    return distributions


# --- one scenario -------------------------------------------------------------------------------------------------


def build_scenario(base: Mapping[str, Any], spec: SweepScenario) -> Scenario:
    """The :class:`Scenario` of ``spec`` on top of ``base``; raises :class:`ScenarioError` on a bad value."""
    knobs = dict(base)
    demand = dict(knobs.pop("demand_multipliers", None) or {})
    overrides = dict(knobs.pop("rule_overrides", None) or {})
    closed = list(_ids(knobs.pop("closed_sites", None)))
    for name, value in spec.knobs.items():
        if name.startswith(DEMAND_PREFIX):
            demand[name.removeprefix(DEMAND_PREFIX)] = value
        elif name.startswith(RULE_PREFIX):
            overrides[name.removeprefix(RULE_PREFIX)] = value
        else:
            knobs[name] = value
    closed_sites = tuple(dict.fromkeys([*closed, *spec.closed_sites]))
    return make_scenario(**knobs, demand_multipliers=demand, rule_overrides=overrides, closed_sites=closed_sites)


def with_station_outages(dataset: Dataset, station_ids: Sequence[str]) -> Dataset:
    """A copy of ``dataset`` whose stations ``station_ids`` have no ambulance and may receive none."""
    if not station_ids:
        return dataset
    stations = dataset.stations.copy()
    unknown = sorted(set(station_ids) - set(stations["station_id"]))
    if unknown:
        raise ValueError(f"station_outages: unknown stations {', '.join(unknown)}")
    out = stations["station_id"].isin(station_ids)
    stations.loc[out, "ambulances"] = 0
    stations.loc[out, "max_ambulances"] = 0
    return dataclasses.replace(dataset, stations=stations, sha256="")


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


def worker_name() -> str:
    """``host:pid`` of the process running a scenario."""
    return f"{socket.gethostname()}:{os.getpid()}"


def flatten_kpis(kpis: Mapping[str, Any]) -> dict[str, float]:
    """The plan's KPIs as one flat row of numbers: scalars as they are, dict KPIs as ``<prefix>_<key>``."""
    flat: dict[str, float] = {}
    for name, value in kpis.items():
        if name in SKIPPED_KPIS:
            continue
        if isinstance(value, Mapping):
            prefix, keys, missing = DICT_KPIS.get(name, (name, (), float("nan")))
            for key in dict.fromkeys([*keys, *map(str, value)]):
                number = value.get(key, missing)
                flat[f"{prefix}_{key}"] = float(number) if number is not None else float("nan")
        elif isinstance(value, bool | int | float | np.number):
            flat[name] = float(value)
    return flat


def binding_entities(plan: Plan, dataset: Dataset) -> pd.DataFrame:
    """The entities that bind in ``plan``: ``kind, entity_id, drug, condition`` (see :data:`CONDITIONS`)."""
    hand = plan.stage("ambulance").table("handshakes")
    uncovered = hand.loc[~hand["covered"].astype(bool), "home_id"]
    unmet = plan.stage("observation").table("unmet")
    unplaced = unmet.loc[unmet["persons"] > 0, "home_id"].drop_duplicates()
    sites = plan.stage("observation").table("sites")
    full = sites.loc[sites["open"].astype(bool) & (sites["rooms"] > 0) & (sites["free_rooms"] <= 0), "site_id"]
    pools = plan.stage("nursing").table("pools")
    used_up = pools.loc[(pools["nurses"] > 0) & (pools["used"] >= pools["nurses"]), "pool_id"]
    depots = plan.stage("drugs").table("depots")
    held = _held_drugs(dataset)
    empty = depots[(depots["stock"] - depots["shipped"] <= 0)]
    empty = empty[[(d, g) in held for d, g in zip(empty["depot_id"], empty["drug"], strict=True)]]
    parts = [
        _bound("care_home", uncovered, "uncovered"),
        _bound("care_home", unplaced, "unplaced"),
        _bound("site", full, "full"),
        _bound("pool", used_up, "used_up"),
        pd.DataFrame(
            {"kind": "depot", "entity_id": empty["depot_id"].astype(str), "drug": empty["drug"].astype(str)}
        ).assign(condition="empty"),
    ]
    return pd.concat(parts, ignore_index=True)[list(BINDING_COLUMNS[1:])]


def _held_drugs(dataset: Dataset) -> set[tuple[str, str]]:
    """(depot_id, drug) pairs the dataset stocks (an empty depot of a drug it never holds does not bind)."""
    depots = dataset.depots
    return {(str(d), drug) for drug in DRUGS for d in depots.loc[depots[f"stock_{drug}"] > 0, "depot_id"]}


def _bound(kind: str, ids: pd.Series, condition: str) -> pd.DataFrame:
    return pd.DataFrame({"kind": kind, "entity_id": ids.astype(str).to_numpy(), "drug": "", "condition": condition})


def plan_status(plan: Plan) -> tuple[SweepStatus, str]:
    """``ok``; ``time_limit`` when a stage stopped at its limit with a feasible plan; ``error`` otherwise."""
    stages = plan.stages()
    failed = {n: s for n, s in stages.items() if s.status in (Status.ERROR, Status.INFEASIBLE)}
    if failed:
        return "error", "; ".join(f"{n}: {s.status.value} {s.message}".strip() for n, s in failed.items())
    unproven = [n for n, s in stages.items() if s.status == Status.FEASIBLE]
    if unproven:
        return "time_limit", f"stopped at the time limit: {', '.join(unproven)}"
    return "ok", ""


def scenario_row(plan: Plan, bindings: pd.DataFrame) -> dict[str, float]:
    """The flat KPIs of ``plan`` plus the count of each binding condition (:data:`CONDITIONS`)."""
    row = flatten_kpis(plan.kpis)
    counts = bindings["condition"].value_counts()
    for condition, (_kind, column) in CONDITIONS.items():
        if column not in row:
            row[column] = float(counts.get(condition, 0))
    return row


def solve_scenario(
    dataset: Dataset,
    rules: Rules,
    base: Mapping[str, Any],
    spec: SweepScenario,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
) -> ScenarioOutcome:
    """Solve one scenario of a sweep (the task each Dask worker runs; the serial runner calls it too).

    Never raises on a bad scenario: an exception becomes an ``error`` outcome with its message.
    """
    from planner.pipeline import make_plan

    start = time.perf_counter()
    try:
        scenario = build_scenario(base, spec)
        planned = with_station_outages(dataset, spec.station_outages)
        plan = make_plan(planned, rules, scenario, time_limit_s=time_limit_s)
        status, message = plan_status(plan)
        if status == "error":
            return ScenarioOutcome(spec.index, status, message, time.perf_counter() - start, worker_name())
        bindings = binding_entities(plan, dataset)
        marginal = plan.marginal_values[list(MARGINAL_COLUMNS[1:])].reset_index(drop=True)
        kpis = scenario_row(plan, bindings)
        return ScenarioOutcome(
            spec.index, status, message, time.perf_counter() - start, worker_name(), kpis, bindings, marginal
        )
    except Exception as exc:  # a failed scenario is a row, never the end of the sweep
        message = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"
        return ScenarioOutcome(spec.index, "error", message, time.perf_counter() - start, worker_name())


# --- runners ------------------------------------------------------------------------------------------------------


def run_serial(
    dataset: Dataset,
    rules: Rules,
    sweep: Sweep,
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    progress: ProgressCallback | None = None,
) -> SweepResult:
    """Solve every scenario in this process, one after the other (the determinism reference)."""
    outcomes = []
    for done, spec in enumerate(sweep.scenarios, start=1):
        outcome = solve_scenario(dataset, rules, sweep.base, spec, time_limit_s)
        outcomes.append(outcome)
        if progress is not None:
            progress(done, len(sweep), outcome)
    return assemble(sweep, outcomes)


def default_workers() -> int:
    """The machine's cores available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def dask_client(
    scheduler: str | None = None, workers: int | None = None, *, connect_timeout_s: float = 30.0
) -> Iterator[Client]:
    """A Dask client: to ``scheduler`` (``tcp://HOST:PORT``) or to a new local cluster of ``workers`` processes
    (default: one per core), one thread each. Closes the client, and the local cluster, on the way out.

    With ``scheduler`` and ``workers``, waits (up to ``connect_timeout_s``) until that many workers joined.
    """
    from distributed import Client, LocalCluster

    if workers is not None and workers < 1:
        raise SweepError([f"workers: expected at least 1, got {workers}"])
    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{connect_timeout_s}s")
        except (OSError, TimeoutError) as exc:
            raise SweepError([f"scheduler {scheduler}: cannot connect ({exc})"]) from None
        try:
            _wait_for_workers(client, workers or 1, connect_timeout_s, scheduler)
            yield client
        finally:
            client.close()
        return
    with _children_ignore_sigint():
        cluster = LocalCluster(
            n_workers=workers or default_workers(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


@contextmanager
def _children_ignore_sigint() -> Iterator[None]:
    """Start worker processes with Ctrl-C ignored: a terminal's Ctrl-C reaches the whole process group, and
    the sweep (not each worker) should handle it, by cancelling the tasks and closing the cluster."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _wait_for_workers(client: Client, workers: int, timeout_s: float, scheduler: str) -> None:
    try:
        client.wait_for_workers(workers, timeout=timeout_s)
    except TimeoutError:
        joined = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        raise SweepError(
            [f"scheduler {scheduler}: {joined} worker(s) after {timeout_s:g} s, expected {workers}"]
        ) from None


def run_dask(
    client: Client,
    dataset: Dataset,
    rules: Rules,
    sweep: Sweep,
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    progress: ProgressCallback | None = None,
) -> SweepResult:
    """Solve every scenario as one Dask task; the dataset and rules are sent to every worker once.

    On ``KeyboardInterrupt`` (Ctrl-C) the pending tasks are cancelled before the interrupt goes on.
    A task lost with its worker is an ``error`` row.
    """
    from distributed import as_completed

    dataset_future = client.scatter(dataset, broadcast=True, hash=False)
    rules_future = client.scatter(rules, broadcast=True, hash=False)
    base = dict(sweep.base)
    futures = {
        client.submit(solve_scenario, dataset_future, rules_future, base, spec, time_limit_s, pure=False): spec
        for spec in sweep.scenarios
    }
    outcomes = []
    try:
        for done, future in enumerate(as_completed(list(futures)), start=1):
            outcome = _outcome_of(future, futures[future])
            outcomes.append(outcome)
            if progress is not None:
                progress(done, len(sweep), outcome)
    except BaseException:
        client.cancel(list(futures), force=True)
        raise
    finally:
        dataset_future.release()
        rules_future.release()
    return assemble(sweep, outcomes)


def _outcome_of(future: Any, spec: SweepScenario) -> ScenarioOutcome:
    try:
        outcome: ScenarioOutcome = future.result()
    except Exception as exc:  # the task itself never raises: this is the infrastructure (worker lost, ...)
        return ScenarioOutcome(spec.index, "error", f"{type(exc).__name__}: {exc}", float("nan"), "")
    return outcome


def run_sweep(
    dataset: Dataset,
    rules: Rules,
    sweep: Sweep,
    *,
    engine: Literal["dask", "serial"] = "dask",
    scheduler: str | None = None,
    workers: int | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    progress: ProgressCallback | None = None,
) -> SweepResult:
    """Run ``sweep`` in-process (``engine="serial"``) or on Dask (a local cluster, or ``scheduler``)."""
    if engine == "serial":
        return run_serial(dataset, rules, sweep, time_limit_s=time_limit_s, progress=progress)
    with dask_client(scheduler, workers) as client:
        return run_dask(client, dataset, rules, sweep, time_limit_s=time_limit_s, progress=progress)


# --- results ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SweepResult:
    """The tidy results of a sweep.

    Attributes
    ----------
    scenarios
        One row per scenario, in scenario order: ``scenario, status, message, seconds, worker``, the knob
        columns, ``closed_sites`` / ``station_outages`` (comma-joined ids) and their counts, then every KPI.
        KPIs are ``nan`` on ``error`` rows.
    bindings
        The binding entities of every solved scenario: ``scenario, kind, entity_id, drug, condition``.
    entities
        How often each entity binds: ``kind, entity_id, drug, condition, scenarios, share`` (share of the
        solved scenarios); only entities that bind at least once.
    marginal
        The positive marginal values of every solved scenario: ``scenario, stage, resource_id, resource_kind,
        value``.
    knob_columns, kpi_columns
        Which columns of ``scenarios`` are knobs and which are KPIs.
    base
        The knobs every scenario shares.
    """

    scenarios: pd.DataFrame
    bindings: pd.DataFrame
    entities: pd.DataFrame
    marginal: pd.DataFrame
    knob_columns: tuple[str, ...]
    kpi_columns: tuple[str, ...]
    base: Mapping[str, Any] = field(default_factory=dict)

    @property
    def solved(self) -> int:
        """Scenarios with a plan (``ok`` or ``time_limit``)."""
        return int(self.scenarios["status"].isin(SOLVED_STATUSES).sum())

    def status_counts(self) -> dict[str, int]:
        """Scenarios by status (every status listed, zeros included)."""
        counts = self.scenarios["status"].value_counts()
        return {status: int(counts.get(status, 0)) for status in STATUSES}


def assemble(sweep: Sweep, outcomes: Iterable[ScenarioOutcome]) -> SweepResult:
    """The :class:`SweepResult` of ``sweep`` from its outcomes (any order)."""
    by_index = {outcome.index: outcome for outcome in outcomes}
    specs = [spec for spec in sweep.scenarios if spec.index in by_index]
    knob_columns = list(dict.fromkeys(name for spec in specs for name in spec.knobs))
    kpi_columns = list(dict.fromkeys(name for spec in specs for name in by_index[spec.index].kpis))
    rows = [_row(spec, by_index[spec.index], knob_columns) for spec in specs]
    head = ["scenario", "status", "message", "seconds", "worker"]
    lists = ["closed_sites", "station_outages", "closed_site_count", "station_outage_count"]
    columns = [*head, *knob_columns, *lists, *kpi_columns]
    scenarios = pd.DataFrame(rows, columns=columns)
    for column in kpi_columns:
        scenarios[column] = pd.to_numeric(scenarios[column], errors="coerce").astype(float)
    solved = [by_index[spec.index] for spec in specs if by_index[spec.index].solved]
    bindings = _long([(o.index, o.bindings) for o in solved], BINDING_COLUMNS)
    marginal = _long([(o.index, o.marginal) for o in solved], MARGINAL_COLUMNS)
    return SweepResult(
        scenarios=scenarios,
        bindings=bindings,
        entities=entity_counts(bindings, len(solved)),
        marginal=marginal,
        knob_columns=(*knob_columns, *lists),
        kpi_columns=tuple(kpi_columns),
        base=dict(sweep.base),
    )


def _row(spec: SweepScenario, outcome: ScenarioOutcome, knob_columns: list[str]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "scenario": spec.index,
        "status": outcome.status,
        "message": outcome.message,
        "seconds": round(outcome.seconds, 4),
        "worker": outcome.worker,
    }
    row.update({name: spec.knobs.get(name) for name in knob_columns})
    row["closed_sites"] = ",".join(spec.closed_sites)
    row["station_outages"] = ",".join(spec.station_outages)
    row["closed_site_count"] = len(spec.closed_sites)
    row["station_outage_count"] = len(spec.station_outages)
    row.update(outcome.kpis if outcome.solved else {})
    return row


def _long(parts: list[tuple[int, pd.DataFrame]], columns: tuple[str, ...]) -> pd.DataFrame:
    frames = [frame.assign(scenario=index) for index, frame in parts if not frame.empty]
    if not frames:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return empty.astype({"scenario": "int64", **({"value": "float64"} if "value" in columns else {})})
    return pd.concat(frames, ignore_index=True)[list(columns)]


def entity_counts(bindings: pd.DataFrame, solved: int) -> pd.DataFrame:
    """How many solved scenarios each entity binds in, most often first (ties by kind, condition, id)."""
    if bindings.empty:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in ENTITY_COLUMNS})
        return frame.astype({"scenarios": "int64", "share": "float64"})
    counts = (
        bindings.groupby(["kind", "entity_id", "drug", "condition"], as_index=False)["scenario"]
        .nunique()
        .rename(columns={"scenario": "scenarios"})  # type: ignore[call-overload]
    )
    counts["share"] = counts["scenarios"] / max(solved, 1)
    counts = counts.sort_values(
        ["scenarios", "kind", "condition", "entity_id", "drug"], ascending=[False, True, True, True, True]
    )
    return counts.reset_index(drop=True)[list(ENTITY_COLUMNS)]


# --- robust summary -----------------------------------------------------------------------------------------------


def higher_is_better(kpi: str) -> bool:
    """True for KPIs where more is better (coverage, fill rates, persons placed); False for the others."""
    return kpi in HIGHER_IS_BETTER or kpi.startswith(HIGHER_IS_BETTER_PREFIXES)


@dataclass(frozen=True, eq=False)
class SweepSummary:
    """The robust summary of a sweep.

    Attributes
    ----------
    kpis
        One row per KPI: ``kpi, better ("higher"/"lower"), p50, p90, p95, worst, best, mean, scenarios``.
        ``p90``: in 90 % of the solved scenarios the KPI is at least this good (the 90th percentile of a
        "lower is better" KPI, the 10th of a "higher is better" one); likewise ``p95``.
    stress_points
        The entities binding most often (``kind, entity_id, drug, condition, scenarios, share``).
    marginal_values
        Per resource over the solved scenarios: ``stage, resource_id, resource_kind, mean_value`` (a scenario
        where it does not help counts 0), ``share_positive`` (share of scenarios where one more unit helps),
        ``max_value``, ``scenarios``; largest mean first.
    status_counts
        Scenarios by status.
    """

    kpis: pd.DataFrame
    stress_points: pd.DataFrame
    marginal_values: pd.DataFrame
    status_counts: Mapping[str, int]


KPI_SUMMARY_COLUMNS: tuple[str, ...] = ("kpi", "better", "p50", "p90", "p95", "worst", "best", "mean", "scenarios")
MARGINAL_SUMMARY_COLUMNS: tuple[str, ...] = (
    "stage",
    "resource_id",
    "resource_kind",
    "mean_value",
    "share_positive",
    "max_value",
    "scenarios",
)
DEFAULT_STRESS_POINTS = 20


def kpi_summary(scenarios: pd.DataFrame, kpi_columns: Sequence[str]) -> pd.DataFrame:
    """P50 / P90 / P95 / worst of each KPI over the solved scenarios (linear interpolation between rows)."""
    solved = scenarios[scenarios["status"].isin(SOLVED_STATUSES)]
    rows = [_kpi_row(kpi, solved[kpi].dropna().astype(float)) for kpi in kpi_columns if kpi not in TIMING_COLUMNS]
    return pd.DataFrame(rows, columns=list(KPI_SUMMARY_COLUMNS))


def _kpi_row(kpi: str, values: pd.Series) -> dict[str, Any]:
    higher = higher_is_better(kpi)
    row: dict[str, Any] = {"kpi": kpi, "better": "higher" if higher else "lower", "scenarios": len(values)}
    if values.empty:
        return row
    for name, level in (("p50", 0.5), ("p90", 0.9), ("p95", 0.95)):
        row[name] = float(values.quantile(1.0 - level if higher else level))
    row["worst"] = float(values.min() if higher else values.max())
    row["best"] = float(values.max() if higher else values.min())
    row["mean"] = float(values.mean())
    return row


def marginal_summary(marginal: pd.DataFrame, solved: int) -> pd.DataFrame:
    """Marginal values per resource over ``solved`` scenarios: mean (0 where absent), share > 0, max."""
    keys = ["stage", "resource_id", "resource_kind"]
    positive = marginal[marginal["value"] > 0]
    if positive.empty or solved == 0:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in MARGINAL_SUMMARY_COLUMNS})
        return frame.astype({"mean_value": float, "share_positive": float, "max_value": float, "scenarios": "int64"})
    grouped = positive.groupby(keys, as_index=False).agg(
        total=("value", "sum"), max_value=("value", "max"), scenarios=("scenario", "nunique")
    )
    grouped["mean_value"] = grouped["total"] / solved
    grouped["share_positive"] = grouped["scenarios"] / solved
    grouped = grouped.sort_values(
        ["mean_value", "share_positive", "stage", "resource_id"], ascending=[False, False, True, True]
    )
    return grouped.reset_index(drop=True)[list(MARGINAL_SUMMARY_COLUMNS)]


def summarize(result: SweepResult, stress_points: int = DEFAULT_STRESS_POINTS) -> SweepSummary:
    """The robust summary (:class:`SweepSummary`) of ``result``."""
    return SweepSummary(
        kpis=kpi_summary(result.scenarios, result.kpi_columns),
        stress_points=result.entities.head(stress_points).reset_index(drop=True),
        marginal_values=marginal_summary(result.marginal, result.solved),
        status_counts=result.status_counts(),
    )


# --- files --------------------------------------------------------------------------------------------------------

SWEEP_SUFFIXES: tuple[str, ...] = (".parquet", ".csv", ".xlsx")
RESULT_TABLES: tuple[str, ...] = (
    "scenarios",
    "entities",
    "bindings",
    "marginal",
    "kpi_summary",
    "stress_points",
    "marginal_summary",
)
"""The tables a saved sweep holds: ``scenarios`` in the named file (first sheet of a workbook), the others in
``<stem>.<table><suffix>`` next to it (further sheets of a workbook)."""


def result_tables(result: SweepResult, summary: SweepSummary | None = None) -> dict[str, pd.DataFrame]:
    """Every table of a sweep and its summary, by name (:data:`RESULT_TABLES`)."""
    summary = summary or summarize(result)
    return {
        "scenarios": result.scenarios,
        "entities": result.entities,
        "bindings": result.bindings,
        "marginal": result.marginal,
        "kpi_summary": summary.kpis,
        "stress_points": summary.stress_points,
        "marginal_summary": summary.marginal_values,
    }


def table_paths(path: str | Path) -> dict[str, Path]:
    """Where each table of a sweep saved as ``path`` goes (a workbook keeps them all in ``path``)."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in SWEEP_SUFFIXES:
        raise SweepError([f"{path}: expected a .parquet, .csv or .xlsx file name"])
    if suffix == ".xlsx":
        return dict.fromkeys(RESULT_TABLES, target)
    stem = target.name[: -len(target.suffix)]
    return {
        name: target if name == "scenarios" else target.with_name(f"{stem}.{name}{target.suffix}")
        for name in RESULT_TABLES
    }


def save_sweep(result: SweepResult, path: str | Path, summary: SweepSummary | None = None) -> list[Path]:
    """Write the sweep's tables as Parquet, CSV (UTF-8 with BOM, formula-like text escaped) or one xlsx
    workbook, chosen by ``path``'s suffix; returns the files written."""
    tables = result_tables(result, summary)
    paths = table_paths(path)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = target.suffix.lower()
    if suffix == ".xlsx":
        _write_workbook(tables, target)
        return [target]
    for name, frame in tables.items():
        if suffix == ".parquet":
            _parquet_ready(frame).to_parquet(paths[name], index=False)
        else:
            _csv_ready(frame).to_csv(paths[name], index=False, encoding="utf-8-sig")
    return [paths[name] for name in tables]


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [str(c) for c in frame.columns if frame[c].dtype == object]


def _parquet_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding mixed values (a grid of numbers and text) as text, so Arrow can type them."""
    ready = frame.copy()
    for column in _text_columns(ready):
        kinds = {type(v) for v in ready[column].dropna()}
        if len(kinds) > 1:
            ready[column] = ready[column].map(lambda v: v if v is None or pd.isna(v) else str(v))
    return ready


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    ready = frame.copy()
    for column in _text_columns(ready):
        ready[column] = ready[column].map(lambda v: escape_csv_text(v) if isinstance(v, str) else v)
    return ready


def _write_workbook(tables: Mapping[str, pd.DataFrame], target: Path) -> None:
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with pd.ExcelWriter(target, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        for name, frame in tables.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            writer.sheets[name].freeze_panes(1, 0)


def read_sweep(path: str | Path) -> dict[str, pd.DataFrame]:
    """The tables of a sweep saved by :func:`save_sweep` (those present), by name."""
    paths = table_paths(path)
    suffix = Path(path).suffix.lower()
    if suffix == ".xlsx":
        sheets: dict[str, pd.DataFrame] = pd.read_excel(path, sheet_name=None)
        return {name: sheets[name] for name in RESULT_TABLES if name in sheets}
    tables = {}
    for name, file in paths.items():
        if file.is_file():
            tables[name] = pd.read_parquet(file) if suffix == ".parquet" else pd.read_csv(file, encoding="utf-8-sig")
    return tables


def comparable(scenarios: pd.DataFrame) -> pd.DataFrame:
    """``scenarios`` without the columns that differ between two runs (timings, worker)."""
    return scenarios.drop(columns=[c for c in TIMING_COLUMNS if c in scenarios.columns]).reset_index(drop=True)


__all__ = [
    "CONDITIONS",
    "DEFAULT_TIME_LIMIT_S",
    "Distribution",
    "Failure",
    "ScenarioOutcome",
    "Sweep",
    "SweepError",
    "SweepResult",
    "SweepScenario",
    "SweepSummary",
    "assemble",
    "base_knobs",
    "build_scenario",
    "comparable",
    "dask_client",
    "default_distributions",
    "entity_counts",
    "flatten_kpis",
    "grid_sweep",
    "kpi_summary",
    "load_grid",
    "load_monte_carlo",
    "marginal_summary",
    "monte_carlo_sweep",
    "parse_distribution",
    "read_sweep",
    "run_dask",
    "run_serial",
    "run_sweep",
    "save_sweep",
    "solve_scenario",
    "summarize",
    "with_station_outages",
]
