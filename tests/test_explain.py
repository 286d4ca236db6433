"""Explanations name the binding resource in English and Chinese."""

from __future__ import annotations

from tiny_plan import tiny_plan

from planner.explain import Namer


def test_disabled_without_barrier_free_room_is_explained_in_both_languages() -> None:
    explanations = tiny_plan(closed_sites=("ST1",)).explanations
    row = explanations[explanations["entity_id"] == "H001"].iloc[0]
    assert row["en"] == "1 disabled/dementia elderly of Sunshine Home: no barrier-free room within 120 min"
    assert row["zh"] == "阳光养老院：1名失能失智老人在120分钟内无无障碍房间"


def test_drug_shortfall_says_what_share_the_stock_covers() -> None:
    explanations = tiny_plan().explanations
    row = explanations[explanations["entity_id"] == "antipyretic"].iloc[0]
    assert row["en"] == "Antipyretic stock covers 3 % of need (18,523 packs short)"
    assert row["zh"] == "解热药库存仅满足需求的3%（缺18,523份）"


def test_marginal_values_point_at_depots_whose_stock_is_short() -> None:
    values = tiny_plan().marginal_values
    assert set(values["resource_id"]) >= {"W1:antipyretic", "W1:cough"}
    assert (values["value"] > 0).all()
    assert values["value"].is_monotonic_decreasing


def test_long_lists_of_binding_sites_are_cut_to_three() -> None:
    namer = Namer({"a": "A", "b": "B", "c": "C", "d": "D"}, {"a": "甲", "b": "乙", "c": "丙", "d": "丁"})
    assert namer.joined("a,b,c,d", "en") == "A, B, C and 1 more"
    assert namer.joined("a,b,c,d", "zh") == "甲、乙、丙等4处"
    assert namer.joined("a,b", "en") == "A, B"
