"""Blackouts and gas: BMK without backup stop, islanded CHP keeps its island, fuel runs out on time."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from teplo.resilience.availability import resolve_units
from teplo.resilience.cooling import equilibrium_c, temperature_c
from teplo.resilience.evaluate import detail, plan
from teplo.resilience.scenarios import Scenario, ScenarioSet
from teplo.resilience.screening import screen
from teplo.resilience.settings import PowerSettings, StressSettings
from teplo.resilience.system import StressSystem, build_system

from .conftest import buildings_table, no_gains, sites_table, units_table


def _system(islanding: bool = True, chp_power_kw: float = 450.0, backup_h: float = 0.0) -> StressSystem:
    """S1: two BMK (no backup unless backup_h) for B1–B3; S2: CHP + BMK for B4–B5; one power feeder."""
    b = buildings_table(
        [{"id": f"B{k}", "site_id": "S1", "load_kw": 300.0} for k in (1, 2, 3)]
        + [{"id": f"B{k}", "site_id": "S2", "load_kw": 400.0} for k in (4, 5)]
    )
    u = units_table(
        [("U1", "S1", "bmk", 600.0), ("U2", "S1", "bmk", 600.0), ("U3", "S2", "chp", 500.0), ("U4", "S2", "bmk", 500.0)],
        power_kw=[0, 0, chp_power_kw, 0], aux_power_kw=[9, 9, 0, 7.5],
    )
    s = sites_table([("S1", 0.0, 0.0), ("S2", 1000.0, 0.0)], chp_islanding=[False, islanding],
                    has_backup=[backup_h > 0, False], backup_fuel_h=[backup_h, np.nan])
    return build_system(b, u, s)


def _blackout(system: StressSystem, hours: float = 12.0) -> ScenarioSet:
    return ScenarioSet.from_scenarios(
        system, [Scenario("bo", lost={"power_feeders": ["city"]}, repair_h={"power_feeders": {"city": hours}})]
    )


def _lost(system: StressSystem, s: ScenarioSet, t: float) -> list[str]:
    return system.units.ids[resolve_units(system, s).at(t).toarray()[0]].tolist()


def test_bmk_without_backup_stops_and_islanded_chp_keeps_its_island() -> None:
    system = _system(islanding=True)
    s = _blackout(system)
    assert _lost(system, s, 0.0) == ["U1", "U2"]  # S2's CHP islands and powers its BMK (450 ≥ 7.5 kW)
    assert _lost(system, s, 12.0) == []  # the grid is back
    sup = screen(system, s)
    affected = set(system.buildings.ids[sup.building].tolist())
    assert affected == {"B1", "B2", "B3"}
    assert (sup.ratio == 0.0).all()


def test_chp_that_cannot_island_trips_and_weak_chp_cannot_carry_auxiliaries() -> None:
    system = _system(islanding=False)
    assert _lost(system, _blackout(system), 0.0) == ["U1", "U2", "U3", "U4"]
    weak = _system(islanding=True, chp_power_kw=5.0)  # 5 kW < 7.5 kW aux need of U4
    assert _lost(weak, _blackout(weak), 0.0) == ["U1", "U2", "U4"]


def test_generator_fuel_runs_out_at_the_autonomy_hour() -> None:
    system = _system(backup_h=6.0)
    s = _blackout(system, 12.0)
    out = resolve_units(system, s)
    s1 = np.isin(system.units.ids[out.lost.indices], ["U1", "U2"])
    assert out.t_off_h[s1].tolist() == [6.0, 6.0] and out.t_on_h[s1].tolist() == [12.0, 12.0]
    assert _lost(system, s, 5.99) == [] and _lost(system, s, 6.0) == ["U1", "U2"] and _lost(system, s, 12.0) == []
    st = no_gains()
    system_ng = build_system(*_tables_no_gains(backup_h=6.0), settings=st)
    s_ng = _blackout(system_ng, 12.0)
    d = detail(system_ng, s_ng, plan(system_ng, s_ng, st), st)
    b1 = d[d["building_id"] == "B1"].iloc[0]
    # 20 °C held for 6 h on the generator, then free cooling at −20 °C for 6 h (τ 25 h, no gains)
    assert b1["temp_6h_c"] == pytest.approx(20.0)
    assert b1["temp_12h_c"] == pytest.approx(float(temperature_c(6.0, 20.0, -20.0, 25.0)))
    assert b1["hours_to_18c"] == pytest.approx(6.0 + 25.0 * np.log(40.0 / 38.0))
    assert b1["restore_h"] == 12.0
    assert float(equilibrium_c(0.0, -20.0, 0.0)) == -20.0


def _tables_no_gains(backup_h: float) -> tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    b = buildings_table([{"id": f"B{k}", "site_id": "S1", "load_kw": 300.0} for k in (1, 2, 3)])
    u = units_table([("U1", "S1", "bmk", 600.0), ("U2", "S1", "bmk", 600.0)], aux_power_kw=[9, 9])
    s = sites_table([("S1", 0.0, 0.0)], has_backup=[True], backup_fuel_h=[backup_h])
    return b, u, s


def test_diesel_unit_is_a_backup_if_it_covers_the_auxiliaries() -> None:
    b = buildings_table([{"id": "B1", "site_id": "S1"}])
    u = units_table([("U1", "S1", "bmk", 200.0), ("D1", "S1", "diesel", 0.0)], power_kw=[0, 20.0], aux_power_kw=[3.0, 0])
    st = StressSettings(power=PowerSettings(default_backup_fuel_h=10.0))
    system = build_system(b, u, sites_table([("S1", 0.0, 0.0)]), settings=st)
    assert system.sites.backup_h.tolist() == [10.0]
    small = units_table([("U1", "S1", "bmk", 200.0), ("D1", "S1", "diesel", 0.0)], power_kw=[0, 2.0], aux_power_kw=[3.0, 0])
    assert build_system(b, small, sites_table([("S1", 0.0, 0.0)]), settings=st).sites.backup_h.tolist() == [0.0]


def test_gas_feeder_stops_gas_fired_units_only() -> None:
    b = buildings_table([{"id": "B1", "site_id": "S1"}, {"id": "B2", "site_id": "S2"}])
    u = units_table([("U1", "S1", "bmk", 200.0), ("U2", "S1", "chp", 200.0), ("D1", "S1", "diesel", 0.0),
                     ("U3", "S2", "bmk", 200.0)], power_kw=[0, 150, 50, 0])
    s = sites_table([("S1", 0.0, 0.0), ("S2", 900.0, 0.0)], gas_feeder=["G1", "G2"])
    system = build_system(b, u, s)
    g = ScenarioSet.from_scenarios(system, [Scenario("g", lost={"gas_feeders": ["G1"]})])
    assert _lost(system, g, 0.0) == ["U1", "U2"]
