"""The city-wide LP: its certificate of what no plan can meet, and how it guides the decomposition."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from teplo.supply.candidates import candidate_arcs, dispersion_circles
from teplo.supply.decompose import Cluster, make_clusters, prior_shared_caps
from teplo.supply.distance import StreetIndex
from teplo.supply.guide import caps_the_area_allows, solve_city_lp
from teplo.supply.model import build_problem, solve_problem
from teplo.supply.result import dispersion_excess
from teplo.supply.siting import solve_siting

from .conftest import buildings, one_building_districts, resilience, settings, sites


def _problem(b: gpd.GeoDataFrame, s: gpd.GeoDataFrame, cat: pd.DataFrame, res, k: int = 5):
    d, _ = one_building_districts(b)
    cfg = settings(res)
    index = StreetIndex(None, np.zeros((0, 2)), cfg.districts.detour_factor)
    arcs = candidate_arcs(d, s, index, cfg.pipe_reach_m, k)
    circles = dispersion_circles(s, res.dispersion.radius_m, pd.Index(arcs["site_id"].unique()))
    return build_problem(d, s, arcs, circles, cat, cfg), d


def test_lp_certifies_the_least_dispersion_excess(catalogue):
    # three 6 MW districts whose only sites all lie within one 300 m circle: 18 MW in a 10 MW circle
    b = buildings([(f"B{i}", 100.0 * i, 0.0, 6000.0, "residential") for i in range(3)])
    s = sites([(f"S{i}", 100.0 * i, 50.0, 400.0) for i in range(3)])
    p, _ = _problem(b, s, catalogue, resilience(dispersion=True))
    lp = solve_city_lp(p, settings(resilience()).solver, 60.0)
    assert lp is not None
    assert lp.dispersion_excess_kw == pytest.approx(8000.0, abs=1.0)
    assert lp.other_slack_kw == pytest.approx(0.0, abs=1e-3)
    assert lp.capacity_kw.sum() == pytest.approx(18000.0, rel=1e-4)


def test_lp_finds_no_excess_where_the_cap_can_be_met(catalogue):
    # the same load spread 700 m apart: each site alone in its circle
    b = buildings([(f"B{i}", 700.0 * i, 0.0, 6000.0, "residential") for i in range(3)])
    s = sites([(f"S{i}", 700.0 * i, 50.0, 400.0) for i in range(3)])
    p, _ = _problem(b, s, catalogue, resilience(nk=True, dispersion=True))
    lp = solve_city_lp(p, settings(resilience()).solver, 60.0)
    assert lp is not None
    assert lp.dispersion_excess_kw == 0.0
    # every circle keeps the margin: the LP's capacities fit whole modules
    assert lp.capacity_kw.max() <= 0.95 * 10000.0 + 1e-3


def test_shared_circle_split_gives_each_cluster_its_lp_capacity_first(catalogue):
    # two districts, each with its own site; the two sites share one 300 m circle
    b = buildings([("A", 0.0, 0.0, 3000.0, "residential"), ("B", 250.0, 0.0, 5000.0, "residential")])
    s = sites([("SA", 0.0, 40.0, 400.0), ("SB", 250.0, 40.0, 400.0)])
    p, _ = _problem(b, s, catalogue, resilience(dispersion=True), k=1)
    clusters = [Cluster(0, pd.Index(["DA"]), pd.Index(["SA"])), Cluster(1, pd.Index(["DB"]), pd.Index(["SB"]))]
    capacity = pd.Series({"SA": 3000.0, "SB": 5000.0})
    caps = prior_shared_caps(p, clusters, capacity)
    for circle in p.circle_cap_kw.index:
        a, bb = caps[0][circle], caps[1][circle]
        assert a + bb == pytest.approx(10000.0)
        # LP capacity first, the free 2 MW split by the load each brings (3:5)
        assert a == pytest.approx(3000.0 + 2000.0 * 3 / 8, rel=1e-4)
        assert bb == pytest.approx(5000.0 + 2000.0 * 5 / 8, rel=1e-4)
    # without the LP, the split is by load alone
    plain = prior_shared_caps(p, clusters)
    assert plain[0].iloc[0] == pytest.approx(10000.0 * 3 / 8, rel=1e-4)


def test_clusters_keep_districts_with_the_sites_the_lp_uses(catalogue):
    # district DB is nearer to SA (so it would solve with DA), but the LP sends it to SC: it must solve with SC
    b = buildings([("A", 0.0, 0.0, 3000.0, "residential"), ("B", 400.0, 0.0, 1000.0, "residential"),
                   ("C", 1200.0, 0.0, 3000.0, "residential")])
    s = sites([("SA", 100.0, 0.0, 400.0), ("SC", 900.0, 0.0, 400.0)])
    p, d = _problem(b, s, catalogue, resilience(), k=2)
    share = np.where((p.arcs["district_id"] == "DB") & (p.arcs["site_id"] == "SA"), 0.0, 1.0)
    share = np.where((p.arcs["district_id"] == "DA") & (p.arcs["site_id"] == "SC"), 0.0, share)
    share = np.where((p.arcs["district_id"] == "DC") & (p.arcs["site_id"] == "SA"), 0.0, share)
    xy = d.set_index("district_id")[["x", "y"]]
    clusters = make_clusters(p, xy, 1, arc_share=share)
    where = {dist: c.cluster_id for c in clusters for dist in c.districts}
    owner = {site: c.cluster_id for c in clusters for site in c.sites}
    assert where["DB"] == owner["SC"]
    assert where["DA"] == owner["SA"] != owner["SC"]
    plain = make_clusters(p, xy, 1)
    assert {dist: c.cluster_id for c in plain for dist in c.districts}["DB"] == next(
        c.cluster_id for c in plain if "SA" in c.sites)


def test_dispersion_is_checked_on_the_whole_plan(catalogue):
    b = buildings([(f"B{i}", 100.0 * i, 0.0, 6000.0, "residential") for i in range(3)])
    s = sites([(f"S{i}", 100.0 * i, 50.0, 400.0) for i in range(3)])
    p, _ = _problem(b, s, catalogue, resilience(dispersion=True))
    units = pd.DataFrame({"site_id": ["S0", "S1", "S2"], "heat_kw": [4000.0, 4000.0, 1000.0]})
    assert dispersion_excess(p, units).empty  # 9 MW in the circle
    units.loc[2, "heat_kw"] = 3000.0
    over = dispersion_excess(p, units)
    assert len(over) >= 1 and over.max() == pytest.approx(1000.0)


def test_a_decomposed_plan_reports_the_lp_certificate(catalogue):
    b = buildings([(f"B{i}", 100.0 * i, 0.0, 6000.0, "residential") for i in range(3)]
                  + [(f"F{i}", 3000.0 + 700.0 * i, 0.0, 2000.0, "residential") for i in range(3)])
    s = sites([(f"S{i}", 100.0 * i, 50.0, 400.0) for i in range(3)]
              + [(f"T{i}", 3000.0 + 700.0 * i, 50.0, 400.0) for i in range(3)])
    d, mem = one_building_districts(b)
    cfg = settings(resilience(nk=True, dispersion=True), decompose="always", max_cluster_districts=2,
                   on_infeasible="relax")
    plan = solve_siting(d, mem, s, catalogue, cfg)
    sm = plan.summary
    assert sm.lp_dispersion_excess_kw == pytest.approx(8000.0, abs=1.0)
    assert not plan.feasible
    # the plan's own excess is at least what the LP proves necessary
    assert plan.slack.loc[plan.slack["constraint"] == "circles-dispersion", "slack_kw"].max() >= 8000.0 - 1.0
    assert sm.lp_time_s > 0
    assert any("too dense" in line and "18.00 MW" in line for line in sm.diagnosis)
    # only the dense circles may exceed 10 MW: their caps were raised to the LP's 18 MW plus the margin
    assert 1 <= sm.lp_raised_circles <= 3 and sm.lp_max_raise_kw == pytest.approx(8500.0)
    assert set(plan.slack.loc[plan.slack["constraint"] == "circles-dispersion", "key"]) <= {"S0", "S1", "S2"}
    assert sm.beyond_lp == 0  # every shortfall is one the LP proves no plan avoids


def test_city_lp_can_be_switched_off(catalogue):
    b = buildings([(f"B{i}", 700.0 * i, 0.0, 3000.0, "residential") for i in range(4)])
    s = sites([(f"S{i}", 700.0 * i, 50.0, 400.0) for i in range(4)])
    d, mem = one_building_districts(b)
    plan = solve_siting(d, mem, s, catalogue, settings(resilience(nk=True, dispersion=True), decompose="always",
                                                       max_cluster_districts=2, city_lp_share=0.0))
    assert plan.feasible
    assert np.isnan(plan.summary.lp_dispersion_excess_kw)


def _dense_and_avoidable(catalogue: pd.DataFrame):
    """Group A: 18 MW whose only sites share one 10 MW circle (8 MW excess no plan avoids).
    Group B, 3 km off: two 5.5 MW districts whose near sites share a circle (11 MW), with a dearer
    site 600 m away alone in its own: B can keep the cap, at some pipe cost."""
    b = buildings([(f"A{i}", 100.0 * i, 0.0, 6000.0, "residential") for i in range(3)]
                  + [("B0", 3000.0, 0.0, 5500.0, "residential"), ("B1", 3250.0, 0.0, 5500.0, "residential")])
    s = sites([(f"SA{i}", 100.0 * i, 50.0, 400.0) for i in range(3)]
              + [("SB0", 3000.0, 40.0, 400.0), ("SB1", 3250.0, 40.0, 400.0), ("SBF", 3125.0, 640.0, 400.0)])
    return _problem(b, s, catalogue, resilience(dispersion=True))


def test_relaxed_plan_exceeds_only_the_circles_that_need_it(catalogue):
    # with one excess e for all circles alone, B would use e for free and stay on its near sites; each
    # circle's own excess is penalised too, so B's circle keeps the cap and only A's circles exceed it
    p, _ = _dense_and_avoidable(catalogue)
    sol = solve_problem(p, settings(resilience()).solver, 60.0)
    assert not sol.status.is_ok
    over = sol.slack.loc[sol.slack["constraint"] == "circles-dispersion"]
    assert set(over["key"]) <= {"SA0", "SA1", "SA2"} and len(over) >= 1
    assert over["slack_kw"].max() == pytest.approx(8000.0, abs=200.0)
    assert "SBF" in set(sol.assignment.to_numpy())


def test_caps_the_area_allows_raise_only_the_dense_circles(catalogue):
    p, _ = _dense_and_avoidable(catalogue)
    lp = solve_city_lp(p, settings(resilience()).solver, 60.0)
    assert lp is not None and lp.dispersion_excess_kw == pytest.approx(8000.0, abs=1.0)
    caps = caps_the_area_allows(p, lp)
    raised = caps.loc[caps > p.circle_cap_kw]
    assert set(raised.index) <= {"SA0", "SA1", "SA2"} and len(raised) >= 1
    # the LP's 18 MW plus the 5 % margin, rounded up to 100 kW
    assert raised.max() == pytest.approx(18500.0)
    assert (caps.drop(raised.index) == p.circle_cap_kw.drop(raised.index)).all()
    # where the LP meets the cap, nothing is raised
    assert caps_the_area_allows(p, replace(lp, dispersion_excess_kw=0.0)).equals(p.circle_cap_kw.astype(float))
