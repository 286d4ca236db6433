"""The day-by-day observation model: open sites once for the horizon, place every cohort for its whole stay.

Pure: plain tables in, :class:`~models.base.StageResult` out.

Sets and data
-------------
- groups ``g`` (a home's ``disabled`` or ``other`` persons) and sites ``s`` with ``cap_s = rooms_s * persons_per_room``
  and opening cost ``f_s`` (minutes), as in the snapshot model (``models.observation``); arcs ``A`` (g, s) within
  the transfer limit, disabled groups only to barrier-free sites when the rule says so (3), minutes ``m_gs``;
- cohorts ``c``: persons ``n_c`` of group ``g(c)`` arriving on day ``a_c`` for ``L_c`` days (the cause's length of
  stay); days ``t = 0 .. H - 1``; ``c`` is present on ``t`` when ``a_c <= t < a_c + L_c``.

Variables
---------
``x_cs`` in Z+ persons of cohort c at site s for their whole stay ((g(c), s) in A); ``u_c`` in Z+ unmet persons of
c; ``y_s`` in {0, 1} site s open (1 for sites already open and those a street forces, 0 for closed ones).

Constraints
-----------
1. cover: ``sum_s x_cs + u_c = n_c`` for every cohort;
2. daily capacity: ``sum_{c present on t} x_cs <= cap_s * y_s`` for every site and day;
3. barrier-free: disabled cohorts only on arcs to barrier-free sites (the arc set);
4. street minimum: ``sum_{s candidate of street k} y_s >= deficit_k`` (as in the snapshot model);
5. linking (implied by 2 for whole plans; tightens the LP): ``x_cs <= min(n_c, cap_s) y_s`` for candidates ``s``,
   added as cutting planes (every column's at a candidate where the LP breaks one), only to strengthen the bound.

Objective, lexicographic
------------------------
(i) minimise unmet disabled persons, (ii) unmet persons: one MIP with every usable site open and the objective
``W * sum_{c disabled} u_c + sum_c u_c``, ``W = sum_c n_c + 1`` (exactly lexicographic);
(iii) minimise ``sum_s f_s y_s + sum_cs m_{g(c)s} x_cs`` with (i) and (ii) held at their optima.

Two exact shortcuts come first (``models.observation.daily_stage``). Cohorts that rows (2) cannot tell apart are
merged and the days reduced to those some stay ends on (``models.observation.daily_merge``). Then, when the LP-free
bounds on unmet persons (one maximum flow per day) are met by a plan, (i)-(ii) need no LP of their own: one model
charges each unmet person a penalty ``P`` above any one person's minutes and site (``P * (sum_c n_c + 1)`` for the
disabled), takes only plans within those bounds, and subtracts the bounds' penalties from its objective, so its
objective is (iii)'s and its LP value a bound on (iii) over the plans at the unmet optimum. When its LP leaves more
unmet than the bounds, or no plan meets them, or the penalties' offset is too large for the LP value to resolve the
cost (``daily_stage.OFFSET_PRECISION``: a wave far beyond the rooms), the phases run in turn as above. Models of
more than ``daily_stage.AT_THE_BOUNDS_MAX_PAIRS`` pairs (the province), whose LP does not finish in the limit,
get plans that do not wait for it: phase (i) alone in the disabled cohorts' own model, then the others by rolling
placement (``models.observation.daily_rolling``) as the unmet phase's incumbent, and candidates closed where their
persons fit elsewhere (``models.observation.daily_local``).

Method
------
Each phase is a HiGHS MIP over a restricted set of columns ``x_cs``: every cohort starts with its group's
:data:`START_ARCS` cheapest arcs (the weighted model: :data:`SEEDED_START_ARCS` and the arcs of the peak day's
relaxation, ``daily_seed``). The LP relaxation is priced over **every** arc: a column's reduced cost is
``cost - pi_c - sum_{t present} mu_st`` (``pi`` the duals of (1), ``mu <= 0`` of (2)); every column with a
negative reduced cost enters and the LP is solved again until none is left, so the LP value is the relaxation
of the full model: a bound on it. A primal plan comes from the LP: rounded down (persons at candidates that
round to closed moved out) and repaired (unmet persons placed where a site has room on every day of their stay).
In the cost phase, while the plan is short of the bound, the linking rows (5) the LP breaks are added round after
round, pricing after each round, which raises the bound; then the plan of the LP's sites (every candidate the LP
opens, re-solved with the sites fixed, the partly open ones closed while that pays); then branch-and-price on the
opening columns (each node's LP priced over every pair: a bound on the plans of its box; this proves the prevalent
city, where the strong LP stays 1-7 % under the plan); then a fix-and-solve MIP (every column the LP sets to a
whole number fixed, the cohorts it splits free). Only if the plan is still short of the bound does the MIP run on
every priced column, from the best plan and with reduced-cost fixing, for a share of the time limit
(``models.observation.daily_solve``). A phase is
``optimal`` when its plan meets that full-model bound (within :data:`RELATIVE_TOLERANCE`; the unmet phases'
objectives are integers, so the bound is rounded up), else ``feasible`` with the bound and the gap. When HiGHS
stops without a solution, the LP's values rounded down (and the rest unmet) are the plan: still feasible, since
rounding down never fills a site more.

Output tables: ``stays`` (home_id, group, cause, site_id, arrival_day, departure_day = arrival_day + stay,
persons), ``occupancy`` (site_id, day, persons, persons_disabled, capacity; open sites), ``cohort_unmet`` (home_id,
group, cause, arrival_day, departure_day, persons); per-arc totals over the horizon feed the snapshot-shaped
``sites`` (``persons`` = the peak day's occupancy), ``assignments`` and ``unmet`` tables.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.base import highs_solver
from models.flow import members, unique_ints
from models.observation.instance import Instance, IntArray
from models.observation.location import highs_module

START_ARCS = 4
"""Cheapest arcs per group every cohort starts with (never a restriction: the other arcs are priced)."""
SEEDED_START_ARCS = 2
"""Cheapest arcs per group beside the peak day relaxation's arcs (``models.observation.daily_seed``, which has
the measurements)."""
PRICING_ROUNDS = 200
ENTERING_PER_COHORT = 2
"""Columns a cohort may gain per pricing round."""
REDUCED_COST_TOLERANCE = 1e-7
RELATIVE_TOLERANCE = 1e-6
INTEGRALITY_TOLERANCE = 1e-6
SIMPLEX_STRATEGY = 1
"""HiGHS's serial dual simplex: the fastest of dual (serial, PAMI), primal and interior point on the city's LPs
(1.4-2.3 s against 2.0-2.7 s, 3-6 s and over 6 s per LP)."""
MIP_MAX_NODES = 200
"""Branch-and-bound nodes of a phase's MIP: a limit that does not depend on the machine, so the same input gives the
same plan whenever the time limit does not bind first."""
PRIMAL_STRATEGY = 4
"""Re-solves of the unmet phase after columns enter: the basis stays primal feasible and primal simplex goes on
from it (0.1-0.3 s against 0.5 s for dual on the city); the cost phase re-solves faster with dual (0.1 s against
1-4 s)."""
LINK_TOLERANCE = 1e-6
"""How far an LP value may pass a linking row (5) before the row is added."""
CUT_ROUNDS = 30
"""Rounds of linking rows (5) a phase adds at most."""
LP_LIMIT_TOLERANCE = 1e-4
"""How far the LP's unmet persons may pass :attr:`DailyModel.unmet_limits` (rounding in the solver)."""
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Cohorts:
    """Cohorts as arrays: group index, arrival day, stay (days), persons; ``horizon`` days."""

    group: IntArray
    arrival: IntArray
    stay: IntArray
    persons: IntArray
    horizon: int

    @property
    def end(self) -> IntArray:
        """First day after the last day a cohort is present within the horizon."""
        return np.minimum(self.arrival + self.stay, self.horizon)

    @property
    def unmet_weight(self) -> float:
        """``W = sum_c n_c + 1``: one disabled person unmet weighs more than every other person unmet together."""
        return float(self.persons.sum() + 1)

    def present(self, cohort: IntArray, key: IntArray, amount: npt.NDArray[Any], keys: int) -> npt.NDArray[Any]:
        """Per key ``0 .. keys - 1`` and day: the ``amount`` of each stay of ``cohort`` (counted at its ``key``)
        present that day (difference arrays over the stays)."""
        change = np.zeros((keys, self.horizon + 1), amount.dtype)
        np.add.at(change, (key, self.arrival[cohort]), amount)
        np.add.at(change, (key, self.end[cohort]), -amount)
        return np.cumsum(change, axis=1)[:, : self.horizon]


