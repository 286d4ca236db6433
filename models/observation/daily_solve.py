"""Solving one phase of the day-by-day observation model: price the LP over every pair, then a plan from it.

Formulation: ``models.observation.daily``. Method, each step only while the plan is not yet within
:data:`~models.observation.daily.RELATIVE_TOLERANCE` of the full model's bound: the LP rounded down and repaired;
in the cost phase the linking rows (5) the LP breaks added (a higher bound) and the facility decision of that LP
(rounding the LP's before the rows were in cost 0.4-1.1 s more at the city and found nothing the later one missed);
then **branch-and-price on the opening columns**; then a **fix-and-solve** MIP that fixes every
column the LP sets to a whole number and leaves free only the cohorts the LP splits (tiny: 5-90 cohorts at city);
then the MIP over every priced column with reduced-cost fixing.

Branch-and-price. Where candidates open (prevalent: openings are most of the cost) the strong LP stays 1-7 % under the
best plan at the city, and no plan closes that gap: the bound is what is weak. Each node is a box of bounds on the
candidates' opening columns; its LP is priced over every pair and given the linking rows it breaks, so its value bounds
every plan in the box. Nodes are taken least bound first; a node whose bound reaches the incumbent is closed; in a node,
reduced-cost fixing closes (opens) for its subtree a candidate the LP keeps closed (open) whose reduced cost exceeds the
incumbent less the node's bound, and a waiting node is fixed so again by each ancestor's LP when it is taken, against
the incumbent then (``_next_node``: data seeds 1-20, 64 -> 58 s in all); the node branches on the candidate with the
most opening cost left fractional (``min(y, 1 - y) * f``; the most fractional proved 4 of seeds 2-5 and 7, this rule all
five), open first, a child that leaves a street short of (4) dropped. A node whose LP opens whole sites gives the plan
at those sites; if that plan stays above the node's LP (and the LP below the incumbent), the box's MIP with every pair
under the gap priced in and the rest fixed by reduced cost gives the leaf its bound (``_leaf_solved``). The phase's
bound is the least bound of the open nodes and the leaves. Prevalent city, 14 days, data seeds 1-5, 7, 8: every one
proven in 0.7-6.9 s (before: gaps of 1-7 %, seed 7 0.017 %); data seeds 1-20: 19 proven in 0.5-8.5 s, seed 20 stopped at
the 10 s limit 1.9-2.5 % from its bound (``bench/results/leaves-2026-12-07.md``).
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import numpy.typing as npt

from models.base import Beside
from models.flow import grouped, unique_ints
from models.observation.daily import (
    CUT_ROUNDS,
    ENTERING_PER_COHORT,
    INTEGRALITY_TOLERANCE,
    PRICING_ROUNDS,
    PRIMAL_STRATEGY,
    REDUCED_COST_TOLERANCE,
    RELATIVE_TOLERANCE,
    SIMPLEX_STRATEGY,
    DailyModel,
    FloatArray,
    IntArray,
    PhaseOutcome,
    outcome,
    street_minimums_reachable,
)
from models.observation.daily_local import close_candidates
from models.observation.location import FEASIBLE_SOLUTION
from models.pricing import most_negative_per_group

PRIMAL_ENTERING_MAX = 500
"""Columns entering in a pricing round up to which the LP is re-solved by primal simplex from the last basis, which
stays primal feasible, more by the phase's strategy. City, 14 days: 426 columns 0.11 s primal against 0.21 s dual,
a handful 0.01 s against 0.2 s; 60 days: 627 columns 1.65 s primal against 0.39 s dual."""
FIX_SHARE = 0.5
"""Share of a phase's MIP budget its fix-and-solve MIPs may use."""
LEAF_MIP_SECONDS = 1.0
"""Seconds a leaf's MIP may take (:func:`_leaf_solved`): with every column the gap leaves out fixed it is small."""
LEAF_MIP_PAIRS_MAX = 50_000
"""Pairs a leaf's MIP may add to the model (the city's leaves, data seeds 1-20: 100-230). A gap that lets more in
would leave the model that much larger for every node after it, for a MIP that would not finish in its second."""
BRANCH_MAX_NODES = 200
"""Nodes of the branch-and-price on the opening columns: a limit that does not depend on the machine (the prevalent
city's seeds 1-5, 7 and 8 close in 3-19 nodes)."""


@dataclass(frozen=True)
class PricedLp:
    """The LP over the model's columns after pricing: its value (a bound on the full model when ``priced``), the
    columns' values and reduced costs, whether HiGHS solved it, and the pricing rounds it took."""

    bound: float
    priced: bool
    values: FloatArray
    reduced: FloatArray
    solved: bool
    rounds: int

    @property
    def integral(self) -> bool:
        return self.solved and bool(np.all(np.abs(self.values - np.rint(self.values)) < INTEGRALITY_TOLERANCE))


