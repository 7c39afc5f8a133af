"""OSM candidate-site features: each kind from a tiny file, relations, exclusions, the sample."""

from __future__ import annotations

import osmium
import pytest
import shapely

from teplo.crs import utm_crs_for
from teplo.io import read_gis, read_osm, sample_path
from teplo.io.geopackage import write_layers
from teplo.io.osm import SITE_EXCLUDED, SITE_TAGS, site_kind
from teplo.pipeline import run_demand_stage
from teplo.schema import SITE_FEATURES, TABLES
from teplo.study import open_study
from teplo.synth import make_city

from .conftest import LAT0, LON0, osm_xml, ring, square, write

SITE_COLUMNS = [c.name for c in SITE_FEATURES.columns] + ["geometry"]
# One square of the conftest grid (2 x 0.0001 deg) at 50 N: about 14.3 m x 22.2 m.
SQUARE_M2 = 2 * 7.17 * 2 * 11.12

# A house, so that every test file is a valid area (read_osm needs buildings).
_HOUSE_NODES = square(9001, -20, -20)
_HOUSE = (9000, ring(9001), {"building": "apartments"})


def _area(tmp_path, nodes, ways=(), relations=(), node_tags=None):
    """Read a tiny file; ``node_tags`` {node id: tags} turns nodes into tagged nodes."""
    text = osm_xml({**_HOUSE_NODES, **nodes}, [_HOUSE, *ways], relations)
    for nid, tags in (node_tags or {}).items():
        lon, lat = LON0 + nodes[nid][0] * 1e-4, LAT0 + nodes[nid][1] * 1e-4
        plain = f'<node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>'
        tagged = plain[:-2] + ">" + "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()) + "</node>"
        assert plain in text
        text = text.replace(plain, tagged)
    return read_osm(write(tmp_path / "sites.osm", text))


