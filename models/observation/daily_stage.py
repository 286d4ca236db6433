"""``solve_daily_observation``: the day-by-day observation model's phases in order, then its tables.

Formulation and method: ``models.observation.daily``.
"""

from __future__ import annotations

import time
from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd

from models.base import Beside, Phase, SolveOptions, StageResult, Status, stopwatch
from models.observation.daily import (
    RELATIVE_TOLERANCE,
    SEEDED_START_ARCS,
    Cohorts,
    DailyModel,
    PhaseOutcome,
    outcome,
    start_pairs,
)
from models.observation.daily_bounds import (
    cost_lower_bound,
    opening_per_place,
    site_roles,
    unmet_lower_bounds,
    weighted_unmet,
)
from models.observation.daily_merge import merge_cohorts, spread
from models.observation.daily_rolling import RollingPlan, rolling_plan
from models.observation.daily_seed import peak_day_pairs
from models.observation.daily_solve import solve_phase
from models.observation.instance import DEFAULT_OPTIONS, STAGE, Instance, prepare
from models.observation.tables import assignments_table, empty_tables, sites_table, streets_table, unmet_table

COHORT_COLUMNS = ["home_id", "group", "cause", "arrival_day", "stay_days", "persons"]
STAY_COLUMNS = ["home_id", "group", "cause", "site_id", "arrival_day", "departure_day", "persons"]
OCCUPANCY_COLUMNS = ["site_id", "day", "persons", "persons_disabled", "capacity"]
UNMET_SHARE = 0.6
"""Share of the time limit the unmet phases (i)-(ii) may use; the cost phase gets the rest."""
AT_THE_BOUNDS_MAX_PAIRS = 1_500_000
"""Pairs (cohort, arc) above which the phases are not first tried as one model (:func:`_at_the_unmet_bounds`): its
priced LP must finish to be of use (the city has 0.4 million pairs, the province 5.4 million)."""
DISABLED_SHARE = 0.3
"""Share of the time limit the disabled cohorts' own model may use where the whole model's LP is not expected to
finish (:func:`_disabled_first`)."""
DISABLED_COHORTS_PER_SECOND = 20_000
"""Disabled cohorts whose own model (:func:`_disabled_first`) is solved in a second, about (2-core Intel Xeon,
prevalent/severe, 14 days): the province's 22,453 in 1.1 s, the national sample's 75,875 in 3.8 s."""
OFFSET_PRECISION = 1e-12
"""Share of its penalty offset to which the weighted model's LP value is taken to be exact. Float64 resolves a
sum to about 1e-16 of its size; in a city wave of 441,371 persons on one day (most unmet, an offset of 2.7e15)
HiGHS's value was 13 minutes above the plan (4.8e-15 of the offset); the samples' offsets stay below 1.3e8."""
CLOSING_SHARE = 0.2
"""Share of the time limit the cost phase keeps, after its LP stops, for closing candidates where that LP has not
finished (``models.observation.daily_local``; the province, 14 days: 1.7 s). Before, the closing ran up to 2 s past
the phase's deadline: the province's stage took 11.7 s with a 10 s limit. Where the cost phase's LP cannot finish
(:func:`_cost_lp_hopeless`) it is not started and the closing takes the phase's whole time: a HiGHS run on the
province's 60 days ran 2.5 s past a 0.7 s limit, outside its simplex iterations, and left the closing nothing."""
MODEL_PAIRS_PER_SECOND = 2_500_000
"""Pairs (cohort, arc) of the phases' model HiGHS is given in a second, about, before its LP can start (2-core Intel
Xeon: the national sample's 6.5 million in 2.4 s). Where that would pass the unmet phase's deadline, no LP starts in
either phase and HiGHS is not given the model (:func:`_phase_model`)."""
MIP_SHARE = 0.25
"""Share of the time limit each phase's MIP may use after its priced LP: the LP bound and a repaired plan come
first, the MIP improves the plan within this budget (a longer limit buys proofs on hard instances)."""


def daily_tables() -> dict[str, pd.DataFrame]:
    """The stage's tables with their columns and no rows (daily plan)."""
    return {
        **empty_tables(),
        "stays": pd.DataFrame(columns=STAY_COLUMNS),
        "occupancy": pd.DataFrame(columns=OCCUPANCY_COLUMNS),
        "cohort_unmet": pd.DataFrame(columns=[c for c in STAY_COLUMNS if c != "site_id"]),
    }