def solve_phase(
    model: DailyModel,
    start: IntArray,
    deadline: float,
    integral_objective: bool,
    mip_seconds: float = math.inf,
    known_bound: float | Callable[[], float] = -math.inf,
    incumbent: tuple[IntArray, IntArray] | None = None,
    closing_seconds: float = 0.0,
    beside: Beside | None = None,
) -> PhaseOutcome:
    """Price the LP over every pair, plans from it, the linking rows (5) where they raise the bound, then the MIP on
    the priced columns for at most ``mip_seconds`` (module docstring: Method). ``known_bound``: a bound on the full
    model found without the LP, or the call that finds it (made only where the LP's bound does not prove the plan:
    the cost phase's takes 0.01 s at the city; where no LP chooses the sites, before the closing, so that the phase
    ends by ``deadline``: the national daily plan's takes 2.0 s); the phase's bound is then the better of the two.
    ``incumbent``: a plan found without the LP (pairs, persons), repaired and kept when better than the LP's.
    ``closing_seconds``: where the phase decides the sites, its first LP stops this long before ``deadline``, so that
    closing candidates, which runs when that LP has not finished
    (:func:`models.observation.daily_local.close_candidates`), ends by then too. ``beside``: where given, the
    branch-and-price solves its nodes two at a time, the second beside the first (:func:`_branched`; in the pipeline
    a forked child, ``planner.forked.beside``)."""
    model.resolve_strategy = PRIMAL_STRATEGY if integral_objective else SIMPLEX_STRATEGY
    model.add_pairs(start if incumbent is None else unique_ints(start, incumbent[0]))
    deciding = len(model.free_sites) > 0 and not model.candidates_open  # the cost phase decides the sites
    lp_start = time.perf_counter()
    lp = _priced_lp(model, deadline - closing_seconds if deciding else deadline)
    lp_seconds = time.perf_counter() - lp_start
    rounds = lp.rounds
    values = np.rint(lp.values) if lp.integral else model.rounded_down(lp.values) * lp.solved
    target = _rounded(lp.bound, integral_objective)
    cuts = 0
    hopeless = lp.solved and not model.lp_holds(lp.values)  # no plan keeps within the limits (weighted model)
    deferred = None  # the LP rounded down: repaired only when the plans from the LP's sites prove nothing
    if not lp.integral and not hopeless:
        best = math.inf
        if lp.solved:
            deferred = values
        elif incumbent is None:  # with neither an LP nor an incumbent, the greedy repair alone
            values = _with_every_arc_of_the_disabled(model, values)  # every arc for the disabled (they weigh most)
            values[: len(model.free_sites)] = model.site_lower()  # the candidates the phase holds open
            values, best = _repaired(model, values, values, best)
        if incumbent is not None:
            values, best = _better(model, repair(model, _incumbent_values(model, *incumbent)), values, best)
        if not lp.solved and deciding and best < math.inf:  # no LP to choose sites from: close what is not needed
            known_bound = _evaluated(known_bound)  # before the closing, which runs to the deadline
            values, best = _better(model, close_candidates(model, values, deadline), values, best)
        if lp.priced and deciding and not _meets(best, target) and time.perf_counter() < deadline:
            strengthened, cuts = _strengthened(model, lp, deadline)
            rounds += strengthened.rounds
            values = model.padded(values)  # the columns that entered with the rows
            if cuts and strengthened.priced and strengthened.solved:
                lp, target = strengthened, max(target, _rounded(strengthened.bound, integral_objective))
        if lp.solved and deciding and not _meets(best, target):
            values, best = _open_where_the_lp_opens(model, lp.values, values, best, deadline)
        if lp.priced and deciding and not _meets(best, target) and time.perf_counter() < deadline:
            values, best, target = _branched(model, values, best, lp, target, deadline, beside)
        if lp.solved and not _meets(best, target) and time.perf_counter() < deadline:
            fix_deadline = min(deadline, time.perf_counter() + FIX_SHARE * mip_seconds)
            lp_values = model.padded(lp.values)  # the columns that entered in the branch-and-price at 0
            values, best = _fixed_and_solved(model, lp_values, values, best, target, fix_deadline)
        if deferred is not None and not _meets(best, target):
            values, best = _repaired(model, model.padded(deferred), model.padded(values), best)
        if lp.solved and not _meets(best, target) and time.perf_counter() < deadline:
            values = _improved_by_mip(
                model, values, best, lp.bound, lp.reduced, min(deadline, time.perf_counter() + mip_seconds)
            )
    plan = outcome(model, values)
    plan.bound = _lp_bound(target, plan.objective) if lp.priced else -math.inf
    if not _meets(plan.objective, plan.bound):  # a bound found without the LP may prove what the LP's does not
        plan.bound = max(plan.bound, _evaluated(known_bound))
    plan.proven = _meets(plan.objective, plan.bound) and model.holds(plan.unmet)
    plan.stats = {
        "pricing_rounds": rounds,
        "columns": len(model.columns),
        "pairs": len(model.pair_cohort),
        "lp_integral": lp.integral,
        "linking_rounds": cuts,
        "linking_rows": int(model.linked.sum()),
        "lp_priced": lp.priced,
        "lp_seconds": lp_seconds,
    }
    return plan


