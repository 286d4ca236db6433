"""Reading the small YAML files a user hands epiplan: scenarios, rule overrides, presets, sweep grids and knobs.

One reader for all of them, so that each refuses the same hostile files with the same words: a missing file or
a folder, one larger than :data:`MAX_YAML_BYTES`, bytes that are not UTF-8 (the line named), text that is not
YAML (line and column), a ``!!python/...`` tag (never executed: only plain YAML is read), nesting too deep for
the parser, or anything but a mapping. Each problem is a :class:`YamlFileError` whose message names the file;
callers turn it into their own error (``OptionError``, ``RulesError``, ``SweepError``, ``ScenarioError``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from planner.errors import ProblemsError

MAX_YAML_BYTES = 1024 * 1024
"""Largest YAML file read (1 MB; a scenario or rules file is a few lines, a preset a few hundred)."""


class YamlFileError(ProblemsError):
    """A YAML file that cannot be used; ``problems`` holds one message naming the file."""


def read_yaml_mapping(
    path: str | os.PathLike[str], what: str, shown: str | None = None, key_kind: str | None = None
) -> dict[Any, Any]:
    """The mapping the YAML file ``path`` holds (``{}`` for an empty file); problems name the ``what`` file, as
    ``shown`` (default: ``path`` as given). With ``key_kind`` (``"scenario knob"``) every key must be text.

    Raises
    ------
    YamlFileError
        ``scenario file s.yaml: no such file`` and the like, see the module.
    """
    file = Path(path)
    label = f"{what} file {path if shown is None else shown}"
    try:
        if not file.exists():
            raise YamlFileError([f"{label}: no such file"])
        if not file.is_file():
            raise YamlFileError([f"{label}: not a file"])
        if file.stat().st_size > MAX_YAML_BYTES:
            raise YamlFileError([f"{label}: larger than {MAX_YAML_BYTES // 1024:,} KB (a {what} file is a few lines)"])
        data = file.read_bytes()
    except OSError as exc:
        raise YamlFileError([f"{label}: cannot be read ({exc.strerror or exc})"]) from None
    return parse_yaml_mapping(data, label, key_kind)


def parse_yaml_mapping(data: bytes | str, label: str, key_kind: str | None = None) -> dict[Any, Any]:
    """The mapping YAML ``data`` holds (``{}`` when empty); problems start with ``label`` (``scenario file s.yaml``).

    Raises
    ------
    YamlFileError
        Not UTF-8, not YAML, a tag that is not plain data, nested too deeply, not a mapping, a key that is not text
        (with ``key_kind``).
    """
    text = _decoded(data, label) if isinstance(data, bytes) else data
    try:
        raw = yaml.safe_load(text)
    except yaml.constructor.ConstructorError as exc:
        where = f" (line {exc.problem_mark.line + 1})" if exc.problem_mark else ""
        message = f"{label}: a YAML tag that is not plain data{where}: {exc.problem}; only plain values are read"
        raise YamlFileError([message]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" on line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlFileError([f"{label}: not valid YAML{where}: {problem}"]) from None
    except RecursionError:
        raise YamlFileError([f"{label}: nested too deeply"]) from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise YamlFileError([f"{label}: expected a mapping of name: value, got {type(raw).__name__}"])
    if key_kind is not None:  # ``1: 2`` is a mapping, but no knob is named 1
        named = f"a {key_kind.split()[-1]}'s name"
        unnamed = [f"{label}: {key!r}: not a {key_kind} ({named} is text)" for key in raw if not isinstance(key, str)]
        if unnamed:
            raise YamlFileError(unnamed)
    return raw


def _decoded(data: bytes, label: str) -> str:
    """``data`` as UTF-8 text (a byte-order mark dropped); a :class:`YamlFileError` naming the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlFileError([f"{label}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line})"]) from None


__all__ = ["MAX_YAML_BYTES", "YamlFileError", "parse_yaml_mapping", "read_yaml_mapping"]
