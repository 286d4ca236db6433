"""The testing stage on the tiny dataset: inputs, KPIs, compliance rows and sentences."""

from __future__ import annotations

import pandas as pd
from conftest import tiny_frames
from tiny_plan import tiny_dataset

from models.base import SolveOptions
from planner.dataset.io import dataset_from_frames
from planner.dataset.names import Namer
from planner.pipeline import plan_context
from planner.rules.rules import load_rules
from planner.rules.scenario import Scenario
from planner.stages import testing
from planner.stages.registry import STAGE_NAMES


def _context(preset: str = "containment-2021", teams: tuple[int, int] | None = None) -> testing.PlanContext:
    dataset = tiny_dataset()
    if teams is not None:
        frames = tiny_frames()
        frames["districts"] = frames["districts"].assign(sampling_teams=list(teams))
        dataset = dataset_from_frames(frames, name="tiny")
    return plan_context(dataset, load_rules(preset), Scenario(level="prevalent"))


def test_registered_after_drugs() -> None:
    assert STAGE_NAMES[-1] == "testing"


def test_without_sampling_sites_candidates_are_clinics_sites_and_centres() -> None:
    inputs = testing.build_inputs(_context())
    dataset = tiny_dataset()
    ids = set(inputs.candidates["candidate_id"])
    assert set(dataset.clinics["clinic_id"]) <= ids
    assert {f"{s}:centre" for s in dataset.streets["street_id"]} <= ids
    by_street = inputs.demand.groupby("street_id")["weight"].sum()
    pd.testing.assert_series_equal(
        by_street.sort_index(),
        dataset.streets.set_index("street_id")["population"].astype(float).sort_index(),
        check_names=False,
    )


def test_kpis_compliance_and_sentences() -> None:
    context = _context()
    result = testing.STAGE.run(context, SolveOptions())
    kpis = testing.kpis(result, context)
    assert kpis["sampling_points_planned"] == len(result.table("points"))
    rows = pd.concat(testing.compliance(result, context))
    assert set(rows["rule_id"]) == {"testing_points_per_street", "full_round_days", "care_home_sampling_visits"}
    assert (rows[rows["rule_id"] == "full_round_days"]["sense"] == "at_most").all()
    assert not bool(result.table("round")["met"].iloc[0])  # the tiny dataset has no labs
    namer = Namer.of(tiny_dataset())
    sentences = testing.explanations(result, context, namer)
    assert any("labs need" in str(row["en"]) and "实验室" in str(row["zh"]) for row in sentences)
    short = result.table("streets").query("not met")
    assert len([r for r in sentences if r["reason"] == "too_few_candidates"]) == len(short)


def test_beijing_preset_does_not_require_the_round() -> None:
    context = _context("beijing-2023")
    result = testing.STAGE.run(context, SolveOptions())
    rules = {str(r) for frame in testing.compliance(result, context) for r in frame["rule_id"]}
    assert rules == {"testing_points_per_street", "care_home_sampling_visits"}  # no round below 5 M in 2023


def test_homes_sampled_on_site_need_their_nat_tests_a_day_rounded_up() -> None:
    # prevalent -> closed homes: staff 7 NAT a week, residents 2 a week; containment: no antigen share.
    # H001 12 + 40 * 2/7 = 23.4 -> 24; H002 30 + 100 * 2/7 = 58.6 -> 59; H003 20 + 60 * 2/7 = 37.1 -> 38
    homes = testing.build_inputs(_context()).homes
    assert homes[["home_id", "district_id", "tests_per_day"]].values.tolist() == [
        ["H001", "D1", 24],
        ["H002", "D1", 59],
        ["H003", "D2", 38],
    ]
    # 2023: half the resident tests by antigen: 12 + 40/7 = 17.7 -> 18; 30 + 100/7 = 44.3 -> 45; 20 + 60/7 = 28.6 -> 29
    assert testing.build_inputs(_context("beijing-2023")).homes["tests_per_day"].tolist() == [18, 45, 29]


def test_team_bases_are_the_districts_population_weighted_centres() -> None:
    dataset = tiny_dataset()
    bases = testing.team_bases(dataset).set_index("district_id")
    streets = dataset.streets[dataset.streets["district_id"] == "D1"]
    weights = streets["population"].to_numpy(float)
    assert abs(bases.loc["D1", "lat"] - (weights * streets["lat"]).sum() / weights.sum()) < 1e-9
    assert abs(bases.loc["D2", "lon"] - 116.370) < 1e-9  # one street: its own centre
    assert bases["teams"].tolist() == [0, 0]


def test_without_teams_every_home_is_short_and_each_district_needs_one_more_team() -> None:
    context = _context()
    result = testing.STAGE.run(context, SolveOptions())
    districts = result.table("team_districts")
    assert districts[["district_id", "tests_needed", "unsampled", "teams_needed", "extra_teams"]].values.tolist() == [
        ["D1", 83, 83, 1, 1],
        ["D2", 38, 38, 1, 1],
    ]
    rows = pd.concat(testing.compliance(result, context))
    visits = rows[rows["rule_id"] == "care_home_sampling_visits"]
    assert visits["required"].tolist() == [24.0, 59.0, 38.0] and not visits["met"].any()
    assert visits["source"].iloc[0].startswith("000 §4 sampling personnel")
    assert "assumption: tests_per_sampling_team_day" in visits["source"].iloc[0]
    kpis = testing.kpis(result, context)
    assert (kpis["care_home_tests_unsampled_per_day"], kpis["sampling_teams_short"]) == (121, 2)
    sentences = [r for r in testing.explanations(result, context, Namer.of(tiny_dataset())) if r["entity_id"] == "D1"]
    assert sentences[0]["reason"] == "sampling_teams_short"
    assert "83 care-home NAT samples a day" in str(
        sentences[0]["en"]
    ) and "(0 teams, 1 needed); 1 more team would" in str(sentences[0]["en"])
    assert "再增加1支采样队伍" in str(sentences[0]["zh"])


def test_one_team_in_d1_backs_d2_under_the_2021_preset_but_not_under_2023() -> None:
    backed = testing.STAGE.run(_context(teams=(1, 0)), SolveOptions())
    assert backed.table("team_homes")["unsampled"].tolist() == [0, 0, 0]  # 24 + 59 + 38 = 121 <= 400
    assert backed.table("teams").query("backup")[["district_id", "home_id", "tests_per_day"]].values.tolist() == [
        ["D1", "H003", 38]
    ]
    alone = testing.STAGE.run(_context("beijing-2023", teams=(1, 0)), SolveOptions())
    assert alone.table("team_homes")["unsampled"].tolist() == [0, 0, 29]
