"""Lab: the transportation problem of phase (iii) for a fixed set of open sites, as an integer min-cost flow with
costs scaled by COST_SCALE (error per person-arc <= 0.5/scale minutes), the unmet persons held at the optimum."""

from __future__ import annotations

import numpy as np

from core import Core

FLOW_SCALE = 10**9


def transport(core: Core, open_: np.ndarray, arcs: np.ndarray | None = None, scale: int = FLOW_SCALE):
    from ortools.graph.python import min_cost_flow

    arcs = np.flatnonzero(open_[core.as_]) if arcs is None else arcs[open_[core.as_[arcs]]]
    G, S = core.G, core.S
    sink = G + S
    ud_node, uo_node = sink + 1, sink + 2
    persons = core.persons.astype(np.int64)
    cap = np.where(open_, core.capacity, 0).astype(np.int64)
    cost = np.rint(core.ac[arcs] * scale).astype(np.int64)
    tails = np.concatenate([core.ag[arcs], G + np.arange(S), np.arange(G), [ud_node, uo_node]])
    heads = np.concatenate([G + core.as_[arcs], np.full(S, sink), np.where(core.disabled, ud_node, uo_node), [sink, sink]])
    caps = np.concatenate([np.minimum(persons[core.ag[arcs]], cap[core.as_[arcs]]), cap, persons,
                           [core.unmet_d, core.unmet_t - core.unmet_d]])
    costs = np.concatenate([cost, np.zeros(S + G + 2, np.int64)])
    supplies = np.concatenate([persons, np.zeros(S, np.int64), [-int(persons.sum()), 0, 0]])
    f = min_cost_flow.SimpleMinCostFlow()
    ids = f.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32), heads.astype(np.int32),
                                                 caps.astype(np.int64), costs)
    f.set_nodes_supplies(np.arange(sink + 3, dtype=np.int32), supplies)
    status = f.solve()
    if status != f.OPTIMAL:
        return None
    flows = np.asarray(f.flows(ids), dtype=np.int64)
    x = np.zeros(core.A, np.int64)
    x[arcs] = flows[: len(arcs)]
    u = flows[len(arcs) + S : len(arcs) + S + G]
    return x, u


def plan_cost(core: Core, open_: np.ndarray, x: np.ndarray) -> float:
    used = np.flatnonzero(x)
    return float(core.offset + core.cost[open_ & core.free].sum() + np.dot(core.ac[used], x[used]))
