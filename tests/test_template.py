"""The dataset template: blank in either language, or with a dataset written in; the round trip plans the same."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from planner.cli.main import main
from planner.dataset.io import check_dataset, read_dataset
from planner.dataset.schema import TABLES
from planner.outputs.template import README_SHEET, save_template
from planner.pipeline import make_plan
from planner.rules.rules import load_rules
from planner.rules.scenario import make_scenario

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"
CJK = re.compile(r"[\u3400-\u9fff]")
TIMINGS = ("seconds", "seconds_total")


def test_a_blank_template_has_a_sheet_per_table_with_headers_units_an_example_and_lists(tmp_path: Path) -> None:
    path = save_template(tmp_path / "district.xlsx", "zh")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [README_SHEET, *TABLES]
    homes = book["care_homes"]
    rows = list(homes.iter_rows(values_only=True, max_row=3))
    assert rows[0][:3] == ("home_id", "street_id", "name")
    assert all(CJK.search(str(cell)) for cell in rows[1] if cell), "what each column holds, in Chinese"
    assert rows[1][rows[0].index("lat")] == "纬度（°） · 必填"
    assert rows[1][rows[0].index("on_hand_tcm")] == "现有：中药（份） · 选填"
    assert str(rows[2][0]).startswith("# 示例")
    lists = {str(v.sqref): v for v in homes.data_validations.dataValidation}
    partition = rows[0].index("partition")
    letter = openpyxl.utils.get_column_letter(partition + 1)
    assert any(sqref.startswith(letter) and v.formula1 == '"是,否"' for sqref, v in lists.items())
    status = book["sites"]
    assert any(v.formula1 == '"open,candidate,closed"' for v in status.data_validations.dataValidation)
    assert any(v.formula1 == '"2,3"' for v in book["hospitals"].data_validations.dataValidation)
    readme = [cell for row in book[README_SHEET].iter_rows(values_only=True) for cell in row if cell]
    assert any("第4行" in str(cell) for cell in readme)


def test_reading_a_blank_template_asks_for_rows_and_nothing_else(tmp_path: Path) -> None:
    dataset, problems = check_dataset(save_template(tmp_path / "blank.xlsx", "en"))
    assert dataset is None
    assert {p.message for p in problems} == {
        f"no rows: the table {t} must have at least one row" for t, spec in TABLES.items() if spec.required
    }, "the description and example rows and the readme sheet are skipped (optional tables may stay empty)"


@pytest.mark.slow
def test_the_sample_written_into_the_template_validates_and_plans_to_the_same_kpis(tmp_path: Path) -> None:
    sample = read_dataset(SAMPLE)
    path = save_template(tmp_path / "filled.xlsx", "zh", sample)
    filled, problems = check_dataset(path)
    assert filled is not None and problems == []
    assert filled.content_hash() == sample.content_hash()
    rules, scenario = load_rules(), make_scenario(level="prevalent")
    kpis = {k: v for k, v in make_plan(filled, rules, scenario).kpis.items() if k not in TIMINGS}
    assert kpis == {k: v for k, v in make_plan(sample, rules, scenario).kpis.items() if k not in TIMINGS}


def test_epiplan_template_writes_blank_or_filled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["template", "--lang", "zh", "--out", str(tmp_path / "district.xlsx")]) == 0
    assert main(["template", "--data", str(SAMPLE), "--out", str(tmp_path / "filled.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "care_homes" in out and "570" in out
    assert main(["template", "--out", str(tmp_path / "missing" / "t.xlsx")]) == 2
    assert "add --mkdir" in capsys.readouterr().out
    assert main(["validate", str(tmp_path / "filled.xlsx")]) == 0
