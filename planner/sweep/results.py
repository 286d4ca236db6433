"""A sweep's results: the tidy tables of its outcomes and their robust summary.

:func:`assemble` turns the outcomes of a sweep's scenarios into a :class:`SweepResult`: one row per scenario
(knobs, every scalar KPI, per-drug figures flattened, status, message, seconds), the binding entities per
scenario and their counts across scenarios, and the marginal values per scenario. :func:`summarize` gives
the robust summary (:class:`SweepSummary`): P50 / P90 / P95 / worst of each KPI, the stress points and the
marginal values aggregated over the whole range.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.sweep.vocabulary import (
    BINDING_COLUMNS,
    MARGINAL_COLUMNS,
    SOLVED_STATUSES,
    STATUSES,
    TIMING_COLUMNS,
    ScenarioOutcome,
    Sweep,
    SweepScenario,
)

ENTITY_COLUMNS: tuple[str, ...] = ("kind", "entity_id", "drug", "condition", "scenarios", "share")
HIGHER_IS_BETTER: tuple[str, ...] = (
    "observation_placed",
    "covered_daily_transfers",
    "covered_share",
    "one_to_one_assigned",
    "one_to_one_coverage",
    "nurses_assigned",
    "compliance_met",
)
HIGHER_IS_BETTER_PREFIXES: tuple[str, ...] = ("lowest_fill_rate_",)
"""Every other KPI is read as "higher is worse" (a shortfall, or a demand that stresses the plan)."""


# --- results ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SweepResult:
    """The tidy results of a sweep.

    Attributes
    ----------
    scenarios
        One row per scenario, in scenario order: ``scenario, status, message, seconds, worker``, the knob
        columns, ``closed_sites`` / ``station_outages`` (comma-joined ids) and their counts, then every KPI.
        KPIs are ``nan`` on ``error`` rows.
    bindings
        The binding entities of every solved scenario: ``scenario, kind, entity_id, drug, condition``.
    entities
        How often each entity binds: ``kind, entity_id, drug, condition, scenarios, share`` (share of the
        solved scenarios); only entities that bind at least once.
    marginal
        The positive marginal values of every solved scenario: ``scenario, stage, resource_id, resource_kind,
        value``.
    knob_columns, kpi_columns
        Which columns of ``scenarios`` are knobs and which are KPIs.
    base
        The knobs every scenario shares.
    """

    scenarios: pd.DataFrame
    bindings: pd.DataFrame
    entities: pd.DataFrame
    marginal: pd.DataFrame
    knob_columns: tuple[str, ...]
    kpi_columns: tuple[str, ...]
    base: Mapping[str, Any] = field(default_factory=dict)

    @property
    def solved(self) -> int:
        """Scenarios with a plan (``ok`` or ``time_limit``)."""
        return int(self.scenarios["status"].isin(SOLVED_STATUSES).sum())

    def status_counts(self) -> dict[str, int]:
        """Scenarios by status (every status listed, zeros included)."""
        counts = self.scenarios["status"].value_counts()
        return {status: int(counts.get(status, 0)) for status in STATUSES}


def assemble(sweep: Sweep, outcomes: Iterable[ScenarioOutcome]) -> SweepResult:
    """The :class:`SweepResult` of ``sweep`` from its outcomes (any order)."""
    by_index = {outcome.index: outcome for outcome in outcomes}
    specs = [spec for spec in sweep.scenarios if spec.index in by_index]
    knob_columns = list(dict.fromkeys(name for spec in specs for name in spec.knobs))
    kpi_columns = list(dict.fromkeys(name for spec in specs for name in by_index[spec.index].kpis))
    rows = [_row(spec, by_index[spec.index], knob_columns) for spec in specs]
    head = ["scenario", "status", "message", "seconds", "worker"]
    lists = ["closed_sites", "station_outages", "closed_site_count", "station_outage_count"]
    columns = [*head, *knob_columns, *lists, *kpi_columns]
    scenarios = pd.DataFrame(rows, columns=columns)
    for column in kpi_columns:
        scenarios[column] = pd.to_numeric(scenarios[column], errors="coerce").astype(float)
    solved = [by_index[spec.index] for spec in specs if by_index[spec.index].solved]
    bindings = _long([(o.index, o.bindings) for o in solved], BINDING_COLUMNS)
    marginal = _long([(o.index, o.marginal) for o in solved], MARGINAL_COLUMNS)
    return SweepResult(
        scenarios=scenarios,
        bindings=bindings,
        entities=entity_counts(bindings, len(solved)),
        marginal=marginal,
        knob_columns=(*knob_columns, *lists),
        kpi_columns=tuple(kpi_columns),
        base=dict(sweep.base),
    )


def _row(spec: SweepScenario, outcome: ScenarioOutcome, knob_columns: list[str]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "scenario": spec.index,
        "status": outcome.status,
        "message": outcome.message,
        "seconds": round(outcome.seconds, 4),
        "worker": outcome.worker,
    }
    row.update({name: spec.knobs.get(name) for name in knob_columns})
    row["closed_sites"] = ",".join(spec.closed_sites)
    row["station_outages"] = ",".join(spec.station_outages)
    row["closed_site_count"] = len(spec.closed_sites)
    row["station_outage_count"] = len(spec.station_outages)
    row.update(outcome.kpis if outcome.solved else {})
    return row


def _long(parts: list[tuple[int, pd.DataFrame]], columns: tuple[str, ...]) -> pd.DataFrame:
    frames = [frame.assign(scenario=index) for index, frame in parts if not frame.empty]
    if not frames:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return empty.astype({"scenario": "int64", **({"value": "float64"} if "value" in columns else {})})
    return pd.concat(frames, ignore_index=True).reindex(columns=list(columns))


def entity_counts(bindings: pd.DataFrame, solved: int) -> pd.DataFrame:
    """How many solved scenarios each entity binds in, most often first (ties by kind, condition, id)."""
    if bindings.empty:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in ENTITY_COLUMNS})
        return frame.astype({"scenarios": "int64", "share": "float64"})
    counts = (
        bindings.groupby(["kind", "entity_id", "drug", "condition"], as_index=False)["scenario"]
        .nunique()
        .rename(columns={"scenario": "scenarios"})  # type: ignore[call-overload]
    )
    counts["share"] = counts["scenarios"] / max(solved, 1)
    counts = counts.sort_values(
        ["scenarios", "kind", "condition", "entity_id", "drug"], ascending=[False, True, True, True, True]
    )
    return counts.reset_index(drop=True)[list(ENTITY_COLUMNS)]


def comparable(scenarios: pd.DataFrame) -> pd.DataFrame:
    """``scenarios`` without the columns that differ between two runs (timings, worker)."""
    return scenarios.drop(columns=[c for c in TIMING_COLUMNS if c in scenarios.columns]).reset_index(drop=True)


# --- robust summary -----------------------------------------------------------------------------------------------


def higher_is_better(kpi: str) -> bool:
    """True for KPIs where more is better (coverage, fill rates, persons placed); False for the others."""
    return kpi in HIGHER_IS_BETTER or kpi.startswith(HIGHER_IS_BETTER_PREFIXES)


@dataclass(frozen=True, eq=False)
class SweepSummary:
    """The robust summary of a sweep.

    Attributes
    ----------
    kpis
        One row per KPI: ``kpi, better ("higher"/"lower"), p50, p90, p95, worst, best, mean, scenarios``.
        ``p90``: in 90 % of the solved scenarios the KPI is at least this good (the 90th percentile of a
        "lower is better" KPI, the 10th of a "higher is better" one); likewise ``p95``.
    stress_points
        The entities binding most often (``kind, entity_id, drug, condition, scenarios, share``).
    marginal_values
        Per resource over the solved scenarios: ``stage, resource_id, resource_kind, mean_value`` (a scenario
        where it does not help counts 0), ``share_positive`` (share of scenarios where one more unit helps),
        ``max_value``, ``scenarios``; largest mean first.
    status_counts
        Scenarios by status.
    """

    kpis: pd.DataFrame
    stress_points: pd.DataFrame
    marginal_values: pd.DataFrame
    status_counts: Mapping[str, int]


KPI_SUMMARY_COLUMNS: tuple[str, ...] = ("kpi", "better", "p50", "p90", "p95", "worst", "best", "mean", "scenarios")
MARGINAL_SUMMARY_COLUMNS: tuple[str, ...] = (
    "stage",
    "resource_id",
    "resource_kind",
    "mean_value",
    "share_positive",
    "max_value",
    "mean_units",
    "scenarios",
)
DEFAULT_STRESS_POINTS = 20


def kpi_summary(scenarios: pd.DataFrame, kpi_columns: Sequence[str]) -> pd.DataFrame:
    """P50 / P90 / P95 / worst of each KPI over the solved scenarios (linear interpolation between rows)."""
    solved = scenarios[scenarios["status"].isin(SOLVED_STATUSES)]
    rows = [_kpi_row(kpi, solved[kpi].dropna().astype(float)) for kpi in kpi_columns if kpi not in TIMING_COLUMNS]
    return pd.DataFrame(rows, columns=list(KPI_SUMMARY_COLUMNS))


def _kpi_row(kpi: str, values: pd.Series) -> dict[str, Any]:
    higher = higher_is_better(kpi)
    row: dict[str, Any] = {"kpi": kpi, "better": "higher" if higher else "lower", "scenarios": len(values)}
    if values.empty:
        return row
    for name, level in (("p50", 0.5), ("p90", 0.9), ("p95", 0.95)):
        row[name] = float(values.quantile(1.0 - level if higher else level))
    row["worst"] = float(values.min() if higher else values.max())
    row["best"] = float(values.max() if higher else values.min())
    row["mean"] = float(values.mean())
    return row


def marginal_summary(marginal: pd.DataFrame, solved: int) -> pd.DataFrame:
    """What more units buy, per resource over ``solved`` scenarios: the mean of what they buy (0 where they buy
    nothing), the share of scenarios where they buy something, the most, and the mean units it takes where they
    do. Rows by stage (values of different stages are in different units), the most bought first."""
    keys = ["stage", "resource_id", "resource_kind"]
    positive = marginal[marginal["value"] > 0]
    if "units" not in positive:
        positive = positive.assign(units=float("nan"))
    if positive.empty or solved == 0:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in MARGINAL_SUMMARY_COLUMNS})
        types = {"mean_value": float, "share_positive": float, "max_value": float, "mean_units": float}
        return frame.astype({**types, "scenarios": "int64"})
    grouped = positive.groupby(keys, as_index=False).agg(
        total=("value", "sum"),
        max_value=("value", "max"),
        mean_units=("units", "mean"),
        scenarios=("scenario", "nunique"),
    )
    grouped["mean_value"] = grouped["total"] / solved
    grouped["share_positive"] = grouped["scenarios"] / solved
    order = {stage: position for position, stage in enumerate(dict.fromkeys(marginal["stage"]))}
    grouped["order"] = grouped["stage"].map(order)
    grouped = grouped.sort_values(
        ["order", "mean_value", "share_positive", "resource_id"], ascending=[True, False, False, True]
    )
    return grouped.reset_index(drop=True)[list(MARGINAL_SUMMARY_COLUMNS)]


def summarize(result: SweepResult, stress_points: int = DEFAULT_STRESS_POINTS) -> SweepSummary:
    """The robust summary (:class:`SweepSummary`) of ``result``."""
    return SweepSummary(
        kpis=kpi_summary(result.scenarios, result.kpi_columns),
        stress_points=result.entities.head(stress_points).reset_index(drop=True),
        marginal_values=marginal_summary(result.marginal, result.solved),
        status_counts=result.status_counts(),
    )


__all__ = [
    "SweepResult",
    "SweepSummary",
    "assemble",
    "comparable",
    "entity_counts",
    "higher_is_better",
    "kpi_summary",
    "marginal_summary",
    "summarize",
]
