"""Cooling: closed form, the §2.6 reference times, partial supply, stepping, recovery."""

from __future__ import annotations

import numpy as np
import pytest

from teplo.resilience.cooling import (
    PairInputs,
    equilibrium_c,
    hours_to_c,
    simulate,
    temperature_c,
    timeline,
)

# reference/kharkiv-figures.md §2.6: τ [h], 20→12 °C at −10 °C, 20→5 °C at −10 °C, 20→12 °C at −23 °C [h]
REFERENCE = [
    (25.0, 8, 17, 5),
    (28.0, 9, 19, 6),
    (30.0, 9, 21, 6),
    (45.0, 14, 31, 9),
    (80.0, 25, 55, 17),
    (100.0, 31, 69, 21),
]


@pytest.mark.parametrize(("tau", "to12", "to5", "to12_cold"), REFERENCE)
def test_free_cooling_matches_reference_table(tau: float, to12: float, to5: float, to12_cold: float) -> None:
    # zero gains, zero supply: T_eq = T_out
    assert hours_to_c(12.0, 20.0, -10.0, tau) == pytest.approx(to12, abs=0.6)
    assert hours_to_c(5.0, 20.0, -10.0, tau) == pytest.approx(to5, abs=0.6)
    assert hours_to_c(12.0, 20.0, -23.0, tau) == pytest.approx(to12_cold, abs=0.6)


def test_reference_formula_exact() -> None:
    # §2.6: time from 20 to 12 °C at −10 °C is τ·ln(30/22)
    assert hours_to_c(12.0, 20.0, -10.0, 25.0) == pytest.approx(25.0 * np.log(30 / 22), rel=1e-12)
    assert temperature_c(25.0 * np.log(30 / 22), 20.0, -10.0, 25.0) == pytest.approx(12.0, abs=1e-12)


def test_never_reached_is_inf_and_already_there_is_zero() -> None:
    assert np.isinf(hours_to_c(12.0, 20.0, 14.0, 25.0))  # settles above 12 °C
    assert hours_to_c(12.0, 12.0, -10.0, 25.0) == 0.0
    assert hours_to_c(18.0, 10.0, 20.0, 25.0) == pytest.approx(25.0 * np.log(10 / 2))  # warming


def test_partial_supply_settles_at_heat_balance() -> None:
    h_w_k, gains_w, t_out = 5_000.0, 8_000.0, -20.0
    g = gains_w / h_w_k
    for f in (0.0, 0.3, 0.5, 1.0):
        t_eq = float(equilibrium_c(f, t_out, g))
        # heat balance: H (T_eq − T_out) = f · Q_heat + G, Q_heat = H (20 − T_out) − G
        q_heat = h_w_k * (20.0 - t_out) - gains_w
        assert h_w_k * (t_eq - t_out) == pytest.approx(f * q_heat + gains_w, rel=1e-12)
    assert float(equilibrium_c(1.0, t_out, g)) == pytest.approx(20.0)  # design: full supply holds 20 °C
    assert float(equilibrium_c(0.0, t_out, g)) == pytest.approx(t_out + g)  # not outdoor: gains stay
    assert -20.0 < float(equilibrium_c(0.5, t_out, g)) < 20.0


def _pairs(n: int, ratio: np.ndarray, temp: float, tau: np.ndarray, gains_k: np.ndarray, profile: int = -1) -> PairInputs:
    return PairInputs(
        tau_h=tau, gains_k=gains_k, space_kw=np.full(n, 430.0), dhw_kw=np.zeros(n), ratio=ratio,
        temp_ref_c=np.full(n, temp), temp_const_c=np.full(n, temp), profile=np.full(n, profile),
        duration_h=np.full(n, 48.0),
    )


