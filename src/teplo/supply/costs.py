"""Pure cost functions: annuity, per-module annual cost, heat production cost, pipe cost.

Kept apart from the MILP and tested on their own (topotherm ``hydraulic.py`` style).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from teplo.supply.settings import EconomicSettings

FloatArray: TypeAlias = npt.NDArray[np.float64]
NetworkCost: TypeAlias = float | Callable[[FloatArray], FloatArray]
"""Pipe cost: EUR per metre of trench, or a function design load [kW] -> EUR/m."""

# Installed supply+return pair per metre of trench by nominal diameter: inner diameter [mm],
# cost [EUR/m] (topotherm data, kharkiv-figures §4.2 [D]; DN500 2 300-3 000 EUR/m [E], midpoint),
# design velocity [m/s] (within 0.5-2.5 m/s, kharkiv-figures §4.1 [D]; rising with DN [E]).
PIPE_TABLE = pd.DataFrame(
    {
        "dn": [20, 40, 50, 65, 80, 100, 125, 150, 200, 250, 300, 350, 400, 500],
        "inner_d_mm": [21.6, 43.0, 54.5, 70.0, 82.5, 107.0, 132.5, 160.0, 210.0, 263.0, 313.0, 344.0, 394.0, 494.0],
        "cost_eur_m": [390, 464, 498, 537, 602, 670, 754, 886, 1171, 1184, 1197, 1401, 1755, 2650],
        "velocity_m_s": [0.8, 1.0, 1.0, 1.5, 1.5, 1.5, 2.0, 2.0, 2.0, 2.5, 2.5, 2.5, 2.5, 2.5],
    }
)
WATER_DENSITY_KG_M3 = 965.0  # [kg/m3] at ~90 degC
WATER_CP_KJ_KGK = 4.19  # [kJ/(kg K)]


def annuity(rate: float, lifetime_a: float | npt.ArrayLike) -> FloatArray:
    """Capital recovery factor [1/a]: r / (1 - (1 + r)^-n); 1/n when r = 0."""
    n = np.asarray(lifetime_a, dtype=float)
    if rate == 0:
        return np.asarray(1.0 / n)
    return np.asarray(rate / (1.0 - (1.0 + rate) ** (-n)))


def pipe_capacity_kw(delta_t_k: float = 25.0) -> FloatArray:
    """Design heat capacity [kW] of each DN in :data:`PIPE_TABLE` at supply-return difference ``delta_t_k``.

    95/70 degC local networks give 25 K; 150/70 primary mains 80 K (kharkiv-figures §4.1).
    """
    area_m2 = np.pi * (PIPE_TABLE["inner_d_mm"].to_numpy() / 1000.0) ** 2 / 4.0
    mass_kg_s = WATER_DENSITY_KG_M3 * PIPE_TABLE["velocity_m_s"].to_numpy() * area_m2
    return np.asarray(mass_kg_s * WATER_CP_KJ_KGK * delta_t_k, dtype=float)


def pipe_cost_by_load(load_kw: npt.ArrayLike, delta_t_k: float = 25.0) -> FloatArray:
    """Installed pipe-pair cost [EUR/m] of the smallest DN carrying ``load_kw`` [kW].

    Above the largest DN's capacity, parallel DN500 pairs are laid (count rounded up).
    """
    load = np.atleast_1d(np.asarray(load_kw, dtype=float))
    cap = pipe_capacity_kw(delta_t_k)
    cost = PIPE_TABLE["cost_eur_m"].to_numpy(dtype=float)
    i = np.searchsorted(cap, np.maximum(load, 0.0), side="left")
    inside = i < len(cap)
    out = np.empty_like(load)
    out[inside] = cost[i[inside]]
    out[~inside] = np.ceil(load[~inside] / cap[-1]) * cost[-1]
    return out


def cost_per_m(network_cost: NetworkCost, load_kw: npt.ArrayLike) -> FloatArray:
    """EUR per metre of trench for connections carrying ``load_kw`` [kW]."""
    load = np.atleast_1d(np.asarray(load_kw, dtype=float))
    if callable(network_cost):
        return np.asarray(network_cost(load), dtype=float).reshape(load.shape)
    return np.full(load.shape, float(network_cost))


def module_annual_cost(catalogue: pd.DataFrame, economics: EconomicSettings) -> pd.Series:
    """Annualised CAPEX plus fixed O&M per module [EUR/a], indexed like ``catalogue``."""
    ann = annuity(economics.discount_rate, catalogue["lifetime_a"].to_numpy())
    return pd.Series(catalogue["capex_eur"].to_numpy() * ann + catalogue["fixed_om_eur_a"].to_numpy(),
                     index=catalogue.index, name="annual_cost_eur_a")


def heat_production_cost(catalogue: pd.DataFrame, economics: EconomicSettings) -> pd.Series:
    """Cost per MWh of heat [EUR/MWh_th]: fuel / eta_th + variable O&M - electricity credit (CHP).

    Fuel prices by the catalogue's ``fuel`` class (kharkiv-figures §3.5); the credit
    is eta_el / eta_th MWh of electricity per MWh of heat at the DAM price when
    ``economics.chp_revenue``. Non-heat rows get NaN.
    """
    eff_th = catalogue["eff_th"].to_numpy(dtype=float)
    fuel = np.array([economics.eur_per_mwh_fuel(f) for f in catalogue["fuel"]])
    with np.errstate(divide="ignore", invalid="ignore"):
        cost = fuel / eff_th + catalogue["var_om_eur_mwh"].to_numpy(dtype=float)
        if economics.chp_revenue:
            cost = cost - economics.electricity_eur_per_mwh * catalogue["eff_el"].to_numpy(dtype=float) / eff_th
    cost = np.where(eff_th > 0, cost, np.nan)
    return pd.Series(cost, index=catalogue.index, name="heat_cost_eur_mwh")
