"""Display names in English and Chinese."""

from __future__ import annotations

from tiny_plan import tiny_dataset

from planner.dataset.names import names


def test_names_fall_back_to_english_without_a_chinese_name() -> None:
    chinese = names(tiny_dataset(), "zh")
    assert chinese["H001"] == "阳光养老院"
    assert chinese["C1"] == "Andingmen CHC"
