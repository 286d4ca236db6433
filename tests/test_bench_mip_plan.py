"""bench.mip.plan: the four stage MIPs reproduce epiplan's figures end to end on the tiny dataset."""

from __future__ import annotations

from conftest import tiny_frames

from bench.inputs import build_instance
from bench.kpis import equal_figures, method_kpis
from bench.mip.lp import MipOptions
from bench.mip.plan import mip_nursing_after, mip_plan
from models.base import Status
from planner.dataset.io import dataset_from_frames
from planner.pipeline import make_plan
from planner.rules.rules import DEFAULT_PRESET, load_preset
from planner.rules.scenario import make_scenario

OPTIONS = MipOptions(time_limit_s=20.0, threads=1)


def test_mip_plan_reproduces_epiplans_figures_on_the_tiny_dataset() -> None:
    # The same unmet / covered / 1:1 / fill / shortfall figures as make_plan on the same inputs.
    dataset = dataset_from_frames(tiny_frames(), name="tiny")
    rules = load_preset(DEFAULT_PRESET)
    scenario = make_scenario(level="severe", plan="snapshot")
    plan = make_plan(dataset, rules, scenario)
    mip = mip_plan(build_instance(dataset, rules, scenario), OPTIONS)
    assert all(result.status == Status.OPTIMAL for result in mip.stages.values())
    ours, theirs = method_kpis(plan.stages()), method_kpis(mip.stages)
    assert ours is not None and theirs is not None
    assert equal_figures(ours, theirs)["all_equal"]
    assert theirs["lowest_fill_rate"] == ours["lowest_fill_rate"] < 1.0


def test_mip_nursing_after_the_mips_observation_is_the_plans_nursing_stage() -> None:
    # The same needs (1:1 at the sites the MIP's observation plan used) give the same optimal phases.
    dataset = dataset_from_frames(tiny_frames(), name="tiny")
    instance = build_instance(dataset, load_preset(DEFAULT_PRESET), make_scenario(level="severe"))
    mip = mip_plan(instance, OPTIONS)
    assert list(mip.stages) == ["observation", "ambulance", "nursing", "drugs"] == list(mip.stage_seconds)
    again = mip_nursing_after(instance, mip.stages["observation"], OPTIONS)
    assert again.status == Status.OPTIMAL
    assert [p.objective for p in again.phases] == [p.objective for p in mip.stages["nursing"].phases]