def _evaluated(known_bound: float | Callable[[], float]) -> float:
    """The bound found without the LP, found now where it is the call that finds it."""
    return known_bound() if callable(known_bound) else known_bound


def _lp_bound(target: float, objective: float) -> float:
    """The LP's bound ``target`` on a plan of cost ``objective``, or -inf when it lies above that plan beyond the
    tolerance: a bound cannot, so the LP's value has lost the precision the proof needs (the weighted model's
    penalties, ``models.observation.daily_stage``) and proves nothing."""
    return target if target <= objective + RELATIVE_TOLERANCE * max(1.0, abs(objective)) else -math.inf


def _priced_lp(model: DailyModel, deadline: float) -> PricedLp:
    """The LP solved and priced over every pair until no column has a negative reduced cost (or time is up). Past
    ``deadline`` already, or on a model HiGHS does not hold (``DailyModel.lp``: it would not have started in time),
    nothing is solved (a HiGHS run on the province's model takes 0.4 s before it looks at its limit): the LP is
    unsolved."""
    if not model.lp or time.perf_counter() >= deadline:
        nothing = np.zeros(model.num_columns)
        return PricedLp(-math.inf, False, nothing, nothing.copy(), False, 0)
    rounds, strategy = 0, model.resolve_strategy
    while True:
        model.run(max(deadline - time.perf_counter(), 1e-3), integer=False)
        optimal = model.solver.getModelStatus() == model.highs.HighsModelStatus.kOptimal
        reduced = model.reduced_costs()
        negative = (reduced < -REDUCED_COST_TOLERANCE) & ~model.inside
        entering = most_negative_per_group(model.pair_cohort, reduced, negative, ENTERING_PER_COHORT)
        rounds += 1
        if not len(entering) or rounds >= PRICING_ROUNDS or time.perf_counter() >= deadline:
            break
        model.add_pairs(entering)
        model.resolve_strategy = PRIMAL_STRATEGY if len(entering) <= PRIMAL_ENTERING_MAX else strategy
    model.resolve_strategy = strategy
    model.lp_basis = model.solver.getBasis()
    return PricedLp(
        model.objective(),
        optimal and not len(entering),  # an LP stopped early is no bound (nor are its reduced costs a proof)
        model.values(),
        np.asarray(model.solver.getSolution().col_dual, dtype=float),
        model.solver.getInfo().primal_solution_status == FEASIBLE_SOLUTION,
        rounds,
    )


def _strengthened(model: DailyModel, lp: PricedLp, deadline: float) -> tuple[PricedLp, int]:
    """The priced ``lp`` with the linking rows (5) its values break, round after round, priced again after each
    round (so that its value stays a bound on the full model), until none is broken; and the rounds of rows added.
    Without a broken row it is ``lp`` itself (whatever the model solved since)."""
    cuts = rounds = 0
    if model.lp_basis is not None:  # the priced LP's basis, not that of the LPs with sites fixed since
        model.solver.setBasis(model.lp_basis)
    while cuts < CUT_ROUNDS and time.perf_counter() < deadline and model.add_violated_links(lp.values):
        cuts += 1
        lp = _priced_lp(model, deadline)
        rounds += lp.rounds
        if not lp.solved:
            break
    return replace(lp, rounds=rounds), cuts


def _with_every_arc_of_the_disabled(model: DailyModel, values: FloatArray) -> FloatArray:
    """``values`` with every pair of the disabled cohorts in the model (at 0), so that the repair may place them
    at any barrier-free site in reach, not only their cheapest few."""
    disabled = model.instance.disabled[model.cohorts.group]
    model.add_pairs(np.flatnonzero(disabled[model.pair_cohort] & ~model.inside))
    return model.padded(values)


def _incumbent_values(model: DailyModel, pairs: IntArray, persons: IntArray) -> FloatArray:
    """The model's values of a plan given as pairs and persons: the candidates it uses (and those the phase holds
    open) open. Every pair must be a column of the model."""
    values = np.zeros(model.num_columns)
    values[model.base_columns + model.column_of(pairs)] = persons
    used = np.zeros(model.site_count, bool)
    used[model.instance.arc_site[model.pair_arc[pairs]]] = True
    values[: len(model.free_sites)] = np.maximum(model.site_lower(), used[model.free_sites])
    return values


def _meets(objective: float, bound: float) -> bool:
    """``objective`` within :data:`RELATIVE_TOLERANCE` of the full model's ``bound``: proven optimal."""
    return objective <= bound + RELATIVE_TOLERANCE * max(1.0, abs(bound))


