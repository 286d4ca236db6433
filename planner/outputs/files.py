"""Writing a plan to files: ``.json``, ``.xlsx``, ``.zip`` or ``.pdf`` by the file's suffix, all of them or none.

Every file is first written into a temporary file in its target's folder (``.plan.json.XXXX.tmp``); only
when every one is complete are they renamed over their targets, one after the other with SIGINT and SIGTERM
held back (:func:`planner.signals.deferred`) and the target folders locked against another run doing the
same (``flock``), so two runs writing the same paths never leave files of both. On any error or interruption
before the renames, every temporary file (and every folder created for the outputs) is removed and the
previous files are left as they were.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from planner.forked import Forked, can_fork
from planner.memory import release_free_memory, room_for_a_child_in_budget
from planner.outputs.by_district import details_path_name, oversized
from planner.outputs.csv_zip import write_tables_zip, write_zip
from planner.outputs.plan_json import write_json as write_json_document
from planner.outputs.tables import plan_tables
from planner.outputs.workbook import write_workbook
from planner.signals import deferred

if TYPE_CHECKING:
    import pandas as pd

    from planner.report.plan import Plan

try:
    import fcntl
except ImportError:  # not on POSIX: the renames are not locked against a concurrent run
    fcntl = None  # type: ignore[assignment]

SUFFIXES = (".json", ".xlsx", ".zip", ".pdf")
Writer = Callable[[IO[bytes]], None]


def _stage(target: Path, write: Writer) -> Path:
    """Call ``write`` on a new temporary file next to ``target`` and return it (removed on any error)."""
    temporary = _temporary_beside(target)
    try:
        _write_into(temporary, target, write)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _temporary_beside(target: Path) -> Path:
    """A new empty temporary file in ``target``'s folder (``.<name>.XXXX.tmp``)."""
    descriptor, temporary_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(descriptor)
    return Path(temporary_name)


def _write_into(temporary: Path, target: Path, write: Writer) -> None:
    """Call ``write`` on ``temporary`` (emptied first), flushed to disk, with ``target``'s mode (0644 if new)."""
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    with temporary.open("wb") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.chmod(mode)


@contextlib.contextmanager
def _locked(folders: Iterable[Path]) -> Iterator[None]:
    """Hold an exclusive ``flock`` on every folder (in a fixed order, so two runs cannot deadlock)."""
    descriptors: list[int] = []
    try:
        for folder in sorted({folder.resolve() for folder in folders}):
            if fcntl is None:
                break
            descriptor = os.open(folder, os.O_RDONLY)
            descriptors.append(descriptor)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        for descriptor in descriptors:
            os.close(descriptor)  # closing releases the lock


def replace_all(staged: list[tuple[Path, Path]]) -> list[Path]:
    """Rename each ``(temporary, target)`` pair into place, as one step; returns the targets."""
    with _locked(target.parent for _, target in staged), deferred():
        for temporary, target in staged:
            os.replace(temporary, target)
    return [target for _, target in staged]


def atomic_write(path: str | os.PathLike[str], write: Writer) -> Path:
    """Call ``write`` on a temporary file next to ``path``, then rename it to ``path``.

    On any error the temporary file is removed and an existing ``path`` is left
    untouched; the error propagates.

    Returns
    -------
    Path
        The written ``path``.
    """
    target = Path(path)
    temporary = _stage(target, write)
    try:
        return replace_all([(temporary, target)])[0]
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _bytes_writer(payload: bytes) -> Writer:
    def write(handle: IO[bytes]) -> None:
        handle.write(payload)

    return write


def _json_writer(
    plan: Plan, language: str = "en", names: Mapping[str, str] | None = None, border: Any = None
) -> Writer:
    return lambda handle: write_json_document(plan, handle)


