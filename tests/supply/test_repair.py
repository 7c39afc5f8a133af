"""The repair pass: a neighbourhood of clusters that no single cluster can fix is merged and re-solved."""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from teplo.supply import siting
from teplo.supply.candidates import candidate_arcs, dispersion_circles
from teplo.supply.decompose import Cluster, Decomposed, circle_usage
from teplo.supply.distance import StreetIndex
from teplo.supply.model import SitingProblem, build_problem, solve_problem
from teplo.supply.model.start import plan_start
from teplo.supply.repair import repair_neighbourhoods, shortfall_kw
from teplo.supply.result import dispersion_excess

from .conftest import buildings, one_building_districts, resilience, settings, sites


def _problem(b: gpd.GeoDataFrame, s: gpd.GeoDataFrame, cat: pd.DataFrame, res) -> SitingProblem:
    d, _ = one_building_districts(b)
    cfg = settings(res)
    index = StreetIndex(None, np.zeros((0, 2)), cfg.districts.detour_factor)
    arcs = candidate_arcs(d, s, index, cfg.pipe_reach_m, 5)
    circles = dispersion_circles(s, res.dispersion.radius_m, pd.Index(arcs["site_id"].unique()))
    return build_problem(d, s, arcs, circles, cat, cfg)


def _dense_pair(catalogue: pd.DataFrame) -> SitingProblem:
    """Two 6 MW districts whose near sites SA, SB share one 10 MW circle; SC, 450 m on, is alone in its own."""
    b = buildings([("A", 0.0, 0.0, 6000.0, "residential"), ("B", 250.0, 0.0, 6000.0, "residential")])
    s = sites([("SA", 0.0, 40.0, 400.0), ("SB", 250.0, 40.0, 400.0), ("SC", 700.0, 40.0, 400.0)])
    return _problem(b, s, catalogue, resilience(dispersion=True))


def _units(p: SitingProblem, sols: list) -> pd.DataFrame:
    mods = pd.concat([s.modules for s in sols if len(s.modules)])
    return pd.DataFrame({"site_id": mods["site_id"],
                         "heat_kw": mods["count"] * p.heat["heat_kw"].reindex(mods["type"]).to_numpy()})


def _stuck_state(p: SitingProblem) -> Decomposed:
    """The state a Gauss-Seidel coordination can leave: cluster 1 took SB for DB first; DA's cluster
    owns only SA and is left 4 MW of the shared circle, so it is relaxed and the union is 2 MW over."""
    solver = settings(resilience()).solver
    c0 = Cluster(0, pd.Index(["DA"]), pd.Index(["SA"]))
    c1 = Cluster(1, pd.Index(["DB"]), pd.Index(["SB", "SC"]))
    p1 = p.subset(c1.districts, c1.sites, p.circle_cap_kw)
    s1 = solve_problem(p1, solver, 60.0)
    left = (p.circle_cap_kw - circle_usage(p1, s1).reindex(p.circle_cap_kw.index).fillna(0.0)).clip(lower=0.0)
    p0 = p.subset(c0.districts, c0.sites, left)
    s0 = solve_problem(p0, solver, 60.0)
    return Decomposed([c0, c1], [p0, p1], [s0, s1], 0)


def test_state_before_repair_breaks_the_cap(catalogue):
    p = _dense_pair(catalogue)
    dec = _stuck_state(p)
    assert dec.solutions[1].assignment["DB"] == "SB"  # the near site: cheapest for DB alone
    assert not dec.solutions[0].status.is_ok and shortfall_kw(dec.solutions[0]) > 0
    over = dispersion_excess(p, _units(p, dec.solutions))
    assert over.max() >= 2000.0 - 1.0  # 12 MW in the 10 MW circle of SA and SB


def test_repair_merges_the_neighbourhood_and_meets_the_cap(catalogue):
    p = _dense_pair(catalogue)
    dec = _stuck_state(p)
    fixed = repair_neighbourhoods(p, dec, settings(resilience()).solver, deadline=time.perf_counter() + 120.0)
    assert fixed.repaired == 1 and len(fixed.clusters) == 1
    merged = fixed.solutions[0]
    assert merged.status.is_ok and shortfall_kw(merged) == 0.0
    assert dispersion_excess(p, _units(p, fixed.solutions)).empty
    # one of the two districts now goes to SC, alone in its circle; the other keeps its near site
    assert sorted(merged.assignment.to_numpy()) in (["SA", "SC"], ["SB", "SC"])
    assert set(fixed.clusters[0].districts) == {"DA", "DB"}
    assert set(fixed.clusters[0].sites) == {"SA", "SB", "SC"}
    assert fixed.resolved == 1  # one neighbourhood tried