def solve_daily_observation(
    cohorts: pd.DataFrame,
    sites: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    horizon_days: int,
    persons_per_room: int,
    sites_per_street_min: int,
    barrier_free_for_disabled: bool,
    options: SolveOptions = DEFAULT_OPTIONS,
    beside: Beside | None = None,
) -> StageResult:
    """Open sites once and place every cohort at one site for its whole stay (``models.observation.daily``).

    Parameters
    ----------
    cohorts
        home_id, street_id, group (``disabled`` / ``other``), cause, arrival_day, stay_days, persons.
    sites, arcs
        As for ``models.observation.solve_observation`` (``opening_cost`` in minutes).
    horizon_days
        Days ``0 .. horizon_days - 1`` whose occupancy is held within capacity.
    beside
        Where given, the branch-and-price solves its nodes two at a time, the second beside the first
        (``models.observation.daily_solve.solve_phase``): a forked child in the pipeline.
    """
    start = time.perf_counter()
    frame = cohorts[cohorts["persons"] > 0].reset_index(drop=True)
    with stopwatch() as build:
        groups = frame.groupby(["home_id", "group"], as_index=False, sort=False).agg(
            street_id=("street_id", "first"), persons=("persons", "sum")
        )
        instance = prepare(groups, sites, arcs, persons_per_room, sites_per_street_min, barrier_free_for_disabled)
        arrays = _cohort_arrays(frame, instance, horizon_days)
        merged = merge_cohorts(arrays)
    if not len(arrays.group):
        tables = _tables(instance, frame, arrays, None, sites_per_street_min, barrier_free_for_disabled)
        phases = [Phase(name, "min", 0.0, 0.0, Status.OPTIMAL) for name in ("unmet_persons", "cost")]
        return StageResult.from_phases(STAGE, phases, tables, time.perf_counter() - start, {})
    deadline_unmet = start + UNMET_SHARE * options.time_limit_s
    with stopwatch() as solve:
        mip_seconds = MIP_SHARE * options.time_limit_s
        cost_deadline = start + 0.95 * options.time_limit_s
        limits = unmet_lower_bounds(instance, merged.cohorts)
        closing = CLOSING_SHARE * options.time_limit_s
        plans = _at_the_unmet_bounds(instance, merged.cohorts, limits, cost_deadline, mip_seconds, closing, beside)
        if plans is None:
            rolling = _rolling_start(
                instance, merged.cohorts, deadline_unmet, cost_deadline, options.time_limit_s, mip_seconds
            )
            unmet_plan, model = _unmet_phase(instance, merged.cohorts, limits, deadline_unmet, mip_seconds, rolling)
            if _cost_lp_hopeless(unmet_plan, cost_deadline - closing - time.perf_counter()):
                closing = max(closing, cost_deadline - time.perf_counter())  # the closing takes the phase's time
            cost_plan = _cost_phase(
                model, instance, merged.cohorts, unmet_plan, cost_deadline, mip_seconds, closing, beside
            )
            if int(cost_plan.unmet.sum()) > int(unmet_plan.unmet.sum()):  # the cost phase found no plan in time
                cost_plan = _held_plan(model, unmet_plan)
        else:
            unmet_plan, cost_plan = plans
        cost_plan = spread(cost_plan, merged, arrays)
    tables = _tables(instance, frame, arrays, cost_plan, sites_per_street_min, barrier_free_for_disabled)
    disabled = instance.disabled[arrays.group]
    weight = arrays.unmet_weight
    phases = [
        Phase(
            "unmet_persons",
            "min",
            unmet_plan.objective,
            unmet_plan.bound,
            Status.OPTIMAL if unmet_plan.proven else Status.FEASIBLE,
        ),
        Phase("cost", "min", cost_plan.objective, cost_plan.bound, _cost_status(cost_plan, unmet_plan)),
    ]
    stats = {
        "cohorts": len(arrays.group),
        "merged_cohorts": len(merged.cohorts.group),
        "capacity_days": len(merged.last_days),
        "arcs": len(instance.arcs),
        "unmet_weight_disabled": weight,
        "unmet_disabled": int(cost_plan.unmet[disabled].sum()),
        "unmet": int(cost_plan.unmet.sum()),
        "unmet_phase": unmet_plan.stats,
        "cost_phase": cost_plan.stats,
        "build_seconds": build["seconds"],
        "solve_seconds": solve["seconds"],
    }
    return StageResult.from_phases(STAGE, phases, tables, time.perf_counter() - start, stats)


