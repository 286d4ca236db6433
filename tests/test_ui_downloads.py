"""The downloads: one file per format, named by level, built on demand."""

from __future__ import annotations

import io
import json
import zipfile

import openpyxl
import pandas as pd
from plan_fixture import make_plan_fixture

from planner.outputs.schema import validate_plan_json
from planner.ui.downloads import XLSX_MIME, download_files


def test_download_files_name_the_level_and_build_their_bytes_on_demand() -> None:
    plan = make_plan_fixture()
    files = {f.key: f for f in download_files(plan, pd.DataFrame(), "en")}  # the dispatch sheet is not built here
    assert list(files) == ["download_xlsx", "download_pdf", "download_json", "download_zip", "download_dispatch"]
    assert files["download_pdf"].build().startswith(b"%PDF")
    level = plan.scenario.level
    assert files["download_json"].file_name == f"epiplan-{level}.json"
    assert files["download_zip"].file_name == f"epiplan-{level}-csv.zip"
    assert files["download_xlsx"].mime == files["download_dispatch"].mime == XLSX_MIME
    assert validate_plan_json(json.loads(files["download_json"].build())) == []
    assert files["download_xlsx"].file_name == f"epiplan-{level}-en.xlsx"
    assert openpyxl.load_workbook(io.BytesIO(files["download_xlsx"].build())).sheetnames[0] == "Summary"
    chinese = {f.key: f for f in download_files(plan, pd.DataFrame(), "zh", {"ST1": "安定门观察点"})}
    book = openpyxl.load_workbook(io.BytesIO(chinese["download_xlsx"].build()))
    assert book.sheetnames[:2] == ["概要", "合规检查"], "the workbook follows the app's language"
    assert chinese["download_xlsx"].file_name == f"epiplan-{level}-zh.xlsx"
    assert "plan.json" in zipfile.ZipFile(io.BytesIO(files["download_zip"].build())).namelist()
