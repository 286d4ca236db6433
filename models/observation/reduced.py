"""Phase (iii) after fixing: the reduced model (:func:`reduced_core`) and HiGHS's MIP on it, piece by piece.

Fixing. With a Lagrangian point of bound ``L`` and an incumbent of cost ``UB``, a free candidate whose flip, or an
arc whose use, would lift ``L`` above ``UB`` (``models.observation.lagrangian``: ``site_penalties``,
``arc_penalties``) is fixed: no plan cheaper than the incumbent changes it. The reduced model's optimum ``B`` then
bounds the full model by ``min(UB, B)``.

Pieces. The reduced model is solved as independent pieces, each a set of components of the core's graph (groups
joined to the sites of their arcs, sites to their choice street). No row spans two components, except the unmet
rows (6); those are exact per component: a plan within (6) has each component at its own unmet optimum (a component
below it would need another above its own maximum flow), so each component's unmet is the incumbent's there. The
pieces' optima add up to ``B``; each MIP's dual bound bounds its piece (or, where the MIP has none, the piece's own
``L(λ)``: the Lagrangian of a model bounds it for any multipliers), so their sum bounds ``B``. Components are
packed smallest first into pieces of at least :data:`PIECE_MIN_ARCS` arcs (thousands of tiny components would each
cost a HiGHS object); a larger component is a piece of its own. National sample (severe), the part of the small
components (84,628 arcs, 42 components with a free candidate, the largest 27,766 arcs): one MIP over them all had
not finished its root after 20 s (0.30 % above its bound); the pieces are solved and proven in 2.6 s.

Time. The pieces run smallest first; each may use :data:`PIECE_SLACK` times its share (by arcs, among the pieces
not yet run) of the time left, and what it leaves goes to the next. With its share alone, the national piece of
22,260 arcs stopped at 1.8 s short of its proof (1.9 s); with twice its share it had it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from models.flow import members, unique_ints
from models.observation.instance import BoolArray, IntArray
from models.observation.lagrangian import Point, arc_penalties, evaluate, site_penalties
from models.observation.location import FEASIBLE_SOLUTION, Core, FloatArray, StrongModel

MIP_MAX_ARCS = 250_000
"""A piece's MIP runs only when the piece has at most this many arcs after fixing."""
PIECE_MIN_ARCS = 2_000
"""Components are packed together until a piece has at least this many arcs."""
MIP_RELATIVE_GAP = 5e-10
"""HiGHS's relative gap for a piece: half the phase's optimality tolerance."""
MIP_ABSOLUTE_GAP = 1e-7
"""HiGHS's absolute gap for a piece (minutes)."""
PIECE_SLACK = 2.0
"""A piece may use this many times its share of the time left."""


@dataclass(frozen=True)
class Reduction:
    """The reduced core (fixed-open candidates made ``must``), the arcs it keeps and the candidates fixed."""

    core: Core
    keep: BoolArray
    fixed_open: BoolArray
    fixed_closed: BoolArray


@dataclass(frozen=True)
class Piece:
    """Positions of a piece's groups, sites and arcs (arcs of the reduced core)."""

    groups: IntArray
    sites: IntArray
    arcs: IntArray


@dataclass
class PiecesSolved:
    """What the MIPs of the pieces found: a bound on the reduced model (``-inf`` when a piece has none), whether a
    piece proved that no plan within the fixings exists, the candidates the MIPs open (the incumbent's where a
    piece found nothing), and counts."""

    bound: float
    infeasible: bool
    open_sites: BoolArray
    stats: dict[str, Any] = field(default_factory=dict)


def reduced_core(core: Core, point: Point, incumbent_cost: float, incumbent_assign: IntArray) -> Reduction:
    """Fix what no plan cheaper than the incumbent can change (module docstring: Fixing)."""
    gap = incumbent_cost - point.value
    site_penalty = site_penalties(core, point)
    fixed = core.free & (site_penalty > gap)
    fixed_open = fixed & point.open_sites
    fixed_closed = fixed & ~point.open_sites
    keep = (arc_penalties(core, point, site_penalty) <= gap) & ~fixed_closed[core.arc_site]
    keep |= incumbent_assign > 0
    free = core.free & ~fixed
    reduced = replace(
        core.with_arcs(keep),
        free=free,
        must=core.must | fixed_open,
        opening=np.where(free, core.opening, 0.0),
        fixed_cost=core.fixed_cost + float(core.opening[fixed_open].sum()),
        street=np.where(free, core.street, -1),
        deficit=_deficit_left(core, fixed_open),
    )
    return Reduction(reduced, keep, fixed_open, fixed_closed)


