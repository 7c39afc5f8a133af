"""Routing: Steiner heuristic against the exact MILP, flows, sites, existing pipes, rings, scale."""

from __future__ import annotations

import time
import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString

from teplo.errors import InputError, TeploWarning
from teplo.network.existing import add_existing_pipes
from teplo.network.routing import close_rings, route, route_to_frames
from teplo.network.routing_milp import fit_linear_cost
from teplo.network.street_graph import NetworkGraph, add_sites, build_network_graph

from .conftest import (
    CRS,
    block_buildings,
    grid_streets,
    jittered_grid,
    pipe_cost_eur_per_m,
    random_buildings,
    sites_at,
)

EUR_PER_M = 500.0


def constant_cost(flow_kw: np.ndarray) -> np.ndarray:
    """A flat 500 EUR/m: routing becomes the plain Steiner problem."""
    return np.full(np.shape(flow_kw), EUR_PER_M)


def small_case(seed: int, n_buildings: int = 12) -> NetworkGraph:
    g = build_network_graph(jittered_grid(5, 4, seed), random_buildings(n_buildings, (400.0, 300.0), seed))
    return add_sites(g, sites_at([(-15.0, 150.0)]))


def line_case() -> NetworkGraph:
    """One street, three buildings south of it, a site at its west end."""
    s = gpd.GeoDataFrame(
        {"street_id": ["a"], "highway": ["residential"]}, geometry=[LineString([(0, 0), (300, 0)])], crs=CRS
    )
    b = gpd.GeoDataFrame(
        {"building_id": ["b1", "b2", "b3"], "design_load_kw": [100.0, 200.0, 300.0]},
        geometry=[shapely.box(x - 5, -30, x + 5, -10) for x in (50.0, 150.0, 250.0)],
        crs=CRS,
    )
    return add_sites(build_network_graph(s, b), sites_at([(0.0, 20.0)]))


# ------------------------------------------------------------ tree and flows


def test_line_route_flows_orientation_and_costs() -> None:
    g = line_case()
    r = route(g, ["b1", "b2", "b3"], ["s0"], cost_eur_per_m=pipe_cost_eur_per_m)
    e = r.edges
    t = r.totals
    assert t["n_buildings"] == 3 and r.unreachable == []
    assert np.isclose(t["length_m"], 20 + 250 + 3 * 10)  # site link, street to the last tap, services
    site_node = int(g.site_nodes()["s0"])
    first = e.iloc[0]
    assert first["u"] == site_node and first["kind"] == "site"
    assert np.isclose(first["design_flow_kw"], 600.0) and first["n_downstream"] == 3
    # flows fall along the street: 600 -> 500 -> 300
    street = e[e["kind"] == "street"]
    assert np.allclose(sorted(street["design_flow_kw"], reverse=True), [600.0, 500.0, 300.0])
    # parents come before children, and geometry runs from u (upstream) to v
    seen = {site_node}
    for u, v in zip(e["u"], e["v"], strict=True):
        assert u in seen
        seen.add(v)
    xy = shapely.get_coordinates(g.nodes.geometry.values)
    assert np.allclose(shapely.get_coordinates(shapely.get_point(e.geometry.values, 0)), xy[e["u"]])
    assert np.allclose(e["cost_eur"], e["length_m"] * pipe_cost_eur_per_m(e["design_flow_kw"].to_numpy()))
    assert np.isclose(t["cost_eur"], e["cost_eur"].sum())
    assert (r.parent.loc[site_node] == -1) and len(r.parent) == len(e) + 1
    assert set(r.building_site) == {"s0"}


def test_design_load_override_and_validation() -> None:
    g = line_case()
    r = route(g, ["b1", "b2"], None, cost_eur_per_m=constant_cost, design_load_kw={"b1": 1.0, "b2": 2.0})
    assert np.isclose(r.edges.iloc[0]["design_flow_kw"], 3.0)
    with pytest.raises(InputError, match="b2"):
        route(g, ["b1", "b2"], None, cost_eur_per_m=constant_cost, design_load_kw={"b1": 1.0})
    with pytest.raises(InputError, match="not in the network graph"):
        route(g, ["nope"], None, cost_eur_per_m=constant_cost)
    with pytest.raises(InputError, match="add_sites"):
        route(g, ["b1"], ["s9"], cost_eur_per_m=constant_cost)
    with pytest.raises(InputError, match="same shape"):
        route(g, ["b1"], None, cost_eur_per_m=lambda f: np.float64(1.0))  # type: ignore[arg-type,return-value]
    with pytest.raises(InputError, match="method"):
        route(g, ["b1"], None, cost_eur_per_m=constant_cost, method="magic")  # type: ignore[arg-type]


