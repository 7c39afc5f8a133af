"""Independent check of a supply plan from its written tables alone.

Recomputes, without the MILP or its inputs, that every served building has a
site, every site covers its load, losing the k largest modules of a site leaves
alpha of its load, capacity within any strike circle stays under the cap, each
site can run its auxiliaries in a blackout, and every district that needs a
backup has a backup site with the spare capacity. Used by the tests; callable on
a plan a user edited by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from teplo.supply.districts import priority_load_kw
from teplo.supply.settings import SitingSettings


@dataclass(frozen=True)
class Violation:
    """One broken requirement: which constraint, where, what is there and what is required [kW]."""

    constraint: str
    where: str
    value_kw: float
    required_kw: float

    @property
    def message(self) -> str:
        """Readable one-line description."""
        return f"{self.constraint} at {self.where}: {self.value_kw:.1f} kW where {self.required_kw:.1f} kW is required"


def _k_largest_sum(units: pd.DataFrame, k: int) -> pd.Series:
    """Sum of the k largest heat modules per site [kW]."""
    heat = units.loc[units["heat_kw"] > 0, ["site_id", "heat_kw"]].sort_values(
        ["site_id", "heat_kw"], ascending=[True, False], kind="stable")
    top = heat.groupby("site_id").head(k)
    return top.groupby("site_id")["heat_kw"].sum()


def check_plan(
    buildings: pd.DataFrame,
    units: pd.DataFrame,
    sites: pd.DataFrame,
    settings: SitingSettings | None = None,
    tol_kw: float = 1.0,
) -> list[Violation]:
    """All violations of the plan given by its tables (empty list = the plan holds).

    ``buildings``: building_id, design_load_kw [kW], site_id (empty = unserved),
    and optionally district_id, backup_site_id, priority, priority_two_sites.
    ``units``: site_id, heat_kw [kW], power_kw [kW], aux_power_kw [kW] (one row per module).
    ``sites``: site_id and point geometry of every candidate site (circle centres).
    """
    settings = settings or SitingSettings()
    res = settings.resilience
    out: list[Violation] = []
    b = buildings.loc[buildings["design_load_kw"].astype(float) > 0]
    unserved = b["site_id"].isna() | (b["site_id"].astype(str) == "")
    out += [Violation("unserved", str(i), 0.0, float(v)) for i, v in
            zip(b.loc[unserved, "building_id"], b.loc[unserved, "design_load_kw"], strict=True)]
    b = b.loc[~unserved]
    load = b.groupby("site_id")["design_load_kw"].sum()
    units = units.copy()
    for col in ("heat_kw", "power_kw", "aux_power_kw"):
        if col not in units.columns:
            units[col] = 0.0
    cap = units.groupby("site_id")["heat_kw"].sum().reindex(load.index.union(pd.Index(units["site_id"].unique()))).fillna(0.0)
    load = load.reindex(cap.index).fillna(0.0)
    for s in cap.index[cap + tol_kw < load]:
        out.append(Violation("coverage", str(s), float(cap[s]), float(load[s])))
    if res.nk.enabled and res.nk.k > 0:
        left = cap - _k_largest_sum(units, res.nk.k).reindex(cap.index).fillna(0.0)
        need = res.nk.alpha * load
        for s in cap.index[(left + tol_kw < need) & (load > 0)]:
            out.append(Violation(f"n-{res.nk.k}", str(s), float(left[s]), float(need[s])))
    if res.dispersion.enabled and len(sites):
        xy = shapely.get_coordinates(sites.geometry.to_numpy())
        ids = sites["site_id"].to_numpy()
        site_cap = cap.reindex(ids).fillna(0.0).to_numpy()
        holders = np.flatnonzero(site_cap > 0)
        if len(holders):
            found = cKDTree(xy).sparse_distance_matrix(cKDTree(xy[holders]), res.dispersion.radius_m,
                                                       output_type="ndarray")
            inside = np.bincount(found["i"], weights=site_cap[holders][found["j"]], minlength=len(ids))
            inside = np.maximum(inside, site_cap)  # a holder is always inside its own circle
            for i in np.flatnonzero(inside > res.dispersion.cap_kw + tol_kw):
                out.append(Violation("dispersion", f"circle around {ids[i]}", float(inside[i]), res.dispersion.cap_kw))
    if res.blackout.enabled:
        power = units.groupby("site_id")["power_kw"].sum().reindex(cap.index).fillna(0.0)
        aux = units.groupby("site_id")["aux_power_kw"].sum().reindex(cap.index).fillna(0.0)
        for s in cap.index[power + tol_kw < aux]:
            out.append(Violation("blackout", str(s), float(power[s]), float(aux[s])))
    out += _check_backups(b, cap, load, settings, tol_kw)
    return out


def _check_backups(
    b: pd.DataFrame, cap: pd.Series, load: pd.Series, settings: SitingSettings, tol_kw: float
) -> list[Violation]:
    """Site loss and priority consumers: a backup site with the spare capacity for what it backs up."""
    res = settings.resilience
    if not (res.site_loss.enabled or res.priority.enabled):
        return []
    key = "district_id" if "district_id" in b.columns else "site_id"
    frame = b.assign(prio=priority_load_kw(b, res.priority) if "priority" in b.columns else 0.0)
    agg = {"design_load_kw": ("design_load_kw", "sum"), "prio": ("prio", "sum"), "site_id": ("site_id", "first")}
    if "backup_site_id" in frame.columns:
        agg["backup_site_id"] = ("backup_site_id", "first")
    d = frame.groupby(key).agg(**agg)
    need = np.zeros(len(d))
    if res.site_loss.enabled:
        need = np.maximum(need, res.site_loss.beta * d["design_load_kw"].to_numpy())
    if res.priority.enabled:
        need = np.maximum(need, res.priority.share * d["prio"].to_numpy())
    d["need"] = need
    out: list[Violation] = []
    backup = d["backup_site_id"] if "backup_site_id" in d.columns else pd.Series(np.nan, index=d.index)
    missing = (d["need"] > tol_kw) & (backup.isna() | (backup.astype(str) == "") | (backup == d["site_id"]))
    out += [Violation("no-backup", str(i), 0.0, float(np.asarray(d.at[i, "need"]))) for i in d.index[missing]]
    pairs = d.loc[(d["need"] > tol_kw) & ~missing].groupby(["site_id", "backup_site_id"])["need"].sum()
    for (s, t), taken in zip(pairs.index, pairs, strict=True):  # = pairs.items(), keys as tuples
        spare = float(cap.get(t, 0.0) - load.get(t, 0.0))
        if spare + tol_kw < taken:
            out.append(Violation("site-loss", f"{s}->{t}", spare, float(taken)))
    return out
