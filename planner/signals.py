"""Ctrl-C and SIGTERM: the run stops at once, writes nothing (or everything), and exits 130 or 143.

Python raises :class:`KeyboardInterrupt` on SIGINT only between two bytecodes of the main thread, so a
solver busy in C++ would finish its whole time limit first. :func:`watching` therefore also routes every
SIGINT and SIGTERM through :func:`signal.set_wakeup_fd` to a small thread that stops the running CP-SAT
searches and HiGHS runs (``models.base.stop_searches``); the solver returns, and the handler's exception unwinds
the run. CP-SAT's own SIGINT handler is off (``models.base.cp_sat_solver``), so Ctrl-C keeps working after a
solve. A min-cost or maximum flow holds the GIL and cannot be stopped: it ends first (each takes under a second
at province).

SIGTERM raises :class:`Terminated`, a kind of :class:`KeyboardInterrupt`, so whatever cleans up after
Ctrl-C (temporary files, a sweep's cluster) cleans up after a termination too. :func:`deferred` holds both
signals back while a group of outputs is renamed into place, so the outputs of one run appear together.

This module imports nothing heavy: the ``epiplan`` entry point installs the handlers before anything else.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

EXIT_INTERRUPTED = 128 + signal.SIGINT
"""Exit code after SIGINT (Ctrl-C): 130."""
EXIT_TERMINATED = 128 + signal.SIGTERM
"""Exit code after SIGTERM: 143."""
SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """SIGTERM was received (handled like Ctrl-C, reported with its own exit code)."""


def _raise(signum: int, frame: FrameType | None) -> None:
    if signum == signal.SIGTERM:
        raise Terminated
    raise KeyboardInterrupt


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def install() -> None:
    """SIGINT raises :class:`KeyboardInterrupt`, SIGTERM :class:`Terminated` (even where they were ignored)."""
    if _in_main_thread():
        for signum in SIGNALS:
            signal.signal(signum, _raise)


def ignore() -> None:
    """Ignore both signals from now on (the run is over; a late signal must not print a traceback)."""
    if _in_main_thread():
        for signum in SIGNALS:
            signal.signal(signum, signal.SIG_IGN)


def quiet_cleanup() -> None:
    """After an interruption, objects cut off mid-write (a workbook's zip) are collected without a traceback."""
    sys.unraisablehook = lambda unraisable: None


@contextlib.contextmanager
def kept_from_callbacks() -> Iterator[None]:
    """Within the block, a signal whose exception is raised in a callback Python cannot raise from (a weak
    reference's, as importing frees its module locks) is raised when the block ends, instead of being printed as a
    traceback and lost (the process then went on after a SIGTERM)."""
    kept: list[BaseException] = []
    previous = sys.unraisablehook

    def keep(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            kept.append(unraisable.exc_value)
        else:
            previous(unraisable)

    sys.unraisablehook = keep
    try:
        yield
    finally:
        sys.unraisablehook = previous
    if kept:
        raise kept[0]


def exit_code(interruption: KeyboardInterrupt) -> int:
    """130 for Ctrl-C, 143 for SIGTERM."""
    return EXIT_TERMINATED if isinstance(interruption, Terminated) else EXIT_INTERRUPTED


def describe(interruption: KeyboardInterrupt) -> str:
    return "terminated" if isinstance(interruption, Terminated) else "interrupted"


def _watch(reader: socket.socket, stop: Callable[[], None]) -> None:
    """Call ``stop`` for every SIGINT or SIGTERM byte; return at the end-of-watch byte (0) or a closed socket."""
    wanted = {int(signum) for signum in SIGNALS}
    while True:
        try:
            received = reader.recv(64)
        except OSError:
            return
        if not received or 0 in received:
            return
        if wanted & set(received):
            stop()


WATCHER_NAME = "epiplan-signal-watch"
"""The thread :func:`watching` starts: it only waits on a socket, holding no lock a fork could leave held."""


@contextlib.contextmanager
def watching(stop: Callable[[], None]) -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM call ``stop`` at once (from a thread) and then raise as usual."""
    if not _in_main_thread():
        yield
        return
    install()
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    try:
        previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    except ValueError:  # another wakeup descriptor that must stay (an event loop): do without the watcher
        reader.close()
        writer.close()
        yield
        return
    watcher = threading.Thread(target=_watch, args=(reader, stop), name=WATCHER_NAME, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous)
        with contextlib.suppress(OSError):
            writer.send(b"\0")
        watcher.join(timeout=1.0)
        writer.close()
        reader.close()


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back within the block; one that came is delivered when it ends."""
    if not _in_main_thread():
        yield
        return
    received: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {signum: signal.signal(signum, record) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if received:
            signal.raise_signal(received[0])


__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_TERMINATED",
    "SIGNALS",
    "Terminated",
    "deferred",
    "describe",
    "exit_code",
    "ignore",
    "install",
    "kept_from_callbacks",
    "quiet_cleanup",
    "watching",
]
