"""Explanations and marginal values gathered from every stage."""

from __future__ import annotations

from tiny_plan import tiny_plan

from planner.stages.base import EXPLANATION_COLUMNS, MARGINAL_COLUMNS


def test_every_stage_explains_its_shortfalls_in_pipeline_order() -> None:
    explanations = tiny_plan(closed_sites=("ST1",)).explanations
    assert list(explanations.columns) == list(EXPLANATION_COLUMNS)
    stages = list(dict.fromkeys(explanations["stage"]))
    assert stages == ["observation", "drugs", "testing"]  # the tiny city has no labs: its round falls short


def test_marginal_values_come_by_stage_each_stage_best_first() -> None:
    values = tiny_plan().marginal_values
    assert list(values.columns) == list(MARGINAL_COLUMNS)
    stages = list(values["stage"])
    assert stages == sorted(stages, key=["observation", "ambulance", "nursing", "drugs"].index)
    drugs = values[values["stage"] == "drugs"]
    assert "raise the lowest fill rate" in drugs["en"].iloc[0], "the lowest fill rate is the drug stage's first aim"
