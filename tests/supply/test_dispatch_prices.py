"""Prices, emissions, annuity and part-load fuel curves (pure functions, no solver)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from teplo.errors import InputError
from teplo.supply.dispatch import DispatchSettings
from teplo.supply.dispatch.prices import (
    annuity_factor,
    band_of_hour,
    co2_t_per_mwh_fuel,
    electricity_price_eur_mwh,
    fuel_curve_segments,
    gas_price_eur_per_mwh,
)


def test_gas_prices_per_mwh_from_uah_per_1000m3() -> None:
    s = DispatchSettings()
    p = gas_price_eur_per_mwh(s)
    # 7 420 UAH/1000 m³ / 9.6 kWh/m³ = 773 UAH/MWh; / 50.4 = 15.34 EUR/MWh (§3.5)
    assert p["pso"] == pytest.approx(7_420 / 9.6 / 50.4)
    assert p["chp"] == pytest.approx(21_000 / 9.6 / 50.4)
    assert p["pso"] < p["budget"] < p["chp"]


def test_co2_factor_is_ipcc_default() -> None:
    # 56.1 t/TJ × 0.0036 TJ/MWh
    assert co2_t_per_mwh_fuel(DispatchSettings()) == pytest.approx(0.20196)


def test_hour_bands_cover_the_day() -> None:
    bands = band_of_hour(np.arange(24))
    assert list(bands[[0, 6, 7, 10, 11, 16, 17, 22, 23]]) == [
        "night", "night", "shoulder", "shoulder", "night", "night", "peak", "peak", "shoulder",
    ]


def test_electricity_price_modes_and_series() -> None:
    idx = pd.date_range("2026-01-05", periods=24, freq="h")
    s = DispatchSettings()
    flat = electricity_price_eur_mwh(idx, s)
    assert np.allclose(flat, 5_349 / 50.4)
    s.electricity.mode = "bands"
    bands = electricity_price_eur_mwh(idx, s)
    assert bands[18] == pytest.approx(9_000 / 50.4) and bands[3] == pytest.approx(5_600 / 50.4)
    series = pd.Series(np.arange(24) * 100.0, index=idx)
    assert np.allclose(electricity_price_eur_mwh(idx, s, series), series.to_numpy() / 50.4)
    with pytest.raises(InputError, match="no value for 1 hour"):
        electricity_price_eur_mwh(idx, s, series.iloc[1:])


def test_annuity_factor() -> None:
    assert annuity_factor(0.0, 25) == pytest.approx(0.04)
    assert annuity_factor(0.08, 25) == pytest.approx(0.0936788, rel=1e-5)
    with pytest.raises(InputError):
        annuity_factor(0.08, 0)


def test_fuel_curve_convex_is_exact_at_points() -> None:
    # Jenbacher J208 part-load efficiencies (§3.2): 35.3 / 37.6 / 38.7 %
    loads, eff = np.array([0.5, 0.75, 1.0]), np.array([0.353, 0.376, 0.387])
    a, b = fuel_curve_segments(loads, eff, 0.387, 0.45)
    assert len(a) == 2
    fuel = loads * (0.387 / 0.45) / eff  # fuel per rated heat at each point
    env = np.max(a[None, :] + b[None, :] * loads[:, None], axis=1)
    assert np.allclose(env, fuel)
    assert fuel[-1] == pytest.approx(1 / 0.45)  # full load: heat / eff_th


def test_fuel_curve_non_convex_falls_back_to_chord() -> None:
    loads, eff = np.array([0.5, 0.75, 1.0]), np.array([0.35, 0.36, 0.40])
    a, b = fuel_curve_segments(loads, eff, 0.40, 0.45)
    assert len(a) == 1
    fuel = loads * (0.40 / 0.45) / eff
    assert a[0] + b[0] * 0.5 == pytest.approx(fuel[0])
    assert a[0] + b[0] * 1.0 == pytest.approx(fuel[-1])


def test_doctests_of_the_dispatch_package() -> None:
    import doctest

    from teplo.supply.dispatch import prices, solve

    for module in (prices, solve):
        assert doctest.testmod(module).failed == 0
