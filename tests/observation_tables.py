"""Small inputs for the observation models' tests: barrier-free sites ``X0, X1, ...``, and a day-by-day stage
as if no LP finished in time (the province's route on tiny instances).

Use it as ``from observation_tables import site_table`` (pytest puts ``tests/`` on the path).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from unittest.mock import patch

import numpy as np
import pandas as pd

from models.base import Beside, SolveOptions, StageResult
from models.observation import daily_solve, daily_stage


def site_table(
    rooms: list[int],
    status: list[str] | None = None,
    opening: list[float] | None = None,
    streets: list[str] | None = None,
) -> pd.DataFrame:
    """Sites ``X0, X1, ...`` with ``rooms``, barrier-free; open, at no opening cost, on street ``S`` unless said."""
    count = len(rooms)
    return pd.DataFrame(
        {
            "site_id": [f"X{site}" for site in range(count)],
            "street_id": streets or ["S"] * count,
            "rooms": rooms,
            "barrier_free": [True] * count,
            "status": status or ["open"] * count,
            "opening_cost": opening or [0.0] * count,
        }
    )


@contextmanager
def without_an_lp() -> Iterator[None]:
    """Every priced LP of the day-by-day stage as if stopped by its time limit (no values, no bound), and every
    model treated as too large for its LP: the route of the province."""
    real = daily_solve._priced_lp

    def unfinished(model: Any, deadline: float) -> Any:
        lp = real(model, deadline)
        return replace(lp, solved=False, priced=False, values=np.zeros_like(lp.values))

    with patch.object(daily_stage, "AT_THE_BOUNDS_MAX_PAIRS", 0), patch.object(daily_solve, "_priced_lp", unfinished):
        yield


def solve_daily(
    cohorts: pd.DataFrame,
    sites: pd.DataFrame,
    arcs: pd.DataFrame,
    horizon_days: int,
    sites_per_street_min: int = 0,
    barrier_free_for_disabled: bool = False,
    beside: Beside | None = None,
) -> StageResult:
    """``solve_daily_observation`` with one person per room and 10 s: the hand instances' settings."""
    return daily_stage.solve_daily_observation(
        cohorts,
        sites,
        arcs,
        horizon_days=horizon_days,
        persons_per_room=1,
        sites_per_street_min=sites_per_street_min,
        barrier_free_for_disabled=barrier_free_for_disabled,
        options=SolveOptions(time_limit_s=10),
        beside=beside,
    )
