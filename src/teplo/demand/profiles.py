"""Hourly heat demand: space heat from outdoor temperature, DHW from a daily shape.

Space heat of building *i* in hour *h* is ``H_i · max(0, t_bal,i − t_h)``
while heat is delivered (the climate's heating days: in the season and a
daily mean at or below the heating limit), zero otherwise. ``t_bal,i =
t_in − Φ_gains,i / H_i`` is the balance temperature: internal gains cover
the loss above it. DHW is the building's mean DHW load times a daily shape
with a morning and an evening peak, every day of the year.

The whole-city matrix (8 500 buildings × 8 760 h as float32 ≈ 300 MB) is
built in place, block by block of hours; :func:`hourly_heat_total_kw`
returns the city's sum without it, by sorting the balance temperatures once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from teplo.climate import Climate, SeasonRule, daily_means, heating_season, hourly_mask
from teplo.errors import InputError

#: DHW draw by hour of day (00–01 … 23–24), fraction of the daily volume, for
#: water fixtures (showers, sinks, baths): the default schedule
#: ``Schedule.FixturesWeekdayFractions`` (weekend identical) of NREL's
#: OpenStudio-HPXML, read in
#: ``NREL/resstock:resources/hpxml-measures/HPXMLtoOpenStudio/resources/schedules.rb@4acdc512``
#: (Building America House Simulation Protocols lineage). Morning peak
#: 07–08 h (2.1 × mean), evening plateau 18–20 h (1.4 × mean), night trough.
#: Normalised below to a mean of 1. Used for every typology: no sourced
#: non-residential or Ukrainian shape was found.
DHW_FIXTURE_FRACTIONS: tuple[float, ...] = (
    0.012, 0.006, 0.004, 0.005, 0.010, 0.034, 0.078, 0.087,
    0.080, 0.067, 0.056, 0.047, 0.040, 0.035, 0.033, 0.031,
    0.039, 0.051, 0.060, 0.060, 0.055, 0.048, 0.038, 0.026,
)  # fmt: skip
DHW_DAILY_PROFILE: np.ndarray = (
    np.asarray(DHW_FIXTURE_FRACTIONS) * 24.0 / sum(DHW_FIXTURE_FRACTIONS)
)
DHW_DAILY_PROFILE.setflags(write=False)

_NEEDED = ("h_w_k", "balance_temp_c", "dhw_mean_kw")


def dhw_profile(index: pd.DatetimeIndex) -> np.ndarray:
    """DHW load factor (mean 1 over a day) for each timestamp, by hour of day."""
    return DHW_DAILY_PROFILE[np.asarray(index.hour)]


def degree_hours(temps_c: np.ndarray, balance_c: np.ndarray) -> np.ndarray:
    """Σ_h max(0, b − t_h) (K·h) for each balance temperature b, without an n × m array.

    Sorts the temperatures once; for each b the sum over colder hours is
    ``b·k − Σ(k coldest)``, with k found by binary search.
    """
    t = np.sort(np.asarray(temps_c, dtype=np.float64))
    csum = np.concatenate(([0.0], np.cumsum(t)))
    b = np.asarray(balance_c, dtype=np.float64)
    k = np.searchsorted(t, b, side="left")
    return b * k - csum[k]


def heating_hours(
    temps_c: pd.Series | Climate, *, heating_limit_c: float = 8.0, season_rule: SeasonRule = "3day"
) -> tuple[pd.Series, np.ndarray]:
    """The hourly temperatures and the mask of hours with space heat.

    A :class:`Climate` brings its own mask; for a bare series the mask is
    built with the same rules from ``heating_limit_c`` and ``season_rule``.
    """
    if isinstance(temps_c, Climate):
        return temps_c.hourly_temp_c, temps_c.hourly_heating_mask
    if not isinstance(temps_c, pd.Series) or not isinstance(temps_c.index, pd.DatetimeIndex):
        raise InputError("temps_c must be a Climate or a pandas Series of °C with a DatetimeIndex")
    if temps_c.isna().any():
        raise InputError(
            f"temps_c has a missing value at {temps_c.index[temps_c.isna().to_numpy()][0]}"
        )
    daily = daily_means(temps_c)
    days = heating_season(daily, heating_limit_c, season_rule) & (daily <= heating_limit_c)
    return temps_c, hourly_mask(temps_c.index, days)


def hourly_heat_kw(
    buildings: pd.DataFrame,
    temps_c: pd.Series | Climate,
    *,
    include_dhw: bool = True,
    dtype: type[np.floating] | np.dtype = np.float32,
    heating_limit_c: float = 8.0,
    season_rule: SeasonRule = "3day",
) -> np.ndarray:
    """Heat load (kW) per building and hour, shape (n_buildings, n_hours).

    ``buildings`` is the output of :func:`teplo.demand.compute_demand`. Rows
    follow its order, columns the hours of ``temps_c``. ``heating_limit_c``
    and ``season_rule`` apply only when ``temps_c`` is a bare Series.
    """
    h_kw, bal, dhw_kw = _building_arrays(buildings)
    temps, mask = heating_hours(temps_c, heating_limit_c=heating_limit_c, season_rule=season_rule)
    dt = np.dtype(dtype)
    t = temps.to_numpy(dtype=dt)
    on = mask.astype(dt)
    prof = dhw_profile(pd.DatetimeIndex(temps.index)).astype(dt)
    h_col = h_kw.astype(dt)[:, None]
    b_col = bal.astype(dt)[:, None]
    d_col = dhw_kw.astype(dt)[:, None]
    out = np.empty((len(h_kw), len(t)), dtype=dt)
    step = 1024  # hours per block: bounds the DHW temporary to n × 1024
    for s in range(0, len(t), step):  # loop over blocks of hours, not buildings
        o = out[:, s : s + step]
        np.subtract(b_col, t[None, s : s + step], out=o)
        np.maximum(o, 0, out=o)
        o *= h_col
        o *= on[None, s : s + step]
        if include_dhw:
            o += d_col * prof[None, s : s + step]
    return out


def hourly_heat_total_kw(
    buildings: pd.DataFrame,
    temps_c: pd.Series | Climate,
    *,
    include_dhw: bool = True,
    heating_limit_c: float = 8.0,
    season_rule: SeasonRule = "3day",
) -> np.ndarray:
    """Sum over buildings of :func:`hourly_heat_kw` (kW per hour, float64), without the matrix.

    Buildings are sorted by balance temperature once; for an hour at t the
    heated ones are those with t_bal > t, and their load is
    ``Σ H·t_bal − t·Σ H`` over that suffix (prefix sums): O((n + m) log n).
    """
    h_kw, bal, dhw_kw = _building_arrays(buildings)
    temps, mask = heating_hours(temps_c, heating_limit_c=heating_limit_c, season_rule=season_rule)
    t = temps.to_numpy(dtype=np.float64)
    order = np.argsort(bal, kind="stable")
    b_sorted = bal[order]
    h_sorted = h_kw[order]
    suffix_h = np.concatenate((np.cumsum(h_sorted[::-1])[::-1], [0.0]))
    suffix_hb = np.concatenate((np.cumsum((h_sorted * b_sorted)[::-1])[::-1], [0.0]))
    j = np.searchsorted(b_sorted, t, side="right")
    total = (suffix_hb[j] - t * suffix_h[j]) * mask
    if include_dhw:
        total = total + dhw_kw.sum() * dhw_profile(pd.DatetimeIndex(temps.index))
    return np.maximum(total, 0.0)


def _building_arrays(buildings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """H (kW/K), balance temperature (°C) and mean DHW (kW) as float64; unheated -> H = 0."""
    missing = [c for c in _NEEDED if c not in buildings.columns]
    if missing:
        raise InputError(
            f"buildings lack demand column(s) {', '.join(missing)}; run teplo.demand.compute_demand first"
        )
    h_kw = pd.to_numeric(buildings["h_w_k"], errors="coerce").to_numpy(dtype=np.float64) / 1000.0
    bal = pd.to_numeric(buildings["balance_temp_c"], errors="coerce").to_numpy(dtype=np.float64)
    dhw = pd.to_numeric(buildings["dhw_mean_kw"], errors="coerce").to_numpy(dtype=np.float64)
    no_space = ~np.isfinite(h_kw) | ~np.isfinite(bal) | (h_kw <= 0)
    h_kw = np.where(no_space, 0.0, h_kw)
    bal = np.where(no_space, 0.0, bal)
    dhw = np.where(np.isfinite(dhw), dhw, 0.0)
    return h_kw, bal, dhw
