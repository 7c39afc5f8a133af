"""Constraints of the siting MILP, one ``define_*`` function each, signature ``(m, p)``.

Notation: y_s site open, n_st modules of heat type t at site s (size P_t [kW]),
g_sg diesel generators, x_a arc a = (district d, site s) chosen, w_b backup
option b = (d, primary s, backup s') chosen, q_st annual heat [MWh/a].
L_s = sum_a L_d x_a is the design load a site serves, Cap_s = sum_t P_t n_st.

**N-k modules.** Losing the k largest modules of site s must leave alpha L_s.
One binary u_s,tau per distinct module size ("units-level", sum = y_s) picks
the largest size installed; larger types are then not allowed at the site and
``Cap_s - k P_tau >= alpha L_s`` holds. Exact for k = 1 (the default); for
k > 1 conservative (all k lost modules taken at the largest size). No big-M:
the level's size enters linearly through sum_tau P_tau u_s,tau.
N-k is written per site: all districts of a site share its modules, so alpha
of every district's load is kept when the remaining capacity is shared pro rata.

**Site loss.** A district d needing a backup (beta L_d, or its priority load)
chooses one (primary, backup) pair; for every pair of sites (s, s') the backup
site keeps its own load and takes over what it backs up for s:
``Cap_s' - L_s' - sum_{b: (s, s')} r_d w_b >= 0``. Binaries on the pair give a
tighter relaxation than linearising x_ds * z_ds' products.

**Dispersion.** For every candidate site c: sum_{s within R of c} Cap_s <= C.

**Blackout.** Per site (an island with its districts): CHP power + diesel >=
auxiliary power of all its heat modules (plant and network pumps).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import linopy
import numpy as np
import pandas as pd
import xarray as xr
from linopy.expressions import LinearExpression

from teplo.supply.model.inputs import SitingProblem
from teplo.supply.model.variables import (
    arc_index,
    backup_index,
    gen_index,
    level_allow,
    level_index,
    max_modules,
    pair_table,
    site_index,
    type_index,
)


def _per(values: np.ndarray | pd.Series, index: pd.Index, name: str | None = None) -> xr.DataArray:
    return xr.DataArray(np.asarray(values), coords=[index], name=name)


_CACHE: weakref.WeakKeyDictionary[linopy.Model, dict[str, LinearExpression]] = weakref.WeakKeyDictionary()


def _cached(m: linopy.Model, key: str, build: Callable[[], LinearExpression]) -> LinearExpression:
    """Build an expression once per model (xarray alignment dominates model-building time)."""
    store = _CACHE.setdefault(m, {})
    if key not in store:
        store[key] = build()
    return store[key]


def site_capacity(m: linopy.Model, p: SitingProblem) -> LinearExpression:
    """Cap_s: installed heat capacity per site [kW]."""
    def build() -> LinearExpression:
        n = m.variables["units-count"]
        return (n * _per(p.heat["heat_kw"], type_index(p))).sum("type")
    return _cached(m, "capacity", build)


def site_load(m: linopy.Model, p: SitingProblem, column: str = "load_kw") -> LinearExpression:
    """L_s: design load [kW] (or annual heat with ``column='annual_mwh'``) assigned to each site."""
    def build() -> LinearExpression:
        x = m.variables["arcs-assign"]
        group = _per(p.arcs["site_id"], arc_index(p), name="site")
        expr = (x * _per(p.arcs[column], arc_index(p))).groupby(group).sum()
        return expr.reindex(site=site_index(p)) if len(expr.coords["site"]) != len(p.sites) else expr
    return _cached(m, f"load-{column}", build)


def define_assignment_constraints(m: linopy.Model, p: SitingProblem) -> None:
    """``districts-assign``: each district served by exactly one site; ``arcs-open``: only by an open one."""
    x = m.variables["arcs-assign"]
    y = m.variables["sites-open"]
    assigned = x.groupby(_per(p.arcs["district_id"], arc_index(p), name="district")).sum()
    if "slack-unserved" in m.variables:  # relaxation: a district may stay unserved, at the penalty per kW
        share = 1.0 / xr.DataArray(np.maximum(p.districts["load_kw"].to_numpy(dtype=float), 1e-6),
                                   coords=[pd.Index(p.districts.index.to_numpy(), name="district")])
        assigned = assigned + m.variables["slack-unserved"] * share
    m.add_constraints(assigned == 1, name="districts-assign")
    y_of_arc = y.sel(site=_per(p.arcs["site_id"], arc_index(p)))
    m.add_constraints(x - y_of_arc <= 0, name="arcs-open")


def define_site_constraints(m: linopy.Model, p: SitingProblem) -> None:
    """``sites-coverage`` Cap >= L; ``sites-capacity`` Cap <= max y; ``units-open``; ``sites-area``."""
    y = m.variables["sites-open"]
    n = m.variables["units-count"]
    cap = site_capacity(m, p)
    m.add_constraints(cap - site_load(m, p) >= 0, name="sites-coverage")
    m.add_constraints(cap - _per(p.sites["max_heat_kw"], site_index(p)) * y <= 0, name="sites-capacity")
    m.add_constraints(n - max_modules(p) * y <= 0, name="units-open")
    area = (n * _per(p.heat["footprint_m2"], type_index(p))).sum("type")
    if "units-generators" in m.variables:
        g = m.variables["units-generators"]
        area = area + (g * _per(p.gens["footprint_m2"], gen_index(p))).sum("gen")
    m.add_constraints(area - _per(p.sites["area_m2"], site_index(p)) * y <= 0, name="sites-area")


def define_nk_constraints(m: linopy.Model, p: SitingProblem) -> None:
    """N-k per site with the largest installed module size as a binary choice ("level").

    ``units-level-choice`` sum_tau u_tau = y; ``units-level-allow`` n_t <= Nmax_t
    sum_{tau: P_tau >= P_t} u_tau (no module above the level); ``sites-nk``
    Cap - k sum_tau P_tau u_tau >= alpha L. With the level at the largest installed
    size this is exact for k = 1 and, for k > 1, conservative (it takes the k lost
    modules all at the largest size); the independent check
    (:func:`teplo.supply.check.check_plan`) uses the exact k largest modules.
    ``sites-nk-min-modules``: a site that serves a district holds at least
    k + 1 modules, a valid cut that tightens the LP relaxation of the strict
    model. It does not hold once N-k may be broken, so in the relaxation it is
    built inactive (>= -(k + 1), always true) and the solver switches it on for
    the strict solve (:data:`STRICT_ROW_LOWER`) without a rebuild.
    """
    if "units-level" not in m.variables:
        return
    n = m.variables["units-count"]
    u = m.variables["units-level"]
    y = m.variables["sites-open"]
    levels = level_index(p)
    m.add_constraints(u.sum("level") - y == 0, name="units-level-choice")
    allowed = (u * (max_modules(p) * level_allow(p))).sum("level")
    m.add_constraints(n - allowed <= 0, name="units-level-allow")
    lost = (u * xr.DataArray(p.nk_k * levels.to_numpy(), coords=[levels])).sum("level")
    lhs = site_capacity(m, p) - lost - p.nk_alpha * site_load(m, p)
    if "slack-nk" in m.variables:
        lhs = lhs + m.variables["slack-nk"]
    m.add_constraints(lhs >= 0, name="sites-nk")
    x = m.variables["arcs-assign"]
    modules_at_arc_site = n.sum("type").sel(site=_per(p.arcs["site_id"], arc_index(p)))
    inactive = -(p.nk_k + 1) if "slack-nk" in m.variables else 0
    m.add_constraints(modules_at_arc_site - (p.nk_k + 1) * x >= inactive, name="sites-nk-min-modules")


def define_backup_constraints(m: linopy.Model, p: SitingProblem) -> None:
    """``backups-link`` x_a = sum of its backup options; ``backups-pair`` spare capacity for each site pair."""
    if "backups-choose" not in m.variables:
        return
    x = m.variables["arcs-assign"]
    w = m.variables["backups-choose"]
    bidx = backup_index(p)
    linked = w.groupby(_per(p.backups["arc"].to_numpy(dtype=np.int64), bidx, name="arc")).sum()
    arcs_with = pd.Index(np.unique(p.backups["arc"].to_numpy(dtype=np.int64)), name="arc")
    m.add_constraints(linked - x.sel(arc=arcs_with) == 0, name="backups-link")
    pairs = pair_table(p)
    key = pd.MultiIndex.from_frame(pairs[["site_id", "backup_site_id"]])
    pair_of = key.get_indexer(pd.MultiIndex.from_frame(p.backups[["site_id", "backup_site_id"]]))
    taken = (w * _per(p.backups["backup_kw"], bidx)).groupby(_per(pair_of, bidx, name="pair")).sum()
    backup_site = xr.DataArray(pairs["backup_site_id"].to_numpy(), coords=[pairs.index])
    spare = site_capacity(m, p).sel(site=backup_site) - site_load(m, p).sel(site=backup_site)
    lhs = spare - taken
    if "slack-pair" in m.variables:
        lhs = lhs + m.variables["slack-pair"]
    m.add_constraints(lhs >= 0, name="backups-pair")


STRICT_ROW_LOWER = {"sites-nk-min-modules": 0.0}
"""Rows valid only where every requirement holds: their lower bound in the strict solve (built inactive
in the relaxation)."""


def define_dispersion_constraints(m: linopy.Model, p: SitingProblem) -> None:
    """``circles-dispersion``: capacity of the sites within R of each candidate site <= C."""
    if len(p.circles) == 0:
        return
    member = pd.RangeIndex(len(p.circles), name="member")
    cap = site_capacity(m, p).sel(site=xr.DataArray(p.circles["site_id"].to_numpy(), coords=[member]))
    circles = pd.Index(p.circle_cap_kw.index.to_numpy(), name="circle")
    inside = cap.groupby(_per(p.circles["circle_id"].to_numpy(), member, name="circle")).sum()
    if "slack-circle" in m.variables:  # relaxation: each circle's excess, at most the one excess e for all
        inside = inside - m.variables["slack-circle"]
        m.add_constraints(m.variables["slack-circle"] - m.variables["slack-dispersion"] <= 0, name="circles-excess")
    m.add_constraints(inside <= _per(p.enforced_caps_kw(), circles), name="circles-dispersion")


def define_blackout_constraints(m: linopy.Model, p: SitingProblem) -> None:
    """``sites-blackout``: CHP + diesel power >= auxiliary power of the site's modules and pumps."""
    if not p.blackout:
        return
    n = m.variables["units-count"]
    tidx = type_index(p)
    net = (n * _per(p.heat["power_kw"] - p.heat["aux_power_kw"], tidx)).sum("type")
    if "units-generators" in m.variables:
        g = m.variables["units-generators"]
        net = net + (g * _per(p.gens["power_kw"], gen_index(p))).sum("gen")
    if "slack-blackout" in m.variables:
        net = net + m.variables["slack-blackout"]
    m.add_constraints(net >= 0, name="sites-blackout")
    # valid inequality: every open site has auxiliaries (aux > 0), so it needs a CHP or a genset
    if "units-generators" in m.variables and (p.heat["aux_power_kw"] > 0).all():
        chp = _per((p.heat["power_kw"] > 0).astype(float), tidx)
        units = (n * chp).sum("type") + m.variables["units-generators"].sum("gen")
        if "slack-blackout" in m.variables:
            units = units + m.variables["slack-blackout"] / max(float(p.heat["aux_power_kw"].min()), 1e-6)
        m.add_constraints(units - m.variables["sites-open"] >= 0, name="sites-blackout-min-units")


def define_production_constraints(m: linopy.Model, p: SitingProblem) -> None:
    """``units-heat-limit`` q <= n P h_max; ``sites-heat-balance`` sum_t q = annual heat served."""
    n = m.variables["units-count"]
    q = m.variables["units-heat"]
    mwh_per_module = _per(p.heat["heat_kw"] * p.heat["max_flh_h"] / 1000.0, type_index(p))
    m.add_constraints(q - mwh_per_module * n <= 0, name="units-heat-limit")
    m.add_constraints(q.sum("type") - site_load(m, p, "annual_mwh") == 0, name="sites-heat-balance")


CONSTRAINT_RECIPE = (
    define_assignment_constraints,
    define_site_constraints,
    define_nk_constraints,
    define_backup_constraints,
    define_dispersion_constraints,
    define_blackout_constraints,
    define_production_constraints,
)
"""Order in which :func:`teplo.supply.model.create_model` adds the constraints."""
