"""Phase (iii) as plain arrays (:class:`Core`), and the strong formulation in HiGHS, one function per constraint family.

The core keeps what the facility-location phase decides on: the groups, the sites that may hold persons, the arcs
to sites with a room, the free candidates (``open_site`` a decision), the choice streets of (4) and the unmet
optimum of phases (i)-(ii) held by (6). Costs are exact floats: minutes per person on the arcs, opening cost
times ``minutes_per_yuan`` on the free candidates; the opening cost of candidates that must open is a constant.

HiGHS is ``highspy`` pinned to 1.12.0, the HiGHS inside OR-Tools 9.15: a newer wheel clashes with OR-Tools' own
``libhighs`` in one process (NOTES). :func:`highs_module` returns None when ``highspy`` is not installed; the phase
then runs without LP and MIP (Lagrangian bound and heuristics only).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse import csc_matrix

from models.base import highs_solver
from models.observation.instance import BoolArray, Instance, IntArray

FloatArray = npt.NDArray[np.float64]
FEASIBLE_SOLUTION = 2
"""HiGHS's ``primal_solution_status`` of a feasible solution."""


@dataclass(frozen=True)
class Core:
    """Phase (iii): groups ``g``, sites ``s`` (capacity 0 where closed), arcs ``a = (g, s)`` to sites with a room.

    ``free`` sites carry an ``open_site`` decision; ``must`` sites are open (5, or forced by 4). ``street`` is the
    index of a choice street of (4) (-1 elsewhere) and ``deficit`` how many of its candidates must open.
    ``arc_index`` maps each arc to its row of ``Instance.arcs``. ``fixed_cost``: opening cost (minutes) of the
    candidates that must open.
    """

    persons: IntArray
    disabled: BoolArray
    capacity: IntArray
    opening: FloatArray
    free: BoolArray
    must: BoolArray
    street: IntArray
    deficit: IntArray
    arc_group: IntArray
    arc_site: IntArray
    minutes: FloatArray
    arc_index: IntArray
    unmet_disabled: int
    unmet_total: int
    fixed_cost: float

    @property
    def groups(self) -> int:
        return len(self.persons)

    @property
    def sites(self) -> int:
        return len(self.capacity)

    @property
    def arcs(self) -> int:
        return len(self.arc_group)

    @property
    def arc_upper(self) -> FloatArray:
        """``min(persons_g, cap_s)``: the most persons an arc can carry (the coefficient of the linking rows)."""
        return np.minimum(self.persons[self.arc_group], self.capacity[self.arc_site]).astype(float)

    @property
    def cover_need(self) -> int:
        """Persons the free candidates must take at least: ``P - U* - Σ_{must} cap_s`` (the cover inequality 7)."""
        return int(self.persons.sum()) - self.unmet_total - int(self.capacity[self.must].sum())

    def with_arcs(self, keep: BoolArray) -> Core:
        """The core with only the arcs ``keep``."""
        return replace(
            self,
            arc_group=self.arc_group[keep],
            arc_site=self.arc_site[keep],
            minutes=self.minutes[keep],
            arc_index=self.arc_index[keep],
        )

    def plan_cost(self, open_sites: BoolArray, assign: npt.NDArray[Any]) -> float:
        """Exact phase (iii) cost of a plan: opening cost of the free candidates opened, person-minutes, constant."""
        used = np.flatnonzero(assign)
        minutes = float(np.dot(self.minutes[used], assign[used]))
        return self.fixed_cost + float(self.opening[open_sites & self.free].sum()) + minutes


def build_core(instance: Instance, unmet_disabled: int, unmet_total: int, minutes_per_yuan: float) -> Core:
    """The core of ``instance`` with the unmet optimum ``(U_D*, U*)`` and the exchange rate of the opening cost."""
    sites = instance.sites
    usable = sites["usable"].to_numpy(bool)
    capacity = np.where(usable, instance.capacity, 0).astype(np.int64)
    free = sites["free_candidate"].to_numpy(bool)
    must = sites["must_open"].to_numpy(bool) & usable
    candidate = (sites["status"] == "candidate").to_numpy()
    opening = sites["opening_cost"].to_numpy(float) * float(minutes_per_yuan)
    choice = sites["choice_street"].to_numpy(bool)
    codes, streets = pd.factorize(sites["street_id"].where(choice))
    street = np.where(choice, codes, -1).astype(np.int64)
    deficit = instance.streets["deficit"].reindex(streets).fillna(0).to_numpy(np.int64)
    keep = np.flatnonzero(capacity[instance.arc_site] > 0)
    return Core(
        persons=instance.persons,
        disabled=instance.disabled,
        capacity=capacity,
        opening=np.where(free, opening, 0.0),
        free=free,
        must=must,
        street=street,
        deficit=deficit,
        arc_group=instance.arc_group[keep],
        arc_site=instance.arc_site[keep],
        minutes=instance.arcs["minutes"].to_numpy(float)[keep],
        arc_index=keep.astype(np.int64),
        unmet_disabled=int(unmet_disabled),
        unmet_total=int(unmet_total),
        fixed_cost=float(opening[must & candidate].sum()),
    )


