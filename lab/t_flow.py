import os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
import numpy as np
from m_highs_get import get
from flow import transport, plan_cost
for name in sys.argv[1].split(","):
    core = get(name)
    allopen = core.must | core.free
    for scale in (10**6, 10**9):
        t = time.perf_counter(); r = transport(core, allopen, scale=scale); s = time.perf_counter() - t
        print(name, scale, "ok" if r else "FAIL", round(s, 3), plan_cost(core, allopen, r[0]) if r else None, os.getloadavg()[0])
