"""Hourly loads: integrate to the annual values, sum without the matrix, DHW shape."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from teplo.climate import Climate
from teplo.demand import (
    DHW_DAILY_PROFILE,
    compute_demand,
    degree_hours,
    dhw_profile,
    hourly_heat_kw,
    hourly_heat_total_kw,
)
from teplo.errors import InputError


@pytest.fixture(scope="module")
def city(kharkiv: Climate) -> gpd.GeoDataFrame:
    from tests.demand.helpers import typology_buildings

    return compute_demand(typology_buildings(), kharkiv)


def test_dhw_profile_shape() -> None:
    assert DHW_DAILY_PROFILE.shape == (24,)
    assert DHW_DAILY_PROFILE.mean() == pytest.approx(1.0)
    assert int(np.argmax(DHW_DAILY_PROFILE)) == 7  # morning peak 07–08 h
    evening = DHW_DAILY_PROFILE[17:22]
    assert evening.max() > 1.3 and DHW_DAILY_PROFILE[2:4].max() < 0.2  # evening peak, night trough
    idx = pd.date_range("2020-01-01", periods=48, freq="h")
    assert np.allclose(dhw_profile(idx), np.tile(DHW_DAILY_PROFILE, 2))


def test_hourly_matrix_integrates_to_annual(city: gpd.GeoDataFrame, kharkiv: Climate) -> None:
    m = hourly_heat_kw(city, kharkiv)
    assert m.shape == (len(city), 8760) and m.dtype == np.float32
    annual = m.sum(axis=1, dtype=np.float64) / 1000.0
    heated = city["heated"].to_numpy()
    assert np.allclose(annual[heated], city["annual_heat_mwh"].to_numpy()[heated], rtol=0.01)
    assert (m[~heated] == 0).all()
    space = hourly_heat_kw(city, kharkiv, include_dhw=False, dtype=np.float64).sum(axis=1) / 1000
    assert np.allclose(space, city["space_heat_mwh"], rtol=1e-9)


def test_total_equals_matrix_sum(city: gpd.GeoDataFrame, kharkiv: Climate) -> None:
    m = hourly_heat_kw(city, kharkiv, dtype=np.float64)
    total = hourly_heat_total_kw(city, kharkiv)
    assert total.shape == (8760,)
    assert np.allclose(total, m.sum(axis=0), rtol=1e-9, atol=1e-9)
    no_dhw = hourly_heat_total_kw(city, kharkiv, include_dhw=False)
    assert np.allclose(
        no_dhw, hourly_heat_kw(city, kharkiv, include_dhw=False, dtype=np.float64).sum(axis=0)
    )


def test_no_space_heat_outside_heating_days(city: gpd.GeoDataFrame, kharkiv: Climate) -> None:
    space = hourly_heat_total_kw(city, kharkiv, include_dhw=False)
    mask = kharkiv.hourly_heating_mask
    assert (space[~mask] == 0).all()
    assert (space[mask] > 0).mean() > 0.99
    july = kharkiv.hourly_temp_c.index.month == 7
    dhw_only = hourly_heat_total_kw(city, kharkiv)[july]
    assert np.allclose(dhw_only.mean(), city["dhw_mean_kw"].sum(), rtol=0.01)


def test_peak_near_design_load(city: gpd.GeoDataFrame, kharkiv: Climate) -> None:
    spell = kharkiv.design_cold_spell()
    at_design = hourly_heat_total_kw(city, spell, include_dhw=False, heating_limit_c=8.0)
    space_design = (city["design_load_kw"] - city["dhw_mean_kw"]).sum()
    # at the spell's mean temperature (= design) the space load is H·ΔT minus gains
    mean_load = at_design.mean()
    gains = city["internal_gains_kw"].sum()
    assert mean_load == pytest.approx(space_design - gains, rel=1e-6)


def test_bare_series_matches_climate(city: gpd.GeoDataFrame, kharkiv: Climate) -> None:
    from_series = hourly_heat_total_kw(city, kharkiv.hourly_temp_c)
    assert np.allclose(from_series, hourly_heat_total_kw(city, kharkiv))


def test_degree_hours_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    t = rng.normal(0, 8, 1000)
    b = np.array([-40.0, -3.0, 0.0, 12.5, 18.0, 50.0])
    brute = np.maximum(0, b[:, None] - t[None, :]).sum(axis=1)
    assert np.allclose(degree_hours(t, b), brute)


def test_needs_demand_columns(kharkiv: Climate) -> None:
    with pytest.raises(InputError, match="compute_demand"):
        hourly_heat_kw(pd.DataFrame({"h_w_k": [1.0]}), kharkiv)
    with pytest.raises(InputError, match="Climate or a pandas Series"):
        hourly_heat_total_kw(
            pd.DataFrame({"h_w_k": [1.0], "balance_temp_c": [18.0], "dhw_mean_kw": [0.0]}),
            [1.0, 2.0],
        )  # type: ignore[arg-type]
