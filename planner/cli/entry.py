"""The ``epiplan`` console script: signal handling from the first instant, then the command line.

The handlers are installed before the command line's (heavy) modules are imported, so a Ctrl-C or a
SIGTERM while Python is still starting is an exit code and one line, never a traceback.
"""

from __future__ import annotations

import sys

from planner import memory, signals

ZYGOTE_MODULES = ("models.observation.parts",)
"""What the zygote of ``epiplan solve`` imports before it is forked (``planner.fresh``): the observation stage's
parts fork from it."""


def _command(arguments: list[str]) -> str | None:
    """The command of the command line: its first word that is not an option."""
    return next((word for word in arguments if not word.startswith("-")), None)


def main() -> int:
    """Run ``epiplan`` with ``sys.argv`` and return the exit code."""
    signals.install()
    memory.one_malloc_arena()  # before any thread allocates: the stages solved side by side share it
    try:
        with signals.kept_from_callbacks():  # a signal while importing, even inside a module lock's callback
            from planner import fresh
            from planner.cli.main import main as run

        if _command(sys.argv[1:]) == "solve":  # while the process is small, before it reads any data
            fresh.start_zygote(preload=ZYGOTE_MODULES)
        code = run()
    except KeyboardInterrupt as interruption:  # while importing, before the command line took over
        signals.quiet_cleanup()
        print(f"epiplan: {signals.describe(interruption)}", file=sys.stderr)
        code = signals.exit_code(interruption)
    signals.ignore()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
