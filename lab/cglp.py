"""Lab: strong LP by column generation in one warm-started HiGHS model (arcs enter as columns with their linking
rows); feasibility arcs from a max-flow that holds the unmet optimum; exact Lagrangian bound at the LP duals."""

from __future__ import annotations

import time

import numpy as np
from scipy.sparse import csc_matrix

from core import Core
from lagr import Lagrangian


def held_flow_arcs(core: Core) -> np.ndarray:
    """Arcs of a max-flow placing persons - U* with at most U_D disabled unmet (every site open)."""
    from ortools.graph.python import max_flow

    G, S = core.G, core.S
    src, snk, nd, no = G + S, G + S + 1, G + S + 2, G + S + 3
    p = core.persons.astype(np.int64)
    tails = np.concatenate([np.full(G, src), core.ag, G + np.arange(S), np.arange(G), [nd, no]])
    heads = np.concatenate([np.arange(G), G + core.as_, np.full(S, snk), np.where(core.disabled, nd, no), [snk, snk]])
    caps = np.concatenate([p, np.minimum(p[core.ag], core.capacity[core.as_]), core.capacity.astype(np.int64), p,
                           [core.unmet_d, core.unmet_t - core.unmet_d]])
    f = max_flow.SimpleMaxFlow()
    ids = f.add_arcs_with_capacity(tails.astype(np.int32), heads.astype(np.int32), caps.astype(np.int64))
    assert f.solve(src, snk) == f.OPTIMAL
    assert f.optimal_flow() == p.sum(), (f.optimal_flow(), p.sum())
    flows = np.asarray(f.flows(ids[G : G + core.A]))
    return flows > 0


def k_cheapest(core: Core, k: int) -> np.ndarray:
    order = np.lexsort((core.ac, core.ag))
    g = core.ag[order]
    first = np.searchsorted(g, np.arange(core.G))
    rank = np.arange(len(order)) - first[g]
    keep = np.zeros(core.A, bool)
    keep[order[rank < k]] = True
    return keep


