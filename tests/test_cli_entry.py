"""The console script's entry: which command it runs (``epiplan solve`` forks the zygote of ``planner.fresh``
first)."""

from __future__ import annotations

import pytest

from planner.cli import entry
from planner.cli.entry import NICENESS_BESIDE_PARTS, ZYGOTE_MODULES, _command, prepare


def test_the_command_is_the_first_word_that_is_not_an_option() -> None:
    assert _command(["--debug", "solve", "--data", "x"]) == "solve"
    assert _command(["validate", "--data", "solve"]) == "validate"
    assert _command(["--help"]) is None and _command([]) is None


def test_the_zygote_preloads_modules_that_exist() -> None:
    import importlib

    assert all(importlib.import_module(name) for name in ZYGOTE_MODULES)


@pytest.mark.parametrize(
    ("arguments", "forked", "nice"),
    [
        (["solve", "--data", "x"], True, [NICENESS_BESIDE_PARTS]),
        (["solve", "--data", "x"], False, []),  # no zygote (no fork): no workers to yield to
        (["bench", "--scale", "national"], True, [NICENESS_BESIDE_PARTS]),
        (["validate", "--data", "x"], True, []),
    ],
)
def test_solve_forks_the_zygote_and_then_yields_to_its_workers(
    arguments: list[str], forked: bool, nice: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[str, ...]] = []
    niced: list[int] = []

    def start_zygote(preload: tuple[str, ...]) -> bool:
        started.append(preload)
        return forked

    monkeypatch.setattr(entry.os, "nice", niced.append)
    prepare(arguments, start_zygote)
    assert started == ([ZYGOTE_MODULES] if arguments[0] in ("solve", "bench") else [])
    assert niced == nice
