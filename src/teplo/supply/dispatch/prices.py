"""Prices, emission factor, annuity and part-load fuel curves: pure functions, no model.

Kept apart from the MILP and tested on their own (topotherm ``hydraulic.py``
style). Energy in MWh, power in MW, money in EUR unless the name says UAH.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from teplo.errors import InputError
from teplo.supply.dispatch.settings import DispatchSettings

#: Seconds per hour over joules per terajoule, times MWh: 1 MWh = 3.6e-3 TJ.
TJ_PER_MWH = 3.6e-3
#: Gas user classes with a price in :class:`~teplo.supply.dispatch.settings.GasPrices`.
GAS_CLASSES = ("pso", "budget", "chp")
#: Hours (start, end) of the DAM cap bands of NEURC res. 949 (from 1 Jun 2024, §3.5).
_BAND_HOURS = {
    "night": ((0, 7), (11, 17)),
    "shoulder": ((7, 11), (23, 24)),
    "peak": ((17, 23),),
}


def gas_price_eur_per_mwh(settings: DispatchSettings) -> dict[str, float]:
    """Gas price per user class, EUR per MWh of fuel (UAH/1000 m³ ÷ kWh/m³ ÷ UAH/EUR).

    >>> round(gas_price_eur_per_mwh(DispatchSettings())["pso"], 2)
    15.34
    """
    g, fx = settings.gas, settings.economics.eur_uah
    per_m3 = {
        "pso": g.pso_uah_per_1000m3,
        "budget": g.budget_uah_per_1000m3,
        "chp": g.chp_uah_per_1000m3,
    }
    # UAH/1000 m³ / (kWh/m³) = UAH/MWh
    return {k: v / g.calorific_kwh_per_m3 / fx for k, v in per_m3.items()}


def co2_t_per_mwh_fuel(settings: DispatchSettings) -> float:
    """CO₂ per MWh of gas burnt, t/MWh (IPCC 2006: 56.1 t/TJ → 0.202 t/MWh).

    >>> round(co2_t_per_mwh_fuel(DispatchSettings()), 4)
    0.202
    """
    return settings.economics.co2_t_per_tj * TJ_PER_MWH


def band_of_hour(hour: np.ndarray) -> np.ndarray:
    """DAM price band ('night', 'shoulder', 'peak') of each clock hour 0–23."""
    out = np.empty(hour.shape, dtype=object)
    for band, spans in _BAND_HOURS.items():
        for lo, hi in spans:
            out[(hour >= lo) & (hour < hi)] = band
    return out


def electricity_price_eur_mwh(
    hours: pd.DatetimeIndex,
    settings: DispatchSettings,
    series_uah_mwh: pd.Series | None = None,
) -> np.ndarray:
    """Value of CHP electricity each hour, EUR/MWh.

    A given hourly series (UAH/MWh, indexed like ``hours``) wins; otherwise the
    flat DAM index or the hour-band caps of the settings.
    """
    fx = settings.economics.eur_uah
    if series_uah_mwh is not None:
        s = series_uah_mwh.reindex(hours)
        if s.isna().any():
            missing = hours[s.isna().to_numpy()]
            raise InputError(
                f"electricity price series: no value for {len(missing)} hour(s), first {missing[0]}; "
                "give a price for every hour of the demand table"
            )
        return s.to_numpy(dtype=float) / fx
    e = settings.electricity
    if e.mode == "flat":
        return np.full(len(hours), e.flat_uah_mwh / fx)
    levels = {"night": e.night_uah_mwh, "shoulder": e.shoulder_uah_mwh, "peak": e.peak_uah_mwh}
    bands = band_of_hour(np.asarray(hours.hour))
    return np.array([levels[b] for b in bands], dtype=float) / fx


def annuity_factor(rate: float, years: float) -> float:
    """Capital recovery factor, 1/a: the share of CAPEX paid each year over ``years``.

    >>> round(annuity_factor(0.08, 25), 4)
    0.0937
    >>> annuity_factor(0.0, 20)
    0.05
    """
    if years <= 0:
        raise InputError(f"lifetime must be > 0 years, got {years}")
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)


def fuel_curve_segments(
    loads: np.ndarray, eff_el: np.ndarray, eff_el_full: float, eff_th_full: float
) -> tuple[np.ndarray, np.ndarray]:
    """Fuel of one gas engine as the upper envelope of lines in its heat output.

    ``loads`` are electric load fractions (ascending, the last 1.0) with their
    electric efficiencies ``eff_el``. Heat follows electricity at the full-load
    ratio ``eff_th_full/eff_el_full``. Returns per segment the intercept ``a``
    (MW of fuel per MW of *rated heat* when on) and slope ``b`` (MW fuel per MW
    heat), so fuel ≥ a·rated·on + b·heat for every segment. A convex curve is
    exact; a non-convex one is replaced by its chord (first to last point).

    >>> a, b = fuel_curve_segments(np.array([0.5, 1.0]), np.array([0.35, 0.40]), 0.40, 0.45)
    >>> [round(float(x), 4) for x in (*a, *b)]
    [0.3175, 1.9048]
    """
    x = np.asarray(loads, dtype=float)
    heat = x  # heat as a fraction of rated heat equals the electric load fraction
    # fuel per rated heat: P_el = x·P_el_max, F = P_el/η(x); P_el_max = H_max·η_el/η_th
    fuel = x * (eff_el_full / eff_th_full) / np.asarray(eff_el, dtype=float)
    slopes = np.diff(fuel) / np.diff(heat)
    if np.all(np.diff(slopes) >= -1e-12):
        b = slopes
        a = fuel[:-1] - b * heat[:-1]
    else:
        b = np.array([(fuel[-1] - fuel[0]) / (heat[-1] - heat[0])])
        a = np.array([fuel[0] - b[0] * heat[0]])
    return a, b
