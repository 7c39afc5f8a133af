"""Metrics: per scenario (the ``scenarios`` table) and per building (``building_outcomes``).

Everything is reduced from the (scenario, building) pairs with reduced
supply by ``np.bincount`` over the pair's scenario; a building not in any
pair of a scenario keeps full supply and 20 °C there. Sums run in the pairs'
order, which is (scenario, building) sorted, so a scenario's numbers do not
depend on which other scenarios share its chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from teplo.resilience.cooling import Cooling
from teplo.resilience.scenarios import ScenarioSet
from teplo.resilience.screening import FULL, STATUS, Supply
from teplo.resilience.settings import CoolingSettings
from teplo.resilience.system import StressSystem
from teplo.resilience.tables import PRIORITIES, PRIORITY_CLASSES


def scenario_table(
    system: StressSystem,
    scenarios: ScenarioSet,
    supply: Supply,
    pair_scenario: np.ndarray,
    pair_building: np.ndarray,
    cool: Cooling,
    cs: CoolingSettings,
) -> pd.DataFrame:
    """One row per scenario with its metrics (columns of :func:`tables.scenario_columns`)."""
    n = len(scenarios)
    meta = scenarios.meta
    b = system.buildings
    res = b.residents[pair_building]
    dur = meta["duration_h"].to_numpy(dtype=float)[pair_scenario]

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(pair_scenario[mask], minlength=n).astype(np.int64)

    def people(mask: np.ndarray) -> np.ndarray:
        return np.bincount(pair_scenario[mask], weights=res[mask], minlength=n)

    affected = cool.min_fraction < FULL
    out: dict[str, object] = {
        "scenario_id": meta["scenario_id"].to_numpy(),
        "family": meta["family"].to_numpy(),
        "description": meta["description"].to_numpy(),
        "temp_c": meta["temp_c"].to_numpy(dtype=float),
        "duration_h": meta["duration_h"].to_numpy(dtype=float),
        "status": np.asarray(STATUS, dtype=object)[supply.status],
        "units_lost": supply.units_lost.astype(np.int64),
        "pipes_lost": supply.pipes_lost.astype(np.int64),
        "capacity_lost_kw": supply.capacity_lost_kw,
        "unserved_heat_mwh": np.bincount(pair_scenario, weights=cool.unserved_mwh, minlength=n),
        "buildings_affected": count(affected),
        "residents_affected": people(affected),
    }
    for limit, theta in (("18c", cs.comfort_c), ("12c", cs.emergency_c)):
        for k, h in enumerate(cs.report_hours):
            below = cool.temp_at_c[:, k] < theta
            out[f"buildings_below_{limit}_{h:g}h"] = count(below)
            out[f"residents_below_{limit}_{h:g}h"] = people(below)
    drain = cool.hours_to_5c <= dur
    out["buildings_must_drain"] = count(drain)
    out["residents_must_drain"] = people(drain)
    prio = b.priority[pair_building]
    for p in PRIORITY_CLASSES:
        out[f"{p}s_affected"] = count(affected & (prio == PRIORITIES.index(p)))
    is_priority = np.isin(prio, [PRIORITIES.index(p) for p in PRIORITY_CLASSES])
    out["priority_below_12c"] = count(is_priority & (cool.hours_to_12c <= dur))
    out["min_hours_to_12c"] = _reduce(np.minimum, pair_scenario, cool.hours_to_12c, n, np.inf)
    out["restore_supply_h"] = _reduce(np.maximum, pair_scenario, cool.restore_h, n, 0.0)
    comfort = np.where(affected, cool.restore_h + cool.recover_h, 0.0)
    out["restore_comfort_h"] = _reduce(np.maximum, pair_scenario, comfort, n, 0.0)
    return pd.DataFrame(out)


def _reduce(op: np.ufunc, idx: np.ndarray, values: np.ndarray, n: int, fill: float) -> np.ndarray:
    out = np.full(n, fill)
    op.at(out, idx, values)
    return out


@dataclass(frozen=True)
class BuildingPartial:
    """Per building (system order): its worst outcome over some scenarios, mergeable across chunks."""

    worst_hours_to_12c: np.ndarray
    worst_scenario: np.ndarray  # global scenario index (-1: none)
    must_drain_in_worst: np.ndarray
    scenarios_cold: np.ndarray

    @classmethod
    def empty(cls, n_buildings: int) -> BuildingPartial:
        """No scenario seen yet."""
        return cls(
            np.full(n_buildings, np.inf), np.full(n_buildings, -1, dtype=np.int64),
            np.zeros(n_buildings, dtype=bool), np.zeros(n_buildings, dtype=np.int64),
        )

    def merge(self, other: BuildingPartial) -> BuildingPartial:
        """Combine two partials: the earlier crossing wins, ties to the lower scenario index."""
        a_t, b_t = self.worst_hours_to_12c, other.worst_hours_to_12c
        a_s = np.where(self.worst_scenario < 0, np.iinfo(np.int64).max, self.worst_scenario)
        b_s = np.where(other.worst_scenario < 0, np.iinfo(np.int64).max, other.worst_scenario)
        take = (b_t < a_t) | ((b_t == a_t) & (b_s < a_s))
        return BuildingPartial(
            np.where(take, b_t, a_t),
            np.where(take, other.worst_scenario, self.worst_scenario),
            np.where(take, other.must_drain_in_worst, self.must_drain_in_worst),
            self.scenarios_cold + other.scenarios_cold,
        )


def building_partial(
    system: StressSystem,
    scenarios: ScenarioSet,
    pair_scenario: np.ndarray,
    pair_building: np.ndarray,
    cool: Cooling,
    offset: int,
) -> BuildingPartial:
    """Worst outcome per building over the pairs of one chunk (scenario indices + ``offset``)."""
    n_b = len(system.buildings)
    dur = scenarios.meta["duration_h"].to_numpy(dtype=float)[pair_scenario]
    cold = cool.hours_to_12c <= dur
    part = BuildingPartial.empty(n_b)
    part.scenarios_cold[:] = np.bincount(pair_building[cold], minlength=n_b)
    finite = np.isfinite(cool.hours_to_12c)
    if not finite.any():
        return part
    idx = np.flatnonzero(finite)
    order = idx[np.lexsort((pair_scenario[idx], cool.hours_to_12c[idx], pair_building[idx]))]
    first = np.ones(order.size, dtype=bool)
    first[1:] = pair_building[order][1:] != pair_building[order][:-1]
    best = order[first]
    bb = pair_building[best]
    part.worst_hours_to_12c[bb] = cool.hours_to_12c[best]
    part.worst_scenario[bb] = pair_scenario[best] + offset
    part.must_drain_in_worst[bb] = cool.hours_to_5c[best] <= dur[best]
    return part


def building_table(system: StressSystem, part: BuildingPartial, scenario_ids: np.ndarray) -> pd.DataFrame:
    """The ``building_outcomes`` table from a merged partial."""
    ids = np.append(np.asarray(scenario_ids, dtype=object), "")  # -1 (no scenario) picks ""
    worst = ids[np.where(part.worst_scenario >= 0, part.worst_scenario, -1)]
    return pd.DataFrame(
        {
            "building_id": system.buildings.ids,
            "worst_hours_to_12c": part.worst_hours_to_12c,
            "scenarios_cold": part.scenarios_cold,
            "must_drain_in_worst": part.must_drain_in_worst,
            "worst_scenario_id": worst,
        }
    )
