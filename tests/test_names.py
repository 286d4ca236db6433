"""Display names in English and Chinese."""

from __future__ import annotations

from tiny_plan import tiny_dataset

from planner.dataset.names import Namer, names


def test_names_fall_back_to_english_without_a_chinese_name() -> None:
    chinese = names(tiny_dataset(), "zh")
    assert chinese["H001"] == "阳光养老院"
    assert chinese["C1"] == "Andingmen CHC"


def test_long_lists_of_names_are_cut_to_three() -> None:
    namer = Namer({"a": "A", "b": "B", "c": "C", "d": "D"}, {"a": "甲", "b": "乙", "c": "丙", "d": "丁"})
    assert namer.joined("a,b,c,d", "en") == "A, B, C and 1 more"
    assert namer.joined("a,b,c,d", "zh") == "甲、乙、丙等4处"
    assert namer.joined("a,b", "en") == "A, B"
    assert namer.both("x") == ("x", "x")


def test_namer_of_a_dataset_knows_both_languages() -> None:
    assert Namer.of(tiny_dataset()).both("H001") == ("Sunshine Home", "阳光养老院")
