"""Scenario generation: distributions, grid and seeded Monte Carlo sweeps, failures, sweep files, defaults.

The tiny dataset of ``conftest`` gives the districts, sites and stations the generators check knobs against.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.dataset.io import dataset_from_frames
from planner.dataset.schema import Dataset
from planner.sweep.sampling import (
    Distribution,
    Failure,
    default_distributions,
    grid_sweep,
    load_grid,
    load_monte_carlo,
    monte_carlo_sweep,
    parse_distribution,
)
from planner.sweep.vocabulary import SweepError

# --- fixtures -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny() -> Dataset:
    from conftest import tiny_frames

    return dataset_from_frames(tiny_frames(), "tiny")


# --- distributions ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "kind", "params"),
    [
        ("uniform(0.1, 0.3)", "uniform", (0.1, 0.3)),
        (" triangular( 0.1 ,0.15, 0.4 ) ", "triangular", (0.1, 0.15, 0.4)),
        ("beta(2, 5)", "beta", (2.0, 5.0, 0.0, 1.0)),
        ("beta(2, 5, 0.05, 0.3)", "beta", (2.0, 5.0, 0.05, 0.3)),
        ({"dist": "uniform", "low": 0.5, "high": 1}, "uniform", (0.5, 1.0)),
        ({"dist": "beta", "a": 2, "b": 3}, "beta", (2.0, 3.0, 0.0, 1.0)),
        ({"triangular": [0, 1, 2]}, "triangular", (0.0, 1.0, 2.0)),
        (0.25, "fixed", (0.25,)),
    ],
)
def test_parse_distribution_forms(spec: object, kind: str, params: tuple[float, ...]) -> None:
    dist = parse_distribution(spec)
    assert (dist.kind, dist.params) == (kind, params)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("normal(0, 1)", "unknown distribution"),
        ("uniform(0.3, 0.1)", "low <= high"),
        ("triangular(0.1, 0.5, 0.3)", "low <= mode <= high"),
        ("beta(0, 5)", "a > 0"),
        ("uniform(0.1)", "expected 2 numbers"),
        ("uniform(a, b)", "expected numbers"),
        (True, "expected a number"),
        ("0.3", "expected uniform"),
    ],
)
def test_bad_distributions_name_the_problem(spec: object, message: str) -> None:
    with pytest.raises(SweepError, match=message):
        parse_distribution(spec)


@settings(max_examples=40, deadline=None)
@given(
    low=st.floats(-10, 10),
    width=st.floats(0, 10),
    mode_at=st.floats(0, 1),
    a=st.floats(0.1, 10),
    b=st.floats(0.1, 10),
    seed=st.integers(0, 2**32 - 1),
)
def test_draws_stay_in_the_support(low: float, width: float, mode_at: float, a: float, b: float, seed: int) -> None:
    high = low + width
    for dist in (
        Distribution("uniform", (low, high)),
        Distribution("triangular", (low, low + mode_at * width, high)),
        Distribution("beta", (a, b, low, high)),
    ):
        values = dist.sample(np.random.default_rng(seed), 50)
        assert values.shape == (50,)
        assert np.all(values >= low) and np.all(values <= high)


@pytest.mark.parametrize(
    ("dist", "mean"),
    [
        (Distribution("uniform", (1.0, 3.0)), 2.0),
        (Distribution("triangular", (0.0, 0.0, 3.0)), 1.0),
        (Distribution("beta", (2.0, 6.0, 1.0, 5.0)), 1.0 + 4.0 * 2.0 / 8.0),
        (Distribution("fixed", (0.4,)), 0.4),
    ],
)
def test_draws_have_the_distribution_mean(dist: Distribution, mean: float) -> None:
    values = dist.sample(np.random.default_rng(5), 20_000)
    assert values.mean() == pytest.approx(mean, abs=0.03)
    assert dist.support[0] <= values.min() and values.max() <= dist.support[1]


# --- generators ---------------------------------------------------------------------------------------------------


def test_grid_is_the_cartesian_product_first_knob_slowest() -> None:
    sweep = grid_sweep(
        {"attack_rate": [0.1, 0.2], "stock_factor": [1.0, 0.5, 0.0], "closed_sites": [[], "ST1, ST2"]},
        base={"level": "severe"},
    )
    assert len(sweep) == 12
    assert sweep.base == {"level": "severe"} and sweep.generator == "grid"
    assert [s.index for s in sweep.scenarios] == list(range(12))
    assert sweep.scenarios[0].knobs == {"attack_rate": 0.1, "stock_factor": 1.0}
    assert sweep.scenarios[0].closed_sites == ()
    assert sweep.scenarios[1].closed_sites == ("ST1", "ST2")
    assert sweep.scenarios[2].knobs == {"attack_rate": 0.1, "stock_factor": 0.5}
    assert sweep.scenarios[11].knobs == {"attack_rate": 0.2, "stock_factor": 0.0}


def test_grid_rejects_unknown_knobs_and_empty_lists(tiny: Dataset) -> None:
    with pytest.raises(SweepError) as caught:
        grid_sweep({"attack": [0.1], "demand.D9": [1.0], "rule.nope": [1], "stock_factor": []}, dataset=tiny)
    problems = " | ".join(caught.value.problems)
    assert "attack: not a sweep knob" in problems
    assert "demand.D9: no district 'D9'" in problems
    assert "rule.nope: not a rule" in problems
    assert "stock_factor: expected a non-empty list" in problems


def test_monte_carlo_is_seeded_and_each_knob_has_its_own_stream(tiny: Dataset) -> None:
    knobs = {"attack_rate": "uniform(0.1, 0.5)", "stock_factor": "triangular(0.2, 0.5, 1.0)"}
    first = monte_carlo_sweep(tiny, knobs, 30, 7, site_closure=0.3, station_outage=0.3)
    again = monte_carlo_sweep(tiny, knobs, 30, 7, site_closure=0.3, station_outage=0.3)
    other = monte_carlo_sweep(tiny, knobs, 30, 8, site_closure=0.3, station_outage=0.3)
    more = monte_carlo_sweep(tiny, {**knobs, "severe_share": "beta(2, 5, 0, 0.3)"}, 30, 7)
    assert first == again
    assert first != other
    assert [s.knobs["attack_rate"] for s in more.scenarios] == [s.knobs["attack_rate"] for s in first.scenarios]
    closed = [site for s in first.scenarios for site in s.closed_sites]
    outages = [station for s in first.scenarios for station in s.station_outages]
    assert set(closed) == {"ST1", "ST2"} and set(outages) == {"A1", "A2"}
    assert all(0.1 <= s.knobs["attack_rate"] <= 0.5 for s in first.scenarios)


def test_monte_carlo_whole_knobs_are_rounded_and_ranges_checked(tiny: Dataset) -> None:
    sweep = monte_carlo_sweep(tiny, {"horizon_days": "uniform(7, 28)", "rule.persons_per_room": 1}, 5, 1)
    assert all(isinstance(s.knobs["horizon_days"], int) for s in sweep.scenarios)
    assert all(s.knobs["rule.persons_per_room"] == 1 for s in sweep.scenarios)
    with pytest.raises(SweepError, match=r"attack_rate: uniform\(0.5, 1.5\) reaches outside \[0, 1\]"):
        monte_carlo_sweep(tiny, {"attack_rate": "uniform(0.5, 1.5)"}, 5, 1)
    with pytest.raises(SweepError, match=r"rule\.persons_per_room: uniform\(0, 3\) reaches outside \[1, 100\]"):
        monte_carlo_sweep(tiny, {"rule.persons_per_room": "uniform(0, 3)"}, 5, 1)  # drew rooms for nobody
    with pytest.raises(SweepError, match=r"stock_factor: uniform\(0.5, 20\) reaches outside \[0, 10\]"):
        monte_carlo_sweep(tiny, {"stock_factor": "uniform(0.5, 20)"}, 5, 1)
    with pytest.raises(SweepError, match="level: not a sweep knob"):
        monte_carlo_sweep(tiny, {"level": 1.0}, 5, 1)
    with pytest.raises(SweepError, match=r"rule\.barrier_free_for_disabled: not a number"):
        monte_carlo_sweep(tiny, {"rule.barrier_free_for_disabled": 1.0}, 5, 1)


def test_failures_at_probability_one_hit_every_candidate_and_skip_closed_sites(tiny: Dataset) -> None:
    sweep = monte_carlo_sweep(tiny, {}, 3, 0, site_closure=1.0, station_outage=1.0, base={"closed_sites": ["ST2"]})
    assert all(s.closed_sites == ("ST1",) for s in sweep.scenarios)
    assert all(s.station_outages == ("A1", "A2") for s in sweep.scenarios)
    some = monte_carlo_sweep(tiny, {}, 3, 0, station_outage=Failure(1.0, ("A2",)))
    assert all(s.station_outages == ("A2",) and s.closed_sites == () for s in some.scenarios)
    with pytest.raises(SweepError, match="unknown ids A9"):
        monte_carlo_sweep(tiny, {}, 3, 0, station_outage={"probability": 0.5, "ids": ["A9"]})
    with pytest.raises(SweepError, match=r"site_closure: expected a probability in \[0, 1\], got 1.5"):
        monte_carlo_sweep(tiny, {}, 3, 0, site_closure=1.5)
    with pytest.raises(SweepError, match="station_outage: expected a probability or"):
        monte_carlo_sweep(tiny, {}, 3, 0, station_outage={"ids": ["A1"]})


def test_sweep_files(tmp_path: Path, tiny: Dataset) -> None:
    grid_file = tmp_path / "grid.yaml"
    grid_file.write_text(
        yaml.safe_dump({"base": {"attack_rate": 0.3}, "grid": {"stock_factor": [0.5, 1.0], "level": ["severe"]}})
    )
    grid = load_grid(grid_file, {"level": "prevalent"}, tiny)
    assert grid.base == {"level": "prevalent", "attack_rate": 0.3}
    assert [s.knobs for s in grid.scenarios] == [
        {"stock_factor": 0.5, "level": "severe"},
        {"stock_factor": 1.0, "level": "severe"},
    ]
    mc_file = tmp_path / "mc.yaml"
    mc_file.write_text("attack_rate: uniform(0.1, 0.2)\nsite_closure: 1.0\nbase: {horizon_days: 7}\n")
    monte = load_monte_carlo(mc_file, tiny, 4, 3, {"level": "severe"})
    assert monte.base == {"level": "severe", "horizon_days": 7} and len(monte) == 4
    assert all(s.closed_sites == ("ST1", "ST2") for s in monte.scenarios)
    (tmp_path / "bad.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(SweepError, match="expected a mapping"):
        load_grid(tmp_path / "bad.yaml")
    with pytest.raises(SweepError, match="no such file"):
        load_grid(tmp_path / "missing.yaml")


def test_default_distributions_center_on_the_level() -> None:
    from planner.rules.scenario import make_scenario

    dists = default_distributions(make_scenario(level="severe"))
    assert dists["attack_rate"] == Distribution("triangular", (0.175, 0.35, 0.7))
    assert dists["stock_factor"] == Distribution("uniform", (0.6, 1.0))
