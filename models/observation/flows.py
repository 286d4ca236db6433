"""Phases (i)-(ii) as maximum flows; the flows of phase (iii): a held-unmet assignment and the transportation problem.

See the package docstring for the proofs: two ``SimpleMaxFlow`` solves give the unmet optima exactly; with the
open sites fixed, phase (iii) is a min-cost flow (``transport``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from models.flow import FlowError, MaxFlow, flat_ranges, grouped, unique_ints
from models.observation.instance import BoolArray, Instance, IntArray
from models.observation.location import Core, FloatArray


def max_placed(instance: Instance, groups: BoolArray) -> int | None:
    """Most persons of the ``groups`` that every non-closed site, open, can take (a maximum flow); None on failure."""
    network = _placement_network(instance, groups)
    try:
        return network.max_flow().solve(network.source, network.sink)
    except FlowError:
        return None


def solve_unmet_optimum(instance: Instance) -> tuple[int, int] | None:
    """Phases (i)-(ii): ``U_D* = p(D) - maxflow(D)`` and ``U* = p(G) - maxflow(G)`` (module docstring)."""
    persons, disabled = instance.persons, instance.disabled
    placed_disabled = max_placed(instance, disabled) if disabled.any() else 0
    placed_all = max_placed(instance, np.ones(len(persons), bool)) if persons.size else 0
    if placed_disabled is None or placed_all is None:
        return None
    return int(persons[disabled].sum()) - placed_disabled, int(persons.sum()) - placed_all


def placed_per_day(instance: Instance, groups: BoolArray, present: IntArray) -> IntArray:
    """Per day ``t``, the most persons of the ``groups`` present that day (``present[g, t]``) that every usable
    site, open, can hold on that day: one maximum flow per day on one network (only the source arcs change).

    Raises
    ------
    FlowError
        If a maximum flow is not reported optimal.
    """
    network = _placement_network(instance, groups)
    solver = network.max_flow()
    source_arcs = np.arange(int(groups.sum()))
    placed = np.zeros(present.shape[1], np.int64)
    for day in range(present.shape[1]):
        solver.set_capacities(source_arcs, present[groups, day])
        placed[day] = solver.solve(network.source, network.sink)
    return placed


def gains_with_unlimited_rooms(
    instance: Instance, groups: BoolArray, site_sets: list[IntArray]
) -> tuple[int, IntArray]:
    """Persons of the ``groups`` placed, and per set of sites how many more are placed when those sites get
    unlimited rooms.

    Exact, from one maximum flow: raising capacities only adds augmenting paths to the old flow's residual graph,
    and every such path runs through nodes the source reaches in that graph (the source side ``R`` of the minimum
    cut: no residual arc leaves it) and ends at a raised site in ``R`` (every site of ``R`` is full). So a set
    without a site in ``R`` gains nothing (no solve), and the others' gain is the maximum flow from the source to
    their sites in the residual graph inside ``R``. That graph is one network (:class:`_RoomProbe`), built once,
    with an arc from every site of ``R`` to the sink that a set's probe opens and closes again: at the province
    ``R`` is 7,907 of 8,794 nodes and a district's paths reach 7,339 of them, so one network for every set costs
    less than a network per set.

    Raises
    ------
    FlowError
        If a maximum flow is not reported optimal.
    """
    network = _placement_network(instance, groups)
    solver = network.max_flow()
    placed = solver.solve(network.source, network.sink)
    reached = solver.source_side(network.nodes)
    probe = _RoomProbe.of(network, reached, solver.flows())
    gains = np.zeros(len(site_sets), np.int64)
    for position, sites in enumerate(site_sets):
        raised = network.site_node(sites)
        raised = raised[reached[raised]]
        if len(raised):
            gains[position] = probe.gain(raised)
    return placed, gains


PROBE_SUBNETWORK_SHARE = 0.5
"""A room probe solves the nodes that reach its sites alone where their components hold at most this share of the
arcs of ``R`` (:class:`_RoomProbe`)."""


@dataclass
class _RoomProbe:
    """The residual arcs with both ends in the source side ``R`` of a minimum cut (none at the sink, none into the
    source: no augmenting path uses them), ordered by head and by tail, and ``unlimited``, more than any flow.

    Every augmenting path to the raised sites runs through nodes that reach them in this graph. Where the raised
    sites lie in components (of ``R`` without the source) holding at most :data:`PROBE_SUBNETWORK_SHARE` of its
    arcs, a probe solves the maximum flow of those nodes alone: national sample (severe), 2,655 districts, a
    district's sites are reached from a median of 2,668 of the 52,422 nodes of ``R`` (at most 15,865), and the
    probes take 18.0 s against 39.3 s on the network of all of ``R``. Elsewhere (the province: one component) one
    network of all of ``R`` serves every probe, with an arc from every site to the sink that a probe opens and
    closes again (1.15 s there, against 1.87 s by the nodes that reach the sites)."""

    tails: IntArray
    heads: IntArray
    residual: IntArray
    by_head: tuple[IntArray, IntArray]
    by_tail: tuple[IntArray, IntArray]
    component: IntArray
    component_share: FloatArray
    sites: IntArray
    unlimited: int
    source: int
    sink: int
    whole: MaxFlow | None = None

    @classmethod
    def of(cls, network: _PlacementNetwork, reached: BoolArray, flows: IntArray) -> _RoomProbe:
        tails, heads, residual = network.residual(flows)
        inner = reached[tails] & reached[heads] & (tails != network.sink)
        inner &= (heads != network.sink) & (heads != network.source)
        tails, heads, residual = tails[inner], heads[inner], residual[inner]
        apart = tails != network.source  # the source joins every component
        graph = coo_matrix(
            (np.ones(int(apart.sum()), np.int8), (tails[apart], heads[apart])), shape=(network.nodes, network.nodes)
        )
        _, component = connected_components(graph, directed=False)
        arcs_per = np.bincount(component[heads], minlength=int(component.max()) + 1)
        return cls(
            tails,
            heads,
            residual,
            grouped(heads, network.nodes),
            grouped(tails, network.nodes),
            component.astype(np.int64),
            arcs_per / max(len(heads), 1),
            network.group_count + np.flatnonzero(reached[network.group_count : network.source]),
            int(network.capacities[network.heads != network.sink].sum()) + 1,
            network.source,
            network.sink,
        )

    def gain(self, raised: IntArray) -> int:
        """The maximum flow from the source to the ``raised`` sites (nodes of ``R``) given unlimited rooms."""
        share = float(self.component_share[unique_ints(self.component[raised])].sum())
        return self._upstream_gain(raised) if share <= PROBE_SUBNETWORK_SHARE else self._whole_gain(raised)

    def _whole_gain(self, raised: IntArray) -> int:
        if self.whole is None:  # an arc from every site of R to the sink, closed
            self.whole = MaxFlow(
                np.concatenate([self.tails, self.sites]),
                np.concatenate([self.heads, np.full(len(self.sites), self.sink)]),
                np.concatenate([self.residual, np.zeros(len(self.sites), np.int64)]),
            )
        arcs = len(self.tails) + np.searchsorted(self.sites, raised)
        self.whole.set_capacities(arcs, np.full(len(arcs), self.unlimited, np.int64))
        value = self.whole.solve(self.source, self.sink)
        self.whole.set_capacities(arcs, np.zeros(len(arcs), np.int64))
        return value

    def _upstream_gain(self, raised: IntArray) -> int:
        upstream = np.zeros(len(self.component), bool)
        upstream[raised] = True
        frontier = np.asarray(raised, np.int64)
        while len(frontier):  # backwards from the raised sites
            tails = self.tails[_row_entries(self.by_head, frontier)]
            frontier = unique_ints(tails[~upstream[tails]])
            upstream[frontier] = True
        if not upstream[self.source]:
            return 0
        arcs = _row_entries(self.by_tail, np.flatnonzero(upstream))
        arcs = arcs[upstream[self.heads[arcs]]]
        flow = MaxFlow(
            np.concatenate([self.tails[arcs], raised]),
            np.concatenate([self.heads[arcs], np.full(len(raised), self.sink)]),
            np.concatenate([self.residual[arcs], np.full(len(raised), self.unlimited, np.int64)]),
        )
        return flow.solve(self.source, self.sink)


def _row_entries(rows: tuple[IntArray, IntArray], keys: IntArray) -> IntArray:
    """The positions of the entries of every key in ``keys`` (rows of :func:`models.flow.grouped`)."""
    pointer, order = rows
    return order[flat_ranges(pointer[keys], pointer[keys + 1] - pointer[keys])]


@dataclass(frozen=True)
class _PlacementNetwork:
    """``max_placed``'s network as arrays: source -> group -> site -> sink; nodes: groups, sites, source, sink."""

    tails: IntArray
    heads: IntArray
    capacities: IntArray
    group_count: int
    source: int

    @property
    def sink(self) -> int:
        return self.source + 1

    @property
    def nodes(self) -> int:
        return self.source + 2

    def max_flow(self) -> MaxFlow:
        """A maximum-flow solver on this network."""
        return MaxFlow(self.tails, self.heads, self.capacities)

    def site_node(self, sites: IntArray) -> IntArray:
        return self.group_count + np.asarray(sites, np.int64)

    def residual(self, flows: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        """Residual arcs (tail, head, capacity): forward where an arc has room, backward where it carries flow."""
        forward, backward = flows < self.capacities, flows > 0
        return (
            np.concatenate([self.tails[forward], self.heads[backward]]),
            np.concatenate([self.heads[forward], self.tails[backward]]),
            np.concatenate([(self.capacities - flows)[forward], flows[backward]]),
        )


def _placement_network(instance: Instance, groups: BoolArray) -> _PlacementNetwork:
    group_count, site_count = len(instance.groups), len(instance.sites)
    source, sink = group_count + site_count, group_count + site_count + 1
    persons = instance.persons
    on_arc = groups[instance.arc_group]
    tails = np.concatenate(
        [np.full(int(groups.sum()), source), instance.arc_group[on_arc], group_count + np.arange(site_count)]
    )
    heads = np.concatenate([np.flatnonzero(groups), group_count + instance.arc_site[on_arc], np.full(site_count, sink)])
    capacities = np.concatenate([persons[groups], persons[instance.arc_group[on_arc]], instance.capacity])
    return _PlacementNetwork(
        tails.astype(np.int64), heads.astype(np.int64), capacities.astype(np.int64), group_count, source
    )


FLOW_SCALE_RANGE = (6, 15)
"""Arc minutes are rounded to ``10**-k`` minute for the integral min-cost flow, ``k`` in this range: as fine as
int64 allows for the instance (``flow_scale``), coarser on OR-Tools' ``BAD_COST_RANGE``; the error is accounted for
(``Transport.slack``)."""


@dataclass(frozen=True)
class Transport:
    """Persons per arc of the core and unmet persons per group of a min-cost flow, and the flow's rounding slack:
    the plan costs at most ``slack`` more than the cheapest plan with the same open sites (exact minutes)."""

    assign: IntArray
    unmet: IntArray
    slack: float


def held_assignment(core: Core) -> IntArray | None:
    """Persons per arc of a maximum flow with every site of the core open that holds the unmet optimum (6).

    Unmet persons leave through two nodes of capacity ``U_D*`` and ``U* - U_D*``: the flow saturates every group
    exactly when (1)-(3), (6) are feasible, which the optimum of phases (i)-(ii) guarantees. None on failure.
    """
    groups, sites = core.groups, core.sites
    source, sink, disabled_node, other_node = groups + sites, groups + sites + 1, groups + sites + 2, groups + sites + 3
    persons = core.persons.astype(np.int64)
    tails = np.concatenate(
        [
            np.full(groups, source),
            core.arc_group,
            groups + np.arange(sites),
            np.arange(groups),
            [disabled_node, other_node],
        ]
    )
    heads = np.concatenate(
        [
            np.arange(groups),
            groups + core.arc_site,
            np.full(sites, sink),
            np.where(core.disabled, disabled_node, other_node),
            [sink, sink],
        ]
    )
    capacities = np.concatenate(
        [
            persons,
            core.arc_upper.astype(np.int64),
            core.capacity,
            persons,
            [core.unmet_disabled, core.unmet_total - core.unmet_disabled],
        ]
    )
    flow = max_flow.SimpleMaxFlow()
    ids = flow.add_arcs_with_capacity(tails.astype(np.int32), heads.astype(np.int32), capacities.astype(np.int64))
    if flow.solve(source, sink) != flow.OPTIMAL or flow.optimal_flow() != int(persons.sum()):
        return None
    return np.asarray(flow.flows(ids[groups : groups + core.arcs]), dtype=np.int64)


def flow_scale(core: Core) -> int:
    """The exponent ``k``: costs ``minutes * 10**k`` times all persons stay far inside int64."""
    largest = max(1.0, float(core.minutes.max(initial=0.0))) * max(1, int(core.persons.sum()))
    low, high = FLOW_SCALE_RANGE
    return int(np.clip(np.floor(np.log10(2.0**60 / largest)) - 2, low, high))


def transport(core: Core, open_sites: BoolArray, arcs: IntArray | None = None) -> Transport | None:
    """The cheapest assignment to the ``open_sites`` over ``arcs`` (default all) holding the unmet optimum (6).

    An integral min-cost flow on minutes rounded to ``10**-k`` (``flow_scale``). With ``e_a`` the rounding error
    (exact minus rounded) of arc ``a``, the plan ``x`` costs, in exact minutes, at most
    ``slack = Σ_a e_a x_a - P * min(0, min_a e_a)`` more than any plan with the same open sites (it is optimal for
    the rounded costs, and any plan carries at most ``P`` persons). None when the open sites cannot hold the unmet
    optimum.
    """
    chosen = np.flatnonzero(open_sites[core.arc_site]) if arcs is None else arcs[open_sites[core.arc_site[arcs]]]
    exponent = flow_scale(core)
    while True:
        found = _min_cost_flow(core, open_sites, chosen, 10**exponent, min_cost_flow)
        if found is not None or exponent <= FLOW_SCALE_RANGE[0]:
            return found if isinstance(found, Transport) else None
        exponent -= 3


def _min_cost_flow(
    core: Core, open_sites: BoolArray, chosen: IntArray, scale: int, min_cost_flow: Any
) -> Transport | bool | None:
    """The flow at one cost scale: a Transport, False when infeasible, None on a bad cost range."""
    groups, sites = core.groups, core.sites
    sink = groups + sites
    persons = core.persons.astype(np.int64)
    capacity = np.where(open_sites, core.capacity, 0).astype(np.int64)
    scaled = core.minutes[chosen] * scale
    cost = np.rint(scaled).astype(np.int64)
    error = (scaled - cost) / scale
    tails = np.concatenate([core.arc_group[chosen], groups + np.arange(sites), np.arange(groups), [sink + 1, sink + 2]])
    heads = np.concatenate(
        [
            groups + core.arc_site[chosen],
            np.full(sites, sink),
            np.where(core.disabled, sink + 1, sink + 2),
            [sink, sink],
        ]
    )
    capacities = np.concatenate(
        [
            core.arc_upper[chosen].astype(np.int64),
            capacity,
            persons,
            [core.unmet_disabled, core.unmet_total - core.unmet_disabled],
        ]
    )
    costs = np.concatenate([cost, np.zeros(sites + groups + 2, np.int64)])
    supplies = np.concatenate([persons, np.zeros(sites, np.int64), [-int(persons.sum()), 0, 0]])
    flow = min_cost_flow.SimpleMinCostFlow()
    ids = flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacities.astype(np.int64), costs
    )
    flow.set_nodes_supplies(np.arange(sink + 3, dtype=np.int32), supplies.astype(np.int64))
    status = flow.solve()
    if status == flow.BAD_COST_RANGE:
        return None
    if status != flow.OPTIMAL:
        return False
    flows = np.asarray(flow.flows(ids), dtype=np.int64)
    assign = np.zeros(core.arcs, np.int64)
    assign[chosen] = flows[: len(chosen)]
    unmet = flows[len(chosen) + sites : len(chosen) + sites + groups]
    slack = float(np.dot(error, flows[: len(chosen)])) - float(persons.sum()) * min(0.0, float(error.min(initial=0.0)))
    return Transport(assign, unmet, max(0.0, slack))
