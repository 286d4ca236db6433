"""``epiplan rules``: list a preset's rules with their kind and the clauses they rest on.

Table (default): one block per rule (name, value, unit, kind, then one line per cited clause with its quote;
long cells wrap, Chinese characters counted double), then the documents cited, with their titles in English and
Chinese. JSON (``--format json``): a list of ``{name, value, unit, kind, clauses: [{document, clause, quote}]}``
(``document`` the register's document id, ``clause`` the clause id, ``quote`` its verbatim quote). Exit 2 on an
unknown preset or a bad preset file.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from planner.cli.main import EXIT_OK, Command, display_width, format_table, register
from planner.rules.rules import DEFAULT_PRESET, PRESETS, load_preset, plain_value
from planner.rules.sources import load_register

FORMATS: tuple[str, ...] = ("table", "json")
WIDTHS: dict[str, int] = {"value": 26, "unit": 44, "clause": 24, "quote": 56}
"""Column widths the table wraps its cells at (display columns)."""


def add_rules_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``epiplan rules``."""
    parser.add_argument(
        "--preset",
        default=DEFAULT_PRESET,
        metavar="NAME_OR_YAML",
        help=f"rules preset ({', '.join(PRESETS)}) or a preset YAML file (default: {DEFAULT_PRESET})",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="table", help="table for reading, json for programs (default: table)"
    )


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` display columns, broken at spaces where it can (CJK-aware)."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if display_width(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for char in word:  # a word (or Chinese text without spaces) longer than the width breaks anywhere
            if display_width(current + char) > width:
                lines.append(current)
                current = ""
            current += char
    lines.append(current)
    return lines or [""]


def value_text(value: Any) -> str:
    """A rule value as the table shows it."""
    value = plain_value(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {value_text(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _block(entry: dict[str, Any]) -> list[list[str]]:
    """The table lines of one rule: its cells wrapped, one clause after the other."""
    clauses = entry["clauses"] or [{"clause": "—", "quote": ""}]
    columns = {
        "name": [entry["name"]],
        "value": wrap(value_text(entry["value"]), WIDTHS["value"]),
        "unit": wrap(entry["unit"], WIDTHS["unit"]),
        "kind": [entry["kind"]],
        "clause": [],
        "quote": [],
    }
    for clause in clauses:
        quote = wrap(f"“{clause['quote']}”" if clause["quote"] else "", WIDTHS["quote"])
        ids = wrap(clause["clause"], WIDTHS["clause"])
        depth = max(len(quote), len(ids))
        columns["clause"] += ids + [""] * (depth - len(ids))
        columns["quote"] += quote + [""] * (depth - len(quote))
    height = max(len(lines) for lines in columns.values())
    return [[lines[i] if i < len(lines) else "" for lines in columns.values()] for i in range(height)]


def rules_table(listing: list[dict[str, Any]], preset: str) -> str:
    """The rules as a readable table, then the documents their clauses come from."""
    rows: list[list[str]] = []
    for entry in listing:
        rows += _block(entry)
    register = load_register()
    cited = dict.fromkeys(c["document"] for entry in listing for c in entry["clauses"])
    documents = [
        (doc, register.documents[doc].date, register.title(doc, "en"), register.title(doc, "zh"))
        for doc in sorted(cited)
    ]
    kinds = {kind: sum(e["kind"] == kind for e in listing) for kind in ("quoted", "interpreted", "assumption")}
    header = f"Rules of {preset}: {len(listing)} rules, " + ", ".join(f"{n} {k}" for k, n in kinds.items())
    return "\n\n".join(
        [
            header,
            format_table(("name", "value", "unit", "kind", "clause", "quote"), rows),
            "Documents cited:\n" + format_table(("document", "date", "title", "标题"), documents),
        ]
    )


def run_rules(args: argparse.Namespace) -> int:
    """Print the preset's rules as a table or JSON."""
    rules = load_preset(args.preset)
    listing = rules.listing()
    if args.format == "json":
        print(json.dumps(listing, ensure_ascii=False, indent=2))
    else:
        print(rules_table(listing, rules.preset))
    return EXIT_OK


register(
    Command(
        "rules",
        "list a preset's rules: value, unit, kind and the clauses (with quotes) they rest on",
        add_rules_arguments,
        run_rules,
    )
)