def highs_module() -> Any | None:
    """The ``highspy`` bindings, or None when they are not installed."""
    try:
        import highspy
    except ImportError:  # pragma: no cover - highspy is a dependency
        return None
    return highspy


# --- the strong formulation, one function per constraint family ------------------------------------------------


@dataclass
class Rows:
    """Triplets and bounds of the rows written so far."""

    rows: list[IntArray]
    cols: list[IntArray]
    vals: list[FloatArray]
    lower: list[FloatArray]
    upper: list[FloatArray]
    count: int = 0

    def add(self, row: IntArray, col: IntArray, val: FloatArray, lower: FloatArray, upper: FloatArray) -> int:
        """Rows ``count ..`` (``row`` is relative); returns the first row's index."""
        first = self.count
        self.rows.append(first + row)
        self.cols.append(col)
        self.vals.append(val)
        self.lower.append(lower)
        self.upper.append(upper)
        self.count += len(lower)
        return first


def add_balance(rows: Rows, core: Core, unmet_col: IntArray) -> int:
    """(1) ``Σ_s assign[g, s] + unmet[g] = persons_g`` (the arcs' entries are written with their columns)."""
    persons = core.persons.astype(float)
    return rows.add(np.arange(core.groups), unmet_col, np.ones(core.groups), persons, persons)


def add_site_capacity(rows: Rows, core: Core, open_col: IntArray) -> int:
    """(2) ``Σ_g assign[g, s] <= cap_s * open_site[s]``; a constant right-hand side ``cap_s`` where ``s`` must open."""
    free = np.flatnonzero(core.free)
    upper = np.where(core.free, 0.0, core.capacity.astype(float))
    return rows.add(free, open_col[free], -core.capacity[free].astype(float), np.full(core.sites, -np.inf), upper)


def add_street_minimum(rows: Rows, core: Core, open_col: IntArray) -> int:
    """(4) ``Σ_{candidates s of t} open_site[s] >= deficit_t`` for every street ``t`` with a choice."""
    members = np.flatnonzero((core.street >= 0) & core.free)
    streets = len(core.deficit)
    ones = np.ones(len(members))
    return rows.add(core.street[members], open_col[members], ones, core.deficit.astype(float), np.full(streets, np.inf))


def add_unmet_at_optimum(rows: Rows, core: Core, unmet_col: IntArray) -> int:
    """(6) ``Σ_D unmet[g] <= U_D*`` and ``Σ_G unmet[g] <= U*``."""
    disabled = np.flatnonzero(core.disabled)
    row = np.concatenate([np.zeros(len(disabled), np.int64), np.ones(core.groups, np.int64)])
    col = np.concatenate([unmet_col[disabled], unmet_col])
    upper = np.array([core.unmet_disabled, core.unmet_total], float)
    return rows.add(row, col, np.ones(len(col)), np.full(2, -np.inf), upper)


def add_cover(rows: Rows, core: Core, open_col: IntArray) -> int:
    """(7) valid inequality ``Σ_{free s} cap_s open_site[s] >= P - U* - Σ_{must} cap_s`` (room for every placed)."""
    free = np.flatnonzero(core.free)
    need = np.array([float(core.cover_need)])
    return rows.add(
        np.zeros(len(free), np.int64), open_col[free], core.capacity[free].astype(float), need, np.full(1, np.inf)
    )


def arc_linking(core: Core, arcs: IntArray, assign_col: IntArray, open_col: IntArray) -> tuple[Any, ...]:
    """(2') ``assign[g, s] <= min(persons_g, cap_s) * open_site[s]`` for the ``arcs`` to free sites (CSR triplets)."""
    linked = np.flatnonzero(core.free[core.arc_site[arcs]])
    count = len(linked)
    start = np.arange(0, 2 * count, 2, dtype=np.int32)
    index = np.empty(2 * count, np.int32)
    index[0::2] = assign_col[linked]
    index[1::2] = open_col[core.arc_site[arcs[linked]]]
    value = np.empty(2 * count)
    value[0::2] = 1.0
    value[1::2] = -core.arc_upper[arcs[linked]]
    return count, start, index, value


