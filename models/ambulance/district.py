"""One district's CP-SAT model and its lexicographic phases.

The constraint families (1)-(5) of :mod:`models.ambulance` as ``add_<family>`` functions, the model with its
three phase objectives, and :func:`solve_district`: the phases in order from the greedy plan, each proven by the
a-priori bound where it can be (:mod:`models.ambulance.greedy`), otherwise solved by CP-SAT hinted with the
current plan and fixed as a constraint of the next.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.ambulance.data import Columns, DistrictModelData
from models.ambulance.greedy import greedy_plan, objective_values, phase_bounds
from models.base import SolveOptions, Status, cp_sat_solver, cp_sat_status
from models.flow import members

MIN_PHASE_SECONDS = 0.05
"""Shortest CP-SAT call worth making (below it presolve alone does not finish on a district)."""

PHASES: tuple[tuple[str, str], ...] = (
    ("covered_daily_transfers", "max"),
    ("ambulance_moves", "min"),
    ("transfer_minutes", "min"),
)


@dataclass(frozen=True)
class PhaseOutcome:
    """What one phase's solve proved for one district, in scaled (integer) units."""

    status: Status
    objective: float
    bound: float
    solved: bool = False
    """True when CP-SAT was called (False: proven by the a-priori bound, or past the deadline)."""


@dataclass(frozen=True)
class DistrictSolution:
    """Ambulances per station, the covering arc per model home (-1 = uncovered), what each phase proved, and the
    final plan's three (scaled) objectives, and how many CP-SAT calls it took."""

    after: np.ndarray
    arc_chosen: np.ndarray
    phases: tuple[PhaseOutcome, ...]
    final: tuple[int, int, int]
    solver_calls: int = 0


# --------------------------------------------------------------------------------------------------------------------
# Constraint families
# --------------------------------------------------------------------------------------------------------------------


def add_one_covering_station(model: Any, handshake: pd.Series, covered: pd.Series, arcs: Columns) -> None:
    """(1) ``sum_s handshake[h, s] = covered[h]``: a home has at most one covering station."""
    from ortools.sat.python import cp_model

    handshake_vars = handshake.to_numpy()
    covered_vars = covered.to_numpy()
    for home_pos, arc_pos in enumerate(members(arcs["home_pos"], len(covered_vars))):
        model.add(cp_model.LinearExpr.sum(list(handshake_vars[arc_pos])) == covered_vars[home_pos])


def add_station_workload(
    model: Any, handshake: pd.Series, ambulances_after: pd.Series, arcs: Columns, capacity_per_ambulance: int
) -> None:
    """(2) ``sum_h load[h, s] * handshake[h, s] <= capacity_per_ambulance * ambulances_after[s]``."""
    from ortools.sat.python import cp_model

    handshake_vars = handshake.to_numpy()
    after_vars = ambulances_after.to_numpy()
    loads = arcs["load"]
    for station_pos, arc_pos in enumerate(members(arcs["station_pos"], len(after_vars))):
        if len(arc_pos):
            workload = cp_model.LinearExpr.weighted_sum(list(handshake_vars[arc_pos]), loads[arc_pos].tolist())
            model.add(workload <= capacity_per_ambulance * after_vars[station_pos])


def add_district_fleet(model: Any, ambulances_after: pd.Series, stationed: int) -> None:
    """(3) ``sum_s ambulances_after[s] = stationed[d]``."""
    from ortools.sat.python import cp_model

    model.add(cp_model.LinearExpr.sum(list(ambulances_after)) == stationed)


def add_station_caps(model: Any, ambulances_after: pd.Series, max_after: np.ndarray) -> None:
    """(4) ``ambulances_after[s] <= max_ambulances[s]`` (with the fleet as the cap where there is none)."""
    for after_var, cap in zip(ambulances_after, max_after.tolist(), strict=True):
        model.add(after_var <= cap)


def add_moves(model: Any, moved_in: pd.Series, ambulances_after: pd.Series, before: np.ndarray) -> None:
    """(5) ``moved_in[s] >= ambulances_after[s] - before[s]`` (and ``moved_in >= 0`` by its domain)."""
    for moved_var, after_var, today in zip(moved_in, ambulances_after, before.tolist(), strict=True):
        model.add(moved_var >= after_var - today)


# --------------------------------------------------------------------------------------------------------------------
# The model and its phases
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DistrictModel:
    """One district's CP-SAT model: its variables by family and its three phase objectives."""

    model: Any
    variables: dict[str, pd.Series]
    objectives: tuple[Any, Any, Any]


