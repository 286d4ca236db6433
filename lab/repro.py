"""Lab: the landed observation stage on the OR-Library instances (pipeline settings), exact cost of its plan."""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

import numpy as np

from cflp_data import LARGE, SMALL, optima, read, stage_inputs
from models.base import SolveOptions
from models.observation import solve_observation


def exact_cost(result, inst) -> float:
    sites = result.table("sites")
    a = result.table("assignments")
    return float(sites.loc[sites["opened"].astype(bool), "opening_cost"].sum() + (a["persons"] * a["minutes"]).sum())


def main() -> None:
    names = sys.argv[1].split(",") if len(sys.argv) > 1 and sys.argv[1] not in ("small", "large") else (
        LARGE if len(sys.argv) > 1 and sys.argv[1] == "large" else SMALL
    )
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    k = None if len(sys.argv) > 3 and sys.argv[3] == "all" else 12
    opt = optima()
    for name in names:
        inst = read(name)
        g, s, a = stage_inputs(inst)
        load = os.getloadavg()[0]
        t = time.perf_counter()
        r = solve_observation(g, s, a, persons_per_room=1, sites_per_street_min=0, barrier_free_for_disabled=True,
                              options=SolveOptions(time_limit_s=limit), cost_arcs_per_group=k)
        sec = time.perf_counter() - t
        cost = exact_cost(r, inst)
        o = opt[name]
        print(f"{name:11s} status={r.status.value:8s} reported={r.objective:14.3f} exact={cost:14.3f} opt={o:14.3f} "
              f"above={100*(cost-o)/o:8.4f}% bound={r.bound:14.3f} bound_vs_opt={100*(r.bound-o)/o:8.4f}% "
              f"unmet={r.phases[1].objective:.0f} s={sec:6.2f} load={load:.2f}", flush=True)


if __name__ == "__main__":
    main()
