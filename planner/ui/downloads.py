"""The download buttons: the plan as .xlsx, .json and a .zip of CSVs, and the per-district dispatch sheet."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from planner.outputs.csv_zip import to_zip_bytes
from planner.outputs.plan_json import to_json_bytes
from planner.outputs.workbook import to_xlsx_bytes
from planner.report.plan import Plan
from planner.report.summary import summary_pdf
from planner.ui import i18n
from planner.ui.dispatch import dispatch_xlsx_bytes


@dataclass(frozen=True)
class DownloadFile:
    """One download: its label key, how to build its bytes, its file name and MIME type."""

    key: str
    build: Callable[[], bytes]
    file_name: str
    mime: str


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MIME = "application/pdf"


def download_files(
    plan: Plan,
    located: pd.DataFrame,
    language: str,
    names: Mapping[str, str] | None = None,
    border: pd.DataFrame | None = None,
) -> list[DownloadFile]:
    """The plan as .xlsx (the coordinator's workbook in ``language``, ``names`` beside ids), .json, .zip of CSVs,
    the per-district dispatch sheet and the one-page summary (.pdf), bytes built on demand; for a district's part
    (``border``: its flows across the border) the file names carry the district."""
    district = plan.kpis.get("district")
    stem = f"epiplan-{plan.scenario.level}" + (f"-{district}" if district else "")
    names = dict(names or {})
    return [
        DownloadFile(
            "download_xlsx",
            lambda: to_xlsx_bytes(plan, language, names, border),
            f"{stem}-{language}.xlsx",
            XLSX_MIME,
        ),
        DownloadFile("download_pdf", lambda: summary_pdf(plan, language, names), f"{stem}-{language}.pdf", PDF_MIME),
        DownloadFile("download_json", lambda: to_json_bytes(plan), f"{stem}.json", "application/json"),
        DownloadFile("download_zip", lambda: to_zip_bytes(plan), f"{stem}-csv.zip", "application/zip"),
        DownloadFile(
            "download_dispatch",
            lambda: dispatch_xlsx_bytes(plan, located, language),
            f"{stem}-dispatch.xlsx",
            XLSX_MIME,
        ),
    ]


def draw_downloads(
    plan: Plan,
    located: pd.DataFrame,
    language: str,
    names: Mapping[str, str] | None = None,
    border: pd.DataFrame | None = None,
) -> None:
    """One button per download; the file is built when the button is clicked."""
    st.caption(i18n.t("downloads", language))
    files = download_files(plan, located, language, names, border)
    row = st.container(horizontal=True)
    for file in files:
        row.download_button(
            i18n.t(file.key, language),
            data=file.build,
            file_name=file.file_name,
            mime=file.mime,
            on_click="ignore",
            key=file.key,
            icon=":material/download:",
            width="content",
        )
