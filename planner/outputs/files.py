"""Writing a plan to files: ``.json``, ``.xlsx``, ``.zip`` or ``.pdf`` by the file's suffix, each atomically.

Every file is written into a temporary file in the target's folder, then renamed over the target; on any error
the temporary file is removed and an existing target is left as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING

from planner.outputs.csv_zip import write_zip
from planner.outputs.plan_json import to_json_bytes
from planner.outputs.workbook import write_workbook

if TYPE_CHECKING:
    import pandas as pd

    from planner.report.plan import Plan

SUFFIXES = (".json", ".xlsx", ".zip", ".pdf")


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write`` on a temporary file next to ``path``, then rename it to ``path``.

    On any error the temporary file is removed and an existing ``path`` is left
    untouched; the error propagates.

    Returns
    -------
    Path
        The written ``path``.
    """
    target = Path(path)
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    descriptor, temporary_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temporary = Path(temporary_name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(mode)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def write_json(plan: Plan, path: str | os.PathLike[str]) -> Path:
    """Write the ``epiplan.plan/1`` JSON document to ``path`` (atomically)."""
    payload = to_json_bytes(plan)

    def write(handle: IO[bytes]) -> None:
        handle.write(payload)

    return atomic_write(path, write)


def write_xlsx(
    plan: Plan,
    path: str | os.PathLike[str],
    language: str = "en",
    names: Mapping[str, str] | None = None,
    border: pd.DataFrame | None = None,
) -> Path:
    """Write the coordinator's Excel workbook in ``language`` to ``path`` (atomically); ``names``: id -> name;
    ``border``: a district's flows across its border."""
    return atomic_write(path, lambda handle: write_workbook(plan, handle, language, names, border))


def write_pdf(
    plan: Plan, path: str | os.PathLike[str], language: str = "en", names: Mapping[str, str] | None = None
) -> Path:
    """Write the one-page printable summary (``planner.report.summary``) in ``language`` to ``path``."""
    from planner.report.summary import summary_pdf

    payload = summary_pdf(plan, language, names)

    def write(handle: IO[bytes]) -> None:
        handle.write(payload)

    return atomic_write(path, write)


def write_csv_zip(plan: Plan, path: str | os.PathLike[str]) -> Path:
    """Write the zip of CSVs (with ``plan.json``) to ``path`` (atomically)."""
    return atomic_write(path, lambda handle: write_zip(plan, handle))


WRITERS: dict[str, Callable[[Plan, str | os.PathLike[str]], Path]] = {
    ".json": write_json,
    ".xlsx": write_xlsx,
    ".zip": write_csv_zip,
    ".pdf": write_pdf,
}


def write_plan(
    plan: Plan,
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    language: str = "en",
    names: Mapping[str, str] | None = None,
    border: pd.DataFrame | None = None,
) -> list[Path]:
    """Write the plan to one or several files, the format chosen by each file's suffix; the workbook in
    ``language`` with ``names`` beside ids (the JSON and the CSVs keep their English keys).

    Raises
    ------
    ValueError
        When a suffix is not ``.json``, ``.xlsx``, ``.zip`` or ``.pdf`` (checked before anything is written).
    """
    targets = [Path(paths)] if isinstance(paths, str | os.PathLike) else [Path(p) for p in paths]
    unknown = [str(target) for target in targets if target.suffix.lower() not in WRITERS]
    if unknown:
        raise ValueError(f"cannot export a plan to {', '.join(unknown)}: use a file ending in {', '.join(SUFFIXES)}")
    writers: dict[str, Callable[[Plan, str | os.PathLike[str]], Path]] = {
        **WRITERS,
        ".xlsx": partial(write_xlsx, language=language, names=names, border=border),
        ".pdf": partial(write_pdf, language=language, names=names),
    }
    return [writers[target.suffix.lower()](plan, target) for target in targets]


__all__ = [
    "SUFFIXES",
    "WRITERS",
    "atomic_write",
    "write_csv_zip",
    "write_json",
    "write_pdf",
    "write_plan",
    "write_xlsx",
]
