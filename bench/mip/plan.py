"""The MIP baseline on a benchmark instance: the four stage MIPs in pipeline order (:mod:`bench.mip`)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from bench.inputs import BenchInstance, MethodResult, StageRun, nursing_inputs, run_method
from bench.mip.ambulance import mip_ambulance
from bench.mip.drugs import mip_drugs
from bench.mip.lp import MipOptions
from bench.mip.nursing import mip_nursing
from bench.mip.observation import mip_observation
from models.base import StageResult


def mip_plan(instance: BenchInstance, options: MipOptions = MipOptions()) -> MethodResult:  # noqa: B008 - frozen dataclass
    """The four stages as PuLP MIPs on ``instance``, solved by ``options.solver`` (method ``mip`` for CBC,
    ``highs`` for HiGHS); the nursing needs follow the MIP's own observation result."""
    return run_method(method_name(options), instance, mip_runs(options))


def method_name(options: MipOptions) -> str:
    """The method's name in results: ``mip`` for CBC, else the solver's (``highs``)."""
    return "mip" if options.solver == "cbc" else options.solver


def mip_runs(options: MipOptions) -> dict[str, StageRun]:
    """Each stage's MIP run with ``options`` (for :func:`bench.inputs.run_method` or a watched child)."""
    return {
        "observation": partial(_run_observation, options=options),
        "ambulance": partial(_run_ambulance, options=options),
        "nursing": partial(_run_nursing, options=options),
        "drugs": partial(_run_drugs, options=options),
    }


def mip_nursing_after(instance: BenchInstance, observation: StageResult, options: MipOptions) -> StageResult:
    """The nursing MIP on the needs an observation result leaves (1:1 nurses where it sent disabled persons).

    Parameters
    ----------
    instance
        The benchmark instance.
    observation
        Any method's observation result with a plan (the MIP's own, or epiplan's for the same-needs comparison).
    options
        The solver, its time limit per phase and threads.
    """
    nursing = nursing_inputs(instance, observation)
    return mip_nursing(
        nursing.pools,
        nursing.needs,
        nursing.arcs,
        crossing_penalty_minutes=instance.rules.district_crossing_penalty_minutes,
        options=options,
    )


def _run_observation(instance: BenchInstance, _earlier: Mapping[str, StageResult], options: MipOptions) -> StageResult:
    """:func:`mip_observation` on the instance's observation inputs."""
    rules = instance.rules
    return mip_observation(
        instance.observation.groups,
        instance.observation.sites,
        instance.observation.arcs,
        persons_per_room=rules.persons_per_room,
        sites_per_street_min=rules.sites_per_street_min,
        barrier_free_for_disabled=rules.barrier_free_for_disabled,
        options=options,
    )


def _run_ambulance(instance: BenchInstance, _earlier: Mapping[str, StageResult], options: MipOptions) -> StageResult:
    """:func:`mip_ambulance` on the instance's ambulance inputs."""
    ambulance = instance.ambulance
    return mip_ambulance(
        ambulance.homes,
        ambulance.stations,
        ambulance.arcs,
        ambulance.fleet,
        transfer_minutes_max=instance.rules.transfer_minutes_max,
        duty_share=instance.rules.ambulance_duty_share,
        options=options,
    )


def _run_nursing(instance: BenchInstance, earlier: Mapping[str, StageResult], options: MipOptions) -> StageResult:
    """:func:`mip_nursing_after` the MIP's observation result; failed when that has no plan."""
    if not earlier["observation"].solved:
        return StageResult.failed("nursing", "no observation plan to take the 1:1 needs from", 0.0, {})
    return mip_nursing_after(instance, earlier["observation"], options)


def _run_drugs(instance: BenchInstance, _earlier: Mapping[str, StageResult], options: MipOptions) -> StageResult:
    """:func:`mip_drugs` on the instance's drug inputs."""
    drugs = instance.drugs
    return mip_drugs(drugs.depots, drugs.targets, drugs.arcs, options=options)
