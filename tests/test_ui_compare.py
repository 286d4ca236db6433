"""Two plans side by side: KPI deltas, compliance changes and assignments that moved, worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from plan_fixture import make_plan_fixture
from ui_fixtures import STREET_RULES, tiny_plan

from planner.ui.compare import (
    compliance_by_rule,
    compliance_flips,
    flatten_kpis,
    kpi_deltas,
    moved,
    moved_assignments,
)


def test_flatten_kpis_keeps_numbers_and_nests_dicts() -> None:
    kpis = {
        "covered_share": 0.5,
        "uncovered_homes": np.int64(3),
        "lowest_fill_rate": {"tcm": 0.25},
        "status": {"observation": "optimal"},
        "seconds_total": 1.0,
        "name": "text",
    }
    assert flatten_kpis(kpis) == {"covered_share": 0.5, "uncovered_homes": 3.0, "lowest_fill_rate.tcm": 0.25}


def test_kpi_deltas_b_minus_a() -> None:
    a = {"placed": 10, "fill": {"tcm": 0.5, "cough": 1.0}, "only_a": 1}
    b = {"placed": 12, "fill": {"tcm": 0.25, "cough": 1.0}, "only_b": 2}
    deltas = kpi_deltas(a, b).set_index("kpi")
    assert deltas.loc["placed", "delta"] == 2
    assert deltas.loc["fill.tcm", "delta"] == -0.25
    assert deltas.loc["fill.cough", "delta"] == 0
    assert math.isnan(deltas.loc["only_a", "b"]) and math.isnan(deltas.loc["only_b", "a"])
    assert list(deltas.index) == ["placed", "fill.tcm", "fill.cough", "only_a", "only_b"]
    changed = kpi_deltas(a, b, changed_only=True)
    assert changed["kpi"].tolist() == ["placed", "fill.tcm"]


def _checklist(rows: list[tuple[str, str, bool, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rule_id": [r[0] for r in rows],
            "scope_id": [r[1] for r in rows],
            "met": [r[2] for r in rows],
            "planned": [r[3] for r in rows],
            "required": 1.0,
            "source": "x",
        }
    )


def test_compliance_changes_per_rule_and_per_scope() -> None:
    a = _checklist([("site", "S1", True, 1), ("site", "S2", True, 1), ("icu", "H1", False, 0)])
    b = _checklist([("site", "S1", True, 1), ("site", "S2", False, 0), ("icu", "H1", True, 2), ("kits", "K", True, 1)])
    by_rule = compliance_by_rule(a, b).set_index("rule_id")
    assert by_rule.loc["site", ["met_a", "met_b", "delta"]].tolist() == [2, 1, -1]
    assert by_rule.loc["icu", ["met_a", "met_b", "delta"]].tolist() == [0, 1, 1]
    assert by_rule.loc["kits", ["met_a", "met_b", "scopes_a"]].tolist() == [0, 1, 0]
    flips = compliance_flips(a, b)
    assert list(zip(flips["rule_id"], flips["scope_id"], strict=True)) == [("site", "S2"), ("icu", "H1"), ("kits", "K")]


def test_moved_lists_only_the_keys_whose_targets_changed() -> None:
    a = pd.DataFrame({"home_id": ["H1", "H1", "H2"], "site_id": ["S1", "S2", "S1"], "persons": [3, 1, 2]})
    b = pd.DataFrame({"home_id": ["H1", "H1", "H3"], "site_id": ["S2", "S1", "S1"], "persons": [1, 3, 4]})
    changes = moved(a, b, ["home_id"], "site_id", "persons", {"S1": "Hotel"})
    assert changes.to_dict("records") == [
        {"home_id": "H2", "from": "Hotel ×2", "to": ""},
        {"home_id": "H3", "from": "", "to": "Hotel ×4"},
    ]
    assert moved(a, a, ["home_id"], "site_id", "persons").empty


def test_a_plan_compared_with_itself_moves_nothing() -> None:
    plan = make_plan_fixture()
    assert all(frame.empty for frame in moved_assignments(plan, plan).values())
    assert compliance_flips(plan.compliance, plan.compliance).empty


def test_closing_a_site_moves_its_persons() -> None:
    # barrier-free rooms for the disabled only, so that ST2 (not barrier-free) takes H003's others
    before, after = tiny_plan("severe", (), STREET_RULES), tiny_plan("severe", ("ST2",), STREET_RULES)
    moves = moved_assignments(before, after)
    observation = moves["observation"]
    assert ("H003", "other") in set(zip(observation["home_id"], observation["group"], strict=True))
    row = observation[(observation["home_id"] == "H003") & (observation["group"] == "other")].iloc[0]
    assert "ST2" in row["from"] and "ST2" not in row["to"]
