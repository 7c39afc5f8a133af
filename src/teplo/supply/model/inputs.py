"""The siting MILP's input tables, precomputed from districts, sites, arcs and the catalogue.

Units are converted and costs annualised here, once, so the ``define_*``
functions only read named columns (pandapipes' "pit" idea, as tables).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from teplo.errors import InputError
from teplo.supply.catalogue import generator_units, heat_units
from teplo.supply.costs import (
    NetworkCost,
    annuity,
    cost_per_m,
    heat_production_cost,
    module_annual_cost,
)
from teplo.supply.settings import SitingSettings

SITE_WORKS_LIFETIME_A = 25.0  # [a] gas connection node, foundation, chimney: as the modules (DEA 44) [E]


@dataclass(frozen=True)
class SitingProblem:
    """Everything one siting MILP (the whole area or one cluster) needs, as typed tables.

    districts: index district_id; load_kw [kW], annual_mwh [MWh/a], backup_kw [kW]
        (load a backup site must carry; 0 = no backup needed).
    sites: index site_id; max_heat_kw [kW], area_m2 [m2], fixed_cost_eur_a [EUR/a].
    arcs: one row per allowed district-site connection; district_id, site_id,
        distance_m [m], capex_eur [EUR], cost_eur_a [EUR/a], load_kw, annual_mwh.
    backups: one row per (district, primary site, backup site); district_id,
        site_id, backup_site_id, arc (row of the primary arc), distance_m [m]
        (district to backup site), capex_eur [EUR], cost_eur_a [EUR/a], backup_kw [kW].
    heat: heat module types; heat_kw, power_kw, aux_power_kw, footprint_m2,
        annual_cost_eur_a, heat_cost_eur_mwh, max_flh_h [h/a].
    gens: diesel generator types; power_kw, footprint_m2, annual_cost_eur_a.
    circles: dispersion circle membership; circle_id, site_id.
    circle_cap_kw: index circle_id; capacity allowed inside [kW] (the requirement).
    dispersion_extra_kw: what the solve had to add to the caps because the area's
        demand density allows no plan within them: one figure for every circle,
        or per circle (index circle_id); 0 normally [kW].
    """

    districts: pd.DataFrame
    sites: pd.DataFrame
    arcs: pd.DataFrame
    backups: pd.DataFrame
    heat: pd.DataFrame
    gens: pd.DataFrame
    circles: pd.DataFrame
    circle_cap_kw: pd.Series
    nk_k: int
    nk_alpha: float
    blackout: bool
    penalty_eur_per_kw: float
    relax: bool = False
    dispersion_extra_kw: float | pd.Series = 0.0  # cap enforced: circle_cap_kw + this (raised when infeasible)

    def extra_per_circle_kw(self) -> pd.Series:
        """``dispersion_extra_kw`` per circle [kW], indexed like circle_cap_kw."""
        extra = self.dispersion_extra_kw
        if isinstance(extra, pd.Series):
            return extra.reindex(self.circle_cap_kw.index).fillna(0.0).astype(float)
        return pd.Series(float(extra), index=self.circle_cap_kw.index)

    def enforced_caps_kw(self) -> np.ndarray:
        """Cap [kW] each circle is held to in the model: the requirement plus any raise, in circle_cap_kw order."""
        return self.circle_cap_kw.to_numpy(dtype=float) + self.extra_per_circle_kw().to_numpy()

    def relaxed(self) -> SitingProblem:
        """The same problem with penalised slack on every resilience constraint."""
        return replace(self, relax=True)

    def subset(self, district_ids: pd.Index, site_ids: pd.Index, circle_cap_kw: pd.Series) -> SitingProblem:
        """Restriction to some districts and sites; arcs to other sites are dropped."""
        districts = self.districts.loc[self.districts.index.isin(district_ids)]
        sites = self.sites.loc[self.sites.index.isin(site_ids)]
        arcs = self.arcs.loc[self.arcs["district_id"].isin(districts.index) & self.arcs["site_id"].isin(sites.index)]
        sites = sites.loc[sites.index.isin(arcs["site_id"])]
        old_to_new = pd.Series(np.arange(len(arcs)), index=arcs.index)
        arcs = arcs.reset_index(drop=True)
        backups = self.backups.loc[
            self.backups["arc"].isin(old_to_new.index) & self.backups["backup_site_id"].isin(sites.index)
        ].copy()
        backups["arc"] = old_to_new.reindex(backups["arc"]).to_numpy()
        n_arcs = arcs.groupby("district_id").size()
        backups = backups.loc[backups["district_id"].map(n_arcs).fillna(0).to_numpy() >= 2].reset_index(drop=True)
        circles = self.circles.loc[self.circles["site_id"].isin(sites.index)]
        caps = circle_cap_kw.reindex(pd.Index(sorted(circles["circle_id"].unique()), name="circle_id"))
        return replace(self, districts=districts, sites=sites, arcs=arcs, backups=backups,
                       circles=circles.reset_index(drop=True), circle_cap_kw=caps)


def backup_requirement_kw(districts: pd.DataFrame, settings: SitingSettings) -> np.ndarray:
    """Load [kW] a backup site must carry per district: beta x load (site loss) or the priority load."""
    res = settings.resilience
    req = np.zeros(len(districts))
    if res.site_loss.enabled:
        req = np.maximum(req, res.site_loss.beta * districts["design_load_kw"].to_numpy(dtype=float))
    if res.priority.enabled and "priority_load_kw" in districts.columns:
        req = np.maximum(req, res.priority.share * districts["priority_load_kw"].to_numpy(dtype=float))
    return req


def build_problem(
    districts: pd.DataFrame,
    sites: pd.DataFrame,
    arcs: pd.DataFrame,
    circles: pd.DataFrame,
    catalogue: pd.DataFrame,
    settings: SitingSettings,
    network_cost: NetworkCost | None = None,
) -> SitingProblem:
    """Assemble a :class:`SitingProblem` from the stage's tables.

    ``districts`` needs district_id, design_load_kw, annual_heat_mwh (and
    priority_load_kw for priority consumers); ``sites`` site_id, max_heat_kw,
    area_m2; ``arcs`` district_id, site_id, distance_m; ``circles`` circle_id,
    site_id. Only sites with an arc enter the model.
    """
    econ = settings.economics
    res = settings.resilience
    cost = econ.network_cost_eur_per_m if network_cost is None else network_cost
    d = districts.set_index("district_id").sort_index()
    dist = pd.DataFrame({
        "load_kw": d["design_load_kw"].astype(float),
        "annual_mwh": d["annual_heat_mwh"].astype(float),
        "backup_kw": backup_requirement_kw(d, settings),
    }, index=pd.Index(d.index, name="district_id"))
    used = sites.loc[sites["site_id"].isin(arcs["site_id"])].set_index("site_id").sort_index()
    site_ann = annuity(econ.discount_rate, SITE_WORKS_LIFETIME_A)
    site_tab = pd.DataFrame({
        "max_heat_kw": used["max_heat_kw"].astype(float),
        "area_m2": used["area_m2"].astype(float),
        "fixed_cost_eur_a": float(econ.site_fixed_capex_eur * site_ann),
    }, index=pd.Index(used.index, name="site_id"))
    net_ann = float(annuity(econ.discount_rate, econ.network_lifetime_a))
    a = arcs.loc[arcs["district_id"].isin(dist.index) & arcs["site_id"].isin(site_tab.index)]
    a = a.sort_values(["district_id", "distance_m", "site_id"], kind="stable").reset_index(drop=True)
    load = dist["load_kw"].reindex(a["district_id"]).to_numpy()
    capex = a["distance_m"].to_numpy(dtype=float) * cost_per_m(cost, load)
    arc_tab = pd.DataFrame({
        "district_id": a["district_id"].to_numpy(),
        "site_id": a["site_id"].to_numpy(),
        "distance_m": a["distance_m"].to_numpy(dtype=float),
        "capex_eur": capex,
        "cost_eur_a": capex * net_ann,
        "load_kw": load,
        "annual_mwh": dist["annual_mwh"].reindex(a["district_id"]).to_numpy(),
    })
    backups = _backup_options(arc_tab, dist, cost, net_ann)
    heat = heat_units(catalogue)
    if len(heat) == 0:
        raise InputError("unit catalogue: no bmk or chp type; the siting model needs at least one heat module")
    h_tab = pd.DataFrame({
        "heat_kw": heat["heat_kw"], "power_kw": heat["power_kw"], "aux_power_kw": heat["aux_power_kw"],
        "footprint_m2": heat["footprint_m2"],
        "annual_cost_eur_a": module_annual_cost(heat, econ),
        "heat_cost_eur_mwh": heat_production_cost(heat, econ),
        "max_flh_h": np.where(heat["kind"] == "chp", econ.chp_max_full_load_h, 8760.0),
    })
    h_tab.index.name = "type"
    gens = generator_units(catalogue)
    g_tab = pd.DataFrame({
        "power_kw": gens["power_kw"], "footprint_m2": gens["footprint_m2"],
        "annual_cost_eur_a": module_annual_cost(gens, econ),
    })
    g_tab.index.name = "gen"
    circ = circles.loc[circles["site_id"].isin(site_tab.index), ["circle_id", "site_id"]].reset_index(drop=True)
    caps = pd.Series(res.dispersion.cap_kw, index=pd.Index(sorted(circ["circle_id"].unique()), name="circle_id"))
    nk = res.nk
    return SitingProblem(
        districts=dist, sites=site_tab, arcs=arc_tab, backups=backups, heat=h_tab, gens=g_tab,
        circles=circ if res.dispersion.enabled else circ.iloc[0:0],
        circle_cap_kw=caps if res.dispersion.enabled else caps.iloc[0:0],
        nk_k=nk.k if nk.enabled else 0, nk_alpha=nk.alpha if nk.enabled else 0.0,
        blackout=res.blackout.enabled, penalty_eur_per_kw=res.slack_penalty_eur_per_kw,
    )


def _backup_options(arcs: pd.DataFrame, dist: pd.DataFrame, cost: NetworkCost, net_ann: float) -> pd.DataFrame:
    """Every (primary arc, backup site) pair of districts that need a backup and have >= 2 arcs."""
    need = dist.index[dist["backup_kw"] > 0]
    a = arcs.loc[arcs["district_id"].isin(need)].reset_index().rename(columns={"index": "arc"})
    n = a.groupby("district_id")["arc"].transform("size")
    a = a.loc[n >= 2]
    pairs = a.merge(a[["district_id", "site_id", "distance_m"]], on="district_id", suffixes=("", "_b"))
    pairs = pairs.loc[pairs["site_id"] != pairs["site_id_b"]]
    backup_kw = dist["backup_kw"].reindex(pairs["district_id"]).to_numpy()
    capex = pairs["distance_m_b"].to_numpy(dtype=float) * cost_per_m(cost, backup_kw)
    out = pd.DataFrame({
        "district_id": pairs["district_id"].to_numpy(),
        "site_id": pairs["site_id"].to_numpy(),
        "backup_site_id": pairs["site_id_b"].to_numpy(),
        "arc": pairs["arc"].to_numpy(dtype=np.int64),
        "distance_m": pairs["distance_m_b"].to_numpy(dtype=float),
        "capex_eur": capex,
        "cost_eur_a": capex * net_ann,
        "backup_kw": backup_kw,
    })
    return out.sort_values(["district_id", "site_id", "backup_site_id"], kind="stable").reset_index(drop=True)
