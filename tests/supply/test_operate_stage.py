"""The operation stage on a fabricated plan: `run_operation_stage` and `teplo operate`.

Three sites on a 13-building synthetic city: S1 with a CHP, two boilers, a tank
and a diesel genset (and designed pipes); S2 with three boilers and a small CHP;
S3 with one boiler too small for its buildings and a diesel genset. One heated
building has no site. Three January weeks of the bundled Kharkiv 2015-16 weather.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from teplo.cli import app
from teplo.climate import kharkiv_climate
from teplo.demand import hourly_heat_kw
from teplo.errors import InputError, TeploWarning
from teplo.operation import (
    STORAGE_CHARGE_H,
    OperationRun,
    default_season,
    dispatch_units,
    parse_season,
    pipe_losses_by_site,
    season_hours,
    study_climate,
)
from teplo.pipeline import run_demand_stage, run_operation_stage
from teplo.study import Study, open_study
from teplo.supply.catalogue import load_unit_catalogue
from teplo.supply.dispatch import DispatchSettings, gas_temperature_slope, gas_vs_temperature
from teplo.synth import make_city

SEASON = "2016-01-11:2016-01-31"
SITE_OF = ["S1", "S1", "S2", "S2", "S3", "", "S1", "S2", "S3", "S3", "S1", "", "S2"]
PLAN = [  # site, catalogue type, modules
    ("S1", "chp_500kw", 1), ("S1", "bmk_1mw", 2), ("S1", "tank_100m3", 1), ("S1", "diesel_250kw", 1),
    ("S2", "bmk_500kw", 3), ("S2", "chp_70kw", 1),
    ("S3", "bmk_500kw", 1), ("S3", "diesel_100kw", 1),
]  # fmt: skip
S1_PIPE_LOSS_KW = 40.0
runner = CliRunner()


def units_layer(plan: list[tuple[str, str, int]]) -> pd.DataFrame:
    """The siting stage's ``units`` layer for ``plan``, one row per module."""
    cat = load_unit_catalogue()
    rows = []
    for site, unit_type, n in plan:
        c = cat.loc[unit_type]
        for i in range(1, n + 1):
            rows.append({"unit_id": f"{site}/{unit_type}/{i}", "site_id": site, "unit_type": unit_type,
                         "kind": c["kind"], "heat_kw": c["heat_kw"], "power_kw": c["power_kw"],
                         "aux_power_kw": c["aux_power_kw"], "capex_eur": c["capex_eur"]})
    return pd.DataFrame(rows)


def planned_study(pipes: bool = True) -> Study:
    """A demand study with the fabricated plan (and S1's designed pipes)."""
    study = run_demand_stage(make_city(12, seed=3))
    b = study.layers["buildings"]
    assert len(b) == len(SITE_OF)
    b["site_id"] = SITE_OF
    b["district_id"] = SITE_OF
    study.layers["units"] = units_layer(PLAN)
    if pipes:  # a tree of two pipes and a ring pipe (no site_id) closing it
        study.layers["pipes"] = pd.DataFrame({
            "pipe_id": [1, 2, 3], "site_id": ["S1", "S1", None], "from_node": [10, 11, 12],
            "to_node": [11, 12, 10], "heat_loss_kw": [20.0, 15.0, 5.0]})
    return study


@pytest.fixture(scope="module")
def operated() -> tuple[Study, OperationRun]:
    study = planned_study()
    with pytest.warns(TeploWarning, match="site S3"):
        run = run_operation_stage(study, season=SEASON)
    return study, run


def independent_daily(study: Study) -> pd.DataFrame:
    """Demand and losses per site and day, MWh, recomputed from hourly_heat_kw (dates × sites)."""
    climate = kharkiv_climate("2015-2016")
    b = study.layers["buildings"]
    load = hourly_heat_kw(b, climate, dtype=np.float64)  # buildings × hours, kW
    hours = climate.hourly_temp_c.index
    frame = pd.DataFrame(load.T, index=hours).T.groupby(b["site_id"].to_numpy()).sum().T
    first, last = parse_season(SEASON)
    frame = frame[(hours >= first) & (hours < last + pd.Timedelta(days=1))]
    demand = frame[["S1", "S2", "S3"]].groupby(frame.index.normalize()).sum() / 1e3
    losses = demand * DispatchSettings().network_loss_fraction
    losses["S1"] = S1_PIPE_LOSS_KW * 24 / 1e3
    return demand + losses


