"""The epidemic curve: gamma parameters from peak and length, shares, cumulative rounding, persons present."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import gamma

from planner.needs.curve import gamma_parameters, present, spread, wave_shares


@pytest.mark.parametrize(("peak", "wave"), [(7, 14), (3, 20), (10, 12), (1, 2)])
def test_gamma_parameters_put_the_mode_on_the_peak_and_95_percent_by_the_wave_end(peak: int, wave: int) -> None:
    shape, scale = gamma_parameters(peak, wave)
    assert (shape - 1) * scale == pytest.approx(peak, rel=1e-6)
    assert gamma.cdf(wave, shape, scale=scale) == pytest.approx(0.95, abs=1e-6)


def test_a_peak_on_day_zero_is_an_exponential_decay() -> None:
    shape, scale = gamma_parameters(0, 10)
    assert shape == 1.0 and gamma.cdf(10, shape, scale=scale) == pytest.approx(0.95)


@pytest.mark.parametrize(("peak", "wave"), [(5, 5), (6, 3), (-1, 4)])
def test_no_curve_without_a_wave_after_its_peak(peak: int, wave: int) -> None:
    with pytest.raises(ValueError, match="peak_day < wave_days"):
        gamma_parameters(peak, wave)


def test_shares_sum_to_one_and_peak_near_the_peak_day() -> None:
    shares = wave_shares(28, 10, 24)
    assert shares.sum() == pytest.approx(1.0) and (shares >= 0).all()
    assert abs(int(np.argmax(shares)) - 10) <= 1


def test_cumulative_rounding_by_hand() -> None:
    # 5 persons over shares 0.1, 0.4, 0.5: cumulative 0.5 -> 1 (r(0.5) = 1), 2.5 -> 3, 5 -> 5
    assert spread([5], np.array([0.1, 0.4, 0.5])).tolist() == [[1, 2, 2]]


def test_present_counts_the_arrivals_of_the_last_stay_days() -> None:
    # arrivals 2 on day 0 and 1 on day 2, staying 2 days: present 2, 2, 1, 1, 0
    assert present(np.array([[2, 0, 1, 0, 0]]), 2).tolist() == [[2, 2, 1, 1, 0]]


@settings(max_examples=60, deadline=None)
@given(
    totals=st.lists(st.integers(0, 500), min_size=1, max_size=6),
    horizon=st.integers(1, 60),
    peak=st.integers(0, 30),
    extra=st.integers(1, 40),
)
def test_spread_keeps_every_total_and_never_goes_negative(
    totals: list[int], horizon: int, peak: int, extra: int
) -> None:
    daily = spread(totals, wave_shares(horizon, peak, peak + extra))
    assert daily.shape == (len(totals), horizon)
    assert (daily >= 0).all() and daily.sum(axis=1).tolist() == totals


@settings(max_examples=40, deadline=None)
@given(arrivals=st.lists(st.integers(0, 9), min_size=1, max_size=30), stay=st.integers(1, 40))
def test_present_never_exceeds_all_arrivals_so_far(arrivals: list[int], stay: int) -> None:
    found = present(np.array([arrivals]), stay)[0]
    assert (found <= np.cumsum(arrivals)).all() and (found >= 0).all()
    if stay >= len(arrivals):
        assert found.tolist() == np.cumsum(arrivals).tolist()
