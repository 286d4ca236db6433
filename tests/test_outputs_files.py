"""Writing a plan to files: the format by suffix, atomic writes."""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import openpyxl
import pandas as pd
import pytest

import planner.memory
from planner.outputs import csv_zip, files, plan_json, workbook
from planner.outputs.files import atomic_write, write_csv_zip, write_json, write_plan, write_xlsx
from planner.outputs.plan_json import plan_to_json
from planner.report.plan import Plan


@pytest.fixture
def small_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process holds 100 MB (the test process may hold more than a child's share would allow), and the
    system has room for a copy of it."""
    monkeypatch.setattr(planner.memory, "resident_bytes", lambda: 100 * 1024**2)
    monkeypatch.setattr(planner.memory, "children_peak_bytes", lambda: 0)
    monkeypatch.setattr(files, "can_fork", lambda: True)


def test_write_plan_chooses_the_format_by_suffix(plan: Plan, tmp_path: Path) -> None:
    paths = [tmp_path / "plan.json", tmp_path / "plan.XLSX", tmp_path / "plan.zip"]
    assert write_plan(plan, paths) == paths
    assert json.loads(paths[0].read_text(encoding="utf-8")) == plan_to_json(plan)
    assert openpyxl.load_workbook(paths[1]).sheetnames[0] == "Summary"
    assert "plan.json" in zipfile.ZipFile(paths[2]).namelist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.XLSX", "plan.json", "plan.zip"]
    assert paths[0].stat().st_mode & 0o777 == 0o644
    assert write_plan(plan, str(tmp_path / "one.json")) == [tmp_path / "one.json"]


def test_bad_suffix_raises_before_anything_is_written(plan: Plan, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.json, \.xlsx, \.zip"):
        write_plan(plan, [tmp_path / "plan.json", tmp_path / "plan.txt"])
    with pytest.raises(ValueError, match=r"plan\.csv"):
        write_plan(plan, tmp_path / "plan.csv")
    assert list(tmp_path.iterdir()) == []


def test_failing_zip_write_leaves_no_file_and_no_temp_file(
    plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write_csv = csv_zip.write_csv
    seen: list[list[str]] = []

    def fail_on_third_table(frame: pd.DataFrame, handle: IO[bytes]) -> None:
        seen.append(sorted(p.name for p in tmp_path.iterdir()))
        if len(seen) == 3:
            raise OSError("disk full")
        real_write_csv(frame, handle)

    monkeypatch.setattr(csv_zip, "write_csv", fail_on_third_table)
    with pytest.raises(OSError, match="disk full"):
        write_csv_zip(plan, tmp_path / "plan.zip")
    assert seen[-1] and seen[-1][0].startswith(".plan.zip.")  # the temp file existed, half written
    assert list(tmp_path.iterdir()) == []


def test_failing_xlsx_write_keeps_the_old_file(plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"old plan")
    calls: list[str] = []

    def fail_on_second_sheet(*args: Any) -> None:
        calls.append(args[2])
        if len(calls) == 2:
            raise RuntimeError("writer crashed")

    monkeypatch.setattr(workbook, "write_table_sheet", fail_on_second_sheet)
    with pytest.raises(RuntimeError, match="writer crashed"):
        write_xlsx(plan, target)
    assert [p.name for p in tmp_path.iterdir()] == ["plan.xlsx"]
    assert target.read_bytes() == b"old plan"


def test_failing_json_write_leaves_nothing(plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(_plan: Plan, lazy: bool = False) -> dict[str, Any]:
        raise ValueError("bad plan")

    monkeypatch.setattr(plan_json, "plan_to_json", crash)
    with pytest.raises(ValueError, match="bad plan"):
        write_json(plan, tmp_path / "plan.json")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_removes_a_half_written_temp_file(tmp_path: Path) -> None:
    def half_then_fail(handle: Any) -> None:
        handle.write(b"half")
        handle.flush()
        assert len(list(tmp_path.iterdir())) == 1
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "plan.json", half_then_fail)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- all of a run's files, or none


@pytest.mark.usefixtures("small_process")
@pytest.mark.parametrize("failing", ["workbook", "zip"])
def test_a_failing_output_leaves_every_previous_file_and_no_temporary(
    plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """The workbook fails here; the zip fails in the child writing it beside the workbook, then again here."""
    targets = [tmp_path / "plan.json", tmp_path / "plan.xlsx", tmp_path / "plan.zip"]
    for target in targets:
        target.write_bytes(b"previous")

    def crash(*args: Any) -> None:
        raise OSError("disk full")

    if failing == "workbook":
        monkeypatch.setattr(workbook, "write_table_sheet", crash)
    else:
        monkeypatch.setattr(files, "write_zip", crash)
    with pytest.raises(OSError, match="disk full"):
        write_plan(plan, targets)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json", "plan.xlsx", "plan.zip"]
    assert all(target.read_bytes() == b"previous" for target in targets)


def test_folders_made_for_the_outputs_are_removed_when_writing_fails(
    plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbook, "write_table_sheet", lambda *args: (_ for _ in ()).throw(OSError("no")))
    with pytest.raises(OSError):
        write_plan(plan, [tmp_path / "a" / "b" / "plan.json", tmp_path / "c" / "plan.xlsx"])
    assert list(tmp_path.iterdir()) == []


def test_a_folder_is_never_written_over(plan: Plan, tmp_path: Path) -> None:
    (tmp_path / "plan.json").mkdir()
    with pytest.raises(ValueError, match="over the folder"):
        write_plan(plan, [tmp_path / "plan.xlsx", tmp_path / "plan.json"])
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_a_signal_while_renaming_comes_after_every_output_is_in_place(
    plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal

    from planner import signals
    from planner.outputs import files

    targets = [tmp_path / "plan.json", tmp_path / "plan.zip"]
    real_replace = os.replace
    renamed: list[str] = []

    def replace_then_signal(source: Path, target: Path) -> None:
        real_replace(source, target)
        renamed.append(Path(target).name)
        if len(renamed) == 1:
            os.kill(os.getpid(), signal.SIGTERM)

    previous = {signum: signal.getsignal(signum) for signum in signals.SIGNALS}
    signals.install()
    try:
        monkeypatch.setattr(files.os, "replace", replace_then_signal)
        with pytest.raises(signals.Terminated):
            write_plan(plan, targets)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    assert renamed == ["plan.json", "plan.zip"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json", "plan.zip"]
    assert json.loads(targets[0].read_text(encoding="utf-8")) == plan_to_json(plan)


# --------------------------------------------------------------------------- written side by side


def _pid_writer(*_args: Any) -> Callable[[IO[bytes]], None]:
    """A JSON maker whose file holds the pid of the process that wrote it."""
    return lambda handle: handle.write(json.dumps({"pid": os.getpid()}).encode())


def _written_by(path: Path) -> int:
    return int(json.loads(path.read_text())["pid"])


@pytest.mark.usefixtures("small_process")
def test_with_two_cores_the_workbook_is_written_here_and_the_rest_in_a_child(
    plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = write_plan(plan, [tmp_path / "alone.json"])[0].read_bytes()
    side_by_side = write_plan(plan, [tmp_path / "plan.xlsx", tmp_path / "plan.json", tmp_path / "plan.zip"])
    assert [p.name for p in side_by_side] == ["plan.xlsx", "plan.json", "plan.zip"]
    assert (tmp_path / "plan.json").read_bytes() == alone
    assert openpyxl.load_workbook(tmp_path / "plan.xlsx", read_only=True).sheetnames
    assert zipfile.ZipFile(tmp_path / "plan.zip").testzip() is None
    monkeypatch.setitem(files._MAKERS, ".json", _pid_writer)
    write_plan(plan, [tmp_path / "plan.xlsx", tmp_path / "plan.json"])
    assert _written_by(tmp_path / "plan.json") != os.getpid()
    monkeypatch.setattr(files.os, "sched_getaffinity", lambda _pid: {0})
    write_plan(plan, [tmp_path / "plan.xlsx", tmp_path / "plan.json"])
    assert _written_by(tmp_path / "plan.json") == os.getpid(), "one core: one after the other, here"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alone.json", "plan.json", "plan.xlsx", "plan.zip"]


def test_a_process_too_large_for_a_child_writes_every_file_itself(
    plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child copies the pages it touches and the writers here grow meanwhile (``files.WRITING_SHARE``, 0.55): with the
    process at 1.35 GB the two would pass the 2 GB budget, so nothing is forked."""
    monkeypatch.setitem(files._MAKERS, ".json", _pid_writer)
    monkeypatch.setattr(planner.memory, "children_peak_bytes", lambda: 0)
    monkeypatch.setattr(planner.memory, "resident_bytes", lambda: int(1.35e9))
    write_plan(plan, [tmp_path / "plan.xlsx", tmp_path / "plan.json"])
    assert _written_by(tmp_path / "plan.json") == os.getpid()
    monkeypatch.setattr(planner.memory, "resident_bytes", lambda: int(1.0e9))
    monkeypatch.setattr(files, "can_fork", lambda: True)
    write_plan(plan, [tmp_path / "plan.xlsx", tmp_path / "plan.json"])
    assert _written_by(tmp_path / "plan.json") != os.getpid(), "1 GB and 0.55 GB more stay within 2 GB"
    monkeypatch.setattr(planner.memory, "children_peak_bytes", lambda: int(0.5e9))
    write_plan(plan, [tmp_path / "plan.xlsx", tmp_path / "plan.json"])
    assert _written_by(tmp_path / "plan.json") == os.getpid(), "with 0.5 GB held by its children they would not"
    monkeypatch.setattr(files, "can_fork", lambda: False)
    write_plan(plan, [tmp_path / "plan.xlsx", tmp_path / "plan.json"])
    assert _written_by(tmp_path / "plan.json") == os.getpid(), "no memory on the machine for a copy"


@pytest.mark.usefixtures("small_process")
def test_a_file_the_child_fails_to_write_is_written_here(
    plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()

    def fails_in_a_child(*_args: Any) -> Callable[[IO[bytes]], None]:
        def write(handle: IO[bytes]) -> None:
            if os.getpid() != parent:
                raise MemoryError
            handle.write(json.dumps({"pid": os.getpid()}).encode())

        return write

    monkeypatch.setitem(files._MAKERS, ".json", fails_in_a_child)
    write_plan(plan, [tmp_path / "plan.xlsx", tmp_path / "plan.json"])
    assert _written_by(tmp_path / "plan.json") == parent
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json", "plan.xlsx"]