def test_no_buildings_gives_an_empty_route() -> None:
    r = route(line_case(), [], None, cost_eur_per_m=pipe_cost_eur_per_m, method="milp")
    assert len(r.edges) == 0 and r.totals["cost_eur"] == 0.0 and r.milp is None


def test_unreachable_buildings_are_reported() -> None:
    s = gpd.GeoDataFrame(
        {"street_id": ["a", "b"], "highway": "residential"},
        geometry=[LineString([(0, 0), (100, 0)]), LineString([(500, 0), (600, 0)])],
        crs=CRS,
    )
    b = gpd.GeoDataFrame(
        {"building_id": ["near", "island"], "design_load_kw": [10.0, 20.0]},
        geometry=[shapely.box(40, 10, 60, 20), shapely.box(540, 10, 560, 20)],
        crs=CRS,
    )
    g = add_sites(build_network_graph(s, b), sites_at([(0.0, -10.0)]))
    with pytest.warns(TeploWarning, match="cannot be reached"):
        r = route(g, None, None, cost_eur_per_m=constant_cost)
    assert r.unreachable == ["island"]
    assert list(r.building_site.index) == ["near"]


# ----------------------------------------------------- heuristic versus MILP


@pytest.mark.parametrize("seed", range(6))
def test_heuristic_within_two_of_exact_milp(seed: int) -> None:
    g = small_case(seed)
    heur = route(g, None, None, cost_eur_per_m=constant_cost)
    exact = route(g, None, None, cost_eur_per_m=constant_cost, method="milp", mip_gap=1e-9)
    info = exact.milp
    assert info is not None and info.termination == "optimal"
    h = heur.totals["cost_eur"]
    assert h >= info.bound_eur * (1 - 1e-9)
    assert h <= 2.0 * info.objective_eur
    assert exact.totals["cost_eur"] <= h + 1e-6
    assert np.isclose(exact.totals["cost_eur"], info.objective_eur, rtol=1e-9)
    print(f"seed {seed}: heuristic / optimum = {h / info.objective_eur:.4f}")


@pytest.mark.parametrize("seed", [2, 3])
def test_heuristic_optimal_on_some_cases(seed: int) -> None:
    g = small_case(seed)
    heur = route(g, None, None, cost_eur_per_m=constant_cost)
    exact = route(g, None, None, cost_eur_per_m=constant_cost, method="milp", mip_gap=1e-9)
    assert exact.milp is not None
    assert np.isclose(heur.totals["cost_eur"], exact.milp.objective_eur, rtol=1e-9)


def test_line_case_heuristic_is_optimal() -> None:
    g = line_case()
    heur = route(g, None, None, cost_eur_per_m=constant_cost)
    exact = route(g, None, None, cost_eur_per_m=constant_cost, method="milp", mip_gap=1e-9)
    assert exact.milp is not None
    assert np.isclose(heur.totals["cost_eur"], exact.milp.objective_eur)
    assert np.isclose(heur.totals["cost_eur"], EUR_PER_M * 300.0)


def test_heuristic_no_worse_than_networkx_mehlhorn() -> None:
    for seed in range(4):
        g = small_case(seed)
        heur = route(g, None, None, cost_eur_per_m=constant_cost)
        G = g.to_networkx()
        terminals = [*g.building_nodes().to_numpy(), *g.site_nodes().to_numpy()]
        tree = nx.algorithms.approximation.steiner_tree(G, terminals, weight="length_m", method="mehlhorn")
        ref = EUR_PER_M * sum(d["length_m"] for _, _, d in tree.edges(data=True))
        assert heur.totals["cost_eur"] <= ref * (1 + 1e-9)


def test_milp_district_of_60_buildings_within_one_percent() -> None:
    g = build_network_graph(grid_streets(7, 6), block_buildings(7, 6, 2, seed=3))
    g = add_sites(g, sites_at([(-20.0, 250.0), (620.0, 250.0)]))
    assert len(g.building_nodes()) == 60
    t0 = time.perf_counter()
    r = route(g, None, None, cost_eur_per_m=pipe_cost_eur_per_m, method="milp", mip_gap=0.01, time_limit_s=45)
    info = r.milp
    assert info is not None
    print(
        f"MILP 60 buildings: {time.perf_counter() - t0:.1f} s, gap {info.gap:.4f}, "
        f"heuristic {info.heuristic_cost_eur:.0f} EUR, MILP route {info.milp_cost_eur:.0f} EUR"
    )
    assert info.gap <= 0.01 + 1e-9
    assert info.objective_eur <= info.heuristic_objective_eur + 1e-6
    assert r.totals["cost_eur"] <= info.heuristic_cost_eur + 1e-6
    assert r.totals["n_buildings"] == 60


