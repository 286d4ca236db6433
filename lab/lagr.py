"""Lab: the Lagrangian dual function of the strong formulation (balance rows relaxed), exact and vectorised."""

from __future__ import annotations

import numpy as np

from core import Core


class Lagrangian:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.b = np.minimum(core.persons[core.ag], core.capacity[core.as_]).astype(float)
        self.p = core.persons.astype(float)
        self.cap = core.capacity.astype(float)
        self.free = core.free
        self.must = core.must

    def knapsacks(self, rc: np.ndarray, arcs: np.ndarray | None = None):
        """Per site: value (<= 0) of the continuous knapsack of negative-rc arcs, the take per arc, and the
        critical rc (the rc of the last arc taken when the site is full, else 0)."""
        core = self.core
        neg = np.flatnonzero(rc < 0) if arcs is None else arcs[rc[arcs] < 0]
        site = core.as_[neg]
        order = np.lexsort((rc[neg], site))
        neg, site = neg[order], site[order]
        b = self.b[neg]
        cum = np.cumsum(b)
        starts = np.searchsorted(site, np.arange(core.S))
        base = np.concatenate([[0.0], cum])[starts]  # cum before each site's first arc
        before = cum - b - base[site]
        take = np.clip(self.cap[site] - before, 0.0, b)
        value = np.bincount(site, weights=rc[neg] * take, minlength=core.S)
        full = (before + take >= self.cap[site] - 1e-12) & (take > 0)
        crit = np.zeros(core.S)
        # critical rc: the rc of the last arc with take>0 if the site is full
        last = np.zeros(core.S, np.int64) - 1
        idx = np.flatnonzero(take > 0)
        last[site[idx]] = idx  # later indices overwrite: the last taken in sorted order
        has = last >= 0
        crit[has] = np.where(full[last[has]], rc[neg][last[has]], 0.0)
        return value, neg, take, crit

    def select(self, v: np.ndarray) -> np.ndarray:
        """y of the Lagrangian subproblem: free sites with v<0, plus the cheapest to meet each street's deficit."""
        core = self.core
        y = core.must.copy()
        y |= core.free & (v < 0)
        if len(core.deficit):
            st = core.street
            idx = np.flatnonzero((st >= 0) & core.free)
            order = idx[np.lexsort((v[idx], st[idx]))]
            sts = st[order]
            first = np.searchsorted(sts, np.arange(len(core.deficit)))
            rank = np.arange(len(order)) - first[sts]
            y[order[rank < core.deficit[sts]]] = True
        return y

    def unmet(self, lam: np.ndarray):
        """max Σ λ u s.t. 0<=u<=p, Σ_D u <= U_D, Σ u <= U (greedy on a laminar polymatroid)."""
        core = self.core
        u = np.zeros(core.G)
        if core.unmet_t <= 0:
            return 0.0, u
        pos = np.flatnonzero(lam > 0)
        order = pos[np.argsort(-lam[pos], kind="stable")]
        p = self.p[order]
        dis = core.disabled[order]
        # disabled budget
        pd_ = np.where(dis, p, 0.0)
        cum_d = np.cumsum(pd_)
        take_d_cap = np.where(dis, np.clip(core.unmet_d - (cum_d - pd_), 0, pd_), p)
        # total budget on the capped amounts
        cum = np.cumsum(take_d_cap)
        take = np.clip(core.unmet_t - (cum - take_d_cap), 0, take_d_cap)
        u[order] = take
        return float(np.dot(lam[order], take)), u

    def evaluate(self, lam: np.ndarray):
        core = self.core
        rc = core.ac - lam[core.ag]
        value, neg, take, crit = self.knapsacks(rc)
        v = np.where(core.free, core.cost + value, value)
        y = self.select(v)
        uval, u = self.unmet(lam)
        L = float(np.dot(lam, self.p)) + float(v[y].sum()) - uval + core.offset
        x_by_group = np.bincount(core.ag[neg], weights=take * y[core.as_[neg]], minlength=core.G)
        sub = self.p - x_by_group - u
        return L, sub, y, v, crit, rc


