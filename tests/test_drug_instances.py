"""The drug stage's instances: one per class, built in turn, and a class started from the class before it."""

from __future__ import annotations

import numpy as np
import pytest
from drug_tables import depots_frame, every_pair, nearest_arcs, targets_frame

from models.drug_instances import MAX_NEED_PACKS, build_instances, seeded_by_earlier, without_seed
from models.drugs import solve_drug

pytestmark = pytest.mark.usefixtures("pricing_from_the_seed")


def test_the_next_class_starts_from_the_arcs_the_class_before_ended_with() -> None:
    # the nearest depot D1 holds no cough packs: cough ships from D2, far; antiviral starts from that arc too
    depots = depots_frame([("D1", "cough", 0), ("D2", "cough", 5), ("D1", "antiviral", 1), ("D2", "antiviral", 1)])
    targets = targets_frame([("H1", "care_home", "cough", 3), ("H1", "care_home", "antiviral", 2)])
    matrix = np.array([[1.0], [50.0]])
    pairs = every_pair(depots, targets, matrix)
    cough, antiviral = build_instances(depots, targets, nearest_arcs(depots, targets, matrix, 1), ("care_home",), pairs)
    assert (cough.arc_depot.tolist(), antiviral.arc_depot.tolist()) == ([0], [0])  # D1 alone, the nearest
    solved = solve_drug(cough)
    assert solved.shipments.flow[solved.shipments.supplier == 1].sum() == 3
    seeded = seeded_by_earlier(antiviral, cough, solved.shipments)
    assert sorted(zip(seeded.arc_depot.tolist(), seeded.arc_institution.tolist(), strict=True)) == [(0, 0), (1, 0)]
    assert seeded.arc_minutes.tolist() == [1.0, 50.0]
    listed = build_instances(depots, targets, nearest_arcs(depots, targets, matrix, 1), ("care_home",))[1]
    assert seeded_by_earlier(listed, cough, solved.shipments) is listed  # the listed arcs are the model: kept


def test_a_solved_class_keeps_its_seed_only_where_its_listed_arcs_are_the_model() -> None:
    depots = depots_frame([("D1", "cough", 2), ("D2", "cough", 5)])
    targets = targets_frame([("H1", "care_home", "cough", 3)])
    matrix = np.array([[1.0], [50.0]])
    seed = nearest_arcs(depots, targets, matrix, 2)
    (every,) = build_instances(depots, targets, seed, ("care_home",), every_pair(depots, targets, matrix))
    assert (len(every.arc_depot), len(without_seed(every).arc_depot)) == (2, 0)
    assert without_seed(every).institutions is every.institutions  # what the tables read stays
    (listed,) = build_instances(depots, targets, seed, ("care_home",))
    assert without_seed(listed) is listed


def test_a_need_of_the_packs_limit_is_refused_before_any_class_is_built() -> None:
    depots = depots_frame([("D1", "cough", 2)])
    targets = targets_frame([("H1", "care_home", "cough", MAX_NEED_PACKS)])
    with pytest.raises(ValueError, match="below"):
        build_instances(depots, targets, nearest_arcs(depots, targets, np.array([[1.0]]), 1), ("care_home",))
