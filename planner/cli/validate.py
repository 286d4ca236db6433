"""``epiplan validate``: check a dataset, then summarise it with its needs at a response level.

Exit 0 for a valid dataset (its warnings, rows per table, what it holds, the needs against it), 2 for a dataset
with errors (the problem table, each problem located by file, row and column). Districts are named with their
code beside (``Fengtai (110106)``, ``--lang zh``: ``丰台区 (110106)``), and the nurses counted are those the plan
will need: 1:1 escorts at hospitals and at observation sites (one per disabled person placed there), backfill and
self-care.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from planner.cli.main import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    Command,
    add_lang_argument,
    add_rules_arguments,
    format_problems,
    format_table,
    register,
    rules_from_argument,
)
from planner.dataset.io import check_dataset
from planner.dataset.names import names
from planner.dataset.schema import DRUGS, Dataset
from planner.report.labels import named
from planner.rules.rules import Rules
from planner.rules.scenario import Scenario, make_scenario

NEEDS_SHOWN: tuple[tuple[str, str], ...] = (
    ("transfer_1to1", "1:1 escorts at hospitals"),
    ("transfer_1to1_sites", "1:1 escorts at observation sites (if every disabled person is placed)"),
    ("backfill", "backfill at care homes"),
    ("self_care", "self-care"),
)


def add_validate_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``epiplan validate``."""
    parser.add_argument("path", help="a folder of <table>.csv files, an .xlsx workbook or a .zip of CSV files")
    add_rules_arguments(parser)
    add_lang_argument(parser, "the names of districts and institutions")


def run_validate(args: argparse.Namespace) -> int:
    """Check a dataset; print its problems (exit 2) or a summary with the needs at the level (exit 0)."""
    rules = rules_from_argument(args.rules)
    scenario = make_scenario(level=args.level)
    dataset, problems = check_dataset(args.path)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if dataset is None:
        print(f"{args.path}: {errors} error(s), {warnings} warning(s); nothing can be planned on this data.\n")
        print(format_problems(problems))
        return EXIT_BAD_INPUT
    print(f"Dataset {dataset.name!r} is valid (sha256 {dataset.sha256[:12]}), {warnings} warning(s).")
    if problems:
        print("\n" + format_problems(problems))
    beyond = scenario.validate_against(dataset)
    if beyond:  # a forecast day after the default horizon: solve refuses it unless the scenario's horizon covers it
        print(f"\nNote: with the default horizon of {scenario.horizon_days} days, solve refuses this dataset:")
        print("\n".join(f"  {problem}" for problem in beyond))
        print("  Set horizon_days in a --scenario file to cover the forecast's last day.")
    print("\n" + dataset_summary(dataset))
    print("\n" + needs_summary(dataset, rules, scenario, names(dataset, getattr(args, "lang", "en"))))
    return EXIT_OK


def _total(frame: Any, column: str) -> int:
    return int(frame[column].sum())


def dataset_summary(dataset: Dataset) -> str:
    """Rows per table and the totals a coordinator checks first."""
    rows = [(name, len(frame)) for name, frame in dataset.tables().items()]
    homes, sites, depots = dataset.care_homes, dataset.sites, dataset.depots
    rooms = sites.groupby("status")["rooms"].sum()
    lines = [
        format_table(("table", "rows"), rows, right=(1,)),
        "",
        f"Care homes: {_total(homes, 'residents'):,} residents, {_total(homes, 'staff'):,} staff, "
        f"{_total(homes, 'disabled'):,} disabled or dementia residents",
        f"Reserve nurses in pools: {_total(dataset.pools, 'nurses'):,}",
        f"Observation rooms: {int(rooms.get('open', 0)):,} open, {int(rooms.get('candidate', 0)):,} candidate "
        f"({int(rooms.get('closed', 0)):,} in closed sites)",
        f"Ambulances: {_total(dataset.stations, 'ambulances'):,}",
        "",
        "Drug stock in depots (packs):",
        format_table(("drug", "stock"), [(d, _total(depots, f"stock_{d}")) for d in DRUGS], right=(1,)),
    ]
    return "\n".join(lines)