def test_repair_leaves_a_plan_that_meets_every_requirement_alone(catalogue):
    # the same districts 700 m apart: nothing to repair, the state comes back unchanged
    b = buildings([("A", 0.0, 0.0, 6000.0, "residential"), ("B", 700.0, 0.0, 6000.0, "residential")])
    s = sites([("SA", 0.0, 40.0, 400.0), ("SB", 700.0, 40.0, 400.0)])
    p = _problem(b, s, catalogue, resilience(dispersion=True))
    solver = settings(resilience()).solver
    clusters = [Cluster(0, pd.Index(["DA"]), pd.Index(["SA"])), Cluster(1, pd.Index(["DB"]), pd.Index(["SB"]))]
    problems = [p.subset(c.districts, c.sites, p.circle_cap_kw) for c in clusters]
    dec = Decomposed(clusters, problems, [solve_problem(q, solver, 60.0) for q in problems], 0)
    out = repair_neighbourhoods(p, dec, solver, deadline=time.perf_counter() + 60.0)
    assert out.repaired == 0 and out.resolved == 0
    assert [c.cluster_id for c in out.clusters] == [0, 1]


def test_repair_keeps_the_old_plan_when_out_of_time(catalogue):
    p = _dense_pair(catalogue)
    dec = _stuck_state(p)
    out = repair_neighbourhoods(p, dec, settings(resilience()).solver, deadline=time.perf_counter())
    assert out.repaired == 0 and out.solutions[0] is dec.solutions[0]


@pytest.mark.parametrize("share", [0.0, 0.5])
def test_plan_runs_the_repair_after_the_decomposition(catalogue, monkeypatch, share):
    # the decomposition is replaced by the stuck state above: the plan must come out feasible only with the
    # repair, and the summary must count the merged neighbourhood
    b = buildings([("A", 0.0, 0.0, 6000.0, "residential"), ("B", 250.0, 0.0, 6000.0, "residential")])
    s = sites([("SA", 0.0, 40.0, 400.0), ("SB", 250.0, 40.0, 400.0), ("SC", 700.0, 40.0, 400.0)])
    d, membership = one_building_districts(b)
    monkeypatch.setattr(siting, "solve_decomposed", lambda p, *args, **kw: _stuck_state(p))
    cfg = settings(resilience(dispersion=True), decompose="always", city_lp_share=0.0, repair_share=share,
                   on_infeasible="relax")
    plan = siting.solve_siting(d, membership, s, catalogue, cfg)
    assert plan.feasible is (share > 0), plan.summary.binding
    assert plan.summary.repaired_neighbourhoods == (1 if share > 0 else 0)
    over = dispersion_excess(_dense_pair(catalogue), plan.units[["site_id", "heat_kw"]])
    assert over.empty is (share > 0)
    if share > 0:
        assert "SC" in set(plan.districts["site_id"])
    else:
        assert set(plan.districts["site_id"]) == {"SA", "SB"}


def test_plan_start_reproduces_the_members_plans(catalogue):
    p = _dense_pair(catalogue)
    dec = _stuck_state(p)
    merged = p.subset(pd.Index(["DA", "DB"]), pd.Index(["SA", "SB", "SC"]), p.circle_cap_kw)
    start = plan_start(merged, dec.solutions)
    chosen = merged.arcs.loc[start["arcs-assign"] > 0.5, ["district_id", "site_id"]]
    assert dict(zip(chosen["district_id"], chosen["site_id"], strict=True)) == {"DA": "SA", "DB": "SB"}
    assert start["sites-open"].to_dict() == {"SA": 1.0, "SB": 1.0, "SC": 0.0}
    for sol in dec.solutions:
        for site, kind, count in sol.modules[["site_id", "type", "count"]].itertuples(index=False):
            assert start["units-count"].at[site, kind] == count
    # each open site's level is its largest module
    levels = start["units-level"]
    for site in ("SA", "SB"):
        held = start["units-count"].loc[site]
        assert levels.loc[site].sum() == 1.0
        assert levels.loc[site].idxmax() == merged.heat.loc[held.index[held > 0], "heat_kw"].max()
