"""The cost of resilience: one area planned three ways, side by side.

(a) ``resilient``: every resilience constraint as set; (b) ``least_cost``: none;
(c) ``central``: one plant of the same heat capacity as (a), at the candidate
site closest to the load, feeding every district through one network. For each:
CAPEX, annual cost, EUR per MWh, and what an N-1 and a site-loss check leave
covered.

Every plan's network is re-costed the same way for the comparison: for each
site, the shortest-path tree along streets to its districts, each edge sized
for the load it carries (:func:`teplo.supply.costs.pipe_cost_by_load`; local
networks at 95/70 degC, the central plant's mains at 150/70 degC, kharkiv-figures
§4.1), plus straight backup pipes. The siting MILP itself prices each connection
as distance x EUR/m.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix, identity
from scipy.sparse.csgraph import dijkstra
from scipy.sparse.linalg import spsolve_triangular

from teplo.supply.catalogue import generator_units, heat_units, load_unit_catalogue
from teplo.supply.costs import (
    FloatArray,
    NetworkCost,
    annuity,
    heat_production_cost,
    module_annual_cost,
    pipe_cost_by_load,
)
from teplo.supply.distance import StreetIndex
from teplo.supply.districts import make_districts
from teplo.supply.result import SitingResult
from teplo.supply.settings import ResilienceSettings, SitingSettings
from teplo.supply.siting import solve_siting

LOCAL_DELTA_T_K = 25.0  # [K] 95/70 degC micro-district networks (kharkiv-figures §4.1)
CENTRAL_DELTA_T_K = 80.0  # [K] 150/70 degC primary mains (kharkiv-figures §4.1)


@dataclass
class PlanCost:
    """Costs and checks of one plan. Money in EUR, capacity in MW, shares 0..1."""

    name: str
    n_sites: int
    heat_mw: float
    capex_units_eur: float
    capex_network_eur: float
    capex_sites_eur: float
    annual_cost_eur: float
    annual_heat_mwh: float
    n1_city_share: float
    n1_worst_district_share: float
    site_loss_city_share: float
    site_loss_worst_district_share: float

    @property
    def capex_eur(self) -> float:
        """Total investment [EUR]."""
        return self.capex_units_eur + self.capex_network_eur + self.capex_sites_eur

    @property
    def eur_per_mwh(self) -> float:
        """Annual cost per MWh of heat delivered [EUR/MWh]."""
        return self.annual_cost_eur / self.annual_heat_mwh if self.annual_heat_mwh else math.nan


@dataclass
class ResilienceComparison:
    """The three plans and their side-by-side table (one row per plan)."""

    table: pd.DataFrame
    resilient: SitingResult
    least_cost: SitingResult
    central: PlanCost
    notes: list[str] = field(default_factory=list)


def tree_capex_eur(
    index: StreetIndex, site_xy: FloatArray, district_xy: FloatArray, load_kw: FloatArray,
    cost: Callable[[FloatArray], FloatArray],
) -> float:
    """Capex [EUR] of the shortest-path tree along streets from one site to its districts.

    Edge flows are the loads downstream (one sparse triangular solve); each edge is
    priced at ``cost(flow)`` EUR/m. Without streets: a star of straight lines x detour.
    """
    district_xy = np.asarray(district_xy, dtype=float).reshape(-1, 2)
    load_kw = np.asarray(load_kw, dtype=float)
    if len(district_xy) == 0:
        return 0.0
    if not index.has_streets:
        d = np.hypot(*(district_xy - np.asarray(site_xy)[None, :]).T) * index.detour_factor
        return float(np.sum(d * cost(load_kw)))
    assert index.graph is not None and index.edge_u is not None and index.edge_v is not None
    se, su, sv, _ = index.project(np.asarray(site_xy, dtype=float).reshape(1, 2))
    root = int(index.edge_u[se[0]] if su[0] <= sv[0] else index.edge_v[se[0]])
    de, du, dv, _ = index.project(district_xy)
    leaf = np.where(du <= dv, index.edge_u[de], index.edge_v[de])
    legs = np.minimum(du, dv) + min(su[0], sv[0])
    dist, pred = dijkstra(index.graph, directed=False, indices=root, return_predecessors=True)
    n = index.graph.shape[0]
    node_load = np.bincount(leaf, weights=load_kw, minlength=n)
    in_tree = np.isfinite(dist) & ((pred >= 0) | (np.arange(n) == root))
    order = np.flatnonzero(in_tree)[np.argsort(-dist[in_tree], kind="stable")]  # leaves first
    pos = np.full(n, -1)
    pos[order] = np.arange(len(order))
    child = order[pred[order] >= 0]
    parent = pred[child]
    # flow_v = load_v + sum of children's flows: (I - C) f = load, C[parent, child] = 1, lower triangular
    c = csr_matrix((np.ones(len(child)), (pos[parent], pos[child])), shape=(len(order), len(order)))
    flow = spsolve_triangular((identity(len(order), format="csr") - c).tocsr(), node_load[order], lower=True)
    f_child = flow[pos[child]]
    used = f_child > 1e-9
    seg = dist[child[used]] - dist[parent[used]]
    return float(np.sum(seg * cost(f_child[used])) + np.sum(legs * cost(load_kw)))


def _network_capex(plan: SitingResult, index: StreetIndex, cost: Callable[[FloatArray], FloatArray]) -> float:
    d = plan.districts.loc[plan.districts["site_id"].notna()]
    sxy = plan.sites.set_index("site_id").geometry
    total = 0.0
    for site, grp in d.groupby("site_id", sort=True):  # loop over sites, each a vectorised tree
        p = sxy[site]
        total += tree_capex_eur(index, np.array([p.x, p.y]), grp[["x", "y"]].to_numpy(),
                                grp["design_load_kw"].to_numpy(), cost)
    if "backup_m" in d.columns and "backup_kw" in d.columns:
        has = d["backup_m"].notna()
        total += float(np.sum(d.loc[has, "backup_m"] * cost(d.loc[has, "backup_kw"].to_numpy())))
    return total


def _shares(plan_units: pd.DataFrame, load: pd.Series, backup: pd.DataFrame | None) -> tuple[float, float, float, float]:
    """(N-1 city share, N-1 worst district share, site-loss city share, site-loss worst district share).

    N-1: each site loses its largest module; the city share is what remains after the
    worst single such loss, the district share the worst site's remaining share.
    Site loss: the worst site is lost; its districts keep what their backup sites'
    spare capacity carries.
    """
    total = float(load.sum())
    if total <= 0:
        return (math.nan, math.nan, math.nan, math.nan)
    heat = plan_units.loc[plan_units["heat_kw"] > 0]
    sites = load.index.union(pd.Index(heat["site_id"].unique()))
    load = load.reindex(sites).fillna(0.0)
    cap = heat.groupby("site_id")["heat_kw"].sum().reindex(sites).fillna(0.0)
    big = heat.groupby("site_id")["heat_kw"].max().reindex(sites).fillna(0.0)
    after = np.minimum(load, np.maximum(cap - big, 0.0))
    served = load > 0
    n1_city = 1.0 - float((load - after).max()) / total
    n1_worst = float((after[served] / load[served]).min())
    covered = pd.Series(0.0, index=sites)
    if backup is not None and len(backup):
        spare = (cap - load).clip(lower=0.0)
        taken = backup.groupby(["site_id", "backup_site_id"])["backup_kw"].sum()
        for (s, t), kw in zip(taken.index, taken, strict=True):  # backups of the lost site s, limited by t's spare
            covered[s] += min(float(kw), float(spare.get(t, 0.0)))
    lost = (load - covered).clip(lower=0.0)[served]
    worst = lost.idxmax()
    return n1_city, n1_worst, 1.0 - float(lost[worst]) / total, float(covered[worst] / load[worst])


def plan_cost(name: str, plan: SitingResult, index: StreetIndex, cost: Callable[[FloatArray], FloatArray],
              settings: SitingSettings) -> PlanCost:
    """Costs and checks of a decentralised plan, with its network re-costed as a street tree."""
    econ = settings.economics
    d = plan.districts.loc[plan.districts["site_id"].notna()].copy()
    d["backup_kw"] = 0.0
    has = d["backup_site_id"].notna() if "backup_site_id" in d.columns else pd.Series(False, index=d.index)
    if has.any():
        res = settings.resilience
        need = np.zeros(int(has.sum()))
        if res.site_loss.enabled:
            need = np.maximum(need, res.site_loss.beta * d.loc[has, "design_load_kw"].to_numpy())
        if res.priority.enabled:
            need = np.maximum(need, res.priority.share * d.loc[has, "priority_load_kw"].to_numpy())
        d.loc[has, "backup_kw"] = need
    plan_for_net = SitingResult(d, plan.sites, plan.units, plan.buildings, plan.summary, plan.slack)
    net = _network_capex(plan_for_net, index, cost)
    old_net = plan.summary.capex_network_eur
    ann_net = float(annuity(econ.discount_rate, econ.network_lifetime_a))
    annual = plan.summary.annual_cost_eur - old_net * ann_net + net * ann_net
    load = d.groupby("site_id")["design_load_kw"].sum()
    backup = d.loc[has, ["site_id", "backup_site_id", "backup_kw"]] if has.any() else None
    shares = _shares(plan.units, load, backup)
    return PlanCost(name, plan.summary.n_sites, plan.summary.heat_mw, plan.summary.capex_units_eur, net,
                    plan.summary.capex_sites_eur, annual, plan.summary.annual_heat_mwh, *shares)


def central_plan(
    districts: pd.DataFrame, sites: gpd.GeoDataFrame, heat_kw: float, catalogue: pd.DataFrame,
    index: StreetIndex, settings: SitingSettings, cost: Callable[[FloatArray], FloatArray],
) -> PlanCost:
    """One plant of ``heat_kw`` [kW] at the candidate site nearest the load centre, one network."""
    econ = settings.economics
    load = districts["design_load_kw"].to_numpy(dtype=float)
    dxy = districts[["x", "y"]].to_numpy(dtype=float)
    sxy = shapely.get_coordinates(sites.geometry.to_numpy())
    centre = np.average(dxy, axis=0, weights=load)
    near = np.argsort(np.hypot(*(sxy - centre).T), kind="stable")[:10]
    best = min(near, key=lambda j: float(np.sum(load * np.hypot(*(dxy - sxy[j]).T))))
    heat = heat_units(catalogue)
    bmk = heat.loc[heat["power_kw"] == 0]
    unit = bmk["heat_kw"].idxmax()
    unit_kw = float(np.asarray(bmk.at[unit, "heat_kw"]))
    n_units = math.ceil(heat_kw / unit_kw)
    gens = generator_units(catalogue)
    aux = n_units * float(np.asarray(bmk.at[unit, "aux_power_kw"]))
    gen = gens["power_kw"].idxmax() if len(gens) else None
    n_gen = math.ceil(aux / float(np.asarray(gens.at[gen, "power_kw"]))) if gen is not None else 0
    ann_mod = module_annual_cost(catalogue, econ)
    fuel = heat_production_cost(catalogue, econ)
    annual_heat = float(districts["annual_heat_mwh"].sum())
    net = tree_capex_eur(index, sxy[best], dxy, load, cost)
    ann_net = float(annuity(econ.discount_rate, econ.network_lifetime_a))
    capex_units = n_units * float(np.asarray(bmk.at[unit, "capex_eur"])) + (n_gen * float(np.asarray(gens.at[gen, "capex_eur"])) if gen else 0.0)
    annual = (n_units * float(ann_mod[unit]) + (n_gen * float(ann_mod[gen]) if gen else 0.0)
              + annual_heat * float(fuel[unit]) + net * ann_net
              + econ.site_fixed_capex_eur * float(annuity(econ.discount_rate, 25.0)))
    total = float(load.sum())
    n1 = min(1.0, (n_units - 1) * unit_kw / total) if total else math.nan
    return PlanCost("central", 1, n_units * unit_kw / 1000.0, capex_units, net,
                    econ.site_fixed_capex_eur, annual, annual_heat, n1, n1, 0.0, 0.0)


def compare_resilience(
    buildings: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    catalogue: pd.DataFrame | None = None,
    streets: gpd.GeoDataFrame | None = None,
    settings: SitingSettings | None = None,
    network_cost: NetworkCost | None = None,
) -> ResilienceComparison:
    """Plan the same area (a) resilient, (b) least-cost, (c) central; return the side-by-side table.

    ``network_cost`` prices the MILP's connections (default: settings); the
    comparison re-costs every network as a street tree with ``network_cost`` if
    it is a function of load, else with :func:`pipe_cost_by_load`.
    """
    settings = settings or SitingSettings()
    settings = settings.model_copy(update={"solver": settings.solver.model_copy(update={"on_infeasible": "relax"})})
    catalogue = load_unit_catalogue() if catalogue is None else catalogue
    index = StreetIndex.from_streets(streets, settings.districts.detour_factor)
    found = make_districts(buildings, settings.districts, index, settings.resilience.priority)
    a = solve_siting(found.districts, found.membership, sites, catalogue, settings, network_cost, index)
    none = settings.model_copy(update={"resilience": ResilienceSettings.none()})
    b = solve_siting(found.districts, found.membership, sites, catalogue, none, network_cost, index)

    def local(load: FloatArray) -> FloatArray:
        return network_cost(load) if callable(network_cost) else pipe_cost_by_load(load, LOCAL_DELTA_T_K)

    def mains(load: FloatArray) -> FloatArray:
        return network_cost(load) if callable(network_cost) else pipe_cost_by_load(load, CENTRAL_DELTA_T_K)

    pa = plan_cost("resilient", a, index, local, settings)
    pb = plan_cost("least_cost", b, index, local, none)
    served = found.districts.loc[found.districts["district_id"].isin(a.districts.loc[a.districts["site_id"].notna(),
                                                                                      "district_id"])]
    pc = central_plan(served, sites, a.summary.heat_mw * 1000.0, catalogue, index, settings, mains)
    rows = []
    for pl in (pa, pb, pc):
        rows.append({
            "plan": pl.name, "n_sites": pl.n_sites, "heat_mw": pl.heat_mw, "capex_eur": pl.capex_eur,
            "capex_units_eur": pl.capex_units_eur, "capex_network_eur": pl.capex_network_eur,
            "annual_cost_eur": pl.annual_cost_eur, "eur_per_mwh": pl.eur_per_mwh,
            "n1_city_share": pl.n1_city_share, "n1_worst_district_share": pl.n1_worst_district_share,
            "site_loss_city_share": pl.site_loss_city_share,
            "site_loss_worst_district_share": pl.site_loss_worst_district_share,
        })
    notes = []
    if not a.feasible:
        notes.append("resilient plan is a relaxation: " + "; ".join(a.summary.binding[:5]))
    return ResilienceComparison(pd.DataFrame(rows).set_index("plan"), a, b, pc, notes)
