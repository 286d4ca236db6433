import os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
from m_highs_get import get
from solver_cg import solve_cg
for name in sys.argv[1].split(","):
    t = time.perf_counter()
    core = get(name)
    tb = time.perf_counter() - t
    l = os.getloadavg()[0]
    ub, bound, y, x, sec = solve_cg(core, float(sys.argv[2]), k=int(sys.argv[3]), log=print)
    print(f"{name} ub={ub:.4f} bound={bound:.4f} gap={100*(ub-bound)/ub:.6f}% s={sec:.2f} core_build={tb:.2f} load={l:.2f}", flush=True)
