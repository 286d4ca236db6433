"""What a benchmark runs on and how it is measured: the machine, the software versions, the load average, and
this process's peak memory and CPU seconds.
"""

from __future__ import annotations

import os
import platform
import resource
import time
from importlib import metadata
from pathlib import Path
from typing import Any

MB = 1024 * 1024


def machine_info() -> dict[str, Any]:
    """Platform, CPU model, cores and memory of this machine."""
    import psutil  # type: ignore[import-untyped]

    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": model or platform.processor(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_total_mb": round(psutil.virtual_memory().total / MB, 1),
        "python": platform.python_version(),
    }


def versions() -> dict[str, str]:
    """Versions of python and the numeric and solver packages."""
    found = {"python": platform.python_version()}
    for package in ("ortools", "pandas", "numpy", "scipy", "pulp", "psutil"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (the machine is shared: timings move with it)."""
    return [round(x, 2) for x in os.getloadavg()]


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory in MB (``ru_maxrss`` is in KB on Linux)."""
    return round(resource.getrusage(who).ru_maxrss / 1024.0, 1)


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (CBC) so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def import_solvers() -> float:
    """Import the solver modules once (their import time is not the plan's); returns the seconds."""
    start = time.perf_counter()
    from ortools.graph.python import max_flow, min_cost_flow  # noqa: F401
    from ortools.sat.python import cp_model  # noqa: F401

    import bench.mip  # noqa: F401  (pulp)
    import planner.pipeline  # noqa: F401

    return time.perf_counter() - start
