"""Calls run in fresh child processes, at most a few at once: none of the caller's pages are shared with them.

A forked child (``planner.forked``) shares its parent's pages copy-on-write, and every page the *parent* writes
while the child lives is then held twice: the parent's new copy and the child's old one. Beside the drug stage,
which allocates and frees hundreds of megabytes while the observation stage's parts solve, each part's forked child
came to hold 0.45-0.57 GB of its own, 0.2 GB of it pages the parent had since rewritten (national sample,
``bench/results/fresh-2026-12-06.md``). A fresh child is started by a fork server (``multiprocessing``'s
``forkserver``): a clean interpreter, started once per process, that has imported the calls' modules and forks
each child from itself. A child then holds only the server's few pages and its own work; its call comes pickled,
and so does its value.

The caller never depends on a child: a call runs in the calling process when no fork server can be had (another
platform), or when its child could not be started, died or raised. Given up (an exception in the calling thread
while it waits: Ctrl-C, the app's rerun), every child is killed and nothing more is computed here.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from functools import partial
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

T = TypeVar("T")

SERVER = "forkserver"
"""The start method: a fork server started once from a clean interpreter."""
WAIT_SECONDS = 0.1
"""How often :func:`in_fresh_children` wakes while it waits, so that a plan given up reaches it (an exception
raised in a thread is delivered only when it runs Python)."""


def server_context() -> Any | None:
    """The fork server's ``multiprocessing`` context, or None where the platform has none."""
    if SERVER not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context(SERVER)


def modules_of(calls: Sequence[Callable[[], Any]]) -> list[str]:
    """The modules that define the calls' functions (what the fork server imports before its first child)."""
    functions = [call.func if isinstance(call, partial) else call for call in calls]
    return sorted({name for name in (getattr(function, "__module__", None) for function in functions) if name})


class Fresh(Generic[T]):
    """``call()`` running in a child of the fork server; :meth:`result` waits for it (or runs ``here`` instead).

    One thread may wait in :meth:`result` while another calls :meth:`cancel`: killing the child ends the wait.
    """

    def __init__(self, here: Callable[[], T], process: Any | None, receive: Connection | None) -> None:
        self._here = here
        self._process = process
        self._receive = receive
        self._lock = threading.Lock()

    @classmethod
    def start(cls, call: Callable[[], T], here: Callable[[], T]) -> Fresh[T]:
        """Start a fresh child that runs the picklable ``call``; where none can be started :meth:`result` runs
        ``here`` (the same computation) in this process."""
        context = server_context()
        if context is None:
            return cls(here, None, None)
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_run_child, args=(call, send), daemon=True)
        try:
            process.start()
        except Exception:  # no server, nothing to pickle the call with, no room for a process: run it here
            receive.close()
            return cls(here, None, None)
        finally:
            send.close()
        return cls(here, process, receive)

    @property
    def started(self) -> bool:
        """Whether a child was started (and its value not yet read)."""
        return self._process is not None

    def result(self) -> T:
        """The child's value once it has sent it; computed here when there is no child, it died or raised, or it
        was cancelled."""
        receive = self._receive
        if receive is None:
            return self._here()
        outcome: tuple[bool, Any] | None = None
        with contextlib.suppress(EOFError, OSError):  # the child died or was killed
            outcome = receive.recv()
        with self._lock:
            process, self._process, self._receive = self._process, None, None
        if process is not None:
            process.join()
            receive.close()
        if outcome is not None and outcome[0]:
            value: T = outcome[1]
            return value
        return self._here()

    def cancel(self) -> None:
        """Kill the child (if any): a thread waiting in :meth:`result` then computes ``here``."""
        with self._lock:  # under the lock: a child already joined by result() is never signalled
            if self._process is not None:
                with contextlib.suppress(OSError, ValueError):
                    self._process.kill()


def _run_child(call: Callable[[], Any], send: Connection) -> None:  # pragma: no cover - runs in the child
    """Send ``(True, call())``, or ``(False, None)`` when the call raised (the caller then computes it itself)."""
    try:
        value = call()
    except BaseException:
        send.send((False, None))
    else:
        send.send((True, value))
    finally:
        send.close()


class GivenUpError(Exception):
    """Raised by a call of :func:`in_fresh_children` that would run here after the calls were given up."""


def in_fresh_children(calls: Sequence[Callable[[], T]], workers: int) -> list[T]:
    """Each picklable call in a fresh child, at most ``workers`` at once (each waited for by a thread); their values
    in order. The fork server, started at the first call of the process, imports the calls' modules first.

    A call runs here instead where no fork server can be had or its child fails (:meth:`Fresh.result`); a call
    that raises here raises its error to the caller. Given up, every child is killed and nothing more runs."""
    given_up = threading.Event()
    lock = threading.Lock()
    children: list[Fresh[T]] = []
    context = server_context()
    if context is not None:  # heeded until the server has started; later children import what they lack
        context.set_forkserver_preload(modules_of(calls))

    def run(call: Callable[[], T]) -> T:
        def here() -> T:
            if given_up.is_set():  # in this process after a cancel: compute nothing more
                raise GivenUpError
            return call()

        if given_up.is_set():
            return here()
        child = Fresh.start(call, here)
        with lock:
            children.append(child)
        if given_up.is_set():
            child.cancel()
        return child.result()

    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(calls))), thread_name_prefix="fresh")
    futures = [pool.submit(run, call) for call in calls]
    try:
        while wait(futures, timeout=WAIT_SECONDS, return_when=FIRST_EXCEPTION).not_done:
            if any(future.done() and future.exception() is not None for future in futures):
                break
        return [future.result() for future in futures]
    except BaseException:
        given_up.set()
        with lock:
            for child in children:
                child.cancel()
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
