"""bench.mip.ambulance: the ambulance MIP on a hand-solved tiny instance."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.mip.ambulance import mip_ambulance
from bench.mip.lp import MipOptions
from models.base import Status

OPTIONS = MipOptions(time_limit_s=20.0, threads=1)


def frame(columns: list[str], rows: list[tuple[object, ...]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def test_mip_ambulance_moves_an_ambulance_to_cover_both_homes() -> None:
    # Duty share 0.5: 720 min per ambulance-day. H1 and H2 reach only A (load 5 x 100 = 500 each); A has 1
    # ambulance, B 1: moving B's to A covers both (1000 <= 1440) with one move.
    homes = frame(
        ["home_id", "district_id", "hospital_id", "daily_transfers"], [("H1", "D1", "HP", 5.0), ("H2", "D1", "HP", 5.0)]
    )
    stations = frame(
        ["station_id", "district_id", "ambulances", "max_ambulances"], [("A", "D1", 1, np.nan), ("B", "D1", 1, np.nan)]
    )
    arcs = frame(
        ["station_id", "home_id", "trip_minutes", "round_trip_minutes"],
        [("A", "H1", 30.0, 100.0), ("A", "H2", 40.0, 100.0), ("B", "H1", 130.0, 200.0)],
    )
    fleet = frame(["district_id", "ambulances_after"], [("D1", 2)])
    result = mip_ambulance(homes, stations, arcs, fleet, transfer_minutes_max=120.0, duty_share=0.5, options=OPTIONS)
    assert result.status == Status.OPTIMAL
    assert result.table("handshakes")["covered"].tolist() == [True, True]
    assert result.table("stations").set_index("station_id")["after"].to_dict() == {"A": 2, "B": 0}
    assert [p.objective for p in result.phases[:2]] == [10_000.0, 1.0]
