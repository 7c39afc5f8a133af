"""An infeasible requirement names the binding constraint and district and offers the relaxation."""

from __future__ import annotations

import pytest

from teplo.supply.model import SolveStatus
from teplo.supply.result import SitingInfeasibleError
from teplo.supply.siting import solve_siting

from .conftest import buildings, one_building_districts, resilience, settings, sites


def test_alpha_too_high_for_the_site_reports_nk_and_district(simple_catalogue):
    b = buildings([("A", 0, 0, 1500.0, "residential")])
    s = sites([("S1", 100, 0, 80.0)])  # room for one 2 MW module only
    d, mem = one_building_districts(b)
    with pytest.raises(SitingInfeasibleError) as err:
        solve_siting(d, mem, s, simple_catalogue, settings(resilience(nk=True, alpha=1.0)))
    assert "sites-nk" in str(err.value) and "DA" in str(err.value) and "S1" in str(err.value)
    relaxed = err.value.result
    assert relaxed.summary.status is SolveStatus.RELAXED
    row = relaxed.slack.iloc[0]
    assert row["constraint"] == "sites-nk" and row["districts"] == ["DA"]
    assert row["slack_kw"] == pytest.approx(1500.0, abs=1.0)  # 2 MW - 2 MW lost = 0 < 1.0 x 1.5 MW
    assert len(relaxed.units) >= 1  # the district is still supplied in the relaxation


def test_relax_mode_returns_a_flagged_plan(simple_catalogue):
    b = buildings([("A", 0, 0, 1500.0, "residential")])
    s = sites([("S1", 100, 0, 80.0)])
    d, mem = one_building_districts(b)
    plan = solve_siting(d, mem, s, simple_catalogue, settings(resilience(nk=True, alpha=1.0), on_infeasible="relax"))
    assert not plan.feasible
    assert plan.summary.binding and plan.summary.binding[0].startswith("sites-nk")


def test_no_candidate_in_reach_is_reported(simple_catalogue):
    b = buildings([("A", 0, 0, 1500.0, "residential"), ("FAR", 5000, 0, 800.0, "residential")])
    s = sites([("S1", 100, 0, 600.0)])
    d, mem = one_building_districts(b)
    with pytest.raises(SitingInfeasibleError) as err:
        solve_siting(d, mem, s, simple_catalogue, settings(resilience()))
    assert "DFAR" in str(err.value) and "no candidate site" in str(err.value)
    assert err.value.result.summary.unreachable_districts == ["DFAR"]
    assert err.value.result.buildings.set_index("building_id").at["A", "site_id"] == "S1"


def test_site_loss_without_second_site_is_listed(simple_catalogue):
    b = buildings([("A", 0, 0, 1500.0, "residential")])
    s = sites([("S1", 100, 0, 600.0)])
    d, mem = one_building_districts(b)
    plan = solve_siting(d, mem, s, simple_catalogue, settings(resilience(site_loss=True)))
    assert plan.summary.no_backup_districts == ["DA"]


def test_district_no_site_can_hold_is_reported_not_failed(simple_catalogue):
    """Two 1.5 MW districts share the one site in reach, whose plot holds one 2 MW module only."""
    b = buildings([("A", 0, 0, 1500.0, "residential"), ("B", 200, 0, 1500.0, "residential")])
    s = sites([("S1", 100, 0, 80.0)])
    d, mem = one_building_districts(b)
    plan = solve_siting(d, mem, s, simple_catalogue, settings(resilience(), on_infeasible="relax"))
    assert plan.summary.status is SolveStatus.RELAXED
    assert plan.summary.n_districts == 1  # one district served, the other named, none silently lost
    lines = [m for m in plan.summary.binding if m.startswith("districts-assign")]
    assert len(lines) == 1 and ("DA" in lines[0] or "DB" in lines[0]) and "1500 kW unserved" in lines[0]
