"""Site-loss interconnectors: the pipe joining a district's network to its backup site's.

A 7 x 3 street grid (100 m blocks): district A (8 buildings of 300 kW, x < 200 m)
is served by site s0 at (0, 0) and backed up by s1 at (600, 200), which serves
district B (8 buildings, x > 400 m). The two blocks between carry no building,
so the two networks are 200 m of street apart.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from teplo.errors import InputError, TeploWarning
from teplo.network.design import NetworkDesign, NetworkSettings, design_network
from teplo.network.pipes import load_pipe_catalogue, pipe_capacity_kg_s
from teplo.network.water import heat_capacity_j_kgk
from teplo.pipeline import run_network_stage
from teplo.resilience import run_stress
from teplo.resilience.hydraulic_check import backfeed_valves, hydraulic_check, interconnector_links
from teplo.resilience.network_check import NetworkCheck
from teplo.study import Study
from tests.network.conftest import block_buildings, grid_streets, sites_at

LOAD_KW = 300.0
DHW_KW = 20.0
BETA = 0.5  # SiteLossSettings.beta default


def _buildings() -> gpd.GeoDataFrame:
    b = block_buildings(7, 3, 2, seed=1)
    x = b.geometry.centroid.x
    b = b[(x < 200) | (x > 400)].reset_index(drop=True)
    b["heated"] = True
    b["design_load_kw"] = LOAD_KW
    b["dhw_mean_kw"] = DHW_KW
    b["site_id"] = np.where(b.geometry.centroid.x < 300, "s0", "s1")
    b["district_id"] = np.where(b["site_id"] == "s0", "A", "B")
    b["backup_site_id"] = np.where(b["site_id"] == "s0", "s1", "")
    # stress-stage columns: design load = H·(20 − (−23)) + DHW
    b["h_w_k"] = (LOAD_KW - DHW_KW) * 1e3 / 43.0
    b["dhw_kw"] = DHW_KW
    b["tau_h"] = 28.0
    b["typology"] = "panel_9"
    b["residents"] = 100.0
    b["priority"] = "residential"
    return b


def _backup(b: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "building_id": b["building_id"],
            "backup_site_id": b["backup_site_id"],
            "backup_kw": np.where(b["backup_site_id"] != "", BETA * b["design_load_kw"], 0.0),
        }
    )


def _design(b: pd.DataFrame, backup: pd.DataFrame | None, **settings: float) -> NetworkDesign:
    return design_network(
        b,
        grid_streets(7, 3),
        sites_at([(0.0, 0.0), (600.0, 200.0)]),
        assignment=b.set_index("building_id")["site_id"],
        backup=backup,
        settings=NetworkSettings(**settings),
    )


@pytest.fixture(scope="module")
def joined() -> tuple[gpd.GeoDataFrame, NetworkDesign]:
    b = _buildings()
    return b, _design(b, _backup(b))


def _site_components(d: NetworkDesign) -> tuple[int, int]:
    """Connected-component labels of the s0 and s1 plant nodes in the pipes graph."""
    ids = pd.Index(d.nodes["node_id"].astype(str))
    u = ids.get_indexer(d.pipes["from_node"].astype(str))
    v = ids.get_indexer(d.pipes["to_node"].astype(str))
    g = coo_array((np.ones(len(u)), (u, v)), shape=(len(ids), len(ids)))
    _, label = connected_components(g.tocsr(), directed=False)
    site = d.nodes.set_index("node_id")
    s0 = ids.get_loc(str(site.index[(site["kind"] == "site") & (site["site_id"] == "s0")][0]))
    s1 = ids.get_loc(str(site.index[(site["kind"] == "site") & (site["site_id"] == "s1")][0]))
    return int(label[s0]), int(label[s1])


def test_interconnector_joins_the_two_networks(joined: tuple[gpd.GeoDataFrame, NetworkDesign]) -> None:
    _, d = joined
    ic = d.pipes[d.pipes["interconnector"]]
    assert len(ic) > 0 and ic["ring"].all() and ic["site_id"].isna().all()
    a, z = _site_components(d)
    assert a == z  # one connected pipe graph from s0 to s1
    # it is a street path between the networks: 200 m across the two empty blocks
    assert ic["length_m"].sum() == pytest.approx(200.0, abs=1.0)
    assert d.totals["interconnector_km"] == pytest.approx(ic["length_m"].sum() / 1e3)
    assert d.totals["interconnector_cost_eur"] == pytest.approx(ic["cost_eur"].sum())
    assert d.totals["interconnector_cost_eur"] > 0
    assert d.totals["interconnectors"] == 1 and d.totals["interconnectors_not_built"] == 0
    pair = d.interconnectors.iloc[0]
    assert (pair["site_a"], pair["site_b"], bool(pair["built"])) == ("s0", "s1", True)
    # its ends are nodes of the two networks, its inner nodes its own
    ends = set(ic["from_node"]) ^ set(ic["to_node"])
    assert {e.split(":")[0] for e in ends} == {"s0", "s1"}


def test_interconnector_is_sized_for_the_backup_load(joined: tuple[gpd.GeoDataFrame, NetworkDesign]) -> None:
    b, d = joined
    ic = d.pipes[d.pipes["interconnector"]]
    need_kw = BETA * b.loc[b["site_id"] == "s0", "design_load_kw"].sum()  # beta x district A's load
    assert need_kw == pytest.approx(1200.0)
    assert np.allclose(ic["design_flow_kw"], need_kw)
    assert np.allclose(ic["sizing_flow_kw"], need_kw)
    cat = load_pipe_catalogue()
    cap = pipe_capacity_kg_s(cat, 150.0, 2.5, 95.0, 70.0)
    kg_s = need_kw * 1e3 / (float(heat_capacity_j_kgk(82.5)) * 25.0)
    k = int(np.searchsorted(cap, kg_s))
    assert cap[k - 1] < kg_s <= cap[k]  # the smallest DN that carries it, not one smaller
    assert (ic["dn"] == int(cat["dn"].iloc[k])).all()
    per_m = float(cat.set_index("dn").loc[int(cat["dn"].iloc[k]), "cost_eur_per_m"])
    assert ic["cost_eur"].sum() == pytest.approx(per_m * ic["length_m"].sum())


def test_design_state_with_closed_interconnectors(joined: tuple[gpd.GeoDataFrame, NetworkDesign]) -> None:
    """Interconnectors carry nothing at design; the paths the backup takes through the networks are upsized."""
    b, d = joined
    alone = _design(b, None)
    ic = d.pipes[d.pipes["interconnector"]]
    assert (ic["mass_flow_kg_s"].fillna(0.0) == 0.0).all()
    assert not d.hydraulic_tables[1].set_index("pipe_id").loc[ic["pipe_id"], "valve_open"].any()
    assert d.totals["buildings_unsupplied"] == 0 and not any("differential" in w for w in d.warnings)
    assert d.totals["delivered_kw"] == pytest.approx(alone.totals["delivered_kw"])
    # the same tree pipes, and flows, as without the interconnector
    own = alone.pipes.set_index("pipe_id")
    tree = d.pipes[~d.pipes["interconnector"]].set_index("pipe_id")
    assert set(tree.index) == set(own.index)
    assert np.allclose(tree["design_flow_kw"], own.loc[tree.index, "design_flow_kw"])
    # sizing: s1's pipes from its plant to the interconnector pass 1 200 kW more, s0's at least 1 200 kW
    backup_kw = BETA * 8 * LOAD_KW
    extra = tree["sizing_flow_kw"] - own.loc[tree.index, "sizing_flow_kw"]
    changed = tree[extra > 1e-6]
    on_s1 = changed["site_id"] == "s1"
    assert on_s1.any()
    assert np.allclose(extra[changed.index[on_s1]], backup_kw)
    assert np.allclose(changed.loc[~on_s1, "sizing_flow_kw"], backup_kw)
    s1_plant = d.nodes.loc[(d.nodes["kind"] == "site") & (d.nodes["site_id"] == "s1"), "node_id"].iloc[0]
    assert s1_plant in set(changed["from_node"])  # the path starts at the plant
    assert (changed["dn"] >= own.loc[changed.index, "dn"]).all()
    upsizing = float((tree["cost_eur"] - own.loc[tree.index, "cost_eur"]).sum())
    assert upsizing > 0 and d.totals["backup_upsizing_cost_eur"] == pytest.approx(upsizing)
    assert d.totals["cost_eur"] == pytest.approx(
        alone.totals["cost_eur"] + d.totals["interconnector_cost_eur"] + upsizing
    )


def test_no_interconnector_without_a_backup_site() -> None:
    b = _buildings()
    for backup in (None, _backup(b).assign(backup_site_id="")):
        d = _design(b, backup)
        assert not d.pipes["interconnector"].any()
        assert d.totals["interconnector_km"] == 0.0
        a, z = _site_components(d)
        assert a != z


def test_too_long_a_path_warns_naming_the_sites() -> None:
    b = _buildings()
    with pytest.warns(TeploWarning, match=r"s0 - s1 .*within 150 m"):
        d = _design(b, _backup(b), max_interconnector_m=150.0)
    assert not d.pipes["interconnector"].any()
    assert any("s0 - s1" in w for w in d.warnings)
    assert d.totals["interconnectors_not_built"] == 1


def test_backup_site_off_the_network_is_named_and_bad_loads_raise() -> None:
    """A relaxed plan may name a backup site where no module stands (not among the network's sites)."""
    b = _buildings()
    with pytest.warns(TeploWarning, match="nowhere - s0 .*site nowhere is not among the network's sites"):
        d = _design(b, _backup(b).assign(backup_site_id=np.where(b["site_id"] == "s0", "nowhere", "")))
    assert not d.pipes["interconnector"].any()
    with pytest.raises(InputError, match="backup_kw"):
        _design(b, _backup(b).assign(backup_kw=-1.0))
    with pytest.raises(InputError, match="backup_site_id"):
        _design(b, _backup(b).drop(columns="backup_site_id"))


def test_backup_only_site_gets_its_plant_node_and_a_pipe() -> None:
    """A site chosen only as a backup (no district of its own) is joined from its plant node."""
    b = _buildings()
    b = b[b["site_id"] == "s0"].copy()
    sites = sites_at([(0.0, 0.0), (400.0, 200.0)])  # s1 serves nobody
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = design_network(
            b, grid_streets(7, 3), sites, assignment=b.set_index("building_id")["site_id"], backup=_backup(b)
        )
    plant = d.nodes[(d.nodes["kind"] == "site") & (d.nodes["site_id"] == "s1")]
    assert len(plant) == 1
    a, z = _site_components(d)
    assert a == z
    assert "s1" in set(d.hydraulics.producers.index)
    ic = d.pipes[d.pipes["interconnector"]]
    assert (ic["kind"] == "site").sum() == 1  # along s1's site connection


def _units() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_id": ["u0", "u1", "u2", "u3"],
            "site_id": ["s0", "s0", "s1", "s1"],
            "unit_type": "bmk",
            "kind": "bmk",
            # s0 carries A; s1 carries B plus beta x A, as the siting MILP sizes a backup site
            "heat_kw": [1300.0, 1300.0, 1800.0, 1800.0],
            "power_kw": 0.0,
            "aux_power_kw": 10.0,
        }
    )


