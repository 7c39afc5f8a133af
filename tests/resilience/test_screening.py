"""Screening: conservation, unaffected buildings, trees vs rings, multi-site islands, the network hook."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from teplo.resilience.availability import resolve_units
from teplo.resilience.generators import generate
from teplo.resilience.network_check import IslandView, ScenarioMask
from teplo.resilience.scenarios import Scenario, ScenarioSet
from teplo.resilience.screening import NETWORK, SCREENING, UNDECIDED, screen
from teplo.resilience.settings import GeneratorSettings, StressSettings
from teplo.resilience.synthetic import synthetic_system
from teplo.resilience.system import StressSystem, build_system

from .conftest import CRS, buildings_table, sites_table, units_table


@pytest.fixture(scope="module")
def city() -> tuple[StressSystem, ScenarioSet]:
    s = synthetic_system(200, 12, 2.0, seed=11, ring_share=0.3)
    system = build_system(s.buildings, s.units, s.sites, s.pipes, s.network_nodes)
    st = StressSettings(generators=GeneratorSettings(max_per_family=400, repair_h=20.0))
    return system, generate(system, temp_c=-20.0, radius_m=250.0, settings=st)


def test_supplied_heat_never_exceeds_available_capacity(city: tuple[StressSystem, ScenarioSet]) -> None:
    system, scenarios = city
    sup = screen(system, scenarios)
    units = resolve_units(system, scenarios)
    b = system.buildings
    temp = scenarios.meta["temp_c"].to_numpy()
    n, n_isl = len(scenarios), system.islands.n
    for e, t in enumerate(sup.grid.epochs_h):
        storage = t < system.storage_autonomy_h
        cap = system.islands.unit_capacity + (system.islands.storage_capacity if storage else 0)
        avail = system.islands.base_kw + (system.islands.storage_kw if storage else 0)
        avail = avail[None, :] - (units.at(t).astype(float) @ cap).toarray()
        demand = system.island_demand_kw(temp[:, None])  # S × I
        sel = sup.epoch == e
        shortfall = np.zeros((n, n_isl))
        d_b = system.building_demand_kw(temp[sup.scenario[sel]], sup.building[sel])
        np.add.at(shortfall, (sup.scenario[sel], b.island[sup.building[sel]]), (1 - sup.ratio[sel]) * d_b)
        supplied = demand - shortfall
        assert (supplied <= avail + 1e-6).all()
        assert (sup.ratio >= 0).all() and (sup.ratio < 1).all()


def test_unaffected_buildings_keep_full_supply(city: tuple[StressSystem, ScenarioSet]) -> None:
    system, scenarios = city
    sup = screen(system, scenarios)
    units = resolve_units(system, scenarios).lost
    pipes = scenarios.pipes.lost
    touched = np.zeros((len(scenarios), system.islands.n), dtype=bool)
    r, c = units.nonzero()
    touched[r, system.units.island[c]] = True
    r, c = pipes.nonzero()
    touched[r, system.network.pipe_island[c]] = True
    base_short = system.islands.base_kw < system.island_demand_kw(-20.0)
    touched[:, base_short] = True
    assert touched[sup.scenario, system.buildings.island[sup.building]].all()
    assert not (sup.scenario == 0).any()  # the base case: nothing reduced


def _chain(ring: bool) -> StressSystem:
    """Site s feeds B1–B3 along s–n1–n2–n3 (a tree); ``ring`` adds n3–s."""
    nodes = gpd.GeoDataFrame(
        {"node_id": ["s", "n1", "n2", "n3"], "kind": ["site", "building", "building", "building"],
         "building_id": ["", "B1", "B2", "B3"], "site_id": ["S1", "", "", ""]},
        geometry=shapely.points([(0, 0), (100, 0), (200, 0), (300, 0)]), crs=CRS,
    )
    edges = [("p1", "s", "n1"), ("p2", "n1", "n2"), ("p3", "n2", "n3")] + ([("p4", "n3", "s")] if ring else [])
    pipes = pd.DataFrame(edges, columns=["pipe_id", "from_node", "to_node"]).assign(length_m=100.0)
    b = buildings_table([{"id": f"B{k}", "site_id": "S1", "xy": (100.0 * k, 0.0)} for k in (1, 2, 3)])
    u = units_table([("U1", "S1", "bmk", 400.0)])
    return build_system(b, u, sites_table([("S1", 0.0, 0.0)]), pipes, nodes)


def test_break_in_a_tree_is_decided_and_cuts_the_branch_off() -> None:
    system = _chain(ring=False)
    s = ScenarioSet.from_scenarios(system, [Scenario("brk", lost={"pipes": ["p3"]})])
    sup = screen(system, s)
    assert sup.status.tolist() == [SCREENING]
    assert system.buildings.ids[sup.building].tolist() == ["B3"] and sup.ratio.tolist() == [0.0]


def test_break_in_a_ring_goes_to_the_network_check() -> None:
    system = _chain(ring=True)
    s = ScenarioSet.from_scenarios(system, [Scenario("brk", lost={"pipes": ["p3"]})])
    sup = screen(system, s)  # default proxy: the ring still connects B3, capacity suffices
    assert sup.status.tolist() == [UNDECIDED] and sup.building.size == 0
    calls: list[tuple[ScenarioMask, IslandView]] = []

    def check(mask: ScenarioMask, island: IslandView) -> np.ndarray:
        calls.append((mask, island))
        return np.where(island.building_ids == "B3", 0.5, 1.0)  # the ring carries only half

    sup2 = screen(system, s, network_check=check)
    assert len(calls) == 1
    mask, island = calls[0]
    assert mask.pipes_available.tolist() == [True, True, False, True]
    assert island.proxy_fraction.tolist() == [1.0, 1.0, 1.0]
    assert sup2.status.tolist() == [NETWORK]
    assert system.buildings.ids[sup2.building].tolist() == ["B3"] and sup2.ratio.tolist() == [0.5]


def test_network_check_not_called_when_screening_decides(two_islands: StressSystem) -> None:
    s = ScenarioSet.from_scenarios(two_islands, [Scenario("u1", lost={"units": ["U1"]})])

    def boom(mask: ScenarioMask, island: IslandView) -> np.ndarray:
        raise AssertionError("called")

    sup = screen(two_islands, s, network_check=boom)
    assert sup.status.tolist() == [SCREENING]
    # S1 keeps 600 kW for 3 × 300 · 40/43 kW at −20 °C: proportional share
    assert sup.ratio == pytest.approx(np.full(3, 600.0 / (900 * 40 / 43)))


def _two_sites(s1_units: int) -> StressSystem:
    """One island: S1 (s1_units × 300 kW) and S2 (300 kW) joined by a pipe; B1, B2 on S1, B3 on S2."""
    nodes = gpd.GeoDataFrame(
        {"node_id": ["a", "b", "x", "y", "z"], "kind": ["site", "site", "building", "building", "building"],
         "building_id": ["", "", "B1", "B2", "B3"], "site_id": ["S1", "S2", "", "", ""]},
        geometry=shapely.points([(0, 0), (500, 0), (50, 0), (100, 0), (450, 0)]), crs=CRS,
    )
    pipes = pd.DataFrame([("p1", "a", "x"), ("p2", "x", "y"), ("p3", "y", "z"), ("p4", "z", "b")],
                         columns=["pipe_id", "from_node", "to_node"]).assign(length_m=100.0)
    b = buildings_table([{"id": "B1", "site_id": "S1", "load_kw": 200.0}, {"id": "B2", "site_id": "S1", "load_kw": 200.0},
                         {"id": "B3", "site_id": "S2", "load_kw": 200.0}])
    u = units_table([(f"U{k}", "S1", "bmk", 300.0) for k in range(s1_units)] + [("V", "S2", "bmk", 300.0)])
    return build_system(b, u, sites_table([("S1", 0.0, 0.0), ("S2", 500.0, 0.0)]), pipes, nodes)


def test_multi_site_island_rerouting_is_undecided() -> None:
    system = _two_sites(2)
    assert system.islands.n == 1 and system.islands.n_sites.tolist() == [2]
    s = ScenarioSet.from_scenarios(system, [Scenario("v", lost={"units": ["V"]}), Scenario("u0", lost={"units": ["U0"]})])
    # losing S2's only unit: 600 kW still cover 558 kW, but from S1 through the pipes: undecided
    # losing one of S1's two units: S1 keeps 300 < its design share: undecided
    assert screen(system, s).status.tolist() == [UNDECIDED, UNDECIDED]
    roomy = _two_sites(3)
    s3 = ScenarioSet.from_scenarios(roomy, [Scenario("u0", lost={"units": ["U0"]})])
    # S1 keeps 600 kW ≥ its design delivery 900 · 558/1200: flows do not grow anywhere
    assert screen(roomy, s3).status.tolist() == [SCREENING]


def test_storage_counts_only_for_its_autonomy() -> None:
    # 200 kW BMK + 100 kW storage for 280 · 40/43 kW at −20 °C: full for 8 h (§3.3), then 200/260.5
    b = buildings_table([{"id": "B1", "site_id": "S1", "load_kw": 280.0}])
    u = units_table([("U1", "S1", "bmk", 200.0), ("T1", "S1", "storage", 100.0)])
    system = build_system(b, u, sites_table([("S1", 0.0, 0.0)]))
    s = ScenarioSet.from_scenarios(system, [Scenario("base")])
    sup = screen(system, s)
    assert sup.grid.epochs_h.tolist() == [0.0, 8.0]
    assert sup.epoch.tolist() == [1] and sup.ratio == pytest.approx([200.0 / (280.0 * 40 / 43)])
