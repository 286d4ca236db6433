"""A sweep result by hand, shared by the tests of the sweep's results, its files, the CLI and the risk view."""

from __future__ import annotations

import pandas as pd

from planner.sweep.results import SweepResult, assemble
from planner.sweep.vocabulary import ScenarioOutcome, Sweep, SweepScenario


def hand_result() -> SweepResult:
    """Five scenarios by hand: four solved (one stopped at its limit), one failed."""
    sweep = Sweep(tuple(SweepScenario(i, {"attack_rate": 0.1 * (i + 1)}) for i in range(5)))
    binds = [
        [("care_home", "H1", "", "uncovered"), ("depot", "W1", "tcm", "empty")],
        [("care_home", "H1", "", "uncovered")],
        [],
        [("care_home", "H1", "", "uncovered"), ("site", "=S1", "", "full")],
    ]
    marginal = [
        [("drugs", "W1:tcm", "pack", 2.0)],
        [("drugs", "W1:tcm", "pack", 4.0)],
        [],
        [("nursing", "P1", "nurse", 1.0)],
    ]
    outcomes = []
    for i in range(4):
        bindings = pd.DataFrame(binds[i], columns=["kind", "entity_id", "drug", "condition"])
        values = pd.DataFrame(marginal[i], columns=["stage", "resource_id", "resource_kind", "value"])
        kpis = {"uncovered_homes": float(len(binds[i]) > 0 and i != 2), "covered_share": [0.5, 0.75, 1.0, 0.25][i]}
        status = "time_limit" if i == 3 else "ok"
        outcomes.append(ScenarioOutcome(i, status, "", 1.0, "w", kpis, bindings, values))
    outcomes.append(ScenarioOutcome(4, "error", "=boom()", 0.5, "w"))
    return assemble(sweep, reversed(outcomes))
