"""Lab: Lagrangian (cover cut) + Lagrangian heuristic + penalty fixing + reduced HiGHS MIP."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from core import Core, strong_model, run
from flow import plan_cost, transport
from lagr import Lagrangian, evaluate_cover, select_with_cover


def repair(core: Core, y: np.ndarray, v: np.ndarray):
    """Open more free sites (cheapest v first, doubling batches) until the transport holds the unmet optimum."""
    y = y | core.must
    order = np.flatnonzero(core.free & ~y)
    order = order[np.argsort(v[order], kind="stable")]
    step, pos = 1, 0
    while True:
        r = transport(core, y)
        if r is not None:
            x, u = r
            used = np.bincount(core.as_, weights=x, minlength=core.S) > 0
            y2 = core.must | (y & used)  # close unused free sites (never worse)
            # street minimum: re-add cheapest per street if closing broke it
            return fix_streets(core, y2, v), x
        if pos >= len(order):
            return None
        y[order[pos : pos + step]] = True
        pos += step
        step *= 2


def fix_streets(core: Core, y: np.ndarray, v: np.ndarray) -> np.ndarray:
    if not len(core.deficit):
        return y
    y = y.copy()
    for t in range(len(core.deficit)):
        members = np.flatnonzero((core.street == t) & core.free)
        miss = core.deficit[t] - int(y[members].sum())
        if miss > 0:
            closed = members[~y[members]]
            y[closed[np.argsort(v[closed], kind="stable")[:miss]]] = True
    return y


def evaluate(core: Core, y: np.ndarray):
    r = transport(core, y)
    if r is None:
        return None
    return plan_cost(core, y, r[0]), r[0]


def site_penalties(lag: Lagrangian, v: np.ndarray, y: np.ndarray, yval: float) -> np.ndarray:
    """Δ_s: increase of the y-part of the bound when free site s is flipped from its Lagrangian value."""
    core = lag.core
    pen = np.zeros(core.S)
    for s in np.flatnonzero(core.free):
        w = v.copy()
        if y[s]:
            w[s] = np.inf  # forbid (closing): huge cost makes it never chosen... handle via removal
            val = _yval_without(lag, w, s)
        else:
            val = _yval_with(lag, v, s)
        pen[s] = val - yval
    return pen


def _yval_with(lag, v, s):
    core = lag.core
    must = core.must.copy()
    must[s] = True
    free = core.free.copy()
    free[s] = False
    c2 = replace(core, must=must, free=free)
    l2 = Lagrangian.__new__(Lagrangian)
    l2.__dict__.update(lag.__dict__)
    l2.core = c2
    _, val = select_with_cover(l2, v)
    return val


def _yval_without(lag, w, s):
    core = lag.core
    free = core.free.copy()
    free[s] = False
    c2 = replace(core, free=free)
    l2 = Lagrangian.__new__(Lagrangian)
    l2.__dict__.update(lag.__dict__)
    l2.core = c2
    v = w.copy()
    v[s] = 0.0
    _, val = select_with_cover(l2, v)
    return val


def lagrangian_phase(core: Core, seconds: float, ub: float, y_best, x_best, log=None, heur_every=25):
    lag = Lagrangian(core)
    t0 = time.perf_counter()
    first = np.full(core.G, np.inf)
    np.minimum.at(first, core.ag, core.ac)
    lam = np.where(np.isfinite(first), first, 0.0)
    best, best_lam = -np.inf, lam.copy()
    alpha, stall = 2.0, 0
    seen = set()
    it = 0
    while time.perf_counter() - t0 < seconds:
        L, sub, y, v, crit, rc = evaluate_cover(lag, lam)
        if L > best + 1e-9 * max(1.0, abs(best) if np.isfinite(best) else 1.0):
            best, best_lam, stall = L, lam.copy(), 0
        else:
            stall += 1
            if stall >= 20:
                alpha, stall = alpha / 2, 0
        if it % heur_every == 0:
            key = np.flatnonzero(y & core.free).tobytes()
            if key not in seen:
                seen.add(key)
                rep = repair(core, y.copy(), v)
                if rep is not None:
                    y2, _ = rep
                    ev = evaluate(core, y2)
                    if ev is not None and ev[0] < ub:
                        ub, y_best, x_best = ev[0], y2, ev[1]
        target = ub if np.isfinite(ub) else abs(L) * 1.05 + 1
        norm = float(np.dot(sub, sub))
        if norm < 1e-12 or alpha < 1e-5 or (ub - best) <= 1e-9 * max(1.0, abs(ub)):
            break
        lam = lam + alpha * (target - L) / norm * sub
        it += 1
        if log and it % 200 == 0:
            log(f"    it{it} L={best:.2f} ub={ub:.2f} alpha={alpha:.3g} t={time.perf_counter()-t0:.2f}")
    return lag, best, best_lam, ub, y_best, x_best, it


def reduce_and_mip(core: Core, lag: Lagrangian, lam, L, ub, y_best, x_best, seconds, log=None):
    L2, sub, y, v, crit, rc = evaluate_cover(lag, lam)
    _, yval = select_with_cover(lag, v)
    dpen = site_penalties(lag, v, y, yval)
    gap = ub - L2
    fix_closed = core.free & ~y & (dpen > gap)
    fix_open = core.free & y & (dpen > gap)
    # arc penalties: rc - crit (not taken) + site flip penalty if site closed in LR
    apen = np.maximum(rc - crit[core.as_], 0.0) + np.where(y[core.as_], 0.0, np.maximum(dpen[core.as_], 0.0))
    keep_arc = (apen <= gap) & ~fix_closed[core.as_]
    keep_arc |= x_best > 0  # incumbent stays feasible
    free = core.free & ~fix_closed & ~fix_open
    must = core.must | fix_open
    red = replace(core, free=free, must=must, ag=core.ag[keep_arc], as_=core.as_[keep_arc], ac=core.ac[keep_arc],
                  cost=np.where(free, core.cost, 0.0), offset=core.offset + float(core.cost[fix_open].sum()))
    if log:
        log(f"    fixing: gap={gap:.2f} closed={fix_closed.sum()} open={fix_open.sum()} free_left={free.sum()} "
            f"arcs {core.A}->{keep_arc.sum()}")
    t = time.perf_counter()
    h, lay = strong_model(red, integer=True)
    # incumbent
    A, F = lay["A"], lay["F"]
    sol = np.zeros(lay["ncol"])
    sol[:A] = x_best[keep_arc]
    sol[A : A + F] = y_best[lay["fidx"]].astype(float)
    placed = np.bincount(core.ag, weights=x_best, minlength=core.G)
    sol[A + F :] = core.persons - placed
    from scipy.optimize._highspy import _core as hc
    hs = hc.HighsSolution()
    hs.col_value = sol
    hs.value_valid = True
    h.setSolution(hs)
    r = run(h, seconds, mip_rel_gap=1e-9, mip_abs_gap=1e-6)
    cv = np.asarray(h.getSolution().col_value)
    if F == 0:  # every site fixed: the reduced model is an LP (a transport) solved to optimality
        rb = r["obj"] if r["status"] == "Optimal" else -np.inf
    else:
        rb = r["bound"] if r["status"] in ("Optimal", "Time limit reached") else -np.inf
    bound = max(L2, min(ub, rb + red.offset))
    if r["obj"] + red.offset < ub - 1e-9 and len(cv):
        yy = must.copy()
        yy[lay["fidx"]] |= cv[A : A + F] > 0.5
        ev = evaluate(core, yy)
        if ev is not None and ev[0] < ub:
            ub, y_best, x_best = ev[0], yy, ev[1]
    if log:
        log(f"    mip: {r['status']} obj={r['obj'] + red.offset:.3f} bound={r['bound'] + red.offset:.3f} nodes={r['nodes']} "
            f"s={time.perf_counter()-t:.2f}")
    return ub, bound, y_best, x_best


def solve(core: Core, seconds: float, log=None, lag_share=0.3, ls_share=0.3):
    t0 = time.perf_counter()
    y0 = core.must | core.free
    ev = evaluate(core, y0)
    ub, y_best, x_best = (ev[0], y0, ev[1]) if ev else (np.inf, None, None)
    lag, L, lam, ub, y_best, x_best, its = lagrangian_phase(core, seconds * lag_share, ub, y_best, x_best, log=log)
    if log:
        log(f"  lagrangian: L={L:.3f} ub={ub:.3f} gap={100*(ub-L)/ub:.4f}% its={its} t={time.perf_counter()-t0:.2f}")
    bound = L
    if ub - L > 1e-9 * abs(ub) and y_best is not None:
        from local import local_search
        _, _, _, v, _, _ = evaluate_cover(lag, lam)
        y_best, ub, x_best = local_search(core, y_best, ub, x_best, v,
                                          time.perf_counter() + ls_share * (seconds - (time.perf_counter() - t0)), log=log)
        if log:
            log(f"  after local search: ub={ub:.3f} t={time.perf_counter()-t0:.2f}")
    if ub - L > 1e-9 * abs(ub):
        ub, bound, y_best, x_best = reduce_and_mip(core, lag, lam, L, ub, y_best, x_best,
                                                  seconds - (time.perf_counter() - t0), log=log)
    return ub, bound, y_best, x_best, time.perf_counter() - t0
