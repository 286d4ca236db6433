import os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
import numpy as np
from m_highs_get import get
from cglp import column_generation
from cflp_data import optima
opt = optima()
for name in sys.argv[1].split(","):
    core = get(name)
    l = os.getloadavg()[0]
    model, lp, L, lam, cv, sec = column_generation(core, int(sys.argv[2]), float(sys.argv[3]), solver=sys.argv[4] if len(sys.argv) > 4 else "simplex", batch=int(sys.argv[5]) if len(sys.argv) > 5 else None, first_strategy=int(sys.argv[6]) if len(sys.argv) > 6 else 1, later_strategy=int(sys.argv[7]) if len(sys.argv) > 7 else 1)
    F = len(model.fidx)
    y = cv[:F]
    frac = ((y > 1e-9) & (y < 1 - 1e-9)).sum()
    print(f"{name} k={sys.argv[2]} lp={lp:.4f} L={L:.4f} fractional_y={frac} opt={opt.get(name, float('nan'))} seconds={sec:.2f} load={l:.2f}", flush=True)
