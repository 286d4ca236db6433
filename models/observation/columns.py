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


def column_generation(core: Core, highs: Any, start: BoolArray, deadline: float) -> ColumnResult | None:
    """Solve the strong LP over all arcs by pricing, from the arcs ``start``; None when HiGHS fails at once."""
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
            return result
        lam, mu = model.duals()
        open_value, assign = model.values()
        value = float(model.info().objective_function_value) + core.fixed_cost
        reduced = core.minutes - lam[core.arc_group] - mu[core.arc_site]
        entering = np.flatnonzero(~model.inside & (reduced < -PRICING_TOLERANCE))
        converged = not len(entering)
        result = ColumnResult(status, value, lam, open_value, assign, model.arcs.copy(), rounds, iterations, converged)
        if converged or time.perf_counter() >= deadline:
            return result
        model.add_arcs(entering)
