"""Explanations and marginal values gathered from every stage."""

from __future__ import annotations

from tiny_plan import tiny_plan

from planner.stages.base import EXPLANATION_COLUMNS, MARGINAL_COLUMNS


def test_every_stage_explains_its_shortfalls_in_pipeline_order() -> None:
    explanations = tiny_plan(closed_sites=("ST1",)).explanations
    assert list(explanations.columns) == list(EXPLANATION_COLUMNS)
    stages = list(dict.fromkeys(explanations["stage"]))
    assert stages == ["observation", "drugs"]


def test_marginal_values_come_largest_first() -> None:
    values = tiny_plan().marginal_values
    assert list(values.columns) == list(MARGINAL_COLUMNS)
    assert values["value"].is_monotonic_decreasing
