"""Phase (iii), facility location proper: connected components, each solved by its flow hint or CP-SAT.

Each constraint family of the package docstring is one ``add_<family>`` function writing rows into a CP-SAT
proto built straight from numpy arrays (:class:`LinearModel`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from models.base import SolveOptions, Status, cp_sat_solver, cp_sat_status
from models.observation.flows import FlowSolution, WarmStart
from models.observation.instance import MIN_COMPONENT_SECONDS, BoolArray, Instance, IntArray, members, positions_by_key


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
    for street, positions in positions_by_key(sites["street_id"].to_numpy()[choice]):
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


def add_balance(
    model: LinearModel, assign_persons: IntArray, unmet_persons: IntArray, arc_group: IntArray, persons: IntArray
) -> None:
    """(1) ``Σ_s assign_persons[g, s] + unmet_persons[g] = persons_g`` for every group ``g``."""
    for group, arcs in enumerate(members(arc_group, len(persons))):
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
    for site, arcs in enumerate(members(arc_site, len(capacity))):
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
    for street_id, positions in positions_by_key(street):
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
    groups_of = members(group_label, label_count)
    sites_of = members(np.where(usable, site_label, label_count), label_count + 1)
    arcs_of = members(group_label[instance.arc_group], label_count)
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
