"""The sources register: the work plans the rules come from, and every clause a rule cites.

``data/sources.yaml`` lists each work plan (its text kept byte for byte in ``data/sources/texts/<file>``,
title as the text writes it and for display in English and Chinese, issuer, date, regime) and each clause
with a short verbatim quote in the document's own language. A rule cites clauses by id
(``"000 §4 reserve"``, ``"004 (十九) primary"``); :func:`load_register` reads the register once and answers
which document a clause belongs to, its quote and the document's title::

    register = load_register()
    register.clause("000 §4 reserve").quote     # "reserves emergency support forces such as nursing ..."
    register.title("004", "zh")                  # "北京市新型冠状病毒感染防治工作总方案"

A register that names a clause of an unknown document, or the same id twice, is refused
(:class:`RegisterError`, each message naming the file and the key).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from planner.errors import ProblemsError

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
SOURCES_FILE = DATA_DIR / "sources.yaml"
TEXTS_DIR = DATA_DIR / "sources" / "texts"
WHITESPACE = re.compile(r"\s+")


class RegisterError(ProblemsError):
    """A register that cannot be used; ``problems`` lists one located message per bad entry."""


@dataclass(frozen=True)
class Document:
    """One work plan of the register."""

    id: str
    file: str
    title: str
    """As the text writes it (a machine translation's title kept with its errors)."""
    title_en: str
    title_zh: str
    issuer: str
    date: str
    regime: str
    """``mitigation`` (2023) or ``containment`` (2020-2021)."""
    language: str

    def title_in(self, language: str) -> str:
        """The display title in ``language`` (``zh`` or anything else for English)."""
        return self.title_zh if language == "zh" else self.title_en


@dataclass(frozen=True)
class Clause:
    """One clause a rule cites: its document, its number as the document writes it, and a verbatim quote."""

    id: str
    document: str
    clause: str
    quote: str
    summary_en: str
    summary_zh: str
    heading: str = ""


@dataclass(frozen=True)
class Register:
    """Documents and clauses by id."""

    documents: Mapping[str, Document]
    clauses: Mapping[str, Clause]
    path: Path = SOURCES_FILE

    def clause(self, clause_id: str) -> Clause:
        """The clause ``clause_id``; raises ``KeyError`` naming the register when unknown."""
        if clause_id not in self.clauses:
            raise KeyError(f"{self.path.name}: no clause {clause_id!r}")
        return self.clauses[clause_id]

    def document_of(self, clause_id: str) -> Document:
        """The document clause ``clause_id`` stands in."""
        return self.documents[self.clause(clause_id).document]

    def title(self, document_id: str, language: str = "en") -> str:
        """The display title of document ``document_id`` in ``language``."""
        return self.documents[document_id].title_in(language)

    def unknown(self, clause_ids: list[str] | tuple[str, ...]) -> list[str]:
        """The ids of ``clause_ids`` that are not in the register, in order."""
        return [cid for cid in clause_ids if cid not in self.clauses]

    def text(self, document_id: str) -> str:
        """The full text of document ``document_id`` (``data/sources/texts/<file>``)."""
        return (TEXTS_DIR / self.documents[document_id].file).read_text(encoding="utf-8")

    def quote_found(self, clause_id: str) -> bool:
        """True when the clause's quote occurs in its document's text (whitespace removed on both sides)."""
        clause = self.clause(clause_id)
        return squeeze(clause.quote) in squeeze(self.text(clause.document))


def squeeze(text: str) -> str:
    """``text`` with every whitespace character removed (quotes are compared this way)."""
    return WHITESPACE.sub("", text)


def _text(entry: Mapping[str, Any], key: str) -> str:
    value = entry.get(key)
    return "" if value is None else str(value).strip()


def parse_register(raw: Any, path: Path = SOURCES_FILE) -> Register:
    """A :class:`Register` from the parsed YAML ``raw``; raises :class:`RegisterError` naming file and key."""
    where = path.name
    if not isinstance(raw, Mapping):
        raise RegisterError([f"{where}: expected a mapping with documents and clauses"])
    problems: list[str] = []
    documents: dict[str, Document] = {}
    for index, entry in enumerate(raw.get("documents") or []):
        key = f"documents[{index}]"
        if not isinstance(entry, Mapping) or not _text(entry, "id"):
            problems.append(f"{where}: {key}: expected a mapping with an id")
            continue
        doc_id = _text(entry, "id")
        if doc_id in documents:
            problems.append(f"{where}: {key}: document {doc_id!r} listed twice")
        missing = [f for f in ("file", "title", "title_en", "title_zh", "regime", "language") if not _text(entry, f)]
        if missing:
            problems.append(f"{where}: documents.{doc_id}: missing {', '.join(missing)}")
        documents[doc_id] = Document(
            id=doc_id,
            file=_text(entry, "file"),
            title=_text(entry, "title"),
            title_en=_text(entry, "title_en"),
            title_zh=_text(entry, "title_zh"),
            issuer=_text(entry, "issuer"),
            date=_text(entry, "date"),
            regime=_text(entry, "regime"),
            language=_text(entry, "language"),
        )
    clauses: dict[str, Clause] = {}
    for index, entry in enumerate(raw.get("clauses") or []):
        key = f"clauses[{index}]"
        if not isinstance(entry, Mapping) or not _text(entry, "id"):
            problems.append(f"{where}: {key}: expected a mapping with an id")
            continue
        clause_id = _text(entry, "id")
        if clause_id in clauses:
            problems.append(f"{where}: clauses.{clause_id}: listed twice")
        document = _text(entry, "document")
        if document not in documents:
            problems.append(f"{where}: clauses.{clause_id}.document: unknown document {document!r}")
        if not _text(entry, "quote"):
            problems.append(f"{where}: clauses.{clause_id}.quote: missing")
        clauses[clause_id] = Clause(
            id=clause_id,
            document=document,
            clause=_text(entry, "clause"),
            quote=WHITESPACE.sub(" ", _text(entry, "quote")),
            summary_en=_text(entry, "summary_en"),
            summary_zh=_text(entry, "summary_zh"),
            heading=_text(entry, "heading"),
        )
    if problems:
        raise RegisterError(problems)
    return Register(documents=documents, clauses=clauses, path=path)


def read_register(path: str | Path) -> Register:
    """The register in the YAML file ``path`` (not cached); raises :class:`RegisterError`."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RegisterError([f"{path.name}: not readable ({exc})"]) from None
    return parse_register(raw, path)


@cache
def load_register() -> Register:
    """The project's register, ``data/sources.yaml`` (read once)."""
    return read_register(SOURCES_FILE)


__all__ = [
    "Clause",
    "Document",
    "Register",
    "RegisterError",
    "load_register",
    "parse_register",
    "read_register",
    "squeeze",
]
