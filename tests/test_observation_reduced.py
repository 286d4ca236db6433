"""The reduced model's MIP piece by piece: components, packing, piece cores, and bounds against brute force."""

from __future__ import annotations

import time
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from observation_brute import brute_force, core_of, transport_cost
from test_observation import arcs_frame, groups_frame, instances, sites_frame

import models.observation.reduced as reduced_module
from models.observation.lagrangian import starting_multipliers
from models.observation.location import Core, highs_module
from models.observation.reduced import Piece, PiecesSolved, component_labels, piece_core, pieces, solve_pieces
from models.observation.search import held_plan

TOLERANCE = 1e-6


def three_components() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """H1 -> S1 and H2 -> S2, with S1 and S2 candidates of street T (one must open); H3 -> S3 alone; H4 no arc.

    Components: {H1, H2, S1, S2} (joined by their street), {H3, S3}, {H4}.
    """
    groups = groups_frame(
        [("H1", "T", "other", 2), ("H2", "T", "other", 3), ("H3", "U", "other", 4), ("H4", "U", "other", 1)]
    )
    sites = sites_frame(
        [
            ("S1", "T", 5, True, "candidate", 10.0),
            ("S2", "T", 5, True, "candidate", 20.0),
            ("S3", "U", 4, True, "candidate", 30.0),
        ]
    )
    arcs = arcs_frame([("H1", "S1", 1.0), ("H2", "S2", 2.0), ("H3", "S3", 3.0)])
    return groups, sites, arcs


def test_a_choice_street_joins_its_candidates_and_a_group_without_arcs_is_alone() -> None:
    core = core_of(*three_components(), sites_per_street_min=1)
    group_label, site_label = component_labels(core)
    assert group_label[0] == group_label[1] == site_label[0] == site_label[1]
    assert group_label[2] == site_label[2] != group_label[0]
    assert len({group_label[0], group_label[2], group_label[3]}) == 3


def test_components_are_packed_smallest_first_until_a_piece_has_its_minimum() -> None:
    core = core_of(*three_components(), sites_per_street_min=1)
    labels = component_labels(core)
    with mock.patch.object(reduced_module, "PIECE_MIN_ARCS", 1):
        # arcs per component: {H4} 0, {H3, S3} 1, {H1, H2, S1, S2} 2: H4 and H3 share the first piece
        found = pieces(core, *labels)
    assert [piece.groups.tolist() for piece in found] == [[2, 3], [0, 1]]
    assert [piece.sites.tolist() for piece in found] == [[2], [0, 1]]
    assert [len(piece.arcs) for piece in found] == [1, 2]
    with mock.patch.object(reduced_module, "PIECE_MIN_ARCS", 10):
        assert len(pieces(core, *labels)) == 1


def test_a_piece_core_is_renumbered_with_its_streets_and_the_incumbents_unmet() -> None:
    core = core_of(*three_components(), sites_per_street_min=1)
    piece = Piece(np.array([0, 1]), np.array([0, 1]), np.flatnonzero(np.isin(core.arc_group, [0, 1])))
    unmet = np.array([1, 0, 0, 1])
    alone = piece_core(core, piece, unmet)
    assert alone.persons.tolist() == [2, 3]
    assert alone.capacity.tolist() == [5, 5]
    assert alone.arc_group.tolist() == [0, 1] and alone.arc_site.tolist() == [0, 1]
    assert alone.street.tolist() == [0, 0] and alone.deficit.tolist() == [1]
    assert (alone.unmet_total, alone.unmet_disabled, alone.fixed_cost) == (1, 0, 0.0)
    assert piece_core(core, piece, None).unmet_total == core.unmet_total


def _every_component_a_piece(core: Core, mip_max_arcs: int = 10**9) -> PiecesSolved:
    """``solve_pieces`` on the core itself (nothing fixed) from its held flow, each component a piece."""
    held = held_plan(core)
    assert held is not None
    open_sites, plan = held
    with (
        mock.patch.object(reduced_module, "PIECE_MIN_ARCS", 1),
        mock.patch.object(reduced_module, "MIP_MAX_ARCS", mip_max_arcs),
    ):
        return solve_pieces(
            core,
            component_labels(core),
            (open_sites, plan.assign, plan.unmet),
            starting_multipliers(core),
            time.perf_counter() + 10.0,
            highs_module(),
        )


def test_the_pieces_bound_is_the_sum_of_each_components_optimum() -> None:
    # {H1, H2 | S1, S2}: street T needs one open; opening S1 (10) takes H1 (2 x 1) and H2 has no arc to S1, so both
    # open: 10 + 20 + 2 x 1 + 3 x 2 = 38. {H3 | S3}: 30 + 4 x 3 = 42. H4 has no arc: unmet, cost 0. Sum 80.
    core = core_of(*three_components(), sites_per_street_min=1)
    solved = _every_component_a_piece(core)
    assert solved.bound == pytest.approx(80.0, abs=1e-9)
    assert brute_force(core) == pytest.approx(80.0, abs=1e-9)
    assert solved.stats["mip_pieces"] == 2 and solved.stats["mip_pieces_proven"] == 2
    assert solved.open_sites.tolist() == [True, True, True]


def _pieces_of(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int, int, bool], mip_max_arcs: int
) -> tuple[float, float, np.ndarray]:
    core = core_of(*case)
    solved = _every_component_a_piece(core, mip_max_arcs)
    assert not solved.infeasible
    return brute_force(core), solved.bound, transport_cost(core, solved.open_sites)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_component_its_own_piece_reaches_the_brute_force_optimum(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int, int, bool],
) -> None:
    optimum, bound, plan_cost = _pieces_of(case, 10**9)
    assert bound == pytest.approx(optimum, rel=1e-9, abs=TOLERANCE)
    assert plan_cost == pytest.approx(optimum, rel=1e-9, abs=TOLERANCE)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(0, 4))
def test_pieces_too_large_for_their_mip_keep_a_bound_never_above_the_optimum(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int, int, bool], mip_max_arcs: int
) -> None:
    optimum, bound, plan_cost = _pieces_of(case, mip_max_arcs)
    assert bound <= optimum + TOLERANCE
    assert plan_cost >= optimum - TOLERANCE