def _cost_lp_hopeless(unmet: PhaseOutcome, seconds_left: float) -> bool:
    """Whether the cost phase's LP cannot finish in ``seconds_left``: the unmet phase's LP, on the same pairs and
    which the cost phase's starts from, did not finish, or took longer than that. (HiGHS cannot always be stopped
    at its limit: on the province's 60 days the cost phase's first run took 2.5 s for a 0.7 s limit.)"""
    return not unmet.stats.get("lp_priced", True) or seconds_left < float(unmet.stats.get("lp_seconds", 0.0))


def _cost_status(cost: PhaseOutcome, unmet: PhaseOutcome) -> Status:
    return Status.OPTIMAL if cost.proven and unmet.proven else Status.FEASIBLE


def _held_plan(model: DailyModel, held: PhaseOutcome) -> PhaseOutcome:
    """The unmet phase's plan, no bound: the cost phase ran out. Its open sites and cost as every phase's plan has
    them (``models.observation.daily.outcome`` on the cost phase's model: the sites it uses, the cheapest candidates
    each choice street's minimum asks for (4), the free candidates' opening and the minutes)."""
    used = held.placed > 0
    values = np.zeros(model.num_columns)
    values[model.base_columns + model.column_of(held.columns[used])] = held.placed[used]
    return replace(outcome(model, values), stats=held.stats)


def _cohort_arrays(frame: pd.DataFrame, instance: Instance, horizon: int) -> Cohorts:
    keys = pd.MultiIndex.from_frame(instance.groups[["home_id", "group"]])
    group = keys.get_indexer(pd.MultiIndex.from_frame(frame[["home_id", "group"]]))
    return Cohorts(
        group=group.astype(np.int64),
        arrival=frame["arrival_day"].to_numpy(np.int64),
        stay=frame["stay_days"].to_numpy(np.int64),
        persons=frame["persons"].to_numpy(np.int64),
        horizon=int(horizon),
    )


def _at_the_unmet_bounds(
    instance: Instance,
    cohorts: Cohorts,
    limits: tuple[int, int] | None,
    deadline: float,
    mip_seconds: float,
    closing_seconds: float = 0.0,
    beside: Beside | None = None,
) -> tuple[PhaseOutcome, PhaseOutcome] | None:
    """Phases (i)-(iii) in one model when a plan meets the LP-free bounds on unmet persons (``limits``): those
    phases are then proven without their own LP. The model charges each unmet person a penalty above any one
    person's minutes and site (each disabled one above every other unmet person together) and takes only plans
    within ``limits``; for those its objective less the limits' penalties is the cost, and its LP value less them
    a bound on the cost of every plan at the unmet optimum. None, after one priced LP, when the LP leaves more
    unmet than ``limits``, and for models of more than :data:`AT_THE_BOUNDS_MAX_PAIRS` pairs (the province's LP
    does not finish)."""
    if limits is None or _pair_count(instance, cohorts) > AT_THE_BOUNDS_MAX_PAIRS:
        return None
    model = _phase_model(instance, cohorts)
    minutes = instance.arcs["minutes"].to_numpy(float)
    opening = instance.sites["opening_cost"].to_numpy(float)
    penalty = float(minutes.max(initial=0.0) + opening.max(initial=0.0) + 1.0)
    disabled_penalty = penalty * cohorts.unmet_weight
    unmet_cost = np.where(instance.disabled[cohorts.group], disabled_penalty, penalty)
    model.build(
        unmet_cost, minutes, opening, [], offset=((disabled_penalty, limits[0]), (penalty, limits[1] - limits[0]))
    )
    model.unmet_limits = (float(limits[0]), float(limits[1]))
    known = partial(cost_lower_bound, instance, cohorts, limits[1])  # needed only where the LP does not prove
    start = start_pairs(model, peak_day_pairs(model), cheapest=SEEDED_START_ARCS)
    cost = solve_phase(
        model,
        start,
        deadline,
        False,
        mip_seconds=mip_seconds,
        known_bound=known,
        closing_seconds=closing_seconds,
        beside=beside,
    )
    if not model.holds(cost.unmet) or not _offset_resolves(model, cost.objective):
        return None
    objective = weighted_unmet(limits, cohorts.unmet_weight)
    unmet = replace(cost, objective=objective, bound=objective, proven=True, stats={"at_lp_free_bound": True})
    return unmet, cost


