"""Climate: the bundled Kharkiv year against the reference figures (kharkiv-figures §0, §1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from teplo.climate import Climate, climate_from_file, heating_season, kharkiv_climate
from teplo.errors import InputError
from tests.demand.helpers import reference_series

REF_SEASON_DAYS = 180.0  # §0, DSTU-N B V.1.1-27
REF_DEGREE_DAYS = 3780.0  # §0, base 20 °C


@pytest.fixture(scope="module")
def kharkiv() -> Climate:
    return kharkiv_climate()


def test_kharkiv_year_is_8760_contiguous_winter(kharkiv: Climate) -> None:
    s = kharkiv.hourly_temp_c
    assert len(s) == 8760 and not s.isna().any()
    assert s.index[0] == pd.Timestamp("2015-07-01 00:00") and s.index[-1] == pd.Timestamp(
        "2016-06-30 23:00"
    )
    assert not ((s.index.month == 2) & (s.index.day == 29)).any()
    assert s.min() == pytest.approx(-23.5) and kharkiv.design_temp_c == -23.0


@pytest.mark.parametrize("year", ["2015-2016", "2011-2012"])
def test_season_and_degree_days_near_reference(year: str) -> None:
    c = kharkiv_climate(year)
    days, hdd = c.season_days, c.degree_days_kd()
    print(
        f"{year}: season {days:.0f} d (ref 180), {hdd:.0f} K·d (ref 3780), mean {c.season_mean_temp_c:.2f} °C (ref -1.0)"
    )
    assert days == pytest.approx(REF_SEASON_DAYS, rel=0.20)
    assert hdd == pytest.approx(REF_DEGREE_DAYS, rel=0.20)


def test_reference_series_reproduces_reference_exactly() -> None:
    c = Climate(hourly_temp_c=reference_series(), name="ref")
    assert c.season_days == 180 and c.degree_days_kd() == pytest.approx(3780.0)
    assert c.degree_days_kd(base_c=18.0) == pytest.approx(3420.0)  # §0: 3 420 at base 18
    season = c.heating_season[c.heating_season].index
    assert (season[0], season[-1]) == (pd.Timestamp("2001-10-14"), pd.Timestamp("2002-04-11"))


def test_three_day_rule_bridges_single_warm_days() -> None:
    daily = pd.Series(
        [12, 12, 5, 5, 5, 9, 5, 9, 9, 5, 12, 12, 12, 5.0],
        index=pd.date_range("2020-10-01", periods=14),
    )
    three = heating_season(daily, 8.0, "3day").tolist()
    assert three == [
        False,
        False,
        True,
        True,
        True,
        True,
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    assert heating_season(daily, 8.0, "daily").tolist() == (daily <= 8).tolist()


@pytest.mark.parametrize("match", ["mean", "min_daily"])
def test_design_cold_spell(kharkiv: Climate, match: str) -> None:
    spell = kharkiv.design_cold_spell(5, match=match)  # type: ignore[arg-type]
    assert len(spell) == 120
    daily = spell.groupby(spell.index.normalize()).mean()
    reached = spell.mean() if match == "mean" else daily.min()
    assert reached == pytest.approx(-23.0)
    # the coldest observed window of 2015-16 is early January 2016
    assert spell.index[0].month == 1 and spell.index[0].year == 2016
    print(
        f"design spell ({match}): {spell.index[0]:%Y-%m-%d}…, mean {spell.mean():.1f}, min {spell.min():.1f} °C"
    )
    # the shape is the observed one
    observed = kharkiv.hourly_temp_c.loc[spell.index]
    assert np.allclose(np.diff(spell.to_numpy()), np.diff(observed.to_numpy()))


def test_climate_validation() -> None:
    s = reference_series()
    with pytest.raises(InputError, match="design_temp_c < heating_limit_c"):
        Climate(hourly_temp_c=s, name="x", design_temp_c=10.0)
    with pytest.raises(InputError, match="missing"):
        Climate(hourly_temp_c=s.where(s.index != s.index[5]), name="x")
    with pytest.raises(InputError, match="increasing"):
        Climate(hourly_temp_c=s.iloc[::-1], name="x")
    with pytest.raises(InputError, match="DatetimeIndex"):
        Climate(hourly_temp_c=s.reset_index(drop=True), name="x")
    with pytest.raises(InputError, match="unknown year"):
        kharkiv_climate("1999-2000")
    with pytest.raises(InputError, match=r"unknown climate setting.*colour"):
        kharkiv_climate(colour="blue")


def test_overrides_and_files(tmp_path: Path) -> None:
    c = kharkiv_climate(design_temp_c=-22.0, name="K")
    assert c.design_temp_c == -22.0 and c.name == "K" and c.design_delta_k == 42.0
    p = tmp_path / "year.csv"
    s = reference_series()
    pd.DataFrame({"time": s.index.strftime("%Y-%m-%dT%H:%M"), "temp_c": s.to_numpy()}).to_csv(
        p, index=False
    )
    f = climate_from_file(p, indoor_temp_c=18.0)
    assert f.name == "year" and f.indoor_temp_c == 18.0 and f.season_days == 180
    cut = climate_from_file(p, start="2001-12-01", end="2002-02-28 23:00")
    assert len(cut.hourly_temp_c) == 90 * 24 and cut.n_years == pytest.approx(90 * 24 / 8760)
    with pytest.raises(InputError, match="no hours"):
        climate_from_file(p, start="2030-01-01")