#: Demand of one building at -20 °C [kW]: space heat scaled by (20 + 20) / (20 + 23), DHW kept.
DEMAND_KW = (LOAD_KW - DHW_KW) * 40.0 / 43.0 + DHW_KW


def _check(d: NetworkDesign, units: pd.DataFrame | None = None) -> NetworkCheck:
    """The stress test's hydraulic check of design ``d`` with plants s0 and s1 (and ``units``, when given)."""
    return hydraulic_check(*d.hydraulic_tables, pipe_order=d.pipes["pipe_id"].astype(str).to_numpy(),
                           site_order=np.array(["s0", "s1"]), units=units)


def _stress_fraction(b: pd.DataFrame, d: NetworkDesign, hydraulic: bool) -> pd.Series:
    """Lowest supplied fraction per building when site s0 is lost (1 where not listed)."""
    units = _units()
    sites = sites_at([(0.0, 0.0), (600.0, 200.0)])
    check = _check(d) if hydraulic else None
    result = run_stress(
        b, units, sites, pipes=d.pipes, network_nodes=d.nodes, families=("n-1",), temp_c=-20.0,
        network_check=check,
    )
    detail = result.detail("n-1:site:s0")
    frac = pd.Series(1.0, index=b["building_id"].to_numpy())
    frac[detail["building_id"].to_numpy()] = detail["min_fraction"].to_numpy()
    return frac


