"""Resilience: what happens when units, sites, gas, power or pipes are lost in a frost.

The chain, one concept per module:

* :mod:`.settings` — pydantic settings with units and sources;
* :mod:`.system` — the input tables as validated arrays (islands, incidences);
* :mod:`.scenarios` — :class:`Scenario` and the sparse :class:`ScenarioSet`;
* :mod:`.generators` — N-k, strikes, blackouts, gas, pipe breaks;
* :mod:`.availability` — sites, gas and power resolved to unit outages;
* :mod:`.screening` — supplied fractions of many scenarios by sparse algebra;
* :mod:`.topology` — islands split by lost pipes, all scenarios at once;
* :mod:`.network_check` — the hook for what screening cannot decide;
* :mod:`.cooling` — lumped RC cooling, hours to 18/12/5 °C;
* :mod:`.metrics` and :mod:`.tables` — the ``scenarios`` and ``building_outcomes`` tables;
* :mod:`.evaluate` and :mod:`.sweep` — chunks, in process or on dask;
* :mod:`.worst_case` — the k strikes that hurt most (exhaustive, greedy + swap);
* :mod:`.interdiction` — the same as an exact MILP for site strikes;
* :mod:`.synthetic` — a reproducible synthetic input set for tests and benchmarks;
* :mod:`.run` — :func:`run_stress`.
"""

from teplo.resilience.cooling import equilibrium_c, hours_to_c, temperature_c
from teplo.resilience.generators import (
    FAMILIES,
    blackouts,
    gas_interruptions,
    generate,
    n_minus_k,
    pipe_breaks,
    strikes,
    valve_sections,
)
from teplo.resilience.network_check import IslandView, NetworkCheck, ScenarioMask, capacity_proxy
from teplo.resilience.run import StressResult, run_stress
from teplo.resilience.scenarios import Outages, Scenario, ScenarioSet
from teplo.resilience.screening import Supply, screen
from teplo.resilience.settings import StressSettings
from teplo.resilience.sweep import sweep
from teplo.resilience.system import StressSystem, build_system
from teplo.resilience.worst_case import worst_strikes

__all__ = [
    "FAMILIES",
    "IslandView",
    "NetworkCheck",
    "Outages",
    "Scenario",
    "ScenarioMask",
    "ScenarioSet",
    "StressResult",
    "StressSettings",
    "StressSystem",
    "Supply",
    "blackouts",
    "build_system",
    "capacity_proxy",
    "equilibrium_c",
    "gas_interruptions",
    "generate",
    "hours_to_c",
    "n_minus_k",
    "pipe_breaks",
    "run_stress",
    "screen",
    "strikes",
    "sweep",
    "temperature_c",
    "valve_sections",
    "worst_strikes",
]
