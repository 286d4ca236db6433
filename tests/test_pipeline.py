"""make_plan on the tiny dataset: every figure worked out by hand (see tests/tiny_plan.py)."""

from __future__ import annotations

from tiny_plan import tiny_dataset, tiny_plan

from models.base import Status
from planner.pipeline import depot_stock, nursing_needs
from planner.report.plan import STAGE_NAMES


def test_every_stage_is_solved_to_optimality_in_order() -> None:
    plan = tiny_plan()
    assert list(plan.stages()) == list(STAGE_NAMES)
    assert all(result.status is Status.OPTIMAL for result in plan.stages().values())


def test_observation_opens_the_candidate_of_a_street_and_keeps_disabled_at_barrier_free_sites() -> None:
    assignments = tiny_plan().observation.table("assignments")
    placed = {(r.home_id, r.group, r.site_id): r.persons for r in assignments.itertuples()}
    assert placed == {
        ("H001", "disabled", "ST1"): 1,
        ("H001", "other", "ST1"): 7,
        ("H003", "disabled", "ST1"): 1,  # ST2 is nearer but not barrier-free
        ("H003", "other", "ST2"): 12,  # ST2 must open: the only usable site of street S3
    }
    sites = tiny_plan().observation.table("sites").set_index("site_id")
    assert bool(sites.loc["ST2", "opened"]) and bool(sites.loc["ST2", "open"])


def test_closing_the_only_barrier_free_site_leaves_the_disabled_unplaced_with_the_reason() -> None:
    plan = tiny_plan(closed_sites=("ST1",))
    unmet = plan.observation.table("unmet")
    assert sorted(zip(unmet["home_id"], unmet["group"], unmet["persons"], strict=True)) == [
        ("H001", "disabled", 1),
        ("H003", "disabled", 1),
    ]
    assert set(unmet["reason"]) == {"no_barrier_free_room_in_reach"}
    assert plan.kpis["unmet_observation_disabled"] == 2 and plan.kpis["unmet_observation_other"] == 0


def test_site_one_to_one_needs_come_from_the_disabled_persons_the_observation_stage_placed() -> None:
    plan = tiny_plan()
    needs = nursing_needs(tiny_dataset(), plan.rules, plan.needs, plan.observation)
    one_to_one = needs[needs["need"] == "transfer_1to1"].set_index("destination_id")["required"].to_dict()
    assert one_to_one == {"HP1": 1, "ST1": 2}
    assigned = plan.nursing.table("needs").set_index("need_id")["assigned"].to_dict()
    assert assigned == {
        "transfer_1to1:HP1": 1,
        "transfer_1to1:ST1": 2,
        "backfill:H001": 1,
        "backfill:H002": 3,
        "backfill:H003": 2,
    }


def test_every_home_gets_one_handshake_and_is_covered() -> None:
    handshakes = tiny_plan().ambulance.table("handshakes")
    assert sorted(handshakes["home_id"]) == ["H001", "H002", "H003"]
    assert handshakes["covered"].all()
    assert (handshakes["trip_minutes"] <= 120).all()


def test_depot_stock_is_floored_after_the_stock_factor() -> None:
    stock = depot_stock(tiny_dataset(), 0.333).set_index("drug")["stock"].to_dict()
    assert stock == {"antipyretic": 166, "cough": 99, "antiviral": 0, "tcm": 0, "antigen_kit": 0}


def test_drug_allocation_never_exceeds_depot_stock() -> None:
    allocations = tiny_plan().drugs.table("allocations")
    shipped = allocations.groupby("drug")["quantity"].sum().to_dict()
    assert shipped == {"antipyretic": 500, "cough": 300}


def test_a_plan_is_deterministic() -> None:
    first = tiny_plan("severe")
    second = tiny_plan.__wrapped__("severe")
    for name, result in first.stages().items():
        for table, frame in result.tables.items():
            assert frame.equals(second.stages()[name].table(table)), (name, table)
