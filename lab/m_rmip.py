"""Lab: HiGHS MIP on each group's k cheapest arcs (+ held-flow arcs); plan re-assigned over all arcs by a flow."""
import os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
import numpy as np
from dataclasses import replace
from m_highs_get import get
from core import strong_model, run
from cglp import k_cheapest, held_flow_arcs
from flow import transport, plan_cost
from cflp_data import optima
opt = optima()
for name in sys.argv[1].split(","):
    core = get(name)
    k, limit = int(sys.argv[2]), float(sys.argv[3])
    keep = k_cheapest(core, k) | held_flow_arcs(core)
    sub = replace(core, ag=core.ag[keep], as_=core.as_[keep], ac=core.ac[keep])
    l = os.getloadavg()[0]
    t = time.perf_counter()
    h, lay = strong_model(sub, integer=True)
    r = run(h, limit, mip_rel_gap=1e-9)
    cv = np.asarray(h.getSolution().col_value)
    y = np.zeros(core.S, bool); y[lay["fidx"]] = cv[lay["A"]: lay["A"] + lay["F"]] > 0.5
    open_ = y | core.must
    x, u = transport(core, open_)
    ub = plan_cost(core, open_, x)
    o = opt.get(name, float("nan"))
    print(f"{name} k={k} restricted status={r['status']} obj={r['obj']+core.offset:.3f} rbound={r['bound']+core.offset:.3f} full_plan={ub:.3f} opt={o} above={100*(ub-o)/o:.4f}% s={time.perf_counter()-t:.2f} nodes={r['nodes']} load={l:.2f}", flush=True)
