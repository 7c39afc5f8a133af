"""GIS import: teplo GeoPackage round trip, foreign GeoJSON/GeoPackage layers, and their faults."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from teplo.errors import InputError, InputFileNotFound, TeploError
from teplo.io import load_area, read_gis
from teplo.io.geopackage import write_layers

from .conftest import LAT0, LON0


def _frame(area_frame: gpd.GeoDataFrame) -> pd.DataFrame:
    return pd.DataFrame(area_frame.drop(columns="geometry"))


def test_teplo_geopackage_round_trip(sample_area, tmp_path):
    path = write_layers(tmp_path / "study.gpkg", {"buildings": sample_area.buildings, "streets": sample_area.streets})
    back = load_area(path)
    pd.testing.assert_frame_equal(_frame(back.buildings), _frame(sample_area.buildings))
    pd.testing.assert_frame_equal(_frame(back.streets), _frame(sample_area.streets))
    assert back.buildings.geometry.geom_equals_exact(sample_area.buildings.geometry, 0.0).all()
    assert back.streets.geometry.geom_equals_exact(sample_area.streets.geometry, 0.0).all()
    assert back.crs == sample_area.crs
    assert back.report.dropped == {} and back.report.repaired == {}


def test_teplo_geopackage_in_wgs84_round_trip(sample_area, tmp_path):
    """Written back in the input CRS (degrees), read again: the same up to float noise."""
    wgs = {"buildings": sample_area.buildings.to_crs(4326), "streets": sample_area.streets.to_crs(4326)}
    back = read_gis(write_layers(tmp_path / "study4326.gpkg", wgs))
    pd.testing.assert_frame_equal(_frame(back.buildings), _frame(sample_area.buildings))
    assert back.buildings.geometry.geom_equals_exact(sample_area.buildings.geometry, 1e-6).all()
    assert back.input_crs.to_epsg() == 4326


def _feature(geometry: dict, **props: object) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _box(dx: float, dy: float, size: float = 2.0) -> dict:
    x, y = LON0 + dx * 1e-4, LAT0 + dy * 1e-4
    s = size * 1e-4
    return {"type": "Polygon", "coordinates": [[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]]}


def _line(*points: tuple[float, float]) -> dict:
    return {"type": "LineString", "coordinates": [[LON0 + dx * 1e-4, LAT0 + dy * 1e-4] for dx, dy in points]}


def _geojson(path: Path, features: list[dict], crs: str | None = None) -> Path:
    doc: dict = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_foreign_geojson_fields_and_streets(tmp_path):
    features = [
        _feature(_box(0, 0), id=17, floors=9, type="apartments", year="1975-06"),
        _feature(_box(10, 0), id=18, height="12,5 m", type="school", name="School 3"),
        _feature(_box(20, 0, size=0.5), id=19),  # ~26 m²: a shed
        _feature(_box(30, 0), id=17, floors=5),  # duplicate id: dropped
        # Bow-tie: repaired.
        _feature({"type": "Polygon", "coordinates": [[[LON0, LAT0 + 0.002], [LON0 + 2e-4, LAT0 + 0.0022],
                                                     [LON0 + 2e-4, LAT0 + 0.002], [LON0, LAT0 + 0.0022],
                                                     [LON0, LAT0 + 0.002]]]}, id=20, type="house"),
        # Streets: A-B-C and D-B meet at the shared vertex B; E-F is separate.
        _feature(_line((-5, -3), (5, -3), (15, -3)), highway="residential", name="Main"),
        _feature(_line((5, -10), (5, -3)), highway="service"),
        _feature(_line((30, -10), (40, -10))),
    ]
    area = read_gis(_geojson(tmp_path / "city.geojson", features))
    b = area.buildings.set_index("building_id")
    assert list(b.index) == ["17", "18", "19", "20"]
    assert b.loc["17", "storeys"] == 9 and b.loc["17", "use"] == "residential" and b.loc["17", "year_built"] == 1975
    assert b.loc["17", "defaulted"] == "height_m"
    assert b.loc["18", "height_m"] == 12.5 and b.loc["18", "storeys"] == 4 and b.loc["18", "name"] == "School 3"
    assert b.loc["19", "use"] == "shed" and b.loc["19", "defaulted"] == "height_m,storeys,use"
    assert b.loc["20", "geometry"].is_valid and b.loc["20", "footprint_m2"] > 0
    assert set(b["source"]) == {"gis"}
    report = area.report
    assert report.dropped["building: duplicate id (first kept)"] == 1
    assert report.repaired["building: invalid polygon (self-intersecting) made valid"] == 1
    s = area.streets
    assert len(s) == 4  # Main split at B, the service road, the lone line
    main = s[s["name"] == "Main"].sort_values("street_id")
    service = s[s["highway"] == "service"].iloc[0]
    assert main.iloc[0]["v"] == main.iloc[1]["u"] == service["v"]
    assert set(s["highway"]) == {"residential", "service", "road"}
    assert area.crs.to_epsg() == 32637 and area.input_crs.to_epsg() == 4326


def test_field_map_and_streets_from_second_file(tmp_path):
    b_path = _geojson(tmp_path / "b.geojson", [_feature(_box(0, 0), kod="A1", etazhi="16", pryznachennia="hospital")])
    s_path = _geojson(tmp_path / "s.geojson", [_feature(_line((0, -5), (10, -5)), id=5)])
    area = read_gis(b_path, field_map={"building_id": "kod", "storeys": "etazhi", "use": "pryznachennia"},
                    streets_path=s_path)
    row = area.buildings.iloc[0]
    assert (row["building_id"], row["storeys"], row["use"]) == ("A1", 16, "hospital")
    assert list(area.streets["street_id"]) == ["5-0"]


def test_geojson_without_properties_gets_ids_and_defaults(tmp_path):
    area = read_gis(_geojson(tmp_path / "bare.geojson", [_feature(_box(0, 0)), _feature(_box(5, 0, size=4))]))
    assert list(area.buildings["building_id"]) == ["g1", "g2"]
    assert (area.buildings["defaulted"] == "height_m,storeys,use").all()
    assert len(area.streets) == 0 and list(area.streets.columns)[-1] == "geometry"


def test_geojson_without_crs_in_metres(tmp_path):
    """No 'crs' member means WGS 84 (RFC 7946); metre coordinates must not pass as degrees."""
    box = shapely.geometry.mapping(shapely.box(413000, 6185000, 413020, 6185020))
    path = _geojson(tmp_path / "metres.geojson", [_feature(box, id=1)])
    with pytest.raises(InputError, match=r"metres\.geojson: layer 'metres' .* not degrees"):
        read_gis(path)


def test_geopackage_layer_without_crs(tmp_path):
    path = tmp_path / "nocrs.gpkg"
    frame = gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.box(0, 0, 10, 10)], crs=None)
    with pytest.warns(UserWarning):
        frame.to_file(path, layer="buildings", driver="GPKG")
    with pytest.raises(InputError, match=r"nocrs\.gpkg: layer 'buildings' has no CRS; set one"):
        read_gis(path)


def test_field_map_names_missing_field(tmp_path):
    path = _geojson(tmp_path / "b.geojson", [_feature(_box(0, 0), floors=3)])
    with pytest.raises(InputError, match=r"b\.geojson: layer 'b' has no field 'levels_count'.*fields present: floors"):
        read_gis(path, field_map={"storeys": "levels_count"})
    with pytest.raises(InputError, match="unknown teplo field 'colour'"):
        read_gis(path, field_map={"colour": "floors"})


def test_missing_layer(sample_area, tmp_path):
    path = write_layers(tmp_path / "s.gpkg", {"buildings": sample_area.buildings.head(3)})
    with pytest.raises(InputError, match=r"s\.gpkg: has no layer 'houses' \(layers present: buildings\)"):
        read_gis(path, buildings_layer="houses")
    with pytest.raises(InputError, match="has no layer 'roads'"):
        read_gis(path, streets_layer="roads")


@pytest.mark.parametrize(
    ("name", "content"),
    [("junk.gpkg", b"\x00\x01 not a database" * 50), ("junk.geojson", b"{ not json"), ("empty.geojson", b"")],
)
def test_unreadable_gis_files(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_gis(path)
    assert isinstance(info.value, TeploError) and str(path) in str(info.value)


def test_only_points_or_lines(tmp_path):
    pts = _geojson(tmp_path / "pts.geojson", [_feature({"type": "Point", "coordinates": [LON0, LAT0]}, id=1)])
    with pytest.raises(InputError, match=r"pts\.geojson: none of the 1 features"):
        read_gis(pts)
    lines = _geojson(tmp_path / "lines.geojson", [_feature(_line((0, 0), (1, 1)))])
    with pytest.raises(InputError, match=r"lines\.geojson: layer 'lines' holds only lines"):
        read_gis(lines)


def test_missing_gis_file(tmp_path):
    with pytest.raises(InputFileNotFound, match=r"gone\.gpkg: no such file"):
        read_gis(tmp_path / "gone.gpkg")
