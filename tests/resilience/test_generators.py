"""Scenario generators: N-k counts and sampling, strikes, valve sections, blackouts, gas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from teplo.resilience.generators import (
    blackouts,
    capped_combinations,
    gas_interruptions,
    n_minus_k,
    pipe_breaks,
    strike_masks,
    strikes,
    valve_sections,
)
from teplo.resilience.synthetic import synthetic_system
from teplo.resilience.system import StressSystem, build_system

from .conftest import buildings_table, sites_table, units_table


@pytest.fixture(scope="module")
def small() -> StressSystem:
    s = synthetic_system(120, 10, 2.0, seed=5)
    return build_system(s.buildings, s.units, s.sites, s.pipes, s.network_nodes)


def test_n_minus_1_and_2_counts(small: StressSystem) -> None:
    n = len(small.units)
    one = n_minus_k(small, "units", 1)
    two = n_minus_k(small, "units", 2)
    assert len(one) == n and one.units.count().tolist() == [1] * n
    assert len(two) == n * (n - 1) // 2 and (two.units.count() == 2).all()
    assert len(set(two.meta["scenario_id"])) == len(two)
    assert len(n_minus_k(small, "sites", 2)) == math.comb(len(small.sites), 2)


def test_n_minus_k_capped_sampling_is_deterministic(small: StressSystem) -> None:
    n = len(small.units)
    a = n_minus_k(small, "units", 2, cap=50, seed=7)
    b = n_minus_k(small, "units", 2, cap=50, seed=7)
    c = n_minus_k(small, "units", 2, cap=50, seed=8)
    assert len(a) == 50 < n * (n - 1) // 2
    assert a.meta["scenario_id"].tolist() == b.meta["scenario_id"].tolist()
    assert a.meta["scenario_id"].tolist() != c.meta["scenario_id"].tolist()
    combos = capped_combinations(1000, 3, 5000, seed=1)
    assert combos.shape == (5000, 3)
    assert (np.diff(combos, axis=1) > 0).all()  # sorted, distinct members
    assert len(np.unique(combos, axis=0)) == 5000  # distinct subsets


def test_strike_radius_picks_exactly_the_units_inside() -> None:
    b = buildings_table([{"id": "B1", "site_id": "S1"}])
    u = units_table([("U1", "S1", "bmk", 100.0), ("U2", "S2", "bmk", 100.0), ("U3", "S3", "bmk", 100.0),
                     ("U4", "S3", "bmk", 100.0)])
    s = sites_table([("S1", 0.0, 0.0), ("S2", 299.9, 0.0), ("S3", 0.0, 300.1)])
    system = build_system(b, u, s)
    sites, _ = strike_masks(system, np.array([[0.0, 0.0], [0.0, 600.0]]), 300.0)
    assert sites.toarray().tolist() == [[True, True, False], [False, False, True]]
    ss = strikes(system, np.array([[0.0, 0.0]]), 300.0)
    from teplo.resilience.availability import resolve_units

    lost = resolve_units(system, ss).at(0.0).toarray()[0]
    assert system.units.ids[lost].tolist() == ["U1", "U2"]


def test_strike_hits_pipes_crossing_the_circle(small: StressSystem) -> None:
    geom = small.network.pipe_geometry
    assert geom is not None
    centre = shapely.centroid(geom[5])
    xy = np.array([[shapely.get_x(centre), shapely.get_y(centre)]])
    _, pipes = strike_masks(small, xy, 50.0)
    expect = shapely.dwithin(geom, centre, 50.0)
    assert (pipes.toarray()[0] == expect).all() and expect[5]
    sec = valve_sections(small)
    _, with_sections = strike_masks(small, xy, 50.0, sec)
    hit = with_sections.toarray()[0]
    assert set(np.unique(sec[hit])) == set(np.unique(sec[expect]))  # whole sections isolated


def test_valve_sections_split_at_branches_and_spacing() -> None:
    # a line a–b–c–d–e (each 400 m) with a branch at c: c–f
    import geopandas as gpd
    import pandas as pd

    from .conftest import CRS  # noqa: F401

    nodes = gpd.GeoDataFrame(
        {"node_id": list("abcdef"), "kind": ["site", "street", "street", "street", "building", "building"],
         "building_id": ["", "", "", "", "B1", "B2"], "site_id": ["S1", "", "", "", "", ""]},
        geometry=shapely.points([(0, 0), (400, 0), (800, 0), (1200, 0), (1600, 0), (800, 400)]), crs="EPSG:32636",
    )
    pipes = pd.DataFrame({"pipe_id": ["p1", "p2", "p3", "p4", "p5"], "from_node": list("abcdc"),
                          "to_node": list("bcdef"), "length_m": [400.0] * 5})
    b = buildings_table([{"id": "B1", "site_id": "S1"}, {"id": "B2", "site_id": "S1"}])
    system = build_system(b, units_table([("U1", "S1", "bmk", 500.0)]), sites_table([("S1", 0.0, 0.0)]), pipes, nodes)
    sec = valve_sections(system, spacing_m=1000.0)
    # valves at a (site) and c (branch): p1+p2 one section (800 m ≤ 1000), p3+p4 one, p5 alone
    assert sec[0] == sec[1] and sec[2] == sec[3] and len(set(sec.tolist())) == 3
    sec_short = valve_sections(system, spacing_m=500.0)
    assert len(set(sec_short.tolist())) == 5  # a valve at b and at d too
    breaks = pipe_breaks(system, sections=sec)
    assert len(breaks) == 3 and breaks.pipes.count().tolist() == [2, 2, 1]


def test_blackouts_and_gas_counts(small: StressSystem) -> None:
    n_f = len(small.power_feeders)
    bo = blackouts(small, (12.0, 48.0))
    assert len(bo) == 2 * (1 + n_f)
    assert bo.power_feeders.count()[0] == n_f  # city-wide first
    assert set(bo.power_feeders.t_on_h[: n_f].tolist()) == {12.0}
    assert len(gas_interruptions(small)) == len(small.gas_feeders)
