"""Lab: route A — strong LP by column generation (HiGHS), exact Lagrangian bound at its duals, LP rounding."""

from __future__ import annotations

import time

import numpy as np

from cglp import column_generation
from core import Core
from flow import plan_cost, transport
from lagr import Lagrangian, evaluate_cover


def solve_cg(core: Core, seconds: float, k: int = 8, log=None):
    t0 = time.perf_counter()
    model, lp, L, lam, cv, sec = column_generation(core, k, seconds * 0.7, log=log or (lambda s: None))
    lag = Lagrangian(core)
    Lc = evaluate_cover(lag, lam)[0]
    bound = max(L, Lc)
    F = len(model.fidx)
    yv = cv[:F]
    y = core.must.copy()
    y[model.fidx] = yv > 0.5
    frac = int(((yv > 1e-9) & (yv < 1 - 1e-9)).sum())
    arcs = model.arcs
    t = time.perf_counter()
    r = transport(core, y, arcs)
    if r is None:
        y[model.fidx] = yv > 1e-9
        r = transport(core, y, arcs)
    x, u = r
    ub = plan_cost(core, y, x)
    tf = time.perf_counter() - t
    if log:
        log(f"  cg: lp={lp:.4f} L={L:.4f} Lcover={Lc:.4f} frac={frac} ub={ub:.4f} flow_s={tf:.2f} t={time.perf_counter()-t0:.2f}")
    return ub, bound, y, x, time.perf_counter() - t0
