"""A sweep running beside the app: in a background thread, with progress, a cancel flag and a Dask cluster kept
for the session.

The Risk view starts a :class:`SweepJob` and returns at once, so the app stays usable while the scenarios are
solved (any other view can be opened; the Risk view shows the progress and a Cancel button, refreshed every
second). Small sweeps run in the app's own process (:data:`SERIAL_UP_TO` scenarios or fewer, where starting
worker processes would cost more than it saves); larger ones on a local Dask cluster that is started once per
app session (:class:`SessionCluster`) with workers that never import the app script
(``planner.sweep.execution.start_local_cluster``). Nothing here touches Streamlit: the thread only writes the
job's own fields.
"""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from planner.dataset.schema import Dataset
from planner.rules.rules import Rules
from planner.sweep.execution import run_dask, run_serial, start_local_cluster
from planner.sweep.results import SweepResult
from planner.sweep.vocabulary import ScenarioOutcome, Sweep

if TYPE_CHECKING:
    from distributed import Client

SERIAL_UP_TO = 24
"""Sweeps of this many scenarios or fewer run in the app's process when the engine is ``auto``."""
Engine = Literal["auto", "serial", "dask"]


class SweepCancelledError(Exception):
    """Raised in the sweep's thread when the reader cancels it (between two scenarios)."""


def engine_for(engine: Engine, samples: int) -> Literal["serial", "dask"]:
    """The engine that runs ``samples`` scenarios: ``auto`` runs small sweeps in this process."""
    if engine == "auto":
        return "serial" if samples <= SERIAL_UP_TO else "dask"
    return engine


class SessionCluster:
    """A local Dask cluster kept for one app session, started on first use and again only for another worker
    count; closed when the session goes (or :meth:`close`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cluster: Any = None
        self._client: Client | None = None
        self.workers: int | None = None
        self.starts = 0
        self._finalizer = weakref.finalize(self, SessionCluster._shut, [None, None])

    def client(self, workers: int) -> Client:
        """A client of the session's cluster with ``workers`` workers (started now when there is none)."""
        from distributed import Client

        with self._lock:
            alive = self._client is not None and self._client.status == "running"
            if alive and self.workers == workers:
                assert self._client is not None
                return self._client
            self._close()
            self._cluster = start_local_cluster(workers)
            self._client = Client(self._cluster)
            self.workers = workers
            self.starts += 1
            self._finalizer.detach()
            self._finalizer = weakref.finalize(self, SessionCluster._shut, [self._client, self._cluster])
            return self._client

    def close(self) -> None:
        """Close the client and the cluster."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        SessionCluster._shut([self._client, self._cluster])
        self._client, self._cluster, self.workers = None, None, None

    @staticmethod
    def _shut(parts: list[Any]) -> None:
        for part in parts:
            if part is not None:
                with contextlib.suppress(Exception):
                    part.close()


@dataclass(eq=False)
class SweepJob:
    """A sweep running in a background thread: progress, cancel flag, and its result or error when done."""

    total: int
    engine: Literal["serial", "dask"]
    dataset_sha256: str
    started: float = field(default_factory=time.perf_counter)
    done: int = 0
    result: SweepResult | None = None
    error: str | None = None
    cancelled: bool = False
    finished: float | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True until the sweep finished, failed or was cancelled."""
        return self.finished is None

    @property
    def seconds(self) -> float:
        """Seconds since the start (to the end when finished)."""
        return (self.finished or time.perf_counter()) - self.started

    def cancel(self) -> None:
        """Ask the sweep to stop after the scenario it is solving (pending Dask tasks are cancelled)."""
        self.cancel_event.set()

    def progress(self, done: int, _total: int, _outcome: ScenarioOutcome) -> None:
        """The sweep's progress callback: counts, and stops the sweep when cancelled."""
        self.done = done
        if self.cancel_event.is_set():
            raise SweepCancelledError


def start_sweep(
    dataset: Dataset,
    rules: Rules,
    sweep: Sweep,
    *,
    engine: Engine = "auto",
    workers: int = 2,
    time_limit_s: float = 10.0,
    cluster: SessionCluster | None = None,
) -> SweepJob:
    """Start ``sweep`` in a background thread and return its :class:`SweepJob` at once."""
    chosen = engine_for(engine, len(sweep))
    job = SweepJob(total=len(sweep), engine=chosen, dataset_sha256=dataset.sha256 or dataset.content_hash())

    def work() -> None:
        try:
            if chosen == "serial":
                job.result = run_serial(dataset, rules, sweep, time_limit_s=time_limit_s, progress=job.progress)
            else:
                client = (cluster or SessionCluster()).client(workers)
                job.result = run_dask(client, dataset, rules, sweep, time_limit_s=time_limit_s, progress=job.progress)
        except SweepCancelledError:
            job.cancelled = True
        except Exception as exc:  # shown in the Risk view; never kills the app
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            job.finished = time.perf_counter()

    job.thread = threading.Thread(target=work, name="epiplan-sweep", daemon=True)
    job.thread.start()
    return job


__all__ = ["SERIAL_UP_TO", "SessionCluster", "SweepCancelledError", "SweepJob", "engine_for", "start_sweep"]
