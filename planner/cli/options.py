"""Checking the command line's own inputs: option values, YAML files, output paths.

Every bad value is a user error (exit 2) with one line naming the option or file and what is wrong:
``--time-limit 0`` (a time limit is a number of seconds > 0), a scenario file that is missing, not UTF-8,
not YAML, YAML with a ``!!python/...`` tag (never executed: only plain YAML is read), or not a mapping
(:mod:`planner.yaml_files`); an ``--out`` that is a folder, inside a file, in a folder no file can be created in,
or that would overwrite an input (the dataset, the scenario or rules file) or another output.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from planner import yaml_files
from planner.errors import ProblemsError

MAX_TIME_LIMIT_S = 86_400.0
"""Largest ``--time-limit`` (seconds per stage): one day."""
OUTPUT_SUFFIXES: tuple[str, ...] = (".json", ".xlsx", ".zip", ".pdf")


class OptionError(ProblemsError):
    """A command-line input that cannot be used; ``problems`` lists one message each."""


def seconds(text: str) -> float:
    """``argparse`` type of a time limit: a finite number of seconds > 0 and at most a day."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0 or value > MAX_TIME_LIMIT_S:
        raise argparse.ArgumentTypeError(f"expected seconds > 0 and at most {MAX_TIME_LIMIT_S:,.0f}, got {text!r}")
    return value


def stage_seconds(text: str) -> tuple[str, float]:
    """``argparse`` type of one stage's time limit, ``STAGE=S``: a stage's name and seconds as :func:`seconds`."""
    from planner.stages.registry import STAGE_NAMES

    stage, equals, value = text.partition("=")
    if not equals or stage.strip() not in STAGE_NAMES:
        raise argparse.ArgumentTypeError(f"expected STAGE=S with STAGE one of {', '.join(STAGE_NAMES)}, got {text!r}")
    return stage.strip(), seconds(value.strip())


def positive_count(text: str) -> int:
    """``argparse`` type of a count that must be a whole number > 0 (samples, workers)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number > 0, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a whole number > 0, got {text!r}")
    return value


def day_count(text: str) -> int:
    """``argparse`` type of a day or a number of days that may be 0 (``--peak-day 0``: the wave starts at its peak)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def read_yaml_mapping(path: str | os.PathLike[str], what: str, key_kind: str | None = None) -> dict[str, Any]:
    """The mapping a small YAML file holds; raises :class:`OptionError` naming ``what`` file and the cause
    (:func:`planner.yaml_files.read_yaml_mapping`: only plain YAML is read, a ``!!python/...`` tag is refused)."""
    try:
        return yaml_files.read_yaml_mapping(path, what, key_kind=key_kind)
    except yaml_files.YamlFileError as exc:
        raise OptionError(exc.problems) from None


def out_problem(path: str | Path, mkdir: bool, folder: bool = False) -> str | None:
    """Why ``--out path`` cannot be written, or None: its folder is missing (unless ``mkdir``), or something in
    the way is a file. ``folder``: ``path`` is a folder the command writes into (it may be new; its parent not)."""
    target = Path(path)
    if folder and target.exists() and not target.is_dir():
        return f"--out {path}: {target} is a file, not a folder"
    if not folder and target.is_dir():
        return f"--out {path}: is a folder, expected a file name"
    container = target.parent
    existing = container
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"--out {path}: {existing} is not a folder"
    if not container.exists() and not mkdir:
        return f"--out {path}: the folder {container} does not exist (add --mkdir to create it)"
    writes_into = target if folder and target.is_dir() else existing
    if not can_create_in(writes_into):
        return f"--out {path}: cannot write into {writes_into}"
    return None


def bad_outputs(
    paths: list[str], mkdir: bool = False, data: str | None = None, inputs: Mapping[str, str | None] | None = None
) -> list[str]:
    """Messages for ``--out`` paths that cannot be written (checked before anything is solved).

    A wrong suffix, a folder, a file in the way, a missing folder (unless ``mkdir``), the dataset itself, a
    folder this user cannot write into; an output or a workbook's details zip that would overwrite one of
    ``inputs`` (option -> file, ``--scenario``, ``--rules``) or the dataset, or another output.
    """
    problems = colliding_outputs(paths, {"--data": data, **(inputs or {})})
    for raw in paths:
        path = Path(raw)
        if path.suffix.lower() not in OUTPUT_SUFFIXES:
            problems.append(f"--out {raw}: expected a file ending in {', '.join(OUTPUT_SUFFIXES)}")
            continue
        problem = out_problem(path, mkdir)
        if problem is not None:
            problems.append(problem)
    return problems


def can_create_in(folder: Path) -> bool:
    """Whether a file can be created in ``folder``: tried with an empty file, removed at once.

    Permission bits do not say it for root, nor for a read-only mount or a system folder such as ``/proc``;
    a plan that cannot be written is found out before it is solved, not after.
    """
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    try:
        handle, name = tempfile.mkstemp(prefix=".epiplan-probe-", dir=folder)
    except OSError:
        return False
    os.close(handle)
    with contextlib.suppress(OSError):
        os.unlink(name)
    return True


def colliding_outputs(paths: list[str], inputs: Mapping[str, str | None]) -> list[str]:
    """Messages for outputs that would overwrite an input file or each other.

    Each ``--out`` file, and the ``<stem>.details.zip`` a workbook writes beside it, is compared by its resolved
    path with every input (option -> path; None for an option not given) and with the files written before it.
    Naming the same file twice the same way is not a collision (it is written once).
    """
    from planner.outputs.by_district import details_path_name

    taken = {Path(path).resolve(): f"the {option} input" for option, path in inputs.items() if path}
    problems = []
    for raw in dict.fromkeys(paths):
        path = Path(raw)
        written = [(path, f"--out {raw}")]
        if path.suffix.lower() == ".xlsx":
            written.append((path.with_name(details_path_name(path.name)), f"the details zip of --out {raw}"))
        for target, label in written:
            other = taken.get(target.resolve())
            if other is not None:
                problems.append(f"{label}: {target} is {other}; choose another file name")
            taken.setdefault(target.resolve(), label)
    return problems


__all__ = [
    "MAX_TIME_LIMIT_S",
    "OUTPUT_SUFFIXES",
    "OptionError",
    "bad_outputs",
    "can_create_in",
    "colliding_outputs",
    "day_count",
    "out_problem",
    "positive_count",
    "read_yaml_mapping",
    "seconds",
]
