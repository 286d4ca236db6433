"""The one shape every stage has, and what a stage may read.

A **stage** is a pure model in ``models/`` (plain tables in, :class:`~models.base.StageResult` out) and one
module in ``planner/stages/`` that declares a :class:`Stage`:

- ``build_inputs(context)``: the model's inputs (a frozen dataclass of plain tables and numbers) from the
  dataset, the rules, the scenario, the needs and the earlier stages' results (:class:`PlanContext`);
  the benchmark, the sweeps and the app use the same inputs;
- ``solve(inputs, options)``: calls the model;
- ``contract``: the stage's tables in the plan's JSON (``epiplan.plan/1``): table -> column -> kind;
- ``kpis``, ``compliance``, ``explanations``, ``marginal_values``: the stage's part of the plan's reports.

The pipeline (``planner.pipeline``) runs the registered stages (``planner.stages.registry``) in order, two at
a time where one does not read the other's result (``planner.stages.schedule``); the
reports and exports iterate over them, so adding a stage is one model module, one stage module, their tests
and one line in the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Literal, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.base import Pending, SolveOptions, StageResult
from planner.dataset.names import Namer
from planner.dataset.schema import Dataset
from planner.needs.needs import Needs
from planner.rules.rules import Rules
from planner.rules.scenario import Scenario
from planner.stages.locations import Locations

ColumnKind = Literal["id", "optional_id", "text", "count", "number", "minutes", "bool"]
"""How a contract column is written: ids as text, counts as integers, minutes rounded to 0.1, ..."""
ColumnSpec = ColumnKind | tuple[str, ...]
"""A column's kind, or the tuple of the text values it may take (an enumeration)."""
Contract = Mapping[str, Mapping[str, ColumnSpec]]
"""A stage's tables in the plan's JSON: table key -> column -> kind, in order."""

COMPLIANCE_COLUMNS: tuple[str, ...] = ("rule_id", "scope", "scope_id", "sense", "required", "planned", "met", "source")
"""The checklist's columns (DESIGN §5 "Compliance")."""
EXPLANATION_COLUMNS: tuple[str, ...] = ("stage", "entity_id", "reason", "en", "zh")
MARGINAL_COLUMNS: tuple[str, ...] = ("stage", "resource_id", "resource_kind", "value", "en", "zh", "units")
"""What more units of a resource buy: ``units`` more of ``resource_kind`` at ``resource_id`` (a district, or
``depot:drug``) buy ``value`` (persons placed, needs met, packs placed, daily transfers covered), in words (``en``,
``zh``); each stage lists its rows best first by its lexicographic objective (``planner.stages.probes``)."""

Row = dict[str, object]
InputsT = TypeVar("InputsT")
T = TypeVar("T")


@dataclass(frozen=True)
class ArcLimits:
    """How many arcs each stage gets: the k nearest candidates per origin (rules cap them by minutes too).

    ``sites_per_home`` None keeps every site within the transfer limit, so the unmet figures are the rule's;
    the observation cost phase starts its column generation with each group's ``site_cost_arcs_per_group``
    cheapest arcs and prices every other arc, so the figures are those of the full model (measured at the province
    snapshot, observation stage: 4 -> 1.32 s, 6 -> 1.44-1.56 s, 8 -> 1.66 s, 12 -> 1.81 s; national: 4.02 % in 28.8
    s with 4, 4.19 % in 28.7 s with 6, 4.34 % in 31.9 s with 12).
    """

    sites_per_home: int | None = None
    site_cost_arcs_per_group: int | None = 4
    stations_per_home: int = 10
    pools_per_need: int = 20
    """Nearest pools a nursing need starts from (every other pool priced): province nursing 1.33 s with 10, 0.83-0.86
    s with 20, 0.63 s with 30; national 5.6, 6.0, 8.0 s."""
    depots_per_institution: int = 20


DEFAULT_LIMITS = ArcLimits()


@dataclass(frozen=True)
class PlanContext:
    """What a stage may read: the plan's inputs and the results of the stages before it.

    ``rules`` has the scenario's overrides applied; ``results`` holds the earlier stages' results by name and
    ``inputs`` the inputs their models were solved on, so the reports read them instead of building them again.
    """

    dataset: Dataset
    rules: Rules
    scenario: Scenario
    needs: Needs
    locations: Locations
    limits: ArcLimits = field(default_factory=ArcLimits)
    results: Mapping[str, StageResult] = field(default_factory=dict)
    inputs: Mapping[str, Any] = field(default_factory=dict)
    ahead: Mapping[str, Pending[Any]] = field(default_factory=dict)
    """Report work started in a forked child as a stage was solved (:attr:`Stage.ahead`) or as the results it reads
    came in (:attr:`Stage.early`), or done in the child that solved the stage, by stage name."""

    def result(self, stage: str) -> StageResult:
        """The result of an earlier stage; raises ``KeyError`` naming the stage when it has not run."""
        if stage not in self.results:
            raise KeyError(f"stage {stage!r} has not run before this one (ran: {', '.join(self.results) or 'none'})")
        return self.results[stage]

    def with_result(self, stage: str, result: StageResult, inputs: Any = None) -> PlanContext:
        """A copy that also holds ``result`` of ``stage`` (and the ``inputs`` it was solved on, when given)."""
        solved_on = dict(self.inputs)
        solved_on.pop(stage, None)
        if inputs is not None:
            solved_on[stage] = inputs
        return replace(self, results={**self.results, stage: result}, inputs=solved_on)

    def inputs_of(self, stage: str, build: Callable[[PlanContext], InputsT]) -> InputsT:
        """The inputs ``stage`` was solved on, or ``build(self)`` when the context does not hold them."""
        held = self.inputs.get(stage)
        return held if held is not None else build(self)

    def ahead_of(self, stage: str, compute: Callable[[], T]) -> T:
        """The value of the report work started for ``stage`` in a child (:attr:`Stage.ahead`, :attr:`Stage.early`), or
        ``compute()`` when none was started (one lane, or a context built without solving)."""
        held = self.ahead.get(stage)
        return held.result() if held is not None else compute()


