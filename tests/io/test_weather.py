"""Weather readers on the bundled winteR files, generic CSVs, EPW, and malformed input."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from teplo.errors import InputError, InputFileNotFound
from teplo.io.weather import hourly_from_readings, read_epw, read_temperature_csv

WEATHER = resources.files("teplo") / "data" / "weather"


def bundled(name: str) -> Path:
    return Path(str(WEATHER / name))


def test_bundled_2015_2016() -> None:
    path = bundled("Kharkiv_weather_2015_2016.csv")
    assert sum(1 for _ in path.open(encoding="utf-8")) == 26407 + 1
    s = read_temperature_csv(path, long_gaps="fill")
    assert len(s) == 17544 and s.index.freqstr == "h" and not s.isna().any()
    assert (s.index[0], s.index[-1]) == (
        pd.Timestamp("2015-01-01 00:00"),
        pd.Timestamp("2016-12-31 23:00"),
    )
    assert s.min() == -23.5 and s.max() == 38.0  # hourly means of readings −24…+38 °C
    assert s["2016-01"].mean() == pytest.approx(-8.6, abs=0.3)  # SOURCES.md: Jan 2016 −8.6 °C
    assert s["2016-07"].mean() == pytest.approx(22.3, abs=0.3)


def test_bundled_2011_2012_three_hourly() -> None:
    s = read_temperature_csv(bundled("Kharkiv_weather_2011_2012.csv"), long_gaps="fill")
    assert len(s) == 17542 and not s.isna().any()
    assert s.min() == pytest.approx(-26.2) and s.max() == pytest.approx(36.8)
    # the 24-h gap of 31 Jul 2011 is filled smoothly with a daily cycle
    gap = s["2011-07-31 06:00":"2011-08-01 06:00"]
    assert np.abs(np.diff(gap.to_numpy())).max() < 3.0
    assert gap.max() - gap.min() > 5.0


def test_long_gaps_raise_by_default_naming_the_span() -> None:
    with pytest.raises(
        InputError,
        match=r"6 gap\(s\) longer than 6 h.*2015-03-10 17:00 to 2015-03-11 02:00 \(9 h\)",
    ):
        read_temperature_csv(bundled("Kharkiv_weather_2015_2016.csv"))
    s = read_temperature_csv(bundled("Kharkiv_weather_2015_2016.csv"), max_gap_h=24)
    assert not s.isna().any()


def test_short_gaps_interpolated_in_time() -> None:
    idx = pd.to_datetime(["2020-01-01 00:00", "2020-01-01 00:30", "2020-01-01 04:00"])
    s = hourly_from_readings(pd.Series([0.0, 2.0, 4.0], index=idx))
    assert s.tolist() == pytest.approx([1.0, 1.75, 2.5, 3.25, 4.0])


def write(tmp_path: Path, text: str, name: str = "w.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_generic_iso_csv_with_offsets(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "time,temp_c\n2020-03-29T01:00+02:00,1.5\n2020-03-29T02:00+02:00,2.5\n2020-03-29T04:00+03:00,3.0\n",
    )
    s = read_temperature_csv(p)
    assert s.index[0] == pd.Timestamp("2020-03-29 01:00") and s.index.tz is None
    assert s.tolist() == pytest.approx([1.5, 2.5, 2.75, 3.0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("Time,Temp\n", "no data rows"),
        ("31.12.2016 23:30,-4\n31.12.2016 23:00,-4\n", "line 1: no header"),
        ("when,degrees\n2020-01-01T00:00,1\n", "unknown columns 'when,degrees'"),
        (
            "Time,Temp\n31.12.2016 23:30,-4\n2016-12-31 23:00,-4\n",
            "line 3: cannot read time '2016-12-31 23:00'",
        ),
        (
            "Time,Temp\n31.12.2016 23:30,-4\n31.12.2016 23:00,warm\n",
            "line 3: temperature 'warm' is not a number",
        ),
        ("Time,Temp\n31.12.2016 23:30,-4\n31.12.2016 23:00\n", "line 3: expected two fields"),
        (
            "time,temp_c\n2020-01-01T00:00,1\n2020-01-01T01:00,274.1\n",
            "line 3: temperature 274.1 is outside",
        ),
        (
            "time,temp_c\n2020-01-01T00:00,1\n2020-01-01T01:00,\n",
            "line 3: temperature '' is not a number",
        ),
    ],
)
def test_malformed_csv(tmp_path: Path, text: str, message: str) -> None:
    p = write(tmp_path, text)
    with pytest.raises(InputError, match=message) as err:
        read_temperature_csv(p)
    assert str(p) in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileNotFound):
        read_temperature_csv(tmp_path / "none.csv")
    with pytest.raises(InputFileNotFound):
        read_epw(tmp_path / "none.epw")


EPW_HEADER = "\n".join(
    [
        "LOCATION,Kharkiv,-,UKR,Synthetic,343000,49.97,36.13,3.0,152.0",
        "DESIGN CONDITIONS,0",
        "TYPICAL/EXTREME PERIODS,0",
        "GROUND TEMPERATURES,0",
        "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
        "COMMENTS 1,synthetic test file",
        "COMMENTS 2,",
        "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
    ]
)


def epw_rows(year_by_month: dict[int, int], temps: dict[tuple[int, int, int], float]) -> str:
    rows = []
    for (m, d, h), t in temps.items():
        rows.append(
            f"{year_by_month[m]},{m},{d},{h},60,?9?9?9?9E0?9?9?9?9?9?9?9,{t},-5.0,80,101000"
        )
    return EPW_HEADER + "\n" + "\n".join(rows) + "\n"


def test_read_epw_tmy_years(tmp_path: Path) -> None:
    temps = {(1, 31, h): -10.0 + h for h in range(1, 25)} | {(2, 1, h): 5.0 for h in range(1, 25)}
    temps[(2, 1, 5)] = 99.9  # missing -> interpolated
    p = write(tmp_path, epw_rows({1: 1995, 2: 2003}, temps), "k.epw")
    s = read_epw(p)
    assert len(s) == 48 and s.index[0] == pd.Timestamp("1995-01-31 00:00")  # hour 1 -> 00:00
    assert s.iloc[0] == -9.0 and s.iloc[23] == 14.0
    assert s.loc["1995-02-01 04:00"] == 5.0 and not s.isna().any()


def test_read_epw_malformed(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="8 header lines"):
        read_epw(write(tmp_path, "LOCATION,x\n", "a.epw"))
    with pytest.raises(InputError, match="LOCATION"):
        read_epw(write(tmp_path, "\n".join(["x"] * 10), "b.epw"))
    bad = EPW_HEADER + "\n2001,1,1,1,60,x,-3.0\n2001,1,1,2,60,x,cold\n"
    with pytest.raises(InputError, match="line 10: temperature 'cold'"):
        read_epw(write(tmp_path, bad, "c.epw"))
    bad = EPW_HEADER + "\n2001,1,1,25,60,x,-3.0\n"
    with pytest.raises(InputError, match="line 9: cannot read year"):
        read_epw(write(tmp_path, bad, "d.epw"))
