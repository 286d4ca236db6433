"""``epiplan bench``: benchmark epiplan against the hand method and a MIP (CBC, HiGHS) at one scale or all three.

Registered with the ``epiplan`` command when ``planner.cli.main.COMMAND_MODULES`` lists ``"bench.cli"``; also runs
on its own as ``python -m bench.cli --scale city``. Prints the result JSON (``bench.run``, schema
``epiplan.bench/1``) and, with ``--out``, writes it to a file; ``--scale all`` runs the three scales in fresh
processes, writes ``<out>/<scale>.json`` and ``<out>/scaling.json`` and prints the scaling fit.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from planner.cli.main import EXIT_BAD_INPUT, EXIT_OK, Command, register

SCALE_CHOICES: tuple[str, ...] = ("city", "province", "national", "all")
RESULTS_DIR = Path(__file__).parent / "results"


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``bench`` options."""
    parser.add_argument("--scale", choices=SCALE_CHOICES, default="city", help="instance size (all: the three)")
    parser.add_argument("--repeat", type=int, default=1, metavar="N", help="runs of epiplan and the hand method")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the JSON here (--scale all: a folder, default bench/results)",
    )
    parser.add_argument(
        "--baselines",
        default="hand,mip,highs",
        metavar="LIST",
        help="comma-separated: hand, mip (PuLP/CBC), highs (the same MIP by HiGHS) (or none)",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic instance")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=10.0,
        metavar="S",
        help="epiplan's time limit per stage, seconds (make_plan's default)",
    )
    parser.add_argument(
        "--mip-time-limit",
        type=float,
        default=300.0,
        metavar="S",
        help="the MIP baselines' time limit per phase (CBC, HiGHS), seconds",
    )
    parser.add_argument(
        "--mip-memory-gb",
        type=float,
        default=8.0,
        metavar="GB",
        help="memory a child process of the HiGHS baseline may hold alone before it is stopped (its stage unfinished)",
    )
    parser.add_argument(
        "--force-mip",
        action="store_true",
        help="run the MIP baselines where they are skipped by default (national)",
    )
    parser.add_argument("--profile", action="store_true", help="add a cProfile of one epiplan run")
    parser.add_argument(
        "--summary-only",
        action="store_true",
        help="with --scale all: only re-fit scaling.json from the <scale>.json files already in the folder",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing (only write --out)")


def parse_baselines(text: str) -> tuple[str, ...]:
    """``"hand,mip"`` -> ``("hand", "mip")``; ``"none"`` or ``""`` -> ``()``."""
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    return () if names in ((), ("none",)) else names


def run_bench_command(args: argparse.Namespace) -> int:
    """Run the benchmark the arguments ask for; exit 2 on a bad option."""
    from bench.run import BenchOptions, run_bench
    from bench.scaling import run_scaling, write_scaling

    try:
        options = BenchOptions(
            scale="city" if args.scale == "all" else args.scale,
            seed=args.seed,
            repeat=args.repeat,
            baselines=parse_baselines(args.baselines),
            time_limit_s=args.time_limit,
            mip_time_limit_s=args.mip_time_limit,
            mip_memory_gb=args.mip_memory_gb,
            force_mip=args.force_mip,
            profile=args.profile,
        )
    except ValueError as error:
        print(f"epiplan bench: {error}")
        return EXIT_BAD_INPUT

    def log(message: str) -> None:
        if not args.quiet:
            print(f"[bench] {message}", file=sys.stderr, flush=True)

    if args.scale == "all" and args.summary_only:
        result = write_scaling(args.out or RESULTS_DIR)
    elif args.scale == "all":
        result = run_scaling(("city", "province", "national"), options, args.out or RESULTS_DIR, log)
    else:
        result = run_bench(options, log=log)
        if args.out is not None:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if not args.quiet:
        print(json.dumps(result, indent=2))
    return EXIT_OK


BENCH_COMMAND = register(
    Command(
        "bench",
        "benchmark against the hand method and a MIP by PuLP/CBC and HiGHS (city, province, national)",
        add_bench_arguments,
        run_bench_command,
    )
)


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.cli [options]``: the ``bench`` command on its own."""
    parser = argparse.ArgumentParser(prog="epiplan bench", description=BENCH_COMMAND.help)
    add_bench_arguments(parser)
    args = parser.parse_args(argv)
    if args.scale != "all":  # as epiplan solve: the observation stage's parts in the zygote's workers, first
        from planner import fresh
        from planner.cli.entry import yield_to_parts

        yield_to_parts(fresh.start_zygote)
    return run_bench_command(args)


if __name__ == "__main__":
    raise SystemExit(main())
