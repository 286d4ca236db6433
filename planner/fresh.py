"""Calls run in fresh child processes, at most a few at once: none of the caller's pages are shared with them.

A forked child (``planner.forked``) shares its parent's pages copy-on-write, and every page the *parent* writes
while the child lives is then held twice: the parent's new copy and the child's old one. Beside the drug stage,
which allocates and frees hundreds of megabytes while the observation stage's parts solve, each part's forked child
came to hold 0.45-0.57 GB of its own, 0.2 GB of it pages the parent had since rewritten (national sample,
``bench/results/fresh-2026-12-06.md``). A fresh child comes one of two ways:

* from the **zygote** (:func:`start_zygote`), a child the command line forks at its start, while it is small and
  has no other thread: it holds the imported modules and nothing of the plan, stays idle, and forks a worker per
  call (a few milliseconds). Its call and value pass through files in a private temporary folder;
* else a **new interpreter** (``sys.executable``) that reads the caller's ``sys.path`` and the pickled call from its
  standard input and writes the pickled value to its standard output (what the call prints goes to standard
  error); it imports what the call needs as it unpickles it: about 0.5 s for the observation model, which the
  national parts lose of their time (5.7 % above the bound against 4.3 % from the zygote).

``multiprocessing``'s spawn and fork-server children were not used: they import the caller's ``__main__`` again,
which runs any script that calls the planner without a ``__main__`` guard.

The caller never depends on a child: a call runs in the calling process when it cannot be pickled or no child can
be started, or when its child died or raised. Given up (an exception in the calling thread while it waits: Ctrl-C,
the app's rerun), every child is killed and nothing more is computed here.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import os
import pickle
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any, Generic, NoReturn, TypeVar

from models.base import after_fork
from planner import signals
from planner.forked import CHILD_FAILED, FORKING, serial_blas

T = TypeVar("T")

WAIT_SECONDS = 0.1
"""How often :func:`in_fresh_children` wakes while it waits, so that a plan given up reaches it (an exception
raised in a thread is delivered only when it runs Python)."""
BOOTSTRAP = "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); import planner.fresh as f; f.serve()"
"""What a fresh child runs: the caller's import path first, then :func:`serve`."""
VALUE_SUFFIX = ".value"
"""A zygote worker writes its call's value to the call's file name with this suffix."""


