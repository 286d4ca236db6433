"""One malloc arena for the process (the stages solved side by side reuse each other's freed memory)."""

from __future__ import annotations

import platform

import pytest

from planner.memory import one_malloc_arena


def test_the_environment_rules_when_it_sets_the_arenas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert one_malloc_arena() is False


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's arenas are glibc's")
def test_glibc_takes_one_arena(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert one_malloc_arena() is True


def test_other_systems_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.setattr("sys.platform", "darwin")
    assert one_malloc_arena() is False
