"""What more units of a resource buy, measured on the stage's model (``planner.stages.probes``), in words."""

from __future__ import annotations

import pandas as pd
from conftest import tiny_frames

from planner.dataset.io import dataset_from_frames
from planner.dataset.schema import Dataset
from planner.pipeline import make_plan
from planner.report.plan import Plan
from planner.rules.rules import load_rules
from planner.rules.scenario import make_scenario


def _dataset(**changes: dict[str, list[str]]) -> Dataset:
    """The tiny dataset with the columns of ``changes`` (table -> column -> values) replaced."""
    frames = tiny_frames()
    for table, columns in changes.items():
        for column, values in columns.items():
            frames[table][column] = values
    return dataset_from_frames(frames, name="tiny")


def _plan(level: str = "prevalent", rules: dict[str, object] | None = None, **changes: dict[str, list[str]]) -> Plan:
    return make_plan(
        _dataset(**changes),
        load_rules(overrides=rules or {}),
        make_scenario(level=level, plan="snapshot"),
        time_limit_s=5,
    )


def _rows(plan: Plan, stage: str) -> list[dict[str, object]]:
    values = plan.marginal_values
    return values[values["stage"] == stage].to_dict("records")  # type: ignore[return-value]


def test_rooms_in_a_district_place_the_disabled_first_in_barrier_free_rooms() -> None:
    # one room left at the barrier-free site ST1 (Dongcheng), none at ST2: 2 disabled and 19 others need rooms
    plan = _plan(sites={"rooms": ["1", "0"]})
    assert plan.kpis["unmet_observation_disabled"] == 1
    rows = _rows(plan, "observation")
    first = rows[0]
    assert first["resource_id"] == "D1" and first["resource_kind"] == "barrier_free_room"
    assert first["value"] == plan.kpis["unmet_observation_disabled"] + plan.kpis["unmet_observation_other"]
    assert first["units"] == first["value"], "one person per room"
    assert "of them barrier-free" in str(first["en"]) and str(first["zh"]).startswith("东城区增加")
    # 2023 asks barrier-free rooms for every care-home person: Xicheng's only site (not barrier-free) places none
    assert [r["resource_id"] for r in rows] == ["D1"]
    # barrier-free rooms for the disabled only: Xicheng's rooms place the others, so it ranks after Dongcheng
    plan = _plan(sites={"rooms": ["1", "0"]}, rules={"barrier_free_for_all": False})
    rows = _rows(plan, "observation")
    assert [r["resource_id"] for r in rows] == ["D1", "D2"]
    assert "disabled" not in str(rows[1]["en"])


def test_nurses_in_a_district_meet_the_needs_tier_by_tier() -> None:
    plan = _plan(level="severe", pools={"nurses": ["0", "1"]})
    short = plan.kpis["nursing_unmet_by_tier"]
    assert sum(short.values()) > 0
    rows = _rows(plan, "nursing")
    assert rows and all(r["resource_kind"] == "nurse" for r in rows)
    assert rows[0]["value"] == sum(short.values()), "enough nurses in one district meet every unmet need in reach"
    assert "more nurses in" in str(rows[0]["en"]) and "护理应急支援队伍增加" in str(rows[0]["zh"])


def test_packs_raise_the_lowest_fill_rate_step_by_step_then_cover_the_shortfall() -> None:
    plan = _plan()
    rows = _rows(plan, "drugs")
    # no depot holds antigen kits or TCM: homes and clinics get 0 %; the next packs lift them to 10 %, then 100 %
    first, second = rows[0], rows[1]
    assert first["resource_id"] == second["resource_id"]
    assert "from 0 % to 10 %" in str(first["en"]) and "from 0 % to 100 %" in str(second["en"])
    assert float(first["value"]) < float(second["value"])
    assert "cover all" in str(second["en"]) and "全部" in str(second["zh"])
    assert len({r["resource_id"] for r in rows}) == 5, "one depot, five drug classes"
    assert not any("cuts the shortfall by 1" in str(r["en"]) for r in rows)


