"""The testing stage on the tiny dataset: inputs, KPIs, compliance rows and sentences."""

from __future__ import annotations

import pandas as pd
from tiny_plan import tiny_dataset

from models.base import SolveOptions
from planner.dataset.names import Namer
from planner.pipeline import plan_context
from planner.rules.rules import load_rules
from planner.rules.scenario import Scenario
from planner.stages import testing
from planner.stages.registry import STAGE_NAMES


def _context(preset: str = "containment-2021") -> testing.PlanContext:
    return plan_context(tiny_dataset(), load_rules(preset), Scenario())


def test_registered_after_drugs() -> None:
    assert STAGE_NAMES[-1] == "testing"


def test_without_sampling_sites_candidates_are_clinics_sites_and_centres() -> None:
    inputs = testing.build_inputs(_context())
    dataset = tiny_dataset()
    ids = set(inputs.candidates["candidate_id"])
    assert set(dataset.clinics["clinic_id"]) <= ids
    assert {f"{s}:centre" for s in dataset.streets["street_id"]} <= ids
    by_street = inputs.demand.groupby("street_id")["weight"].sum()
    pd.testing.assert_series_equal(
        by_street.sort_index(),
        dataset.streets.set_index("street_id")["population"].astype(float).sort_index(),
        check_names=False,
    )


def test_kpis_compliance_and_sentences() -> None:
    context = _context()
    result = testing.STAGE.run(context, SolveOptions())
    kpis = testing.kpis(result, context)
    assert kpis["sampling_points_planned"] == len(result.table("points"))
    rows = pd.concat(testing.compliance(result, context))
    assert set(rows["rule_id"]) == {"testing_points_per_street", "full_round_days"}  # tiny city < 5 M residents
    assert (rows[rows["rule_id"] == "full_round_days"]["sense"] == "at_most").all()
    assert not bool(result.table("round")["met"].iloc[0])  # the tiny dataset has no labs
    namer = Namer.of(tiny_dataset())
    sentences = testing.explanations(result, context, namer)
    assert any("labs need" in str(row["en"]) and "实验室" in str(row["zh"]) for row in sentences)
    short = result.table("streets").query("not met")
    assert len([r for r in sentences if r["reason"] == "too_few_candidates"]) == len(short)


def test_beijing_preset_does_not_require_the_round() -> None:
    context = _context("beijing-2023")
    result = testing.STAGE.run(context, SolveOptions())
    rules = {str(r) for frame in testing.compliance(result, context) for r in frame["rule_id"]}
    assert rules == {"testing_points_per_street"}
