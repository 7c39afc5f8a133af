"""The stress stage in one call: :func:`run_stress`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from teplo.errors import InputError
from teplo.resilience.evaluate import detail
from teplo.resilience.generators import FAMILIES, Temperature, generate
from teplo.resilience.network_check import NetworkCheck, decides
from teplo.resilience.scenarios import ScenarioSet
from teplo.resilience.settings import StressSettings
from teplo.resilience.sweep import SweepResult, sweep
from teplo.resilience.system import StressSystem, build_system


@dataclass(frozen=True)
class StressResult:
    """Results of a stress run.

    ``scenarios``: one row per scenario with its metrics (table ``scenarios``);
    ``building_outcomes``: per building, its worst case (table
    ``building_outcomes``); ``summary``: per family, how many scenarios
    screening decided, the network check decided, or stayed undecided;
    ``worst``: the ``top_n`` scenarios by residents below 12 °C after
    ``objective_hours``, then unserved heat.
    """

    scenarios: pd.DataFrame
    building_outcomes: pd.DataFrame
    summary: pd.DataFrame
    worst: pd.DataFrame
    system: StressSystem
    scenario_set: ScenarioSet
    settings: StressSettings
    sweep: SweepResult
    network_check: NetworkCheck | None = None
    notes: dict[str, int] = field(default_factory=dict)

    def detail(self, scenario_id: str) -> pd.DataFrame:
        """Buildings with reduced supply in one scenario: fraction, hours to 18/12/5 °C, temperatures."""
        ids = self.scenario_set.meta["scenario_id"]
        hit = np.flatnonzero(ids.to_numpy() == scenario_id)
        if hit.size == 0:
            raise InputError(f"no scenario '{scenario_id}' in this result")
        return detail(self.system, self.scenario_set.take(hit), self.sweep.plan, self.settings, self.network_check)


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """Scenarios per family by who decided them (screening, network, undecided), with a total row."""
    counts = pd.crosstab(table["family"], table["status"]).reindex(
        columns=["screening", "network", "undecided"], fill_value=0
    )
    counts.columns = ["decided_screening", "decided_network", "undecided"]
    order = pd.unique(table["family"])
    counts = counts.reindex(order).fillna(0).astype(np.int64)
    counts.insert(0, "scenarios", counts.sum(axis=1))
    counts.loc["total"] = counts.sum(axis=0)
    counts.index.name = "family"
    return counts


def rank_worst(table: pd.DataFrame, settings: StressSettings) -> pd.DataFrame:
    """The ``top_n`` worst scenarios (stable order on ties)."""
    col = f"residents_below_12c_{settings.objective_hours:g}h"
    return (
        table.sort_values([col, "unserved_heat_mwh", "scenario_id"], ascending=[False, False, True], kind="stable")
        .head(settings.top_n)
        .reset_index(drop=True)
    )


def run_stress(
    buildings: pd.DataFrame,
    units: pd.DataFrame,
    sites: pd.DataFrame,
    pipes: pd.DataFrame | None = None,
    network_nodes: pd.DataFrame | None = None,
    families: Sequence[str] = FAMILIES,
    temp_c: Temperature = -20.0,
    radius_m: float = 300.0,
    duration_h: float = 48.0,
    settings: StressSettings | None = None,
    network_check: NetworkCheck | None = None,
    client: Any = None,
) -> StressResult:
    """Stress-test a supply plan: generate the scenario families, screen, cool, measure.

    ``temp_c`` is a constant outdoor temperature [°C] or an hourly profile;
    ``radius_m`` the strike radius [m]; ``duration_h`` each scenario's window
    [h]. ``network_check`` decides the cases screening cannot (default: the
    capacity proxy, and those scenarios are marked undecided). ``client``:
    None (in process), ``"local"`` (a dask LocalCluster), a scheduler
    address, or a :class:`distributed.Client`.
    """
    st = settings or StressSettings()
    system = build_system(buildings, units, sites, pipes, network_nodes, st)
    scenario_set = generate(
        system, tuple(families), temp_c=temp_c, radius_m=radius_m, duration_h=duration_h, settings=st
    )
    result = sweep(system, scenario_set, st, network_check, client)
    notes = dict(system.notes)
    notes["network_check_decides"] = int(decides(network_check))
    return StressResult(
        scenarios=result.scenarios,
        building_outcomes=result.building_outcomes,
        summary=summarize(result.scenarios),
        worst=rank_worst(result.scenarios, st),
        system=system,
        scenario_set=scenario_set,
        settings=st,
        sweep=result,
        network_check=network_check,
        notes=notes,
    )
