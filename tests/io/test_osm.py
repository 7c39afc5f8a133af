"""OSM import: the bundled real extract, tiny hand-made files, and every way a file can be broken."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import numpy as np
import osmium
import pytest
import shapely

from teplo.crs import utm_crs_for
from teplo.errors import InputError, InputFileNotFound, TeploError
from teplo.io import read_osm
from teplo.schema import BUILDINGS_IMPORTED, STREETS

from .conftest import osm_xml, ring, square, write

# ---------------------------------------------------------------- the bundled sample

# Measured on src/teplo/data/sample/moscow.osm.gz (sha256 8700f12c9c2fedb6...).
SAMPLE_BUILDING_WAYS = 619
SAMPLE_BUILDING_RELATIONS = 9
SAMPLE_BUILDINGS = 628  # nothing in this extract is clipped or invalid
SAMPLE_HIGHWAY_WAYS = 586  # 588 highway ways minus construction and area=yes
SAMPLE_STREET_EDGES = 1418
SAMPLE_LEVELS_TAGGED = 112


def test_sample_counts(sample_area):
    b, s, report = sample_area.buildings, sample_area.streets, sample_area.report
    assert len(b) == SAMPLE_BUILDINGS
    assert report.read["building ways"] == SAMPLE_BUILDING_WAYS
    assert report.read["building relations"] == SAMPLE_BUILDING_RELATIONS
    assert report.read["highway ways"] == SAMPLE_HIGHWAY_WAYS
    assert len(s) == report.read["street edges"] == SAMPLE_STREET_EDGES
    assert not any(k.startswith("building") for k in report.dropped)
    assert report.dropped == {
        "site: relation member ways missing from extract": 1,  # r1458731, industrial, clipped
        "street: area=yes (not a built road line)": 1,
        "street: highway=construction (not a built road line)": 1,
    }
    assert report.repaired == {}
    assert sample_area.crs.to_epsg() == 32637
    assert sample_area.input_crs.to_epsg() == 4326


def test_sample_schema_and_order(sample_area):
    b, s = sample_area.buildings, sample_area.streets
    assert list(b.columns) == [c.name for c in BUILDINGS_IMPORTED.columns] + ["geometry"]
    assert list(s.columns) == [c.name for c in STREETS.columns] + ["geometry"]
    assert b["building_id"].is_unique and s["street_id"].is_unique
    assert list(b["building_id"]) == sorted(b["building_id"])
    assert list(s["street_id"]) == sorted(s["street_id"])
    assert (b.geometry.geom_type == "MultiPolygon").all() and b.geometry.is_valid.all()
    assert (s.geometry.geom_type == "LineString").all()
    assert b["storeys"].dtype == np.int64 and (b["storeys"] >= 1).all()
    assert (b["height_m"] > 0).all() and (b["footprint_m2"] > 0).all()
    np.testing.assert_allclose(b["footprint_m2"], b.geometry.area)
    assert set(b["source"]) == {"osm"}
    assert b["building_id"].str.match(r"^[wr]\d+$").all()


def test_sample_levels_read_where_tagged(sample_area):
    b = sample_area.buildings
    tagged = ~b["defaulted"].str.contains("storeys")
    assert tagged.sum() == SAMPLE_LEVELS_TAGGED
    # The tagged values are the extract's: mostly 5, 9, 12, 16 and 22 storeys.
    assert set(b.loc[tagged, "storeys"]) >= {5, 9, 12, 16, 22}
    assert b.loc[b["building_id"] == "w28845411", "storeys"].item() == 16  # building:levels=16
    # Every untagged row is defaulted and says so, sorted.
    untagged = b.loc[~tagged, "defaulted"]
    assert untagged.str.contains("storeys").all()
    assert all(d.split(",") == sorted(d.split(",")) for d in b["defaulted"] if d)


def test_sample_defaults(sample_area):
    b, messages = sample_area.buildings, sample_area.report.messages
    assert "storeys from building:levels (tagged): 112 of 628" in messages
    assert "storeys from height: 1 of 628" in messages
    assert "storeys from nearby similar buildings: 136 of 628" in messages
    assert "storeys from footprint band: 379 of 628" in messages
    assert b["defaulted"].str.contains("use").sum() == 554  # bare building=yes without amenity
    assert b["defaulted"].str.contains("height_m").sum() == 627
    counts = b["use"].value_counts().to_dict()
    assert counts["residential"] == 529 and counts["school"] == 9 and counts["kindergarten"] == 5
    assert b["year_built"].isna().all()  # the extract has no start_date: no year is invented


def test_sample_street_graph(sample_area):
    s = sample_area.streets
    graph = sample_area.street_graph()
    assert graph.number_of_edges() == len(s)
    assert graph.number_of_nodes() == 1006
    # u and v are the OSM node ids at the edge ends: one coordinate per node id.
    ends = np.r_[shapely.get_coordinates(shapely.get_point(s.geometry.values, 0)),
                 shapely.get_coordinates(shapely.get_point(s.geometry.values, -1))]
    ids = np.r_[s["u"], s["v"]]
    for node in np.unique(ids)[:200]:
        assert len(np.unique(ends[ids == node], axis=0)) == 1
    np.testing.assert_allclose(s["length_m"], s.geometry.length)
    assert s["osm_id"].str.match(r"^w\d+$").all()


# ---------------------------------------------------------------- small well-formed files

def _two_houses() -> str:
    nodes = {**square(1, 0, 0), **square(11, 10, 0), 21: (-5, -3), 22: (5, -3), 23: (15, -3), 24: (5, -10)}
    return osm_xml(
        nodes,
        ways=[
            (100, ring(1), {"building": "apartments", "building:levels": "9", "start_date": "~1975",
                            "addr:street": "Heroiv Pratsi", "addr:housenumber": "12", "name": "A"}),
            (101, ring(11), {"building": "yes", "height": "14,0 m", "amenity": "school"}),
            # Two streets crossing at node 22: four edges.
            (200, [21, 22, 23], {"highway": "residential", "name": "Main"}),
            (201, [24, 22], {"highway": "service"}),
            (202, [21, 24], {"highway": "construction"}),
        ],
    )


def test_small_file_attributes_and_streets(tmp_path):
    area = read_osm(write(tmp_path / "two.osm", _two_houses()))
    b = area.buildings.set_index("building_id")
    assert list(b.index) == ["w100", "w101"]
    assert b.loc["w100", "storeys"] == 9 and b.loc["w100", "year_built"] == 1975
    assert b.loc["w100", "address"] == "Heroiv Pratsi 12" and b.loc["w100", "use"] == "residential"
    assert b.loc["w100", "defaulted"] == "height_m"
    assert b.loc["w100", "height_m"] == pytest.approx(9 * 2.8)
    assert b.loc["w101", "use"] == "school" and b.loc["w101", "height_m"] == 14.0
    assert b.loc["w101", "storeys"] == 4  # 14 m / 3.3 m per storey
    assert b.loc["w101", "defaulted"] == "storeys"
    # 36.23 E lies in UTM zone 37 (36-42 E) by the standard rule teplo.crs applies.
    assert area.crs == utm_crs_for(36.23, 49.99) and area.crs.to_epsg() == 32637
    s = area.streets.set_index("street_id")
    assert list(s.index) == ["w200-0", "w200-1", "w201-0"]
    assert (s.loc["w200-0", "u"], s.loc["w200-0", "v"]) == (21, 22)
    assert (s.loc["w200-1", "u"], s.loc["w200-1", "v"]) == (22, 23)
    assert s.loc["w200-0", "length_m"] == pytest.approx(10 * 7.17, rel=0.01)  # 0.001 deg of lon at 50 N
    assert area.report.dropped["street: highway=construction (not a built road line)"] == 1


@pytest.mark.parametrize("suffix", [".osm.gz", ".osm.bz2", ".osm.pbf"])
def test_compressed_and_pbf(tmp_path, suffix):
    text = _two_houses()
    src = write(tmp_path / "two.osm", text)
    path = tmp_path / f"two{suffix}"
    if suffix == ".osm.gz":
        path.write_bytes(gzip.compress(text.encode()))
    elif suffix == ".osm.bz2":
        path.write_bytes(bz2.compress(text.encode()))
    else:
        with osmium.SimpleWriter(str(path)) as writer:
            osmium.apply(str(src), writer)
    area = read_osm(path)
    reference = read_osm(src)
    assert list(area.buildings["building_id"]) == list(reference.buildings["building_id"])
    assert list(area.streets["street_id"]) == list(reference.streets["street_id"])
    np.testing.assert_allclose(area.buildings["footprint_m2"], reference.buildings["footprint_m2"], rtol=1e-6)


def test_multipolygon_relation_with_hole(tmp_path):
    nodes = {**square(1, 0, 0, size=6), **square(11, 2, 2, size=2), **square(21, 20, 0)}
    text = osm_xml(
        nodes,
        ways=[(300, ring(1), {}), (301, ring(11), {}), (302, ring(21), {"building": "yes"})],
        relations=[
            (7, [("w", 300, "outer"), ("w", 301, "inner")], {"type": "multipolygon", "building": "school"}),
            (8, [("w", 300, "outer"), ("w", 999, "outer")], {"type": "multipolygon", "building": "yes"}),
        ],
    )
    area = read_osm(write(tmp_path / "rel.osm", text))
    b = area.buildings.set_index("building_id")
    assert list(b.index) == ["r7", "w302"]
    outer, hole = b.loc["r7", "geometry"], b.loc["w302", "footprint_m2"]
    assert len(outer.geoms[0].interiors) == 1
    assert b.loc["r7", "footprint_m2"] == pytest.approx(8 * hole, rel=0.01)  # 36 - 4 = 32 squares of 2x2/4
    assert area.report.dropped["building: relation member ways missing from extract"] == 1
    assert any("r8" in m for m in area.report.messages)


# ---------------------------------------------------------------- broken objects: repaired or dropped, counted

def test_broken_objects_are_repaired_or_dropped(tmp_path):
    nodes = {
        **square(1, 0, 0),            # good
        **square(11, 10, 0),          # duplicate way id
        **square(21, 20, 0),          # unclosed, far ends
        31: (30, 0), 32: (32, 0), 33: (32, 2), 34: (30, 2), 35: (30.00005, 0.0),  # unclosed, 0.4 m gap
        41: (40, 0), 42: (42, 2), 43: (42, 0), 44: (40, 2),  # bow-tie
        51: (50, 0), 52: (52, 0), 53: (54, 0),  # collinear: zero area
        **square(61, 60, 0),          # references a missing node
        71: (0, 10), 72: (5, 10), 73: (10, 10), 74: (15, 10),  # street with a hole
    }
    ways = [
        (1, ring(1), {"building": "yes"}),
        (1, ring(11), {"building": "yes"}),
        (2, [21, 22, 23, 24], {"building": "yes"}),
        (3, [31, 32, 33, 34, 35], {"building": "yes"}),
        (4, [41, 42, 43, 44, 41], {"building": "house"}),
        (5, [51, 52, 53, 51], {"building": "yes"}),
        (6, [61, 62, 6363, 64, 61], {"building": "yes"}),
        (7, [1, 2], {"building": "no"}),
        (8, [71, 72, 7777, 73, 74], {"highway": "residential"}),
        (9, [8888, 9999], {"highway": "footway"}),
    ]
    path = write(tmp_path / "broken.osm", osm_xml(nodes, ways))
    area = read_osm(path)
    report = area.report
    assert list(area.buildings["building_id"]) == ["w1", "w3", "w4"]
    assert report.dropped["building: duplicate OSM id (first kept)"] == 1
    assert report.dropped["building: unclosed way (ends 1 m or more apart)"] == 1
    assert report.repaired["building: unclosed way closed (ends < 1 m apart)"] == 1
    assert report.repaired["building: invalid polygon (self-intersecting) made valid"] == 1
    assert report.dropped["building: zero area"] == 1
    assert report.dropped["building: nodes missing from extract"] == 1
    assert report.repaired["street: nodes missing from extract (kept the parts present)"] == 1
    assert report.dropped["street: nodes missing from extract"] == 1
    # Messages name the objects.
    assert any("w5" in m and "zero area" in m for m in report.messages)
    assert any("w6" in m and "missing" in m for m in report.messages)
    bowtie = area.buildings.set_index("building_id").loc["w4"]
    assert bowtie.geometry.is_valid and len(bowtie.geometry.geoms) == 2 and bowtie.footprint_m2 > 0
    s = area.streets
    assert list(s["street_id"]) == ["w8-0", "w8-1"]
    assert list(zip(s["u"], s["v"], strict=True)) == [(71, 72), (73, 74)]


def test_missing_file(tmp_path):
    with pytest.raises(InputFileNotFound, match=r"nothere\.osm: no such file"):
        read_osm(tmp_path / "nothere.osm")


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.osm", b"", "empty"),
        ("table.osm", b"id,lat,lon\n1,50.0,36.2\n", "not a readable OSM file"),
        ("noise.osm", bytes(range(256)) * 4, "not a readable OSM file"),
        ("noise.osm.pbf", bytes(range(255, -1, -1)) * 4, "not a readable OSM file"),
        ("bad.osm", b'<?xml version="1.0"?>\n<osm version="0.6"><node id="1" lat="1" lon="2"></osm>',
         "not a readable OSM file"),
        ("page.osm", b"<html><body>Not found</body></html>", "not a readable OSM file"),
        ("nothing.osm", b'<?xml version="1.0"?>\n<osm version="0.6"></osm>', "contains no OSM ways"),
    ],
)
def test_unreadable_files_raise_input_error(tmp_path, name, content, message):
    path = _write_bytes(tmp_path / name, content)
    with pytest.raises(InputError) as info:
        read_osm(path)
    assert isinstance(info.value, TeploError)
    assert str(path) in str(info.value) and message in str(info.value)


def test_truncated_gzip(tmp_path):
    data = gzip.compress(_two_houses().encode())
    path = _write_bytes(tmp_path / "cut.osm.gz", data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut\.osm\.gz: not a readable OSM file"):
        read_osm(path)


def test_no_buildings(tmp_path):
    text = osm_xml({1: (0, 0), 2: (5, 0)}, ways=[(1, [1, 2], {"highway": "residential"})])
    path = write(tmp_path / "roads.osm", text)
    with pytest.raises(InputError, match=r"roads\.osm: contains no buildings \(building=\*\); is this the right extract\?"):
        read_osm(path)


def test_all_buildings_broken(tmp_path):
    text = osm_xml({1: (0, 0), 2: (5, 0)}, ways=[(1, [1, 2, 3, 1], {"building": "yes"})])
    path = write(tmp_path / "clipped.osm", text)
    with pytest.raises(InputError, match=r"clipped\.osm: none of its 1 buildings"):
        read_osm(path)
