"""Pipe catalogue, sizing, heat loss per metre and water properties."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from teplo.errors import InputError, InputFileNotFound
from teplo.network.pipes import (
    CATALOGUE_COLUMNS,
    heat_loss_w_per_m,
    load_pipe_catalogue,
    pipe_capacity_kg_s,
    pipe_parameters,
    regime_temperatures_c,
    size_pipes,
)
from teplo.network.water import density_kg_m3, heat_capacity_j_kgk, viscosity_pa_s

DNS = [25, 32, 40, 50, 65, 80, 100, 125, 150, 200, 250, 300, 350, 400, 450, 500]


@pytest.fixture(scope="module")
def catalogue() -> pd.DataFrame:
    return load_pipe_catalogue()


def test_catalogue_is_complete_and_sourced(catalogue: pd.DataFrame) -> None:
    assert catalogue["dn"].tolist() == DNS
    assert list(catalogue.columns) == list(CATALOGUE_COLUMNS)
    assert catalogue.notna().all().all()
    assert (catalogue["source"].str.len() > 40).all()
    np.testing.assert_allclose(
        catalogue["inner_diameter_mm"],
        catalogue["outer_diameter_mm"] - 2 * catalogue["wall_mm"], atol=0.051,
    )  # fmt: skip
    row = catalogue.set_index("dn")
    assert row.loc[25, ["outer_diameter_mm", "wall_mm"]].tolist() == [33.7, 3.2]  # EN 253
    assert row.loc[500, ["outer_diameter_mm", "wall_mm"]].tolist() == [508.0, 6.3]
    assert (catalogue["roughness_mm"] == 0.05).all()
    for col in ("cost_eur_per_m", "u_w_per_m_k"):
        assert np.all(np.diff(catalogue[col]) > 0), col
    assert row.loc[400, "cost_eur_per_m"] == 1755  # topotherm German data, figures §4.2
    assert 2300 <= row.loc[500, "cost_eur_per_m"] <= 3000  # the [E] range of §4.2


def test_new_pipe_u_value_is_the_fit_of_the_1998_2003_norm(catalogue: pd.DataFrame) -> None:
    """U = least squares of q = U (T - 5 °C) over the t3p4 columns 50/65/90/110 °C."""
    temps = np.array([50.0, 65.0, 90.0, 110.0])
    for dn in (50, 100, 150, 200, 300, 400, 500):
        per_pipe = np.array(
            [heat_loss_w_per_m(dn, t, t, 5.0, laying_year=2000)[0] / 2 for t in temps]
        )
        fit = per_pipe @ (temps - 5.0) / np.sum((temps - 5.0) ** 2)
        u = float(catalogue.set_index("dn").loc[dn, "u_w_per_m_k"])
        assert u == pytest.approx(fit, abs=1e-4), dn


def test_bad_catalogue_names_row_and_column(tmp_path: Path, catalogue: pd.DataFrame) -> None:
    bad = catalogue.copy()
    bad.loc[3, "inner_diameter_mm"] = -1.0
    path = tmp_path / "cat.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(InputError, match="row 4, column 'inner_diameter_mm'"):
        load_pipe_catalogue(path)
    bad = catalogue.copy()
    bad.loc[0, "cost_eur_per_m"] = np.nan
    bad.to_csv(path, index=False)
    with pytest.raises(InputError, match="row 1, column 'cost_eur_per_m'"):
        load_pipe_catalogue(path)
    bad.drop(columns="source").to_csv(path, index=False)
    with pytest.raises(InputError, match="missing column"):
        load_pipe_catalogue(path)
    with pytest.raises(InputFileNotFound):
        load_pipe_catalogue(tmp_path / "nope.csv")


def _capacity_by_hand(d: float, grad: float, t_c: float) -> float:
    """Mass flow at a friction gradient, Colebrook solved explicitly for a given gradient.

    dp/L = lambda rho v^2 / (2 d)  =>  sqrt(lambda) v = sqrt(2 d grad / rho) =: u*, so
    Re sqrt(lambda) is known and Colebrook gives lambda directly.
    """
    rho, mu = float(density_kg_m3(t_c)), float(viscosity_pa_s(t_c))
    u_star = np.sqrt(2 * d * grad / rho)
    re_sqrt_lam = rho * u_star * d / mu
    inv_sqrt_lam = -2 * np.log10(0.05e-3 / d / 3.71 + 2.51 / re_sqrt_lam)
    v = u_star * inv_sqrt_lam
    return float(rho * v * np.pi * d**2 / 4)


def test_sizing_picks_smallest_dn_meeting_both_limits(catalogue: pd.DataFrame) -> None:
    d100 = 0.1071
    cap = min(_capacity_by_hand(d100, 150.0, 95.0), _capacity_by_hand(d100, 150.0, 70.0))
    assert pipe_capacity_kg_s(catalogue)[DNS.index(100)] == pytest.approx(cap, rel=1e-9)
    assert size_pipes(np.array([cap * 0.999, cap * 1.001]), catalogue).tolist() == [100, 125]
    # DN500 is velocity-bound: 2.5 m/s at supply density reached before 150 Pa/m
    v_cap = float(density_kg_m3(95.0)) * np.pi * 0.4954**2 / 4 * 2.5
    assert pipe_capacity_kg_s(catalogue)[-1] == pytest.approx(v_cap, rel=1e-12)
    assert size_pipes(np.array([0.0, 1.0, 10.0, -30.0]), catalogue).tolist() == [25, 50, 100, 150]


def test_sizing_limits_and_regimes(catalogue: pd.DataFrame) -> None:
    flows = np.array([5.0])
    assert size_pipes(flows, catalogue, max_dp_pa_per_m=300.0) < size_pipes(flows, catalogue)
    assert size_pipes(flows, catalogue, max_velocity_m_s=0.5) > size_pipes(flows, catalogue)
    assert regime_temperatures_c("130/70") == (130.0, 70.0)
    with pytest.raises(InputError, match="unknown temperature regime"):
        regime_temperatures_c("150/70")  # type: ignore[arg-type]


def test_too_large_flow_names_pipes(catalogue: pd.DataFrame) -> None:
    flows = pd.Series([1.0, 900.0, 2.0, 1000.0], index=["p1", "main", "p3", "main2"])
    with pytest.raises(InputError, match=r"2 pipe\(s\).*DN500.*main, main2"):
        size_pipes(flows, catalogue)


def test_pipe_parameters(catalogue: pd.DataFrame) -> None:
    params = pipe_parameters([100, 25, 100], catalogue)
    assert params["inner_diameter_mm"].tolist() == [107.1, 27.3, 107.1]
    with pytest.raises(InputError, match=r"DN \[30\]"):
        pipe_parameters([30], catalogue)


@pytest.mark.parametrize(
    ("dn", "year", "supply", "expected"),
    [
        (100, 1985, 90.0, 102 + 40),  # §4.3 example: 142 W/m
        (100, 2000, 90.0, 35 + 16),  # §4.3 example: 51 W/m
        (50, 1970, 65.0, 65 + 29),
        (300, 1999, 110.0, 71 + 28),
        (500, 1989, 110.0, 304 + 118),
        (200, 2003, 65.0, 33 + 23),
    ],
)
def test_age_based_heat_loss_matches_norm_rows(
    dn: int, year: int, supply: float, expected: float
) -> None:
    """Supply pipe at ``supply``, return at 50 °C, ground at the norm's 5 °C: table values."""
    assert heat_loss_w_per_m(dn, supply, 50.0, 5.0, laying_year=year)[0] == pytest.approx(expected)


