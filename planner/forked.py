"""A call run in a forked child process, on a core the calling process leaves idle.

The stages' report work that holds Python's interpreter lock (the observation stage's room probes: OR-Tools'
maximum flows) gains nothing from a thread: it would share one core with the flow stages solving beside it. A
forked child has its own interpreter and sees the parent's memory as it was at the fork (copy-on-write), so it
needs no pickling of its inputs: only its result comes back, pickled into an unlinked temporary file.

The child never blocks on its parent (it writes a file and exits), and the parent never depends on the child:
:meth:`Forked.result` runs the call in the calling process when the child could not be started, died, was
killed, or raised. A child whose result is never read is killed and reaped when its handle is dropped or
:meth:`Forked.cancel` is called.

Before it forks, the process keeps to one BLAS thread (:func:`serial_blas`): OpenBLAS's fork handler stops its
worker threads, and a BLAS call another thread is in at that moment then waits for them forever.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import tempfile
import threading
import weakref
from collections.abc import Callable
from typing import IO, Generic, TypeVar

from models.base import Pending, after_fork, at_once
from planner.memory import release_free_memory, room_for_a_copy

T = TypeVar("T")

CHILD_FAILED = 3
"""The child's exit status when its call raised (its result file then holds nothing)."""
FORKING = hasattr(os, "fork")
"""Whether this platform can fork a child at all."""


def serial_blas() -> None:
    """Keep every BLAS library loaded in this process to one thread (``threadpoolctl``).

    OpenBLAS's fork handler stops its worker threads; a call another thread is in at that moment waits for them
    forever (seen: the drug stage's ``np.dot`` spun at 100 % CPU for 12 minutes after the room probes were forked
    beside it). With one thread no call waits for workers. Nothing epiplan solves leans on BLAS (its products
    are vector dot products), and setting one thread where there is one already changes nothing, so
    :meth:`Forked.start` calls it before every fork (0.5 ms) and the scheduler before it starts its lanes.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def can_fork() -> bool:
    """Whether a child may be forked now: the platform can, and the system could hold a second copy of the process
    (``planner.memory.room_for_a_copy``)."""
    return FORKING and room_for_a_copy()


class Forked(Generic[T]):
    """``call()`` running in a forked child; :meth:`result` waits for it (or runs the call here).

    One thread may wait in :meth:`result` while another calls :meth:`cancel` (a plan given up): the child is
    reaped under a lock, only once, and never signalled after it was reaped (its pid could be another's by then).
    """

    def __init__(self, call: Callable[[], T], pid: int | None, out: IO[bytes] | None) -> None:
        self._call = call
        self._pid = pid
        self._out = out
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, _kill_and_reap, pid, out)

    @classmethod
    def start(cls, call: Callable[[], T]) -> Forked[T]:
        """Fork a child that runs ``call()``; without ``os.fork`` (or if it fails) :meth:`result` runs it here."""
        if not hasattr(os, "fork"):
            return cls(call, None, None)
        parent = os.getpid()
        serial_blas()
        release_free_memory()  # pages given back are pages the parent and the child do not both hold
        out = tempfile.TemporaryFile()  # noqa: SIM115 - the handle owns it and closes it after the child
        gc.freeze()  # the child's collections then leave the parent's objects (and their pages) untouched
        try:
            pid = os.fork()
        except OSError:
            out.close()
            return cls(call, None, None)
        finally:
            if os.getpid() == parent:
                gc.unfreeze()
        if pid == 0:  # pragma: no cover - the child; coverage does not follow it
            _run_child(call, out)
        return cls(call, pid, out)

    @property
    def forked(self) -> bool:
        """Whether a child was started (and not yet waited for)."""
        return self._pid is not None

    def join(self) -> None:
        """Block until the child has ended (it stays unreaped: :meth:`result` reads it), or return at once when
        there is none."""
        pid = self._pid
        if pid is not None:
            with contextlib.suppress(OSError):  # reaped meanwhile (a result or a cancel in another thread)
                os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)

    def result(self) -> T:
        """The call's value: the child's, once it has exited, else (no child, it failed, or it was cancelled)
        computed here. Interrupted while waiting (Ctrl-C), the child is killed before the interrupt goes on."""
        pid = self._pid
        if pid is None:
            return self._call()
        try:  # wait for the child to end, leaving it unreaped: cancel() may still signal it safely
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        except OSError:  # reaped by a cancel meanwhile, or elsewhere (SIGCHLD ignored)
            pass
        except BaseException:
            self.cancel()
            raise
        with self._lock:
            if self._pid is None or self._out is None:  # cancelled meanwhile
                return self._call()
            out, self._pid, self._out = self._out, None, None
            self._finalizer.detach()
            status = _reaped(pid)
        with out:
            if status == 0:
                with contextlib.suppress(OSError, EOFError, pickle.UnpicklingError):
                    out.seek(0)
                    value: T = pickle.load(out)
                    return value
        return self._call()

    def cancel(self) -> None:
        """Kill the child (if any) and forget it; :meth:`result` then computes the value here."""
        with self._lock:
            pid, out, self._pid, self._out = self._pid, self._out, None, None
            self._finalizer.detach()
            _kill_and_reap(pid, out)


def beside(call: Callable[[], T]) -> Pending[T]:
    """``call()`` started in a forked child where one may be forked now (:func:`can_fork`), else computed here at
    once: a ``models.base.Beside`` for the models' work that can run on the core the caller leaves idle (the second
    node of each pair the day-by-day observation model's branch-and-price solves)."""
    return Forked.start(call) if can_fork() else at_once(call)


def _run_child(call: Callable[[], T], out: IO[bytes]) -> None:  # pragma: no cover - runs in the child
    """Run ``call``, pickle its value into ``out`` and exit without running the parent's exit handlers."""
    code = CHILD_FAILED
    try:
        # Ctrl-C reaches the whole process group: the parent decides, and kills its children if it gives up
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        after_fork()  # HiGHS's scheduler without the parent's workers
        pickle.dump(call(), out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()
        code = 0
    except BaseException:  # whatever happened, the parent computes the value itself
        code = CHILD_FAILED
    finally:
        os._exit(code)


def _reaped(pid: int) -> int | None:
    """Reap the ended child ``pid``: its exit code, or None when it was reaped elsewhere."""
    try:
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    except OSError:
        return None


def _kill_and_reap(pid: int | None, out: IO[bytes] | None) -> None:
    """Kill and reap the child ``pid``, close its result file (either may be None)."""
    if pid is not None:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        _reaped(pid)
    if out is not None:
        out.close()
