"""The generated sample frames, cached across the sample tests, and the designated-hospital reach check."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from planner.dataset.sample import generate
from planner.dataset.sample_geography import BEIJING, road_minutes
from planner.dataset.sample_institutions import DESIGNATED_REACH_MINUTES, STREET_REACH_MINUTES


@cache
def sample_frames(scale: str, seed: int = 7) -> dict[str, pd.DataFrame]:
    """``generate(scale, seed)``, generated once per test session (do not edit the frames)."""
    return generate(scale, seed)


def city() -> dict[str, pd.DataFrame]:
    return sample_frames("city")


def check_designated_reach(frames: dict[str, pd.DataFrame], street_minutes: float = STREET_REACH_MINUTES) -> None:
    """Every seat within the hour; every street within ``street_minutes`` of a designated hospital.

    The street bound is best effort in the generator (the hospital nearest a far street is designated):
    for any seed, test it against the 120-minute transfer rule; for the committed seed, against 90.
    """
    districts, hospitals = frames["districts"], frames["hospitals"]
    designated = hospitals[hospitals["designated"]]
    speed = districts["speed_kmh"].to_numpy()
    seats = districts["district_id"].map({d.code: (d.lat, d.lon) for d in BEIJING})
    seat_lat, seat_lon = np.array([s[0] for s in seats]), np.array([s[1] for s in seats])
    args = (designated["lat"].to_numpy(), designated["lon"].to_numpy())
    minutes, _ = road_minutes(seat_lat, seat_lon, speed, *args)
    assert (minutes[:, 0] <= DESIGNATED_REACH_MINUTES).all()
    streets = frames["streets"]
    street_speed = streets["district_id"].map(dict(zip(districts["district_id"], speed, strict=True))).to_numpy()
    minutes, _ = road_minutes(streets["lat"].to_numpy(), streets["lon"].to_numpy(), street_speed, *args)
    assert (minutes[:, 0] <= street_minutes).all()
