"""Cooling of buildings with reduced heat supply: a lumped RC model per building.

Each building is one thermal mass C = τ·H [Wh/K] with a heat-loss
coefficient H [W/K] (§2.6, DSTU 9190 τ = C_m/H):

    C dT/dt = f·Q_heat(T_out) + G − H·(T − T_out)

with ``f`` the supplied fraction, ``G`` the internal gains [W] (§2.6: 3–5 W/m²)
and ``Q_heat`` the heating that holds the indoor design temperature
T_d = 20 °C (§2.5) at full supply: ``Q_heat = max(0, H·(T_d − T_out) − G)``,
the losses net of the gains (a weather-compensated supply does not
overheat). With constant f and T_out the temperature relaxes to

    T_eq = T_out + (f·Q_heat + G)/H = T_out + f·max(0, T_d − T_out − g) + g,   g = G/H [K],

so partial supply settles between the outdoor temperature and 20 °C, and
full supply (f = 1) settles at 20 °C exactly (or at T_out + g in mild
weather). The closed form is T(t) = T_eq + (T0 − T_eq)·e^(−t/τ); the hours to
fall to a threshold θ are τ·ln((T0 − T_eq)/(θ − T_eq)) if T_eq < θ < T0, else
never (inf).

Recovery. After a repair (f back to 1) a building below 20 °C is heated at
its full design output, Q_design = H·ΔT_design − G, which settles at
T_out + ΔT_design (20 °C at the design temperature −23 °C, 23 °C at −20 °C),
until it is back at 20 °C, where the regulation takes over; the hours to
recover to 18 °C follow the same exponential toward that temperature. (The
extra load of the warm-up is not screened against the units' capacity.)

When f or T_out change (an outage ends, fuel runs out, an hourly outdoor
series) the model steps exactly from breakpoint to breakpoint, each step
the closed form with that step's T_eq; crossings are solved inside the step.
Beyond the last breakpoint the last step's conditions are extrapolated, so
for constant conditions the hours equal the closed form even past the
scenario window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def equilibrium_c(
    fraction: np.ndarray | float,
    t_out_c: np.ndarray | float,
    gains_k: np.ndarray | float,
    indoor_c: float = 20.0,
) -> np.ndarray:
    """Settled indoor temperature [°C] at supplied ``fraction`` of the heating need.

    ``gains_k`` is G/H [K]; ``indoor_c`` the design indoor temperature (§2.5).
    """
    f = np.asarray(fraction, dtype=float)
    t_out = np.asarray(t_out_c, dtype=float)
    g = np.asarray(gains_k, dtype=float)
    return np.asarray(t_out + f * np.maximum(0.0, indoor_c - t_out - g) + g)


def temperature_c(
    t_h: np.ndarray | float, t0_c: np.ndarray | float, t_eq_c: np.ndarray | float, tau_h: np.ndarray | float
) -> np.ndarray:
    """Closed form T(t) = T_eq + (T0 − T_eq)·e^(−t/τ) [°C]."""
    t_eq = np.asarray(t_eq_c, dtype=float)
    return np.asarray(t_eq + (np.asarray(t0_c) - t_eq) * np.exp(-np.asarray(t_h) / np.asarray(tau_h)))


def hours_to_c(
    target_c: float | np.ndarray, t0_c: np.ndarray | float, t_eq_c: np.ndarray | float, tau_h: np.ndarray | float
) -> np.ndarray:
    """Hours until the temperature first reaches ``target_c`` from ``t0_c`` (either direction).

    0 if already there, ``inf`` if the settled temperature never gets there.
    """
    t0 = np.asarray(t0_c, dtype=float)
    t_eq = np.asarray(t_eq_c, dtype=float)
    target = np.asarray(target_c, dtype=float)
    tau = np.asarray(tau_h, dtype=float)
    falling = t0 > target
    reach = np.where(falling, t_eq < target, t_eq > target)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = tau * np.log((t0 - t_eq) / (target - t_eq))
    out = np.where(reach, t, np.inf)
    return np.asarray(np.where(t0 == target, 0.0, out))


@dataclass(frozen=True)
class Timeline:
    """Breakpoints of the cooling integration [h], from 0 to the horizon (both included)."""

    breakpoints_h: np.ndarray
    report_hours: tuple[float, ...]
    hourly: bool

    @property
    def horizon_h(self) -> float:
        """Last breakpoint [h]."""
        return float(self.breakpoints_h[-1])


def timeline(
    epochs_h: np.ndarray, durations_h: np.ndarray, report_hours: tuple[float, ...], hourly: bool
) -> Timeline:
    """Breakpoints: availability epochs, report times, scenario windows, and every hour if ``hourly``."""
    horizon = float(max(np.max(durations_h, initial=0.0), max(report_hours)))
    parts = [np.asarray(epochs_h, float), np.asarray(durations_h, float), np.asarray(report_hours, float), [0.0, horizon]]
    if hourly:
        parts.append(np.arange(0.0, np.ceil(horizon) + 1.0))
    t = np.unique(np.concatenate([np.asarray(p, dtype=float) for p in parts]))
    return Timeline(t[(t >= 0) & (t <= horizon)], tuple(report_hours), hourly)


@dataclass(frozen=True)
class PairInputs:
    """One row per (scenario, building) pair with reduced supply in some epoch."""

    tau_h: np.ndarray
    gains_k: np.ndarray  # G/H [K]
    space_kw: np.ndarray  # [kW] design space heat
    dhw_kw: np.ndarray  # [kW]
    ratio: np.ndarray  # (pairs, epochs) supplied fraction at the reference temperature
    temp_ref_c: np.ndarray  # reference (screening) temperature [°C]
    temp_const_c: np.ndarray  # constant outdoor temperature [°C] (used where profile < 0)
    profile: np.ndarray  # int, -1: constant
    duration_h: np.ndarray  # scenario window [h]


@dataclass(frozen=True)
class Cooling:
    """Results per pair."""

    hours_to_18c: np.ndarray
    hours_to_12c: np.ndarray
    hours_to_5c: np.ndarray
    temp_at_c: np.ndarray  # (pairs, report hours)
    unserved_mwh: np.ndarray  # within the window
    min_fraction: np.ndarray  # lowest supplied fraction within the window
    restore_h: np.ndarray  # supply back to full for good (inf: not within the timeline)
    recover_h: np.ndarray  # hours after restore_h to be back at the comfort temperature


def simulate(
    pairs: PairInputs,
    tl: Timeline,
    epochs_h: np.ndarray,
    profiles_c: np.ndarray,
    *,
    start_c: float = 20.0,
    thresholds_c: tuple[float, float, float] = (18.0, 12.0, 5.0),
    indoor_c: float = 20.0,
    design_outdoor_c: float = -23.0,
) -> Cooling:
    """Step every pair exactly through the timeline (vectorised over pairs; loop over breakpoints)."""
    n = pairs.tau_h.size
    bp = tl.breakpoints_h
    temp = np.full(n, float(start_c))
    crossed = np.full((3, n), np.inf)
    at = np.full((n, len(tl.report_hours)), np.nan)
    unserved = np.zeros(n)
    min_f = np.ones(n)
    restore = _restore_time(pairs.ratio, epochs_h)
    report = {float(h): k for k, h in enumerate(tl.report_hours)}
    delta_k = indoor_c - design_outdoor_c
    demand_ref = pairs.space_kw * np.clip((indoor_c - pairs.temp_ref_c) / delta_k, 0.0, None) + pairs.dhw_kw
    has_profile = pairs.profile >= 0
    t_eq = np.full(n, float(start_c))
    recovered = np.where(np.isfinite(restore), np.nan, np.inf)
    for j in range(bp.size - 1):
        a, b = bp[j], bp[j + 1]
        step = b - a
        epoch = int(np.searchsorted(epochs_h, a, side="right") - 1)
        t_out = pairs.temp_const_c
        if has_profile.any() and profiles_c.size:
            hour = min(int(np.floor(a)), profiles_c.shape[1] - 1)
            t_out = np.where(has_profile, profiles_c[np.maximum(pairs.profile, 0), hour], t_out)
        demand = pairs.space_kw * np.clip((indoor_c - t_out) / delta_k, 0.0, None) + pairs.dhw_kw
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(demand > 0, demand_ref / demand, 1.0)
        f = np.minimum(1.0, pairs.ratio[:, epoch] * scale)
        t_eq, end = _step(temp, f, t_out, pairs.gains_k, pairs.tau_h, step, indoor_c, delta_k)
        for k, theta in enumerate(thresholds_c):
            new = np.isinf(crossed[k]) & (temp > theta) & (end <= theta)
            if new.any():
                crossed[k, new] = a + hours_to_c(theta, temp[new], t_eq[new], pairs.tau_h[new])
        back = np.isnan(recovered) & (restore <= a)
        if back.any():
            done = back & (temp >= thresholds_c[0])
            recovered[done] = a
            up = back & ~done & (end >= thresholds_c[0])
            recovered[up] = a + hours_to_c(thresholds_c[0], temp[up], t_eq[up], pairs.tau_h[up])
        inside = a < pairs.duration_h
        unserved += np.where(inside, (1.0 - f) * demand * step / 1e3, 0.0)
        min_f = np.where(inside, np.minimum(min_f, f), min_f)
        temp = end
        if b in report:
            at[:, report[b]] = temp
    for k, theta in enumerate(thresholds_c):  # extrapolate the last conditions
        todo = np.isinf(crossed[k]) & (temp > theta)
        crossed[k, todo] = bp[-1] + hours_to_c(theta, temp[todo], t_eq[todo], pairs.tau_h[todo])
    todo = np.isnan(recovered)
    recovered[todo] = bp[-1] + hours_to_c(thresholds_c[0], np.minimum(temp[todo], thresholds_c[0]), t_eq[todo],
                                          pairs.tau_h[todo])
    finite = np.isfinite(restore)
    recover = np.where(finite, recovered - np.where(finite, restore, 0.0), np.inf)
    return Cooling(
        hours_to_18c=crossed[0], hours_to_12c=crossed[1], hours_to_5c=crossed[2], temp_at_c=at,
        unserved_mwh=unserved, min_fraction=min_f, restore_h=restore, recover_h=recover,
    )


def _step(
    temp: np.ndarray, f: np.ndarray, t_out: np.ndarray, gains_k: np.ndarray, tau_h: np.ndarray,
    step_h: float, indoor_c: float, delta_k: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One exact step: (settled temperature used, temperature at the end of the step).

    A fully supplied building below ``indoor_c`` heats at its full design output
    (settling at T_out + ΔT_design) until it is back at ``indoor_c``, where the
    regulation holds it.
    """
    t_eq = equilibrium_c(f, t_out, gains_k, indoor_c)
    boost = (f >= 1.0 - 1e-9) & (temp < indoor_c)
    t_eq = np.where(boost, np.maximum(t_eq, t_out + delta_k), t_eq)
    end = t_eq + (temp - t_eq) * np.exp(-step_h / tau_h)
    end = np.where(boost, np.minimum(end, np.maximum(indoor_c, equilibrium_c(1.0, t_out, gains_k, indoor_c))), end)
    return t_eq, end


def _restore_time(ratio: np.ndarray, epochs_h: np.ndarray) -> np.ndarray:
    """Start of the epoch after the last reduced one (inf if the last epoch is reduced)."""
    reduced = ratio < 1.0 - 1e-9
    n_ep = ratio.shape[1]
    last = n_ep - 1 - np.argmax(reduced[:, ::-1], axis=1)
    nxt = np.append(epochs_h, np.inf)[last + 1]
    return np.where(reduced.any(axis=1), nxt, 0.0)
