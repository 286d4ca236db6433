"""The *Risk* view: a sweep of many scenarios around the current one, then the spread of every KPI.

The coordinator picks the number of samples and the range of each knob (attack rate, severe share, staff
absence, stock and fleet factors, the chance that a site closes or a 120 station is out of service), runs
the sweep on a local Dask cluster or in this process with a progress bar, and reads: a histogram and a fan
chart of the KPI they choose, the KPI percentiles (P50 / P90 / P95 / worst), the stress points (what
binds most often) and the marginal values aggregated over the whole range.

Pure helpers first (:func:`risk_sweep`, :func:`fan_data`, :func:`kpi_name`, the tables); :func:`render_risk`
only lays them out. Labels are in English and Chinese (:data:`LABELS`, plus :mod:`planner.ui.i18n`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import altair as alt
import numpy as np
import pandas as pd

from planner.dataset.schema import Dataset
from planner.rules.scenario import Scenario
from planner.sweep.execution import DEFAULT_TIME_LIMIT_S
from planner.sweep.results import SweepResult, SweepSummary, higher_is_better
from planner.sweep.sampling import (
    DEFAULT_SITE_CLOSURE,
    DEFAULT_STATION_OUTAGE,
    Distribution,
    base_knobs,
    default_distributions,
    monte_carlo_sweep,
)
from planner.sweep.saving import save_sweep
from planner.sweep.vocabulary import SOLVED_STATUSES, TIMING_COLUMNS, Sweep
from planner.ui import i18n

RESULT_KEY = "risk_result"
"""Session key of the last sweep (:class:`StoredSweep`)."""
CHART_HEIGHT = 300
FAN_BINS = 8
TOP_ROWS = 20
Engine = Literal["auto", "serial", "dask"]

LABELS: dict[str, tuple[str, str]] = {
    "risk_title": ("Risk: many scenarios at once", "风险：多情景推演"),
    "risk_caption": (
        "Draws scenarios around the current one, solves each, and shows how often and where the plan breaks.",
        "在当前情景附近随机抽取多个情景逐一求解，显示方案在何处、以多大概率出现缺口。",
    ),
    "risk_settings": ("Sweep settings", "推演设置"),
    "risk_samples": ("Number of scenarios", "情景数量"),
    "risk_seed": ("Random seed (same seed, same scenarios)", "随机种子（种子相同，情景相同）"),
    "risk_ranges": ("Range of each knob (drawn around the current value)", "各参数取值范围（围绕当前值抽样）"),
    "risk_site_closure": ("Chance that an observation site closes", "观察点关闭概率"),
    "risk_station_outage": ("Chance that a 120 station is out of service", "120 急救站停运概率"),
    "risk_engine": ("Run on", "运行方式"),
    "risk_engine_auto": (
        "automatic (up to {n} scenarios here, more on Dask)",
        "自动（不超过 {n} 个情景在当前进程，更多用 Dask）",
    ),
    "risk_engine_dask": ("a local Dask cluster (all cores)", "本机 Dask 集群（全部核心）"),
    "risk_engine_serial": ("this process (one after another)", "当前进程（逐个求解）"),
    "risk_cancel": ("Cancel the sweep", "取消推演"),
    "risk_cancelling": ("Cancelling after the scenario being solved…", "正在取消（当前情景求解完后停止）……"),
    "risk_cancelled": (
        "The sweep was cancelled after {done} of {total} scenarios.",
        "推演已取消（已完成 {done}/{total} 个情景）。",
    ),
    "risk_usable": (
        "The sweep runs beside the app: the other views stay usable meanwhile.",
        "推演在后台运行：期间可继续使用其他页面。",
    ),
    "risk_workers": ("Workers", "工作进程数"),
    "risk_time_limit": ("Time limit per stage (s)", "每阶段求解时限（秒）"),
    "risk_run": ("Run the sweep", "开始推演"),
    "risk_running": ("Solving {done} of {total} scenarios…", "正在求解第 {done}/{total} 个情景……"),
    "risk_done": (
        "{total} scenarios in {seconds:.1f} s: {ok} solved, {time_limit} stopped at the time limit, {error} failed.",
        "共 {total} 个情景，用时 {seconds:.1f} 秒：{ok} 个求解完成，{time_limit} 个达到时限，{error} 个失败。",
    ),
    "risk_empty": ("Set the ranges and run the sweep.", "设置取值范围后开始推演。"),
    "risk_stale": (
        "These results are from another dataset; run the sweep again.",
        "以下结果基于另一份数据，请重新推演。",
    ),
    "risk_bad": ("This sweep cannot run: {problems}", "无法推演：{problems}"),
    "risk_kpi": ("Key figure", "指标"),
    "risk_knob": ("Against", "横轴参数"),
    "risk_histogram": ("Spread over the scenarios", "各情景分布"),
    "risk_fan": ("Fan chart: P5–P95, P25–P75 and median", "扇形图：P5–P95、P25–P75 与中位数"),
    "risk_percentiles": (
        "Key figures over the range (P90: at least this good in 90 % of scenarios)",
        "全范围关键指标（P90：90% 的情景至少达到此值）",
    ),
    "risk_stress": ("Stress points: what binds most often", "压力点：最常出现缺口之处"),
    "risk_marginal": (
        "What more resources would buy, over the whole range (persons placed, needs met, packs, transfers a day)",
        "全范围内增加资源的效果（安置人数、满足的需求、药品份数、每日转诊人次）",
    ),
    "risk_failed": ("Scenarios that failed", "失败的情景"),
    "risk_download": ("Sweep results (.xlsx)", "推演结果（.xlsx）"),
    "risk_no_stress": ("Nothing binds in any scenario.", "所有情景均无缺口。"),
    "scenarios": ("Scenarios", "情景数"),
    "share": ("Share of scenarios", "情景占比"),
    "count": ("Scenarios", "情景数"),
    "condition": ("What", "情况"),
    "mean_value": ("What they buy (mean)", "平均效果"),
    "mean_units": ("How many more (mean)", "平均增加数量"),
    "share_positive": ("Helps in", "有效情景占比"),
    "max_value": ("Most it buys", "最大效果"),
    "resource_kind": ("More of", "增加资源"),
    "better": ("Better when", "越…越好"),
    "p50": ("P50", "P50"),
    "p90": ("P90", "P90"),
    "p95": ("P95", "P95"),
    "worst": ("Worst", "最差"),
    "higher": ("higher", "越高"),
    "lower": ("lower", "越低"),
}

CONDITION_LABELS: dict[str, tuple[str, str]] = {
    "uncovered": ("care home not covered by 120", "养老机构未获 120 覆盖"),
    "unplaced": ("care home with persons without a room", "养老机构有人员未安置"),
    "full": ("observation site full", "观察点已满"),
    "used_up": ("reserve pool used up", "护理队伍已用尽"),
    "empty": ("depot empty", "储备库已空"),
}
RESOURCE_LABELS: dict[str, tuple[str, str]] = {
    "room": ("rooms", "房间"),
    "barrier_free_room": ("barrier-free rooms", "无障碍房间"),
    "nurse": ("nurses", "护理人员"),
    "pack": ("packs", "药品（份）"),
    "ambulance": ("ambulances", "急救车"),
}
SWEEP_KPI_LABELS: dict[str, tuple[str, str]] = {
    "unplaced_homes": ("Care homes with persons without a room", "有人员未安置的养老机构"),
    "sites_full": ("Observation sites full", "已满的观察点"),
    "pools_used_up": ("Reserve pools used up", "已用尽的护理队伍"),
    "depots_empty": ("Depot stocks used up (depot × drug)", "已空的储备库库存（库 × 药品）"),
}
KNOB_LABELS: dict[str, str] = {
    "attack_rate": "attack_rate",
    "severe_share": "severe_share",
    "staff_absence": "staff_absence",
    "stock_factor": "stock_factor",
    "fleet_factor": "fleet_factor",
}
"""Knob -> its label key in :mod:`planner.ui.i18n`."""
SHARE_RANGES: tuple[str, ...] = ("attack_rate", "severe_share", "staff_absence")
FACTOR_RANGES: tuple[str, ...] = ("stock_factor", "fleet_factor")
FACTOR_MAX = 2.0


def label(key: str, language: str, **fields: object) -> str:
    """The Risk view's label ``key`` in ``language``."""
    english, chinese = LABELS[key]
    text = chinese if language == "zh" and chinese else english
    return text.format(**fields) if fields else text