def no_rows(_result: StageResult, _context: PlanContext, _namer: Namer) -> list[Row]:
    """A stage that explains nothing (or has no marginal values)."""
    return []


@dataclass(frozen=True)
class Stage(Generic[InputsT]):
    """One stage of the plan: how to build its model's inputs, solve them, and report the result."""

    name: str
    build_inputs: Callable[[PlanContext], InputsT]
    solve: Callable[[InputsT, SolveOptions], StageResult]
    contract: Contract
    kpis: Callable[[StageResult, PlanContext], dict[str, Any]]
    compliance: Callable[[StageResult, PlanContext], list[pd.DataFrame]]
    explanations: Callable[[StageResult, PlanContext, Namer], list[Row]] = no_rows
    marginal_values: Callable[[StageResult, PlanContext, Namer], list[Row]] = no_rows
    reads: tuple[str, ...] = ()
    """The stages whose results ``build_inputs`` reads (``PlanContext.result``): they are solved first, and the
    context it gets holds theirs only (``planner.stages.schedule``)."""
    holds_gil: bool = True
    """Whether the stage's solving holds Python's interpreter lock most of its time (OR-Tools' flows do; HiGHS
    releases it). Two such stages in one process would share one core while both their time limits run
    (``planner.stages.schedule`` solves a second one in a forked child)."""
    ahead: Callable[[StageResult, PlanContext, InputsT], Callable[[], Any] | None] | None = None
    """Report work that holds the GIL and reads only the stage's result, the context it was solved on and its
    inputs (the observation stage's room probes, the nursing stage's timeline rows): given those, the call to run,
    or None when the reports need none. With two
    lanes the scheduler runs it in a forked child (``planner.forked``) as soon as the stage is solved, on the core
    the stage leaves while the flow stages solve one at a time; the reports read it through
    :meth:`PlanContext.ahead_of`. A thread would gain nothing: it would wait for the flows' lock."""
    early: Callable[[PlanContext], Callable[[], Any] | None] | None = None
    """Report work like :attr:`ahead` that reads only the context holding the results the stage reads (the nursing
    stage's timeline rows read where the observation stage placed persons, not the nursing result): given it, the
    call to run, or None. With two lanes the scheduler starts it in a forked child as soon as those results are in
    and a lane is free, beside the stage itself, else as the stage is solved; read through
    :meth:`PlanContext.ahead_of`. A stage has at most one of ``ahead`` and ``early``."""

    def __post_init__(self) -> None:
        if self.ahead is not None and self.early is not None:
            raise ValueError(f"Expected at most one of ahead and early for stage {self.name!r}, got both.")

    def run(self, context: PlanContext, options: SolveOptions) -> StageResult:
        """Build the inputs from ``context`` and solve them."""
        return self.solved(context, options)[0]

    def solved(self, context: PlanContext, options: SolveOptions) -> tuple[StageResult, InputsT]:
        """The result on ``context`` and the inputs it was solved on (under this stage's time limit in ``options``)."""
        inputs = self.build_inputs(context)
        return self.solve(inputs, options.for_stage(self.name)), inputs


def compliance_rows(
    rule_id: str,
    scope: str,
    scope_ids: pd.Series,
    required: pd.Series | np.ndarray | float,
    planned: pd.Series | np.ndarray,
    source: str,
    sense: str = "at_least",
) -> pd.DataFrame:
    """Checklist rows of one rule: ``planned >= required`` (``at_least``) or ``<=`` (``at_most``) per scope."""
    planned_values = np.asarray(planned, dtype=float)
    rows = len(planned_values)
    required_values = np.broadcast_to(np.asarray(required, dtype=float), rows).copy()
    met = planned_values >= required_values if sense == "at_least" else planned_values <= required_values
    columns = {
        "rule_id": repeated(rule_id, rows),
        "scope": repeated(scope, rows),
        "scope_id": scope_ids.astype(str).to_numpy(dtype=object),
        "sense": repeated(sense, rows),
        "required": required_values,
        "planned": planned_values,
        "met": met,
        "source": repeated(source, rows),
    }
    return pd.DataFrame({name: columns[name] for name in COMPLIANCE_COLUMNS})


def repeated(value: object, rows: int) -> npt.NDArray[np.object_]:
    """An object column of ``rows`` cells that all hold ``value`` itself. ``np.full(rows, text, dtype=object)``
    goes through a unicode array and makes a new string per cell: 60 bytes each for ``"institution"`` (the national
    daily plan's 4.2 million stock rows: 252 MB, its checklist's 518,334 rows of four such columns: 120 MB)."""
    column = np.empty(rows, dtype=object)
    column.fill(value)
    return column


def timeline_rows(resource: str, scope: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of the daily plan's timeline (``planner.report.timeline``) of one resource and scope, from ``frame``
    with ``scope_id, day, needed, planned``."""
    return frame.assign(resource=resource, scope=scope, scope_id=frame["scope_id"].astype(str), short=0.0)


def share(part: float, whole: float) -> float:
    """``part / whole``, 1.0 when there is nothing to cover."""
    return float(part / whole) if whole > 0 else 1.0


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts (column -> value)."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]