def _rule_tags(rule: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {k: ("service" if v == "*" else v) for k, v in rule}


# ---------------------------------------------------------------- one kind at a time


@pytest.mark.parametrize(("rule", "kind"), list(SITE_TAGS.items()), ids=lambda x: str(x))
def test_every_tag_rule_as_way_and_node(tmp_path, rule, kind):
    tags = {**_rule_tags(rule), "name": "Site"}
    area = _area(tmp_path, {**square(1, 0, 0), 50: (10, 10)}, ways=[(1, ring(1), tags)], node_tags={50: tags})
    f = area.site_features.set_index("osm_id")
    assert list(f.index) == ["n50", "w1"]
    assert list(f["kind"]) == [kind, kind]
    assert list(f["name"]) == ["Site", "Site"]
    assert f.loc["w1", "geometry"].geom_type == "MultiPolygon"
    assert f.loc["w1", "geometry"].area == pytest.approx(SQUARE_M2, rel=0.02)
    assert f.loc["n50", "geometry"].geom_type == "Point"
    assert area.report.read["site features"] == 2


def test_all_kinds_in_one_file(tmp_path):
    kinds = {
        "boiler_house": {"building": "boiler_house"},
        "chimney": {"man_made": "chimney"},
        "power_plant": {"power": "plant", "plant:source": "gas"},
        "generator": {"power": "generator", "generator:source": "gas"},
        "industrial": {"landuse": "industrial"},
        "parking": {"amenity": "parking", "parking": "surface"},
        "brownfield": {"landuse": "brownfield"},
        "grass": {"landuse": "grass"},
        "vacant": {"landuse": "vacant"},
    }
    nodes, ways = {}, []
    for i, tags in enumerate(kinds.values()):
        first = 10 * (i + 1)
        nodes.update(square(first, 5 * i, 0))
        ways.append((100 + i, ring(first), tags))
    area = _area(tmp_path, nodes, ways)
    f = area.site_features
    assert list(f.columns) == SITE_COLUMNS
    assert list(f["osm_id"]) == [f"w{100 + i}" for i in range(len(kinds))]
    assert list(f["kind"]) == list(kinds)
    assert set(f["kind"]) == set(SITE_TAGS.values())  # the table yields exactly these kinds
    assert f["name"].tolist() == [""] * len(kinds)
    assert (f.geometry.geom_type == "MultiPolygon").all() and f.geometry.is_valid.all()
    # Metric CRS: the area's UTM zone, areas in square metres.
    assert f.crs == area.crs == utm_crs_for(LON0, LAT0)
    assert f.crs.axis_info[0].unit_name == "metre"
    assert f.geometry.area.to_numpy() == pytest.approx(SQUARE_M2, rel=0.02)
    assert "site features: boiler_house 1, chimney 1" in " ".join(area.report.messages)
    # The buildings are unaffected: the boiler house is a building too.
    assert sorted(area.buildings["building_id"]) == ["w100", "w9000"]


def test_chimney_node_and_parking_node_are_points(tmp_path):
    nodes = {50: (0, 0), 51: (3, 0)}
    area = _area(tmp_path, nodes, node_tags={50: {"man_made": "chimney"}, 51: {"amenity": "parking"}})
    f = area.site_features.set_index("osm_id")
    assert f.loc["n50", "kind"] == "chimney" and f.loc["n51", "kind"] == "parking"
    assert (f.geometry.geom_type == "Point").all()
    # 0.0003 deg of longitude at 50 N: about 21.5 m apart, in metres.
    assert f.loc["n50", "geometry"].distance(f.loc["n51", "geometry"]) == pytest.approx(3 * 7.17, rel=0.01)


def test_first_matching_rule_wins():
    assert site_kind({"power": "plant", "landuse": "industrial"}) == ("power_plant", None)
    assert site_kind({"building": "boiler_house", "man_made": "chimney"}) == ("boiler_house", None)
    assert site_kind({"building": "industrial", "utility": "heating"}) == ("boiler_house", None)
    assert site_kind({"building": "no", "utility": "heating"}) == (None, None)
    assert site_kind({"industrial": "heating_station", "landuse": "industrial"}) == ("boiler_house", None)
    assert site_kind({"vacant": "yes"}) == ("vacant", None)
    assert site_kind({"landuse": "greenfield"}) == ("vacant", None)
    assert site_kind({"landuse": "residential", "amenity": "school"}) == (None, None)


def test_heating_tag_on_a_building_is_not_a_boiler_house(tmp_path):
    # heating=* says how the building is heated: a consumer, not a plant.
    area = _area(tmp_path, square(1, 0, 0), ways=[(1, ring(1), {"building": "apartments", "heating": "district"})])
    assert area.site_features.empty


# ---------------------------------------------------------------- exclusions


@pytest.mark.parametrize("value", ["multi-storey", "underground", "rooftop"])
def test_parking_without_ground_is_skipped(tmp_path, value):
    nodes = {**square(1, 0, 0), **square(11, 5, 0), 50: (10, 10), 51: (12, 10)}
    ways = [
        (1, ring(1), {"amenity": "parking", "parking": value, "building": "parking"}),
        (2, ring(11), {"amenity": "parking", "parking": "surface"}),
    ]
    node_tags = {50: {"amenity": "parking", "parking": value}, 51: {"amenity": "parking"}}
    area = _area(tmp_path, nodes, ways, node_tags=node_tags)
    f = area.site_features
    assert list(f["osm_id"]) == ["n51", "w2"]
    assert set(f["kind"]) == {"parking"}
    reason = f"site: parking={value} (cannot hold a plant)"
    assert area.report.dropped[reason] == 2
    assert any("w1" in m and "n50" in m for m in area.report.messages if f"parking={value}" in m)
    # A multi-storey parking stays a building (it needs no heat, but it is there).
    assert "w1" in set(area.buildings["building_id"])


def test_other_exclusions(tmp_path):
    nodes = {50: (0, 0), 51: (2, 0), 52: (4, 0), 53: (6, 0)}
    node_tags = {
        50: {"power": "generator", "generator:source": "solar"},
        51: {"power": "generator", "generator:source": "gas"},
        52: {"shop": "vacant", "vacant": "yes"},
        53: {"power": "plant", "plant:source": "wind"},
    }
    area = _area(tmp_path, nodes, node_tags=node_tags)
    assert list(area.site_features["osm_id"]) == ["n51"]
    assert area.report.dropped["site: generator:source=solar (cannot hold a plant)"] == 1
    assert area.report.dropped["site: shop=* (cannot hold a plant)"] == 1
    assert area.report.dropped["site: plant:source=wind (cannot hold a plant)"] == 1
    assert set(SITE_EXCLUDED) <= set(SITE_TAGS.values())


# ---------------------------------------------------------------- multipolygons and broken objects


def test_multipolygon_landuse_with_hole_and_two_outers(tmp_path):
    nodes = {**square(1, 0, 0, size=6), **square(11, 2, 2, size=2), **square(21, 10, 0)}
    ways = [(300, ring(1), {}), (301, ring(11), {}), (302, ring(21), {})]
    relations = [
        (7, [("w", 300, "outer"), ("w", 301, "inner"), ("w", 302, "outer")],
         {"type": "multipolygon", "landuse": "industrial", "name": "Zavod"}),
    ]
    area = _area(tmp_path, nodes, ways, relations)
    f = area.site_features.set_index("osm_id")
    assert list(f.index) == ["r7"]  # the untagged member ways are not features of their own
    shape = f.loc["r7", "geometry"]
    assert f.loc["r7", "kind"] == "industrial" and f.loc["r7", "name"] == "Zavod"
    assert shape.geom_type == "MultiPolygon" and len(shape.geoms) == 2 and shape.is_valid
    # 9 squares outer, 1 square hole, 1 square second outer.
    assert shape.area == pytest.approx(9 * SQUARE_M2, rel=0.02)
    assert sum(len(p.interiors) for p in shape.geoms) == 1


def test_multipolygon_from_split_outer_ways(tmp_path):
    # One outer ring drawn as two open ways, as large landuse areas usually are.
    nodes = square(1, 0, 0, size=4)
    ways = [(300, [1, 2, 3], {}), (301, [3, 4, 1], {})]
    relations = [(8, [("w", 300, "outer"), ("w", 301, "outer")], {"type": "multipolygon", "landuse": "grass"})]
    area = _area(tmp_path, nodes, ways, relations)
    f = area.site_features
    assert list(f["osm_id"]) == ["r8"] and list(f["kind"]) == ["grass"]
    assert f.geometry.iloc[0].area == pytest.approx(4 * SQUARE_M2, rel=0.02)


def test_broken_site_objects_are_dropped_and_counted(tmp_path):
    nodes = {
        **square(1, 0, 0),  # good
        **square(11, 5, 0),  # clipped: references a missing node
        21: (10, 0), 22: (12, 0), 23: (12, 2), 24: (10, 2),  # unclosed, far ends
        **square(31, 15, 0),  # member of a relation whose other member is missing
    }
    ways = [
        (1, ring(1), {"landuse": "brownfield"}),
        (2, [11, 12, 1313, 14, 11], {"landuse": "grass"}),
        (3, [21, 22, 23, 24], {"amenity": "parking"}),
        (4, ring(31), {}),
        (1, ring(1), {"landuse": "brownfield"}),  # duplicate id
    ]
    relations = [(9, [("w", 4, "outer"), ("w", 999, "outer")], {"type": "multipolygon", "landuse": "industrial"})]
    area = _area(tmp_path, nodes, ways, relations)
    assert list(area.site_features["osm_id"]) == ["w1"]
    dropped = area.report.dropped
    assert dropped["site: nodes missing from extract"] == 1
    assert dropped["site: unclosed way (ends 1 m or more apart)"] == 1
    assert dropped["site: relation member ways missing from extract"] == 1
    assert dropped["site: duplicate OSM id (first kept)"] == 1
    assert any("r9" in m for m in area.report.messages)
    assert len(area.buildings) == 1  # buildings are untouched by broken site objects


# ---------------------------------------------------------------- none, other importers, the study


def test_empty_when_there_are_none(tmp_path):
    area = _area(tmp_path, {})
    f = area.site_features
    assert f.empty and list(f.columns) == SITE_COLUMNS
    assert f.crs == area.crs
    assert area.report.read["site features"] == 0
    assert not any(k.startswith("site") for k in area.report.dropped)


def test_other_importers_give_an_empty_table(tmp_path):
    city = make_city(5)
    assert city.site_features.empty and list(city.site_features.columns) == SITE_COLUMNS
    assert city.site_features.crs == city.crs
    path = write_layers(tmp_path / "city.gpkg", {"buildings": city.buildings, "streets": city.streets})
    gis = read_gis(path)
    assert gis.site_features.empty and gis.site_features.crs == gis.crs


def test_schema_registered():
    assert TABLES["site_features"] is SITE_FEATURES
    assert SITE_FEATURES.required == ["osm_id", "kind"]


def test_demand_stage_stores_the_layer(tmp_path):
    nodes = {**square(1, 0, 0), 50: (10, 10)}
    ways = [(1, ring(1), {"landuse": "industrial"})]
    area = _area(tmp_path, nodes, ways, node_tags={50: {"man_made": "chimney"}})
    study = run_demand_stage(area)
    assert "site_features" in study.layers
    assert list(study.layers["site_features"]["osm_id"]) == ["n50", "w1"]
    # Saved in the input CRS with mixed geometry types, reopened in the metric one.
    back = open_study(study.save(tmp_path / "study.gpkg"))
    f = back.layers["site_features"]
    assert list(f["osm_id"]) == ["n50", "w1"] and list(f["kind"]) == ["chimney", "industrial"]
    assert list(f.geometry.geom_type) == ["Point", "MultiPolygon"]
    assert f.crs == area.crs
    assert f.geometry.area.iloc[1] == pytest.approx(area.site_features.geometry.area.iloc[1], rel=1e-6)
    # No features: no layer.
    assert "site_features" not in run_demand_stage(_area(tmp_path, {})).layers


# ---------------------------------------------------------------- the bundled sample


def _sample_counts() -> dict[tuple[str, str], int]:
    """Parking, industrial and grass objects of the sample, counted with osmium alone.

    A way counts when it is closed and all its nodes are in the file, a relation
    when every member way is; nodes always count.
    """
    path = str(sample_path())

    def kind(tags: osmium.osm.TagList) -> str | None:
        if tags.get("amenity") == "parking":
            return None if tags.get("parking") in ("multi-storey", "underground", "rooftop") else "parking"
        return {"industrial": "industrial", "grass": "grass"}.get(tags.get("landuse", ""))

    counts: dict[tuple[str, str], int] = {}
    complete_ways: set[int] = set()
    for obj in osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY).with_locations():
        k = kind(obj.tags)
        if isinstance(obj, osmium.osm.Way):
            if all(n.location.valid() for n in obj.nodes):
                complete_ways.add(obj.id)
            if k is None or not obj.is_closed() or obj.id not in complete_ways:
                continue
        if k is not None:
            key = (k, "w" if isinstance(obj, osmium.osm.Way) else "n")
            counts[key] = counts.get(key, 0) + 1
    for rel in osmium.FileProcessor(path, osmium.osm.RELATION):
        k = kind(rel.tags)
        multipolygon = rel.tags.get("type") == "multipolygon"
        complete = all(m.ref in complete_ways for m in rel.members if m.type == "w")
        if k is not None and multipolygon and complete:
            counts[(k, "r")] = counts.get((k, "r"), 0) + 1
    return counts