def _offset_resolves(model: DailyModel, cost: float) -> bool:
    """Whether the weighted model's LP value, less the penalties' offset, still bounds a plan of this ``cost``
    within the optimality tolerance: :data:`OFFSET_PRECISION` of the offset at most
    :data:`models.observation.daily.RELATIVE_TOLERANCE` of the cost. Else the phases run in turn (their LPs carry
    no offset)."""
    offset = sum(penalty * persons for penalty, persons in model.offset_terms)
    return OFFSET_PRECISION * offset <= RELATIVE_TOLERANCE * max(1.0, abs(cost))


def _rolling_start(
    instance: Instance,
    cohorts: Cohorts,
    deadline: float,
    windows_deadline: float,
    time_limit_s: float,
    mip_seconds: float,
) -> RollingPlan | None:
    """The unmet phase's incumbent where its LP is not expected to finish (more than
    :data:`AT_THE_BOUNDS_MAX_PAIRS` pairs): phase (i) alone where its own model is expected to be solved in its
    time (:func:`_disabled_first_in_time`), then the rolling placement around it (the disabled windows first), a
    candidate no one is at yet charged its opening per place. None for smaller models.

    The rolling placement's windows may run until ``windows_deadline``, the stage's own, not the unmet phase's
    ``deadline``: where the LP does not finish it is the plan, and a window it does not reach leaves its persons
    unmet for want of time, not of room. National sample, prevalent, 14 days, 10 s (the stage alone, beside other
    work on the machine): with the windows stopped at the unmet phase's deadline, 11,699-11,954 persons unmet
    (555 disabled) and a cost of 69.7-70.4 million in 12.4-12.5 s; with every window and no model of phase (i)
    (its LP did not finish in its 3 s: 555-566 disabled unmet, varying from run to run), 6,645 unmet (561
    disabled) and 23.7 million (the closing has its time) in 12.6-13.4 s."""
    if _pair_count(instance, cohorts) <= AT_THE_BOUNDS_MAX_PAIRS:
        return None
    first_deadline = min(deadline, time.perf_counter() + DISABLED_SHARE * time_limit_s)
    first = None
    if _disabled_first_in_time(instance, cohorts, first_deadline - time.perf_counter()):
        first = _disabled_first(instance, cohorts, first_deadline, mip_seconds)
    must, free = site_roles(instance)
    return rolling_plan(instance, cohorts, must | free, first, windows_deadline, opening_per_place(instance))


def _disabled_first_in_time(instance: Instance, cohorts: Cohorts, seconds: float) -> bool:
    """Whether the disabled cohorts' own model (:func:`_disabled_first`) is expected to be solved in ``seconds``:
    at most :data:`DISABLED_COHORTS_PER_SECOND` cohorts a second. Cut off before its LP ends, it gives a plan no
    better than the rolling placement's disabled windows, which come first anyway (national, 10 s: 555-566 disabled
    unmet after 3 s, against 561), in the time those windows need for everyone."""
    disabled = int(instance.disabled[cohorts.group].sum())
    return 0 < disabled <= DISABLED_COHORTS_PER_SECOND * seconds


def _disabled_first(instance: Instance, cohorts: Cohorts, deadline: float, mip_seconds: float) -> RollingPlan | None:
    """Phase (i) alone: the disabled cohorts in their own model (every usable site open), unmet persons first (each
    weighs more than every person's minutes together), then minutes; the start of the rolling placement. Phase (i)
    involves no one else, so this model's optimum is its optimum (province: 22,453 cohorts, proven in 1.1 s where
    the whole model's LP does not finish in 10 s). None without disabled cohorts."""
    disabled = instance.disabled[cohorts.group]
    chosen = np.flatnonzero(disabled)
    if not len(chosen):
        return None
    own = Cohorts(
        group=cohorts.group[chosen],
        arrival=cohorts.arrival[chosen],
        stay=cohorts.stay[chosen],
        persons=cohorts.persons[chosen],
        horizon=cohorts.horizon,
    )
    model = _phase_model(instance, own)
    minutes = instance.arcs["minutes"].to_numpy(float)
    weight = float(minutes.max(initial=0.0) + 1.0) * own.unmet_weight
    model.build(np.full(len(chosen), weight), minutes, np.zeros(len(instance.sites)), [])
    model.open_every_candidate()
    plan = solve_phase(model, start_pairs(model), deadline, False, mip_seconds=mip_seconds)
    unmet = np.zeros(len(cohorts.group), np.int64)
    unmet[chosen] = plan.unmet
    used = plan.placed > 0
    return RollingPlan(chosen[plan.cohort[used]], plan.arc[used], plan.placed[used], unmet, disabled)