def test_linear_cost_fit() -> None:
    fit = fit_linear_cost(lambda f: 400.0 + 0.05 * f, 10_000.0)
    assert np.isclose(fit.alpha_eur_per_m, 400.0) and np.isclose(fit.beta_eur_per_m_kw, 0.05)
    flat = fit_linear_cost(constant_cost, 5_000.0)
    assert np.isclose(flat.alpha_eur_per_m, EUR_PER_M) and flat.beta_eur_per_m_kw == 0.0


def test_expected_size_iterations_keep_the_cheapest() -> None:
    g = add_sites(build_network_graph(grid_streets(6, 6), block_buildings(6, 6, 2)), sites_at([(-20.0, -20.0)]))
    r = route(g, None, None, cost_eur_per_m=pipe_cost_eur_per_m, n_iterations=3)
    assert 1 <= len(r.iterations) <= 3
    assert np.isclose(r.totals["cost_eur"], r.iterations["cost_eur"].min())


# -------------------------------------------------------------- many sites


def test_several_sites_give_a_forest() -> None:
    g = add_sites(
        build_network_graph(grid_streets(6, 4), block_buildings(6, 4, 2)),
        sites_at([(-20.0, 150.0), (520.0, 150.0)]),
    )
    r = route(g, None, None, cost_eur_per_m=pipe_cost_eur_per_m)
    assert r.totals["n_sites_used"] == 2
    assert set(r.building_site) == {"s0", "s1"}
    G = nx.Graph()
    G.add_edges_from(zip(r.edges["u"], r.edges["v"], strict=True))
    assert nx.is_forest(G) and nx.number_connected_components(G) == 2
    # every edge is fed by the site of its tree
    for comp in nx.connected_components(G):
        sites = set(r.edges[r.edges["u"].isin(comp)]["site_id"])
        assert len(sites) == 1
    frames = route_to_frames(r)
    assert set(frames.producers["site_id"]) == {"s0", "s1"}
    assert np.isclose(frames.producers["design_load_kw"].sum(), frames.consumers["design_load_kw"].sum())
    assert frames.producers["n_buildings"].sum() == len(frames.consumers)


# --------------------------------------------------------- existing pipes


def test_existing_pipes_are_reused_at_zero_cost() -> None:
    # a 5 x 2 grid; the site at the west end; buildings near the east end
    s = grid_streets(5, 2)
    b = gpd.GeoDataFrame(
        {"building_id": ["e1", "e2"], "design_load_kw": [300.0, 200.0]},
        geometry=[shapely.box(370, 40, 380, 60), shapely.box(420, 40, 430, 60)],
        crs=CRS,
    )
    g = add_sites(build_network_graph(s, b), sites_at([(-20.0, 50.0)]))
    plain = route(g, None, None, cost_eur_per_m=pipe_cost_eur_per_m)
    # an old DN 100 pipe along the northern street, all the way east
    pipes = gpd.GeoDataFrame({"dn": [100]}, geometry=[LineString([(0, 102), (400, 102)])], crs=CRS)
    ge = add_existing_pipes(g, pipes)
    reuse = route(ge, None, None, cost_eur_per_m=pipe_cost_eur_per_m)
    e = reuse.edges
    assert e["existing"].any()
    assert (e.loc[e["existing"], "cost_eur"] == 0).all()
    assert (e.loc[e["existing"], "existing_dn"] == 100).all()
    assert (e.loc[e["existing"], "design_flow_kw"] > 0).all()  # existing pipes still carry flow
    assert reuse.totals["cost_eur"] < plain.totals["cost_eur"]
    assert reuse.totals["reused_m"] >= 350.0
    frames = route_to_frames(reuse)
    assert (frames.pipes.loc[frames.pipes["existing"], "dn"] == 100).all()
    assert frames.pipes.loc[~frames.pipes["existing"], "dn"].isna().all()


# ------------------------------------------------------------------ rings


