"""A city's heating climate: design temperatures, an hourly year, and the season rules.

Reference figures are from ``reference/kharkiv-figures.md`` (cited as §0, §1).
The heating season follows Ukrainian practice (§1): it starts with 3 days
running at or below +8 °C daily mean and ends before 3 days running above
+8 °C. Degree-days are
counted by the period method of the norms, Σ(t_in − t_daily) over the days
of the season (§0: 180 d at a mean of −1.0 °C gives 3 780 K·d for Kharkiv).

Season days and degree-days are given *per year*: for a series longer than a
year, the totals are divided by the number of years it covers (hours / 8 760).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from teplo.errors import InputError
from teplo.io.weather import LongGaps, read_epw, read_temperature_csv

SeasonRule = Literal["3day", "daily"]

HOURS_PER_YEAR = 8760

#: Bundled measured years (winteR, CC BY 4.0, see data/weather/ATTRIBUTION.md):
#: file and the July–June span cut from it, so that one winter is contiguous.
KHARKIV_YEARS: dict[str, tuple[str, str, str]] = {
    "2015-2016": ("Kharkiv_weather_2015_2016.csv", "2015-07-01 00:00", "2016-06-30 23:00"),
    "2011-2012": ("Kharkiv_weather_2011_2012.csv", "2011-07-01 00:00", "2012-06-30 23:00"),
}


@dataclass(frozen=True, kw_only=True, eq=False)
class Climate:
    """Design temperatures and an hourly outdoor temperature series (°C, naive local time).

    The defaults are Kharkiv's. Compare two climates by their fields, not
    with ``==`` (a pandas Series has no single truth value).
    """

    hourly_temp_c: pd.Series
    name: str
    # §0/§1: −23 °C, coldest 5-day period at 0.92 probability (DBN V.2.5-67 rule;
    # the Kharkiv value is SNiP 2.01.01-82 practice, marked [U] in §0).
    design_temp_c: float = -23.0
    # §0: 20 °C for design (18 °C is the regulatory minimum, §2.5).
    indoor_temp_c: float = 20.0
    # §0/§1: heating period is the ≤ +8 °C period (DSTU-N B V.1.1-27).
    heating_limit_c: float = 8.0
    # §0: 3 780 K·d, base 20 °C, 180 d at −1.0 °C (DSTU-N B V.1.1-27 via bilux-calc).
    # Used to turn specific annual demand (kWh/m²·a) into a heat-loss coefficient.
    reference_degree_days_kd: float = 3780.0
    # §1: start/stop on the 3-day mean (Minregion, news sources in §1).
    season_rule: SeasonRule = "3day"

    def __post_init__(self) -> None:
        """Check the series and the temperatures; errors name the climate."""
        s = self.hourly_temp_c
        where = f"climate {self.name!r}"
        if not isinstance(s, pd.Series) or not isinstance(s.index, pd.DatetimeIndex):
            raise InputError(f"{where}: hourly_temp_c must be a pandas Series with a DatetimeIndex")
        if len(s) < 24:
            raise InputError(
                f"{where}: hourly_temp_c needs at least one day of hours, got {len(s)}"
            )
        if s.index.tz is not None:
            raise InputError(f"{where}: hourly_temp_c must be naive local time, not {s.index.tz}")
        if not s.index.is_monotonic_increasing or s.index.has_duplicates:
            raise InputError(f"{where}: hourly_temp_c timestamps must be unique and increasing")
        values = pd.to_numeric(s, errors="coerce")
        if values.isna().any():
            first = s.index[values.isna().to_numpy()][0]
            raise InputError(
                f"{where}: hourly_temp_c has a missing or non-numeric value at {first}"
            )
        if not self.design_temp_c < self.heating_limit_c < self.indoor_temp_c:
            raise InputError(
                f"{where}: need design_temp_c < heating_limit_c < indoor_temp_c, got "
                f"{self.design_temp_c:g} / {self.heating_limit_c:g} / {self.indoor_temp_c:g} °C"
            )
        # Own a float64 copy: cached properties must not see later edits by the caller.
        object.__setattr__(self, "hourly_temp_c", values.astype(np.float64).rename("temp_c"))
        if self.reference_degree_days_kd <= 0:
            raise InputError(f"{where}: reference_degree_days_kd must be positive")
        if self.season_rule not in ("3day", "daily"):
            raise InputError(
                f"{where}: season_rule must be '3day' or 'daily', not {self.season_rule!r}"
            )

    @property
    def design_delta_k(self) -> float:
        """Indoor minus design outdoor temperature (K), the span of the design load."""
        return self.indoor_temp_c - self.design_temp_c

    @property
    def n_years(self) -> float:
        """Years covered by the series (hours / 8 760)."""
        return len(self.hourly_temp_c) / HOURS_PER_YEAR

    @cached_property
    def daily_mean_c(self) -> pd.Series:
        """Daily mean outdoor temperature (°C), indexed by date (midnight)."""
        return daily_means(self.hourly_temp_c)

    @cached_property
    def heating_season(self) -> pd.Series:
        """Per day: whether the district heating is on (by :attr:`season_rule`)."""
        return heating_season(self.daily_mean_c, self.heating_limit_c, self.season_rule)

    @cached_property
    def heating_days(self) -> pd.Series:
        """Per day: in the season *and* daily mean at or below the limit (heat is delivered)."""
        return self.heating_season & (self.daily_mean_c <= self.heating_limit_c)

    @cached_property
    def hourly_heating_mask(self) -> np.ndarray:
        """Per hour of the series: whether space heat is delivered (see :attr:`heating_days`)."""
        return hourly_mask(pd.DatetimeIndex(self.hourly_temp_c.index), self.heating_days)

    @property
    def season_days(self) -> float:
        """Days of the heating season per year."""
        return float(self.heating_season.sum()) / self.n_years

    @property
    def season_mean_temp_c(self) -> float:
        """Mean outdoor temperature over the heating season (°C)."""
        return float(self.daily_mean_c[self.heating_season].mean())

    def degree_days_kd(self, base_c: float | None = None) -> float:
        """Heating degree-days per year (K·d), period method over the season.

        Σ(base − daily mean) over the season's days; ``base_c`` defaults to
        the indoor temperature (20 °C, as the §0 reference 3 780 K·d).
        """
        base = self.indoor_temp_c if base_c is None else base_c
        d = self.daily_mean_c[self.heating_season]
        return float((base - d).sum()) / self.n_years

    def design_cold_spell(
        self, days: int = 5, *, match: Literal["mean", "min_daily"] = "mean"
    ) -> pd.Series:
        """A synthetic design cold spell: the coldest observed ``days``-day window, shifted.

        The window with the lowest mean of daily means is taken hour by hour
        and shifted by a constant so that its mean (``match="mean"``, as the
        design temperature is defined: the mean of the coldest 5-day period,
        DBN V.2.5-67, §1) or its coldest daily mean (``match="min_daily"``)
        equals :attr:`design_temp_c`. A shift keeps the observed diurnal
        swing. The index keeps the observed timestamps.
        """
        d = self.daily_mean_c
        if not 1 <= days <= len(d):
            raise InputError(f"design_cold_spell: days must be between 1 and {len(d)}, got {days}")
        if match not in ("mean", "min_daily"):
            raise InputError(
                f"design_cold_spell: match must be 'mean' or 'min_daily', not {match!r}"
            )
        rolling = d.rolling(days).mean().to_numpy()
        end = int(np.nanargmin(rolling))
        first_day, last_day = d.index[end - days + 1], d.index[end]
        s = self.hourly_temp_c
        spell = s[(s.index >= first_day) & (s.index < last_day + pd.Timedelta(days=1))]
        ref = (
            float(spell.mean())
            if match == "mean"
            else float(d.iloc[end - days + 1 : end + 1].min())
        )
        return (spell + (self.design_temp_c - ref)).rename("temp_c")

    def summary(self) -> dict[str, float | str]:
        """Key figures for reports and logs."""
        return {
            "name": self.name,
            "hours": float(len(self.hourly_temp_c)),
            "season_days": round(self.season_days, 1),
            "season_mean_temp_c": round(self.season_mean_temp_c, 2),
            "degree_days_kd": round(self.degree_days_kd(), 0),
            "min_temp_c": float(self.hourly_temp_c.min()),
            "design_temp_c": self.design_temp_c,
        }


def daily_means(hourly_temp_c: pd.Series) -> pd.Series:
    """Daily mean temperature (°C), indexed by date (midnight)."""
    s = hourly_temp_c.astype(np.float64)
    return s.groupby(pd.DatetimeIndex(s.index).normalize()).mean().rename("temp_c")


def heating_season(
    daily_mean_c: pd.Series, heating_limit_c: float, rule: SeasonRule = "3day"
) -> pd.Series:
    """Per day: whether the heating is on.

    ``"daily"``: the day's mean is at or below the limit. ``"3day"`` (§1):
    the season starts on the first of 3 consecutive days at or below the
    limit and ends on the last day before 3 consecutive days above it (the
    climatological period of the norms; the utility's decision lag and the
    system's spin-up belong to operation). Before the first such run the
    daily rule applies. Vectorised: the state is the last trigger carried
    forward.
    """
    daily = daily_mean_c <= heating_limit_c
    if rule == "daily":
        return daily.rename("heating")
    # A trigger marks the first day of a 3-day run (rolling looks back, so shift by 2).
    on = (daily_mean_c.rolling(3).max() <= heating_limit_c).shift(-2, fill_value=False)
    off = (daily_mean_c.rolling(3).min() > heating_limit_c).shift(-2, fill_value=False)
    state = pd.Series(np.nan, index=daily_mean_c.index)
    state[on] = 1.0
    state[off] = 0.0
    return state.ffill().fillna(daily.astype(float)).astype(bool).rename("heating")


def hourly_mask(index: pd.DatetimeIndex, per_day: pd.Series) -> np.ndarray:
    """Spread a per-day boolean (indexed by midnight) onto hourly timestamps."""
    return per_day.reindex(index.normalize()).fillna(False).to_numpy(dtype=bool)


@lru_cache(maxsize=4)
def _bundled_series(year: str) -> pd.Series:
    """The bundled July–June hourly year without 29 February (parsed once per process)."""
    file, start, end = KHARKIV_YEARS[year]
    ref = resources.files("teplo") / "data" / "weather" / file
    with resources.as_file(ref) as path:
        # The bundled files have gaps of 7–27 h; fill them (see teplo.io.weather).
        s = read_temperature_csv(path, long_gaps="fill")
    s = s[start:end]
    when = pd.DatetimeIndex(s.index)
    return s[~((when.month == 2) & (when.day == 29))]


def kharkiv_climate(year: str = "2015-2016", **overrides: Any) -> Climate:
    """Kharkiv's climate with an 8 760-hour heating year cut from a bundled measured series.

    The year runs 1 July – 30 June so that one winter is contiguous; 29
    February is dropped (2016 and 2012 are leap years). Gaps in the readings
    are filled as described in :mod:`teplo.io.weather`. ``overrides`` set
    any other :class:`Climate` field.
    """
    if year not in KHARKIV_YEARS:
        raise InputError(
            f"kharkiv_climate: unknown year {year!r}; bundled: {', '.join(KHARKIV_YEARS)}"
        )
    _check_overrides(overrides)
    series = _bundled_series(year).copy()
    kwargs: dict[str, Any] = {"name": f"Kharkiv {year} (Jul-Jun, winteR)", **overrides}
    return Climate(hourly_temp_c=series, **kwargs)


def climate_from_file(
    path: str | Path,
    *,
    start: str | None = None,
    end: str | None = None,
    max_gap_h: float = 6.0,
    long_gaps: LongGaps = "raise",
    **overrides: Any,
) -> Climate:
    """A climate from a temperature file (``.epw``, or a CSV as read by ``read_temperature_csv``).

    ``start``/``end`` (inclusive timestamps) cut the series; ``max_gap_h``
    and ``long_gaps`` go to the reader; ``overrides`` set :class:`Climate`
    fields (``name`` defaults to the file name).
    """
    path = Path(path)
    _check_overrides(overrides)
    if path.suffix.lower() == ".epw":
        series = read_epw(path, max_gap_h=max_gap_h, long_gaps=long_gaps)
    else:
        series = read_temperature_csv(path, max_gap_h=max_gap_h, long_gaps=long_gaps)
    series = series[start:end]
    if series.empty:
        raise InputError(f"{path}: no hours between start={start} and end={end}")
    kwargs: dict[str, Any] = {"name": path.stem, **overrides}
    return Climate(hourly_temp_c=series, **kwargs)


def _check_overrides(overrides: dict[str, Any]) -> None:
    """Unknown Climate fields are an InputError naming them."""
    allowed = {f.name for f in fields(Climate)} - {"hourly_temp_c"}
    unknown = sorted(set(overrides) - allowed)
    if unknown:
        raise InputError(
            f"unknown climate setting(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
