"""Lab: the phase (iii) core as plain arrays, and a strong-formulation LP/MIP in HiGHS (scipy's vendored highspy)."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import csc_matrix

sys.path.insert(0, os.path.dirname(__file__))

from models.observation import prepare, solve_unmet_optimum


@dataclass
class Core:
    persons: np.ndarray  # (G,) int
    disabled: np.ndarray  # (G,) bool
    capacity: np.ndarray  # (S,) int
    cost: np.ndarray  # (S,) float opening cost for free sites, 0 otherwise
    free: np.ndarray  # (S,) bool: y variable
    must: np.ndarray  # (S,) bool: open for sure
    street: np.ndarray  # (S,) int choice-street index or -1
    deficit: np.ndarray  # (T,) int
    ag: np.ndarray  # arc group
    as_: np.ndarray  # arc site
    ac: np.ndarray  # arc minutes (float, exact)
    unmet_d: int
    unmet_t: int
    offset: float = 0.0  # opening cost of candidates that must open (constant)

    @property
    def G(self) -> int:
        return len(self.persons)

    @property
    def S(self) -> int:
        return len(self.capacity)

    @property
    def A(self) -> int:
        return len(self.ag)


def core_from_frames(groups, sites, arcs, persons_per_room, street_min, barrier_free) -> Core:
    inst = prepare(groups, sites, arcs, persons_per_room, street_min, barrier_free)
    ud, ut = solve_unmet_optimum(inst)
    s = inst.sites
    cap = s["capacity"].to_numpy(np.int64)
    usable = s["usable"].to_numpy(bool)
    keep = cap[inst.arc_site] > 0
    free = s["free_candidate"].to_numpy(bool)
    must = s["must_open"].to_numpy(bool)
    choice = s["choice_street"].to_numpy(bool)
    codes, uniq = pd.factorize(s["street_id"].where(choice))
    street = np.where(choice, codes, -1)
    deficit = inst.streets["deficit"].reindex(uniq).to_numpy(np.int64) if len(uniq) else np.zeros(0, np.int64)
    opening = np.where(free, s["opening_cost"].to_numpy(float), 0.0)
    offset = float(s["opening_cost"].to_numpy(float)[must & (s["status"] == "candidate").to_numpy()].sum())
    return Core(
        inst.persons, inst.disabled, np.where(usable, cap, 0), opening, free, must & usable, street, deficit,
        inst.arc_group[keep], inst.arc_site[keep], inst.arcs["minutes"].to_numpy(float)[keep], ud, ut, offset,
    )


def strong_model(core: Core, integer: bool, linking: bool = True):
    """Columns: x (A), y (free sites), u (G). Returns (h, layout)."""
    from scipy.optimize._highspy import _core as hc

    A, G = core.A, core.G
    fidx = np.flatnonzero(core.free)
    ycol = np.full(core.S, -1, np.int64)
    ycol[fidx] = A + np.arange(len(fidx))
    F = len(fidx)
    ucol = A + F + np.arange(G)
    ncol = A + F + G
    rows, cols, vals, lo, hi = [], [], [], [], []
    nrow = 0
    # (1) balance
    rows += [core.ag, np.arange(G)]
    cols += [np.arange(A), ucol]
    vals += [np.ones(A), np.ones(G)]
    lo.append(core.persons.astype(float)); hi.append(core.persons.astype(float))
    nrow += G
    # (2) capacity (sites with arcs or free)
    site_rows = np.full(core.S, -1, np.int64)
    has = np.bincount(core.as_, minlength=core.S) > 0
    cs = np.flatnonzero(has | core.free)
    site_rows[cs] = nrow + np.arange(len(cs))
    rows += [site_rows[core.as_]]
    cols += [np.arange(A)]
    vals += [np.ones(A)]
    fr = core.free[cs]
    rows += [site_rows[cs[fr]]]
    cols += [ycol[cs[fr]]]
    vals += [-core.capacity[cs[fr]].astype(float)]
    lo.append(np.full(len(cs), -np.inf)); hi.append(np.where(fr, 0.0, core.capacity[cs].astype(float)))
    nrow += len(cs)
    # (2') linking per arc to a free site
    if linking:
        la = np.flatnonzero(core.free[core.as_])
        b = np.minimum(core.persons[core.ag[la]], core.capacity[core.as_[la]]).astype(float)
        r = nrow + np.arange(len(la))
        rows += [r, r]; cols += [la, ycol[core.as_[la]]]; vals += [np.ones(len(la)), -b]
        lo.append(np.full(len(la), -np.inf)); hi.append(np.zeros(len(la)))
        nrow += len(la)
    # (4) streets
    T = len(core.deficit)
    if T:
        ss = np.flatnonzero(core.street >= 0)
        rows += [nrow + core.street[ss]]; cols += [ycol[ss]]; vals += [np.ones(len(ss))]
        lo.append(core.deficit.astype(float)); hi.append(np.full(T, np.inf))
        nrow += T
    # (6) unmet
    d = np.flatnonzero(core.disabled)
    rows += [np.full(len(d), nrow), np.full(G, nrow + 1)]
    cols += [ucol[d], ucol]
    vals += [np.ones(len(d)), np.ones(G)]
    lo.append(np.array([-np.inf, -np.inf])); hi.append(np.array([core.unmet_d, core.unmet_t], float))
    nrow += 2
    M = csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(nrow, ncol))
    cost = np.concatenate([core.ac, core.cost[fidx], np.zeros(G)])
    xub = np.minimum(core.persons[core.ag], core.capacity[core.as_]).astype(float)
    col_lo = np.zeros(ncol)
    col_hi = np.concatenate([xub, np.ones(F), core.persons.astype(float)])

    lp = hc.HighsLp()
    lp.num_col_ = ncol
    lp.num_row_ = nrow
    lp.col_cost_ = cost
    lp.col_lower_ = col_lo
    lp.col_upper_ = col_hi
    lp.row_lower_ = np.concatenate(lo)
    lp.row_upper_ = np.concatenate(hi)
    lp.a_matrix_.format_ = hc.MatrixFormat.kColwise
    lp.a_matrix_.start_ = M.indptr
    lp.a_matrix_.index_ = M.indices
    lp.a_matrix_.value_ = M.data
    if integer:
        integ = np.zeros(ncol, np.uint8)
        integ[A : A + F] = 1
        lp.integrality_ = [hc.HighsVarType(int(v)) for v in integ]
    h = hc._Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    return h, {"A": A, "F": F, "G": G, "fidx": fidx, "ncol": ncol, "nrow": nrow}


def run(h, time_limit: float, **opts):
    h.setOptionValue("time_limit", float(time_limit))
    for k, v in opts.items():
        h.setOptionValue(k, v)
    t = time.perf_counter()
    h.run()
    sec = time.perf_counter() - t
    info = h.getInfo()
    return {
        "status": h.modelStatusToString(h.getModelStatus()),
        "obj": info.objective_function_value,
        "bound": getattr(info, "mip_dual_bound", float("nan")),
        "gap": getattr(info, "mip_gap", float("nan")),
        "seconds": sec,
        "nodes": getattr(info, "mip_node_count", -1),
        "iters": info.simplex_iteration_count,
        "ipm": info.ipm_iteration_count,
    }
