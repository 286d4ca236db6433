"""The *Risk* view: settings, a sweep that runs beside the app, then the spread of the KPIs.

The coordinator picks the number of scenarios and the range of each knob (in percent), and how to run: ``auto``
(small sweeps in this process, larger ones on a Dask cluster kept for the session), this process, or Dask. The
sweep runs in a background thread (``planner.ui.sweep_job``): the app stays usable, the view shows its progress
every second with a Cancel button, and the results (``planner.ui.risk``: charts and tables) when it is done.
Pressing Enter in a field does not start a sweep; only the button does.
"""

from __future__ import annotations

import streamlit as st

from planner.dataset.names import names
from planner.dataset.schema import Dataset
from planner.rules.rules import Rules
from planner.rules.scenario import Scenario
from planner.sweep.execution import default_workers
from planner.sweep.results import summarize
from planner.sweep.vocabulary import TIMING_COLUMNS, SweepError
from planner.ui import i18n
from planner.ui.risk import (
    FACTOR_MAX,
    FACTOR_RANGES,
    RESULT_KEY,
    SHARE_RANGES,
    TOP_ROWS,
    RiskSettings,
    StoredSweep,
    default_ranges,
    fan_chart,
    histogram_chart,
    knob_name,
    kpi_name,
    label,
    marginal_table,
    numeric_knobs,
    percentile_table,
    risk_sweep,
    stress_table,
    sweep_xlsx_bytes,
    varying_kpis,
)
from planner.ui.sweep_job import SERIAL_UP_TO, Engine, SessionCluster, SweepJob, start_sweep

JOB_KEY = "risk_job"
"""Session key of the running (or last) sweep job (:class:`planner.ui.sweep_job.SweepJob`)."""
SETTINGS_KEY = "risk_settings"
"""Session key of the settings of the last sweep started (:class:`planner.ui.risk.RiskSettings`)."""
CLUSTER_KEY = "risk_cluster"
"""Session key of the session's Dask cluster (:class:`planner.ui.sweep_job.SessionCluster`)."""
POLL_S = 1.0
PERCENT = 100.0


# --- the view -----------------------------------------------------------------------------------------------------


def _range_inputs(scenario: Scenario, language: str, last: RiskSettings | None) -> dict[str, tuple[float, float]]:
    """Each knob's range, as sliders in percent (returned as shares and factors); the last sweep's ranges first."""
    defaults = {**default_ranges(scenario), **dict(last.ranges or {})} if last is not None else default_ranges(scenario)
    ranges: dict[str, tuple[float, float]] = {}
    columns = st.columns(2)
    for index, knob in enumerate((*SHARE_RANGES, *FACTOR_RANGES)):
        top = PERCENT if knob in SHARE_RANGES else FACTOR_MAX * PERCENT
        low, high = defaults[knob]
        with columns[index % 2]:
            chosen = st.slider(
                knob_name(knob, language),
                min_value=0.0,
                max_value=top,
                value=(round(PERCENT * float(low), 1), round(PERCENT * float(min(high, top / PERCENT)), 1)),
                step=0.5,
                format="%.1f%%",
                key=f"risk_range_{knob}",
            )
        ranges[knob] = (float(chosen[0]) / PERCENT, float(chosen[1]) / PERCENT)
    return ranges


ENGINES: tuple[Engine, ...] = ("auto", "serial", "dask")


