"""Ctrl-C and SIGTERM on a real ``epiplan solve``: exit 130 / 143, the solve stopped, nothing written.

A province-size dataset is generated once; each test starts ``epiplan solve`` on it (writing over two
previous files), signals it while the observation stage's CP-SAT search runs, and checks the exit code,
how fast it stopped, that the previous files are intact and that no temporary file is left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import weakref
from pathlib import Path

import pytest

from planner import signals

EPIPLAN = Path(sys.executable).with_name("epiplan")
SOLVING_AFTER_S = 5.0
"""Seconds after the start when the province's observation search runs (it takes about 10 s)."""


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("province") / "data"
    subprocess.run(
        [str(EPIPLAN), "sample", "--scale", "province", "--out", str(folder)], check=True, capture_output=True
    )
    return folder


def _previous_outputs(folder: Path) -> list[Path]:
    folder.mkdir()
    outputs = [folder / "plan.json", folder / "plan.xlsx"]
    for path in outputs:
        path.write_bytes(b"previous plan")
    return outputs


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "code", "said"), [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]
)
def test_a_signal_stops_the_solve_and_writes_nothing(
    signum: int, code: int, said: str, province: Path, tmp_path: Path
) -> None:
    outputs = _previous_outputs(tmp_path / "out")
    command = [str(EPIPLAN), "solve", "--data", str(province), "--time-limit", "60"]
    process = subprocess.Popen(
        [*command, *(arg for path in outputs for arg in ("--out", str(path)))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(SOLVING_AFTER_S)
    assert process.poll() is None, "the solve ended before it was signalled"
    process.send_signal(signum)
    started = time.perf_counter()
    out, err = process.communicate(timeout=30)
    assert time.perf_counter() - started < 5, "the solve went on after the signal"
    assert process.returncode == code
    assert err.strip() == f"epiplan: {said}"
    assert "Traceback" not in out + err
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["plan.json", "plan.xlsx"]
    assert all(path.read_bytes() == b"previous plan" for path in outputs)


def test_ctrl_c_still_raises_after_a_cp_sat_solve(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import os, signal, time
        from ortools.sat.python import cp_model
        from models.base import SolveOptions, cp_sat_solver
        from planner import signals

        signals.install()
        model = cp_model.CpModel()
        x = model.new_int_var(0, 10, "x")
        model.maximize(x)
        cp_sat_solver(SolveOptions(time_limit_s=1)).solve(model)
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except KeyboardInterrupt:
            print("interrupted")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "interrupted")


def test_a_signal_before_the_command_line_is_ready_is_one_line(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [str(EPIPLAN), "validate", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(0.3)  # still importing
    os.kill(process.pid, signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode in (143, 2)  # 2 when it was already done (an empty folder)
    assert "Traceback" not in out + err


def test_a_signal_raised_in_a_weak_references_callback_is_raised_after_the_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Importing frees module locks through weak references' callbacks, where Python cannot raise: a SIGTERM
    handled there was reported (a traceback) and lost. Within ``kept_from_callbacks`` it is raised at the end;
    other errors in callbacks are reported as before."""
    reported: list[BaseException] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: reported.append(unraisable.exc_value))

    class Thing:
        pass

    def terminated(_reference: object) -> None:
        raise signals.Terminated

    def other(_reference: object) -> None:
        raise ValueError("not a signal")

    with pytest.raises(signals.Terminated), signals.kept_from_callbacks():
        thing = Thing()
        kept = weakref.ref(thing, terminated)
        del thing
    assert kept() is None and reported == []
    with signals.kept_from_callbacks():
        thing = Thing()
        other_error = weakref.ref(thing, other)
        del thing
    assert other_error() is None and [type(error) for error in reported] == [ValueError]