def test_sample_site_features(sample_area):
    f = sample_area.site_features
    assert list(f.columns) == SITE_COLUMNS and f["osm_id"].is_unique
    assert f.crs == sample_area.crs and f.crs.to_epsg() == 32637
    found = f.groupby([f["kind"], f["osm_id"].str[0]]).size().to_dict()
    assert found == _sample_counts()
    # The extract's parking lots (13 ways, 11 nodes), industrial (12 ways) and grass (10 ways).
    assert found[("parking", "w")] >= 13 and found[("parking", "n")] >= 11
    assert found[("industrial", "w")] >= 12 and found[("grass", "w")] >= 10
    assert set(f["kind"]) == {"parking", "industrial", "grass"}
    polys = f.geometry.geom_type == "MultiPolygon"
    assert (f.loc[~polys].geometry.geom_type == "Point").all()
    assert f.geometry.is_valid.all() and (f.loc[polys].geometry.area > 10).all()
    # Inside the extract's bounds (about 2.8 km x 2.1 km), in metres.
    minx, miny, maxx, maxy = sample_area.buildings.total_bounds
    cx, cy = shapely.get_coordinates(f.geometry.representative_point()).T
    assert ((cx > minx - 1000) & (cx < maxx + 1000) & (cy > miny - 1000) & (cy < maxy + 1000)).all()
