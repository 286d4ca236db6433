"""The per-district dispatch sheet: what each district sends where, in the order a coordinator phones it through.

Three kinds of line, each from a sender in the district to a receiver:

- nurses from a reserve pool to a hospital, care home or observation site (by tier);
- persons from a care home to an observation site (by group);
- packs of a drug from a depot to a care home, clinic or hospital.

Order: by district, then nurses, persons, drugs; within each kind by sender, the
sender sending the most first; within a sender the largest line first. Each
district's lines are numbered from 1 (``step``). The workbook has a summary sheet
and one sheet per district, every cell a value (formula-like text is quoted).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pandas as pd

from planner.outputs.sheets import is_formula_like, sheet_name
from planner.report.plan import Plan
from planner.ui import i18n

LINE_COLUMNS: tuple[str, ...] = (
    "district_id",
    "district",
    "step",
    "sender_kind",
    "sender_id",
    "sender",
    "receiver_id",
    "receiver",
    "receiver_district",
    "what",
    "quantity",
    "unit",
    "minutes",
    "sender_code",
)
"""Columns of :func:`dispatch_lines`; ``sender_code`` is the sender kind as a code (``pool``, ``care_home``...)."""
SENDER_ORDER: dict[str, int] = {"pool": 0, "care_home": 1, "depot": 2}
UNITS: dict[str, tuple[str, str]] = {
    "pool": ("nurses", "名护理人员"),
    "care_home": ("persons", "人"),
    "depot": ("packs", "份"),
}
HEADERS: dict[str, tuple[str, str]] = {
    "district": ("District", "区"),
    "step": ("Call", "序号"),
    "sender_kind": ("Sender kind", "派出方类别"),
    "sender": ("Sender", "派出方"),
    "receiver": ("Receiver", "接收方"),
    "receiver_district": ("Receiver's district", "接收方所在区"),
    "what": ("What", "内容"),
    "quantity": ("How many", "数量"),
    "unit": ("Unit", "单位"),
    "minutes": ("Minutes", "路程（分钟）"),
    "sender_id": ("Sender id", "派出方编号"),
    "receiver_id": ("Receiver id", "接收方编号"),
    "nurses": ("Nurses", "护理人员"),
    "persons": ("Persons", "人员"),
    "packs": ("Packs", "药品（份）"),
    "lines": ("Calls", "调度条数"),
}
SENDER_KINDS: dict[str, tuple[str, str]] = {
    "pool": ("reserve pool", "护理应急支援队伍"),
    "care_home": ("care home", "养老机构"),
    "depot": ("depot", "药品物资储备库"),
}


def _pick(pair: tuple[str, str], language: str) -> str:
    return pair[1] if language == "zh" else pair[0]


def _raw_lines(
    sender_kind: str, sender: pd.Series, receiver: pd.Series, what: pd.Series, quantity: pd.Series, minutes: pd.Series
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sender_kind": sender_kind,
            "sender_id": sender.astype(str).to_numpy(),
            "receiver_id": receiver.astype(str).to_numpy(),
            "what": what.astype(str).to_numpy(),
            "quantity": pd.to_numeric(quantity).to_numpy(),
            "minutes": pd.to_numeric(minutes).astype(float).to_numpy(),
        }
    )


def nurse_lines(assignments: pd.DataFrame, needs: pd.DataFrame) -> pd.DataFrame:
    """Pool -> destination lines from the nursing assignments (``what`` = the need tier)."""
    joined = assignments.merge(needs[["need_id", "destination_id", "need"]], on="need_id", how="left")
    joined = joined[joined["nurses"] > 0]
    return _raw_lines(
        "pool", joined["pool_id"], joined["destination_id"], joined["need"], joined["nurses"], joined["minutes"]
    )


def person_lines(assignments: pd.DataFrame) -> pd.DataFrame:
    """Care home -> site lines from the observation assignments (``what`` = the group)."""
    rows = assignments[assignments["persons"] > 0]
    return _raw_lines("care_home", rows["home_id"], rows["site_id"], rows["group"], rows["persons"], rows["minutes"])


def drug_lines(allocations: pd.DataFrame) -> pd.DataFrame:
    """Depot -> institution lines from the drug allocations (``what`` = the drug class)."""
    rows = allocations[allocations["quantity"] > 0]
    return _raw_lines(
        "depot", rows["depot_id"], rows["institution_id"], rows["drug"], rows["quantity"], rows["minutes"]
    )


def order_lines(lines: pd.DataFrame, districts: Mapping[str, str]) -> pd.DataFrame:
    """Sort lines by sender district, sender kind, sender total (largest first), then line size; number them.

    Parameters
    ----------
    lines
        ``sender_kind, sender_id, receiver_id, what, quantity, minutes``.
    districts
        Entity id -> district id (senders without one go under ``""``).
    """
    ordered = lines.copy()
    ordered["district_id"] = ordered["sender_id"].map(districts).fillna("").astype(str)
    ordered["kind_rank"] = ordered["sender_kind"].map(SENDER_ORDER).fillna(len(SENDER_ORDER))
    ordered["sender_total"] = ordered.groupby(["sender_kind", "sender_id"])["quantity"].transform("sum")
    ordered = ordered.sort_values(
        ["district_id", "kind_rank", "sender_total", "sender_id", "quantity", "receiver_id", "what"],
        ascending=[True, True, False, True, False, True, True],
        kind="stable",
    )
    ordered["step"] = ordered.groupby("district_id").cumcount() + 1
    return ordered.drop(columns=["kind_rank", "sender_total"]).reset_index(drop=True)


def dispatch_lines(plan: Plan, located: pd.DataFrame, language: str = "en") -> pd.DataFrame:
    """Every dispatch line of ``plan`` in calling order, with names in ``language`` (columns :data:`LINE_COLUMNS`).

    ``located`` is :func:`planner.ui.places.places` of the plan's dataset.
    """
    lines = pd.concat(
        [
            nurse_lines(plan.stage("nursing").table("assignments"), plan.stage("nursing").table("needs")),
            person_lines(plan.stage("observation").table("assignments")),
            drug_lines(plan.stage("drugs").table("allocations")),
        ],
        ignore_index=True,
    )
    district_of = dict(zip(located["id"], located["district_id"], strict=True))
    district_name = dict(zip(located["district_id"], located["district"], strict=True))
    names = dict(zip(located["id"], located["name"], strict=True))
    ordered = order_lines(lines, district_of)
    ordered["district"] = ordered["district_id"].map(district_name).fillna(ordered["district_id"])
    ordered["sender"] = ordered["sender_id"].map(names).fillna(ordered["sender_id"])
    ordered["receiver"] = ordered["receiver_id"].map(names).fillna(ordered["receiver_id"])
    receiver_district = ordered["receiver_id"].map(district_of).map(district_name)
    ordered["receiver_district"] = receiver_district.fillna("")
    category = {"pool": "need", "care_home": "group", "depot": "drug"}
    ordered["what"] = [
        i18n.value(category[kind], code, language)
        for kind, code in zip(ordered["sender_kind"], ordered["what"], strict=True)
    ]
    ordered["sender_code"] = ordered["sender_kind"]
    ordered["unit"] = ordered["sender_kind"].map(lambda k: _pick(UNITS[k], language))
    ordered["sender_kind"] = ordered["sender_kind"].map(lambda k: _pick(SENDER_KINDS[k], language))
    ordered["minutes"] = ordered["minutes"].round(1)
    return ordered[list(LINE_COLUMNS)]


def district_summary(lines: pd.DataFrame) -> pd.DataFrame:
    """Per district: nurses, persons and packs sent, and the number of calls (``district_id`` order)."""
    if lines.empty:
        return pd.DataFrame(columns=["district_id", "district", "nurses", "persons", "packs", "lines"])
    kinds = {"pool": "nurses", "care_home": "persons", "depot": "packs"}
    wide = (
        lines.assign(column=lines["sender_code"].map(kinds))
        .pivot_table(index=["district_id", "district"], columns="column", values="quantity", aggfunc="sum")
        .reindex(columns=list(kinds.values()))
        .fillna(0)
        .astype("int64")
    )
    wide["lines"] = lines.groupby(["district_id", "district"]).size()
    return wide.reset_index()


def _headers(columns: list[str], language: str) -> list[str]:
    return [_pick(HEADERS[c], language) if c in HEADERS else c for c in columns]


def _write_frame(worksheet: Any, formats: Mapping[str, Any], frame: pd.DataFrame, headers: list[str]) -> None:
    """Header row, then values (never formulas), column widths fitted, header frozen."""
    widths = [len(h) * (2 if any(ord(ch) > 0x2E80 for ch in h) else 1) for h in headers]
    for col, header in enumerate(headers):
        worksheet.write_string(0, col, header, formats["header"])
    for row, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        for col, cell in enumerate(values):
            if isinstance(cell, str):
                style = formats["quoted"] if is_formula_like(cell) else None
                worksheet.write_string(row, col, cell, style)
                width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in cell)
            elif pd.isna(cell):
                continue
            else:
                worksheet.write_number(row, col, float(cell) if isinstance(cell, float) else int(cell))
                width = len(f"{cell}")
            widths[col] = max(widths[col], width)
    for col, width in enumerate(widths):
        worksheet.set_column(col, col, min(60, max(6, width + 2)))
    worksheet.freeze_panes(1, 0)


SHEET_COLUMNS: tuple[str, ...] = (
    "step",
    "sender_kind",
    "sender",
    "receiver",
    "receiver_district",
    "what",
    "quantity",
    "unit",
    "minutes",
    "sender_id",
    "receiver_id",
)


def dispatch_xlsx_bytes(plan: Plan, located: pd.DataFrame, language: str = "en") -> bytes:
    """The dispatch workbook: a summary sheet, then one sheet per district with its calls in order."""
    import xlsxwriter

    lines = dispatch_lines(plan, located, language)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    formats = {
        "header": workbook.add_format({"bold": True, "bottom": 1}),
        "quoted": workbook.add_format({"quote_prefix": True}),
    }
    summary_name = "汇总" if language == "zh" else "Summary"
    used = {summary_name.lower()}
    summary = district_summary(lines).drop(columns=["district_id"])
    _write_frame(workbook.add_worksheet(summary_name), formats, summary, _headers(list(summary.columns), language))
    for _district_id, group in lines.groupby("district_id", sort=True):
        sheet = workbook.add_worksheet(sheet_name(str(group["district"].iloc[0]), used, fallback="district"))
        frame = group[list(SHEET_COLUMNS)]
        _write_frame(sheet, formats, frame, _headers(list(SHEET_COLUMNS), language))
    workbook.close()
    return buffer.getvalue()