def _open_where_the_lp_opens(
    model: DailyModel, lp_values: FloatArray, values: FloatArray, best: float, deadline: float
) -> tuple[FloatArray, float]:
    """A primal plan from the LP's facility decision: open every candidate the LP opens at all, then close the
    candidates the LP opened only in part, least open first, while closing lowers the LP's cost with the sites
    fixed (which keeps the held unmet optimum: its rows are in the LP); then the plan of whole persons at those
    sites (:func:`_whole_plan_at`). Returns the better of this plan and ``values`` (objective ``best``); the
    candidates' bounds are restored."""
    free = len(model.free_sites)
    columns = np.arange(free, dtype=np.int32)
    opened = (lp_values[:free] > INTEGRALITY_TOLERANCE).astype(float)
    solved = _fixed_sites_lp(model, opened, deadline)
    if solved is not None:
        partly = np.flatnonzero(
            (lp_values[:free] > INTEGRALITY_TOLERANCE) & (lp_values[:free] < 1 - INTEGRALITY_TOLERANCE)
        )
        for site in partly[np.argsort(lp_values[partly], kind="stable")]:
            if time.perf_counter() >= deadline:
                break
            trial = opened.copy()
            trial[site] = 0.0
            trial_solved = _fixed_sites_lp(model, trial, deadline)
            if trial_solved is not None and trial_solved[0] < solved[0]:
                opened, solved = trial, trial_solved
        values, best = _better(model, _whole_plan_at(model, opened, deadline, solved), values, best)
    model.solver.changeColsBounds(free, columns, model.site_lower(), np.ones(free))
    return values, best


def _fixed_sites_lp(model: DailyModel, open_sites: FloatArray, deadline: float) -> tuple[float, FloatArray] | None:
    """The LP's cost and values with the free candidates fixed at ``open_sites`` (None when it has no solution)."""
    free = len(model.free_sites)
    model.solver.changeColsBounds(free, np.arange(free, dtype=np.int32), open_sites, open_sites)
    model.run(max(deadline - time.perf_counter(), 1e-3), integer=False)
    if model.solver.getInfo().primal_solution_status != FEASIBLE_SOLUTION:
        return None
    return model.objective(), model.values()


def _whole_plan_at(
    model: DailyModel, open_sites: FloatArray, deadline: float, solved: tuple[float, FloatArray] | None = None
) -> FloatArray | None:
    """A plan of whole persons with the free candidates fixed at ``open_sites``: the LP's when it is whole, else
    the better of the LP rounded down and repaired and the MIP around what the LP splits. ``solved``: that LP's
    cost and values when they are in hand (not solved again)."""
    solved = solved if solved is not None else _fixed_sites_lp(model, open_sites, deadline)
    if solved is None:
        return None
    bound, found = solved[0], model.padded(solved[1])
    if np.all(np.abs(found - np.rint(found)) < INTEGRALITY_TOLERANCE):
        return np.rint(found)
    around = _neighbourhoods(model, found)[-1]
    whole = _solved_around(model, found, around, deadline) if time.perf_counter() < deadline else None
    if whole is not None and _meets(outcome(model, whole).objective, bound):  # nothing at these sites costs less
        return whole
    rounded = repair(model, model.rounded_down(found))
    best, _ = _better(model, whole, rounded, outcome(model, rounded).objective)
    return best


def _fixed_and_solved(
    model: DailyModel, lp_values: FloatArray, values: FloatArray, best: float, target: float, deadline: float
) -> tuple[FloatArray, float]:
    """Fix-and-solve: the MIP with every column the LP sets to a whole number fixed there, except a neighbourhood of
    what the LP leaves fractional, first the cohorts the LP splits, then every cohort the LP places at a site where
    it splits one. The LP's values stay feasible for it, so its optimum is near the LP bound; with a few hundred free
    columns it solves in a fraction of a second. Returns the best of its plans and ``values`` (objective ``best``);
    the bounds are restored."""
    for loose in _neighbourhoods(model, lp_values):
        if _meets(best, target) or time.perf_counter() >= deadline:
            break
        values, best = _better(model, _solved_around(model, lp_values, loose, deadline), values, best)
    return values, best


def _neighbourhoods(model: DailyModel, lp_values: FloatArray) -> tuple[npt.NDArray[np.bool_], ...]:
    """The columns of the cohorts the LP splits, then of every cohort the LP places at a site where it splits one
    (the first within the second)."""
    placed = lp_values[model.base_columns :]
    cohort = model.pair_cohort[model.columns]
    site = model.instance.arc_site[model.pair_arc[model.columns]]
    fractional = np.abs(placed - np.rint(placed)) > INTEGRALITY_TOLERANCE
    touched = np.zeros(model.site_count, bool)
    touched[site[fractional]] = True
    columns = []
    for neighbours in (fractional, touched[site] & (placed > INTEGRALITY_TOLERANCE)):
        loose = np.zeros(len(model.cohorts.group), bool)
        loose[cohort[neighbours]] = True
        columns.append(loose[cohort])
    return tuple(columns)


