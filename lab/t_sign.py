import os, sys
sys.path.insert(0, os.path.dirname(__file__))
import numpy as np
from m_highs_get import get
from core import strong_model, run
from lagr import Lagrangian
core = get(sys.argv[1])
h, lay = strong_model(core, integer=False)
r = run(h, 100, solver="simplex")
rd = np.asarray(h.getSolution().row_dual)
lag = Lagrangian(core)
for sgn in (1, -1):
    L = lag.evaluate(sgn * rd[: core.G])[0]
    print(sgn, "LP", r["obj"] + core.offset, "L", L)
