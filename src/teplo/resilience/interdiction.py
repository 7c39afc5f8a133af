"""Exact worst k strikes on sites as an interdiction MILP (linopy + HiGHS).

Exhaustive search grows as C(n, k); the MILP does not enumerate. It holds
for strikes that destroy *sites* (pipe damage is left out: it changes the
topology, which a linear model of island capacities cannot see), a constant
outdoor temperature, and screening's proportional sharing:

* a building with time constant τ and gains g = G/H is below 12 °C after
  ``hours`` iff its settled temperature is below
  θ = (12 − 20·e)/(1 − e), e = exp(−hours/τ), i.e. iff its supplied fraction
  is below f* = (θ − T_out − g)/(20 − T_out − g) (cooling model of
  :mod:`teplo.resilience.cooling`);
* with proportional sharing the fraction is min(1, A_i/D_i), A_i the island's
  remaining capacity, so the building is cold iff A_i < f*·D_i.

Buildings are grouped by (island, f*). Variables: x_c ∈ {0,1} strike at
candidate c (Σ x = k); z_s ∈ [0,1] site s destroyed (z_s ≤ Σ_{c covers s} x_c);
y_g ∈ {0,1} group g cold, allowed only if
Σ_{s∈i} cap_s (1 − z_s) ≤ f*_g D_i − ε + M_i (1 − y_g). Objective: maximise
the residents of cold groups. The chosen centres are then re-evaluated by the
full chain (:class:`~teplo.resilience.worst_case.StrikeObjective`), pipes
included.
"""

from __future__ import annotations

import time

import linopy
import numpy as np
import pandas as pd
import xarray as xr
from scipy import sparse

from teplo.errors import InfeasibleError, InputError
from teplo.resilience.worst_case import StrikeObjective, StrikePlan

#: Slack turning "A < f*·D" into "A ≤ f*·D − ε" [kW].
EPSILON_KW = 1e-6


def cold_threshold(
    tau_h: np.ndarray, gains_k: np.ndarray, t_out_c: float, hours: float,
    indoor_c: float = 20.0, emergency_c: float = 12.0,
) -> np.ndarray:
    """Supplied fraction below which a building is under ``emergency_c`` after ``hours`` [-].

    ≤ 0: never cold; the building starts at ``indoor_c``.
    """
    e = np.exp(-hours / np.asarray(tau_h, dtype=float))
    theta = (emergency_c - indoor_c * e) / (1.0 - e)
    g = np.asarray(gains_k, dtype=float)
    span = np.maximum(0.0, indoor_c - t_out_c - g)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(span > 0, (theta - t_out_c - g) / span, np.where(t_out_c + g < theta, np.inf, -np.inf))
    return np.asarray(f)


def milp_strikes(objective: StrikeObjective, k: int, time_limit_s: float = 60.0) -> StrikePlan:
    """The k candidate centres that leave the most residents below 12 °C (sites only, exact)."""
    if k < 1:
        raise InputError(f"k must be >= 1 (got {k})")
    t_start = time.perf_counter()
    system = objective.system
    temp = np.atleast_1d(np.asarray(objective.temp_c, dtype=float))
    if temp.size > 1:
        raise InputError("milp_strikes needs a constant outdoor temperature")
    t_out = float(temp[0])
    hours = objective.hours
    b, isl = system.buildings, system.islands
    cs = objective.settings.cooling
    f_star = cold_threshold(b.tau_h, b.gains_w / b.h_w_k, t_out, hours, system.indoor_c, cs.emergency_c)
    demand = system.island_demand_kw(t_out)
    cap_site = isl.site_base_kw
    n_sites, n_cand = cap_site.size, objective.centres.shape[0]
    # groups of buildings by (island, f*) that could be cold at all (f* > 0)
    frame = pd.DataFrame({"island": b.island, "f": np.round(f_star, 12), "w": b.residents})
    frame = frame[frame["f"] > 0]
    groups = frame.groupby(["island", "f"], sort=True)["w"].sum().reset_index()
    g_island = groups["island"].to_numpy(dtype=np.int64)
    limit = groups["f"].to_numpy() * demand[g_island] - EPSILON_KW
    base = isl.base_kw[g_island]
    site_island = system.sites.island
    member = (site_island[None, :] == g_island[:, None]) * cap_site[None, :]  # group × site capacity
    cover = sparse.csr_array(objective.site_hit).T.toarray().astype(float)  # site × candidate
    big_m = base - np.minimum(limit, 0.0) + 1.0
    m = linopy.Model()
    cand = pd.RangeIndex(n_cand, name="candidate")
    site = pd.RangeIndex(n_sites, name="site")
    grp = pd.RangeIndex(len(groups), name="group")
    x = m.add_variables(binary=True, coords=[cand], name="strike")
    z = m.add_variables(lower=0.0, upper=1.0, coords=[site], name="site_lost")
    y = m.add_variables(binary=True, coords=[grp], name="cold")
    m.add_constraints(x.sum() == k, name="strikes-count")
    cover_da = xr.DataArray(cover, coords=[site, cand])
    m.add_constraints(z - (cover_da * x).sum("candidate") <= 0, name="sites-covered")
    member_da = xr.DataArray(member, coords=[grp, site])
    lhs = -(member_da * z).sum("site") + xr.DataArray(big_m, coords=[grp]) * y
    rhs = xr.DataArray(limit - base + big_m, coords=[grp])
    m.add_constraints(lhs <= rhs, name="groups-cold")
    weight = xr.DataArray(groups["w"].to_numpy(dtype=float), coords=[grp])
    m.add_objective((weight * y).sum(), sense="max")
    status, condition = m.solve(solver_name="highs", output_flag=False, time_limit=time_limit_s)
    if status != "ok":
        raise InfeasibleError(f"strike interdiction MILP: {status} ({condition})")
    chosen = np.flatnonzero(x.solution.to_numpy() > 0.5)
    e0 = objective.evaluations
    value = float(objective(chosen[None, :])[0])
    return StrikePlan(
        k=k, method="milp", candidates=tuple(int(c) for c in chosen), centres_xy=objective.centres[chosen],
        residents_cold=value, evaluations=objective.evaluations - e0, seconds=time.perf_counter() - t_start,
    )
