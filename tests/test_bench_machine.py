"""bench.machine: the machine, versions and meters every benchmark result records."""

from __future__ import annotations

from bench.machine import cpu_seconds, import_solvers, load_average, machine_info, peak_rss_mb, versions


def test_machine_info_and_versions_name_what_the_result_promises() -> None:
    info = machine_info()
    assert {"platform", "machine", "cpu_model", "cores", "usable_cores", "memory_total_mb", "python"} == set(info)
    assert info["cores"] >= info["usable_cores"] >= 1 and info["memory_total_mb"] > 0
    found = versions()
    assert {"python", "ortools", "pandas", "numpy", "scipy", "pulp", "psutil"} == set(found)
    assert found["python"] == info["python"]


def test_meters_of_this_process() -> None:
    assert len(load_average()) == 3
    assert peak_rss_mb() > 0
    before = cpu_seconds()
    sum(i * i for i in range(200_000))
    assert cpu_seconds() >= before
    assert import_solvers() >= 0.0
