import os, sys
sys.path.insert(0, os.path.dirname(__file__))
from core import core_from_frames
from cflp_data import read, stage_inputs
from samples import load

def get(name):
    if name in ("city", "province", "national"):
        d = load(name)
        return core_from_frames(d["groups"], d["sites"], d["arcs"], d["persons_per_room"], d["sites_per_street_min"], d["barrier_free_for_disabled"])
    g, s, a = stage_inputs(read(name))
    return core_from_frames(g, s, a, 1, 0, True)