def _deficit_left(core: Core, fixed_open: BoolArray) -> IntArray:
    """Each choice street's deficit less its candidates fixed open."""
    opened = np.bincount(core.street[fixed_open & (core.street >= 0)], minlength=len(core.deficit))
    return np.maximum(core.deficit - opened, 0).astype(np.int64)


def component_labels(core: Core) -> tuple[IntArray, IntArray]:
    """The component of each group and each site in the core's graph (module docstring: Pieces)."""
    groups, sites, streets = core.groups, core.sites, len(core.deficit)
    chosen = np.flatnonzero(core.street >= 0)
    tail = np.concatenate([core.arc_group, groups + chosen])
    head = np.concatenate([groups + core.arc_site, groups + sites + core.street[chosen]])
    nodes = groups + sites + streets
    graph = coo_matrix((np.ones(len(tail), np.int8), (tail, head)), shape=(nodes, nodes))
    _, label = connected_components(graph, directed=False)
    return label[:groups].astype(np.int64), label[groups : groups + sites].astype(np.int64)


def pieces(core: Core, group_label: IntArray, site_label: IntArray) -> list[Piece]:
    """The core's components packed into pieces, smallest first (module docstring: Pieces)."""
    components = int(max(group_label.max(initial=-1), site_label.max(initial=-1))) + 1
    arc_label = group_label[core.arc_group]
    arcs_per = np.bincount(arc_label, minlength=components)
    piece_of = np.empty(components, np.int64)
    piece, filled = 0, 0
    for component in np.argsort(arcs_per, kind="stable"):
        if filled >= PIECE_MIN_ARCS:
            piece, filled = piece + 1, 0
        piece_of[component] = piece
        filled += int(arcs_per[component])
    count = piece + 1 if components else 0
    return [
        Piece(*positions)
        for positions in zip(
            members(piece_of[group_label], count),
            members(piece_of[site_label], count),
            members(piece_of[arc_label], count),
            strict=True,
        )
    ]


def piece_core(core: Core, piece: Piece, unmet: IntArray | None) -> Core:
    """The core of ``piece`` alone, no constant cost; its unmet rows (6) at the incumbent's ``unmet`` there (the
    core's own where ``unmet`` is None: the piece is the whole core)."""
    group_new = np.full(core.groups, -1, np.int64)
    group_new[piece.groups] = np.arange(len(piece.groups))
    site_new = np.full(core.sites, -1, np.int64)
    site_new[piece.sites] = np.arange(len(piece.sites))
    street = core.street[piece.sites]
    streets = unique_ints(street[street >= 0])
    disabled = core.disabled[piece.groups]
    return replace(
        core,
        persons=core.persons[piece.groups],
        disabled=disabled,
        capacity=core.capacity[piece.sites],
        opening=core.opening[piece.sites],
        free=core.free[piece.sites],
        must=core.must[piece.sites],
        street=np.where(street >= 0, np.searchsorted(streets, street), -1),
        deficit=core.deficit[streets],
        arc_group=group_new[core.arc_group[piece.arcs]],
        arc_site=site_new[core.arc_site[piece.arcs]],
        minutes=core.minutes[piece.arcs],
        arc_index=core.arc_index[piece.arcs],
        unmet_disabled=core.unmet_disabled if unmet is None else int(unmet[piece.groups][disabled].sum()),
        unmet_total=core.unmet_total if unmet is None else int(unmet[piece.groups].sum()),
        fixed_cost=0.0,
    )


