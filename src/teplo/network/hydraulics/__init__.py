"""Steady-state thermo-hydraulics of closed-loop district heating networks.

Build a :class:`HydraulicNetwork` (usually with
:meth:`HydraulicNetwork.from_frames`) and call :func:`solve`. Trees are solved
without iteration on the flows (one accumulation up the spanning tree, one
pressure pass down, one temperature sweep in flow order); meshes by Newton's
method on the loop flows; an outer loop (Anderson-accelerated) couples the
consumers' mass flows to the temperatures reaching them. Validated against
pandapipes (``tests/network/test_hydraulics_vs_pandapipes.py``), timed against
it in ``benchmarks/hydraulics.py``.

Modules: :mod:`.model` (network arrays and input tables), :mod:`.topology`
(islands, spanning forest, loops; cached per valve state), :mod:`.friction`
(Darcy–Weisbach, Colebrook–White), :mod:`.flows` (flows and pressures),
:mod:`.thermal` (temperatures), :mod:`.local` (the supplied part as local
arrays), :mod:`.anderson` (outer-loop acceleration), :mod:`.solve` (the
coupled solve), :mod:`.assemble` and :mod:`.results` (the result).

Not modelled: node heights (static head; the consumers' differential
pressure is unaffected as supply and return run side by side), pumps other
than the producers', valve or fitting losses, transients.
"""

from __future__ import annotations

from teplo.network.hydraulics.friction import FrictionModel
from teplo.network.hydraulics.model import (
    CONSUMERS_TABLE,
    DEFAULT_MIN_DP_PA,
    DEFAULT_PUMP_EFFICIENCY,
    DEFAULT_ROUGHNESS_MM,
    NODES_TABLE,
    PIPES_TABLE,
    PRODUCERS_TABLE,
    ConsumerArrays,
    HydraulicNetwork,
    PipeArrays,
    ProducerArrays,
)
from teplo.network.hydraulics.results import (
    ConsumerResults,
    HydraulicResult,
    NodeResults,
    PipeResults,
    ProducerResults,
)
from teplo.network.hydraulics.solve import DEFAULT_MAX_ITER, DEFAULT_TOL, solve
from teplo.network.hydraulics.topology import HEAT, MASS_FLOW, PRESSURE, Topology

__all__ = [
    "CONSUMERS_TABLE",
    "DEFAULT_MAX_ITER",
    "DEFAULT_MIN_DP_PA",
    "DEFAULT_PUMP_EFFICIENCY",
    "DEFAULT_ROUGHNESS_MM",
    "DEFAULT_TOL",
    "HEAT",
    "MASS_FLOW",
    "NODES_TABLE",
    "PIPES_TABLE",
    "PRESSURE",
    "PRODUCERS_TABLE",
    "ConsumerArrays",
    "ConsumerResults",
    "FrictionModel",
    "HydraulicNetwork",
    "HydraulicResult",
    "NodeResults",
    "PipeArrays",
    "PipeResults",
    "ProducerArrays",
    "ProducerResults",
    "Topology",
    "solve",
]