@dataclass
class PhaseOutcome:
    """A phase's plan (persons per column, unmet per cohort, open sites), objective, full-model bound, status."""

    columns: IntArray
    cohort: IntArray
    arc: IntArray
    placed: IntArray
    unmet: IntArray
    open_sites: npt.NDArray[np.bool_]
    objective: float
    bound: float
    proven: bool
    stats: dict[str, Any]


class RunDeadline:
    """When a HiGHS MIP run is interrupted, for the solver's interrupt callback: HiGHS checks its own time limit
    only between steps, and one round of cut separation at the root took 12 s past a 0.6 s limit on the city.

    The callback is this object's, not the model's: highspy's ``Highs`` sits in a reference cycle of its own
    (its callbacks refer back to it), freed only when Python's cycle collector runs. A model the callback
    referred to would wait for it too, with its arrays: the sample city's daily plan then kept 27-45 MB a plan
    until a full collection (16 plans in one process: 300 MB -> 974 MB)."""

    def __init__(self) -> None:
        self.at = math.inf
        """``time.perf_counter()`` at which a MIP run is interrupted."""

    def interrupt(self, event: Any) -> None:
        event.interrupt(time.perf_counter() >= self.at)


class DailyModel:
    """The phase MIP of the module docstring over a growing set of columns (cohort, arc)."""

    def __init__(
        self,
        instance: Instance,
        cohorts: Cohorts,
        free: npt.NDArray[np.bool_],
        fixed_open: FloatArray,
        lp: bool = True,
    ):
        self.instance, self.cohorts = instance, cohorts
        highs = highs_module()
        if highs is None:  # pragma: no cover - highspy is a dependency
            raise RuntimeError("the daily observation model needs highspy")
        self.highs: Any = highs
        self.lp = lp
        """Whether HiGHS holds the model (False: its columns and plans only, for the plans made without an LP, where
        no phase has time left for one: national, 2.4 s and 0.4 GB of rows and columns never solved)."""
        self.free_sites = np.flatnonzero(free)
        self.candidate_position = np.full(len(instance.sites), -1, np.int64)
        """Each site's position among the free candidates (their columns); -1 for the other sites."""
        self.candidate_position[self.free_sites] = np.arange(len(self.free_sites))
        self.fixed_open = fixed_open
        self.solver: Any = None
        self.stop = RunDeadline()
        if lp:
            self.solver = highs_solver(self.highs, owner=self)
            self.solver.cbMipInterrupt.subscribe(self.stop.interrupt)
        self.site_count, self.days = len(instance.sites), cohorts.horizon
        self.arc_cost = np.zeros(len(instance.arcs))
        self.columns = np.zeros(0, np.int64)  # column -> position in the (cohort, arc) pair list
        self.column_cost = np.zeros(0)
        """Every column's cost, as HiGHS holds it (kept here as it is set: ``getLp`` copies the whole LP, 0.04 s and
        0.1 GB for 2 million columns, and a plan's cost reads it each time)."""
        self.pair_cohort, self.pair_arc = self._pairs()
        self.inside = np.zeros(len(self.pair_cohort), bool)
        self.linked = np.zeros(0, bool)
        """Per column (in model order): whether it has its linking row (5)."""
        self.link_entering = False
        """Whether a column that enters comes with its linking row (5): once the first rows are in."""
        self.integer = False
        """Whether the open and placement columns are integer (the last run was a MIP)."""
        self.candidates_open = False
        """Whether the free candidates are held open (phases (i)-(ii): every usable site open, nothing to decide)."""
        self.lp_basis: Any = None
        """HiGHS's basis after the last priced LP: the next phase on the same model starts from it."""
        self.solved = False
        self.resolve_strategy = SIMPLEX_STRATEGY
        self.unmet_limits: tuple[float, float] | None = None
        """Unmet disabled and unmet persons an earlier phase's optimum allows (its rows in the model), or the bounds
        on them a plan must meet (the weighted model of ``daily_stage``: not rows, a penalty)."""
        self.offset_terms: tuple[tuple[float, int], ...] = ()
        """Subtracted from every objective: the penalties of the unmet persons the limits allow (weighted model), as
        (unmet cost, persons) pairs; a plan's objective subtracts them cost by cost (exact), the LP's as one offset."""
        self.mips_run: set[bytes] = set()
        """The column bounds of every MIP run since the costs last changed (:meth:`first_mip`)."""

    def _pairs(self) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
        """Every allowed (cohort, arc): the full model's columns ``x_cs``, as 32-bit positions (half the memory of the
        national model's 6.5 million pairs; a product of two positions is taken in 64 bits, :meth:`pairs_of`)."""
        arcs_of = members(self.instance.arc_group, len(self.instance.groups))
        counts = np.array([len(arcs_of[g]) for g in self.cohorts.group], np.int64)
        cohort = np.repeat(np.arange(len(self.cohorts.group), dtype=np.int32), counts)
        arc = np.concatenate([arcs_of[g] for g in self.cohorts.group]) if len(cohort) else np.zeros(0, np.int64)
        return cohort, arc.astype(np.int32)

    def pairs_of(self, cohort: IntArray, arc: IntArray) -> IntArray:
        """Positions of the pairs (cohort, arc) in the pair list (every one must be allowed)."""
        stride = len(self.instance.arcs)
        keys = self.pair_cohort.astype(np.int64) * stride + self.pair_arc
        return np.searchsorted(keys, np.asarray(cohort, np.int64) * stride + arc).astype(np.int64)

    def column_of(self, pairs: IntArray) -> IntArray:
        """Each pair's position among the placement columns (every pair must be a column)."""
        order = np.argsort(self.columns, kind="stable")
        return order[np.searchsorted(self.columns, pairs, sorter=order)]

    def build(
        self,
        unmet_cost: FloatArray,
        arc_cost: FloatArray,
        opening: FloatArray,
        extra: list[Any],
        offset: tuple[tuple[float, int], ...] = (),
    ) -> None:
        """Rows (1), (2) (through the slots), (4) and the open, unmet and slot columns; ``extra`` rows hold earlier
        phases' optima; ``offset``: (unmet cost, persons) pairs whose penalties are subtracted from the objective
        (:attr:`offset_terms`).

        A **slot** ``k = (s, a, e)`` is a site with a stay window: ``z_k = sum of x_cs`` of the cohorts present on
        days ``a .. e - 1`` (link rows ``sum x - z_k = 0``), and (2) reads ``sum_{k of s present on t} z_k <= cap_s
        y_s``: the same model, with two entries per ``x`` column instead of one per day of the stay. Slots no pair
        can fill, and the day rows of sites no pair reaches, would only ever hold 0: they are left out.
        """
        cohorts, count = self.cohorts, len(self.cohorts.group)
        free, sites, days = len(self.free_sites), self.site_count, self.days
        windows, self.window_of = np.unique(np.stack([cohorts.arrival, cohorts.end]), axis=1, return_inverse=True)
        self.window_of = self.window_of.ravel()
        self.windows = windows.shape[1]
        kept = unique_ints(self.instance.arc_site[self.pair_arc] * self.windows + self.window_of[self.pair_cohort])
        self.slot_position = np.full(sites * self.windows, -1, np.int64)
        """Each slot's position among the slots some pair can fill (-1: none can; such a slot, and the day rows of
        a site no pair reaches, would only ever hold 0 and are left out: the model is the same, its LP smaller)."""
        self.slot_position[kept] = np.arange(len(kept))
        self.pair_slot = self.slot_of(self.pair_cohort, self.pair_arc).astype(np.int32)
        """The slot of every pair (the model's pairs are fixed; pricing reads it each round)."""
        slot_site, slot_window = np.divmod(kept, self.windows)
        reachable = unique_ints(slot_site)
        site_row = np.full(sites, -1, np.int64)
        site_row[reachable] = np.arange(len(reachable))
        slots, day_rows = len(kept), len(reachable) * days
        self.arc_cost = arc_cost
        self.pair_cost = arc_cost[self.pair_arc] if self.lp else np.zeros(0)
        """Each pair's cost (its arc's), as pricing reads it every round (no pricing without an LP: none)."""
        self.capacity_row, self.link_row = count, count + day_rows
        self.pair_link_row = self.link_row + self.pair_slot if self.lp else np.zeros(0, np.int64)
        """Each pair's slot's link row (HiGHS's columns read it: none without an LP)."""
        self.column_cost = np.concatenate([opening[self.free_sites], unmet_cost, np.zeros(slots)])
        self.offset_terms = offset
        self.mips_run.clear()
        self.base_columns = free + count + slots
        if not self.lp:
            return
        cap = self.instance.capacity.astype(float)
        fixed = (cap * self.fixed_open)[reachable, None] * np.ones((1, days))
        lp = self.highs.HighsLp()
        lp.num_col_, lp.num_row_ = free + count + slots, count + day_rows + slots
        lp.col_cost_ = self.column_cost
        lp.col_lower_ = np.zeros(free + count + slots)
        lp.offset_ = -float(sum(cost * persons for cost, persons in offset))
        lp.col_upper_ = np.concatenate([np.ones(free), cohorts.persons.astype(float), np.full(slots, np.inf)])
        lp.row_lower_ = np.concatenate([cohorts.persons.astype(float), np.full(day_rows, -np.inf), np.zeros(slots)])
        lp.row_upper_ = np.concatenate([cohorts.persons.astype(float), fixed.ravel(), np.zeros(slots)])
        index: list[IntArray] = []
        value: list[FloatArray] = []
        lengths: list[int] = []
        for site in self.free_sites:  # -cap_s * y_s in every day row of s (a site no pair reaches has none)
            entries = days if site_row[site] >= 0 else 0
            index.append(self.capacity_row + site_row[site] * days + np.arange(entries))
            value.append(np.full(entries, -cap[site]))
            lengths.append(entries)
        index.append(np.arange(count))
        value.append(np.ones(count))
        lengths += [1] * count
        first, stop = windows[0, slot_window], windows[1, slot_window]
        for slot in range(slots):  # z_k: +1 in its days' capacity rows, -1 in its link row
            row = self.capacity_row + site_row[slot_site[slot]] * days
            index.append(np.concatenate([row + np.arange(first[slot], stop[slot]), [self.link_row + slot]]))
            value.append(np.concatenate([np.ones(stop[slot] - first[slot]), [-1.0]]))
            lengths.append(int(stop[slot] - first[slot] + 1))
        lp.a_matrix_.format_ = self.highs.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
        lp.a_matrix_.index_ = np.concatenate(index).astype(np.int32)
        lp.a_matrix_.value_ = np.concatenate(value)
        self.solver.passModel(lp)
        self._add_held_rows(extra)
        self._add_street_rows()

    def slot_of(self, cohort: npt.NDArray[np.integer[Any]], arc: npt.NDArray[np.integer[Any]]) -> IntArray:
        """The slot (its position among the model's slots and link rows) of each pair (cohort, arc)."""
        return self.slot_position[self.instance.arc_site[arc] * self.windows + self.window_of[cohort]]

    def open_every_candidate(self) -> None:
        """Hold every free candidate open (the unmet phases: opening is charged only in phase (iii))."""
        free = len(self.free_sites)
        self.candidates_open = True
        if self.lp:
            self.solver.changeColsBounds(free, np.arange(free, dtype=np.int32), np.ones(free), np.ones(free))

    def site_lower(self) -> FloatArray:
        """The lower bounds of the free candidates' columns in this phase."""
        return np.full(len(self.free_sites), 1.0 if self.candidates_open else 0.0)

    def continue_with(
        self, unmet_cost: FloatArray, arc_cost: FloatArray, opening: FloatArray, extra: list[Any]
    ) -> None:
        """The next phase on the same columns and rows: its costs, the candidates free, every column continuous
        within its bounds again, the ``extra`` rows holding the earlier phase's optimum, and the LP warm-started
        from the earlier phase's priced basis (the columns it priced in are a good start for this phase too)."""
        free, count = len(self.free_sites), len(self.cohorts.group)
        columns = np.arange(self.num_columns, dtype=np.int32)
        self.integer = self.candidates_open = False
        if self.lp:
            continuous = int(self.highs.HighsVarType.kContinuous)
            self.solver.changeColsIntegrality(len(columns), columns, np.full(len(columns), continuous, np.uint8))
            placed = np.arange(self.base_columns, len(columns), dtype=np.int32)
            upper = self.cohorts.persons[self.pair_cohort[self.columns]].astype(float)
            self.solver.changeColsBounds(free, columns[:free], np.zeros(free), np.ones(free))
            self.solver.changeColsBounds(len(placed), placed, np.zeros(len(placed)), upper)
        self.arc_cost = arc_cost
        self.pair_cost = arc_cost[self.pair_arc] if self.lp else np.zeros(0)
        slots = self.base_columns - free - count
        costs = np.concatenate(
            [opening[self.free_sites], unmet_cost, np.zeros(slots), arc_cost[self.pair_arc[self.columns]]]
        )
        self.column_cost = costs
        self.mips_run.clear()
        if self.lp:
            self.solver.changeColsCost(len(columns), columns, costs)
        if self.lp_basis is not None:
            self.solver.setBasis(self.lp_basis)
        self._add_held_rows(extra)

    def _add_held_rows(self, rows: list[Any]) -> None:
        """Rows ``sum of the columns <= upper`` holding an earlier phase's optimum: (columns, values, upper) each."""
        for row_cols, row_vals, row_upper in rows if self.lp else ():
            self.solver.addRow(-np.inf, row_upper, len(row_cols), np.asarray(row_cols, np.int32), row_vals)

    @cached_property
    def street_rows(self) -> tuple[tuple[IntArray, int], ...]:
        """Constraint (4) of each choice street with candidates: their positions among the free sites, and how many
        of them must open (its deficit). Rows, rounding, branching and the local search all read it here."""
        street_of = self.instance.sites["street_id"].to_numpy()[self.free_sites]
        streets = self.instance.streets
        rows = []
        for street, deficit in streets.loc[streets["choice"], "deficit"].items():
            positions = np.flatnonzero(street_of == street)
            if len(positions):
                rows.append((positions, int(deficit)))
        return tuple(rows)

    def _add_street_rows(self) -> None:
        for positions, deficit in self.street_rows if self.lp else ():
            self.solver.addRow(
                float(deficit), np.inf, len(positions), positions.astype(np.int32), np.ones(len(positions))
            )

    def add_pairs(self, pairs: IntArray) -> None:
        """Columns ``x_cs`` for ``pairs`` not yet in: +1 in the cohort's row (1) and in its slot's link row."""
        pairs = pairs[~self.inside[pairs]]
        if not len(pairs):
            return
        cohort, cost = self.pair_cohort[pairs], self.arc_cost[self.pair_arc[pairs]]
        if self.lp:
            index = np.empty(2 * len(pairs), np.int32)
            index[0::2] = cohort
            index[1::2] = self.pair_link_row[pairs]
            self.solver.addCols(
                len(pairs),
                cost,
                np.zeros(len(pairs)),
                self.cohorts.persons[cohort].astype(float),
                len(index),
                np.arange(0, 2 * len(pairs), 2, dtype=np.int32),
                index,
                np.ones(len(index)),
            )
        self.columns = np.concatenate([self.columns, pairs])
        self.column_cost = np.concatenate([self.column_cost, cost])
        self.linked = np.concatenate([self.linked, np.zeros(len(pairs), bool)])
        self.inside[pairs] = True
        if self.link_entering and self.lp:
            self._add_links(np.arange(len(self.columns) - len(pairs), len(self.columns)))

    def add_violated_links(self, values: FloatArray) -> int:
        """(5) the strong linking ``x_cs <= min(n_c, cap_s) y_s`` of every column at a candidate site where the LP's
        values break one (a cutting plane: valid for every plan, since a closed site holds nobody and a cohort at a
        site is at most its persons and the site's places); returns how many rows were added. Only the broken rows
        took up to 23 rounds in a branch-and-price node at the prevalent city, every row of those sites 1-2 (seeds
        1-5, 7, 8: 0.7-9.5 s -> 0.7-6.8 s). From then on every column that
        enters comes with its row (:attr:`link_entering`), so that new columns cannot undo the rows. Pricing stays
        exact: a column not yet in the model has no row, and with the row's dual at 0 its reduced cost is the same."""
        if not len(self.free_sites) or not len(self.columns):
            return 0
        _, upper, opening = self._link_terms(np.arange(len(self.columns)), values)
        placed = values[self.base_columns : self.base_columns + len(self.columns)]
        violated = np.flatnonzero(
            (opening >= 0) & ~self.linked & (placed > upper * np.maximum(opening, 0) + LINK_TOLERANCE)
        )
        if len(violated):  # every column at those candidates: the LP moves persons among them from round to round
            candidate, _, _ = self._link_terms(np.arange(len(self.columns)))
            broken = np.zeros(len(self.free_sites), bool)
            broken[candidate[violated]] = True
            violated = np.flatnonzero((candidate >= 0) & ~self.linked & broken[np.maximum(candidate, 0)])
        self.link_entering = self.link_entering or bool(len(violated))
        return self._add_links(violated)

    def _link_terms(
        self, columns: IntArray, values: FloatArray | None = None
    ) -> tuple[IntArray, FloatArray, FloatArray]:
        """Per column (model order): its site's position among the candidates (-1: not a candidate), its bound
        ``min(n_c, cap_s)``, and the site's opening in ``values`` (-1 at a site that is not a candidate)."""
        site = self.instance.arc_site[self.pair_arc[self.columns[columns]]]
        cohort = self.pair_cohort[self.columns[columns]]
        upper = np.minimum(self.cohorts.persons[cohort], self.instance.capacity[site]).astype(float)
        candidate = self.candidate_position[site]
        opening = np.full(len(columns), -1.0)
        if values is not None:
            opening = np.where(candidate >= 0, values[np.maximum(candidate, 0)], -1.0)
        return candidate, upper, opening

    def _add_links(self, columns: IntArray) -> int:
        """Rows (5) of ``columns`` (model order) at candidate sites; returns how many were added."""
        candidate, upper, _ = self._link_terms(columns)
        chosen = candidate >= 0
        columns, candidate, upper = columns[chosen], candidate[chosen], upper[chosen]
        if not len(columns):
            return 0
        index = np.empty(2 * len(columns), np.int32)
        index[0::2] = self.base_columns + columns
        index[1::2] = candidate
        value = np.empty(2 * len(columns))
        value[0::2], value[1::2] = 1.0, -upper
        starts = np.arange(0, 2 * len(columns), 2, dtype=np.int32)
        lower, zero = np.full(len(columns), -np.inf), np.zeros(len(columns))
        self.solver.addRows(len(columns), lower, zero, len(index), starts, index, value)
        self.linked[columns] = True
        return len(columns)

    def reduced_costs(self) -> FloatArray:
        """Reduced cost of every (cohort, arc) pair at the last LP's duals: ``cost - pi_c - rho_k``."""
        dual = np.asarray(self.solver.getSolution().row_dual, dtype=float)
        reduced = self.pair_cost - np.take(dual, self.pair_cohort)  # the cover rows (1) come first
        reduced -= np.take(dual, self.pair_link_row)
        return reduced

    def first_mip(self, lower: FloatArray, upper: FloatArray) -> bool:
        """Whether the MIP with these bounds on the first columns has not run on the model as it stands (its rows,
        columns and costs); it is recorded as run. The fix-and-solve neighbourhoods of two plans can coincide (the
        sites the LP opens whole are the sites it opens): the same MIP twice finds the same plan twice."""
        key = np.array([self.solver.getNumRow(), self.num_columns], np.int64).tobytes()
        key += np.ascontiguousarray(lower).tobytes() + np.ascontiguousarray(upper).tobytes()
        if key in self.mips_run:
            return False
        self.mips_run.add(key)
        return True

    @property
    def num_columns(self) -> int:
        """The model's columns: the open, unmet and slot columns, then the placement columns."""
        return self.base_columns + len(self.columns)

    def run(self, seconds: float, integer: bool) -> str:
        """Solve the LP, or the MIP (the open and placement columns integer), within ``seconds``."""
        if not self.lp:
            raise RuntimeError("Expected a model held by HiGHS (lp=True), got one without an LP.")
        if integer != self.integer:  # columns enter continuous; they are made integer for a MIP run and back after
            chosen = np.concatenate(
                [np.arange(len(self.free_sites)), np.arange(self.base_columns, self.num_columns)]
            ).astype(np.int32)
            kind = int(self.highs.HighsVarType.kInteger if integer else self.highs.HighsVarType.kContinuous)
            self.solver.changeColsIntegrality(len(chosen), chosen, np.full(len(chosen), kind, np.uint8))
            self.integer = integer
        self.solver.setOptionValue("time_limit", float(self.solver.getRunTime()) + max(seconds, 1e-3))
        self.solver.setOptionValue("mip_rel_gap", 0.0)
        self.solver.setOptionValue("mip_max_nodes", MIP_MAX_NODES)
        self.solver.setOptionValue("simplex_strategy", self.resolve_strategy if self.solved else SIMPLEX_STRATEGY)
        self.solved = True
        self.stop.at = time.perf_counter() + max(seconds, 1e-3)
        self.solver.run()
        return str(self.solver.modelStatusToString(self.solver.getModelStatus()))

    def rounded_down(self, values: FloatArray) -> FloatArray:
        """``values`` rounded down, persons at the candidates that round down to closed moved out (a plan: rounding
        down never fills an open site more, and a closed site holds nobody)."""
        rounded = np.floor(values + INTEGRALITY_TOLERANCE)
        free = len(self.free_sites)
        open_sites = self.fixed_open.copy()
        open_sites[self.free_sites] = rounded[:free]
        closed = open_sites[self.instance.arc_site[self.pair_arc[self.columns]]] < 0.5
        rounded[self.base_columns :][closed] = 0.0
        return rounded

    def lp_holds(self, values: FloatArray) -> bool:
        """Whether the LP's unmet persons (``values``) keep within :attr:`unmet_limits` (a plan can only if so)."""
        free, count = len(self.free_sites), len(self.cohorts.group)
        return self.holds(values[free : free + count], LP_LIMIT_TOLERANCE)

    def holds(self, unmet: IntArray | FloatArray, tolerance: float = 0.0) -> bool:
        """Whether unmet persons per cohort ``unmet`` keep within :attr:`unmet_limits`."""
        if self.unmet_limits is None:
            return True
        disabled = self.instance.disabled[self.cohorts.group]
        limit_disabled, limit = self.unmet_limits
        return bool(unmet[disabled].sum() <= limit_disabled + tolerance and unmet.sum() <= limit + tolerance)

    def padded(self, values: FloatArray) -> FloatArray:
        """``values`` of the columns as they were, and 0 for the columns that entered since."""
        return np.concatenate([values, np.zeros(self.num_columns - len(values))])

    def values(self) -> FloatArray:
        return np.asarray(self.solver.getSolution().col_value, dtype=float)

    def set_incumbent(self, values: FloatArray, open_sites: npt.NDArray[np.bool_]) -> None:
        """The plan of ``values`` with the sites ``open_sites`` open (:meth:`every_column`) as the next MIP's
        starting incumbent."""
        solution = self.highs.HighsSolution()
        solution.col_value = self.every_column(values, open_sites)
        solution.value_valid = True
        self.solver.setSolution(solution)

    def every_column(self, values: FloatArray, open_sites: npt.NDArray[np.bool_]) -> FloatArray:
        """The values of every column for the plan of ``values`` (persons in the placement columns) with the sites
        ``open_sites`` open: the unmet and slot columns made up so that (1) and the slots' link rows hold."""
        free, count = len(self.free_sites), len(self.cohorts.group)
        full = np.zeros(self.num_columns)
        full[: len(values)] = values
        full[:free] = open_sites[self.free_sites]
        placed = full[self.base_columns :]
        cohort = self.pair_cohort[self.columns]
        slot = self.pair_slot[self.columns]
        full[free : free + count] = self.cohorts.persons - np.bincount(cohort, weights=placed, minlength=count)
        full[free + count : self.base_columns] = np.bincount(
            slot, weights=placed, minlength=self.base_columns - free - count
        )
        return full

    def objective(self) -> float:
        """The last run's objective; never below 0 (every cost is; what HiGHS reports below is the rounding of a
        large offset)."""
        return max(0.0, float(self.solver.getInfo().objective_function_value))