def select_with_cover(lag: Lagrangian, v: np.ndarray) -> tuple[np.ndarray, float]:
    """y of the Lagrangian subproblem with the cover cut Σ cap_s y_s >= P - U* - cap(must): the better of the
    street-only selection and the cover-only selection (both relax the y problem; the larger value bounds it).
    Returns y (for the subgradient) and the value Σ v_s y_s (the bound part)."""
    core = lag.core
    y_street = lag.select(v)
    val_street = float(v[y_street].sum())
    need = float(core.persons.sum() - core.unmet_t - core.capacity[core.must].sum())
    if need <= 0:
        return y_street, val_street
    free = np.flatnonzero(core.free)
    y = core.must.copy()
    neg = free[v[free] < 0]
    y[neg] = True
    have = float(core.capacity[neg].sum())
    val = float(v[core.must].sum() + v[neg].sum())
    if have < need:
        rest = free[v[free] >= 0]
        caps = core.capacity[rest].astype(float)
        ratio = v[rest] / np.maximum(caps, 1e-12)
        order = rest[np.argsort(ratio, kind="stable")]
        cum = np.cumsum(core.capacity[order].astype(float))
        k = int(np.searchsorted(cum, need - have - 1e-9))  # first index where cum >= need-have
        k = min(k, len(order) - 1)
        before = cum[k] - core.capacity[order[k]]
        frac = (need - have - before) / max(core.capacity[order[k]], 1e-12)
        if np.all(core.capacity[free] == core.capacity[free][0]):
            frac = 1.0  # equal capacities: the integer cover takes whole sites
        val += float(v[order[:k]].sum()) + frac * float(v[order[k]])
        y[order[: k + 1]] = True
    if val >= val_street:
        return y, val
    return y_street, val_street


def evaluate_cover(lag: Lagrangian, lam: np.ndarray):
    core = lag.core
    rc = core.ac - lam[core.ag]
    value, neg, take, crit = lag.knapsacks(rc)
    v = np.where(core.free, core.cost + value, value)
    y, yval = select_with_cover(lag, v)
    uval, u = lag.unmet(lam)
    L = float(np.dot(lam, lag.p)) + yval - uval + core.offset
    x_by_group = np.bincount(core.ag[neg], weights=take * y[core.as_[neg]], minlength=core.G)
    sub = lag.p - x_by_group - u
    return L, sub, y, v, crit, rc


def subgradient(lag: Lagrangian, ub: float, iters: int, seconds: float, cover: bool = True, lam=None, log=None):
    import time

    core = lag.core
    t0 = time.perf_counter()
    if lam is None:
        # start: each group's cheapest arc per person
        lam = np.full(core.G, 0.0)
        np.maximum.at(lam, core.ag, 0.0)
        first = np.full(core.G, np.inf)
        np.minimum.at(first, core.ag, core.ac)
        lam = np.where(np.isfinite(first), first, 0.0)
    best, best_lam, best_y = -np.inf, lam.copy(), None
    alpha, stall = 2.0, 0
    ev = evaluate_cover if cover else (lambda l, x: l.evaluate(x))
    for it in range(iters):
        L, sub, y, v, crit, rc = ev(lag, lam)
        if L > best + 1e-9 * abs(best if np.isfinite(best) else 1):
            best, best_lam, best_y, stall = L, lam.copy(), y.copy(), 0
        else:
            stall += 1
            if stall >= 20:
                alpha, stall = alpha / 2, 0
        norm = float(np.dot(sub, sub))
        if norm < 1e-12 or alpha < 1e-6 or time.perf_counter() - t0 > seconds:
            break
        lam = lam + alpha * (ub - L) / norm * sub
        if log and it % 50 == 0:
            log(f"    sg it{it} L={L:.2f} best={best:.2f} alpha={alpha:.4g} t={time.perf_counter()-t0:.2f}")
    return best, best_lam, best_y, it + 1, time.perf_counter() - t0
