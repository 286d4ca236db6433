"""Source clauses with their document titles (``planner.report.sources``), with and without the register."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.report import sources

REGISTER = """
documents:
  - id: "000"
    title: Novel coronavirus infection prevention and control work plan
    title_en: Beijing work plan for COVID-19 prevention and control in old-age care institutions
    title_zh: 北京市养老机构新冠病毒感染疫情防控工作方案
clauses:
  - id: 000 §4 reserve
    document: "000"
    clause: §4
"""


@pytest.fixture
def with_register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(REGISTER, encoding="utf-8")
    monkeypatch.setattr(sources, "REGISTER", path)


@pytest.mark.usefixtures("with_register")
def test_a_clause_of_the_register_shows_its_documents_title() -> None:
    assert sources.source_label("000 §4 reserve", "zh") == "《北京市养老机构新冠病毒感染疫情防控工作方案》§4"
    assert sources.source_label("000 §4 reserve", "en") == (
        "000 §4 reserve — Beijing work plan for COVID-19 prevention and control in old-age care institutions"
    )


@pytest.mark.usefixtures("with_register")
def test_a_clause_not_in_the_register_keeps_its_number_and_chinese_notes() -> None:
    label = sources.source_label("000 §5 streets handshake; 004 (十九) (人口稠密地区酌情增加)", "zh")
    assert label == "《北京市养老机构新冠病毒感染疫情防控工作方案》§5；文件 004 (十九) (人口稠密地区酌情增加)"


def test_without_a_register_the_clause_id_stays_traceable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "REGISTER", tmp_path / "missing.yaml")
    assert sources.source_label("000 §4 reserve", "en") == "000 §4 reserve"
    assert sources.source_label("000 §4 reserve", "zh") == "文件 000 §4"
    assert sources.source_label("", "zh") == ""


def test_short_sources_keep_document_and_clause_numbers_only() -> None:
    from planner.report.sources import short_source

    assert short_source("000 §4 reserve; 004 (十二) support teams; 000 §4 1:1") == "000 §4; 004 (十二)"
    assert short_source("assumption: persons_per_room") == "assumption"
    assert short_source("000 §4 reserve; assumption: persons_per_room", "zh") == "000 §4; 假设"


def test_an_assumption_reads_as_one_in_either_language() -> None:
    from planner.report.sources import source_label

    assert source_label("assumption: persons_per_room", "zh") == "假设（无条款依据，可自行设定）"
    assert source_label("assumption: persons_per_room", "en") == "assumption (no clause gives it: set your own)"
