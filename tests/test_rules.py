"""Rules presets: every field has a value, unit and source; overrides and messages a coordinator understands."""

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.rules.rules import PRESETS, RULE_FIELDS, Rules, RulesError, load_preset, load_rules


@pytest.mark.parametrize("preset", PRESETS)
def test_every_rule_of_each_preset_has_unit_kind_clauses_and_labels(preset: str) -> None:
    rules = load_preset(preset)
    assert set(rules.info) == set(RULE_FIELDS)
    for field in RULE_FIELDS:
        info = rules.info[field]
        assert info.unit and info.label and info.label_zh, field
        assert info.kind in ("quoted", "interpreted", "assumption"), field
        if info.kind != "assumption":
            assert info.clauses, f"{field}: a quoted or interpreted rule cites its clauses"
        else:
            assert info.note, f"{field}: an assumption says why in its note"


def test_beijing_preset_carries_the_work_plan_ratios_and_clauses() -> None:
    rules = load_preset("beijing-2023")
    assert rules.nursing_reserve_per_resident == 0.10
    assert rules.source("nursing_reserve_per_resident") == "000 §4 reserve; 004 (十二) support teams"
    assert rules.kind("nursing_reserve_per_resident") == "quoted"
    assert rules.nurses_per_transferred_disabled == 1.0
    assert rules.drug_reserve_per_resident == 0.20
    assert (rules.drug_reserve_per_served, rules.drug_reserve_per_served_dense) == (0.15, 0.20)
    assert rules.source("drug_reserve_per_served") == "004 (十九) primary"
    assert rules.hospital_drug_days == 90
    assert rules.hospital_drugs == ("tcm", "antiviral", "antipyretic", "cough"), "no antigen kits (004 (十九))"
    assert rules.icu_share_min == 0.10 and rules.source("icu_share_min") == "001 (xvi) ICU; 004 (十五) ICU"
    assert rules.transfer_minutes_max == 120
    assert rules.sites_per_street_min == 0, "the street isolation point of 003 is not carried over to 2023"
    assert rules.site_stock_days_min == 30 and rules.kind("site_stock_days_min") == "interpreted"
    assert rules.persons_per_room == 1 and rules.kind("persons_per_room") == "assumption"
    assert rules.barrier_free_for_disabled is True
    assert rules.source("barrier_free_for_disabled") == "004 (十二) observation"
    assert rules.tests_per_week_staff == {"open": 2, "closed": 7}
    assert rules.care_home_drugs == ("antipyretic", "cough"), "000 §5 lists no antigen kits"
    assert rules.contacts_isolated is False


def test_the_two_presets_differ_where_the_work_plans_do() -> None:
    containment, mitigation = load_preset("containment-2021"), load_preset("beijing-2023")
    assert containment.contacts_isolated and containment.contact_central_isolation_days == 14
    assert containment.contact_home_health_days == 7 and containment.inbound_isolation_days == 14
    assert containment.observation_stay_days == 14
    differing = [f for f in RULE_FIELDS if getattr(containment, f) != getattr(mitigation, f)]
    assert len(differing) >= 5, differing


def test_override_with_a_bad_share_names_the_field_and_the_value() -> None:
    with pytest.raises(RulesError) as err:
        load_rules(overrides={"nursing_reserve_per_resident": 1.5})
    assert err.value.problems == ["nursing_reserve_per_resident: expected a share in [0, 1], got 1.5"]


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(RulesError) as err:
        load_rules(overrides={"icu_share_min": -0.1, "transfer_minutes_max": 0, "care_home_drugs": ["aspirin"]})
    assert sorted(err.value.problems) == [
        "care_home_drugs: expected drug classes from ['antipyretic', 'cough', 'antiviral', 'tcm', 'antigen_kit'], "
        "got ['aspirin']",
        "icu_share_min: expected a share in [0, 1], got -0.1",
        "transfer_minutes_max: expected a number > 0, got 0",
    ]


def test_unknown_rule_is_refused() -> None:
    with pytest.raises(RulesError, match="bogus: not a rule"):
        load_rules(overrides={"bogus": 1})


def test_overrides_from_yaml_keep_the_other_rules(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({"rules": {"transfer_minutes_max": 90}}), encoding="utf-8")
    rules = load_rules("beijing-2023", path)
    assert rules.transfer_minutes_max == 90
    assert rules.icu_share_min == 0.10
    assert rules.source("transfer_minutes_max") == "001 (xvi) transfer; 000 §4 handling; 004 (十七)"


def test_unknown_preset_lists_the_presets() -> None:
    with pytest.raises(RulesError, match="no such preset"):
        load_preset("nowhere-2020")


def test_rules_table_has_one_row_per_rule_with_its_kind_and_clauses() -> None:
    table = load_preset().table()
    assert [row["field"] for row in table] == list(RULE_FIELDS)
    assert all(row["source"] or row["kind"] == "assumption" for row in table)
    assert all(row["source"] == "; ".join(row["clauses"]) for row in table)


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=-10, max_value=10, allow_nan=False))
def test_share_fields_accept_exactly_the_unit_interval(value: float) -> None:
    if 0.0 <= value <= 1.0:
        assert load_preset().with_overrides({"icu_share_min": value}).icu_share_min == value
    else:
        with pytest.raises(RulesError, match="icu_share_min: expected a share in"):
            load_preset().with_overrides({"icu_share_min": value})


def test_rules_are_immutable() -> None:
    rules = load_preset()
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError on a frozen model
        rules.icu_share_min = 0.5  # type: ignore[misc]
    assert isinstance(rules, Rules)