def _pair_count(instance: Instance, cohorts: Cohorts) -> int:
    """Pairs (cohort, arc) of the full model."""
    return int(np.bincount(instance.arc_group, minlength=len(instance.groups))[cohorts.group].sum())


def _unmet_phase(
    instance: Instance,
    cohorts: Cohorts,
    limits: tuple[int, int] | None,
    deadline: float,
    mip_seconds: float,
    rolling: RollingPlan | None,
) -> tuple[PhaseOutcome, DailyModel]:
    """Phases (i)-(ii) in one MIP: every usable site open, ``W * unmet disabled + unmet``. The model has the cost
    phase's columns (its free candidates held open here), so that phase goes on from this one's priced LP.
    ``rolling``: a plan found without the LP (``models.observation.daily_rolling``), the phase's incumbent."""
    built = time.perf_counter() + _pair_count(instance, cohorts) / MODEL_PAIRS_PER_SECOND
    model = _phase_model(instance, cohorts, lp_in_time=built < deadline)
    weight = cohorts.unmet_weight
    unmet_cost = np.where(instance.disabled[cohorts.group], weight + 1.0, 1.0)
    model.build(unmet_cost, np.zeros(len(instance.arcs)), np.zeros(len(instance.sites)), [])
    model.open_every_candidate()
    known = weighted_unmet(limits, weight)
    incumbent = None if rolling is None else (model.pairs_of(rolling.cohort, rolling.arc), rolling.persons)
    plan = solve_phase(
        model, start_pairs(model), deadline, True, mip_seconds=mip_seconds, known_bound=known, incumbent=incumbent
    )
    return plan, model


def _phase_model(instance: Instance, cohorts: Cohorts, lp_in_time: bool = True) -> DailyModel:
    """The model of both phases: the candidates a plan may open or not are its free sites. HiGHS holds it unless
    the unmet phase's LP would start past its deadline (``lp_in_time`` False: :data:`MODEL_PAIRS_PER_SECOND`) and
    there are candidates: then neither phase starts an LP (the cost phase's is hopeless when the unmet phase's did
    not price, :func:`_cost_lp_hopeless`, and it closes candidates instead), and the phases plan from the rolling
    placement alone by repair and closing candidates (national, the stage alone: 0.57 GB at its peak instead of
    0.85, and the time HiGHS took to take the model left to closing candidates: cost 23.7 -> 22.1 million minutes;
    in the whole plan, beside the other stages, the cost stays 23.7 million)."""
    must, free = site_roles(instance)
    return DailyModel(instance, cohorts, free, must.astype(float), lp=lp_in_time or not free.any())


def _cost_phase(
    model: DailyModel,
    instance: Instance,
    cohorts: Cohorts,
    held: PhaseOutcome,
    deadline: float,
    mip_seconds: float,
    closing_seconds: float = 0.0,
    beside: Beside | None = None,
) -> PhaseOutcome:
    """Phase (iii): opening and person-minutes with the unmet optimum of (i)-(ii) held, on the unmet phase's model
    (its columns and its priced basis); the unmet phase's plan is its incumbent. Its LP stops ``closing_seconds``
    before ``deadline`` (:func:`models.observation.daily_solve.solve_phase`)."""
    count, free_count = len(cohorts.group), len(model.free_sites)
    disabled = np.flatnonzero(instance.disabled[cohorts.group])
    extra = [
        (free_count + disabled, np.ones(len(disabled)), float(held.unmet[disabled].sum())),
        (free_count + np.arange(count), np.ones(count), float(held.unmet.sum())),
    ]
    opening = instance.sites["opening_cost"].to_numpy(float)
    model.continue_with(np.zeros(count), instance.arcs["minutes"].to_numpy(float), opening, extra)
    model.unmet_limits = (float(held.unmet[disabled].sum()), float(held.unmet.sum()))
    used = held.placed > 0
    starts = start_pairs(model, held.columns[used])
    known = partial(cost_lower_bound, instance, cohorts, int(held.unmet.sum()))
    incumbent = (held.columns[used], held.placed[used])
    return solve_phase(
        model,
        starts,
        deadline,
        False,
        mip_seconds=mip_seconds,
        known_bound=known,
        incumbent=incumbent,
        closing_seconds=closing_seconds,
        beside=beside,
    )