def test_stepped_equals_closed_form_for_constant_conditions() -> None:
    rng = np.random.default_rng(0)
    n = 200
    tau = rng.uniform(18, 120, n)
    g = rng.uniform(0, 3, n)
    f = rng.uniform(0, 0.9, n)
    tl = timeline(np.array([0.0]), np.array([48.0]), (6.0, 12.0, 24.0, 48.0), hourly=True)  # 49 steps
    res = simulate(_pairs(n, f[:, None], -20.0, tau, g), tl, np.array([0.0]), np.zeros((0, 0)))
    t_eq = equilibrium_c(f, -20.0, g)
    for theta, got in ((18.0, res.hours_to_18c), (12.0, res.hours_to_12c), (5.0, res.hours_to_5c)):
        np.testing.assert_allclose(got, hours_to_c(theta, 20.0, t_eq, tau), rtol=1e-9)
    for k, h in enumerate((6.0, 12.0, 24.0, 48.0)):
        np.testing.assert_allclose(res.temp_at_c[:, k], temperature_c(h, 20.0, t_eq, tau), rtol=1e-12)
    # unserved heat: (1 − f) of the demand at −20 °C (space only: 430 kW · 40/43) over 48 h
    np.testing.assert_allclose(res.unserved_mwh, (1 - f) * 430.0 * 40 / 43 * 48 / 1e3, rtol=1e-12)


def test_hourly_profile_steps_exactly() -> None:
    # a constant hourly profile gives the closed form; a colder second day cools faster
    n = 3
    tau, g = np.full(n, 30.0), np.zeros(n)
    tl = timeline(np.array([0.0]), np.array([48.0]), (24.0, 48.0), hourly=True)
    flat = np.full((1, 48), -10.0)
    res = simulate(_pairs(n, np.zeros((n, 1)), -10.0, tau, g, profile=0), tl, np.array([0.0]), flat)
    np.testing.assert_allclose(res.hours_to_12c, hours_to_c(12.0, 20.0, -10.0, 30.0), rtol=1e-12)
    step = np.concatenate([np.full(24, -5.0), np.full(24, -25.0)])[None, :]
    res2 = simulate(_pairs(n, np.zeros((n, 1)), -25.0, tau, g, profile=0), tl, np.array([0.0]), step)
    t24 = temperature_c(24.0, 20.0, -5.0, 30.0)
    np.testing.assert_allclose(res2.temp_at_c[:, 0], t24)
    np.testing.assert_allclose(res2.temp_at_c[:, 1], temperature_c(24.0, t24, -25.0, 30.0))


def test_recovery_after_repair() -> None:
    # no supply for 10 h at −20 °C, then full supply: heating at full design output (settling at
    # −20 + 43 = 23 °C) until back at 20 °C, where the regulation holds it
    tau = np.array([25.0])
    epochs = np.array([0.0, 10.0])
    tl = timeline(epochs, np.array([48.0]), (6.0, 12.0, 24.0, 48.0), hourly=False)
    res = simulate(_pairs(1, np.array([[0.0, 1.0]]), -20.0, tau, np.zeros(1)), tl, epochs, np.zeros((0, 0)))
    t_r = float(temperature_c(10.0, 20.0, -20.0, 25.0))
    assert res.restore_h[0] == 10.0
    assert res.recover_h[0] == pytest.approx(25.0 * np.log((23.0 - t_r) / (23.0 - 18.0)))
    assert res.temp_at_c[0, 1] == pytest.approx(float(temperature_c(2.0, t_r, 23.0, 25.0)))
    assert res.temp_at_c[0, 3] == pytest.approx(float(temperature_c(38.0, t_r, 23.0, 25.0)))
    # a short outage: back at 20 °C within the window, and held there
    res2 = simulate(_pairs(1, np.array([[0.0, 1.0]]), -20.0, tau, np.zeros(1)),
                    timeline(np.array([0.0, 2.0]), np.array([48.0]), (48.0,), hourly=False),
                    np.array([0.0, 2.0]), np.zeros((0, 0)))
    t2 = float(temperature_c(2.0, 20.0, -20.0, 25.0))
    assert res2.temp_at_c[0, 0] == 20.0
    assert res2.recover_h[0] == pytest.approx(25.0 * np.log((23.0 - t2) / 5.0))
    assert np.isinf(res.hours_to_5c[0])  # repaired before reaching 5 °C
