"""Plans are keyed by content: same inputs, same key; any change, another key; the LRU forgets the oldest."""

from __future__ import annotations

from typing import Any

import pytest

from planner.rules.rules import load_rules
from planner.rules.scenario import make_scenario
from planner.ui.cache import LruCache, StageProgress, plan_key, session_cache


def test_the_key_depends_on_every_input() -> None:
    rules = load_rules()
    scenario = make_scenario(level="prevalent")
    key = plan_key("data", rules, scenario, 10.0)
    assert key == plan_key("data", load_rules(), make_scenario(level="prevalent"), 10)
    others = {
        plan_key("other data", rules, scenario, 10.0),
        plan_key("data", load_rules("containment-2021"), scenario, 10.0),
        plan_key("data", rules.with_overrides({"persons_per_room": 2}), scenario, 10.0),
        plan_key("data", rules, make_scenario(level="severe"), 10.0),
        plan_key("data", rules, make_scenario(level="prevalent", closed_sites=("ST1",)), 10.0),
        plan_key("data", rules, make_scenario(level="prevalent", rule_overrides={"persons_per_room": 2}), 10.0),
        plan_key("data", rules, scenario, 5.0),
    }
    assert key not in others and len(others) == 7


def test_level_defaults_and_explicit_equal_values_share_a_key() -> None:
    rules = load_rules()
    assert plan_key("d", rules, make_scenario(level="severe"), 1) == plan_key(
        "d", rules, make_scenario(level="severe", attack_rate=0.35), 1
    )


def test_lru_keeps_the_most_recently_used() -> None:
    cache: LruCache[int] = LruCache(maxsize=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert "b" not in cache and "a" in cache and "c" in cache
    assert len(cache) == 2
    assert (cache.hits, cache.misses) == (1, 0)
    assert cache.get("b") is None and cache.misses == 1


def test_get_or_compute_computes_once() -> None:
    cache: LruCache[list[int]] = LruCache()
    calls: list[int] = []

    def compute() -> list[int]:
        calls.append(1)
        return [len(calls)]

    first, cached_first = cache.get_or_compute("k", compute)
    second, cached_second = cache.get_or_compute("k", compute)
    assert first is second and calls == [1]
    assert (cached_first, cached_second) == (False, True)


def test_session_cache_is_created_once() -> None:
    session: dict[str, Any] = {}
    cache = session_cache(session)
    assert session_cache(session) is cache


def test_maxsize_must_be_positive() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        LruCache(0)


class _Bar:
    def __init__(self) -> None:
        self.drawn: list[tuple[float, str]] = []

    def progress(self, value: float, text: str) -> None:
        self.drawn.append((value, text))


def test_the_progress_bar_counts_stages_solved_and_names_those_solving() -> None:
    """Two stages solve at once: the bar moves as each ends, and its label names the ones still solving."""
    bar = _Bar()
    progress = StageProgress(bar, "en")
    progress.started("observation", 0, 5)
    progress.started("ambulance", 1, 5)
    progress.solved("ambulance", 0.1)
    progress.started("drugs", 2, 5)
    assert bar.drawn[-1] == (0.2, "1 of 5 stages solved; solving: observation sites · drugs and supplies")
    chinese = StageProgress(_Bar(), "zh")
    chinese.started("nursing", 2, 5)
    assert chinese.bar.drawn[-1][1].startswith("已完成 0/5 个阶段；正在求解：")
