"""Lab: local search over the open set (drop / add / swap), each move priced by the exact transport."""

from __future__ import annotations

import time

import numpy as np

from core import Core
from flow import plan_cost, transport


def streets_ok(core: Core, y: np.ndarray) -> bool:
    if not len(core.deficit):
        return True
    st = core.street[y & core.free & (core.street >= 0)]
    return bool(np.all(np.bincount(st, minlength=len(core.deficit)) >= core.deficit))


def local_search(core: Core, y: np.ndarray, ub: float, x: np.ndarray, v: np.ndarray, deadline: float,
                 candidates: int = 30, log=None):
    """First-improvement local search; closed candidates ranked by the Lagrangian value v (cheapest first)."""
    evals = 0

    def cost_of(z):
        nonlocal evals
        evals += 1
        r = transport(core, z)
        if r is None:
            return np.inf, None
        return plan_cost(core, z, r[0]), r[0]

    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        opened = np.flatnonzero(y & core.free)
        closed = np.flatnonzero(core.free & ~y)
        closed = closed[np.argsort(v[closed], kind="stable")][:candidates]
        # drop moves: open sites with the least flow per opening cost first
        load = np.bincount(core.as_, weights=x, minlength=core.S)
        for s in opened[np.argsort(load[opened] / np.maximum(core.cost[opened], 1e-9), kind="stable")]:
            if time.perf_counter() > deadline:
                break
            z = y.copy(); z[s] = False
            if not streets_ok(core, z):
                continue
            c, xx = cost_of(z)
            if c < ub - 1e-9 * abs(ub):
                y, ub, x, improved = z, c, xx, True
                break
        if improved:
            continue
        for t in closed:
            if time.perf_counter() > deadline:
                break
            z = y.copy(); z[t] = True
            c, xx = cost_of(z)
            if c < ub - 1e-9 * abs(ub):
                y, ub, x, improved = z, c, xx, True
                break
        if improved:
            continue
        for s in opened:
            if improved or time.perf_counter() > deadline:
                break
            for t in closed:
                if time.perf_counter() > deadline:
                    break
                z = y.copy(); z[s] = False; z[t] = True
                if not streets_ok(core, z):
                    continue
                c, xx = cost_of(z)
                if c < ub - 1e-9 * abs(ub):
                    y, ub, x, improved = z, c, xx, True
                    break
    if log:
        log(f"    local search: ub={ub:.3f} evals={evals}")
    return y, ub, x
