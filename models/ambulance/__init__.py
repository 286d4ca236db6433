"""Stage 2 — 120 fleet re-allocation and the care-home handshake (DESIGN §5.2).

Every care home gets exactly one handshake 120 station of its own district. A home is *covered* when its
station -> home -> its hospital trip is within ``transfer_minutes_max`` and the station has time for it; ambulances
may move between the stations of one district. The model decomposes by district (homes, stations and fleet of one
district only) and is solved with CP-SAT, one district at a time.

Sets (per district d)
---------------------
H        care homes of d with a positive daily transfer load and at least one usable covering arc (the model homes)
S        120 stations of d
A        covering arcs (h, s): trip_minutes[h, s] <= transfer_minutes_max and the load fits s's most ambulances

Data
----
transfers_milli[h]     = max(1, rint(1000 * daily_transfers[h]))  (CP-SAT needs integers: daily transfers are counted
                         in thousandths; every figure is reported back in transfers per day)
load[h, s]             = ceil(1000 * daily_transfers[h] * round_trip_minutes[h, s])  (rounded up, so the true workload
                         never exceeds the capacity), round trip = station -> home -> hospital -> station
capacity_per_ambulance = floor(1000 * 24 * 60 * duty_share)
before[s]              ambulances at s today;  fleet[d] = ambulances_after of d (``r(fleet_factor * today)``)
max_after[s]           = min(max_ambulances[s], fleet[d])  (no cap: fleet[d])
stationed[d]           = min(fleet[d], sum_s max_after[s])  (the caps may not hold the whole fleet: the rest is
                         reported as ``unstationed``, a named shortfall that keeps the model feasible)
cost[h, s]             = rint(1000 * daily_transfers[h] * trip_minutes[h, s]); nearest_cost[h] that of h's nearest
                         station (uncovered homes keep their nearest station, their trips count as constants)

Variables
---------
handshake[h, s] in {0, 1}              for (h, s) in A: s covers h
covered[h] in {0, 1}                   h has a covering station
ambulances_after[s] in [0, max_after]  integer
moved_in[s] >= 0                       integer, ambulances brought to s

Constraints
-----------
(1) one covering station:  sum_s handshake[h, s] = covered[h]                                    for h in H
(2) station workload:      sum_h load[h, s] * handshake[h, s] <= capacity_per_ambulance * ambulances_after[s]
(3) district fleet:        sum_s ambulances_after[s] = stationed[d]
(4) station cap:           ambulances_after[s] <= max_ambulances[s]                              where capped
(5) moves:                 moved_in[s] >= ambulances_after[s] - before[s]

Lexicographic objective (exact: each phase's optimum is fixed as a constraint of the next; each phase is hinted
with the previous solution)
--------------------------------------------------------------------------------------------------------------------
(i)   maximise covered daily transfers      sum_h transfers_milli[h] * covered[h]
(ii)  minimise ambulance moves              sum_s moved_in[s]
(iii) minimise transfer-minutes             sum_A cost[h, s] * handshake[h, s]
                                            + sum_h nearest_cost[h] * (1 - covered[h])

Solution strategy
-----------------
Each district starts from a greedy plan (fewest-moves fleet leaning to where the homes are, then homes by
decreasing load to their nearest station with room). Each phase first compares the current plan with an a-priori
bound (every home covered; the moves a growing fleet forces, ``max(0, stationed - sum_s min(before, max_after))``;
every home at its cheapest covering arc, or at its nearest station's trip when not every home can be covered):
when they meet, the phase is proven optimal without a solver call (an uncongested district never builds its
model). Otherwise CP-SAT solves the phase, hinted with the current plan. The stage's time limit is split over the
districts by size (unused time passes on) and within a district over its remaining phases; past the limit a
district keeps its current plan (``feasible``, bound = the a-priori one). Phase status = worst over districts;
objectives are the plan's exact figures in original units, bounds the sum of the districts' (scaled back).

Homes outside the model are constants: a home without a positive load but with an in-limit station is covered by
its nearest in-limit station (one with ambulances after the plan when there is one) at no workload; a home with no
in-limit arc gets its nearest station and reason ``no_station_in_reach``; a home whose in-limit stations could not
hold its load even with their most ambulances is uncovered with reason ``station_workload``.

Output tables
-------------
``stations``   station_id, district_id, before, after, max_ambulances, moved_in, workload_minutes,
               capacity_minutes (= after * 24 * 60 * duty_share), covered_homes
``handshakes`` home_id, district_id, station_id, hospital_id, trip_minutes, round_trip_minutes, daily_transfers,
               covered, reason ("" | "no_station_in_reach" | "station_workload"), binding_stations (comma-separated
               in-limit stations whose free time is shorter than the home's round trips; "" otherwise)
``districts``  district_id, fleet_before, fleet_after, unstationed, moves, covered_daily_transfers,
               daily_transfers, status

Modules
-------
:mod:`models.ambulance.data`      the input tables prepared once, sliced into each district's model data
:mod:`models.ambulance.greedy`    a district's greedy start plan, its objective values and the a-priori bounds
:mod:`models.ambulance.district`  a district's CP-SAT model (constraints (1)-(5)) and its lexicographic phases
:mod:`models.ambulance.stage`     :func:`solve_ambulance`: every district in turn, the output tables and phases
"""

from models.ambulance.stage import solve_ambulance

__all__ = ["solve_ambulance"]
