"""``epiplan solve``: plan a dataset and write the plan as JSON, Excel and/or a zip of CSVs.

Exit 0 when every stage produced a plan (shortfalls included), 2 on invalid input
(the problem table is printed and no file is written, not even a partial one),
1 on an internal error.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from planner.cli.main import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    Command,
    add_rules_arguments,
    format_problems,
    format_table,
    register,
    rules_from_argument,
)
from planner.dataset.io import check_dataset
from planner.rules.scenario import Scenario, load_scenario, make_scenario

OUTPUT_SUFFIXES: tuple[str, ...] = (".json", ".xlsx", ".zip")


def add_solve_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``epiplan solve``."""
    parser.add_argument(
        "--data", required=True, help="a folder of <table>.csv files, an .xlsx workbook or a .zip of CSVs"
    )
    add_rules_arguments(parser)
    parser.set_defaults(level=None)  # unset: the scenario file's level, else prevalent
    parser.add_argument("--scenario", help="a scenario YAML (knob: value); --level, when given, overrides its level")
    parser.add_argument(
        "--time-limit", type=float, default=10.0, metavar="S", help="solver time limit per stage, seconds"
    )
    parser.add_argument(
        "--out", action="append", default=[], metavar="FILE", help="write the plan (.json, .xlsx or .zip); repeatable"
    )


def scenario_from_arguments(args: argparse.Namespace) -> Scenario:
    """The scenario of ``--scenario`` with ``--level`` applied when given (its unset knobs follow the new level)."""
    if not args.scenario:
        return make_scenario(level=args.level or "prevalent")
    scenario = load_scenario(args.scenario)
    if args.level is not None:
        return make_scenario(**{**scenario.model_dump(), "level": args.level, **_unset_level_knobs(scenario)})
    return scenario


def _unset_level_knobs(scenario: Scenario) -> dict[str, Any]:
    """Knobs that followed the old level's defaults: reset so the new level's defaults apply."""
    explicit = scenario.model_fields_set
    return {k: None for k in ("attack_rate", "severe_share", "staff_absence", "rotation_share") if k not in explicit}


def bad_outputs(paths: list[str]) -> list[str]:
    """Messages for ``--out`` paths that cannot be written."""
    problems = []
    for raw in paths:
        path = Path(raw)
        if path.suffix.lower() not in OUTPUT_SUFFIXES:
            problems.append(f"--out {raw}: expected a file ending in {', '.join(OUTPUT_SUFFIXES)}")
        elif path.parent != Path() and path.parent.exists() and not path.parent.is_dir():
            problems.append(f"--out {raw}: {path.parent} is not a folder")
    return problems


def stage_table(plan: Any) -> str:
    """Status, objective, bound, gap and seconds of every stage."""
    rows = [
        (
            name,
            result.status.value,
            f"{result.objective:g}",
            f"{result.bound:g}",
            f"{result.gap:.2%}",
            f"{result.seconds:.2f}",
        )
        for name, result in plan.stages().items()
    ]
    return format_table(("stage", "status", "objective", "bound", "gap", "seconds"), rows, right=(2, 3, 4, 5))


def kpi_lines(kpis: dict[str, Any]) -> str:
    """The KPIs a coordinator reads first, one per line."""
    lines = [
        f"observation: {kpis['observation_placed']:,} of {kpis['observation_persons']:,} persons placed; "
        f"unmet disabled {kpis['unmet_observation_disabled']:,}, other {kpis['unmet_observation_other']:,}; "
        f"{kpis['sites_opened']} candidate site(s) opened",
        f"ambulance: {kpis['covered_share']:.1%} of {kpis['daily_transfers']:g} daily transfers covered; "
        f"{kpis['uncovered_homes']} home(s) uncovered; {kpis['ambulance_moves']} ambulance move(s); "
        f"longest covered trip {kpis['longest_covered_trip_minutes']:g} min",
        f"nursing: 1:1 {kpis['one_to_one_assigned']:,} of {kpis['one_to_one_required']:,}; "
        f"unmet by tier {kpis['nursing_unmet_by_tier']}; "
        f"{kpis['districts_short_of_reserve']} district(s) short of the reserve",
        "drugs: lowest fill rate "
        + ", ".join(f"{d} {r:.0%}" for d, r in kpis["lowest_fill_rate"].items())
        + "; shortfall "
        + ", ".join(f"{d} {n:,}" for d, n in kpis["drug_shortfall"].items() if n),
        f"compliance: {kpis['compliance_met']:,} of {kpis['compliance_checks']:,} checks met",
    ]
    return "\n".join(lines)


def run_solve(args: argparse.Namespace) -> int:
    """Validate, solve, print the stage table and KPIs, write the outputs."""
    from planner.outputs.files import write_plan
    from planner.pipeline import make_plan

    problems = bad_outputs(args.out)
    rules = rules_from_argument(args.rules)
    scenario = scenario_from_arguments(args)
    dataset, data_problems = check_dataset(args.data)
    if dataset is None or problems:
        if dataset is None:
            print(format_problems(data_problems))
        for problem in problems:
            print(f"epiplan: {problem}")
        print("nothing was solved and no file was written")
        return EXIT_BAD_INPUT
    plan = make_plan(dataset, rules, scenario, time_limit_s=args.time_limit)
    print(stage_table(plan))
    print()
    print(kpi_lines(plan.kpis))
    for out in args.out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        write_plan(plan, [out])
        print(f"wrote {out}")
    return EXIT_OK


register(Command("solve", "plan a dataset and write the plan (.json, .xlsx, .zip)", add_solve_arguments, run_solve))