def _repaired(model: DailyModel, rounded: FloatArray, values: FloatArray, best: float) -> tuple[FloatArray, float]:
    """The greedy repair of ``rounded`` when it is better than ``values`` (objective ``best``), or when there is no
    plan yet (``best`` infinite: the repair is the plan, held or not)."""
    repaired = repair(model, rounded)
    if math.isfinite(best):
        return _better(model, repaired, values, best)
    plan = outcome(model, repaired)
    return repaired, plan.objective if model.holds(plan.unmet) else math.inf


def _branched(
    model: DailyModel,
    values: FloatArray,
    best: float,
    root: PricedLp,
    bound: float,
    deadline: float,
    beside: Beside | None = None,
) -> tuple[FloatArray, float, float]:
    """Branch-and-price on the free candidates' opening columns from the priced ``root`` LP (bound ``bound``, the
    root node's LP: not solved again) against the plan ``values`` (objective ``best``), least bound first (module
    docstring). Returns the best plan, its objective and the bound on the full model: the least bound of the nodes
    left open and of the leaves whose plan stays above their LP. The candidates' bounds are restored.

    With ``beside``, nodes are taken two at a time (the two least bounds): the second is solved by ``beside`` (a
    forked child, on the core this one leaves idle) while this process solves the first; their outcomes are then
    taken in order, as if solved one after the other. The second's LP does not see the columns and rows the first's
    pricing adds (a child's do not come back): each node is priced over every pair, so its bound holds all the same.
    Where the optimum has ties the search may end on another plan of the same cost than one node at a time would
    (the sample city, prevalent, 14 days: the same cost, 1,309 assignment rows against 1,318, other sites for a few
    of the disabled).
    Prevalent city, 14 days, data seeds 1-5, 7, 8, the stage alone: 20.8 s in all against 25.1 s one at a time, each
    seed as fast or faster (a child's first LP runs slower while it copies the pages HiGHS writes)."""
    free = len(model.free_sites)
    root_lower, root_upper = model.site_lower(), np.ones(free)
    opening_cost = model.column_cost[:free].copy()
    nodes: list[Node] = [(bound, 0, root_lower, root_upper, ())]
    leaves: list[float] = []
    count = 0
    while count < BRANCH_MAX_NODES and nodes and not _meets(best, nodes[0][0]) and time.perf_counter() < deadline:
        batch: list[Node] = []
        while len(batch) < (2 if beside is not None and count else 1) and count + len(batch) < BRANCH_MAX_NODES:
            taken = _next_node(model, nodes, best)
            if taken is None:
                break
            batch.append(taken)
        if not batch:
            break
        second = None
        if beside is not None and len(batch) == 2:
            second = beside(partial(_solved_node, model, *batch[1][2:4], deadline, best))
        solve = partial(_solved_node, model, *batch[0][2:4], deadline, best)
        first = solve() if count else _node_outcome(model, root, deadline)
        outcomes = [first] if second is None else [first, second.result()]
        for (node_bound, _, lower, upper, fixings), node in zip(batch, outcomes, strict=True):
            count += 1
            if node.lp is None:  # stopped, or infeasible without every column: the node stays as it was
                leaves.append(node_bound)
                continue
            node_bound = max(node_bound, node.lp.bound)
            values = model.padded(values)
            lower, upper = _fixed_by_reduced_cost(node.lp, lower, upper, best - node_bound)
            opening = node.lp.values
            split = np.abs(opening - np.rint(opening)) > INTEGRALITY_TOLERANCE
            if not split.any():  # whole sites: the plan there; a plan above the node's LP leaves the node as a leaf
                values, best = _better(model, _plan_values(model, node.whole), values, best)
                values = model.padded(values)
                node_bound = max(node_bound, node.leaf_bound)
                leaves += [] if _meets(best, node_bound) else [node_bound]
                continue
            at_stake = np.minimum(opening, 1 - opening) * opening_cost  # the opening the LP's fraction leaves open
            site = int(np.argmax(np.where(split, at_stake, -1.0)))
            for value, order in ((1.0, 2 * count - 1), (0.0, 2 * count)):
                child_lower, child_upper = lower.copy(), upper.copy()
                child_lower[site] = child_upper[site] = value
                if street_minimums_reachable(model, child_upper):
                    heapq.heappush(
                        nodes, (node_bound, order, child_lower, child_upper, (*fixings, (node.lp, node_bound)))
                    )
    model.solver.changeColsBounds(free, np.arange(free, dtype=np.int32), root_lower, root_upper)
    return model.padded(values), best, min([best, *leaves, *(node[0] for node in nodes)])


