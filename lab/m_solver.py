import os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
from m_highs_get import get
from solver import solve
from cflp_data import optima, SMALL, LARGE
opt = optima()
names = sys.argv[1].split(",")
names = SMALL if names == ["small"] else LARGE if names == ["large"] else names
for name in names:
    core = get(name)
    l = os.getloadavg()[0]
    ub, bound, y, x, sec = solve(core, float(sys.argv[2]), log=print if len(sys.argv) > 3 else None)
    o = opt.get(name, float("nan"))
    print(f"{name:11s} ub={ub:.3f} bound={bound:.3f} gap={100*(ub-bound)/ub:.5f}% opt={o} above={100*(ub-o)/o:.5f}% bound-opt={100*(bound-o)/o:.5f}% s={sec:.2f} load={l:.2f}", flush=True)