class StrongModel:
    """The strong formulation of phase (iii) in one HiGHS object; arcs enter as columns with their linking rows.

    Columns: ``open_site`` of the free sites, ``unmet`` of the groups, then ``assign`` of each arc entered.
    Rows: (1) balance, (2) capacity, (4) streets, (6) unmet (2 rows), (7) cover (when ``cover``), then (2') one
    linking row per entered arc to a free site.
    """

    def __init__(self, core: Core, highs: Any, *, cover: bool = False) -> None:
        self.core = core
        self.free_sites = np.flatnonzero(core.free)
        free_count = len(self.free_sites)
        self.open_col = np.full(core.sites, -1, np.int64)
        self.open_col[self.free_sites] = np.arange(free_count)
        self.unmet_col = free_count + np.arange(core.groups)
        self.columns = free_count + core.groups
        rows = Rows([], [], [], [], [])
        self.balance_row = add_balance(rows, core, self.unmet_col)
        self.capacity_row = add_site_capacity(rows, core, self.open_col)
        add_street_minimum(rows, core, self.open_col)
        add_unmet_at_optimum(rows, core, self.unmet_col)
        if cover and core.cover_need > 0:
            add_cover(rows, core, self.open_col)
        matrix = csc_matrix(
            (np.concatenate(rows.vals), (np.concatenate(rows.rows), np.concatenate(rows.cols))),
            shape=(rows.count, self.columns),
        )
        lp = highs.HighsLp()
        lp.num_col_, lp.num_row_ = self.columns, rows.count
        lp.col_cost_ = np.concatenate([core.opening[self.free_sites], np.zeros(core.groups)])
        lp.col_lower_ = np.zeros(self.columns)
        lp.col_upper_ = np.concatenate([np.ones(free_count), core.persons.astype(float)])
        lp.row_lower_ = np.concatenate(rows.lower)
        lp.row_upper_ = np.concatenate(rows.upper)
        lp.a_matrix_.format_ = highs.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        self.highs = highs
        self.solver = highs_solver(highs, owner=self)
        self.solver.passModel(lp)
        self.arcs = np.zeros(0, np.int64)
        self.inside = np.zeros(core.arcs, bool)

    def add_arcs(self, arcs: IntArray) -> None:
        """Columns ``assign`` for the ``arcs`` not yet in, entries in (1) and (2), and their linking rows (2')."""
        core = self.core
        arcs = arcs[~self.inside[arcs]]
        count = len(arcs)
        if not count:
            return
        index = np.empty(2 * count, np.int32)
        index[0::2] = self.balance_row + core.arc_group[arcs]
        index[1::2] = self.capacity_row + core.arc_site[arcs]
        start = np.arange(0, 2 * count, 2, dtype=np.int32)
        upper = core.arc_upper[arcs]
        self.solver.addCols(
            count, core.minutes[arcs], np.zeros(count), upper, 2 * count, start, index, np.ones(2 * count)
        )
        assign_col = self.columns + np.arange(count)
        self.columns += count
        linked, row_start, row_index, row_value = arc_linking(core, arcs, assign_col, self.open_col)
        if linked:
            self.solver.addRows(
                linked, np.full(linked, -np.inf), np.zeros(linked), 2 * linked, row_start, row_index, row_value
            )
        self.arcs = np.concatenate([self.arcs, arcs])
        self.inside[arcs] = True

    def make_integer(self) -> None:
        """``open_site`` binary (the MIP)."""
        count = len(self.free_sites)
        if count:
            kinds = np.full(count, int(self.highs.HighsVarType.kInteger), np.uint8)
            self.solver.changeColsIntegrality(count, np.arange(count, dtype=np.int32), kinds)

    def run(self, seconds: float, **options: Any) -> str:
        """Solve within ``seconds``; returns HiGHS's model status as text."""
        # HiGHS compares its time limit with the run time summed over every run() of this object
        self.solver.setOptionValue("time_limit", float(self.solver.getRunTime()) + max(seconds, 1e-3))
        for name, value in options.items():
            self.solver.setOptionValue(name, value)
        self.solver.run()
        return str(self.solver.modelStatusToString(self.solver.getModelStatus()))

    def duals(self) -> tuple[FloatArray, FloatArray]:
        """Duals of (1) (``λ_g``) and (2) (``μ_s <= 0``) of the last LP."""
        row_dual = np.asarray(self.solver.getSolution().row_dual, dtype=float)
        core = self.core
        return (
            row_dual[self.balance_row : self.balance_row + core.groups],
            row_dual[self.capacity_row : self.capacity_row + core.sites],
        )

    def values(self) -> tuple[FloatArray, FloatArray]:
        """``open_site`` of every site (1 where it must open) and ``assign`` of every arc (0 where not entered)."""
        core = self.core
        column = np.asarray(self.solver.getSolution().col_value, dtype=float)
        open_value = core.must.astype(float)
        if len(column) < self.columns:
            return open_value, np.zeros(core.arcs)
        open_value[self.free_sites] = column[: len(self.free_sites)]
        assign = np.zeros(core.arcs)
        assign[self.arcs] = column[len(self.free_sites) + core.groups :]
        return open_value, assign

    def set_incumbent(self, open_sites: BoolArray, assign: npt.NDArray[Any], unmet: npt.NDArray[Any]) -> None:
        """A feasible plan as HiGHS's starting incumbent (its arcs must be in the model)."""
        value = np.concatenate(
            [open_sites[self.free_sites].astype(float), unmet.astype(float), assign[self.arcs].astype(float)]
        )
        solution = self.highs.HighsSolution()
        solution.col_value = value
        solution.value_valid = True
        self.solver.setSolution(solution)

    def info(self) -> Any:
        return self.solver.getInfo()
