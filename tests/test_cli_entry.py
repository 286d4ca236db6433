"""The console script's entry: which command it runs (``epiplan solve`` forks the zygote of ``planner.fresh``
first)."""

from __future__ import annotations

from planner.cli.entry import ZYGOTE_MODULES, _command


def test_the_command_is_the_first_word_that_is_not_an_option() -> None:
    assert _command(["--debug", "solve", "--data", "x"]) == "solve"
    assert _command(["validate", "--data", "solve"]) == "validate"
    assert _command(["--help"]) is None and _command([]) is None


def test_the_zygote_preloads_modules_that_exist() -> None:
    import importlib

    assert all(importlib.import_module(name) for name in ZYGOTE_MODULES)
