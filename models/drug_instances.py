"""The instances of the drug stage (:mod:`models.drugs`): one per drug class, built from the depots' stock, the
institutions' needs and the seed arcs, and how a class starts from the class solved before it.

The classes share no arc, stock or need, so each is its own problem. :func:`instance_builders` checks the inputs
once and returns per class the call that builds its instance: the stage builds each as its turn comes and keeps it
without its seed once solved (:func:`without_seed`), so the process holds one class's seed at a time (national: the
five classes' seeds were 0.21 GB at once).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from models.flow import BoolArray, FloatArray, IntArray, dedupe_arcs, positions, unique_ints
from models.pricing import AllPairs, CompleteArcs, ranks_by_cost_within_groups
from models.transport import TransportSolution, starts_from_every_pair

MAX_NEED_PACKS = 2**24
"""Needs must stay below this many packs for the exact ordering of fill-rate candidates."""
MAX_STOCK_PACKS = 2**38
"""Stock per class must stay below this many packs: ``stock * need`` products then fit in ``int64``."""


@dataclass(frozen=True)
class DrugInstance:
    """One drug class: depots, institutions with need > 0, and the arcs between them.

    ``arc_depot`` / ``arc_institution`` index ``depots`` / ``institutions``.
    """

    drug: str
    depots: pd.DataFrame
    institutions: pd.DataFrame
    arc_depot: IntArray
    arc_institution: IntArray
    arc_minutes: FloatArray
    priority: BoolArray
    """Institutions of a priority kind with need > 0."""
    in_max_min: BoolArray
    """Priority institutions some depot with stock can reach: the set ``Q`` of the max-min."""
    complete: CompleteArcs | None = None
    """Every depot -> institution pair (then the arcs above only seed the solve), or None: the arcs are the model."""

    @property
    def num_depots(self) -> int:
        return len(self.depots)

    @property
    def num_institutions(self) -> int:
        return len(self.institutions)

    @property
    def stock(self) -> IntArray:
        return self.depots["stock"].to_numpy(dtype=np.int64)

    @property
    def need(self) -> IntArray:
        return self.institutions["need"].to_numpy(dtype=np.int64)


def build_instances(
    depots: pd.DataFrame,
    targets: pd.DataFrame,
    arcs: pd.DataFrame,
    priority_kinds: tuple[str, ...],
    all_pairs: AllPairs | None = None,
) -> list[DrugInstance]:
    """One :class:`DrugInstance` per drug class (classes in order of first appearance in targets, then depots).

    Raises
    ------
    ValueError
        As :func:`instance_builders`.
    """
    return [build() for build in instance_builders(depots, targets, arcs, priority_kinds, all_pairs)]


def instance_builders(
    depots: pd.DataFrame,
    targets: pd.DataFrame,
    arcs: pd.DataFrame,
    priority_kinds: tuple[str, ...],
    all_pairs: AllPairs | None = None,
) -> list[Callable[[], DrugInstance]]:
    """The inputs checked, and per drug class (classes in order of first appearance in targets, then depots) the
    call that builds its :class:`DrugInstance`.

    Raises
    ------
    ValueError
        On negative stock or need, a need of :data:`MAX_NEED_PACKS` or more, a class stock of
        :data:`MAX_STOCK_PACKS` or more, or an institution listed twice for one class.
    """
    depot_table = depots.reset_index(drop=True)
    target_table = targets.reset_index(drop=True)
    stock_values = depot_table["stock"].to_numpy(dtype=np.int64)
    need_values = target_table["need"].to_numpy(dtype=np.int64)
    if (stock_values < 0).any() or (need_values < 0).any():
        raise ValueError("Expected non-negative stock and need.")
    if need_values.size and need_values.max() >= MAX_NEED_PACKS:
        raise ValueError(f"Expected every need below {MAX_NEED_PACKS} packs.")
    if len(depot_table) and depot_table.groupby("drug")["stock"].sum().max() >= MAX_STOCK_PACKS:
        raise ValueError(f"Expected the stock of each drug class below {MAX_STOCK_PACKS} packs.")
    if target_table.duplicated(["institution_id", "drug"]).any():
        raise ValueError("Expected one targets row per institution and drug class.")
    depot_universe = pd.Index(pd.unique(depot_table["depot_id"]))
    institution_universe = pd.Index(pd.unique(target_table["institution_id"]))
    arc_depot_code = positions(arcs["depot_id"], depot_universe)
    arc_institution_code = positions(arcs["institution_id"], institution_universe)
    minutes = arcs["minutes"].to_numpy(dtype=np.float64)
    keep = dedupe_arcs(arc_depot_code, arc_institution_code, minutes)
    all_arcs = ArcTable(arc_depot_code[keep], arc_institution_code[keep], minutes[keep])
    drugs = list(pd.unique(pd.concat([target_table["drug"], depot_table["drug"]], ignore_index=True)))
    return [
        functools.partial(
            drug_instance,
            str(drug),
            depot_table[depot_table["drug"] == drug],
            target_table[target_table["drug"] == drug].reset_index(drop=True),
            all_arcs,
            (depot_universe, institution_universe),
            priority_kinds,
            all_pairs,
        )
        for drug in drugs
    ]


@dataclass(frozen=True)
class ArcTable:
    """Deduplicated arcs for every class: depot and institution codes into the id universes."""

    depot_code: IntArray
    institution_code: IntArray
    minutes: FloatArray


def drug_instance(
    drug: str,
    depot_rows: pd.DataFrame,
    institutions: pd.DataFrame,
    all_arcs: ArcTable,
    universes: tuple[pd.Index, pd.Index],
    priority_kinds: tuple[str, ...],
    all_pairs: AllPairs | None = None,
) -> DrugInstance:
    """The instance of one class: its depots (stock summed per depot), institutions and arcs with need > 0."""
    depot_universe, institution_universe = universes
    drug_depots = depot_stock(depot_rows)
    drug_depots["drug"] = drug
    depot_local = local_index(positions(drug_depots["depot_id"], depot_universe), depot_universe.size)
    institution_local = local_index(
        positions(institutions["institution_id"], institution_universe), institution_universe.size
    )
    arc_depot = depot_local[all_arcs.depot_code]
    arc_institution = institution_local[all_arcs.institution_code]
    need = institutions["need"].to_numpy(dtype=np.int64)
    has_need = np.append(need > 0, False)  # the last slot answers for arc_institution == -1
    on_drug = (arc_depot >= 0) & (arc_institution >= 0) & has_need[arc_institution]
    arc_depot, arc_institution = arc_depot[on_drug], arc_institution[on_drug]
    stock = drug_depots["stock"].to_numpy(dtype=np.int64)
    priority = institutions["kind"].isin(priority_kinds).to_numpy() & (need > 0)
    complete = None
    if all_pairs is None:
        stocked_reach = np.bincount(arc_institution[stock[arc_depot] > 0], minlength=len(institutions)) > 0
    else:
        depot_location, institution_location = all_pairs.locations(
            drug_depots["depot_id"], institutions["institution_id"]
        )
        complete = CompleteArcs.plain(all_pairs.costs, depot_location, institution_location)
        stocked_reach = np.full(len(institutions), bool(stock.sum() > 0))
    return DrugInstance(
        drug=drug,
        depots=drug_depots,
        institutions=institutions,
        arc_depot=arc_depot,
        arc_institution=arc_institution,
        arc_minutes=all_arcs.minutes[on_drug],
        priority=priority,
        in_max_min=priority & stocked_reach,
        complete=complete,
    )


def depot_stock(depot_rows: pd.DataFrame) -> pd.DataFrame:
    """``depot_id, district_id, stock`` of one class: a depot listed twice has its stock summed (first district)."""
    if not depot_rows["depot_id"].duplicated().any():
        frame = depot_rows[["depot_id", "district_id", "stock"]].reset_index(drop=True)
        return frame.astype({"stock": np.int64})
    return depot_rows.groupby("depot_id", sort=False, as_index=False).agg(
        district_id=("district_id", "first"), stock=("stock", "sum")
    )


def local_index(codes: IntArray, universe_size: int) -> IntArray:
    """Lookup table universe code -> local row (``-1`` when the code has no row)."""
    lookup = np.full(universe_size + 1, -1, dtype=np.int64)  # the extra slot maps code -1 to -1
    lookup[codes] = np.arange(codes.size, dtype=np.int64)
    lookup[-1] = -1
    return lookup


def without_seed(instance: DrugInstance) -> DrugInstance:
    """A solved ``instance`` without the arcs it was seeded with where every pair is allowed (its plan's arcs are
    in its solution; the seed is then read only to start the next class, :func:`seeded_by_earlier`, which reads
    the earlier class's ids); as it is where its listed arcs are the model (its tables read them)."""
    if instance.complete is None:
        return instance
    none = np.zeros(0, dtype=np.int64)
    return replace(instance, arc_depot=none, arc_institution=none.copy(), arc_minutes=np.zeros(0))


OWN_SEED_ARCS = 5
"""Nearest depots per institution a class starts from beside the earlier class's arcs (:func:`seeded_by_earlier`;
province: 2 -> 4.30 s, 5 -> 4.04 s, 10 -> 4.35 s for the stage, 4.73 s with every class from its 20 nearest)."""


def seeded_by_earlier(instance: DrugInstance, earlier: DrugInstance, shipments: TransportSolution) -> DrugInstance:
    """``instance`` starting from the arcs ``earlier`` (the class solved before) ended with, where both ends are in
    this class, and from each institution's :data:`OWN_SEED_ARCS` nearest depots of its own seed.

    The classes share depots and institutions, and where one class's packs go, and the arcs its pricing added, are
    near where the next class's go: its first min-cost flow is smaller and needs fewer rounds. Only with every pair
    allowed (``instance.complete``): pricing then proves the plan over every pair whatever the start; a class whose
    listed arcs are its model, or small enough to start from every pair (``models.transport.EVERY_PAIR_MAX``), is
    returned as it is."""
    if instance.complete is None or starts_from_every_pair(instance.num_depots, instance.num_institutions):
        return instance  # the listed arcs are the model, or the rounds start from every pair
    depot = pd.Index(instance.depots["depot_id"]).get_indexer(
        pd.Index(earlier.depots["depot_id"].to_numpy()[shipments.supplier])
    )
    institution = pd.Index(instance.institutions["institution_id"]).get_indexer(
        pd.Index(earlier.institutions["institution_id"].to_numpy()[shipments.demand])
    )
    carried = (depot >= 0) & (institution >= 0)
    own = ranks_by_cost_within_groups(instance.arc_institution, instance.arc_minutes) < OWN_SEED_ARCS
    keys = unique_ints(
        np.concatenate([instance.arc_depot[own], depot[carried]]) * instance.num_institutions
        + np.concatenate([instance.arc_institution[own], institution[carried]])
    )
    arc_depot, arc_institution = np.divmod(keys, instance.num_institutions)
    minutes = instance.complete.cost_minutes(arc_depot, arc_institution)
    return replace(instance, arc_depot=arc_depot, arc_institution=arc_institution, arc_minutes=minutes)
