"""Scenario generation: knob checks, distributions, grid and seeded Monte Carlo sweeps, sweep files.

- :func:`grid_sweep`: knob -> list of values, every combination (cartesian product, in the order given);
- :func:`monte_carlo_sweep`: knob -> distribution (``uniform(low, high)``, ``triangular(low, mode, high)``,
  ``beta(a, b, low, high)``), plus each site closed and each ambulance station out of service with a
  probability. Seeded: knob ``k`` draws from ``numpy.random.default_rng([seed, crc32(k)])``, so the same
  sweep gives the same scenarios, and adding a knob does not change the draws of the others.
- :func:`load_grid` / :func:`load_monte_carlo`: the same from a YAML sweep file;
  :func:`default_distributions`: the default Monte Carlo sweep around a scenario.

The knobs a sweep may vary are listed in :mod:`planner.sweep.vocabulary`.
"""

from __future__ import annotations

import itertools
import math
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from planner.dataset.schema import Dataset
from planner.rules.limits import DEFAULT_RULE_LIMITS, FACTOR_MAX, MULTIPLIER_MAX, RULE_LIMITS
from planner.rules.rules import RULE_FIELDS, Rules
from planner.rules.scenario import Scenario
from planner.sweep.vocabulary import (
    DEMAND_PREFIX,
    FACTOR_KNOBS,
    LIST_KNOBS,
    NUMERIC_KNOBS,
    RULE_PREFIX,
    SHARE_KNOBS,
    WHOLE_KNOBS,
    Sweep,
    SweepError,
    SweepScenario,
    parse_ids,
)
from planner.yaml_files import YamlFileError, read_yaml_mapping

# --- distributions ------------------------------------------------------------------------------------------------
DistributionKind = Literal["fixed", "uniform", "triangular", "beta"]
DISTRIBUTION_PARAMETERS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "beta": ("a", "b", "low", "high"),
}
MAX_SCENARIOS = 100_000
"""Scenarios one sweep may hold (grid combinations or Monte Carlo samples): a city plan takes about a second."""
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


# --- knobs --------------------------------------------------------------------------------------------------------


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
    """The (smallest, largest) value a numeric knob takes: a share's, a factor's, a rule's own limits."""
    if name in SHARE_KNOBS:
        return 0.0, 1.0
    if name in FACTOR_KNOBS:
        return 0.0, FACTOR_MAX
    if name.startswith(DEMAND_PREFIX):
        return 0.0, MULTIPLIER_MAX
    if name == "horizon_days":
        return 1.0, 365.0
    if name.startswith(RULE_PREFIX):
        return RULE_LIMITS.get(name.removeprefix(RULE_PREFIX), DEFAULT_RULE_LIMITS)
    return None


def _is_whole(name: str) -> bool:
    if name in WHOLE_KNOBS:
        return True
    return name.startswith(RULE_PREFIX) and Rules.model_fields[name.removeprefix(RULE_PREFIX)].annotation is int


# --- generators ---------------------------------------------------------------------------------------------------


def grid_sweep(
    values: Mapping[str, Sequence[Any]], base: Mapping[str, Any] | None = None, dataset: Dataset | None = None
) -> Sweep:
    """Every combination of ``values`` (knob -> list of values), the first knob varying slowest.

    Knob names are checked here (:func:`check_knob_name`); knob values when each scenario is built. A value no
    scenario can take is refused before the sweep runs (:func:`planner.sweep.checking.refused_values`); one
    refused only beside another value is one failed row, not a failed sweep.
    """
    problems = [p for p in (check_knob_name(k, dataset) for k in values) if p]
    problems += [f"{k}: expected a non-empty list of values" for k, v in values.items() if not _is_list(v)]
    combinations = math.prod(len(v) for v in values.values()) if not problems else 0
    if combinations > MAX_SCENARIOS:
        counts = " x ".join(f"{len(v)} {k}" for k, v in values.items())
        problems.append(f"the grid has {counts} = {combinations:,} scenarios: at most {MAX_SCENARIOS:,}")
    if problems:
        raise SweepError(problems)
    names = list(values)
    scenarios = []
    for index, combination in enumerate(itertools.product(*(list(values[k]) for k in names))):
        chosen = dict(zip(names, combination, strict=True))
        closed = parse_ids(chosen.pop("closed_sites", None))
        outages = parse_ids(chosen.pop("station_outages", None))
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
    ids = parse_ids(spec.get("ids")) if isinstance(spec, Mapping) else ()
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
    already = set(parse_ids(base.get("closed_sites"))) | set(sites.loc[sites["status"] == "closed", "site_id"])
    candidates = [s for s in _failure_candidates(failure, sites["site_id"], "site_closure") if s not in already]
    return _draw_failures(failure, candidates, samples, seed, "site_closure")


def _station_outages(dataset: Dataset, failure: Failure, samples: int, seed: int) -> list[tuple[str, ...]]:
    stations = dataset.stations
    with_fleet = set(stations.loc[stations["ambulances"] > 0, "station_id"])
    candidates = [s for s in _failure_candidates(failure, stations["station_id"], "station_outage") if s in with_fleet]
    return _draw_failures(failure, candidates, samples, seed, "station_outage")


# --- sweep files --------------------------------------------------------------------------------------------------


def _read_yaml_mapping(path: str | Path) -> dict[str, Any]:
    """The mapping of a sweep file (:func:`planner.yaml_files.read_yaml_mapping`), every key text."""
    try:
        return read_yaml_mapping(path, "sweep", key_kind="knob")
    except YamlFileError as exc:
        raise SweepError(exc.problems) from None


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


__all__ = [
    "DEFAULT_SITE_CLOSURE",
    "DEFAULT_STATION_OUTAGE",
    "Distribution",
    "Failure",
    "base_knobs",
    "check_knob_name",
    "default_distributions",
    "grid_sweep",
    "load_grid",
    "load_monte_carlo",
    "monte_carlo_sweep",
    "parse_distribution",
    "parse_failure",
]
