"""Reading outdoor air temperature series into hourly pandas Series.

Every reader returns an hourly series of °C on a naive local-time
:class:`~pandas.DatetimeIndex` (``freq='h'``, name ``time``; each value is
the mean of the readings in ``[t, t + 1 h)``), so the demand and operation
stages never see a file format.

Gap policy (decided here, used by every reader): after averaging to hours,
a gap of at most ``max_gap_h`` hours between two valid hours is filled by
linear interpolation in time. Longer gaps are an :class:`InputError` naming
the first span, unless ``long_gaps="fill"``: then the level is interpolated
linearly across the gap and the series' own mean daily cycle for that month
(zero-mean; by month and hour of day over every year in the file) is added
on top, so the fill keeps a diurnal cycle and meets the observed values at
both ends. Where a month/hour has no data at all, plain interpolation is
used.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from teplo.errors import InputError, InputFileNotFound

LongGaps = Literal["raise", "fill"]

#: Readings outside this range are taken for a unit or parsing error (°F, K).
#: World records are −89.2 °C and +56.7 °C.
PLAUSIBLE_TEMP_C = (-90.0, 60.0)

_WINTER_FORMAT = "%d.%m.%Y %H:%M"  # winteR files, e.g. 31.12.2016 23:30
_TZ_SUFFIX = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")


def read_temperature_csv(
    path: str | Path, *, max_gap_h: float = 6.0, long_gaps: LongGaps = "raise"
) -> pd.Series:
    """Read a temperature CSV into an hourly series of °C (naive local time).

    Two layouts are accepted, recognised by their header:

    - ``Time,Temp`` (the bundled winteR files): ``DD.MM.YYYY HH:MM``, any
      order, any step (30 min, 1 h, 3 h);
    - ``time,temp_c``: ISO 8601 timestamps. A UTC offset (``+02:00``, ``Z``)
      is dropped and the wall-clock time kept, so the index is local time
      as written.

    Readings are averaged to clock hours; gaps follow the module's policy.
    """
    path = Path(path)
    rows = _read_csv_rows(path)
    header, body = rows[0], rows[1:]
    cols = [c.strip().lower() for c in header[1]]
    if len(cols) >= 2 and cols[:2] == ["time", "temp"]:
        fmt: str | None = _WINTER_FORMAT
    elif len(cols) >= 2 and cols[:2] == ["time", "temp_c"]:
        fmt = None
    elif _looks_like_data(cols):
        raise InputError(
            f"{path}: line {header[0]}: no header row; the first line must be "
            "'Time,Temp' (DD.MM.YYYY HH:MM) or 'time,temp_c' (ISO 8601)"
        )
    else:
        raise InputError(
            f"{path}: line {header[0]}: unknown columns {','.join(header[1])!r}; "
            "expected 'Time,Temp' (DD.MM.YYYY HH:MM) or 'time,temp_c' (ISO 8601)"
        )
    if not body:
        raise InputError(f"{path}: the file has a header but no data rows")
    short = [ln for ln, r in body if len(r) < 2]
    if short:
        raise InputError(f"{path}: line {short[0]}: expected two fields (time, temperature)")
    lines = np.array([ln for ln, _ in body])
    times_raw = pd.Series([r[0].strip() for _, r in body])
    temps_raw = pd.Series([r[1].strip() for _, r in body])

    if fmt is None:
        times = pd.to_datetime(
            times_raw.str.replace(_TZ_SUFFIX, "", regex=True), format="ISO8601", errors="coerce"
        )
    else:
        times = pd.to_datetime(times_raw, format=fmt, errors="coerce")
    bad = np.flatnonzero(times.isna().to_numpy())
    if bad.size:
        i = bad[0]
        expected = "DD.MM.YYYY HH:MM" if fmt else "an ISO 8601 timestamp"
        raise InputError(
            f"{path}: line {lines[i]}: cannot read time {times_raw[i]!r} (expected {expected}); "
            f"{bad.size} bad time(s) in all"
        )
    temps = _parse_temperatures(temps_raw, lines, str(path))
    readings = pd.Series(temps, index=pd.DatetimeIndex(times.to_numpy()), name="temp_c")
    return hourly_from_readings(
        readings, source=str(path), max_gap_h=max_gap_h, long_gaps=long_gaps
    )


def read_epw(
    path: str | Path, *, max_gap_h: float = 6.0, long_gaps: LongGaps = "raise"
) -> pd.Series:
    """Read the dry-bulb temperature of an EnergyPlus weather file (EPW).

    The data rows follow 8 header lines; fields 1–4 are year, month, day and
    hour (1–24, the hour *ending* at that time, so hour 1 is labelled 00:00)
    and field 7 is the dry-bulb temperature in °C (99.9 = missing). Typical
    years (TMY, IWEC) mix source years by month; unless the stamps run in
    steps of exactly one hour, every row gets the first row's year.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileNotFound(f"{path}: weather file not found")
    text = _read_text(path)
    lines = text.splitlines()
    if len(lines) < 9:
        raise InputError(
            f"{path}: an EPW file has 8 header lines and then hourly data; found {len(lines)} line(s)"
        )
    if not lines[0].upper().startswith("LOCATION"):
        raise InputError(
            f"{path}: line 1: an EPW file starts with 'LOCATION,'; found {lines[0][:40]!r}"
        )
    data = [(i + 9, ln.split(",")) for i, ln in enumerate(lines[8:]) if ln.strip()]
    if not data:
        raise InputError(f"{path}: no data rows after the 8 EPW header lines")
    short = [ln for ln, f in data if len(f) < 7]
    if short:
        raise InputError(f"{path}: line {short[0]}: an EPW data row has at least 7 fields")
    lines_no = np.array([ln for ln, _ in data])
    fields = pd.DataFrame([[*f[:4], f[6]] for _, f in data], columns=["y", "m", "d", "h", "t"])
    ints = fields[["y", "m", "d", "h"]].apply(pd.to_numeric, errors="coerce")
    bad = np.flatnonzero(ints.isna().any(axis=1).to_numpy() | ~ints["h"].between(1, 24).to_numpy())
    if bad.size:
        raise InputError(
            f"{path}: line {lines_no[bad[0]]}: cannot read year, month, day, hour (1–24) "
            f"from {','.join(fields.iloc[bad[0], :4])!r}"
        )
    temps = _parse_temperatures(fields["t"], lines_no, str(path), missing_at=99.9)
    stamps = _epw_stamps(ints, ints["y"].to_numpy())
    hourly_steps = len(stamps) < 2 or bool((np.diff(stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64)) == 3_600_000_000_000).all())
    if bool(np.asarray(stamps.isna()).any()) or not hourly_steps:
        stamps = _epw_stamps(ints, np.full(len(ints), ints["y"].iloc[0]))
    bad = np.flatnonzero(stamps.isna())
    if bad.size:
        raise InputError(f"{path}: line {lines_no[bad[0]]}: not a valid date")
    if not stamps.is_monotonic_increasing or stamps.has_duplicates:
        raise InputError(f"{path}: the EPW rows are not in time order, even with one common year")
    readings = pd.Series(temps, index=stamps, name="temp_c").dropna()
    if readings.empty:
        raise InputError(f"{path}: every dry-bulb temperature is missing (99.9)")
    return hourly_from_readings(
        readings, source=str(path), max_gap_h=max_gap_h, long_gaps=long_gaps
    )


