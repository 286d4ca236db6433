"""make_plan on the tiny dataset: the stages run in order, each reading the ones before it; plans repeat."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tiny_plan import tiny_dataset, tiny_plan

from models.base import Status
from planner.pipeline import make_plan, plan_context
from planner.rules.rules import load_rules
from planner.rules.scenario import Scenario
from planner.stages.registry import STAGE_NAMES


def test_every_stage_is_solved_to_optimality_in_order() -> None:
    plan = tiny_plan()
    assert list(plan.stages()) == list(STAGE_NAMES)
    assert all(result.status is Status.OPTIMAL for result in plan.stages().values())


def test_a_plan_is_deterministic() -> None:
    first = tiny_plan("severe")
    second = tiny_plan.__wrapped__("severe")
    for name, result in first.stages().items():
        for table, frame in result.tables.items():
            assert frame.equals(second.stages()[name].table(table)), (name, table)


def test_progress_is_called_before_each_stage_and_solved_after() -> None:
    """Each stage is announced once, counted in the order they start (the nursing stage after the observation
    stage it reads, the others beside them), and reported solved with its seconds."""
    calls: list[tuple[str, int, int]] = []
    solved: dict[str, float] = {}
    make_plan(
        tiny_dataset(),
        load_rules(),
        Scenario(),
        time_limit_s=5,
        progress=lambda *call: calls.append(call),
        solved=solved.__setitem__,
    )
    assert sorted(name for name, _, _ in calls) == sorted(STAGE_NAMES)
    assert [(index, total) for _, index, total in calls] == [(i, len(STAGE_NAMES)) for i in range(len(STAGE_NAMES))]
    assert calls[0][0] == "observation" and set(solved) == set(STAGE_NAMES) and min(solved.values()) > 0


def test_the_context_applies_the_scenario_rule_overrides() -> None:
    context = plan_context(tiny_dataset(), load_rules(), Scenario(rule_overrides={"transfer_minutes_max": 90}))
    assert context.rules.transfer_minutes_max == 90
    with pytest.raises(KeyError, match="observation"):
        context.result("observation")


def test_an_antigen_kit_target_beyond_the_drug_model_is_capped_and_named() -> None:
    # 100 admission tests per new admission over a 1-day horizon: far more kits than the drug stage plans exactly
    from planner.needs.targets import KIT_TARGET_MAX

    frames_rules = load_rules(overrides={"antigen_tests_per_admission": 100, "test_cover_days": 365})
    dataset = tiny_dataset()
    homes = dataset.care_homes.assign(new_admissions=100_000)
    big = replace(dataset, care_homes=homes)
    plan = make_plan(big, frames_rules, Scenario(horizon_days=1), time_limit_s=5)
    kits = plan.needs.drugs[plan.needs.drugs["drug"] == "antigen_kit"]
    assert kits["target"].max() == KIT_TARGET_MAX
    warned = [w for w in plan.warnings if "antigen kits" in w.message]
    assert len(warned) == 3 and all(w.severity == "warning" for w in warned)


def test_a_peak_after_the_horizon_is_said() -> None:
    # planned without a word before: a peak on day 300 of a 14-day plan leaves almost nobody infected in it
    from planner.pipeline import scenario_warnings
    from planner.rules.scenario import make_scenario

    (warning,) = scenario_warnings(tiny_dataset(), make_scenario(horizon_days=14, peak_day=300))
    assert (warning.column, warning.severity) == ("peak_day", "warning")
    assert warning.message == "peak day 300 is after the horizon's last day (13): the plan covers the rising wave only"
    assert scenario_warnings(tiny_dataset(), make_scenario(horizon_days=14, peak_day=13)) == []
    assert scenario_warnings(tiny_dataset(), make_scenario(horizon_days=14, peak_day=300, plan="snapshot")) == []
