import os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from m_highs_get import get
for name in sys.argv[1].split(","):
    core = get(name)
    n = core.G + core.S
    for label, mask in (("all", np.ones(core.A, bool)), ("free-only", core.free[core.as_])):
        m = coo_matrix((np.ones(mask.sum()), (core.ag[mask], core.G + core.as_[mask])), shape=(n, n))
        k, lab = connected_components(m, directed=False)
        sizes = np.bincount(lab)
        print(name, label, "components", k, "largest", np.sort(sizes)[-5:])
    print(" arcs to free sites", core.free[core.as_].sum(), "free", core.free.sum(), "groups", core.G)
