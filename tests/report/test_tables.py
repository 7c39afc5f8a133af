"""Summary tables: conversions to Gcal and UAH, totals, stress-stage column names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from teplo.report import tables as t
from teplo.units import MW_PER_GCAL_H, MWH_PER_GCAL

RATE = 50.4


def _buildings() -> pd.DataFrame:
    return pd.DataFrame({
        "building_id": ["a", "b", "c", "d"],
        "typology": ["panel_9", "panel_9", "school", "garage"],
        "heated": [True, True, True, False],
        "heated_area_m2": [1000.0, 2000.0, 500.0, 100.0],
        "design_load_kw": [100.0, 200.0, 60.0, 0.0],
        "annual_heat_mwh": [200.0, 400.0, 90.0, 0.0],
        "residents": [50.0, 100.0, 0.0, 0.0],
        "site_id": ["S1", "S1", "S2", ""],
        "district_id": ["D1", "D1", "D1", ""],
    })


def _units() -> pd.DataFrame:
    return pd.DataFrame({
        "unit_id": ["u1", "u2", "u3"], "site_id": ["S1", "S1", "S2"],
        "unit_type": ["bmk_1mw", "bmk_1mw", "chp_1mw"],
        "heat_kw": [1000.0, 1000.0, 1125.0], "power_kw": [0.0, np.nan, 1000.0],
        "capex_eur": [140_000.0, 140_000.0, 1_000_000.0],
    })


def test_demand_by_typology_has_gcal_and_counts_heated_in_the_total() -> None:
    table = t.demand_by_typology(_buildings())
    assert table.loc["total", "buildings"] == 4
    assert table.loc["total", "design_mw"] == pytest.approx(0.36)
    assert table.loc["total", "residents"] == 150
    np.testing.assert_allclose(table["design_gcal_h"], table["design_mw"] / MW_PER_GCAL_H)
    np.testing.assert_allclose(table["annual_thousand_gcal"], table["annual_gwh"] / MWH_PER_GCAL)
    assert table.loc["panel_9", "w_per_m2"] == pytest.approx(100.0)


def test_units_by_type_converts_capex_to_uah_and_sums() -> None:
    table = t.units_by_type(_units(), RATE)
    assert table.loc["bmk_1mw", "units"] == 2
    assert table.loc["total", "heat_mw"] == pytest.approx(3.125)
    assert table.loc["total", "power_mw"] == pytest.approx(1.0)
    np.testing.assert_allclose(table["capex_muah"], table["capex_meur"] * RATE)
    np.testing.assert_allclose(table["heat_gcal_h"], table["heat_mw"] / MW_PER_GCAL_H)


def test_sites_and_districts_tables() -> None:
    sites = pd.DataFrame({"site_id": ["S1", "S2", "X"], "chosen": [True, True, False]})
    s = t.sites_table(sites, _units(), _buildings())
    assert list(s.index) == ["S1", "S2"]
    assert s.loc["S1", "unit_list"] == "2 × bmk_1mw"
    assert s.loc["S1", "buildings"] == 2 and s.loc["S1", "design_mw"] == pytest.approx(0.3)
    assert s.loc["S2", "district_id"] == "D1"
    districts = pd.DataFrame({"district_id": ["D1"], "design_load_kw": [360.0], "site_id": ["S1"]})
    d = t.districts_table(districts, _buildings(), _units())
    assert d.loc["D1", "sites"] == 2
    assert d.loc["D1", "installed_mw"] == pytest.approx(3.125)
    assert d.loc["D1", "reserve_pct"] == pytest.approx(100 * 3.125 / 0.36)


def test_network_by_dn_totals_and_losses_per_metre() -> None:
    pipes = pd.DataFrame({
        "dn": [50, 50, 100], "length_m": [100.0, 300.0, 600.0], "heat_loss_kw": [2.0, 6.0, 30.0],
        "cost_eur": [50_000.0, 150_000.0, 400_000.0], "velocity_m_s": [0.5, -0.9, 1.2],
        "dp_pa_per_m": [80.0, 120.0, 60.0], "existing": [False, True, False], "too_small": [False, False, True],
    })
    table = t.network_by_dn(pipes, RATE)
    assert list(table.index) == ["DN 50", "DN 100", "total"]
    assert table.loc["total", "length_km"] == pytest.approx(1.0)
    assert table.loc["DN 50", "existing_km"] == pytest.approx(0.3)
    assert table.loc["DN 50", "max_velocity_m_s"] == pytest.approx(0.9)
    assert table.loc["DN 50", "heat_loss_w_per_m"] == pytest.approx(20.0)
    assert table.loc[["DN 50", "DN 100"], "length_pct"].sum() == pytest.approx(100.0)
    assert table.loc["total", "too_small"] == 1
    assert table.loc["total", "cost_muah"] == pytest.approx(0.6 * RATE)
    figures = t.network_figures(pipes, {"route_km": 1.0, "heat_loss_kw": 38.0}, RATE)
    assert figures.loc["Heat loss at design", "value_ua"] == pytest.approx(0.038 / MW_PER_GCAL_H)


def test_cost_of_heat_in_uah_per_gcal() -> None:
    plan = {"capex_eur": 10e6, "annual_cost_eur": 2e6, "eur_per_mwh": 48.5, "mw_thermal": 20.0}
    table = t.cost_figures(plan, None, {"cost_eur_per_mwh": 40.0}, RATE)
    assert table.loc["Cost of heat (plan)", "value_ua"] == pytest.approx(48.5 * RATE * MWH_PER_GCAL)
    assert table.loc["Cost of heat (winter operation)", "unit_ua"] == "UAH/Gcal"
    assert table.loc["Supply CAPEX (units, sites)", "value_ua"] == pytest.approx(10 * RATE)
    assert "Network CAPEX (pipes, installed)" not in table.index


def test_operation_figures_sum_districts_and_prefer_the_summary() -> None:
    daily = pd.DataFrame({
        "district_id": ["D1", "D2", "D1", "D2"], "date": ["2016-01-01", "2016-01-01", "2016-01-02", "2016-01-02"],
        "heat_mwh": [10.0, 20.0, 5.0, 0.0], "gas_m3": [1000.0, 2000.0, 500.0, 0.0],
        "power_mwh": [1.0, 0.0, 0.5, 0.0], "fuel_cost_eur": [100.0, 200.0, 50.0, 0.0],
        "revenue_eur": [10.0, 0.0, 5.0, 0.0], "mean_temp_c": [-10.0, -10.0, -2.0, -2.0],
        "unserved_mwh": [0.0, 1.163, 0.0, 0.0],
    })
    table = t.operation_figures(daily, None, RATE)
    assert table.loc["Gas burnt in the season", "value"] == pytest.approx(3500.0 / 1e6)
    assert table.loc["Gas on the peak day", "value"] == pytest.approx(3.0)
    assert table.loc["Heat not served", "value_ua"] == pytest.approx(1.0)
    assert table.loc["Days operated", "value"] == 2
    given = t.operation_figures(daily, {"gas_m3_season": 9e6}, RATE)
    assert given.loc["Gas burnt in the season", "value"] == pytest.approx(9.0)


def _scenarios(stress_stage_names: bool) -> pd.DataFrame:
    s = pd.DataFrame({
        "scenario_id": ["n-1:a", "n-1:b", "strike:0"], "family": ["n-1", "n-1", "strike"],
        "description": ["a", "b", "c"], "temp_c": [-20.0, -20.0, -20.0], "duration_h": [12.0, 12.0, 48.0],
        "residents_below_12c_24h": [10.0, 30.0, 500.0], "buildings_below_12c_24h": [1, 3, 20],
    })
    if stress_stage_names:
        return s.assign(unserved_heat_mwh=[1.0, 2.0, 50.0], buildings_must_drain=[0, 0, 4],
                        restore_supply_h=[6.0, 6.0, np.inf], hospitals_affected=[0, 1, 1], schools_affected=[0, 0, 2])
    return s.assign(unserved_mwh=[1.0, 2.0, 50.0], buildings_drained=[0, 0, 4], restore_h=[6.0, 6.0, np.inf],
                    priority_affected=[0, 1, 3])


@pytest.mark.parametrize("stress_stage_names", [False, True])
def test_resilience_by_family_takes_each_familys_worst(stress_stage_names: bool) -> None:
    table = t.resilience_by_family(_scenarios(stress_stage_names), (12.0, 24.0, 48.0))
    assert list(table.index) == ["n-1", "strike"]
    assert table.loc["n-1", "scenarios"] == 2
    assert table.loc["n-1", "residents_below_12c_24h"] == 30
    assert table.loc["strike", "unserved_mwh"] == 50
    assert table.loc["strike", "unserved_gcal"] == pytest.approx(50 / MWH_PER_GCAL)
    assert table.loc["strike", "buildings_drained"] == 4
    assert table.loc["strike", "priority_affected"] == 3
    assert np.isinf(table.loc["strike", "restore_h"])
    assert "residents_below_12c_12h" not in table.columns  # not in the input: left out, not invented


def test_worst_scenarios_rank_by_people_cold() -> None:
    table = t.worst_scenarios(_scenarios(False), (24.0,), 2)
    assert list(table.index) == ["strike:0", "n-1:b"]


def test_resilience_cost_table() -> None:
    rows = [{"variant": "with resilience", "capex_eur": 2e6, "annual_cost_eur": 3e5, "eur_per_mwh": 50.0,
             "n1_covered_share": 0.9, "site_loss_covered_share": 0.7}]
    table = t.resilience_cost_table(rows, RATE)
    assert table.loc["with resilience", "capex_muah"] == pytest.approx(2 * RATE)
    assert table.loc["with resilience", "uah_per_gcal"] == pytest.approx(50 * RATE * MWH_PER_GCAL)
    assert table.loc["with resilience", "n1_covered_pct"] == pytest.approx(90.0)
