"""A call run in a forked child process, on a core the calling process leaves idle.

The stages' report work that holds Python's interpreter lock (the observation stage's room probes: OR-Tools'
maximum flows) gains nothing from a thread: it would share one core with the flow stages solving beside it. A
forked child has its own interpreter and sees the parent's memory as it was at the fork (copy-on-write), so it
needs no pickling of its inputs: only its result comes back, pickled into an unlinked temporary file.

The child never blocks on its parent (it writes a file and exits), and the parent never depends on the child:
:meth:`Forked.result` runs the call in the calling process when the child could not be started, died, was
killed, or raised. A child whose result is never read is killed and reaped when its handle is dropped or
:meth:`Forked.cancel` is called.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import tempfile
import weakref
from collections.abc import Callable
from typing import IO, Generic, TypeVar

T = TypeVar("T")

CHILD_FAILED = 3
"""The child's exit status when its call raised (its result file then holds nothing)."""


class Forked(Generic[T]):
    """``call()`` running in a forked child; :meth:`result` waits for it (or runs the call here)."""

    def __init__(self, call: Callable[[], T], pid: int | None, out: IO[bytes] | None) -> None:
        self._call = call
        self._pid = pid
        self._out = out
        self._finalizer = weakref.finalize(self, _kill_and_reap, pid, out)

    @classmethod
    def start(cls, call: Callable[[], T]) -> Forked[T]:
        """Fork a child that runs ``call()``; without ``os.fork`` (or if it fails) :meth:`result` runs it here."""
        if not hasattr(os, "fork"):
            return cls(call, None, None)
        out = tempfile.TemporaryFile()  # noqa: SIM115 - the handle owns it and closes it after the child
        try:
            pid = os.fork()
        except OSError:
            out.close()
            return cls(call, None, None)
        if pid == 0:  # pragma: no cover - the child; coverage does not follow it
            _run_child(call, out)
        return cls(call, pid, out)

    @property
    def forked(self) -> bool:
        """Whether a child was started (and not yet waited for)."""
        return self._pid is not None

    def result(self) -> T:
        """The call's value: the child's, once it has exited, else (no child, or it failed) computed here.

        Interrupted while waiting (Ctrl-C), the child is killed before the interrupt goes on."""
        pid, out = self._pid, self._out
        if pid is None or out is None:
            return self._call()
        status: int | None = None
        try:
            _, status = os.waitpid(pid, 0)
        except OSError:  # reaped elsewhere (SIGCHLD ignored): its file may be incomplete
            status = None
        except BaseException:
            self.cancel()
            raise
        self._pid, self._out = None, None
        self._finalizer.detach()
        with out:
            if status is not None and os.waitstatus_to_exitcode(status) == 0:
                with contextlib.suppress(OSError, EOFError, pickle.UnpicklingError):
                    out.seek(0)
                    value: T = pickle.load(out)
                    return value
        return self._call()

    def cancel(self) -> None:
        """Kill the child (if any) and forget it; :meth:`result` then computes the value here."""
        pid, out = self._pid, self._out
        self._pid, self._out = None, None
        self._finalizer.detach()
        _kill_and_reap(pid, out)


def _run_child(call: Callable[[], T], out: IO[bytes]) -> None:  # pragma: no cover - runs in the child
    """Run ``call``, pickle its value into ``out`` and exit without running the parent's exit handlers."""
    code = CHILD_FAILED
    try:
        pickle.dump(call(), out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()
        code = 0
    except BaseException:  # whatever happened, the parent computes the value itself
        code = CHILD_FAILED
    finally:
        os._exit(code)


def _kill_and_reap(pid: int | None, out: IO[bytes] | None) -> None:
    """Kill and wait for the child ``pid``, close its result file (either may be None)."""
    if pid is not None:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)
    if out is not None:
        out.close()
