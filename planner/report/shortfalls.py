"""The largest shortfalls with their explanations, and what more resources would buy, in a reader's language.

Pure functions of a plan, shared by the app's Overview (``planner.ui.overview``) and the printable summary
(``planner.report.summary``).
"""

from __future__ import annotations

import pandas as pd

from planner.report.labels import stage_label
from planner.report.plan import Plan
from planner.stages.registry import STAGE_NAMES

SHORTFALLS_PER_STAGE = 5
MARGINAL_ROWS = 10


def shortfall_sizes(plan: Plan) -> pd.DataFrame:
    """The size of each explained shortfall, in the order ``planner.report.explain`` writes them: ``stage, size, unit``.

    observation: persons (one row per unmet home and group); ambulance: daily
    transfers of the home; nursing: nurses unmet per district, tier and reason;
    drugs: packs short per drug.
    """
    parts = []
    unmet = plan.stage("observation").table("unmet")
    parts.append(pd.DataFrame({"stage": "observation", "size": unmet["persons"].astype(float), "unit": "persons"}))
    hand = plan.stage("ambulance").table("handshakes")
    uncovered = hand[~hand["covered"].astype(bool)]
    parts.append(
        pd.DataFrame({"stage": "ambulance", "size": uncovered["daily_transfers"].astype(float), "unit": "per_day"})
    )
    needs = plan.stage("nursing").table("needs")
    short = needs[needs["unmet"] > 0]
    if "reason" in short.columns:
        nursing = short.groupby(["district_id", "need", "reason"], sort=True)["unmet"].sum()
    else:
        nursing = short.groupby(["district_id", "need"], sort=True)["unmet"].sum()
    parts.append(pd.DataFrame({"stage": "nursing", "size": nursing.astype(float).to_numpy(), "unit": "nurses"}))
    targets = plan.stage("drugs").table("targets")
    per_drug = targets.groupby("drug", sort=False)[["need", "allocated"]].sum()
    gap = per_drug["need"] - per_drug["allocated"]
    parts.append(pd.DataFrame({"stage": "drugs", "size": gap[gap > 0].astype(float).to_numpy(), "unit": "packs"}))
    return pd.concat(parts, ignore_index=True)


UNIT_TEXT: dict[str, tuple[str, str]] = {
    "persons": ("persons", "人"),
    "per_day": ("transfers a day", "人次/天"),
    "nurses": ("nurses", "名护理人员"),
    "packs": ("packs", "份"),
}


def explained_shortfalls(plan: Plan, language: str, per_stage: int = SHORTFALLS_PER_STAGE) -> pd.DataFrame:
    """The largest shortfalls of each stage with their explanation: ``stage, size, explanation`` (localized)."""
    explanations = plan.explanations
    sizes = shortfall_sizes(plan)
    rows = []
    for stage in STAGE_NAMES:
        said = explanations[explanations["stage"] == stage].reset_index(drop=True)
        if said.empty:
            continue
        measured = sizes[sizes["stage"] == stage].reset_index(drop=True)
        size = measured["size"] if len(measured) == len(said) else pd.Series([float("nan")] * len(said))
        unit = measured["unit"].iloc[0] if len(measured) else ""
        frame = pd.DataFrame(
            {
                "stage": stage_label(stage, language),
                "size_value": size.to_numpy(),
                "explanation": said["zh" if language == "zh" else "en"].astype(str).to_numpy(),
            }
        )
        frame = frame.sort_values("size_value", ascending=False, kind="stable", na_position="last").head(per_stage)
        unit_text = UNIT_TEXT[unit][1 if language == "zh" else 0] if unit in UNIT_TEXT else ""
        frame["size"] = [
            "" if pd.isna(v) else f"{v:,.2f} {unit_text}" if unit == "per_day" else f"{v:,.0f} {unit_text}"
            for v in frame["size_value"]
        ]
        rows.append(frame[["stage", "size", "explanation"]])
    if not rows:
        return pd.DataFrame(columns=["stage", "size", "explanation"])
    return pd.concat(rows, ignore_index=True)


def marginal_table(plan: Plan, language: str, rows: int = MARGINAL_ROWS, per_stage: int = 3) -> pd.DataFrame:
    """What more units of each scarce resource would buy: ``stage, value, explanation``.

    Each stage lists its rows best first by its own objective (``planner.stages.probes``); at most ``per_stage``
    of each stage are kept, so that one resource kind does not fill the list.
    """
    values = plan.marginal_values
    values = values[values["value"] > 0]
    values = values.groupby("stage", sort=False).head(per_stage).head(rows)
    return pd.DataFrame(
        {
            "stage": [stage_label(s, language) for s in values["stage"]],
            "value": values["value"].astype(float).to_numpy(),
            "explanation": values["zh" if language == "zh" else "en"].astype(str).to_numpy(),
        }
    )
