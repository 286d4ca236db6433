"""Observation stage: open health-observation sites and place each care home's groups there (DESIGN §5.1).

A capacitated facility-location model, solved exactly in three lexicographic phases.

Sets
----
``G``
    home-groups ``g`` = (home_id, group), one per row of ``groups``; ``D ⊆ G`` the ``disabled`` groups.
``S``
    the non-closed sites ``s`` (status ``open`` or ``candidate``); ``S_open ⊆ S`` those already open.
    Closed sites take nobody and never open.
``A``
    the allowed arcs ``(g, s)``: the pipeline's home -> site arcs (already within the transfer limit and among
    the k nearest), repeated for every group of the home, less the arcs to closed sites and — when
    ``barrier_free_for_disabled`` — less the arcs from disabled groups to sites that are not barrier-free
    (constraint 3). Arcs to a site without a room stay (they carry nobody by (2); they show what a room there
    would do).
``T``
    the streets ``t`` that have a non-closed site; ``S_t`` those sites.

Data
----
``persons_g``; ``cap_s = rooms_s * persons_per_room``; ``cost_s`` the opening cost of a candidate;
``minutes_gs`` the travel time of an arc. Opening cost and person-minutes are added in one unit: the design
takes ``opening_cost`` to be in yuan-equivalent minutes. Both are counted in tenths of a minute and rounded to
integers (``COST_SCALE``): the flow and CP-SAT solvers are integral, and 0.1 min is far below what the data
knows. Reported objectives are in minutes (the integer objective divided by ``COST_SCALE``).

Variables
---------
``assign_persons[g, s] ∈ Z≥0`` for ``(g, s) ∈ A``; ``open_site[s] ∈ {0, 1}`` for ``s ∈ S``;
``unmet_persons[g] ∈ Z≥0`` for ``g ∈ G``.

Constraints
-----------
(1) balance: ``Σ_s assign_persons[g, s] + unmet_persons[g] = persons_g`` for every ``g``.
(2) site capacity: ``Σ_g assign_persons[g, s] <= cap_s * open_site[s]`` for every ``s``; with the valid
    inequality ``assign_persons[g, s] <= min(persons_g, cap_s) * open_site[s]`` per arc (same integer points,
    a much tighter LP relaxation for CP-SAT's LP subsolver).
(3) barrier-free: ``assign_persons[g, s] = 0`` for ``g ∈ D`` and ``s`` not barrier-free when the rule is on —
    imposed by leaving those arcs out of ``A`` (the variables are never built).
(4) street minimum: ``Σ_{s ∈ S_t} open_site[s] >= required_t = min(sites_per_street_min, |S_t|)`` for every
    ``t ∈ T``. It may open a candidate nobody is sent to: that is the rule.
(5) open sites stay open: ``open_site[s] = 1`` for ``s ∈ S_open``.
(6) phase (iii) only — the earlier levels kept: ``Σ_{g ∈ D} unmet_persons[g] <= U_D*`` and
    ``Σ_g unmet_persons[g] <= U*``.

Objective (lexicographic)
-------------------------
(i) minimise ``U_D = Σ_{g ∈ D} unmet_persons[g]``; (ii) minimise ``U = Σ_g unmet_persons[g]``;
(iii) minimise ``Σ_{s ∈ S \\ S_open} cost_s * open_site[s] + Σ_A minutes_gs * assign_persons[g, s]``.

Solution method
---------------
Phases (i)-(ii) are exact maximum flows. Any non-closed site may open and opening is only charged in (iii), so
the unmet figures do not depend on ``open_site``: with every site of ``S`` open, (1)-(3) are a transportation
problem (groups -> sites -> sink, capacities ``persons_g`` and ``cap_s``). *Claim*: ``U_D* = p(D) - F(D)`` and
``U* = p(G) - F(G)``, ``F(X)`` the maximum flow from the groups ``X`` alone. *Proof*: the vectors of placed persons
per group that some flow achieves are the integer points of a polymatroid (by the max-flow min-cut theorem they
are ``0 <= y <= persons`` with ``y(X) <= Σ_{s reached from X} cap_s`` for every ``X``; a box cut with the
polymatroid of a monotone submodular coverage function is a polymatroid) whose rank is ``F``. The most disabled
persons placed is ``F(D)``, i.e. (i). In a polymatroid every independent vector extends to a base and all bases
sum to ``F(G)``, so a vector placing ``F(D)`` disabled extends to one placing ``F(G)`` in all: (ii) reaches the
unconstrained maximum ``F(G)`` with (i) at its optimum. (4)-(5) only open sites, so they change neither figure.
Two ``SimpleMaxFlow`` solves give both exactly (integral). They replace a min-cost flow with unmet costs
``P + 2`` (disabled) and 1 — lexicographic too, since ``(P + 1) U_D + U`` with ``U <= P`` orders by ``U_D`` then
``U`` — which gave the same figures 15-25x slower (1.15 s against 0.07 s at 6,000 homes x 1,500 sites).

Warm start and bound. With the unmet persons routed through two nodes of capacity ``U_D*`` and ``U* - U_D*``
(constraint 6) every feasible flow keeps the optimum of (i)-(ii) in every connected component (the components'
minima add up to the totals, and no component can go below its own). A min-cost flow with arc cost
``minutes_gs + cost_s / cap_s`` for free candidates ``s`` (the opening cost spread over a full site; scaled by
``BOUND_SCALE`` and floored, so that it stays a lower bound) is the LP relaxation of (1)-(3), (6) with the weak
form of (2): since ``open_site[s] >= Σ_g assign_persons[g, s] / cap_s``, its cost plus the opening cost of the
candidates that must open is a lower bound of phase (iii) in each component. Its assignment, with the sites it
uses opened and (4) repaired by the cheapest candidates of a street, is a feasible plan; slope-scaling rounds
(the opening cost of a candidate divided by the persons the last round sent there) give more, and each
component takes the cheapest as its hint.

Arc restriction (optional, ``cost_arcs_per_group = k``). Phases (i)-(ii) always use every allowed arc: they are
cheap and their figures are the rule's. Phase (iii) may keep only each group's k cheapest arcs plus every arc of a
least-minutes flow that holds the unmet optimum: that flow stays feasible, so (6) can still be met, and the
facility-location model shrinks several-fold. Its optimum, bound and status are then those of the restricted
model (stats ``cost_phase_arcs``); reasons and marginal values still look at every allowed arc.

Phase (iii). Facility location proper, decomposed by the connected components of the graph whose nodes are
groups and sites and whose edges are the arcs ``A`` and, for a street where (4) leaves a choice, links among
its candidates. A candidate is *forced* open when its street lacks as many open sites as it has candidates
(then (4) fixes it). A component without a free candidate is a transportation problem and the spread flow is
its optimum (its arcs carry ``minutes`` only). A component whose hint meets its lower bound is optimal as it is.
Every other component is a CP-SAT model (``models.base.cp_sat_solver``: max_lp subsolver) of (1), (2), (4)-(6)
with the hint; the time limit is shared among components in proportion to their size, smallest first, time a
small one leaves passing on. A component stopped at its limit keeps its best plan (never worse than the hint)
and reports its bound (CP-SAT's or the flow bound, the larger); the stage's bound is the sum over components.

Outputs (``StageResult.tables``)
--------------------------------
``sites``: site_id, street_id, status, open, opened (a candidate opened by the plan), rooms, capacity, persons,
persons_disabled, barrier_free, free_rooms (0 where not open), opening_cost.
``assignments``: home_id, street_id, site_id, group, persons, minutes.
``unmet``: home_id, street_id, group, persons, reason, binding_sites; reason ``no_room_in_reach`` (no arc to a
site with a room), ``no_barrier_free_room_in_reach`` (a disabled group whose reachable rooms are all in sites
that are not barrier-free) or ``rooms_used_up`` (binding_sites: the full sites in reach, comma-joined).
``streets``: street_id, usable_sites, open_sites, required, met, rule_min.
``marginal``: site_id, value, unmet_group — persons one more room at the site would place (the phase (i)-(ii)
optimum with ``cap_s + persons_per_room``; computed exactly by augmenting paths in the residual graph of the
plan's flow) and ``disabled`` when it would place a disabled person, ``other`` when only others, ``""`` when 0.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from models.base import Phase, SolveOptions, StageResult, Status, cp_sat_solver, cp_sat_status, stopwatch

STAGE = "observation"
COST_SCALE = 10
"""Costs are counted in tenths of a minute (integers for the flow and CP-SAT solvers)."""
BOUND_SCALE = 1_000_000
"""Extra integer resolution of the spread-cost flow (opening cost per person is fractional)."""
SLOPE_ROUNDS = 8
"""Most slope-scaling rounds of the warm start."""
SLOPE_SHARE = 0.25
"""Share of the time limit the slope-scaling warm start may use."""
TABLES_SHARE = 0.05
"""Share of the time limit kept for the output tables."""
MIN_COMPONENT_SECONDS = 0.05
"""With fewer seconds than this left for it, a component keeps its flow hint instead of calling CP-SAT."""
DEFAULT_OPTIONS = SolveOptions()
DISABLED = "disabled"
OTHER = "other"

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

GROUP_COLUMNS = ["home_id", "street_id", "group", "persons"]
SITE_COLUMNS = ["site_id", "street_id", "rooms", "barrier_free", "status", "opening_cost"]
ARC_COLUMNS = ["home_id", "site_id", "minutes"]


# --- the instance ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    """The model's sets and data as arrays.

    ``groups`` (index ``g``): home_id, street_id, group, persons, disabled, has_room_in_reach,
    has_barrier_free_room_in_reach. ``sites`` (index ``s``, every input site): site_id, street_id, rooms,
    barrier_free, status, opening_cost, capacity, usable, must_open, free_candidate, choice_street.
    ``arcs`` (the allowed set ``A``): group, site, minutes, cost. ``streets``: see :func:`street_requirements`.
    """

    groups: pd.DataFrame
    sites: pd.DataFrame
    arcs: pd.DataFrame
    streets: pd.DataFrame
    persons_per_room: int

    @property
    def persons(self) -> IntArray:
        return self.groups["persons"].to_numpy(np.int64)

    @property
    def disabled(self) -> BoolArray:
        return self.groups["disabled"].to_numpy(bool)

    @property
    def capacity(self) -> IntArray:
        return self.sites["capacity"].to_numpy(np.int64)

    @property
    def arc_group(self) -> IntArray:
        return self.arcs["group"].to_numpy(np.int64)

    @property
    def arc_site(self) -> IntArray:
        return self.arcs["site"].to_numpy(np.int64)

    @property
    def arc_cost(self) -> IntArray:
        return self.arcs["cost"].to_numpy(np.int64)

    @property
    def opening_cost(self) -> IntArray:
        """Opening cost in cost units, 0 for sites already open (they are not opened by the plan)."""
        cost = np.rint(self.sites["opening_cost"].to_numpy(float) * COST_SCALE).astype(np.int64)
        return np.where(self.sites["status"].to_numpy() == "candidate", cost, 0)


def _check_columns(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing}.")


def prepare_groups(groups: pd.DataFrame) -> pd.DataFrame:
    """One row per (home_id, group) with persons > 0; ``disabled`` flag."""
    _check_columns(groups, GROUP_COLUMNS, "groups")
    frame = groups[GROUP_COLUMNS].copy()
    frame["persons"] = pd.to_numeric(frame["persons"]).fillna(0).astype(np.int64)
    if (frame["persons"] < 0).any():
        raise ValueError("groups.persons must be >= 0.")
    frame = frame[frame["persons"] > 0]
    frame = frame.groupby(["home_id", "group"], as_index=False, sort=False).agg(
        street_id=("street_id", "first"), persons=("persons", "sum")
    )
    frame["disabled"] = frame["group"] == DISABLED
    return frame[["home_id", "street_id", "group", "persons", "disabled"]].reset_index(drop=True)


def prepare_sites(sites: pd.DataFrame, persons_per_room: int) -> pd.DataFrame:
    """Every site with ``capacity = rooms * persons_per_room`` and ``usable`` (not closed)."""
    _check_columns(sites, SITE_COLUMNS[:-1], "sites")
    frame = sites.drop_duplicates("site_id").reset_index(drop=True)
    rooms = pd.to_numeric(frame["rooms"]).fillna(0).clip(lower=0).astype(np.int64)
    cost = frame["opening_cost"] if "opening_cost" in frame.columns else pd.Series(0.0, index=frame.index)
    return pd.DataFrame(
        {
            "site_id": frame["site_id"],
            "street_id": frame["street_id"],
            "rooms": rooms,
            "barrier_free": frame["barrier_free"].fillna(False).astype(bool),
            "status": frame["status"].astype(str),
            "opening_cost": pd.to_numeric(cost).fillna(0.0).clip(lower=0.0).astype(float),
            "capacity": rooms * int(persons_per_room),
            "usable": frame["status"].astype(str) != "closed",
        }
    )


def usable_arcs(arcs: pd.DataFrame, groups: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """Arcs (group, site, minutes) of every group of a home to non-closed sites; the shortest duplicate kept.

    Arcs to sites without a room stay: they carry nobody but tell what one more room there would do.
    """
    _check_columns(arcs, ARC_COLUMNS, "arcs")
    site_index = pd.Series(np.arange(len(sites)), index=sites["site_id"])
    frame = arcs[ARC_COLUMNS].copy()
    frame["site"] = frame["site_id"].map(site_index)
    frame = frame.dropna(subset=["site", "minutes"])
    frame["site"] = frame["site"].astype(np.int64)
    frame = frame[sites["usable"].to_numpy(bool)[frame["site"].to_numpy()]]
    homes = pd.DataFrame({"home_id": groups["home_id"], "group": np.arange(len(groups), dtype=np.int64)})
    frame = frame.merge(homes, on="home_id")
    frame = frame.sort_values(["group", "site", "minutes"]).drop_duplicates(["group", "site"])
    frame["minutes"] = frame["minutes"].astype(float).clip(lower=0.0)
    return frame[["group", "site", "minutes"]].reset_index(drop=True)


def restrict_to_barrier_free(
    arcs: pd.DataFrame, groups: pd.DataFrame, sites: pd.DataFrame, barrier_free_for_disabled: bool
) -> pd.DataFrame:
    """Constraint (3): with the rule on, disabled groups keep only their arcs to barrier-free sites."""
    if not barrier_free_for_disabled:
        return arcs
    disabled = groups["disabled"].to_numpy(bool)[arcs["group"].to_numpy()]
    barrier_free = sites["barrier_free"].to_numpy(bool)[arcs["site"].to_numpy()]
    return arcs[~disabled | barrier_free].reset_index(drop=True)


def street_requirements(sites: pd.DataFrame, sites_per_street_min: int) -> pd.DataFrame:
    """Constraint (4) per street: ``required = min(sites_per_street_min, usable_sites)``.

    Columns: usable_sites, open_status (sites already open), candidates, required, deficit (candidates that must
    open at least), forced (deficit equals candidates: all open), choice (0 < deficit < candidates).
    """
    usable = sites[sites["usable"]]
    per_street = pd.DataFrame(
        {
            "usable_sites": usable.groupby("street_id").size(),
            "open_status": usable.assign(o=usable["status"] == "open").groupby("street_id")["o"].sum(),
        }
    ).fillna(0)
    per_street = per_street.astype(np.int64)
    per_street["candidates"] = per_street["usable_sites"] - per_street["open_status"]
    per_street["required"] = np.minimum(int(sites_per_street_min), per_street["usable_sites"])
    per_street["deficit"] = (per_street["required"] - per_street["open_status"]).clip(lower=0)
    per_street["forced"] = (per_street["deficit"] > 0) & (per_street["deficit"] == per_street["candidates"])
    per_street["choice"] = (per_street["deficit"] > 0) & (per_street["deficit"] < per_street["candidates"])
    return per_street


def prepare(
    groups: pd.DataFrame,
    sites: pd.DataFrame,
    arcs: pd.DataFrame,
    persons_per_room: int,
    sites_per_street_min: int,
    barrier_free_for_disabled: bool,
) -> Instance:
    """Sets and data of the model; marks which candidates must open (5, forced 4) and which are free decisions."""
    group_frame = prepare_groups(groups)
    site_frame = prepare_sites(sites, persons_per_room)
    reach = usable_arcs(arcs, group_frame, site_frame)
    allowed = restrict_to_barrier_free(reach, group_frame, site_frame, barrier_free_for_disabled)
    allowed = allowed.assign(cost=np.rint(allowed["minutes"].to_numpy(float) * COST_SCALE).astype(np.int64))
    group_count = len(group_frame)
    capacity = site_frame["capacity"].to_numpy(np.int64)
    reach_room = reach["group"].to_numpy()[capacity[reach["site"].to_numpy()] > 0]
    allowed_room = allowed["group"].to_numpy()[capacity[allowed["site"].to_numpy()] > 0]
    group_frame["has_room_in_reach"] = np.bincount(reach_room, minlength=group_count) > 0
    group_frame["has_barrier_free_room_in_reach"] = np.bincount(allowed_room, minlength=group_count) > 0

    streets = street_requirements(site_frame, sites_per_street_min)
    candidate = site_frame["usable"] & (site_frame["status"] != "open")
    forced_street = site_frame["street_id"].map(streets["forced"]).eq(True)
    choice_street = site_frame["street_id"].map(streets["choice"]).eq(True)
    arc_count = np.bincount(allowed["site"], minlength=len(site_frame))
    has_arc = pd.Series((arc_count > 0) & (capacity > 0), index=site_frame.index)
    site_frame["must_open"] = (site_frame["usable"] & (site_frame["status"] == "open")) | (candidate & forced_street)
    site_frame["choice_street"] = candidate & choice_street
    site_frame["free_candidate"] = candidate & ~site_frame["must_open"] & (has_arc | choice_street)
    return Instance(group_frame, site_frame, allowed, streets, int(persons_per_room))


# --- phases (i)-(ii): two maximum flows ---------------------------------------------------------------------------


def max_placed(instance: Instance, groups: BoolArray) -> int | None:
    """Most persons of the ``groups`` that every non-closed site, open, can take (a maximum flow); None on failure."""
    from ortools.graph.python import max_flow

    group_count, site_count = len(instance.groups), len(instance.sites)
    source, sink = group_count + site_count, group_count + site_count + 1
    persons = instance.persons
    on_arc = groups[instance.arc_group]
    tails = np.concatenate(
        [np.full(int(groups.sum()), source), instance.arc_group[on_arc], group_count + np.arange(site_count)]
    )
    heads = np.concatenate([np.flatnonzero(groups), group_count + instance.arc_site[on_arc], np.full(site_count, sink)])
    capacities = np.concatenate([persons[groups], persons[instance.arc_group[on_arc]], instance.capacity])
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(tails.astype(np.int32), heads.astype(np.int32), capacities.astype(np.int64))
    if flow.solve(source, sink) != flow.OPTIMAL:
        return None
    return int(flow.optimal_flow())


def solve_unmet_optimum(instance: Instance) -> tuple[int, int] | None:
    """Phases (i)-(ii): ``U_D* = p(D) - maxflow(D)`` and ``U* = p(G) - maxflow(G)`` (module docstring)."""
    persons, disabled = instance.persons, instance.disabled
    placed_disabled = max_placed(instance, disabled) if disabled.any() else 0
    placed_all = max_placed(instance, np.ones(len(persons), bool)) if persons.size else 0
    if placed_disabled is None or placed_all is None:
        return None
    return int(persons[disabled].sum()) - placed_disabled, int(persons.sum()) - placed_all


# --- warm start and bound: min-cost flows with the unmet persons held at the optimum --------------------------------


@dataclass(frozen=True)
class FlowSolution:
    """Persons per allowed arc and unmet persons per group."""

    assign: IntArray
    unmet: IntArray


def solve_held_unmet_flow(
    instance: Instance, unmet_disabled: int, unmet_total: int, arc_cost: IntArray
) -> FlowSolution | None:
    """Least ``Σ arc_cost * persons`` with every non-closed site open and unmet persons held at the optimum (6)."""
    from ortools.graph.python import min_cost_flow

    persons, capacity = instance.persons, instance.capacity
    group_count, site_count, arc_count = len(persons), len(capacity), len(instance.arcs)
    sink = group_count + site_count
    unmet_disabled_node, unmet_other_node = sink + 1, sink + 2
    unmet_heads = np.where(instance.disabled, unmet_disabled_node, unmet_other_node).astype(np.int64)
    tails = np.concatenate(
        [instance.arc_group, group_count + np.arange(site_count), np.arange(group_count), [sink + 1, sink + 2]]
    )
    heads = np.concatenate([group_count + instance.arc_site, np.full(site_count, sink), unmet_heads, [sink, sink]])
    capacities = np.concatenate(
        [persons[instance.arc_group], capacity, persons, [unmet_disabled, unmet_total - unmet_disabled]]
    )
    costs = np.concatenate([arc_cost, np.zeros(site_count + group_count + 2, np.int64)])
    supplies = np.concatenate([persons, np.zeros(site_count, np.int64), [-int(persons.sum()), 0, 0]])
    flow = min_cost_flow.SimpleMinCostFlow()
    arc_ids = flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacities.astype(np.int64), costs.astype(np.int64)
    )
    flow.set_nodes_supplies(np.arange(sink + 3, dtype=np.int32), supplies.astype(np.int64))
    if flow.solve() != flow.OPTIMAL:
        return None
    flows = np.asarray(flow.flows(arc_ids), dtype=np.int64)
    return FlowSolution(flows[:arc_count], flows[arc_count + site_count : arc_count + site_count + group_count])


def spread_scale(instance: Instance) -> int:
    """``BOUND_SCALE``, lowered if needed so that a flow's total cost stays within int64."""
    largest = int(instance.arc_cost.max(initial=0)) + int(instance.opening_cost.max(initial=0))
    budget = (2**62) // max(1, int(instance.persons.sum()) * max(1, largest))
    return int(max(1, min(BOUND_SCALE, budget)))