class CgLp:
    """Columns: y (free sites), u (groups), then x per entered arc. Rows: balance (G), capacity (S), streets (T),
    unmet (2), then one linking row per entered arc to a free site."""

    def __init__(self, core: Core) -> None:
        from scipy.optimize._highspy import _core as hc

        self.core = core
        G, S = core.G, core.S
        self.fidx = np.flatnonzero(core.free)
        F = len(self.fidx)
        self.ycol = np.full(S, -1, np.int64)
        self.ycol[self.fidx] = np.arange(F)
        self.ucol0 = F
        self.ncol = F + G
        self.cap_row0 = G
        self.street_row0 = G + S
        T = len(core.deficit)
        self.unmet_row0 = G + S + T
        self.nrow = G + S + T + 2
        rows, cols, vals = [], [], []
        fr = self.fidx
        rows += [self.cap_row0 + fr]; cols += [self.ycol[fr]]; vals += [-core.capacity[fr].astype(float)]
        if T:
            ss = np.flatnonzero((core.street >= 0) & core.free)
            rows += [self.street_row0 + core.street[ss]]; cols += [self.ycol[ss]]; vals += [np.ones(len(ss))]
        rows += [np.arange(G)]; cols += [F + np.arange(G)]; vals += [np.ones(G)]
        d = np.flatnonzero(core.disabled)
        rows += [np.full(len(d), self.unmet_row0), np.full(G, self.unmet_row0 + 1)]
        cols += [F + d, F + np.arange(G)]; vals += [np.ones(len(d)), np.ones(G)]
        M = csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(self.nrow, self.ncol))
        lp = hc.HighsLp()
        lp.num_col_, lp.num_row_ = self.ncol, self.nrow
        lp.col_cost_ = np.concatenate([core.cost[fr], np.zeros(G)])
        lp.col_lower_ = np.zeros(self.ncol)
        lp.col_upper_ = np.concatenate([np.ones(F), core.persons.astype(float)])
        p = core.persons.astype(float)
        cap_hi = np.where(core.free, 0.0, core.capacity.astype(float))
        lp.row_lower_ = np.concatenate([p, np.full(S, -np.inf), core.deficit.astype(float), [-np.inf, -np.inf]])
        lp.row_upper_ = np.concatenate([p, cap_hi, np.full(T, np.inf), [core.unmet_d, core.unmet_t]])
        lp.a_matrix_.format_ = hc.MatrixFormat.kColwise
        lp.a_matrix_.start_ = M.indptr
        lp.a_matrix_.index_ = M.indices
        lp.a_matrix_.value_ = M.data
        self.h = hc._Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.passModel(lp)
        self.arcs = np.zeros(0, np.int64)  # entered arcs in column order
        self.inside = np.zeros(core.A, bool)
        self.b = np.minimum(core.persons[core.ag], core.capacity[core.as_]).astype(float)

    def add(self, arcs: np.ndarray) -> None:
        core = self.core
        arcs = arcs[~self.inside[arcs]]
        if not len(arcs):
            return
        n = len(arcs)
        start = np.arange(0, 2 * n, 2, dtype=np.int32)
        index = np.empty(2 * n, np.int32)
        index[0::2] = core.ag[arcs]
        index[1::2] = self.cap_row0 + core.as_[arcs]
        self.h.addCols(n, core.ac[arcs], np.zeros(n), self.b[arcs], 2 * n, start, index, np.ones(2 * n))
        cols = self.ncol + np.arange(n)
        self.ncol += n
        fr = core.free[core.as_[arcs]]
        m = int(fr.sum())
        if m:
            rstart = np.arange(0, 2 * m, 2, dtype=np.int32)
            rindex = np.empty(2 * m, np.int32)
            rindex[0::2] = cols[fr]
            rindex[1::2] = self.ycol[core.as_[arcs[fr]]]
            rval = np.empty(2 * m)
            rval[0::2] = 1.0
            rval[1::2] = -self.b[arcs[fr]]
            self.h.addRows(m, np.full(m, -np.inf), np.zeros(m), 2 * m, rstart, rindex, rval)
            self.nrow += m
        self.arcs = np.concatenate([self.arcs, arcs])
        self.inside[arcs] = True

    def solve(self, seconds: float, solver: str = "simplex", strategy: int = 1):
        self.h.setOptionValue("time_limit", float(max(0.01, seconds)))
        self.h.setOptionValue("solver", solver)
        self.h.setOptionValue("simplex_strategy", strategy)
        self.h.run()
        status = self.h.modelStatusToString(self.h.getModelStatus())
        sol = self.h.getSolution()
        rd = np.asarray(sol.row_dual)
        cv = np.asarray(sol.col_value)
        return status, self.h.getInfo().objective_function_value + self.core.offset, rd, cv


def column_generation(core: Core, k: int, limit: float, log=print, solver="simplex", batch=None, first_strategy=1, later_strategy=1):
    t0 = time.perf_counter()
    lag = Lagrangian(core)
    model = CgLp(core)
    init = k_cheapest(core, k) | held_flow_arcs(core)
    model.add(np.flatnonzero(init))
    t_init = time.perf_counter() - t0
    it = 0
    best_L, best_lam = -np.inf, None
    while True:
        it += 1
        ts = time.perf_counter()
        status, lp, rd, cv = model.solve(limit - (time.perf_counter() - t0), solver if it == 1 else "simplex",
                                         first_strategy if it == 1 else later_strategy)
        tlp = time.perf_counter() - ts
        lam = rd[: core.G]
        mu = rd[model.cap_row0 : model.cap_row0 + core.S]
        tl = time.perf_counter()
        L = lag.evaluate(lam)[0]
        rc = core.ac - lam[core.ag] - mu[core.as_]
        enter = np.flatnonzero((~model.inside) & (rc < -1e-7))
        tl = time.perf_counter() - tl
        if L > best_L:
            best_L, best_lam = L, lam
        log(f"  it{it} {status} arcs={len(model.arcs)} lp={lp:.4f} L={L:.4f} enter={len(enter)} lp_s={tlp:.2f} "
            f"price_s={tl:.3f} init_s={t_init:.2f} t={time.perf_counter()-t0:.2f}")
        if not len(enter) or time.perf_counter() - t0 > limit:
            return model, lp, best_L, best_lam, cv, time.perf_counter() - t0
        if batch:
            # at most `batch` entering arcs per group, the most negative first
            order = enter[np.lexsort((rc[enter], core.ag[enter]))]
            g = core.ag[order]
            first = np.searchsorted(g, g, side="left")
            rank = np.arange(len(order)) - first
            enter = order[rank < batch]
        model.add(enter)
