"""A district model built by hand for the tests of models.ambulance.greedy and models.ambulance.district."""

from __future__ import annotations

import pandas as pd

from models.ambulance.data import DistrictModelData

CAPACITY_PER_AMBULANCE = 720000
"""Scaled minutes of one ambulance-day at duty share 0.5 (thousandths of 720 minutes)."""


def lexicographic_district() -> DistrictModelData:
    """The instance of test_lexicographic_moves_before_minutes in scaled units (thousandths, 720 min/ambulance)."""
    return DistrictModelData(
        district_id="D",
        stations=pd.DataFrame({"global_station": [0, 1], "before": [1, 1], "max_after": [2, 2]}),
        stationed=2,
        homes=pd.DataFrame(
            {
                "global_home": [0, 1],
                "transfers_milli": [2000, 1000],
                "nearest_cost": [60000, 40000],
                "cheapest_arc": [0, 2],
            }
        ),
        arcs=pd.DataFrame(
            {
                "global_arc": [0, 1, 2, 3],
                "home_pos": [0, 0, 1, 1],
                "station_pos": [0, 1, 0, 1],
                "load": [600000, 700000, 300000, 400000],
                "cost": [60000, 160000, 40000, 60000],
            }
        ),
        capacity_per_ambulance=CAPACITY_PER_AMBULANCE,
    )