def test_ambulances_cover_homes_left_for_want_of_ambulance_time() -> None:
    plan = _plan(level="severe", stations={"ambulances": ["1", "0"], "max_ambulances": ["5", ""]})
    hand = plan.stage("ambulance").table("handshakes").set_index("home_id")
    assert hand.at["H003", "reason"] == "station_workload", "Xicheng has no ambulance"
    rows = _rows(plan, "ambulance")
    assert [(r["resource_id"], r["units"]) for r in rows] == [("D2", 1.0)]
    assert rows[0]["en"] == "1 more ambulance in Xicheng covers 1 more care home (0.2 transfers a day)"
    assert rows[0]["zh"] == "西城区增加1辆急救车可多覆盖1家养老机构（每日转诊0.2人次）"


def test_each_ambulance_probe_solves_its_district_alone_within_the_probes_budget() -> None:
    """The probes of the plan above: every model a probe solves holds one district's homes, stations, arcs and fleet
    (Xicheng's, with one more ambulance); with no seconds left for the probes none is solved and nothing is said."""
    from unittest.mock import patch

    from planner.pipeline import plan_context
    from planner.stages import ambulance, probes

    stations = {"ambulances": ["1", "0"], "max_ambulances": ["5", ""]}
    result = _plan(level="severe", stations=stations).stage("ambulance")
    context = plan_context(_dataset(stations=stations), load_rules(), make_scenario(level="severe", plan="snapshot"))
    inputs = ambulance.build_inputs(context)
    solved: list[tuple[set[str], set[str], list[int]]] = []

    def recorded(probe, options):  # type: ignore[no-untyped-def]
        solved.append(
            (
                set(probe.homes["district_id"]) | set(probe.stations["district_id"]),
                set(probe.fleet["district_id"]),
                probe.fleet["ambulances_after"].tolist(),
            )
        )
        return ambulance.solve(probe, options)

    effects = probes.ambulance_probes(inputs, result, recorded)
    assert effects[["district_id", "ambulances", "homes"]].values.tolist() == [["D2", 1, 1]]
    before = inputs.fleet.set_index("district_id")["ambulances_after"]["D2"]
    assert solved[0] == ({"D2"}, {"D2"}, [before + 1])
    assert all(districts == {"D2"} for districts, *_ in solved)
    solved.clear()
    with patch.object(probes, "AMBULANCE_PROBES_SECONDS", 0.0):
        assert probes.ambulance_probes(inputs, result, recorded).empty
    assert solved == []


def test_any_districts_pools_meet_the_same_needs_so_one_row_names_them_all() -> None:
    # every pool may serve every need (DESIGN §5.3): more nurses in either district meet every unmet need
    plan = _plan(level="severe", pools={"nurses": ["0", "1"]})
    rows = _rows(plan, "nursing")
    assert len(rows) == 1
    assert "(or in any of 1 other districts)" in str(rows[0]["en"]) and "或其他1个区中任一区" in str(rows[0]["zh"])
    needs = plan.stage("nursing").table("needs").groupby("district_id")["required"].sum()
    pools = plan.stage("nursing").table("pools").groupby("district_id")["nurses"].sum()
    deficit = needs.sub(pools, fill_value=0)
    assert rows[0]["resource_id"] == deficit.idxmax(), "named first: the district whose needs exceed its pools most"


def test_with_every_depot_pair_allowed_every_depot_buys_the_same_so_one_row_names_them_all() -> None:
    """22 more depots, further and further away: each institution's arcs seed its 20 nearest only, but any depot may
    serve any institution, so more packs at any of them place the same packs and lift the same fill rate; each
    drug's rows name one depot and the 22 others as buying the same."""
    frames = tiny_frames()
    first = frames["depots"].iloc[[0]]
    more = [
        first.assign(depot_id=f"W{k}", district_id="D2", name=f"Depot {k}", lat=f"{39.93 + 0.05 * k:.3f}")
        for k in range(2, 24)
    ]
    frames["depots"] = pd.concat([frames["depots"], *more], ignore_index=True)
    plan = make_plan(
        dataset_from_frames(frames, name="tiny"),
        load_rules(),
        make_scenario(level="prevalent", plan="snapshot"),
        time_limit_s=5,
    )
    rows = _rows(plan, "drugs")
    drugs = {str(r["resource_id"]).split(":")[1] for r in rows}
    assert len(drugs) == 5
    for drug in drugs:
        depots = {str(r["resource_id"]).split(":")[0] for r in rows if str(r["resource_id"]).endswith(f":{drug}")}
        assert len(depots) == 1, drug
    assert all("(or any of 22 other depots)" in str(r["en"]) for r in rows)
