"""``epiplan solve``: plan a dataset and write the plan as JSON, Excel and/or a zip of CSVs.

The workbook is the coordinator's, in ``--lang`` (``en`` or ``zh``); the JSON and the CSVs keep their English
keys. ``--snapshot`` plans every need of the horizon at once instead of day by day (the scenario's ``plan``);
``--peak-day N`` and ``--wave-days N`` shape the day-by-day plan's epidemic curve (``planner.needs.curve``); each
overrides the scenario file's knob. ``--district ID`` writes that district's part of the plan (its homes, sites,
stations, pools, depots and what crosses its border, ``planner.report.district``). An ``--out`` into a folder
that does not exist is an error unless ``--mkdir`` asks for it.

Exit 0 when every stage produced a plan (shortfalls included), 2 on invalid input
(the problem table is printed and no file is written, not even a partial one),
1 on an internal error, 130 / 143 on Ctrl-C / SIGTERM (nothing written). The outputs of a
run are written together: all of them or none (``planner.outputs.files.write_plan``).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from models.base import STAGE_LANES, Status
from planner.cli.main import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    Command,
    add_lang_argument,
    add_mkdir_argument,
    add_rules_arguments,
    format_problems,
    format_table,
    register,
    rules_from_argument,
)
from planner.cli.options import bad_outputs, day_count, positive_count, read_yaml_mapping, seconds, stage_seconds
from planner.dataset.io import check_dataset
from planner.rules.scenario import Scenario, ScenarioError, check_scenario, make_scenario

KNOB_OPTIONS: dict[str, str] = {"plan": "--snapshot", "peak_day": "--peak-day", "wave_days": "--wave-days"}
"""Scenario knobs set by an option of ``epiplan solve`` (overriding the scenario file's)."""


def add_solve_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``epiplan solve``."""
    parser.add_argument(
        "--data", required=True, help="a folder of <table>.csv files, an .xlsx workbook or a .zip of CSVs"
    )
    add_rules_arguments(parser, level_default=None)  # unset: the scenario file's level, else prevalent
    parser.add_argument("--scenario", help="a scenario YAML (knob: value); --level, when given, overrides its level")
    parser.add_argument(
        "--snapshot",
        action="store_const",
        const="snapshot",
        dest="plan",
        help="plan every need of the horizon at once (the snapshot plan) instead of day by day (the default)",
    )
    parser.add_argument(
        "--peak-day",
        type=day_count,
        metavar="N",
        help="day (0 = the first) of the epidemic curve's peak in the day-by-day plan; default: mid-horizon",
    )
    parser.add_argument(
        "--wave-days",
        type=positive_count,
        metavar="N",
        help="days by which 95 %% of the wave has happened (more than --peak-day); default: the horizon",
    )
    parser.add_argument(
        "--time-limit", type=seconds, default=10.0, metavar="S", help="solver time limit per stage, seconds (> 0)"
    )
    parser.add_argument(
        "--stage-time-limit",
        type=stage_seconds,
        action="append",
        default=[],
        metavar="STAGE=S",
        help="one stage's time limit instead of --time-limit, e.g. observation=30 (repeatable)",
    )
    parser.add_argument(
        "--lanes",
        type=int,
        choices=(1, 2),
        default=STAGE_LANES,
        help="stages solved at once: 2 solves the observation stage beside the others (the default), 1 one stage "
        "at a time on one core (several solves side by side)",
    )
    parser.add_argument(
        "--out",
        action="append",
        default=[],
        metavar="FILE",
        help="write the plan (.json, .xlsx, .zip or a one-page .pdf summary); repeatable",
    )
    add_mkdir_argument(parser)
    add_lang_argument(parser, "the workbook and the key figures printed")
    parser.add_argument("--district", metavar="ID", help="write only this district's part of the plan")


def scenario_from_arguments(args: argparse.Namespace) -> Scenario:
    """The scenario of ``--scenario`` with ``--level``, ``--snapshot``, ``--peak-day`` and ``--wave-days`` applied
    when given; knobs the file leaves unset follow the level (the given one, else the file's, else prevalent).

    A knob an option sets that the scenario refuses (``--peak-day 400``) is a :class:`ScenarioError` naming the
    option."""
    knobs = read_yaml_mapping(args.scenario, "scenario", key_kind="scenario knob") if args.scenario else {}
    file = f"scenario file {args.scenario}: " if args.scenario else ""
    if args.level is not None:
        knobs["level"] = args.level
    options = {knob: value for knob in KNOB_OPTIONS if (value := getattr(args, knob, None)) is not None}
    try:
        return make_scenario(**{**knobs, **options})
    except ScenarioError as exc:
        raise ScenarioError([_named_option(problem, options, file) for problem in exc.problems]) from None


def _named_option(problem: str, options: Mapping[str, Any], file: str = "") -> str:
    """``peak_day: ...`` -> ``--peak-day 400: peak_day: ...`` when an option set the knob, else ``file`` before it
    (``scenario file s.yaml: attack_rate: ...``)."""
    for knob, value in options.items():
        if problem.startswith(f"{knob}:"):
            shown = KNOB_OPTIONS[knob] if knob == "plan" else f"{KNOB_OPTIONS[knob]} {value}"
            return f"{shown}: {problem}"
    return f"{file}{problem}"


def stage_table(plan: Any) -> str:
    """Status, objective, bound, gap and seconds of every stage (its last phase's figures, as the files give them),
    and the first of its phases not proven with that phase's gap (:func:`open_phase`): a stage's gap on its last
    phase may be small where an earlier, weightier one is far from its bound (an ambulance stage 1.2 % on its moves,
    its transfers covered 12.9 % from theirs)."""
    rows = [
        (
            name,
            result.status.value,
            f"{result.objective:g}",
            f"{result.bound:g}",
            f"{result.gap:.2%}",
            f"{result.seconds:.2f}",
            open_phase(result),
        )
        for name, result in plan.stages().items()
    ]
    header = ("stage", "status", "objective", "bound", "gap", "seconds", "first phase not proven")
    return format_table(header, rows, right=(2, 3, 4, 5))


def open_phase(result: Any) -> str:
    """``name gap`` of the stage's first phase that is not proven optimal; empty when every phase is."""
    for phase in result.phases:
        if phase.status is not Status.OPTIMAL:
            return f"{phase.name} {phase.gap:.2%}"
    return ""


def kpi_table(plan: Any, language: str = "en", shown: Mapping[str, str] | None = None) -> str:
    """The key figures as a table (nested ones one line each, districts named), in ``language``."""
    from planner.outputs.coordinator import Naming
    from planner.outputs.cover import kpi_rows

    rows = kpi_rows(plan.kpis, Naming(language, dict(shown or {})))
    headers = ("指标", "数值") if language == "zh" else ("key figure", "value")
    return format_table(headers, rows, right=(1,))


def run_solve(args: argparse.Namespace) -> int:
    """Validate, solve, print the stage table and KPIs, write the outputs."""
    from planner.dataset.names import district_of, names
    from planner.outputs.files import write_plan
    from planner.pipeline import make_plan
    from planner.report.district import border_flows, district_plan

    problems = bad_outputs(args.out, args.mkdir, args.data, {"--scenario": args.scenario, "--rules": args.rules})
    rules = rules_from_argument(args.rules)
    scenario = scenario_from_arguments(args)
    dataset, data_problems = check_dataset(args.data)
    if dataset is not None:
        where = f"scenario file {args.scenario}: " if args.scenario else "scenario: "
        problems += check_scenario(scenario, rules, dataset, where)
    if dataset is not None and args.district is not None:
        known = [str(d) for d in dataset.districts["district_id"]]
        if args.district not in known:
            problems.append(f"--district {args.district}: no such district (districts: {', '.join(known)})")
    if dataset is None or problems:
        if dataset is None:
            print(format_problems(data_problems))
        for problem in problems:
            print(f"epiplan: {problem}")
        print("nothing was solved and no file was written")
        return EXIT_BAD_INPUT
    plan = make_plan(
        dataset,
        rules,
        scenario,
        time_limit_s=args.time_limit,
        stage_time_limits=dict(args.stage_time_limit),
        lanes=args.lanes,
    )
    shown = names(dataset, args.lang)
    border = None
    if args.district is not None:
        plan, border = district_plan(plan, dataset, args.district), border_flows(plan, dataset, args.district)
    if plan.warnings:
        print(format_problems(plan.warnings) + "\n")
    print(stage_table(plan))
    print()
    print(kpi_table(plan, args.lang, shown))
    try:
        written = write_plan(plan, args.out, args.lang, shown, border, district_of(dataset))  # all or none
    except OSError as exc:
        where = exc.filename or ", ".join(args.out)
        print(f"epiplan: cannot write {where}: {exc.strerror or exc}; no file was written")
        return EXIT_BAD_INPUT
    for out in written:
        print(f"wrote {out}")
    return EXIT_OK


register(Command("solve", "plan a dataset and write the plan (.json, .xlsx, .zip)", add_solve_arguments, run_solve))
