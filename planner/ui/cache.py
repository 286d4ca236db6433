"""Plans cached by content hash: the same dataset, rules, scenario and time limit give the same plan at once.

The key is a SHA-256 over the dataset's content hash, every rule value, every
scenario knob and the time limit, so going back to an earlier what-if is
instant and two sessions never confuse each other's data. Two caches hold
plans: a small LRU in the session (what this reader went through), and one LRU
shared by every browser session of the server (``st.cache_resource``), so the
first plan of the sample city is solved once, by the first session, and every
later session (a new tab, another coordinator) gets it at once. Sessions asking
for a plan that another one is solving wait for it instead of solving it again.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from planner.dataset.schema import Dataset
from planner.rules.rules import Rules
from planner.rules.scenario import Scenario
from planner.ui.state import Session

if TYPE_CHECKING:
    from planner.report.plan import Plan

T = TypeVar("T")
MAX_PLANS = 16
MAX_SHARED_PLANS = 32


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def plan_key(dataset_sha256: str, rules: Rules, scenario: Scenario, time_limit_s: float) -> str:
    """The cache key of a plan: hash of the dataset content, the rules, the scenario and the time limit."""
    payload = {
        "dataset": dataset_sha256,
        "rules": rules.values(),
        "scenario": scenario.to_dict(),
        "time_limit_s": round(float(time_limit_s), 6),
    }
    return hashlib.sha256(_canonical(payload).encode("utf-8")).hexdigest()


class LruCache(Generic[T]):
    """A thread-safe least-recently-used mapping of key -> value with at most ``maxsize`` entries."""

    def __init__(self, maxsize: int = MAX_PLANS) -> None:
        if maxsize < 1:
            raise ValueError(f"Expected maxsize >= 1, got {maxsize}.")
        self.maxsize = maxsize
        self._items: OrderedDict[str, T] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def get(self, key: str) -> T | None:
        """The value under ``key`` (now the most recently used), or ``None``."""
        with self._lock:
            if key not in self._items:
                self.misses += 1
                return None
            self.hits += 1
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: str, value: T) -> None:
        """Store ``value``; the least recently used entry goes when the cache is full."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def get_or_compute(self, key: str, compute: Callable[[], T]) -> tuple[T, bool]:
        """``(value, was_cached)``: the cached value, or ``compute()`` stored under ``key``."""
        cached = self.get(key)
        if cached is not None:
            return cached, True
        value = compute()
        self.put(key, value)
        return value, False


class SharedPlans:
    """Plans shared by every session of the server, with one lock per key so that a plan is solved once."""

    def __init__(self, maxsize: int = MAX_SHARED_PLANS) -> None:
        self.plans: LruCache[Any] = LruCache(maxsize)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def lock(self, key: str) -> threading.Lock:
        """The lock of ``key`` (held while its plan is solved)."""
        with self._guard:
            if len(self._locks) > 4 * self.plans.maxsize:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            return self._locks.setdefault(key, threading.Lock())


def shared_plans() -> SharedPlans:
    """The server's shared plans (created once per server process)."""
    import streamlit as st

    @st.cache_resource(show_spinner=False)
    def _shared() -> SharedPlans:
        return SharedPlans()

    return _shared()


# --- solving in the app -------------------------------------------------------------------------------------------


def session_cache(session: Session, name: str = "plan_cache") -> LruCache[Any]:
    """The LRU cache kept in ``session`` under ``name`` (created on first use)."""
    cache = session.get(name)
    if not isinstance(cache, LruCache):
        cache = LruCache(MAX_PLANS)
        session[name] = cache
    return cache


def solve_plan(
    session: Session,
    dataset: Dataset,
    rules: Rules,
    scenario: Scenario,
    time_limit_s: float,
    language: str,
) -> tuple[Plan, str, float | None]:
    """``(plan, key, seconds)``: the cached plan (``seconds`` None) or a fresh solve shown stage by stage."""
    import streamlit as st

    from planner.ui import i18n

    cache = session_cache(session)
    shared = shared_plans()
    key = plan_key(dataset.sha256 or dataset.content_hash(), rules, scenario, time_limit_s)
    cached = cache.get(key) or shared.plans.get(key)
    if cached is not None:
        cache.put(key, cached)
        st.caption(i18n.t("from_cache", language))
        return cached, key, None
    with shared.lock(key):
        cached = shared.plans.get(key)  # another session may have solved it while this one waited
        if cached is not None:
            cache.put(key, cached)
            st.caption(i18n.t("from_cache", language))
            return cached, key, None
        plan, seconds = _solve_with_progress(dataset, rules, scenario, time_limit_s, language)
        shared.plans.put(key, plan)
    cache.put(key, plan)
    return plan, key, seconds


@dataclass
class StageProgress:
    """A progress bar of the stages solved, labelled with those solving (two may run at once)."""

    bar: Any
    language: str
    total: int = 0
    done: int = 0
    solving: list[str] = field(default_factory=list)

    def started(self, stage: str, _index: int, total: int) -> None:
        self.total = total
        self.solving.append(stage)
        self.draw()

    def solved(self, stage: str, _seconds: float) -> None:
        self.solving.remove(stage)
        self.done += 1
        self.draw()

    def draw(self) -> None:
        from planner.ui import i18n

        names = " · ".join(i18n.stage_label(stage, self.language) for stage in self.solving)
        text = i18n.t("solving_stage", self.language, done=self.done, n=self.total, stages=names)
        self.bar.progress(self.done / max(self.total, 1), text=text)


def _solve_with_progress(
    dataset: Dataset, rules: Rules, scenario: Scenario, time_limit_s: float, language: str
) -> tuple[Plan, float]:
    """Solve with a status box and a progress bar: the stages solved, and those solving (two run at once)."""
    import streamlit as st

    from planner.pipeline import make_plan
    from planner.ui import i18n

    with st.status(i18n.t("solving", language), expanded=True) as status:
        bar = StageProgress(st.progress(0.0, text=i18n.t("solving", language)), language)
        started = time.perf_counter()
        plan = make_plan(dataset, rules, scenario, time_limit_s=time_limit_s, progress=bar.started, solved=bar.solved)
        seconds = time.perf_counter() - started
        bar.bar.progress(1.0, text=i18n.t("solved", language, seconds=seconds))
        status.update(label=i18n.t("solved", language, seconds=seconds), state="complete", expanded=False)
    return plan, seconds
