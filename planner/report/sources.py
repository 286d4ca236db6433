"""Source clauses as a reader can trace them: the work plan's title beside the clause id.

A rule's source is a clause id of the sources register (``data/sources.yaml``: ``<doc> <clause>[ <tag>]``, e.g.
``000 §4 reserve``) or a free text that starts with the document's number. :func:`source_label` writes it with
the document's title in the reader's language::

    000 §4 reserve — Beijing work plan for COVID-19 prevention and control in old-age care institutions
    《北京市养老机构新冠病毒感染疫情防控工作方案》§4

The register's documents (``id``, ``title_en``, ``title_zh``) and clauses (``id``, ``document``, ``clause``) are
read when the file is there; without it (or for a document it does not list) the clause id is shown as it is
written, so every source stays traceable by its number.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REGISTER = Path(__file__).resolve().parents[2] / "data" / "sources.yaml"
"""The sources register (documents and clauses)."""
SOURCE_SEPARATOR = "; "
"""Between several clauses in one source text."""
_DOCUMENT = re.compile(r"^(?P<doc>\d{3})\s*(?P<rest>.*)$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def register() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """``(documents by id, clauses by id)`` of the register at :data:`REGISTER`; empty when it is missing."""
    return _read_register(REGISTER)


@cache
def _read_register(path: Path) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}, {}
    documents = {str(d.get("id")): d for d in raw.get("documents") or [] if isinstance(d, dict)}
    clauses = {str(c.get("id")): c for c in raw.get("clauses") or [] if isinstance(c, dict)}
    return documents, clauses


def document_title(doc: str, language: str) -> str:
    """The title of work plan ``doc`` (``000``) in ``language``; ``""`` when the register does not give it."""
    documents, _clauses = register()
    document = documents.get(doc) or {}
    key = "title_zh" if language == "zh" else "title_en"
    return str(document.get(key) or document.get("title") or "")


def _clause_number(rest: str) -> str:
    """The clause's number without the English tag: ``§4 reserve`` -> ``§4``; Chinese notes in brackets kept."""
    if not rest:
        return ""
    first, _, tail = rest.partition(" ")
    notes = [part for part in re.findall(r"[（(][^）)]*[）)]", tail) if _CJK.search(part)]
    return " ".join([first, *notes])


def clause_label(clause: str, language: str) -> str:
    """One clause with its document's title (see the module docstring)."""
    text = clause.strip()
    if text.startswith(ASSUMPTION_PREFIX):
        return "假设（无条款依据，可自行设定）" if language == "zh" else "assumption (no clause gives it: set your own)"
    match = _DOCUMENT.match(text)
    if match is None:
        return text
    doc, rest = match["doc"], match["rest"]
    _documents, clauses = register()
    entry = clauses.get(text)
    title = document_title(doc, language)
    if language == "zh":
        number = str(entry.get("clause")) if entry and entry.get("clause") else _clause_number(rest)
        return f"《{title}》{number}" if title else f"文件 {doc} {number}".strip()
    return f"{text} — {title}" if title else text


def source_label(source: str, language: str) -> str:
    """A source text (one clause or several joined by ``; ``) with document titles, in ``language``."""
    if not source:
        return ""
    parts = [p for p in str(source).split(SOURCE_SEPARATOR) if p.strip()]
    joiner = "；" if language == "zh" else SOURCE_SEPARATOR
    return joiner.join(clause_label(part, language) for part in parts)


ASSUMPTION_PREFIX = "assumption: "
"""How :meth:`planner.rules.rules.Rules.sources` names a rule no clause gives."""


def short_source(source: str, language: str = "en") -> str:
    """Clause ids as document numbers and clause numbers only, each once: ``000 §4; 004 (十二)`` (where the titles
    are listed elsewhere, as on the one-page summary). An assumption reads as one in ``language``."""
    parts = []
    for part in (p.strip() for p in str(source).split(SOURCE_SEPARATOR) if p.strip()):
        match = _DOCUMENT.match(part)
        if part.startswith(ASSUMPTION_PREFIX):
            parts.append("假设" if language == "zh" else "assumption")
        else:
            parts.append(f"{match['doc']} {_clause_number(match['rest'])}".strip() if match else part)
    return SOURCE_SEPARATOR.join(dict.fromkeys(parts))


__all__ = ["REGISTER", "clause_label", "document_title", "register", "short_source", "source_label"]
