"""Charts where a coordinator would rather look than read (Altair / Vega-Lite).

Each ``*_data`` function is a pure aggregation of a plan's tables (tested on its
own); each ``*_chart`` turns it into an Altair chart with labels in the reader's
language.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import pandas as pd

from planner.report.plan import Plan
from planner.ui import i18n

CHART_HEIGHT = 320
KIND_ORDER: tuple[str, ...] = ("care_home", "clinic", "hospital")


def fill_rate_data(targets: pd.DataFrame) -> pd.DataFrame:
    """Fill rate of the need by drug class and institution kind: ``drug, kind, need, allocated, fill_rate``.

    ``fill_rate = allocated / need`` over the institutions with a need (1.0 when nothing is needed).
    """
    grouped = targets.groupby(["drug", "kind"], as_index=False)[["need", "allocated"]].sum()
    need = grouped["need"].astype(float)
    grouped["fill_rate"] = (grouped["allocated"].astype(float) / need.where(need > 0)).fillna(1.0).clip(upper=1.0)
    return grouped


def occupancy_data(sites: pd.DataFrame, site_district: Mapping[str, str]) -> pd.DataFrame:
    """Persons placed and free rooms at open sites, by district: ``district_id, measure, count``.

    ``measure`` is ``persons`` or ``free_rooms``.
    """
    open_sites = sites[sites["open"].astype(bool)].copy()
    open_sites["district_id"] = open_sites["site_id"].astype(str).map(site_district).fillna("")
    per_district = open_sites.groupby("district_id", as_index=False)[["persons", "free_rooms"]].sum()
    return per_district.melt(id_vars="district_id", var_name="measure", value_name="count")


def coverage_data(handshakes: pd.DataFrame, home_district: Mapping[str, str]) -> pd.DataFrame:
    """Daily transfers covered and not covered, by district: ``district_id, covered, daily_transfers``."""
    frame = handshakes.assign(
        district_id=handshakes["home_id"].astype(str).map(home_district).fillna(""),
        covered=handshakes["covered"].astype(bool),
    )
    return frame.groupby(["district_id", "covered"])["daily_transfers"].sum().reset_index()


def nursing_data(needs: pd.DataFrame) -> pd.DataFrame:
    """Nursing needs assigned and unmet by tier: ``need, measure, nurses`` (measure ``assigned``/``unmet``)."""
    grouped = needs.groupby("need", as_index=False)[["assigned", "unmet"]].sum()
    return grouped.melt(id_vars="need", var_name="measure", value_name="nurses")


def fill_rate_chart(plan: Plan, language: str) -> alt.Chart:
    """Horizontal bars: fill rate per drug class, one bar per institution kind."""
    data = fill_rate_data(plan.stage("drugs").table("targets"))
    data["drug_label"] = data["drug"].map(lambda d: i18n.value("drug", d, language))
    data["kind_label"] = data["kind"].map(lambda k: i18n.value("kind", k, language))
    kinds = [i18n.value("kind", k, language) for k in KIND_ORDER]
    return (
        alt.Chart(data, title=i18n.t("fill_rates", language), height=CHART_HEIGHT)
        .mark_bar()
        .encode(
            x=alt.X("fill_rate:Q", title=i18n.column_label("fill_rate", language), scale=alt.Scale(domain=[0, 1])).axis(
                format="%"
            ),
            y=alt.Y("drug_label:N", title=i18n.column_label("drug", language)),
            yOffset=alt.YOffset("kind_label:N", sort=kinds),
            color=alt.Color("kind_label:N", title=i18n.column_label("kind", language), sort=kinds),
            tooltip=[
                alt.Tooltip("drug_label:N", title=i18n.column_label("drug", language)),
                alt.Tooltip("kind_label:N", title=i18n.column_label("kind", language)),
                alt.Tooltip("fill_rate:Q", title=i18n.column_label("fill_rate", language), format=".1%"),
                alt.Tooltip("allocated:Q", title=i18n.column_label("allocated", language), format=","),
                alt.Tooltip("need:Q", title=i18n.column_label("required", language), format=","),
            ],
        )
    )


def occupancy_chart(plan: Plan, located: pd.DataFrame, language: str) -> alt.Chart:
    """Stacked bars per district: persons placed and free rooms at open sites."""
    district_of = dict(zip(located["id"], located["district_id"], strict=True))
    district_name = dict(zip(located["district_id"], located["district"], strict=True))
    data = occupancy_data(plan.stage("observation").table("sites"), district_of)
    data["district"] = data["district_id"].map(district_name).fillna(data["district_id"])
    data["measure_label"] = data["measure"].map(lambda m: i18n.column_label(m, language))
    return (
        alt.Chart(data, title=i18n.t("site_occupancy", language), height=CHART_HEIGHT)
        .mark_bar()
        .encode(
            x=alt.X("district:N", title=i18n.column_label("district", language), sort="-y"),
            y=alt.Y("count:Q", title=i18n.column_label("rooms", language), stack="zero"),
            color=alt.Color(
                "measure_label:N",
                title="",
                scale=alt.Scale(range=["#1e9e5a", "#b8e0c8"]),
                sort=[i18n.column_label("persons", language), i18n.column_label("free_rooms", language)],
            ),
            tooltip=["district:N", "measure_label:N", "count:Q"],
        )
    )


def coverage_chart(plan: Plan, located: pd.DataFrame, language: str) -> alt.Chart:
    """Stacked bars per district: daily transfers covered within the limit and not covered."""
    district_of = dict(zip(located["id"], located["district_id"], strict=True))
    district_name = dict(zip(located["district_id"], located["district"], strict=True))
    data = coverage_data(plan.stage("ambulance").table("handshakes"), district_of)
    data["district"] = data["district_id"].map(district_name).fillna(data["district_id"])
    covered_label = i18n.column_label("covered", language)
    data["covered_label"] = data["covered"].map(lambda c: i18n.value("bool", str(bool(c)), language))
    return (
        alt.Chart(data, title=i18n.t("coverage_chart", language), height=CHART_HEIGHT)
        .mark_bar()
        .encode(
            x=alt.X("district:N", title=i18n.column_label("district", language), sort="-y"),
            y=alt.Y("daily_transfers:Q", title=i18n.column_label("daily_transfers", language), stack="zero"),
            color=alt.Color(
                "covered_label:N",
                title=covered_label,
                scale=alt.Scale(
                    domain=[i18n.value("bool", "True", language), i18n.value("bool", "False", language)],
                    range=["#f08c14", "#dc1e1e"],
                ),
            ),
            tooltip=["district:N", "covered_label:N", alt.Tooltip("daily_transfers:Q", format=".2f")],
        )
    )


def nursing_chart(plan: Plan, language: str) -> alt.Chart:
    """Stacked bars per tier: nurses assigned and unmet."""
    data = nursing_data(plan.stage("nursing").table("needs"))
    data["tier"] = data["need"].map(lambda n: i18n.value("need", n, language))
    data["measure_label"] = data["measure"].map(lambda m: i18n.column_label(m, language))
    return (
        alt.Chart(data, title=i18n.t("nursing_needs", language), height=220)
        .mark_bar()
        .encode(
            y=alt.Y("tier:N", title=i18n.column_label("need", language)),
            x=alt.X("nurses:Q", title=i18n.column_label("nurses", language), stack="zero"),
            color=alt.Color("measure_label:N", title="", scale=alt.Scale(range=["#963cbe", "#dc1e1e"])),
            tooltip=["tier:N", "measure_label:N", "nurses:Q"],
        )
    )
