"""A sweep's results: rows in scenario order, entity counts, KPI percentiles and marginal values by hand."""

from __future__ import annotations

import pytest
from sweep_fixture import hand_result

from planner.sweep.results import summarize

# --- summary ------------------------------------------------------------------------------------------------------


def test_assemble_orders_rows_and_counts_entities() -> None:
    result = hand_result()
    assert result.scenarios["scenario"].tolist() == [0, 1, 2, 3, 4]
    assert result.knob_columns[:1] == ("attack_rate",)
    assert result.kpi_columns == ("uncovered_homes", "covered_share")
    assert result.solved == 4
    assert result.status_counts() == {"ok": 3, "time_limit": 1, "error": 1}
    top = result.entities.iloc[0]
    assert (top["kind"], top["entity_id"], top["condition"], top["scenarios"], top["share"]) == (
        "care_home",
        "H1",
        "uncovered",
        3,
        0.75,
    )
    assert len(result.entities) == 3


def test_kpi_percentiles_by_hand() -> None:
    summary = summarize(hand_result())
    table = summary.kpis.set_index("kpi")
    # covered_share (higher is better) over 0.5, 0.75, 1.0, 0.25: P50 0.625; P90 = 10th percentile = 0.325;
    # P95 = 5th percentile = 0.2875; worst 0.25.
    share = table.loc["covered_share"]
    assert share["better"] == "higher"
    assert share[["p50", "p90", "p95", "worst", "best"]].tolist() == pytest.approx([0.625, 0.325, 0.2875, 0.25, 1.0])
    # uncovered_homes (lower is better) over 1, 1, 0, 1: P50 1, P90 1, worst 1, best 0.
    homes = table.loc["uncovered_homes"]
    assert homes[["p50", "p90", "p95", "worst", "best", "mean"]].tolist() == pytest.approx([1, 1, 1, 1, 0, 0.75])
    assert int(homes["scenarios"]) == 4


def test_marginal_values_aggregated_by_hand() -> None:
    marginal = summarize(hand_result()).marginal_values
    assert marginal[["resource_id", "mean_value", "share_positive", "max_value", "scenarios"]].values.tolist() == [
        ["W1:tcm", 1.5, 0.5, 4.0, 2],
        ["P1", 0.25, 0.25, 1.0, 1],
    ]
