"""The strong LP of phase (iii) by column generation: few arcs in HiGHS, every arc priced with the LP's duals.

The LP starts with each group's ``k`` cheapest arcs and the arcs of the held maximum flow (so that (6) can be
met). After each dual simplex solve, every arc outside is priced: its reduced cost is ``minutes - λ_g - μ_s``
(``λ`` the duals of (1), ``μ_s <= 0`` of (2); its new linking row would start with dual 0). Arcs with a negative
reduced cost enter with their linking rows and the LP is re-solved from its basis; when none is left the restricted
LP's optimum is the full LP's. Whatever the LP reached, ``L(λ)`` over every arc (``lagrangian.evaluate``) is a
valid bound: the proof never rests on the restriction or on HiGHS's tolerances.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.observation.flows import Transport
from models.observation.instance import BoolArray, IntArray
from models.observation.location import Core, FloatArray, StrongModel

PRICING_TOLERANCE = 1e-7
"""An arc enters when its reduced cost is below ``-PRICING_TOLERANCE`` minutes per person."""
OPTIMAL = "Optimal"


@dataclass
class ColumnResult:
    """The LP's last solve: status, value, duals of (1), ``open_site`` values, persons per arc, arcs in, rounds."""

    status: str
    value: float
    lam: FloatArray
    open_value: FloatArray
    assign: FloatArray
    arcs: IntArray
    rounds: int
    iterations: int
    converged: bool


def cheapest_arcs(core: Core, k: int) -> BoolArray:
    """Each group's ``k`` cheapest arcs."""
    order = np.lexsort((core.minutes, core.arc_group))
    group = core.arc_group[order]
    rank = np.arange(len(order)) - np.searchsorted(group, group)
    keep = np.zeros(core.arcs, bool)
    keep[order[rank < k]] = True
    return keep


def column_generation(
    core: Core, highs: Any, start: BoolArray, deadline: float
) -> tuple[ColumnResult | None, StrongModel]:
    """Solve the strong LP over all arcs by pricing, from the arcs ``start``; the last optimal round (None when
    HiGHS reached none in time) and the model, warm for :func:`fixed_sites_plan`."""
    model = StrongModel(core, highs)
    model.add_arcs(np.flatnonzero(start))
    rounds, iterations, result = 0, 0, None
    while True:
        rounds += 1
        status = model.run(deadline - time.perf_counter(), solver="simplex", simplex_strategy=1)
        iterations += int(model.info().simplex_iteration_count)
        if status != OPTIMAL:
            if result is not None:
                result.converged = False
            return result, model
        lam, entering = price(model)
        open_value, assign = model.values()
        value = float(model.info().objective_function_value) + core.fixed_cost
        converged = not len(entering)
        result = ColumnResult(status, value, lam, open_value, assign, model.arcs.copy(), rounds, iterations, converged)
        if converged or time.perf_counter() >= deadline:
            return result, model
        model.add_arcs(entering)


def price(model: StrongModel) -> tuple[FloatArray, IntArray]:
    """The duals of (1) and the arcs outside the model whose reduced cost ``minutes - λ_g - μ_s`` is negative."""
    core = model.core
    lam, mu = model.duals()
    reduced = core.minutes - lam[core.arc_group] - mu[core.arc_site]
    return lam, np.flatnonzero(~model.inside & (reduced < -PRICING_TOLERANCE))


def fixed_sites_plan(model: StrongModel, open_sites: BoolArray, deadline: float) -> Transport | None:
    """The cheapest plan with exactly ``open_sites`` open, by the LP with ``open_site`` fixed, priced over all arcs.

    With the sites fixed the LP is a transportation problem: its optimal vertex is integral. The values are rounded
    and checked (balance, rooms, (6)); None when HiGHS stops early, finds it infeasible or the check fails.
    """
    core = model.core
    free = model.free_sites
    value = open_sites[free].astype(float)
    model.solver.changeColsBounds(len(free), np.arange(len(free), dtype=np.int32), value, value)
    while True:
        if model.run(deadline - time.perf_counter(), solver="simplex", simplex_strategy=1) != OPTIMAL:
            return None
        _, entering = price(model)
        if not len(entering):
            break
        if time.perf_counter() >= deadline:
            return None
        model.add_arcs(entering)
    assign_value = model.values()[1]
    assign = np.rint(assign_value).astype(np.int64)
    if np.abs(assign - assign_value).max(initial=0.0) > 1e-6 or (assign < 0).any():
        return None
    placed = np.bincount(core.arc_group, weights=assign, minlength=core.groups).astype(np.int64)
    unmet = core.persons - placed
    load = np.bincount(core.arc_site, weights=assign, minlength=core.sites)
    disabled_unmet = int(unmet[core.disabled].sum())
    feasible = (
        (unmet >= 0).all()
        and (load <= np.where(open_sites, core.capacity, 0)).all()
        and disabled_unmet <= core.unmet_disabled
        and int(unmet.sum()) <= core.unmet_total
    )
    return Transport(assign, unmet, 0.0) if feasible else None
