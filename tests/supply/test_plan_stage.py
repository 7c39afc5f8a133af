"""`teplo plan`: the layers it writes hold the plan's promises when recomputed from the file alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from teplo.cli import app
from teplo.pipeline import run_demand_stage
from teplo.study import open_study
from teplo.supply.check import check_plan
from teplo.supply.settings import SitingSettings
from teplo.synth import make_city

runner = CliRunner()


@pytest.fixture(scope="module")
def demand_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 30-building synthetic city with demand, saved as a study."""
    path = tmp_path_factory.mktemp("plan") / "study.gpkg"
    run_demand_stage(make_city(30, seed=1)).save(path)
    return path


@pytest.fixture(scope="module")
def planned(demand_study: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The same study after `teplo plan` with the default resilience constraints."""
    path = tmp_path_factory.mktemp("planned") / "study.gpkg"
    path.write_bytes(demand_study.read_bytes())
    result = runner.invoke(app, ["plan", str(path), "--time-limit-s", "120"])
    assert result.exit_code == 0, result.output
    return path, result.output


def test_plan_writes_layers_and_prints_summary(planned: tuple[Path, str]) -> None:
    path, output = planned
    study = open_study(path)
    for layer in ("districts", "sites", "units"):
        assert layer in study.layers, layer
    units = study.layers["units"]
    for col in ("unit_id", "site_id", "unit_type", "heat_kw", "power_kw", "capex_eur"):
        assert col in units.columns, col
    assert units["unit_id"].is_unique
    b = study.layers["buildings"]
    heated = b[b["heated"].astype(bool) & (b["design_load_kw"] > 0)]
    assert heated["site_id"].notna().all() and heated["district_id"].notna().all()
    chosen = study.layers["sites"].loc[lambda s: s["chosen"].astype(bool), "site_id"]
    assert set(units["site_id"]) <= set(chosen)
    assert "status" in output and "EUR/MWh" in output and "gap" in output
    summary = study.meta["plan_summary"]
    assert summary["heat_mw"] * 1000 >= heated["design_load_kw"].sum() - 1.0


def test_independent_check_from_the_written_layers(planned: tuple[Path, str]) -> None:
    """N-k, dispersion, blackout, site loss and coverage recomputed from the GeoPackage alone."""
    study = open_study(planned[0])
    settings = SitingSettings.model_validate(study.settings["plan"])
    b = study.layers["buildings"]
    b = b[b["heated"].astype(bool) & (b["design_load_kw"] > 0)]
    violations = check_plan(b, study.layers["units"], study.layers["sites"], settings)
    status = study.meta["plan_summary"]["status"]
    if status in ("optimal", "feasible"):
        assert violations == [], [v.message for v in violations]
    else:  # a relaxed plan must say what it breaks
        assert status == "relaxed" and study.meta["plan_binding"]


def test_least_cost_plan_is_cheaper(planned: tuple[Path, str], demand_study: Path, tmp_path: Path) -> None:
    path = tmp_path / "study.gpkg"
    path.write_bytes(demand_study.read_bytes())
    result = runner.invoke(app, ["plan", str(path), "--no-resilience", "--time-limit-s", "60"])
    assert result.exit_code == 0, result.output
    cheap = open_study(path).meta["plan_summary"]
    resilient = open_study(planned[0]).meta["plan_summary"]
    assert cheap["annual_cost_eur"] <= resilient["annual_cost_eur"] * (1 + 0.05)  # within both MIP gaps
    assert cheap["heat_mw"] <= resilient["heat_mw"] + 1e-6


def test_bad_settings_and_missing_demand_are_named(demand_study: Path, tmp_path: Path) -> None:
    path = tmp_path / "study.gpkg"
    path.write_bytes(demand_study.read_bytes())
    result = runner.invoke(app, ["plan", str(path), "--alpha", "1.5"])
    assert result.exit_code == 1 and "resilience.nk.alpha" in result.output
    study = open_study(path)
    study.layers["buildings"] = study.layers["buildings"].drop(columns=["design_load_kw"])
    study.save(path)
    result = runner.invoke(app, ["plan", str(path)])
    assert result.exit_code == 1 and "design_load_kw" in result.output and "teplo demand" in result.output
