"""One chunk of scenarios through the whole chain: screening → cooling → metrics.

:func:`plan` fixes the global time grids of a scenario set once;
:func:`evaluate` then runs any chunk of it. Because the grids are global
and every reduction runs per scenario, a scenario's numbers are the same
whichever chunk it is in (what makes the dask sweep equal the in-process
run).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from teplo.resilience.cooling import Cooling, PairInputs, Timeline, simulate, timeline
from teplo.resilience.metrics import BuildingPartial, building_partial, scenario_table
from teplo.resilience.network_check import NetworkCheck
from teplo.resilience.scenarios import ScenarioSet
from teplo.resilience.screening import Supply, TimeGrid, screen, time_grid
from teplo.resilience.settings import StressSettings
from teplo.resilience.system import StressSystem
from teplo.resilience.tables import PRIORITIES


@dataclass(frozen=True)
class Plan:
    """Global time grids of a scenario set."""

    grid: TimeGrid
    timeline: Timeline


@dataclass(frozen=True)
class ChunkResult:
    """Metrics of one chunk."""

    scenarios: pd.DataFrame
    buildings: BuildingPartial
    supply_entries: int


def plan(system: StressSystem, scenarios: ScenarioSet, settings: StressSettings) -> Plan:
    """The epoch grid and cooling timeline of the whole set."""
    grid = time_grid(system, scenarios)
    tl = timeline(
        grid.epochs_h,
        np.unique(scenarios.meta["duration_h"].to_numpy(dtype=float)),
        settings.cooling.report_hours,
        hourly=bool((scenarios.meta["profile"] >= 0).any()),
    )
    return Plan(grid, tl)


def pairs_of(supply: Supply) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique (scenario, building) pairs of a supply, sorted, and the (pairs × epochs) ratio matrix."""
    n_ep = len(supply.grid)
    if supply.scenario.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.ones((0, n_ep))
    n_b = int(supply.building.max()) + 1
    key = supply.scenario * n_b + supply.building
    uniq, inv = np.unique(key, return_inverse=True)
    ratio = np.ones((uniq.size, n_ep))
    ratio[inv, supply.epoch] = supply.ratio
    return uniq // n_b, uniq % n_b, ratio


def _cool(
    system: StressSystem,
    scenarios: ScenarioSet,
    the_plan: Plan,
    settings: StressSettings,
    network_check: NetworkCheck | None,
) -> tuple[Supply, np.ndarray, np.ndarray, Cooling]:
    """Screen a chunk and cool its affected (scenario, building) pairs."""
    supply = screen(system, scenarios, the_plan.grid, network_check)
    ps, pb, ratio = pairs_of(supply)
    meta = scenarios.meta
    b = system.buildings
    temp = meta["temp_c"].to_numpy(dtype=float)[ps]
    inputs = PairInputs(
        tau_h=b.tau_h[pb],
        gains_k=b.gains_w[pb] / b.h_w_k[pb],
        space_kw=b.space_kw[pb],
        dhw_kw=b.dhw_kw[pb],
        ratio=ratio,
        temp_ref_c=temp,
        temp_const_c=temp,
        profile=meta["profile"].to_numpy(dtype=np.int64)[ps],
        duration_h=meta["duration_h"].to_numpy(dtype=float)[ps],
    )
    cs = settings.cooling
    cool = simulate(
        inputs, the_plan.timeline, the_plan.grid.epochs_h, scenarios.profiles_c,
        start_c=cs.start_c, thresholds_c=(cs.comfort_c, cs.emergency_c, cs.drain_c),
        indoor_c=system.indoor_c, design_outdoor_c=system.design_outdoor_c,
    )
    return supply, ps, pb, cool


def evaluate(
    system: StressSystem,
    scenarios: ScenarioSet,
    the_plan: Plan,
    settings: StressSettings,
    network_check: NetworkCheck | None = None,
    offset: int = 0,
) -> ChunkResult:
    """Screen, cool and measure a chunk; ``offset`` is its first scenario's index in the whole set."""
    supply, ps, pb, cool = _cool(system, scenarios, the_plan, settings, network_check)
    table = scenario_table(system, scenarios, supply, ps, pb, cool, settings.cooling)
    part = building_partial(system, scenarios, ps, pb, cool, offset)
    return ChunkResult(table, part, int(supply.scenario.size))


def detail(
    system: StressSystem,
    scenarios: ScenarioSet,
    the_plan: Plan,
    settings: StressSettings,
    network_check: NetworkCheck | None = None,
) -> pd.DataFrame:
    """Per affected building of each scenario in ``scenarios``: supply, hours to 18/12/5 °C, temperatures."""
    _, ps, pb, cool = _cool(system, scenarios, the_plan, settings, network_check)
    b = system.buildings
    dur = scenarios.meta["duration_h"].to_numpy(dtype=float)[ps]
    out = pd.DataFrame(
        {
            "scenario_id": scenarios.meta["scenario_id"].to_numpy()[ps],
            "building_id": b.ids[pb],
            "priority": np.asarray(PRIORITIES, dtype=object)[b.priority[pb]],
            "residents": b.residents[pb],
            "min_fraction": cool.min_fraction,
            "hours_to_18c": cool.hours_to_18c,
            "hours_to_12c": cool.hours_to_12c,
            "hours_to_5c": cool.hours_to_5c,
            "must_drain": cool.hours_to_5c <= dur,
            "unserved_mwh": cool.unserved_mwh,
            "restore_h": cool.restore_h,
            "recover_h": cool.recover_h,
        }
    )
    for k, h in enumerate(settings.cooling.report_hours):
        out[f"temp_{h:g}h_c"] = cool.temp_at_c[:, k]
    return out
