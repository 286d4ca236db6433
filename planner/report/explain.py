"""Shortfalls in words a coordinator can act on, and where one more unit helps most.

The models return reason codes and the binding entities; each stage names them in English and Chinese with
the entities' display names (``Stage.explanations``, ``Stage.marginal_values``); this module gathers them.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from models.base import StageResult
from planner.dataset.names import Namer
from planner.stages.base import EXPLANATION_COLUMNS, MARGINAL_COLUMNS, PlanContext
from planner.stages.registry import stage


def explain(context: PlanContext, results: Mapping[str, StageResult]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(explanations, marginal values) of a solved plan; marginal values by stage, each stage's best first."""
    namer = Namer.of(context.dataset)
    rows = [row for name, result in results.items() for row in stage(name).explanations(result, context, namer)]
    values = [row for name, result in results.items() for row in stage(name).marginal_values(result, context, namer)]
    marginal = pd.DataFrame(values, columns=list(MARGINAL_COLUMNS))
    return pd.DataFrame(rows, columns=list(EXPLANATION_COLUMNS)), marginal
