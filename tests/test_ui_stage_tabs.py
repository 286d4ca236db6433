"""The stage tabs' pure helpers: the plan's results beside the what-if editors."""

from __future__ import annotations

import pandas as pd
from plan_fixture import make_plan_fixture

from planner.ui import stage_tabs


def test_stage_results_next_to_the_editors() -> None:
    plan = make_plan_fixture()
    assert stage_tabs.stage_results(plan, "sites")["site_id"].tolist() == ["ST1", "ST2"]
    depots = stage_tabs.stage_results(plan, "depots")
    assert depots.to_dict("list") == {"depot_id": ["W1"], "shipped": [35]}
    assert isinstance(stage_tabs.stage_results(plan, "pools"), pd.DataFrame)
