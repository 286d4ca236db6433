"""``make_plan``: the needs, then the registered stages in order, then the plan's reports.

::

    needs -> observation -> ambulance -> nursing -> drugs -> testing -> KPIs, compliance, explanations, timeline

The stages are solved two at a time where one does not read the other's result (``planner.stages.schedule``: the
nursing stage waits for the observation stage; ambulance, drugs and testing run beside it).

A daily plan (``scenario.plan == "daily"``, the default) carries the day-by-day needs (``planner.needs.daily``);
the stages plan on them and ``planner.report.timeline`` lays out needed against planned per day.

Each stage builds its model's inputs from the dataset, the rules, the scenario, the needs and the results
of the stages before it (``planner.stages.base.PlanContext``), so the nursing stage sees where the
observation stage placed disabled persons. The stages are listed in ``planner.stages.registry``.
"""

from __future__ import annotations

from collections.abc import Mapping

from models.base import STAGE_LANES, SolveOptions
from planner.dataset.problems import Problem
from planner.dataset.schema import Dataset
from planner.memory import release_free_memory
from planner.needs.needs import Needs, compute_needs
from planner.needs.targets import KIT_TARGET_MAX
from planner.report.compliance import compliance_checklist
from planner.report.explain import explain
from planner.report.kpis import compute_kpis
from planner.report.plan import Plan
from planner.report.timeline import build_timeline, timeline_kpis
from planner.rules.rules import Rules
from planner.rules.scenario import Scenario
from planner.stages.base import DEFAULT_LIMITS, ArcLimits, PlanContext
from planner.stages.locations import Locations
from planner.stages.registry import STAGE_NAMES, STAGES
from planner.stages.schedule import ProgressCallback, SolvedCallback, solve_stages


def plan_context(dataset: Dataset, rules: Rules, scenario: Scenario, limits: ArcLimits = DEFAULT_LIMITS) -> PlanContext:
    """What the first stage reads: the scenario's rules, the needs and where everything is."""
    rules = scenario.apply_to(rules)
    needs = compute_needs(dataset, rules, scenario)
    return PlanContext(dataset, rules, scenario, needs, Locations.of(dataset, rules), limits)


SCENARIO_FILE = "scenario"
"""The ``file`` of a scenario's warnings (the scenario may come from a file, the app or a sweep)."""


def scenario_warnings(dataset: Dataset, scenario: Scenario) -> list[Problem]:
    """Scenario knobs that name ids the dataset does not have (ignored), or a peak after the horizon: warnings."""
    warnings = []
    sites = set(dataset.sites["site_id"].astype(str))
    for site in dict.fromkeys(scenario.closed_sites):
        if site not in sites:
            message = f"closed site '{site}' is not a site_id of the dataset (ignored)"
            warnings.append(Problem(SCENARIO_FILE, None, "closed_sites", message, "warning"))
    districts = set(dataset.districts["district_id"].astype(str))
    for district in scenario.demand_multipliers:
        if district not in districts:
            message = f"demand multiplier for '{district}', not a district_id of the dataset (ignored)"
            warnings.append(Problem(SCENARIO_FILE, None, "demand_multipliers", message, "warning"))
    if scenario.plan == "daily" and scenario.peak_day is not None and scenario.peak_day >= scenario.horizon_days:
        message = (
            f"peak day {scenario.peak_day} is after the horizon's last day ({scenario.horizon_days - 1}): the plan "
            "covers the rising wave only"
        )
        warnings.append(Problem(SCENARIO_FILE, None, "peak_day", message, "warning"))
    return warnings


def needs_warnings(needs: Needs) -> list[Problem]:
    """Antigen-kit targets above what the drug stage plans exactly: planned at the cap, and said."""
    over = needs.antigen_tests[needs.antigen_tests["target"] > KIT_TARGET_MAX]
    return [
        Problem(
            "care_homes",
            None,
            "home_id",
            f"care home '{home}': its tests ask {int(target):,} antigen kits, above the {KIT_TARGET_MAX:,} the drug "
            "stage plans; planned for that many",
            "warning",
        )
        for home, target in zip(over["home_id"], over["target"], strict=True)
    ]


def make_plan(
    dataset: Dataset,
    rules: Rules,
    scenario: Scenario,
    *,
    time_limit_s: float = 10.0,
    stage_time_limits: Mapping[str, float] | None = None,
    limits: ArcLimits = DEFAULT_LIMITS,
    progress: ProgressCallback | None = None,
    solved: SolvedCallback | None = None,
    lanes: int = STAGE_LANES,
) -> Plan:
    """Solve every stage for ``dataset`` under ``rules`` and ``scenario``.

    ``time_limit_s`` bounds each stage's solver, ``stage_time_limits`` (stage name -> seconds) the stages it
    names instead; ``lanes`` stages are solved at once where one does not read the
    other's result (``planner.stages.schedule``; the plan is the same with one); ``progress`` is told as each
    stage starts, ``solved`` as each ends. Never raises on a shortage: shortfalls are in the stage tables, the
    compliance checklist and the explanations.
    """
    unknown = sorted(set(stage_time_limits or {}) - set(STAGE_NAMES))
    if unknown:
        raise ValueError(f"Expected stage names among {', '.join(STAGE_NAMES)}, got {unknown}.")
    options = SolveOptions(
        time_limit_s=time_limit_s, stage_time_limits=tuple(sorted((stage_time_limits or {}).items()))
    )
    context = plan_context(dataset, rules, scenario, limits)
    context = solve_stages(context, STAGES, options, lanes=lanes, progress=progress, solved=solved)
    release_free_memory()  # what the stages freed, handed back while the reports' children (nursing rows) still run
    results = context.results
    compliance = compliance_checklist(context, results)
    kpis = compute_kpis(context, results, compliance)  # before the timeline, which waits for its nursing rows
    release_free_memory()
    timeline, run_out = build_timeline(context, results)
    summary = timeline_kpis(timeline, run_out)
    release_free_memory()
    # after the timeline: the probes it may run here (their child past the memory budget) wait for the nursing rows'
    # child to end (national daily: 0.3 GB beside its 0.9 GB)
    explanations, marginal_values = explain(context, results)
    release_free_memory()  # what the reports left free, before the plan is written
    return Plan(
        warnings=(*dataset.warnings, *scenario_warnings(dataset, scenario), *needs_warnings(context.needs)),
        dataset_name=dataset.name,
        dataset_sha256=dataset.sha256 or dataset.content_hash(),
        rules=context.rules,
        scenario=scenario,
        needs=context.needs,
        results=results,
        kpis={**kpis, **summary},
        compliance=compliance,
        explanations=explanations,
        marginal_values=marginal_values,
        timeline=timeline,
        run_out=run_out,
    )