def test_heat_loss_interpolates_and_scales_with_ground_temperature() -> None:
    # DN250 halfway between the DN200 and DN300 rows
    mid = heat_loss_w_per_m(250, 90.0, 50.0, 5.0, laying_year=1980)[0]
    assert mid == pytest.approx(0.5 * ((151 + 59) + (195 + 79)))
    # 95/70 between the 90 and 110 columns (supply) and 65/90 (return at 70)
    q = heat_loss_w_per_m(100, 95.0, 70.0, 5.0, laying_year=1980)[0]
    assert q == pytest.approx((102 + 10 / 20 * 5) + (88 + 14 / 25 * 5))
    # a warmer ground loses less, in proportion to the temperature difference
    warm = heat_loss_w_per_m(100, 90.0, 50.0, 10.0, laying_year=1980)[0]
    assert warm == pytest.approx(102 * 80 / 85 + 40 * 40 / 45)
    new = heat_loss_w_per_m([100, 100], [95.0, 95.0], 70.0, 5.0)
    assert new[0] == pytest.approx(0.3954 * (90 + 65))
    assert heat_loss_w_per_m(100, 95.0, 70.0, 5.0, laying_year=1980) > 2 * new[0]


def test_water_properties_match_pandapipes_tables() -> None:
    """pandapipes' water tables (BSD-3, pandapipes 0.16), labelled in kelvin, at their rows."""
    t = np.array([20.0, 50.0, 70.0, 90.0, 95.0])
    np.testing.assert_allclose(density_kg_m3(t), [998.21, 988.04, 977.77, 965.31, 961.89])
    np.testing.assert_allclose(
        viscosity_pa_s(t), [1.002e-3, 0.547e-3, 0.404e-3, 0.315e-3, 0.297e-3]
    )
    np.testing.assert_allclose(heat_capacity_j_kgk(t[:4]), [4184.4, 4181.5, 4190.2, 4205.3])
    assert density_kg_m3(130.0) == pytest.approx(934.83)  # IAPWS-95 saturated liquid