Node = tuple[float, int, FloatArray, FloatArray, tuple[tuple[PricedLp, float], ...]]
"""A branch-and-price node waiting: its bound, its order, the box of the opening columns (lower, upper), and the
LPs of its ancestors' boxes with their bounds (the root's first), which fix by reduced cost again as the incumbent
improves."""


def _next_node(model: DailyModel, nodes: list[Node], best: float) -> Node | None:
    """The least-bound node whose box, fixed again by its ancestors' LPs against the incumbent's cost ``best``
    (:func:`_fixed_by_reduced_cost`: a box an ancestor's LP holds), still holds a plan that may cost less; the
    others are dropped on the way (their bounds reach ``best``, or the fixing leaves them no plan). None when none is
    left below ``best``."""
    while nodes and not _meets(best, nodes[0][0]):
        node_bound, order, lower, upper, fixings = heapq.heappop(nodes)
        for lp, lp_bound in fixings:
            lower, upper = _fixed_by_reduced_cost(lp, lower, upper, best - lp_bound)
        if np.all(lower <= upper) and street_minimums_reachable(model, upper):
            return node_bound, order, lower, upper, fixings
    return None


@dataclass(frozen=True)
class NodeOutcome:
    """A branch-and-price node as its search takes it: ``lp`` None where its LP stopped or is infeasible, else that
    LP with the opening columns' values and reduced costs only; ``whole``, where those are whole numbers, the plan at
    those sites (the candidates' openings, pairs and persons), None where none was found."""

    lp: PricedLp | None
    whole: tuple[FloatArray, IntArray, IntArray] | None = None
    leaf_bound: float = -math.inf
    """Where the plan at the LP's whole sites stays above the LP: the bound on the box's plans its leaf MIP
    proved (:func:`_leaf_solved`), -inf where none ran."""


def _solved_node(
    model: DailyModel, lower: FloatArray, upper: FloatArray, deadline: float, incumbent: float = math.inf
) -> NodeOutcome:
    """The node with the candidates' opening columns within ``lower`` and ``upper`` (:func:`_node_lp`); its leaf MIP
    runs only where its LP stays below the ``incumbent``'s cost (else the node is closed by its bound)."""
    lp = _node_lp(model, lower, upper, deadline)
    if lp is None or not lp.priced:
        return NodeOutcome(None)
    return _node_outcome(model, lp, deadline, None if _meets(incumbent, lp.bound) else (lower, upper))


def _node_outcome(
    model: DailyModel, lp: PricedLp, deadline: float, box: tuple[FloatArray, FloatArray] | None = None
) -> NodeOutcome:
    """The node of the priced ``lp``, with the plan at its sites where it opens whole ones. ``box``: the node's
    bounds on the opening columns, where ``lp`` is the model's last LP (its duals in the solver): a plan above the
    LP then gets the node's leaf MIP (:func:`_leaf_solved`)."""
    free = len(model.free_sites)
    opening = lp.values[:free]
    part = replace(lp, values=opening.copy(), reduced=lp.reduced[:free].copy())
    if np.any(np.abs(opening - np.rint(opening)) > INTEGRALITY_TOLERANCE):
        return NodeOutcome(part)
    pair_reduced = model.reduced_costs() if box is not None else None  # before a MIP at the sites replaces the duals
    at_sites = _whole_plan_at(model, np.rint(opening), deadline, (lp.bound, lp.values))
    if at_sites is None:
        return NodeOutcome(part)
    leaf_bound = -math.inf
    if box is not None and pair_reduced is not None:
        objective = outcome(model, at_sites).objective
        if not _meets(objective, lp.bound):
            at_sites, leaf_bound = _leaf_solved(model, lp, pair_reduced, box, at_sites, objective, deadline)
    placed = at_sites[model.base_columns :]
    used = placed > INTEGRALITY_TOLERANCE
    whole = (at_sites[:free], model.columns[used], np.rint(placed[used]).astype(np.int64))
    return NodeOutcome(part, whole, leaf_bound)