@pytest.mark.parametrize("hydraulic", [False, True], ids=["screening", "hydraulic-check"])
def test_site_loss_leaves_backed_up_buildings_supplied(
    joined: tuple[gpd.GeoDataFrame, NetworkDesign], hydraulic: bool
) -> None:
    b, d = joined
    in_a = (b["site_id"] == "s0").to_numpy()
    before = _stress_fraction(b, _design(b, None), hydraulic)
    after = _stress_fraction(b, d, hydraulic)
    assert (before[in_a] == 0.0).all()  # separate networks: district A goes cold
    assert (before[~in_a] == 1.0).all()
    # joined: s1's 3 600 kW shared by both districts (screening's proportional sharing)
    demand = DEMAND_KW * len(b)
    share = 3600.0 / demand
    assert 0.0 < share < 1.0
    assert np.allclose(after, share, rtol=1e-6)


def test_backfeed_opens_one_link_per_starved_network() -> None:
    """Nodes: 0-1 network X (producer 0, lost), 2-3 network Y (producer 2), 4 plant Z; links 1-3 and 1-4."""
    u = np.array([0, 2, 1, 1])
    v = np.array([1, 3, 3, 4])
    normal = np.array([True, True, False, False])
    ok = np.ones(4, bool)
    plants, consumers = np.array([0, 2, 4]), np.array([1, 3])
    link = interconnector_links(5, u, v, normal, plants)
    assert link[:2].tolist() == [-1, -1] and link[2] != link[3]  # two links meeting at node 1
    # X lost: of its two links, the larger one opens; the other would join two producers
    opened = backfeed_valves(5, u, v, normal, ok, link, np.array([2, 4]), consumers, np.array([1, 1, 0.2, 0.1]))
    assert opened.tolist() == [False, False, True, False]
    opened = backfeed_valves(5, u, v, normal, ok, link, np.array([2, 4]), consumers, np.array([1, 1, 0.1, 0.2]))
    assert opened.tolist() == [False, False, False, True]
    # nothing lost: valves stay closed; a lost link pipe keeps its link closed
    assert not backfeed_valves(5, u, v, normal, ok, link, np.array([0, 2, 4]), consumers).any()
    available = np.array([True, True, False, True])  # the larger link lost: the other one feeds X
    opened = backfeed_valves(5, u, v, normal, available, link, np.array([2, 4]), consumers, np.array([1, 1, 0.2, 0.1]))
    assert opened.tolist() == [False, False, False, True]
    # Z lost too: nothing to feed X from but Y, whose link is lost
    opened = backfeed_valves(5, u, v, normal, available, link, np.array([2]), consumers, np.array([1, 1, 0.2, 0.1]))
    assert not opened.any()


