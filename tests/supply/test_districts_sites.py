"""Micro-districts and candidate sites."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from teplo.supply.candidates import candidate_arcs, dispersion_circles
from teplo.supply.distance import StreetIndex
from teplo.supply.districts import make_districts
from teplo.supply.settings import DistrictSettings, SiteSettings
from teplo.supply.sites import candidate_sites, sites_from_osm

from .conftest import CRS, buildings, sites


def grid_streets(n: int, block: float) -> gpd.GeoDataFrame:
    """A square grid of n x n blocks of ``block`` m; node id = i * (n + 1) + j."""
    c = np.arange(n + 1) * block
    ii, jj = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    nid = ii * (n + 1) + jj
    u = np.concatenate([nid[:, :-1].ravel(), nid[:-1, :].ravel()])
    v = np.concatenate([nid[:, 1:].ravel(), nid[1:, :].ravel()])
    xy = np.column_stack([c[ii.ravel()], c[jj.ravel()]])
    lines = shapely.linestrings(np.stack([xy[u], xy[v]], axis=1))
    return gpd.GeoDataFrame({"u": u, "v": v, "length_m": shapely.length(lines)}, geometry=lines, crs=CRS)


def city(n: int = 6, block: float = 200.0, seed: int = 1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        for j in range(n):
            for k in range(4):
                x = i * block + 60 + (k % 2) * 70 + rng.uniform(0, 5)
                y = j * block + 60 + (k // 2) * 70 + rng.uniform(0, 5)
                rows.append((f"b{i}-{j}-{k}", x, y, float(rng.uniform(150, 700)), "residential"))
    return buildings(rows)


def test_districts_respect_load_and_radius_and_are_deterministic():
    b = city()
    streets = grid_streets(6, 200.0)
    index = StreetIndex.from_streets(streets)
    cfg = DistrictSettings(min_load_kw=1000.0, max_load_kw=4000.0, max_radius_m=350.0)
    one = make_districts(b, cfg, index)
    two = make_districts(b, cfg, index)
    pd.testing.assert_frame_equal(one.membership, two.membership)
    d = one.districts
    assert d["design_load_kw"].sum() == pytest.approx(b["design_load_kw"].sum(), rel=1e-12)
    assert (d["design_load_kw"] <= 4000.0 + 1e-6).all()
    assert (d["radius_m"] <= 350.0 + 1e-6).all()
    assert set(one.membership["building_id"]) == set(b["building_id"])
    assert d["district_id"].is_unique and (d["n_buildings"] >= 1).all()
    assert one.report["detour_factor"] >= 1.0  # the straight-line proxy is calibrated on the streets


def test_street_distance_is_never_shorter_than_the_straight_line():
    index = StreetIndex.from_streets(grid_streets(4, 100.0))
    a = np.array([[10.0, 50.0], [150.0, 20.0], [330.0, 330.0]])
    b = np.array([[90.0, 60.0], [20.0, 390.0], [5.0, 5.0]])
    d = index.paired(a, b)
    assert np.all(d >= np.hypot(*(a - b).T) - 1e-9)
    # (10, 50) -> (90, 60) on a 100 m grid: 10 m to the x = 0 street, up 50 m to (0, 100), 100 m along
    # y = 100, down 40 m to (100, 60), 10 m to the point: 210 m (the way round y = 0 is 230 m)
    assert d[0] == pytest.approx(210.0, abs=1e-6)


def test_osm_kinds_names_and_distance_filter():
    b = buildings([("home", 0, 0, 300.0, "residential"), ("school", 300, 0, 300.0, "school")])
    features = gpd.GeoDataFrame({
        "osm_id": ["p1", "p2", "b1", "x1"],
        "kind": ["parking", "parking", "industrial", "bus_stop"],
        "name": ["", "", "Котельня №5", ""],
    }, geometry=[shapely.box(20, -5, 40, 5),     # 20 m from home: fine (>= 15 m)? its centre is at 30 m
                 shapely.box(305, 15, 330, 35),  # centre ~25 m from the school edge: too close (< 25 m)
                 shapely.box(-200, -200, -150, -150), shapely.Point(500, 500)], crs=CRS)
    osm = sites_from_osm(features)
    assert set(osm["kind"]) == {"parking", "boiler_house"}  # industrial with a boiler-house name; bus stops ignored
    assert osm.set_index("site_id").at["osm-b1", "existing"]
    res = candidate_sites(b, osm=features, settings=SiteSettings(generate="never"))
    assert "osm-p2" not in set(res.sites["site_id"])
    assert res.dropped == {"too_close_to_buildings": 1}
    assert {"osm-p1", "osm-b1"} <= set(res.sites["site_id"])


def test_generated_sites_sit_beside_streets_clear_of_buildings():
    b = city(4)
    streets = grid_streets(4, 200.0)
    res = candidate_sites(b, streets=streets, settings=SiteSettings(generate="always", spacing_m=60.0))
    gen = res.sites.loc[res.sites["source"] == "generated"]
    assert len(gen) > 10
    pts = gen.geometry.to_numpy()
    assert shapely.distance(pts[:, None], b.geometry.to_numpy()[None, :]).min() >= 15.0 + np.sqrt(400 / np.pi) - 1e-6
    assert shapely.distance(pts, shapely.union_all(streets.geometry.to_numpy())).max() <= 15.0 + 1e-6
    assert gen["site_id"].is_unique


def test_arcs_offer_the_nearest_spread_out_sites_and_circles_drop_dominated_ones():
    d = pd.DataFrame({"district_id": ["D1"], "x": [0.0], "y": [0.0], "radius_m": [100.0]})
    s = sites([("a", 50, 0, 400.0), ("b", 60, 0, 400.0), ("c", 300, 0, 400.0), ("d", 2000, 0, 400.0)])
    index = StreetIndex(None, np.zeros((0, 2)), 1.0)
    arcs = candidate_arcs(d, s, index, pipe_reach_m=1000.0, k=3, min_spacing_m=100.0)
    assert list(arcs["site_id"]) == ["a", "c"]  # b is within 100 m of a; d beyond reach
    circles = dispersion_circles(s, 300.0)
    groups = circles.groupby("circle_id")["site_id"].apply(frozenset)
    assert frozenset({"a", "b", "c"}) in set(groups)
    assert frozenset({"a", "b"}) not in set(groups)  # contained in {a, b, c}
