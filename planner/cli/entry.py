"""The ``epiplan`` console script: signal handling from the first instant, then the command line.

The handlers are installed before the command line's (heavy) modules are imported, so a Ctrl-C or a
SIGTERM while Python is still starting is an exit code and one line, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable

from planner import memory, signals

ZYGOTE_MODULES = ("models.observation.parts",)
"""What the zygote of ``epiplan solve`` and ``epiplan bench`` imports before it is forked (``planner.fresh``): the
observation stage's parts fork from it."""
PLAN_COMMANDS = ("solve", "bench")
"""The commands that solve plans, and fork the zygote first."""
NICENESS_BESIDE_PARTS = 5
"""Niceness a plan command (:data:`PLAN_COMMANDS`) takes once its zygote is forked: the zygote's workers (the
observation stage's parts, which stop at the stage's deadline) keep the default and get the cores before the stages
beside them. National sample, 10 s a stage, with the xlsx and the JSON, alternately: severe, observation 0.59 % above
its bound at niceness 5 and 10 (two runs each) against 36.6 and 62 % at 0, where the second largest part had no LP in
time and kept the held flow's plan, the whole solve 75.3-78.2 s (5), 73.7 (10) and 73.2-74.6 s (0); prevalent,
observation 4.16 % (5), 3.80-4.09 % (10), 4.29-6.34 % (0), the whole solve 51.4-52.1 s, 52.9-55.1 s and
49.0-51.3 s."""


def _command(arguments: list[str]) -> str | None:
    """The command of the command line: its first word that is not an option."""
    return next((word for word in arguments if not word.startswith("-")), None)


def yield_to_parts(start_zygote: Callable[..., bool]) -> bool:
    """Fork the zygote (``planner.fresh.start_zygote``, preloading :data:`ZYGOTE_MODULES`) and, where there is one,
    take :data:`NICENESS_BESIDE_PARTS`; whether there is one. Only while the process is small and before it reads
    any data."""
    if not start_zygote(preload=ZYGOTE_MODULES):
        return False
    with contextlib.suppress(OSError):
        os.nice(NICENESS_BESIDE_PARTS)
    return True


def prepare(arguments: list[str], start_zygote: Callable[..., bool]) -> None:
    """For the commands that solve plans (``epiplan solve``, ``epiplan bench``): :func:`yield_to_parts`."""
    if _command(arguments) in PLAN_COMMANDS:
        yield_to_parts(start_zygote)


def main() -> int:
    """Run ``epiplan`` with ``sys.argv`` and return the exit code."""
    signals.install()
    memory.one_malloc_arena()  # before any thread allocates: the stages solved side by side share it
    try:
        with signals.kept_from_callbacks():  # a signal while importing, even inside a module lock's callback
            from planner import fresh
            from planner.cli.main import main as run

        prepare(sys.argv[1:], fresh.start_zygote)
        code = run()
    except KeyboardInterrupt as interruption:  # while importing, before the command line took over
        signals.quiet_cleanup()
        print(f"epiplan: {signals.describe(interruption)}", file=sys.stderr)
        code = signals.exit_code(interruption)
    signals.ignore()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
