"""Day-by-day plan files of the sample city, as ``epiplan solve`` writes them, checked independently against their
dataset (``plan_file_checks``: nothing of epiplan imported). The scenarios are the ones where such a check found
faults: a 30-day severe wave with an attack rate of 0.6, a third of the fleet and a fifth of the stock (a stay left
at a closed site; run-out days no row of the file showed), and the containment preset's 14-day stays; and a stock
factor whose product with a depot's stock is a whole number (0.35 x 10,700) that binary floating point puts just
under it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from plan_file_checks import plan_file_problems

from planner.cli.main import main

SCENARIOS = {
    "severe-30-days": (
        5,
        "severe",
        "beijing-2023",
        "horizon_days: 30\nattack_rate: 0.6\nfleet_factor: 0.3\nstock_factor: 0.2\n",
    ),
    "containment-21-days": (2, "prevalent", "containment-2021", "horizon_days: 21\n"),
    "stock-factor-as-written": (5, "prevalent", "beijing-2023", "horizon_days: 1\nstock_factor: 0.35\n"),
}


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def plan_file(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    seed, level, rules, scenario = SCENARIOS[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    data, scenario_file, plan = folder / "data", folder / "scenario.yaml", folder / "plan.json"
    scenario_file.write_text(scenario, encoding="utf-8")
    assert main(["sample", "--scale", "city", "--seed", str(seed), "--out", str(data)]) == 0
    argv = ["solve", "--data", str(data), "--level", level, "--rules", rules, "--scenario", str(scenario_file)]
    assert main([*argv, "--time-limit", "3", "--out", str(plan)]) == 0
    return json.loads(plan.read_text(encoding="utf-8")), data


@pytest.mark.slow
def test_the_plan_file_holds_against_its_dataset(plan_file: tuple[dict[str, Any], Path]) -> None:
    plan, data = plan_file
    assert plan["observation"]["stays"] and plan["timeline"]
    assert plan_file_problems(plan, data) == []


@pytest.mark.slow
def test_the_checks_find_a_stay_at_a_closed_site_a_full_site_and_a_wrong_run_out_day(
    plan_file: tuple[dict[str, Any], Path],
) -> None:
    plan, data = copy.deepcopy(plan_file[0]), plan_file[1]
    closed = next(site["site_id"] for site in plan["observation"]["sites"] if not site["open"])
    stay = plan["observation"]["stays"][0]
    plan["observation"]["stays"].append({**stay, "site_id": closed})
    plan["observation"]["stays"].append({**stay, "persons": 10**6})
    plan["run_out"].append(
        {"resource": "stock:cough", "scope": "institution", "scope_id": "nowhere", "first_short_day": 0}
    )
    problems = "\n".join(plan_file_problems(plan, data))
    assert "stay at a site not open" in problems
    assert f"site {stay['site_id']}: " in problems
    assert "run_out is not the timeline's first short days" in problems
