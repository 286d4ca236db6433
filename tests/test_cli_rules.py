"""`epiplan rules`: every rule with its value, unit, kind and clauses (document, clause id, verbatim quote)."""

from __future__ import annotations

import json

import pytest

from planner.cli.main import main
from planner.rules.rules import PRESETS, RULE_FIELDS
from planner.rules.sources import load_register


@pytest.mark.parametrize("preset", PRESETS)
def test_json_lists_every_rule_with_kind_and_quoted_clauses(preset: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--preset", preset, "--format", "json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [entry["name"] for entry in listing] == list(RULE_FIELDS)
    register = load_register()
    for entry in listing:
        assert set(entry) == {"name", "value", "unit", "kind", "clauses"}
        assert entry["kind"] in ("quoted", "interpreted", "assumption")
        if entry["kind"] != "assumption":
            assert entry["clauses"], entry["name"]
        for clause in entry["clauses"]:
            assert clause["document"] == clause["clause"][:3]
            assert clause["quote"] == register.clause(clause["clause"]).quote and clause["quote"]


def test_table_names_the_preset_and_counts_the_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Rules of beijing-2023: {len(RULE_FIELDS)} rules")
    assert "nursing_reserve_per_resident" in out and "000 §4 reserve" in out


def test_an_unknown_preset_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--preset", "nowhere-2020"]) == 2
    captured = capsys.readouterr()
    assert "no such preset" in captured.out + captured.err
