"""``epiplan sweep``: in-process runs on the tiny dataset, bad input, a real Dask scheduler and worker started as
separate processes on loopback, and Ctrl-C (SIGINT to the process group, as a terminal sends it)."""

from __future__ import annotations

import io
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import psutil
import pytest
import yaml

import planner.cli.sweep
import planner.pipeline
from planner.cli.main import main
from planner.cli.sweep import ProgressBar, summary_text
from planner.dataset.io import read_dataset
from planner.sweep.results import summarize
from planner.sweep.sampling import load_monte_carlo
from planner.sweep.saving import RESULT_TABLES, read_sweep

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WAIT_S = 60.0
"""Upper bound on every wait for a subprocess (never a timing assertion)."""


def _grid(tmp_path: Path, values: dict[str, list[object]]) -> Path:
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    return path


def test_grid_sweep_in_process_writes_every_table(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    grid = _grid(tmp_path, {"attack_rate": [0.2, 0.3], "stock_factor": [0.5]})
    out = tmp_path / "res" / "sweep.csv"
    args = ["sweep", "--data", str(tiny_dataset_dir), "--level", "severe", "--grid", str(grid), "--serial"]
    assert main([*args, "--time-limit", "5", "--out", str(out)]) == 2, "res/ does not exist"
    assert "add --mkdir" in capsys.readouterr().out
    real_plan = planner.pipeline.make_plan

    def failing_at_0_3(dataset: Any, rules: Any, scenario: Any, **options: Any) -> Any:
        if scenario.attack_rate == 0.3:
            raise RuntimeError("a solver failed")
        return real_plan(dataset, rules, scenario, **options)

    monkeypatch.setattr(planner.pipeline, "make_plan", failing_at_0_3)  # a scenario that fails is one row
    code = main([*args, "--time-limit", "5", "--out", str(out), "--mkdir"])
    captured = capsys.readouterr()
    assert code == 0
    assert "2 scenario(s)" in captured.out and "1 ok, 0 stopped at the time limit, 1 failed" in captured.out
    assert "scenario 1: RuntimeError: a solver failed" in captured.out
    assert "Stress points" in captured.out and "What more resources would buy" in captured.out
    assert "2/2 scenarios, 1 failed" in captured.err
    tables = read_sweep(out)
    assert set(tables) == set(RESULT_TABLES)
    assert tables["scenarios"]["status"].tolist() == ["ok", "error"]
    assert tables["scenarios"]["stock_factor"].tolist() == [0.5, 0.5]


def test_grid_values_no_scenario_can_take_are_refused_before_the_sweep(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # each made every scenario holding it a failed row, after the sweep had run (the file's keys are sorted)
    grid = _grid(tmp_path, {"attack_rate": [0.2, 2.0], "rule.persons_per_room": [0, 2], "horizon_days": [14, 3]})
    forecast = tmp_path / "data"
    shutil.copytree(tiny_dataset_dir, forecast)
    (forecast / "forecast.csv").write_text("day,new_infections,district_id,home_id\n5,2,D1,\n", encoding="utf-8")
    out = tmp_path / "sweep.csv"
    code = main(["sweep", "--data", str(forecast), "--grid", str(grid), "--serial", "--out", str(out)])
    said = capsys.readouterr().out
    assert code == 2 and not out.exists()
    assert said.splitlines() == [
        f"epiplan: grid file {grid}: attack_rate: 2.0: attack_rate: expected a share in [0, 1], got 2",
        f"epiplan: grid file {grid}: horizon_days: 3: forecast row 2, day: 5 is outside the horizon (days 0-2)",
        f"epiplan: grid file {grid}: rule.persons_per_room: 0: persons_per_room: expected a whole number >= 1, got 0",
    ]


def test_monte_carlo_in_process_to_xlsx(tiny_dataset_dir: Path, tmp_path: Path) -> None:
    knobs = tmp_path / "knobs.yaml"
    knobs.write_text("attack_rate: uniform(0.1, 0.3)\nstation_outage: 0.5\n", encoding="utf-8")
    out = tmp_path / "sweep.xlsx"
    args = ["sweep", "--data", str(tiny_dataset_dir), "--samples", "2", "--seed", "4", "--knobs", str(knobs)]
    assert main([*args, "--serial", "--out", str(out)]) == 0
    scenarios = pd.read_excel(out, sheet_name="scenarios")
    assert len(scenarios) == 2 and scenarios["attack_rate"].between(0.1, 0.3).all()
    again = load_monte_carlo(knobs, read_dataset(tiny_dataset_dir), 2, 4)
    assert scenarios["station_outages"].fillna("").tolist() == [",".join(s.station_outages) for s in again.scenarios]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--samples", "0"], "--samples: expected at least 1"),
        (["--samples", "2", "--seed", "-1"], "--seed: expected a whole number >= 0"),
        (["--samples", "2", "--time-limit", "0"], "--time-limit: expected seconds > 0"),
        (["--samples", "2", "--serial", "--scheduler", "tcp://127.0.0.1:1"], "choose one engine"),
        (["--samples", "2", "--workers", "0"], "--workers: expected at least 1"),
    ],
)
def test_bad_arguments_exit_2(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code = main(["sweep", "--data", str(tiny_dataset_dir), *extra, "--out", str(tmp_path / "o.parquet")])
    assert code == 2
    assert message in capsys.readouterr().out


def test_bad_sweep_input_exit_2(tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    grid = _grid(tmp_path, {"attack": [0.1], "demand.D9": [2.0]})
    base = ["sweep", "--data", str(tiny_dataset_dir), "--serial"]
    assert main([*base, "--grid", str(grid), "--out", str(tmp_path / "o.csv")]) == 2
    out = capsys.readouterr().out
    assert "attack: not a sweep knob" in out and "demand.D9: no district 'D9' in the dataset" in out
    assert main([*base, "--samples", "2", "--out", str(tmp_path / "o.json")]) == 2
    assert "expected a .parquet, .csv or .xlsx" in capsys.readouterr().out
    assert main([*base, "--samples", "2", "--grid", str(grid), "--out", str(tmp_path / "o.csv")]) == 2
    assert main(["sweep", "--data", str(tmp_path / "nothing"), "--samples", "1", "--out", "o.csv"]) == 2


def test_sweeps_too_large_or_odd_exit_2(
    tiny_dataset_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # each was an internal error, a memory error or a sweep that never returned before
    base = ["sweep", "--data", str(tiny_dataset_dir), "--serial", "--out", str(tmp_path / "o.csv")]
    assert main([*base, "--samples", "100000000000"]) == 2
    assert "--samples: expected at least 1 and at most 100,000, got 100000000000" in capsys.readouterr().out
    knobs = ["attack_rate", "severe_share", "staff_absence", "rotation_share", "stock_factor", "fleet_factor"]
    assert main([*base, "--grid", str(_grid(tmp_path, {k: [i / 100 for i in range(10)] for k in knobs}))]) == 2
    assert "= 1,000,000 scenarios: at most 100,000" in capsys.readouterr().out
    odd = tmp_path / "odd.yaml"
    odd.write_text("1: [1]\n", encoding="utf-8")
    assert main([*base, "--grid", str(odd)]) == 2
    assert "1: not a knob (a knob's name is text)" in capsys.readouterr().out
    odd.write_text("attack_rate: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    assert main([*base, "--grid", str(odd)]) == 2
    assert "nested too deeply" in capsys.readouterr().out
    assert not (tmp_path / "o.csv").exists()


def test_progress_bar_on_a_pipe_prints_each_tenth() -> None:
    stream = io.StringIO()
    bar = ProgressBar(20, stream)
    for done in range(1, 21):
        bar(done, 20, SimpleNamespace(status="error" if done == 5 else "ok"))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[0].startswith("[#.") and "1/20 scenarios" in lines[0]
    assert lines[-1].startswith("[" + "#" * 30 + "]") and "20/20 scenarios, 1 failed" in lines[-1]


def test_summary_text_names_entities() -> None:
    from sweep_fixture import hand_result

    result = hand_result()
    text = summary_text(result, summarize(result), {"H1": "Sunshine Home", "W1": "Dongcheng depot"}, 1.0)
    assert "5 scenario(s) in 1.0 s: 3 ok, 1 stopped at the time limit, 1 failed." in text
    assert "Sunshine Home" in text and "not covered by 120" in text
    assert "Dongcheng depot (tcm)" in text
    assert "covered_share" in text


# --- a real scheduler and worker ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """Stop one process we started, by its id: SIGTERM, then SIGKILL after a bounded wait."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.mark.slow
def test_sweep_against_a_running_scheduler(tiny_dataset_dir: Path, tmp_path: Path) -> None:
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    logs = [open(tmp_path / name, "wb") for name in ("scheduler.log", "worker.log")]  # noqa: SIM115
    started: list[subprocess.Popen[bytes]] = []
    try:
        started.append(
            subprocess.Popen(
                [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                stdout=logs[0],
                stderr=subprocess.STDOUT,
                cwd=REPO,
                env=env,
            )
        )
        worker_args = ["worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny", "--no-dashboard"]
        started.append(
            subprocess.Popen(
                [str(BIN / "dask"), *worker_args], stdout=logs[1], stderr=subprocess.STDOUT, cwd=REPO, env=env
            )
        )
        out = tmp_path / "remote.parquet"
        grid = _grid(tmp_path, {"attack_rate": [0.1, 0.3]})
        args = ["sweep", "--data", str(tiny_dataset_dir), "--grid", str(grid), "--scheduler", address]
        code = main([*args, "--workers", "1", "--time-limit", "5", "--out", str(out)])
        assert code == 0, (tmp_path / "worker.log").read_text(errors="replace")[-2000:]
        scenarios = pd.read_parquet(out)
        assert scenarios["status"].tolist() == ["ok", "ok"]
        worker_pid = started[1].pid
        assert {w.rsplit(":", 1)[1] for w in scenarios["worker"]} == {str(worker_pid)}
    finally:
        for process in reversed(started):
            _stop(process)
        for log in logs:
            log.close()
    assert all(process.poll() is not None for process in started)


# --- Ctrl-C -------------------------------------------------------------------------------------------------------


def _lines(stream: io.TextIOBase, into: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):
        into.put(line)
    into.put("")


@pytest.mark.slow
def test_ctrl_c_cancels_closes_the_cluster_and_exits_130(tiny_dataset_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "never.parquet"
    command = [sys.executable, "-m", "planner.cli.sweep", "sweep", "--data", str(tiny_dataset_dir)]
    command += ["--samples", "40", "--workers", "1", "--out", str(out)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, start_new_session=True
    )
    children: list[psutil.Process] = []
    try:
        assert process.stderr is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_lines, args=(process.stderr, lines), daemon=True).start()
        seen = ""
        while "/40 scenarios" not in seen:  # the sweep is running: the first scenario came back
            seen = lines.get(timeout=WAIT_S)
            assert seen, "the sweep ended before any progress"
        children = psutil.Process(process.pid).children(recursive=True)
        assert children, "a local cluster has worker processes"
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=WAIT_S)
        rest = "".join(iter(lambda: lines.get(timeout=WAIT_S), ""))
        assert process.returncode == 130
        assert "epiplan: interrupted" in rest and "Traceback" not in rest
        assert not out.exists()
        _gone, alive = psutil.wait_procs(children, timeout=WAIT_S)
        assert not alive, f"worker processes left behind: {[p.pid for p in alive]}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for child in children:
            if child.is_running():
                child.kill()
