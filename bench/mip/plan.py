"""The MIP baseline on a benchmark instance: the four stage MIPs in pipeline order (:mod:`bench.mip`)."""

from __future__ import annotations

import time

from bench.inputs import STAGES, BenchInstance, MethodResult, nursing_inputs
from bench.mip.ambulance import mip_ambulance
from bench.mip.drugs import mip_drugs
from bench.mip.lp import MipOptions
from bench.mip.nursing import mip_nursing
from bench.mip.observation import mip_observation
from models.base import StageResult


def mip_plan(instance: BenchInstance, options: MipOptions = MipOptions()) -> MethodResult:  # noqa: B008 - frozen dataclass
    """The four stages as PuLP/CBC MIPs on ``instance`` (nursing needs from the MIP's observation result)."""
    rules = instance.rules
    start = time.perf_counter()
    stages: dict[str, StageResult] = {}
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    stages["observation"] = mip_observation(
        instance.observation.groups,
        instance.observation.sites,
        instance.observation.arcs,
        persons_per_room=rules.persons_per_room,
        sites_per_street_min=rules.sites_per_street_min,
        barrier_free_for_disabled=rules.barrier_free_for_disabled,
        options=options,
    )
    seconds["observation"], clock = time.perf_counter() - clock, time.perf_counter()
    ambulance = instance.ambulance
    stages["ambulance"] = mip_ambulance(
        ambulance.homes,
        ambulance.stations,
        ambulance.arcs,
        ambulance.fleet,
        transfer_minutes_max=rules.transfer_minutes_max,
        duty_share=rules.ambulance_duty_share,
        options=options,
    )
    seconds["ambulance"], clock = time.perf_counter() - clock, time.perf_counter()
    if stages["observation"].solved:
        nursing = nursing_inputs(instance, stages["observation"])
        stages["nursing"] = mip_nursing(
            nursing.pools,
            nursing.needs,
            nursing.arcs,
            crossing_penalty_minutes=rules.district_crossing_penalty_minutes,
            options=options,
        )
    else:
        stages["nursing"] = StageResult.failed("nursing", "no observation plan to take the 1:1 needs from", 0.0, {})
    seconds["nursing"], clock = time.perf_counter() - clock, time.perf_counter()
    drugs = instance.drugs
    stages["drugs"] = mip_drugs(drugs.depots, drugs.targets, drugs.arcs, options=options)
    seconds["drugs"] = time.perf_counter() - clock
    ordered = {name: stages[name] for name in STAGES}
    return MethodResult("mip", ordered, time.perf_counter() - start, seconds)
