"""The ``epiplan`` command line.

Every subcommand is a :class:`Command`: a name, a one-line help, a function that
adds its arguments to an :mod:`argparse` parser, and a function that runs it
and returns the exit code. :func:`main` builds the parser from the registry, so
a new subcommand is one ``register(Command(...))`` call, here or in a module
listed in :data:`COMMAND_MODULES` (imported by :func:`main`; keep heavy imports
inside ``run`` so ``epiplan --help`` stays fast)::

    register(Command("solve", "Plan a dataset", add_solve_arguments, run_solve))

Exit codes: 0 done, 1 unexpected internal error (one line on stderr; the
traceback with ``--debug``), 2 bad input (data, rules, scenario or arguments;
the problems are printed, never a traceback), 130 interrupted (Ctrl-C), 143
terminated (SIGTERM): the run stops at once and writes nothing
(:mod:`planner.signals`).
"""

from __future__ import annotations

import argparse
import errno
import importlib
import io
import os
import sys
import traceback
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from planner import signals
from planner.cli.options import OptionError, out_problem, read_yaml_mapping
from planner.dataset.limits import PlanTooLargeError
from planner.dataset.problems import DatasetError, Problem
from planner.dataset.schema import LEVELS
from planner.rules.rules import DEFAULT_PRESET, PRESETS, Rules, RulesError, load_preset, load_rules
from planner.rules.scenario import ScenarioError

EXIT_OK = 0
EXIT_INTERNAL_ERROR = 1
EXIT_BAD_INPUT = 2
SAMPLE_SCALES: tuple[str, ...] = ("city", "province", "national")
"""The scales of ``planner.dataset.sample.SCALES`` (repeated here so ``--help`` does not import the generator)."""