def test_rings_close_a_loop_with_reported_cost() -> None:
    g = add_sites(
        build_network_graph(grid_streets(6, 4), block_buildings(6, 4, 2)),
        sites_at([(-20.0, 150.0), (520.0, 150.0)]),
    )
    r = route(g, None, None, cost_eur_per_m=pipe_cost_eur_per_m)
    rr = close_rings(r, g, cost_eur_per_m=pipe_cost_eur_per_m, max_ring_length_m=500.0)
    ring = rr.edges[rr.edges["ring"]]
    assert len(ring) > 0
    G = nx.Graph()
    G.add_edges_from(zip(rr.edges["u"], rr.edges["v"], strict=True))
    assert len(nx.cycle_basis(G)) > 0
    t = rr.totals
    assert np.isclose(t["ring_length_m"], ring["length_m"].sum())
    assert np.isclose(t["ring_cost_eur"], (ring["length_m"] * pipe_cost_eur_per_m(ring["design_flow_kw"].to_numpy())).sum())
    assert np.isclose(t["cost_eur"], r.totals["cost_eur"] + t["ring_cost_eur"])
    # the two sites' trees are now joined, by a ring sized to back-feed the smaller district
    assert nx.number_connected_components(G) == 1
    smaller = r.edges[r.edges["kind"] == "site"]["design_flow_kw"].min()
    assert np.isclose(ring["design_flow_kw"], smaller).any()
    # the tree itself is unchanged
    pd.testing.assert_frame_equal(rr.edges[~rr.edges["ring"]].reset_index(drop=True), r.edges)
    via_route = route(g, None, None, cost_eur_per_m=pipe_cost_eur_per_m, rings=True)
    assert np.isclose(via_route.totals["ring_cost_eur"], t["ring_cost_eur"])


def test_rings_respect_the_length_limit() -> None:
    g = add_sites(build_network_graph(grid_streets(4, 4), block_buildings(4, 4, 1)), sites_at([(-20.0, 150.0)]))
    r = route(g, None, None, cost_eur_per_m=pipe_cost_eur_per_m)
    rr = close_rings(r, g, cost_eur_per_m=pipe_cost_eur_per_m, max_ring_length_m=1.0)
    assert rr.totals["ring_length_m"] == 0.0


# ----------------------------------------------------------- determinism


def test_same_input_same_route() -> None:
    a = route(small_case(5, 20), None, None, cost_eur_per_m=pipe_cost_eur_per_m)
    b = route(small_case(5, 20), None, None, cost_eur_per_m=pipe_cost_eur_per_m)
    pd.testing.assert_frame_equal(a.edges, b.edges)
    pd.testing.assert_frame_equal(a.nodes, b.nodes)
    assert a.building_site.equals(b.building_site)


def test_frames_pipes_point_away_from_producers() -> None:
    r = route(small_case(1, 15), None, None, cost_eur_per_m=pipe_cost_eur_per_m)
    f = route_to_frames(r)
    D = nx.DiGraph()
    D.add_edges_from(zip(f.pipes["from_node"], f.pipes["to_node"], strict=True))
    producer = int(f.producers["node_id"].iloc[0])
    assert set(f.consumers["node_id"]) <= nx.descendants(D, producer)
    assert all(D.in_degree(n) == 1 for n in D.nodes if n != producer)
    assert list(f.nodes.columns) == ["node_id", "kind", "building_id", "site_id", "geometry"]


# ------------------------------------------------------------------ scale


def test_scale_2000_buildings_5_sites() -> None:
    streets = grid_streets(26, 21)  # 25 x 20 blocks of 100 m
    buildings = block_buildings(26, 21, 4, seed=7)
    sites = sites_at([(-20.0, 1000.0), (2520.0, 1000.0), (1250.0, -20.0), (1250.0, 2020.0), (1250.0, 1000.0)])
    t0 = time.perf_counter()
    g = add_sites(build_network_graph(streets, buildings), sites)
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = route(g, None, None, cost_eur_per_m=pipe_cost_eur_per_m)
    t2 = time.perf_counter()
    print(
        f"\n2000 buildings / 5 sites: graph {t1 - t0:.2f} s ({g.n_nodes} nodes, {len(g.edges)} edges), "
        f"route {t2 - t1:.2f} s ({len(r.iterations)} iterations), {r.totals['length_m'] / 1000:.1f} km"
    )
    print(r.building_site.value_counts().to_dict())
    assert r.totals["n_buildings"] == 2000
    # sites have no capacity in routing: buildings hang wherever the forest is cheapest
    assert set(r.building_site) <= {"s0", "s1", "s2", "s3", "s4"}


def test_frames_match_declared_tables() -> None:
    from teplo.network.tables import NETWORK_NODES, PIPES
    from teplo.schema import TABLES, check_columns

    assert TABLES["pipes"] is PIPES and TABLES["network_nodes"] is NETWORK_NODES
    f = route_to_frames(route(line_case(), None, None, cost_eur_per_m=pipe_cost_eur_per_m))
    check_columns(f.pipes, PIPES, "pipes")
    check_columns(f.nodes, NETWORK_NODES, "network_nodes")
    declared = {c.name for c in PIPES.columns}
    assert set(f.pipes.columns) - {"geometry"} <= declared
