"""Each resilience constraint on a small case with a hand-known answer."""

from __future__ import annotations

import pandas as pd

from teplo.supply.check import check_plan
from teplo.supply.siting import solve_siting

from .conftest import buildings, one_building_districts, resilience, settings, sites


def _solve(b, s, cat, res, **solver):
    d, mem = one_building_districts(b)
    return solve_siting(d, mem, s, cat, settings(res, **solver))


def _count(result, unit_type: str, site_id: str | None = None) -> int:
    u = result.units
    if site_id is not None:
        u = u.loc[u["site_id"] == site_id]
    return int((u["unit_type"] == unit_type).sum())


def _check(result, b, res) -> list:
    table = result.buildings.merge(b[["building_id", "design_load_kw", "priority"]], on="building_id")
    return check_plan(table, result.units, result.sites, settings(res))


def test_n1_forces_a_second_module(simple_catalogue):
    b = buildings([("A", 0, 0, 1500.0, "residential")])
    s = sites([("S1", 100, 0, 600.0)])
    off = _solve(b, s, simple_catalogue, resilience())
    on = _solve(b, s, simple_catalogue, resilience(nk=True))
    assert _count(off, "bmk_2mw") == 1  # 2 MW covers 1.5 MW
    assert _count(on, "bmk_2mw") == 2  # 2 x 2 MW - 2 MW = 2 MW >= 0.7 x 1.5 MW
    assert _check(on, b, resilience(nk=True)) == []


def test_site_loss_needs_a_second_site(simple_catalogue):
    b = buildings([("A", 0, 0, 3000.0, "residential")])
    s = sites([("S1", 100, 0, 600.0), ("S2", 400, 0, 600.0)])
    off = _solve(b, s, simple_catalogue, resilience())
    on = _solve(b, s, simple_catalogue, resilience(site_loss=True))
    assert off.summary.n_sites == 1
    assert on.summary.n_sites == 2
    row = on.districts.set_index("district_id").loc["DA"]
    assert {row["site_id"], row["backup_site_id"]} == {"S1", "S2"}
    assert _check(on, b, resilience(site_loss=True)) == []


def test_dispersion_forbids_two_big_sites_within_radius(simple_catalogue):
    b = buildings([("A", 0, 0, 6000.0, "residential"), ("B", 200, 0, 6000.0, "residential")])
    s = sites([("S1", 0, 50, 600.0), ("S2", 200, 50, 600.0), ("S3", -500, 0, 600.0), ("S4", 700, 0, 600.0)])
    off = _solve(b, s, simple_catalogue, resilience())
    on = _solve(b, s, simple_catalogue, resilience(dispersion=True))
    chosen_off = set(off.sites.loc[off.sites["chosen"], "site_id"])
    chosen_on = set(on.sites.loc[on.sites["chosen"], "site_id"])
    assert chosen_off == {"S1", "S2"}  # nearest sites, 12 MW within 300 m
    assert not {"S1", "S2"} <= chosen_on
    assert _check(on, b, resilience(dispersion=True)) == []
    assert any(v.constraint == "dispersion" for v in _check(off, b, resilience(dispersion=True)))


def test_blackout_buys_backup_power(simple_catalogue):
    b = buildings([("A", 0, 0, 1500.0, "residential")])
    s = sites([("S1", 100, 0, 600.0)])
    off = _solve(b, s, simple_catalogue, resilience())
    on = _solve(b, s, simple_catalogue, resilience(blackout=True))
    assert _count(off, "diesel_100kw") == 0
    assert _count(on, "diesel_100kw") == 1  # 30 kW of auxiliaries for one 2 MW module
    assert _check(on, b, resilience(blackout=True)) == []


def test_blackout_may_choose_chp(catalogue):
    cat = catalogue.loc[["bmk_1mw", "chp_1mw", "diesel_1mw"]]  # the only diesel is oversized and dear
    b = buildings([("A", 0, 0, 900.0, "residential")])
    s = sites([("S1", 100, 0, 600.0)])
    on = _solve(b, s, cat, resilience(blackout=True))
    power = on.units["power_kw"].sum()
    assert power >= on.units["aux_power_kw"].sum()
    assert set(on.units["kind"]) & {"chp", "diesel"}


def test_priority_hospital_gets_two_sites(simple_catalogue):
    b = buildings([("H", 0, 0, 500.0, "hospital")])
    s = sites([("S1", 100, 0, 600.0), ("S2", 300, 0, 600.0)])
    off = _solve(b, s, simple_catalogue, resilience())
    on = _solve(b, s, simple_catalogue, resilience(priority=True))
    assert off.districts["backup_site_id"].isna().all()
    row = on.districts.set_index("district_id").loc["DH"]
    assert row["backup_site_id"] in {"S1", "S2"} and row["backup_site_id"] != row["site_id"]
    spare = on.sites.set_index("site_id").loc[row["backup_site_id"]]
    assert spare["heat_kw"] - spare["load_kw"] >= 500.0
    assert _check(on, b, resilience(priority=True)) == []


def test_all_constraints_together_pass_the_independent_check(catalogue):
    b = buildings([("A", 0, 0, 2500.0, "residential"), ("B", 250, 0, 1800.0, "hospital"),
                   ("C", 0, 300, 3000.0, "school")])
    s = sites([("S1", 50, 50, 600.0), ("S2", 300, 100, 600.0), ("S3", -300, 200, 600.0),
               ("S4", 200, 500, 600.0), ("S5", -200, -300, 600.0)])
    res = resilience(nk=True, site_loss=True, dispersion=True, blackout=True, priority=True)
    plan = _solve(b, s, catalogue, res)
    assert plan.feasible
    assert _check(plan, b, res) == []
    assert plan.summary.capex_eur > 0 and plan.summary.cost_eur_per_mwh > 0
    assert 0.0 <= plan.summary.gap <= 1e-3


def test_check_catches_a_broken_plan(simple_catalogue):
    b = buildings([("A", 0, 0, 1500.0, "residential"), ("B", 150, 0, 6000.0, "residential")])
    s = sites([("S1", 0, 60, 600.0), ("S2", 150, 60, 600.0), ("S3", 900, 0, 600.0)])
    res = resilience(nk=True, dispersion=True)
    plan = _solve(b, s, simple_catalogue, res)
    assert _check(plan, b, res) == []
    table = plan.buildings.merge(b[["building_id", "design_load_kw", "priority"]], on="building_id")
    site_a = plan.buildings.set_index("building_id").at["A", "site_id"]
    fewer = plan.units.drop(plan.units.index[plan.units["site_id"] == site_a][:1])
    found = {v.constraint for v in check_plan(table, fewer, plan.sites, settings(res))}
    assert "n-1" in found
    extra = pd.concat([plan.units, plan.units.assign(site_id="S2", unit_id=lambda u: u["unit_id"] + "x")])
    found = {v.constraint for v in check_plan(table, extra, plan.sites, settings(res))}
    assert "dispersion" in found
