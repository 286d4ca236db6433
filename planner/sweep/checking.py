"""Checking a sweep's knob values before anything is solved.

A grid value no scenario can take (``attack_rate: [0.1, 2.0]``, ``rule.persons_per_room: [0, 2]``) made every
scenario holding it a failed row, after the sweep had run. :func:`refused_values` builds every scenario of the
sweep (as :func:`planner.sweep.execution.build_scenario` will on the worker), applies its rule overrides and
checks it against the dataset (district ids, forecast days beyond the horizon). A value refused in every
scenario it appears in is named with the reason, and the command refuses the sweep (exit 2). A value refused
only beside some other value (8 sampling points at least beside 5 at most) stays one failed row per scenario.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from planner.dataset.schema import Dataset
from planner.rules.rules import Rules, RulesError
from planner.rules.scenario import ScenarioError
from planner.sweep.execution import build_scenario
from planner.sweep.vocabulary import Sweep, SweepScenario

Key = tuple[str, Hashable]
"""A knob and one of its values."""


def scenario_problems(sweep: Sweep, spec: SweepScenario, rules: Rules, dataset: Dataset) -> list[str]:
    """Why ``spec`` cannot be solved on ``dataset`` under ``rules`` (its knobs, its rule overrides, the ids it
    names and the forecast's days against its horizon), or ``[]``."""
    try:
        scenario = build_scenario(sweep.base, spec)
    except ScenarioError as exc:
        return list(exc.problems)
    problems = []
    try:
        scenario.apply_to(rules)
    except RulesError as exc:
        problems += exc.problems
    return problems + scenario.validate_against(dataset)


def refused_values(sweep: Sweep, rules: Rules, dataset: Dataset) -> list[str]:
    """``knob: value: reason`` for every knob value that no scenario of ``sweep`` holding it can take, in the
    grid's order; the reason is a problem reported only by scenarios holding the value, where there is one."""
    accepted: set[Key] = set()
    failing: dict[Key, list[str]] = {}  # value -> problems of the scenarios holding it that fail
    holders: dict[str, set[Key]] = {}  # problem -> the values every scenario reporting it holds
    seen: dict[Key, int] = {}  # the grid's order: knob by knob, values as listed
    for spec in sweep.scenarios:
        problems = scenario_problems(sweep, spec, rules, dataset)
        listed = [(knob, _hashable(value)) for knob, value in spec.knobs.items()]
        for key in listed:
            seen.setdefault(key, len(seen))
        keys = set(listed)
        if not problems:
            accepted |= keys
            continue
        for key in keys - accepted:
            failing.setdefault(key, []).extend(p for p in problems if p not in failing[key])
        for problem in problems:
            holders[problem] = holders[problem] & keys if problem in holders else set(keys)
    knobs = list(dict.fromkeys(knob for knob, _ in sorted(seen, key=seen.__getitem__)))
    refused = sorted((k for k in failing if k not in accepted), key=lambda k: (knobs.index(k[0]), seen[k]))
    return [f"{knob}: {value!r}: {_reason((knob, value), failing[knob, value], holders)}" for knob, value in refused]


def _reason(key: Key, problems: list[str], holders: dict[str, set[Key]]) -> str:
    """The first of ``problems`` that only scenarios holding ``key`` report, else the first."""
    return next((problem for problem in problems if key in holders[problem]), problems[0])


def _hashable(value: Any) -> Hashable:
    """``value`` as a dictionary key (a list of ids as a tuple)."""
    return tuple(value) if isinstance(value, list) else value


__all__ = ["refused_values", "scenario_problems"]
