"""bench.mip.nursing: the nursing MIP serves the tiers in order on a hand-solved tiny instance."""

from __future__ import annotations

import pandas as pd
import pytest

from bench.mip.lp import MipOptions
from bench.mip.nursing import mip_nursing
from models.base import Status

OPTIONS = MipOptions(time_limit_s=20.0, threads=1)


def frame(columns: list[str], rows: list[tuple[object, ...]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def test_mip_nursing_serves_tiers_in_order() -> None:
    # 3 nurses; two 1:1 needs far away (30, 40 min), backfill C1 (5 min) and C2 (9 min): both 1:1 first, the
    # last nurse to the nearer backfill. Cost 30 + 40 + 5 = 75.
    pools = frame(["pool_id", "district_id", "nurses"], [("P1", "A", 3)])
    needs = frame(
        ["need_id", "destination_id", "need", "district_id", "required"],
        [
            ("transfer_1to1:H1", "H1", "transfer_1to1", "A", 1),
            ("transfer_1to1:H2", "H2", "transfer_1to1", "A", 1),
            ("backfill:C1", "C1", "backfill", "A", 1),
            ("backfill:C2", "C2", "backfill", "A", 1),
        ],
    )
    arcs = frame(
        ["pool_id", "need_id", "minutes"],
        [
            ("P1", "transfer_1to1:H1", 30.0),
            ("P1", "transfer_1to1:H2", 40.0),
            ("P1", "backfill:C1", 5.0),
            ("P1", "backfill:C2", 9.0),
        ],
    )
    result = mip_nursing(pools, needs, arcs, crossing_penalty_minutes=60.0, options=OPTIONS)
    assert result.status == Status.OPTIMAL
    assert result.table("needs").set_index("need_id")["assigned"].to_dict() == {
        "transfer_1to1:H1": 1,
        "transfer_1to1:H2": 1,
        "backfill:C1": 1,
        "backfill:C2": 0,
    }
    assert result.phases[-1].objective == pytest.approx(75.0)