def test_network_stage_builds_interconnectors_from_the_plan() -> None:
    b = _buildings()
    sites = sites_at([(0.0, 0.0), (600.0, 200.0)]).assign(chosen=True)
    districts = pd.DataFrame(
        {"district_id": ["A", "B"], "design_load_kw": [8 * LOAD_KW, 8 * LOAD_KW], "site_id": ["s0", "s1"],
         "backup_site_id": ["s1", None]}
    )
    study = Study(layers={"buildings": b, "streets": grid_streets(7, 3), "sites": sites, "districts": districts})
    d = run_network_stage(study)
    ic = study.layers["pipes"][study.layers["pipes"]["interconnector"]]
    assert np.allclose(ic["design_flow_kw"], BETA * 8 * LOAD_KW)  # backup_requirement_kw of district A
    totals = study.meta["network_totals"]
    assert totals["interconnector_km"] == pytest.approx(0.2, abs=1e-3) and totals["interconnectors"] == 1
    assert d.totals == totals
    # the length limit follows the plan's pipe reach unless set
    study.settings["plan"] = {"pipe_reach_m": 150.0, "districts": {"max_radius_m": 100.0}}
    with pytest.warns(TeploWarning, match="within 150 m"):
        run_network_stage(study)
    assert not study.layers["pipes"]["interconnector"].any()
    run_network_stage(study, settings=NetworkSettings(max_interconnector_m=500.0))
    assert study.layers["pipes"]["interconnector"].any()


