"""``planner.yaml_files``: the one reader of scenario, rules, preset and sweep files refuses each hostile file
with a message naming it, and reads plain mappings."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.yaml_files import MAX_YAML_BYTES, YamlFileError, parse_yaml_mapping, read_yaml_mapping


def _problem(path: Path, what: str = "scenario", shown: str | None = None) -> str:
    with pytest.raises(YamlFileError) as caught:
        read_yaml_mapping(path, what, shown)
    (problem,) = caught.value.problems
    return problem


def test_a_plain_mapping_is_read_and_an_empty_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes("\ufefflevel: severe\nrule_overrides: {persons_per_room: 2}\n".encode())  # a BOM, as Excel saves
    assert read_yaml_mapping(path, "scenario") == {"level": "severe", "rule_overrides": {"persons_per_room": 2}}
    path.write_text("", encoding="utf-8")
    assert read_yaml_mapping(path, "scenario") == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"level: severe\n\xff\n", "not UTF-8 text (byte 0xff on line 2)"),
        (b"level: [severe\n", "not valid YAML on line 2, column 1"),
        (b"level: !!python/name:os.system\n", "a YAML tag that is not plain data (line 1)"),
        (b"level: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply"),
        (b"- severe\n", "expected a mapping of name: value, got list"),
    ],
)
def test_hostile_files_are_refused_naming_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_bytes(content)
    problem = _problem(path)
    assert problem.startswith(f"scenario file {path}: ") and message in problem


def test_missing_folders_and_large_files_are_refused_before_reading(tmp_path: Path) -> None:
    assert _problem(tmp_path / "none.yaml", "rules") == f"rules file {tmp_path / 'none.yaml'}: no such file"
    assert _problem(tmp_path, "sweep") == f"sweep file {tmp_path}: not a file"
    large = tmp_path / "large.yaml"
    large.write_bytes(b"#" * (MAX_YAML_BYTES + 1))
    assert (
        _problem(large, shown="large.yaml")
        == "scenario file large.yaml: larger than 1,024 KB (a scenario file is a few lines)"
    )


def test_text_is_parsed_with_its_label() -> None:
    assert parse_yaml_mapping("a: 1\n", "the scenario file") == {"a": 1}
    with pytest.raises(YamlFileError, match=r"^the scenario file: expected a mapping of name: value, got int$"):
        parse_yaml_mapping("5\n", "the scenario file")


def test_keys_that_are_not_text_are_refused_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("1: 2\nlevel: severe\n", encoding="utf-8")
    assert read_yaml_mapping(path, "scenario") == {1: 2, "level": "severe"}, "a mapping, read as it is"
    with pytest.raises(YamlFileError) as caught:
        read_yaml_mapping(path, "scenario", key_kind="scenario knob")
    assert caught.value.problems == [f"scenario file {path}: 1: not a scenario knob (a knob's name is text)"]
