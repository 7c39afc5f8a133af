"""GeoPackage writing is atomic and lossless; a failed write leaves the old file intact."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from teplo.errors import InputError, InputFileNotFound
from teplo.io.geopackage import list_layers, read_layer, write_layers
from teplo.study import Study, open_study


def _points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"site_id": ["a", "b"], "heat_kw": [100.0, 250.5], "ok": [True, False]},
        geometry=[Point(500000, 5500000), Point(500100, 5500050)],
        crs="EPSG:32636",
    )


def test_round_trip_keeps_values_and_crs(tmp_path: Path) -> None:
    path = write_layers(tmp_path / "s.gpkg", {"sites": _points(), "table": pd.DataFrame({"k": [1, 2]})})
    assert sorted(list_layers(path)) == ["sites", "table"]
    back = read_layer(path, "sites")
    assert isinstance(back, gpd.GeoDataFrame)
    assert back.crs.to_epsg() == 32636
    assert back["heat_kw"].tolist() == [100.0, 250.5]
    assert back["ok"].tolist() == [True, False]
    table = read_layer(path, "table")
    assert not isinstance(table, gpd.GeoDataFrame)
    assert table["k"].tolist() == [1, 2]


def test_failed_write_leaves_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An interruption after the first layer (as a Ctrl-C would) keeps the old study intact."""
    import teplo.io.geopackage as gp

    path = write_layers(tmp_path / "s.gpkg", {"sites": _points()})
    before = path.read_bytes()
    real = gp.pyogrio.write_dataframe
    calls = {"n": 0}

    def interrupted(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        real(*args, **kwargs)

    monkeypatch.setattr(gp.pyogrio, "write_dataframe", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_layers(path, {"sites": _points(), "more": _points()}, keep_existing=False)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.gpkg"]


def test_keep_existing_replaces_only_given_layers(tmp_path: Path) -> None:
    path = write_layers(tmp_path / "s.gpkg", {"sites": _points(), "t": pd.DataFrame({"k": [1]})})
    write_layers(path, {"t": pd.DataFrame({"k": [7, 8]})})
    assert sorted(list_layers(path)) == ["sites", "t"]
    assert read_layer(path, "t")["k"].tolist() == [7, 8]


def test_missing_file_and_layer_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileNotFound, match="no such file"):
        list_layers(tmp_path / "nope.gpkg")
    path = write_layers(tmp_path / "s.gpkg", {"sites": _points()})
    with pytest.raises(InputError, match="has no layer 'pipes'"):
        read_layer(path, "pipes")
    junk = tmp_path / "junk.gpkg"
    junk.write_text("not a geopackage")
    with pytest.raises(InputError, match="not a readable GeoPackage"):
        list_layers(junk)


def test_study_save_and_open(tmp_path: Path) -> None:
    study = Study(
        layers={"sites": _points()},
        settings={"k": 1},
        meta={"metric_crs": "EPSG:32636", "input_crs": "EPSG:4326"},
    )
    path = study.save(tmp_path / "study.gpkg")
    assert read_layer(path, "sites").crs.to_epsg() == 4326  # written in the input CRS
    back = open_study(path)
    assert back.settings == {"k": 1}
    assert back.sites.crs.to_epsg() == 32636  # back in the metric CRS
    assert back.sites.geometry.x.round(6).tolist() == [500000.0, 500100.0]
    with pytest.raises(AttributeError, match="no table 'pipes'"):
        _ = back.pipes