def nurses_needed(needs: Any, rules: Rules) -> dict[str, int]:
    """Nurses by need as the plan counts them: the needs' rows, plus a 1:1 escort for every disabled person the
    observation stage may place at a site (``nurses_per_transferred_disabled`` each, rounded up per home)."""
    from planner.needs.needs import ceil_target

    by_need = needs.nursing.groupby("need")["required"].sum()
    disabled = needs.observation[needs.observation["group"] == "disabled"]["persons"].to_numpy(float)
    at_sites = int(ceil_target(rules.nurses_per_transferred_disabled * disabled).sum()) if len(disabled) else 0
    return {
        "transfer_1to1": int(by_need.get("transfer_1to1", 0)),
        "transfer_1to1_sites": at_sites,
        "backfill": int(by_need.get("backfill", 0)),
        "self_care": int(by_need.get("self_care", 0)),
    }


def needs_summary(dataset: Dataset, rules: Rules, scenario: Scenario, shown: Mapping[str, str] | None = None) -> str:
    """The needs at the scenario's level (planner.needs.needs.compute_needs), against what the dataset holds;
    ``shown``: id -> display name (districts are named with their code beside)."""
    from planner.needs.needs import compute_needs  # imported here: the needs module is heavier than validation

    needs = compute_needs(dataset, rules, scenario)
    homes = needs.homes
    by_group = needs.observation.groupby("group")["persons"].sum()
    nurses_held = _total(dataset.pools, "nurses")
    nurses = nurses_needed(needs, rules)
    nursing_rows = [(label, nurses[key]) for key, label in NEEDS_SHOWN]
    nursing_rows.append(("total", sum(nurses.values())))
    drug_need = needs.drugs.groupby("drug")["need"].sum()
    drug_rows = []
    for drug in DRUGS:
        need, stock = int(drug_need.get(drug, 0)), _total(dataset.depots, f"stock_{drug}")
        drug_rows.append((drug, need, stock, max(0, need - stock)))
    lines = [
        f"Needs at level {scenario.level} (rules {rules.preset}, {scenario.horizon_days} days, "
        f"attack rate {scenario.knob('attack_rate'):.0%}):",
        f"Infected residents: {_total(homes, 'infected'):,}; transfers to hospital: {_total(homes, 'transfers'):,} "
        f"({_total(homes, 'transfers_disabled'):,} disabled or dementia)",
        f"Observation persons: {int(by_group.get('disabled', 0)):,} disabled, {int(by_group.get('other', 0)):,} other",
        "",
        f"Nurses required (reserve pools hold {nurses_held:,}):",
        format_table(("need", "nurses"), nursing_rows, right=(1,)),
        "",
        "Drug need (packs) against depot stock:",
        format_table(("drug", "need", "stock", "short"), drug_rows, right=(1, 2, 3)),
        "",
        reserve_summary(needs.reserve, rules, shown or {}),
    ]
    return "\n".join(lines)


def reserve_summary(reserve: Any, rules: Rules, shown: Mapping[str, str]) -> str:
    """The districts short of the nursing reserve, as a table (district named, code beside)."""
    share = f"{rules.nursing_reserve_per_resident:.0%}"
    short = reserve[reserve["held"] < reserve["required"]]
    if short.empty:
        return f"Every district holds its nursing reserve of {share} of care-home residents."
    rows = [
        (named(row.district_id, shown), int(row.held), int(row.required), int(row.required - row.held))
        for row in short.itertuples()
    ]
    title = (
        f"Districts short of the nursing reserve of {share} of care-home residents: {len(short):,} of {len(reserve):,}"
    )
    return title + "\n" + format_table(("district", "holds", "required", "short"), rows, right=(1, 2, 3))


register(Command("validate", "check a dataset and summarise it with its needs", add_validate_arguments, run_validate))