def hourly_from_readings(
    readings: pd.Series,
    *,
    source: str = "temperature series",
    max_gap_h: float = 6.0,
    long_gaps: LongGaps = "raise",
) -> pd.Series:
    """Average irregular readings (°C, DatetimeIndex) to clock hours and fill gaps.

    See the module docstring for the gap policy. ``source`` names the input
    in error messages.
    """
    if long_gaps not in ("raise", "fill"):
        raise InputError(f"long_gaps must be 'raise' or 'fill', not {long_gaps!r}")
    if not isinstance(readings.index, pd.DatetimeIndex):
        raise InputError(f"{source}: temperature readings need a DatetimeIndex")
    readings = readings.dropna()
    if readings.empty:
        raise InputError(f"{source}: no temperature readings")
    if pd.DatetimeIndex(readings.index).tz is not None:
        readings = readings.tz_localize(None)
    hourly = readings.sort_index().resample("h").mean()
    missing = hourly.isna().to_numpy()
    if missing.any():
        hourly = _fill_gaps(hourly, missing, source, max_gap_h, long_gaps)
    hourly.name = "temp_c"
    hourly.index.name = "time"
    return hourly.astype(np.float64)


def _fill_gaps(
    hourly: pd.Series, missing: np.ndarray, source: str, max_gap_h: float, long_gaps: LongGaps
) -> pd.Series:
    """Interpolate short gaps; fill or report long ones (module policy)."""
    idx = np.flatnonzero(missing)
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = idx[np.r_[0, breaks + 1]]
    ends = idx[np.r_[breaks, idx.size - 1]]
    span_h = ends - starts + 2  # hours between the valid neighbours
    filled = hourly.interpolate(method="time", limit_area="inside")
    long_runs = span_h > max_gap_h
    if not long_runs.any():
        return filled
    if long_gaps == "raise":
        k = int(np.flatnonzero(long_runs)[0])
        t0 = hourly.index[starts[k] - 1]
        t1 = hourly.index[ends[k] + 1]
        raise InputError(
            f"{source}: {int(long_runs.sum())} gap(s) longer than {max_gap_h:g} h in the "
            f"temperature series, the first from {t0:%Y-%m-%d %H:%M} to {t1:%Y-%m-%d %H:%M} "
            f"({int(span_h[k])} h); pass long_gaps='fill' to fill them from the series' own "
            "mean daily cycle, or supply a complete series"
        )
    in_long = np.zeros(len(hourly), dtype=bool)
    for s, e in zip(starts[long_runs], ends[long_runs], strict=True):  # loop over gaps, not hours
        in_long[s : e + 1] = True
    # The mean daily cycle comes from the short-gap-filled series, so that
    # 3-hourly data yield a value for every hour of the day.
    base = filled.where(~in_long)
    when = pd.DatetimeIndex(base.index)
    keys = [when.month, when.hour]
    table = base.groupby(keys).mean()
    cycle_tab = table - table.groupby(level=0).transform("mean")  # zero-mean daily cycle
    cycle = pd.Series(
        cycle_tab.reindex(pd.MultiIndex.from_arrays(keys)).to_numpy(), index=base.index
    )
    level = (base - cycle).interpolate(method="time", limit_area="inside")
    by_cycle = (level + cycle).fillna(filled)
    return filled.where(~in_long, by_cycle)


