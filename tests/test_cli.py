"""The command line: the demand stage end to end, errors without tracebacks, determinism."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from teplo.cli import app
from teplo.io.load import sample_path

runner = CliRunner()


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table of a GeoPackage, rows sorted, with the write timestamps blanked."""
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out: dict[str, list[tuple[object, ...]]] = {}
        for name in sorted(names):
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{name}")')]
            keep = [c for c in cols if c not in {"last_change", "timestamp"}]
            select = ", ".join(f'"{c}"' for c in keep)
            rows = con.execute(f'SELECT {select} FROM "{name}"').fetchall()
            out[name] = sorted(rows, key=repr)
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("run") / "study.gpkg"
    result = runner.invoke(app, ["demand", str(sample_path()), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_demand_writes_study_and_prints_summary(sample_run: tuple[Path, str]) -> None:
    out, output = sample_run
    assert out.exists()
    assert "Heat demand by typology" in output
    assert "total" in output and "panel_9" in output


def test_two_runs_give_identical_geopackages(sample_run: tuple[Path, str], tmp_path: Path) -> None:
    first, _ = sample_run
    second = tmp_path / "again.gpkg"
    result = runner.invoke(app, ["demand", str(sample_path()), "--out", str(second)])
    assert result.exit_code == 0, result.output
    a, b = _dump(first), _dump(second)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], f"table {name} differs between runs"


def test_bad_input_is_one_clear_line_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "city.osm"
    bad.write_text("this is not OSM\n")
    result = runner.invoke(app, ["demand", str(bad), "--out", str(tmp_path / "s.gpkg")])
    assert result.exit_code == 1
    assert "error:" in result.output and "city.osm" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "s.gpkg").exists()


def test_output_may_not_overwrite_the_input(tmp_path: Path) -> None:
    src = tmp_path / "area.gpkg"
    result = runner.invoke(app, ["synth", "--buildings", "20", "--out", str(src)])
    assert result.exit_code == 0, result.output
    before = src.read_bytes()
    result = runner.invoke(app, ["demand", str(src), "--out", str(src)])
    assert result.exit_code == 1
    assert "is the input file" in result.output
    assert src.read_bytes() == before


def test_synth_city_through_demand(tmp_path: Path) -> None:
    city = tmp_path / "city.gpkg"
    assert runner.invoke(app, ["synth", "--buildings", "300", "--seed", "2", "--out", str(city)]).exit_code == 0
    result = runner.invoke(app, ["demand", str(city), "--out", str(tmp_path / "study.gpkg")])
    assert result.exit_code == 0, result.output
    assert "panel_9" in result.output


def test_network_writes_pipes_for_given_sites(sample_run: tuple[Path, str], tmp_path: Path) -> None:
    import geopandas as gpd
    import numpy as np
    from scipy.cluster.vq import kmeans2
    from shapely.geometry import Point

    from teplo.io.geopackage import read_layer
    from teplo.study import open_study

    study_path = tmp_path / "study.gpkg"
    study_path.write_bytes(sample_run[0].read_bytes())
    b = open_study(study_path).buildings
    c = b[b["heated"]].geometry.centroid
    centres, _ = kmeans2(np.c_[c.x, c.y], 30, seed=1, minit="++")
    sites = gpd.GeoDataFrame(
        {"site_id": [f"S{i:02d}" for i in range(30)]}, geometry=[Point(p) for p in centres], crs=b.crs
    ).to_crs(4326)
    sites.to_file(tmp_path / "sites.geojson")
    result = runner.invoke(app, ["network", str(study_path), "--sites", str(tmp_path / "sites.geojson")])
    assert result.exit_code == 0, result.output
    assert "Trench by DN" in result.output
    pipes = read_layer(study_path, "pipes")
    for col in ("pipe_id", "dn", "length_m", "from_node", "to_node", "mass_flow_kg_s",
                "velocity_m_s", "pressure_drop_pa", "heat_loss_kw", "cost_eur"):
        assert col in pipes.columns
    assert (pipes["velocity_m_s"].abs() <= 2.5 + 1e-9).all()
    assert "buildings" in open_study(study_path).layers  # earlier layers kept


def test_network_without_sites_says_what_to_do(sample_run: tuple[Path, str], tmp_path: Path) -> None:
    study_path = tmp_path / "study.gpkg"
    study_path.write_bytes(sample_run[0].read_bytes())
    result = runner.invoke(app, ["network", str(study_path)])
    assert result.exit_code == 1
    assert "--sites" in result.output and "teplo plan" in result.output
