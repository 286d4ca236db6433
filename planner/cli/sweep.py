"""``epiplan sweep``: many scenarios of one dataset on Dask, then the robust summary.

::

    epiplan sweep --data data/sample --level severe --samples 200 --seed 7 --out out/sweep.parquet
    epiplan sweep --data data/sample --grid grid.yaml --scheduler tcp://10.0.0.5:8786 --out out/sweep.xlsx

``--samples N --seed S`` draws N scenarios around the level (:func:`planner.sweep.sampling.default_distributions`,
or the distributions of ``--knobs FILE``); ``--grid FILE`` solves every combination of a grid. Scenarios
run on a local Dask cluster (one process per core, one thread each; ``--workers N``), on a running
cluster (``--scheduler tcp://HOST:PORT``), or in this process (``--serial``). A progress bar goes to
stderr; the summary (KPI percentiles, stress points, marginal values) to stdout; the tables to
``--out`` (``.parquet``, ``.csv`` or ``.xlsx``). Ctrl-C cancels the sweep, closes the cluster and exits
with 130.

Importing this module registers the command with :mod:`planner.cli.main`; ``python -m planner.cli.sweep sweep
...`` runs it without the registry.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import pandas as pd

from planner.cli.main import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    Command,
    add_mkdir_argument,
    format_table,
    out_problem,
    register,
    rules_from_argument,
)
from planner.cli.options import MAX_TIME_LIMIT_S
from planner.dataset.schema import LEVELS
from planner.rules.rules import DEFAULT_PRESET, PRESETS

DEFAULT_TOP = 10
BAR_WIDTH = 30
SHOWN_STRESS_KINDS: dict[str, str] = {
    "uncovered": "not covered by 120",
    "unplaced": "persons without a room",
    "full": "site full",
    "used_up": "pool used up",
    "empty": "depot empty",
}


class ProgressBar:
    """A one-line progress bar (``[#####.....] 12/20 scenarios, 1 failed, 0:07``) on a terminal; on a file
    or a pipe, one line per tenth of the way."""

    def __init__(self, total: int, stream: IO[str] | None = None) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.failed = 0
        self.start = time.perf_counter()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_tenth = -1

    def line(self, done: int) -> str:
        filled = BAR_WIDTH * done // max(self.total, 1)
        elapsed = int(time.perf_counter() - self.start)
        failed = f", {self.failed} failed" if self.failed else ""
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        return f"[{bar}] {done}/{self.total} scenarios{failed}, {elapsed // 60}:{elapsed % 60:02d}"

    def __call__(self, done: int, total: int, outcome: Any) -> None:
        if outcome.status != "ok":
            self.failed += 1
        tenth = 10 * done // max(total, 1)
        if self.tty:
            self.stream.write("\r" + self.line(done) + ("\n" if done == total else ""))
        elif tenth != self._last_tenth:
            self.stream.write(self.line(done) + "\n")
        self._last_tenth = tenth
        self.stream.flush()


def add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``epiplan sweep``."""
    parser.add_argument("--data", required=True, help="dataset: a folder of CSVs, an .xlsx workbook or a .zip")
    parser.add_argument(
        "--rules",
        default=DEFAULT_PRESET,
        metavar="PRESET_OR_YAML",
        help=f"rules preset ({', '.join(PRESETS)}) or a YAML file (a full preset, or rule: value overrides)",
    )
    parser.add_argument("--level", choices=LEVELS, default="prevalent", help="epidemic response level (base)")
    generator = parser.add_mutually_exclusive_group(required=True)
    generator.add_argument("--samples", type=int, metavar="N", help="Monte Carlo: draw N scenarios")
    generator.add_argument("--grid", type=Path, metavar="FILE", help="grid: YAML of knob: [values] (every combination)")
    parser.add_argument("--seed", type=int, default=0, help="Monte Carlo seed (same seed, same scenarios)")
    parser.add_argument(
        "--knobs",
        type=Path,
        metavar="FILE",
        help="Monte Carlo distributions: YAML of knob: uniform(low, high) | triangular(low, mode, high) | "
        "beta(a, b, low, high), site_closure: p, station_outage: p (default: around the level)",
    )
    parser.add_argument("--scheduler", metavar="ADDR", help="a running Dask scheduler, tcp://HOST:PORT")
    parser.add_argument("--workers", type=int, metavar="N", help="local cluster workers (default: one per core)")
    parser.add_argument("--serial", action="store_true", help="solve in this process, one scenario after another")
    parser.add_argument("--time-limit", type=float, default=10.0, metavar="S", help="seconds per stage per scenario")
    parser.add_argument("--top", type=int, default=DEFAULT_TOP, help="stress points and marginal values to print")
    parser.add_argument("--out", required=True, type=Path, help="results: .parquet, .csv or .xlsx")
    add_mkdir_argument(parser)


def _check_arguments(args: argparse.Namespace) -> list[str]:
    from planner.sweep.sampling import MAX_SCENARIOS

    problems = []
    if args.samples is not None and not 1 <= args.samples <= MAX_SCENARIOS:
        problems.append(f"--samples: expected at least 1 and at most {MAX_SCENARIOS:,}, got {args.samples}")
    if args.seed < 0:
        problems.append(f"--seed: expected a whole number >= 0, got {args.seed}")
    if not 0 < args.time_limit <= MAX_TIME_LIMIT_S:  # nan and inf too
        problems.append(
            f"--time-limit: expected seconds > 0 and at most {MAX_TIME_LIMIT_S:,.0f}, got {args.time_limit:g}"
        )
    if args.workers is not None and args.workers < 1:
        problems.append(f"--workers: expected at least 1, got {args.workers}")
    if args.serial and args.scheduler:
        problems.append("--serial and --scheduler: choose one engine")
    if args.grid is not None and args.knobs is not None:
        problems.append("--knobs goes with --samples, not with --grid")
    if args.out.suffix.lower() not in (".parquet", ".csv", ".xlsx"):
        problems.append(f"--out {args.out}: expected a .parquet, .csv or .xlsx file name")
    else:
        problem = out_problem(args.out, getattr(args, "mkdir", False))
        if problem:
            problems.append(problem)
    return problems


def run_sweep_command(args: argparse.Namespace) -> int:
    """Build the sweep, run it with a progress bar, print the summary and write the tables."""
    from planner.dataset.io import read_dataset
    from planner.rules.scenario import make_scenario
    from planner.sweep.checking import refused_values
    from planner.sweep.execution import run_sweep
    from planner.sweep.results import summarize
    from planner.sweep.sampling import (
        DEFAULT_SITE_CLOSURE,
        DEFAULT_STATION_OUTAGE,
        base_knobs,
        default_distributions,
        load_grid,
        load_monte_carlo,
        monte_carlo_sweep,
    )
    from planner.sweep.saving import save_sweep
    from planner.sweep.vocabulary import SweepError

    problems = _check_arguments(args)
    if problems:
        for problem in problems:
            print(f"epiplan: {problem}")
        return EXIT_BAD_INPUT
    rules = rules_from_argument(args.rules)
    dataset = read_dataset(args.data)
    level = make_scenario(level=args.level)
    base = base_knobs(level)
    if args.grid is not None:
        plan = load_grid(args.grid, base, dataset)
        refused = refused_values(plan, rules, dataset)
        if refused:  # a value no scenario can take: refused before the sweep runs, not a failed row each
            raise SweepError([f"grid file {args.grid}: {problem}" for problem in refused])
    elif args.knobs is not None:
        plan = load_monte_carlo(args.knobs, dataset, args.samples, args.seed, base)
    else:
        plan = monte_carlo_sweep(
            dataset,
            default_distributions(level),
            args.samples,
            args.seed,
            site_closure=DEFAULT_SITE_CLOSURE,
            station_outage=DEFAULT_STATION_OUTAGE,
            base=base,
        )
    engine = "in this process" if args.serial else f"on {args.scheduler or 'a local Dask cluster'}"
    print(f"Sweep of {len(plan)} scenario(s) of {dataset.name!r} ({plan.generator}) {engine}.", file=sys.stderr)
    start = time.perf_counter()
    result = run_sweep(
        dataset,
        rules,
        plan,
        engine="serial" if args.serial else "dask",
        scheduler=args.scheduler,
        workers=args.workers,
        time_limit_s=args.time_limit,
        progress=ProgressBar(len(plan)),
    )
    wall = time.perf_counter() - start
    summary = summarize(result, stress_points=max(args.top, 0))
    written = save_sweep(result, args.out, summary)
    print(summary_text(result, summary, _names(dataset), wall, args.top))
    print("\nWrote " + ", ".join(str(path) for path in dict.fromkeys(written)))
    return EXIT_OK


def _names(dataset: Any) -> dict[str, str]:
    from planner.dataset.names import names

    return names(dataset, "en")


def _number(value: float) -> str:
    """Whole above 100 (``21,708``), else four significant digits (``0.0142``, ``15.6``)."""
    if pd.isna(value):
        return ""
    number = float(value)
    if abs(number) >= 100 or number.is_integer():
        return f"{number:,.0f}"
    return f"{number:.4g}"


def summary_text(result: Any, summary: Any, names: Mapping[str, str], wall_s: float, top: int = DEFAULT_TOP) -> str:
    """The summary a coordinator reads: statuses, KPI percentiles, stress points, marginal values."""
    counts = summary.status_counts
    lines = [
        f"{len(result.scenarios)} scenario(s) in {wall_s:.1f} s: {counts['ok']} ok, {counts['time_limit']} stopped "
        f"at the time limit, {counts['error']} failed.",
    ]
    failed = result.scenarios[result.scenarios["status"] == "error"]
    for row in failed.head(top).itertuples():
        lines.append(f"  scenario {row.scenario}: {row.message}")
    kpis = summary.kpis[summary.kpis["scenarios"] > 0]
    varying = kpis[kpis["worst"] != kpis["best"]]
    if not varying.empty:
        rows = [
            (r.kpi, r.better, _number(r.p50), _number(r.p90), _number(r.p95), _number(r.worst))
            for r in varying.itertuples()
        ]
        lines += ["", "KPIs that vary (P90: at least this good in 90 % of scenarios):"]
        lines.append(format_table(("kpi", "better", "P50", "P90", "P95", "worst"), rows, right=(2, 3, 4, 5)))
    steady = kpis[kpis["worst"] == kpis["best"]]
    if not steady.empty:
        lines += [
            "",
            "The same in every scenario: " + ", ".join(f"{r.kpi} {_number(r.worst)}" for r in steady.itertuples()),
        ]
    lines += ["", _stress_text(summary.stress_points.head(top), names)]
    lines += ["", _marginal_text(summary.marginal_values.head(top), names)]
    return "\n".join(lines)


def _stress_text(stress: pd.DataFrame, names: Mapping[str, str]) -> str:
    if stress.empty:
        return "Stress points: none (no entity binds in any scenario)."
    rows = [
        (
            names.get(str(r["entity_id"]), str(r["entity_id"])) + (f" ({r['drug']})" if r["drug"] else ""),
            SHOWN_STRESS_KINDS.get(str(r["condition"]), str(r["condition"])),
            int(r["scenarios"]),
            f"{100 * float(r['share']):.0f} %",
        )
        for r in stress.to_dict("records")
    ]
    return "Stress points (binding most often):\n" + format_table(("where", "what", "scenarios", "share"), rows, (2, 3))


def _marginal_text(marginal: pd.DataFrame, names: Mapping[str, str]) -> str:
    if marginal.empty:
        return "Marginal values: no scarce resource in any scenario."
    rows = []
    for r in marginal.to_dict("records"):
        resource, _, drug = str(r["resource_id"]).partition(":")
        where = names.get(resource, resource) + (f" ({drug})" if drug else "")
        share = f"{100 * float(r['share_positive']):.0f} %"
        units = float(r.get("mean_units", float("nan")))
        more = "" if units != units else _number(units)
        rows.append((str(r["stage"]), where, str(r["resource_kind"]), more, _number(float(r["mean_value"])), share))
    header = ("stage", "where", "more of", "how many (mean)", "buy (mean)", "helps in")
    return "What more resources would buy, over the whole range:\n" + format_table(header, rows, right=(3, 4, 5))


SWEEP_COMMAND = register(
    Command("sweep", "solve many scenarios on Dask and summarise the risk", add_sweep_arguments, run_sweep_command)
)


if __name__ == "__main__":
    from planner.cli.main import main

    raise SystemExit(main())
