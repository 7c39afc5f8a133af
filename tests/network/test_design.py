"""The network design stage: route per site, size within the limits, solve the design state."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point

from teplo.errors import InputError
from teplo.network.design import NetworkSettings, design_network, nearest_site
from teplo.network.street_graph import add_sites, build_network_graph
from tests.network.conftest import CRS, block_buildings, grid_streets, sites_at


def _buildings(load_kw: float = 400.0) -> gpd.GeoDataFrame:
    b = block_buildings(5, 5, 2)
    b["heated"] = True
    b["design_load_kw"] = load_kw
    b["dhw_mean_kw"] = 0.08 * load_kw
    return b


def test_design_meets_limits_and_supplies_everyone() -> None:
    streets, b = grid_streets(5, 5), _buildings()
    sites = sites_at([(0.0, 0.0), (400.0, 400.0)])
    d = design_network(b, streets, sites)
    assert d.totals["buildings_unsupplied"] == 0
    assert d.totals["buildings_connected"] == len(b)
    assert (d.pipes["velocity_m_s"].abs() <= 2.5 + 1e-9).all()
    # every consumer at full design load: space heat is not diversified, so the limit holds
    assert (d.pipes["dp_pa_per_m"] <= 150.0 * 1.02).all(), d.pipes["dp_pa_per_m"].max()
    delivered = d.totals["delivered_kw"]
    assert delivered == pytest.approx(b["design_load_kw"].sum(), rel=1e-3)
    # energy: producers give delivered + losses
    prod = d.hydraulics.producers["heat_w"].sum() / 1e3
    assert prod == pytest.approx(delivered + d.totals["heat_loss_kw"], rel=1e-3)
    # trench totals add up and cost only new pipe
    assert d.trench_by_dn["trench_m"].sum() / 1e3 == pytest.approx(d.totals["route_km"])
    assert d.totals["cost_eur"] > 0


def test_each_site_gets_its_own_network() -> None:
    streets, b = grid_streets(5, 5), _buildings()
    sites = sites_at([(0.0, 0.0), (400.0, 400.0)])
    d = design_network(b, streets, sites)
    assert set(d.pipes["site_id"]) == {"s0", "s1"}
    g = add_sites(build_network_graph(streets, b), sites)
    area = nearest_site(g)
    # the buildings routed to a site are its supply area (nearest along the streets)
    assert area.value_counts().to_dict() == d.hydraulics.consumers.assign(
        site=lambda f: f.index.map(area)
    )["site"].value_counts().to_dict()


def test_bigger_loads_give_bigger_pipes() -> None:
    streets = grid_streets(5, 5)
    sites = sites_at([(0.0, 0.0)])
    small = design_network(_buildings(100.0), streets, sites)
    big = design_network(_buildings(1000.0), streets, sites)
    assert big.pipes["dn"].max() > small.pipes["dn"].max()
    assert big.totals["cost_eur"] > small.totals["cost_eur"]


def test_load_beyond_dn500_names_the_pipes() -> None:
    streets, b = grid_streets(5, 5), _buildings(5_000.0)  # 125 MW on one site
    with pytest.raises(InputError, match="more than DN500"):
        design_network(b, streets, sites_at([(0.0, 0.0)]))


def test_site_out_of_reach_is_named() -> None:
    streets, b = grid_streets(5, 5), _buildings()
    far = gpd.GeoDataFrame({"site_id": ["far"]}, geometry=[Point(5_000.0, 5_000.0)], crs=CRS)
    with pytest.raises(InputError, match="far"):
        design_network(b, streets, far)


def test_existing_pipe_reused_and_flagged_when_too_small() -> None:
    streets, b = grid_streets(5, 5), _buildings(600.0)
    sites = sites_at([(0.0, 0.0)])
    # a DN25 main along the first street out of the site: reused at no trench cost, too small
    old = gpd.GeoDataFrame({"dn": [25], "laying_year": [1985]},
                           geometry=[LineString([(0.0, 0.0), (100.0, 0.0)])], crs=CRS)
    d = design_network(b, streets, sites, existing=old)
    reused = d.pipes[d.pipes["existing"]]
    assert len(reused) > 0 and (reused["cost_eur"] == 0).all()
    assert reused["too_small"].any()
    assert any("too small" in w for w in d.warnings)
    assert d.totals["reused_km"] > 0


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="max_dp_pa_per_m"):
        NetworkSettings(max_dp_pa_per_m=-1.0)
    with pytest.raises(ValueError, match="extra"):
        NetworkSettings(unknown=1)  # type: ignore[call-arg]


def test_regime_changes_pipe_sizes() -> None:
    streets, b = grid_streets(5, 5), _buildings(800.0)
    sites = sites_at([(0.0, 0.0)])
    low = design_network(b, streets, sites, settings=NetworkSettings(regime="95/70"))
    high = design_network(b, streets, sites, settings=NetworkSettings(regime="130/70"))
    # a larger temperature difference carries the same heat with less water
    assert np.average(high.pipes["dn"], weights=high.pipes["length_m"]) < np.average(
        low.pipes["dn"], weights=low.pipes["length_m"]
    )