def test_interconnector_attaches_at_the_backed_up_districts_feeders() -> None:
    """s0 at (0, 100) serves A (north-west) and C (south); s1 at (600, 0) serves B (south-east).

    The two networks are closest at C's branch; when only A is backed up by s1,
    the interconnector ends on a pipe feeding A (longer), not on C's branch.
    """
    b = block_buildings(7, 3, 2, seed=1)
    x, y = b.geometry.centroid.x.to_numpy(), b.geometry.centroid.y.to_numpy()
    district = np.where((y > 100) & (x < 300), "A", np.where((y < 100) & (x < 400), "C",
                        np.where((y < 100) & (x > 500), "B", "")))
    b = b[district != ""].assign(district_id=district[district != ""]).reset_index(drop=True)
    b["heated"], b["design_load_kw"], b["dhw_mean_kw"] = True, LOAD_KW, DHW_KW
    b["site_id"] = np.where(b["district_id"] == "B", "s1", "s0")
    sites = sites_at([(0.0, 100.0), (600.0, 0.0)])
    designs = {}
    for needy in ("A", "C"):
        backup = pd.DataFrame(
            {"building_id": b["building_id"], "backup_site_id": np.where(b["district_id"] == needy, "s1", ""),
             "backup_kw": BETA * LOAD_KW}
        )
        designs[needy] = design_network(
            b, grid_streets(7, 3), sites, assignment=b.set_index("building_id")["site_id"], backup=backup
        )
    d = designs["A"]
    assert d.interconnectors["attached"].tolist() == ["districts"]
    route = next(r for r in d.routes if "s0" in set(r.nodes["site_id"].dropna()))
    parent = route.parent
    graph_node = route.nodes[route.nodes["kind"] == "building"].set_index("building_id")["node_id"]

    def feeders(ids: pd.Series) -> set[int]:
        out: set[int] = set()
        for node in graph_node.reindex(ids).dropna().astype(int):
            while node >= 0 and node not in out:
                out.add(node)
                node = int(parent[node])
        return out

    ic = d.pipes[d.pipes["interconnector"]]
    end = [int(n.split(":")[1]) for n in pd.concat([ic["from_node"], ic["to_node"]]) if n.startswith("s0:")]
    assert len(end) == 1
    feeds_a = feeders(b.loc[b["district_id"] == "A", "building_id"])
    feeds_c = feeders(b.loc[b["district_id"] == "C", "building_id"])
    assert end[0] in feeds_a and end[0] not in feeds_c - feeds_a
    # the cheapest join of the two networks (C's case) is shorter: A's is bought for where it ends
    assert designs["C"].interconnectors["length_m"].iloc[0] < d.interconnectors["length_m"].iloc[0]


def test_hydraulic_check_valves(joined: tuple[gpd.GeoDataFrame, NetworkDesign]) -> None:
    """Unit loss: valves stay shut and the capacity share stands; a lost interconnector pipe feeds nobody."""
    from teplo.resilience.network_check import IslandView, ScenarioMask

    b, d = joined
    check = _check(d)
    in_a = (b["site_id"] == "s0").to_numpy()
    view = IslandView(
        island=0, building_index=np.arange(len(b)), building_ids=b["building_id"].to_numpy(),
        demand_kw=np.full(len(b), (LOAD_KW - DHW_KW) * 40.0 / 43.0 + DHW_KW), site_ids=np.array(["s0", "s1"]),
        pipe_index=np.arange(len(d.pipes)), proxy_fraction=np.full(len(b), 0.8),
    )

    def mask(sites: list[bool], pipes: np.ndarray) -> ScenarioMask:
        return ScenarioMask("x", 0.0, -20.0, np.ones(4, bool), pipes, np.array(sites))

    every_pipe = np.ones(len(d.pipes), bool)
    assert np.allclose(check(mask([True, True], every_pipe), view), 0.8)
    assert np.allclose(check(mask([False, True], every_pipe), view), 0.8)  # s1 feeds A through the link
    cut = every_pipe.copy()
    cut[np.flatnonzero(d.pipes["interconnector"].to_numpy(bool))[0]] = False  # one pipe of the link lost
    frac = check(mask([False, True], cut), view)
    assert (frac[in_a] == 0.0).all() and np.allclose(frac[~in_a], 0.8)