def outcome(model: DailyModel, values: FloatArray) -> PhaseOutcome:
    """Plan of ``values`` (integers; unmet made up so that (1) holds) and its objective; a site that holds persons is
    open, and a choice street with fewer candidates open than (4) asks gets its cheapest others opened (a plan
    rounded or repaired keeps both)."""
    free, count = len(model.free_sites), len(model.cohorts.group)
    open_sites = model.fixed_open > 0.5
    open_sites[model.free_sites] = values[:free] > 0.5
    placed = np.rint(values[model.base_columns :]).astype(np.int64)
    open_sites[model.instance.arc_site[model.pair_arc[model.columns[placed > 0]]]] = True  # a site with persons is open
    open_sites = with_street_minimums(model, open_sites)
    per_cohort = np.bincount(model.pair_cohort[model.columns], weights=placed, minlength=count).astype(np.int64)
    unmet = model.cohorts.persons - per_cohort
    costs = model.column_cost
    opening, unmet_cost = costs[:free], costs[free : free + count]
    objective = float(
        np.dot(opening, open_sites[model.free_sites])
        + penalties_beyond(unmet_cost, unmet, model.offset_terms)
        + np.dot(model.arc_cost[model.pair_arc[model.columns]], placed)
    )
    columns = model.columns.copy()
    return PhaseOutcome(
        columns,
        model.pair_cohort[columns].astype(np.int64),
        model.pair_arc[columns].astype(np.int64),
        placed,
        unmet,
        open_sites,
        objective,
        -math.inf,
        False,
        {},
    )


