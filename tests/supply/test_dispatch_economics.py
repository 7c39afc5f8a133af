"""Cases whose optimal dispatch is known by hand, and the money and gas totals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from teplo.supply.dispatch import (
    gas_temperature_slope,
    gas_vs_temperature,
    operation_daily,
    operation_summary,
    run_operation,
    season_summary,
)
from teplo.supply.dispatch.prices import gas_price_eur_per_mwh
from teplo.supply.dispatch.tables import OPERATION_DAILY

from .dispatch_cases import bmk, chp, frame, no_losses, season, serial, temps_for

EFF_TH, EFF_EL, EFF_BMK, OM_EL = 0.45, 0.40, 0.92, 5.4  # the defaults (§0, §3.2)
DEMAND = [800.0, 3_000.0, 800.0, 3_000.0]  # below and above the engine's 1 MW


def break_even_uah_mwh() -> float:
    """Electricity price at which engine heat costs what boiler heat costs, UAH/MWh.

    Per MWh of heat: engine fuel/η_th + O&M·(η_el/η_th) − p·(η_el/η_th) = boiler fuel/η_b.
    """
    s = serial()
    gas = gas_price_eur_per_mwh(s)
    cb = EFF_EL / EFF_TH
    eur = (gas["chp"] / EFF_TH + OM_EL * cb - gas["pso"] / EFF_BMK) / cb
    return eur * s.economics.eur_uah


def two_units(price_uah_mwh: float):  # type: ignore[no-untyped-def]
    demand = frame({"A": DEMAND})
    units = pd.DataFrame([chp("c1", heat_kw=1_000.0), bmk("b1", heat_kw=5_000.0, min_load=0.1)])
    price = pd.Series(price_uah_mwh, index=demand.index)
    return demand, run_operation(
        units, demand, temps_for(demand), serial(), losses_kw=no_losses(demand), power_price_uah_mwh=price
    )


def test_break_even_is_plausible() -> None:
    p = break_even_uah_mwh()
    print(f"CHP break-even electricity price: {p:.0f} UAH/MWh")
    assert 4_000 < p < 6_000  # near the DAM base (5 349, §3.5)


def test_engine_base_load_when_power_is_valuable() -> None:
    _demand, r = two_units(1.1 * break_even_uah_mwh())
    heat = r["A"].heat_kw
    # low hours: the engine alone (0.8 MW ≥ its 0.5 MW min load); peaks: engine full + boiler
    np.testing.assert_allclose(heat[:, 0], [800.0, 1_000.0, 800.0, 1_000.0], atol=1e-3)
    np.testing.assert_allclose(heat[:, 1], [0.0, 2_000.0, 0.0, 2_000.0], atol=1e-3)
    assert r["A"].power_kw[:, 0].sum() == pytest.approx(3_600.0 * EFF_EL / EFF_TH)


def test_engine_off_below_break_even() -> None:
    _demand, r = two_units(0.9 * break_even_uah_mwh())
    heat = r["A"].heat_kw
    np.testing.assert_allclose(heat[:, 0], 0.0, atol=1e-3)
    np.testing.assert_allclose(heat[:, 1], DEMAND, atol=1e-3)
    assert not r["A"].on[:, 0].any()


def test_money_and_gas_totals_add_up() -> None:
    demand, r = two_units(6_000.0)
    s, d = r.settings, r["A"]
    gas = gas_price_eur_per_mwh(s)
    fuel_chp = d.heat_kw[:, 0].sum() / EFF_TH / 1e3
    fuel_bmk = d.heat_kw[:, 1].sum() / EFF_BMK / 1e3
    row = season_summary(r).set_index("district_id").loc["A"]
    assert row["gas_m3"] == pytest.approx((fuel_chp + fuel_bmk) * 1e3 / 9.6)
    assert row["fuel_cost_eur"] == pytest.approx(fuel_chp * gas["chp"] + fuel_bmk * gas["pso"])
    power = d.power_kw.sum() / 1e3
    assert row["revenue_eur"] == pytest.approx(power * 6_000.0 / 50.4)
    assert row["om_cost_eur"] == pytest.approx(power * OM_EL)
    assert row["co2_t"] == pytest.approx((fuel_chp + fuel_bmk) * 0.20196)
    cost = row["fuel_cost_eur"] + row["om_cost_eur"] + row["start_cost_eur"] - row["revenue_eur"]
    assert row["lcoh_eur_mwh"] == pytest.approx(cost / (sum(DEMAND) / 1e3))
    assert row["lcoh_uah_gcal"] == pytest.approx(row["lcoh_eur_mwh"] * 1.163 * 50.4)
    assert row["peak_gas_hour"] == demand.index[1].isoformat()
    assert r.objective_eur == pytest.approx(cost, rel=1e-9)
    meta = operation_summary(r)  # what the HTML report reads from the study's meta
    assert meta["gas_m3_season"] == pytest.approx(row["gas_m3"])
    assert meta["cost_eur_per_mwh"] == pytest.approx(row["lcoh_eur_mwh"])


def test_capex_is_annualised_into_the_lcoh() -> None:
    demand = frame({"A": DEMAND})
    plain = pd.DataFrame([bmk("b1", heat_kw=5_000.0)])
    costly = plain.assign(capex_eur=600_000.0, lifetime_a=20.0)
    kw = dict(losses_kw=no_losses(demand))
    a = season_summary(run_operation(plain, demand, temps_for(demand), serial(), **kw)).iloc[0]
    b = season_summary(run_operation(costly, demand, temps_for(demand), serial(), **kw)).iloc[0]
    annual = 600_000.0 * 0.08 / (1 - 1.08**-20)
    assert b["capex_annual_eur"] == pytest.approx(annual)
    assert b["lcoh_eur_mwh"] - a["lcoh_eur_mwh"] == pytest.approx(annual / (sum(DEMAND) / 1e3))


def test_daily_table_and_gas_rises_as_it_gets_colder() -> None:
    demand, temps = season(20, seed=7)
    units = pd.DataFrame([chp("c1"), bmk("b1", heat_kw=3_000.0), bmk("b2", heat_kw=3_000.0)])
    s = serial()
    s.solver.mip_rel_gap = 1e-4
    r = run_operation(units, demand, temps, s)
    daily = operation_daily(r)
    assert list(daily.columns) == [c.name for c in OPERATION_DAILY.columns]
    assert len(daily) == 20 and daily["date"].iloc[0] == "2026-01-05"
    assert set(r.layers()) == {"operation_daily", "operation_districts"}
    assert daily["heat_mwh"].sum() == pytest.approx(r["A"].heat_kw.sum() / 1e3)
    table = gas_vs_temperature(r)
    slope = gas_temperature_slope(table)
    print(f"daily gas use vs daily mean temperature: {slope:.0f} m³/day per K")
    assert slope < 0
    # ≈ H·24 h / (η·CV): 4 000 kW / 43 K · 1.05 · 24 / (0.92 · 9.6) ≈ 265 m³/day per K
    assert -400 < slope < -150


def test_report_reads_the_operation_tables() -> None:
    from teplo.report.tables import city_daily, operation_figures

    demand, temps = season(3, seed=29)
    units = pd.DataFrame([chp("c1"), bmk("b1", heat_kw=3_000.0), bmk("b2", heat_kw=3_000.0)])
    r = run_operation(units, demand, temps, serial())
    figures = operation_figures(r.daily(), operation_summary(r), r.settings.economics.eur_uah)
    assert len(figures) >= 8
    assert len(city_daily(r.daily())) == 3
