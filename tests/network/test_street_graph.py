"""Street graph: cleaning, building and site connection, components, existing pipes."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from teplo.errors import InputError, TeploWarning
from teplo.network.existing import add_existing_pipes
from teplo.network.street_graph import NetworkGraph, add_sites, build_network_graph

from .conftest import CRS, block_buildings, grid_streets, sites_at


def streets(rows: list[tuple[str, str, list[tuple[float, float]]]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"street_id": [r[0] for r in rows], "highway": [r[1] for r in rows]},
        geometry=[LineString(r[2]) for r in rows],
        crs=CRS,
    )


def buildings(rows: list[tuple[str, float, tuple[float, float, float, float]]], **cols: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"building_id": [r[0] for r in rows], "design_load_kw": [r[1] for r in rows], **cols},
        geometry=[box(*r[2]) for r in rows],
        crs=CRS,
    )


NO_BUILDINGS = gpd.GeoDataFrame({"building_id": []}, geometry=[], crs=CRS)


def street_edges(g: NetworkGraph) -> gpd.GeoDataFrame:
    return g.edges[g.edges["kind"] == "street"]


# ------------------------------------------------------------------ cleaning


def test_cleaning_merges_close_ends_drops_motorway_and_zero_length() -> None:
    s = streets(
        [
            ("a", "residential", [(0, 0), (100, 0)]),
            ("b", "residential", [(100.3, 0.2), (100, 80)]),  # starts 0.36 m from a's end
            ("m", "motorway", [(0, 50), (200, 50)]),
            ("z", "residential", [(100, 80), (100.1, 80.1)]),  # shorter than the merge tolerance
        ]
    )
    g = build_network_graph(s, NO_BUILDINGS)
    e = street_edges(g)
    assert g.report["dropped_excluded_highway"] == 1
    assert g.report["dropped_zero_length"] == 1
    assert len(e) == 2
    assert g.n_nodes == 3  # (0,0), the merged (100,0), (100,80)
    assert set(e["street_id"]) == {"a", "b"}
    ends = e[["u", "v"]].to_numpy()
    assert len(np.intersect1d(ends[0], ends[1])) == 1  # a and b share the merged node
    assert g.report["vertices_merged"] >= 1


def test_allowed_highways_keeps_only_those_classes() -> None:
    s = streets([("a", "residential", [(0, 0), (100, 0)]), ("m", "motorway", [(0, 50), (200, 50)])])
    g = build_network_graph(s, NO_BUILDINGS, allowed_highways=["motorway"])
    assert list(street_edges(g)["street_id"]) == ["m"]


def test_split_at_shared_interior_vertex_and_duplicates() -> None:
    s = streets(
        [
            ("long", "residential", [(0, 0), (100, 0), (200, 0)]),
            ("t", "residential", [(100, 0), (100, 100)]),  # ends on long's interior vertex
            ("dup", "residential", [(0, 0.5), (100, 0.5)]),  # same street as long's first half
        ]
    )
    g = build_network_graph(s, NO_BUILDINGS)
    e = street_edges(g)
    assert g.report["split_at_shared_vertex"] >= 1
    assert g.report["dropped_duplicate"] == 1
    assert len(e) == 3  # 0-100, 100-200, 100-(100,100)
    assert np.isclose(e["length_m"].sum(), 300.0)
    deg = np.bincount(e[["u", "v"]].to_numpy().ravel())
    assert sorted(deg.tolist()) == [1, 1, 1, 3]


def test_distinct_parallel_streets_and_loops_are_kept() -> None:
    s = streets(
        [
            ("straight", "residential", [(0, 0), (100, 0)]),
            ("crescent", "residential", [(0, 0), (50, 40), (100, 0)]),
            ("loop", "residential", [(100, 0), (150, 50), (200, 0), (100, 0)]),
        ]
    )
    g = build_network_graph(s, NO_BUILDINGS)
    e = street_edges(g)
    assert g.report["split_parallel"] == 1
    assert g.report["split_self_loop"] == 1
    total = sum(shapely.length(s.geometry.values))
    assert np.isclose(e["length_m"].sum(), total)
    sg = g.simple()
    assert len(sg.a) == len(e)  # simple: no parallel edges, no loops


def test_bad_street_input_is_named() -> None:
    s = gpd.GeoDataFrame({"highway": ["residential"]}, geometry=[Point(0, 0)], crs=CRS)
    with pytest.raises(InputError, match="row"):
        build_network_graph(s, NO_BUILDINGS)
    with pytest.raises(InputError, match="highway"):
        build_network_graph(gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1, 0)])], crs=CRS), NO_BUILDINGS)
    geo = streets([("a", "residential", [(36.0, 50.0), (36.1, 50.0)])]).set_crs(4326, allow_override=True)
    with pytest.raises(InputError, match="geographic"):
        build_network_graph(geo, NO_BUILDINGS)


# ------------------------------------------------------------- connections


def test_buildings_split_edges_and_lengths_add_up() -> None:
    s = streets([("a", "residential", [(0, 0), (100, 0)]), ("b", "residential", [(100, 0), (100, 100)])])
    b = buildings(
        [
            ("b1", 100.0, (20, 10, 40, 30)),  # centroid projects to x = 30
            ("b2", 200.0, (60, 10, 80, 30)),  # x = 70
            ("b3", 50.0, (60, -30, 80, -10)),  # same projection as b2: shares its tap
            ("b4", 10.0, (-10, 10, 0.2, 20)),  # projects within 0.5 m of the end node
        ]
    )
    g = build_network_graph(s, b)
    e = street_edges(g)
    assert np.isclose(e["length_m"].sum(), 200.0)
    assert (g.nodes["kind"] == "tap").sum() == 2
    service = g.edges[g.edges["kind"] == "service"]
    assert len(service) == 4
    assert np.allclose(np.sort(service["length_m"]), [9.9, 10.0, 10.0, 10.0], atol=0.2)
    # pieces of street a, in order along it: 30, 40, 30 m
    a = e[e["street_id"] == "a"].sort_values("length_m")
    assert np.allclose(sorted(a["length_m"]), [30.0, 30.0, 40.0])
    # every edge geometry runs from u to v
    xy = shapely.get_coordinates(g.nodes.geometry.values)
    start = shapely.get_coordinates(shapely.get_point(g.edges.geometry.values, 0))
    end = shapely.get_coordinates(shapely.get_point(g.edges.geometry.values, -1))
    assert np.allclose(start, xy[g.edges["u"]]) and np.allclose(end, xy[g.edges["v"]])
    assert list(g.building_nodes().index) == ["b1", "b2", "b3", "b4"]
    assert g.nodes.set_index("building_id").loc["b2", "design_load_kw"] == 200.0


def test_unheated_skipped_and_far_building_reported() -> None:
    s = streets([("a", "residential", [(0, 0), (100, 0)])])
    b = buildings(
        [("h", 100.0, (20, 10, 40, 30)), ("cold", 0.0, (60, 10, 80, 30)), ("far", 80.0, (20, 400, 40, 420))],
        heated=[True, False, True],
    )
    with pytest.warns(TeploWarning, match="1 heated building"):
        g = build_network_graph(s, b)
    assert g.unconnected_buildings == ["far"]
    assert list(g.building_nodes().index) == ["h"]
    assert g.report["buildings_heated"] == 2


def test_components_are_reported_with_buildings_and_load() -> None:
    s = streets([("a", "residential", [(0, 0), (100, 0)]), ("b", "residential", [(500, 0), (600, 0)])])
    b = buildings(
        [("x1", 100.0, (20, 10, 40, 30)), ("x2", 50.0, (60, 10, 80, 30)), ("y1", 70.0, (520, 10, 540, 30))]
    )
    g = build_network_graph(s, b)
    comp = g.components()
    assert len(comp) == 2
    assert comp.loc[0, "building_ids"] == ["x1", "x2"] and comp.loc[0, "design_load_kw"] == 150.0
    assert comp.loc[1, "building_ids"] == ["y1"] and comp.loc[1, "n_sites"] == 0
    assert g.report["components"] == 2


def test_sites_connect_or_raise() -> None:
    g = build_network_graph(grid_streets(3, 3), block_buildings(3, 3, 1))
    g2 = add_sites(g, sites_at([(-20.0, 50.0)]))
    site = g2.edges[g2.edges["kind"] == "site"]
    assert len(site) == 1 and np.isclose(site["length_m"].iloc[0], 20.0)
    assert list(g2.site_nodes().index) == ["s0"]
    assert g2.n_nodes == g.n_nodes + 2  # the site and its tap
    with pytest.raises(InputError, match=r"s0.*no street within 300"):
        add_sites(g, sites_at([(-1000.0, 0.0)]))
    with pytest.raises(InputError, match="duplicate or already connected"):
        add_sites(g2, sites_at([(-20.0, 50.0)]))


def test_networkx_and_adjacency_agree() -> None:
    g = add_sites(build_network_graph(grid_streets(3, 3), block_buildings(3, 3, 2)), sites_at([(0.0, -10.0)]))
    G = g.to_networkx()
    A = g.adjacency()
    assert G.number_of_nodes() == g.n_nodes
    assert G.number_of_edges() == A.nnz // 2
    assert (A != A.T).nnz == 0
    assert nx.is_connected(G)
    assert np.isclose(sum(d["length_m"] for _, _, d in G.edges(data=True)), g.edges["length_m"].sum())


# ----------------------------------------------------------- existing pipes


def test_existing_pipes_matched_and_added_off_street() -> None:
    g = build_network_graph(grid_streets(3, 2), NO_BUILDINGS)  # (0,0)-(200,100)
    pipes = gpd.GeoDataFrame(
        {"dn": [150, 80], "laying_year": [1985, None]},
        geometry=[
            LineString([(0, 3), (200, 3)]),  # along the bottom street, 3 m off
            LineString([(100, 0), (100, -60), (200, -60), (200, 0)]),  # a detour south of the streets
        ],
        crs=CRS,
    )
    ge = add_existing_pipes(g, pipes)
    matched = ge.edges[ge.edges["existing"] & (ge.edges["kind"] == "street")]
    assert len(matched) == 2 and set(matched["existing_dn"]) == {150}
    assert set(matched["laying_year"]) == {1985}
    added = ge.edges[ge.edges["kind"] == "existing"]
    assert len(added) == 1 and added["existing_dn"].iloc[0] == 80
    assert np.isclose(added["length_m"].iloc[0], 220.0, atol=1.0)
    assert ge.report["existing_edges_added"] == 1
    assert nx.is_connected(ge.to_networkx())


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (gpd.GeoDataFrame({"x": [1]}, geometry=[LineString([(0, 0), (1, 0)])], crs=CRS), "missing column 'dn'"),
        (gpd.GeoDataFrame({"dn": [100, -50]}, geometry=[LineString([(0, 0), (1, 0)])] * 2, crs=CRS), r"row\(s\) \[1\]"),
        (gpd.GeoDataFrame({"dn": [100.5]}, geometry=[LineString([(0, 0), (1, 0)])], crs=CRS), r"row\(s\) \[0\]"),
        (gpd.GeoDataFrame({"dn": [100, 100]}, geometry=[LineString([(0, 0), (1, 0)]), Point(0, 0)], crs=CRS), r"row\(s\) \[1\].*line"),
        (gpd.GeoDataFrame({"dn": [100], "laying_year": ["old"]}, geometry=[LineString([(0, 0), (1, 0)])], crs=CRS), "laying_year"),
    ],
)
def test_malformed_existing_pipes_name_the_row(frame: gpd.GeoDataFrame, match: str) -> None:
    g = build_network_graph(grid_streets(2, 2), NO_BUILDINGS)
    with pytest.raises(InputError, match=match):
        add_existing_pipes(g, frame)
