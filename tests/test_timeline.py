"""The timeline of a daily plan: hand-made run-out days, and invariants on the tiny dataset's daily plan."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner.dataset.io import read_dataset
from planner.pipeline import make_plan
from planner.report.plan import Plan
from planner.report.timeline import joined, run_out_of, with_shortfalls
from planner.rules.rules import load_rules
from planner.rules.scenario import make_scenario


def test_a_stock_that_runs_out_on_day_3() -> None:
    timeline = pd.DataFrame(
        {
            "day": [0, 1, 2, 3, 4],
            "resource": ["stock:antipyretic"] * 5,
            "scope": ["institution"] * 5,
            "scope_id": ["H1"] * 5,
            "needed": [1.0, 2.0, 3.0, 4.5, 6.0],
            "planned": [4.0] * 5,
            "short": [0.0, 0.0, 0.0, 0.5, 2.0],
        }
    )
    assert run_out_of(timeline).to_dict("records") == [
        {"resource": "stock:antipyretic", "scope": "institution", "scope_id": "H1", "first_short_day": 3}
    ]


def test_a_stock_short_by_less_than_the_files_show_is_not_a_run_out_day() -> None:
    # day 0: 3e-6 packs used of none on hand (the delivery comes on day 1): the files write 0.0 needed, 0.0 short
    timeline = pd.DataFrame(
        {
            "day": [0, 1, 2],
            "resource": ["stock:antipyretic"] * 3,
            "scope": ["institution"] * 3,
            "scope_id": ["C1"] * 3,
            "needed": [3e-6, 0.5, 2.00004],
            "planned": [0.0, 2.0, 2.0],
        }
    )
    rows = with_shortfalls(timeline)
    assert rows["needed"].tolist() == [0.0, 0.5, 2.0]
    assert rows["short"].tolist() == [0.0, 0.0, 0.0]
    assert run_out_of(rows).empty
    timeline.loc[2, "needed"] = 2.00006  # 0.0001 short as written: day 2
    assert run_out_of(with_shortfalls(timeline))["first_short_day"].tolist() == [2]


@pytest.fixture(scope="module")
def daily_plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    from conftest import tiny_frames, write_tables

    folder = write_tables(Path(tmp_path_factory.mktemp("tiny")) / "tiny", tiny_frames())
    scenario = make_scenario(level="severe", plan="daily", horizon_days=10, peak_day=3, wave_days=8)
    return make_plan(read_dataset(folder), load_rules(), scenario, time_limit_s=30)


def test_the_daily_plan_has_a_timeline_over_the_horizon(daily_plan: Plan) -> None:
    timeline = daily_plan.timeline
    assert not timeline.empty
    assert set(timeline["day"]) <= set(range(10))
    assert (timeline["short"] == (timeline["needed"] - timeline["planned"]).clip(lower=0)).all()


def test_the_stock_rows_share_one_text_per_resource_and_scope(daily_plan: Plan) -> None:
    stock = daily_plan.timeline[daily_plan.timeline["resource"].str.startswith("stock:")]
    assert len(stock) > 0
    for column in ("resource", "scope"):  # 4.2 million rows at national: a string per row would be 250 MB
        assert len({id(cell) for cell in stock[column]}) == stock[column].nunique()


def test_the_parts_are_joined_as_pandas_joins_them(daily_plan: Plan) -> None:
    timeline = daily_plan.timeline
    by_resource = [timeline[timeline["resource"] == resource] for resource in timeline["resource"].unique()]
    parts: list[pd.DataFrame | None] = [None, *by_resource, None]
    expected = pd.concat(by_resource, ignore_index=True)
    pd.testing.assert_frame_equal(joined(parts), expected)
    assert parts == []  # let go as they are copied
    assert joined([None]).empty and joined([]).empty


def test_no_site_over_capacity_on_any_day(daily_plan: Plan) -> None:
    sites = daily_plan.timeline[daily_plan.timeline["scope"] == "site"]
    assert (sites["needed"] <= sites["planned"]).all()
    occupancy = daily_plan.stage("observation").table("occupancy")
    assert (occupancy["persons"] <= occupancy["capacity"]).all()


def test_timeline_totals_equal_the_stage_tables(daily_plan: Plan) -> None:
    stays = daily_plan.stage("observation").table("stays")
    city = daily_plan.timeline[
        (daily_plan.timeline["scope"] == "city") & (daily_plan.timeline["resource"] == "observation_places")
    ].set_index("day")["planned"]
    for day, planned in city.items():
        present = stays[(stays["arrival_day"] <= day) & (stays["departure_day"] > day)]["persons"].sum()
        assert planned == present
    occupancy = daily_plan.stage("observation").table("occupancy").groupby("day")["persons"].sum()
    assert occupancy.reindex(city.index, fill_value=0).tolist() == city.tolist()


def test_every_stay_has_the_rule_s_length(daily_plan: Plan) -> None:
    stays = daily_plan.stage("observation").table("stays")
    rules = daily_plan.rules
    lengths = {
        "mild": rules.observation_stay_days,
        "admission": rules.observation_stay_days,
        "rotation": rules.rotation_observation_days,
    }
    for row in stays.itertuples():
        assert row.departure_day - row.arrival_day == max(
            1, lengths.get(row.cause, row.departure_day - row.arrival_day)
        )


def test_run_out_is_the_first_short_day(daily_plan: Plan) -> None:
    timeline = daily_plan.timeline
    for row in daily_plan.run_out.itertuples():
        rows = timeline[
            (timeline["resource"] == row.resource)
            & (timeline["scope"] == row.scope)
            & (timeline["scope_id"] == row.scope_id)
        ]
        assert rows[rows["short"] > 0]["day"].min() == row.first_short_day


def test_no_day_needs_more_places_than_the_snapshot(daily_plan: Plan, tmp_path: Path) -> None:
    from conftest import tiny_frames, write_tables

    folder = write_tables(tmp_path / "tiny", tiny_frames())
    scenario = make_scenario(level="severe", plan="snapshot", horizon_days=10)
    snapshot = make_plan(read_dataset(folder), load_rules(), scenario, time_limit_s=30)
    city = daily_plan.timeline[
        (daily_plan.timeline["scope"] == "city") & (daily_plan.timeline["resource"] == "observation_places")
    ]
    assert city["needed"].max() <= snapshot.kpis["observation_persons"]
    assert snapshot.timeline.empty and snapshot.stage("observation").table("stays").empty


def test_the_files_run_out_days_are_the_first_short_days_of_the_files_timeline(daily_plan: Plan) -> None:
    import json

    from planner.outputs.plan_json import to_json_bytes

    document = json.loads(to_json_bytes(daily_plan))
    first: dict[tuple[str, str, str], int] = {}
    for row in document["timeline"]:
        assert row["short"] == pytest.approx(max(0.0, row["needed"] - row["planned"]), abs=1e-9)
        if row["short"] > 0:
            key = (row["resource"], row["scope"], row["scope_id"])
            first[key] = min(first.get(key, row["day"]), row["day"])
    written = {(r["resource"], r["scope"], r["scope_id"]): r["first_short_day"] for r in document["run_out"]}
    assert written == first