def _read_text(path: Path) -> str:
    """Read a text file as UTF-8 (BOM tolerated), with errors naming the file."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})"
        ) from exc


def _read_csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    """Non-blank CSV rows with their 1-based line numbers; errors name the file."""
    if not path.is_file():
        raise InputFileNotFound(f"{path}: weather file not found")
    text = _read_text(path)
    rows = [
        (i + 1, row)
        for i, row in enumerate(csv.reader(text.splitlines()))
        if row and any(f.strip() for f in row)
    ]
    if not rows:
        raise InputError(
            f"{path}: the file is empty; expected a header 'Time,Temp' or 'time,temp_c'"
        )
    return rows


def _looks_like_data(cols: list[str]) -> bool:
    """Whether a would-be header row holds a number or a date instead of names."""
    return any(re.match(r"^[-+]?\d", c) for c in cols)


def _parse_temperatures(
    raw: pd.Series, lines: np.ndarray, source: str, missing_at: float | None = None
) -> np.ndarray:
    """Parse °C strings; the first non-numeric or implausible value is an InputError."""
    temps = pd.to_numeric(raw.str.strip().str.replace("\u2212", "-"), errors="coerce").to_numpy(
        dtype=np.float64
    )
    bad = np.flatnonzero(np.isnan(temps))
    if bad.size:
        i = bad[0]
        raise InputError(
            f"{source}: line {lines[i]}: temperature {raw.iloc[i]!r} is not a number; "
            f"{bad.size} bad value(s) in all"
        )
    if missing_at is not None:
        temps[temps >= missing_at] = np.nan
    lo, hi = PLAUSIBLE_TEMP_C
    bad = np.flatnonzero((temps < lo) | (temps > hi))
    if bad.size:
        i = bad[0]
        raise InputError(
            f"{source}: line {lines[i]}: temperature {temps[i]:g} is outside {lo:g}…{hi:g} °C; "
            "is the file in °C?"
        )
    return temps


def _epw_stamps(ints: pd.DataFrame, years: np.ndarray) -> pd.DatetimeIndex:
    """Hour-start timestamps of EPW rows (hour 1 covers 00:00–01:00)."""
    parts = pd.DataFrame(
        {"year": years, "month": ints["m"].to_numpy(), "day": ints["d"].to_numpy()}
    ).astype(int)
    days = pd.to_datetime(parts, errors="coerce")
    return pd.DatetimeIndex(days + pd.to_timedelta(ints["h"].to_numpy() - 1, unit="h"))
