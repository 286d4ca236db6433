"""The drug stage on the tiny dataset: depot stock, KPIs, reserve targets, sentences, by hand."""

from __future__ import annotations

from tiny_plan import tiny_dataset, tiny_plan

from planner.stages import drugs
from planner.stages.drugs import depot_stock


def _rows(rule_id: str) -> dict[str, tuple[float, float, bool]]:
    checklist = tiny_plan().compliance
    rows = checklist[checklist["rule_id"] == rule_id]
    return {r.scope_id: (r.required, r.planned, bool(r.met)) for r in rows.itertuples()}


def test_depot_stock_is_floored_after_the_stock_factor() -> None:
    stock = depot_stock(tiny_dataset(), 0.333).set_index("drug")["stock"].to_dict()
    assert stock == {"antipyretic": 166, "cough": 99, "antiviral": 0, "tcm": 0, "antigen_kit": 0}


def test_drug_allocation_never_exceeds_depot_stock() -> None:
    allocations = tiny_plan().stage("drugs").table("allocations")
    shipped = allocations.groupby("drug")["quantity"].sum().to_dict()
    assert shipped == {"antipyretic": 500, "cough": 300}


def test_kpis() -> None:
    kpis = drugs.kpis(tiny_plan().stage("drugs"))
    # antipyretic: 500 packs for needs 3 + 20 (homes) + 10,000 + 9,000 (clinics) -> shortfall 18,523
    assert kpis["drug_shortfall"]["antipyretic"] == 18_523
    assert 0 < kpis["lowest_fill_rate"]["antipyretic"] <= 500 / 19_023
    # no depot holds antigen kits or TCM: the homes and clinics needing them get nothing
    assert kpis["lowest_fill_rate"]["antigen_kit"] == 0.0 and kpis["lowest_fill_rate"]["tcm"] == 0.0
    # antiviral is needed only by the hospital: no priority institution needs it, so no fill rate (not 100 %)
    assert "antiviral" not in kpis["lowest_fill_rate"]
    assert kpis["hospital_fill_rate"]["antiviral"] == 0.0, "no depot holds it"
    assert sum(kpis["drug_shortfall_by_kind"].values()) == sum(kpis["drug_shortfall"].values())


def test_drug_targets_count_on_hand_plus_allocated() -> None:
    rows = _rows("drug_reserve")
    assert rows["H003:antipyretic"] == (12, 12, True)  # 20 % of 60 residents, all on hand
    assert rows["HP1:antiviral"] == (225, 0, False)  # 90 days x 2.5 a day, no stock anywhere


def test_drug_shortfall_says_what_share_the_stock_covers() -> None:
    explanations = tiny_plan().explanations
    row = explanations[explanations["entity_id"] == "antipyretic"].iloc[0]
    assert row["en"] == "Antipyretic stock covers 3 % of need (18,523 packs short)"
    assert row["zh"] == "解热药库存仅满足需求的3%（缺18,523份）"


def test_marginal_values_point_at_depots_whose_stock_is_short() -> None:
    values = tiny_plan().marginal_values
    assert set(values["resource_id"]) >= {"W1:antipyretic", "W1:cough"}
    assert (values["value"] > 0).all()
