"""Sweeps beside the app: in-process for small ones, a Dask cluster kept for the session, cancel between
scenarios, and workers that never import the app script."""

from __future__ import annotations

import sys
import time

import pytest
from tiny_plan import tiny_dataset

from planner.rules.rules import load_rules
from planner.rules.scenario import make_scenario
from planner.sweep.sampling import base_knobs, grid_sweep
from planner.ui.sweep_job import SERIAL_UP_TO, SessionCluster, SweepJob, engine_for, start_sweep


def _sweep(values: list[float]):  # type: ignore[no-untyped-def]
    return grid_sweep({"attack_rate": values}, base=base_knobs(make_scenario(level="severe")))


def _wait(job: SweepJob, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while job.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not job.running


def test_small_sweeps_run_in_this_process_by_default() -> None:
    assert engine_for("auto", SERIAL_UP_TO) == "serial"
    assert engine_for("auto", SERIAL_UP_TO + 1) == "dask"
    assert engine_for("dask", 2) == "dask"


def test_a_sweep_runs_in_a_thread_and_returns_at_once() -> None:
    started = time.perf_counter()
    job = start_sweep(tiny_dataset(), load_rules(), _sweep([0.1, 0.2, 0.3]), engine="auto", time_limit_s=5)
    assert time.perf_counter() - started < 1.0, "the app is not blocked"
    _wait(job)
    assert job.error is None and job.result is not None
    assert job.done == job.total == 3 and job.engine == "serial"


def test_a_cancelled_sweep_stops_between_scenarios() -> None:
    job = start_sweep(tiny_dataset(), load_rules(), _sweep([i / 100 for i in range(1, 60)]), engine="serial")
    job.cancel()
    _wait(job)
    assert job.cancelled and job.result is None and job.done < job.total


@pytest.mark.slow
def test_the_session_cluster_starts_once_and_its_workers_import_no_script() -> None:
    cluster = SessionCluster()
    try:
        client = cluster.client(1)
        assert cluster.client(1) is client and cluster.starts == 1, "started once, reused"
        mains = client.run(lambda: getattr(sys.modules["__main__"], "__file__", None))
        assert list(mains.values()) == [None], "the workers did not import the parent's main script"
        job = start_sweep(tiny_dataset(), load_rules(), _sweep([0.1, 0.2]), engine="dask", workers=1, cluster=cluster)
        _wait(job)
        assert job.error is None and job.result is not None and cluster.starts == 1
    finally:
        cluster.close()
