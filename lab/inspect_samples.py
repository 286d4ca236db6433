import sys, time
sys.path.insert(0, "lab")
import numpy as np
from samples import load
from models.observation import prepare, solve_unmet_optimum
for scale in sys.argv[1:]:
    d = load(scale)
    t = time.perf_counter()
    inst = prepare(d["groups"], d["sites"], d["arcs"], d["persons_per_room"], d["sites_per_street_min"], d["barrier_free_for_disabled"])
    tp = time.perf_counter() - t
    s = inst.sites
    print(scale, "prepare", round(tp, 2), "s; groups", len(inst.groups), "arcs", len(inst.arcs), "persons", inst.persons.sum(),
          "disabled persons", inst.persons[inst.disabled].sum())
    print(" sites", len(s), "usable", s.usable.sum(), "status", s.status.value_counts().to_dict(), "must_open", s.must_open.sum(),
          "free_cand", s.free_candidate.sum(), "choice", s.choice_street.sum())
    print(" capacity total", s.capacity.sum(), "cap of free cand", s.capacity[s.free_candidate].sum(), "cap must_open", s.capacity[s.must_open].sum())
    print(" opening cost free cand: min/med/max", np.percentile(s.opening_cost[s.free_candidate], [0, 50, 100]))
    print(" minutes pct", np.percentile(inst.arcs.minutes, [0, 10, 50, 90, 100]))
    print(" streets", len(inst.streets), inst.streets.head(3).to_dict())
    t = time.perf_counter()
    print(" unmet optimum", solve_unmet_optimum(inst), round(time.perf_counter() - t, 2))
    print(" persons per group pct", np.percentile(inst.persons, [0, 50, 90, 100]), "cap pct", np.percentile(s.capacity[s.usable], [0, 50, 100]))