def _xlsx_writer(
    plan: Plan,
    language: str = "en",
    names: Mapping[str, str] | None = None,
    border: pd.DataFrame | None = None,
    district_of: Mapping[str, str] | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> Writer:
    return lambda handle: write_workbook(plan, handle, language, names, border, district_of, tables)


def _zip_writer(plan: Plan, language: str = "en", names: Mapping[str, str] | None = None, border: Any = None) -> Writer:
    return lambda handle: write_zip(plan, handle)


def _pdf_writer(plan: Plan, language: str = "en", names: Mapping[str, str] | None = None, border: Any = None) -> Writer:
    from planner.report.summary import summary_pdf

    return _bytes_writer(summary_pdf(plan, language, names))


_MAKERS: dict[str, Callable[..., Writer]] = {
    ".json": _json_writer,
    ".xlsx": _xlsx_writer,
    ".zip": _zip_writer,
    ".pdf": _pdf_writer,
}
"""Per suffix: what turns a plan (language, names, border) into the function that writes its file."""


def write_json(plan: Plan, path: str | os.PathLike[str]) -> Path:
    """Write the ``epiplan.plan/1`` JSON document to ``path`` (atomically)."""
    return atomic_write(path, _json_writer(plan))


def write_xlsx(
    plan: Plan,
    path: str | os.PathLike[str],
    language: str = "en",
    names: Mapping[str, str] | None = None,
    border: pd.DataFrame | None = None,
) -> Path:
    """Write the coordinator's Excel workbook in ``language`` to ``path`` (atomically); ``names``: id -> name;
    ``border``: a district's flows across its border."""
    return atomic_write(path, _xlsx_writer(plan, language, names, border))


def write_pdf(
    plan: Plan, path: str | os.PathLike[str], language: str = "en", names: Mapping[str, str] | None = None
) -> Path:
    """Write the one-page printable summary (``planner.report.summary``) in ``language`` to ``path``."""
    return atomic_write(path, _pdf_writer(plan, language, names))


def write_csv_zip(plan: Plan, path: str | os.PathLike[str]) -> Path:
    """Write the zip of CSVs (with ``plan.json``) to ``path`` (atomically)."""
    return atomic_write(path, _zip_writer(plan))


WRITERS: dict[str, Callable[..., Path]] = {
    ".json": write_json,
    ".xlsx": write_xlsx,
    ".zip": write_csv_zip,
    ".pdf": write_pdf,
}
"""Per suffix: the function that writes one file of that kind (atomically)."""


def _make_folders(targets: list[Path]) -> list[Path]:
    """Create the missing folders of ``targets``; the created ones, deepest first."""
    created: list[Path] = []
    for target in targets:
        missing = [folder for folder in (target.parent, *target.parent.parents) if not folder.exists()]
        for folder in reversed(missing):
            folder.mkdir(exist_ok=True)
            created.append(folder)
    return created[::-1]


def write_plan(
    plan: Plan,
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    language: str = "en",
    names: Mapping[str, str] | None = None,
    border: pd.DataFrame | None = None,
    district_of: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write the plan to one or several files, the format chosen by each file's suffix: all of them or none;
    the workbook in ``language`` with ``names`` beside ids (the JSON and the CSVs keep their English keys).

    With ``district_of`` (id -> district), a workbook shows the tables longer than
    :data:`~planner.outputs.by_district.SHEET_ROWS_MAX` rows by district and their full rows go, as CSV, into
    ``<workbook>.details.zip`` beside it (written and returned with the others).

    Raises
    ------
    ValueError
        When a suffix is not ``.json``, ``.xlsx``, ``.zip`` or ``.pdf``, or a target is a folder (checked
        before anything is written).
    """
    targets = [Path(paths)] if isinstance(paths, str | os.PathLike) else [Path(p) for p in paths]
    unknown = [str(target) for target in targets if target.suffix.lower() not in WRITERS]
    if unknown:
        raise ValueError(f"cannot export a plan to {', '.join(unknown)}: use a file ending in {', '.join(SUFFIXES)}")
    folders = [str(target) for target in targets if target.is_dir()]
    if folders:
        raise ValueError(f"cannot write a plan over the folder {', '.join(folders)}")
    targets = list(dict.fromkeys(targets))
    created = _make_folders(targets)
    staged: list[tuple[Path, Path]] = []
    try:
        jobs: list[Job] = []
        for target, writer in _jobs(plan, targets, language, names, border, district_of):
            staged.append((_temporary_beside(target), target))
            jobs.append((staged[-1][0], target, writer))
        _write_side_by_side(jobs)
        return replace_all(staged)
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        for folder in created:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _jobs(
    plan: Plan,
    targets: list[Path],
    language: str,
    names: Mapping[str, str] | None,
    border: pd.DataFrame | None,
    district_of: Mapping[str, str] | None,
) -> list[tuple[Path, Writer]]:
    """Each file to write and its writer, in order (a workbook's details zip just before it)."""
    jobs: list[tuple[Path, Writer]] = []
    for target in targets:
        if target.suffix.lower() == ".xlsx" and district_of is not None:
            tables = plan_tables(plan)  # once, for the workbook and the details beside it
            jobs.extend(_details_beside(tables, target))
            jobs.append((target, _xlsx_writer(plan, language, names, border, district_of, tables)))
        else:
            jobs.append((target, _MAKERS[target.suffix.lower()](plan, language, names, border)))
    return jobs


Job = tuple[Path, Path, Writer]
"""A file to write: (temporary, target, writer)."""


WRITING_SHARE = 0.55
"""What writing beside a child adds, as a share of this process's resident memory: the child's own pages
(``planner.memory.CHILD_COPY_SHARE``) and what the writers here come to hold meanwhile. Measured on the national daily
plan with every process of the tree counted (``bench.tree_memory``): 0.59 GB for a process of 1.20 GB (the workbook
here, its details zip and the JSON in the child), at most 1.78-1.79 GB; 0.49 and a margin."""


def _write_side_by_side(jobs: list[Job]) -> None:
    """Write every job's temporary file; with two cores and the memory for it, the workbooks here and the others
    in a forked child (``planner.forked``) at the same time.

    Writing holds the GIL (xlsxwriter, ``csv``, ``json`` are Python), so a thread would not help; a child
    writes into the temporary files made here, so whatever becomes of it the caller removes them. If the child
    fails, its files are written here (and an error is raised here). Measured (2 cores, ``epiplan solve --out
    plan.xlsx --out plan.json``): the province's daily plan 26.6 -> 23.1 s, 1.11 -> 1.30 GB; the national snapshot
    (0.75 GB after ``make_plan``) 7.6 s; the national daily plan (1.20 GB after ``make_plan``) 26-27 -> 17-19 s, the
    two processes at 1.78-1.79 GB. Where this process and what the child adds would pass the memory budget
    (:data:`WRITING_SHARE`), the files are written one after the other."""
    here = [job for job in jobs if job[1].suffix.lower() == ".xlsx"] or jobs[:1]
    there = [job for job in jobs if job not in here]
    if not there or not _room_for_a_child():
        _write_all(jobs)
        return
    child = Forked.start(functools.partial(_write_all, there))
    try:
        _write_all(here)
    except BaseException:
        child.cancel()
        raise
    child.result()


def _room_for_a_child() -> bool:
    """Two cores, a child that may be forked (``planner.forked.can_fork``) and the memory for it within the
    processes' budget (``planner.memory.room_for_a_child_in_budget``, with :data:`WRITING_SHARE`)."""
    return len(os.sched_getaffinity(0)) >= 2 and can_fork() and room_for_a_child_in_budget(WRITING_SHARE)


def _write_all(jobs: list[Job]) -> bool:
    """Write the jobs one after the other (True: written)."""
    for temporary, target, writer in jobs:
        _write_into(temporary, target, writer)
        release_free_memory()  # a writer's buffers, freed, are not held while the next one writes
    return True


def _details_beside(tables: Mapping[str, pd.DataFrame], workbook: Path) -> list[tuple[Path, Writer]]:
    """The details zip of a workbook's summarised tables and its writer, if it has any."""
    long = {name: tables[name] for name in oversized(tables)}
    if not long:
        return []
    target = workbook.with_name(details_path_name(workbook.name))
    return [(target, lambda handle: write_tables_zip(long, handle))]


__all__ = [
    "SUFFIXES",
    "WRITERS",
    "atomic_write",
    "replace_all",
    "write_csv_zip",
    "write_json",
    "write_pdf",
    "write_plan",
    "write_xlsx",
]
