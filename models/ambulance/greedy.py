"""One district's a-priori side: the greedy start plan, the objective values of a plan and the bounds.

:func:`greedy_plan` gives each district a feasible start; :func:`phase_bounds` gives what every plan obeys. Where
the two meet, a lexicographic phase is proven optimal without a solver call (:mod:`models.ambulance.district`).
Every figure is in the model's scaled integer units (:mod:`models.ambulance`).
"""

from __future__ import annotations

import numpy as np

from models.ambulance.data import DistrictModelData
from models.flow import members


def greedy_fleet(data: DistrictModelData) -> np.ndarray:
    """A fleet with the fewest moves, leaning to where homes need it.

    Keeps today's ambulances (within the caps); a growing fleet fills the stations whose nearest homes lack the most
    ambulances (every added ambulance is a move, whatever the station); a shrinking fleet thins the stations with
    the most ambulances beyond their nearest homes' need (removing is not a move).
    """
    stations, homes, arcs = data.stations, data.homes, data.arcs
    before, max_after = stations["before"], stations["max_after"]
    after = np.minimum(before, max_after)
    cheapest = homes["cheapest_arc"]
    demand = np.bincount(arcs["station_pos"][cheapest], arcs["load"][cheapest], minlength=len(stations))
    needed = np.ceil(demand / max(data.capacity_per_ambulance, 1))
    for _ in range(max(0, data.stationed - int(after.sum()))):
        shortage = np.where(after < max_after, needed - after, -np.inf)
        after[int(np.argmax(shortage))] += 1
    for _ in range(max(0, int(after.sum()) - data.stationed)):
        surplus = np.where(after > 0, after - needed, -np.inf)
        after[int(np.argmax(surplus))] -= 1
    return after.astype(np.int64)


def greedy_plan(data: DistrictModelData) -> dict[str, np.ndarray]:
    """A feasible start: :func:`greedy_fleet`, then homes by decreasing load to their nearest station with room.

    In an uncongested district this plan is already lexicographically optimal (:func:`phase_bounds` proves it).
    """
    stations, homes, arcs = data.stations, data.homes, data.arcs
    before = stations["before"]
    after = greedy_fleet(data)
    free = data.capacity_per_ambulance * after
    handshake = np.zeros(len(arcs), dtype=np.int64)
    covered = np.zeros(len(homes), dtype=np.int64)
    loads, arc_station = arcs["load"], arcs["station_pos"]
    arcs_of_home = members(arcs["home_pos"], len(homes))  # each sorted by trip
    for home_pos in np.argsort(-homes["transfers_milli"], kind="stable"):
        candidates = arcs_of_home[home_pos]
        fits = candidates[loads[candidates] <= free[arc_station[candidates]]]
        if len(fits):
            handshake[fits[0]] = covered[home_pos] = 1
            free[arc_station[fits[0]]] -= loads[fits[0]]
    return {"handshake": handshake, "covered": covered, "after": after, "moved_in": np.maximum(after - before, 0)}


def objective_values(data: DistrictModelData, values: dict[str, np.ndarray]) -> tuple[int, int, int]:
    """The three phase objectives (scaled) of a plan given by variable values."""
    homes, arcs = data.homes, data.arcs
    covered_milli = int(homes["transfers_milli"] @ values["covered"])
    moves = int(values["moved_in"].sum())
    nearest_cost = homes["nearest_cost"]
    transfer_minutes = int(arcs["cost"] @ values["handshake"] + nearest_cost @ (1 - values["covered"]))
    return covered_milli, moves, transfer_minutes


def phase_bounds(data: DistrictModelData, covered_milli: int) -> tuple[int, int, int]:
    """Bounds every plan obeys: all homes covered; the moves the fleet change forces; each home at its cheapest arc.

    The transfer-minutes bound takes the home's cheapest covering arc when every home must be covered
    (``covered_milli`` is the total), else its nearest station's trip.
    """
    homes, stations = data.homes, data.stations
    all_covered = int(homes["transfers_milli"].sum())
    kept = int(np.minimum(stations["before"], stations["max_after"]).sum())
    fewest_moves = max(0, data.stationed - kept)
    every_home = covered_milli >= all_covered
    cheapest = data.arcs["cost"][homes["cheapest_arc"]] if every_home else homes["nearest_cost"]
    return all_covered, fewest_moves, int(np.sum(cheapest))