def test_energy_balance_per_site_and_day(operated: tuple[Study, OperationRun]) -> None:
    study, _ = operated
    daily = study.layers["operation_daily"]
    assert sorted(daily["district_id"].unique()) == ["S1", "S2", "S3"]
    assert (daily.groupby("district_id").size() == 21).all()
    supplied = daily["heat_mwh"] + daily["storage_net_mwh"] + daily["unserved_mwh"]
    need = independent_daily(study)
    expected = np.array([need.loc[pd.Timestamp(d), s] for s, d in zip(daily["district_id"], daily["date"], strict=True)])
    np.testing.assert_allclose(supplied, expected, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(daily["demand_mwh"] + daily["losses_mwh"], expected, rtol=1e-5, atol=1e-4)


def test_diesel_gensets_are_left_out(operated: tuple[Study, OperationRun]) -> None:
    _, run = operated
    assert sorted(run.left_out["unit_id"]) == ["S1/diesel_250kw/1", "S3/diesel_100kw/1"]
    assert "diesel" not in set(run.units["kind"])
    dispatched = {u for r in run.result.districts.values() for u in r.unit_ids}
    assert dispatched == {"S1/chp_500kw/1", "S1/bmk_1mw/1", "S1/bmk_1mw/2", "S2/bmk_500kw/1",
                          "S2/bmk_500kw/2", "S2/bmk_500kw/3", "S2/chp_70kw/1", "S3/bmk_500kw/1"}
    assert list(run.result["S1"].store_ids) == ["S1/tank_100m3/1"]


def test_daily_gas_rises_as_it_gets_colder(operated: tuple[Study, OperationRun]) -> None:
    _, run = operated
    city = gas_vs_temperature(run.result)
    slope = gas_temperature_slope(city)
    print(f"daily city gas vs daily mean temperature: {slope:+.1f} m3/day per K "
          f"({city['mean_temp_c'].min():.1f} to {city['mean_temp_c'].max():.1f} °C)")
    assert slope < 0
    cold = city.nsmallest(7, "mean_temp_c")["gas_m3"].mean()
    mild = city.nlargest(7, "mean_temp_c")["gas_m3"].mean()
    assert cold > mild


def test_unserved_heat_is_reported_per_site(operated: tuple[Study, OperationRun]) -> None:
    study, run = operated
    assert "S3" in run.unserved.index and "S1" not in run.unserved.index
    s3 = run.unserved.loc["S3"]
    assert s3["unserved_mwh"] > 1.0 and s3["short_capacity_h"] > 0
    daily = study.layers["operation_daily"]
    assert daily.loc[daily["district_id"] == "S3", "unserved_mwh"].sum() == pytest.approx(s3["unserved_mwh"])
    reported = {r["site_id"] for r in study.meta["operation"]["unserved_by_site"]}
    assert reported == set(run.unserved.index)
    assert run.unassigned_buildings == 1


def test_summary_meta_and_losses(operated: tuple[Study, OperationRun]) -> None:
    study, run = operated
    summary = study.meta["operation_summary"]
    print(f"3 weeks: gas {summary['gas_m3_season']:,.0f} m3, power {summary['power_mwh']:,.1f} MWh, "
          f"cost {summary['cost_eur_per_mwh']:.1f} EUR/MWh")
    assert summary["gas_m3_season"] > 0 and summary["power_mwh"] > 0
    assert set(study.layers["operation_districts"]["district_id"]) == {"S1", "S2", "S3", "city"}
    assert run.loss_source["S1"].startswith("pipes")
    assert "5 %" in run.loss_source["S2"]
    # chp makes power; gas of S1 includes the CHP's (dearer) gas
    assert run.result["S1"].power_kw.sum() > 0


def test_units_map_to_the_catalogue() -> None:
    cat = load_unit_catalogue()
    layer = units_layer([("A", "chp_1mw", 1), ("A", "bmk_2mw", 1), ("A", "tank_300m3", 1),
                         ("A", "diesel_1mw", 1)])
    layer["gas_class"] = ["", "budget", "", ""]  # a budget institution's boiler
    rows, left = dispatch_units(layer, cat)
    r = rows.set_index("unit_type")
    assert list(left["unit_type"]) == ["diesel_1mw"]
    chp = cat.loc["chp_1mw"]
    assert r.loc["chp_1mw", "gas_class"] == "chp"
    assert r.loc["bmk_2mw", "gas_class"] == "budget"
    # catalogue VOM is per MWh of heat; the dispatch's CHP VOM is per MWh of electricity (5.4, DEA)
    assert r.loc["chp_1mw", "var_om_eur_mwh"] == pytest.approx(chp["var_om_eur_mwh"] * 1125 / 1000)
    assert r.loc["chp_1mw", "var_om_eur_mwh"] == pytest.approx(5.4)
    assert r.loc["bmk_2mw", "eff_th"] == pytest.approx(0.92)
    assert r.loc["tank_300m3", "heat_kw"] == pytest.approx(8722.5 / STORAGE_CHARGE_H)
    assert r.loc["tank_300m3", "storage_kwh"] == pytest.approx(8722.5)
    assert (rows["district_id"] == "A").all()
    layer.loc[0, "unit_type"] = "chp_9mw"
    with pytest.raises(InputError, match="chp_9mw"):
        dispatch_units(layer, cat)


def test_ring_pipe_losses_go_to_their_site() -> None:
    table = pd.DataFrame({"site_id": ["S1", "S1", "", "S2"], "from_node": [1, 2, 3, 7],
                          "to_node": [2, 3, 1, 8], "heat_loss_kw": [1.0, 2.0, 4.0, 8.0]})
    assert pipe_losses_by_site(table).to_dict() == {"S1": 7.0, "S2": 8.0}


def test_season_rules() -> None:
    climate = study_climate(Study())  # no meta: bundled Kharkiv 2015-16, 29 Feb filled
    assert default_season(climate) == (pd.Timestamp("2015-10-07"), pd.Timestamp("2016-04-04"))
    hours = season_hours(climate, "2016-02-28:2016-03-01")
    assert len(hours) == 3 * 24 and (np.diff(hours.asi8) == 3_600 * 10**9).all()
    for bad in ("2016-01-11", "2016/01/11:2016/01/31", "2016-02-30:2016-03-01", "2016-03-01:2016-02-01"):
        with pytest.raises(InputError, match="season"):
            season_hours(climate, bad)
    with pytest.raises(InputError, match="outside the weather"):
        season_hours(climate, "2025-10-15:2026-04-10")


# --------------------------------------------------------------------------- CLI


def test_cli_needs_units(tmp_path: Path) -> None:
    path = tmp_path / "demand_only.gpkg"
    run_demand_stage(make_city(5, seed=1)).save(path)
    result = runner.invoke(app, ["operate", str(path)])
    assert result.exit_code == 1
    assert "run `teplo plan` first" in result.output and "Traceback" not in result.output


@pytest.fixture(scope="module")
def study_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("operate") / "study.gpkg"
    planned_study(pipes=False).save(path)
    return path


@pytest.mark.parametrize(
    ("season", "message"),
    [("2016-01-11", "START:END"), ("2016-01-31:2016-01-11", "before the start"),
     ("2025-10-15:2026-04-10", "outside the weather")],
)
def test_cli_rejects_bad_season(study_file: Path, season: str, message: str) -> None:
    before = study_file.read_bytes()
    result = runner.invoke(app, ["operate", str(study_file), "--season", season])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert study_file.read_bytes() == before


def test_cli_writes_operation_daily(study_file: Path, tmp_path: Path) -> None:
    weather = tmp_path / "winter.csv"  # the bundled January 2016 as an ISO CSV
    temps = kharkiv_climate("2015-2016").hourly_temp_c["2016-01-01":"2016-01-31"]
    pd.DataFrame({"time": temps.index.strftime("%Y-%m-%dT%H:%M"), "temp_c": temps.to_numpy()}).to_csv(
        weather, index=False)
    given = weather.read_bytes()
    result = runner.invoke(app, ["operate", str(study_file), "--weather", str(weather),
                                 "--season", "2016-01-18:2016-01-24"])
    assert result.exit_code == 0, result.output
    assert "wrote layers operation_daily" in result.output
    assert "heat not served" in result.output and "S3" in result.output
    assert weather.read_bytes() == given
    saved = open_study(study_file)
    daily = saved.layers["operation_daily"]
    assert len(daily) == 3 * 7
    assert set(daily["date"]) == {f"2016-01-{d}" for d in range(18, 25)}
    assert saved.meta["operation"]["weather"] == "winter"
    assert saved.meta["operation_summary"]["gas_m3_season"] > 0
    assert "units" in saved.layers and "buildings" in saved.layers


def test_site_with_buildings_but_no_heat_units_is_an_error() -> None:
    study = planned_study(pipes=False)
    units = study.layers["units"]
    study.layers["units"] = units[units["unit_id"] != "S3/bmk_500kw/1"]  # S3 keeps only its diesel
    with pytest.raises(InputError, match=r"site\(s\) S3 serve buildings"):
        run_operation_stage(study, season=SEASON)
