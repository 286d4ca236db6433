"""The ``epiplan`` console script: signal handling from the first instant, then the command line.

The handlers are installed before the command line's (heavy) modules are imported, so a Ctrl-C or a
SIGTERM while Python is still starting is an exit code and one line, never a traceback.
"""

from __future__ import annotations

import sys

from planner import memory, signals


def main() -> int:
    """Run ``epiplan`` with ``sys.argv`` and return the exit code."""
    signals.install()
    memory.one_malloc_arena()  # before any thread allocates: the stages solved side by side share it
    try:
        from planner.cli.main import main as run

        code = run()
    except KeyboardInterrupt as interruption:  # while importing, before the command line took over
        signals.quiet_cleanup()
        print(f"epiplan: {signals.describe(interruption)}", file=sys.stderr)
        code = signals.exit_code(interruption)
    signals.ignore()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
