"""The plan: the four stage results of one run, with its inputs, KPIs and checklist.

A :class:`Plan` is what ``planner.make_plan`` returns and what every export
writes (``planner.outputs.export``): the dataset's name and hash, the rules and the
scenario it was solved under, the needs, one :class:`~models.base.StageResult`
per stage (``observation``, ``ambulance``, ``nursing``, ``drugs``, in pipeline
order), the headline KPIs, the compliance checklist, the sentences that explain
each shortfall and the marginal values of scarce resources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from models.base import StageResult, Status
from planner.rules.rules import Rules
from planner.rules.scenario import Scenario

if TYPE_CHECKING:
    from planner.needs.needs import Needs

STAGE_NAMES: tuple[str, ...] = ("observation", "ambulance", "nursing", "drugs")
"""The stages in pipeline order; each is a field of :class:`Plan`."""

COMPLIANCE_COLUMNS: tuple[str, ...] = ("rule_id", "scope_id", "required", "planned", "met", "source")
EXPLANATION_COLUMNS: tuple[str, ...] = ("stage", "entity_id", "reason", "en", "zh")
MARGINAL_VALUE_COLUMNS: tuple[str, ...] = ("stage", "resource_id", "resource_kind", "value", "en", "zh")


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
    observation, ambulance, nursing, drugs
        The stage results, in pipeline order.
    kpis
        Headline figures by name (plain numbers or text).
    compliance
        The checklist: ``rule_id, scope_id, required, planned, met, source``.
    explanations
        One sentence per shortfall: ``stage, entity_id, reason, en, zh``.
    marginal_values
        What one more unit of a resource would buy:
        ``stage, resource_id, resource_kind, value, en, zh``.

    Notes
    -----
    ``eq=False``: plans compare by identity (their tables are DataFrames, which
    have no single truth value).
    """

    dataset_name: str
    dataset_sha256: str
    rules: Rules
    scenario: Scenario
    needs: Needs
    observation: StageResult
    ambulance: StageResult
    nursing: StageResult
    drugs: StageResult
    kpis: dict[str, Any]
    compliance: pd.DataFrame
    explanations: pd.DataFrame
    marginal_values: pd.DataFrame

    def stages(self) -> dict[str, StageResult]:
        """The stage results by name, in pipeline order."""
        return {name: getattr(self, name) for name in STAGE_NAMES}

    @property
    def status(self) -> Status:
        """The least proven status of the four stages."""
        return Status.worst([stage.status for stage in self.stages().values()])

    def to_json(self) -> dict[str, Any]:
        """The plan as an ``epiplan.plan/1`` document (see :func:`planner.outputs.export.plan_to_json`)."""
        from planner.outputs.export import plan_to_json

        return plan_to_json(self)


__all__ = ["COMPLIANCE_COLUMNS", "EXPLANATION_COLUMNS", "MARGINAL_VALUE_COLUMNS", "STAGE_NAMES", "Plan"]
