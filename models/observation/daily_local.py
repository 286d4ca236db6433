"""Closing candidates a day-by-day plan opened and moving persons nearer: a local search for the cost phase.

When the cost phase has no LP to choose sites from (the province), its plan opens every candidate the unmet phase's
plan used. **Close**: the open candidates in order of the persons they hold (fewest first); each one's persons are
moved, cohort by cohort, to the cheapest other open sites with room on every day of their stay; the candidate is
closed when all of them fit and the minutes added are less than its opening cost. The plan stays a plan: occupancy
stays within the places of open sites on every day, no person is left unmet who was placed, and a street keeps the
candidates its minimum asks for (4). Then **move**: the columns placed further than their group's nearest open
site, most minutes to save first, each to the cheapest open sites with room on every day of its stay. It is a
heuristic: the plan's cost only goes down. Province, 14 days (closing alone):
prevalent 7.09 -> 2.69 million (230 -> 57 candidates open) in 0.4 s; severe, where nearly every place is taken,
7.94 -> 7.77 million.
"""

from __future__ import annotations

import time

import numpy as np

from models.flow import members
from models.observation.daily import DailyModel, FloatArray, with_street_minimums
from models.observation.instance import IntArray


def close_candidates(model: DailyModel, values: FloatArray, deadline: float) -> FloatArray:
    """``values`` with the candidates closed whose persons fit elsewhere at less than their opening cost (module
    docstring); the moved persons' pairs enter the model as columns."""
    free = len(model.free_sites)
    placed = np.rint(values[model.base_columns :]).astype(np.int64)
    if not free or not placed.any():
        return values
    column_site = model.instance.arc_site[model.pair_arc[model.columns]]
    open_sites = model.fixed_open > 0.5
    open_sites[model.free_sites] = values[:free] > 0.5
    search = _Search(model, placed, with_street_minimums(model, open_sites))
    held = np.bincount(column_site, weights=placed, minlength=model.site_count)
    candidates = model.free_sites[open_sites[model.free_sites]]
    for site in candidates[np.argsort(held[candidates], kind="stable")]:
        if time.perf_counter() >= deadline:
            break
        if search.street_allows_closing(site):
            search.try_closing(site, np.flatnonzero((column_site == site) & (search.placed > 0)))
    for column in search.columns_to_move():
        if time.perf_counter() >= deadline:
            break
        search.try_moving(int(column))
    moves = search.moves()
    if not moves:
        return values
    moved_cohort, moved_arc, moved = (np.array(column, np.int64) for column in zip(*moves, strict=True))
    pairs = model.pairs_of(moved_cohort, moved_arc)
    model.add_pairs(pairs)
    result = model.padded(values)
    result[model.base_columns : model.base_columns + len(search.placed)] = search.placed
    np.add.at(result, model.base_columns + model.column_of(pairs), moved)
    result[:free] = search.open_sites[model.free_sites]
    return result


