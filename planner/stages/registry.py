"""The stages of a plan, in the order the pipeline runs them (each may read the results before it).

Adding a stage: write its model (``models/<stage>.py``) and its stage module (``planner/stages/<stage>.py``
declaring ``STAGE``), then add it here. The reports (KPIs, compliance, explanations, marginal values) and
the exports (JSON contract and schema, workbook, CSVs) iterate over this tuple.
"""

from __future__ import annotations

from typing import Any

from planner.stages import ambulance, drugs, nursing, observation, testing
from planner.stages.base import Stage

STAGES: tuple[Stage[Any], ...] = (observation.STAGE, ambulance.STAGE, nursing.STAGE, drugs.STAGE, testing.STAGE)
STAGE_NAMES: tuple[str, ...] = tuple(stage.name for stage in STAGES)
"""The stage names in pipeline order."""


def stage(name: str) -> Stage[Any]:
    """The registered stage ``name``."""
    for candidate in STAGES:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no stage {name!r} (stages: {', '.join(STAGE_NAMES)})")
