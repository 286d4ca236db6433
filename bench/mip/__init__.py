"""The general-purpose baseline: each stage written the straightforward way as one MIP, solved by PuLP + CBC.

One MIP per stage over every pair the pipeline allows (the same arcs as the optimiser, :mod:`bench.inputs`),
the lexicographic objective solved in phases — each phase's optimum is added as a constraint of the next —
with a time limit per phase. This is what an OR engineer writes first with a modelling layer and a free
MIP solver; it is the yardstick for the stage models' exploitation of structure (flows, decomposition).
CBC's status is read from ``prob.sol_status`` (``LpStatus`` says "Optimal" when CBC stopped at its time
limit, NOTES); a phase stopped with a solution is ``feasible`` (its bound is not reported by PuLP, so it
is NaN), without one the stage keeps the previous phase's solution or, in the first phase, fails.

Each stage's formulation (sets and data as in the stage models' docstrings; all variables integer unless said)
is in its module's docstring.

Modules
-------
:mod:`bench.mip.lp`           CBC options, PuLP building blocks, the phase runner and the stage result
:mod:`bench.mip.observation`  the observation stage as one facility-location MIP
:mod:`bench.mip.ambulance`    the ambulance stage as one MIP over every district
:mod:`bench.mip.nursing`      the nursing stage as one MIP, one phase per tier
:mod:`bench.mip.drugs`        the drugs stage as one MIP over every drug class
:mod:`bench.mip.plan`         :func:`mip_plan`: the four stages on a benchmark instance
"""

from bench.mip.ambulance import mip_ambulance
from bench.mip.drugs import mip_drugs
from bench.mip.lp import MipOptions
from bench.mip.nursing import mip_nursing
from bench.mip.observation import mip_observation
from bench.mip.plan import mip_nursing_after, mip_plan

__all__ = [
    "MipOptions",
    "mip_ambulance",
    "mip_drugs",
    "mip_nursing",
    "mip_nursing_after",
    "mip_observation",
    "mip_plan",
]