def _leaf_solved(
    model: DailyModel,
    lp: PricedLp,
    pair_reduced: FloatArray,
    box: tuple[FloatArray, FloatArray],
    plan: FloatArray,
    objective: float,
    deadline: float,
) -> tuple[FloatArray, float]:
    """A leaf whose LP opens whole sites but whose plan there (``plan``, cost ``objective``) stays above the LP: the
    MIP over the node's box with reduced-cost fixing at the gap, and the bound it proves on the box's plans.

    The node's LP is priced over every pair, so a plan of the box that places anyone on a pair (or opens or closes
    a candidate against the LP) of reduced cost ``r`` costs at least the LP's value plus ``r``. Every pair whose
    reduced cost is below the gap ``objective - lp.bound`` enters the model; the others, and the candidates whose
    reduced cost exceeds the gap, are fixed where the LP has them: a plan of the box that costs less than ``plan``
    is a plan of that MIP. So the box holds no plan below the MIP's dual bound or ``objective``, whichever is less.
    Sample city of data seed 19, prevalent, 14 days: a leaf 1.4e-6 above its LP, which the plan at its sites could
    not close, ended the stage ``feasible``. Returns the better plan and that bound (-inf where the MIP found none
    in :data:`LEAF_MIP_SECONDS`, and where the gap would let more than :data:`LEAF_MIP_PAIRS_MAX` pairs in: then no
    MIP runs); the columns' bounds are restored."""
    gap = objective - lp.bound
    entering = np.flatnonzero((pair_reduced < gap + REDUCED_COST_TOLERANCE) & ~model.inside)
    if len(entering) > LEAF_MIP_PAIRS_MAX:
        return model.padded(plan), -math.inf
    model.add_pairs(entering)
    free = len(model.free_sites)
    lower, upper = _fixed_by_reduced_cost(lp, *box, gap)
    placed = np.arange(model.base_columns, model.num_columns, dtype=np.int32)
    persons = model.cohorts.persons[model.pair_cohort[model.columns]].astype(float)
    fixed = pair_reduced[model.columns] > gap + REDUCED_COST_TOLERANCE
    candidates = np.arange(free, dtype=np.int32)
    model.solver.changeColsBounds(free, candidates, lower, upper)
    model.solver.changeColsBounds(len(placed), placed, np.zeros(len(placed)), np.where(fixed, 0.0, persons))
    values = model.padded(plan)
    model.set_incumbent(values, outcome(model, values).open_sites)
    model.run(max(min(deadline, time.perf_counter() + LEAF_MIP_SECONDS) - time.perf_counter(), 1e-3), integer=True)
    info = model.solver.getInfo()
    found = np.rint(model.values()) if info.primal_solution_status == FEASIBLE_SOLUTION else None
    proven = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else -math.inf
    model.solver.changeColsBounds(free, candidates, *box)
    model.solver.changeColsBounds(len(placed), placed, np.zeros(len(placed)), persons)
    values, best = _better(model, found, values, objective)
    return values, min(proven, best)


def _plan_values(model: DailyModel, whole: tuple[FloatArray, IntArray, IntArray] | None) -> FloatArray | None:
    """The model's values of a plan given as the candidates' openings, pairs and persons (its pairs enter the model
    where they are not in it: a plan found in a child, whose columns stayed there)."""
    if whole is None:
        return None
    opening, pairs, persons = whole
    model.add_pairs(pairs)
    values = np.zeros(model.num_columns)
    values[: len(opening)] = opening
    values[model.base_columns + model.column_of(pairs)] = persons
    return values


def _fixed_by_reduced_cost(
    lp: PricedLp, lower: FloatArray, upper: FloatArray, slack: float
) -> tuple[FloatArray, FloatArray]:
    """The box of opening columns with reduced-cost fixing: a candidate closed in the priced LP whose reduced cost
    exceeds ``slack`` (the incumbent less the node's bound) stays closed in every better plan of the box, one open
    whose reduced cost is below ``-slack`` stays open (any plan that changes it costs at least the bound plus the
    reduced cost)."""
    free = len(lower)
    opening, reduced = lp.values[:free], lp.reduced[:free]
    closed = (opening < INTEGRALITY_TOLERANCE) & (reduced > slack + REDUCED_COST_TOLERANCE)
    opened = (opening > 1 - INTEGRALITY_TOLERANCE) & (reduced < -slack - REDUCED_COST_TOLERANCE)
    return np.where(opened, 1.0, lower), np.where(closed, 0.0, upper)


def _node_lp(model: DailyModel, lower: FloatArray, upper: FloatArray, deadline: float) -> PricedLp | None:
    """The LP with the candidates' opening columns within ``lower`` and ``upper``, priced and with the linking rows
    it breaks, until none is broken (its value bounds every plan in the box); None when HiGHS finds it infeasible."""
    free = len(model.free_sites)
    model.solver.changeColsBounds(free, np.arange(free, dtype=np.int32), lower, upper)
    lp = _priced_lp(model, deadline)
    while lp.priced and model.add_violated_links(lp.values) and time.perf_counter() < deadline:
        lp = _priced_lp(model, deadline)
    infeasible = model.solver.getModelStatus() == model.highs.HighsModelStatus.kInfeasible
    return None if infeasible else lp


def _better(model: DailyModel, found: FloatArray | None, values: FloatArray, best: float) -> tuple[FloatArray, float]:
    """``found`` and its objective when it is a plan that costs less than ``best`` and keeps the held unmet
    optimum, else ``values`` and ``best``."""
    if found is None:
        return values, best
    plan = outcome(model, found)
    return (found, plan.objective) if plan.objective < best and model.holds(plan.unmet) else (values, best)


