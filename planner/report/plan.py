"""The plan: the stage results of one run, with its inputs, KPIs and checklist.

A :class:`Plan` is what ``planner.pipeline.make_plan`` returns and what every export writes
(``planner.outputs``): the dataset's name and hash, the rules and the scenario it was solved under, the
needs, one :class:`~models.base.StageResult` per stage (in pipeline order, ``planner.stages.registry``),
the headline KPIs, the compliance checklist, the sentences that explain each shortfall and the marginal
values of scarce resources.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pandas as pd

from models.base import StageResult, Status
from planner.dataset.problems import Problem
from planner.needs.needs import Needs
from planner.rules.rules import Rules
from planner.rules.scenario import Scenario

TIMELINE_COLUMNS: tuple[str, ...] = ("day", "resource", "scope", "scope_id", "needed", "planned", "short")
RUN_OUT_COLUMNS: tuple[str, ...] = ("resource", "scope", "scope_id", "first_short_day")
NUMBER_DECIMALS = 4
"""Decimals of a number in the plan's files (``planner.outputs.contract``); the timeline is rounded to them before its
shortfalls are read, so its run-out days are those of the rows a coordinator or a checker reads."""


@dataclass(frozen=True, eq=False)
class Plan:
    """One solved plan (DESIGN §5); exports follow the ``epiplan.plan/1`` contract (DESIGN §6).

    Attributes
    ----------
    dataset_name, dataset_sha256
        Which dataset was planned (the hash lets a reader re-check the plan).
    rules, scenario
        The rules (scenario overrides applied) and the what-if knobs.
    needs
        The needs the stages answer (``planner.needs.needs.Needs``).
    results
        The stage results by stage name, in pipeline order.
    kpis
        Headline figures by name (plain numbers or text).
    compliance
        The checklist: ``rule_id, scope, scope_id, sense, required, planned, met, source``.
    explanations
        One sentence per shortfall: ``stage, entity_id, reason, en, zh``.
    marginal_values
        What one more unit of a resource would buy: ``stage, resource_id, resource_kind, value, en, zh``.
    timeline
        The day-by-day plan (empty for a snapshot plan): ``day, resource, scope, scope_id, needed, planned,
        short``, one row per day, resource and scope (``planner.stages.timeline``).
    run_out
        The first day each resource runs short where it does: ``resource, scope, scope_id, first_short_day``.
    warnings
        What was odd in the inputs, located (the dataset's validation warnings, scenario ids that name
        nothing): planned as given, said here.

    Notes
    -----
    ``eq=False``: plans compare by identity (their tables are DataFrames, which have no single truth value).
    """

    dataset_name: str
    dataset_sha256: str
    rules: Rules
    scenario: Scenario
    needs: Needs
    results: Mapping[str, StageResult]
    kpis: dict[str, Any]
    compliance: pd.DataFrame
    explanations: pd.DataFrame
    marginal_values: pd.DataFrame
    warnings: tuple[Problem, ...] = ()
    timeline: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=list(TIMELINE_COLUMNS)))
    run_out: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=list(RUN_OUT_COLUMNS)))

    def __post_init__(self) -> None:
        object.__setattr__(self, "results", MappingProxyType(dict(self.results)))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle through a plain dict of results (a read-only mapping proxy cannot be pickled)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        values["results"] = dict(self.results)
        return (_plan_from_fields, (values,))

    def stages(self) -> dict[str, StageResult]:
        """The stage results by name, in pipeline order."""
        return dict(self.results)

    def stage(self, name: str) -> StageResult:
        """The result of stage ``name``; raises ``KeyError`` naming the stages the plan has."""
        if name not in self.results:
            raise KeyError(f"the plan has no stage {name!r} (stages: {', '.join(self.results)})")
        return self.results[name]

    def with_result(self, name: str, result: StageResult) -> Plan:
        """A copy with the result of stage ``name`` replaced (reports are not recomputed)."""
        self.stage(name)
        return dataclasses.replace(self, results={**self.results, name: result})

    @property
    def status(self) -> Status:
        """The least proven status of the stages."""
        return Status.worst([stage.status for stage in self.results.values()])


def _plan_from_fields(values: dict[str, Any]) -> Plan:
    """A plan from its fields by name (unpickling)."""
    return Plan(**values)


__all__ = ["NUMBER_DECIMALS", "RUN_OUT_COLUMNS", "TIMELINE_COLUMNS", "Plan"]
