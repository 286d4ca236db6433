"""Lab: read OR-Library capacitated warehouse location instances and map them onto the observation stage."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
ORLIB = HERE / "orlib"

SMALL = [f"cap{k}" for k in (41, 42, 43, 44, 51, 61, 62, 63, 64, 71, 72, 73, 74, 81, 82, 83, 84, 91, 92, 93, 94,
                              101, 102, 103, 104, 111, 112, 113, 114, 121, 122, 123, 124, 131, 132, 133, 134)]
LARGE = [f"capa-{c}" for c in (8000, 10000, 12000, 14000)] + [f"capb-{c}" for c in (5000, 6000, 7000, 8000)] + [
    f"capc-{c}" for c in (5000, 5750, 6500, 7250)
]


@dataclass
class Cflp:
    name: str
    capacity: np.ndarray  # (m,)
    fixed: np.ndarray  # (m,)
    demand: np.ndarray  # (n,)
    cost: np.ndarray  # (m, n): cost of serving all of j from i

    @property
    def m(self) -> int:
        return len(self.capacity)

    @property
    def n(self) -> int:
        return len(self.demand)


def optima() -> dict[str, float]:
    out = {}
    for line in (ORLIB / "capopt.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, value = line.split()
            out[name] = float(value)
    return out


def read(name: str, folder: Path = ORLIB) -> Cflp:
    base, _, cap = name.partition("-")
    tokens = (folder / f"{base}.txt").read_text().split()
    m, n = int(tokens[0]), int(tokens[1])
    pos = 2
    capacity, fixed = np.zeros(m), np.zeros(m)
    for i in range(m):
        capacity[i] = float(cap) if tokens[pos].lower() == "capacity" else float(tokens[pos])
        fixed[i] = float(tokens[pos + 1])
        pos += 2
    demand, cost = np.zeros(n), np.zeros((m, n))
    for j in range(n):
        demand[j] = float(tokens[pos])
        cost[:, j] = [float(v) for v in tokens[pos + 1 : pos + 1 + m]]
        pos += 1 + m
    assert pos == len(tokens), (name, pos, len(tokens))
    return Cflp(name, capacity, fixed, demand, cost)


def stage_inputs(inst: Cflp) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """groups, sites, arcs for solve_observation (one street, sites_per_street_min=0)."""
    homes = [f"C{j}" for j in range(inst.n)]
    sites = [f"F{i}" for i in range(inst.m)]
    groups = pd.DataFrame(
        {"home_id": homes, "street_id": "T", "group": "other", "persons": inst.demand.astype(np.int64)}
    )
    site_frame = pd.DataFrame(
        {
            "site_id": sites,
            "street_id": "T",
            "rooms": inst.capacity.astype(np.int64),
            "barrier_free": True,
            "status": "candidate",
            "opening_cost": inst.fixed,
        }
    )
    ii, jj = np.meshgrid(np.arange(inst.m), np.arange(inst.n), indexing="ij")
    arcs = pd.DataFrame(
        {
            "home_id": np.array(homes)[jj.ravel()],
            "site_id": np.array(sites)[ii.ravel()],
            "minutes": (inst.cost / inst.demand[None, :]).ravel(),
        }
    )
    return groups, site_frame, arcs
