"""Pure cost functions."""

from __future__ import annotations

import numpy as np
import pytest

from teplo.supply.catalogue import load_unit_catalogue
from teplo.supply.costs import annuity, heat_production_cost, pipe_capacity_kw, pipe_cost_by_load
from teplo.supply.settings import EconomicSettings


def test_annuity_matches_the_formula_and_the_zero_rate_limit():
    assert annuity(0.1, 20) == pytest.approx(0.1 / (1 - 1.1 ** -20))
    assert annuity(0.0, 25) == pytest.approx(1 / 25)


def test_pipe_cost_rises_with_load_and_uses_the_topotherm_prices():
    cap = pipe_capacity_kw(25.0)
    assert np.all(np.diff(cap) > 0)
    # DN100 (d_i 107 mm) at 1.5 m/s and 25 K carries ~1.4 MW (kharkiv-figures §4.1/4.2)
    assert cap[5] == pytest.approx(965 * 1.5 * np.pi * 0.107 ** 2 / 4 * 4.19 * 25, rel=1e-6)
    loads = np.array([50.0, 1000.0, 5000.0, 50000.0, 5e5])
    cost = pipe_cost_by_load(loads)
    assert np.all(np.diff(cost) >= 0)
    assert pipe_cost_by_load(np.array([cap[5]]))[0] == 670.0
    assert pipe_cost_by_load(np.array([cap[-1] * 2.5]))[0] == 3 * 2650.0  # parallel DN500 pairs


def test_heat_cost_uses_the_fuel_class_and_credits_chp_power():
    econ = EconomicSettings()
    cat = load_unit_catalogue()
    cost = heat_production_cost(cat, econ)
    gas = 7420 / 9.6 / 50.4  # EUR/MWh of gas, PSO price (kharkiv-figures §3.5)
    assert cost["bmk_1mw"] == pytest.approx(gas / 0.92 + 1.11)
    chp = cat.loc["chp_1mw"]
    expected = 21000 / 9.6 / 50.4 / 0.45 + chp["var_om_eur_mwh"] - 5349 / 50.4 * 0.40 / 0.45
    assert cost["chp_1mw"] == pytest.approx(expected)
    no_credit = heat_production_cost(cat, econ.model_copy(update={"chp_revenue": False}))
    assert no_credit["chp_1mw"] > cost["chp_1mw"]