class _Search:
    """The plan being improved: persons per column, open sites, occupancy per site and day, and the persons moved
    (per site they were moved to: (cohort, arc) -> persons; they leave again when that site closes)."""

    def __init__(self, model: DailyModel, placed: IntArray, open_sites: np.ndarray) -> None:
        self.model, self.placed, self.open_sites = model, placed.copy(), open_sites.copy()
        instance, cohorts = model.instance, model.cohorts
        self.cohort = model.pair_cohort[model.columns].astype(np.int64)
        self.arc = model.pair_arc[model.columns].astype(np.int64)
        self.minutes = instance.arcs["minutes"].to_numpy(float)
        self.opening = instance.sites["opening_cost"].to_numpy(float)
        self.arcs_of = members(instance.arc_group, len(instance.groups))
        # read once: the instance's and the cohorts' properties build their arrays anew at every call (the province's
        # 60 days: 7,355 calls of ``Cohorts.end`` took 1.1 s of the closing's 1.5 s)
        self.arc_site, self.capacity = instance.arc_site, instance.capacity
        self.arrival, self.end = cohorts.arrival, cohorts.end
        self.load = cohorts.present(self.cohort, self.arc_site[self.arc], placed, model.site_count)
        self.moved_in: dict[int, dict[tuple[int, int], int]] = {}
        self.street_row = np.full(len(model.free_sites), -1)  # per free candidate: its choice street's row (4)
        for row, (positions, _) in enumerate(model.street_rows):
            self.street_row[positions] = row

    def street_allows_closing(self, site: int) -> bool:
        """Whether the site's street keeps its minimum of candidates open without it (4)."""
        position = int(self.model.candidate_position[site])
        if position < 0 or self.street_row[position] < 0:
            return True
        positions, deficit = self.model.street_rows[self.street_row[position]]
        return int(self.open_sites[self.model.free_sites[positions]].sum()) - 1 >= deficit

    def try_closing(self, site: int, columns: IntArray) -> None:
        """Close ``site`` when every person there (those of ``columns`` and those moved there before) fits at other
        open sites for less than its opening."""
        here = [(int(self.cohort[column]), int(self.arc[column]), int(self.placed[column])) for column in columns]
        here += [(cohort, arc, persons) for (cohort, arc), persons in self.moved_in.get(site, {}).items()]
        load = self.load.copy()
        for cohort, _, persons in here:
            load[site, self._days(cohort)] -= persons
        capacity = self.capacity * self.open_sites
        capacity[site] = 0
        moves: list[tuple[int, int, int]] = []
        added = 0.0
        for cohort, arc, persons in here:
            found = self._moved(cohort, persons, load, capacity)
            if found is None:
                return
            moves += found
            added += sum(self.minutes[to] * moved for _, to, moved in found) - self.minutes[arc] * persons
        if added >= self.opening[site]:
            return
        self.load, self.open_sites[site] = load, False
        self.placed[columns] = 0
        self.moved_in.pop(site, None)
        self._record(moves)

    def columns_to_move(self) -> IntArray:
        """Columns placed further than their group's nearest open site, the most minutes to save first."""
        instance = self.model.instance
        open_arc = self.open_sites[instance.arc_site]
        nearest = np.full(len(instance.groups), np.inf)
        np.minimum.at(nearest, instance.arc_group[open_arc], self.minutes[open_arc])
        saving = (self.minutes[self.arc] - nearest[instance.arc_group[self.arc]]) * self.placed
        chosen = np.flatnonzero(saving > 0)
        return chosen[np.argsort(-saving[chosen], kind="stable")]

    def try_moving(self, column: int) -> None:
        """Move the column's persons to the cheapest open sites with room on every day of their stay (their own
        site among them) when that costs fewer minutes."""
        site, cohort = self.arc_site[self.arc[column]], int(self.cohort[column])
        persons, days = int(self.placed[column]), self._days(cohort)
        if not persons:
            return
        self.load[site, days] -= persons
        capacity = self.capacity * self.open_sites
        found = self._moved(cohort, persons, self.load, capacity)
        before = self.minutes[self.arc[column]] * persons
        if found is not None and sum(self.minutes[arc] * moved for _, arc, moved in found) < before - 1e-9:
            self.placed[column] = 0
            self._record(found)
            return
        for _, arc, moved in found or []:
            self.load[self.arc_site[arc], days] -= moved
        self.load[site, days] += persons

    def moves(self) -> list[tuple[int, int, int]]:
        """Every (cohort, arc, persons) moved and still where it was moved to."""
        return [(cohort, arc, persons) for held in self.moved_in.values() for (cohort, arc), persons in held.items()]

    def _record(self, moves: list[tuple[int, int, int]]) -> None:
        for cohort, arc, persons in moves:
            held = self.moved_in.setdefault(int(self.arc_site[arc]), {})
            held[(cohort, arc)] = held.get((cohort, arc), 0) + persons

    def _days(self, cohort: int) -> slice:
        """The days of the cohort's stay."""
        return slice(int(self.arrival[cohort]), int(self.end[cohort]))

    def _moved(
        self, cohort: int, persons: int, load: IntArray, capacity: IntArray
    ) -> list[tuple[int, int, int]] | None:
        """``persons`` of ``cohort`` at the cheapest open sites with room on every day of their stay (``load``
        updated), or None when they do not all fit."""
        days = self._days(cohort)
        arcs = self.arcs_of[int(self.model.cohorts.group[cohort])]
        sites = self.arc_site[arcs]
        room = capacity[sites] - load[sites, days].max(axis=1, initial=0)
        left, found = persons, []
        for index in np.argsort(self.minutes[arcs], kind="stable"):
            if room[index] <= 0:
                continue
            take = min(left, int(room[index]))
            load[sites[index], days] += take
            found.append((cohort, int(arcs[index]), take))
            left -= take
            if not left:
                return found
        return None
