import os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
from samples import load
from models.base import SolveOptions
from models.observation import solve_observation
for scale in sys.argv[1].split(","):
    d = load(scale)
    k = None if len(sys.argv) > 3 and sys.argv[3] == "all" else 12
    t = time.perf_counter(); l = os.getloadavg()[0]
    r = solve_observation(d["groups"], d["sites"], d["arcs"], persons_per_room=d["persons_per_room"], sites_per_street_min=d["sites_per_street_min"],
                          barrier_free_for_disabled=d["barrier_free_for_disabled"], options=SolveOptions(time_limit_s=float(sys.argv[2])), cost_arcs_per_group=k)
    sites = r.table("sites"); a = r.table("assignments")
    exact = float(sites.loc[sites["opened"].astype(bool), "opening_cost"].sum() + (a["persons"] * a["minutes"]).sum())
    print(scale, r.status.value, [p.objective for p in r.phases], "bound", r.bound, "exact", round(exact, 3), "gap", r.gap, "s", round(time.perf_counter() - t, 2), "load", l, dict(r.stats))