def build_district_model(data: DistrictModelData) -> DistrictModel:
    """Variables, constraints (1)-(5) and the three lexicographic objectives of one district."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    stations, homes, arcs = data.stations, data.homes, data.arcs
    handshake = model.new_bool_var_series("handshake", arcs.index)
    covered = model.new_bool_var_series("covered", homes.index)
    ambulances_after = model.new_int_var_series("ambulances_after", stations.index, 0, max(data.stationed, 0))
    moved_in = model.new_int_var_series("moved_in", stations.index, 0, max(data.stationed, 0))

    add_one_covering_station(model, handshake, covered, arcs)
    add_station_workload(model, handshake, ambulances_after, arcs, data.capacity_per_ambulance)
    add_district_fleet(model, ambulances_after, data.stationed)
    add_station_caps(model, ambulances_after, stations["max_after"])
    add_moves(model, moved_in, ambulances_after, stations["before"])

    objectives = (
        cp_model.LinearExpr.weighted_sum(list(covered), homes["transfers_milli"].tolist()),
        cp_model.LinearExpr.sum(list(moved_in)),
        cp_model.LinearExpr.weighted_sum(list(handshake), arcs["cost"].tolist())
        - cp_model.LinearExpr.weighted_sum(list(covered), homes["nearest_cost"].tolist())
        + int(homes["nearest_cost"].sum()),
    )
    variables = {"handshake": handshake, "covered": covered, "after": ambulances_after, "moved_in": moved_in}
    return DistrictModel(model, variables, objectives)


def solve_district(
    data: DistrictModelData, options: SolveOptions, district_deadline: float, stage_deadline: float
) -> DistrictSolution:
    """Solve the three lexicographic phases of one district in sequence, from the greedy plan.

    A phase whose current plan already meets its a-priori bound (:func:`~models.ambulance.greedy.phase_bounds`)
    is proven optimal without a solver call, so an uncongested district never builds its model. Otherwise the
    model is built once, each phase is hinted with the previous plan and its achieved value fixed as a constraint
    of the next. Past the stage's deadline the current plan is kept (``feasible``).
    """
    values = greedy_plan(data)
    district: DistrictModel | None = None
    achieved: list[int] = []
    outcomes: list[PhaseOutcome] = []
    for phase_index, (_, sense) in enumerate(PHASES):
        start_value = objective_values(data, values)[phase_index]
        bound = phase_bounds(data, objective_values(data, values)[0])[phase_index]
        now = time.perf_counter()
        if start_value == bound:
            outcomes.append(PhaseOutcome(Status.OPTIMAL, float(start_value), float(bound)))
        elif now >= stage_deadline:
            outcomes.append(PhaseOutcome(Status.FEASIBLE, float(start_value), float(bound)))
        else:
            if district is None:
                district = build_district_model(data)
                for fixed_index, fixed_value in enumerate(achieved):
                    fix_phase(district, fixed_index, fixed_value)
            share = (district_deadline - now) / (len(PHASES) - phase_index)
            seconds = min(max(MIN_PHASE_SECONDS, share), stage_deadline - now)
            outcome, solved = solve_phase(district, phase_index, values, options, seconds)
            if solved is not None:
                # an unfinished phase may leave slack in moved_in: count only the ambulances really brought in
                values = {**solved, "moved_in": np.maximum(solved["after"] - data.stations["before"], 0)}
            outcome = clamp_bound(outcome, sense, float(start_value), float(bound))
            outcomes.append(outcome)
        achieved.append(objective_values(data, values)[phase_index])
        if district is not None:
            fix_phase(district, phase_index, achieved[-1])

    arc_chosen = np.full(len(data.homes), -1, dtype=np.int64)
    chosen_arcs = np.flatnonzero(values["handshake"])
    arc_chosen[data.arcs["home_pos"][chosen_arcs]] = chosen_arcs
    solver_calls = sum(outcome.solved for outcome in outcomes)
    return DistrictSolution(values["after"], arc_chosen, tuple(outcomes), objective_values(data, values), solver_calls)


def fix_phase(district: DistrictModel, phase_index: int, value: int) -> None:
    """Keep a solved phase's value in the later phases (exact lexicographic order)."""
    objective = district.objectives[phase_index]
    if PHASES[phase_index][1] == "max":
        district.model.add(objective >= value)
    else:
        district.model.add(objective <= value)


def solve_phase(
    district: DistrictModel, phase_index: int, values: dict[str, np.ndarray], options: SolveOptions, seconds: float
) -> tuple[PhaseOutcome, dict[str, np.ndarray] | None]:
    """One CP-SAT solve of phase ``phase_index`` hinted with ``values``; the new plan when the solver found one."""
    from ortools.sat.python import cp_model

    model, objective = district.model, district.objectives[phase_index]
    set_hints(model, district.variables, values)
    if PHASES[phase_index][1] == "max":
        model.maximize(objective)
    else:
        model.minimize(objective)
    solver = cp_sat_solver(options, seconds)
    code = solver.solve(model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        status = Status.FEASIBLE if code == cp_model.UNKNOWN else cp_sat_status(code)
        return PhaseOutcome(status, math.nan, math.nan, solved=True), None
    solved = {name: solver.values(var).to_numpy().astype(np.int64) for name, var in district.variables.items()}
    value = float(solver.objective_value)
    bound = value if code == cp_model.OPTIMAL else float(solver.best_objective_bound)
    return PhaseOutcome(cp_sat_status(code), value, bound, solved=True), solved


def set_hints(model: Any, variables: dict[str, pd.Series], values: dict[str, np.ndarray]) -> None:
    """Hint every variable with the current plan (written to the proto in one go)."""
    model.clear_hints()
    hint = model.proto.solution_hint
    for name, series in variables.items():
        hint.vars.extend([var.index for var in series])
        hint.values.extend(values[name].tolist())


def clamp_bound(outcome: PhaseOutcome, sense: str, kept: float, a_priori: float) -> PhaseOutcome:
    """Keep the previous plan's objective when the solver found none; tighten the bound by the a-priori one.

    The bound never lies on the wrong side of the objective.
    """
    objective = kept if math.isnan(outcome.objective) else outcome.objective
    if outcome.status == Status.OPTIMAL:
        return PhaseOutcome(outcome.status, objective, objective, outcome.solved)
    solver_bound = outcome.bound
    if sense == "max":
        bound = max(objective, a_priori if not math.isfinite(solver_bound) else min(solver_bound, a_priori))
    else:
        bound = min(objective, a_priori if not math.isfinite(solver_bound) else max(solver_bound, a_priori))
    return PhaseOutcome(outcome.status, objective, bound, outcome.solved)
