import os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
import numpy as np
from m_highs_get import get
from lagr import Lagrangian, subgradient
from cflp_data import optima
opt = optima()
LP = {"capa-8000": 18832965.5250, "capb-5000": 13606434.3287, "capc-5000": 11585301.4652, "province": 13698078.3813, "national": 106573952.4696, "city": 1470361.4046}
for name in sys.argv[1].split(","):
    core = get(name)
    for cover in (False, True):
        lag = Lagrangian(core)
        o = opt.get(name, LP.get(name))
        l = os.getloadavg()[0]
        best, lam, y, its, sec = subgradient(lag, o * 1.01, int(sys.argv[2]), float(sys.argv[3]), cover=cover)
        lp = LP.get(name, float("nan"))
        print(f"{name} cover={cover} L={best:.2f} LP={lp:.2f} L-LP={100*(best-lp)/lp:.4f}% L-opt={100*(best-o)/o:.4f}% iters={its} s={sec:.2f} load={l:.2f}", flush=True)
