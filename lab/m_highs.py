"""Lab: HiGHS strong LP and MIP on the full model. usage: m_highs.py name[,name] lp|mip time_limit [solver]"""
import os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
from core import core_from_frames, strong_model, run
from cflp_data import read, stage_inputs, optima, SMALL, LARGE
from samples import load

def get(name):
    if name in ("city", "province", "national"):
        d = load(name)
        return core_from_frames(d["groups"], d["sites"], d["arcs"], d["persons_per_room"], d["sites_per_street_min"], d["barrier_free_for_disabled"])
    g, s, a = stage_inputs(read(name))
    return core_from_frames(g, s, a, 1, 0, True)

names = sys.argv[1].split(",")
if names == ["small"]: names = SMALL
if names == ["large"]: names = LARGE
mode, limit = sys.argv[2], float(sys.argv[3])
solver = sys.argv[4] if len(sys.argv) > 4 else "choose"
opt = optima()
for name in names:
    core = get(name)
    t = time.perf_counter()
    h, lay = strong_model(core, integer=(mode == "mip"))
    build = time.perf_counter() - t
    load_ = os.getloadavg()[0]
    opts = {"solver": solver} if mode == "lp" else {"mip_rel_gap": 1e-9, "mip_abs_gap": 1e-6}
    r = run(h, limit, **opts)
    o = opt.get(name, float("nan"))
    r['obj'] += core.offset; r['bound'] += core.offset
    print(f"{name:11s} {mode} {solver:6s} status={r['status']:20s} obj={r['obj']:16.4f} bound={r['bound']:16.4f} "
          f"opt={o:14.3f} obj-opt={100*(r['obj']-o)/o:8.4f}% bound-opt={100*(r['bound']-o)/o:8.4f}% "
          f"build={build:5.2f}s solve={r['seconds']:7.2f}s nodes={r['nodes']} it={r['iters']} ipm={r['ipm']} "
          f"cols={lay['ncol']} rows={lay['nrow']} load={load_:.2f}", flush=True)