def solve_pieces(
    reduced: Core,
    labels: tuple[IntArray, IntArray],
    incumbent: tuple[BoolArray, IntArray, IntArray],
    multipliers: FloatArray,
    deadline: float,
    highs: Any,
) -> PiecesSolved:
    """HiGHS's MIP on each piece of the ``reduced`` core, started from the ``incumbent`` (open sites, persons per
    reduced arc, unmet per group); ``labels``: the components of the groups and sites (of the core before fixing,
    which the unmet rows need: module docstring). A piece whose MIP has no bound (over :data:`MIP_MAX_ARCS` arcs,
    or out of time) is bounded by its Lagrangian ``L(λ)`` at the ``multipliers`` of its groups. Where the incumbent
    is not at the unmet optimum (6) of the core, the core is one piece.

    Each piece runs for at most :data:`PIECE_SLACK` times its share of the time left (module docstring: Time)."""
    open_sites, assign, unmet = incumbent
    at_optimum = (int(unmet.sum()), int(unmet[reduced.disabled].sum())) == (reduced.unmet_total, reduced.unmet_disabled)
    parts = pieces(reduced, *labels) if at_optimum else pieces(reduced, *(np.zeros_like(label) for label in labels))
    if all(len(piece.arcs) > MIP_MAX_ARCS for piece in parts):
        return PiecesSolved(-np.inf, False, open_sites.copy(), {"mip_pieces": len(parts), "mip_pieces_proven": 0})
    mips = [
        PieceMip(
            piece,
            piece_core(reduced, piece, unmet if len(parts) > 1 else None),
            (open_sites[piece.sites], assign[piece.arcs], unmet[piece.groups]),
        )
        for piece in parts
    ]
    arcs_left = float(sum(len(mip.piece.arcs) for mip in mips if mip.core.arcs <= MIP_MAX_ARCS))
    for mip in mips:
        left = deadline - time.perf_counter()
        if mip.core.arcs > MIP_MAX_ARCS:
            continue
        if left > 0 and not any(done.status == "Infeasible" for done in mips):
            mip.run(min(left, PIECE_SLACK * left * len(mip.piece.arcs) / max(arcs_left, 1.0)), highs)
        arcs_left -= len(mip.piece.arcs)
    found = open_sites.copy()
    for mip in mips:
        if mip.opened is not None:
            found[mip.piece.sites] = mip.opened
    bound = reduced.fixed_cost + sum(
        mip.bound if np.isfinite(mip.bound) else evaluate(mip.core, multipliers[mip.piece.groups]).value for mip in mips
    )
    stats = {
        "mip_pieces": len(parts),
        "mip_pieces_proven": sum(mip.status == "Optimal" for mip in mips),
        "mip_nodes": sum(mip.nodes for mip in mips),
    }
    infeasible = any(mip.status == "Infeasible" for mip in mips)
    return PiecesSolved(bound if np.isfinite(bound) else -np.inf, infeasible, found, stats)


class PieceMip:
    """A piece's MIP, started from the incumbent, and what its run found: its dual bound (``-inf`` without one),
    the sites it opens (None without a plan), its nodes and HiGHS's status (empty before the run)."""

    def __init__(self, piece: Piece, core: Core, incumbent: tuple[BoolArray, IntArray, IntArray]) -> None:
        self.piece, self.core, self.incumbent = piece, core, incumbent
        self.bound = -np.inf
        self.opened: BoolArray | None = None
        self.nodes = 0
        self.status = ""

    def run(self, seconds: float, highs: Any) -> None:
        """Build and solve the MIP for at most ``seconds``."""
        model = StrongModel(self.core, highs, cover=True)
        model.add_arcs(np.arange(self.core.arcs))
        model.make_integer()
        model.set_incumbent(*self.incumbent)
        self.status = model.run(seconds, mip_rel_gap=MIP_RELATIVE_GAP, mip_abs_gap=MIP_ABSOLUTE_GAP)
        info = model.info()
        if self.status == "Optimal" and not self.core.free.any():  # an LP: HiGHS reports no MIP bound
            bound = float(info.objective_function_value)
        elif self.status in ("Optimal", "Time limit reached", "Interrupted by user"):
            bound = float(info.mip_dual_bound)
        else:
            bound = -np.inf
        self.bound = bound if np.isfinite(bound) else -np.inf
        self.nodes = int(info.mip_node_count)
        if int(info.primal_solution_status) == FEASIBLE_SOLUTION:
            open_value, _ = model.values()
            self.opened = self.core.must | (self.core.free & (open_value > 0.5))