def _pick(pair: tuple[str, str], language: str) -> str:
    return pair[1] if language == "zh" else pair[0]


def kpi_name(column: str, language: str) -> str:
    """The display name of a sweep KPI column (flattened ones: ``lowest_fill_rate_tcm`` -> "...: TCM")."""
    for prefix, kpi, category in (
        ("lowest_fill_rate_", "lowest_fill_rate", "drug"),
        ("drug_shortfall_", "drug_shortfall", "drug"),
        ("nursing_unmet_", "nursing_unmet_by_tier", "need"),
    ):
        if column.startswith(prefix):
            return f"{i18n.kpi_label(kpi, language)}: {i18n.value(category, column.removeprefix(prefix), language)}"
    if column in SWEEP_KPI_LABELS:
        return _pick(SWEEP_KPI_LABELS[column], language)
    return i18n.kpi_label(column, language)


def knob_name(knob: str, language: str) -> str:
    """The display name of a sweep knob column."""
    if knob in KNOB_LABELS:
        return i18n.t(KNOB_LABELS[knob], language)
    return i18n.column_label(knob, language)


# --- the sweep ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskSettings:
    """What the coordinator chose: samples, seed, each knob's (low, high), failure chances, engine."""

    samples: int = 50
    seed: int = 0
    ranges: Mapping[str, tuple[float, float]] | None = None
    site_closure: float = DEFAULT_SITE_CLOSURE
    station_outage: float = DEFAULT_STATION_OUTAGE
    engine: Engine = "auto"
    workers: int | None = None
    time_limit_s: float = DEFAULT_TIME_LIMIT_S