def _solved_around(
    model: DailyModel, lp_values: FloatArray, loose_columns: npt.NDArray[np.bool_], deadline: float
) -> FloatArray | None:
    """The MIP with the columns outside ``loose_columns`` and the candidates the LP opens whole fixed at the LP's
    values; its plan, or None when it found none or ran before (:meth:`DailyModel.first_mip`). The bounds are
    restored."""
    free = len(model.free_sites)
    opening, placed = lp_values[:free], lp_values[model.base_columns :]
    cohort = model.pair_cohort[model.columns]
    loose = np.concatenate([np.abs(opening - np.rint(opening)) > INTEGRALITY_TOLERANCE, loose_columns])
    columns = np.concatenate([np.arange(free), model.base_columns + np.arange(len(placed))]).astype(np.int32)
    upper = np.concatenate([np.ones(free), model.cohorts.persons[cohort].astype(float)])
    lower = np.concatenate([model.site_lower(), np.zeros(len(placed))])
    whole = np.rint(np.concatenate([opening, placed]))
    mip_lower, mip_upper = np.where(loose, lower, whole), np.where(loose, upper, whole)
    if not model.first_mip(mip_lower, mip_upper):
        return None
    model.solver.changeColsBounds(len(columns), columns, mip_lower, mip_upper)
    model.run(max(deadline - time.perf_counter(), 1e-3), integer=True)
    found = np.rint(model.values()) if model.solver.getInfo().primal_solution_status == FEASIBLE_SOLUTION else None
    model.solver.changeColsBounds(len(columns), columns, lower, upper)
    return found


def _improved_by_mip(
    model: DailyModel, values: FloatArray, best: float, bound: float, lp_reduced: FloatArray, deadline: float
) -> FloatArray:
    """The MIP on the priced columns against the plan ``values`` (objective ``best``), with reduced-cost fixing: a
    column at 0 in the LP whose reduced cost exceeds ``best - bound`` is 0 in every plan better than ``best`` (any
    such plan costs at least ``bound + reduced cost``), so it is fixed at 0. Returns the better plan."""
    columns = np.arange(model.base_columns, len(lp_reduced))
    fixed = columns[lp_reduced[columns] > best - bound + REDUCED_COST_TOLERANCE]
    if len(fixed):
        zeros = np.zeros(len(fixed))
        model.solver.changeColsBounds(len(fixed), fixed.astype(np.int32), zeros, zeros)
    if math.isfinite(best):  # the MIP starts from the plan it is to beat
        model.set_incumbent(values, outcome(model, values).open_sites)
    model.run(max(deadline - time.perf_counter(), 1e-3), integer=True)
    found = np.rint(model.values()) if model.solver.getInfo().primal_solution_status == FEASIBLE_SOLUTION else None
    return _better(model, found, values, best)[0]


def _rounded(bound: float, integral_objective: bool) -> float:
    """An integral objective's bound rounded up (the unmet phases count persons); no bound (-inf) stays none."""
    return float(math.ceil(bound - 1e-6)) if integral_objective and math.isfinite(bound) else bound


def repair(model: DailyModel, values: FloatArray) -> FloatArray:
    """``values`` (rounded down) with unmet persons placed where a site has room on every day of their stay.

    Cohorts in order of their unmet cost (disabled first), each on its columns in order of cost; only columns
    already in the model, so the plan stays a plan of the model.
    """
    values = values.copy()
    free_count = len(model.free_sites)
    open_sites = model.fixed_open.copy()
    open_sites[model.free_sites] = np.rint(values[:free_count])
    placed = values[model.base_columns :]
    cohort, arc = model.pair_cohort[model.columns].astype(np.int64), model.pair_arc[model.columns].astype(np.int64)
    site = model.instance.arc_site[arc]
    first, end = model.cohorts.arrival[cohort], model.cohorts.end[cohort]
    room = model.instance.capacity[:, None] * open_sites[:, None] - model.cohorts.present(
        cohort, site, placed, model.site_count
    )
    unmet = model.cohorts.persons - np.bincount(cohort, weights=placed, minlength=len(model.cohorts.group))
    cost = model.column_cost
    unmet_cost = cost[free_count : free_count + len(model.cohorts.group)]
    bounds, by_cost = grouped(cohort, len(model.cohorts.group), within=model.arc_cost[arc])  # each cohort's by cost
    for c in np.flatnonzero(unmet > 0.5)[np.argsort(-unmet_cost[unmet > 0.5], kind="stable")].tolist():
        left = float(unmet[c])
        for column in by_cost[bounds[c] : bounds[c + 1]].tolist():
            s, a, e = site[column], first[column], end[column]
            fits = float(np.floor(room[s, a:e].min())) if e > a else left
            amount = min(left, max(fits, 0.0))
            if amount > 0:
                placed[column] += amount
                room[s, a:e] -= amount
                left -= amount
            if left <= 0:
                break
    values[model.base_columns :] = placed
    return values
