"""Lab: strong LP by column generation in HiGHS (restricted arcs, priced over all arcs), bound from the exact
Lagrangian at the LP duals. usage: m_cg.py names k time"""
import os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
import numpy as np
from core import Core, strong_model, run
from lagr import Lagrangian
from m_highs_get import get
from cflp_data import optima

def restricted_core(core: Core, keep: np.ndarray) -> Core:
    from dataclasses import replace
    return replace(core, ag=core.ag[keep], as_=core.as_[keep], ac=core.ac[keep])

def k_cheapest(core: Core, k: int) -> np.ndarray:
    order = np.lexsort((core.ac, core.ag))
    g = core.ag[order]
    first = np.searchsorted(g, np.arange(core.G))
    rank = np.arange(len(order)) - first[g]
    keep = np.zeros(core.A, bool)
    keep[order[rank < k]] = True
    return keep

def cg(core: Core, k: int, limit: float, verbose=True):
    t0 = time.perf_counter()
    lag = Lagrangian(core)
    keep = k_cheapest(core, k)
    it = 0
    while True:
        it += 1
        sub = restricted_core(core, keep)
        h, lay = strong_model(sub, integer=False)
        r = run(h, max(0.1, limit - (time.perf_counter() - t0)), solver="simplex")
        sol = h.getSolution()
        rd = np.asarray(sol.row_dual)
        lam = rd[: core.G]
        L, subg, y, v, crit, rc = lag.evaluate(lam)
        # LP reduced cost of arcs: c - λ_g - μ_s (μ = capacity row dual, <=0 in HiGHS sign for a <= row)
        # simple pricing: add arcs whose Lagrangian rc is below the site's critical rc (they would enter a knapsack)
        enter = (~keep) & (rc < crit[core.as_] - 1e-9) & (rc < 0)
        lp = r["obj"] + core.offset
        if verbose:
            print(f"  it{it} arcs={keep.sum()} lp={lp:.4f} L={L:.4f} enter={enter.sum()} lp_s={r['seconds']:.2f} t={time.perf_counter()-t0:.2f}", flush=True)
        if not enter.any() or time.perf_counter() - t0 > limit:
            return lp, L, keep, y, h, lay, time.perf_counter() - t0
        keep |= enter

if __name__ == "__main__":
    opt = optima()
    for name in sys.argv[1].split(","):
        core = get(name)
        l = os.getloadavg()[0]
        lp, L, keep, y, h, lay, sec = cg(core, int(sys.argv[2]), float(sys.argv[3]))
        print(f"{name} k={sys.argv[2]} lp={lp:.4f} L={L:.4f} opt={opt.get(name, float('nan'))} seconds={sec:.2f} load={l:.2f}")