def test_hydraulic_check_shares_capacity_per_network_within_the_link_size(
    joined: tuple[gpd.GeoDataFrame, NetworkDesign],
) -> None:
    """With the units, s0 lost: s1 serves B first and sends A what the interconnector was sized for."""
    b, d = joined
    check = _check(d, _units())
    result = run_stress(
        b, _units(), sites_at([(0.0, 0.0), (600.0, 200.0)]), pipes=d.pipes, network_nodes=d.nodes,
        families=("n-1",), temp_c=-20.0, network_check=check,
    )
    detail = result.detail("n-1:site:s0").set_index("building_id")["min_fraction"]
    frac = pd.Series(1.0, index=b["building_id"].to_numpy())
    frac[detail.index] = detail.to_numpy()
    in_a = (b["site_id"] == "s0").to_numpy()
    spare_kw = 3600.0 - DEMAND_KW * (~in_a).sum()  # s1 after its own district B
    link_kw = BETA * LOAD_KW * in_a.sum()  # what the interconnector was sized for: 1 200 kW
    assert spare_kw > link_kw
    assert np.allclose(frac[in_a], link_kw / (DEMAND_KW * in_a.sum()), rtol=1e-6)  # about 0.53
    assert np.allclose(frac[~in_a], 1.0)
    # a unit lost at s1 (valves shut): B shares s1's 1 800 kW alone; A keeps s0
    detail = result.detail("n-1:unit:u2").set_index("building_id")["min_fraction"]
    assert np.allclose(detail.reindex(b.loc[~in_a, "building_id"]), 1800.0 / (DEMAND_KW * (~in_a).sum()))
    assert not detail.index.isin(b.loc[in_a, "building_id"]).any()


def test_network_stage_reads_plan_settings_of_another_version() -> None:
    """Plan settings that do not validate (another teplo version) fall back to the defaults, with a warning."""
    b = _buildings()
    sites = sites_at([(0.0, 0.0), (600.0, 200.0)]).assign(chosen=True)
    study = Study(layers={"buildings": b, "streets": grid_streets(7, 3), "sites": sites},
                  settings={"plan": {"solver": {"no_such_setting": 0.25}}})
    with pytest.warns(TeploWarning, match="plan settings do not validate.*no_such_setting"):
        d = run_network_stage(study)
    assert d.totals["interconnectors"] == 1  # beta x load from the default plan settings, no districts layer
    ic = d.pipes[d.pipes["interconnector"]]
    assert np.allclose(ic["design_flow_kw"], BETA * 8 * LOAD_KW)


def test_hydraulic_check_back_feeds_a_site_whose_units_all_stopped(
    joined: tuple[gpd.GeoDataFrame, NetworkDesign],
) -> None:
    """Every unit of s0 out (e.g. a blackout) with the site itself intact: s1 back-feeds A as for a site loss."""
    from teplo.resilience.network_check import IslandView, ScenarioMask

    b, d = joined
    check = _check(d, _units())
    view = IslandView(
        island=0, building_index=np.arange(len(b)), building_ids=b["building_id"].to_numpy(),
        demand_kw=np.full(len(b), DEMAND_KW), site_ids=np.array(["s0", "s1"]),
        pipe_index=np.arange(len(d.pipes)), proxy_fraction=np.full(len(b), 0.5),
    )
    units_out = np.array([False, False, True, True])
    frac = check(ScenarioMask("x", 0.0, -20.0, units_out, np.ones(len(d.pipes), bool), np.ones(2, bool)), view)
    in_a = (b["site_id"] == "s0").to_numpy()
    assert np.allclose(frac[in_a], BETA * LOAD_KW / DEMAND_KW) and np.allclose(frac[~in_a], 1.0)
    # one unit of s0 left: s0 still runs its own network, alone (the valve stays shut)
    one_left = np.array([True, False, True, True])
    frac = check(ScenarioMask("x", 0.0, -20.0, one_left, np.ones(len(d.pipes), bool), np.ones(2, bool)), view)
    assert np.allclose(frac[in_a], 1300.0 / (DEMAND_KW * in_a.sum())) and np.allclose(frac[~in_a], 1.0)