@dataclass(frozen=True)
class Command:
    """One ``epiplan`` subcommand."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


_COMMANDS: dict[str, Command] = {}

COMMAND_MODULES: tuple[str, ...] = (
    "planner.cli.validate",
    "planner.cli.solve",
    "planner.cli.template",
    "planner.cli.rules",
    "planner.cli.sweep",
    "bench.cli",
)
"""Modules that register further subcommands when imported (``validate``, ``solve``, ``template``, ``rules``,
``sweep``, ``bench``)."""


def register(command: Command) -> Command:
    """Add (or replace) a subcommand; returns it so the call can be an assignment."""
    _COMMANDS[command.name] = command
    return command


def commands() -> list[Command]:
    """The registered subcommands, in registration order (importing :data:`COMMAND_MODULES` first).

    A module whose dependencies are not installed is skipped with one line on stderr, so the
    other commands keep working.
    """
    for module in COMMAND_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            print(f"epiplan: the commands of {module} are unavailable ({exc})", file=sys.stderr)
    return list(_COMMANDS.values())


# --------------------------------------------------------------------------- plain-text tables


def display_width(text: str) -> int:
    """Columns a terminal uses for ``text`` (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def format_table(headers: Sequence[str], rows: Iterable[Sequence[object]], right: Sequence[int] = ()) -> str:
    """A plain-text table with a header rule; columns listed in ``right`` are right-aligned."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        padded = []
        for i, value in enumerate(row):
            pad = " " * (widths[i] - display_width(value))
            padded.append(pad + value if i in right else value + pad)
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(value)


def format_problems(problems: Sequence[Problem]) -> str:
    """Errors, then warnings, each as a ``file | row | column | problem`` table."""
    parts = []
    for severity, title in (("error", "Errors"), ("warning", "Warnings")):
        chosen = [p for p in problems if p.severity == severity]
        if chosen:
            rows = [(p.file, "" if p.row is None else str(p.row), p.column or "", p.message) for p in chosen]
            parts.append(f"{title} ({len(chosen)}):\n" + format_table(("file", "row", "column", "problem"), rows))
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- shared argument helpers


def rules_from_argument(value: str) -> Rules:
    """Rules from ``--rules``: a preset name, a preset YAML file, or a YAML of ``field: value`` overrides.

    An overrides file applies to its ``preset:`` (default ``beijing-2023``). Raises :class:`RulesError`.
    """
    path = Path(value)
    if path.suffix.lower() not in (".yaml", ".yml"):
        return load_preset(value)
    try:  # missing, too large, not UTF-8, not YAML, a tag, nested too deeply, not a mapping: one reader for all
        raw = read_yaml_mapping(path, "rules")
    except OptionError as exc:
        raise RulesError(exc.problems) from None
    entries = raw.get("rules", raw)
    if isinstance(entries, dict) and entries and all(isinstance(v, dict) and "value" in v for v in entries.values()):
        return load_preset(path)
    if not isinstance(entries, dict):
        raise RulesError([f"rules file {value}: expected a mapping of rule: value"])
    overrides = {k: v for k, v in entries.items() if k != "preset"}
    try:
        return load_rules(str(raw.get("preset", DEFAULT_PRESET)), overrides=overrides)
    except RulesError as exc:
        raise RulesError([f"rules file {value}: {problem}" for problem in exc.problems]) from None


def add_lang_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--lang en|zh`` (the language of ``what``)."""
    parser.add_argument("--lang", choices=("en", "zh"), default="en", help=f"language of {what}")


def add_mkdir_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--mkdir``: create the ``--out`` folder when it is missing (else a missing folder is an error)."""
    parser.add_argument("--mkdir", action="store_true", help="create the folder of --out when it does not exist")


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` with each option's default, where it has a meaningful one (not for flags or unset options)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default in (None, False, [], argparse.SUPPRESS) or "%(default)" in text or not action.option_strings:
            return text
        return super()._get_help_string(action) or text


def add_rules_arguments(parser: argparse.ArgumentParser, level_default: str | None = "prevalent") -> None:
    """Add ``--level`` and ``--rules`` to ``parser`` (every command that plans or checks takes them);
    ``level_default`` None leaves the level to a scenario file (else prevalent)."""
    level_help = "epidemic response level"
    if level_default is None:
        level_help += " (default: the --scenario file's level, else prevalent)"
    parser.add_argument("--level", choices=LEVELS, default=level_default, help=level_help)
    parser.add_argument(
        "--rules",
        default=DEFAULT_PRESET,
        metavar="PRESET_OR_YAML",
        help=f"rules preset ({', '.join(PRESETS)}) or a YAML file (a full preset, or rule: value overrides)",
    )


# --------------------------------------------------------------------------- sample


def _add_sample_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", choices=SAMPLE_SCALES, default="city", help="size of the synthetic dataset")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same data)")
    parser.add_argument("--out", required=True, type=Path, help="folder to write <table>.csv files into")
    add_mkdir_argument(parser)


def run_sample(args: argparse.Namespace) -> int:
    """Write a synthetic dataset and print its rows per table."""
    from planner.dataset.sample import write_sample  # imported here: only this command needs the generator

    problem = out_problem(args.out, args.mkdir, folder=True)
    if args.seed < 0:  # before any folder is made
        problem = f"--seed: expected a whole number >= 0, got {args.seed}"
    if problem:
        print(f"epiplan: {problem}")
        return EXIT_BAD_INPUT
    rows = write_sample(args.scale, args.seed, args.out)
    print(f"Wrote the synthetic {args.scale} dataset (seed {args.seed}) to {args.out}:")
    print(format_table(("table", "rows"), list(rows.items()), right=(1,)))
    return EXIT_OK


register(Command("sample", "write a synthetic dataset (city, province or national)", _add_sample_arguments, run_sample))


# --------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    """The ``epiplan`` parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="epiplan",
        description="Plan reserve nurses, observation rooms, 120 ambulances and drug stocks for a district.",
        formatter_class=DefaultsHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in commands():
        sub = subparsers.add_parser(
            command.name, help=command.help, description=command.help, formatter_class=DefaultsHelpFormatter
        )
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def _report_bad_input(messages: Iterable[str]) -> None:
    for message in messages:
        print(f"epiplan: {message}")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


def _dispatch(arguments: list[str]) -> int:
    """Parse ``arguments`` and run the chosen subcommand."""
    parser = build_parser()
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed by argparse
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    return int(args.run(args))


def main(argv: list[str] | None = None) -> int:
    """Run ``epiplan`` with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    from models.base import stop_searches

    arguments = sys.argv[1:] if argv is None else list(argv)
    try:
        with signals.watching(stop_searches):
            return _dispatch(arguments)
    except DatasetError as exc:
        print(format_problems(exc.problems))
        return EXIT_BAD_INPUT
    except (RulesError, ScenarioError, OptionError, PlanTooLargeError) as exc:  # too large: found while planning
        _report_bad_input(exc.problems)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as interruption:  # SIGINT, or SIGTERM (signals.Terminated)
        signals.quiet_cleanup()
        print(f"epiplan: {signals.describe(interruption)}", file=sys.stderr)
        return signals.exit_code(interruption)
    except BrokenPipeError:  # the reader went away (``epiplan validate x | head``): stop quietly
        _silence_stdout()
        return 141
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG:  # a real input/output failure: below
            return _internal_error(exc, arguments)
        _report_bad_input([f"{exc.filename}: a file or folder name longer than the system allows (255 bytes)"])
        return EXIT_BAD_INPUT
    except Exception as exc:  # the last line of defence: one line, never a traceback unless asked
        return _internal_error(exc, arguments)


def _internal_error(exc: Exception, arguments: list[str]) -> int:
    """One line on standard error (the traceback with ``--debug``); the internal error's exit code."""
    if "--debug" in arguments:
        traceback.print_exc()
    else:
        first_line = (str(exc).strip().splitlines() or [""])[0]
        print(
            f"epiplan: internal error: {type(exc).__name__}: {first_line} (run with --debug for details)",
            file=sys.stderr,
        )
    return EXIT_INTERNAL_ERROR


if __name__ == "__main__":
    # Run the registry of the importable module, not of this ``__main__`` copy, so that
    # COMMAND_MODULES which ``from planner.cli.main import register`` add to the same registry.
    from planner.cli.main import main as _main

    signals.install()
    raise SystemExit(_main())
