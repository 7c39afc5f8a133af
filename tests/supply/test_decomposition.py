"""Decomposition, determinism and the cost-of-resilience comparison on small cities."""

from __future__ import annotations

import pandas as pd

from teplo.supply.check import check_plan
from teplo.supply.resilience_cost import compare_resilience
from teplo.supply.siting import plan_supply, solve_siting

from .conftest import buildings, one_building_districts, resilience, settings, sites


def row_city() -> tuple:
    """Eight districts along a line, 500 m apart, with two candidate sites each."""
    b = buildings([(f"B{i}", 500.0 * i, 0.0, 2000.0 + 300.0 * (i % 3), "hospital" if i == 3 else "residential")
                   for i in range(8)])
    s = sites([(f"N{i}", 500.0 * i + 80.0, 60.0, 600.0) for i in range(8)]
              + [(f"S{i}", 500.0 * i + 250.0, -60.0, 600.0) for i in range(8)])
    return b, s


def test_decomposed_plan_passes_the_check(catalogue):
    b, s = row_city()
    d, mem = one_building_districts(b)
    res = resilience(nk=True, dispersion=True, blackout=True, priority=True, cap_kw=6000.0)
    plan = solve_siting(d, mem, s, catalogue, settings(res, decompose="always", max_cluster_districts=2,
                                                       mip_gap=0.01, time_limit_s=60.0))
    assert plan.summary.decomposed and plan.summary.n_subproblems >= 3
    assert plan.feasible
    table = plan.buildings.merge(b[["building_id", "design_load_kw", "priority"]], on="building_id")
    assert check_plan(table, plan.units, plan.sites, settings(res)) == []
    assert plan.summary.bound_eur_a <= plan.summary.objective_eur_a + 1e-6


def test_two_solves_give_identical_tables(catalogue):
    b, s = row_city()
    res = resilience(nk=True, dispersion=True, blackout=True)
    cfg = settings(res, decompose="always", max_cluster_districts=3, mip_gap=0.01)
    one = plan_supply(b, s, catalogue, settings=cfg)
    two = plan_supply(b, s, catalogue, settings=cfg)
    pd.testing.assert_frame_equal(one.units, two.units)
    pd.testing.assert_frame_equal(one.buildings, two.buildings)
    pd.testing.assert_frame_equal(pd.DataFrame(one.sites.drop(columns="geometry")),
                                  pd.DataFrame(two.sites.drop(columns="geometry")))
    assert one.summary.objective_eur_a == two.summary.objective_eur_a


def test_cost_of_resilience_table(catalogue):
    b, s = row_city()
    cfg = settings(resilience(nk=True, site_loss=True, dispersion=True, blackout=True, priority=True),
                   mip_gap=0.01)
    cmp = compare_resilience(b, s, catalogue, settings=cfg)
    t = cmp.table
    assert list(t.index) == ["resilient", "least_cost", "central"]
    assert t.at["resilient", "annual_cost_eur"] >= t.at["least_cost", "annual_cost_eur"]
    assert t.at["resilient", "n1_worst_district_share"] >= 0.7 - 1e-9
    assert t.at["resilient", "site_loss_worst_district_share"] >= 0.5 - 1e-9
    assert t.at["least_cost", "site_loss_worst_district_share"] == 0.0
    assert t.at["central", "n_sites"] == 1 and t.at["central", "site_loss_city_share"] == 0.0
    assert t.at["central", "heat_mw"] >= t.at["resilient", "heat_mw"] - 1e-9
    assert (t["eur_per_mwh"] > 0).all()
