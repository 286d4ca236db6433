"""Lab: build the observation stage inputs of the city/province/national samples (seed 7, severe) and pickle them."""

from __future__ import annotations

import pickle
import sys
import time
from pathlib import Path

from bench.inputs import build_instance
from planner.dataset.io import dataset_from_frames
from planner.rules.rules import load_rules
from planner.dataset.sample import generate
from planner.rules.scenario import make_scenario

OUT = Path("/tmp/epiplan_lab")


def build(scale: str) -> None:
    OUT.mkdir(exist_ok=True)
    t = time.perf_counter()
    frames = generate(scale, 7)
    dataset = dataset_from_frames(frames, name=f"{scale}-seed7")
    rules = load_rules()
    scenario = make_scenario(level="severe")
    inst = build_instance(dataset, rules, scenario)
    r = inst.rules
    obs = inst.observation
    data = {
        "groups": obs.groups,
        "sites": obs.sites,
        "arcs": obs.arcs,
        "persons_per_room": r.persons_per_room,
        "sites_per_street_min": r.sites_per_street_min,
        "barrier_free_for_disabled": r.barrier_free_for_disabled,
    }
    (OUT / f"{scale}.pkl").write_bytes(pickle.dumps(data))
    print(scale, len(obs.groups), len(obs.sites), len(obs.arcs), r.persons_per_room, r.sites_per_street_min,
          r.barrier_free_for_disabled, f"{time.perf_counter() - t:.1f}s")


def load(scale: str) -> dict:
    return pickle.loads((OUT / f"{scale}.pkl").read_bytes())


if __name__ == "__main__":
    for scale in sys.argv[1:]:
        build(scale)