def with_street_minimums(model: DailyModel, open_sites: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """``open_sites`` with, on each choice street short of its deficit (4), its cheapest closed candidates open."""
    opening = model.instance.sites["opening_cost"].to_numpy(float)
    for positions, deficit in model.street_rows:
        on_street = model.free_sites[positions]
        missing = deficit - int(open_sites[on_street].sum())
        if missing > 0:
            closed = on_street[~open_sites[on_street]]
            open_sites[closed[np.argsort(opening[closed], kind="stable")[:missing]]] = True
    return open_sites


def penalties_beyond(unmet_cost: FloatArray, unmet: IntArray, allowed: tuple[tuple[float, int], ...]) -> float:
    """``sum_c cost_c * unmet_c`` less the penalties of the ``allowed`` (unmet cost, persons) pairs, summed per
    distinct cost: the persons are subtracted before the cost multiplies them, so a plan at the limits pays exactly
    0 (the weighted model's penalties reach 1e14, where the difference of the two sums in floating point does not
    vanish: -0.016 on a drawn instance)."""
    costs, inverse = np.unique(unmet_cost, return_inverse=True)
    persons = np.bincount(inverse.ravel(), weights=unmet, minlength=len(costs))
    rest = 0.0
    for cost, count in allowed:
        where = int(np.searchsorted(costs, cost))
        if where < len(costs) and costs[where] == cost:
            persons[where] -= count
        else:
            rest -= cost * count
    return float(np.dot(costs, persons)) + rest


def street_minimums_reachable(model: DailyModel, candidate_upper: FloatArray) -> bool:
    """Whether every choice street can still open the candidates (4) asks for when each free candidate opens at
    most ``candidate_upper`` (0 or 1)."""
    return all(int(np.sum(candidate_upper[positions] > 0.5)) >= deficit for positions, deficit in model.street_rows)


def start_pairs(model: DailyModel, extra: IntArray | None = None, cheapest: int = START_ARCS) -> IntArray:
    """Each cohort's pairs on its group's ``cheapest`` arcs (and ``extra`` pairs)."""
    minutes = model.instance.arcs["minutes"].to_numpy(float)
    rank = pd.Series(minutes).groupby(model.instance.arc_group).rank(method="first").to_numpy()
    chosen = np.flatnonzero(rank[model.pair_arc] <= cheapest)
    return chosen if extra is None else unique_ints(chosen, extra)