class Fresh(Generic[T]):
    """``call()`` running in a fresh child; :meth:`result` waits for it (or runs ``here`` instead).

    One thread may wait in :meth:`result` while another calls :meth:`cancel`: killing the child ends the wait.
    """

    def __init__(
        self, here: Callable[[], T], process: subprocess.Popen[bytes] | None = None, ticket: Ticket | None = None
    ) -> None:
        self._here = here
        self._process = process
        self._ticket = ticket
        self._lock = threading.Lock()

    @classmethod
    def start(cls, call: Callable[[], T], here: Callable[[], T]) -> Fresh[T]:
        """Start a fresh child for the picklable ``call`` (from the zygote when this process has one); where it
        cannot be pickled or no child can be started, :meth:`result` runs ``here`` (the same computation) here."""
        try:
            payload = pickle.dumps(call, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # a lambda, a closure, an open handle: not for another process
            return cls(here)
        zygote = _zygote()
        ticket = zygote.submit(payload) if zygote is not None else None
        if ticket is not None:
            return cls(here, ticket=ticket)
        if not sys.executable:
            return cls(here)
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", BOOTSTRAP],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:  # no room for a process, no executable
            return cls(here)
        threading.Thread(target=_feed, args=(process, pickle.dumps(sys.path) + payload), daemon=True).start()
        return cls(here, process=process)

    @property
    def started(self) -> bool:
        """Whether a child was started (and its value not yet read)."""
        return self._process is not None or self._ticket is not None

    def result(self) -> T:
        """The child's value once it has ended; computed here when there is no child, it died or raised, or it
        was cancelled."""
        if self._ticket is not None:
            outcome = self._ticket.outcome()
            with self._lock:
                self._ticket = None
        elif self._process is not None:
            outcome = _outcome_of(self._process)
            with self._lock:
                self._process = None
        else:
            outcome = None
        if outcome is not None and outcome[0]:
            value: T = outcome[1]
            return value
        return self._here()

    def cancel(self) -> None:
        """Kill the child (if any): a thread waiting in :meth:`result` then computes ``here``."""
        with self._lock:  # under the lock: a child already waited for by result() is never signalled
            if self._ticket is not None:
                self._ticket.kill()
            if self._process is not None:
                with contextlib.suppress(OSError):
                    self._process.kill()


def _outcome_of(process: subprocess.Popen[bytes]) -> tuple[bool, Any] | None:
    """What a new interpreter sent back once it ended, or None (killed, died, unreadable)."""
    output = b""
    with contextlib.suppress(OSError, ValueError), process.stdout or contextlib.nullcontext():
        output = process.stdout.read() if process.stdout is not None else b""  # until the child ends
    process.wait()
    return _unpickled(output) if process.returncode == 0 else None


def _unpickled(data: bytes) -> tuple[bool, Any] | None:
    try:
        outcome: tuple[bool, Any] = pickle.loads(data)
    except Exception:
        return None
    return outcome


def _feed(process: subprocess.Popen[bytes], payload: bytes) -> None:
    """Write the child's input (its import path and call) and close it; a child killed meanwhile takes no more."""
    if process.stdin is not None:
        with contextlib.suppress(OSError, ValueError), process.stdin:
            process.stdin.write(payload)


def serve() -> None:  # pragma: no cover - runs in the child
    """The child's side: the pickled call from standard input, ``(True, value)`` or ``(False, None)`` (it raised)
    pickled to standard output. Ctrl-C reaches the whole process group: the caller decides, and kills its children
    if it gives up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    result = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # what the call prints cannot mix with the value
    try:
        outcome: tuple[bool, Any] = (True, pickle.load(sys.stdin.buffer)())
    except BaseException:
        outcome = (False, None)
    with result:
        pickle.dump(outcome, result, protocol=pickle.HIGHEST_PROTOCOL)


class Ticket:
    """A call sent to the zygote: done once its worker has ended (or the zygote is gone)."""

    def __init__(self, zygote: Zygote, number: int, path: str) -> None:
        self.zygote, self.number, self.path = zygote, number, path
        self.ended = threading.Event()
        self.status: int | None = None

    def outcome(self) -> tuple[bool, Any] | None:
        """Wait for the worker; what it wrote, or None (it raised, was killed, or the zygote is gone)."""
        self.ended.wait()
        value = self.path + VALUE_SUFFIX
        try:
            if self.status != 0:
                return None
            with open(value, "rb") as file:
                return _unpickled(file.read())
        except OSError:
            return None
        finally:
            for leftover in (self.path, value):
                with contextlib.suppress(OSError):
                    os.unlink(leftover)

    def kill(self) -> None:
        if not self.ended.is_set():
            self.zygote.send(f"kill {self.number}")


class Zygote:
    """The parent's side of the zygote: requests ``run N path`` and ``kill N`` down one pipe, ``ended N status``
    back up another (a thread reads them)."""

    def __init__(self, pid: int, requests: int, responses: int, folder: str) -> None:
        self.pid, self.owner, self.folder = pid, os.getpid(), folder
        self._requests = requests
        self._lock = threading.Lock()
        self._tickets: dict[int, Ticket] = {}
        self._next = 0
        self.alive = True
        threading.Thread(target=self._listen, args=(responses,), name="zygote", daemon=True).start()

    def usable(self) -> bool:
        """Alive, and this process's own (a forked child of this process does not hear its answers)."""
        return self.alive and os.getpid() == self.owner

    def submit(self, payload: bytes) -> Ticket | None:
        """Send a pickled call; its ticket, or None when the zygote cannot take it."""
        with self._lock:
            number, self._next = self._next, self._next + 1
            ticket = Ticket(self, number, os.path.join(self.folder, str(number)))
            self._tickets[number] = ticket
        try:
            with open(ticket.path, "wb") as file:
                file.write(payload)
        except OSError:
            self._forget(number)
            return None
        if not self.send(f"run {number} {ticket.path}"):
            self._forget(number)
            return None
        return ticket

    def send(self, line: str) -> bool:
        with self._lock:
            try:
                os.write(self._requests, f"{line}\n".encode())
            except OSError:
                self.alive = False
                return False
        return True

    def _forget(self, number: int) -> None:
        with self._lock:
            self._tickets.pop(number, None)

    def _listen(self, responses: int) -> None:
        with os.fdopen(responses, "rb") as lines:
            for line in lines:
                words = line.split()
                if len(words) == 3 and words[0] == b"ended":
                    with self._lock:
                        ticket = self._tickets.pop(int(words[1]), None)
                    if ticket is not None:
                        ticket.status = int(words[2])
                        ticket.ended.set()
        with self._lock:  # the zygote is gone: every call still out is computed by its caller
            self.alive = False
            left, self._tickets = list(self._tickets.values()), {}
        for ticket in left:
            ticket.ended.set()

    def close(self) -> None:
        """End the zygote (it kills its workers when its requests end) and remove its folder."""
        with self._lock:
            self.alive = False
            with contextlib.suppress(OSError):
                os.close(self._requests)
        shutil.rmtree(self.folder, ignore_errors=True)


_ZYGOTE: list[Zygote] = []
"""The process's zygote, once :func:`start_zygote` has forked it."""


def _zygote() -> Zygote | None:
    return _ZYGOTE[0] if _ZYGOTE and _ZYGOTE[0].usable() else None


def start_zygote(preload: Sequence[str] = ()) -> bool:
    """Fork the zygote now (module docstring), if this process has none, can fork and runs no other thread but the
    signal watcher (a lock another thread held at the fork would stay held in the child); whether there is one.
    ``preload``: modules it imports first, so that the workers need not (``epiplan solve`` calls it at its start
    with the observation model's)."""
    if _zygote() is not None:
        return True
    others = [
        thread
        for thread in threading.enumerate()
        if thread is not threading.current_thread() and thread.name != signals.WATCHER_NAME
    ]
    if not FORKING or others:
        return False
    for module in preload:
        importlib.import_module(module)
    serial_blas()
    fds: list[int] = []
    folder = ""
    parent = os.getpid()
    gc.freeze()  # the zygote's and its workers' collections leave the inherited objects (and their pages) alone
    try:
        folder = tempfile.mkdtemp(prefix="epiplan-fresh-")
        for _ in range(2):
            fds += os.pipe()
        request_read, request_write, response_read, response_write = fds
        pid = os.fork()
    except OSError:  # no temporary folder to write in, no descriptors or memory left: calls take new interpreters
        for fd in fds:
            os.close(fd)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
        return False
    finally:
        if os.getpid() == parent:
            gc.unfreeze()
    if pid == 0:  # pragma: no cover - the zygote; coverage does not follow it
        os.close(request_write)
        os.close(response_read)
        _zygote_loop(request_read, response_write, folder)
    os.close(request_read)
    os.close(response_write)
    zygote = Zygote(pid, request_write, response_read, folder)
    _ZYGOTE[:] = [zygote]
    atexit.register(zygote.close)
    return True


def _zygote_loop(requests: int, responses: int, folder: str) -> NoReturn:  # pragma: no cover - in the zygote
    """Fork a worker per ``run N path``, kill one on ``kill N``, write ``ended N status`` as each ends; when the
    requests end (the parent is gone, even killed), kill the workers left, remove ``folder`` and exit."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the group: the parent decides
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_read, False)
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # a worker's end wakes the select below
        workers: dict[int, int] = {}
        pending = b""
        listening = True
        while listening or workers:
            ready, _, _ = select.select([requests, wake_read] if listening else [wake_read], [], [], 1.0)
            if wake_read in ready:
                with contextlib.suppress(BlockingIOError):
                    while os.read(wake_read, 4096):
                        pass
            if requests in ready:
                chunk = os.read(requests, 65536)
                if not chunk:
                    listening = False
                    for pid in workers:
                        with contextlib.suppress(OSError):
                            os.kill(pid, signal.SIGKILL)
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    _obey(line.decode().split(" ", 2), workers, (requests, responses, wake_read, wake_write))
            while workers:
                pid, status = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
                number = workers.pop(pid, None)
                if number is not None:
                    with contextlib.suppress(OSError):
                        os.write(responses, f"ended {number} {os.waitstatus_to_exitcode(status)}\n".encode())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os._exit(0)


def _obey(words: list[str], workers: dict[int, int], fds: tuple[int, ...]) -> None:  # pragma: no cover - zygote
    """One request: ``run N path`` (fork its worker) or ``kill N``."""
    if words[0] == "run" and len(words) == 3:
        pid = os.fork()
        if pid == 0:
            for fd in fds:
                os.close(fd)
            _work(words[2])
        workers[pid] = int(words[1])
    elif words[0] == "kill" and len(words) == 2:
        for pid, number in workers.items():
            if number == int(words[1]):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


def _work(path: str) -> NoReturn:  # pragma: no cover - runs in a worker
    """Run the call pickled in ``path`` and write ``(True, value)`` to ``path + VALUE_SUFFIX``."""
    code = CHILD_FAILED
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        after_fork()  # the zygote never runs HiGHS, but a process may start it after it has
        with open(path, "rb") as file:
            call = pickle.load(file)
        value = call()
        with open(path + ".partial", "wb") as file:
            pickle.dump((True, value), file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(path + ".partial", path + VALUE_SUFFIX)
        code = 0
    except BaseException:
        code = CHILD_FAILED
    finally:
        os._exit(code)


class GivenUpError(Exception):
    """Raised by a call of :func:`in_fresh_children` that would run here after the calls were given up."""


def in_fresh_children(calls: Sequence[Callable[[], T]], workers: int) -> list[T]:
    """Each picklable call in a fresh child, at most ``workers`` at once (each waited for by a thread); their values
    in order.

    A call runs here instead where it cannot go to a child or its child fails (:meth:`Fresh.result`); a call that
    raises here raises its error to the caller. Given up, every child is killed and nothing more runs."""
    given_up = threading.Event()
    lock = threading.Lock()
    children: list[Fresh[T]] = []

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
