"""The epidemic curve: on which day of the horizon each infection happens.

Default shape: a **discretised gamma curve** per district. Infections start at day 0; the curve's mode is
the ``peak_day`` knob and 95 % of the wave has happened by ``wave_days`` (both in days from the start). The
gamma shape ``k`` and scale ``theta`` follow from the two knobs: the mode is ``(k - 1) * theta`` and the
95 % quantile ``Q(0.95; k, theta)``; their ratio falls from infinity (``k -> 1``) to 1 (``k -> inf``), so
``k`` is found by bisection. ``peak_day = 0`` gives the exponential decay (``k = 1``) with its 95 % quantile
at ``wave_days``. Day ``d`` (0-based) holds the mass of the interval ``[d, d + 1)``; the shares are scaled to
sum to 1 over the horizon, so the scenario's attack rate is the share infected *within the horizon* and the
totals of the day-by-day plan equal those of the snapshot.

A district's or a home's own forecast (``forecast`` table: ``day, district_id`` or ``home_id``,
``new_infections``) replaces the curve there: its counts, normalised over the horizon, give the days' shares
(``planner.needs.daily.home_curves``), and their total how many are infected (a district's as an incidence per
inhabitant applied to its homes' residents, ``planner.needs.daily.forecast_scale``).

Whole persons per day come from **cumulative rounding**: ``N(d) = r(total * F(d))`` with ``F`` the cumulative
share and ``r(x) = floor(x + 0.5)``; the daily counts ``N(d) - N(d - 1)`` are never negative and add up to
``r(total)`` exactly.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.special import gammaincinv
from scipy.stats import gamma

from planner.needs.rounding import round_persons

QUANTILE = 0.95
"""``wave_days`` is the day by which this share of the wave has happened."""
MAX_SHAPE = 400.0
"""Largest gamma shape tried (a wave almost all on its peak day)."""
BISECTION_STEPS = 200

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def default_peak_day(horizon_days: int) -> int:
    """The peak day when the scenario names none: the middle of the horizon."""
    return horizon_days // 2


def default_wave_days(horizon_days: int) -> int:
    """The wave's length when the scenario names none: the horizon."""
    return horizon_days


def gamma_parameters(peak_day: float, wave_days: float) -> tuple[float, float]:
    """Shape ``k`` and scale ``theta`` of the gamma curve with mode ``peak_day`` and 95 % by ``wave_days``.

    Raises
    ------
    ValueError
        When ``wave_days <= peak_day`` or ``peak_day < 0`` (no such curve).
    """
    if peak_day < 0 or wave_days <= peak_day:
        raise ValueError(f"Expected 0 <= peak_day < wave_days, got peak_day={peak_day:g}, wave_days={wave_days:g}.")
    if peak_day == 0:
        return 1.0, wave_days / -math.log(1.0 - QUANTILE)
    target = wave_days / peak_day

    def ratio(shape: float) -> float:
        return float(gammaincinv(shape, QUANTILE)) / (shape - 1.0)

    low, high = 1.0 + 1e-9, MAX_SHAPE
    if ratio(high) >= target:
        shape = high
    else:
        for _ in range(BISECTION_STEPS):
            middle = 0.5 * (low + high)
            low, high = (middle, high) if ratio(middle) > target else (low, middle)
        shape = 0.5 * (low + high)
    return shape, peak_day / (shape - 1.0)


def wave_shares(horizon_days: int, peak_day: float, wave_days: float) -> FloatArray:
    """Share of the horizon's infections on each day ``0 .. horizon_days - 1`` (sums to 1)."""
    shape, scale = gamma_parameters(peak_day, wave_days)
    cumulative = gamma.cdf(np.arange(horizon_days + 1, dtype=np.float64), shape, scale=scale)
    shares = np.diff(cumulative)
    total = float(shares.sum())
    if total <= 0.0:
        return np.full(horizon_days, 1.0 / horizon_days)
    return shares / total


def spread(totals: npt.ArrayLike, shares: FloatArray) -> IntArray:
    """Whole persons per entity and day: cumulative rounding of ``totals`` over the days by ``shares``.

    ``shares`` is one row of day shares for every entity (shape ``(days,)``) or one row per entity (shape
    ``(entities, days)``); each row should sum to 1. Row ``i`` of the result sums to ``r(totals[i])``.
    """
    totals = np.asarray(totals, dtype=np.float64)
    cumulative = np.cumsum(np.atleast_2d(shares), axis=1)
    cumulative[:, -1] = 1.0
    counts = round_persons(totals[:, None] * cumulative)
    return np.diff(counts, axis=1, prepend=0)


def spread_cumulative(cumulative_expected: FloatArray) -> IntArray:
    """Whole persons per day from expected cumulative counts (one row per entity): ``r(C(d)) - r(C(d - 1))``."""
    counts = round_persons(np.maximum.accumulate(np.asarray(cumulative_expected, dtype=np.float64), axis=1))
    return np.diff(counts, axis=1, prepend=0)


def present(arrivals: IntArray, stay_days: int) -> IntArray:
    """Persons present on each day when each stays ``stay_days`` days from arrival (day of arrival included).

    ``arrivals`` has one row per entity and one column per day; present on day ``t`` are the arrivals of
    days ``t - stay_days + 1 .. t``.
    """
    arrivals = np.atleast_2d(np.asarray(arrivals, dtype=np.int64))
    if stay_days <= 0:
        return np.zeros_like(arrivals)
    cumulative = np.cumsum(arrivals, axis=1)
    earlier = np.zeros_like(cumulative)
    if stay_days < arrivals.shape[1]:
        earlier[:, stay_days:] = cumulative[:, :-stay_days]
    return cumulative - earlier
