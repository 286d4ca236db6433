"""bench.mip.drugs: the drugs MIP by hand on a tiny instance, and the same figures as the drugs model."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.mip.drugs import mip_drugs
from bench.mip.lp import MipOptions
from models.base import Status
from models.drugs import solve_drugs

OPTIONS = MipOptions(time_limit_s=20.0, threads=1)
KINDS_AND_NEEDS = st.tuples(st.sampled_from(["care_home", "clinic", "hospital"]), st.integers(0, 7))


def frame(columns: list[str], rows: list[tuple[object, ...]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def test_mip_drugs_max_min_fill_then_shortfall_then_minutes() -> None:
    # 5 packs; care home I1 and clinic I2 need 4 each, hospital I3 2. Max-min over I1, I2: 2 each (fill 0.5);
    # the fifth pack lowers the shortfall wherever it goes: to I3, the nearest (1 min).
    depots = frame(["depot_id", "district_id", "drug", "stock"], [("W1", "D1", "cough", 5)])
    targets = frame(
        ["institution_id", "kind", "district_id", "drug", "target", "on_hand", "need"],
        [
            ("I1", "care_home", "D1", "cough", 4, 0, 4),
            ("I2", "clinic", "D1", "cough", 4, 0, 4),
            ("I3", "hospital", "D1", "cough", 2, 0, 2),
        ],
    )
    arcs = frame(["depot_id", "institution_id", "minutes"], [("W1", "I1", 5.0), ("W1", "I2", 6.0), ("W1", "I3", 1.0)])
    result = mip_drugs(depots, targets, arcs, options=OPTIONS)
    assert result.status == Status.OPTIMAL
    assert result.table("targets").set_index("institution_id")["allocated"].to_dict() == {"I1": 2, "I2": 2, "I3": 1}
    assert result.table("fill").set_index("drug").at["cough", "lowest_fill_rate"] == 0.5


@settings(max_examples=12, deadline=None)
@given(
    stock=st.lists(st.integers(0, 9), min_size=1, max_size=3),
    needs=st.lists(KINDS_AND_NEEDS, min_size=1, max_size=4),
    minutes=st.lists(st.integers(1, 30), min_size=12, max_size=12),
)
def test_mip_drugs_matches_the_drugs_model(stock: list[int], needs: list[tuple[str, int]], minutes: list[int]) -> None:
    depots = frame(
        ["depot_id", "district_id", "drug", "stock"], [(f"W{d}", "D1", "tcm", s) for d, s in enumerate(stock)]
    )
    targets = frame(
        ["institution_id", "kind", "district_id", "drug", "target", "on_hand", "need"],
        [(f"I{i}", kind, "D1", "tcm", need, 0, need) for i, (kind, need) in enumerate(needs)],
    )
    arcs = frame(
        ["depot_id", "institution_id", "minutes"],
        [
            (f"W{d}", f"I{i}", float(minutes[(d * 4 + i) % 12]))
            for d in range(len(stock))
            for i in range(len(needs))
            if (d + i) % 3 != 2
        ],
    )
    ours = mip_drugs(depots, targets, arcs, options=OPTIONS)
    model = solve_drugs(depots, targets, arcs)
    assert ours.status == Status.OPTIMAL
    ours_fill = ours.table("fill").set_index("drug")
    model_fill = model.table("fill").set_index("drug")
    assert ours_fill.at["tcm", "lowest_fill_rate"] == pytest.approx(model_fill.at["tcm", "lowest_fill_rate"])
    assert ours_fill.at["tcm", "shortfall"] == model_fill.at["tcm", "shortfall"]
    assert ours.phases[-1].objective == pytest.approx(model.phases[-1].objective, abs=0.01)