def _settings_form(scenario: Scenario, language: str, disabled: bool) -> RiskSettings | None:
    """The settings form (Enter in a field does not submit it); the settings when the run button was pressed.

    The widgets start from the last sweep's settings (:data:`SETTINGS_KEY`): their own state goes whenever the
    Risk view is not drawn (another view open while a sweep runs).
    """
    last: RiskSettings | None = st.session_state.get(SETTINGS_KEY)
    start = last or RiskSettings(workers=default_workers())
    with st.form("risk_form", enter_to_submit=False):
        st.markdown(f"**{label('risk_settings', language)}**")
        first, second, third = st.columns(3)
        samples = first.number_input(
            label("risk_samples", language), 1, 5000, start.samples, step=10, key="risk_samples"
        )
        seed = second.number_input(label("risk_seed", language), 0, 2**31 - 1, start.seed, key="risk_seed")
        time_limit = third.number_input(
            label("risk_time_limit", language), 0.1, 120.0, float(start.time_limit_s), key="risk_time_limit"
        )
        st.caption(label("risk_ranges", language))
        ranges = _range_inputs(scenario, language, last)
        left, right = st.columns(2)
        site_closure = left.slider(
            label("risk_site_closure", language),
            0.0,
            50.0,
            PERCENT * start.site_closure,
            1.0,
            format="%.0f%%",
            key="risk_site_closure",
        )
        station_outage = right.slider(
            label("risk_station_outage", language),
            0.0,
            50.0,
            PERCENT * start.station_outage,
            1.0,
            format="%.0f%%",
            key="risk_station_outage",
        )
        left, right = st.columns(2)
        engine = left.radio(
            label("risk_engine", language),
            ENGINES,
            index=ENGINES.index(start.engine) if start.engine in ENGINES else 0,
            format_func=lambda e: label(f"risk_engine_{e}", language, n=SERIAL_UP_TO),
            key=f"risk_engine_{language}",
        )
        workers = right.number_input(
            label("risk_workers", language), 1, 256, int(start.workers or default_workers()), key="risk_workers"
        )
        run = st.form_submit_button(label("risk_run", language), type="primary", key="risk_run", disabled=disabled)
    if not run:
        return None
    settings = RiskSettings(
        samples=int(samples),
        seed=int(seed),
        ranges=ranges,
        site_closure=float(site_closure) / PERCENT,
        station_outage=float(station_outage) / PERCENT,
        engine=engine if engine in ENGINES else "auto",
        workers=int(workers),
        time_limit_s=float(time_limit),
    )
    st.session_state[SETTINGS_KEY] = settings
    return settings


def _cluster() -> SessionCluster:
    """The session's Dask cluster holder (the cluster itself starts on the first Dask sweep)."""
    holder = st.session_state.get(CLUSTER_KEY)
    if not isinstance(holder, SessionCluster):
        holder = SessionCluster()
        st.session_state[CLUSTER_KEY] = holder
    return holder


def _start(dataset: Dataset, rules: Rules, scenario: Scenario, settings: RiskSettings, language: str) -> None:
    """Start the sweep beside the app (its progress is drawn by :func:`_progress`)."""
    try:
        sweep = risk_sweep(dataset, scenario, settings)
    except SweepError as exc:
        st.error(label("risk_bad", language, problems="; ".join(exc.problems)))
        return
    st.session_state[JOB_KEY] = start_sweep(
        dataset,
        rules,
        sweep,
        engine=settings.engine,
        workers=settings.workers or default_workers(),
        time_limit_s=settings.time_limit_s,
        cluster=_cluster(),
    )


def collect(session: object, job: SweepJob) -> StoredSweep | None:
    """A finished job's result as the session's last sweep (None when it failed or was cancelled)."""
    if job.running or job.result is None:
        return None
    return StoredSweep(job.dataset_sha256, job.result, summarize(job.result, stress_points=TOP_ROWS), job.seconds)


def _on_cancel() -> None:
    job = st.session_state.get(JOB_KEY)
    if isinstance(job, SweepJob):
        job.cancel()


@st.fragment(run_every=POLL_S)
def _progress(language: str) -> None:
    """The running sweep's progress and Cancel button, redrawn every second; the whole view when it ends."""
    job = st.session_state.get(JOB_KEY)
    if not isinstance(job, SweepJob):
        return
    if not job.running:
        st.rerun()
    engine = label(f"risk_engine_{job.engine}", language, n=SERIAL_UP_TO)
    text = label("risk_running", language, done=job.done, total=job.total)
    st.progress(job.done / max(job.total, 1), text=f"{text} ({engine}, {job.seconds:.0f} s)")
    if job.cancel_event.is_set():
        st.caption(label("risk_cancelling", language))
    else:
        st.button(label("risk_cancel", language), key="risk_cancel", on_click=_on_cancel, icon=":material/stop:")
    st.caption(label("risk_usable", language))


