"""The hook for cases screening cannot decide: does the network carry the heat?

Screening decides from capacities alone whenever the flows in the pipes can
only fall compared with the design (a single source losing capacity, or a
break that cuts a tree's branch off). It cannot decide when heat must now
take another path or come from another site than designed: a break inside a
ring, or a multi-site island where one site lost capacity. For those
(scenario, epoch, island) cases it calls a :data:`NetworkCheck`:

    check(mask: ScenarioMask, island: IslandView) -> per-building supplied fraction

which the integration will wire to the thermo-hydraulic solver. The default,
:func:`capacity_proxy`, returns the capacity-based fractions screening
already has and leaves those scenarios marked ``undecided``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ScenarioMask:
    """Availability of one scenario at one time (arrays in the system's element order)."""

    scenario_id: str
    time_h: float  # [h] since the scenario start
    temp_c: float  # [°C] outdoor (the reference temperature of the scenario)
    units_available: np.ndarray  # bool per unit (after resolving sites, gas and power)
    pipes_available: np.ndarray  # bool per pipe
    sites_available: np.ndarray  # bool per site (not lost directly)


@dataclass(frozen=True)
class IslandView:
    """One island as designed, with screening's proxy answer for this scenario."""

    island: int
    building_index: np.ndarray  # indices into the system's buildings
    building_ids: np.ndarray
    demand_kw: np.ndarray  # [kW] per building at temp_c
    site_ids: np.ndarray
    pipe_index: np.ndarray  # indices into the system's pipes
    proxy_fraction: np.ndarray  # capacity-based supplied fraction per building [-]


NetworkCheck = Callable[[ScenarioMask, IslandView], np.ndarray]
"""Returns the supplied fraction (0…1) of each of ``island.building_index``."""


def capacity_proxy(mask: ScenarioMask, island: IslandView) -> np.ndarray:
    """Default check: the capacity-based fraction; scenarios using it are 'undecided'."""
    del mask
    return island.proxy_fraction


def decides(check: NetworkCheck | None) -> bool:
    """Whether a check really decides (False for None and the default proxy)."""
    return check is not None and check is not capacity_proxy