def _tables(
    instance: Instance,
    frame: pd.DataFrame,
    cohorts: Cohorts,
    plan: PhaseOutcome | None,
    sites_per_street_min: int,
    barrier_free_for_disabled: bool,
) -> dict[str, pd.DataFrame]:
    tables = daily_tables()
    open_sites = plan.open_sites if plan is not None else np.zeros(len(instance.sites), bool)
    if plan is None:
        tables["streets"] = streets_table(instance, open_sites, sites_per_street_min)
        tables["sites"] = sites_table(instance, np.zeros(len(instance.arcs), np.int64), open_sites)
        return tables
    used = plan.placed > 0
    cohort, arc, placed = plan.cohort[used], plan.arc[used], plan.placed[used]
    total_per_arc = np.bincount(arc, weights=placed, minlength=len(instance.arcs)).astype(np.int64)
    unmet_per_group = np.bincount(cohorts.group, weights=plan.unmet, minlength=len(instance.groups)).astype(np.int64)
    occupancy = _occupancy(instance, cohorts, cohort, arc, placed, open_sites)
    sites = sites_table(instance, total_per_arc, open_sites)
    peak = occupancy.groupby("site_id")["persons"].max()
    peak_disabled = occupancy.groupby("site_id")["persons_disabled"].max()
    sites["persons"] = sites["site_id"].map(peak).fillna(0).astype(np.int64)
    sites["persons_disabled"] = sites["site_id"].map(peak_disabled).fillna(0).astype(np.int64)
    per_room = max(1, instance.persons_per_room)
    sites["free_rooms"] = np.where(open_sites, sites["rooms"] - (-(-sites["persons"] // per_room)), 0)
    tables.update(
        sites=sites,
        assignments=assignments_table(instance, total_per_arc),
        unmet=unmet_table(instance, total_per_arc, unmet_per_group, barrier_free_for_disabled),
        streets=streets_table(instance, open_sites, sites_per_street_min),
        stays=_stays(instance, frame, cohort, arc, placed),
        occupancy=occupancy,
        cohort_unmet=_cohort_unmet(frame, plan.unmet),
    )
    return tables


def _stays(
    instance: Instance, frame: pd.DataFrame, cohort: np.ndarray, arc: np.ndarray, placed: np.ndarray
) -> pd.DataFrame:
    rows = frame.iloc[cohort]
    site = instance.sites["site_id"].to_numpy()[instance.arc_site[arc]]
    stays = pd.DataFrame(
        {
            "home_id": rows["home_id"].to_numpy(),
            "group": rows["group"].to_numpy(),
            "cause": rows["cause"].to_numpy(),
            "site_id": site,
            "arrival_day": rows["arrival_day"].to_numpy(np.int64),
            "departure_day": (rows["arrival_day"] + rows["stay_days"]).to_numpy(np.int64),
            "persons": placed.astype(np.int64),
        }
    )
    return stays.sort_values(["site_id", "arrival_day", "home_id", "group"], kind="stable").reset_index(drop=True)


def _occupancy(
    instance: Instance,
    cohorts: Cohorts,
    cohort: np.ndarray,
    arc: np.ndarray,
    placed: np.ndarray,
    open_sites: np.ndarray,
) -> pd.DataFrame:
    """Persons present at each open site on each day (difference arrays over the stays)."""
    site_count, days = len(instance.sites), cohorts.horizon
    site = instance.arc_site[arc]
    disabled = instance.disabled[cohorts.group[cohort]]
    present = [cohorts.present(cohort, site, weight, site_count) for weight in (placed, np.where(disabled, placed, 0))]
    shown = np.flatnonzero(open_sites)
    return pd.DataFrame(
        {
            "site_id": np.repeat(instance.sites["site_id"].to_numpy()[shown], days),
            "day": np.tile(np.arange(days, dtype=np.int64), len(shown)),
            "persons": present[0][shown].ravel(),
            "persons_disabled": present[1][shown].ravel(),
            "capacity": np.repeat(instance.capacity[shown], days),
        }
    )


def _cohort_unmet(frame: pd.DataFrame, unmet: np.ndarray) -> pd.DataFrame:
    short = unmet > 0
    rows = frame[short]
    return pd.DataFrame(
        {
            "home_id": rows["home_id"].to_numpy(),
            "group": rows["group"].to_numpy(),
            "cause": rows["cause"].to_numpy(),
            "arrival_day": rows["arrival_day"].to_numpy(np.int64),
            "departure_day": (rows["arrival_day"] + rows["stay_days"]).to_numpy(np.int64),
            "persons": unmet[short].astype(np.int64),
        }
    )