def _finish(language: str) -> None:
    """Move a finished job's result into the session and say how it ended."""
    job = st.session_state.get(JOB_KEY)
    if not isinstance(job, SweepJob) or job.running:
        return
    del st.session_state[JOB_KEY]
    stored = collect(st.session_state, job)
    if stored is not None:
        st.session_state[RESULT_KEY] = stored
    elif job.cancelled:
        st.warning(label("risk_cancelled", language, done=job.done, total=job.total))
    elif job.error:
        st.error(label("risk_bad", language, problems=job.error))


def _draw_results(stored: StoredSweep, dataset: Dataset, language: str) -> None:
    result, summary = stored.result, stored.summary
    counts = summary.status_counts
    st.success(label("risk_done", language, total=len(result.scenarios), seconds=stored.seconds, **counts))
    kpis = varying_kpis(result) or [k for k in result.kpi_columns if k not in TIMING_COLUMNS]
    knobs = numeric_knobs(result)
    left, right = st.columns(2)
    kpi = left.selectbox(
        label("risk_kpi", language), kpis, format_func=lambda k: kpi_name(k, language), key="risk_chosen_kpi"
    )
    if kpi is not None:
        left.altair_chart(histogram_chart(result.scenarios, kpi, language))
        if knobs:
            knob = right.selectbox(
                label("risk_knob", language), knobs, format_func=lambda k: knob_name(k, language), key="risk_knob"
            )
            right.altair_chart(fan_chart(result.scenarios, kpi, str(knob), language))
    st.markdown(f"**{label('risk_percentiles', language)}**")
    st.dataframe(percentile_table(summary, kpis, language), hide_index=True, key="risk_percentile_table")
    entity_names = names(dataset, language)
    st.markdown(f"**{label('risk_stress', language)}**")
    if summary.stress_points.empty:
        st.info(label("risk_no_stress", language))
    else:
        st.dataframe(
            stress_table(summary.stress_points, entity_names, language), hide_index=True, key="risk_stress_table"
        )
    st.markdown(f"**{label('risk_marginal', language)}**")
    if summary.marginal_values.empty:
        st.info(i18n.t("no_marginal", language))
    else:
        st.dataframe(
            marginal_table(summary.marginal_values, entity_names, language),
            hide_index=True,
            key="risk_marginal_table",
            column_config={
                label("share_positive", language): st.column_config.ProgressColumn(
                    label("share_positive", language), min_value=0.0, max_value=1.0, format="percent"
                )
            },
        )
    failed = result.scenarios[result.scenarios["status"] == "error"]
    if not failed.empty:
        with st.expander(label("risk_failed", language)):
            st.dataframe(failed[["scenario", "message"]], hide_index=True)
    st.download_button(
        label("risk_download", language),
        sweep_xlsx_bytes(result, summary),
        file_name="sweep.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="risk_download",
        on_click="ignore",
    )


def render_risk(dataset: Dataset, rules: Rules, base_scenario: Scenario, language: str) -> None:
    """The Risk view: settings, a sweep running beside the app with its progress, then the spread of the KPIs,
    the stress points and what more resources would buy."""
    st.subheader(label("risk_title", language))
    st.caption(label("risk_caption", language))
    _finish(language)
    job = st.session_state.get(JOB_KEY)
    running = isinstance(job, SweepJob) and job.running
    settings = _settings_form(base_scenario, language, disabled=running)
    if settings is not None and not running:
        _start(dataset, rules, base_scenario, settings, language)
        running = True
    if running:
        _progress(language)
    stored: StoredSweep | None = st.session_state.get(RESULT_KEY)
    if stored is None:
        if not running:
            st.info(label("risk_empty", language))
        return
    if stored.dataset_sha256 != (dataset.sha256 or dataset.content_hash()):
        st.warning(label("risk_stale", language))
        return
    _draw_results(stored, dataset, language)


__all__ = ["collect", "render_risk"]
