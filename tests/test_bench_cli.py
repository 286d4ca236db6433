"""bench.cli: the ``bench`` command's options, its output file, the scaling summary and its registration."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest
from bench_fixtures import scale_result

import bench.cli
import bench.run
from bench.cli import add_bench_arguments, parse_baselines, run_bench_command
from bench.run import BenchOptions


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_bench_arguments(parser)
    return parser.parse_args(argv)


def test_parse_baselines() -> None:
    assert parse_baselines("hand,mip") == ("hand", "mip")
    assert parse_baselines(" hand ") == ("hand",)
    assert parse_baselines("none") == () == parse_baselines("")


def test_cli_rejects_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_bench_command(parse(["--repeat", "0"])) == 2
    assert run_bench_command(parse(["--time-limit", "0"])) == 2
    assert run_bench_command(parse(["--baselines", "hand,simplex"])) == 2
    assert "simplex" in capsys.readouterr().out


def test_cli_writes_the_result_to_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[BenchOptions] = []

    def fake_run_bench(options: BenchOptions, frames: Any = None, log: Any = None) -> dict[str, Any]:
        seen.append(options)
        return {"schema": "epiplan.bench/1", "scale": options.scale}

    monkeypatch.setattr(bench.run, "run_bench", fake_run_bench)
    out = tmp_path / "results" / "province.json"
    argv = ["--scale", "province", "--repeat", "3", "--baselines", "hand", "--seed", "11", "--out", str(out)]
    assert run_bench_command(parse(argv)) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == {"schema": "epiplan.bench/1", "scale": "province"}
    assert json.loads(capsys.readouterr().out)["scale"] == "province"
    assert seen == [BenchOptions(scale="province", seed=11, repeat=3, baselines=("hand",))]


def test_cli_summary_only_refits_the_saved_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for scale, homes, seconds in (("city", 100, 1.0), ("province", 1_000, 10.0)):
        one = scale_result(homes, seconds, 100.0, 10.0 * seconds)
        (tmp_path / f"{scale}.json").write_text(json.dumps(one), encoding="utf-8")
    assert run_bench_command(parse(["--scale", "all", "--summary-only", "--out", str(tmp_path), "--quiet"])) == 0
    scaling = json.loads((tmp_path / "scaling.json").read_text(encoding="utf-8"))
    assert scaling["slope_time_vs_homes"] == 1.0 and scaling["slope_memory_vs_homes"] == 0.0
    assert "| province | 1,000 |" in scaling["table"]
    assert capsys.readouterr().out == ""


def test_bench_registers_with_the_epiplan_command() -> None:
    from planner.cli.main import commands

    assert bench.cli.BENCH_COMMAND in commands()