def per_person_arc_cost(instance: Instance, per_person_opening: IntArray, scale: int) -> IntArray:
    """``scale * minutes_gs + per_person_opening[s]`` (``per_person_opening`` already scaled, 0 off free candidates)."""
    return instance.arc_cost * scale + per_person_opening[instance.arc_site]


def spread_opening(instance: Instance, scale: int) -> IntArray:
    """``floor(scale * cost_s / cap_s)`` for free candidates: the opening cost spread over a full site."""
    free = instance.sites["free_candidate"].to_numpy(bool)
    return np.where(free, (instance.opening_cost * scale) // np.maximum(instance.capacity, 1), 0)


@dataclass(frozen=True)
class WarmStart:
    """Held-unmet flows: the spread-cost flow (bound, exact where nothing is to decide) and slope-scaling flows."""

    flows: list[FlowSolution]
    spread_cost: IntArray
    scale: int

    @property
    def spread(self) -> FlowSolution:
        return self.flows[0]


def solve_warm_start(
    instance: Instance, unmet_disabled: int, unmet_total: int, heuristic_deadline: float
) -> WarmStart | None:
    """The spread-cost flow, then slope-scaling flows until they repeat or the heuristic time is spent.

    Slope scaling (dynamic slope scaling for fixed-charge flows): each round charges a free candidate its opening
    cost divided by the persons the previous round sent there, so lightly used candidates look dear and the next
    flow empties them. Every round is a feasible hint; the bound comes from the first round only.
    """
    scale = spread_scale(instance)
    slope = spread_opening(instance, scale)
    spread_cost = per_person_arc_cost(instance, slope, scale)
    first = solve_held_unmet_flow(instance, unmet_disabled, unmet_total, spread_cost)
    if first is None:
        return None
    flows = [first]
    free = instance.sites["free_candidate"].to_numpy(bool)
    started = time.perf_counter()
    while free.any() and len(flows) <= SLOPE_ROUNDS:
        round_seconds = (time.perf_counter() - started) / len(flows)
        if time.perf_counter() + round_seconds > heuristic_deadline:
            break
        placed = np.bincount(instance.arc_site, weights=flows[-1].assign, minlength=len(free)).astype(np.int64)
        slope = np.where(free & (placed > 0), (instance.opening_cost * scale) // np.maximum(placed, 1), slope)
        following = solve_held_unmet_flow(
            instance, unmet_disabled, unmet_total, per_person_arc_cost(instance, slope, scale)
        )
        if following is None or np.array_equal(following.assign, flows[-1].assign):
            break
        flows.append(following)
    return WarmStart(flows, spread_cost, scale)


# --- phase (iii): components ------------------------------------------------------------------------------------


def component_labels(instance: Instance) -> tuple[IntArray, IntArray]:
    """Component label of every group and site: edges are the arcs A and links among a street's choice candidates."""
    group_count, site_count = len(instance.groups), len(instance.sites)
    tails = [instance.arc_group]
    heads = [group_count + instance.arc_site]
    choice = instance.sites[instance.sites["choice_street"]]
    if not choice.empty:
        index = choice.index.to_numpy(np.int64)
        street = choice["street_id"].to_numpy()
        order = np.argsort(street, kind="stable")
        same_street = street[order][1:] == street[order][:-1]
        tails.append(group_count + index[order][:-1][same_street])
        heads.append(group_count + index[order][1:][same_street])
    tail, head = np.concatenate(tails), np.concatenate(heads)
    size = group_count + site_count
    graph = coo_matrix((np.ones(len(tail)), (tail, head)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    labels = labels.astype(np.int64)
    return labels[:group_count], labels[group_count:]


@dataclass(frozen=True)
class Component:
    """One connected component's groups, sites and arcs (global indices) and its optimal unmet figures."""

    groups: IntArray
    sites: IntArray
    arcs: IntArray
    unmet_disabled: int
    unmet_total: int

    @property
    def size(self) -> int:
        return len(self.arcs) + len(self.sites)


@dataclass(frozen=True)
class ComponentResult:
    """Phase (iii) on one component: objective and bound in cost units."""

    assign: IntArray
    open_sites: BoolArray
    unmet: IntArray
    objective: int
    bound: int
    status: Status
    used_cp_sat: bool = False
    variables: int = 0


def hint_solution(instance: Instance, component: Component, flow: FlowSolution) -> ComponentResult:
    """A flow's assignment with the sites it uses open, (4) repaired with the cheapest candidates; bound unknown."""
    sites = instance.sites.iloc[component.sites]
    assign = flow.assign[component.arcs]
    used = np.bincount(instance.arc_site[component.arcs], weights=assign, minlength=len(instance.sites))
    open_sites = sites["must_open"].to_numpy(bool) | (used[component.sites] > 0)
    opening_cost = instance.opening_cost[component.sites]
    deficits = instance.streets["deficit"]
    choice = np.flatnonzero(sites["choice_street"].to_numpy(bool))
    for street, positions in _positions_by_key(sites["street_id"].to_numpy()[choice]):
        members = choice[positions]
        missing = int(deficits[street]) - int(open_sites[members].sum())
        closed = members[~open_sites[members]]
        if missing > 0:
            open_sites[closed[np.argsort(opening_cost[closed], kind="stable")[:missing]]] = True
    cost = int(opening_cost[open_sites].sum() + (instance.arc_cost[component.arcs] * assign).sum())
    return ComponentResult(assign, open_sites, flow.unmet[component.groups], cost, 0, Status.FEASIBLE)


def lower_bound(instance: Instance, component: Component, warm: WarmStart) -> int:
    """The spread-cost flow's cost (a relaxation of phase (iii), module docstring) plus must-open opening costs."""
    must_open = instance.sites["must_open"].to_numpy(bool)[component.sites]
    spread = int((warm.spread_cost[component.arcs] * warm.spread.assign[component.arcs]).sum())
    return -(-spread // warm.scale) + int(instance.opening_cost[component.sites][must_open].sum())


class LinearModel:
    """A CP-SAT model written straight into its proto from numpy arrays (no Python object per variable)."""

    def __init__(self) -> None:
        from ortools.sat.python import cp_model

        self.model = cp_model.CpModel()
        self.proto = self.model.proto

    def new_vars(self, upper: IntArray) -> IntArray:
        """Integer variables in ``[0, upper]``; returns their indices."""
        start = len(self.proto.variables)
        for high in upper.tolist():
            self.proto.variables.add().domain.extend([0, high])
        return np.arange(start, start + len(upper), dtype=np.int64)

    def add_row(self, variables: list[int], coefficients: list[int], lower: int, upper: int) -> None:
        """``lower <= Σ coefficients * variables <= upper``."""
        linear = self.proto.constraints.add().linear
        linear.vars.extend(variables)
        linear.coeffs.extend(coefficients)
        linear.domain.extend([lower, upper])

    def minimize(self, variables: IntArray, coefficients: IntArray) -> None:
        keep = coefficients != 0
        self.proto.objective.vars.extend(variables[keep].tolist())
        self.proto.objective.coeffs.extend(coefficients[keep].tolist())

    def hint(self, variables: IntArray, values: IntArray) -> None:
        self.proto.solution_hint.vars.extend(variables.tolist())
        self.proto.solution_hint.values.extend(values.tolist())


def _members(keys: IntArray, count: int) -> list[IntArray]:
    """Positions of each key ``0..count-1`` in ``keys``."""
    if count == 0:
        return []
    order = np.argsort(keys, kind="stable")
    return np.split(order, np.cumsum(np.bincount(keys, minlength=count))[:-1])


def _positions_by_key(keys: npt.NDArray[Any]) -> list[tuple[Any, IntArray]]:
    """(key, positions of that key in ``keys``) for every distinct key."""
    codes, uniques = pd.factorize(keys)
    return list(zip(uniques.tolist(), _members(codes.astype(np.int64), len(uniques)), strict=True))


def add_balance(
    model: LinearModel, assign_persons: IntArray, unmet_persons: IntArray, arc_group: IntArray, persons: IntArray
) -> None:
    """(1) ``Σ_s assign_persons[g, s] + unmet_persons[g] = persons_g`` for every group ``g``."""
    for group, arcs in enumerate(_members(arc_group, len(persons))):
        variables = [*assign_persons[arcs].tolist(), int(unmet_persons[group])]
        model.add_row(variables, [1] * len(variables), int(persons[group]), int(persons[group]))


def add_site_capacity(
    model: LinearModel,
    assign_persons: IntArray,
    open_site: IntArray,
    arc_site: IntArray,
    capacity: IntArray,
    arc_upper: IntArray,
    fixed_open: BoolArray,
) -> None:
    """(2) ``Σ_g assign_persons[g, s] <= cap_s open_site[s]``; per arc ``assign <= min(p_g, cap_s) open_site``.

    The per-arc inequality is left out where the site must open (``fixed_open``): it is implied there.
    """
    for site, arcs in enumerate(_members(arc_site, len(capacity))):
        if arcs.size == 0:
            continue
        cap = int(capacity[site])
        model.add_row([*assign_persons[arcs].tolist(), int(open_site[site])], [1] * arcs.size + [-cap], -cap, 0)
    free = ~fixed_open[arc_site]
    pairs = zip(
        assign_persons[free].tolist(), open_site[arc_site[free]].tolist(), arc_upper[free].tolist(), strict=True
    )
    for assign, site_open, upper in pairs:
        model.add_row([assign, site_open], [1, -upper], -upper, 0)


def add_street_minimum(
    model: LinearModel, open_site: IntArray, street: npt.NDArray[np.object_], deficit: pd.Series
) -> None:
    """(4) for streets with a choice: ``Σ_{candidates s ∈ S_t} open_site[s] >= required_t - |S_t ∩ S_open|``."""
    for street_id, positions in _positions_by_key(street):
        variables = open_site[positions].tolist()
        model.add_row(variables, [1] * len(variables), int(deficit[street_id]), len(variables))


def add_open_sites_stay_open(model: LinearModel, open_site: IntArray, must_open: BoolArray) -> None:
    """(5) ``open_site[s] = 1`` for open sites (and for candidates (4) forces open)."""
    for variable in open_site[must_open].tolist():
        model.add_row([variable], [1], 1, 1)


def add_unmet_at_optimum(
    model: LinearModel, unmet_persons: IntArray, disabled: BoolArray, unmet_disabled: int, unmet_total: int
) -> None:
    """(6) the phase (i)-(ii) optimum kept: ``Σ_D unmet <= U_D*``, ``Σ_G unmet <= U*``."""
    disabled_vars = unmet_persons[disabled].tolist()
    if disabled_vars:
        model.add_row(disabled_vars, [1] * len(disabled_vars), 0, unmet_disabled)
    if unmet_persons.size:
        model.add_row(unmet_persons.tolist(), [1] * len(unmet_persons), 0, unmet_total)


@dataclass(frozen=True)
class ComponentModel:
    """The CP-SAT model of one component and its variables' indices."""

    model: LinearModel
    assign_persons: IntArray
    open_site: IntArray
    unmet_persons: IntArray


def build_component_model(instance: Instance, component: Component, hint: ComponentResult) -> ComponentModel:
    """Variables, constraints (1), (2), (4), (5), (6), the phase (iii) objective and the hint of one component."""
    local_site = np.full(len(instance.sites), -1, np.int64)
    local_site[component.sites] = np.arange(len(component.sites))
    local_group = np.full(len(instance.groups), -1, np.int64)
    local_group[component.groups] = np.arange(len(component.groups))
    arc_group = local_group[instance.arc_group[component.arcs]]
    arc_site = local_site[instance.arc_site[component.arcs]]
    persons = instance.persons[component.groups]
    capacity = instance.capacity[component.sites]
    arc_upper = np.minimum(persons[arc_group], capacity[arc_site])
    sites = instance.sites.iloc[component.sites]
    choice = sites["choice_street"].to_numpy(bool)
    must_open = sites["must_open"].to_numpy(bool)

    model = LinearModel()
    assign_persons = model.new_vars(arc_upper)
    open_site = model.new_vars(np.ones(len(component.sites), np.int64))
    unmet_persons = model.new_vars(persons)
    add_balance(model, assign_persons, unmet_persons, arc_group, persons)
    add_site_capacity(model, assign_persons, open_site, arc_site, capacity, arc_upper, must_open)
    add_street_minimum(model, open_site[choice], sites["street_id"].to_numpy()[choice], instance.streets["deficit"])
    add_open_sites_stay_open(model, open_site, must_open)
    add_unmet_at_optimum(
        model, unmet_persons, instance.disabled[component.groups], component.unmet_disabled, component.unmet_total
    )
    model.minimize(
        np.concatenate([open_site, assign_persons]),
        np.concatenate([instance.opening_cost[component.sites], instance.arc_cost[component.arcs]]),
    )
    model.hint(
        np.concatenate([assign_persons, open_site, unmet_persons]),
        np.concatenate([hint.assign, hint.open_sites.astype(np.int64), hint.unmet]),
    )
    return ComponentModel(model, assign_persons, open_site, unmet_persons)


def solve_component_cp_sat(
    instance: Instance,
    component: Component,
    hint: ComponentResult,
    options: SolveOptions,
    deadline: float,
    share: float,
) -> ComponentResult:
    """Phase (iii) on one component with CP-SAT, hinted; the hint stands if CP-SAT finds nothing in its time."""
    built = build_component_model(instance, component, hint)
    variables = len(built.model.proto.variables)
    seconds = share * (deadline - time.perf_counter())
    if seconds < MIN_COMPONENT_SECONDS:
        return ComponentResult(hint.assign, hint.open_sites, hint.unmet, hint.objective, hint.bound, Status.FEASIBLE)
    solver = cp_sat_solver(options, seconds)
    status = cp_sat_status(solver.solve(built.model.model))
    if status not in (Status.OPTIMAL, Status.FEASIBLE):
        return ComponentResult(
            hint.assign, hint.open_sites, hint.unmet, hint.objective, hint.bound, Status.FEASIBLE, True, variables
        )
    values = np.asarray(solver.response_proto.solution, dtype=np.int64)
    objective = round(solver.objective_value)
    proved = int(np.ceil(solver.best_objective_bound - 1e-6))
    bound = objective if status == Status.OPTIMAL else min(objective, max(hint.bound, proved))
    return ComponentResult(
        values[built.assign_persons],
        values[built.open_site].astype(bool),
        values[built.unmet_persons],
        objective,
        bound,
        status,
        True,
        variables,
    )


def solve_component(
    instance: Instance, component: Component, warm: WarmStart, options: SolveOptions, deadline: float, share: float
) -> ComponentResult:
    """Phase (iii) on one component: the best flow hint when it meets the bound (or time is up), else CP-SAT."""
    hint = min((hint_solution(instance, component, flow) for flow in warm.flows), key=lambda h: h.objective)
    bound = min(hint.objective, lower_bound(instance, component, warm))
    status = Status.OPTIMAL if hint.objective <= bound else Status.FEASIBLE
    hint = ComponentResult(hint.assign, hint.open_sites, hint.unmet, hint.objective, bound, status)
    if status == Status.OPTIMAL or share * (deadline - time.perf_counter()) < MIN_COMPONENT_SECONDS:
        return hint
    return solve_component_cp_sat(instance, component, hint, options, deadline, share)


@dataclass(frozen=True)
class Plan:
    """Phase (iii) over all components: persons per arc, open sites, unmet per group, cost units."""

    assign: IntArray
    open_sites: BoolArray
    unmet: IntArray
    objective: int
    bound: int
    status: Status
    components: int
    cp_sat_components: int
    cp_sat_variables: int


def decision_components(instance: Instance, held: FlowSolution) -> tuple[list[Component], int]:
    """The components with a free candidate (facility location proper), smallest first; and the count of all."""
    group_label, site_label = component_labels(instance)
    free = instance.sites["free_candidate"].to_numpy(bool)
    usable = instance.sites["usable"].to_numpy(bool)
    label_count = int(max(group_label.max(initial=-1), site_label.max(initial=-1))) + 1
    groups_of = _members(group_label, label_count)
    sites_of = _members(np.where(usable, site_label, label_count), label_count + 1)
    arcs_of = _members(group_label[instance.arc_group], label_count)
    unmet_disabled = np.bincount(group_label, weights=held.unmet * instance.disabled, minlength=label_count)
    unmet_total = np.bincount(group_label, weights=held.unmet, minlength=label_count)
    components = [
        Component(
            groups_of[label], sites_of[label], arcs_of[label], int(unmet_disabled[label]), int(unmet_total[label])
        )
        for label in np.unique(site_label[free]).tolist()
    ]
    components.sort(key=lambda c: c.size)
    return components, len(np.unique(np.concatenate([group_label, site_label[free]])))


def solve_facility_location(instance: Instance, warm: WarmStart, options: SolveOptions, deadline: float) -> Plan:
    """Phase (iii): the spread-cost flow where nothing is to decide, each component with a free candidate in turn.

    Time is shared in proportion to component size, smallest first, so time a small one leaves passes on.
    """
    assign, unmet = warm.spread.assign.copy(), warm.spread.unmet.copy()
    open_sites = instance.sites["must_open"].to_numpy(bool).copy()
    components, component_count = decision_components(instance, warm.spread)
    remaining_size = sum(c.size for c in components)
    gap_units, statuses, cp_sat_used, variables = 0, [Status.OPTIMAL], 0, 0
    for component in components:
        result = solve_component(instance, component, warm, options, deadline, component.size / remaining_size)
        remaining_size -= component.size
        assign[component.arcs] = result.assign
        unmet[component.groups] = result.unmet
        open_sites[component.sites] = result.open_sites
        gap_units += result.objective - result.bound
        statuses.append(result.status)
        cp_sat_used += int(result.used_cp_sat)
        variables += result.variables
    objective = int(instance.opening_cost[open_sites].sum() + (instance.arc_cost * assign).sum())
    return Plan(
        assign,
        open_sites,
        unmet,
        objective,
        objective - gap_units,
        Status.worst(statuses),
        component_count,
        cp_sat_used,
        variables,
    )


# --- marginal value of a room ---------------------------------------------------------------------------------------


def _residual_reach(instance: Instance, assign: IntArray, sources: BoolArray) -> BoolArray:
    """Sites reachable from ``sources`` groups in the residual graph (forward arcs g->s, backward s->g with flow)."""
    group_count, site_count = len(instance.groups), len(instance.sites)
    reached = np.zeros(site_count, bool)
    if not sources.any():
        return reached
    super_source = group_count + site_count
    used = assign > 0
    tails = np.concatenate(
        [np.full(int(sources.sum()), super_source), instance.arc_group, group_count + instance.arc_site[used]]
    )
    heads = np.concatenate([np.flatnonzero(sources), group_count + instance.arc_site, instance.arc_group[used]])
    size = super_source + 1
    graph = coo_matrix((np.ones(len(tails)), (tails, heads)), shape=(size, size)).tocsr()
    nodes = breadth_first_order(graph, super_source, directed=True, return_predecessors=False)
    site_nodes = nodes[(nodes >= group_count) & (nodes < super_source)] - group_count
    reached[site_nodes] = True
    return reached


@dataclass
class _Residual:
    """The residual graph of the plan's flow, with the changes of the augmentations into one target kept apart."""

    site_arcs: list[list[int]]
    group_arcs: list[list[int]]
    arc_group: list[int]
    arc_site: list[int]
    flow: dict[int, int]
    unmet: dict[int, int]
    flow_change: dict[int, int] = field(default_factory=dict)
    unmet_change: dict[int, int] = field(default_factory=dict)

    def flow_on(self, arc: int) -> int:
        return self.flow.get(arc, 0) + self.flow_change.get(arc, 0)

    def unmet_of(self, group: int) -> int:
        return self.unmet.get(group, 0) + self.unmet_change.get(group, 0)

    def capped_flow_into(self, target: int, limit: int) -> int:
        """Persons that augmenting paths from unmet groups bring to ``target``, at most ``limit``."""
        self.flow_change, self.unmet_change = {}, {}
        brought = 0
        while brought < limit:
            path = self.path_to(target)
            if path is None:
                break
            brought += self.augment(path, limit - brought)
        return brought

    def path_to(self, target: int) -> list[tuple[int, int]] | None:
        """``(start group, -1)`` then (arc, +1 / -1) of an augmenting path from an unmet group to ``target``."""
        next_arc: dict[int, int] = {}  # group -> its arc towards the target
        back_arc: dict[int, int | None] = {target: None}  # site -> the arc whose persons it gives back
        queue = deque([target])
        while queue:
            site = queue.popleft()
            for arc in self.site_arcs[site]:
                group = self.arc_group[arc]
                if group in next_arc:
                    continue
                next_arc[group] = arc
                if self.unmet_of(group) > 0:
                    return self._trace(group, next_arc, back_arc)
                for other in self.group_arcs[group]:
                    other_site = self.arc_site[other]
                    if other_site not in back_arc and self.flow_on(other) > 0:
                        back_arc[other_site] = other
                        queue.append(other_site)
        return None

    def _trace(self, start: int, next_arc: dict[int, int], back_arc: dict[int, int | None]) -> list[tuple[int, int]]:
        path = [(start, -1)]
        group = start
        while True:
            arc = next_arc[group]
            path.append((arc, +1))
            back = back_arc[self.arc_site[arc]]
            if back is None:
                return path
            path.append((back, -1))
            group = self.arc_group[back]

    def augment(self, path: list[tuple[int, int]], limit: int) -> int:
        start = path[0][0]
        amount = min(limit, self.unmet_of(start), *(self.flow_on(arc) for arc, sign in path[1:] if sign < 0))
        self.unmet_change[start] = self.unmet_change.get(start, 0) - amount
        for arc, sign in path[1:]:
            self.flow_change[arc] = self.flow_change.get(arc, 0) + sign * amount
        return amount


def room_marginal(instance: Instance, assign: IntArray, unmet: IntArray) -> pd.DataFrame:
    """Persons placed by one more room at each site: ``min(persons_per_room, max flow from unmet groups to s)``.

    The plan's flow is a maximum flow of the all-sites network (the unmet figures are the phase (i)-(ii)
    optimum), so an extra room at ``s`` places exactly the augmenting flow that reaches ``s`` in its residual
    graph, at most ``persons_per_room``. A disabled person is placed iff an unmet disabled group reaches ``s``
    (the priority path never displaces anyone).
    """
    reach_any = _residual_reach(instance, assign, unmet > 0)
    reach_disabled = _residual_reach(instance, assign, (unmet > 0) & instance.disabled)
    value = reach_any.astype(np.int64)
    if instance.persons_per_room > 1 and reach_any.any():
        value = _capped_flows(instance, assign, unmet, np.flatnonzero(reach_any), value)
    group = np.where(reach_disabled, DISABLED, np.where(value > 0, OTHER, ""))
    return pd.DataFrame({"site_id": instance.sites["site_id"].to_numpy(), "value": value, "unmet_group": group})


def _capped_flows(
    instance: Instance, assign: IntArray, unmet: IntArray, targets: IntArray, value: IntArray
) -> IntArray:
    """``value`` with ``min(persons_per_room, max flow from unmet groups)`` at each target site."""
    used, short = np.flatnonzero(assign), np.flatnonzero(unmet)
    residual = _Residual(
        site_arcs=[arcs.tolist() for arcs in _members(instance.arc_site, len(instance.sites))],
        group_arcs=[arcs.tolist() for arcs in _members(instance.arc_group, len(instance.groups))],
        arc_group=instance.arc_group.tolist(),
        arc_site=instance.arc_site.tolist(),
        flow=dict(zip(used.tolist(), assign[used].tolist(), strict=True)),
        unmet=dict(zip(short.tolist(), unmet[short].tolist(), strict=True)),
    )
    value = value.copy()
    for target in targets.tolist():
        value[target] = residual.capped_flow_into(target, instance.persons_per_room)
    return value


# --- tables -------------------------------------------------------------------------------------------------------


def sites_table(instance: Instance, assign: IntArray, open_sites: BoolArray) -> pd.DataFrame:
    """Every site: open, opened, persons, persons_disabled, free_rooms (0 where not open)."""
    sites = instance.sites
    site_count = len(sites)
    persons = np.bincount(instance.arc_site, weights=assign, minlength=site_count).astype(np.int64)
    disabled_arc = instance.disabled[instance.arc_group]
    persons_disabled = np.bincount(
        instance.arc_site, weights=np.where(disabled_arc, assign, 0), minlength=site_count
    ).astype(np.int64)
    rooms = sites["rooms"].to_numpy(np.int64)
    per_room = max(1, instance.persons_per_room)
    rooms_used = -(-persons // per_room)
    return pd.DataFrame(
        {
            "site_id": sites["site_id"],
            "street_id": sites["street_id"],
            "status": sites["status"],
            "open": open_sites,
            "opened": open_sites & (sites["status"] != "open").to_numpy(),
            "rooms": rooms,
            "capacity": sites["capacity"],
            "persons": persons,
            "persons_disabled": persons_disabled,
            "barrier_free": sites["barrier_free"],
            "free_rooms": np.where(open_sites, rooms - rooms_used, 0),
            "opening_cost": sites["opening_cost"],
        }
    )


def assignments_table(instance: Instance, assign: IntArray) -> pd.DataFrame:
    """home_id, street_id, site_id, group, persons, minutes of every arc carrying persons."""
    used = instance.arcs[assign > 0]
    groups = instance.groups.iloc[used["group"].to_numpy()]
    return pd.DataFrame(
        {
            "home_id": groups["home_id"].to_numpy(),
            "street_id": groups["street_id"].to_numpy(),
            "site_id": instance.sites["site_id"].to_numpy()[used["site"].to_numpy()],
            "group": groups["group"].to_numpy(),
            "persons": assign[assign > 0],
            "minutes": used["minutes"].to_numpy(float),
        }
    )


def unmet_table(instance: Instance, assign: IntArray, unmet: IntArray, barrier_free_for_disabled: bool) -> pd.DataFrame:
    """One row per group with unmet persons, its reason code and the full sites in its reach."""
    groups = instance.groups
    short = np.flatnonzero(unmet > 0)
    placed = np.bincount(instance.arc_site, weights=assign, minlength=len(instance.sites))
    full = (placed >= instance.capacity) & (instance.capacity > 0)
    arcs = instance.arcs
    binding = arcs[np.isin(arcs["group"].to_numpy(), short) & full[arcs["site"].to_numpy()]]
    binding_ids = (
        pd.Series(instance.sites["site_id"].astype(str).to_numpy()[binding["site"].to_numpy()], index=binding["group"])
        .groupby(level=0)
        .agg(lambda ids: ",".join(sorted(ids)))
    )
    rows = groups.iloc[short]
    no_room = ~rows["has_room_in_reach"].to_numpy(bool)
    no_barrier_free = rows["disabled"].to_numpy(bool) & ~rows["has_barrier_free_room_in_reach"].to_numpy(bool)
    no_barrier_free &= barrier_free_for_disabled
    reason = np.where(
        no_room, "no_room_in_reach", np.where(no_barrier_free, "no_barrier_free_room_in_reach", "rooms_used_up")
    )
    return pd.DataFrame(
        {
            "home_id": rows["home_id"].to_numpy(),
            "street_id": rows["street_id"].to_numpy(),
            "group": rows["group"].to_numpy(),
            "persons": unmet[short],
            "reason": reason,
            "binding_sites": np.where(
                reason == "rooms_used_up", pd.Series(short).map(binding_ids).fillna("").to_numpy(), ""
            ),
        }
    )


def streets_table(instance: Instance, open_sites: BoolArray, sites_per_street_min: int) -> pd.DataFrame:
    """Constraint (4) per street (every street of a site or a home): usable, open, required, met."""
    streets = instance.streets
    all_ids = pd.unique(pd.concat([instance.sites["street_id"], instance.groups["street_id"]], ignore_index=True))
    open_count = pd.Series(open_sites, index=instance.sites.index).groupby(instance.sites["street_id"]).sum()
    frame = pd.DataFrame({"street_id": all_ids})
    frame["usable_sites"] = frame["street_id"].map(streets["usable_sites"]).fillna(0).astype(np.int64)
    frame["open_sites"] = frame["street_id"].map(open_count).fillna(0).astype(np.int64)
    frame["required"] = frame["street_id"].map(streets["required"]).fillna(0).astype(np.int64)
    frame["met"] = frame["open_sites"] >= frame["required"]
    frame["rule_min"] = int(sites_per_street_min)
    return frame


def empty_tables() -> dict[str, pd.DataFrame]:
    """The stage's tables with their columns and no rows."""
    return {
        "sites": pd.DataFrame(
            columns=[
                "site_id",
                "street_id",
                "status",
                "open",
                "opened",
                "rooms",
                "capacity",
                "persons",
                "persons_disabled",
                "barrier_free",
                "free_rooms",
                "opening_cost",
            ]
        ),
        "assignments": pd.DataFrame(columns=["home_id", "street_id", "site_id", "group", "persons", "minutes"]),
        "unmet": pd.DataFrame(columns=["home_id", "street_id", "group", "persons", "reason", "binding_sites"]),
        "streets": pd.DataFrame(columns=["street_id", "usable_sites", "open_sites", "required", "met", "rule_min"]),
        "marginal": pd.DataFrame(columns=["site_id", "value", "unmet_group"]),
    }


# --- the stage ------------------------------------------------------------------------------------------------------


def cost_phase_arcs(instance: Instance, unmet_disabled: int, unmet_total: int, arcs_per_group: int) -> BoolArray | None:
    """Arcs kept for phase (iii): each group's ``arcs_per_group`` cheapest, plus every arc of a least-minutes flow
    that holds the unmet optimum (so that optimum stays reachable); None when the flow fails."""
    held = solve_held_unmet_flow(instance, unmet_disabled, unmet_total, instance.arc_cost)
    if held is None:
        return None
    rank = instance.arcs.groupby("group")["cost"].rank(method="first").to_numpy()
    keep: BoolArray = (rank <= arcs_per_group) | (held.assign > 0)
    return keep


def restricted(instance: Instance, keep: BoolArray) -> Instance:
    """The instance with only the arcs ``keep`` (groups, sites and streets unchanged)."""
    return replace(instance, arcs=instance.arcs[keep].reset_index(drop=True))


def widen(plan: Plan, keep: BoolArray) -> Plan:
    """A plan over the kept arcs, its persons per arc laid back onto every allowed arc."""
    assign = np.zeros(len(keep), np.int64)
    assign[np.flatnonzero(keep)] = plan.assign
    return replace(plan, assign=assign)


def solve_observation(
    groups: pd.DataFrame,
    sites: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    persons_per_room: int,
    sites_per_street_min: int,
    barrier_free_for_disabled: bool,
    options: SolveOptions = DEFAULT_OPTIONS,
    cost_arcs_per_group: int | None = None,
) -> StageResult:
    """Open observation sites and place every home's groups (module docstring: formulation and method).

    Parameters
    ----------
    groups
        home_id, street_id, group (``disabled`` / ``other``), persons: one row per home and group needing a site.
    sites
        site_id, street_id, rooms, barrier_free, status (``open`` / ``candidate`` / ``closed``), opening_cost.
    arcs
        home_id, site_id, minutes: the arcs the pipeline allows (transfer limit, k nearest).
    persons_per_room, sites_per_street_min, barrier_free_for_disabled
        The rules (DESIGN §2).
    options
        Time limit (shared by the whole stage), seed and workers.
    cost_arcs_per_group
        When given, phase (iii) keeps only each group's this many cheapest arcs plus the arcs of a least-minutes
        flow at the unmet optimum ("Arc restriction" in the module docstring); phases (i)-(ii), the reasons and
        the marginal values always use every allowed arc.

    Returns
    -------
    StageResult
        Stage ``observation`` with phases ``unmet_disabled``, ``unmet_persons``, ``cost`` (minutes) and the tables
        ``sites``, ``assignments``, ``unmet``, ``streets``, ``marginal``. Never raises on a shortage.
    """
    start = time.perf_counter()
    deadline = start + options.time_limit_s * (1.0 - TABLES_SHARE)
    with stopwatch() as build:
        instance = prepare(groups, sites, arcs, persons_per_room, sites_per_street_min, barrier_free_for_disabled)
    with stopwatch() as solve:
        optimum = solve_unmet_optimum(instance)
        if optimum is None:
            message = "the maximum flow of phases (i)-(ii) did not reach an optimum"
            return StageResult.failed(STAGE, message, time.perf_counter() - start, empty_tables())
        unmet_disabled, unmet_total = optimum
        keep = np.ones(len(instance.arcs), bool)
        if cost_arcs_per_group is not None:
            kept = cost_phase_arcs(instance, unmet_disabled, unmet_total, cost_arcs_per_group)
            keep = kept if kept is not None else keep
        cost_instance = restricted(instance, keep)
        heuristic_deadline = time.perf_counter() + SLOPE_SHARE * max(0.0, deadline - time.perf_counter())
        warm = solve_warm_start(cost_instance, unmet_disabled, unmet_total, heuristic_deadline)
        if warm is None:
            message = "the held-unmet min-cost flow did not reach an optimum"
            return StageResult.failed(STAGE, message, time.perf_counter() - start, empty_tables())
        plan = widen(solve_facility_location(cost_instance, warm, options, deadline), keep)
    tables = {
        "sites": sites_table(instance, plan.assign, plan.open_sites),
        "assignments": assignments_table(instance, plan.assign),
        "unmet": unmet_table(instance, plan.assign, plan.unmet, barrier_free_for_disabled),
        "streets": streets_table(instance, plan.open_sites, sites_per_street_min),
        "marginal": room_marginal(instance, plan.assign, plan.unmet),
    }
    phases = [
        Phase("unmet_disabled", "min", float(unmet_disabled), float(unmet_disabled), Status.OPTIMAL),
        Phase("unmet_persons", "min", float(unmet_total), float(unmet_total), Status.OPTIMAL),
        Phase("cost", "min", plan.objective / COST_SCALE, plan.bound / COST_SCALE, plan.status),
    ]
    opening = int(instance.opening_cost[plan.open_sites].sum())
    stats = {
        "variables": len(instance.arcs) + len(instance.groups) + int(instance.sites["usable"].sum()),
        "cp_sat_variables": plan.cp_sat_variables,
        "arcs": len(instance.arcs),
        "cost_phase_arcs": int(keep.sum()),
        "groups": len(instance.groups),
        "sites": len(instance.sites),
        "components": plan.components,
        "warm_start_flows": len(warm.flows),
        "cp_sat_components": plan.cp_sat_components,
        "opening_cost": opening / COST_SCALE,
        "person_minutes": (plan.objective - opening) / COST_SCALE,
        "build_seconds": build["seconds"],
        "solve_seconds": solve["seconds"],
    }
    return StageResult.from_phases(STAGE, phases, tables, time.perf_counter() - start, stats)