def default_ranges(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """The default range of each knob: the default sweep's (:func:`planner.sweep.sampling.default_distributions`)."""
    return {knob: dist.support for knob, dist in default_distributions(scenario).items()}


def risk_sweep(dataset: Dataset, scenario: Scenario, settings: RiskSettings) -> Sweep:
    """The Monte Carlo sweep of ``settings`` around ``scenario``: each share knob triangular(low, current value
    clipped into the range, high), each factor uniform(low, high)."""
    ranges = settings.ranges if settings.ranges is not None else default_ranges(scenario)
    distributions: dict[str, Distribution] = {}
    for knob, (low, high) in ranges.items():
        low, high = float(min(low, high)), float(max(low, high))
        if low == high:
            distributions[knob] = Distribution("fixed", (low,))
        elif knob in SHARE_RANGES:
            mode = float(np.clip(scenario.knob(knob), low, high))
            distributions[knob] = Distribution("triangular", (low, mode, high))
        else:
            distributions[knob] = Distribution("uniform", (low, high))
    return monte_carlo_sweep(
        dataset,
        distributions,
        settings.samples,
        settings.seed,
        site_closure=settings.site_closure,
        station_outage=settings.station_outage,
        base=base_knobs(scenario),
    )


@dataclass(frozen=True, eq=False)
class StoredSweep:
    """The last sweep of the session, with what it was run on."""

    dataset_sha256: str
    result: SweepResult
    summary: SweepSummary
    seconds: float


def varying_kpis(result: SweepResult) -> list[str]:
    """KPIs that take more than one value over the solved scenarios (the ones worth a chart)."""
    solved = result.scenarios[result.scenarios["status"].isin(SOLVED_STATUSES)]
    return [k for k in result.kpi_columns if k not in TIMING_COLUMNS and solved[k].dropna().nunique() > 1]


def numeric_knobs(result: SweepResult) -> list[str]:
    """Knob columns with numbers (the x axis of a fan chart)."""
    frame = result.scenarios
    return [k for k in result.knob_columns if pd.api.types.is_numeric_dtype(frame[k]) and frame[k].nunique() > 1]


def fan_data(scenarios: pd.DataFrame, kpi: str, knob: str, bins: int = FAN_BINS) -> pd.DataFrame:
    """Percentiles of ``kpi`` in equal-width bins of ``knob`` over the solved scenarios:
    ``knob_low, knob_high, knob_mid, scenarios, p05, p25, p50, p75, p95`` (empty bins left out)."""
    columns = ["knob_low", "knob_high", "knob_mid", "scenarios", "p05", "p25", "p50", "p75", "p95"]
    solved = scenarios[scenarios["status"].isin(SOLVED_STATUSES)][[knob, kpi]].dropna().astype(float)
    if solved.empty:
        return pd.DataFrame(columns=columns)
    low, high = float(solved[knob].min()), float(solved[knob].max())
    edges = np.linspace(low, high, max(bins, 1) + 1) if high > low else np.array([low, high])
    which = np.clip(np.searchsorted(edges, solved[knob].to_numpy(), side="right") - 1, 0, len(edges) - 2)
    rows = []
    for index in range(len(edges) - 1):
        values = solved.loc[which == index, kpi]
        if values.empty:
            continue
        rows.append(
            {
                "knob_low": float(edges[index]),
                "knob_high": float(edges[index + 1]),
                "knob_mid": float((edges[index] + edges[index + 1]) / 2),
                "scenarios": len(values),
                **{f"p{q:02d}": float(values.quantile(q / 100)) for q in (5, 25, 50, 75, 95)},
            }
        )
    return pd.DataFrame(rows, columns=columns)


def percentile_table(summary: SweepSummary, kpis: Sequence[str], language: str) -> pd.DataFrame:
    """The KPI percentiles to show: ``kpi (name), better, p50, p90, p95, worst``, headers in ``language``."""
    table = summary.kpis[summary.kpis["kpi"].isin(kpis)].copy()
    table["kpi"] = table["kpi"].map(lambda k: kpi_name(str(k), language))
    table["better"] = table["better"].map(lambda b: label(str(b), language))
    shown = table[["kpi", "better", "p50", "p90", "p95", "worst"]]
    return shown.rename(columns={c: _header(c, language) for c in shown.columns})


def _header(column: str, language: str) -> str:
    if column in LABELS:
        return label(column, language)
    if column == "kpi":
        return i18n.column_label("kpi", language)
    return i18n.column_label(column, language)


def stress_table(
    stress: pd.DataFrame, entity_names: Mapping[str, str], language: str, rows: int = TOP_ROWS
) -> pd.DataFrame:
    """Stress points to show: who (name, drug), what, scenarios, share."""
    shown = stress.head(rows)
    who = [
        entity_names.get(str(e), str(e)) + (f" ({i18n.value('drug', d, language)})" if d else "")
        for e, d in zip(shown["entity_id"], shown["drug"], strict=True)
    ]
    frame = pd.DataFrame(
        {
            "entity": who,
            "condition": [_pick(CONDITION_LABELS.get(str(c), (str(c), str(c))), language) for c in shown["condition"]],
            "scenarios": shown["scenarios"].astype(int).to_numpy(),
            "share": shown["share"].astype(float).to_numpy(),
        }
    )
    return frame.rename(columns={c: _header(c, language) for c in frame.columns})


def marginal_table(
    marginal: pd.DataFrame, entity_names: Mapping[str, str], language: str, rows: int = TOP_ROWS, per_stage: int = 5
) -> pd.DataFrame:
    """What more units buy over the whole range, per stage (their values are in different units): where, more
    of what, how many more (mean where they help), what they buy on average, and in how many scenarios."""
    shown = marginal.groupby("stage", sort=False).head(per_stage).head(rows)
    where = []
    for resource in shown["resource_id"].astype(str):
        entity, _, drug = resource.partition(":")
        where.append(entity_names.get(entity, entity) + (f" ({i18n.value('drug', drug, language)})" if drug else ""))
    units = shown["mean_units"] if "mean_units" in shown else pd.Series(np.nan, index=shown.index)
    frame = pd.DataFrame(
        {
            "stage": [i18n.stage_label(str(s), language) for s in shown["stage"]],
            "entity": where,
            "resource_kind": [
                _pick(RESOURCE_LABELS.get(str(k), (str(k), str(k))), language) for k in shown["resource_kind"]
            ],
            "mean_units": units.astype(float).round(1).to_numpy(),
            "mean_value": shown["mean_value"].astype(float).round(1).to_numpy(),
            "share_positive": shown["share_positive"].astype(float).to_numpy(),
        }
    )
    return frame.rename(columns={c: _header(c, language) for c in frame.columns})


def _resource(kind: str, language: str) -> str:
    return _pick(RESOURCE_LABELS.get(kind, (kind, kind)), language)


def sweep_xlsx_bytes(result: SweepResult, summary: SweepSummary) -> bytes:
    """The sweep's tables as one workbook (:func:`planner.sweep.saving.save_sweep`), as bytes for a download."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sweep.xlsx"
        save_sweep(result, path, summary)
        return path.read_bytes()


# --- charts -------------------------------------------------------------------------------------------------------


def histogram_chart(scenarios: pd.DataFrame, kpi: str, language: str) -> alt.LayerChart | alt.FacetChart:
    """Histogram of ``kpi`` over the solved scenarios, with the median and P90 marked."""
    solved = scenarios[scenarios["status"].isin(SOLVED_STATUSES)]
    data = pd.DataFrame({"value": solved[kpi].astype(float)}).dropna()
    title = kpi_name(kpi, language)
    bars = (
        alt.Chart(data, title=label("risk_histogram", language), height=CHART_HEIGHT)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", bin=alt.Bin(maxbins=20), title=title),
            y=alt.Y("count():Q", title=label("count", language)),
        )
    )
    higher = higher_is_better(kpi)
    marks = pd.DataFrame(
        {
            "value": [float(data["value"].median()), float(data["value"].quantile(0.1 if higher else 0.9))],
            "mark": ["P50", "P90"],
        }
    )
    rules = alt.Chart(marks).mark_rule(strokeDash=[4, 3]).encode(x="value:Q", color=alt.Color("mark:N", title=""))
    return alt.layer(bars, rules)


def fan_chart(scenarios: pd.DataFrame, kpi: str, knob: str, language: str) -> alt.LayerChart | alt.FacetChart:
    """Fan chart of ``kpi`` against ``knob``: the P5–P95 and P25–P75 bands and the median."""
    data = fan_data(scenarios, kpi, knob)
    x = alt.X("knob_mid:Q", title=knob_name(knob, language))
    base = alt.Chart(data, title=label("risk_fan", language), height=CHART_HEIGHT)
    outer = base.mark_area(opacity=0.25).encode(x=x, y=alt.Y("p05:Q", title=kpi_name(kpi, language)), y2="p95:Q")
    inner = base.mark_area(opacity=0.45).encode(x=x, y="p25:Q", y2="p75:Q")
    median = base.mark_line(point=True).encode(
        x=x,
        y="p50:Q",
        tooltip=[
            alt.Tooltip("knob_low:Q", format=".3g"),
            alt.Tooltip("knob_high:Q", format=".3g"),
            alt.Tooltip("scenarios:Q"),
            alt.Tooltip("p50:Q", format=".4g"),
        ],
    )
    return alt.layer(outer, inner, median)


__all__ = [
    "RiskSettings",
    "StoredSweep",
    "default_ranges",
    "fan_data",
    "kpi_name",
    "marginal_table",
    "percentile_table",
    "risk_sweep",
    "stress_table",
    "sweep_xlsx_bytes",
    "varying_kpis",
]
